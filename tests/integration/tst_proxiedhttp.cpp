// HTTP sources and the Flink REST client through a real proxy (Debian's tinyproxy), from the environment and from a
// source's `proxy:`, with NO_PROXY exceptions and proxy credentials.
#include "config/config.h"
#include "replay/flinkclient.h"
#include "sources/httpclient.h"
#include "sources/source.h"
#include "testhttpserver.h"
#include "tinyproxy.h"

#include <QTemporaryDir>
#include <QTest>

using namespace pw;
using namespace pw::test;

namespace {

QString describe(const Result<HttpResponse>& r)
{
    if (r)
        return QStringLiteral("HTTP %1, %2 bytes").arg(r->status).arg(r->body.size());
    return QStringLiteral("%1: %2").arg(errorCodeName(r.error().code), r.error().message);
}

void clearProxyEnvironment()
{
    for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"})
        qunsetenv(name);
}

// tinyproxy adds "Via: 1.1 tinyproxy (tinyproxy/1.11.1)" to what it forwards.
bool cameThroughTinyproxy(const TestRequest& request)
{
    return request.header("Via").contains("tinyproxy");
}

} // namespace

class TestProxiedHttp : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    TestCertificate m_cert;
    std::unique_ptr<TestHttpServer> m_server;
    std::unique_ptr<TestHttpServer> m_tlsServer;
    std::unique_ptr<TinyProxy> m_proxy;
    std::unique_ptr<TinyProxy> m_authProxy; // asks for alice / s3cret-pass
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpClient> m_client;

    HttpRequest request(const QString& url)
    {
        HttpRequest r;
        r.url = url;
        r.timeoutMs = 10000;
        if (url.startsWith(QLatin1String("https")))
            r.options.caFile = m_cert.certFile;
        return r;
    }

