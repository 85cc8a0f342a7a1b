#include "sources/httpclient.h"

#include "sources/httpproxy.h"

#include <pathwatch/version.h>

#include <QDateTime>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QUrl>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <zlib.h>

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

Q_LOGGING_CATEGORY(lcHttp, "pathwatch.http", QtWarningMsg)

namespace pw {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Callback = std::function<void(Result<HttpResponse>)>;

struct Target
{
    bool tls = false;
    std::string host; // without IPv6 brackets
    std::string port;
    std::string target; // path and query, encoded
    std::string hostHeader;
    std::string endpoint; // host:port as shown in errors
    bool hostIsAddress = false;
};

// URLs may carry user:password@; errors and logs never show it.
QString redacted(const QString& url)
{
    const QUrl u(url);
    return u.userInfo().isEmpty() ? url : u.toString(QUrl::RemoveUserInfo);
}

Result<Target> parseTarget(const QString& text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return fail(Error::Code::Config, QStringLiteral("invalid URL '%1'").arg(redacted(text)));
    const QString scheme = url.scheme().toLower();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return fail(Error::Code::Config,
            QStringLiteral("unsupported URL scheme '%1' in '%2' (use http or https)").arg(scheme, redacted(text)));
    Target t;
    t.tls = scheme == QLatin1String("https");
    const int defaultPort = t.tls ? 443 : 80;
    const int port = url.port(defaultPort);
    t.host = url.host(QUrl::FullyEncoded).toStdString();
    if (t.host.size() > 2 && t.host.front() == '[')
        t.host = t.host.substr(1, t.host.size() - 2);
    t.port = std::to_string(port);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(t.host, ec);
    t.hostIsAddress = !ec;
    const std::string bracketed = (t.hostIsAddress && address.is_v6()) ? '[' + t.host + ']' : t.host;
    t.hostHeader = port == defaultPort ? bracketed : bracketed + ':' + t.port;
    t.endpoint = bracketed + ':' + t.port;
    QByteArray path = url.path(QUrl::FullyEncoded).toUtf8();
    if (path.isEmpty())
        path = "/";
    if (url.hasQuery())
        path += '?' + url.query(QUrl::FullyEncoded).toUtf8();
    t.target = path.toStdString();
    return t;
}

QString endpointText(const Target& t)
{
    return QString::fromStdString(t.endpoint);
}

// One line of a response body for error messages: printable, whitespace collapsed, bounded.
QString bodyExcerpt(const QByteArray& body)
{
    constexpr qsizetype kMax = 200;
    QString text = QString::fromUtf8(body.left(kMax * 2)).simplified();
    for (QChar& c : text)
        if (!c.isPrint())
            c = QLatin1Char('?');
    if (text.size() > kMax)
        text = text.left(kMax) + QStringLiteral("…");
    return text;
}

bool looksLikeZlibHeader(const std::string& data)
{
    if (data.size() < 2)
        return false;
    const auto cmf = static_cast<unsigned char>(data[0]);
    const auto flg = static_cast<unsigned char>(data[1]);
    return (cmf & 0x0f) == 8 && ((cmf << 8) | flg) % 31 == 0;
}

// Streams through zlib so that a small compressed body cannot make us allocate more than `cap` bytes.
Result<QByteArray> inflateBody(const std::string& in, bool gzip, qint64 cap)
{
    z_stream zs {};
    // gzip: 15 + 32 auto-detects gzip or zlib wrapping; "deflate" is zlib-wrapped per RFC 9110 but some servers send
    // raw deflate, recognised by the missing zlib header.
    const int windowBits = gzip ? 15 + 32 : (looksLikeZlibHeader(in) ? 15 : -15);
    if (inflateInit2(&zs, windowBits) != Z_OK)
        return fail(Error::Code::Generic, QStringLiteral("could not initialise zlib"));
    struct Guard
    {
        z_stream* zs;
        ~Guard() { inflateEnd(zs); }
    } guard {&zs};

    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    QByteArray out;
    constexpr qsizetype kChunk = 64 * 1024;
    for (;;) {
        const qsizetype before = out.size();
        out.resize(before + kChunk);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + before);
        zs.avail_out = kChunk;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        out.resize(before + (kChunk - qsizetype(zs.avail_out)));
        if (out.size() > cap)
            return fail(Error::Code::TooLarge, QStringLiteral("body exceeds %1 bytes after decompression").arg(cap));
        if (rc == Z_STREAM_END) {
            // Concatenated gzip members are legal; anything else after the end is ignored like browsers do.
            if (gzip && zs.avail_in > 0 && static_cast<unsigned char>(*zs.next_in) == 0x1f) {
                inflateReset(&zs);
                continue;
            }
            return out;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0)
            return fail(Error::Code::Parse, QStringLiteral("compressed body is truncated"));
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return fail(Error::Code::Parse,
                QStringLiteral("corrupt %1 body: %2")
                    .arg(gzip ? QStringLiteral("gzip") : QStringLiteral("deflate"),
                        QString::fromUtf8(zs.msg ? zs.msg : "inflate failed")));
    }
}

