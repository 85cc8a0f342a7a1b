#include "export/metricsexporter.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

namespace {

Snapshot sampleSnapshot()
{
    Snapshot s;
    s.pipelineName = QStringLiteral("marts");
    s.takenMs = 1'700'000'000'000;
    SignalState fresh;
    fresh.signalId = QStringLiteral("sink/p99");
    fresh.stageId = QStringLiteral("sink");
    fresh.name = QStringLiteral("p99");
    fresh.kind = SignalKind::SinkCommitLatency;
    fresh.sourceId = QStringLiteral("prom");
    fresh.labels = {{QStringLiteral("__name__"), QStringLiteral("x")},
        {QStringLiteral("bucket"), QStringLiteral("marts")}, {QStringLiteral("stage"), QStringLiteral("clash")},
        {QStringLiteral("weird-name"), QStringLiteral("a\"b\\c\nd")}};
    fresh.hasValue = true;
    fresh.value = 0.25;
    fresh.valueTimestampMs = 1'700'000'000'000;
    fresh.severity = Severity::Ok;
    s.signalStates.push_back(fresh);

    SignalState stale = fresh;
    stale.signalId = QStringLiteral("storage/errors");
    stale.stageId = QStringLiteral("storage");
    stale.name = QStringLiteral("errors");
    stale.kind = SignalKind::ObjectStorageErrors;
    stale.labels = {};
    stale.value = 42.0;
    stale.severity = Severity::Stale;
    s.signalStates.push_back(stale);

    StageState st;
    st.stageId = QStringLiteral("sink");
    st.severity = Severity::Ok;
    s.stages.push_back(st);
    SourceHealth up;
    up.sourceId = QStringLiteral("prom");
    up.kind = QStringLiteral("promql");
    up.up = true;
    up.lastSuccessMs = 1'700'000'000'000;
    s.sources.push_back(up);
    SourceHealth down;
    down.sourceId = QStringLiteral("s3");
    down.kind = QStringLiteral("scrape");
    s.sources.push_back(down);
    return s;
}

} // namespace

class TestMetricsExporter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rendersSignalsAndHidesStaleValues()
    {
        const QByteArray text = MetricsExporter::render(sampleSnapshot());
        QVERIFY2(text.contains("pathwatch_signal_value{stage=\"sink\",signal=\"p99\""), text.constData());
        QVERIFY(text.contains("exported_stage=\"clash\""));
        QVERIFY(text.contains("weird_name=\"a\\\"b\\\\c\\nd\""));
        QVERIFY(!text.contains("__name__"));
        // The STALE signal carries status 3 and its last update, but no value.
        QVERIFY(text.contains("pathwatch_signal_status{stage=\"storage\",signal=\"errors\""));
        QVERIFY(!text.contains("pathwatch_signal_value{stage=\"storage\""));
        QVERIFY(text.contains("pathwatch_signal_last_update_timestamp_seconds{stage=\"storage\""));
        QVERIFY(text.contains("pathwatch_source_up{source=\"s3\",kind=\"scrape\"} 0"));
        QVERIFY(text.contains("pathwatch_source_up{source=\"prom\",kind=\"promql\"} 1"));
        QVERIFY(!text.contains("pathwatch_source_last_success_timestamp_seconds{source=\"s3\""));
        QVERIFY(text.contains("pathwatch_build_info{version="));
    }

    void rendersReadinessPerLayer()
    {
        QVERIFY(!MetricsExporter::render(sampleSnapshot()).contains("pathwatch_readiness"));
        ReadinessReport report;
        report.atMs = 1'800'000'000'000;
        report.layers = {{ReadinessLayer::KafkaSource, ReadinessVerdict::Pass, {}},
            {ReadinessLayer::Storage, ReadinessVerdict::Fail, {}},
            {ReadinessLayer::Migration, ReadinessVerdict::Unknown, {}}};
        const QByteArray text = MetricsExporter::render(sampleSnapshot(), &report);
        QVERIFY2(text.contains("pathwatch_readiness_layer_status{layer=\"kafka_source\"} 0\n"), text.constData());
        QVERIFY(text.contains("pathwatch_readiness_layer_status{layer=\"storage\"} 2\n"));
        QVERIFY(text.contains("pathwatch_readiness_layer_status{layer=\"migration\"} 3\n"));
        QVERIFY(text.contains("pathwatch_readiness_evaluated_timestamp_seconds "));
    }

    void promtoolAcceptsTheScrape()
    {
        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        QVERIFY2(!promtool.isEmpty(), "promtool not found: install the `prometheus` package (installers/deps.sh test)");
        auto snapshot = std::make_shared<const Snapshot>(sampleSnapshot());
        MetricsExporter exporter([snapshot] { return snapshot; });
        QVERIFY(exporter.listen(QStringLiteral("127.0.0.1:0")));
        QVERIFY(exporter.port() > 0);

        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), exporter.port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write("GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n");
        QByteArray response;
        while (socket.waitForReadyRead(5000))
            response += socket.readAll();
        response += socket.readAll();
        QVERIFY2(response.startsWith("HTTP/1.1 200") || response.startsWith("HTTP/1.0 200"), response.left(200));
        const QByteArray body = response.mid(response.indexOf("\r\n\r\n") + 4);
        QVERIFY(body.contains("pathwatch_signal_status"));

        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted());
        check.write(body);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(30000));
        const QByteArray output = check.readAllStandardOutput() + check.readAllStandardError();
        QVERIFY2(check.exitCode() == 0, output.constData());
        QVERIFY2(output.trimmed().isEmpty(), output.constData()); // no lint warnings either
    }

    void badListenAddressIsAnError()
    {
        MetricsExporter exporter([] { return SnapshotPtr {}; });
        auto r = exporter.listen(QStringLiteral("localhost"));
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QStringLiteral("HOST:PORT")));
    }
};

QTEST_GUILESS_MAIN(TestMetricsExporter)
#include "tst_metricsexporter.moc"
