#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace pw::schema {

/// The tables of the config schema: which source kinds exist, which keys each accepts, which signal parameters each
/// source kind understands. The loader validates against them; README.md documents them. Plain data, thread-safe.

QStringList sourceKinds(); // promql, scrape, flink, sql, http_json, kafka
bool isSourceKind(QStringView kind);
/// Kinds read over HTTP: their settings land in SourceConfig::http.
bool isHttpKind(QStringView kind);

QStringList topLevelKeys(); // pipeline, export, sources, stages, ledger, recovery, notifications, readiness, reconcile
QStringList pipelineKeys();
QStringList exportKeys();
QStringList ledgerKeys(); // retention, max_bytes
QStringList notificationKeys(); // webhook
QStringList webhookKeys(); // url, headers, timeout
QStringList recoveryKeys(); // one entry of `recovery:`
QStringList readinessKeys();
QStringList reconcileKeys(); // one entry of `reconcile:`
QStringList commonSourceKeys(); // kind, interval, timeout
/// Every key a source of this kind accepts (common keys included), sorted; empty for an unknown kind.
QStringList sourceKeys(QStringView kind);
QStringList tlsKeys();
QStringList authKeys();
QStringList basicAuthKeys();
QStringList stageKeys();
QStringList commonSignalKeys(); // kind, name, source, unit, thresholds
/// The kind-specific keys a signal may carry when its source has this kind (they land in SignalConfig::params).
QStringList signalParamKeys(QStringView sourceKind);
QStringList thresholdKeys();
/// Signal kinds a source kind can produce; nullopt when any kind is fine (promql, scrape, sql, http_json).
std::optional<QStringList> signalKindsFor(QStringView sourceKind);

QStringList sqlDrivers(); // QPSQL, QSQLITE
/// scrape `fallback_format`: how a body with a missing or unknown Content-Type is parsed (Prometheus 3's
/// fallback_scrape_protocol).
QStringList fallbackFormats(); // text, openmetrics
QStringList timeFormats(); // auto, epoch_s, epoch_ms, rfc3339
QStringList directions(); // higher_is_worse, lower_is_worse
QStringList aggregations(); // sum, max, none: how a scrape signal combines the series its selector matches

/// Decompressed-body cap used when a source does not set `max_body_bytes`: 64 MiB for scrape, 16 MiB for the JSON
/// APIs, 0 for kinds that do not speak HTTP.
qint64 defaultMaxBodyBytes(QStringView kind);

/// Default interval and timeout of a source.
inline constexpr qint64 kDefaultIntervalMs = 5000;
inline constexpr qint64 kDefaultTimeoutMs = 3000;
inline constexpr qint64 kMinIntervalMs = 100;

/// Damerau–Levenshtein (optimal string alignment) distance, case-insensitive.
int editDistance(QStringView a, QStringView b);
/// The candidate closest to `word` if it is close enough to be a plausible typo, else an empty string.
QString closestMatch(QStringView word, const QStringList& candidates);
/// "a, b, c".
QString joined(const QStringList& items);

} // namespace pw::schema
