#include "replay/flinkreplay.h"

#include "instance/exitcodes.h"

#include <QJsonDocument>

namespace pw {

Result<JobStoppedForReplay> stopJobForReplay(KafkaAdmin& admin, Ledger* ledger, const ReplayRequest& request,
    const FlinkRecovery& flink, const FlinkJobCheck& running)
{
    // Everything else is checked before the job is touched: a replay refused for another reason stops nothing.
    auto dry = previewReplay(admin, ledger, request);
    if (!dry)
        return std::unexpected(dry.error());
    JobStoppedForReplay stopped;
    if (!dry->preflight.passed) {
        stopped.refused = dry->preflight;
        stopped.check = running;
        return stopped;
    }
    auto savepoint = flink.stopWithSavepoint(running.jobId);
    if (!savepoint) {
        Error e = savepoint.error();
        e.message
            = QStringLiteral("the job could not be stopped with a savepoint: %1 — nothing was changed").arg(e.message);
        return std::unexpected(e);
    }
    stopped.steps.insert(QStringLiteral("stopped_job"), running.jobId);
    stopped.steps.insert(QStringLiteral("savepoint"), *savepoint);
    stopped.check = flink.check();
    // Stopped a moment ago: its last commits in the ledger are the ones the savepoint holds.
    stopped.check.stoppedWithSavepoint = *savepoint;
    return stopped;
}

Result<QString> startJobAfterReplay(
    const FlinkRecovery& flink, const std::optional<QString>& savepoint, QJsonObject& steps)
{
    auto started = flink.start(savepoint);
    if (!started) {
        steps.insert(QStringLiteral("start_error"), started.error().toString());
        return std::unexpected(started.error());
    }
    steps.insert(QStringLiteral("started_job"), *started);
    steps.insert(
        QStringLiteral("started_from"), savepoint ? *savepoint : QStringLiteral("the group's committed offsets"));
    return *started;
}

void recordFlinkSteps(Ledger& ledger, qint64 auditId, const QJsonObject& steps)
{
    if (auto stored = ledger.auditEntry(auditId); stored && *stored) {
        QJsonObject details = QJsonDocument::fromJson((*stored)->details).object();
        details.insert(QStringLiteral("flink"), steps);
        (void)ledger.updateAuditOutcome(
            auditId, (*stored)->outcome, QJsonDocument(details).toJson(QJsonDocument::Compact));
    }
}

Result<FlinkReplayResult> runFlinkReplay(KafkaAdmin& admin, Ledger& ledger, ReplayRequest request,
    const FlinkRecovery& flink, AuditEntry entry, const std::function<void(const QString&)>& progress,
    const std::optional<QString>& startFromSavepoint)
{
    auto say = [&](const QString& line) {
        if (progress)
            progress(line);
    };
    FlinkReplayResult result;
    FlinkJobCheck check = flink.check();
    if (check.state == QLatin1String("RUNNING")) {
        say(QStringLiteral("checking again before stopping Flink job %1").arg(check.jobId));
        auto stopped = stopJobForReplay(admin, &ledger, request, flink, check);
        if (!stopped)
            return std::unexpected(stopped.error());
        if (stopped->refused) {
            result.preview.preflight = *stopped->refused;
            result.exitCode = kExitRefused;
            result.message = stopped->refused->refusal();
            return result;
        }
        result.steps = stopped->steps;
        check = stopped->check;
        say(QStringLiteral("stopped Flink job %1 with savepoint %2")
                .arg(check.jobId, result.steps.value(QStringLiteral("savepoint")).toString()));
    } else if (auto filled = fillRecentCommits(
                   ledger, request.context.sourceId, request.context.group, request.context.nowMs, 3, check);
               !filled) {
        check.stateError = filled.error().toString();
    }
    request.flink = check;
    auto preview = previewReplay(admin, &ledger, request);
    if (!preview)
        return std::unexpected(preview.error());
    result.preview = std::move(*preview);
    entry.group = request.context.group;
    entry.target = result.preview.plan.target.isEmpty() ? entry.target : result.preview.plan.target;
    if (!result.preview.preflight.passed) {
        result.exitCode = kExitRefused;
        result.message = result.preview.preflight.refusal();
        if (!result.steps.isEmpty()) {
            AuditEntry stopped = entry;
            stopped.outcome = QStringLiteral("refused");
            stopped.details = QJsonDocument(QJsonObject {{QStringLiteral("flink"), result.steps},
                                                {QStringLiteral("preflight"), result.preview.preflight.toJson()}})
                                  .toJson(QJsonDocument::Compact);
            (void)ledger.appendAudit(stopped);
        }
        return result;
    }
    say(QStringLiteral("resetting group %1 to %2").arg(request.context.group, result.preview.plan.target));
    auto executed = executeAudited(admin, ledger, entry, result.preview.plan, result.preview.preflight);
    if (!executed)
        return std::unexpected(executed.error());
    result.executed = std::move(*executed);
    result.exitCode = result.executed->report.exitCode();
    if (result.executed->report.outcome == QLatin1String("executed-verified")) {
        auto started = startJobAfterReplay(flink, startFromSavepoint, result.steps);
        if (started) {
            result.startedJob = *started;
            say(startFromSavepoint
                    ? QStringLiteral("started Flink job %1 from savepoint %2").arg(*started, *startFromSavepoint)
                    : QStringLiteral("started Flink job %1 from the group's committed offsets (without state)")
                          .arg(*started));
        } else {
            result.exitCode = kExitFailed;
            result.message = QStringLiteral("the offsets are reset and verified, but the job did not start: %1")
                                 .arg(started.error().toString());
        }
    } else {
        result.message = result.executed->report.error;
    }
    recordFlinkSteps(ledger, result.executed->auditId, result.steps);
    return result;
}

} // namespace pw
