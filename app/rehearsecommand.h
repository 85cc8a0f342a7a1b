#pragma once

#include <QStringList>

namespace pw {

/// `pathwatch rehearse`: a whole recovery exercise on the embedded demo — steady state, fault, detection, guided
/// replay of the Flink-like job, catch-up and reconciliation of the serving table — with a timeline and a report.
int runRehearse(const QStringList& arguments);

} // namespace pw
