#pragma once

#include "model/error.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pw::demo {

class JobStatusBoard;

/// A jar the REST API lists under `/jars` (the demo job's "jar": it runs in process).
struct JarInfo
{
    QString id; // "<uuid>_<name>", as Flink names uploaded jars
    QString name;
    QString entryClass;
    std::int64_t uploadedMs = 0;
};

/// What the REST API asks of the jobs behind it: the operations a recovery needs. Implemented by the demo pipeline;
/// its calls must be thread-safe (they run on the server thread) and must not block for long. Errors map to HTTP:
/// Code::NotFound → 404, Code::Refused → 409, Code::Config/Parse → 400, anything else → 500.
class JobControl
{
public:
    virtual ~JobControl() = default;

    struct StopRequest
    {
        QString jobId;
        QString targetDirectory; // empty: the default savepoint directory
        bool drain = false; // emit every open window before stopping (Flink's MAX_WATERMARK)
    };
    /// Starts a stop-with-savepoint and returns its trigger id; its outcome lands on the board under that id.
    virtual Result<QString> stopWithSavepoint(const StopRequest& request) = 0;

    struct RunRequest
    {
        QString jarId;
        QStringList programArgs;
        QString savepointPath; // empty: start without state, from the group's committed offsets
        bool allowNonRestoredState = false;
    };
    /// Starts a new job from the jar; returns its job id.
    virtual Result<QString> runJar(const RunRequest& request) = 0;

    virtual std::vector<JarInfo> jars() const = 0;
};

/// A small HTTP/1.1 server (Boost.Beast, its own thread) that answers the part of Flink's REST API a monitoring tool
/// and a recovery use. From a JobStatusBoard: `GET /overview`, `/jobs`, `/jobs/overview`, `/jobs/:jobid`,
/// `/jobs/:jobid/checkpoints`, `/jobs/:jobid/savepoints/:triggerid`; through a JobControl: `POST /jobs/:jobid/stop`
/// (stop with savepoint), `GET /jars`, `POST /jars/:jarid/run`. Anything else is a JSON 404
/// `{"errors":["Not found: ..."]}`, a known path with the wrong method a 405.
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
    /// Without a `control` the server only reports: a stop is refused (409) and there are no jars.
    static Result<std::unique_ptr<FlinkRestServer>> start(
        const Options& options, const JobStatusBoard& board, JobControl* control = nullptr);
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
    static Answer answer(std::string_view request, const JobStatusBoard& board, JobControl* control = nullptr);

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