private slots:
    void initTestCase()
    {
        clearProxyEnvironment();
        QVERIFY(m_dir.isValid());
        auto cert = makeSelfSignedCertificate(m_dir.path());
        QVERIFY2(cert.has_value(), qPrintable(cert ? QString() : cert.error().message));
        m_cert = *cert;
        m_server = std::make_unique<TestHttpServer>();
        m_tlsServer = std::make_unique<TestHttpServer>(TestHttpServer::Options {true, m_cert.certFile, m_cert.keyFile});
        for (auto* s : {m_server.get(), m_tlsServer.get()}) {
            auto started = s->start();
            QVERIFY2(started.has_value(), qPrintable(started ? QString() : started.error().message));
            s->setResponse("/ok", TestResponse::json(R"({"ok":true})"));
        }
        m_proxy = std::make_unique<TinyProxy>(TinyProxy::Options {{m_tlsServer->port()}, {}, {}});
        m_authProxy = std::make_unique<TinyProxy>(
            TinyProxy::Options {{m_tlsServer->port()}, QStringLiteral("alice"), QStringLiteral("s3cret-pass")});
        for (auto* p : {m_proxy.get(), m_authProxy.get()}) {
            auto started = p->start();
            QVERIFY2(started.has_value(), qPrintable(started ? QString() : started.error().message));
        }
        m_io = std::make_unique<IoThreads>(2);
        m_client = std::make_unique<HttpClient>(m_io->io());
    }

    void cleanup() { clearProxyEnvironment(); }

    void cleanupTestCase()
    {
        clearProxyEnvironment();
        m_client.reset();
        m_io.reset();
        m_proxy.reset();
        m_authProxy.reset();
        m_server.reset();
        m_tlsServer.reset();
    }

    void httpThroughTheEnvironmentsProxy_data()
    {
        QTest::addColumn<QByteArray>("variable");
        QTest::newRow("lower case") << QByteArray("http_proxy");
        QTest::newRow("upper case") << QByteArray("HTTP_PROXY");
    }

    void httpThroughTheEnvironmentsProxy()
    {
        QFETCH(QByteArray, variable);
        qputenv(variable.constData(), m_proxy->url().toUtf8());
        const QString path = QStringLiteral("/ok?via=") + QString::fromLatin1(variable);
        auto response = getSync(*m_client, request(m_server->url(path)));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->status, 200);
        QVERIFY2(cameThroughTinyproxy(m_server->lastRequest()), m_server->lastRequest().header("Via").constData());
        // The proxy got the absolute form of the URL.
        const QByteArray logged = "GET http://127.0.0.1:" + QByteArray::number(m_server->port()) + path.toLatin1();
        QVERIFY2(m_proxy->log().contains(logged), m_proxy->log().right(2000).constData());
    }

    void lowerCaseNameWins()
    {
        qputenv("HTTP_PROXY", QStringLiteral("http://127.0.0.1:%1").arg(unusedTcpPort()).toUtf8());
        qputenv("http_proxy", m_proxy->url().toUtf8());
        auto response = getSync(*m_client, request(m_server->url(QStringLiteral("/ok?case"))));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QVERIFY(cameThroughTinyproxy(m_server->lastRequest()));
    }

    void httpsThroughAConnectTunnel_data()
    {
        QTest::addColumn<QByteArray>("variable");
        QTest::newRow("lower case") << QByteArray("https_proxy");
        QTest::newRow("upper case") << QByteArray("HTTPS_PROXY");
    }

    void httpsThroughAConnectTunnel()
    {
        QFETCH(QByteArray, variable);
        qputenv(variable.constData(), m_proxy->url().toUtf8());
        const qsizetype before
            = m_proxy->log().count(QByteArray("CONNECT 127.0.0.1:" + QByteArray::number(m_tlsServer->port())));
        // A client of its own: a tunnel kept alive by an earlier test would carry this request without a CONNECT.
        HttpClient client(m_io->io());
        auto response = getSync(client, request(m_tlsServer->url(QStringLiteral("/ok"))));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->body, QByteArray(R"({"ok":true})"));
        // Inside the tunnel the origin sees our request as if there were no proxy (and TLS hides it from the proxy).
        QCOMPARE(m_tlsServer->lastRequest().target, QByteArray("/ok"));
        QVERIFY(!cameThroughTinyproxy(m_tlsServer->lastRequest()));
        const qsizetype after
            = m_proxy->log().count(QByteArray("CONNECT 127.0.0.1:" + QByteArray::number(m_tlsServer->port())));
        QVERIFY2(after == before + 1, m_proxy->log().right(2000).constData());
    }

    void noProxyGoesDirect_data()
    {
        QTest::addColumn<QString>("noProxy");
        QTest::addColumn<bool>("direct");
        QTest::newRow("the address") << QStringLiteral("127.0.0.1") << true;
        QTest::newRow("lower-case variable") << QStringLiteral("lower:127.0.0.1") << true;
        QTest::newRow("a CIDR block") << QStringLiteral("example.com, 127.0.0.0/8") << true;
        QTest::newRow("star") << QStringLiteral("*") << true;
        QTest::newRow("address and this port") << QStringLiteral("127.0.0.1:%PORT%") << true;
        QTest::newRow("address, other port") << QStringLiteral("127.0.0.1:1") << false;
        QTest::newRow("other hosts") << QStringLiteral("example.com,.internal,10.0.0.0/8") << false;
    }

    void noProxyGoesDirect()
    {
        QFETCH(QString, noProxy);
        QFETCH(bool, direct);
        noProxy.replace(QStringLiteral("%PORT%"), QString::number(m_server->port()));
        qputenv("http_proxy", m_proxy->url().toUtf8());
        if (noProxy.startsWith(QLatin1String("lower:")))
            qputenv("no_proxy", noProxy.mid(6).toUtf8());
        else
            qputenv("NO_PROXY", noProxy.toUtf8());
        auto response = getSync(*m_client, request(m_server->url(QStringLiteral("/ok?np"))));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(!cameThroughTinyproxy(m_server->lastRequest()), direct);
    }

    void noProxyAppliesToHttps()
    {
        qputenv("https_proxy", QStringLiteral("http://127.0.0.1:%1").arg(unusedTcpPort()).toUtf8());
        auto viaDeadProxy = getSync(*m_client, request(m_tlsServer->url(QStringLiteral("/ok"))));
        QVERIFY(!viaDeadProxy.has_value());
        QCOMPARE(viaDeadProxy.error().code, Error::Code::Refused);
        QVERIFY2(viaDeadProxy.error().message.contains(QLatin1String("proxy 127.0.0.1:")),
            qPrintable(viaDeadProxy.error().message));
        qputenv("no_proxy", "localhost,127.0.0.1");
        auto direct = getSync(*m_client, request(m_tlsServer->url(QStringLiteral("/ok"))));
        QVERIFY2(direct.has_value(), qPrintable(describe(direct)));
    }

    void sourceProxyWithCredentials_data()
    {
        QTest::addColumn<bool>("tls");
        QTest::newRow("http") << false;
        QTest::newRow("https") << true;
    }

    void sourceProxyWithCredentials()
    {
        QFETCH(bool, tls);
        TestHttpServer& origin = tls ? *m_tlsServer : *m_server;
        const QString url = origin.url(QStringLiteral("/ok?auth"));
        const QString proxyHostPort = QStringLiteral("127.0.0.1:%1").arg(m_authProxy->port());

        HttpRequest anonymous = request(url);
        anonymous.options.proxy = QStringLiteral("http://") + proxyHostPort;
        auto refused = getSync(*m_client, anonymous);
        QVERIFY(!refused.has_value());
        QVERIFY2(refused.error().message.contains(QLatin1String("407")), qPrintable(refused.error().message));
        QVERIFY2(refused.error().message.contains(QStringLiteral("proxy ") + proxyHostPort),
            qPrintable(refused.error().message));

        HttpRequest wrong = request(url);
        wrong.options.proxy = QStringLiteral("http://alice:wrong-pass@") + proxyHostPort;
        auto rejected = getSync(*m_client, wrong);
        QVERIFY(!rejected.has_value());
        // tinyproxy answers wrong credentials with 401, missing ones with 407.
        QVERIFY2(rejected.error().message.contains(QLatin1String("HTTP 401")), qPrintable(rejected.error().message));
        QVERIFY2(!rejected.error().message.contains(QLatin1String("wrong-pass"))
                && !rejected.error().message.contains(QLatin1String("alice")),
            qPrintable(rejected.error().message));
        if (tls)
            QVERIFY2(rejected.error().message.contains(QStringLiteral("proxy ***@") + proxyHostPort),
                qPrintable(rejected.error().message));

        HttpRequest good = request(url);
        good.options.proxy = QStringLiteral("http://alice:s3cret-pass@") + proxyHostPort;
        // The source's own proxy wins over the environment (which points nowhere).
        qputenv("http_proxy", QStringLiteral("http://127.0.0.1:%1").arg(unusedTcpPort()).toUtf8());
        qputenv("https_proxy", QStringLiteral("http://127.0.0.1:%1").arg(unusedTcpPort()).toUtf8());
        auto response = getSync(*m_client, good);
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->status, 200);
        QVERIFY(!m_authProxy->log().contains("s3cret-pass"));
    }

    // A stand-in proxy that records what it is sent: the absolute-form target and the Proxy-Authorization header.
    void proxyAuthorizationHeaderIsSent()
    {
        TestHttpServer fakeProxy;
        QVERIFY(fakeProxy.start().has_value());
        fakeProxy.setHandler([](const TestRequest&) { return TestResponse::text("proxied\n"); });
        HttpRequest r = request(QStringLiteral("http://metrics.invalid:9100/metrics?x=1"));
        r.options.proxy = QStringLiteral("http://alice:s3cret-pass@127.0.0.1:%1").arg(fakeProxy.port());
        auto response = getSync(*m_client, r);
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        const TestRequest seen = fakeProxy.lastRequest();
        QCOMPARE(seen.target, QByteArray("http://metrics.invalid:9100/metrics?x=1"));
        QCOMPARE(seen.header("Host"), QByteArray("metrics.invalid:9100"));
        QCOMPARE(seen.header("Proxy-Authorization"), "Basic " + QByteArray("alice:s3cret-pass").toBase64());
    }

    // Every HTTP source kind reads through the source's `proxy:` (the config loader fills HttpOptions::proxy).
    void sourcesAndFlinkClientUseTheProxy()
    {
        m_server->setResponse("/metrics", TestResponse::text("up 1\n"));
        SourceConfig config;
        config.id = QStringLiteral("target");
        config.kind = QStringLiteral("scrape");
        config.timeoutMs = 10000;
        config.http.url = m_server->url(QStringLiteral("/metrics"));
        config.http.proxy = m_proxy->url();
        SignalConfig signal;
        signal.id = QStringLiteral("sink/up");
        signal.stageId = QStringLiteral("sink");
        signal.name = QStringLiteral("up");
        signal.sourceId = config.id;
        signal.params.insert(QStringLiteral("metric"), QStringLiteral("up"));
        auto source = createSource(config, {signal});
        QVERIFY2(source.has_value(), qPrintable(source ? QString() : source.error().toString()));
        const PollResult polled = pollSync(**source, *m_io, *m_client);
        QVERIFY2(!polled.error, qPrintable(polled.error ? polled.error->message : QString()));
        QCOMPARE(polled.samples.size(), size_t(1));
        QVERIFY(cameThroughTinyproxy(m_server->lastRequest()));

        m_server->setResponse("/jobs/overview", TestResponse::json(R"({"jobs":[]})"));
        replay::FlinkClient::Options options;
        options.baseUrl = m_server->baseUrl();
        options.http.proxy = m_proxy->url();
        auto jobs = replay::FlinkClient(options).jobs();
        QVERIFY2(jobs.has_value(), qPrintable(jobs ? QString() : jobs.error().message));
        QCOMPARE(m_server->lastRequest().path, QByteArray("/jobs/overview"));
        QVERIFY(cameThroughTinyproxy(m_server->lastRequest()));

        // The environment reaches the Flink client too.
        qputenv("http_proxy", m_proxy->url().toUtf8());
        options.http.proxy.clear();
        QVERIFY(replay::FlinkClient(options).jobs().has_value());
        QVERIFY(cameThroughTinyproxy(m_server->lastRequest()));
    }

    void configTakesProxyFromTheEnvironmentAndNeverShowsIt()
    {
        qputenv("PW_TEST_PROXY_PASSWORD", "s3cret-pass");
        const QByteArray yaml = "sources:\n"
                                "  prom:\n"
                                "    kind: promql\n"
                                "    url: http://127.0.0.1:9090\n"
                                "    proxy: \"http://alice:${PW_TEST_PROXY_PASSWORD}@proxy.corp:3128\"\n"
                                "stages:\n"
                                "  - id: sink\n"
                                "    signals:\n"
                                "      - {kind: custom, name: x, source: prom, query: up}\n";
        auto config = loadConfigText(yaml, QStringLiteral("proxy.yaml"));
        QVERIFY2(config.has_value(), qPrintable(config ? QString() : config.error().toString()));
        const SourceConfig* prom = config->findSource(QStringLiteral("prom"));
        QVERIFY(prom);
        QCOMPARE(prom->http.proxy, QStringLiteral("http://alice:s3cret-pass@proxy.corp:3128"));
        const QString shown = redactedSourceDescription(*prom);
        QVERIFY2(shown.contains(QLatin1String("proxy ***@proxy.corp:3128")), qPrintable(shown));
        QVERIFY2(
            !shown.contains(QLatin1String("s3cret")) && !shown.contains(QLatin1String("alice")), qPrintable(shown));

        QByteArray literal = yaml;
        literal.replace("${PW_TEST_PROXY_PASSWORD}", "inline-pass");
        auto refused = loadConfigText(literal, QStringLiteral("proxy.yaml"));
        QVERIFY(!refused.has_value());
        QVERIFY2(refused.error().toString().contains(QLatin1String("carries credentials written in the file")),
            qPrintable(refused.error().toString()));
        QVERIFY(!refused.error().toString().contains(QLatin1String("inline-pass")));
        QCOMPARE(refused.error().line, 5);

        QByteArray socks = yaml;
        socks.replace("http://alice:${PW_TEST_PROXY_PASSWORD}@", "socks5://alice:${PW_TEST_PROXY_PASSWORD}@");
        auto unsupported = loadConfigText(socks, QStringLiteral("proxy.yaml"));
        QVERIFY(!unsupported.has_value());
        QVERIFY2(unsupported.error().toString().contains(QLatin1String("SOCKS proxies are not supported")),
            qPrintable(unsupported.error().toString()));
        QVERIFY(!unsupported.error().toString().contains(QLatin1String("s3cret")));
        qunsetenv("PW_TEST_PROXY_PASSWORD");
    }
};

QTEST_GUILESS_MAIN(TestProxiedHttp)
#include "tst_proxiedhttp.moc"
