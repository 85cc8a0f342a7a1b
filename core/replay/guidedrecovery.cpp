#include "replay/guidedrecovery.h"

#include "instance/exitcodes.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>

namespace pw {

namespace {

Error withClientError(Error e, KafkaAdmin& admin)
{
    if (const QString why = admin.takeClientError(); !why.isEmpty())
        e.message += QStringLiteral(" (%1)").arg(why);
    return e;
}

} // namespace

Result<std::shared_ptr<GuidedRecovery>> GuidedRecovery::create(GuidedRecoverySetup setup)
{
    if (!setup.config)
        return fail(Error::Code::Config, QStringLiteral("no configuration to recover with"));
    const RecoveryConfig* recovery = setup.config->findRecovery(setup.group);
    if (!recovery)
        return fail(Error::Code::Config,
            QStringLiteral("%1 has no `recovery:` entry for group %2: add one (kafka source, and for a Flink job its "
                           "flink source, job and jar) to recover it")
                .arg(setup.config->filePath, setup.group));
    const SourceConfig* kafka = setup.config->findSource(recovery->kafkaSourceId);
    if (!kafka || kafka->kind != QLatin1String("kafka"))
        return fail(Error::Code::Config,
            QStringLiteral("the recovery entry of group %1 names no kafka source").arg(setup.group));
    if (!setup.ledger)
        return fail(Error::Code::Io,
            QStringLiteral("the recovery ledger is not available: a recovery needs it for its audit log"));

    std::shared_ptr<GuidedRecovery> guided(new GuidedRecovery);
    guided->m_recovery = *recovery;
    if (!recovery->flinkSourceId.isEmpty()) {
        auto flink = FlinkRecovery::create(*setup.config, *recovery);
        if (!flink)
            return std::unexpected(flink.error());
        guided->m_flink.emplace(std::move(*flink));
    }
    bool upstreamSeen = false;
    for (const auto& stage : setup.config->stages) {
        if (upstreamSeen) {
            guided->m_downstream.push_back(stage.id);
            continue;
        }
        for (const auto& signal : stage.signalConfigs)
            upstreamSeen = upstreamSeen || signal.sourceId == kafka->id;
    }
    KafkaAdminConfig admin;
    admin.timeout = std::chrono::milliseconds(15000);
    // A replay must never create what it looks at.
    admin.properties = {{QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}};
    admin.bootstrapServers = kafka->options.value(QStringLiteral("bootstrap_servers")).toString().trimmed();
    const QVariantMap properties = kafka->options.value(QStringLiteral("properties")).toMap();
    for (auto it = properties.cbegin(); it != properties.cend(); ++it)
        admin.properties.emplace_back(it.key(), it.value().toString());
    auto created = KafkaAdmin::create(admin);
    if (!created)
        return std::unexpected(created.error());
    guided->m_admin = std::shared_ptr<KafkaAdmin>(std::move(*created));
    guided->m_bootstrapServers = admin.bootstrapServers;
    guided->m_setup = std::move(setup);
    return guided;
}

qint64 GuidedRecovery::replayFromMs(qint64 lastTrustedMs)
{
    return (lastTrustedMs / 60000 - 1) * 60000;
}

ReplayTarget GuidedRecovery::targetFrom(qint64 fromMs)
{
    ReplayTarget target;
    target.kind = ReplayTarget::Kind::Datetime;
    target.timeMs = fromMs;
    target.text
        = QStringLiteral("--to-datetime %1").arg(QDateTime::fromMSecsSinceEpoch(fromMs, Qt::UTC).toString(Qt::ISODate));
    return target;
}

Result<std::optional<Incident>> GuidedRecovery::currentIncident(qint64 sinceMs) const
{
    auto downstream = m_setup.ledger->newestOpenIncident(m_downstream);
    if (!downstream)
        return std::unexpected(downstream.error());
    if (*downstream && (*downstream)->startMs >= sinceMs)
        return *downstream;
    auto any = m_setup.ledger->newestOpenIncident({});
    if (!any)
        return std::unexpected(any.error());
    if (*any && (*any)->startMs >= sinceMs)
        return *any;
    return std::optional<Incident> {};
}

Result<qint64> GuidedRecovery::lastTrustedMs(
    const std::optional<Incident>& incident, std::optional<qint64> notAfterMs) const
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    qint64 trusted = incident ? incident->startMs : now;
    if (notAfterMs)
        trusted = std::min(trusted, *notAfterMs);
    // A job that stopped commits nothing long before a threshold trips: the last advance of the committed offsets
    // before the incident is the better bound.
    auto rows
        = m_setup.ledger->offsetHistory(m_recovery.kafkaSourceId, m_recovery.group, trusted - 15 * 60000, trusted);
    if (!rows)
        return std::unexpected(rows.error());
    std::map<std::pair<QString, int32_t>, int64_t> last;
    qint64 lastAdvanceMs = 0;
    for (const auto& r : *rows) {
        auto [it, inserted] = last.try_emplace({r.topic, r.partition}, r.committedOffset);
        if (!inserted) {
            if (r.committedOffset > it->second)
                lastAdvanceMs = r.atMs;
            it->second = r.committedOffset;
        }
    }
    if (lastAdvanceMs > 0 && incident)
        trusted = std::min(trusted, lastAdvanceMs);
    return trusted;
}

