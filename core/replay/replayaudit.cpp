// The audited side of execution: kept apart from replayexecutor.cpp so the executor links without the ledger.
#include "ledger/ledger.h"
#include "replay/replayexecutor.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace pw {

Result<AuditedExecution> executeAudited(KafkaAdmin& admin, Ledger& ledger, AuditEntry entry, const ReplayPlan& plan,
    const PreflightResult& preflight, const ExecuteOptions& options)
{
    entry.atMs = QDateTime::currentMSecsSinceEpoch();
    entry.planHash = plan.hash;
    entry.group = plan.group;
    if (entry.target.isEmpty())
        entry.target = plan.target;
    entry.outcome = QStringLiteral("started");
    QJsonObject planJson = plan.toJsonSummary();
    const QJsonArray checks = preflight.toJson();
    // The "before" offsets are in the entry before anything changes, so even a process killed mid-way leaves
    // enough to undo by hand.
    std::vector<PartitionOutcome> pending;
    pending.reserve(plan.partitions.size());
    for (const auto& p : plan.partitions)
        pending.push_back(
            {p.topic, p.partition, p.committed, p.target, -1, PartitionOutcome::State::NotAttempted, false});
    auto compose = [&](QJsonObject head, const std::vector<PartitionOutcome>& partitions) -> QByteArray {
        head.insert(QStringLiteral("plan"), planJson);
        head.insert(QStringLiteral("preflight"), checks);
        QByteArray text = QJsonDocument(head).toJson(QJsonDocument::Compact);
        text.chop(1); // the closing brace: the partitions follow, written directly
        return text + ",\"partitions\":" + partitionOutcomesJson(partitions) + '}';
    };
    Result<qint64> id;
    {
        ReplayPhaseTimer t(options.timings, "audit: started entry");
        entry.details = compose(QJsonObject {{QStringLiteral("outcome"), entry.outcome}}, pending);
        id = ledger.appendAudit(entry);
    }
    if (!id)
        return fail(id.error().code,
            QStringLiteral("the audit log cannot be written, so nothing was executed: %1").arg(id.error().message));

    AuditedExecution result;
    result.auditId = *id;
    result.report = executeReplayPlan(admin, plan, options);
    QJsonObject execution {
        {QStringLiteral("outcome"), result.report.outcome},
        {QStringLiteral("error"), result.report.error},
        {QStringLiteral("batches"), result.report.batches},
        {QStringLiteral("batches_done"), result.report.batchesDone},
        {QStringLiteral("recheck"), result.report.recheck.sentence},
    };
    ReplayPhaseTimer t(options.timings, "audit: outcome");
    auto updated = ledger.updateAuditOutcome(*id, result.report.outcome, compose(execution, result.report.partitions));
    if (!updated)
        result.auditError = updated.error().toString();
    return result;
}

Result<std::vector<PartitionTarget>> undoTargets(const AuditEntry& entry)
{
    const QJsonDocument doc = QJsonDocument::fromJson(entry.details);
    const QJsonArray parts = doc.object().value(QStringLiteral("partitions")).toArray();
    if (entry.outcome == QLatin1String("started"))
        return fail(Error::Code::Refused,
            QStringLiteral("audit entry %1 is still \"started\": its outcome was never recorded (the process ended "
                           "mid-way?); read its plan with pathwatch audit and reset from a file instead")
                .arg(entry.id));
    std::vector<PartitionTarget> targets;
    for (const auto& v : parts) {
        const QJsonObject p = v.toObject();
        const QString state = p.value(QStringLiteral("state")).toString();
        const qint64 before = std::max<qint64>(-1, p.value(QStringLiteral("before")).toInteger(-1));
        // before -1: the partition had no committed offset, and undo deletes the one the replay gave it.
        if (state == QLatin1String("not-attempted"))
            continue;
        targets.push_back({p.value(QStringLiteral("topic")).toString(),
            int32_t(p.value(QStringLiteral("partition")).toInt()), before});
    }
    if (targets.empty())
        return fail(Error::Code::Refused,
            QStringLiteral("audit entry %1 (%2) changed no partition: nothing to undo")
                .arg(entry.id)
                .arg(entry.outcome));
    return targets;
}

} // namespace pw
