// The shipped example configs (resources/examples/*.yaml) run by the `pathwatch` binary against real peers: a
// prometheus-cpp exporter, a real Prometheus server, recorded Flink REST bodies, a PostgreSQL cluster, a SQLite file
// and a JSON data API. Each example must print a live value with its unit for every signal it configures, show its
// source UP, and exit with the worst severity (0 when healthy; one unhealthy case per kind).
#include "broker/broker.h"
#include "postgresserver.h"
#include "prometheusserver.h"
#include "sources/kafkaadmin.h"
#include "testexporter.h"
#include "testhttpserver.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <thread>

using namespace pw::test;

namespace {

QString pathwatchBinary()
{
    return QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch");
}

QString example(const QString& name)
{
    return QStringLiteral(PATHWATCH_SOURCE_DIR "/resources/examples/") + name;
}

struct Row
{
    QMap<QString, QString> cells; // header → cell, trimmed
    QString operator[](const QString& column) const { return cells.value(column); }
};

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
    QList<Row> signalRows;
    QList<Row> sourceRows;

    const Row* signal(const QString& stage, const QString& name) const
    {
        for (const auto& r : signalRows)
            if (r[QStringLiteral("STAGE")] == stage && r[QStringLiteral("SIGNAL")] == name)
                return &r;
        return nullptr;
    }
    QString text() const { return QStringLiteral("exit %1\n%2%3").arg(exitCode).arg(out, err); }
};

// Splits a printed table at the header's column starts (the columns are left-justified to a common width).
QList<Row> parseTable(const QStringList& lines, qsizetype& i)
{
    QList<Row> rows;
    const QString header = lines[i++];
    static const QRegularExpression word(QStringLiteral("\\S+"));
    QList<std::pair<QString, qsizetype>> columns;
    for (auto it = word.globalMatch(header); it.hasNext();) {
        const auto m = it.next();
        columns.append({m.captured(), m.capturedStart()});
    }
    for (; i < lines.size() && !lines[i].trimmed().isEmpty(); ++i) {
        Row row;
        for (qsizetype c = 0; c < columns.size(); ++c) {
            const qsizetype start = columns[c].second;
            const qsizetype end = c + 1 < columns.size() ? columns[c + 1].second : lines[i].size();
            row.cells[columns[c].first] = lines[i].mid(start, end - start).trimmed();
        }
        rows.append(row);
    }
    return rows;
}

Run run(const QStringList& args, const std::map<QString, QString>& variables, int timeoutMs = 30000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    for (const auto& [name, value] : variables)
        env.insert(name, value);
    p.setProcessEnvironment(env);
    p.start(pathwatchBinary(), args);
    if (!p.waitForFinished(timeoutMs))
        p.kill();
    p.waitForFinished(5000);
    Run r {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
        QString::fromUtf8(p.readAllStandardError()), {}, {}};
    const QStringList lines = r.out.split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size();) {
        if (lines[i].startsWith(QStringLiteral("STAGE ")))
            r.signalRows = parseTable(lines, i);
        else if (lines[i].startsWith(QStringLiteral("SOURCE ")))
            r.sourceRows = parseTable(lines, i);
        else
            ++i;
    }
    return r;
}

Run status(const QString& config, const std::map<QString, QString>& variables)
{
    Run r = run({QStringLiteral("status"), QStringLiteral("--config"), config}, variables);
    // The log shows what each example prints, e.g. for the README.
    qInfo().noquote() << "$ pathwatch status --config" << QFileInfo(config).fileName() << "  # exit" << r.exitCode
                      << '\n'
                      << r.out;
    return r;
}

// A printed value with the unit its signal kind has: seconds are shown as ms/s/min/h/d.
const std::map<QString, QRegularExpression>& valuePatterns()
{
    static const std::map<QString, QRegularExpression> patterns {
        {QStringLiteral("s"), QRegularExpression(QStringLiteral("^[0-9.]+ (ms|s|min|h|d)$"))},
        {QStringLiteral("errors/s"), QRegularExpression(QStringLiteral("^[0-9.,e+-]+ errors/s$"))},
        {QStringLiteral("ratio"), QRegularExpression(QStringLiteral("^[0-9.]+ %$"))},
        {QString(), QRegularExpression(QStringLiteral("^[0-9,]+$"))}, // counts have no unit
        {QStringLiteral("messages"), QRegularExpression(QStringLiteral("^[0-9,]+ messages$"))},
        {QStringLiteral("state"), QRegularExpression(QStringLiteral("^(running|\\(re\\)starting|failed or stopped)$"))},
    };
    return patterns;
}

