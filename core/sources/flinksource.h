#pragma once

#include "sources/source.h"

#include <QJsonObject>

#include <mutex>

namespace pw {

/// Flink checkpoints through its REST API: `GET /jobs/overview` to find the job (by `job_id` or `job_name`), then
/// `GET /jobs/:jobid/checkpoints`. Signals: checkpoint_age (now − latest completed checkpoint's last ack),
/// checkpoint_duration (its end-to-end duration), failed_checkpoints (failed in `window`, default 10m, from
/// history), job_state (0 RUNNING; 1 CREATED/INITIALIZING/RESTARTING/RECONCILING/SUSPENDED; 2
/// FAILING/FAILED/CANCELLING/ CANCELED/FINISHED). A job with no completed checkpoint yet reports the time since it
/// started as its age. poll() is asynchronous on the engine's io threads; pure JSON interpretation is in static
/// functions for tests.
class FlinkSource : public Source
{
public:
    static Result<std::unique_ptr<Source>> create(
        const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);
    void poll(PollContext& context, std::function<void(PollResult)> done) override;

    struct JobRef
    {
        QString id;
        QString name;
        QString state;
        qint64 startTimeMs = -1;
    };
    /// Picks the job from a /jobs/overview body: by id, else by name (preferring a RUNNING one, then the newest).
    static Result<JobRef> selectJob(const QByteArray& overviewBody, const QString& jobId, const QString& jobName);
    /// Samples for `signals` from a /jobs/:id/checkpoints body.
    static PollResult interpret(const JobRef& job, const QByteArray& checkpointsBody,
        const std::vector<SignalConfig>& signalConfigs, qint64 nowMs);
    static int jobStateCode(const QString& state);

private:
    using Source::Source;
};

} // namespace pw
