#pragma once

#include "ledger/ledger.h"
#include "model/error.h"
#include "replay/flinkrecovery.h"
#include "replay/replayexecutor.h"
#include "replay/replaypreview.h"

#include <QJsonObject>
#include <QString>

#include <functional>
#include <optional>

namespace pw {

class KafkaAdmin;

/// A running Flink job stopped with a savepoint so its group can be reset (DESIGN.md, "Stream jobs are Flink-like").
struct JobStoppedForReplay
{
    /// Set when the replay would be refused for another reason than the running job: nothing was stopped.
    std::optional<PreflightResult> refused;
    FlinkJobCheck check; // the job as REST sees it after the stop, with stoppedWithSavepoint set
    QJsonObject steps; // {"stopped_job", "savepoint"} for the audit entry's "flink" details
};

/// Checks everything else first (a dry run as if the job were stopped must pass preflight), then stops `running`
/// with a savepoint. Fails when the dry run or the stop fails (nothing else changed).
Result<JobStoppedForReplay> stopJobForReplay(KafkaAdmin& admin, Ledger* ledger, const ReplayRequest& request,
    const FlinkRecovery& flink, const FlinkJobCheck& running);

/// Starts the job again after a verified reset — without state from the group's offsets, or from `savepoint` — and
/// adds started_job/started_from (or start_error) to `steps`. Returns the new job's id.
Result<QString> startJobAfterReplay(
    const FlinkRecovery& flink, const std::optional<QString>& savepoint, QJsonObject& steps);

/// Adds the Flink steps to the details of audit entry `auditId` (its outcome unchanged).
void recordFlinkSteps(Ledger& ledger, qint64 auditId, const QJsonObject& steps);

/// The whole recovery of a Flink job's group, as `pathwatch replay --stop-job --start-job --execute` runs it: stop the
/// running job with a savepoint (after a dry run that must pass), preview the reset, execute it audited, start the job
/// again from the group's offsets (or from `startFromSavepoint`, to undo), and record every step in the audit entry.
/// `entry` gives actor, source, cluster, target text, reason and undoOf. Blocking.
struct FlinkReplayResult
{
    ReplayPreview preview;
    std::optional<AuditedExecution> executed; // unset when refused before executing
    QJsonObject steps; // the "flink" details
    QString startedJob; // empty when not started
    int exitCode = 0; // as `pathwatch replay`: 0 done, 5 refused, 6 failed
    QString message; // why, when exitCode is not 0
};
Result<FlinkReplayResult> runFlinkReplay(KafkaAdmin& admin, Ledger& ledger, ReplayRequest request,
    const FlinkRecovery& flink, AuditEntry entry, const std::function<void(const QString&)>& progress = {},
    const std::optional<QString>& startFromSavepoint = std::nullopt);

} // namespace pw
