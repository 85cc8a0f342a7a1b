#include "readiness/readiness.h"

#include "presentation/format.h"

#include <QJsonDocument>

#include <algorithm>

namespace pw {

QString readinessLayerId(ReadinessLayer layer)
{
    switch (layer) {
    case ReadinessLayer::KafkaSource:
        return QStringLiteral("kafka_source");
    case ReadinessLayer::StreamCompute:
        return QStringLiteral("stream_compute");
    case ReadinessLayer::ServingStore:
        return QStringLiteral("serving_store");
    case ReadinessLayer::Storage:
        return QStringLiteral("storage");
    case ReadinessLayer::Governance:
        return QStringLiteral("governance");
    case ReadinessLayer::Migration:
        return QStringLiteral("migration");
    }
    return {};
}

QString readinessLayerTitle(ReadinessLayer layer)
{
    switch (layer) {
    case ReadinessLayer::KafkaSource:
        return QStringLiteral("Kafka source");
    case ReadinessLayer::StreamCompute:
        return QStringLiteral("Stream compute");
    case ReadinessLayer::ServingStore:
        return QStringLiteral("Serving store");
    case ReadinessLayer::Storage:
        return QStringLiteral("Storage");
    case ReadinessLayer::Governance:
        return QStringLiteral("Governance");
    case ReadinessLayer::Migration:
        return QStringLiteral("Migration");
    }
    return {};
}

QString readinessLayerQuestion(ReadinessLayer layer)
{
    switch (layer) {
    case ReadinessLayer::KafkaSource:
        return QStringLiteral("Can we replay from the last trusted offset?");
    case ReadinessLayer::StreamCompute:
        return QStringLiteral("Can state recover after a restart or a code rollback?");
    case ReadinessLayer::ServingStore:
        return QStringLiteral("Can dashboards tell stale or partial data?");
    case ReadinessLayer::Storage:
        return QStringLiteral("Can retained history survive a broker replacement?");
    case ReadinessLayer::Governance:
        return QStringLiteral("Can offset changes be audited?");
    case ReadinessLayer::Migration:
        return QStringLiteral("Can old and new marts be compared before cutover?");
    }
    return {};
}

QString readinessVerdictName(ReadinessVerdict verdict)
{
    switch (verdict) {
    case ReadinessVerdict::Pass:
        return QStringLiteral("PASS");
    case ReadinessVerdict::Warn:
        return QStringLiteral("WARN");
    case ReadinessVerdict::Fail:
        return QStringLiteral("FAIL");
    case ReadinessVerdict::Unknown:
        return QStringLiteral("UNKNOWN");
    }
    return {};
}

ReadinessVerdict worseReadiness(ReadinessVerdict a, ReadinessVerdict b)
{
    auto rank = [](ReadinessVerdict v) {
        switch (v) {
        case ReadinessVerdict::Pass:
            return 0;
        case ReadinessVerdict::Warn:
            return 1;
        case ReadinessVerdict::Unknown:
            return 2;
        case ReadinessVerdict::Fail:
            return 3;
        }
        return 2;
    };
    return rank(a) >= rank(b) ? a : b;
}

ReadinessVerdict ReadinessReport::overall() const
{
    ReadinessVerdict worst = ReadinessVerdict::Pass;
    for (const LayerReadiness& l : layers)
        worst = worseReadiness(worst, l.verdict);
    return worst;
}

const LayerReadiness* ReadinessReport::layer(ReadinessLayer which) const
{
    for (const LayerReadiness& l : layers)
        if (l.layer == which)
            return &l;
    return nullptr;
}

namespace {

using V = ReadinessVerdict;

QString duration(qint64 ms)
{
    return ms < 0 ? QStringLiteral("unlimited") : formatDurationMs(ms);
}

QString bytes(qint64 n)
{
    if (n < 0)
        return QStringLiteral("unlimited");
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(n);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(QString::number(v, 'f', u == 0 ? 0 : 1), QString::fromLatin1(units[u]));
}

class Judge
{
public:
    Judge(const ReadinessEvidence& e, qint64 nowMs)
        : e(e)
        , now(nowMs)
    { }

