#include "config/config.h"
#include "config/schema.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

namespace {
QStringList P(std::initializer_list<const char*> items)
{
    QStringList out;
    for (const char* item : items)
        out << QString::fromUtf8(item);
    return out;
}

// A value that must never show up in an error or a description.
const char kSecret[] = "hunter2-s3cr3t-VALUE";

QByteArray minimal(const QByteArray& signalExtra = {})
{
    return "sources:\n"
           "  prom:\n"
           "    kind: promql\n"
           "    url: http://127.0.0.1:9090\n"
           "stages:\n"
           "  - id: sink\n"
           "    signals:\n"
           "      - kind: sink_commit_latency\n"
           "        source: prom\n"
           "        query: up\n"
        + signalExtra;
}
} // namespace

class TestConfigLoader : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        qputenv("PW_TEST_SECRET", kSecret);
        qputenv("PW_TEST_HOST", "127.0.0.1");
        qunsetenv("PW_TEST_UNSET");
        // The full example reads these.
        for (const char* name : {"KAFKA_PASSWORD", "PROM_TOKEN", "SCRAPE_TOKEN", "PG_PASSWORD", "DASHBOARD_API_KEY"})
            qputenv(name, kSecret);
    }

    void brokenConfigs_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QStringList>("phrases");

        QTest::newRow("empty file") << QByteArray() << 1 << 1 << P({"the config is empty", "sources:"});
        QTest::newRow("only comments") << QByteArray("# nothing here\n\n") << 1 << 1 << P({"the config is empty"});
        QTest::newRow("top level is a list")
            << QByteArray("- sources\n- stages\n") << 1 << 1
            << P({"expected a map at the top level, got a list", "pipeline, export, sources, stages"});
        QTest::newRow("top level is a scalar")
            << QByteArray("just some words\n") << 1 << 1 << P({"expected a map at the top level, got a single value"});
        QTest::newRow("syntax error: unclosed flow sequence")
            << QByteArray("sources: [1, 2\nstages: 3\n") << 2 << 7 << P({"YAML syntax error", "indentation"});
        QTest::newRow("syntax error: bad indentation")
            << QByteArray("sources:\n  prom:\n    kind: promql\n   url: x\n") << 4 << 4 << P({"YAML syntax error"});
        // yaml-cpp's LoadAll loops forever on these (jbeder/yaml-cpp#1040); found by the config_loader fuzzer.
        QTest::newRow("tag, then a stray comma") << QByteArray("!dka7,77777*a677777\n") << 1 << 1
                                                 << P({"expected a map at the top level, got a single value"});
        QTest::newRow("stray comma after a map")
            << QByteArray("sources: {}\n,\n") << 2 << 1 << P({"YAML syntax error"});
        QTest::newRow("two documents") << QByteArray(minimal() + "---\nsources: {}\n") << 12 << 1
                                       << P({"more than one YAML document", "---"});
        QTest::newRow("unknown top-level key") << QByteArray(minimal() + "stagse: []\n") << 11 << 1
                                               << P({"unknown key `stagse` in the top level", "did you mean `stages`?",
                                                      "allowed keys here: export, ledger, notifications, pipeline, "
                                                      "readiness, reconcile, recovery, sources, "
                                                      "stages"});
        QTest::newRow("readiness: not a duration") << QByteArray(minimal() + "readiness:\n  rehearsal_max_age: soon\n")
                                                   << 12 << 22 << P({"rehearsal_max_age"});
        QTest::newRow("readiness: unknown key") << QByteArray(minimal() + "readiness:\n  topic: [events]\n") << 12 << 3
                                                << P({"unknown key `topic` in `readiness`", "did you mean `topics`?"});
        QTest::newRow("readiness: unknown storage") << QByteArray(minimal() + "readiness:\n  storage: tiered\n") << 12
                                                    << 12 << P({"`tiered`", "replicated, shared"});
        QTest::newRow("readiness: more in-sync replicas than replicas")
            << QByteArray(minimal() + "readiness:\n  min_replication_factor: 2\n  min_insync_replicas: 3\n") << 13 << 24
            << P({"`min_insync_replicas` (3) in `readiness` is larger than `min_replication_factor` (2)"});
        QTest::newRow("readiness: completeness signal that does not exist")
            << QByteArray(minimal() + "readiness:\n  completeness_signals: [serving/nope]\n") << 12 << 26
            << P({"names `serving/nope`, which is not a signal"});
        QTest::newRow("reconcile: truth is not a sql source")
            << QByteArray(minimal()
                   + "reconcile:\n  - name: dual\n    truth_source: prom\n    truth_query: select 1\n"
                     "    serving_source: prom\n    serving_query: select 1\n")
            << 13 << 19 << P({"`truth_source` `prom` of reconcile `dual` is not a sql source"});
        QTest::newRow("missing stages points at the top-level map")
            << QByteArray("sources:\n  prom: {kind: promql, url: 'http://h:1'}\n") << 1 << 1
            << P({"the top level is missing the required key `stages`", "add `stages:"});
        QTest::newRow("unknown source key with did-you-mean")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n    intervall: 5s\n"
                          "stages: []\n")
            << 5 << 5
            << P({"unknown key `intervall` in source `prom`", "did you mean `interval`?",
                   "allowed keys here: auth, headers, interval, kind, max_body_bytes, proxy, timeout, tls, url"});
        QTest::newRow("unknown fallback_format")
            << QByteArray("sources:\n  t:\n    kind: scrape\n    url: http://127.0.0.1:9100/metrics\n"
                          "    fallback_format: protobuf\nstages: []\n")
            << 5 << 22 << P({"fallback format", "text, openmetrics"});
        QTest::newRow("fallback_format is for scrape sources")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n"
                          "    fallback_format: text\nstages: []\n")
            << 5 << 5 << P({"unknown key `fallback_format` in source `prom`", "is a key of scrape sources"});
        QTest::newRow("key of another source kind")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n    driver: QPSQL\n"
                          "stages: []\n")
            << 5 << 5 << P({"unknown key `driver` in source `prom`", "`driver` is a key of sql sources"});
        QTest::newRow("missing kind points at the source map")
            << QByteArray("sources:\n  prom:\n    url: http://127.0.0.1:9090\nstages: []\n") << 3 << 5
            << P({"source `prom` is missing the required key `kind`", "add `kind: promql | scrape"});
        QTest::newRow("unknown source kind lists the valid ones")
            << QByteArray("sources:\n  prom:\n    kind: prometheus\n    url: http://127.0.0.1:9090\nstages: []\n") << 3
            << 11
            << P({"unknown source kind `prometheus`",
                   "valid source kinds: promql, scrape, flink, sql, http_json, kafka"});
        QTest::newRow("duplicate key names both lines")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    interval: 5s\n    url: http://127.0.0.1:9090\n"
                          "    interval: 10s\nstages: []\n")
            << 6 << 5
            << P({"duplicate key `interval` in source `prom`", "first at line 4, again at line 6", "silently"});
        QTest::newRow("duplicate key in a flow map")
            << QByteArray(minimal("        thresholds: {warn: 1, crit: 2, warn: 3}\n")) << 11 << 40
            << P({"duplicate key `warn`", "first at line 11, again at line 11"});
        QTest::newRow("duplicate source id") << QByteArray(
            "sources:\n  prom: {kind: promql, url: 'http://a:1'}\n  prom: {kind: promql, url: 'http://b:1'}\n"
            "stages: []\n") << 3 << 3 << P({"duplicate key `prom` in `sources`", "first at line 2, again at line 3"});
        QTest::newRow("bad duration") << QByteArray(
            "sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n"
            "    interval: fast\nstages: []\n")
                                      << 5 << 15
                                      << P({"expected a duration like 5s for `interval` in source `prom`, got "
                                            "`fast`",
                                             "250ms, 5s, 2m"});
        QTest::newRow("timeout longer than interval")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n    interval: 5s\n"
                          "    timeout: 10s\nstages: []\n")
            << 6 << 14 << P({"`timeout` 10s of source `prom` is longer than its `interval` 5s"});
        QTest::newRow("wrong type: list for a string")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: [http://127.0.0.1:9090]\nstages: []\n") << 4
            << 10 << P({"expected a URL for `url` in source `prom`, got a list"});
        QTest::newRow("wrong type: map for stages")
            << QByteArray("sources: {}\nstages:\n  sink: {}\n") << 3 << 3
            << P({"expected a list of stages for `stages`, got a map", "- id:"});
        QTest::newRow("sources written as a list")
            << QByteArray("sources:\n  - prom\nstages: []\n") << 2 << 3
            << P({"expected a map of source id to settings for `sources`, got a list"});
        QTest::newRow("key without value") << QByteArray("sources:\n  prom:\n    kind: promql\n    url:\nstages: []\n")
                                           << 4 << 5 << P({"`url` in source `prom` has no value"});
        QTest::newRow("bad URL scheme")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: 127.0.0.1:9090\nstages: []\n") << 4 << 10
            << P({"expected an http:// or https:// URL for `url` of source `prom`, got `127.0.0.1:9090`",
                   "http://127.0.0.1:9090"});
        QTest::newRow("URL without host")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: 'http://'\nstages: []\n") << 4 << 10
            << P({"expected an http:// or https:// URL"});
        QTest::newRow("unset environment variable")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n"
                          "    auth: {bearer_token: \"${PW_TEST_UNSET}\"}\nstages: []\n")
            << 5 << 27
            << P({"environment variable PW_TEST_UNSET is not set", "used by `bearer_token` of `auth` of source `prom`",
                   "export PW_TEST_UNSET"});
        QTest::newRow("unterminated env reference")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://${PW_TEST_HOST:9090\nstages: []\n") << 4
            << 10 << P({"unterminated ${ in `url` of source `prom`", "$${"});
        QTest::newRow("unknown signal kind lists the valid ones")
            << QByteArray(
                   "sources:\n  prom: {kind: promql, url: 'http://h:9090'}\nstages:\n  - id: sink\n    signals:\n"
                   "      - kind: sink_latency\n        source: prom\n        query: up\n")
            << 6 << 15
            << P({"unknown signal kind `sink_latency`", "valid signal kinds: consumer_lag, time_lag",
                   "sink_commit_latency", "custom"});
        QTest::newRow("signal refers to an undefined source")
            << QByteArray("sources:\n  prom: {kind: promql, url: 'http://h:9090'}\n  pg: {kind: sql, driver: QSQLITE, "
                          "database: ':memory:'}\nstages:\n  - id: sink\n    signals:\n"
                          "      - kind: sink_commit_latency\n        source: promm\n        query: up\n")
            << 8 << 17
            << P({"signal `sink/sink_commit_latency` refers to source `promm`, which is not defined",
                   "did you mean `prom`?", "defined sources: pg, prom"});
        QTest::newRow("signal param of another source kind")
            << QByteArray(minimal("        metric: sink_commit_seconds\n")) << 11 << 9
            << P({"unknown key `metric` in signal `sink/sink_commit_latency`",
                   "`metric` is for signals of scrape sources, but source `prom` is promql", "its signals take query"});
        QTest::newRow("missing query points at the signal map")
            << QByteArray(
                   "sources:\n  prom: {kind: promql, url: 'http://h:9090'}\nstages:\n  - id: sink\n    signals:\n"
                   "      - kind: sink_commit_latency\n        source: prom\n")
            << 6 << 9 << P({"signal `sink/sink_commit_latency` is missing the required key `query`"});
        QTest::newRow("duplicate signal names")
            << QByteArray(minimal("      - kind: sink_commit_latency\n        source: prom\n        query: up\n")) << 11
            << 15
            << P({"duplicate signal `sink_commit_latency` in stage `sink`", "first at line 8, again at line 11",
                   "`name:`"});
        QTest::newRow("duplicate stage ids")
            << QByteArray(minimal("  - id: sink\n    signals:\n      - {kind: custom, source: prom, query: up}\n"))
            << 11 << 9 << P({"duplicate stage id `sink`: first at line 6, again at line 11"});
        QTest::newRow("warn beyond crit")
            << QByteArray(minimal("        thresholds: {warn: 10, crit: 5}\n")) << 11 << 28
            << P({"`warn` 10 is above `crit` 5", "higher_is_worse", "swap the two values"});
        QTest::newRow("warn beyond crit, lower is worse")
            << QByteArray(minimal("        thresholds: {warn: 1, crit: 5, direction: lower_is_worse}\n")) << 11 << 28
            << P({"`warn` 1 is below `crit` 5", "lower_is_worse"});
        QTest::newRow("threshold not a number") << QByteArray(minimal("        thresholds: {warn: high}\n")) << 11 << 28
                                                << P({"expected a number for `warn`", "got `high`"});
        QTest::newRow("unknown direction")
            << QByteArray(minimal("        thresholds: {warn: 1, direction: higher_is_wrose}\n")) << 11 << 42
            << P({"unknown direction `higher_is_wrose`", "did you mean `higher_is_worse`?"});
        QTest::newRow("flink signal of a kafka kind")
            << QByteArray("sources:\n  flink: {kind: flink, url: 'http://h:8081'}\nstages:\n  - id: compute\n"
                          "    signals:\n      - kind: consumer_lag\n        source: flink\n        job_name: agg\n")
            << 6 << 15 << P({"cannot come from flink source `flink`", "checkpoint_age, checkpoint_duration"});
        QTest::newRow("credentials in a URL")
            << QByteArray("sources:\n  prom:\n    kind: promql\n    url: http://admin:pw@127.0.0.1:9090\nstages: []\n")
            << 4 << 10 << P({"carries credentials", "auth:"});
        QTest::newRow("bad stage id") << QByteArray("sources: {}\nstages:\n  - id: Sink Stage\n    signals: []\n") << 3
                                      << 9 << P({"invalid stage id `Sink Stage`", "lower-case"});
        QTest::newRow("empty stages") << QByteArray("sources: {}\nstages: []\n") << 2 << 9 << P({"`stages` is empty"});
        QTest::newRow("bad export listen") << QByteArray(minimal() + "export: {listen: 'localhost'}\n") << 11 << 18
                                           << P({"expected HOST:PORT for `listen`", "127.0.0.1:9464"});
        QTest::newRow("port out of range") << QByteArray(
            "sources:\n  pg:\n    kind: sql\n    driver: QPSQL\n    database: marts\n    port: 70000\n"
            "stages: []\n") << 6 << 11 << P({"`port` in source `pg` must be between 1 and 65535"});
        QTest::newRow("unknown sql driver")
            << QByteArray("sources:\n  pg:\n    kind: sql\n    driver: QPSQL7\n    database: marts\nstages: []\n") << 4
            << 13 << P({"unknown SQL driver `QPSQL7`", "did you mean `QPSQL`?"});
        QTest::newRow("bad json pointer")
            << QByteArray("sources:\n  d: {kind: http_json, url: 'http://h/x'}\nstages:\n  - id: serving\n"
                          "    signals:\n      - {kind: dashboard_freshness, source: d, pointer: data.ts}\n")
            << 6 << 57 << P({"expected a JSON pointer like /data/0/ts", "`data.ts`"});
        QTest::newRow("kafka lag without group")
            << QByteArray("sources:\n  k: {kind: kafka, bootstrap_servers: 'h:9092'}\nstages:\n  - id: source_log\n"
                          "    signals:\n      - kind: consumer_lag\n        source: k\n        topic: events\n")
            << 6 << 9 << P({"signal `source_log/consumer_lag` is missing the required key `group`"});
        QTest::newRow("kafka groups: bad regular expression")
            << QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: 'h:9092'\n    groups:\n"
                          "      include: ['^orders-(']\nstages:\n  - id: source_log\n"
                          "    signals:\n      - {kind: consumer_lag, source: k}\n")
            << 6 << 17 << P({"invalid regular expression `^orders-(` in `include` of `groups` of source `k`"});
        QTest::newRow("kafka groups: not a list")
            << QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: 'h:9092'\n    groups:\n"
                          "      exclude: '^test'\nstages:\n  - id: source_log\n"
                          "    signals:\n      - {kind: consumer_lag, source: k}\n")
            << 6 << 16 << P({"expected a list of regular expressions for `exclude`"});
        QTest::newRow("kafka groups: misspelt key")
            << QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: 'h:9092'\n    groups:\n"
                          "      inclde: ['^a']\nstages:\n  - id: source_log\n"
                          "    signals:\n      - {kind: consumer_lag, source: k}\n")
            << 6 << 7 << P({"unknown key `inclde`", "did you mean `include`?"});
        QTest::newRow("kafka groups: neither all nor a map")
            << QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: 'h:9092'\n    groups: every\n"
                          "stages:\n  - id: source_log\n    signals:\n      - {kind: consumer_lag, source: k}\n")
            << 5 << 13 << P({"expected `all` or a map with `include` and `exclude` for `groups`"});
        QTest::newRow("YAML merge key") << QByteArray(
            "sources:\n  prom:\n    <<: {kind: promql}\n    url: http://127.0.0.1:9090\nstages: []\n")
                                        << 3 << 5 << P({"unknown key `<<` in source `prom`", "merge keys"});
        QTest::newRow("misspelt kind is a typo, not a missing key")
            << QByteArray("sources:\n  prom:\n    kidn: promql\n    url: http://127.0.0.1:9090\nstages: []\n") << 3 << 5
            << P({"unknown key `kidn`", "did you mean `kind`?"});
        QTest::newRow("ledger: misspelt key") << minimal("ledger:\n  retension: 3d\n") << 12 << 3
                                              << P({"unknown key `retension`", "did you mean `retention`?"});
        QTest::newRow("ledger: retention too short")
            << minimal("ledger:\n  retention: 10m\n") << 12 << 14 << P({"`retention` in `ledger` must be at least 1h"});
        QTest::newRow("ledger: max_bytes not a size")
            << minimal("ledger:\n  max_bytes: lots\n") << 12 << 14 << P({"expected a size in bytes for `max_bytes`"});
        QTest::newRow("ledger: max_bytes too small")
            << minimal("ledger:\n  max_bytes: 10KiB\n") << 12 << 14 << P({"`max_bytes` in `ledger` is out of range"});
        QTest::newRow("ledger: not a map") << minimal("ledger: 3d\n") << 11 << 9 << P({"`ledger`"});
        QTest::newRow("recovery: not a list")
            << minimal("recovery: {group: g}\n") << 11 << 11 << P({"expected a list for `recovery`"});
        QTest::newRow("recovery: misspelt key")
            << minimal("recovery:\n  - group: g\n    kafka_sorce: prom\n") << 13 << 5
            << P({"unknown key `kafka_sorce`", "did you mean `kafka_source`?"});
        QTest::newRow("recovery: kafka_source of another kind")
            << minimal("recovery:\n  - group: g\n    kafka_source: prom\n") << 13 << 19
            << P({"`kafka_source` `prom` of the recovery of group `g` is not a kafka source"});
    }

    void recoverySection()
    {
        const QByteArray yaml = "sources:\n"
                                "  k: {kind: kafka, bootstrap_servers: '127.0.0.1:9092'}\n"
                                "  f: {kind: flink, url: 'http://127.0.0.1:8081'}\n"
                                "stages:\n"
                                "  - id: source_log\n"
                                "    signals:\n"
                                "      - {kind: consumer_lag, source: k, group: agg}\n"
                                "recovery:\n"
                                "  - group: agg\n"
                                "    kafka_source: k\n"
                                "    flink_source: f\n"
                                "    job_name: aggregate\n"
                                "    jar_id: agg.jar\n"
                                "    program_args: [--topic, events]\n"
                                "    production: true\n"
                                "  - {group: plain, kafka_source: k}\n";
        auto config = loadConfigText(yaml, QStringLiteral("r.yaml"));
        QVERIFY2(config, qPrintable(config ? QString() : config.error().toString()));
        QCOMPARE(config->recovery.size(), size_t(2));
        const RecoveryConfig* agg = config->findRecovery(QStringLiteral("agg"));
        QVERIFY(agg);
        QCOMPARE(agg->flinkSourceId, QStringLiteral("f"));
        QCOMPARE(agg->jobName, QStringLiteral("aggregate"));
        QCOMPARE(agg->jarId, QStringLiteral("agg.jar"));
        QCOMPARE(agg->programArgs, QStringList({QStringLiteral("--topic"), QStringLiteral("events")}));
        QVERIFY(agg->production);
        QCOMPARE(agg->line, 9);
        QVERIFY(config->findRecovery(QStringLiteral("plain"))->flinkSourceId.isEmpty());

        QByteArray noJob = yaml;
        noJob.replace("    job_name: aggregate\n", "");
        auto missing = loadConfigText(noJob, QStringLiteral("r.yaml"));
        QVERIFY(!missing);
        QVERIFY2(
            missing.error().message.contains(QStringLiteral("names a Flink job by neither `job_name` nor `job_id`")),
            qPrintable(missing.error().toString()));
        QCOMPARE(missing.error().line, 11);
        QByteArray stray = yaml;
        stray.replace("  - {group: plain, kafka_source: k}", "  - {group: plain, kafka_source: k, jar_id: x}");
        auto strayJar = loadConfigText(stray, QStringLiteral("r.yaml"));
        QVERIFY(!strayJar);
        QVERIFY2(strayJar.error().message.contains(
                     QStringLiteral("`jar_id` in the recovery of group `plain` needs `flink_source`")),
            qPrintable(strayJar.error().toString()));
    }

    void readinessAndReconcile()
    {
        const QByteArray yaml = minimal()
            + "  - id: serving\n    signals:\n      - {kind: custom, name: rows_ok, source: db, sql: 'select 0'}\n"
              "readiness:\n  rehearsal_max_age: 14d\n  topics: [events, orders]\n  storage: shared\n"
              "  completeness_signals: [serving/rows_ok]\n  refresh: 1m\n"
              "reconcile:\n  - name: dual-run\n    truth_source: db\n"
              "    truth_query: select minute_ts, key, events, total from truth where minute_ts >= :from\n"
              "    serving_source: db\n    serving_query: select minute_ts, key, events, total from aggregates\n"
              "    range: 2h\n";
        QByteArray withDb = yaml;
        withDb.replace("stages:\n", "  db: {kind: sql, driver: QSQLITE, database: /tmp/x.db}\nstages:\n");
        const auto config = loadConfigText(withDb, QStringLiteral("r.yaml"));
        QVERIFY2(config, qPrintable(config ? QString() : config.error().toString()));
        QCOMPARE(config->readiness.rehearsalMaxAgeMs, 14LL * 24 * 3600 * 1000);
        QCOMPARE(config->readiness.topics, (QStringList {QStringLiteral("events"), QStringLiteral("orders")}));
        QVERIFY(config->readiness.sharedStorage);
        QCOMPARE(config->readiness.completenessSignals, QStringList {QStringLiteral("serving/rows_ok")});
        QCOMPARE(config->readiness.refreshMs, 60000);
        QCOMPARE(config->readiness.savepointMaxAgeMs, 7LL * 24 * 3600 * 1000); // the default stays
        QCOMPARE(int(config->reconcile.size()), 1);
        QCOMPARE(config->reconcile[0].name, QStringLiteral("dual-run"));
        QCOMPARE(config->reconcile[0].truthSourceId, QStringLiteral("db"));
        QCOMPARE(config->reconcile[0].rangeMs, 2LL * 3600 * 1000);
        QVERIFY(config->reconcile[0].truthQuery.contains(QStringLiteral(":from")));

        QByteArray update = withDb;
        update.replace("serving_query: select", "serving_query: delete");
        const auto writes = loadConfigText(update, QStringLiteral("r.yaml"));
        QVERIFY(!writes);
        QVERIFY2(
            writes.error().message.contains(QStringLiteral("is not a SELECT")), qPrintable(writes.error().toString()));
    }

    void brokenConfigs()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QStringList, phrases);

        const auto result = loadConfigText(yaml, QStringLiteral("broken.yaml"));
        QVERIFY2(!result, "the config was accepted");
        const Error& e = result.error();
        const QString text = e.toString();
        QCOMPARE(e.code, Error::Code::Config);
        QCOMPARE(e.file, QStringLiteral("broken.yaml"));
        QVERIFY2(e.line == line && e.column == column, qPrintable(text));
        QVERIFY2(text.startsWith(QStringLiteral("broken.yaml:%1:%2: ").arg(line).arg(column)), qPrintable(text));
        QVERIFY2(!e.hint.isEmpty(), qPrintable(text));
        for (const QString& phrase : phrases)
            QVERIFY2(text.contains(phrase), qPrintable(QStringLiteral("missing \"%1\" in: %2").arg(phrase, text)));
    }

    // The exact lines README.md shows for the error format.
    void errorFormat()
    {
        const auto unknown = loadConfigText("pipeline:\n  name: marts\nsources:\n  prom:\n    kind: promql\n"
                                            "    url: http://127.0.0.1:9090\n    intervall: 5s\nstages: []\n",
            QStringLiteral("pathwatch.yaml"));
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().toString(),
            QStringLiteral(
                "pathwatch.yaml:7:5: unknown key `intervall` in source `prom` (did you mean `interval`? "
                "allowed keys here: auth, headers, interval, kind, max_body_bytes, proxy, timeout, tls, url)"));
        const auto undefined = loadConfigText("sources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:9090\n"
                                              "  warehouse:\n    kind: sql\n    driver: QSQLITE\n"
                                              "    database: serving.db\nstages:\n  - id: sink\n    signals:\n"
                                              "      - kind: sink_commit_latency\n        name: p99\n"
                                              "        source: promm\n        query: up\n",
            QStringLiteral("pathwatch.yaml"));
        QVERIFY(!undefined);
        QCOMPARE(undefined.error().toString(),
            QStringLiteral("pathwatch.yaml:14:17: signal `sink/p99` refers to source `promm`, which is not defined "
                           "(did you mean `prom`? defined sources: prom, warehouse)"));
    }

    void secretsNeverInErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        const QByteArray head = "sources:\n  prom:\n    kind: promql\n";
        QTest::newRow("secret from env in a bad URL")
            << head + "    url: 'http://h:1/${PW_TEST_SECRET}#x'\nstages: []\n";
        QTest::newRow("secret from env in a bad duration") << head
                + "    url: http://h:1\n    interval: ${PW_TEST_SECRET}\n"
                  "stages: []\n";
        QTest::newRow("literal secret in URL user info")
            << head + "    url: http://admin:" + kSecret + "@h:1\nstages: []\n";
        QTest::newRow("secret URL user info, bad URL")
            << head + "    url: 'http//admin:" + kSecret + "@h:1'\nstages: []\n";
        QTest::newRow("bearer token then a later error")
            << head + "    url: http://h:1\n    auth: {bearer_token: '" + kSecret + "'}\n    bogus: 1\nstages: []\n";
        QTest::newRow("header value with a line break from env")
            << head + "    url: http://h:1\n    headers: {X-Key: \"${PW_TEST_SECRET}\\nmore\"}\nstages: []\n";
        QTest::newRow("kafka secret property of the wrong type")
            << QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: h:9092\n    properties:\n"
                          "      sasl.password: ['")
                + kSecret + "']\nstages: []\n";
        QTest::newRow("kafka bad servers from env")
            << QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: ${PW_TEST_SECRET}\nstages: []\n");
        QTest::newRow("sql password, then unknown key")
            << QByteArray("sources:\n  pg:\n    kind: sql\n    driver: QPSQL\n    database: m\n    password: ")
                + kSecret + "\n    passwrd: x\nstages: []\n";
        QTest::newRow("secret as a stage id") << minimal("  - id: ${PW_TEST_SECRET}\n    signals: []\n");
        QTest::newRow("secret as a source reference") << QByteArray(
            "sources:\n  prom: {kind: promql, url: 'http://h:9090'}\nstages:\n  - id: sink\n    signals:\n"
            "      - {kind: custom, source: '${PW_TEST_SECRET}', query: up}\n");
        QTest::newRow("secret as a threshold") << minimal("        thresholds: {warn: '${PW_TEST_SECRET}'}\n");
        QTest::newRow("top level is the secret") << QByteArray(kSecret);
    }

    void secretsNeverInErrors()
    {
        QFETCH(QByteArray, yaml);
        const auto result = loadConfigText(yaml, QStringLiteral("secret.yaml"));
        QVERIFY(!result);
        const QString text = result.error().toString();
        QVERIFY2(!text.contains(QLatin1String(kSecret)), qPrintable(text));
        QVERIFY2(!text.contains(QLatin1String("hunter2")), qPrintable(text));
        QVERIFY2(result.error().line > 0, qPrintable(text));
    }

    void minimalConfigDefaults()
    {
        const auto result = loadConfigText(minimal(), QStringLiteral("min.yaml"));
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        const PipelineConfig& c = *result;
        QCOMPARE(c.filePath, QStringLiteral("min.yaml"));
        QCOMPARE(c.name, QStringLiteral("pipeline"));
        QCOMPARE(c.recoveryWindowMs, 6LL * 3600 * 1000);
        QCOMPARE(c.exporter.listen, QStringLiteral("127.0.0.1:9464"));
        QCOMPARE(c.ledger.retentionMs, 14LL * 24 * 3600 * 1000);
        QCOMPARE(c.ledger.maxBytes, 512LL * 1024 * 1024);
        const SourceConfig* prom = c.findSource(QStringLiteral("prom"));
        QVERIFY(prom);
        QCOMPARE(prom->kind, QStringLiteral("promql"));
        QCOMPARE(prom->intervalMs, 5000);
        QCOMPARE(prom->timeoutMs, 3000);
        QCOMPARE(prom->http.url, QStringLiteral("http://127.0.0.1:9090"));
        QCOMPARE(prom->http.maxBodyBytes, 16LL * 1024 * 1024);
        QCOMPARE(prom->line, 2);
        QVERIFY(!prom->http.insecureSkipVerify);
        QCOMPARE(c.findSource(QStringLiteral("nope")), nullptr);

        QCOMPARE(c.stages.size(), size_t(1));
        QCOMPARE(c.stages[0].title, QStringLiteral("Sink"));
        const SignalConfig* s = c.findSignal(QStringLiteral("sink/sink_commit_latency"));
        QVERIFY(s);
        QCOMPARE(s->name, QStringLiteral("sink_commit_latency"));
        QCOMPARE(s->stageId, QStringLiteral("sink"));
        QCOMPARE(s->kind, SignalKind::SinkCommitLatency);
        QCOMPARE(s->unit, QStringLiteral("s"));
        QCOMPARE(s->sourceId, QStringLiteral("prom"));
        QCOMPARE(s->params.value(QStringLiteral("query")).toString(), QStringLiteral("up"));
        QCOMPARE(s->line, 8);
        QVERIFY(s->thresholds.isEmpty());
        QCOMPARE(c.findSignal(QStringLiteral("sink/p99")), nullptr);
    }

    void kafkaGroups()
    {
        const auto config = loadConfigText(
            QByteArray("sources:\n  k:\n    kind: kafka\n    bootstrap_servers: 'h:9092'\n    lag_window: 6\n"
                       "    groups: {include: ['^orders-'], exclude: ['-test$']}\n"
                       "  all: {kind: kafka, bootstrap_servers: 'h:9092', groups: all}\n"
                       "stages:\n  - id: source_log\n    signals:\n      - {kind: consumer_lag, source: k}\n"
                       "      - {name: every, kind: time_lag, source: all}\n"),
            QStringLiteral("groups.yaml"));
        QVERIFY2(config, qPrintable(config ? QString() : config.error().toString()));
        const QVariantMap groups
            = config->sources.at(QStringLiteral("k")).options.value(QStringLiteral("groups")).toMap();
        QCOMPARE(groups.value(QStringLiteral("include")).toStringList(), QStringList {QStringLiteral("^orders-")});
        QCOMPARE(groups.value(QStringLiteral("exclude")).toStringList(), QStringList {QStringLiteral("-test$")});
        QCOMPARE(config->sources.at(QStringLiteral("k")).options.value(QStringLiteral("lag_window")).toInt(), 6);
        const QVariantMap all
            = config->sources.at(QStringLiteral("all")).options.value(QStringLiteral("groups")).toMap();
        QVERIFY(all.value(QStringLiteral("include")).toStringList().isEmpty());
    }

    void ledgerSection()
    {
        const auto result
            = loadConfigText(minimal("ledger:\n  retention: 3d\n  max_bytes: 64MiB\n"), QStringLiteral("l.yaml"));
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        QCOMPARE(result->ledger.retentionMs, 3LL * 24 * 3600 * 1000);
        QCOMPARE(result->ledger.maxBytes, 64LL * 1024 * 1024);
    }

    void headroomJudgedByRecoveryWindow()
    {
        const QByteArray yaml = "pipeline: {recovery_window: 4h}\n"
                                "sources:\n"
                                "  k: {kind: kafka, bootstrap_servers: 127.0.0.1:9092}\n"
                                "stages:\n"
                                "  - id: source_log\n"
                                "    signals:\n"
                                "      - {kind: replay_headroom, name: window, source: k, topic: events}\n"
                                "      - {kind: replay_headroom, name: own, source: k, topic: events, thresholds: "
                                "{warn: 2h}}\n";
        const auto result = loadConfigText(yaml, QStringLiteral("w.yaml"));
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        const SignalConfig* window = result->findSignal(QStringLiteral("source_log/window"));
        QVERIFY(window);
        QCOMPARE(window->thresholds.direction, Thresholds::Direction::LowerIsWorse);
        QCOMPARE(window->thresholds.warn, std::optional<double>(4 * 3600.0));
        QCOMPARE(window->thresholds.crit, std::optional<double>(2 * 3600.0));
        // Headroom of 3 h against a 4 h window: WARN; 1 h: CRIT; 5 h: OK.
        QCOMPARE(window->thresholds.classify(3 * 3600.0), Severity::Warn);
        QCOMPARE(window->thresholds.classify(3600.0), Severity::Crit);
        QCOMPARE(window->thresholds.classify(5 * 3600.0), Severity::Ok);
        const SignalConfig* own = result->findSignal(QStringLiteral("source_log/own"));
        QVERIFY(own);
        QCOMPARE(own->thresholds.warn, std::optional<double>(2 * 3600.0));
        QVERIFY(!own->thresholds.crit);
    }

    void timeoutFollowsShortInterval()
    {
        QByteArray yaml = minimal();
        yaml.replace("    url: http://127.0.0.1:9090\n", "    url: http://127.0.0.1:9090\n    interval: 1500ms\n");
        const auto result = loadConfigText(yaml, QStringLiteral("t.yaml"));
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        QCOMPARE(result->findSource(QStringLiteral("prom"))->intervalMs, 1500);
        QCOMPARE(result->findSource(QStringLiteral("prom"))->timeoutMs, 1500);
    }

    void fullValues()
    {
        const QByteArray yaml
            = "pipeline: {name: marts, recovery_window: 12h}\n"
              "export: {listen: '[::1]:9999'}\n"
              "sources:\n"
              "  scr:\n"
              "    kind: scrape\n"
              "    url: https://${PW_TEST_HOST}:9400/metrics\n"
              "    interval: 1m\n"
              "    timeout: 2.5\n"
              "    tls: {insecure_skip_verify: true}\n"
              "    auth: {basic: {username: reader, password: \"${PW_TEST_SECRET}\"}}\n"
              "    headers: {X-Scope-OrgID: tenant-a, X-Literal: 'cost $${NOT_ENV}'}\n"
              "  k:\n"
              "    kind: kafka\n"
              "    bootstrap_servers: a:9092, b:9093\n"
              "    properties: {security.protocol: SASL_SSL, sasl.password: '${PW_TEST_SECRET}', "
              "enable.partition.eof: false}\n"
              "  pg:\n"
              "    kind: sql\n"
              "    driver: QPSQL\n"
              "    database: marts\n"
              "    host: db\n"
              "    port: 6432\n"
              "    user: reader\n"
              "    password: ${PW_TEST_SECRET}\n"
              "  j: {kind: http_json, url: 'http://h/api?token=abc&x=1'}\n"
              "stages:\n"
              "  - id: source_log\n"
              "    signals:\n"
              "      - {kind: replay_headroom, source: k, topic: events, thresholds: {warn: 2h, crit: "
              "1h}}\n"
              "  - id: my_stage\n"
              "    title: Mine\n"
              "    signals:\n"
              "      - kind: sink_commit_latency\n"
              "        name: p99\n"
              "        source: scr\n"
              "        metric: sink_commit_seconds\n"
              "        matchers: {bucket: marts}\n"
              "        quantile: 0.99\n"
              "        window: 2m\n"
              "        unit: seconds\n"
              "        thresholds: {warn: 1.5, crit: 5, hysteresis: 0.25, for: 30s}\n"
              "      - {kind: dashboard_freshness, source: pg, sql: 'select max(ts) from t'}\n"
              "      - {kind: data_age, source: j, pointer: '', time_format: epoch_ms, timezone: Europe/Berlin,"
              " url: 'http://h/other'}\n"
              "      - {kind: custom, name: c, source: scr, metric: m, aggregate: max}\n";
        const auto result = loadConfigText(yaml, QStringLiteral("full.yaml"));
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        const PipelineConfig& c = *result;
        QCOMPARE(c.name, QStringLiteral("marts"));
        QCOMPARE(c.recoveryWindowMs, 12LL * 3600 * 1000);
        QCOMPARE(c.exporter.listen, QStringLiteral("[::1]:9999"));

        const SourceConfig& scr = *c.findSource(QStringLiteral("scr"));
        QCOMPARE(scr.http.url, QStringLiteral("https://127.0.0.1:9400/metrics"));
        QCOMPARE(scr.intervalMs, 60000);
        QCOMPARE(scr.timeoutMs, 2500);
        QCOMPARE(scr.http.maxBodyBytes, 64LL * 1024 * 1024);
        QVERIFY(scr.http.insecureSkipVerify);
        QCOMPARE(scr.http.basicUser, QStringLiteral("reader"));
        QCOMPARE(scr.http.basicPassword, QLatin1String(kSecret));
        QCOMPARE(scr.http.headers.size(), size_t(2));
        QCOMPARE(scr.http.headers[0].first, QStringLiteral("X-Scope-OrgID"));
        QCOMPARE(scr.http.headers[0].second, QStringLiteral("tenant-a"));
        QCOMPARE(scr.http.headers[1].second, QStringLiteral("cost ${NOT_ENV}"));

        const SourceConfig& k = *c.findSource(QStringLiteral("k"));
        QCOMPARE(k.options.value(QStringLiteral("bootstrap_servers")).toString(), QStringLiteral("a:9092, b:9093"));
        const QVariantMap props = k.options.value(QStringLiteral("properties")).toMap();
        QCOMPARE(props.value(QStringLiteral("security.protocol")).toString(), QStringLiteral("SASL_SSL"));
        QCOMPARE(props.value(QStringLiteral("sasl.password")).toString(), QLatin1String(kSecret));
        QCOMPARE(props.value(QStringLiteral("enable.partition.eof")).toString(), QStringLiteral("false"));

        const SourceConfig& pg = *c.findSource(QStringLiteral("pg"));
        QCOMPARE(pg.options.value(QStringLiteral("driver")).toString(), QStringLiteral("QPSQL"));
        QCOMPARE(pg.options.value(QStringLiteral("port")).toString(), QStringLiteral("6432"));
        QCOMPARE(pg.options.value(QStringLiteral("password")).toString(), QLatin1String(kSecret));
        QCOMPARE(pg.options.value(QStringLiteral("timestamp_timezone")).toString(), QStringLiteral("UTC"));
        QCOMPARE(pg.http.maxBodyBytes, 0);

        const SignalConfig& headroom = *c.findSignal(QStringLiteral("source_log/replay_headroom"));
        QCOMPARE(headroom.thresholds.direction, Thresholds::Direction::LowerIsWorse);
        QCOMPARE(*headroom.thresholds.warn, 7200.0);
        QCOMPARE(*headroom.thresholds.crit, 3600.0);
        QCOMPARE(headroom.params.value(QStringLiteral("topic")).toString(), QStringLiteral("events"));

        QCOMPARE(c.stages[1].title, QStringLiteral("Mine"));
        const SignalConfig& p99 = *c.findSignal(QStringLiteral("my_stage/p99"));
        QCOMPARE(p99.unit, QStringLiteral("seconds"));
        QCOMPARE(p99.params.value(QStringLiteral("metric")).toString(), QStringLiteral("sink_commit_seconds"));
        QCOMPARE(p99.params.value(QStringLiteral("matchers")).toMap().value(QStringLiteral("bucket")).toString(),
            QStringLiteral("marts"));
        QCOMPARE(p99.params.value(QStringLiteral("quantile")).toDouble(), 0.99);
        QCOMPARE(p99.params.value(QStringLiteral("window")).toString(), QStringLiteral("2m"));
        QCOMPARE(p99.params.value(QStringLiteral("window_ms")).toLongLong(), 120000);
        QCOMPARE(*p99.thresholds.warn, 1.5);
        QCOMPARE(*p99.thresholds.crit, 5.0);
        QCOMPARE(p99.thresholds.hysteresis, 0.25);
        QCOMPARE(p99.thresholds.minDurationMs, 30000);
        QCOMPARE(p99.thresholds.direction, Thresholds::Direction::HigherIsWorse);

        const SignalConfig& fresh = *c.findSignal(QStringLiteral("my_stage/dashboard_freshness"));
        QCOMPARE(fresh.params.value(QStringLiteral("sql")).toString(), QStringLiteral("select max(ts) from t"));
        const SignalConfig& age = *c.findSignal(QStringLiteral("my_stage/data_age"));
        QCOMPARE(age.params.value(QStringLiteral("pointer")).toString(), QString());
        QCOMPARE(age.params.value(QStringLiteral("time_format")).toString(), QStringLiteral("epoch_ms"));
        QCOMPARE(age.params.value(QStringLiteral("timezone")).toString(), QStringLiteral("Europe/Berlin"));
        QCOMPARE(age.params.value(QStringLiteral("url")).toString(), QStringLiteral("http://h/other"));
        QCOMPARE(fresh.params.value(QStringLiteral("time_format")).toString(), QStringLiteral("auto"));
        QCOMPARE(p99.params.value(QStringLiteral("aggregate")).toString(), QStringLiteral("sum"));
        QCOMPARE(c.findSignal(QStringLiteral("my_stage/c"))->params.value(QStringLiteral("aggregate")).toString(),
            QStringLiteral("max"));

        // Descriptions never carry secrets, and still say what the source is.
        for (const auto& [id, source] : c.sources) {
            const QString d = redactedSourceDescription(source);
            QVERIFY2(!d.contains(QLatin1String(kSecret)), qPrintable(d));
            QVERIFY2(d.startsWith(id + QStringLiteral(" (") + source.kind + QLatin1Char(')')), qPrintable(d));
        }
        QVERIFY(redactedSourceDescription(scr).contains(QStringLiteral("basic auth reader:***")));
        QVERIFY(redactedSourceDescription(k).contains(QStringLiteral("sasl.password=***")));
        QVERIFY(redactedSourceDescription(k).contains(QStringLiteral("security.protocol=SASL_SSL")));
        QVERIFY(redactedSourceDescription(pg).contains(QStringLiteral("QPSQL reader@db:6432/marts")));
        const QString j = redactedSourceDescription(*c.findSource(QStringLiteral("j")));
        QVERIFY2(j.contains(QStringLiteral("token=***")) && j.contains(QStringLiteral("x=1")), qPrintable(j));
        QVERIFY2(!j.contains(QStringLiteral("abc")), qPrintable(j));
    }

    void caFileRelativeToConfig()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile ca(dir.filePath(QStringLiteral("ca.pem")));
        QVERIFY(ca.open(QIODevice::WriteOnly));
        ca.write("-----BEGIN CERTIFICATE-----\n");
        ca.close();
        QByteArray yaml = minimal();
        yaml.replace(
            "    url: http://127.0.0.1:9090\n", "    url: https://127.0.0.1:9090\n    tls: {ca_file: ca.pem}\n");
        QFile file(dir.filePath(QStringLiteral("p.yaml")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(yaml);
        file.close();
        const auto result = loadConfigFile(file.fileName());
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        QCOMPARE(result->findSource(QStringLiteral("prom"))->http.caFile, ca.fileName());
        QCOMPARE(result->filePath, QFileInfo(file.fileName()).absoluteFilePath());

        yaml.replace("ca.pem", "missing.pem");
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(yaml);
        file.close();
        const auto missing = loadConfigFile(file.fileName());
        QVERIFY(!missing);
        QCOMPARE(missing.error().line, 5);
        QVERIFY2(missing.error().toString().contains(QStringLiteral("missing.pem` of source `prom` does not exist")),
            qPrintable(missing.error().toString()));
    }

    void fileErrors()
    {
        const auto result = loadConfigFile(QStringLiteral("/nonexistent/pathwatch.yaml"));
        QVERIFY(!result);
        QCOMPARE(result.error().code, Error::Code::Io);
        QCOMPARE(result.error().toString(),
            QStringLiteral("/nonexistent/pathwatch.yaml: config file not found (check the path; see "
                           "resources/examples/)"));
    }

    void examplesLoad_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("sources");
        QTest::addColumn<int>("stages");
        QTest::newRow("prometheus") << QStringLiteral("prometheus.yaml") << 1 << 2;
        QTest::newRow("full-pipeline") << QStringLiteral("full-pipeline.yaml") << 6 << 5;
    }

    void examplesLoad()
    {
        QFETCH(QString, name);
        QFETCH(int, sources);
        QFETCH(int, stages);
        const QString path = QStringLiteral(PATHWATCH_SOURCE_DIR "/resources/examples/") + name;
        const auto result = loadConfigFile(path);
        QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
        QCOMPARE(int(result->sources.size()), sources);
        QCOMPARE(int(result->stages.size()), stages);
        if (name == QLatin1String("full-pipeline.yaml")) {
            QStringList kinds;
            for (const auto& [id, s] : result->sources)
                kinds << s.kind;
            kinds.sort();
            QStringList all = schema::sourceKinds();
            all.sort();
            QCOMPARE(kinds, all);
            QStringList stageIds;
            for (const StageConfig& s : result->stages)
                stageIds << s.id;
            QCOMPARE(stageIds, (P({"source_log", "compute", "sink", "storage", "serving"})));
        } else {
            const SignalConfig* p99 = result->findSignal(QStringLiteral("sink/p99"));
            QVERIFY(p99);
            QVERIFY(p99->params.value(QStringLiteral("query"))
                        .toString()
                        .startsWith(QStringLiteral("histogram_quantile(")));
            QCOMPARE(*p99->thresholds.crit, 5.0);
            QCOMPARE(result->findSource(QStringLiteral("prom"))->http.url, QStringLiteral("http://127.0.0.1:9090"));
        }
    }

    // Every example shipped loads, given the environment its header comment asks for.
    void everyExampleLoads()
    {
        const std::pair<const char*, const char*> env[] = {
            {"PATHWATCH_FLINK_URL", "http://127.0.0.1:8081"},
            {"PATHWATCH_FLINK_JOB", "aggregate-job"},
            {"PATHWATCH_DASHBOARD_URL", "http://127.0.0.1:3000/api/panels/hourly/data"},
            {"PATHWATCH_DASHBOARD_API_KEY", kSecret},
            {"PATHWATCH_SCRAPE_URL", "http://127.0.0.1:9400/metrics"},
            {"PATHWATCH_SCRAPE_TOKEN", kSecret},
            {"PATHWATCH_PG_HOST", "127.0.0.1"},
            {"PATHWATCH_PG_PORT", "5432"},
            {"PATHWATCH_PG_DATABASE", "marts"},
            {"PATHWATCH_PG_USER", "reader"},
            {"PATHWATCH_PG_PASSWORD", kSecret},
            {"PATHWATCH_SQLITE_DB", "/tmp/serving.db"},
            {"PATHWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092"},
            {"PATHWATCH_KAFKA_GROUP", "aggregator"},
            {"PATHWATCH_KAFKA_TOPIC", "events"},
        };
        for (const auto& [name, value] : env)
            qputenv(name, value);
        const QDir dir(QStringLiteral(PATHWATCH_SOURCE_DIR "/resources/examples"));
        const QStringList files = dir.entryList({QStringLiteral("*.yaml")}, QDir::Files);
        QVERIFY(files.contains(QStringLiteral("prometheus.yaml")));
        QVERIFY(files.contains(QStringLiteral("full-pipeline.yaml")));
        for (const QString& file : files) {
            const auto result = loadConfigFile(dir.filePath(file));
            QVERIFY2(result, qPrintable(result ? QString() : result.error().toString()));
            QVERIFY2(!result->stages.empty(), qPrintable(file));
        }
    }

    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("ms") << QStringLiteral("250ms") << qint64(250);
        QTest::newRow("s") << QStringLiteral("5s") << qint64(5000);
        QTest::newRow("m") << QStringLiteral("2m") << qint64(120000);
        QTest::newRow("h") << QStringLiteral("6h") << qint64(6 * 3600000);
        QTest::newRow("d") << QStringLiteral("1d") << qint64(86400000);
        QTest::newRow("w") << QStringLiteral("1w") << qint64(7 * 86400000LL);
        QTest::newRow("compound") << QStringLiteral("1h30m") << qint64(5400000);
        QTest::newRow("fraction") << QStringLiteral("1.5s") << qint64(1500);
        QTest::newRow("bare seconds") << QStringLiteral("3") << qint64(3000);
        QTest::newRow("bare fraction") << QStringLiteral("0.25") << qint64(250);
        QTest::newRow("spaces") << QStringLiteral(" 10s ") << qint64(10000);
        QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
        QTest::newRow("fast") << QStringLiteral("fast") << qint64(-1);
        QTest::newRow("empty") << QString() << qint64(-1);
        QTest::newRow("negative") << QStringLiteral("-5s") << qint64(-1);
        QTest::newRow("unknown unit") << QStringLiteral("5y") << qint64(-1);
        QTest::newRow("unit only") << QStringLiteral("s") << qint64(-1);
        QTest::newRow("inf") << QStringLiteral("inf") << qint64(-1);
        QTest::newRow("huge") << QStringLiteral("99999999999999d") << qint64(-1);
    }

    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        const auto result = parseDurationMs(text);
        if (ms < 0) {
            QVERIFY(!result);
            QVERIFY(result.error().message.startsWith(QStringLiteral("expected a duration like 5s")));
        } else {
            QVERIFY2(result, qPrintable(text));
            QCOMPARE(*result, ms);
        }
    }

    void formatDurations()
    {
        QCOMPARE(formatDurationMs(250), QStringLiteral("250ms"));
        QCOMPARE(formatDurationMs(5000), QStringLiteral("5s"));
        QCOMPARE(formatDurationMs(90000), QStringLiteral("90s"));
        QCOMPARE(formatDurationMs(120000), QStringLiteral("2m"));
        QCOMPARE(formatDurationMs(6 * 3600000), QStringLiteral("6h"));
        QCOMPARE(formatDurationMs(86400000), QStringLiteral("1d"));
        QCOMPARE(formatDurationMs(0), QStringLiteral("0s"));
    }

    void suggestions()
    {
        const QStringList keys = schema::sourceKeys(u"promql");
        QCOMPARE(schema::closestMatch(u"intervall", keys), QStringLiteral("interval"));
        QCOMPARE(schema::closestMatch(u"timout", keys), QStringLiteral("timeout"));
        QCOMPARE(schema::closestMatch(u"kidn", keys), QStringLiteral("kind"));
        QCOMPARE(schema::closestMatch(u"max_body", keys), QStringLiteral("max_body_bytes"));
        QCOMPARE(schema::closestMatch(u"completely_different", keys), QString());
        QCOMPARE(schema::editDistance(u"abc", u"acb"), 1);
        QCOMPARE(schema::editDistance(u"", u"abc"), 3);
    }

    void secretPropertyNames()
    {
        QVERIFY(isSecretPropertyName(u"sasl.password"));
        QVERIFY(isSecretPropertyName(u"ssl.key.password"));
        QVERIFY(isSecretPropertyName(u"sasl.oauthbearer.client.secret"));
        QVERIFY(isSecretPropertyName(u"sasl.oauthbearer.config"));
        QVERIFY(!isSecretPropertyName(u"security.protocol"));
        QVERIFY(!isSecretPropertyName(u"sasl.mechanism"));
        QCOMPARE(redactedUrl(QStringLiteral("http://u:p@h:1/x?api_key=1&q=up")),
            QStringLiteral("http://h:1/x?api_key=***&q=up"));
    }
};

QTEST_GUILESS_MAIN(TestConfigLoader)
#include "tst_configloader.moc"