struct Expected
{
    QString stage;
    QString name;
    QString unit;
};

// Every configured signal is listed with a live value in its unit; empty when so, else what is wrong.
QString missingLiveValues(const Run& r, const QList<Expected>& expected)
{
    QStringList problems;
    if (r.signalRows.size() != expected.size())
        problems << QStringLiteral("%1 signal rows, expected %2").arg(r.signalRows.size()).arg(expected.size());
    for (const auto& e : expected) {
        const Row* row = r.signal(e.stage, e.name);
        if (!row) {
            problems << QStringLiteral("no row for %1/%2").arg(e.stage, e.name);
            continue;
        }
        const QString value = (*row)[QStringLiteral("VALUE")];
        if (!valuePatterns().at(e.unit).match(value).hasMatch())
            problems << QStringLiteral("%1/%2 shows `%3`, not a value in `%4`").arg(e.stage, e.name, value, e.unit);
        if (!(*row)[QStringLiteral("AGE")].endsWith(QStringLiteral(" ago")))
            problems << QStringLiteral("%1/%2 has no value age").arg(e.stage, e.name);
    }
    return problems.join(QStringLiteral("; "));
}

bool allSourcesUp(const Run& r)
{
    if (r.sourceRows.isEmpty())
        return false;
    for (const auto& s : r.sourceRows)
        if (s[QStringLiteral("STATUS")] != QStringLiteral("UP"))
            return false;
    return true;
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QByteArray curl(const QString& url)
{
    QProcess c;
    c.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("5"), url});
    c.waitForFinished(10000);
    return c.readAllStandardOutput();
}

// Recorded Flink REST bodies with {{NOW-<ms>}} placeholders (shared with tst_flinksource).
QByteArray recordedFlink(const QString& name, qint64 now)
{
    QFile f(QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/data/flink/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing recorded body %s", qPrintable(name));
    const QString text = QString::fromUtf8(f.readAll());
    static const QRegularExpression placeholder(QStringLiteral("\\{\\{NOW-(\\d+)\\}\\}"));
    QString out;
    qsizetype last = 0;
    for (auto it = placeholder.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        out += text.mid(last, m.capturedStart() - last);
        out += QString::number(now - m.captured(1).toLongLong());
        last = m.capturedEnd();
    }
    out += text.mid(last);
    return out.toUtf8();
}

const QList<Expected> kScrapeSignals {{QStringLiteral("sink"), QStringLiteral("p50"), QStringLiteral("s")},
    {QStringLiteral("sink"), QStringLiteral("p95"), QStringLiteral("s")},
    {QStringLiteral("sink"), QStringLiteral("p99"), QStringLiteral("s")},
    {QStringLiteral("storage"), QStringLiteral("error_rate"), QStringLiteral("errors/s")}};

} // namespace

class TestExamples : public QObject
{
    Q_OBJECT

