// The `pathwatch` executable end to end: --version, check-config, status and headless against a real Prometheus
// server scraping a prometheus-cpp exporter.
#include "prometheusserver.h"
#include "testexporter.h"
#include "testhttpserver.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace pw::test;

namespace {

QString pathwatchBinary()
{
    return QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch");
}

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run run(const QStringList& args, int timeoutMs = 60000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM")); // the commands must not need any display at all
    p.setProcessEnvironment(env);
    p.start(pathwatchBinary(), args);
    if (!p.waitForFinished(timeoutMs))
        p.kill();
    return Run {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
        QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QString writeConfig(const QTemporaryDir& dir, const QString& name, const QString& prometheusUrl, double critP99,
    const QString& listen = QStringLiteral("127.0.0.1:0"))
{
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(QStringLiteral(R"(pipeline:
  name: test-marts
  recovery_window: 6h
export:
  listen: %3
sources:
  prom:
    kind: promql
    url: %1
    interval: 2s
    timeout: 2s
stages:
  - id: sink
    title: Sink
    signals:
      - kind: sink_commit_latency
        name: p99
        source: prom
        query: histogram_quantile(0.99, sum by (le) (rate(sink_commit_duration_seconds_bucket[1m])))
        thresholds: {warn: %4, crit: %2}
  - id: storage
    title: Storage
    signals:
      - kind: object_storage_errors
        name: error_rate
        source: prom
        query: sum(rate(object_store_requests_total{result="error"}[1m]))
        thresholds: {warn: 1000, crit: 2000}
)")
                .arg(prometheusUrl)
                .arg(critP99)
                .arg(listen)
                .arg(critP99 / 2)
                .toUtf8());
    return path;
}

QByteArray curl(const QString& url)
{
    QProcess c;
    c.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("10"), url});
    c.waitForFinished(15000);
    return c.readAllStandardOutput();
}

// `promtool check metrics` of an exposition: empty when it passes, else what promtool said.
QString promtoolCheckMetrics(const QString& promtool, const QByteArray& exposition)
{
    QProcess check;
    check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    check.write(exposition);
    check.closeWriteChannel();
    if (!check.waitForFinished(30000))
        return QStringLiteral("promtool did not finish within 30 s");
    if (check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0)
        return {};
    const QString said = QString::fromUtf8(check.readAllStandardOutput() + check.readAllStandardError());
    return said.isEmpty() ? QStringLiteral("promtool failed") : said;
}

QString writeJsonConfig(const QTemporaryDir& dir, const QString& name, const QString& pipeline, const QString& url)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(QStringLiteral(R"(pipeline:
  name: %1
sources:
  web:
    kind: http_json
    url: %2
    interval: 1s
    timeout: 500ms
stages:
  - id: serving
    title: Serving
    signals:
      - kind: dashboard_freshness
        name: panel
        source: web
        pointer: /ts
        thresholds: {warn: 1h, crit: 2h}
)")
                .arg(pipeline, url)
                .toUtf8());
    return path;
}

// Reads a process's stderr until `needle` shows up or `timeoutMs` passes; returns everything read.
QByteArray readStderrUntil(QProcess& process, QByteArray& log, const QByteArray& needle, int timeoutMs = 30000)
{
    QElapsedTimer t;
    t.start();
    while (!log.contains(needle) && t.elapsed() < timeoutMs && process.state() == QProcess::Running) {
        process.waitForReadyRead(200);
        log += process.readAllStandardError();
    }
    log += process.readAllStandardError();
    return log;
}

} // namespace

class TestCommandLine : public QObject
{
    Q_OBJECT

