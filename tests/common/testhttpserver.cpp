#include "testhttpserver.h"

#include <QDir>
#include <QProcess>
#include <QStandardPaths>
#include <QUrlQuery>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <zlib.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace pw::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

TestResponse TestResponse::json(QByteArray body, int status)
{
    TestResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

TestResponse TestResponse::text(QByteArray body, int status)
{
    TestResponse r = json(std::move(body), status);
    r.contentType = "text/plain; charset=utf-8";
    return r;
}

QByteArray TestRequest::header(const QByteArray& name) const
{
    for (const auto& [n, v] : headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    return {};
}

QString TestRequest::queryItem(const QString& name) const
{
    // QUrlQuery does not turn '+' into a space, so only a client that encodes '+' as %2B round-trips it.
    const QUrlQuery q(QString::fromLatin1(query));
    return q.queryItemValue(name, QUrl::FullyDecoded);
}

namespace {

QByteArray compress(const QByteArray& data, int windowBits)
{
    z_stream zs {};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(qsizetype(deflateBound(&zs, uLong(data.size()))), Qt::Uninitialized);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = uInt(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(qsizetype(zs.total_out));
    deflateEnd(&zs);
    return out;
}

} // namespace

QByteArray gzipCompress(const QByteArray& data)
{
    return compress(data, 15 + 16);
}

QByteArray deflateCompress(const QByteArray& data, bool raw)
{
    return compress(data, raw ? -15 : 15);
}

namespace {

QByteArray deflateInto(z_stream& zs, const char* data, qint64 size, int flush)
{
    QByteArray out;
    QByteArray chunk(1 << 16, Qt::Uninitialized);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs.avail_in = uInt(size);
    do {
        zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
        zs.avail_out = uInt(chunk.size());
        deflate(&zs, flush);
        out.append(chunk.constData(), chunk.size() - qsizetype(zs.avail_out));
    } while (zs.avail_out == 0);
    return out;
}

} // namespace

QByteArray gzipOfZeros(qint64 bytes)
{
    // Deflating a GiB takes seconds. After Z_FULL_FLUSH the compressor state is reset, so every further MiB of zeros
    // compresses to the same bytes: deflate three, repeat the steady one, and write the gzip trailer ourselves.
    constexpr qint64 kChunk = 1 << 20;
    const QByteArray zeros(kChunk, '\0');
    z_stream zs {};
    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    const qint64 full = bytes / kChunk;
    const qint64 rest = bytes % kChunk;
    QByteArray out;
    if (full >= 3) {
        const QByteArray first = deflateInto(zs, zeros.constData(), kChunk, Z_FULL_FLUSH);
        const QByteArray steady = deflateInto(zs, zeros.constData(), kChunk, Z_FULL_FLUSH);
        const QByteArray again = deflateInto(zs, zeros.constData(), kChunk, Z_FULL_FLUSH);
        Q_ASSERT(steady == again);
        out = first;
        out.reserve(first.size() + steady.size() * (full - 1) + 1024);
        for (qint64 i = 1; i < full; ++i)
            out += steady;
    } else {
        for (qint64 i = 0; i < full; ++i)
            out += deflateInto(zs, zeros.constData(), kChunk, Z_NO_FLUSH);
    }
    out += deflateInto(zs, zeros.constData(), rest, Z_FINISH);
    deflateEnd(&zs);

    uLong crc = crc32(0L, Z_NULL, 0);
    const uLong chunkCrc = crc32(0L, reinterpret_cast<const Bytef*>(zeros.constData()), uInt(kChunk));
    for (qint64 i = 0; i < full; ++i)
        crc = crc32_combine(crc, chunkCrc, kChunk);
    if (rest > 0)
        crc = crc32_combine(crc, crc32(0L, reinterpret_cast<const Bytef*>(zeros.constData()), uInt(rest)), rest);
    const quint32 isize = quint32(bytes & 0xffffffff);
    char* trailer = out.data() + out.size() - 8;
    for (int i = 0; i < 4; ++i) {
        trailer[i] = char((crc >> (8 * i)) & 0xff);
        trailer[4 + i] = char((isize >> (8 * i)) & 0xff);
    }
    return out;
}

quint16 unusedTcpPort()
{
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

int openFileDescriptors()
{
    return int(
        QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot).size());
}

Result<TestCertificate> makeSelfSignedCertificate(const QString& dir, const QString& subjectAltName)
{
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty())
        return fail(Error::Code::NotFound, QStringLiteral("the openssl command is missing (apt-get install openssl)"));
    TestCertificate cert {dir + QStringLiteral("/cert.pem"), dir + QStringLiteral("/key.pem")};
    QProcess p;
    p.start(openssl,
        {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
            QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
            QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=pathwatch-test"),
            QStringLiteral("-addext"), QStringLiteral("subjectAltName=") + subjectAltName, QStringLiteral("-keyout"),
            cert.keyFile, QStringLiteral("-out"), cert.certFile});
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return fail(Error::Code::Generic,
            QStringLiteral("openssl req failed: %1").arg(QString::fromLocal8Bit(p.readAllStandardError())));
    return cert;
}

// ---------------------------------------------------------------------------------------------------------------
// Server

class TestHttpConnection;

struct TestHttpServer::Impl
{
    Options options;
    // Declared before `io` so connections destroyed with the io_context can still count themselves out.
    std::atomic<int> open {0};
    std::atomic<int> accepted {0};
    mutable std::mutex mutex;
    std::map<QByteArray, TestResponse> responses;
    std::function<TestResponse(const TestRequest&)> handler;
    std::vector<TestRequest> requests;

    asio::io_context io;
    std::optional<ssl::context> tls;
    tcp::acceptor acceptor {io};
    std::set<std::shared_ptr<TestHttpConnection>> connections; // server thread only
    std::thread thread;
    quint16 port = 0;
    bool running = false;

    void accept();
    TestResponse respond(const TestRequest& request);
};

class TestHttpConnection : public std::enable_shared_from_this<TestHttpConnection>
{
public:
    TestHttpConnection(TestHttpServer::Impl& server, tcp::socket socket)
        : m_server(server)
        , m_tcp(std::move(socket))
        , m_timer(m_tcp.get_executor())
        , m_number(++m_server.accepted)
    {
        ++m_server.open;
    }
    ~TestHttpConnection() { --m_server.open; }

    void start()
    {
        if (!m_server.tls)
            return read();
        m_tls.emplace(m_tcp, *m_server.tls);
        m_tls->async_handshake(ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
            if (ec)
                return self->close();
            self->read();
        });
    }

    void close()
    {
        beast::error_code ignored;
        m_timer.cancel();
        m_tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
        m_tcp.socket().close(ignored);
        m_server.connections.erase(shared_from_this());
    }

private:
    template<class F>
    void withStream(F&& f)
    {
        if (m_tls)
            f(*m_tls);
        else
            f(m_tcp);
    }

    void read()
    {
        m_request = {};
        if (m_served > 0 && m_server.options.idleCloseMs > 0) {
            m_timer.expires_after(std::chrono::milliseconds(m_server.options.idleCloseMs));
            m_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec)
                    self->close();
            });
        }
        withStream([this](auto& stream) {
            http::async_read(stream, m_buffer, m_request,
                [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
        });
    }

    void onRead(beast::error_code ec)
    {
        m_timer.cancel();
        if (ec)
            return close();
        TestRequest r;
        r.connection = m_number;
        r.body = QByteArray::fromStdString(m_request.body());
        r.method = QByteArray::fromStdString(std::string(m_request.method_string()));
        r.target = QByteArray::fromStdString(std::string(m_request.target()));
        const auto q = r.target.indexOf('?');
        r.path = q < 0 ? r.target : r.target.left(q);
        r.query = q < 0 ? QByteArray() : r.target.mid(q + 1);
        for (const auto& field : m_request)
            r.headers.emplace_back(QByteArray::fromStdString(std::string(field.name_string())),
                QByteArray::fromStdString(std::string(field.value())));
        {
            std::lock_guard lock(m_server.mutex);
            m_server.requests.push_back(r);
        }
        m_answer = m_server.respond(r);
        if (m_answer.closeWithoutAnswer)
            return close();
        if (m_answer.hang)
            return watchForClose();
        if (m_answer.delayMs > 0) {
            m_timer.expires_after(std::chrono::milliseconds(m_answer.delayMs));
            m_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (!ec)
                    self->write();
            });
            return;
        }
        write();
    }

    // A hanging exchange still notices when the client gives up, so openConnections() drops back.
    void watchForClose()
    {
        withStream([this](auto& stream) {
            stream.async_read_some(
                asio::buffer(m_scratch), [self = shared_from_this()](beast::error_code ec, std::size_t) {
                    if (ec)
                        return self->close();
                    self->watchForClose();
                });
        });
    }

    void write()
    {
        const TestResponse& a = m_answer;
        m_response.result(static_cast<unsigned>(a.status));
        m_response.version(11);
        if (!a.reason.isEmpty())
            m_response.reason(a.reason.toStdString());
        if (!a.contentType.isEmpty())
            m_response.set(http::field::content_type, a.contentType.toStdString());
        QByteArray body = a.body;
        const char* encoding = nullptr;
        switch (a.encoding) {
        case TestResponse::Encoding::Identity:
            break;
        case TestResponse::Encoding::Gzip:
            encoding = "gzip";
            if (!a.bodyIsEncoded)
                body = gzipCompress(body);
            break;
        case TestResponse::Encoding::Deflate:
        case TestResponse::Encoding::RawDeflate:
            encoding = "deflate";
            if (!a.bodyIsEncoded)
                body = deflateCompress(body, a.encoding == TestResponse::Encoding::RawDeflate);
            break;
        }
        if (encoding)
            m_response.set(http::field::content_encoding, encoding);
        for (const auto& [name, value] : a.headers)
            m_response.set(name.toStdString(), value.toStdString());
        m_response.body() = body.toStdString();
        const bool keepAlive = m_server.options.keepAlive && !a.closeAfter;
        m_response.keep_alive(keepAlive);
        if (a.chunked)
            m_response.chunked(true);
        else
            m_response.prepare_payload();
        withStream([this, keepAlive](auto& stream) {
            http::async_write(
                stream, m_response, [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                    if (ec || !keepAlive)
                        return self->close();
                    ++self->m_served;
                    self->m_response = {};
                    self->read();
                });
        });
    }

    TestHttpServer::Impl& m_server;
    beast::tcp_stream m_tcp;
    std::optional<ssl::stream<beast::tcp_stream&>> m_tls;
    asio::steady_timer m_timer;
    beast::flat_buffer m_buffer;
    http::request<http::string_body> m_request;
    http::response<http::string_body> m_response;
    TestResponse m_answer;
    std::array<char, 256> m_scratch {};
    int m_number = 0;
    int m_served = 0;
};