    ReadinessReport run()
    {
        ReadinessReport report;
        report.atMs = now;
        report.configPath = e.configPath;
        report.layers.push_back(kafkaSource());
        report.layers.push_back(streamCompute());
        report.layers.push_back(servingStore());
        report.layers.push_back(storage());
        report.layers.push_back(governance());
        report.layers.push_back(migration());
        for (LayerReadiness& layer : report.layers) {
            layer.verdict = layer.findings.empty() ? V::Unknown : V::Pass;
            for (const ReadinessFinding& f : layer.findings)
                layer.verdict = worseReadiness(layer.verdict, f.verdict);
        }
        return report;
    }

private:
    const ReadinessEvidence& e;
    const qint64 now;

    static ReadinessFinding finding(V verdict, QString evidence, QString fix = {}, qint64 atMs = 0)
    {
        return {verdict, std::move(evidence), atMs, verdict == V::Pass ? QString() : std::move(fix)};
    }
    QString ago(qint64 atMs) const { return formatAgo(atMs, now); }

    std::vector<const WatchedSignal*> signalsOf(std::initializer_list<SignalKind> kinds) const
    {
        std::vector<const WatchedSignal*> out;
        for (const WatchedSignal& s : e.watchedSignals)
            if (std::find(kinds.begin(), kinds.end(), s.kind) != kinds.end())
                out.push_back(&s);
        return out;
    }

    /// "lag is alerted on": a watched signal with thresholds passes, one without is watched but never alerts.
    ReadinessFinding watched(const std::vector<const WatchedSignal*>& found, const QString& what, const QString& addFix,
        V missing = V::Fail) const
    {
        if (found.empty())
            return finding(missing, QStringLiteral("no %1 signal is watched").arg(what), addFix);
        QStringList judged, unjudged;
        for (const WatchedSignal* s : found)
            (s->hasThresholds ? judged : unjudged) << s->id;
        if (judged.isEmpty())
            return finding(V::Warn,
                QStringLiteral("%1 is watched (%2) but has no thresholds, so it never alerts")
                    .arg(what, unjudged.join(QStringLiteral(", "))),
                QStringLiteral("add `thresholds: {warn: …, crit: …}` to %1").arg(unjudged.join(QStringLiteral(", "))));
        return finding(
            V::Pass, QStringLiteral("%1 is watched with thresholds (%2)").arg(what, judged.join(QStringLiteral(", "))));
    }

    const VerificationRecord* newestPassed(const std::vector<VerificationRecord>& records) const
    {
        for (const VerificationRecord& r : records)
            if (r.passed)
                return &r;
        return nullptr;
    }

    /// The rehearsal rows: a passed one within the limit passes; a later failure is a warning of its own.
    std::vector<ReadinessFinding> rehearsalFindings(const QString& what) const
    {
        std::vector<ReadinessFinding> out;
        if (!e.ledgerError.isEmpty()) {
            out.push_back(
                finding(V::Unknown, QStringLiteral("%1: the ledger cannot be read (%2)").arg(what, e.ledgerError),
                    QStringLiteral("fix the data dir, then run `pathwatch readiness` again")));
            return out;
        }
        const QString runIt = QStringLiteral("run `pathwatch rehearse` (embedded) or a recovery drill that records "
                                             "its result");
        const VerificationRecord* passed = newestPassed(e.rehearsals);
        if (!passed) {
            out.push_back(e.rehearsals.empty()
                    ? finding(V::Fail, QStringLiteral("no %1 has been run").arg(what), runIt)
                    : finding(V::Fail,
                        QStringLiteral("no %1 has passed; the latest failed %2: %3")
                            .arg(what, ago(e.rehearsals.front().atMs), e.rehearsals.front().summary),
                        runIt, e.rehearsals.front().atMs));
            return out;
        }
        const qint64 age = now - passed->atMs;
        if (age > e.settings.rehearsalMaxAgeMs)
            out.push_back(finding(V::Warn,
                QStringLiteral("%1 passed %2 (fault %3), longer ago than %4")
                    .arg(what, ago(passed->atMs), passed->name, duration(e.settings.rehearsalMaxAgeMs)),
                runIt + QStringLiteral(" again"), passed->atMs));
        else
            out.push_back(finding(V::Pass,
                QStringLiteral("%1 passed %2: %3").arg(what, ago(passed->atMs), passed->summary), {}, passed->atMs));
        if (&e.rehearsals.front() != passed)
            out.push_back(finding(V::Warn,
                QStringLiteral("the latest rehearsal failed %1 (fault %2): %3")
                    .arg(ago(e.rehearsals.front().atMs), e.rehearsals.front().name, e.rehearsals.front().summary),
                QStringLiteral("read its report and rehearse again"), e.rehearsals.front().atMs));
        return out;
    }

