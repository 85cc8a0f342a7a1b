// ScrapeSource against a real prometheus-cpp exposer (TestExporter) and a Beast test server for bad answers, plus
// deterministic ingest() checks of rates, resets and histogram windows.
#include "config/config.h"
#include "pollresults.h"
#include "sources/expositionparser.h"
#include "sources/histogramquantile.h"
#include "sources/httpclient.h"
#include "sources/scrapesource.h"
#include "testexporter.h"
#include "testhttpserver.h"

#include <QTest>
#include <QThread>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cmath>

using namespace pw;

Q_DECLARE_METATYPE(pw::test::TestResponse)

namespace {

SignalConfig signal(const QString& id, QVariantMap params)
{
    SignalConfig s;
    s.id = id;
    s.stageId = id.section(QLatin1Char('/'), 0, 0);
    s.name = id.section(QLatin1Char('/'), 1);
    s.sourceId = QStringLiteral("target");
    s.params = std::move(params);
    return s;
}

SourceConfig scrapeConfig(const QString& url)
{
    SourceConfig c;
    c.id = QStringLiteral("target");
    c.kind = QStringLiteral("scrape");
    c.timeoutMs = 10000;
    c.http.url = url;
    return c;
}

std::unique_ptr<Source> makeSource(const QString& url, std::vector<SignalConfig> signalConfigs)
{
    auto source = createSource(scrapeConfig(url), signalConfigs);
    if (!source)
        qFatal("createSource failed: %s", qPrintable(source.error().toString()));
    return std::move(*source);
}

// Scrape samples are told apart by their labels; no labels given means the unlabelled one.
const Sample* find(const PollResult& r, const QString& signalId, const Labels& labels = {})
{
    return pw::test::sampleFor(r, signalId, labels);
}

int countFor(const PollResult& r, const QString& signalId)
{
    int n = 0;
    for (const Sample& s : r.samples)
        n += s.signalId == signalId;
    return n;
}

QString errorText(const PollResult& r)
{
    return r.error ? r.error->toString() : QString();
}

const QByteArray textType("text/plain; version=0.0.4; charset=utf-8");
const QByteArray omType("application/openmetrics-text; version=1.0.0; charset=utf-8");

} // namespace

class TestScrapeSource : public QObject
{
    Q_OBJECT

private slots:
    void testExporterRatesQuantilesGauges()
    {
        test::TestExporter exporter;
        auto started = exporter.start();
        QVERIFY2(started, started ? "" : qPrintable(started.error().toString()));
        auto& gauges
            = prometheus::BuildGauge().Name("pipeline_backlog_items").Help("Backlog").Register(*exporter.registry());
        gauges.Add({{"stage", "sink"}}).Set(42);
        gauges.Add({{"stage", "compute"}}).Set(8);
        // History before the first scrape must not leak into the window: 1000 slow commits.
        for (int i = 0; i < 1000; ++i)
            exporter.observeSinkCommit(2.0);
        exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("error"), 500);

