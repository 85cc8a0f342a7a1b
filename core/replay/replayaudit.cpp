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
    QJsonObject details {{QStringLiteral("plan"), plan.toJson()}, {QStringLiteral("preflight"), preflight.toJson()}};
    entry.details = QJsonDocument(details).toJson(QJsonDocument::Compact);
    auto id = ledger.appendAudit(entry);
    if (!id)
        return fail(id.error().code,
            QStringLiteral("the audit log cannot be written, so nothing was executed: %1").arg(id.error().message));

    AuditedExecution result;
    result.auditId = *id;
    result.report = executeReplayPlan(admin, plan, options);
    // The plan is kept beside the outcome: an undo needs the before offsets, a reader the whole story.
    QJsonObject execution = result.report.toJson();
    details.insert(QStringLiteral("partitions"), execution.take(QStringLiteral("partitions")));
    for (auto it = execution.begin(); it != execution.end(); ++it)
        details.insert(it.key(), it.value());
    details.remove(QStringLiteral("plan"));
    details.insert(QStringLiteral("plan_totals"),
        QJsonObject {{QStringLiteral("to_replay"), qint64(plan.totalToReplay)},
            {QStringLiteral("to_skip"), qint64(plan.totalToSkip)}, {QStringLiteral("lost"), qint64(plan.totalLost)},
            {QStringLiteral("partitions"), qint64(plan.partitions.size())}});
    auto updated
        = ledger.updateAuditOutcome(*id, result.report.outcome, QJsonDocument(details).toJson(QJsonDocument::Compact));
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
        const qint64 before = p.value(QStringLiteral("before")).toInteger(-1);
        if (state == QLatin1String("not-attempted") || before < 0)
            continue;
        targets.push_back({p.value(QStringLiteral("topic")).toString(),
            int32_t(p.value(QStringLiteral("partition")).toInt()), before});
    }
    if (targets.empty())
        return fail(Error::Code::Refused,
            QStringLiteral("audit entry %1 (%2) changed no partition that had a committed offset before: nothing to "
                           "undo")
                .arg(entry.id)
                .arg(entry.outcome));
    return targets;
}

} // namespace pw
