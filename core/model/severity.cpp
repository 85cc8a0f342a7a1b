#include "model/severity.h"

namespace pw {

int severityRank(Severity s)
{
    switch (s) {
    case Severity::Ok:
        return 0;
    case Severity::Unknown:
        return 1;
    case Severity::Warn:
        return 2;
    case Severity::Stale:
        return 3;
    case Severity::Crit:
        return 4;
    }
    return 0;
}

Severity worse(Severity a, Severity b)
{
    return severityRank(a) >= severityRank(b) ? a : b;
}

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Ok:
        return QStringLiteral("OK");
    case Severity::Warn:
        return QStringLiteral("WARN");
    case Severity::Crit:
        return QStringLiteral("CRIT");
    case Severity::Stale:
        return QStringLiteral("STALE");
    case Severity::Unknown:
        return QStringLiteral("UNKNOWN");
    }
    return QStringLiteral("UNKNOWN");
}

std::optional<Severity> severityFromName(QStringView name)
{
    for (auto s : {Severity::Ok, Severity::Warn, Severity::Crit, Severity::Stale, Severity::Unknown}) {
        if (name.compare(severityName(s), Qt::CaseInsensitive) == 0)
            return s;
    }
    return std::nullopt;
}

int severityExitCode(Severity s)
{
    switch (s) {
    case Severity::Ok:
        return 0;
    case Severity::Warn:
        return 1;
    case Severity::Crit:
        return 2;
    case Severity::Stale:
    case Severity::Unknown:
        return 3;
    }
    return 3;
}

} // namespace pw
