#pragma once

#include "config/config.h"
#include "ledger/ledger.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace pw {

/// The six layers of a metrics mart that readiness judges, each with its recovery question.
enum class ReadinessLayer
{
    KafkaSource, // can we replay from the last trusted offset?
    StreamCompute, // can state recover after a restart or a code rollback?
    ServingStore, // can dashboards tell stale or partial data?
    Storage, // can retained history survive a broker replacement?
    Governance, // can offset changes be audited?
    Migration, // can old and new marts be compared before cutover?
};
inline constexpr int kReadinessLayerCount = 6;

/// The verdict of one finding or layer. The numbers are the exported `pathwatch_readiness_layer_status` values and
/// the exit codes of `pathwatch readiness`.
enum class ReadinessVerdict
{
    Pass = 0,
    Warn = 1,
    Fail = 2,
    Unknown = 3, // the evidence could not be gathered
};

QString readinessLayerId(ReadinessLayer layer); // kafka_source, stream_compute, ...
QString readinessLayerTitle(ReadinessLayer layer); // "Kafka source"
QString readinessLayerQuestion(ReadinessLayer layer);
QString readinessVerdictName(ReadinessVerdict verdict); // PASS, WARN, FAIL, UNKNOWN
/// FAIL over UNKNOWN over WARN over PASS: a failure is never hidden by missing evidence elsewhere.
ReadinessVerdict worseReadiness(ReadinessVerdict a, ReadinessVerdict b);

/// One settings-and-replication reading of a topic that holds recoverable history.
struct TopicEvidence
{
    QString sourceId;
    QString topic;
    QString error; // why it could not be read; the rest is then empty
    std::optional<qint64> retentionMs; // -1: unlimited
    std::optional<qint64> retentionBytes; // -1: unlimited
    std::optional<int> minInsyncReplicas;
    std::optional<bool> uncleanLeaderElection;
    QString cleanupPolicy;
    int replicationFactor = 0; // the smallest of its partitions
    int brokers = 0;
};

/// A signal the config watches, as readiness needs to know it.
struct WatchedSignal
{
    QString id;
    QString stageId;
    QString name;
    SignalKind kind = SignalKind::Custom;
    QString sourceKind;
    bool hasThresholds = false;
};

/// Everything readiness judges, gathered by collectReadinessEvidence (or built by hand in tests). Plain data.
struct ReadinessEvidence
{
    qint64 collectedMs = 0;
    QString configPath;
    qint64 recoveryWindowMs = 0;
    ReadinessConfig settings;
    std::vector<WatchedSignal> watchedSignals;
    std::vector<RecoveryConfig> recoveries;
    std::vector<ReconcileConfig> reconcileEntries;
    bool watchesStreamJob = false; // a flink source is configured

    std::vector<TopicEvidence> topics;
    QString topicsError; // why no topic could be judged (none named, no kafka source)

    QString ledgerError; // empty when the ledger was read
    std::vector<LedgerCheckpointRow> checkpoints; // recent ones, newest first
    std::vector<AuditEntry> audits; // within the audit window, oldest first
    std::vector<VerificationRecord> rehearsals; // newest first
    std::vector<VerificationRecord> reconciliations; // newest first
};

/// One piece of evidence and what it means.
struct ReadinessFinding
{
    ReadinessVerdict verdict = ReadinessVerdict::Unknown;
    QString evidence; // "replay rehearsal passed 3.0 d ago"
    qint64 evidenceMs = 0; // when the evidence was made (0: not dated)
    QString fix; // what to do to pass; empty when it passes
};

struct LayerReadiness
{
    ReadinessLayer layer = ReadinessLayer::KafkaSource;
    ReadinessVerdict verdict = ReadinessVerdict::Unknown;
    std::vector<ReadinessFinding> findings;
};

struct ReadinessReport
{
    qint64 atMs = 0;
    QString configPath;
    std::vector<LayerReadiness> layers; // in ReadinessLayer order
    ReadinessVerdict overall() const;
    /// 0 all pass, 1 a WARN, 2 a FAIL, 3 unknown evidence (the order of worseReadiness).
    int exitCode() const { return int(overall()); }
    const LayerReadiness* layer(ReadinessLayer which) const;
};

/// The judgement: pure, no I/O; `nowMs` is the clock ages are measured by.
ReadinessReport judgeReadiness(const ReadinessEvidence& evidence, qint64 nowMs);

} // namespace pw

Q_DECLARE_METATYPE(pw::ReadinessReport)
Q_DECLARE_METATYPE(pw::ReadinessLayer)
Q_DECLARE_METATYPE(pw::ReadinessVerdict)
