#pragma once

#include "broker/wire.h"
#include "model/error.h"

#include <QLoggingCategory>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

Q_DECLARE_LOGGING_CATEGORY(lcBroker)

namespace pw::broker {

class ApiVersionTable;

/// The broker's TCP front end (Boost.Asio): accepts connections, reads size-prefixed frames up to a cap, decodes the
/// request header, hands each request to the handler and writes the answers back in request order per connection,
/// even when a handler answers later from another thread. A malformed, truncated or oversized frame, or an unknown
/// API key/version (other than ApiVersions, which gets the v0 UNSUPPORTED_VERSION answer), closes only that
/// connection. Runs on the io_context it is given (the caller runs that on its thread pool). Thread-safe.
class Server
{
public:
    struct Options
    {
        std::string host = "127.0.0.1";
        uint16_t port = 9092; // 0: ephemeral
        size_t maxFrameBytes = 100u << 20;
        size_t maxInFlightPerConnection = 128; // reading pauses beyond this many unanswered requests
        // SASL/PLAIN users (name → password). When set, a connection must authenticate (SaslHandshake v1, then
        // SaslAuthenticate) before any request but ApiVersions; empty: every connection is ANONYMOUS.
        std::map<std::string, std::string> saslPlainUsers;
    };
    enum class Disposition
    {
        Responding, // the handler called, or will call, respond exactly once
        NoResponse, // acks=0 Produce: the request gets no answer
        Close, // malformed body: close the connection
    };
    /// Called on the connection's strand, one request at a time per connection. `body` reads the request body from
    /// the frame buffer, valid only during the call.
    using Handler = std::function<Disposition(const RequestContext& ctx, WireReader& body, Respond respond)>;
    using ClosedHandler = std::function<void(uint64_t connectionId)>;

    Server(boost::asio::io_context& io, Options options, const ApiVersionTable& table, Handler handler,
        ClosedHandler closed);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts accepting.
    pw::Result<void> listen();
    uint16_t port() const;
    const std::string& host() const;
    /// Stops accepting and closes every connection. Idempotent.
    void stop();
    size_t connectionCount() const;
    /// Requests received since start, every connection and API together (benchmarks count them per cycle).
    uint64_t requestCount() const;

    struct Private; // implementation detail, public only so the connections in server.cpp can name it

private:
    std::shared_ptr<Private> d;
};

} // namespace pw::broker
