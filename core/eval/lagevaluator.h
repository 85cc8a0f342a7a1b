#pragma once

#include "model/consumerlag.h"

#include <QtGlobal>

#include <cstdint>
#include <deque>
#include <optional>
#include <span>

namespace pw {

/// What one poll saw of one partition of one group: a point of the window verdicts are judged over.
struct LagPoint
{
    qint64 atMs = 0;
    int64_t committedOffset = -1; // -1: nothing committed
    int64_t highWatermark = 0;
    int64_t logStartOffset = 0;
    qint64 lastCommitMs = 0; // newest commit time __consumer_offsets holds for it; 0 when not known

    /// Records behind: from the committed offset, or from the log start when nothing is committed; never negative.
    int64_t lag() const;
};

/// The verdict of one partition over a window of polls (oldest first) and its rates over that window.
struct PartitionJudgement
{
    LagVerdict verdict = LagVerdict::Pending;
    double consumeRate = 0.0; // records/s
    double produceRate = 0.0; // records/s
};

/// Judges consumer lag the way a careful lag monitor does, over the last `windowPolls` polls:
/// - REWOUND when the committed offset went back anywhere in the window;
/// - OK when the lag is 0, however long the partition has been idle;
/// - with lag > 0 and the committed offset advancing: LAGGING when the lag grew at every poll of a full window,
///   else OK;
/// - with lag > 0 and the committed offset not advancing over a full window: STALLED when a commit landed within
///   the window (committing the same offset), STOPPED when none did, NOT_ADVANCING when commit times are unknown;
/// - PENDING while the window is too short to tell.
/// Pure functions; thread-safe.
class LagEvaluator
{
public:
    static constexpr int kDefaultWindowPolls = 10;

    static PartitionJudgement judgePartition(std::span<const LagPoint> window, int windowPolls, bool commitTimesKnown);

    /// Fills a group's verdict, severity, totals, rates, catch-up estimate and worst partition from its partitions
    /// (whose verdicts, lags and time lags are set).
    static void summarizeGroup(GroupLag& group);

    /// Seconds behind from a partition's high-watermark history (oldest first, as polls saw it): now − the time the
    /// high watermark passed `committed`, interpolated within the poll interval it passed in. 0 when caught up;
    /// nullopt when the history does not reach back to that offset (the caller must find the record's time another
    /// way). Never negative.
    struct WatermarkPoint
    {
        qint64 timeMs = 0;
        int64_t offset = 0; // the high watermark a poll saw
    };
    static std::optional<double> timeLagFromHistory(
        const std::deque<WatermarkPoint>& history, int64_t committed, qint64 nowMs);
};

} // namespace pw