void TestHttpServer::Impl::accept()
{
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec)
            return; // closed by stop()
        auto connection = std::make_shared<TestHttpConnection>(*this, std::move(socket));
        connections.insert(connection);
        connection->start();
        accept();
    });
}

TestResponse TestHttpServer::Impl::respond(const TestRequest& request)
{
    std::function<TestResponse(const TestRequest&)> h;
    {
        std::lock_guard lock(mutex);
        if (!handler) {
            auto it = responses.find(request.path);
            if (it != responses.end())
                return it->second;
            return TestResponse::text("no canned response for " + request.path + '\n', 404);
        }
        h = handler;
    }
    return h(request);
}

TestHttpServer::TestHttpServer()
    : TestHttpServer(Options {})
{ }

TestHttpServer::TestHttpServer(Options options)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->options = std::move(options);
}

TestHttpServer::~TestHttpServer()
{
    stop();
}

Result<void> TestHttpServer::start()
{
    Impl& d = *m_impl;
    if (d.running)
        return {};
    beast::error_code ec;
    if (d.options.tls) {
        d.tls.emplace(ssl::context::tls_server);
        d.tls->use_certificate_chain_file(d.options.certFile.toStdString(), ec);
        if (!ec)
            d.tls->use_private_key_file(d.options.keyFile.toStdString(), ssl::context::pem, ec);
        if (ec)
            return fail(Error::Code::Tls,
                QStringLiteral("test server cannot load its certificate: %1")
                    .arg(QString::fromStdString(ec.message())));
    }
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    d.acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        d.acceptor.bind(endpoint, ec);
    if (!ec)
        d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return fail(
            Error::Code::Io, QStringLiteral("test server cannot listen: %1").arg(QString::fromStdString(ec.message())));
    d.port = d.acceptor.local_endpoint().port();
    d.accept();
    d.thread = std::thread([&d] { d.io.run(); });
    d.running = true;
    return {};
}

