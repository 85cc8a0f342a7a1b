#include "broker/server.h"

#include "broker/apiversions.h"
#include "broker/requestheader.h"

#include <boost/asio.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <sys/sendfile.h>

Q_LOGGING_CATEGORY(lcBroker, "pathwatch.broker", QtInfoMsg)

namespace pw::broker {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Connection;

} // namespace

struct Server::Private : std::enable_shared_from_this<Server::Private>
{
    Private(asio::io_context& io, Options o, const ApiVersionTable& t, Handler h, ClosedHandler c)
        : io(io)
        , options(std::move(o))
        , table(t)
        , handler(std::move(h))
        , closed(std::move(c))
        , acceptor(asio::make_strand(io))
    { }

    std::atomic<uint64_t> requests {0};

    void accept();
    void forget(uint64_t id)
    {
        std::lock_guard lock(mutex);
        connections.erase(id);
    }

    asio::io_context& io;
    Options options;
    const ApiVersionTable& table;
    Handler handler;
    ClosedHandler closed;
    tcp::acceptor acceptor;
    uint16_t boundPort = 0;
    mutable std::mutex mutex;
    std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections;
    uint64_t nextId = 1;
    bool stopped = false;
};

namespace {

struct Connection : std::enable_shared_from_this<Connection>
{
    Connection(std::shared_ptr<Server::Private> server, tcp::socket s, uint64_t id)
        : server(std::move(server))
        , socket(std::move(s))
        , strand(asio::make_strand(this->server->io))
        , id(id)
    {
        boost::system::error_code ec;
        auto ep = socket.remote_endpoint(ec);
        address = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
        socket.set_option(tcp::no_delay(true), ec);
        socket.non_blocking(true, ec); // readNow() looks for further frames without waiting
    }

    void start()
    {
        asio::dispatch(strand, [self = shared_from_this()] { self->readSize(); });
    }

    // Reads the next frame: its 4-byte size, then the body, each by as many reads as it takes.
    void readSize()
    {
        // The read about to start holds the connection from now on; the caller holds it until then.
        pausedSelf.reset();
        if (closed)
            return;
        reading = true;
        inBody = false;
        received = 0;
        readSome();
    }

    void readSome()
    {
        if (closed) {
            reading = false;
            return;
        }
        const size_t want = wanted();
        lowWater(std::min(want, MaxLowWater));
        socket.async_read_some(readBuffer(want),
            asio::bind_executor(strand, [self = shared_from_this()](auto ec, size_t n) { self->onRead(ec, n); }));
    }

    size_t wanted() const { return inBody ? frame.size() - received : sizeof sizeBuf - received; }
    asio::mutable_buffer readBuffer(size_t want)
    {
        return inBody ? asio::buffer(frame.data() + received, want) : asio::buffer(sizeBuf + received, want);
    }

    // A large request arrives in many TCP segments; without a low-water mark every one of them wakes a thread for a
    // short read. Asking the kernel to wake us only once the rest of the frame (up to a cap) is there turns that into
    // about one wake-up and one read per frame.
    void lowWater(size_t bytes)
    {
        const int value = int(std::max<size_t>(bytes, 1));
        if (value == lowWaterMark)
            return;
        boost::system::error_code ec;
        socket.set_option(asio::socket_base::receive_low_watermark(value), ec);
        lowWaterMark = ec ? -1 : value;
    }

    void onRead(const boost::system::error_code& ec, size_t n)
    {
        if (ec) {
            reading = false;
            return close({});
        }
        received += n;
        if (!frameComplete())
            return readSome();
        handleFrames();
    }

    // Moves from the size prefix to the body once the prefix is in; true when the whole frame is.
    bool frameComplete()
    {
        if (!inBody) {
            if (received < sizeof sizeBuf)
                return false;
            const int32_t size = int32_t(uint32_t(sizeBuf[0]) << 24 | uint32_t(sizeBuf[1]) << 16
                | uint32_t(sizeBuf[2]) << 8 | uint32_t(sizeBuf[3]));
            // 10 bytes: key, version, correlation id and the client id length are the least a request has.
            if (size < 10) {
                close("frame size " + std::to_string(size) + " is too small");
                return false;
            }
            if (size_t(size) > server->options.maxFrameBytes) {
                close("frame size " + std::to_string(size) + " exceeds the cap of "
                    + std::to_string(server->options.maxFrameBytes));
                return false;
            }
            frame.resize(size_t(size));
            inBody = true;
            received = 0;
        }
        return received == frame.size();
    }