    LayerReadiness kafkaSource() const
    {
        LayerReadiness l {ReadinessLayer::KafkaSource, V::Unknown, {}};
        if (e.topics.empty())
            l.findings.push_back(finding(V::Unknown,
                QStringLiteral("retention is not known: %1")
                    .arg(e.topicsError.isEmpty() ? QStringLiteral("no topic") : e.topicsError),
                QStringLiteral("name the topics under `readiness: {topics: [...]}` and a kafka source that reaches "
                               "them")));
        for (const TopicEvidence& t : e.topics) {
            if (!t.error.isEmpty()) {
                l.findings.push_back(
                    finding(V::Unknown, QStringLiteral("retention of topic %1 is not known: %2").arg(t.topic, t.error),
                        QStringLiteral("make the topic's configs readable (DescribeConfigs) by the kafka source %1")
                            .arg(t.sourceId),
                        e.collectedMs));
                continue;
            }
            if (!t.retentionMs)
                l.findings.push_back(
                    finding(V::Unknown, QStringLiteral("topic %1 reports no retention.ms").arg(t.topic),
                        QStringLiteral("check that the broker answers DescribeConfigs for topics"), e.collectedMs));
            else if (*t.retentionMs >= 0 && *t.retentionMs < e.recoveryWindowMs)
                l.findings.push_back(finding(V::Fail,
                    QStringLiteral("retention %1 < recovery window %2 on topic %3")
                        .arg(duration(*t.retentionMs), duration(e.recoveryWindowMs), t.topic),
                    QStringLiteral("raise retention.ms of %1 to at least %2 (kafka-configs --alter --add-config "
                                   "retention.ms=%3), or shorten pipeline.recovery_window")
                        .arg(t.topic, duration(e.recoveryWindowMs))
                        .arg(e.recoveryWindowMs),
                    e.collectedMs));
            else
                l.findings.push_back(finding(V::Pass,
                    QStringLiteral("retention %1 ≥ recovery window %2 on topic %3")
                        .arg(duration(*t.retentionMs), duration(e.recoveryWindowMs), t.topic),
                    {}, e.collectedMs));
            if (t.retentionBytes && *t.retentionBytes >= 0)
                l.findings.push_back(finding(V::Warn,
                    QStringLiteral("retention.bytes %1 on topic %2 may delete data younger than the recovery window")
                        .arg(bytes(*t.retentionBytes), t.topic),
                    QStringLiteral("watch replay_headroom on %1, or set retention.bytes=-1").arg(t.topic),
                    e.collectedMs));
            if (!t.cleanupPolicy.isEmpty() && t.cleanupPolicy.contains(QLatin1String("compact")))
                l.findings.push_back(finding(V::Warn,
                    QStringLiteral("topic %1 is compacted (cleanup.policy=%2): a replay sees only the newest value of "
                                   "each key")
                        .arg(t.topic, t.cleanupPolicy),
                    QStringLiteral("replay from a topic with cleanup.policy=delete"), e.collectedMs));
        }
        if (e.recoveries.empty())
            l.findings.push_back(finding(V::Fail, QStringLiteral("no `recovery:` entry: no replay can be guided"),
                QStringLiteral("add a `recovery:` entry for each consumer group that feeds the mart")));
        else {
            QStringList groups;
            for (const RecoveryConfig& r : e.recoveries)
                groups << r.group;
            l.findings.push_back(finding(
                V::Pass, QStringLiteral("recovery configured for group(s) %1").arg(groups.join(QStringLiteral(", ")))));
        }
        l.findings.push_back(watched(signalsOf({SignalKind::ConsumerLag, SignalKind::TimeLag}), QStringLiteral("lag"),
            QStringLiteral("add a consumer_lag or time_lag signal with thresholds")));
        for (ReadinessFinding& f : rehearsalFindings(QStringLiteral("replay rehearsal")))
            l.findings.push_back(std::move(f));
        return l;
    }

