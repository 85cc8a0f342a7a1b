#include "config/schema.h"

#include <algorithm>
#include <vector>

namespace pw::schema {

namespace {
QStringList list(std::initializer_list<const char*> items)
{
    QStringList out;
    out.reserve(qsizetype(items.size()));
    for (const char* item : items)
        out << QString::fromLatin1(item);
    return out;
}

QStringList sortedUnion(QStringList a, const QStringList& b)
{
    a += b;
    a.removeDuplicates();
    a.sort();
    return a;
}
} // namespace

QStringList sourceKinds()
{
    return list({"promql", "scrape", "flink", "sql", "http_json", "kafka"});
}

bool isSourceKind(QStringView kind)
{
    return sourceKinds().contains(kind);
}

bool isHttpKind(QStringView kind)
{
    return kind == u"promql" || kind == u"scrape" || kind == u"flink" || kind == u"http_json";
}

QStringList topLevelKeys()
{
    return list(
        {"pipeline", "export", "sources", "stages", "ledger", "recovery", "notifications", "readiness", "reconcile"});
}
QStringList pipelineKeys()
{
    return list({"name", "recovery_window"});
}
QStringList notificationKeys()
{
    return list({"webhook"});
}
QStringList webhookKeys()
{
    return list({"url", "headers", "timeout"});
}
QStringList ledgerKeys()
{
    return list({"retention", "max_bytes"});
}
QStringList recoveryKeys()
{
    return list(
        {"group", "kafka_source", "flink_source", "job_name", "job_id", "jar_id", "program_args", "production"});
}
QStringList readinessKeys()
{
    return list(
        {"rehearsal_max_age", "savepoint_max_age", "checkpoint_max_age", "reconciliation_max_age", "audit_window",
            "refresh", "topics", "storage", "min_replication_factor", "min_insync_replicas", "completeness_signals"});
}
QStringList reconcileKeys()
{
    return list({"name", "truth_source", "truth_query", "serving_source", "serving_query", "range"});
}
QStringList exportKeys()
{
    return list({"listen"});
}
QStringList commonSourceKeys()
{
    return list({"kind", "interval", "timeout"});
}

QStringList sourceKeys(QStringView kind)
{
    if (kind == u"scrape")
        return sortedUnion(
            commonSourceKeys(), list({"url", "max_body_bytes", "tls", "auth", "headers", "proxy", "fallback_format"}));
    if (isHttpKind(kind))
        return sortedUnion(commonSourceKeys(), list({"url", "max_body_bytes", "tls", "auth", "headers", "proxy"}));
    if (kind == u"sql")
        return sortedUnion(
            commonSourceKeys(), list({"driver", "database", "host", "port", "user", "password", "timestamp_timezone"}));
    if (kind == u"kafka")
        return sortedUnion(commonSourceKeys(),
            list({"bootstrap_servers", "groups", "lag_window", "properties", "read_consumer_offsets"}));
    return {};
}

QStringList tlsKeys()
{
    return list({"ca_file", "insecure_skip_verify"});
}
QStringList authKeys()
{
    return list({"bearer_token", "basic"});
}
QStringList basicAuthKeys()
{
    return list({"username", "password"});
}
QStringList stageKeys()
{
    return list({"id", "title", "signals"});
}
QStringList commonSignalKeys()
{
    return list({"kind", "name", "source", "unit", "thresholds"});
}

QStringList signalParamKeys(QStringView sourceKind)
{
    if (sourceKind == u"promql")
        return list({"query"});
    if (sourceKind == u"scrape")
        return list({"metric", "matchers", "quantile", "window", "aggregate"});
    if (sourceKind == u"flink")
        return list({"job_id", "job_name", "window"});
    if (sourceKind == u"sql")
        return list({"sql", "time_format"});
    if (sourceKind == u"http_json")
        return list({"pointer", "time_format", "timezone", "url"});
    if (sourceKind == u"kafka")
        return list({"group", "topic"});
    return {};
}

QStringList thresholdKeys()
{
    return list({"warn", "crit", "direction", "hysteresis", "for"});
}

std::optional<QStringList> signalKindsFor(QStringView sourceKind)
{
    // Flink's REST API and Kafka's admin API answer fixed questions; the others return whatever number the query,
    // metric or timestamp column yields, so any kind (including custom) makes sense there.
    if (sourceKind == u"flink")
        return list({"checkpoint_age", "checkpoint_duration", "failed_checkpoints", "job_state"});
    if (sourceKind == u"kafka")
        return list({"consumer_lag", "time_lag", "replay_headroom", "data_age"});
    return std::nullopt;
}

QStringList fallbackFormats()
{
    return list({"text", "openmetrics"});
}

QStringList sqlDrivers()
{
    return list({"QPSQL", "QSQLITE"});
}
QStringList timeFormats()
{
    return list({"auto", "epoch_s", "epoch_ms", "rfc3339"});
}
QStringList aggregations()
{
    return list({"sum", "max", "none"});
}
QStringList directions()
{
    return list({"higher_is_worse", "lower_is_worse"});
}

qint64 defaultMaxBodyBytes(QStringView kind)
{
    if (kind == u"scrape")
        return 64LL * 1024 * 1024;
    if (isHttpKind(kind))
        return 16LL * 1024 * 1024;
    return 0;
}

int editDistance(QStringView a, QStringView b)
{
    const QString x = a.toString().toLower();
    const QString y = b.toString().toLower();
    const qsizetype n = x.size();
    const qsizetype m = y.size();
    // Three rolling rows are enough for the transposition case.
    std::vector<int> prev2(size_t(m + 1)), prev(size_t(m + 1)), cur(size_t(m + 1));
    for (qsizetype j = 0; j <= m; ++j)
        prev[size_t(j)] = int(j);
    for (qsizetype i = 1; i <= n; ++i) {
        cur[0] = int(i);
        for (qsizetype j = 1; j <= m; ++j) {
            const int cost = x[i - 1] == y[j - 1] ? 0 : 1;
            int best = std::min({prev[size_t(j)] + 1, cur[size_t(j - 1)] + 1, prev[size_t(j - 1)] + cost});
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1])
                best = std::min(best, prev2[size_t(j - 2)] + 1);
            cur[size_t(j)] = best;
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[size_t(m)];
}

QString closestMatch(QStringView word, const QStringList& candidates)
{
    if (word.isEmpty() || word.size() > 200)
        return {};
    QString best;
    int bestDistance = 1 << 30;
    for (const QString& candidate : candidates) {
        const int d = editDistance(word, candidate);
        if (d < bestDistance) {
            bestDistance = d;
            best = candidate;
        }
    }
    // A typo changes a few letters; allow about one edit per three letters, at least one, at most three.
    const int allowed = std::clamp(int(word.size()) / 3, 1, 3);
    if (bestDistance <= allowed)
        return best;
    // A truncated key (`max_body` for `max_body_bytes`) is also worth suggesting.
    if (word.size() >= 4) {
        for (const QString& candidate : candidates)
            if (candidate.startsWith(word, Qt::CaseInsensitive))
                return candidate;
    }
    return {};
}

QString joined(const QStringList& items)
{
    return items.join(QStringLiteral(", "));
}

} // namespace pw::schema