    // Reads on without waiting (the socket is non-blocking); true once a whole frame is in.
    bool readNow()
    {
        for (;;) {
            boost::system::error_code ec;
            const size_t n = socket.read_some(readBuffer(wanted()), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again)
                return false;
            if (ec) {
                close({});
                return false;
            }
            received += n;
            if (frameComplete())
                return true;
            if (closed)
                return false;
        }
    }

    // Handles the frame just read and then any further ones already waiting in the socket, and only then sends the
    // answers, together: a client that pipelines requests gets one write (and one wake-up) for several answers
    // instead of one each. The batch is bounded so that a busy connection does not hold back its first answer long.
    void handleFrames()
    {
        batching = true;
        for (size_t handled = 1;; ++handled) {
            // Still "reading" while the handler runs, so an answer given inside it does not start a second read.
            onFrame();
            inBody = false;
            received = 0;
            if (closed || handled >= MaxFramesPerTurn || pending.size() >= server->options.maxInFlightPerConnection
                || !readNow())
                break;
        }
        batching = false;
        flush();
        if (closed) {
            reading = false;
            return;
        }
        if (received > 0 || inBody)
            return readSome(); // the rest of a frame that has begun to arrive
        reading = false;
        if (frame.capacity() > (16u << 20))
            std::vector<uint8_t>().swap(frame); // do not keep a huge buffer for an idle connection
        if (pending.size() < server->options.maxInFlightPerConnection)
            readSize();
        else
            pausedSelf = shared_from_this();
    }

    void onFrame()
    {
        if (saslState == SaslState::RawTokenNext)
            return onRawSaslToken();
        WireReader r(frame);
        auto header = RequestHeader::parse(r, &ApiVersionTable::isFlexible);
        if (!header)
            return close("malformed request header: " + r.error());
        if (!server->table.supports(header->apiKey, header->apiVersion)) {
            if (header->apiKey == int16_t(ApiKey::ApiVersions)) {
                // Answer in the v0 format so the client can read it and retry with a version we have.
                uint64_t seq = allocateSlot();
                complete(seq,
                    frameResponse(header->correlationId, false,
                        server->table.apiVersionsResponse(0, int16_t(KafkaErrorUnsupported))));
                return;
            }
            qCWarning(lcBroker).noquote()
                << QStringLiteral("closing connection from %1 (client id \"%2\"): unsupported API key "
                                  "%3 version %4")
                       .arg(QString::fromStdString(address), QString::fromStdString(header->clientId))
                       .arg(header->apiKey)
                       .arg(header->apiVersion);
            return close({});
        }
        server->requests.fetch_add(1, std::memory_order_relaxed);
        RequestContext ctx;
        ctx.apiKey = header->apiKey;
        ctx.apiVersion = header->apiVersion;
        ctx.correlationId = header->correlationId;
        ctx.clientId = std::move(header->clientId);
        ctx.clientAddress = address;
        ctx.connectionId = id;
        ctx.flexible = header->flexible;
        const bool flexibleHeader = ctx.flexible && ctx.apiKey != int16_t(ApiKey::ApiVersions);
        const uint64_t seq = allocateSlot();
        Respond respond = [weak = weak_from_this(), seq, corr = ctx.correlationId, flexibleHeader](ResponseBody body) {
            auto self = weak.lock();
            if (!self)
                return;
            // The header goes out as its own buffer (gather write), so the body is never copied again.
            WireWriter header;
            header.i32(int32_t((flexibleHeader ? 5 : 4) + body.size()));
            header.i32(corr);
            if (flexibleHeader)
                header.emptyTaggedFields();
            if (self->strand.running_in_this_thread()) {
                // Answered inside the handler: no need for another trip through the strand's queue.
                self->complete(seq, header.take(), std::move(body.pieces));
                return;
            }
            asio::post(self->strand, [self, seq, header = header.take(), body = std::move(body)]() mutable {
                self->complete(seq, std::move(header), std::move(body.pieces));
            });
        };
        if (!server->options.saslPlainUsers.empty()) {
            if (ctx.apiKey == int16_t(ApiKey::SaslHandshake) || ctx.apiKey == int16_t(ApiKey::SaslAuthenticate)) {
                std::optional<std::vector<uint8_t>> answer
                    = ctx.apiKey == int16_t(ApiKey::SaslHandshake) ? saslHandshake(ctx, r) : saslAuthenticate(ctx, r);
                if (!answer)
                    return close("malformed SASL request");
                respond(std::move(*answer));
                return;
            }
            if (principal.empty() && ctx.apiKey != int16_t(ApiKey::ApiVersions))
                return close("request (API key " + std::to_string(ctx.apiKey) + ") before SASL authentication");
            if (!principal.empty())
                ctx.principal = principal;
        }
        Server::Disposition d;
        try {
            d = server->handler(ctx, r, std::move(respond));
        } catch (const std::exception& e) {
            qCWarning(lcBroker) << "handler failed:" << e.what();
            d = Server::Disposition::Close;
        }
        if (d == Server::Disposition::NoResponse)
            complete(seq, {});
        else if (d == Server::Disposition::Close)
            close("malformed request body (API key " + std::to_string(ctx.apiKey) + " version "
                + std::to_string(ctx.apiVersion) + ")");
    }

