// PromqlSource against a real Prometheus server (the Debian `prometheus` package) scraping a prometheus-cpp exporter.

#include "sources/httpclient.h"
#include "sources/promqlsource.h"
#include "testexporter.h"
#include "testhttpserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>

using namespace pw;
using namespace pw::test;

namespace {

constexpr double kLowerBound = 0.1; // every observation falls into the (0.1, 0.25] bucket
constexpr double kUpperBound = 0.25;
constexpr int kTickMs = 50;
constexpr int kErrorsPerTick = 1;
constexpr int kOksPerTick = 3;
constexpr double kFixedGetOk = 42; // set before the first scrape, never changed

// Drives the exporter at a steady pace and remembers (time, error count) so a rate can be checked against it.
class Load
{
public:
    explicit Load(TestExporter& exporter)
        : m_exporter(exporter)
        , m_thread([this] { run(); })
    { }
    ~Load()
    {
        m_stop = true;
        m_thread.join();
    }

    // Errors per second over the last `windowMs`, from the recorded history.
    double errorRate(qint64 windowMs) const
    {
        std::lock_guard lock(m_mutex);
        if (m_history.size() < 2)
            return 0;
        const auto& last = m_history.back();
        auto first = m_history.front();
        for (const auto& h : m_history)
            if (h.first >= last.first - windowMs) {
                first = h;
                break;
            }
        if (last.first == first.first)
            return 0;
        return (last.second - first.second) * 1000.0 / double(last.first - first.first);
    }

private:
    void run()
    {
        int i = 0;
        while (!m_stop) {
            // 0.11 .. 0.24 s: strictly inside (0.1, 0.25].
            m_exporter.observeSinkCommit(0.11 + (i++ % 14) * 0.01);
            m_exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("error"), kErrorsPerTick);
            m_exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("ok"), kOksPerTick);
            {
                std::lock_guard lock(m_mutex);
                m_history.emplace_back(
                    nowMs(), m_exporter.objectStoreRequests(QStringLiteral("put"), QStringLiteral("error")));
                if (m_history.size() > 2000)
                    m_history.pop_front();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(kTickMs));
        }
    }

    TestExporter& m_exporter;
    std::atomic<bool> m_stop {false};
    mutable std::mutex m_mutex;
    std::deque<std::pair<qint64, double>> m_history;
    std::thread m_thread;
};

SignalConfig signal(const QString& id, const QString& query)
{
    SignalConfig s;
    s.id = id;
    s.stageId = id.section(QLatin1Char('/'), 0, 0);
    s.name = id.section(QLatin1Char('/'), 1);
    s.sourceId = QStringLiteral("prom");
    s.params.insert(QStringLiteral("query"), query);
    return s;
}

std::vector<Sample> samplesOf(const PollResult& r, const QString& signalId)
{
    std::vector<Sample> out;
    for (const Sample& s : r.samples)
        if (s.signalId == signalId)
            out.push_back(s);
    return out;
}

QString errorOf(const PollResult& r, const QString& signalId)
{
    for (const auto& [id, error] : r.signalErrors)
        if (id == signalId)
            return error.toString();
    return {};
}

QString dumpErrors(const PollResult& r)
{
    QStringList lines;
    if (r.error)
        lines << r.error->toString();
    for (const auto& [id, error] : r.signalErrors)
        lines << id + QStringLiteral(": ") + error.toString();
    return lines.join(QLatin1Char('\n'));
}

} // namespace

