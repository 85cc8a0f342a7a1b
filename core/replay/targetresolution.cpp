// Resolution of the targets that ask Kafka (offsets for times) or the ledger (positions, incidents, checkpoints).
// Kept apart from replaytarget.cpp so the pure parsing links without the ledger.
#include "ledger/ledger.h"
#include "replay/replaytarget.h"

#include <QDateTime>

#include <map>

namespace pw {

namespace {

QString describeTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

std::unexpected<Error> refused(const QString& message)
{
    return fail(Error::Code::Refused, message);
}

/// Targets from ledger rows: every existing partition of the scope needs a row with a committed offset.
Result<std::vector<PartitionTarget>> fromRows(
    const std::vector<LedgerOffsetRow>& rows, const std::vector<ScopePartition>& partitions, const QString& what)
{
    TopicPartitionMap<int64_t> byPartition;
    for (const auto& r : rows)
        if (r.committedOffset >= 0)
            byPartition[{r.topic, r.partition}] = r.committedOffset;
    std::vector<PartitionTarget> out;
    QStringList missing;
    for (const auto& p : partitions) {
        if (!p.exists)
            continue;
        const auto it = byPartition.find({p.topic, p.partition});
        if (it == byPartition.end()) {
            missing << QStringLiteral("%1 [%2]").arg(p.topic).arg(p.partition);
            continue;
        }
        out.push_back({p.topic, p.partition, std::min(it->second, p.highWatermark)});
    }
    if (!missing.isEmpty())
        return refused(QStringLiteral("the ledger does not cover %1 for %2 of %3 partitions: %4")
                           .arg(what)
                           .arg(missing.size())
                           .arg(partitions.size())
                           .arg(missing.mid(0, 10).join(QStringLiteral(", "))
                               + (missing.size() > 10 ? QStringLiteral(", …") : QString())));
    return out;
}

Result<std::vector<PartitionTarget>> positionAt(Ledger& ledger, const ReplayContext& context,
    const std::vector<ScopePartition>& partitions, qint64 atMs, const QString& what)
{
    auto rows = ledger.committedOffsetsAt(context.sourceId, context.group, atMs);
    if (!rows) {
        if (rows.error().code == Error::Code::NotFound)
            return refused(QStringLiteral("the ledger does not cover %1: it holds no committed offset of group %2 "
                                          "(source %3) at or before it")
                               .arg(what, context.group, context.sourceId));
        return std::unexpected(rows.error());
    }
    return fromRows(*rows, partitions, what);
}

Result<std::vector<PartitionTarget>> checkpointTarget(Ledger& ledger, const ReplayTarget& target,
    const ReplayContext& context, const std::vector<ScopePartition>& partitions)
{
    if (context.flinkSourceId.isEmpty() || context.jobId.isEmpty())
        return fail(Error::Code::Config,
            QStringLiteral("--to-checkpoint needs the Flink source and job whose checkpoints the ledger holds "
                           "(--flink-source ID --job JOBID)"));
    // Newest first; the next checkpoint after ours bounds the window in which the group's commit shows.
    auto history = ledger.checkpointsBefore(context.flinkSourceId, context.jobId, context.nowMs + 1, 100000);
    if (!history)
        return std::unexpected(history.error());
    std::vector<CheckpointObservation> completed;
    for (const auto& row : *history)
        if (row.checkpoint.status == QLatin1String("COMPLETED") && row.checkpoint.completionMs > 0)
            completed.push_back(row.checkpoint);
    std::sort(completed.begin(), completed.end(),
        [](const auto& a, const auto& b) { return a.completionMs < b.completionMs; });
    auto chosen = completed.end();
    if (target.checkpointId > 0)
        chosen = std::find_if(
            completed.begin(), completed.end(), [&](const auto& c) { return c.checkpointId == target.checkpointId; });
    else if (!completed.empty())
        chosen = completed.end() - 1;
    if (chosen == completed.end())
        return refused(target.checkpointId > 0
                ? QStringLiteral("the ledger holds no completed checkpoint %1 of job %2")
                      .arg(target.checkpointId)
                      .arg(context.jobId)
                : QStringLiteral("the ledger holds no completed checkpoint of job %1").arg(context.jobId));
    const qint64 fromMs = chosen->completionMs;
    const qint64 toMs = chosen + 1 != completed.end() ? (chosen + 1)->completionMs : context.nowMs + 1;
    const QString what
        = QStringLiteral("checkpoint %1 (completed %2)").arg(chosen->checkpointId).arg(describeTime(fromMs));
    auto rows = ledger.offsetHistory(context.sourceId, context.group, fromMs, toMs - 1);
    if (!rows)
        return std::unexpected(rows.error());
    if (rows->empty())
        return refused(QStringLiteral("the ledger has no offsets row of group %1 between %2 and the next checkpoint")
                           .arg(context.group, what));
    // The first row of each partition after the completion is what the checkpoint committed; a partition with no
    // row in the window did not change, so the newest row before it still holds.
    std::vector<LedgerOffsetRow> firstAfter;
    TopicPartitionMap<bool> seen;
    for (const auto& r : *rows)
        if (seen.emplace(std::make_pair(r.topic, r.partition), true).second)
            firstAfter.push_back(r);
    if (auto before = ledger.committedOffsetsAt(context.sourceId, context.group, fromMs))
        for (const auto& r : *before)
            if (seen.emplace(std::make_pair(r.topic, r.partition), true).second)
                firstAfter.push_back(r);
    return fromRows(firstAfter, partitions, what);
}

} // namespace

Result<std::vector<PartitionTarget>> resolveReplayTarget(const ReplayTarget& target, const ReplayContext& context,
    const std::vector<ScopePartition>& partitions, KafkaAdmin& admin, Ledger* ledger)
{
    using Kind = ReplayTarget::Kind;
    if (target.needsLedger() && !ledger)
        return refused(QStringLiteral("%1 needs the recovery ledger, which cannot be read").arg(target.text));
    switch (target.kind) {
    case Kind::Datetime: {
        std::map<QString, std::vector<std::pair<int32_t, int64_t>>> byTopic;
        for (const auto& p : partitions)
            if (p.exists)
                byTopic[p.topic].emplace_back(p.partition, target.timeMs);
        TopicPartitionMap<int64_t> found;
        for (const auto& [topic, request] : byTopic) {
            auto offsets = admin.offsetsForTimes(topic, request);
            if (!offsets)
                return std::unexpected(offsets.error());
            for (const auto& o : *offsets)
                found[{o.topic, o.partition}] = o.offset;
        }
        std::vector<PartitionTarget> out;
        for (const auto& p : partitions) {
            if (!p.exists)
                continue;
            const auto it = found.find({p.topic, p.partition});
            // No record at or after T: the end of the log, as kafka-consumer-groups does.
            const int64_t offset = it != found.end() && it->second >= 0 ? it->second : p.highWatermark;
            out.push_back({p.topic, p.partition, offset});
        }
        return out;
    }
    case Kind::PositionAt:
        return positionAt(*ledger, context, partitions, target.timeMs, describeTime(target.timeMs));
    case Kind::LastTrusted: {
        Result<std::optional<Incident>> incident = target.incidentId > 0
            ? ledger->incident(target.incidentId)
            : ledger->newestOpenIncident(context.incidentStages);
        if (!incident)
            return std::unexpected(incident.error());
        if (!*incident)
            return refused(target.incidentId > 0
                    ? QStringLiteral("the ledger has no incident %1").arg(target.incidentId)
                    : QStringLiteral("no incident is open: name one with --incident ID (see the ledger's incidents)"));
        const Incident& i = **incident;
        return positionAt(*ledger, context, partitions, i.startMs - 1,
            QStringLiteral("the moment before incident %1 (stage %2) began at %3")
                .arg(i.id)
                .arg(i.stageId, describeTime(i.startMs)));
    }
    case Kind::Checkpoint:
        return checkpointTarget(*ledger, target, context, partitions);
    default:
        return resolveLocalTarget(target, partitions);
    }
}

} // namespace pw
