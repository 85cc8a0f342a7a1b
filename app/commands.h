#pragma once

#include <QStringList>

namespace pw {

/// Exit codes shared by the commands (see README): 0 OK, 1 WARN, 2 CRIT, 3 STALE/UNKNOWN, 4 config or usage error.
inline constexpr int kExitConfigError = 4;

int runHeadless(const QStringList& arguments);
int runStatus(const QStringList& arguments);
int runCheckConfig(const QStringList& arguments);

} // namespace pw
