#pragma once

#include "model/severity.h"

#include <QMetaType>
#include <QString>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace pw {

/// How a consumer is doing on a partition (or, for a group, on its worst partition), judged over a window of polls.
/// The one status scale: LAGGING and an unexplained REWOUND are WARN, STALLED, STOPPED and NOT_ADVANCING are CRIT.
enum class LagVerdict : int
{
    Ok = 0,
    Lagging = 1, // committing and advancing, but the lag grew over the whole window
    Stalled = 2, // committing, the committed offset not advancing, lag > 0
    Stopped = 3, // not committing, lag > 0
    Rewound = 4, // the committed offset went back within the window
    NotAdvancing = 5, // lag > 0 and the committed offset not advancing; without commit times, STALLED or STOPPED
    Pending = 6, // too few polls yet to judge a partition that has lag
};

/// Where a time lag comes from, best first.
enum class TimeLagBasis : int
{
    None = 0, // not known
    CaughtUp = 1, // lag 0: zero seconds by definition
    WatermarkHistory = 2, // when a poll saw the high watermark pass the committed offset (exact to one poll)
    LogAppendTime = 3, // the broker's append time of the record at the committed offset
    CreateTime = 4, // the producer's time of that record: a lower bound on trust, older than the ledger
};

/// One partition of one group, as the latest poll and the window before it judged it. Plain value type.
struct PartitionLag
{
    QString topic;
    int32_t partition = 0;
    int64_t committedOffset = -1; // -1: nothing committed (lag counts from the log start)
    int64_t highWatermark = -1;
    int64_t logStartOffset = -1;
    int64_t lag = 0; // records, never negative
    std::optional<double> timeLagSeconds; // never negative; 0 when caught up
    TimeLagBasis timeLagBasis = TimeLagBasis::None;
    qint64 lastCommitMs = 0; // from __consumer_offsets; 0 when not known
    double consumeRate = 0.0; // records/s over the window
    double produceRate = 0.0; // records/s over the window
    LagVerdict verdict = LagVerdict::Pending;
    bool rewindExplained = false; // REWOUND by a replay the audit log records
    int windowPolls = 0; // polls the verdict looked at
};

/// One consumer group: its verdict is that of its worst partition. Plain value type.
struct GroupLag
{
    QString group;
    QString state; // Kafka's group state when listed: Stable, Empty, ...
    bool deleted = false; // no longer listed by the cluster: kept marked for a while, then dropped
    qint64 observedMs = 0;
    LagVerdict verdict = LagVerdict::Pending;
    Severity severity = Severity::Unknown;
    bool commitTimesKnown = false; // __consumer_offsets was readable: STALLED and STOPPED are told apart
    int64_t totalLag = 0;
    std::optional<double> maxTimeLagSeconds;
    TimeLagBasis timeLagBasis = TimeLagBasis::None; // of the partition with the largest time lag
    double consumeRate = 0.0; // records/s, all partitions
    double produceRate = 0.0;
    /// Seconds until the lag is 0 at the current rates; nullopt when not catching up (see fallingBehindRate).
    std::optional<double> catchUpSeconds;
    double fallingBehindRate = 0.0; // produce − consume records/s when the lag grows; 0 otherwise
    int worstPartition = -1; // index into partitions
    std::vector<PartitionLag> partitions;
    QString error; // why the group could not be read this poll (earlier values kept)
};

/// Every watched group of one kafka source at one poll. Shared immutable between threads.
struct LagReport
{
    QString sourceId;
    qint64 takenMs = 0;
    QString commitTimesError; // why commit times are not known (verdicts then say NOT_ADVANCING); empty when known
    std::vector<GroupLag> groups;
};

using LagReportPtr = std::shared_ptr<const LagReport>;

/// The one status scale for a verdict: LAGGING→WARN, STALLED/STOPPED/NOT_ADVANCING→CRIT, REWOUND→WARN unless
/// explained (then OK), PENDING→UNKNOWN.
Severity lagVerdictSeverity(LagVerdict verdict, bool rewindExplained);
/// "OK", "LAGGING", "STALLED", "STOPPED", "REWOUND", "NOT_ADVANCING", "PENDING".
QString lagVerdictName(LagVerdict verdict);
std::optional<LagVerdict> lagVerdictFromName(QStringView name);
/// "none", "caught-up", "watermark-history", "log-append-time", "create-time".
QString timeLagBasisName(TimeLagBasis basis);
std::optional<TimeLagBasis> timeLagBasisFromName(QStringView name);

} // namespace pw

Q_DECLARE_METATYPE(pw::LagReportPtr)
