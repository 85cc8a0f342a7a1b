#pragma once

#include "model/snapshot.h"
#include "model/thresholds.h"
#include "model/transition.h"

#include <QString>

namespace pw {

// The words and numbers Pathwatch shows, in one place for the window, `status`, the logs and notifications.
// Pure functions of structured data; QtCore only; thread-safe.

/// "1.25 s", "3,400 messages", "2.0 %"; unit "state" (job state 0/1/2) gives "running", "(re)starting",
/// "failed or stopped".
QString formatValue(double value, const QString& unit);
/// formatValue with large counts shortened to three significant digits ("123 M messages", "12.3 k errors/s") for
/// places with little room, such as a tile's headline.
QString formatValueShort(double value, const QString& unit);
/// "12 s ago", "3.0 min ago"; "never" when `thenMs` is 0.
QString formatAgo(qint64 thenMs, qint64 nowMs);

/// "7.20 s ≥ crit 5.00 s", "job failed or stopped", or empty when OK.
QString thresholdReason(const ThresholdBreach& breach, const QString& unit);

/// "data stops moving between Compute and Sink: newest data 15.0 min old there, 2.00 s before it"; empty when the
/// snapshot names no such hop.
QString dataStopSentence(const Snapshot& snapshot);

/// "sink/p99{quantile=\"0.99\"}": a signal series as the logs and `status` name it.
QString seriesName(const QString& signalId, const Labels& labels);

/// One line for a log: "signal sink/p99 OK → CRIT (value 7.20 s): 7.20 s ≥ crit 5.00 s".
QString transitionText(const Transition& transition);

} // namespace pw
