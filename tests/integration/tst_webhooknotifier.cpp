// The webhook notifier against a local HTTP server that records the posts: one per stage transition (after
// hysteresis, so none on a flap), a resolved one, retries with backoff after a 500, no retry after a 400.
#include "config/config.h"
#include "instance/webhooknotifier.h"
#include "model/snapshot.h"
#include "model/thresholds.h"
#include "testhttpserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <atomic>

using namespace pw;
using namespace pw::test;

namespace {

Transition stageChange(const QString& stage, Severity from, Severity to, const QString& reason = {})
{
    Transition t;
    t.subject = Transition::Subject::Stage;
    t.id = stage;
    t.stageId = stage;
    t.from = from;
    t.to = to;
    t.reason = reason;
    t.atMs = 1700000000123;
    return t;
}

SnapshotPtr stagesSnapshot(quint64 sequence, Severity sink, double p99 = 2.5)
{
    auto s = std::make_shared<Snapshot>();
    s->sequence = sequence;
    s->pipelineName = QStringLiteral("marts");
    SignalState latency;
    latency.signalId = QStringLiteral("sink/p99");
    latency.stageId = QStringLiteral("sink");
    latency.unit = QStringLiteral("s");
    latency.hasValue = true;
    latency.value = p99;
    latency.severity = sink;
    s->signalStates.push_back(latency);
    StageState st;
    st.stageId = QStringLiteral("sink");
    st.title = QStringLiteral("Sink");
    st.severity = sink;
    st.signalIndexes = {0};
    st.headlineSignal = 0;
    s->stages.push_back(st);
    StageState compute;
    compute.stageId = QStringLiteral("compute");
    compute.title = QStringLiteral("Stream job");
    compute.severity = Severity::Ok;
    s->stages.push_back(compute);
    return s;
}

QJsonObject bodyOf(const TestRequest& r)
{
    return QJsonDocument::fromJson(r.body).object();
}

} // namespace