    static constexpr int16_t KafkaErrorUnsupported = 35;
    static constexpr int16_t KafkaErrorUnsupportedSaslMechanism = 33;
    static constexpr int16_t KafkaErrorIllegalSaslState = 34;
    static constexpr int16_t KafkaErrorSaslAuthenticationFailed = 58;

    // SaslHandshake v1: PLAIN is the one mechanism; the tokens follow in SaslAuthenticate requests.
    std::optional<std::vector<uint8_t>> saslHandshake(const RequestContext& ctx, WireReader& r)
    {
        const std::string mechanism = r.string();
        if (r.failed())
            return std::nullopt;
        WireWriter w;
        const bool plain = mechanism == "PLAIN";
        w.i16(plain ? 0 : KafkaErrorUnsupportedSaslMechanism);
        w.arrayLength(1, false);
        w.string("PLAIN");
        // v0: the token follows as a bare size-prefixed frame, not as a SaslAuthenticate request.
        saslState = !plain ? SaslState::None : ctx.apiVersion == 0 ? SaslState::RawTokenNext : SaslState::HandshakeDone;
        return w.take();
    }

    // Checks a PLAIN token: authzid NUL user NUL password (RFC 4616). Sets the principal when it matches.
    bool authenticatePlain(std::span<const uint8_t> token)
    {
        const std::string text(token.begin(), token.end());
        const size_t first = text.find('\0');
        const size_t second = first == std::string::npos ? first : text.find('\0', first + 1);
        if (second == std::string::npos)
            return false;
        const std::string user = text.substr(first + 1, second - first - 1);
        const std::string password = text.substr(second + 1);
        auto it = server->options.saslPlainUsers.find(user);
        if (user.empty() || it == server->options.saslPlainUsers.end() || it->second != password) {
            qCWarning(lcBroker).noquote() << QStringLiteral("SASL/PLAIN authentication of \"%1\" from %2 failed")
                                                 .arg(QString::fromStdString(user), QString::fromStdString(address));
            return false;
        }
        principal = "User:" + user;
        return true;
    }

    // After a v0 handshake: the frame is the token itself; success is answered with an empty frame, failure by
    // closing the connection, as Kafka does.
    void onRawSaslToken()
    {
        saslState = SaslState::None;
        if (!authenticatePlain(frame))
            return close({});
        complete(allocateSlot(), std::vector<uint8_t>(4, 0));
    }

    // SaslAuthenticate v0-1 carrying a PLAIN token: authzid NUL user NUL password (RFC 4616).
    std::optional<std::vector<uint8_t>> saslAuthenticate(const RequestContext& ctx, WireReader& r)
    {
        const std::optional<std::vector<uint8_t>> token = r.nullableBytes();
        if (r.failed())
            return std::nullopt;
        int16_t error = 0;
        std::optional<std::string> message;
        if (saslState != SaslState::HandshakeDone || !principal.empty()) {
            error = KafkaErrorIllegalSaslState;
            message = "SaslAuthenticate without a SaslHandshake for PLAIN";
        } else {
            if (!authenticatePlain(token ? std::span<const uint8_t>(*token) : std::span<const uint8_t>())) {
                error = KafkaErrorSaslAuthenticationFailed;
                message = "Authentication failed: Invalid username or password";
            }
            saslState = SaslState::None;
        }
        WireWriter w;
        w.i16(error);
        w.nullableString(message);
        w.bytes({});
        if (ctx.apiVersion >= 1)
            w.i64(0); // no session lifetime: the session lasts as long as the connection
        return w.take();
    }