using Strand = asio::strand<asio::io_context::executor_type>;

// One TCP connection (to the origin, or to a proxy) with its TLS layer, kept between exchanges. Every operation on it
// runs on its strand, which the session that uses it adopts, so a connection handed from one session to the next
// never sees two handlers at once.
struct Connection
{
    explicit Connection(Strand s)
        : strand(std::move(s))
        , tcp(strand)
    { }
    ~Connection()
    {
        beast::error_code ignored;
        tls.reset();
        tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp.socket().close(ignored);
    }

    Strand strand;
    beast::tcp_stream tcp;
    std::optional<ssl::stream<beast::tcp_stream&>> tls;
    beast::flat_buffer buffer;
    std::chrono::steady_clock::time_point idleSince;
};

// Idle keep-alive connections by endpoint key. Thread-safe.
class ConnectionPool
{
public:
    // Servers close idle connections after 5 s (Go's default is none, nginx 75 s, Apache 5 s); a connection idle
    // longer than this is not worth the failed write that would tell us.
    static constexpr auto kMaxIdle = std::chrono::seconds(60);
    static constexpr size_t kMaxIdlePerKey = 8;

    std::unique_ptr<Connection> take(const std::string& key)
    {
        std::unique_ptr<Connection> found;
        std::vector<std::unique_ptr<Connection>> dropped; // closed outside the lock
        {
            std::lock_guard lock(m_mutex);
            auto it = m_idle.find(key);
            if (it == m_idle.end())
                return nullptr;
            auto& list = it->second;
            const auto now = std::chrono::steady_clock::now();
            while (!list.empty()) {
                auto candidate = std::move(list.back());
                list.pop_back();
                if (now - candidate->idleSince < kMaxIdle && looksOpen(*candidate)) {
                    found = std::move(candidate);
                    break;
                }
                dropped.push_back(std::move(candidate));
            }
            if (list.empty())
                m_idle.erase(it);
        }
        return found;
    }

    void put(const std::string& key, std::unique_ptr<Connection> connection)
    {
        connection->idleSince = std::chrono::steady_clock::now();
        std::unique_ptr<Connection> dropped;
        std::lock_guard lock(m_mutex);
        auto& list = m_idle[key];
        if (list.size() >= kMaxIdlePerKey) {
            dropped = std::move(list.front());
            list.erase(list.begin());
        }
        list.push_back(std::move(connection));
    }