        auto source = makeSource(exporter.metricsUrl(),
            {signal(QStringLiteral("storage/errors"),
                 {{QStringLiteral("metric"), QStringLiteral("object_store_requests_total")},
                     {QStringLiteral("matchers"), QVariantMap {{QStringLiteral("result"), QStringLiteral("error")}}}}),
                signal(QStringLiteral("storage/errors_by_op"),
                    {{QStringLiteral("metric"), QStringLiteral("object_store_requests_total")},
                        {QStringLiteral("matchers"),
                            QVariantMap {{QStringLiteral("result"), QStringLiteral("error")},
                                {QStringLiteral("op"), QStringLiteral("=~p.t|get")}}},
                        {QStringLiteral("aggregate"), QStringLiteral("none")}}),
                signal(QStringLiteral("sink/p50"),
                    {{QStringLiteral("metric"), QStringLiteral("sink_commit_duration_seconds")},
                        {QStringLiteral("matchers"), QVariantMap {{QStringLiteral("bucket"), QStringLiteral("marts")}}},
                        {QStringLiteral("quantile"), QStringLiteral("0.5")}}),
                signal(QStringLiteral("sink/p95"),
                    {{QStringLiteral("metric"), QStringLiteral("sink_commit_duration_seconds")},
                        {QStringLiteral("quantile"), QStringLiteral("0.95")},
                        {QStringLiteral("window"), QStringLiteral("1m")}}),
                signal(QStringLiteral("sink/p99"),
                    {{QStringLiteral("metric"), QStringLiteral("sink_commit_duration_seconds")}}), // default 0.99
                signal(QStringLiteral("compute/backlog"),
                    {{QStringLiteral("metric"), QStringLiteral("pipeline_backlog_items")},
                        {QStringLiteral("aggregate"), QStringLiteral("max")}}),
                signal(QStringLiteral("compute/backlog_total"),
                    {{QStringLiteral("metric"), QStringLiteral("pipeline_backlog_items")}})});

        test::IoThreads io;
        HttpClient client(io.io());
        PollContext context;
        context.io = &io.io();
        context.http = &client;

        const qint64 before1 = nowMs();
        const PollResult first = test::pollSync(*source, context);
        const qint64 after1 = nowMs();
        QVERIFY2(!first.error, qPrintable(errorText(first)));
        QVERIFY(first.signalErrors.empty());
        // Rates and quantiles need two scrapes; gauges are there at once.
        QCOMPARE(countFor(first, QStringLiteral("storage/errors")), 0);
        QCOMPARE(countFor(first, QStringLiteral("sink/p99")), 0);
        QVERIFY(find(first, QStringLiteral("compute/backlog")));
        QCOMPARE(find(first, QStringLiteral("compute/backlog"))->value, 42.0);
        QCOMPARE(find(first, QStringLiteral("compute/backlog_total"))->value, 50.0);