Result<GroupHistory> GuidedRecovery::history(qint64 fromMs, qint64 toMs) const
{
    GroupHistory history;
    auto rows = m_setup.ledger->offsetHistory(m_recovery.kafkaSourceId, m_recovery.group, fromMs, toMs);
    if (!rows)
        return std::unexpected(rows.error());
    // Rows come when a value changed (at least once a minute): carry each partition's newest row forward.
    std::map<std::pair<QString, int32_t>, std::pair<int64_t, int64_t>> current;
    for (size_t i = 0; i < rows->size(); ++i) {
        const auto& r = (*rows)[i];
        current[{r.topic, r.partition}]
            = {r.committedOffset, std::max<int64_t>(0, r.highWatermark - r.committedOffset)};
        if (i + 1 < rows->size() && (*rows)[i + 1].atMs == r.atMs)
            continue;
        GroupHistoryPoint point;
        point.atMs = r.atMs;
        for (const auto& [key, value] : current) {
            point.committed += std::max<int64_t>(0, value.first);
            point.lag += value.second;
        }
        history.points.push_back(point);
    }
    auto incidents = m_setup.ledger->incidents(fromMs, toMs);
    if (!incidents)
        return std::unexpected(incidents.error());
    history.incidents = std::move(*incidents);
    auto incident = currentIncident(fromMs);
    if (!incident)
        return std::unexpected(incident.error());
    history.incident = *incident;
    if (!history.incident && !history.incidents.empty())
        history.incident = *std::max_element(history.incidents.begin(), history.incidents.end(),
            [](const Incident& a, const Incident& b) { return a.startMs < b.startMs; });
    auto trusted = lastTrustedMs(history.incident);
    if (!trusted)
        return std::unexpected(trusted.error());
    history.lastTrustedMs = *trusted;
    history.replayFromMs = replayFromMs(*trusted);
    return history;
}

ReplayRequest GuidedRecovery::requestFor(const ReplayTarget& target) const
{
    ReplayRequest request;
    request.context.nowMs = QDateTime::currentMSecsSinceEpoch();
    request.context.group = m_recovery.group;
    request.context.sourceId = m_recovery.kafkaSourceId;
    request.context.incidentStages = m_downstream;
    request.target = target;
    return request;
}

AuditEntry GuidedRecovery::entryFor(const QString& target, const QString& reason) const
{
    AuditEntry entry;
    entry.actor = replayActor();
    entry.sourceId = m_recovery.kafkaSourceId;
    entry.group = m_recovery.group;
    entry.target = target;
    entry.reason = reason;
    if (auto id = m_admin->clusterId())
        entry.clusterId = *id;
    return entry;
}

namespace {

Result<RecoveryPreview> previewFor(
    KafkaAdmin& admin, Ledger& ledger, const std::optional<FlinkRecovery>& flink, ReplayRequest request)
{
    RecoveryPreview result;
    if (flink) {
        FlinkJobCheck check = flink->check();
        result.flink = check;
        if (check.state == QLatin1String("RUNNING")) {
            // As `replay --stop-job` previews it: the reset as it will be once the job is stopped.
            result.stopsJob = true;
        } else {
            if (auto filled = fillRecentCommits(
                    ledger, request.context.sourceId, request.context.group, request.context.nowMs, 3, check);
                !filled)
                check.stateError = filled.error().toString();
            request.flink = check;
        }
    }
    auto preview = previewReplay(admin, &ledger, request);
    if (!preview)
        return std::unexpected(withClientError(preview.error(), admin));
    result.replay = std::move(*preview);
    if (result.stopsJob)
        result.replay.preflight.checks.push_back({QStringLiteral("flink-job-stopped"), true,
            QStringLiteral("Flink job %1 (%2) is RUNNING: it is stopped with a savepoint first when you recover, and "
                           "started again once the reset is verified")
                .arg(result.flink->jobId, result.flink->jobName)});
    return result;
}

} // namespace

Result<RecoveryPreview> GuidedRecovery::preview(qint64 fromMs) const
{
    return previewFor(*m_admin, *m_setup.ledger, m_flink, requestFor(targetFrom(fromMs)));
}

