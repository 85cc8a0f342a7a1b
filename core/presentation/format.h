#pragma once

#include "model/consumerlag.h"
#include "model/snapshot.h"

#include "model/thresholds.h"
#include "model/transition.h"
#include <QStringList>

#include <QString>

namespace pw {

// The words and numbers Pathwatch shows, in one place for the window, `status`, the logs and notifications.
// Pure functions of structured data; QtCore only; thread-safe.

/// "1.25 s", "3,400 messages", "1 message", "2.0 %"; unit "state" (job state 0/1/2) gives "running",
/// "(re)starting", "failed or stopped".
QString formatValue(double value, const QString& unit);
/// The unit as it reads after `value`: a plural count noun ("messages", "records", "entries") is singular when the
/// value is exactly 1 ("message", "record", "entry"); rates ("errors/s"), abbreviations ("ms", "rec") and every
/// other value keep the unit as written.
QString unitForCount(double value, const QString& unit);
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

/// "catches up in 4.0 min", "falling behind at 120 records/s", "caught up", "not consuming" (lag, no rates yet).
QString catchUpSentence(const GroupLag& group);
/// "4.0 min (watermark history)", "0 ms (caught up)", "2.0 h (record create time)", "—" when not known.
QString timeLagText(std::optional<double> seconds, TimeLagBasis basis);
/// Why a group has its verdict, for a signal's reason and logs: "STOPPED on events[3]: lag 1,200 records, 4.0 min
/// behind, no commit since 10 min ago"; "REWOUND on events[0] by a replay in the audit log".
QString lagVerdictReason(const GroupLag& group);
/// One line of `pathwatch status` per group: group, verdict, worst partition, lag, time lag, rates and ETA.
QStringList lagGroupColumns(const GroupLag& group, qint64 nowMs);

/// "recovery ledger", "saved history": the part of the data dir a DegradedPart names, for people.
QString degradedPartTitle(const QString& part);
/// One line about the parts of the data dir that cannot be written, for the window and the watch screen:
/// "DEGRADED — recovery ledger not written for 4.0 min: disk full; monitoring goes on". Empty when none is.
QString degradedSentence(const std::vector<DegradedPart>& parts, qint64 nowMs);

/// One line for a log: "signal sink/p99 OK → CRIT (value 7.20 s): 7.20 s ≥ crit 5.00 s".
QString transitionText(const Transition& transition);

} // namespace pw