class TestWebhookNotifier : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestHttpServer> m_server;

    WebhookNotifier::Options options(const QByteArray& path)
    {
        WebhookNotifier::Options o;
        o.webhook.url = m_server->url(QString::fromLatin1(path));
        o.webhook.headers = {{QStringLiteral("X-Team"), QStringLiteral("data")}};
        o.retryDelaysMs = {50, 100, 200};
        return o;
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<TestHttpServer>();
        QVERIFY(m_server->start().has_value());
    }

    void onePostPerStageTransitionAndAResolvedOne()
    {
        m_server->setResponse("/hook/ok", TestResponse::text("ok"));
        WebhookNotifier notifier(options("/hook/ok"));
        Transition signal = stageChange(QStringLiteral("sink/p99"), Severity::Ok, Severity::Crit);
        signal.subject = Transition::Subject::Signal; // summed up by its stage: no post of its own
        notifier.transitions(
            {stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Warn, QStringLiteral("2.5 s ≥ warn 2 s")),
                signal},
            stagesSnapshot(1, Severity::Warn));
        notifier.transitions(
            {stageChange(QStringLiteral("sink"), Severity::Warn, Severity::Crit, QStringLiteral("3.5 s ≥ crit 3 s"))},
            stagesSnapshot(2, Severity::Crit, 3.5));
        // A first judgement (UNKNOWN → OK) is not news; OK after CRIT is.
        notifier.transitions({stageChange(QStringLiteral("compute"), Severity::Unknown, Severity::Ok),
                                 stageChange(QStringLiteral("sink"), Severity::Crit, Severity::Ok)},
            stagesSnapshot(3, Severity::Ok, 0.4));
        QTRY_COMPARE(notifier.delivered(), quint64(3));
        QTest::qWait(100);
        std::vector<TestRequest> posts;
        for (const auto& r : m_server->requests())
            if (r.path == "/hook/ok")
                posts.push_back(r);
        QCOMPARE(posts.size(), size_t(3));
        for (const auto& p : posts) {
            QCOMPARE(p.method, QByteArray("POST"));
            QCOMPARE(p.header("Content-Type"), QByteArray("application/json"));
            QCOMPARE(p.header("X-Team"), QByteArray("data"));
        }
        const QJsonObject warn = bodyOf(posts[0]);
        QCOMPARE(warn.value(QStringLiteral("stage")).toString(), QStringLiteral("sink"));
        QCOMPARE(warn.value(QStringLiteral("stage_title")).toString(), QStringLiteral("Sink"));
        QCOMPARE(warn.value(QStringLiteral("signal")).toString(), QStringLiteral("sink/p99"));
        QCOMPARE(warn.value(QStringLiteral("from")).toString(), QStringLiteral("OK"));
        QCOMPARE(warn.value(QStringLiteral("to")).toString(), QStringLiteral("WARN"));
        QCOMPARE(warn.value(QStringLiteral("value")).toDouble(), 2.5);
        QCOMPARE(warn.value(QStringLiteral("unit")).toString(), QStringLiteral("s"));
        QCOMPARE(warn.value(QStringLiteral("reason")).toString(), QStringLiteral("2.5 s ≥ warn 2 s"));
        QCOMPARE(warn.value(QStringLiteral("time")).toString(), QStringLiteral("2023-11-14T22:13:20.123Z"));
        QCOMPARE(warn.value(QStringLiteral("resolved")).toBool(), false);
        QCOMPARE(warn.value(QStringLiteral("text")).toString(),
            QStringLiteral("[marts] Sink is WARN: 2.5 s ≥ warn 2 s (was OK)"));
        const QJsonObject crit = bodyOf(posts[1]);
        QCOMPARE(crit.value(QStringLiteral("to")).toString(), QStringLiteral("CRIT"));
        QCOMPARE(crit.value(QStringLiteral("value")).toDouble(), 3.5);
        const QJsonObject resolved = bodyOf(posts[2]);
        QCOMPARE(resolved.value(QStringLiteral("from")).toString(), QStringLiteral("CRIT"));
        QCOMPARE(resolved.value(QStringLiteral("to")).toString(), QStringLiteral("OK"));
        QCOMPARE(resolved.value(QStringLiteral("resolved")).toBool(), true);
        QCOMPARE(resolved.value(QStringLiteral("text")).toString(),
            QStringLiteral("[marts] Sink resolved: OK again (was CRIT)"));
        QCOMPARE(notifier.attempts(), quint64(3));
    }

    void aFlapAroundTheThresholdPostsOnce()
    {
        // The tracker's hysteresis (as the engine applies it) decides the stage's severity; the notifier sees only
        // the transitions between successive snapshots — the same decision the desktop notifier uses.
        m_server->setResponse("/hook/flap", TestResponse::text("ok"));
        WebhookNotifier notifier(options("/hook/flap"));
        Thresholds t;
        t.warn = 10.0;
        t.hysteresis = 1.0;
        ThresholdTracker tracker;
        SnapshotPtr before;
        const double values[] = {5.0, 10.2, 9.8, 10.1, 9.5, 10.3, 9.9, 10.0, 9.2, 10.4};
        quint64 seq = 0;
        for (double v : values) {
            const Severity s = tracker.update(t, v, qint64(seq) * 5000);
            auto after = stagesSnapshot(++seq, s, v);
            notifier.transitions(diffSnapshots(before.get(), *after), after);
            before = after;
        }
        QTRY_COMPARE(notifier.delivered(), quint64(1));
        QTest::qWait(300);
        int posts = 0;
        for (const auto& r : m_server->requests())
            posts += r.path == "/hook/flap";
        QCOMPARE(posts, 1);
        QCOMPARE(bodyOf(m_server->lastRequest()).value(QStringLiteral("to")).toString(), QStringLiteral("WARN"));
    }

    void retriedWithBackoffAfterA500()
    {
        std::atomic<int> calls {0};
        m_server->setHandler([&calls](const TestRequest& r) {
            if (r.path != "/hook/flaky")
                return TestResponse::text("no", 404);
            // The first two attempts fail, the third gets through.
            return ++calls <= 2 ? TestResponse::text("upstream down", 500) : TestResponse::text("ok");
        });
        WebhookNotifier notifier(options("/hook/flaky"));
        notifier.transitions({stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Stale, QStringLiteral("x"))},
            stagesSnapshot(1, Severity::Stale));
        QTRY_COMPARE(notifier.delivered(), quint64(1));
        QCOMPARE(calls.load(), 3);
        QCOMPARE(notifier.attempts(), quint64(3));
        QCOMPARE(notifier.dropped(), quint64(0));
        const auto requests = m_server->requests();
        QCOMPARE(requests[requests.size() - 1].body, requests[requests.size() - 3].body); // the same message again
        m_server->setHandler({});
    }

    void aClientErrorIsNotRetriedAndTheNextMessageGoesOut()
    {
        std::atomic<int> calls {0};
        m_server->setHandler([&calls](const TestRequest&) {
            return ++calls == 1 ? TestResponse::text("bad token", 403) : TestResponse::text("ok");
        });
        WebhookNotifier notifier(options("/hook/forbidden"));
        notifier.transitions(
            {stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Crit)}, stagesSnapshot(1, Severity::Crit));
        notifier.transitions(
            {stageChange(QStringLiteral("sink"), Severity::Crit, Severity::Ok)}, stagesSnapshot(2, Severity::Ok));
        QTRY_COMPARE(notifier.delivered() + notifier.dropped(), quint64(2));
        QCOMPARE(notifier.dropped(), quint64(1));
        QCOMPARE(calls.load(), 2);
        m_server->setHandler({});
    }

    void anUnreachableWebhookGivesUpAndNeverBlocks()
    {
        WebhookNotifier::Options o = options("/x");
        o.webhook.url = QStringLiteral("http://127.0.0.1:%1/hook/secret-token").arg(unusedTcpPort());
        WebhookNotifier notifier(o);
        notifier.transitions(
            {stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Crit)}, stagesSnapshot(1, Severity::Crit));
        QTRY_COMPARE(notifier.dropped(), quint64(1));
        QCOMPARE(notifier.attempts(), quint64(4)); // the first try and three retries
    }

    void configTakesTheUrlFromTheEnvironment()
    {
        qputenv("PW_TEST_WEBHOOK", "https://hooks.example/services/T000/B000/secret-token");
        const QByteArray yaml = "notifications:\n"
                                "  webhook:\n"
                                "    url: \"${PW_TEST_WEBHOOK}\"\n"
                                "    headers: {X-Team: data}\n"
                                "    timeout: 2s\n"
                                "sources:\n"
                                "  prom: {kind: promql, url: \"http://127.0.0.1:9090\"}\n"
                                "stages:\n"
                                "  - id: sink\n"
                                "    signals:\n"
                                "      - {kind: custom, name: x, source: prom, query: up}\n";
        auto config = loadConfigText(yaml, QStringLiteral("hook.yaml"));
        QVERIFY2(config.has_value(), qPrintable(config ? QString() : config.error().toString()));
        QCOMPARE(
            config->notifications.webhook.url, QStringLiteral("https://hooks.example/services/T000/B000/secret-token"));
        QCOMPARE(config->notifications.webhook.timeoutMs, qint64(2000));
        QCOMPARE(config->notifications.webhook.headers.size(), size_t(1));

        QByteArray literal = yaml;
        literal.replace("${PW_TEST_WEBHOOK}", "https://hooks.example/services/T000/B000/secret-token");
        auto refused = loadConfigText(literal, QStringLiteral("hook.yaml"));
        QVERIFY(!refused.has_value());
        QCOMPARE(refused.error().line, 3);
        QVERIFY2(refused.error().toString().contains(QLatin1String("is written in the file")),
            qPrintable(refused.error().toString()));
        QVERIFY(!refused.error().toString().contains(QLatin1String("secret-token")));

        qputenv("PW_TEST_WEBHOOK", "ftp://hooks.example/secret-token");
        auto wrong = loadConfigText(yaml, QStringLiteral("hook.yaml"));
        QVERIFY(!wrong.has_value());
        QVERIFY2(wrong.error().toString().contains(QLatin1String("not an http:// or https:// URL")),
            qPrintable(wrong.error().toString()));
        QVERIFY(!wrong.error().toString().contains(QLatin1String("secret-token")));
        qunsetenv("PW_TEST_WEBHOOK");
    }
};

QTEST_GUILESS_MAIN(TestWebhookNotifier)
#include "tst_webhooknotifier.moc"
