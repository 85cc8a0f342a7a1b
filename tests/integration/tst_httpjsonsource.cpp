#include "sources/httpclient.h"
#include "sources/httpjsonsource.h"
#include "testhttpserver.h"

#include <QDateTime>
#include <QTest>

using namespace pw;
using namespace pw::test;

class TestHttpJsonSource : public QObject
{
    Q_OBJECT

    TestHttpServer m_server;
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpClient> m_http;

    PollResult poll(
        const QString& pointer, const QString& format = {}, const QString& path = QStringLiteral("/api/data"))
    {
        SourceConfig c;
        c.id = QStringLiteral("dash");
        c.kind = QStringLiteral("http_json");
        c.http.url = m_server.url(path);
        c.http.headers = {{QStringLiteral("X-Scope-OrgID"), QStringLiteral("tenant-a")}};
        c.timeoutMs = 1000;
        SignalConfig s;
        s.id = QStringLiteral("serving/freshness");
        s.kind = SignalKind::DashboardFreshness;
        s.params[QStringLiteral("pointer")] = pointer;
        if (!format.isEmpty())
            s.params[QStringLiteral("time_format")] = format;
        auto source = HttpJsonSource::create(c, {s});
        if (!source)
            qFatal("%s", qPrintable(source.error().toString()));
        return pollSync(**source, *m_io, *m_http, 10000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        m_io = std::make_unique<IoThreads>(2);
        m_http = std::make_unique<HttpClient>(m_io->io());
    }

    void freshnessFromRfc3339AndEpoch()
    {
        const QString iso = QDateTime::currentDateTimeUtc().addSecs(-42).toString(Qt::ISODate);
        const qint64 millis = QDateTime::currentMSecsSinceEpoch() - 7000;
        m_server.setResponse("/api/data",
            TestResponse::json(QStringLiteral(R"({"data":[{"ts":"%1","ms":%2}]})").arg(iso).arg(millis).toUtf8()));
        auto r = poll(QStringLiteral("/data/0/ts"));
        QVERIFY2(!r.error && r.signalErrors.empty(), r.error ? qPrintable(r.error->message) : "signal error");
        QVERIFY(r.samples.at(0).value >= 42.0 && r.samples.at(0).value < 50.0);
        QCOMPARE(m_server.lastRequest().header("X-Scope-OrgID"), QByteArray("tenant-a"));
        r = poll(QStringLiteral("/data/0/ms"), QStringLiteral("epoch_ms"));
        QVERIFY(r.samples.at(0).value >= 7.0 && r.samples.at(0).value < 15.0);
    }

    void badAnswersAreNamed()
    {
        m_server.setResponse("/api/data", TestResponse::json(R"({"data":[]})"));
        auto r = poll(QStringLiteral("/data/0/ts"));
        QVERIFY(!r.error);
        QVERIFY(r.signalErrors.at(0).second.message.contains(QStringLiteral("outside an array of 0")));

        const QString future = QDateTime::currentDateTimeUtc().addSecs(3600).toString(Qt::ISODate);
        m_server.setResponse("/api/data", TestResponse::json(QStringLiteral(R"({"ts":"%1"})").arg(future).toUtf8()));
        r = poll(QStringLiteral("/ts"));
        QVERIFY(r.signalErrors.at(0).second.message.contains(QStringLiteral("clock skew")));
        QVERIFY(r.samples.empty()); // never a negative age

        m_server.setResponse("/api/data", TestResponse::json("upstream timeout", 504));
        r = poll(QStringLiteral("/ts"));
        QVERIFY(r.error); // every request failed: the endpoint is down, not the data
        QVERIFY2(r.error->message.contains(QStringLiteral("504")), qPrintable(r.error->message));

        TestResponse hang;
        hang.hang = true;
        m_server.setResponse("/api/slow", hang);
        QElapsedTimer t;
        t.start();
        r = poll(QStringLiteral("/ts"), {}, QStringLiteral("/api/slow"));
        QVERIFY(r.error);
        QVERIFY2(r.error->message.contains(QStringLiteral("timed out")), qPrintable(r.error->message));
    }

    void cleanupTestCase()
    {
        m_http.reset();
        m_io.reset();
        m_server.stop();
    }
};

QTEST_GUILESS_MAIN(TestHttpJsonSource)
#include "tst_httpjsonsource.moc"