    void countOpened() { ++m_opened; }
    quint64 opened() const { return m_opened.load(); }

private:
    // A server that closed an idle connection has left an end-of-file (or a TLS close_notify) to read: anything
    // readable on an idle connection means it cannot carry another exchange.
    static bool looksOpen(Connection& c)
    {
        char byte;
        const ssize_t n = ::recv(c.tcp.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    std::mutex m_mutex;
    std::map<std::string, std::vector<std::unique_ptr<Connection>>> m_idle;
    std::atomic<quint64> m_opened {0};
};

class Session : public std::enable_shared_from_this<Session>
{
public:
    Session(asio::io_context& io, Target target, std::optional<HttpProxy> proxy, HttpRequest request,
        std::shared_ptr<ssl::context> tls, std::shared_ptr<ConnectionPool> pool, Callback done)
        : m_target(std::move(target))
        , m_proxy(std::move(proxy))
        , m_request(std::move(request))
        , m_tlsContext(std::move(tls))
        , m_pool(pool)
        , m_done(std::move(done))
    {
        m_cap = m_request.options.maxBodyBytes > 0 ? m_request.options.maxBodyBytes : m_request.defaultMaxBodyBytes;
        m_key = (m_target.tls ? "https://" : "http://") + m_target.endpoint;
        if (m_proxy)
            m_key += " via " + m_proxy->key();
        if (m_tlsContext)
            m_key += " tls " + std::to_string(reinterpret_cast<std::uintptr_t>(m_tlsContext.get()));
        m_connection = pool->take(m_key);
        m_reused = m_connection != nullptr;
        m_strand.emplace(m_connection ? m_connection->strand : asio::make_strand(io));
        m_resolver.emplace(*m_strand);
        m_timer.emplace(*m_strand);
    }

    void start()
    {
        // Everything runs on the strand so the deadline and the I/O handlers never race.
        asio::dispatch(*m_strand, [self = shared_from_this()] { self->begin(); });
    }

private:
    QString endpoint() const
    {
        const QString origin = endpointText(m_target);
        return m_proxy ? QStringLiteral("%1 via proxy %2").arg(origin, m_proxy->shown()) : origin;
    }
    // The host we open a TCP connection to: the proxy when there is one.
    QString peer() const { return m_proxy ? QStringLiteral("proxy ") + m_proxy->shown() : endpointText(m_target); }

    void begin()
    {
        m_timer->expires_after(std::chrono::milliseconds(std::max<qint64>(1, m_request.timeoutMs)));
        m_timer->async_wait([self = shared_from_this()](beast::error_code ec) { self->onDeadline(ec); });
        if (m_connection)
            return send();
        connectFresh();
    }

    void connectFresh()
    {
        m_connection = std::make_unique<Connection>(*m_strand);
        m_phase = "resolving the host";
        const std::string host = m_proxy ? m_proxy->host : m_target.host;
        const std::string port = m_proxy ? std::to_string(m_proxy->port) : m_target.port;
        m_resolver->async_resolve(
            host, port, [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                self->onResolve(ec, std::move(r));
            });
    }

    void onDeadline(beast::error_code ec)
    {
        if (ec || m_finished)
            return;
        finish(fail(Error::Code::Timeout,
            QStringLiteral("timed out after %1 ms (while %2 %3)")
                .arg(m_request.timeoutMs)
                .arg(QLatin1String(m_phase), endpoint())));
    }

    void onResolve(beast::error_code ec, tcp::resolver::results_type results)
    {
        if (m_finished)
            return;
        if (ec)
            return finish(fail(Error::Code::Network,
                QStringLiteral("could not resolve %1 '%2': %3")
                    .arg(m_proxy ? QStringLiteral("proxy host") : QStringLiteral("host"),
                        QString::fromStdString(m_proxy ? m_proxy->host : m_target.host),
                        QString::fromStdString(ec.message()))));
        m_phase = "connecting to";
        if (auto pool = m_pool.lock())
            pool->countOpened();
        m_connection->tcp.async_connect(
            results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) { self->onConnect(ec); });
    }

    void onConnect(beast::error_code ec)
    {
        if (m_finished)
            return;
        if (ec == asio::error::connection_refused)
            return finish(fail(Error::Code::Refused,
                m_proxy ? QStringLiteral("connection refused by %1 (for %2)").arg(peer(), endpointText(m_target))
                        : QStringLiteral("connection refused by %1").arg(peer())));
        if (ec)
            return finish(fail(Error::Code::Network,
                QStringLiteral("could not connect to %1: %2").arg(peer(), QString::fromStdString(ec.message()))));
        if (m_proxy && m_target.tls)
            return sendConnect();
        startTls();
    }

    // HTTPS through a proxy: CONNECT host:port, then TLS with the origin inside the tunnel.
    void sendConnect()
    {
        m_connectRequest.emplace(http::verb::connect, m_target.endpoint, 11);
        m_connectRequest->set(http::field::host, m_target.endpoint);
        m_connectRequest->set(http::field::user_agent, std::string("pathwatch/") + kVersion);
        if (m_proxy->hasCredentials())
            m_connectRequest->set(http::field::proxy_authorization, m_proxy->authorization().toStdString());
        m_phase = "opening a tunnel through";
        http::async_write(m_connection->tcp, *m_connectRequest,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onConnectWritten(ec); });
    }

