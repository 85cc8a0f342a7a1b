#pragma once

#include "config/config.h"
#include "model/error.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace pw::replay {

/// A job as Flink's `/jobs/overview` lists it.
struct FlinkJob
{
    QString id;
    QString name;
    QString state; // Flink's JobStatus name: RUNNING, FINISHED, CANCELED, FAILED, ...
    qint64 startTimeMs = -1;
};

/// A jar as Flink's `/jars` lists it.
struct FlinkJar
{
    QString id; // what `/jars/:jarid/run` takes
    QString name;
    QStringList entryClasses;
    qint64 uploadedMs = 0;
};

/// The state of a savepoint operation (`/jobs/:jobid/savepoints/:triggerid`).
struct SavepointStatus
{
    bool completed = false; // false: still IN_PROGRESS
    QString location; // when it completed with a savepoint
    QString failure; // when it completed with a failure-cause
};

/// A small blocking client of Flink's REST API for the steps of a recovery: read the jobs, stop one with a savepoint
/// (and wait for it), list the jars, run a jar without state or from a savepoint. HTTP or HTTPS (`http://host:port`,
/// optionally with a path prefix) through the shared HttpClient, so TLS settings, auth and proxies (`proxy:` or the
/// environment's) work as for the flink source. Each call runs on its own io_context: call it off the GUI thread; one
/// instance may be used from several threads. Errors are pw::Error values whose message names the call, the HTTP status
/// and the entries of Flink's `errors` array (Code::NotFound for a 404, Code::Refused for a 409, Code::Timeout when the
/// server or a savepoint took too long, else Code::Http / Network / Parse).
class FlinkClient
{
public:
    struct Options
    {
        QString baseUrl; // "http://127.0.0.1:8081"
        std::chrono::milliseconds requestTimeout {10000};
        std::chrono::milliseconds pollInterval {500}; // between polls of a savepoint trigger
        std::chrono::milliseconds savepointTimeout {std::chrono::minutes(5)};
        std::vector<std::pair<QByteArray, QByteArray>> headers; // e.g. Authorization, sent with every request
        HttpOptions http; // TLS, auth, headers and proxy of the flink source (its `url` is ignored: baseUrl is used)
    };

    explicit FlinkClient(Options options);

    /// `/jobs/overview`: every job the cluster lists.
    Result<std::vector<FlinkJob>> jobs() const;
    /// The job with this id (Code::NotFound when the cluster does not list it).
    Result<FlinkJob> job(const QString& jobId) const;
    /// The job with this name that runs, else the newest one with it; nullopt when none has it.
    Result<std::optional<FlinkJob>> jobNamed(const QString& name) const;

    /// `POST /jobs/:jobid/stop`: returns the trigger id.
    Result<QString> triggerStopWithSavepoint(
        const QString& jobId, const QString& targetDirectory, bool drain = false) const;
    Result<SavepointStatus> savepointStatus(const QString& jobId, const QString& triggerId) const;
    /// Stops the job with a savepoint and waits for it: the savepoint's location, or an error when the savepoint
    /// failed (Flink's failure cause) or did not complete within `savepointTimeout`. `cancelled` is asked between
    /// polls; when it says true the wait ends with Code::Cancelled (the stop itself may still complete).
    Result<QString> stopWithSavepoint(const QString& jobId, const QString& targetDirectory, bool drain = false,
        const std::function<bool()>& cancelled = {}) const;

    Result<std::vector<FlinkJar>> jars() const;
    /// `POST /jars/:jarid/run` with `programArgsList`; without a savepoint the job starts without state. Returns
    /// the new job's id.
    Result<QString> runJar(const QString& jarId, const QStringList& programArgs,
        const std::optional<QString>& savepointPath = std::nullopt, bool allowNonRestoredState = false) const;

    struct Response
    {
        int status = 0;
        QByteArray body;
    };
    /// One exchange; a non-2xx answer is a Response too (for callers that read Flink's errors themselves).
    Result<Response> request(const QByteArray& method, const QString& path, const QByteArray& jsonBody = {}) const;

private:
    /// POSTs `body` and returns the string `field` of the JSON object answered (a request id, a job id).
    Result<QString> postForField(const QString& path, const QJsonObject& body, const QString& field) const;
    Result<QByteArray> call(const QByteArray& method, const QString& path, const QByteArray& jsonBody = {}) const;

    Options m_options;
};

} // namespace pw::replay
