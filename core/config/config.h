#pragma once

#include "model/error.h"
#include "model/signalkind.h"
#include "model/thresholds.h"

#include <QString>
#include <QVariantMap>

#include <map>
#include <utility>
#include <vector>

namespace pw {

/// HTTP options shared by every HTTP-based source. Secret fields hold the *resolved* value of `${ENV}` references
/// and must never be logged; `redacted()` is what may be shown.
struct HttpOptions
{
    QString url; // base URL (promql, flink) or full URL (scrape, http_json)
    QString caFile;
    bool insecureSkipVerify = false;
    QString bearerToken; // secret
    QString basicUser;
    QString basicPassword; // secret
    std::vector<std::pair<QString, QString>> headers; // values may be secrets (resolved from ${ENV})
    qint64 maxBodyBytes = 0; // cap on decompressed bytes; 0 = the source kind's default
    /// `proxy:` — http://[user:password@]host:port for this source alone (secret: may carry credentials); empty =
    /// the environment's http_proxy / https_proxy / no_proxy.
    QString proxy;
};

/// One source of the config's `sources:` map. Kind-specific keys that are not modelled here stay in `options`.
struct SourceConfig
{
    QString id;
    QString kind; // promql, scrape, flink, sql, http_json, kafka
    qint64 intervalMs = 5000;
    qint64 timeoutMs = 3000;
    HttpOptions http; // for HTTP kinds
    QVariantMap options; // kind-specific: e.g. sql: driver, database, host, port, user, password; kafka: properties
    int line = 0; // where it was defined, for later errors
};

/// One signal of a stage: what to measure, from which source, and how to judge it.
struct SignalConfig
{
    QString id; // "stage/name", unique
    QString stageId;
    QString name; // unique within the stage; defaults to the kind's name
    SignalKind kind = SignalKind::Custom;
    QString sourceId;
    QString unit; // defaults to the kind's unit
    QVariantMap params; // kind/source specific: query, metric, matchers, quantile, job, pointer, sql ...
    Thresholds thresholds;
    int line = 0;
};

struct StageConfig
{
    QString id; // source_log, compute, sink, storage, serving or any name
    QString title;
    std::vector<SignalConfig> signalConfigs;
};

struct ExportConfig
{
    QString listen = QStringLiteral("127.0.0.1:9464");
};

/// The recovery ledger (`ledger:`): how long it keeps offsets, checkpoints and transitions, and its size cap.
struct LedgerConfig
{
    qint64 retentionMs = 14LL * 24 * 3600 * 1000;
    qint64 maxBytes = 512LL * 1024 * 1024;
};

/// How a consumer group is recovered (`recovery:`): which kafka source holds it, and — for a Flink job, which
/// assigns its partitions and restores offsets from its own state — the flink source, the job and the jar that runs
/// it again from the group's offsets. `production` asks for the group's name to be typed before a replay executes.
struct RecoveryConfig
{
    QString group;
    QString kafkaSourceId;
    QString flinkSourceId; // empty: a plain consumer that subscribes (its group must be Empty)
    QString jobName;
    QString jobId;
    QString jarId;
    QStringList programArgs;
    bool production = false;
    int line = 0;
};

/// How readiness judges its evidence (`readiness:`): how recent a proof must be to count, which topics hold the
/// recoverable history, and whether that history lives on the brokers (replicated) or in shared/tiered storage.
struct ReadinessConfig
{
    qint64 rehearsalMaxAgeMs = 30LL * 24 * 3600 * 1000;
    qint64 savepointMaxAgeMs = 7LL * 24 * 3600 * 1000;
    qint64 checkpointMaxAgeMs = 10LL * 60 * 1000;
    qint64 reconciliationMaxAgeMs = 7LL * 24 * 3600 * 1000;
    qint64 auditWindowMs = 30LL * 24 * 3600 * 1000; // recoveries older than this are not judged
    qint64 refreshMs = 5LL * 60 * 1000; // how often a running instance collects the evidence again
    QStringList topics; // empty: the topics the kafka signals and recovery groups name
    bool sharedStorage = false; // `storage: shared`: the history survives a broker by architecture
    int minReplicationFactor = 3;
    int minInsyncReplicas = 2;
    QStringList completenessSignals; // signal ids; empty: signals named *completeness*
    int line = 0; // 0: the section is absent (defaults)
};

/// One `reconcile:` entry: the dual-run comparison of two SQL queries keyed by window, a source of truth and the
/// serving store. Each query yields rows (minute, key, events, total); `:from` and `:to` (Unix seconds) are bound
/// when the query names them.
struct ReconcileConfig
{
    QString name;
    QString truthSourceId; // a `sql` source
    QString truthQuery;
    QString servingSourceId; // a `sql` source
    QString servingQuery;
    qint64 rangeMs = 3600LL * 1000; // the closed minutes before now compared by default
    int line = 0;
};

/// `notifications: webhook:` — a JSON POST on each stage transition (see WebhookNotifier). `url` is a secret: it
/// comes from `${ENV}` and is never shown (Slack and Mattermost put their token in it).
struct WebhookConfig
{
    QString url; // secret; empty = no webhook
    std::vector<std::pair<QString, QString>> headers; // values are secrets
    qint64 timeoutMs = 5000;
    int line = 0;
};

struct NotificationsConfig
{
    WebhookConfig webhook;
};

struct PipelineConfig
{
    QString filePath; // where it was loaded from
    QString name = QStringLiteral("pipeline");
    qint64 recoveryWindowMs = 6LL * 3600 * 1000;
    std::vector<StageConfig> stages;
    std::map<QString, SourceConfig> sources;
    ExportConfig exporter;
    LedgerConfig ledger;
    NotificationsConfig notifications;
    std::vector<RecoveryConfig> recovery;
    ReadinessConfig readiness;
    std::vector<ReconcileConfig> reconcile;
    const RecoveryConfig* findRecovery(const QString& group) const;

