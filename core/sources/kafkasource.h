#pragma once

#include "sources/source.h"

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

    struct OffsetPoint
    {
        qint64 timeMs = 0;
        int64_t offset = 0;
    };
    using OffsetHistory = std::deque<OffsetPoint>;
    static constexpr size_t kHistoryPoints = 64;
    static constexpr qint64 kHistoryMs = 3600 * 1000;

    /// Adds a poll's high watermark to a partition's history, keeping it bounded to kHistoryPoints and kHistoryMs.
    static void recordHighWatermark(OffsetHistory& history, qint64 timeMs, int64_t high);
    /// Seconds the committed offset is behind, from the history; nullopt with fewer than two points.
    static std::optional<double> estimateTimeLagSeconds(const OffsetHistory& history, int64_t committed, qint64 nowMs);

private:
    KafkaSource(SourceConfig config, std::vector<SignalConfig> signalConfigs);

    struct Clients;
    std::unique_ptr<Clients> m_clients;
    std::map<std::pair<QString, int32_t>, OffsetHistory> m_history;
};

} // namespace pw