    LayerReadiness streamCompute() const
    {
        LayerReadiness l {ReadinessLayer::StreamCompute, V::Unknown, {}};
        if (!e.watchesStreamJob) {
            l.findings.push_back(finding(V::Unknown, QStringLiteral("no stream job is watched (no flink source)"),
                QStringLiteral("add a flink source and a checkpoint_age signal for the job")));
            return l;
        }
        l.findings.push_back(watched(signalsOf({SignalKind::CheckpointAge}), QStringLiteral("checkpoint age"),
            QStringLiteral("add a checkpoint_age signal with thresholds")));
        if (!e.ledgerError.isEmpty()) {
            l.findings.push_back(finding(V::Unknown,
                QStringLiteral("checkpoint history is not known: the ledger cannot be read (%1)").arg(e.ledgerError),
                QStringLiteral("fix the data dir")));
            return l;
        }
        const LedgerCheckpointRow* completed = nullptr;
        int failed = 0;
        for (const LedgerCheckpointRow& row : e.checkpoints) {
            const CheckpointObservation& c = row.checkpoint;
            if (c.savepoint)
                continue;
            if (c.status == QLatin1String("COMPLETED") && !completed)
                completed = &row;
            else if (c.status == QLatin1String("FAILED") && now - c.triggerMs <= e.settings.checkpointMaxAgeMs)
                ++failed;
        }
        const QString checkpointFix = QStringLiteral("run a Pathwatch (window or headless) so its ledger records the "
                                                     "job's checkpoints, and make the job checkpoint");
        if (!completed)
            l.findings.push_back(
                finding(V::Fail, QStringLiteral("no completed checkpoint in the ledger"), checkpointFix));
        else {
            const qint64 at = completed->checkpoint.completionMs;
            l.findings.push_back(finding(now - at <= e.settings.checkpointMaxAgeMs ? V::Pass : V::Warn,
                QStringLiteral("checkpoint %1 of job %2 completed %3")
                    .arg(completed->checkpoint.checkpointId)
                    .arg(completed->checkpoint.jobName, ago(at)),
                QStringLiteral("checkpoints must complete within %1: look at the job's checkpoint failures")
                    .arg(duration(e.settings.checkpointMaxAgeMs)),
                at));
        }
        if (failed > 0)
            l.findings.push_back(finding(V::Warn,
                QStringLiteral("%1 checkpoint(s) failed in the last %2")
                    .arg(failed)
                    .arg(duration(e.settings.checkpointMaxAgeMs)),
                QStringLiteral("look at the job's checkpoint failures (Flink REST /jobs/:id/checkpoints)")));

        // A savepoint is in the checkpoint history, or in the audit log of a recovery that stopped the job with one.
        qint64 savepointMs = 0;
        QString savepointWhere;
        for (const LedgerCheckpointRow& row : e.checkpoints)
            if (row.checkpoint.savepoint && row.checkpoint.status == QLatin1String("COMPLETED")
                && row.checkpoint.completionMs > savepointMs) {
                savepointMs = row.checkpoint.completionMs;
                savepointWhere = row.checkpoint.externalPath;
            }
        for (const AuditEntry& a : e.audits) {
            const QString path = QJsonDocument::fromJson(a.details)
                                     .object()
                                     .value(QStringLiteral("flink"))
                                     .toObject()
                                     .value(QStringLiteral("savepoint"))
                                     .toString();
            if (!path.isEmpty() && a.atMs > savepointMs) {
                savepointMs = a.atMs;
                savepointWhere = path;
            }
        }
        const QString savepointFix = QStringLiteral("take a savepoint (Flink REST POST /jobs/:id/savepoints) or "
                                                    "stop the job with one in a rehearsal");
        if (!savepointMs)
            l.findings.push_back(finding(V::Fail, QStringLiteral("no savepoint is known"), savepointFix));
        else
            l.findings.push_back(finding(now - savepointMs <= e.settings.savepointMaxAgeMs ? V::Pass : V::Warn,
                QStringLiteral("savepoint taken %1 (%2)").arg(ago(savepointMs), savepointWhere),
                savepointFix
                    + QStringLiteral(": the newest is older than %1").arg(duration(e.settings.savepointMaxAgeMs)),
                savepointMs));
        for (ReadinessFinding& f : rehearsalFindings(QStringLiteral("restart rehearsal")))
            l.findings.push_back(std::move(f));
        return l;
    }

    LayerReadiness servingStore() const
    {
        LayerReadiness l {ReadinessLayer::ServingStore, V::Unknown, {}};
        l.findings.push_back(watched(signalsOf({SignalKind::DashboardFreshness}), QStringLiteral("freshness"),
            QStringLiteral("add a dashboard_freshness signal (e.g. SQL max(ts)) with thresholds")));
        std::vector<const WatchedSignal*> completeness;
        for (const WatchedSignal& s : e.watchedSignals)
            if (e.settings.completenessSignals.isEmpty()
                    ? s.name.contains(QLatin1String("completeness"), Qt::CaseInsensitive)
                    : e.settings.completenessSignals.contains(s.id))
                completeness.push_back(&s);
        l.findings.push_back(watched(completeness, QStringLiteral("completeness"),
            QStringLiteral("add a signal named completeness (e.g. windows whose rows differ from what the sink "
                           "committed) or list yours in readiness.completeness_signals")));
        return l;
    }