    TestExporter m_exporter;
    PrometheusServer m_prometheus;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(pathwatchBinary()), qPrintable(pathwatchBinary() + QStringLiteral(" is not built")));
        QVERIFY(m_exporter.start());
        for (int i = 0; i < 200; ++i)
            m_exporter.observeSinkCommit(0.05 + (i % 10) * 0.02); // 0.05 .. 0.23 s
        m_exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("ok"), 100);
        const QString error = m_prometheus.start({m_exporter.address()});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // Keep traffic flowing so rate() windows have increases while Prometheus scrapes.
        QElapsedTimer t;
        t.start();
        while (!m_prometheus.waitForScrapes(2, 500) && t.elapsed() < 60000) {
            for (int i = 0; i < 50; ++i)
                m_exporter.observeSinkCommit(0.05 + (i % 10) * 0.02);
            m_exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("error"), 3);
        }
        QVERIFY2(t.elapsed() < 60000, "prometheus did not scrape the exporter twice within 60 s");
        for (int round = 0; round < 4; ++round) {
            for (int i = 0; i < 50; ++i)
                m_exporter.observeSinkCommit(0.05 + (i % 10) * 0.02);
            m_exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("error"), 3);
            QTest::qWait(1000);
        }
    }

    void version()
    {
        auto r = run({QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(QStringLiteral("pathwatch 0.")), qPrintable(r.out));
        auto h = run({QStringLiteral("--help")});
        QCOMPARE(h.exitCode, 0);
        QVERIFY(h.out.contains(QStringLiteral("check-config")));
    }

    void checkConfig()
    {
        const QString good = writeConfig(m_dir, QStringLiteral("good.yaml"), m_prometheus.url(), 5);
        auto ok = run({QStringLiteral("check-config"), good});
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.err));
        QVERIFY(ok.out.contains(QStringLiteral("OK")));

        QFile bad(m_dir.filePath(QStringLiteral("bad.yaml")));
        bad.open(QIODevice::WriteOnly);
        bad.write("pipeline:\n  name: x\nsources:\n  prom:\n    kind: promql\n    url: http://127.0.0.1:1\n    "
                  "intervall: 5s\nstages:\n  - id: sink\n    signals:\n      - kind: sink_commit_latency\n        "
                  "source: prom\n        query: up\n");
        bad.close();
        auto broken = run({QStringLiteral("check-config"), bad.fileName()});
        QCOMPARE(broken.exitCode, 4);
        QVERIFY2(broken.err.contains(bad.fileName() + QStringLiteral(":7:5")), qPrintable(broken.err));
        QVERIFY2(broken.err.contains(QStringLiteral("interval")), qPrintable(broken.err));

        auto missing = run({QStringLiteral("check-config"), m_dir.filePath(QStringLiteral("nope.yaml"))});
        QCOMPARE(missing.exitCode, 4);
        QVERIFY(!missing.err.isEmpty());
    }

    void noConfigSaysWhatToPass()
    {
        auto status = run({QStringLiteral("status")});
        QCOMPARE(status.exitCode, 4);
        QVERIFY2(status.err.contains(QStringLiteral("--config")), qPrintable(status.err));
        QVERIFY2(status.err.contains(QStringLiteral("embedded-demo.yaml")), qPrintable(status.err));
        auto unknown = run({QStringLiteral("frobnicate")});
        QCOMPARE(unknown.exitCode, 4);
    }

    // Without a config, headless runs the embedded demo and watches it through the real sources: every source up,
    // every stage with values on /metrics, the generated config valid; a second instance on the same data
    // directory is refused; SIGTERM stops everything cleanly.
    void headlessRunsTheEmbeddedDemo()
    {
        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        QVERIFY2(!promtool.isEmpty(), "promtool not found (Debian package prometheus)");
        const QString dataDir = m_dir.filePath(QStringLiteral("embedded"));
        const quint16 port = freePort();
        QProcess headless;
        headless.start(pathwatchBinary(),
            {QStringLiteral("headless"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:%1").arg(port)});
        QVERIFY(headless.waitForStarted());
        QByteArray output;
        QElapsedTimer t;
        t.start();
        while (!output.contains("serving /metrics") && t.elapsed() < 30000 && headless.state() == QProcess::Running) {
            headless.waitForReadyRead(500);
            output += headless.readAllStandardOutput();
        }
        QVERIFY2(output.contains("serving /metrics"), QByteArray(output + headless.readAllStandardError()).constData());
        QVERIFY2(output.contains("Kafka-protocol broker: 127.0.0.1:"), output.constData());

        const QStringList sources {QStringLiteral("demo-kafka"), QStringLiteral("demo-job"),
            QStringLiteral("demo-sink"), QStringLiteral("demo-serving")};
        const QStringList stages {QStringLiteral("source_log"), QStringLiteral("compute"), QStringLiteral("sink"),
            QStringLiteral("storage"), QStringLiteral("serving")};
        auto complete = [&](const QByteArray& body) {
            const QString text = QString::fromUtf8(body);
            for (const QString& s : sources) {
                const QRegularExpression up(
                    QStringLiteral("^pathwatch_source_up\\{source=\"%1\",kind=\"[a-z]+\"\\} 1$").arg(s),
                    QRegularExpression::MultilineOption);
                if (!text.contains(up))
                    return false;
            }
            for (const QString& stage : stages)
                if (!body.contains(QStringLiteral("pathwatch_signal_value{stage=\"%1\"").arg(stage).toUtf8()))
                    return false;
            return true;
        };
        QByteArray body;
        t.restart();
        while (t.elapsed() < 90000) {
            body = curl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(port));
            if (complete(body))
                break;
            QTest::qWait(1000);
        }
        QVERIFY2(complete(body), body.constData());

        const QString problems = promtoolCheckMetrics(promtool, body);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));

        const QString generated = QDir(dataDir).filePath(QStringLiteral("embedded-demo.yaml"));
        auto valid = run({QStringLiteral("check-config"), generated});
        QVERIFY2(valid.exitCode == 0, qPrintable(valid.err));

        QVERIFY2(body.contains("pathwatch_stage_data_age_seconds{stage=\"source_log\"}"), body.constData());
        QVERIFY2(body.contains("pathwatch_stage_data_stops_here{stage=\"serving\"} 0"), body.constData());

        auto second = run({QStringLiteral("headless"), QStringLiteral("--data-dir"), dataDir,
            QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(freePort())});
        QCOMPARE(second.exitCode, 8);
        QVERIFY2(second.err.contains(QStringLiteral("locked by another Pathwatch (pid %1").arg(headless.processId())),
            qPrintable(second.err));

        // `status` asks the running instance for its judgement: once the demo is healthy, every run says OK — the
        // same values, durations and hysteresis as /metrics, not a one-shot poll that misses the sink's commits.
        const QStringList statusArgs {
            QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--config"), generated};
        Run healthy;
        t.restart();
        while (t.elapsed() < 90000) {
            healthy = run(statusArgs);
            if (healthy.exitCode == 0)
                break;
            QTest::qWait(1000);
        }
        QVERIFY2(healthy.exitCode == 0, qPrintable(healthy.out + healthy.err));
        QVERIFY2(healthy.out.contains(QStringLiteral("(instance)")), qPrintable(healthy.out));
        QList<int> codes;
        for (int i = 0; i < 10; ++i)
            codes << run(statusArgs).exitCode;
        QCOMPARE(codes, QList<int>(10, 0));

        // A fresh start's sources were read fine and simply had no data yet: UNKNOWN ("waiting for …"), never STALE.
        const QByteArray startLog = headless.readAllStandardError();
        QVERIFY2(!startLog.contains("→ STALE"), startLog.constData());

        auto json = run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject doc = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QCOMPARE(doc.value(QStringLiteral("schema")).toString(), QStringLiteral("pathwatch.status/1"));
        QCOMPARE(doc.value(QStringLiteral("origin")).toString(), QStringLiteral("instance"));
        QCOMPARE(doc.value(QStringLiteral("pipeline")).toString(), QStringLiteral("embedded-demo"));
        QCOMPARE(doc.value(QStringLiteral("status")).toString(), QStringLiteral("OK"));
        QCOMPARE(doc.value(QStringLiteral("stages")).toArray().size(), 5);

        // A fault through the control socket: the log says which stage turned, and why; status exits 2.
        auto faultOn = run({QStringLiteral("fault"), QStringLiteral("stop-job"), QStringLiteral("on"),
            QStringLiteral("--data-dir"), dataDir});
        QVERIFY2(faultOn.exitCode == 0, qPrintable(faultOn.err));
        QCOMPARE(faultOn.out.trimmed(), QStringLiteral("stop-job on"));
        QByteArray log = startLog;
        t.restart();
        while (!log.contains("stage compute OK → CRIT: job failed or stopped") && t.elapsed() < 30000) {
            headless.waitForReadyRead(500);
            log += headless.readAllStandardError();
        }
        QVERIFY2(log.contains("stage compute OK → CRIT: job failed or stopped"), log.constData());
        QVERIFY2(log.contains("pathwatch: fault stop-job turned on"), log.constData());
        QCOMPARE(run(statusArgs).exitCode, 2);
        auto faultOff = run({QStringLiteral("fault"), QStringLiteral("stop-job"), QStringLiteral("off"),
            QStringLiteral("--data-dir"), dataDir});
        QCOMPARE(faultOff.exitCode, 0);
        auto unknownFault = run({QStringLiteral("fault"), QStringLiteral("melt-down"), QStringLiteral("on"),
            QStringLiteral("--data-dir"), dataDir});
        QCOMPARE(unknownFault.exitCode, 4);
        QVERIFY2(unknownFault.err.contains(QStringLiteral("unknown fault `melt-down`")), qPrintable(unknownFault.err));

        ::kill(pid_t(headless.processId()), SIGTERM);
        QVERIFY(headless.waitForFinished(20000));
        QCOMPARE(headless.exitStatus(), QProcess::NormalExit);
        QCOMPARE(headless.exitCode(), 0);
        QVERIFY2(!QFileInfo::exists(QDir(dataDir).filePath(QStringLiteral("control.sock"))), "socket left behind");
    }

    // Every exit code of DESIGN.md's table that a command can give without a peer: 4 usage, 6 no instance for a
    // fault, 7 a listen address in use, 8 a data dir that cannot be used, 9 no display for the window.
    void exitCodes()
    {
        auto bogus = run({QStringLiteral("status"), QStringLiteral("--bogus")});
        QCOMPARE(bogus.exitCode, 4);
        QVERIFY2(bogus.err.contains(QStringLiteral("Unknown option 'bogus'")), qPrintable(bogus.err));
        auto noValue = run({QStringLiteral("status"), QStringLiteral("--config")});
        QCOMPARE(noValue.exitCode, 4);
        QVERIFY2(noValue.err.contains(QStringLiteral("Missing value after '--config'")), qPrintable(noValue.err));
        QCOMPARE(run({QStringLiteral("status"), QStringLiteral("--wait"), QStringLiteral("soon"),
                         QStringLiteral("--config"), QStringLiteral("x.yaml")})
                     .exitCode,
            4);
        QCOMPARE(run({QStringLiteral("headless"), QStringLiteral("--log-format"), QStringLiteral("xml")}).exitCode, 4);
        QCOMPARE(run({QStringLiteral("broker"), QStringLiteral("--bogus")}).exitCode, 4);
        QCOMPARE(run({QStringLiteral("check-config")}).exitCode, 4);
        QCOMPARE(run({QStringLiteral("status"), QStringLiteral("--help")}).exitCode, 0);

        QTcpServer busy;
        QVERIFY(busy.listen(QHostAddress::LocalHost, 0));
        const QString taken = QStringLiteral("127.0.0.1:%1").arg(busy.serverPort());
        const QString config = writeConfig(m_dir, QStringLiteral("exit-codes.yaml"), m_prometheus.url(), 5);
        auto inUse = run({QStringLiteral("headless"), QStringLiteral("--config"), config, QStringLiteral("--listen"),
            taken, QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("exit-codes-data"))});
        QCOMPARE(inUse.exitCode, 7);
        QVERIFY2(inUse.err.contains(taken + QStringLiteral(" is already in use")), qPrintable(inUse.err));
        auto brokerInUse = run({QStringLiteral("broker"), QStringLiteral("--listen"), taken,
            QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("exit-codes-broker"))});
        QCOMPARE(brokerInUse.exitCode, 7);
        QVERIFY2(brokerInUse.err.contains(taken + QStringLiteral(" is already in use")), qPrintable(brokerInUse.err));

        const QString file = m_dir.filePath(QStringLiteral("not-a-dir"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        auto badDir
            = run({QStringLiteral("headless"), QStringLiteral("--config"), config, QStringLiteral("--data-dir"), file});
        QCOMPARE(badDir.exitCode, 8);
        QVERIFY2(badDir.err.contains(
                     QStringLiteral("the data dir %1 cannot be used: it is a file, not a directory").arg(file)),
            qPrintable(badDir.err));

        auto noInstance = run({QStringLiteral("fault"), QStringLiteral("stop-job"), QStringLiteral("on"),
            QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("nobody-here"))});
        QCOMPARE(noInstance.exitCode, 6);
        QVERIFY2(noInstance.err.contains(QStringLiteral("no Pathwatch instance answers")), qPrintable(noInstance.err));

        auto window = run({QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("window-data"))});
        QCOMPARE(window.exitCode, 9);
        QVERIFY2(window.err.contains(QStringLiteral("pathwatch headless")), qPrintable(window.err));
    }

    // A source that goes away is logged when it happens, with the reason; when it comes back, that too.
    void headlessLogsWhy()
    {
        TestHttpServer web;
        QVERIFY(web.start());
        web.setHandler([](const TestRequest&) {
            return TestResponse::json(
                QStringLiteral(R"({"ts": %1})").arg(QDateTime::currentMSecsSinceEpoch()).toUtf8());
        });
        const QString config = writeJsonConfig(
            m_dir, QStringLiteral("logs.yaml"), QStringLiteral("logs"), web.url(QStringLiteral("/data")));
        QProcess headless;
        auto killOnFailure = qScopeGuard([&] {
            headless.kill();
            headless.waitForFinished();
        });
        headless.start(pathwatchBinary(),
            {QStringLiteral("headless"), QStringLiteral("--config"), config, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:0"), QStringLiteral("--data-dir"),
                m_dir.filePath(QStringLiteral("logs-data")), QStringLiteral("--log-format"), QStringLiteral("json")});
        QVERIFY(headless.waitForStarted());
        QByteArray log;
        const QString dataDir = m_dir.filePath(QStringLiteral("logs-data"));
        QElapsedTimer t;
        t.start();
        while (
            t.elapsed() < 20000 && run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir}).exitCode != 0)
            QTest::qWait(300);
        web.stop();
        readStderrUntil(headless, log, "\"to\":\"STALE\"");
        QJsonObject staleSource;
        for (const QByteArray& line : log.split('\n')) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            if (o.value(QStringLiteral("subject")).toString() == QLatin1String("source")
                && o.value(QStringLiteral("to")).toString() == QLatin1String("STALE"))
                staleSource = o;
        }
        QVERIFY2(!staleSource.isEmpty(), log.constData());
        QCOMPARE(staleSource.value(QStringLiteral("id")).toString(), QStringLiteral("web"));
        QCOMPARE(staleSource.value(QStringLiteral("from")).toString(), QStringLiteral("OK"));
        QCOMPARE(staleSource.value(QStringLiteral("level")).toString(), QStringLiteral("warning"));
        const QString reason = staleSource.value(QStringLiteral("reason")).toString();
        QVERIFY2(reason.contains(QStringLiteral("refused")) || reason.contains(QStringLiteral("timed out")),
            log.constData());
        QVERIFY2(log.contains("\"subject\":\"stage\"") && log.contains("\"to\":\"STALE\""), log.constData());
        ::kill(pid_t(headless.processId()), SIGTERM);
        QVERIFY(headless.waitForFinished(15000));
        QCOMPARE(headless.exitCode(), 0);
    }

    // SIGHUP reloads the config; a broken file is reported with file:line:column and the last good one keeps
    // running and serving.
    void sighupReloads()
    {
        TestHttpServer web;
        QVERIFY(web.start());
        web.setHandler([](const TestRequest&) {
            return TestResponse::json(
                QStringLiteral(R"({"ts": %1})").arg(QDateTime::currentMSecsSinceEpoch()).toUtf8());
        });
        const QString dataDir = m_dir.filePath(QStringLiteral("reload-data"));
        const QString config = writeJsonConfig(
            m_dir, QStringLiteral("reload.yaml"), QStringLiteral("before"), web.url(QStringLiteral("/data")));
        QProcess headless;
        auto killOnFailure = qScopeGuard([&] {
            headless.kill();
            headless.waitForFinished();
        });
        headless.start(pathwatchBinary(),
            {QStringLiteral("headless"), QStringLiteral("--config"), config, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:0"), QStringLiteral("--data-dir"), dataDir});
        QVERIFY(headless.waitForStarted());
        auto pipelineName = [&] {
            auto r = run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")});
            return QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("pipeline")).toString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(pipelineName(), QStringLiteral("before"), 20000);

        writeJsonConfig(
            m_dir, QStringLiteral("reload.yaml"), QStringLiteral("after"), web.url(QStringLiteral("/data")));
        ::kill(pid_t(headless.processId()), SIGHUP);
        QByteArray log;
        readStderrUntil(headless, log, "reloaded");
        QVERIFY2(
            log.contains(QByteArray("pathwatch: reloaded " + config.toUtf8() + ": pipeline `after`")), log.constData());
        QTRY_COMPARE_WITH_TIMEOUT(pipelineName(), QStringLiteral("after"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir}).exitCode, 0, 10000);

        QFile broken(config);
        QVERIFY(broken.open(QIODevice::ReadOnly));
        QByteArray text = broken.readAll();
        broken.close();
        QVERIFY(text.split('\n').value(6) == "    interval: 1s");
        text.replace("interval: 1s", "interval: soon");
        QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
        broken.write(text);
        broken.close();
        ::kill(pid_t(headless.processId()), SIGHUP);
        readStderrUntil(headless, log, "reload failed");
        QVERIFY2(log.contains(QByteArray("reload failed, the running config stays: " + config.toUtf8() + ":7:15")),
            log.constData());
        QCOMPARE(headless.state(), QProcess::Running);
        QCOMPARE(pipelineName(), QStringLiteral("after"));
        QCOMPARE(run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir}).exitCode, 0);

        ::kill(pid_t(headless.processId()), SIGTERM);
        QVERIFY(headless.waitForFinished(15000));
        QCOMPARE(headless.exitCode(), 0);
    }

    void statusAgainstPrometheus()
    {
        const QString good = writeConfig(m_dir, QStringLiteral("status-ok.yaml"), m_prometheus.url(), 5);
        auto r = run({QStringLiteral("status"), QStringLiteral("--config"), good});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("sink\\s+p99\\s+\\S*\\s*\\d+ ms\\s+OK"))),
            qPrintable(r.out));
        QVERIFY2(r.out.contains(
                     QRegularExpression(QStringLiteral("storage\\s+error_rate\\s+\\S*\\s*[0-9.]+ errors/s\\s+OK"))),
            qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("UP")));

        // The same data judged with a tight threshold: p99 (≥ 0.1 s) is critical → exit 2.
        const QString tight = writeConfig(m_dir, QStringLiteral("status-crit.yaml"), m_prometheus.url(), 0.01);
        auto crit = run({QStringLiteral("status"), QStringLiteral("--config"), tight});
        QVERIFY2(crit.exitCode == 2, qPrintable(crit.out + crit.err));
        QVERIFY(crit.out.contains(QStringLiteral("CRIT")));

        // Nobody listening: STALE with the cause → exit 3.
        const QString dead = writeConfig(
            m_dir, QStringLiteral("status-dead.yaml"), QStringLiteral("http://127.0.0.1:%1").arg(freePort()), 5);
        auto stale = run({QStringLiteral("status"), QStringLiteral("--config"), dead});
        QVERIFY2(stale.exitCode == 3, qPrintable(stale.out + stale.err));
        QVERIFY2(stale.out.contains(QStringLiteral("STALE")) && stale.out.contains(QStringLiteral("refused")),
            qPrintable(stale.out));
    }

    void headlessServesMetrics()
    {
        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        QVERIFY2(!promtool.isEmpty(), "promtool not found (Debian package prometheus)");
        const quint16 port = freePort();
        const QString config = writeConfig(m_dir, QStringLiteral("headless.yaml"), m_prometheus.url(), 5);
        QProcess headless;
        headless.start(pathwatchBinary(),
            {QStringLiteral("headless"), QStringLiteral("--config"), config, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--data-dir"),
                m_dir.filePath(QStringLiteral("headless-data"))});
        QVERIFY(headless.waitForStarted());
        QVERIFY(headless.waitForReadyRead(20000));
        QVERIFY2(headless.readAllStandardOutput().contains("serving /metrics"), "no listening line");

        QByteArray body;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 30000) {
            body = curl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(port));
            if (body.contains("pathwatch_signal_value{stage=\"sink\",signal=\"p99\"")
                && body.contains("pathwatch_signal_value{stage=\"storage\""))
                break;
            QTest::qWait(300);
        }
        QVERIFY2(body.contains("pathwatch_signal_value{stage=\"sink\",signal=\"p99\""), body.constData());
        QVERIFY(body.contains("pathwatch_source_up{source=\"prom\",kind=\"promql\"} 1"));
        QVERIFY(body.contains("pathwatch_build_info"));

        const QString problems = promtoolCheckMetrics(promtool, body);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));

        ::kill(pid_t(headless.processId()), SIGTERM);
        QVERIFY(headless.waitForFinished(15000));
        QCOMPARE(headless.exitStatus(), QProcess::NormalExit);
        QCOMPARE(headless.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
