#pragma once

#include <QString>

#include <optional>

namespace pw {

/// The one status scale. The numeric values are what `pathwatch_signal_status` exports.
enum class Severity : int
{
    Ok = 0,
    Warn = 1,
    Crit = 2,
    Stale = 3,
    Unknown = 4,
};

/// Ordering for roll-ups ("worst of"): CRIT outranks STALE, which outranks WARN, then UNKNOWN, then OK.
/// A source we cannot read hides what may be a problem, so it ranks above WARN; a known CRIT is still the loudest.
int severityRank(Severity s);
Severity worse(Severity a, Severity b);

QString severityName(Severity s); // "OK", "WARN", "CRIT", "STALE", "UNKNOWN"
std::optional<Severity> severityFromName(QStringView name);

/// Exit code of `pathwatch status`: 0 OK, 1 WARN, 2 CRIT, 3 STALE/UNKNOWN.
int severityExitCode(Severity s);

} // namespace pw