    LayerReadiness storage() const
    {
        LayerReadiness l {ReadinessLayer::Storage, V::Unknown, {}};
        if (e.settings.sharedStorage) {
            l.findings.push_back(finding(V::Pass,
                QStringLiteral("shared/tiered storage is declared (readiness.storage: shared): retained history does "
                               "not live only on the brokers")));
            return l;
        }
        if (e.topics.empty())
            l.findings.push_back(finding(V::Unknown,
                QStringLiteral("replication is not known: %1")
                    .arg(e.topicsError.isEmpty() ? QStringLiteral("no topic") : e.topicsError),
                QStringLiteral("name the topics under `readiness: {topics: [...]}`")));
        const int wantRf = e.settings.minReplicationFactor;
        const int wantIsr = e.settings.minInsyncReplicas;
        for (const TopicEvidence& t : e.topics) {
            if (!t.error.isEmpty()) {
                l.findings.push_back(finding(V::Unknown,
                    QStringLiteral("replication of topic %1 is not known: %2").arg(t.topic, t.error),
                    QStringLiteral("make the topic readable by the kafka source %1").arg(t.sourceId), e.collectedMs));
                continue;
            }
            if (t.replicationFactor < wantRf)
                l.findings.push_back(finding(V::Fail,
                    QStringLiteral("replication factor %1 on topic %2 (%3 broker(s)) < %4")
                        .arg(t.replicationFactor)
                        .arg(t.topic)
                        .arg(t.brokers)
                        .arg(wantRf),
                    QStringLiteral("reassign %1 to %2 replicas on distinct brokers, or declare readiness.storage: "
                                   "shared when the history lives in shared/tiered storage")
                        .arg(t.topic)
                        .arg(wantRf),
                    e.collectedMs));
            else
                l.findings.push_back(finding(V::Pass,
                    QStringLiteral("replication factor %1 on topic %2").arg(t.replicationFactor).arg(t.topic), {},
                    e.collectedMs));
            if (!t.minInsyncReplicas)
                l.findings.push_back(
                    finding(V::Unknown, QStringLiteral("topic %1 reports no min.insync.replicas").arg(t.topic),
                        QStringLiteral("check that the broker answers DescribeConfigs"), e.collectedMs));
            else if (*t.minInsyncReplicas < wantIsr)
                l.findings.push_back(finding(V::Fail,
                    QStringLiteral("min.insync.replicas %1 on topic %2 < %3")
                        .arg(*t.minInsyncReplicas)
                        .arg(t.topic)
                        .arg(wantIsr),
                    QStringLiteral("set min.insync.replicas=%1 on %2 (producers use acks=all)")
                        .arg(wantIsr)
                        .arg(t.topic),
                    e.collectedMs));
            else if (*t.minInsyncReplicas >= t.replicationFactor && t.replicationFactor > 0)
                l.findings.push_back(finding(V::Warn,
                    QStringLiteral(
                        "min.insync.replicas %1 on topic %2 leaves no replica to lose (replication factor %3)")
                        .arg(*t.minInsyncReplicas)
                        .arg(t.topic)
                        .arg(t.replicationFactor),
                    QStringLiteral("keep min.insync.replicas one below the replication factor"), e.collectedMs));
            else
                l.findings.push_back(finding(V::Pass,
                    QStringLiteral("min.insync.replicas %1 on topic %2").arg(*t.minInsyncReplicas).arg(t.topic), {},
                    e.collectedMs));
            if (!t.uncleanLeaderElection)
                l.findings.push_back(finding(V::Unknown,
                    QStringLiteral("topic %1 reports no unclean.leader.election.enable").arg(t.topic),
                    QStringLiteral("check that the broker answers DescribeConfigs"), e.collectedMs));
            else if (*t.uncleanLeaderElection)
                l.findings.push_back(finding(V::Fail,
                    QStringLiteral("unclean leader election is on for topic %1: a stale replica may become leader and "
                                   "drop acknowledged records")
                        .arg(t.topic),
                    QStringLiteral("set unclean.leader.election.enable=false on %1").arg(t.topic), e.collectedMs));
            else
                l.findings.push_back(finding(V::Pass,
                    QStringLiteral("unclean leader election is off for topic %1").arg(t.topic), {}, e.collectedMs));
        }
        return l;
    }

