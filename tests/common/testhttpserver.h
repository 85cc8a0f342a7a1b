#pragma once

#include "model/error.h"
#include "sources/httpclient.h"
#include "sources/source.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace pw::test {

/// A canned answer of TestHttpServer.
struct TestResponse
{
    enum class Encoding
    {
        Identity,
        Gzip,
        Deflate, // zlib-wrapped, as RFC 9110 defines "deflate"
        RawDeflate, // what some servers send as "deflate"
    };

    int status = 200;
    QByteArray reason; // empty = the standard reason phrase
    QByteArray contentType = "application/json";
    QByteArray body;
    std::vector<std::pair<QByteArray, QByteArray>> headers; // extra headers, e.g. {"Location", "/elsewhere"}
    Encoding encoding = Encoding::Identity; // the server compresses `body` and sets Content-Encoding
    bool bodyIsEncoded = false; // `body` is already compressed (e.g. a pre-built gzip bomb): only set the header
    bool chunked = false; // Transfer-Encoding: chunked instead of Content-Length
    int delayMs = 0; // wait this long before answering
    bool hang = false; // read the request, never answer; the connection stays open until the client or server closes
    bool closeWithoutAnswer = false; // read the request and close the connection
    bool closeAfter = false; // with Options::keepAlive: answer with Connection: close and close

    static TestResponse json(QByteArray body, int status = 200);
    static TestResponse text(QByteArray body, int status = 200);
};

/// A request as the server received it.
struct TestRequest
{
    QByteArray method;
    QByteArray target; // path and query as sent
    QByteArray path; // without the query
    QByteArray query; // without '?', still percent-encoded
    std::vector<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    int connection = 0; // 1-based number of the accepted connection that carried it

    QByteArray header(const QByteArray& name) const; // case-insensitive; empty when absent
    QString queryItem(const QString& name) const; // decoded value of one query parameter
};

/// HTTP/1.1 server on Boost.Beast for tests: plain or TLS, on 127.0.0.1 and a free port, with its own thread.
/// Serves canned responses per path (or from a handler), can delay, hang, close early, compress and chunk.
/// Every connection is closed after one exchange unless Options::keepAlive. Thread-safe: configure and inspect from any
/// thread while it runs; the handler runs on the server thread.
class TestHttpServer
{
public:
    struct Options
    {
        bool tls = false;
        QString certFile; // PEM, for tls (see makeSelfSignedCertificate)
        QString keyFile;
        bool keepAlive = false; // answer without Connection: close and read the next request on the same connection
        int idleCloseMs = 0; // with keepAlive: close a connection idle this long (0 = never)
    };

    TestHttpServer();
    explicit TestHttpServer(Options options);
    ~TestHttpServer(); // stops
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    Result<void> start();
    void stop(); // closes the listener and every open connection (also hanging ones), joins the thread

    quint16 port() const;
    QString baseUrl() const; // http://127.0.0.1:<port> or https://...
    QString url(const QString& pathAndQuery) const; // baseUrl() + pathAndQuery

    /// The response for a path (query ignored); unknown paths get 404.
    void setResponse(const QByteArray& path, TestResponse response);
    /// When set, it answers every request instead of the per-path table.
    void setHandler(std::function<TestResponse(const TestRequest&)> handler);

    std::vector<TestRequest> requests() const;
    int requestCount() const;
    TestRequest lastRequest() const; // empty when none
    int openConnections() const; // accepted and not yet closed
    int acceptedConnections() const; // accepted since start (TCP handshakes; TLS ones too for a TLS server)

private:
    friend class TestHttpConnection;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

struct TestCertificate
{
    QString certFile; // self-signed, CA:TRUE, so it can be its own ca_file
    QString keyFile;
};

/// A fresh EC key and self-signed certificate via the `openssl` CLI, valid for a day, with the given names as
/// subjectAltName (default: IP 127.0.0.1 and DNS localhost). Fails with a clear message when openssl is missing.
Result<TestCertificate> makeSelfSignedCertificate(
    const QString& dir, const QString& subjectAltName = QStringLiteral("IP:127.0.0.1,DNS:localhost"));

QByteArray gzipCompress(const QByteArray& data);
QByteArray deflateCompress(const QByteArray& data, bool raw = false);
/// gzip of `bytes` zeros, produced in a streaming loop: a 1 GiB bomb costs about 1 MiB of memory.
QByteArray gzipOfZeros(qint64 bytes);

/// A loopback port on which nothing listens (bound, then released).
quint16 unusedTcpPort();

/// An io_context run by `threads` threads until destruction; what HttpClient and sources need in a test.
class IoThreads
{
public:
    explicit IoThreads(int threads = 2);
    ~IoThreads();
    IoThreads(const IoThreads&) = delete;
    IoThreads& operator=(const IoThreads&) = delete;
    boost::asio::io_context& io();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Blocks until the callback ran or `waitMs` passed; a missing callback is an Error "no answer within N ms" (i.e. a
/// hang in the code under test), so tests fail instead of hanging.
Result<HttpResponse> getSync(HttpClient& client, HttpRequest request, int waitMs = 30000);
/// Same for a Source's poll. A missing `done` yields a PollResult whose error says so.
PollResult pollSync(Source& source, PollContext& context, int waitMs = 30000);
/// The same with a context of just these I/O threads and HTTP client.
PollResult pollSync(Source& source, IoThreads& io, HttpClient& http, int waitMs = 30000);

/// Number of open file descriptors of this process (from /proc/self/fd), to prove sockets are not leaked.
int openFileDescriptors();

} // namespace pw::test
