#include "eval/lagevaluator.h"

#include <algorithm>

namespace pw {

int64_t LagPoint::lag() const
{
    const int64_t from = committedOffset >= 0 ? committedOffset : logStartOffset;
    return std::max<int64_t>(0, highWatermark - from);
}

PartitionJudgement LagEvaluator::judgePartition(
    std::span<const LagPoint> window, int windowPolls, bool commitTimesKnown)
{
    PartitionJudgement j;
    if (window.empty())
        return j;
    if (windowPolls < 2)
        windowPolls = 2;
    if (window.size() > size_t(windowPolls))
        window = window.subspan(window.size() - size_t(windowPolls));
    const LagPoint& first = window.front();
    const LagPoint& last = window.back();
    const double spanSeconds = double(last.atMs - first.atMs) / 1000.0;
    if (spanSeconds > 0) {
        if (first.committedOffset >= 0 && last.committedOffset >= first.committedOffset)
            j.consumeRate = double(last.committedOffset - first.committedOffset) / spanSeconds;
        if (last.highWatermark >= first.highWatermark)
            j.produceRate = double(last.highWatermark - first.highWatermark) / spanSeconds;
    }

    for (size_t i = 1; i < window.size(); ++i)
        if (window[i - 1].committedOffset >= 0 && window[i].committedOffset >= 0
            && window[i].committedOffset < window[i - 1].committedOffset) {
            j.verdict = LagVerdict::Rewound;
            return j;
        }
    if (last.lag() == 0) {
        j.verdict = LagVerdict::Ok;
        return j;
    }
    const bool full = window.size() >= size_t(windowPolls);
    const bool advancing = last.committedOffset > first.committedOffset;
    if (advancing) {
        if (!full) {
            // Advancing is good news already; only a full window can show the lag growing all along.
            j.verdict = LagVerdict::Ok;
            return j;
        }
        bool grewAtEveryPoll = true;
        for (size_t i = 1; i < window.size(); ++i)
            if (window[i].lag() <= window[i - 1].lag())
                grewAtEveryPoll = false;
        j.verdict = grewAtEveryPoll ? LagVerdict::Lagging : LagVerdict::Ok;
        return j;
    }
    if (!full) {
        j.verdict = LagVerdict::Pending;
        return j;
    }
    if (!commitTimesKnown) {
        j.verdict = LagVerdict::NotAdvancing;
        return j;
    }
    j.verdict = last.lastCommitMs > first.atMs ? LagVerdict::Stalled : LagVerdict::Stopped;
    return j;
}

void LagEvaluator::summarizeGroup(GroupLag& group)
{
    group.totalLag = 0;
    group.consumeRate = 0;
    group.produceRate = 0;
    group.maxTimeLagSeconds.reset();
    group.timeLagBasis = TimeLagBasis::None;
    group.worstPartition = -1;
    group.catchUpSeconds.reset();
    group.fallingBehindRate = 0;
    for (size_t i = 0; i < group.partitions.size(); ++i) {
        const PartitionLag& p = group.partitions[i];
        group.totalLag += p.lag;
        group.consumeRate += p.consumeRate;
        group.produceRate += p.produceRate;
        if (p.timeLagSeconds && (!group.maxTimeLagSeconds || *p.timeLagSeconds > *group.maxTimeLagSeconds)) {
            group.maxTimeLagSeconds = p.timeLagSeconds;
            group.timeLagBasis = p.timeLagBasis;
        }
        if (group.worstPartition < 0) {
            group.worstPartition = int(i);
            continue;
        }
        const PartitionLag& w = group.partitions[size_t(group.worstPartition)];
        const int rank = severityRank(lagVerdictSeverity(p.verdict, p.rewindExplained));
        const int worstRank = severityRank(lagVerdictSeverity(w.verdict, w.rewindExplained));
        if (rank > worstRank
            || (rank == worstRank
                && (p.timeLagSeconds.value_or(0) > w.timeLagSeconds.value_or(0)
                    || (p.timeLagSeconds.value_or(0) == w.timeLagSeconds.value_or(0) && p.lag > w.lag))))
            group.worstPartition = int(i);
    }
    if (group.worstPartition < 0) {
        group.verdict = LagVerdict::Pending;
        group.severity = Severity::Unknown;
        return;
    }
    const PartitionLag& worst = group.partitions[size_t(group.worstPartition)];
    group.verdict = worst.verdict;
    group.severity = lagVerdictSeverity(worst.verdict, worst.rewindExplained);
    if (group.totalLag == 0) {
        group.catchUpSeconds = 0.0;
        return;
    }
    const double net = group.consumeRate - group.produceRate;
    if (net > 0)
        group.catchUpSeconds = double(group.totalLag) / net;
    else
        group.fallingBehindRate = -net;
}

std::optional<double> LagEvaluator::timeLagFromHistory(
    const std::deque<WatermarkPoint>& history, int64_t committed, qint64 nowMs)
{
    if (history.empty())
        return std::nullopt;
    if (committed >= history.back().offset)
        return 0.0;
    // The record at `committed` was appended after the last poll that saw the high watermark at or below it and
    // by the first poll that saw it beyond: without an earlier point, when is not known.
    if (committed < history.front().offset)
        return std::nullopt;
    auto seconds = [nowMs](double atMs) { return std::max(0.0, (double(nowMs) - atMs) / 1000.0); };
    for (size_t i = 1; i < history.size(); ++i) {
        const WatermarkPoint& b = history[i];
        if (b.offset <= committed)
            continue;
        const WatermarkPoint& a = history[i - 1];
        const double fraction = double(committed - a.offset) / double(b.offset - a.offset);
        return seconds(double(a.timeMs) + fraction * double(b.timeMs - a.timeMs));
    }
    return 0.0;
}

} // namespace pw
