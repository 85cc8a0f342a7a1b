#include "readiness/evidencecollector.h"

#include "ledger/ledger.h"
#include "sources/kafkaadmin.h"

#include <map>
#include <set>

namespace pw {

namespace {

/// The topics to judge, per kafka source: `readiness.topics` when given (on every kafka source that has them),
/// else the topics the kafka signals name, else those the recovery groups committed offsets on in the ledger.
std::map<QString, QStringList> topicsToJudge(const PipelineConfig& config, Ledger* ledger, qint64 nowMs)
{
    std::map<QString, QStringList> out;
    std::vector<QString> kafkaSources;
    for (const auto& [id, source] : config.sources)
        if (source.kind == QLatin1String("kafka"))
            kafkaSources.push_back(id);
    if (kafkaSources.empty())
        return out;
    if (!config.readiness.topics.isEmpty()) {
        const QString sourceId = config.recovery.empty() ? kafkaSources.front() : config.recovery.front().kafkaSourceId;
        out[sourceId] = config.readiness.topics;
        return out;
    }
    for (const StageConfig& stage : config.stages)
        for (const SignalConfig& signal : stage.signalConfigs) {
            const SourceConfig* source = config.findSource(signal.sourceId);
            const QString topic = signal.params.value(QStringLiteral("topic")).toString().trimmed();
            if (source && source->kind == QLatin1String("kafka") && !topic.isEmpty()
                && !out[signal.sourceId].contains(topic))
                out[signal.sourceId] << topic;
        }
    if (!out.empty() || !ledger)
        return out;
    for (const RecoveryConfig& r : config.recovery)
        if (auto rows = ledger->committedOffsetsAt(r.kafkaSourceId, r.group, nowMs))
            for (const LedgerOffsetRow& row : *rows)
                if (!out[r.kafkaSourceId].contains(row.topic))
                    out[r.kafkaSourceId] << row.topic;
    return out;
}

std::optional<qint64> integerValue(const KafkaAdmin::TopicConfigs& configs, const char* name)
{
    const KafkaAdmin::ConfigValue* v = configs.find(QString::fromLatin1(name));
    bool ok = false;
    const qint64 n = v ? v->value.toLongLong(&ok) : 0;
    return ok ? std::optional<qint64>(n) : std::nullopt;
}

void readTopics(const SourceConfig& source, const QStringList& topics, qint64 nowMs, std::chrono::milliseconds timeout,
    std::vector<TopicEvidence>& out)
{
    KafkaAdminConfig adminConfig;
    adminConfig.bootstrapServers = source.options.value(QStringLiteral("bootstrap_servers")).toString().trimmed();
    // A monitor must never create what it looks at.
    adminConfig.properties = {{QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}};
    const QVariantMap properties = source.options.value(QStringLiteral("properties")).toMap();
    for (auto it = properties.cbegin(); it != properties.cend(); ++it)
        adminConfig.properties.emplace_back(it.key(), it.value().toString());
    adminConfig.timeout = timeout;
    auto evidenceFor = [&](const QString& topic) {
        TopicEvidence t;
        t.sourceId = source.id;
        t.topic = topic;
        return t;
    };
    auto admin = KafkaAdmin::create(adminConfig);
    if (!admin) {
        for (const QString& topic : topics) {
            TopicEvidence t = evidenceFor(topic);
            t.error = admin.error().message;
            out.push_back(std::move(t));
        }
        return;
    }
    const std::vector<QString> names(topics.begin(), topics.end());
    const auto replication = (*admin)->topicReplication(names);
    const auto configs = (*admin)->describeTopicConfigs(names);
    for (size_t i = 0; i < names.size(); ++i) {
        TopicEvidence t = evidenceFor(names[i]);
        if (!replication[i]) {
            const QString why = (*admin)->takeClientError();
            t.error = replication[i].error().message + (why.isEmpty() ? QString() : QStringLiteral(" (") + why + u')');
            out.push_back(std::move(t));
            continue;
        }
        t.replicationFactor = replication[i]->minReplicas;
        t.brokers = replication[i]->brokers;
        if (!configs[i]) {
            t.error = configs[i].error().message;
            out.push_back(std::move(t));
            continue;
        }
        const KafkaAdmin::TopicConfigs& c = *configs[i];
        t.retentionMs = integerValue(c, "retention.ms");
        t.retentionBytes = integerValue(c, "retention.bytes");
        if (auto isr = integerValue(c, "min.insync.replicas"))
            t.minInsyncReplicas = int(*isr);
        if (const auto* unclean = c.find(QStringLiteral("unclean.leader.election.enable")))
            t.uncleanLeaderElection = unclean->value.trimmed().compare(QLatin1String("true"), Qt::CaseInsensitive) == 0;
        if (const auto* policy = c.find(QStringLiteral("cleanup.policy")))
            t.cleanupPolicy = policy->value;
        out.push_back(std::move(t));
    }
    (void)nowMs;
}

} // namespace

ReadinessEvidence collectReadinessEvidence(const PipelineConfig& config, Ledger* ledger, const QString& ledgerError,
    qint64 nowMs, std::chrono::milliseconds kafkaTimeout)
{
    ReadinessEvidence e;
    e.collectedMs = nowMs;
    e.configPath = config.filePath;
    e.recoveryWindowMs = config.recoveryWindowMs;
    e.settings = config.readiness;
    e.recoveries = config.recovery;
    e.reconcileEntries = config.reconcile;
    for (const auto& [id, source] : config.sources)
        if (source.kind == QLatin1String("flink"))
            e.watchesStreamJob = true;
    for (const StageConfig& stage : config.stages)
        for (const SignalConfig& signal : stage.signalConfigs) {
            WatchedSignal w;
            w.id = signal.id;
            w.stageId = signal.stageId;
            w.name = signal.name;
            w.kind = signal.kind;
            if (const SourceConfig* source = config.findSource(signal.sourceId))
                w.sourceKind = source->kind;
            w.hasThresholds = !signal.thresholds.isEmpty();
            e.watchedSignals.push_back(std::move(w));
        }

    const auto topics = topicsToJudge(config, ledger, nowMs);
    if (topics.empty())
        e.topicsError = config.sources.empty() ? QStringLiteral("the config has no source")
                                               : QStringLiteral("no kafka source names a topic (readiness.topics, "
                                                                "a kafka signal's topic, or a recovery group's)");
    for (const auto& [sourceId, names] : topics)
        if (const SourceConfig* source = config.findSource(sourceId))
            readTopics(*source, names, nowMs, kafkaTimeout, e.topics);

    if (!ledger) {
        e.ledgerError = ledgerError.isEmpty() ? QStringLiteral("no ledger") : ledgerError;
        return e;
    }
    auto fail = [&](const Error& error) {
        if (e.ledgerError.isEmpty())
            e.ledgerError = error.toString();
    };
    // The newest checkpoints say whether they complete; savepoints are rarer and kept apart so a busy job's
    // checkpoints never push the last savepoint out of the list.
    if (auto rows = ledger->checkpointsSince(nowMs - config.readiness.auditWindowMs, 50))
        e.checkpoints = std::move(*rows);
    else
        fail(rows.error());
    if (auto rows = ledger->checkpointsSince(nowMs - config.readiness.auditWindowMs, 20, true))
        e.checkpoints.insert(e.checkpoints.end(), rows->begin(), rows->end());
    else
        fail(rows.error());
    if (auto audits = ledger->auditEntries(nowMs - config.readiness.auditWindowMs, 0))
        e.audits = std::move(*audits);
    else
        fail(audits.error());
    if (auto rehearsals = ledger->verifications(VerificationRecord::Kind::Rehearsal, 20))
        e.rehearsals = std::move(*rehearsals);
    else
        fail(rehearsals.error());
    if (auto reconciliations = ledger->verifications(VerificationRecord::Kind::Reconciliation, 100))
        e.reconciliations = std::move(*reconciliations);
    else
        fail(reconciliations.error());
    return e;
}

} // namespace pw