Result<FlinkReplayResult> GuidedRecovery::run(ReplayRequest request, AuditEntry entry,
    const std::optional<QString>& savepoint, const std::function<void(const QString&)>& progress) const
{
    if (m_flink) {
        auto result = runFlinkReplay(
            *m_admin, *m_setup.ledger, std::move(request), *m_flink, std::move(entry), progress, savepoint);
        if (!result)
            return std::unexpected(withClientError(result.error(), *m_admin));
        return result;
    }
    // A plain consumer: its group must be Empty, checked by the preflight and again by the executor.
    FlinkReplayResult result;
    auto preview = previewReplay(*m_admin, m_setup.ledger.get(), request);
    if (!preview)
        return std::unexpected(withClientError(preview.error(), *m_admin));
    result.preview = std::move(*preview);
    if (!result.preview.preflight.passed) {
        result.exitCode = kExitRefused;
        result.message = result.preview.preflight.refusal();
        return result;
    }
    if (progress)
        progress(QStringLiteral("resetting group %1 to %2").arg(request.context.group, result.preview.plan.target));
    auto executed
        = executeAudited(*m_admin, *m_setup.ledger, std::move(entry), result.preview.plan, result.preview.preflight);
    if (!executed)
        return std::unexpected(executed.error());
    result.executed = std::move(*executed);
    result.exitCode = result.executed->report.exitCode();
    result.message = result.executed->report.error;
    return result;
}

Result<FlinkReplayResult> GuidedRecovery::execute(
    qint64 fromMs, const QString& reason, const std::function<void(const QString&)>& progress) const
{
    ReplayRequest request = requestFor(targetFrom(fromMs));
    AuditEntry entry = entryFor(request.target.text, reason);
    return run(std::move(request), std::move(entry), std::nullopt, progress);
}

Result<ReplayRequest> GuidedRecovery::undoRequest(qint64 auditId, QString* savepoint) const
{
    auto entry = m_setup.ledger->auditEntry(auditId);
    if (!entry)
        return std::unexpected(entry.error());
    if (!*entry)
        return fail(Error::Code::NotFound, QStringLiteral("the audit log has no entry %1").arg(auditId));
    if ((*entry)->group != m_recovery.group)
        return fail(Error::Code::Config,
            QStringLiteral("audit entry %1 is of group %2, not %3")
                .arg(auditId)
                .arg((*entry)->group, m_recovery.group));
    auto targets = undoTargets(**entry);
    if (!targets)
        return std::unexpected(targets.error());
    ReplayTarget target;
    target.kind = ReplayTarget::Kind::FromFile;
    target.text = QStringLiteral("--undo %1").arg(auditId);
    for (const auto& t : *targets)
        target.fileRows.push_back({t.topic, t.partition, t.offset});
    if (savepoint)
        *savepoint = QJsonDocument::fromJson((*entry)->details)
                         .object()
                         .value(QStringLiteral("flink"))
                         .toObject()
                         .value(QStringLiteral("savepoint"))
                         .toString();
    return requestFor(target);
}

Result<RecoveryPreview> GuidedRecovery::previewUndo(qint64 auditId) const
{
    QString savepoint;
    auto request = undoRequest(auditId, &savepoint);
    if (!request)
        return std::unexpected(request.error());
    auto preview = previewFor(*m_admin, *m_setup.ledger, m_flink, std::move(*request));
    if (!preview)
        return preview;
    preview->undoOf = auditId;
    preview->undoSavepoint = savepoint;
    return preview;
}

Result<FlinkReplayResult> GuidedRecovery::executeUndo(
    qint64 auditId, const QString& reason, const std::function<void(const QString&)>& progress) const
{
    QString savepoint;
    auto request = undoRequest(auditId, &savepoint);
    if (!request)
        return std::unexpected(request.error());
    AuditEntry entry = entryFor(request->target.text, reason);
    entry.undoOf = auditId;
    return run(std::move(*request), std::move(entry),
        savepoint.isEmpty() ? std::nullopt : std::optional<QString>(savepoint), progress);
}

std::pair<std::int64_t, std::int64_t> GuidedRecovery::touchedMinutes(qint64 fromMs, qint64 restartedMs)
{
    const std::int64_t fromMinute = fromMs / 60000 * 60;
    return {fromMinute, std::max<std::int64_t>(restartedMs / 60000 * 60, fromMinute + 60)};
}