    void onConnectWritten(beast::error_code ec)
    {
        if (m_finished)
            return;
        if (ec)
            return finish(fail(Error::Code::Network,
                QStringLiteral("could not send CONNECT to %1: %2").arg(peer(), QString::fromStdString(ec.message()))));
        m_connectParser.emplace();
        m_connectParser->header_limit(16 * 1024);
        // A CONNECT answer has no body we want: 2xx starts the tunnel, anything else ends the exchange.
        m_connectParser->skip(true);
        http::async_read(m_connection->tcp, m_connection->buffer, *m_connectParser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onConnectAnswer(ec); });
    }

    void onConnectAnswer(beast::error_code ec)
    {
        if (m_finished)
            return;
        if (ec)
            return finish(fail(Error::Code::Network,
                QStringLiteral("%1 gave no valid answer to CONNECT %2: %3")
                    .arg(peer(), endpointText(m_target), QString::fromStdString(ec.message()))));
        const auto& answer = m_connectParser->get();
        const int status = int(answer.result_int());
        if (status < 200 || status >= 300) {
            QString reason = QString::fromStdString(std::string(answer.reason()));
            if (reason.isEmpty())
                reason = QString::fromStdString(std::string(http::obsolete_reason(answer.result())));
            QString message = QStringLiteral("%1 refused the tunnel to %2: HTTP %3 %4")
                                  .arg(peer(), endpointText(m_target))
                                  .arg(status)
                                  .arg(reason);
            if (status == 407 || status == 401)
                message += m_proxy->hasCredentials()
                    ? QStringLiteral(" (the proxy rejected the credentials of `proxy:`)")
                    : QStringLiteral(" (give credentials as `proxy: http://user:${PASSWORD}@host:port`)");
            return finish(fail(Error::Code::Http, message));
        }
        if (m_connection->buffer.size() != 0)
            return finish(fail(Error::Code::Protocol,
                QStringLiteral("%1 sent data before the TLS handshake through the tunnel").arg(peer())));
        startTls();
    }

    void startTls()
    {
        if (!m_target.tls)
            return send();

        m_connection->tls.emplace(m_connection->tcp, *m_tlsContext);
        auto& stream = *m_connection->tls;
        // SNI is only for names (RFC 6066), never for address literals.
        if (!m_target.hostIsAddress && !SSL_set_tlsext_host_name(stream.native_handle(), m_target.host.c_str()))
            return finish(fail(Error::Code::Tls, QStringLiteral("TLS setup failed: could not set SNI")));
        if (!m_request.options.insecureSkipVerify) {
            stream.set_verify_callback([self = this, check = ssl::host_name_verification(m_target.host)](
                                           bool preverified, ssl::verify_context& ctx) mutable {
                const bool ok = check(preverified, ctx);
                // Only the leaf certificate is matched against the host name.
                if (preverified && !ok && X509_STORE_CTX_get_error_depth(ctx.native_handle()) == 0)
                    self->m_hostnameMismatch = true;
                return ok;
            });
        }
        m_phase = "in the TLS handshake with";
        stream.async_handshake(
            ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) { self->onHandshake(ec); });
    }

    void onHandshake(beast::error_code ec)
    {
        if (m_finished)
            return;
        if (ec) {
            QString why;
            if (m_hostnameMismatch) {
                why = QStringLiteral("certificate does not match host '%1'").arg(QString::fromStdString(m_target.host));
            } else if (ec.category() == asio::error::get_ssl_category()) {
                const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
                why = QString::fromUtf8(reason ? reason : "TLS error");
                const long verify = SSL_get_verify_result(m_connection->tls->native_handle());
                if (verify != X509_V_OK)
                    why += QStringLiteral(" (%1)").arg(QString::fromUtf8(X509_verify_cert_error_string(verify)));
            } else {
                why = QString::fromStdString(ec.message());
            }
            return finish(fail(Error::Code::Tls, QStringLiteral("TLS handshake failed: %1 (%2)").arg(why, endpoint())));
        }
        send();
    }

    void send()
    {
        m_req = {};
        const QByteArray method = m_request.method.isEmpty() ? QByteArray("GET") : m_request.method.toUpper();
        m_req.method_string(method.toStdString());
        // Plain HTTP through a proxy names the whole URL (absolute form, RFC 9112 3.2.2); a tunnel carries the
        // origin form as if there were no proxy.
        const bool absoluteForm = m_proxy && !m_target.tls;
        m_req.target(absoluteForm ? "http://" + m_target.hostHeader + m_target.target : m_target.target);
        m_req.version(11);
        m_req.set(http::field::host, m_target.hostHeader);
        m_req.set(http::field::user_agent, std::string("pathwatch/") + kVersion);
        m_req.set(
            http::field::accept, m_request.accept.isEmpty() ? std::string("*/*") : m_request.accept.toStdString());
        m_req.set(http::field::accept_encoding, "gzip, deflate");
        if (absoluteForm && m_proxy->hasCredentials())
            m_req.set(http::field::proxy_authorization, m_proxy->authorization().toStdString());
        const HttpOptions& o = m_request.options;
        if (!o.bearerToken.isEmpty())
            m_req.set(http::field::authorization, "Bearer " + o.bearerToken.toStdString());
        else if (!o.basicUser.isEmpty() || !o.basicPassword.isEmpty())
            m_req.set(http::field::authorization,
                "Basic " + (o.basicUser + QLatin1Char(':') + o.basicPassword).toUtf8().toBase64().toStdString());
        for (const auto& [name, value] : o.headers)
            m_req.set(name.toStdString(), value.toStdString());
        if (!m_request.contentType.isEmpty())
            m_req.set(http::field::content_type, m_request.contentType.toStdString());
        m_req.body() = m_request.body.toStdString();
        if (method != "GET" || !m_request.body.isEmpty())
            m_req.prepare_payload();

        m_phase = "sending the request to";
        auto onWrite = [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onWrite(ec); };
        if (m_connection->tls)
            http::async_write(*m_connection->tls, m_req, std::move(onWrite));
        else
            http::async_write(m_connection->tcp, m_req, std::move(onWrite));
    }

    // A kept-alive connection the server closed in the meantime fails its first write or read without an answer:
    // that is not the endpoint failing, so the exchange starts again once on a fresh connection.
    bool retryOnFreshConnection()
    {
        if (!m_reused || m_retried)
            return false;
        m_retried = true;
        m_reused = false;
        qCDebug(lcHttp) << "kept-alive connection to" << endpoint() << "was closed by the server; reconnecting";
        m_connection.reset();
        connectFresh();
        return true;
    }

    void onWrite(beast::error_code ec)
    {
        if (m_finished)
            return;
        if (ec && retryOnFreshConnection())
            return;
        if (ec)
            return finish(fail(Error::Code::Network,
                QStringLiteral("could not send the request to %1: %2")
                    .arg(endpoint(), QString::fromStdString(ec.message()))));
        m_phase = "waiting for the response from";
        m_parser.emplace();
        m_parser->header_limit(64 * 1024);
        // The raw cap: a compressed body is never larger than what it expands to, for any real server.
        m_parser->body_limit(static_cast<std::uint64_t>(m_cap));
        auto onRead = [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->onRead(ec, n); };
        if (m_connection->tls)
            http::async_read(*m_connection->tls, m_connection->buffer, *m_parser, std::move(onRead));
        else
            http::async_read(m_connection->tcp, m_connection->buffer, *m_parser, std::move(onRead));
    }

    void onRead(beast::error_code ec, std::size_t bytes)
    {
        if (m_finished)
            return;
        if (ec && !m_parser->got_some() && retryOnFreshConnection())
            return;
        // A TLS server that closes without close_notify ends a read-until-close body with stream_truncated.
        if (ec == ssl::error::stream_truncated && m_parser->is_header_done() && m_parser->need_eof()) {
            beast::error_code eofEc;
            m_parser->put_eof(eofEc);
            if (!eofEc && m_parser->is_done())
                ec = {};
        }
        if (ec == http::error::body_limit)
            return finish(fail(Error::Code::TooLarge, QStringLiteral("body exceeds %1 bytes").arg(m_cap)));
        if (ec == http::error::header_limit)
            return finish(fail(Error::Code::Protocol, QStringLiteral("response headers exceed 64 KiB")));
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof
            || ec == ssl::error::stream_truncated || ec == asio::error::connection_reset)
            return finish(fail(Error::Code::Network,
                QStringLiteral("%1 closed the connection before a complete response").arg(endpoint())));
        if (ec && ec.category() == http::make_error_code(http::error::bad_version).category())
            return finish(fail(Error::Code::Protocol,
                QStringLiteral("malformed HTTP response from %1: %2")
                    .arg(endpoint(), QString::fromStdString(ec.message()))));
        if (ec)
            return finish(fail(Error::Code::Network,
                QStringLiteral("error reading the response from %1: %2")
                    .arg(endpoint(), QString::fromStdString(ec.message()))));

        auto& msg = m_parser->get();
        // Kept for the next exchange only when both sides agree and nothing is left unread.
        m_reusable = msg.keep_alive() && !m_parser->need_eof() && m_connection->buffer.size() == 0;
        HttpResponse response;
        response.status = static_cast<int>(msg.result_int());
        response.contentType = QByteArray::fromStdString(std::string(msg[http::field::content_type]));
        response.wireBytes = static_cast<qint64>(bytes);
        for (const auto& field : msg)
            response.headers.emplace_back(QByteArray::fromStdString(std::string(field.name_string())),
                QByteArray::fromStdString(std::string(field.value())));

        const QByteArray encoding
            = QByteArray::fromStdString(std::string(msg[http::field::content_encoding])).trimmed().toLower();
        if (encoding.isEmpty() || encoding == "identity") {
            response.body = QByteArray::fromStdString(msg.body());
        } else if (encoding == "gzip" || encoding == "x-gzip" || encoding == "deflate") {
            auto decoded = inflateBody(msg.body(), encoding != "deflate", m_cap);
            if (!decoded)
                return finish(std::unexpected(decoded.error()));
            response.body = std::move(*decoded);
        } else {
            return finish(fail(Error::Code::Protocol,
                QStringLiteral("unsupported Content-Encoding '%1'").arg(QString::fromLatin1(encoding))));
        }

        QString reason = QString::fromStdString(std::string(msg.reason()));
        if (reason.isEmpty())
            reason = QString::fromStdString(std::string(http::obsolete_reason(msg.result())));
        QString statusLine = QStringLiteral("HTTP %1 %2").arg(response.status).arg(reason);
        if (response.status == 407 && m_proxy)
            statusLine += QStringLiteral(" from %1").arg(peer());
        if (response.status >= 300 && response.status < 400) {
            const auto location = QString::fromStdString(std::string(msg[http::field::location]));
            return finish(fail(Error::Code::Http,
                QStringLiteral("%1: redirect to '%2' not followed (configure the final URL)")
                    .arg(statusLine, location.isEmpty() ? QStringLiteral("?") : location)));
        }
        if ((response.status < 200 || response.status >= 300) && !m_request.allowErrorStatus) {
            const QString excerpt = bodyExcerpt(response.body);
            return finish(
                fail(Error::Code::Http, excerpt.isEmpty() ? statusLine : statusLine + QStringLiteral(": ") + excerpt));
        }
        finish(std::move(response));
    }

    void finish(Result<HttpResponse> result)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_timer->cancel();
        m_resolver->cancel();
        auto pool = m_pool.lock();
        if (m_connection && m_reusable && pool) {
            pool->put(m_key, std::move(m_connection));
        } else if (m_connection) {
            // Pending handlers still refer to the connection: close it, free it with the session.
            beast::error_code ignored;
            m_connection->tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
            m_connection->tcp.socket().close(ignored);
        }
        if (!result)
            qCDebug(lcHttp) << m_request.method.constData()
                            << (m_request.urlIsSecret ? endpoint() : redacted(m_request.url))
                            << "failed:" << result.error().message;
        auto done = std::move(m_done);
        m_done = nullptr;
        if (done)
            done(std::move(result));
    }

    Target m_target;
    std::optional<HttpProxy> m_proxy;
    HttpRequest m_request;
    std::shared_ptr<ssl::context> m_tlsContext;
    std::weak_ptr<ConnectionPool> m_pool;
    Callback m_done;
    std::string m_key;
    std::unique_ptr<Connection> m_connection;
    std::optional<Strand> m_strand;
    std::optional<tcp::resolver> m_resolver;
    std::optional<asio::steady_timer> m_timer;
    qint64 m_cap = 0;
    const char* m_phase = "starting";
    bool m_finished = false;
    bool m_hostnameMismatch = false;
    bool m_reused = false;
    bool m_retried = false;
    bool m_reusable = false;
    std::optional<http::request<http::empty_body>> m_connectRequest;
    std::optional<http::response_parser<http::empty_body>> m_connectParser;
    http::request<http::string_body> m_req;
    std::optional<http::response_parser<http::string_body>> m_parser;
};

} // namespace

