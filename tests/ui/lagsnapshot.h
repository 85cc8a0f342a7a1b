#pragma once

// Consumer-lag reports for the UI tests and benchmarks: many groups over a few topics, with every verdict present.

#include "eval/lagevaluator.h"
#include "model/snapshot.h"

#include <memory>

namespace pw::test {

/// `groups` groups of one kafka source `sourceId`, each reading `topics` topics of `partitions` partitions. `tick`
/// moves every offset on, as the next poll would. Group 0 is caught up, 1 lags and catches up, 2 falls behind
/// (LAGGING), 3 is STOPPED, 4 was REWOUND by a replay, then the pattern repeats.
inline LagReportPtr makeLagReport(
    const QString& sourceId, int groups, int topics, int partitions, qint64 nowMs, int tick = 0)
{
    auto report = std::make_shared<LagReport>();
    report->sourceId = sourceId;
    report->takenMs = nowMs;
    report->groups.reserve(size_t(groups));
    for (int g = 0; g < groups; ++g) {
        GroupLag group;
        group.group = g == 0 ? QStringLiteral("orders-aggregate")
                             : QStringLiteral("consumer-%1").arg(g, 4, 10, QLatin1Char('0'));
        group.state = g % 5 == 3 ? QStringLiteral("Empty") : QStringLiteral("Stable");
        group.observedMs = nowMs;
        group.commitTimesKnown = true;
        for (int t = 0; t < topics; ++t) {
            const QString topic = t == 0 ? QStringLiteral("orders") : QStringLiteral("events-%1").arg(t);
            for (int p = 0; p < partitions; ++p) {
                PartitionLag pl;
                pl.topic = topic;
                pl.partition = p;
                pl.logStartOffset = 1000;
                pl.highWatermark = 500'000 + 50 * tick + 37 * p + 1000 * t;
                pl.windowPolls = 10;
                pl.produceRate = 50.0 + p;
                pl.lastCommitMs = nowMs - 4000;
                switch (g % 5) {
                case 0:
                    pl.committedOffset = pl.highWatermark;
                    pl.consumeRate = pl.produceRate;
                    pl.verdict = LagVerdict::Ok;
                    break;
                case 1:
                    pl.committedOffset = pl.highWatermark - 400 - 10 * p;
                    pl.consumeRate = pl.produceRate + 20;
                    pl.verdict = LagVerdict::Ok;
                    break;
                case 2:
                    pl.committedOffset = pl.highWatermark - 12'000 - 40 * tick - 100 * p;
                    pl.consumeRate = pl.produceRate - 40;
                    pl.verdict = LagVerdict::Lagging;
                    break;
                case 3:
                    pl.committedOffset = 480'000;
                    pl.consumeRate = 0;
                    pl.lastCommitMs = nowMs - 30 * 60'000;
                    pl.verdict = p == 0 ? LagVerdict::Stopped : LagVerdict::Ok;
                    if (p != 0)
                        pl.committedOffset = pl.highWatermark;
                    break;
                case 4:
                    pl.committedOffset = pl.highWatermark - 90'000;
                    pl.consumeRate = pl.produceRate + 300;
                    pl.verdict = p < 2 ? LagVerdict::Rewound : LagVerdict::Ok;
                    pl.rewindExplained = true;
                    break;
                }
                pl.lag = std::max<int64_t>(0, pl.highWatermark - pl.committedOffset);
                if (pl.lag == 0) {
                    pl.timeLagSeconds = 0.0;
                    pl.timeLagBasis = TimeLagBasis::CaughtUp;
                } else {
                    pl.timeLagSeconds = double(pl.lag) / pl.produceRate;
                    pl.timeLagBasis = g % 5 == 3 ? TimeLagBasis::CreateTime : TimeLagBasis::WatermarkHistory;
                }
                group.partitions.push_back(pl);
            }
        }
        LagEvaluator::summarizeGroup(group);
        report->groups.push_back(std::move(group));
    }
    return report;
}

/// A snapshot that carries only `report` and data_age / replay_headroom series for its topics' partitions.
inline std::shared_ptr<Snapshot> makeLagSnapshot(const LagReportPtr& report, qint64 nowMs, int topics, int partitions)
{
    auto snap = std::make_shared<Snapshot>();
    snap->takenMs = nowMs;
    snap->consumerLag.push_back(report);
    SourceHealth h;
    h.sourceId = report->sourceId;
    h.kind = QStringLiteral("kafka");
    h.up = true;
    h.severity = Severity::Ok;
    h.lastAttemptMs = h.lastSuccessMs = nowMs;
    snap->sources.push_back(h);
    for (int t = 0; t < topics; ++t) {
        const QString topic = t == 0 ? QStringLiteral("orders") : QStringLiteral("events-%1").arg(t);
        for (int p = 0; p < partitions; ++p) {
            for (const SignalKind kind : {SignalKind::DataAge, SignalKind::ReplayHeadroom}) {
                SignalState s;
                s.kind = kind;
                s.stageId = QStringLiteral("source");
                s.name = signalKindName(kind);
                s.signalId = s.stageId + QLatin1Char('/') + s.name;
                s.unit = QStringLiteral("s");
                s.sourceId = report->sourceId;
                s.labels = {{QStringLiteral("partition"), QString::number(p)}, {QStringLiteral("topic"), topic}};
                s.hasValue = true;
                s.value = kind == SignalKind::DataAge ? 0.4 + 0.1 * p : 5.5 * 86400 - 3600 * p;
                s.valueTimestampMs = nowMs;
                s.severity = Severity::Ok;
                snap->signalStates.push_back(s);
            }
        }
    }
    return snap;
}

} // namespace pw::test