Result<CatchUpStatus> GuidedRecovery::catchUp(qint64 restartedMs, qint64 fromMs, int64_t initialLag) const
{
    CatchUpStatus status;
    status.atMs = QDateTime::currentMSecsSinceEpoch();
    auto offsets = m_admin->listGroupOffsets(m_recovery.group);
    if (!offsets)
        return std::unexpected(withClientError(offsets.error(), *m_admin));
    auto topics = m_admin->listTopics();
    if (!topics)
        return std::unexpected(withClientError(topics.error(), *m_admin));
    std::map<QString, std::vector<KafkaAdmin::Watermarks>> marks;
    for (const auto& o : *offsets) {
        auto it = marks.find(o.topic);
        if (it == marks.end()) {
            const auto t = std::find_if(
                topics->begin(), topics->end(), [&](const KafkaAdmin::TopicInfo& i) { return i.name == o.topic; });
            if (t == topics->end())
                continue;
            auto m = m_admin->topicWatermarks(o.topic, t->partitions);
            if (!m)
                return std::unexpected(withClientError(m.error(), *m_admin));
            it = marks.emplace(o.topic, std::move(*m)).first;
        }
        if (o.partition >= 0 && size_t(o.partition) < it->second.size())
            status.lag += std::max<int64_t>(0, it->second[size_t(o.partition)].high - std::max<int64_t>(o.offset, 0));
    }
    if (canReconcile()) {
        const auto [fromMinute, toMinute] = touchedMinutes(fromMs, restartedMs);
        auto newest = newestMinuteCommittedAfter(m_setup.servingDatabase, restartedMs / 1000);
        if (!newest)
            return std::unexpected(newest.error());
        status.caughtUp = *newest >= toMinute - 60;
        status.sentence = status.caughtUp
            ? QStringLiteral("every minute up to %1 is written again").arg(minuteText(toMinute - 60))
            : QStringLiteral("waiting for the job to write minute %1 again").arg(minuteText(toMinute - 60));
    } else {
        const int64_t bound = std::max<int64_t>(1000, initialLag / 100);
        status.caughtUp = status.lag <= bound;
        status.sentence = QStringLiteral("caught up when the lag is under %1 records").arg(bound);
    }
    return status;
}

Result<ReconcileReport> GuidedRecovery::reconcile(std::int64_t fromMinute, std::int64_t toMinute) const
{
    if (!canReconcile())
        return fail(Error::Code::Config, QStringLiteral("reconciliation needs the embedded demo's serving table"));
    return reconcileServingTable(
        m_bootstrapServers, m_setup.reconcileTopic, m_setup.servingDatabase, fromMinute, toMinute);
}

Result<std::optional<AuditEntry>> GuidedRecovery::auditEntry(qint64 id) const
{
    return m_setup.ledger->auditEntry(id);
}

QString RecoveryReport::markdown() const
{
    QString md = QStringLiteral("# %1\n\n").arg(title);
    md += QStringLiteral("Result: **%1**\n\n").arg(result);
    for (const QString& fact : facts)
        md += fact + QStringLiteral("\n\n");
    if (!timeline.isEmpty())
        md += QStringLiteral("## Timeline\n\n```\n%1\n```\n\n").arg(timeline.join(QLatin1Char('\n')));
    if (plan) {
        md += QStringLiteral("## Plan\n\nGroup `%1` to `%2` (plan %3)\n\n| Topic | Partition | Committed | Target | To "
                             "replay |\n|---|---|---|---|---|\n")
                  .arg(plan->group, plan->target, plan->hash.left(12));
        for (const auto& p : plan->partitions)
            md += QStringLiteral("| %1 | %2 | %3 | %4 | %5 |\n")
                      .arg(p.topic)
                      .arg(p.partition)
                      .arg(p.committed)
                      .arg(p.target)
                      .arg(p.recordsToReplay);
        md += QLatin1Char('\n');
    }
    if (audit) {
        const QJsonObject details = QJsonDocument::fromJson(audit->details).object();
        const QJsonObject flink = details.value(QStringLiteral("flink")).toObject();
        md += QStringLiteral("## Audit entry %1\n\nOutcome `%2`, reason \"%3\", actor %4.\n\n```json\n%5\n```\n\n")
                  .arg(audit->id)
                  .arg(audit->outcome, audit->reason, audit->actor,
                      QString::fromUtf8(
                          flink.isEmpty() ? audit->details : QJsonDocument(flink).toJson(QJsonDocument::Indented)));
    }
    if (reconciliation)
        md += QStringLiteral("## Reconciliation\n\n```\n%1```\n").arg(reconciliation->toText(200));
    return md;
}

Result<void> RecoveryReport::save(const QString& path) const
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail(Error::Code::Io, QStringLiteral("cannot write the report to %1: %2").arg(path, file.errorString()));
    if (file.write(markdown().toUtf8()) < 0 || !file.flush())
        return fail(Error::Code::Io, QStringLiteral("cannot write the report to %1: %2").arg(path, file.errorString()));
    return {};
}

} // namespace pw
