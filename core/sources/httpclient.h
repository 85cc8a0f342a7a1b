#pragma once

#include "config/config.h"
#include "model/error.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace pw {

struct HttpRequest
{
    QString url; // absolute http:// or https:// URL, query included
    QByteArray method = "GET";
    QByteArray body; // sent with Content-Length when not empty (or when the method is not GET)
    QByteArray contentType; // of `body`
    HttpOptions options; // auth, TLS, extra headers, body cap (0 = defaultMaxBodyBytes)
    QByteArray accept; // Accept header; empty = */*
    qint64 timeoutMs = 3000; // whole exchange: resolve, connect, TLS, request, response
    qint64 defaultMaxBodyBytes = 16LL * 1024 * 1024;
    /// When true, a complete non-2xx response (4xx/5xx) is returned as an HttpResponse for the caller to interpret
    /// (e.g. Prometheus puts its error in a JSON body); when false it is an Error "HTTP 500 Internal Server Error: …".
    /// A 3xx is an error either way: redirects are never followed.
    bool allowErrorStatus = false;
    /// The URL itself is a secret (a webhook's token is in its path): logs name only the scheme, host and port.
    bool urlIsSecret = false;
};

struct HttpResponse
{
    int status = 0;
    QByteArray contentType;
    QByteArray body; // decompressed
    std::vector<std::pair<QByteArray, QByteArray>> headers;
    qint64 wireBytes = 0; // bytes on the wire before decompression
};

/// Asynchronous HTTP/1.1 client on Boost.Beast shared by all sources: per-request timeout, redirects not followed,
/// gzip/deflate decoded with a cap on the decompressed size, TLS with verification on unless the request says
/// insecure. Proxies: the request's `options.proxy`, else http_proxy / https_proxy / no_proxy from the environment
/// (see httpproxy.h); plain HTTP goes to the proxy in absolute form, HTTPS through a CONNECT tunnel, and proxy
/// credentials are sent as Proxy-Authorization and never shown. Connections are kept alive and reused per endpoint
/// (origin, proxy, TLS settings): one TCP and TLS handshake serves many polls; a reused connection that the server
/// closed while idle is replaced by a fresh one once, before any byte of the answer, so it never fails a poll.
/// Thread-safe: `request` may be called from any thread; the callback runs on one of the io_context's threads.
/// Errors are values with a sentence that names the cause (refused, timeout, HTTP 500, body over the cap, TLS).
class HttpClient
{
public:
    explicit HttpClient(boost::asio::io_context& io);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    void request(HttpRequest request, std::function<void(Result<HttpResponse>)> done);
    void get(HttpRequest request, std::function<void(Result<HttpResponse>)> done)
    {
        this->request(std::move(request), std::move(done));
    }

    /// TCP connections opened so far (to servers or proxies); with reuse this stays far below the request count.
    quint64 connectionsOpened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace pw