class TestPromqlPrometheus : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpClient> m_client;
    TestExporter m_exporter;
    std::unique_ptr<Load> m_load;
    QProcess m_prometheus;
    quint16 m_port = 0;

    QString baseUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

    PollResult poll(const std::vector<SignalConfig>& signalConfigs)
    {
        SourceConfig config;
        config.id = QStringLiteral("prom");
        config.kind = QStringLiteral("promql");
        config.timeoutMs = 5000;
        config.http.url = baseUrl();
        auto source = createSource(config, signalConfigs);
        if (!source) {
            PollResult r;
            r.error = source.error();
            return r;
        }
        PollContext context;
        context.io = &m_io->io();
        context.http = m_client.get();
        return pollSync(**source, context, 15000);
    }

    // A single number from one query, or NaN while there is none yet.
    double value(const QString& query)
    {
        const PollResult r = poll({signal(QStringLiteral("wait/q"), query)});
        if (r.samples.size() != 1)
            return std::nan("");
        return r.samples.front().value;
    }

    QString prometheusLog() { return QString::fromLocal8Bit(m_prometheus.readAll()).right(3000); }

private slots:
    void initTestCase()
    {
        const QString prometheus = QStandardPaths::findExecutable(QStringLiteral("prometheus"));
        if (prometheus.isEmpty())
            QFAIL("the prometheus server is missing: apt-get install prometheus (see installers/deps.sh)");
        QVERIFY(m_dir.isValid());
        m_io = std::make_unique<IoThreads>(2);
        m_client = std::make_unique<HttpClient>(m_io->io());

        auto started = m_exporter.start();
        QVERIFY2(started.has_value(), qPrintable(started ? QString() : started.error().message));
        m_exporter.addObjectStoreRequests(QStringLiteral("get"), QStringLiteral("ok"), kFixedGetOk);

        m_port = unusedTcpPort();
        const QString configPath = m_dir.filePath(QStringLiteral("prometheus.yml"));
        QFile config(configPath);
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(QStringLiteral("global:\n"
                                    "  scrape_interval: 1s\n"
                                    "  evaluation_interval: 1s\n"
                                    "scrape_configs:\n"
                                    "  - job_name: pipeline\n"
                                    "    scrape_interval: 1s\n"
                                    "    scrape_timeout: 900ms\n"
                                    "    static_configs:\n"
                                    "      - targets: ['%1']\n")
                         .arg(m_exporter.address())
                         .toUtf8());
        config.close();

        m_prometheus.setProcessChannelMode(QProcess::MergedChannels);
        m_prometheus.start(prometheus,
            {QStringLiteral("--config.file=") + configPath,
                QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(m_port),
                QStringLiteral("--storage.tsdb.path=") + m_dir.filePath(QStringLiteral("tsdb")),
                QStringLiteral("--log.level=warn")});
        QVERIFY2(m_prometheus.waitForStarted(10000), qPrintable(m_prometheus.errorString()));

        // Ready: /-/ready answers 200 once the TSDB is open.
        QDeadlineTimer ready(30000);
        bool isReady = false;
        while (!ready.hasExpired() && m_prometheus.state() == QProcess::Running) {
            HttpRequest r;
            r.url = baseUrl() + QStringLiteral("/-/ready");
            r.timeoutMs = 1000;
            if (auto answer = getSync(*m_client, r); answer && answer->status == 200) {
                isReady = true;
                break;
            }
            QThread::msleep(100);
        }
        QVERIFY2(isReady, qPrintable(QStringLiteral("prometheus did not become ready:\n") + prometheusLog()));

        m_load = std::make_unique<Load>(m_exporter);

        // Two scrapes seen through the query API (up == 1 twice), then enough for a 5 s rate window.
        QDeadlineTimer scraped(30000);
        double scrapes = 0;
        while (!scraped.hasExpired()) {
            scrapes = value(QStringLiteral("sum(count_over_time(up{job=\"pipeline\"}[1m]))"));
            const double up = value(QStringLiteral("sum(up{job=\"pipeline\"})"));
            if (up == 1 && scrapes >= 6)
                break;
            QThread::msleep(250);
        }
        QVERIFY2(scrapes >= 6,
            qPrintable(QStringLiteral("Prometheus did not scrape the exporter (%1 scrapes):\n%2")
                           .arg(scrapes)
                           .arg(prometheusLog())));
    }

    void cleanupTestCase()
    {
        m_load.reset();
        if (m_prometheus.state() != QProcess::NotRunning) {
            m_prometheus.terminate();
            if (!m_prometheus.waitForFinished(10000)) {
                m_prometheus.kill();
                m_prometheus.waitForFinished(5000);
            }
        }
        m_client.reset();
        m_io.reset();
    }

    void sinkLatencyQuantiles()
    {
        const PollResult r
            = poll({signal(QStringLiteral("sink/p99"),
                        QStringLiteral(
                            "histogram_quantile(0.99, sum by (le) (rate(sink_commit_duration_seconds_bucket[5s])))")),
                signal(QStringLiteral("sink/p50"),
                    QStringLiteral(
                        "histogram_quantile(0.5, sum by (le) (rate(sink_commit_duration_seconds_bucket[5s])))")),
                signal(QStringLiteral("sink/p50_total"),
                    QStringLiteral("histogram_quantile(0.5, sum by (le) (sink_commit_duration_seconds_bucket))"))});
        QVERIFY2(!r.error && r.signalErrors.empty(), qPrintable(dumpErrors(r)));
        QCOMPARE(r.samples.size(), size_t(3));
        const qint64 now = nowMs();
        for (const auto& [id, q] : {std::pair {QStringLiteral("sink/p99"), 0.99},
                 std::pair {QStringLiteral("sink/p50"), 0.5}, std::pair {QStringLiteral("sink/p50_total"), 0.5}}) {
            const auto samples = samplesOf(r, id);
            QCOMPARE(samples.size(), size_t(1));
            const Sample& s = samples.front();
            QVERIFY(s.labels.empty());
            QVERIFY2(std::abs(s.timestampMs - now) < 10000, qPrintable(QString::number(s.timestampMs)));
            // All observations lie in (0.1, 0.25], so the quantile does too; with every count in that one bucket,
            // Prometheus' linear interpolation gives exactly lower + (upper - lower) * q.
            QVERIFY2(s.value >= kLowerBound && s.value <= kUpperBound, qPrintable(QString::number(s.value)));
            QVERIFY2(std::abs(s.value - (kLowerBound + (kUpperBound - kLowerBound) * q)) < 1e-9,
                qPrintable(QStringLiteral("%1: %2").arg(id).arg(s.value, 0, 'g', 17)));
        }
    }

    void objectStoreErrorRateAndRatio()
    {
        const PollResult r = poll({signal(QStringLiteral("storage/errors"),
                                       QStringLiteral("sum(rate(object_store_requests_total{result=\"error\"}[5s]))")),
            signal(QStringLiteral("storage/ratio"),
                QStringLiteral("sum(rate(object_store_requests_total{result=\"error\"}[5s])) / "
                               "sum(rate(object_store_requests_total[5s]))"))});
        QVERIFY2(!r.error && r.signalErrors.empty(), qPrintable(dumpErrors(r)));
        // Prometheus sees the counter up to one scrape late: compare with our own rate over a slightly wider window.
        const double expected = m_load->errorRate(6000);
        const auto errors = samplesOf(r, QStringLiteral("storage/errors"));
        QCOMPARE(errors.size(), size_t(1));
        qInfo("error rate: prometheus %.3f/s, exporter %.3f/s", errors.front().value, expected);
        QVERIFY(expected > 0);
        QVERIFY2(std::abs(errors.front().value - expected) / expected < 0.25,
            qPrintable(QStringLiteral("%1 vs %2").arg(errors.front().value).arg(expected)));
        const auto ratio = samplesOf(r, QStringLiteral("storage/ratio"));
        QCOMPARE(ratio.size(), size_t(1));
        const double expectedRatio = double(kErrorsPerTick) / (kErrorsPerTick + kOksPerTick);
        QVERIFY2(
            std::abs(ratio.front().value - expectedRatio) < 0.02, qPrintable(QString::number(ratio.front().value)));
    }

    void vectorLabelsBecomeSampleLabels()
    {
        const PollResult r = poll({signal(QStringLiteral("storage/by_op"),
                                       QStringLiteral("sum by (op, result) (object_store_requests_total)")),
            signal(QStringLiteral("storage/raw"), QStringLiteral("object_store_requests_total{op=\"get\"}")),
            signal(QStringLiteral("misc/up"), QStringLiteral("scalar(sum(up{job=\"pipeline\"}))"))});
        QVERIFY2(!r.error && r.signalErrors.empty(), qPrintable(dumpErrors(r)));

        const auto byOp = samplesOf(r, QStringLiteral("storage/by_op"));
        QCOMPARE(
            byOp.size(), size_t(TestExporter::objectStoreOps().size() * TestExporter::objectStoreResults().size()));
        for (const Sample& s : byOp) {
            QCOMPARE(s.labels.size(), size_t(2));
            QCOMPARE(s.labels[0].first, QStringLiteral("op"));
            QCOMPARE(s.labels[1].first, QStringLiteral("result"));
            const QString op = s.labels[0].second;
            const QString result = s.labels[1].second;
            const double exposedNow = m_exporter.objectStoreRequests(op, result);
            if (op == QLatin1String("put")) {
                QVERIFY(s.value > 0 && s.value <= exposedNow); // scraped a little earlier
            } else {
                QCOMPARE(s.value, exposedNow); // never changes
                QCOMPARE(s.value, op == QLatin1String("get") && result == QLatin1String("ok") ? kFixedGetOk : 0.0);
            }
        }

        const auto raw = samplesOf(r, QStringLiteral("storage/raw"));
        QCOMPARE(raw.size(), size_t(2));
        for (const Sample& s : raw) {
            QStringList names;
            for (const auto& [name, value] : s.labels)
                names << name;
            QCOMPARE(names,
                QStringList({QStringLiteral("instance"), QStringLiteral("job"), QStringLiteral("op"),
                    QStringLiteral("result")})); // __name__ dropped, sorted
            QCOMPARE(s.labels[0].second, m_exporter.address());
            QCOMPARE(s.labels[1].second, QStringLiteral("pipeline"));
        }

        const auto up = samplesOf(r, QStringLiteral("misc/up"));
        QCOMPARE(up.size(), size_t(1));
        QCOMPARE(up.front().value, 1.0);
        QVERIFY(up.front().labels.empty());
    }

    void queryErrorsArePerSignal()
    {
        const PollResult r = poll({signal(QStringLiteral("misc/good"), QStringLiteral("vector(7)")),
            signal(QStringLiteral("misc/syntax"), QStringLiteral("rate(")),
            signal(QStringLiteral("misc/absent"), QStringLiteral("no_such_metric_anywhere")),
            signal(QStringLiteral("misc/matrix"), QStringLiteral("up[1m]"))});
        QVERIFY2(!r.error, qPrintable(dumpErrors(r)));
        const auto good = samplesOf(r, QStringLiteral("misc/good"));
        QCOMPARE(good.size(), size_t(1));
        QCOMPARE(good.front().value, 7.0);
        QCOMPARE(r.signalErrors.size(), size_t(3));
        QVERIFY2(errorOf(r, QStringLiteral("misc/syntax"))
                     .startsWith(QLatin1String("prom: query failed (bad_data) with HTTP 400: ")),
            qPrintable(errorOf(r, QStringLiteral("misc/syntax"))));
        QCOMPARE(errorOf(r, QStringLiteral("misc/absent")), QStringLiteral("prom: query returned no series"));
        QVERIFY2(
            errorOf(r, QStringLiteral("misc/matrix")).startsWith(QLatin1String("prom: query returned a range vector")),
            qPrintable(errorOf(r, QStringLiteral("misc/matrix"))));
    }
};

QTEST_GUILESS_MAIN(TestPromqlPrometheus)
#include "tst_promqlprometheus.moc"
