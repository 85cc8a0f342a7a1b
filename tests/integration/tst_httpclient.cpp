#include "sources/httpclient.h"
#include "sources/promqlsource.h"
#include "sources/source.h"
#include "testhttpserver.h"

#include <pathwatch/version.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <future>
#include <thread>

using namespace pw;
using namespace pw::test;

Q_DECLARE_METATYPE(pw::Error::Code)

namespace {

constexpr qint64 kGiB = 1024LL * 1024 * 1024;

QString describe(const Result<HttpResponse>& r)
{
    if (r)
        return QStringLiteral("HTTP %1, %2 bytes").arg(r->status).arg(r->body.size());
    return QStringLiteral("%1: %2").arg(errorCodeName(r.error().code), r.error().message);
}

QByteArray promVector(const QByteArray& value)
{
    return "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"job\":"
           "\"sink\"},\"value\":[1700000000,\""
        + value + "\"]}]}}";
}

} // namespace

class TestHttpClient : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpClient> m_client;
    QTemporaryDir m_dir;
    TestCertificate m_cert; // for 127.0.0.1
    TestCertificate m_otherHostCert; // valid, but for another name
    std::unique_ptr<TestHttpServer> m_server;
    std::unique_ptr<TestHttpServer> m_tlsServer;
    std::unique_ptr<TestHttpServer> m_otherHostServer;

    HttpRequest request(const QString& url, qint64 timeoutMs = 3000)
    {
        HttpRequest r;
        r.url = url;
        r.timeoutMs = timeoutMs;
        return r;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_io = std::make_unique<IoThreads>(2);
        m_client = std::make_unique<HttpClient>(m_io->io());

        QDir(m_dir.path()).mkpath(QStringLiteral("a"));
        QDir(m_dir.path()).mkpath(QStringLiteral("b"));
        auto cert = makeSelfSignedCertificate(m_dir.filePath(QStringLiteral("a")));
        QVERIFY2(cert.has_value(), qPrintable(cert ? QString() : cert.error().message));
        m_cert = *cert;
        auto other
            = makeSelfSignedCertificate(m_dir.filePath(QStringLiteral("b")), QStringLiteral("DNS:other.example"));
        QVERIFY2(other.has_value(), qPrintable(other ? QString() : other.error().message));
        m_otherHostCert = *other;

        m_server = std::make_unique<TestHttpServer>();
        m_tlsServer = std::make_unique<TestHttpServer>(TestHttpServer::Options {true, m_cert.certFile, m_cert.keyFile});
        m_otherHostServer = std::make_unique<TestHttpServer>(
            TestHttpServer::Options {true, m_otherHostCert.certFile, m_otherHostCert.keyFile});
        for (auto* s : {m_server.get(), m_tlsServer.get(), m_otherHostServer.get()}) {
            auto started = s->start();
            QVERIFY2(started.has_value(), qPrintable(started ? QString() : started.error().message));
            s->setResponse("/ok", TestResponse::json(R"({"ok":true})"));
        }
    }

    void cleanupTestCase()
    {
        m_client.reset();
        m_io.reset();
        m_server.reset();
        m_tlsServer.reset();
        m_otherHostServer.reset();
    }

    void plainGetSendsOurHeaders()
    {
        HttpRequest r = request(m_server->url(QStringLiteral("/ok?x=1")));
        r.accept = "application/json";
        auto response = getSync(*m_client, r);
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->status, 200);
        QCOMPARE(response->body, QByteArray(R"({"ok":true})"));
        QCOMPARE(response->contentType, QByteArray("application/json"));
        QVERIFY(response->wireBytes > response->body.size()); // headers count too

        const TestRequest seen = m_server->lastRequest();
        QCOMPARE(seen.method, QByteArray("GET"));
        QCOMPARE(seen.target, QByteArray("/ok?x=1"));
        QCOMPARE(seen.header("User-Agent"), QByteArray("pathwatch/") + kVersion);
        QCOMPARE(seen.header("Accept"), QByteArray("application/json"));
        QCOMPARE(seen.header("Accept-Encoding"), QByteArray("gzip, deflate"));
        QVERIFY(seen.header("Connection").isEmpty()); // HTTP/1.1: kept alive unless one side says close
        QCOMPARE(seen.header("Host"), QStringLiteral("127.0.0.1:%1").arg(m_server->port()).toLatin1());
        QVERIFY(seen.header("Authorization").isEmpty());
    }

    void authAndCustomHeaders_data()
    {
        QTest::addColumn<QString>("bearer");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QByteArray>("authorization");

        QTest::newRow("bearer") << "s3cr3t-token" << QString() << QString() << QByteArray("Bearer s3cr3t-token");
        QTest::newRow("basic") << QString() << "reader"
                               << "pa:ss wörd"
                               << "Basic " + QByteArray("reader:pa:ss wörd").toBase64();
        QTest::newRow("bearer wins over basic") << "t"
                                                << "u"
                                                << "p" << QByteArray("Bearer t");
    }

    void authAndCustomHeaders()
    {
        QFETCH(QString, bearer);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(QByteArray, authorization);
        HttpRequest r = request(m_server->url(QStringLiteral("/ok")));
        r.options.bearerToken = bearer;
        r.options.basicUser = user;
        r.options.basicPassword = password;
        r.options.headers = {{QStringLiteral("X-Scope-OrgID"), QStringLiteral("tenant-a")},
            {QStringLiteral("X-Extra"), QStringLiteral("1")}};
        auto response = getSync(*m_client, r);
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        const TestRequest seen = m_server->lastRequest();
        QCOMPARE(seen.header("Authorization"), authorization);
        QCOMPARE(seen.header("X-Scope-OrgID"), QByteArray("tenant-a"));
        QCOMPARE(seen.header("X-Extra"), QByteArray("1"));
    }

    void contentEncodings_data()
    {
        QTest::addColumn<int>("encoding");
        QTest::addColumn<bool>("chunked");

        QTest::newRow("identity") << int(TestResponse::Encoding::Identity) << false;
        QTest::newRow("identity chunked") << int(TestResponse::Encoding::Identity) << true;
        QTest::newRow("gzip") << int(TestResponse::Encoding::Gzip) << false;
        QTest::newRow("gzip chunked") << int(TestResponse::Encoding::Gzip) << true;
        QTest::newRow("deflate (zlib)") << int(TestResponse::Encoding::Deflate) << false;
        QTest::newRow("deflate (raw)") << int(TestResponse::Encoding::RawDeflate) << false;
    }

    void contentEncodings()
    {
        QFETCH(int, encoding);
        QFETCH(bool, chunked);
        QByteArray body;
        for (int i = 0; i < 20000; ++i)
            body += "{\"series\":" + QByteArray::number(i) + "},";
        TestResponse answer = TestResponse::json(body);
        answer.encoding = TestResponse::Encoding(encoding);
        answer.chunked = chunked;
        const QByteArray path = "/enc/" + QByteArray(QTest::currentDataTag()).toPercentEncoding();
        m_server->setResponse(path, answer);
        auto response = getSync(*m_client, request(m_server->url(QString::fromLatin1(path))));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->body.size(), body.size());
        QVERIFY(response->body == body);
        if (answer.encoding != TestResponse::Encoding::Identity)
            QVERIFY2(response->wireBytes < body.size() / 4, qPrintable(QString::number(response->wireBytes)));
    }

    void concatenatedGzipMembers()
    {
        TestResponse answer = TestResponse::text(gzipCompress("hello, ") + gzipCompress("world"));
        answer.encoding = TestResponse::Encoding::Gzip;
        answer.bodyIsEncoded = true;
        m_server->setResponse("/gzip-members", answer);
        auto response = getSync(*m_client, request(m_server->url(QStringLiteral("/gzip-members"))));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->body, QByteArray("hello, world"));
    }

    void errors_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<qint64>("timeoutMs");
        QTest::addColumn<qint64>("maxBodyBytes");
        QTest::addColumn<pw::Error::Code>("code");
        QTest::addColumn<QString>("message"); // the error message starts with this
        QTest::addColumn<int>("maxElapsedMs"); // generous bound: proves "never a hang"

        const QString hostPort = QStringLiteral("127.0.0.1:%1").arg(m_server->port());
        auto add = [&](const char* tag, const QByteArray& path, TestResponse answer, qint64 timeoutMs, qint64 maxBody,
                       Error::Code code, const QString& message, int maxElapsedMs = 5000) {
            m_server->setResponse(path, std::move(answer));
            QTest::newRow(tag) << m_server->url(QString::fromLatin1(path)) << timeoutMs << maxBody << code << message
                               << maxElapsedMs;
        };

        const quint16 closedPort = unusedTcpPort();
        QTest::newRow("refused") << QStringLiteral("http://127.0.0.1:%1/x").arg(closedPort) << qint64(3000) << qint64(0)
                                 << Error::Code::Refused
                                 << QStringLiteral("connection refused by 127.0.0.1:%1").arg(closedPort) << 3000;
        TestResponse hang;
        hang.hang = true;
        add("server hangs", "/hang", hang, 300, 0, Error::Code::Timeout,
            QStringLiteral("timed out after 300 ms (while waiting for the response from %1)").arg(hostPort), 3000);
        TestResponse slow = TestResponse::json("{}");
        slow.delayMs = 3000;
        add("server too slow", "/slow", slow, 250, 0, Error::Code::Timeout,
            QStringLiteral("timed out after 250 ms (while waiting for the response from %1)").arg(hostPort), 2500);
        add("500", "/500", TestResponse::text("database on fire\n", 500), 3000, 0, Error::Code::Http,
            QStringLiteral("HTTP 500 Internal Server Error: database on fire"));
        TestResponse customReason = TestResponse::text("", 503);
        customReason.reason = "Try Later";
        add("503 with its own reason", "/503", customReason, 3000, 0, Error::Code::Http,
            QStringLiteral("HTTP 503 Try Later"));
        add("404", "/missing-on-purpose", TestResponse::text("nope", 404), 3000, 0, Error::Code::Http,
            QStringLiteral("HTTP 404 Not Found: nope"));
        TestResponse redirect = TestResponse::text("", 302);
        redirect.headers = {{"Location", "http://elsewhere.example/api"}};
        add("redirect", "/redirect", redirect, 3000, 0, Error::Code::Http,
            QStringLiteral("HTTP 302 Found: redirect to 'http://elsewhere.example/api' not followed"));
        add("body over the cap", "/big", TestResponse::json(QByteArray(5000, 'x')), 3000, 4096, Error::Code::TooLarge,
            QStringLiteral("body exceeds 4096 bytes"));
        TestResponse bigChunked = TestResponse::json(QByteArray(5000, 'x'));
        bigChunked.chunked = true;
        add("chunked body over the cap", "/big-chunked", bigChunked, 3000, 4096, Error::Code::TooLarge,
            QStringLiteral("body exceeds 4096 bytes"));
        TestResponse gzipOverCap = TestResponse::json(QByteArray(5000, 'x'));
        gzipOverCap.encoding = TestResponse::Encoding::Gzip;
        add("gzip over the cap after decompression", "/gzip-big", gzipOverCap, 3000, 4096, Error::Code::TooLarge,
            QStringLiteral("body exceeds 4096 bytes after decompression"));
        TestResponse corrupt = TestResponse::json("this is not gzip at all");
        corrupt.encoding = TestResponse::Encoding::Gzip;
        corrupt.bodyIsEncoded = true;
        add("corrupt gzip", "/gzip-corrupt", corrupt, 3000, 0, Error::Code::Parse,
            QStringLiteral("corrupt gzip body: incorrect header check"));
        TestResponse truncated = TestResponse::json(gzipCompress(QByteArray(10000, 'y')).chopped(10));
        truncated.encoding = TestResponse::Encoding::Gzip;
        truncated.bodyIsEncoded = true;
        add("truncated gzip", "/gzip-truncated", truncated, 3000, 0, Error::Code::Parse,
            QStringLiteral("compressed body is truncated"));
        TestResponse brotli = TestResponse::json("....");
        brotli.headers = {{"Content-Encoding", "br"}};
        add("unsupported encoding", "/br", brotli, 3000, 0, Error::Code::Protocol,
            QStringLiteral("unsupported Content-Encoding 'br'"));
        TestResponse closes;
        closes.closeWithoutAnswer = true;
        add("closed without an answer", "/close", closes, 3000, 0, Error::Code::Network,
            QStringLiteral("%1 closed the connection before a complete response").arg(hostPort));
        QTest::newRow("not a URL") << QStringLiteral("http://") << qint64(3000) << qint64(0) << Error::Code::Config
                                   << QStringLiteral("invalid URL 'http://'") << 1000;
        QTest::newRow("unsupported scheme")
            << QStringLiteral("ftp://127.0.0.1/x") << qint64(3000) << qint64(0) << Error::Code::Config
            << QStringLiteral("unsupported URL scheme 'ftp' in 'ftp://127.0.0.1/x'") << 1000;
        // The .invalid TLD never resolves (RFC 6761); without DNS the lookup fails at once or runs into the deadline.
        QTest::newRow("unknown host") << QStringLiteral("http://pathwatch-test.invalid/x") << qint64(2000) << qint64(0)
                                      << Error::Code::Network
                                      << QStringLiteral("could not resolve host 'pathwatch-test.invalid'") << 4000;
    }

    void errors()
    {
        QFETCH(QString, url);
        QFETCH(qint64, timeoutMs);
        QFETCH(qint64, maxBodyBytes);
        QFETCH(pw::Error::Code, code);
        QFETCH(QString, message);
        QFETCH(int, maxElapsedMs);
        HttpRequest r = request(url, timeoutMs);
        r.options.maxBodyBytes = maxBodyBytes;
        QElapsedTimer timer;
        timer.start();
        auto response = getSync(*m_client, r, 20000);
        const qint64 elapsed = timer.elapsed();
        QVERIFY2(!response.has_value(), qPrintable(describe(response)));
        if (code == Error::Code::Network && response.error().code == Error::Code::Timeout
            && url.contains(QLatin1String(".invalid")))
            QVERIFY2(response.error().message.contains(QLatin1String("pathwatch-test.invalid")),
                qPrintable(response.error().message));
        else {
            QVERIFY2(response.error().message.startsWith(message), qPrintable(response.error().message));
            QCOMPARE(response.error().code, code);
        }
        QVERIFY2(elapsed < maxElapsedMs, qPrintable(QString::number(elapsed)));
        if (code == Error::Code::Timeout)
            QVERIFY2(elapsed >= timeoutMs - 5, qPrintable(QString::number(elapsed)));
    }

    void rejectsHeaderInjection()
    {
        HttpRequest r = request(m_server->url(QStringLiteral("/ok")));
        r.options.headers = {{QStringLiteral("X-Scope-OrgID"), QStringLiteral("a\r\nX-Admin: yes")}};
        const int before = m_server->requestCount();
        auto response = getSync(*m_client, r);
        QVERIFY(!response.has_value());
        QCOMPARE(response.error().code, Error::Code::Config);
        QCOMPARE(response.error().message,
            QStringLiteral("header 'X-Scope-OrgID' is not a valid HTTP header name or value"));
        QCOMPARE(m_server->requestCount(), before); // nothing was sent
    }

    void errorsHideUserInfo()
    {
        auto response = getSync(*m_client, request(QStringLiteral("ftp://reader:s3cret@127.0.0.1/x")));
        QVERIFY(!response.has_value());
        QVERIFY2(!response.error().message.contains(QLatin1String("s3cret")), qPrintable(response.error().message));
        QVERIFY(response.error().message.startsWith(QLatin1String("unsupported URL scheme 'ftp'")));
    }

    void gzipOfZerosIsValid_data()
    {
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("small") << qint64(1000);
        QTest::newRow("whole MiBs") << qint64(5 << 20);
        QTest::newRow("MiBs and a rest") << qint64((7 << 20) + 12345);
    }

    // The bomb generator takes a shortcut; prove its output is a correct gzip stream (zlib checks CRC and length).
    void gzipOfZerosIsValid()
    {
        QFETCH(qint64, bytes);
        TestResponse answer = TestResponse::json(gzipOfZeros(bytes));
        answer.encoding = TestResponse::Encoding::Gzip;
        answer.bodyIsEncoded = true;
        m_server->setResponse("/zeros", answer);
        auto response = getSync(*m_client, request(m_server->url(QStringLiteral("/zeros"))));
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        QCOMPARE(response->body.size(), bytes);
        QCOMPARE(response->body.count('\0'), bytes);
    }

    void gzipBombStopsAtTheCap()
    {
        QElapsedTimer timer;
        timer.start();
        const QByteArray bomb = gzipOfZeros(kGiB);
        qInfo("1 GiB of zeros gzipped to %lld bytes in %lld ms", qint64(bomb.size()), timer.elapsed());
        QVERIFY(bomb.size() < 2 * 1024 * 1024); // under the raw cap: only decompression can catch it
        TestResponse answer = TestResponse::json(bomb);
        answer.encoding = TestResponse::Encoding::Gzip;
        answer.bodyIsEncoded = true;
        m_server->setResponse("/bomb", answer);

        timer.restart();
        auto response = getSync(*m_client, request(m_server->url(QStringLiteral("/bomb")), 10000));
        QVERIFY(!response.has_value());
        QCOMPARE(response.error().code, Error::Code::TooLarge);
        QCOMPARE(response.error().message, QStringLiteral("body exceeds 16777216 bytes after decompression"));
        qInfo("bomb rejected in %lld ms", timer.elapsed());
        QVERIFY(timer.elapsed() < 5000);
    }

    void tls_data()
    {
        QTest::addColumn<int>("server"); // 0 = 127.0.0.1 cert, 1 = cert for other.example, 2 = plain HTTP
        QTest::addColumn<QString>("caFile");
        QTest::addColumn<bool>("insecure");
        QTest::addColumn<QString>("error"); // empty = success; else the message starts with it

        QTest::newRow("self-signed, not trusted") << 0 << QString() << false
                                                  << "TLS handshake failed: certificate verify failed "
                                                     "(self-signed certificate)";
        QTest::newRow("trusted through ca_file") << 0 << m_cert.certFile << false << QString();
        QTest::newRow("insecure skips verification") << 0 << QString() << true << QString();
        QTest::newRow("trusted, wrong host") << 1 << m_otherHostCert.certFile << false
                                             << "TLS handshake failed: certificate does not match host '127.0.0.1'";
        QTest::newRow("trusted by another CA") << 1 << m_cert.certFile << false
                                               << "TLS handshake failed: certificate verify failed (self-signed "
                                                  "certificate)";
        QTest::newRow("insecure, wrong host") << 1 << QString() << true << QString();
        QTest::newRow("missing ca_file") << 0 << m_dir.filePath(QStringLiteral("nope.pem")) << false
                                         << QStringLiteral("cannot load CA file '")
                + m_dir.filePath(QStringLiteral("nope.pem"));
        QTest::newRow("https to a plain server") << 2 << QString() << false << "TLS handshake failed: ";
    }

    void tls()
    {
        QFETCH(int, server);
        QFETCH(QString, caFile);
        QFETCH(bool, insecure);
        QFETCH(QString, error);
        QString url;
        if (server == 0)
            url = m_tlsServer->url(QStringLiteral("/ok"));
        else if (server == 1)
            url = m_otherHostServer->url(QStringLiteral("/ok"));
        else
            url = QStringLiteral("https://127.0.0.1:%1/ok").arg(m_server->port());
        HttpRequest r = request(url);
        r.options.caFile = caFile;
        r.options.insecureSkipVerify = insecure;
        auto response = getSync(*m_client, r);
        if (error.isEmpty()) {
            QVERIFY2(response.has_value(), qPrintable(describe(response)));
            QCOMPARE(response->body, QByteArray(R"({"ok":true})"));
        } else {
            QVERIFY(!response.has_value());
            QVERIFY2(response.error().message.startsWith(error), qPrintable(response.error().message));
            QVERIFY(response.error().code == Error::Code::Tls);
        }
    }

    void plainHttpToTlsServerFails()
    {
        auto response = getSync(*m_client, request(QStringLiteral("http://127.0.0.1:%1/ok").arg(m_tlsServer->port())));
        QVERIFY(!response.has_value());
        QVERIFY2(response.error().message.contains(QLatin1String("127.0.0.1")), qPrintable(response.error().message));
    }

    void callbackRunsOnAnIoThread()
    {
        const auto testThread = std::this_thread::get_id();
        std::atomic<bool> onOtherThread {false};
        auto promise = std::make_shared<std::promise<void>>();
        m_client->get(request(m_server->url(QStringLiteral("/ok"))), [&, promise](Result<HttpResponse>) {
            onOtherThread = std::this_thread::get_id() != testThread;
            promise->set_value();
        });
        QVERIFY(promise->get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        QVERIFY(onOtherThread.load());

        // Even an error found before any I/O (a bad URL) is reported on an I/O thread, never re-entrantly.
        onOtherThread = false;
        auto promise2 = std::make_shared<std::promise<void>>();
        m_client->get(request(QStringLiteral("nope")), [&, promise2](Result<HttpResponse>) {
            onOtherThread = std::this_thread::get_id() != testThread;
            promise2->set_value();
        });
        QVERIFY(promise2->get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        QVERIFY(onOtherThread.load());
    }

    void concurrentGetsFromManyThreads()
    {
        TestResponse slowish = TestResponse::json(R"({"ok":true})");
        slowish.delayMs = 50;
        m_server->setResponse("/slowish", slowish);
        std::atomic<int> ok {0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 10; ++i) {
                    auto r = getSync(*m_client, request(m_server->url(QStringLiteral("/slowish"))));
                    if (r && r->body == R"({"ok":true})")
                        ++ok;
                }
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(ok.load(), 40);
    }

    void clientDestroyedWhileRequestsRun()
    {
        TestResponse hang;
        hang.hang = true;
        m_server->setResponse("/hang2", hang);
        auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
        {
            HttpClient shortLived(m_io->io());
            shortLived.get(request(m_server->url(QStringLiteral("/hang2")), 300),
                [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
        }
        auto future = promise->get_future();
        QVERIFY(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        const auto r = future.get();
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Error::Code::Timeout);
    }

    void noSocketsLeak()
    {
        TestResponse hang;
        hang.hang = true;
        m_server->setResponse("/hang3", hang);
        m_server->setResponse("/err", TestResponse::text("x", 500));
        const quint16 closedPort = unusedTcpPort();
        auto round = [&] {
            std::vector<std::future<void>> pending;
            const QStringList urls {m_server->url(QStringLiteral("/ok")), m_server->url(QStringLiteral("/hang3")),
                m_server->url(QStringLiteral("/err")), QStringLiteral("http://127.0.0.1:%1/").arg(closedPort),
                m_tlsServer->url(QStringLiteral("/ok"))};
            for (int i = 0; i < 5; ++i) {
                for (const QString& url : urls) {
                    auto p = std::make_shared<std::promise<void>>();
                    pending.push_back(p->get_future());
                    m_client->get(request(url, 200), [p](Result<HttpResponse>) { p->set_value(); });
                }
            }
            for (auto& f : pending)
                QVERIFY(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        };
        round(); // warm up: TLS context, resolver
        QTRY_COMPARE_WITH_TIMEOUT(m_server->openConnections(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_tlsServer->openConnections(), 0, 5000);
        const int before = openFileDescriptors();
        round();
        round();
        // Hanging server connections notice the client's close; then both sides are back to where they were.
        QTRY_COMPARE_WITH_TIMEOUT(m_server->openConnections(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_tlsServer->openConnections(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(openFileDescriptors(), before, 5000);
    }

    // The bad-input cases of a PromQL source end in a clear reason, over real HTTP.
    void promqlSourceOverHttp_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QString>("sourceError"); // whole source failed; empty = not
        QTest::addColumn<QString>("signalError"); // error of the second signal; empty = none
        QTest::addColumn<int>("samples");

        m_server->setResponse("/good/api/v1/query", TestResponse::json(promVector("0.25")));
        QTest::newRow("good") << QByteArray("/good") << QString() << QString() << 2;
        m_server->setResponse("/html/api/v1/query", TestResponse::text("<html>sign in</html>"));
        QTest::newRow("non-JSON") << QByteArray("/html")
                                  << "prom: response is not JSON (illegal value at offset 1); it starts with "
                                     "'<html>sign in</html>'"
                                  << QString() << 0;
        m_server->setResponse("/shape/api/v1/query",
            TestResponse::json(R"({"status":"success","data":{"resultType":"vector","result":7}})"));
        QTest::newRow("JSON of the wrong shape")
            << QByteArray("/shape") << "prom: expected data.result to be an array" << QString() << 0;
        m_server->setResponse("/fail/api/v1/query", TestResponse::text("oops", 500));
        QTest::newRow("HTTP 500") << QByteArray("/fail") << "prom: HTTP 500: oops" << QString() << 0;
        QTest::newRow("refused") << QByteArray("!refused") << QStringLiteral("prom: connection refused by 127.0.0.1:")
                                 << QString() << 0;
    }

    void promqlSourceOverHttp()
    {
        QFETCH(QByteArray, path);
        QFETCH(QString, sourceError);
        QFETCH(QString, signalError);
        QFETCH(int, samples);
        SourceConfig config;
        config.id = QStringLiteral("prom");
        config.kind = QStringLiteral("promql");
        config.timeoutMs = 2000;
        config.http.url = path == "!refused" ? QStringLiteral("http://127.0.0.1:%1").arg(unusedTcpPort())
                                             : m_server->url(QString::fromLatin1(path));
        std::vector<SignalConfig> signalConfigs(2);
        signalConfigs[0].id = QStringLiteral("sink/p99");
        signalConfigs[0].params.insert(QStringLiteral("query"), QStringLiteral("histogram_quantile(0.99, x)"));
        signalConfigs[1].id = QStringLiteral("storage/errors");
        signalConfigs[1].params.insert(QStringLiteral("query"), QStringLiteral("sum(rate(y[1m])) + 0"));
        auto source = createSource(config, signalConfigs);
        QVERIFY(source.has_value());
        PollContext context;
        context.io = &m_io->io();
        context.http = m_client.get();
        const PollResult result = pollSync(**source, context, 10000);
        if (sourceError.isEmpty()) {
            QVERIFY2(!result.error.has_value(), qPrintable(result.error ? result.error->toString() : QString()));
        } else {
            QVERIFY(result.error.has_value());
            QVERIFY2(result.error->toString().startsWith(sourceError), qPrintable(result.error->toString()));
            QVERIFY(result.signalErrors.empty());
        }
        QCOMPARE(int(result.samples.size()), samples);
        for (const Sample& s : result.samples) {
            QCOMPARE(s.timestampMs, 1700000000000);
            QCOMPARE(s.value, 0.25);
            QCOMPARE(labelsToString(s.labels), QStringLiteral("{job=\"sink\"}"));
        }
        if (path == "/good") {
            // Both queries reached the server, '+' intact.
            bool sawPlus = false;
            for (const TestRequest& r : m_server->requests())
                if (r.path == "/good/api/v1/query"
                    && r.queryItem(QStringLiteral("query")) == QLatin1String("sum(rate(y[1m])) + 0"))
                    sawPlus = true;
            QVERIFY(sawPlus);
        }
    }

    void promqlSourcePartialFailure()
    {
        // One query answers, the other is rejected by the server: samples plus one per-signal error.
        m_server->setHandler([](const TestRequest& r) {
            if (r.queryItem(QStringLiteral("query")) == QLatin1String("good"))
                return TestResponse::json(promVector("3"));
            if (r.queryItem(QStringLiteral("query")) == QLatin1String("empty"))
                return TestResponse::json(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
            return TestResponse::json(R"({"status":"error","errorType":"bad_data","error":"unknown function"})", 400);
        });
        SourceConfig config;
        config.id = QStringLiteral("prom");
        config.kind = QStringLiteral("promql");
        config.http.url = m_server->baseUrl();
        std::vector<SignalConfig> signalConfigs(3);
        const char* queries[] = {"good", "empty", "nonsense("};
        const char* ids[] = {"a/good", "a/empty", "a/bad"};
        for (int i = 0; i < 3; ++i) {
            signalConfigs[i].id = QString::fromLatin1(ids[i]);
            signalConfigs[i].params.insert(QStringLiteral("query"), QString::fromLatin1(queries[i]));
        }
        auto source = createSource(config, signalConfigs);
        QVERIFY(source.has_value());
        PollContext context;
        context.io = &m_io->io();
        context.http = m_client.get();
        const PollResult result = pollSync(**source, context, 10000);
        m_server->setHandler({});
        QVERIFY(!result.error.has_value());
        QCOMPARE(result.samples.size(), size_t(1));
        QCOMPARE(result.samples[0].signalId, QStringLiteral("a/good"));
        QCOMPARE(result.samples[0].value, 3.0);
        QCOMPARE(result.signalErrors.size(), size_t(2));
        QCOMPARE(result.signalErrors[0].first, QStringLiteral("a/empty"));
        QCOMPARE(result.signalErrors[0].second.toString(), QStringLiteral("prom: query returned no series"));
        QCOMPARE(result.signalErrors[1].first, QStringLiteral("a/bad"));
        QCOMPARE(result.signalErrors[1].second.toString(),
            QStringLiteral("prom: query failed (bad_data) with HTTP 400: unknown function"));
    }

    void promqlSourceEndsByItsTimeout()
    {
        // More queries than run at once, against a server that hangs: the poll still ends by the source's timeout.
        m_server->setHandler([](const TestRequest&) {
            TestResponse r;
            r.hang = true;
            return r;
        });
        SourceConfig config;
        config.id = QStringLiteral("prom");
        config.kind = QStringLiteral("promql");
        config.timeoutMs = 400;
        config.http.url = m_server->baseUrl();
        std::vector<SignalConfig> signalConfigs(PromqlSource::kMaxConcurrentQueries + 3);
        for (size_t i = 0; i < signalConfigs.size(); ++i) {
            signalConfigs[i].id = QStringLiteral("s/%1").arg(i);
            signalConfigs[i].params.insert(QStringLiteral("query"), QStringLiteral("up"));
        }
        auto source = createSource(config, signalConfigs);
        QVERIFY(source.has_value());
        PollContext context;
        context.io = &m_io->io();
        context.http = m_client.get();
        QElapsedTimer timer;
        timer.start();
        const PollResult result = pollSync(**source, context, 10000);
        const qint64 elapsed = timer.elapsed();
        m_server->setHandler({});
        QVERIFY(result.error.has_value());
        QVERIFY2(result.error->message.startsWith(QLatin1String("timed out after 400 ms")),
            qPrintable(result.error->message));
        QVERIFY2(elapsed < 2000, qPrintable(QString::number(elapsed)));
    }
    // One TCP (and TLS) handshake for 100 polls of a scrape source: the connection is kept alive and reused.
    void keptAliveConnectionServesEveryPoll_data()
    {
        QTest::addColumn<bool>("tls");
        QTest::newRow("http") << false;
        QTest::newRow("https") << true;
    }

    void keptAliveConnectionServesEveryPoll()
    {
        QFETCH(bool, tls);
        TestHttpServer::Options options {tls, m_cert.certFile, m_cert.keyFile};
        options.keepAlive = true;
        TestHttpServer server(options);
        QVERIFY(server.start().has_value());
        server.setResponse("/metrics", TestResponse::text("up 1\nrequests_total 7\n"));
        SourceConfig config;
        config.id = QStringLiteral("target");
        config.kind = QStringLiteral("scrape");
        config.timeoutMs = 10000;
        config.http.url = server.url(QStringLiteral("/metrics"));
        config.http.caFile = m_cert.certFile;
        SignalConfig signal;
        signal.id = QStringLiteral("sink/up");
        signal.stageId = QStringLiteral("sink");
        signal.name = QStringLiteral("up");
        signal.sourceId = config.id;
        signal.params.insert(QStringLiteral("metric"), QStringLiteral("up"));
        auto source = createSource(config, {signal});
        QVERIFY(source.has_value());
        HttpClient client(m_io->io());
        constexpr int kPolls = 100;
        for (int i = 0; i < kPolls; ++i) {
            const PollResult r = pollSync(**source, *m_io, client);
            QVERIFY2(!r.error, qPrintable(r.error ? r.error->message : QString()));
        }
        QCOMPARE(server.requestCount(), kPolls);
        qInfo("%d polls over %s: %d connection(s) accepted by the server, %llu opened by the client", kPolls,
            tls ? "https" : "http", server.acceptedConnections(), client.connectionsOpened());
        QCOMPARE(server.acceptedConnections(), 1);
        QCOMPARE(client.connectionsOpened(), quint64(1));
    }

    // Without keep-alive (the server says Connection: close) every request has its own connection, and none fails.
    void connectionCloseIsHonoured()
    {
        TestHttpServer::Options options;
        options.keepAlive = true;
        TestHttpServer server(options);
        QVERIFY(server.start().has_value());
        TestResponse closing = TestResponse::json("{}");
        closing.closeAfter = true;
        server.setResponse("/close", closing);
        HttpClient client(m_io->io());
        for (int i = 0; i < 10; ++i) {
            auto r = getSync(client, request(server.url(QStringLiteral("/close"))));
            QVERIFY2(r.has_value(), qPrintable(describe(r)));
        }
        QCOMPARE(server.acceptedConnections(), 10);
    }

    // A server that closes idle connections: the next poll notices and connects again, without failing.
    void serverClosingIdleConnectionsFailsNoPoll()
    {
        TestHttpServer::Options options;
        options.keepAlive = true;
        options.idleCloseMs = 50;
        TestHttpServer server(options);
        QVERIFY(server.start().has_value());
        server.setResponse("/ok", TestResponse::json("{}"));
        HttpClient client(m_io->io());
        for (int i = 0; i < 5; ++i) {
            auto r = getSync(client, request(server.url(QStringLiteral("/ok"))));
            QVERIFY2(r.has_value(), qPrintable(describe(r)));
            QTRY_COMPARE_WITH_TIMEOUT(server.openConnections(), 0, 5000); // closed while idle
        }
        QCOMPARE(server.acceptedConnections(), 5);
    }

    // The close races the next request: the server reads it and closes without a byte of answer. The request is
    // sent again once on a fresh connection, so the poll still succeeds.
    void reusedConnectionClosedUnderTheRequestIsRetriedOnce_data()
    {
        QTest::addColumn<bool>("tls");
        QTest::newRow("http") << false;
        QTest::newRow("https") << true;
    }

    void reusedConnectionClosedUnderTheRequestIsRetriedOnce()
    {
        QFETCH(bool, tls);
        TestHttpServer::Options options {tls, m_cert.certFile, m_cert.keyFile};
        options.keepAlive = true;
        TestHttpServer server(options);
        QVERIFY(server.start().has_value());
        std::atomic<int> seen {0};
        server.setHandler([&seen](const TestRequest&) {
            TestResponse r = TestResponse::json("{}");
            r.closeWithoutAnswer = ++seen == 2;
            return r;
        });
        HttpClient client(m_io->io());
        HttpRequest r = request(server.url(QStringLiteral("/x")));
        r.options.caFile = m_cert.certFile;
        for (int i = 0; i < 3; ++i) {
            auto response = getSync(client, r);
            QVERIFY2(response.has_value(), qPrintable(describe(response)));
        }
        const auto requests = server.requests();
        QCOMPARE(int(requests.size()), 4);
        QCOMPARE(requests[0].connection, 1);
        QCOMPARE(requests[1].connection, 1); // closed without an answer
        QCOMPARE(requests[2].connection, 2); // the same request again, on a fresh connection
        QCOMPARE(requests[3].connection, 2); // and that one is kept
        QCOMPARE(server.acceptedConnections(), 2);

        // A fresh connection that closes without an answer is the endpoint's failure: no second try.
        seen = 1;
        HttpClient fresh(m_io->io());
        auto failed = getSync(fresh, r);
        QVERIFY(!failed.has_value());
        QVERIFY2(failed.error().message.contains(QLatin1String("closed the connection")), qPrintable(describe(failed)));
    }

    // POST with a body (the webhook and the Flink REST calls use it).
    void postsABody()
    {
        HttpRequest r = request(m_server->url(QStringLiteral("/ok")));
        r.method = "POST";
        r.contentType = "application/json";
        r.body = R"({"text":"hello"})";
        auto response = getSync(*m_client, r);
        QVERIFY2(response.has_value(), qPrintable(describe(response)));
        const TestRequest seen = m_server->lastRequest();
        QCOMPARE(seen.method, QByteArray("POST"));
        QCOMPARE(seen.body, QByteArray(R"({"text":"hello"})"));
        QCOMPARE(seen.header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(seen.header("Content-Length"), QByteArray("16"));
    }
};

QTEST_GUILESS_MAIN(TestHttpClient)
#include "tst_httpclient.moc"