    LayerReadiness governance() const
    {
        LayerReadiness l {ReadinessLayer::Governance, V::Unknown, {}};
        if (!e.ledgerError.isEmpty()) {
            l.findings.push_back(
                finding(V::Unknown, QStringLiteral("the audit log cannot be read: %1").arg(e.ledgerError),
                    QStringLiteral("fix the data dir")));
            return l;
        }
        int complete = 0;
        qint64 newest = 0;
        for (const AuditEntry& a : e.audits) {
            newest = std::max(newest, a.atMs);
            if (a.actor.trimmed().isEmpty() || a.reason.trimmed().isEmpty())
                l.findings.push_back(finding(V::Fail,
                    QStringLiteral("audit entry %1 (%2, group %3) does not say %4")
                        .arg(a.id)
                        .arg(ago(a.atMs), a.group,
                            a.actor.trimmed().isEmpty() ? QStringLiteral("who") : QStringLiteral("why")),
                    QStringLiteral("every replay must be run with --reason (the console asks for one)"), a.atMs));
            else
                ++complete;
        }
        const QString window = duration(e.settings.auditWindowMs);
        if (e.audits.empty())
            l.findings.push_back(finding(V::Warn,
                QStringLiteral("no recovery in the audit log in the last %1: auditing is unproven").arg(window),
                QStringLiteral("run `pathwatch rehearse`, or a replay with --execute --reason, to prove it is "
                               "recorded")));
        else if (complete == int(e.audits.size()))
            l.findings.push_back(finding(V::Pass,
                QStringLiteral("%1 recovery step(s) in the last %2, each with who, when and why (newest %3)")
                    .arg(complete)
                    .arg(window, ago(newest)),
                {}, newest));
        return l;
    }

    LayerReadiness migration() const
    {
        LayerReadiness l {ReadinessLayer::Migration, V::Unknown, {}};
        if (e.reconcileEntries.empty()) {
            l.findings.push_back(finding(V::Warn,
                QStringLiteral("no reconciliation is configured: old and new marts cannot be compared"),
                QStringLiteral("add a `reconcile:` entry (a source of truth and the serving store, two SQL queries "
                               "keyed by window) and run `pathwatch reconcile`")));
            return l;
        }
        if (!e.ledgerError.isEmpty()) {
            l.findings.push_back(
                finding(V::Unknown, QStringLiteral("reconciliation results cannot be read: %1").arg(e.ledgerError),
                    QStringLiteral("fix the data dir")));
            return l;
        }
        for (const ReconcileConfig& entry : e.reconcileEntries) {
            const VerificationRecord* last = nullptr;
            for (const VerificationRecord& r : e.reconciliations)
                if (r.name == entry.name) {
                    last = &r;
                    break;
                }
            const QString runIt = QStringLiteral("run `pathwatch reconcile --name %1`").arg(entry.name);
            if (!last)
                l.findings.push_back(finding(V::Unknown,
                    QStringLiteral("reconciliation %1 is configured but has never run").arg(entry.name), runIt));
            else if (!last->passed)
                l.findings.push_back(finding(V::Fail,
                    QStringLiteral("reconciliation %1 failed %2: %3").arg(entry.name, ago(last->atMs), last->summary),
                    QStringLiteral("find why the windows differ, then ") + runIt, last->atMs));
            else if (now - last->atMs > e.settings.reconciliationMaxAgeMs)
                l.findings.push_back(finding(V::Warn,
                    QStringLiteral("reconciliation %1 last passed %2, longer ago than %3")
                        .arg(entry.name, ago(last->atMs), duration(e.settings.reconciliationMaxAgeMs)),
                    runIt + QStringLiteral(" again"), last->atMs));
            else
                l.findings.push_back(finding(V::Pass,
                    QStringLiteral("reconciliation %1 passed %2: %3").arg(entry.name, ago(last->atMs), last->summary),
                    {}, last->atMs));
        }
        return l;
    }
};

} // namespace

ReadinessReport judgeReadiness(const ReadinessEvidence& evidence, qint64 nowMs)
{
    return Judge(evidence, nowMs).run();
}

} // namespace pw
