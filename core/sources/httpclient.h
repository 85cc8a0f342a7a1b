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
    HttpOptions options; // auth, TLS, extra headers, body cap (0 = defaultMaxBodyBytes)
    QByteArray accept; // Accept header; empty = */*
    qint64 timeoutMs = 3000; // whole exchange: resolve, connect, TLS, request, response
    qint64 defaultMaxBodyBytes = 16LL * 1024 * 1024;
    /// When true, a complete non-2xx response (4xx/5xx) is returned as an HttpResponse for the caller to interpret
    /// (e.g. Prometheus puts its error in a JSON body); when false it is an Error "HTTP 500 Internal Server Error: …".
    /// A 3xx is an error either way: redirects are never followed.
    bool allowErrorStatus = false;
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
/// insecure. Thread-safe: `get` may be called from any thread; the callback runs on one of the io_context's threads.
/// Errors are values with a sentence that names the cause (refused, timeout, HTTP 500, body over the cap, TLS).
class HttpClient
{
public:
    explicit HttpClient(boost::asio::io_context& io);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    void get(HttpRequest request, std::function<void(Result<HttpResponse>)> done);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace pw