struct HttpClient::Impl
{
    asio::io_context& io;
    std::shared_ptr<ConnectionPool> pool = std::make_shared<ConnectionPool>();
    std::mutex mutex;
    // Loading the system CA store costs milliseconds, so contexts are shared by (CA file, its mtime, insecure).
    std::map<std::tuple<QString, qint64, bool>, std::shared_ptr<ssl::context>> tlsContexts;

    Result<std::shared_ptr<ssl::context>> tlsContext(const HttpOptions& options)
    {
        const qint64 mtime
            = options.caFile.isEmpty() ? 0 : QFileInfo(options.caFile).lastModified().toMSecsSinceEpoch();
        const auto key = std::make_tuple(options.caFile, mtime, options.insecureSkipVerify);
        std::lock_guard lock(mutex);
        if (auto it = tlsContexts.find(key); it != tlsContexts.end())
            return it->second;
        auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3
            | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        beast::error_code ec;
        if (options.insecureSkipVerify) {
            ctx->set_verify_mode(ssl::verify_none);
        } else {
            ctx->set_verify_mode(ssl::verify_peer);
            ctx->set_default_verify_paths(ec);
            if (ec)
                qCWarning(lcHttp) << "could not load the system CA store:" << ec.message().c_str();
            if (!options.caFile.isEmpty()) {
                ctx->load_verify_file(options.caFile.toStdString(), ec);
                if (ec)
                    return fail(Error::Code::Tls,
                        QStringLiteral("cannot load CA file '%1': %2")
                            .arg(options.caFile, QString::fromStdString(ec.message())));
            }
        }
        tlsContexts.emplace(key, ctx);
        return ctx;
    }
};

