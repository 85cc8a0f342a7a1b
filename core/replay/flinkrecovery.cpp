#include "replay/flinkrecovery.h"

namespace pw {

FlinkRecovery::FlinkRecovery(replay::FlinkClient client, RecoveryConfig recovery)
    : m_client(std::move(client))
    , m_recovery(std::move(recovery))
{ }

Result<FlinkRecovery> FlinkRecovery::create(const PipelineConfig& config, const RecoveryConfig& recovery)
{
    const SourceConfig* source = config.findSource(recovery.flinkSourceId);
    if (recovery.flinkSourceId.isEmpty() || !source)
        return fail(
            Error::Code::Config, QStringLiteral("the recovery of group %1 names no flink source").arg(recovery.group));
    replay::FlinkClient::Options options;
    options.baseUrl = source->http.url;
    options.requestTimeout = std::chrono::milliseconds(std::max<qint64>(source->timeoutMs, 5000));
    // Auth, custom headers, TLS and the proxy all come with the source's HTTP options.
    options.http = source->http;
    return FlinkRecovery(replay::FlinkClient(options), recovery);
}

FlinkJobCheck FlinkRecovery::check() const
{
    FlinkJobCheck check;
    check.jobId = m_recovery.jobId;
    check.jobName = m_recovery.jobName;
    if (!m_recovery.jobId.isEmpty()) {
        auto job = m_client.job(m_recovery.jobId);
        if (!job) {
            check.stateError = job.error().toString();
            return check;
        }
        check.state = job->state;
        check.jobName = job->name;
        return check;
    }
    auto job = m_client.jobNamed(m_recovery.jobName);
    if (!job) {
        check.stateError = job.error().toString();
    } else if (!*job) {
        check.state = QStringLiteral("NOT LISTED"); // no job of that name: nothing consumes through the group
    } else {
        check.jobId = (*job)->id;
        check.state = (*job)->state;
    }
    return check;
}

Result<QString> FlinkRecovery::stopWithSavepoint(const QString& jobId) const
{
    // No target directory: the cluster's configured savepoint directory, as `flink stop` does.
    return m_client.stopWithSavepoint(jobId, {});
}

Result<QString> FlinkRecovery::start(const std::optional<QString>& savepoint) const
{
    return m_client.runJar(m_recovery.jarId, m_recovery.programArgs, savepoint);
}

} // namespace pw
