// The config Pathwatch generates for its embedded demo must load like any user's config, point every source at the
// demo's endpoints and give every stage of the path its signals.
#include "config/config.h"
#include "demo/demopipeline.h"
#include "sources/source.h"

#include <QTest>

using pw::demo::DemoEndpoints;

class TestDemoConfig : public QObject
{
    Q_OBJECT

private:
    static DemoEndpoints endpoints()
    {
        DemoEndpoints e;
        e.bootstrapServers = "127.0.0.1:19092";
        e.restUrl = "http://127.0.0.1:18081";
        e.metricsUrl = "http://127.0.0.1:19465/metrics";
        // Spaces, a quote and a backslash: the path must survive YAML quoting.
        e.servingDatabase = "/tmp/pathwatch demo/\"odd\\dir\"/serving.sqlite";
        e.objectStore = "/tmp/pathwatch demo/objects";
        e.jarId = "0a1b_pathwatch-demo-aggregate.jar";
        return e;
    }

private slots:
    void recoverySectionLinksTheJob()
    {
        auto config
            = pw::loadConfigText(pw::demo::demoConfigYaml(endpoints()).toUtf8(), QStringLiteral("embedded-demo.yaml"));
        QVERIFY2(config, qPrintable(config ? QString() : config.error().toString()));
        const pw::RecoveryConfig* r = config->findRecovery(QStringLiteral("demo-aggregate"));
        QVERIFY(r);
        QCOMPARE(r->kafkaSourceId, QStringLiteral("demo-kafka"));
        QCOMPARE(r->flinkSourceId, QStringLiteral("demo-job"));
        QCOMPARE(r->jarId, QStringLiteral("0a1b_pathwatch-demo-aggregate.jar"));
        QCOMPARE(r->programArgs.join(u' '), QStringLiteral("--topic events --group demo-aggregate"));
        QVERIFY(!r->production);
    }

    void loadsAndPointsAtTheDemo()
    {
        const DemoEndpoints e = endpoints();
        auto config = pw::loadConfigText(pw::demo::demoConfigYaml(e).toUtf8(), QStringLiteral("embedded-demo.yaml"));
        QVERIFY2(config, qPrintable(config ? QString() : config.error().toString()));
        QCOMPARE(config->name, QStringLiteral("embedded-demo"));

        QCOMPARE(config->sources.size(), std::size_t(4));
        const pw::SourceConfig* kafka = config->findSource(QStringLiteral("demo-kafka"));
        QVERIFY(kafka);
        QCOMPARE(kafka->kind, QStringLiteral("kafka"));
        QCOMPARE(
            kafka->options.value(QStringLiteral("bootstrap_servers")).toString(), QStringLiteral("127.0.0.1:19092"));
        const pw::SourceConfig* job = config->findSource(QStringLiteral("demo-job"));
        QVERIFY(job);
        QCOMPARE(job->http.url, QStringLiteral("http://127.0.0.1:18081"));
        const pw::SourceConfig* sink = config->findSource(QStringLiteral("demo-sink"));
        QVERIFY(sink);
        QCOMPARE(sink->http.url, QStringLiteral("http://127.0.0.1:19465/metrics"));
        const pw::SourceConfig* serving = config->findSource(QStringLiteral("demo-serving"));
        QVERIFY(serving);
        QCOMPARE(serving->options.value(QStringLiteral("database")).toString(),
            QStringLiteral("/tmp/pathwatch demo/\"odd\\dir\"/serving.sqlite"));

        QStringList stages;
        for (const auto& stage : config->stages) {
            stages << stage.id;
            QVERIFY2(!stage.signalConfigs.empty(), qPrintable(stage.id));
            for (const auto& signal : stage.signalConfigs)
                QVERIFY2(signal.thresholds.warn || signal.thresholds.crit, qPrintable(signal.id));
        }
        QCOMPARE(stages,
            QStringList({QStringLiteral("source_log"), QStringLiteral("compute"), QStringLiteral("sink"),
                QStringLiteral("storage"), QStringLiteral("serving")}));
    }

    // Every source of the generated config can be built by the source factory (no kind the engine lacks).
    void everySourceCanBeCreated()
    {
        auto config
            = pw::loadConfigText(pw::demo::demoConfigYaml(endpoints()).toUtf8(), QStringLiteral("embedded-demo.yaml"));
        QVERIFY(config);
        for (const auto& [id, source] : config->sources) {
            std::vector<pw::SignalConfig> sourceSignals;
            for (const auto& stage : config->stages)
                for (const auto& signal : stage.signalConfigs)
                    if (signal.sourceId == id)
                        sourceSignals.push_back(signal);
            QVERIFY2(!sourceSignals.empty(), qPrintable(id));
            auto created = pw::createSource(source, sourceSignals);
            QVERIFY2(
                created, qPrintable(id + QStringLiteral(": ") + (created ? QString() : created.error().toString())));
        }
    }
};

QTEST_GUILESS_MAIN(TestDemoConfig)
#include "tst_democonfig.moc"
