#pragma once

#include "eval/lagevaluator.h"
#include "sources/source.h"

#include <QRegularExpression>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

namespace pw {

/// The source log of a Kafka cluster, through librdkafka. Signals, one sample per partition labelled
/// group/topic/partition:
/// - consumer_lag (`group`, optional `topic`): high watermark − committed offset; a partition of a consumed topic
///   without a committed offset counts high − low.
/// - time_lag (`group`, optional `topic`): seconds since the high watermark passed the committed offset,
///   interpolated in a per-partition history of (poll time, high watermark) as kafka-lag-exporter does. It needs
///   two polls before it answers.
/// - data_age (`topic`): now − timestamp of the newest record.
/// - replay_headroom (`topic`): age of the oldest retained record, i.e. how far back a replay can go.
///
/// With `groups` in its config the source watches every consumer group the cluster lists that matches an `include`
/// pattern and no `exclude` pattern (default: all but internal ones, whose ids start with `_`). A consumer_lag or
/// time_lag signal that names no group then yields one sample per group (total lag; largest time lag), and every
/// poll also yields a LagReport: per group and partition the lag, the time lag and where it comes from, the rates
/// and the verdict over the last `lag_window` polls (LagEvaluator). Commit times come from `__consumer_offsets` when
/// it can be read. Groups that disappear are kept marked `deleted` for kDeletedGroupPolls polls, then dropped.
///
/// All librdkafka work runs on the engine's blocking pool (PollContext::runBlocking) and is bounded by the source's
/// timeout. The admin client and the record reader are created on the first poll and reused. Polls of one source
/// never overlap (Source's contract), so the clients and the offset history are used by one thread at a time.
class KafkaSource : public Source
{
public:
    static Result<std::unique_ptr<Source>> create(
        const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);
    ~KafkaSource() override;

    QString endpoint() const override;
    void poll(PollContext& context, std::function<void(PollResult)> done) override;

    /// The work of one poll, synchronously (used by poll() on a blocking thread, and by tests).
    PollResult pollBlocking();

    using OffsetPoint = LagEvaluator::WatermarkPoint;
    using OffsetHistory = std::deque<OffsetPoint>;
    static constexpr size_t kHistoryPoints = 64;
    static constexpr qint64 kHistoryMs = 3600 * 1000;

    /// Adds a poll's high watermark to a partition's history, keeping it bounded to kHistoryPoints and kHistoryMs.
    static void recordHighWatermark(OffsetHistory& history, qint64 timeMs, int64_t high);
    /// Seconds the committed offset is behind, from the history; nullopt with fewer than two points.
    static std::optional<double> estimateTimeLagSeconds(const OffsetHistory& history, int64_t committed, qint64 nowMs);

    static constexpr int kDeletedGroupPolls = 3;
    /// Records whose timestamp one poll may read to date a committed offset older than the watermark history.
    static constexpr int kRecordReadsPerPoll = 500;
    /// Groups whose old offsets one poll may date from the ledger's high-watermark history, and how far back.
    static constexpr int kLedgerLookupsPerPoll = 50;
    static constexpr qint64 kLedgerLookBackMs = 24LL * 3600 * 1000;

    /// Whether a group id is watched: matches an include pattern (any, when there are none) and no exclude
    /// pattern; with no patterns at all, internal groups (ids starting with `_`) are left out.
    static bool groupWatched(const QString& group, const std::vector<QRegularExpression>& include,
        const std::vector<QRegularExpression>& exclude);

    /// The recovery ledger, read for the audit log's replays (an explained REWOUND). Optional; set before polling.
    void setLedger(std::shared_ptr<class Ledger> ledger);

private:
    KafkaSource(SourceConfig config, std::vector<SignalConfig> signalConfigs);

    bool watchesGroups() const { return m_watchAllGroups; }
    void pollGroups(PollResult& result, const std::map<QString, int32_t>& partitionCount, qint64 deadlineMs);

    struct Clients;
    std::unique_ptr<Clients> m_clients;
    std::map<std::pair<QString, int32_t>, OffsetHistory> m_history;

    struct WatchedGroup
    {
        QString state;
        int missingPolls = 0; // polls since the cluster last listed it
        GroupLag last; // what the latest poll that read it found
        std::map<std::pair<QString, int32_t>, std::deque<LagPoint>> windows;
    };
    bool m_watchAllGroups = false;
    std::vector<QRegularExpression> m_include;
    std::vector<QRegularExpression> m_exclude;
    int m_windowPolls = LagEvaluator::kDefaultWindowPolls;
    bool m_readConsumerOffsets = true; // commit times and offsets from __consumer_offsets, not OffsetFetch
    std::map<QString, WatchedGroup> m_groups;
    std::shared_ptr<class Ledger> m_ledger;
};

} // namespace pw
