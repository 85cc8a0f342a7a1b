#pragma once

#include "config/config.h"
#include "model/consumerlag.h"
#include "model/error.h"
#include "model/observations.h"
#include "model/sample.h"

#include <functional>
#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace pw {

class HttpClient;

/// What one poll of a source produced: samples for its signals, or an error that turns them STALE.
/// A partial failure (one of several queries failed) is reported per signal in `signalErrors`.
struct PollResult
{
    std::vector<Sample> samples;
    std::optional<Error> error; // the whole source failed
    std::vector<std::pair<QString, Error>> signalErrors; // signalId → error, the rest of the poll is good
    /// Raw observations for the recovery ledger (kafka: offsets per group/partition; flink: checkpoint history).
    QString clusterId; // the id Kafka reports for its cluster; empty for other kinds
    std::vector<OffsetObservation> offsets;
    std::vector<CheckpointObservation> checkpoints;
    /// kafka sources watching `groups`: every group's lag, time lag, rates and verdict (null for other sources).
    LagReportPtr lag;
};

/// Services a source may use during a poll. All live on the engine's worker threads.
struct PollContext
{
    boost::asio::io_context* io = nullptr;
    HttpClient* http = nullptr;
    /// Runs blocking work (SQL, librdkafka admin calls) on a separate pool so the I/O threads never block.
    std::function<void(std::function<void()>)> runBlocking;
};

/// One configured source. Created on the engine thread; `poll` is called on a worker thread, never twice at once
/// for the same source; it must call `done` exactly once, on any thread, by the source's timeout at the latest
/// (the engine also enforces the timeout and ignores a late answer).
class Source
{
public:
    Source(SourceConfig config, std::vector<SignalConfig> signalConfigs)
        : m_config(std::move(config))
        , m_signals(std::move(signalConfigs))
    { }
    virtual ~Source() = default;
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;

    const SourceConfig& config() const { return m_config; }
    const std::vector<SignalConfig>& signalConfigs() const { return m_signals; }
    QString id() const { return m_config.id; }
    /// The endpoint as it may be shown: no credentials.
    virtual QString endpoint() const { return m_config.http.url; }

    virtual void poll(PollContext& context, std::function<void(PollResult)> done) = 0;

protected:
    SourceConfig m_config;
    std::vector<SignalConfig> m_signals;
};

/// Builds the source for a config entry; an unknown kind or bad parameters give an error naming the source.
Result<std::unique_ptr<Source>> createSource(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);

} // namespace pw