    // The sink and object-store client of the examples: the metric names prometheus.yaml, scrape.yaml and
    // full-pipeline.yaml assume, fed by a thread while the examples run (rates and quantiles need traffic).
    TestExporter m_exporter;
    prometheus::Histogram* m_sinkCommit = nullptr;
    prometheus::Counter* m_objectStoreErrors = nullptr;
    std::thread m_feeder;
    std::atomic<bool> m_stopFeeder {false};
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(pathwatchBinary()), qPrintable(pathwatchBinary() + QStringLiteral(" is not built")));
        QVERIFY(m_dir.isValid());
        auto registry = m_exporter.registry();
        m_sinkCommit = &prometheus::BuildHistogram()
                            .Name("sink_commit_seconds")
                            .Help("Time the sink takes to commit one batch")
                            .Register(*registry)
                            .Add({{"bucket", "marts"}}, TestExporter::sinkCommitBuckets());
        m_objectStoreErrors = &prometheus::BuildCounter()
                                   .Name("object_store_request_errors_total")
                                   .Help("Failed object-store requests")
                                   .Register(*registry)
                                   .Add({});
        QVERIFY(m_exporter.start());
        // 50 commits of 50..230 ms and 100 object-store requests every 100 ms; one error every 20 s, far below
        // the examples' warn level of 0.1 errors/s.
        m_feeder = std::thread([this] {
            for (int tick = 0; !m_stopFeeder; ++tick) {
                for (int i = 0; i < 5; ++i)
                    m_sinkCommit->Observe(0.05 + ((tick + i) % 10) * 0.02);
                m_exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("ok"), 10);
                if (tick % 200 == 20)
                    m_objectStoreErrors->Increment();
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
    }

    void cleanupTestCase()
    {
        m_stopFeeder = true;
        if (m_feeder.joinable())
            m_feeder.join();
    }

    void configsAreValid_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f : {"prometheus.yaml", "scrape.yaml", "flink.yaml", "sql-postgres.yaml", "sql-sqlite.yaml",
                 "http-json.yaml", "kafka.yaml", "full-pipeline.yaml"})
            QTest::newRow(f) << QString::fromLatin1(f);
    }

    void configsAreValid()
    {
        QFETCH(QString, file);
        const std::map<QString, QString> env {
            {QStringLiteral("PATHWATCH_SCRAPE_URL"), QStringLiteral("http://127.0.0.1:9400/metrics")},
            {QStringLiteral("PATHWATCH_FLINK_URL"), QStringLiteral("http://127.0.0.1:8081")},
            {QStringLiteral("PATHWATCH_FLINK_JOB"), QStringLiteral("aggregate-job")},
            {QStringLiteral("PATHWATCH_PG_HOST"), QStringLiteral("127.0.0.1")},
            {QStringLiteral("PATHWATCH_PG_PORT"), QStringLiteral("5432")},
            {QStringLiteral("PATHWATCH_PG_DATABASE"), QStringLiteral("marts")},
            {QStringLiteral("PATHWATCH_PG_USER"), QStringLiteral("reader")},
            {QStringLiteral("PATHWATCH_PG_PASSWORD"), QStringLiteral("secret")},
            {QStringLiteral("PATHWATCH_SQLITE_DB"), QStringLiteral("/var/lib/dashboards/serving.db")},
            {QStringLiteral("PATHWATCH_DASHBOARD_URL"), QStringLiteral("http://127.0.0.1:3000/api/panels/hourly/data")},
            {QStringLiteral("PATHWATCH_DASHBOARD_API_KEY"), QStringLiteral("key")},
            {QStringLiteral("PATHWATCH_KAFKA_BOOTSTRAP"), QStringLiteral("127.0.0.1:9092")},
            {QStringLiteral("PATHWATCH_KAFKA_GROUP"), QStringLiteral("aggregator")},
            {QStringLiteral("PATHWATCH_KAFKA_TOPIC"), QStringLiteral("events")},
            // full-pipeline.yaml's secrets
            {QStringLiteral("KAFKA_PASSWORD"), QStringLiteral("x")},
            {QStringLiteral("PROM_TOKEN"), QStringLiteral("x")}, {QStringLiteral("SCRAPE_TOKEN"), QStringLiteral("x")},
            {QStringLiteral("PG_PASSWORD"), QStringLiteral("x")},
            {QStringLiteral("DASHBOARD_API_KEY"), QStringLiteral("x")}};
        const Run ok = run({QStringLiteral("check-config"), example(file)}, env);
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.text()));
        if (file == QStringLiteral("prometheus.yaml") || file == QStringLiteral("full-pipeline.yaml"))
            return; // endpoints written into the file
        // Endpoints come from the environment: without the variables the file names the one missing.
        const Run unset = run({QStringLiteral("check-config"), example(file)}, {});
        QCOMPARE(unset.exitCode, 4);
        QVERIFY2(unset.err.contains(QStringLiteral("PATHWATCH_")), qPrintable(unset.text()));
    }

    void prometheus()
    {
        PrometheusServer server;
        const QString error = server.start({m_exporter.address()});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(server.waitForScrapes(4, 30000), "prometheus did not scrape the exporter 4 times within 30 s");
        // prometheus.yaml names http://127.0.0.1:9090; the test server listens on a free port instead.
        QFile in(example(QStringLiteral("prometheus.yaml")));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray yaml = in.readAll();
        QVERIFY(yaml.contains("url: http://127.0.0.1:9090\n"));
        yaml.replace(
            QByteArray("url: http://127.0.0.1:9090\n"), QByteArray(QByteArray("url: ") + server.url().toUtf8() + "\n"));
        const QString config = m_dir.filePath(QStringLiteral("prometheus.yaml"));
        QFile out(config);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(yaml);
        out.close();

        const QList<Expected> expected {{QStringLiteral("sink"), QStringLiteral("p99"), QStringLiteral("s")},
            {QStringLiteral("sink"), QStringLiteral("p50"), QStringLiteral("s")},
            {QStringLiteral("storage"), QStringLiteral("error_rate"), QStringLiteral("errors/s")},
            {QStringLiteral("storage"), QStringLiteral("error_ratio"), QStringLiteral("ratio")}};
        const Run r = status(config, {});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        const QString missing = missingLiveValues(r, expected);
        QVERIFY2(missing.isEmpty(), qPrintable(missing + QLatin1Char('\n') + r.text()));
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        // Commits take 50..230 ms: p99 is in milliseconds.
        QVERIFY2((*r.signal(QStringLiteral("sink"), QStringLiteral("p99")))[QStringLiteral("VALUE")].endsWith(
                     QStringLiteral(" ms")),
            qPrintable(r.text()));

        // The server goes away: every signal STALE with the cause, exit 3.
        server.stop();
        const Run down = status(config, {});
        QVERIFY2(down.exitCode == 3, qPrintable(down.text()));
        QCOMPARE(down.sourceRows.size(), 1);
        QCOMPARE(down.sourceRows.front()[QStringLiteral("STATUS")], QStringLiteral("STALE"));
        QVERIFY2(down.sourceRows.front()[QStringLiteral("ERROR")].contains(QStringLiteral("refused")),
            qPrintable(down.text()));
    }

    void scrape()
    {
        const std::map<QString, QString> env {{QStringLiteral("PATHWATCH_SCRAPE_URL"), m_exporter.metricsUrl()}};
        const Run r = status(example(QStringLiteral("scrape.yaml")), env);
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        QCOMPARE(r.signalRows.size(), kScrapeSignals.size());
        for (const auto& e : kScrapeSignals)
            QVERIFY2(r.signal(e.stage, e.name), qPrintable(e.name + QLatin1Char('\n') + r.text()));
        // A rate or a histogram quantile needs two scrapes: `status` polls such a source a second time.
        QVERIFY2(r.exitCode == 0 && missingLiveValues(r, kScrapeSignals).isEmpty(), qPrintable(r.text()));

        // The same file in the long-running engine: after the second scrape (interval 15 s) every signal has a
        // live OK value on /metrics.
        const quint16 port = freePort();
        QProcess headless;
        QProcessEnvironment penv = QProcessEnvironment::systemEnvironment();
        penv.insert(QStringLiteral("PATHWATCH_SCRAPE_URL"), m_exporter.metricsUrl());
        headless.setProcessEnvironment(penv);
        headless.start(pathwatchBinary(),
            {QStringLiteral("headless"), QStringLiteral("--config"), example(QStringLiteral("scrape.yaml")),
                QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)});
        QVERIFY(headless.waitForStarted());
        QByteArray body;
        bool live = false;
        QElapsedTimer t;
        t.start();
        while (!live && t.elapsed() < 30000) {
            QTest::qWait(500);
            body = curl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(port));
            live = true;
            for (const auto& e : kScrapeSignals) {
                const QRegularExpression ok(
                    QStringLiteral("\npathwatch_signal_status\\{stage=\"%1\",signal=\"%2\"[^}]*\\} 0\n")
                        .arg(e.stage, e.name));
                const QRegularExpression value(
                    QStringLiteral("\npathwatch_signal_value\\{stage=\"%1\",signal=\"%2\"[^}]*\\} [0-9.e+-]+\n")
                        .arg(e.stage, e.name));
                live = live && ok.match(QString::fromUtf8(body)).hasMatch()
                    && value.match(QString::fromUtf8(body)).hasMatch();
            }
        }
        headless.terminate();
        QVERIFY(headless.waitForFinished(10000));
        QVERIFY2(live, body.constData());
        QVERIFY(body.contains("pathwatch_source_up{source=\"sink-metrics\",kind=\"scrape\"} 1"));

        // Nobody listening at the URL: STALE with the cause, exit 3.
        const Run down = status(example(QStringLiteral("scrape.yaml")),
            {{QStringLiteral("PATHWATCH_SCRAPE_URL"),
                QStringLiteral("http://127.0.0.1:%1/metrics").arg(unusedTcpPort())}});
        QVERIFY2(down.exitCode == 3, qPrintable(down.text()));
        QCOMPARE(down.sourceRows.front()[QStringLiteral("STATUS")], QStringLiteral("STALE"));
        QVERIFY2(down.sourceRows.front()[QStringLiteral("ERROR")].contains(QStringLiteral("refused")),
            qPrintable(down.text()));
    }

    void flink()
    {
        TestHttpServer server;
        QVERIFY(server.start());
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        server.setResponse("/jobs/overview", TestResponse::json(recordedFlink(QStringLiteral("overview.json"), now)));
        server.setResponse("/jobs/a1b2c3d4e5f60718293a4b5c6d7e8f90/checkpoints",
            TestResponse::json(recordedFlink(QStringLiteral("checkpoints-aggregate.json"), now)));
        server.setResponse("/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0/checkpoints",
            TestResponse::json(recordedFlink(QStringLiteral("checkpoints-restarting.json"), now)));
        const QList<Expected> expected {
            {QStringLiteral("compute"), QStringLiteral("checkpoint_age"), QStringLiteral("s")},
            {QStringLiteral("compute"), QStringLiteral("checkpoint_duration"), QStringLiteral("s")},
            {QStringLiteral("compute"), QStringLiteral("failed_checkpoints"), QString()},
            {QStringLiteral("compute"), QStringLiteral("job_state"), QStringLiteral("state")}};

        // A running job: last checkpoint 45 s ago, took 1.25 s, one failure in 15 min → all OK.
        const Run r = status(example(QStringLiteral("flink.yaml")),
            {{QStringLiteral("PATHWATCH_FLINK_URL"), server.baseUrl()},
                {QStringLiteral("PATHWATCH_FLINK_JOB"), QStringLiteral("aggregate-job")}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        const QString missing = missingLiveValues(r, expected);
        QVERIFY2(missing.isEmpty(), qPrintable(missing + QLatin1Char('\n') + r.text()));
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        const Row& duration = *r.signal(QStringLiteral("compute"), QStringLiteral("checkpoint_duration"));
        QCOMPARE(duration[QStringLiteral("VALUE")], QStringLiteral("1.25 s"));
        QCOMPARE((*r.signal(QStringLiteral("compute"), QStringLiteral("failed_checkpoints")))[QStringLiteral("VALUE")],
            QStringLiteral("1"));
        QCOMPARE((*r.signal(QStringLiteral("compute"), QStringLiteral("job_state")))[QStringLiteral("VALUE")],
            QStringLiteral("running"));
        QVERIFY2(duration[QStringLiteral("LABELS")].contains(QStringLiteral("aggregate-job")), qPrintable(r.text()));

        // A restarting job whose last checkpoint is 11 min old: state WARN, age CRIT → exit 2.
        const Run bad = status(example(QStringLiteral("flink.yaml")),
            {{QStringLiteral("PATHWATCH_FLINK_URL"), server.baseUrl()},
                {QStringLiteral("PATHWATCH_FLINK_JOB"), QStringLiteral("enrich-job")}});
        QVERIFY2(bad.exitCode == 2, qPrintable(bad.text()));
        QVERIFY2(missingLiveValues(bad, expected).isEmpty(), qPrintable(bad.text()));
        QCOMPARE((*bad.signal(QStringLiteral("compute"), QStringLiteral("job_state")))[QStringLiteral("STATUS")],
            QStringLiteral("WARN"));
        QCOMPARE((*bad.signal(QStringLiteral("compute"), QStringLiteral("job_state")))[QStringLiteral("VALUE")],
            QStringLiteral("(re)starting"));
        QCOMPARE((*bad.signal(QStringLiteral("compute"), QStringLiteral("checkpoint_age")))[QStringLiteral("STATUS")],
            QStringLiteral("CRIT"));
        QVERIFY(allSourcesUp(bad));
    }

    void sqlPostgres()
    {
        PostgresServer pg;
        const QString error = pg.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        bool ok = false;
        pg.psql(QStringLiteral("create database marts"), QStringLiteral("postgres"), &ok);
        QVERIFY(ok);
        pg.psql(
            QStringLiteral("create role reader login password 'reader-secret';"
                           "create schema serving;"
                           "create table serving.hourly(ts timestamp without time zone, v double precision);"
                           "create table serving.minutely(ts timestamp with time zone, v double precision);"
                           "insert into serving.hourly values (now() at time zone 'utc' - interval '40 minutes', 1),"
                           " (now() at time zone 'utc' - interval '100 minutes', 2);"
                           "insert into serving.minutely values (now() - interval '70 seconds', 1);"
                           "grant usage on schema serving to reader;"
                           "grant select on all tables in schema serving to reader;"),
            QStringLiteral("marts"), &ok);
        QVERIFY(ok);
        const std::map<QString, QString> env {{QStringLiteral("PATHWATCH_PG_HOST"), QStringLiteral("127.0.0.1")},
            {QStringLiteral("PATHWATCH_PG_PORT"), QString::number(pg.port())},
            {QStringLiteral("PATHWATCH_PG_DATABASE"), QStringLiteral("marts")},
            {QStringLiteral("PATHWATCH_PG_USER"), QStringLiteral("reader")},
            {QStringLiteral("PATHWATCH_PG_PASSWORD"), QStringLiteral("reader-secret")}};
        const QList<Expected> expected {
            {QStringLiteral("serving"), QStringLiteral("hourly_table"), QStringLiteral("s")},
            {QStringLiteral("serving"), QStringLiteral("minutely_table"), QStringLiteral("s")}};

        const Run r = status(example(QStringLiteral("sql-postgres.yaml")), env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        const QString missing = missingLiveValues(r, expected);
        QVERIFY2(missing.isEmpty(), qPrintable(missing + QLatin1Char('\n') + r.text()));
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        // 40 minutes old, read as UTC; 70 s old.
        QVERIFY2(
            (*r.signal(QStringLiteral("serving"), QStringLiteral("hourly_table")))[QStringLiteral("VALUE")].startsWith(
                QStringLiteral("40.")),
            qPrintable(r.text()));
        QVERIFY2(!r.out.contains(QStringLiteral("reader-secret")), qPrintable(r.text()));

        // The hourly load is missed: the newest row is 2.5 h old → WARN, exit 1.
        pg.psql(QStringLiteral("delete from serving.hourly where v = 1"), QStringLiteral("marts"), &ok);
        QVERIFY(ok);
        pg.psql(QStringLiteral("update serving.hourly set ts = now() at time zone 'utc' - interval '150 minutes'"),
            QStringLiteral("marts"), &ok);
        QVERIFY(ok);
        const Run late = status(example(QStringLiteral("sql-postgres.yaml")), env);
        QVERIFY2(late.exitCode == 1, qPrintable(late.text()));
        QCOMPARE((*late.signal(QStringLiteral("serving"), QStringLiteral("hourly_table")))[QStringLiteral("STATUS")],
            QStringLiteral("WARN"));
        QCOMPARE((*late.signal(QStringLiteral("serving"), QStringLiteral("hourly_table")))[QStringLiteral("VALUE")],
            QStringLiteral("2.5 h"));
        QVERIFY(allSourcesUp(late));
    }

    void sqlSqlite()
    {
        const QString path = m_dir.filePath(QStringLiteral("serving.db"));
        auto setNewest = [&path](qint64 secondsAgo) {
            bool done = false;
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("setup"));
                db.setDatabaseName(path);
                if (db.open()) {
                    QSqlQuery q(db);
                    const QString ts = QDateTime::currentDateTimeUtc()
                                           .addSecs(-secondsAgo)
                                           .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
                    done = q.exec(QStringLiteral("create table if not exists hourly_panel(ts text, v real)"))
                        && q.exec(QStringLiteral("delete from hourly_panel"))
                        && q.exec(QStringLiteral("insert into hourly_panel values ('%1', 1)").arg(ts));
                    if (!done)
                        qWarning("%s", qPrintable(q.lastError().text()));
                    db.close();
                }
            }
            QSqlDatabase::removeDatabase(QStringLiteral("setup"));
            return done;
        };
        const std::map<QString, QString> env {{QStringLiteral("PATHWATCH_SQLITE_DB"), path}};
        const QList<Expected> expected {
            {QStringLiteral("serving"), QStringLiteral("hourly_panel"), QStringLiteral("s")}};

        QVERIFY(setNewest(30 * 60));
        const Run r = status(example(QStringLiteral("sql-sqlite.yaml")), env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        const QString missing = missingLiveValues(r, expected);
        QVERIFY2(missing.isEmpty(), qPrintable(missing + QLatin1Char('\n') + r.text()));
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        QVERIFY2(
            (*r.signal(QStringLiteral("serving"), QStringLiteral("hourly_panel")))[QStringLiteral("VALUE")].startsWith(
                QStringLiteral("30.")),
            qPrintable(r.text()));

        // Four hours without a new row → CRIT, exit 2.
        QVERIFY(setNewest(4 * 3600));
        const Run old = status(example(QStringLiteral("sql-sqlite.yaml")), env);
        QVERIFY2(old.exitCode == 2, qPrintable(old.text()));
        QCOMPARE((*old.signal(QStringLiteral("serving"), QStringLiteral("hourly_panel")))[QStringLiteral("VALUE")],
            QStringLiteral("4.0 h"));
        QVERIFY(allSourcesUp(old));
    }

    void httpJson()
    {
        TestHttpServer server;
        QVERIFY(server.start());
        const QString newest = QDateTime::currentDateTimeUtc().addSecs(-5 * 60).toString(Qt::ISODate);
        const QString older = QDateTime::currentDateTimeUtc().addSecs(-65 * 60).toString(Qt::ISODate);
        server.setResponse("/api/panels/hourly/data",
            TestResponse::json(QStringLiteral(R"({"data":[{"ts":"%1","value":412.5},{"ts":"%2","value":398.0}]})")
                                   .arg(newest, older)
                                   .toUtf8()));
        const std::map<QString, QString> env {
            {QStringLiteral("PATHWATCH_DASHBOARD_URL"), server.url(QStringLiteral("/api/panels/hourly/data"))},
            {QStringLiteral("PATHWATCH_DASHBOARD_API_KEY"), QStringLiteral("k-7f3a")}};
        const QList<Expected> expected {
            {QStringLiteral("serving"), QStringLiteral("hourly_panel"), QStringLiteral("s")}};

        const Run r = status(example(QStringLiteral("http-json.yaml")), env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        const QString missing = missingLiveValues(r, expected);
        QVERIFY2(missing.isEmpty(), qPrintable(missing + QLatin1Char('\n') + r.text()));
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        QVERIFY2(
            (*r.signal(QStringLiteral("serving"), QStringLiteral("hourly_panel")))[QStringLiteral("VALUE")].startsWith(
                QStringLiteral("5.")),
            qPrintable(r.text()));
        QCOMPARE(server.lastRequest().header("X-Api-Key"), QByteArray("k-7f3a"));
        QVERIFY(!r.out.contains(QStringLiteral("k-7f3a")));

        // The API fails: STALE with the status code, exit 3.
        server.setResponse("/api/panels/hourly/data", TestResponse::json(R"({"error":"upstream timeout"})", 503));
        const Run down = status(example(QStringLiteral("http-json.yaml")), env);
        QVERIFY2(down.exitCode == 3, qPrintable(down.text()));
        QCOMPARE(down.sourceRows.front()[QStringLiteral("STATUS")], QStringLiteral("STALE"));
        QVERIFY2(
            down.sourceRows.front()[QStringLiteral("ERROR")].contains(QStringLiteral("503")), qPrintable(down.text()));
    }

    void kafka()
    {
        QTemporaryDir dataDir;
        QVERIFY(dataDir.isValid());
        pw::broker::BrokerOptions options;
        options.dataDir = dataDir.path().toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 2;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        const auto stopBroker = qScopeGuard([&] { (*broker)->stop(); });
        const QString bootstrap = QString::fromStdString((*broker)->bootstrapServers());

        // Five records per partition, written from 9 h ago (the replay headroom) to 2 min ago (the data age).
        char errstr[512] = {0};
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        QCOMPARE(rd_kafka_conf_set(conf, "bootstrap.servers", qPrintable(bootstrap), errstr, sizeof errstr),
            RD_KAFKA_CONF_OK);
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        QVERIFY2(producer, errstr);
        const auto destroyProducer = qScopeGuard([&] { rd_kafka_destroy(producer); });
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 timestamps[] = {now - 9 * 3600000, now - 3 * 3600000, now - 3600000, now - 600000, now - 120000};
        for (int32_t partition : {0, 1}) {
            for (qint64 ts : timestamps) {
                QCOMPARE(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("events"), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_VALUE(const_cast<char*>("v"), 1), RD_KAFKA_V_TIMESTAMP(ts),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                    RD_KAFKA_RESP_ERR_NO_ERROR);
            }
        }
        QCOMPARE(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
        pw::KafkaAdminConfig adminConfig;
        adminConfig.bootstrapServers = bootstrap;
        auto admin = pw::KafkaAdmin::create(adminConfig);
        QVERIFY(admin);
        auto committed = (*admin)->alterGroupOffsets(
            QStringLiteral("aggregator"), {{QStringLiteral("events"), 0, 3, {}}, {QStringLiteral("events"), 1, 5, {}}});
        QVERIFY2(committed, qPrintable(committed ? QString() : committed.error().toString()));

        const Run r = status(example(QStringLiteral("kafka.yaml")),
            {{QStringLiteral("PATHWATCH_KAFKA_BOOTSTRAP"), bootstrap},
                {QStringLiteral("PATHWATCH_KAFKA_GROUP"), QStringLiteral("aggregator")},
                {QStringLiteral("PATHWATCH_KAFKA_TOPIC"), QStringLiteral("events")}});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        QVERIFY2(allSourcesUp(r), qPrintable(r.text()));
        QCOMPARE(r.sourceRows.front()[QStringLiteral("ENDPOINT")], bootstrap);
        // One row per partition for every signal, time lag included (status polls a second time for it).
        QCOMPARE(r.signalRows.size(), 8);
        const std::map<QString, QString> units {{QStringLiteral("consumer_lag"), QStringLiteral("messages")},
            {QStringLiteral("time_lag"), QStringLiteral("s")}, {QStringLiteral("data_age"), QStringLiteral("s")},
            {QStringLiteral("replay_headroom"), QStringLiteral("s")}};
        std::map<QString, QString> values; // "signal partition" → value
        for (const Row& row : r.signalRows) {
            const QString name = row[QStringLiteral("SIGNAL")];
            const QString value = row[QStringLiteral("VALUE")];
            QVERIFY2(units.contains(name), qPrintable(r.text()));
            QVERIFY2(valuePatterns().at(units.at(name)).match(value).hasMatch(), qPrintable(r.text()));
            QCOMPARE(row[QStringLiteral("STATUS")], QStringLiteral("OK"));
            const QString labels = row[QStringLiteral("LABELS")];
            QVERIFY2(labels.contains(QStringLiteral("topic=\"events\"")), qPrintable(r.text()));
            values[name
                + (labels.contains(QStringLiteral("partition=\"0\"")) ? QStringLiteral(" 0") : QStringLiteral(" 1"))]
                = value;
        }
        QCOMPARE(values[QStringLiteral("consumer_lag 0")], QStringLiteral("2 messages"));
        QCOMPARE(values[QStringLiteral("consumer_lag 1")], QStringLiteral("0 messages"));
        QCOMPARE(values[QStringLiteral("time_lag 1")], QStringLiteral("0 ms"));
        static const QRegularExpression twoMinutes(QStringLiteral("^2\\.[01] min$"));
        QVERIFY2(twoMinutes.match(values[QStringLiteral("data_age 0")]).hasMatch(), qPrintable(r.text()));
        QVERIFY2(twoMinutes.match(values[QStringLiteral("data_age 1")]).hasMatch(), qPrintable(r.text()));
        QCOMPARE(values[QStringLiteral("replay_headroom 0")], QStringLiteral("9.0 h"));
        QCOMPARE(values[QStringLiteral("replay_headroom 1")], QStringLiteral("9.0 h"));
    }

    // Every source kind of the full example is built; whatever answers on its loopback endpoints, none is unknown.
    void fullPipelineCreatesEverySource()
    {
        const Run r = status(example(QStringLiteral("full-pipeline.yaml")),
            {{QStringLiteral("KAFKA_PASSWORD"), QStringLiteral("kp-9c1e")},
                {QStringLiteral("PROM_TOKEN"), QStringLiteral("x")},
                {QStringLiteral("SCRAPE_TOKEN"), QStringLiteral("x")},
                {QStringLiteral("PG_PASSWORD"), QStringLiteral("x")},
                {QStringLiteral("DASHBOARD_API_KEY"), QStringLiteral("x")}});
        QVERIFY2(r.exitCode != 4 && r.exitCode != -1, qPrintable(r.text()));
        QVERIFY2(!r.text().contains(QStringLiteral("unknown source kind")), qPrintable(r.text()));
        const std::map<QString, QString> kinds {{QStringLiteral("kafka-main"), QStringLiteral("kafka")},
            {QStringLiteral("flink"), QStringLiteral("flink")}, {QStringLiteral("prom"), QStringLiteral("promql")},
            {QStringLiteral("sink-metrics"), QStringLiteral("scrape")},
            {QStringLiteral("warehouse"), QStringLiteral("sql")},
            {QStringLiteral("dashboard-api"), QStringLiteral("http_json")}};
        for (const auto& [id, kind] : kinds)
            QVERIFY2(std::any_of(r.sourceRows.begin(), r.sourceRows.end(),
                         [&](const Row& row) {
                             return row[QStringLiteral("SOURCE")] == id && row[QStringLiteral("KIND")] == kind;
                         }),
                qPrintable(id + QStringLiteral(" is not listed\n") + r.text()));
        const auto kafka = std::find_if(r.sourceRows.begin(), r.sourceRows.end(),
            [](const Row& row) { return row[QStringLiteral("SOURCE")] == QStringLiteral("kafka-main"); });
        QVERIFY(kafka != r.sourceRows.end());
        QCOMPARE((*kafka)[QStringLiteral("KIND")], QStringLiteral("kafka"));
        QCOMPARE((*kafka)[QStringLiteral("ENDPOINT")], QStringLiteral("127.0.0.1:9092"));
        QVERIFY2(!r.text().contains(QStringLiteral("kp-9c1e")), qPrintable(r.text()));
    }
};

QTEST_GUILESS_MAIN(TestExamples)
#include "tst_examples.moc"