    uint64_t allocateSlot()
    {
        pending.push_back(Slot {});
        return headSeq + pending.size() - 1;
    }

    // On the strand: fills the slot and sends every answered response at the head, in order.
    void complete(uint64_t seq, std::vector<uint8_t> bytes, std::vector<ResponsePiece> more = {})
    {
        if (closed || seq < headSeq || seq - headSeq >= pending.size())
            return;
        Slot& slot = pending[seq - headSeq];
        if (slot.ready)
            return; // a handler answered twice; the first answer stands
        slot.ready = true;
        slot.bytes = std::move(bytes);
        slot.more = std::move(more);
        while (!pending.empty() && pending.front().ready) {
            if (!pending.front().bytes.empty())
                outgoing.push_back(ResponsePiece {std::move(pending.front().bytes), std::nullopt});
            for (auto& piece : pending.front().more)
                if (piece.size() > 0)
                    outgoing.push_back(std::move(piece));
            pending.pop_front();
            ++headSeq;
        }
        if (!batching)
            flush();
        if (!reading && !closed && pending.size() < server->options.maxInFlightPerConnection)
            readSize();
    }

    void flush()
    {
        if (writing || outgoing.empty() || closed)
            return;
        writing = true;
        inWrite.swap(outgoing);
        outgoing.clear();
        writeFrom(0);
    }

    // Sends inWrite[i..]: runs of byte pieces in one gather write each, file regions with sendfile.
    void writeFrom(size_t i)
    {
        if (closed)
            return;
        if (i == inWrite.size()) {
            writing = false;
            inWrite.clear();
            return flush();
        }
        if (inWrite[i].file)
            return sendFileRegion(i);
        std::vector<asio::const_buffer> buffers;
        size_t next = i;
        for (; next < inWrite.size() && !inWrite[next].file; ++next)
            buffers.emplace_back(asio::buffer(inWrite[next].bytes));
        asio::async_write(
            socket, buffers, asio::bind_executor(strand, [self = shared_from_this(), next](auto ec, size_t) {
                if (ec)
                    return self->close({});
                self->writeFrom(next);
            }));
    }

