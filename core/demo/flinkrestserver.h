#pragma once

#include "model/error.h"

#include <QByteArray>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pw::demo {

class JobStatusBoard;

/// A small HTTP/1.1 server (Boost.Beast, its own thread) that answers the read-only part of Flink's REST API a
/// monitoring tool uses, from a JobStatusBoard: `GET /overview`, `/jobs/overview`, `/jobs/:jobid`,
/// `/jobs/:jobid/checkpoints`; anything else is a JSON 404 `{"errors":["Not found: ..."]}`, a non-GET a 405.
/// Field names and shapes follow Flink 1.17's REST API, so Pathwatch's own Flink source reads it like a real
/// JobManager. Binds loopback unless told otherwise. Each request reads a fresh JobStatusBoard::view(), so the board
/// must outlive the server. start/stop/port/url may be called from any thread; stop() and the destructor close
/// the listener and every connection and join the server thread.
class FlinkRestServer
{
public:
    struct Options
    {
        std::string host = "127.0.0.1";
        std::uint16_t port = 8081; // 0: any free port
        int idleTimeoutMs = 30000; // a connection that sends no complete request for this long is closed
    };

    /// Binds and starts serving; an error names the address when it cannot bind.
    static Result<std::unique_ptr<FlinkRestServer>> start(const Options& options, const JobStatusBoard& board);
    ~FlinkRestServer(); // stops
    FlinkRestServer(const FlinkRestServer&) = delete;
    FlinkRestServer& operator=(const FlinkRestServer&) = delete;

    /// How the server answers the raw bytes of one HTTP/1.1 request (same limits and routes): for tests and the
    /// fuzz target, which drive the request handling without a socket.
    struct Answer
    {
        int status = 0;
        QByteArray body; // JSON
    };
    static Answer answer(std::string_view request, const JobStatusBoard& board);

    std::uint16_t port() const;
    /// "http://127.0.0.1:8081"
    std::string url() const;
    void stop();

private:
    FlinkRestServer();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pw::demo