void TestHttpServer::stop()
{
    Impl& d = *m_impl;
    if (!d.running)
        return;
    d.running = false;
    asio::post(d.io, [&d] {
        beast::error_code ignored;
        d.acceptor.close(ignored);
        const auto connections = d.connections;
        for (const auto& c : connections)
            c->close();
    });
    // With the listener and every connection closed, run() returns once the aborted handlers have run.
    d.thread.join();
}

quint16 TestHttpServer::port() const
{
    return m_impl->port;
}

QString TestHttpServer::baseUrl() const
{
    return (m_impl->options.tls ? QStringLiteral("https://127.0.0.1:") : QStringLiteral("http://127.0.0.1:"))
        + QString::number(m_impl->port);
}

QString TestHttpServer::url(const QString& pathAndQuery) const
{
    return baseUrl() + pathAndQuery;
}

void TestHttpServer::setResponse(const QByteArray& path, TestResponse response)
{
    std::lock_guard lock(m_impl->mutex);
    m_impl->responses[path] = std::move(response);
}

void TestHttpServer::setHandler(std::function<TestResponse(const TestRequest&)> handler)
{
    std::lock_guard lock(m_impl->mutex);
    m_impl->handler = std::move(handler);
}

std::vector<TestRequest> TestHttpServer::requests() const
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->requests;
}