HttpClient::HttpClient(boost::asio::io_context& io)
    : m_impl(std::make_unique<Impl>(io))
{ }

HttpClient::~HttpClient() = default;

quint64 HttpClient::connectionsOpened() const
{
    return m_impl->pool->opened();
}

void HttpClient::request(HttpRequest request, std::function<void(Result<HttpResponse>)> done)
{
    auto failLater = [this, &done](Error error) {
        asio::post(m_impl->io, [done = std::move(done), error = std::move(error)] { done(std::unexpected(error)); });
    };
    auto target = parseTarget(request.url);
    if (!target)
        return failLater(target.error());
    for (const auto& [name, value] : request.options.headers) {
        // A line break would let a config value smuggle extra headers into the request.
        if (name.isEmpty() || name.contains(QLatin1Char('\r')) || name.contains(QLatin1Char('\n'))
            || name.contains(QLatin1Char(':')) || value.contains(QLatin1Char('\r'))
            || value.contains(QLatin1Char('\n')))
            return failLater(Error::make(Error::Code::Config,
                QStringLiteral("header '%1' is not a valid HTTP header name or value").arg(name.simplified())));
    }
    static const QRegularExpression token(QStringLiteral("^[A-Za-z]{1,20}$"));
    if (!request.method.isEmpty() && !token.match(QString::fromLatin1(request.method)).hasMatch())
        return failLater(Error::make(Error::Code::Config, QStringLiteral("invalid HTTP method")));
    auto proxy = proxyFor(target->tls, QString::fromStdString(target->host), std::stoi(target->port),
        request.options.proxy, ProxyEnvironment::fromProcess());
    if (!proxy)
        return failLater(proxy.error());
    std::shared_ptr<ssl::context> tls;
    if (target->tls) {
        auto ctx = m_impl->tlsContext(request.options);
        if (!ctx)
            return failLater(ctx.error());
        tls = std::move(*ctx);
    }
    // Sessions own themselves through their pending handlers, so destroying the client does not cut them short.
    std::make_shared<Session>(m_impl->io, std::move(*target), std::move(*proxy), std::move(request), std::move(tls),
        m_impl->pool, std::move(done))
        ->start();
}

} // namespace pw