    const SourceConfig* findSource(const QString& id) const;
    const SignalConfig* findSignal(const QString& id) const;
};

/// Loads and validates a YAML config (schema: README.md, "Configuration"). Errors carry file, 1-based line and column,
/// what was expected and a fix; `Error::toString()` is the line for stderr and never contains a secret. `${NAME}`
/// references are resolved from the environment at load time. Relative `ca_file` and QSQLITE paths are resolved
/// against the config file's directory. Thread-safe: may run on any thread, several at once.
Result<PipelineConfig> loadConfigFile(const QString& path);
/// Same, from text (used by tests and the fuzzer); `displayName` appears in errors as the file, relative paths are
/// resolved against the current directory.
Result<PipelineConfig> loadConfigText(const QByteArray& yaml, const QString& displayName);

/// Parses "250ms", "5s", "2m", "6h", "1d", "1w", compounds like "1h30m", or a bare number of seconds ("0.5").
Result<qint64> parseDurationMs(QStringView text);
/// The shortest exact form of a duration: 250ms, 5s, 2m, 6h, 1d (90s stays "90s").
QString formatDurationMs(qint64 ms);

/// How values land in SourceConfig::options and SignalConfig::params: strings as written (with `${ENV}` resolved),
/// numbers and booleans as their text ("5432", "0.99"), maps (kafka `properties`, scrape `matchers`) as QVariantMap
/// of strings. A duration is kept as written under its key ("window" → "1m") and, in milliseconds as qint64, under
/// "<key>_ms" ("window_ms" → 60000). Defaults are filled in (sql `timestamp_timezone` UTC, http_json `time_format`
/// auto), so a source never needs to know the schema's defaults.

/// True for kafka property names that hold secrets: they contain password, secret, key, token or credential
/// (`sasl.password`, `ssl.key.password`, `sasl.oauthbearer.client.secret`). Their values are never shown.
bool isSecretPropertyName(QStringView name);
/// A URL as it may be shown: user info dropped, values of secret-looking query parameters replaced by `***`.
QString redactedUrl(const QString& url);
/// One line describing a source for logs, `check-config` and the UI, with every secret replaced by `***`:
/// `prom (promql) http://127.0.0.1:9090 every 5s, timeout 3s, bearer token ***, header X-Scope-OrgID: ***`.
QString redactedSourceDescription(const SourceConfig& source);

} // namespace pw