int TestHttpServer::requestCount() const
{
    std::lock_guard lock(m_impl->mutex);
    return int(m_impl->requests.size());
}

TestRequest TestHttpServer::lastRequest() const
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->requests.empty() ? TestRequest {} : m_impl->requests.back();
}

int TestHttpServer::openConnections() const
{
    return m_impl->open.load();
}

int TestHttpServer::acceptedConnections() const
{
    return m_impl->accepted.load();
}

// ---------------------------------------------------------------------------------------------------------------
// Running clients

struct IoThreads::Impl
{
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
};

IoThreads::IoThreads(int threads)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->work.emplace(m_impl->io.get_executor());
    for (int i = 0; i < threads; ++i)
        m_impl->threads.emplace_back([this] { m_impl->io.run(); });
}

IoThreads::~IoThreads()
{
    m_impl->work.reset();
    m_impl->io.stop();
    for (auto& t : m_impl->threads)
        t.join();
}

asio::io_context& IoThreads::io()
{
    return m_impl->io;
}

Result<HttpResponse> getSync(HttpClient& client, HttpRequest request, int waitMs)
{
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto future = promise->get_future();
    client.get(std::move(request), [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::milliseconds(waitMs)) != std::future_status::ready)
        return fail(Error::Code::Timeout, QStringLiteral("no answer from HttpClient within %1 ms").arg(waitMs));
    return future.get();
}

PollResult pollSync(Source& source, PollContext& context, int waitMs)
{
    auto promise = std::make_shared<std::promise<PollResult>>();
    auto future = promise->get_future();
    source.poll(context, [promise](PollResult r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::milliseconds(waitMs)) != std::future_status::ready) {
        PollResult r;
        r.error = Error::make(Error::Code::Timeout, QStringLiteral("poll did not call done within %1 ms").arg(waitMs));
        return r;
    }
    return future.get();
}

PollResult pollSync(Source& source, IoThreads& io, HttpClient& http, int waitMs)
{
    PollContext context;
    context.io = &io.io();
    context.http = &http;
    return pollSync(source, context, waitMs);
}

} // namespace pw::test