    // The socket is non-blocking: sendfile sends what fits, and we wait for room for the rest.
    void sendFileRegion(size_t i)
    {
        FileRegion& region = *inWrite[i].file;
        while (region.length > 0) {
            off_t position = off_t(region.position);
            const ssize_t n = ::sendfile(socket.native_handle(), region.fd, &position, region.length);
            if (n > 0) {
                region.position += n;
                region.length -= size_t(n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                socket.async_wait(
                    tcp::socket::wait_write, asio::bind_executor(strand, [self = shared_from_this(), i](auto ec) {
                        if (ec)
                            return self->close({});
                        self->sendFileRegion(i);
                    }));
                return;
            }
            // The file ended early or failed: the response cannot be completed, and the client would misread
            // everything after it.
            return close(std::string("cannot send log data: ") + (n < 0 ? std::strerror(errno) : "file ended early"));
        }
        writeFrom(i + 1);
    }

    void close(const std::string& reason)
    {
        if (closed)
            return;
        closed = true;
        const auto keepUntilReturn = std::move(pausedSelf);
        if (!reason.empty())
            qCWarning(lcBroker).noquote() << QStringLiteral("closing connection from %1: %2")
                                                 .arg(QString::fromStdString(address), QString::fromStdString(reason));
        boost::system::error_code ec;
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        pending.clear();
        outgoing.clear();
        server->forget(id);
        if (server->closed)
            server->closed(id);
    }

    struct Slot
    {
        bool ready = false;
        std::vector<uint8_t> bytes;
        std::vector<ResponsePiece> more;
    };

    std::shared_ptr<Server::Private> server;
    tcp::socket socket;
    asio::strand<asio::io_context::executor_type> strand;
    uint64_t id;
    std::string address;
    enum class SaslState
    {
        None,
        HandshakeDone, // v1: SaslAuthenticate requests carry the tokens
        RawTokenNext, // v0: the next frame is a bare token
    };
    SaslState saslState = SaslState::None;
    std::string principal; // "User:NAME" after SASL authentication
    static constexpr size_t MaxLowWater = 1u << 20;
    static constexpr size_t MaxFramesPerTurn = 8;
    uint8_t sizeBuf[4] = {};
    std::vector<uint8_t> frame;
    bool inBody = false;
    size_t received = 0; // of the size prefix or of the body
    int lowWaterMark = 1; // the socket's SO_RCVLOWAT
    std::deque<Slot> pending;
    uint64_t headSeq = 0;
    std::vector<ResponsePiece> outgoing, inWrite;
    bool writing = false;
    bool reading = false;
    bool batching = false; // answers wait in `outgoing` until handleFrames() sends them
    bool closed = false;
    // While reading is paused for unanswered requests no read or write is in flight, and the answers to come only
    // hold the connection weakly (a closed one must be free to go): this keeps it alive until reading resumes or it
    // closes. Without it, a client with many requests in flight lost its connection without a word.
    std::shared_ptr<Connection> pausedSelf;
};

} // namespace

void Server::Private::accept()
{
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](auto ec, tcp::socket socket) {
        if (ec) {
            if (ec == asio::error::operation_aborted || !self->acceptor.is_open())
                return;
            qCWarning(lcBroker) << "accept failed:" << ec.message().c_str();
        } else {
            std::shared_ptr<Connection> conn;
            {
                std::lock_guard lock(self->mutex);
                if (self->stopped)
                    return;
                uint64_t id = self->nextId++;
                conn = std::make_shared<Connection>(self, std::move(socket), id);
                self->connections.emplace(id, conn);
            }
            conn->start();
        }
        self->accept();
    });
}

Server::Server(
    asio::io_context& io, Options options, const ApiVersionTable& table, Handler handler, ClosedHandler closed)
    : d(std::make_shared<Private>(io, std::move(options), table, std::move(handler), std::move(closed)))
{ }

Server::~Server()
{
    stop();
}

pw::Result<void> Server::listen()
{
    boost::system::error_code ec;
    auto address = asio::ip::make_address(d->options.host, ec);
    if (ec) {
        // Accept host names too ("localhost").
        asio::ip::tcp::resolver resolver(d->io);
        auto results = resolver.resolve(d->options.host, std::to_string(d->options.port), ec);
        if (ec || results.empty())
            return pw::fail(pw::Error::Code::Network,
                QStringLiteral("cannot resolve listen host %1").arg(QString::fromStdString(d->options.host)));
        address = results.begin()->endpoint().address();
    }
    tcp::endpoint ep(address, d->options.port);
    d->acceptor.open(ep.protocol(), ec);
    if (!ec)
        d->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        d->acceptor.bind(ep, ec);
    if (!ec)
        d->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return pw::fail(pw::Error::Code::Network,
            QStringLiteral("cannot listen on %1:%2: %3")
                .arg(QString::fromStdString(d->options.host))
                .arg(d->options.port)
                .arg(QString::fromStdString(ec.message())));
    d->boundPort = d->acceptor.local_endpoint().port();
    d->accept();
    return {};
}

uint16_t Server::port() const
{
    return d->boundPort;
}

const std::string& Server::host() const
{
    return d->options.host;
}

void Server::stop()
{
    std::vector<std::shared_ptr<Connection>> conns;
    {
        std::lock_guard lock(d->mutex);
        if (d->stopped)
            return;
        d->stopped = true;
        for (auto& [id, weak] : d->connections)
            if (auto c = weak.lock())
                conns.push_back(c);
    }
    asio::post(d->acceptor.get_executor(), [p = d] {
        boost::system::error_code ec;
        p->acceptor.close(ec);
    });
    for (auto& c : conns)
        asio::post(c->strand, [c] { c->close({}); });
}

uint64_t Server::requestCount() const
{
    return d->requests.load(std::memory_order_relaxed);
}

size_t Server::connectionCount() const
{
    std::lock_guard lock(d->mutex);
    return d->connections.size();
}

} // namespace pw::broker