        // Between the scrapes: 10 errors (6 put, 4 get), and 100 commits whose deltas give the quantiles:
        // cumulative le=0.005:50 0.025:80 0.5:99 10:100.
        exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("error"), 6);
        exporter.addObjectStoreRequests(QStringLiteral("get"), QStringLiteral("error"), 4);
        exporter.addObjectStoreRequests(QStringLiteral("get"), QStringLiteral("ok"), 1000); // not selected
        for (int i = 0; i < 50; ++i)
            exporter.observeSinkCommit(0.003);
        for (int i = 0; i < 30; ++i)
            exporter.observeSinkCommit(0.02);
        for (int i = 0; i < 19; ++i)
            exporter.observeSinkCommit(0.3);
        exporter.observeSinkCommit(7.0);
        QThread::msleep(1000);

        const qint64 before2 = nowMs();
        const PollResult second = test::pollSync(*source, context);
        const qint64 after2 = nowMs();
        QVERIFY2(!second.error, qPrintable(errorText(second)));
        QVERIFY(second.signalErrors.empty());

        const double minSeconds = double(before2 - after1) / 1000.0;
        const double maxSeconds = double(after2 - before1) / 1000.0;
        const Sample* errors = find(second, QStringLiteral("storage/errors"));
        QVERIFY(errors);
        QVERIFY2(errors->value >= 10.0 / maxSeconds && errors->value <= 10.0 / minSeconds,
            qPrintable(QString::number(errors->value)));
        const Sample* put = find(second, QStringLiteral("storage/errors_by_op"),
            {{QStringLiteral("op"), QStringLiteral("put")}, {QStringLiteral("result"), QStringLiteral("error")}});
        const Sample* get = find(second, QStringLiteral("storage/errors_by_op"),
            {{QStringLiteral("op"), QStringLiteral("get")}, {QStringLiteral("result"), QStringLiteral("error")}});
        QVERIFY(put && get);
        QCOMPARE(countFor(second, QStringLiteral("storage/errors_by_op")), 2); // list/error is excluded by the regex
        QCOMPARE(put->value / get->value, 6.0 / 4.0);

        // histogram_quantile over bucket deltas, by hand: p50 → rank 50 in (0, 0.005]; p99 → rank 99 in (0.25, 0.5]
        // with 80 below and 19 inside; p95 → 0.25 + 0.25 * 15/19.
        QCOMPARE(find(second, QStringLiteral("sink/p50"))->value, 0.005);
        QCOMPARE(find(second, QStringLiteral("sink/p99"))->value, 0.5);
        QCOMPARE(find(second, QStringLiteral("sink/p95"))->value, 0.25 + 0.25 * 15.0 / 19.0);
    }

    void testFromConfigFile()
    {
        // The path a user takes: YAML → loader → source factory → poll.
        test::TestExporter exporter;
        QVERIFY(exporter.start());
        const QByteArray yaml = "pipeline: {name: scrape-test}\n"
                                "sources:\n"
                                "  target:\n"
                                "    kind: scrape\n"
                                "    url: "
            + exporter.metricsUrl().toUtf8()
            + "\n"
              "    timeout: 5s\n"
              "stages:\n"
              "  - id: sink\n"
              "    signals:\n"
              "      - kind: sink_commit_latency\n"
              "        name: p99\n"
              "        source: target\n"
              "        metric: sink_commit_duration_seconds\n"
              "        matchers: {bucket: marts}\n"
              "        quantile: 0.99\n"
              "        window: 1m\n"
              "  - id: storage\n"
              "    signals:\n"
              "      - kind: object_storage_errors\n"
              "        source: target\n"
              "        metric: object_store_requests_total\n"
              "        matchers: {result: error, op: \"=~put|get\"}\n"
              "        aggregate: max\n";
        const auto config = loadConfigText(yaml, QStringLiteral("scrape.yaml"));
        QVERIFY2(config, config ? "" : qPrintable(config.error().toString()));
        std::vector<SignalConfig> signalConfigs;
        for (const StageConfig& stage : config->stages)
            for (const SignalConfig& s : stage.signalConfigs)
                signalConfigs.push_back(s);
        auto created = createSource(*config->findSource(QStringLiteral("target")), signalConfigs);
        QVERIFY2(created, created ? "" : qPrintable(created.error().toString()));
        test::IoThreads io;
        HttpClient client(io.io());
        PollContext context;
        context.io = &io.io();
        context.http = &client;
        QVERIFY(!test::pollSync(**created, context).error);
        exporter.addObjectStoreRequests(QStringLiteral("put"), QStringLiteral("error"), 30);
        exporter.addObjectStoreRequests(QStringLiteral("list"), QStringLiteral("error"), 1000); // not matched
        for (int i = 0; i < 10; ++i)
            exporter.observeSinkCommit(0.07); // (0.05, 0.1]
        QThread::msleep(200);
        const PollResult r = test::pollSync(**created, context);
        QVERIFY2(!r.error, qPrintable(errorText(r)));
        QVERIFY(r.signalErrors.empty());
        // rank 9.9 of 10, all in (0.05, 0.1]: 0.05 + 0.05 * 9.9/10
        QCOMPARE(find(r, QStringLiteral("sink/p99"))->value, 0.05 + 0.05 * 0.99);
        const Sample* errors = find(r, QStringLiteral("storage/object_storage_errors"));
        QVERIFY(errors);
        QVERIFY2(errors->value > 0 && errors->value < 1000.0, qPrintable(QString::number(errors->value)));
    }

    void testCounterRatesAndResets()
    {
        auto source = makeSource(QStringLiteral("http://127.0.0.1:1/metrics"),
            {signal(QStringLiteral("storage/errors"), {{QStringLiteral("metric"), QStringLiteral("errs_total")}})});
        auto* scrape = dynamic_cast<ScrapeSource*>(source.get());
        QVERIFY(scrape);
        auto body = [](int v) -> QByteArray {
            return QByteArray("# TYPE errs_total counter\nerrs_total{op=\"put\"} ") + QByteArray::number(v) + "\n";
        };
        QCOMPARE(scrape->ingest(textType, body(100), 0).samples.size(), std::size_t(0));
        const PollResult r1 = scrape->ingest(textType, body(120), 10'000);
        QCOMPARE(r1.samples.size(), std::size_t(1));
        QCOMPARE(r1.samples[0].value, 2.0);
        QCOMPARE(r1.samples[0].timestampMs, qint64(10'000));
        // The counter restarted: Prometheus counts the new value in full. The rate covers every scrape in the
        // default 1 m window: (120 - 100) + 5 over 20 s.
        const PollResult r2 = scrape->ingest(textType, body(5), 20'000);
        QCOMPARE(r2.samples.size(), std::size_t(1));
        QCOMPARE(r2.samples[0].value, 1.25);
        // OpenMetrics spelling of the same counter (family errs, sample errs_total) is selected by either name.
        const QByteArray om("# TYPE errs counter\nerrs_total{op=\"put\"} 25\nerrs_created{op=\"put\"} 1.7e9\n# EOF\n");
        const PollResult r3 = scrape->ingest(omType, om, 30'000);
        QVERIFY2(!r3.error, qPrintable(errorText(r3)));
        QCOMPARE(r3.samples.size(), std::size_t(1));
        QCOMPARE(r3.samples[0].value, 45.0 / 30.0);
    }

    void testCounterRateOverTheWindow()
    {
        // Three errors between the first two scrapes, none after: the rate stays up while the increase is inside
        // the 30 s window and falls to 0 once the scrape before it has left the window, as rate(x[30s]) does.
        auto source = makeSource(QStringLiteral("http://127.0.0.1:1/metrics"),
            {signal(QStringLiteral("storage/errors"),
                {{QStringLiteral("metric"), QStringLiteral("errs_total")},
                    {QStringLiteral("window"), QStringLiteral("30s")}})});
        auto* scrape = dynamic_cast<ScrapeSource*>(source.get());
        QVERIFY(scrape);
        auto body = [](int v) -> QByteArray {
            return QByteArray("# TYPE errs_total counter\nerrs_total{op=\"put\"} ") + QByteArray::number(v) + "\n";
        };
        QCOMPARE(scrape->ingest(textType, body(0), 0).samples.size(), std::size_t(0));
        const double expected[] = {0.3, 0.15, 0.0, 0.0};
        for (int i = 0; i < 4; ++i) {
            const PollResult r = scrape->ingest(textType, body(3), qint64(i + 1) * 10'000);
            QCOMPARE(r.samples.size(), std::size_t(1));
            QCOMPARE(r.samples[0].value, expected[i]);
        }
        // Scrapes further apart than the window: the last two still give a rate.
        QCOMPARE(scrape->ingest(textType, body(13), 140'000).samples[0].value, 0.1);
    }

    void testHistogramWindowAndAggregation()
    {
        auto quantileSignal = [](const QString& id, const QString& aggregate) {
            return signal(id,
                {{QStringLiteral("metric"), QStringLiteral("lat_seconds")},
                    {QStringLiteral("quantile"), QStringLiteral("0.5")},
                    {QStringLiteral("window"), QStringLiteral("30s")}, {QStringLiteral("aggregate"), aggregate}});
        };
        auto source = makeSource(QStringLiteral("http://127.0.0.1:1/metrics"),
            {quantileSignal(QStringLiteral("sink/sum"), QStringLiteral("sum")),
                quantileSignal(QStringLiteral("sink/max"), QStringLiteral("max")),
                quantileSignal(QStringLiteral("sink/none"), QStringLiteral("none"))});
        auto* scrape = dynamic_cast<ScrapeSource*>(source.get());
        QVERIFY(scrape);
        // Pod a's buckets (le 0.1, 1, +Inf) over time; pod b only ever observes > 1 s, 10 per step.
        auto body = [](int a01, int a1, int aInf, int b) -> QByteArray {
            QByteArray out("# TYPE lat_seconds histogram\n");
            out += "lat_seconds_bucket{pod=\"a\",le=\"0.1\"} " + QByteArray::number(a01) + "\n";
            out += "lat_seconds_bucket{pod=\"a\",le=\"1\"} " + QByteArray::number(a1) + "\n";
            out += "lat_seconds_bucket{pod=\"a\",le=\"+Inf\"} " + QByteArray::number(aInf) + "\n";
            out += "lat_seconds_bucket{le=\"0.1\",pod=\"b\"} 0\nlat_seconds_bucket{le=\"1\",pod=\"b\"} 0\n";
            out += "lat_seconds_bucket{le=\"+Inf\",pod=\"b\"} " + QByteArray::number(b) + "\n";
            out += "lat_seconds_count{pod=\"a\"} " + QByteArray::number(aInf) + "\n";
            return out;
        };
        QVERIFY(scrape->ingest(textType, body(0, 0, 0, 0), 0).samples.empty());
        const PollResult t10 = scrape->ingest(textType, body(10, 10, 10, 10), 10'000);
        // a alone: 10 ≤ 0.1 → p50 = 0.1 * 5/10. Sum by le: 0.1:10 1:10 +Inf:20 → rank 10 → 0.1. b alone: all in
        // +Inf → the highest finite bound, 1.
        QCOMPARE(find(t10, QStringLiteral("sink/sum"))->value, 0.1);
        QCOMPARE(find(t10, QStringLiteral("sink/max"))->value, 1.0);
        QCOMPARE(find(t10, QStringLiteral("sink/none"), {{QStringLiteral("pod"), QStringLiteral("a")}})->value, 0.05);
        QCOMPARE(find(t10, QStringLiteral("sink/none"), {{QStringLiteral("pod"), QStringLiteral("b")}})->value, 1.0);
        QCOMPARE(countFor(t10, QStringLiteral("sink/none")), 2);
        scrape->ingest(textType, body(10, 20, 20, 20), 20'000);
        // At 40 s the 30 s window is (10 s, 40 s]: only the 20 s and 40 s scrapes count. a: 0.1:+5 1:+5 +Inf:+10 →
        // p50 rank 5 → 0.1 * 5/5. Were the 10 s scrape kept, a would give 0.1 + 0.9 * (10-5)/(15-5) = 0.55.
        const PollResult t40 = scrape->ingest(textType, body(15, 25, 30, 30), 40'000);
        QCOMPARE(find(t40, QStringLiteral("sink/none"), {{QStringLiteral("pod"), QStringLiteral("a")}})->value, 0.1);
        // A histogram whose counters restart counts the post-restart values in full.
        const PollResult t50 = scrape->ingest(textType, body(2, 2, 4, 30), 50'000);
        // a over (20 s, 50 s] (the 40 s and 50 s scrapes): 0.1: 15→2 = 2, 1: 25→2 = 2, +Inf: 30→4 = 4 → rank 2 → 0.1.
        // Taking the drop as a negative increase instead would give no sensible quantile at all.
        QCOMPARE(find(t50, QStringLiteral("sink/none"), {{QStringLiteral("pod"), QStringLiteral("a")}})->value, 0.1);
    }

    void testSummaryQuantile()
    {
        auto quantile = [](const QString& id, const QString& q) {
            return signal(
                id, {{QStringLiteral("metric"), QStringLiteral("rpc_seconds")}, {QStringLiteral("quantile"), q}});
        };
        auto source = makeSource(QStringLiteral("http://127.0.0.1:1/metrics"),
            {quantile(QStringLiteral("s/p99"), QStringLiteral("0.99")),
                quantile(QStringLiteral("s/p90"), QStringLiteral("0.9"))});
        auto* scrape = dynamic_cast<ScrapeSource*>(source.get());
        const PollResult r = scrape->ingest(textType,
            "# TYPE rpc_seconds summary\nrpc_seconds{quantile=\"0.5\"} 3\n"
            "rpc_seconds{quantile=\"0.99\"} 9\nrpc_seconds_sum 100\nrpc_seconds_count 20\n",
            1000);
        QVERIFY(!r.error);
        QCOMPARE(find(r, QStringLiteral("s/p99"))->value, 9.0); // the exposed quantile, no rate needed
        QCOMPARE(r.signalErrors.size(), std::size_t(1)); // the summary does not expose 0.9
        QCOMPARE(r.signalErrors[0].first, QStringLiteral("s/p90"));
        QVERIFY(r.signalErrors[0].second.message.contains(QStringLiteral("quantile 0.9")));
    }

    void testNoMatchingSeries()
    {
        auto source = makeSource(QStringLiteral("http://127.0.0.1:1/metrics"),
            {signal(QStringLiteral("storage/errors"),
                 {{QStringLiteral("metric"), QStringLiteral("errs_total")},
                     {QStringLiteral("matchers"), QVariantMap {{QStringLiteral("bucket"), QStringLiteral("nope")}}}}),
                signal(QStringLiteral("storage/other"), {{QStringLiteral("metric"), QStringLiteral("up")}})});
        auto* scrape = dynamic_cast<ScrapeSource*>(source.get());
        const PollResult r = scrape->ingest(textType, "errs_total{bucket=\"marts\"} 1\nup 1\n", 1000);
        QVERIFY(!r.error);
        QCOMPARE(r.signalErrors.size(), std::size_t(1));
        QCOMPARE(r.signalErrors[0].first, QStringLiteral("storage/errors"));
        QCOMPARE(r.signalErrors[0].second.code, Error::Code::NotFound);
        QVERIFY(r.signalErrors[0].second.message.contains(QStringLiteral("errs_total{bucket=\"nope\"}")));
        QCOMPARE(find(r, QStringLiteral("storage/other"))->value, 1.0); // the rest of the poll stands
    }

    void testConfigErrors_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QVariantMap>("params");
        QTest::addColumn<QString>("message");
        const QString url = QStringLiteral("http://127.0.0.1:9100/metrics");
        QTest::newRow("no metric") << url << QVariantMap {} << QStringLiteral("needs a `metric`");
        QTest::newRow("bad metric") << url << QVariantMap {{QStringLiteral("metric"), QStringLiteral("a-b")}}
                                    << QStringLiteral("needs a `metric`");
        QTest::newRow("bad regex") << url
                                   << QVariantMap {{QStringLiteral("metric"), QStringLiteral("x")},
                                          {QStringLiteral("matchers"),
                                              QVariantMap {{QStringLiteral("op"), QStringLiteral("=~(")}}}}
                                   << QStringLiteral("invalid regular expression");
        QTest::newRow("quantile out of range") << url
                                               << QVariantMap {{QStringLiteral("metric"), QStringLiteral("x")},
                                                      {QStringLiteral("quantile"), QStringLiteral("1.5")}}
                                               << QStringLiteral("between 0 and 1");
        QTest::newRow("bad aggregate") << url
                                       << QVariantMap {{QStringLiteral("metric"), QStringLiteral("x")},
                                              {QStringLiteral("aggregate"), QStringLiteral("avg")}}
                                       << QStringLiteral("sum, max or none");
        QTest::newRow("not a URL") << QStringLiteral("127.0.0.1:9100")
                                   << QVariantMap {{QStringLiteral("metric"), QStringLiteral("x")}}
                                   << QStringLiteral("http:// or https://");
    }

    void testConfigErrors()
    {
        QFETCH(QString, url);
        QFETCH(QVariantMap, params);
        QFETCH(QString, message);
        const auto source = createSource(scrapeConfig(url), {signal(QStringLiteral("s/x"), params)});
        QVERIFY(!source);
        QCOMPARE(source.error().code, Error::Code::Config);
        QCOMPARE(source.error().source, QStringLiteral("target"));
        QVERIFY2(source.error().message.contains(message), qPrintable(source.error().message));
    }

    void testBadAnswers_data()
    {
        QTest::addColumn<test::TestResponse>("response");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");

        QTest::newRow("wrong content type (JSON)")
            << test::TestResponse::json("{\"up\": 1}") << int(Error::Code::Protocol)
            << QStringLiteral("unexpected Content-Type 'application/json'");
        test::TestResponse html = test::TestResponse::text("<html><body>login</body></html>\n");
        html.contentType = "text/html; charset=utf-8";
        QTest::newRow("HTML login page") << html << int(Error::Code::Protocol)
                                         << QStringLiteral("unexpected Content-Type 'text/html");
        test::TestResponse truncated = test::TestResponse::text("up 1\nsink_commits_total{bucket=\"ma");
        truncated.contentType = textType;
        QTest::newRow("truncated text body")
            << truncated << int(Error::Code::Parse) << QStringLiteral("at line 2, column 30");
        test::TestResponse truncatedOm = test::TestResponse::text("# TYPE up gauge\nup 1\n");
        truncatedOm.contentType = omType;
        QTest::newRow("OpenMetrics without # EOF")
            << truncatedOm << int(Error::Code::Parse) << QStringLiteral("line 3, column 1: expected '# EOF'");
        test::TestResponse garbled = test::TestResponse::text(QByteArray("up 1\n\x1f\x8b\x08\x00garbage{{\n", 19));
        garbled.contentType = textType;
        QTest::newRow("garbled body") << garbled << int(Error::Code::Parse) << QStringLiteral("line 2, column 1");
        test::TestResponse bomb = test::TestResponse::text(test::gzipOfZeros(80LL * 1024 * 1024));
        bomb.contentType = textType;
        bomb.encoding = test::TestResponse::Encoding::Gzip;
        bomb.bodyIsEncoded = true;
        QTest::newRow("gzip bomb over the 64 MiB default cap")
            << bomb << int(Error::Code::TooLarge) << QStringLiteral("67108864");
        test::TestResponse error = test::TestResponse::text("boom\n", 500);
        QTest::newRow("HTTP 500") << error << int(Error::Code::Http) << QStringLiteral("HTTP 500");
    }

    void testBadAnswers()
    {
        QFETCH(test::TestResponse, response);
        QFETCH(int, code);
        QFETCH(QString, message);
        test::TestHttpServer server;
        QVERIFY(server.start());
        server.setResponse("/metrics", response);
        auto source = makeSource(server.url(QStringLiteral("/metrics")),
            {signal(QStringLiteral("s/up"), {{QStringLiteral("metric"), QStringLiteral("up")}})});
        test::IoThreads io;
        HttpClient client(io.io());
        PollContext context;
        context.io = &io.io();
        context.http = &client;
        const PollResult r = test::pollSync(*source, context);
        QVERIFY2(r.error, "a bad answer was accepted");
        QVERIFY(r.samples.empty());
        QCOMPARE(int(r.error->code), code);
        QCOMPARE(r.error->source, QStringLiteral("target"));
        QVERIFY2(r.error->toString().contains(message), qPrintable(r.error->toString()));
        QCOMPARE(server.lastRequest().header("Accept"),
            QByteArray(scrapeAcceptHeader.data(), qsizetype(scrapeAcceptHeader.size())));
    }

    // Prometheus 3's fallback_scrape_protocol: a target that labels its metrics application/octet-stream (or not at
    // all) is refused, with the way out named, unless the source says how to read it.
    void testFallbackFormat_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QString>("fallback");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("outcome"); // "12" = the value read, else part of the error
        const QByteArray text = "# TYPE backlog_items gauge\nbacklog_items 12\n";
        const QByteArray om = "# TYPE backlog_items gauge\nbacklog_items 12\n# EOF\n";
        QTest::newRow("octet-stream refused") << QByteArray("application/octet-stream") << QString() << text
                                              << QStringLiteral("set `fallback_format: text` (or `openmetrics`)");
        QTest::newRow("no Content-Type refused")
            << QByteArray() << QString() << text << QStringLiteral("unexpected Content-Type '(none)'");
        QTest::newRow("octet-stream as text")
            << QByteArray("application/octet-stream") << QStringLiteral("text") << text << QStringLiteral("12");
        QTest::newRow("no Content-Type as text")
            << QByteArray() << QStringLiteral("text") << text << QStringLiteral("12");
        QTest::newRow("octet-stream as OpenMetrics")
            << QByteArray("application/octet-stream") << QStringLiteral("openmetrics") << om << QStringLiteral("12");
        QTest::newRow("OpenMetrics fallback still wants # EOF")
            << QByteArray("application/octet-stream") << QStringLiteral("openmetrics") << text
            << QStringLiteral("malformed OpenMetrics exposition");
        // A known Content-Type is obeyed: the fallback is only for missing or unknown ones.
        QTest::newRow("declared text wins over the fallback")
            << textType << QStringLiteral("openmetrics") << text << QStringLiteral("12");
    }

    void testFallbackFormat()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(QString, fallback);
        QFETCH(QByteArray, body);
        QFETCH(QString, outcome);
        test::TestHttpServer server;
        QVERIFY(server.start());
        test::TestResponse r = test::TestResponse::text(body);
        r.contentType = contentType;
        server.setResponse("/metrics", r);
        SourceConfig config = scrapeConfig(server.url(QStringLiteral("/metrics")));
        if (!fallback.isEmpty())
            config.options.insert(QStringLiteral("fallback_format"), fallback);
        auto created = createSource(config,
            {signal(QStringLiteral("s/backlog"), {{QStringLiteral("metric"), QStringLiteral("backlog_items")}})});
        QVERIFY(created.has_value());
        test::IoThreads io;
        HttpClient client(io.io());
        const PollResult result = test::pollSync(**created, io, client);
        if (outcome == QLatin1String("12")) {
            QVERIFY2(!result.error, qPrintable(errorText(result)));
            QCOMPARE(find(result, QStringLiteral("s/backlog"))->value, 12.0);
        } else {
            QVERIFY(result.error);
            QVERIFY2(result.error->message.contains(outcome), qPrintable(result.error->message));
        }
    }

    void testGzipAndOpenMetricsAnswer()
    {
        test::TestHttpServer server;
        QVERIFY(server.start());
        test::TestResponse r = test::TestResponse::text(
            "# TYPE backlog_items gauge\n# UNIT backlog_items items\nbacklog_items{stage=\"sink\"} 12 1700000000.5\n"
            "# TYPE build info\nbuild_info{version=\"1\"} 1\n# EOF\n");
        r.contentType = omType;
        r.encoding = test::TestResponse::Encoding::Gzip;
        server.setResponse("/metrics", r);
        auto source = makeSource(server.url(QStringLiteral("/metrics")),
            {signal(QStringLiteral("s/backlog"), {{QStringLiteral("metric"), QStringLiteral("backlog_items")}})});
        test::IoThreads io;
        HttpClient client(io.io());
        PollContext context;
        context.io = &io.io();
        context.http = &client;
        const PollResult result = test::pollSync(*source, context);
        QVERIFY2(!result.error, qPrintable(errorText(result)));
        QCOMPARE(find(result, QStringLiteral("s/backlog"))->value, 12.0);
    }
};

QTEST_GUILESS_MAIN(TestScrapeSource)
#include "tst_scrapesource.moc"
