#include "demo/flinkrestserver.h"

#include "demo/jobstatusboard.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <thread>

Q_LOGGING_CATEGORY(lcDemoRest, "pathwatch.demo.rest", QtWarningMsg)

namespace pw::demo {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kMaxHeaderBytes = 64 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 64 * 1024;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// --- JSON in the shapes of Flink 1.17's REST API ---------------------------------------------------------------

qint64 durationOf(const JobStatusView& job, qint64 now)
{
    if (job.startTimeMs <= 0)
        return 0;
    return std::max<qint64>(0, (job.endTimeMs >= 0 ? job.endTimeMs : now) - job.startTimeMs);
}

// The demo job has a single task (parallelism 1); it is in the task state matching the job state.
QJsonObject taskCounts(const JobStatusView& job)
{
    static const char* const kTaskStates[] = {"created", "scheduled", "deploying", "running", "finished", "canceling",
        "canceled", "failed", "reconciling", "initializing"};
    const QString s = job.state;
    const char* current = "created";
    if (s == QLatin1String("RUNNING"))
        current = "running";
    else if (s == QLatin1String("FINISHED"))
        current = "finished";
    else if (s == QLatin1String("CANCELLING") || s == QLatin1String("FAILING"))
        current = "canceling";
    else if (s == QLatin1String("CANCELED") || s == QLatin1String("SUSPENDED"))
        current = "canceled";
    else if (s == QLatin1String("FAILED"))
        current = "failed";
    else if (s == QLatin1String("RECONCILING"))
        current = "reconciling";
    else if (s == QLatin1String("INITIALIZING"))
        current = "initializing";
    QJsonObject tasks;
    tasks.insert(QStringLiteral("total"), 1);
    for (const char* name : kTaskStates)
        tasks.insert(QLatin1String(name), qstrcmp(name, current) == 0 ? 1 : 0);
    return tasks;
}

QJsonObject jobOverview(const JobStatusView& job, qint64 now)
{
    QJsonObject o;
    o.insert(QStringLiteral("jid"), job.jobId);
    o.insert(QStringLiteral("name"), job.name);
    o.insert(QStringLiteral("state"), job.state);
    o.insert(QStringLiteral("start-time"), job.startTimeMs > 0 ? job.startTimeMs : qint64(-1));
    o.insert(QStringLiteral("end-time"), qint64(job.endTimeMs));
    o.insert(QStringLiteral("duration"), durationOf(job, now));
    o.insert(QStringLiteral("last-modification"), qint64(job.lastModificationMs));
    o.insert(QStringLiteral("tasks"), taskCounts(job));
    return o;
}

QByteArray clusterOverview(const std::vector<JobStatusView>& jobs)
{
    int running = 0;
    int finished = 0;
    int cancelled = 0;
    int failed = 0;
    for (const JobStatusView& job : jobs) {
        const QString s = job.state;
        running += s == QLatin1String("RUNNING") || s == QLatin1String("CREATED") || s == QLatin1String("INITIALIZING")
            || s == QLatin1String("RESTARTING") || s == QLatin1String("FAILING") || s == QLatin1String("CANCELLING")
            || s == QLatin1String("RECONCILING");
        finished += s == QLatin1String("FINISHED");
        cancelled += s == QLatin1String("CANCELED");
        failed += s == QLatin1String("FAILED");
    }
    QJsonObject o;
    o.insert(QStringLiteral("taskmanagers"), 1);
    o.insert(QStringLiteral("slots-total"), 4);
    o.insert(QStringLiteral("slots-available"), std::max(0, 4 - running));
    o.insert(QStringLiteral("jobs-running"), running);
    o.insert(QStringLiteral("jobs-finished"), finished);
    o.insert(QStringLiteral("jobs-cancelled"), cancelled);
    o.insert(QStringLiteral("jobs-failed"), failed);
    o.insert(QStringLiteral("flink-version"), QStringLiteral("1.17.2"));
    o.insert(QStringLiteral("flink-commit"), QStringLiteral("c0027e5"));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray jobDetail(const JobStatusView& job, qint64 now)
{
    QJsonObject o;
    o.insert(QStringLiteral("jid"), job.jobId);
    o.insert(QStringLiteral("name"), job.name);
    o.insert(QStringLiteral("isStoppable"), false);
    o.insert(QStringLiteral("state"), job.state);
    o.insert(QStringLiteral("start-time"), job.startTimeMs > 0 ? job.startTimeMs : qint64(-1));
    o.insert(QStringLiteral("end-time"), qint64(job.endTimeMs));
    o.insert(QStringLiteral("duration"), durationOf(job, now));
    o.insert(QStringLiteral("maxParallelism"), 128);
    o.insert(QStringLiteral("now"), now);
    // Flink lists every job status, with 0 for the ones the job has not been in.
    static const char* const kJobStates[] = {"INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING",
        "CANCELED", "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING"};
    QJsonObject timestamps;
    for (const char* name : kJobStates) {
        const auto it = job.stateTimestamps.find(QLatin1String(name));
        timestamps.insert(QLatin1String(name), it == job.stateTimestamps.end() ? qint64(0) : it->second);
    }
    o.insert(QStringLiteral("timestamps"), timestamps);
    o.insert(QStringLiteral("vertices"), QJsonArray());
    const QJsonObject tasks = taskCounts(job);
    QJsonObject statusCounts;
    for (auto it = tasks.begin(); it != tasks.end(); ++it)
        if (it.key() != QLatin1String("total"))
            statusCounts.insert(it.key().toUpper(), it.value());
    o.insert(QStringLiteral("status-counts"), statusCounts);
    QJsonObject plan;
    plan.insert(QStringLiteral("jid"), job.jobId);
    plan.insert(QStringLiteral("name"), job.name);
    plan.insert(QStringLiteral("type"), QStringLiteral("STREAMING"));
    plan.insert(QStringLiteral("nodes"), QJsonArray());
    o.insert(QStringLiteral("plan"), plan);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject checkpointJson(const CheckpointRecord& c, qint64 now)
{
    using Status = CheckpointRecord::Status;
    QJsonObject o;
    // Flink tags the polymorphic CheckpointStatistics with its Jackson type name.
    o.insert(QStringLiteral("@class"),
        c.status == Status::Completed    ? QStringLiteral("completed")
            : c.status == Status::Failed ? QStringLiteral("failed")
                                         : QStringLiteral("in_progress"));
    o.insert(QStringLiteral("id"), qint64(c.id));
    o.insert(QStringLiteral("status"),
        c.status == Status::Completed    ? QStringLiteral("COMPLETED")
            : c.status == Status::Failed ? QStringLiteral("FAILED")
                                         : QStringLiteral("IN_PROGRESS"));
    o.insert(QStringLiteral("is_savepoint"), c.savepoint);
    o.insert(QStringLiteral("trigger_timestamp"), qint64(c.triggerTimestampMs));
    o.insert(QStringLiteral("latest_ack_timestamp"), c.latestAckTimestampMs > 0 ? c.latestAckTimestampMs : qint64(-1));
    o.insert(QStringLiteral("checkpointed_size"), qint64(c.stateSizeBytes));
    o.insert(QStringLiteral("state_size"), qint64(c.stateSizeBytes));
    o.insert(QStringLiteral("end_to_end_duration"),
        c.status == Status::InProgress ? std::max<qint64>(0, now - c.triggerTimestampMs) : c.endToEndDurationMs);
    o.insert(QStringLiteral("alignment_buffered"), 0);
    o.insert(QStringLiteral("processed_data"), 0);
    o.insert(QStringLiteral("persisted_data"), 0);
    o.insert(QStringLiteral("num_subtasks"), 1);
    o.insert(QStringLiteral("num_acknowledged_subtasks"), c.status == Status::Completed ? 1 : 0);
    o.insert(
        QStringLiteral("checkpoint_type"), c.savepoint ? QStringLiteral("SAVEPOINT") : QStringLiteral("CHECKPOINT"));
    o.insert(QStringLiteral("tasks"), QJsonObject());
    if (c.status == Status::Completed) {
        o.insert(QStringLiteral("external_path"),
            c.externalPath.isEmpty() ? QStringLiteral("<checkpoint-not-externally-addressable>") : c.externalPath);
        o.insert(QStringLiteral("discarded"), false);
    } else if (c.status == Status::Failed) {
        o.insert(QStringLiteral("failure_timestamp"), qint64(c.triggerTimestampMs + c.endToEndDurationMs));
        o.insert(QStringLiteral("failure_message"), c.failureMessage);
    }
    return o;
}

// min/max/avg over every completed checkpoint; the percentiles over those still in the history, as Flink computes
// them over a bounded window.
QJsonObject statsSummary(const JobStatusView::Stats& stats, std::vector<qint64> window)
{
    QJsonObject o;
    o.insert(QStringLiteral("min"), qint64(stats.count ? stats.min : 0));
    o.insert(QStringLiteral("max"), qint64(stats.count ? stats.max : 0));
    o.insert(QStringLiteral("avg"), qint64(stats.count ? stats.sum / stats.count : 0));
    std::sort(window.begin(), window.end());
    const auto quantile = [&window](double q) -> double {
        if (window.empty())
            return 0;
        const auto rank = std::min<size_t>(window.size() - 1, size_t(q * double(window.size())));
        return double(window[rank]);
    };
    o.insert(QStringLiteral("p50"), quantile(0.5));
    o.insert(QStringLiteral("p90"), quantile(0.9));
    o.insert(QStringLiteral("p95"), quantile(0.95));
    o.insert(QStringLiteral("p99"), quantile(0.99));
    o.insert(QStringLiteral("p999"), quantile(0.999));
    return o;
}

QByteArray checkpoints(const JobStatusView& job, qint64 now)
{
    QJsonObject counts;
    counts.insert(QStringLiteral("restored"), job.restored ? 1 : 0);
    counts.insert(QStringLiteral("total"), qint64(job.completedCount + job.failedCount + job.inProgressCount));
    counts.insert(QStringLiteral("in_progress"), qint64(job.inProgressCount));
    counts.insert(QStringLiteral("completed"), qint64(job.completedCount));
    counts.insert(QStringLiteral("failed"), qint64(job.failedCount));

    std::vector<qint64> durations;
    std::vector<qint64> sizes;
    QJsonArray history;
    for (const CheckpointRecord& c : job.history) {
        history.append(checkpointJson(c, now));
        if (c.status == CheckpointRecord::Status::Completed) {
            durations.push_back(c.endToEndDurationMs);
            sizes.push_back(c.stateSizeBytes);
        }
    }
    QJsonObject summary;
    const QJsonObject sizeSummary = statsSummary(job.stateSizeStats, sizes);
    summary.insert(QStringLiteral("checkpointed_size"), sizeSummary);
    summary.insert(QStringLiteral("state_size"), sizeSummary);
    summary.insert(QStringLiteral("end_to_end_duration"), statsSummary(job.endToEndDurationStats, durations));
    QJsonObject zeroMinMaxAvg;
    zeroMinMaxAvg.insert(QStringLiteral("min"), 0);
    zeroMinMaxAvg.insert(QStringLiteral("max"), 0);
    zeroMinMaxAvg.insert(QStringLiteral("avg"), 0);
    summary.insert(QStringLiteral("alignment_buffered"), zeroMinMaxAvg);
    const QJsonObject zeroSummary = statsSummary({}, {});
    summary.insert(QStringLiteral("processed_data"), zeroSummary);
    summary.insert(QStringLiteral("persisted_data"), zeroSummary);

    QJsonObject latest;
    latest.insert(QStringLiteral("completed"),
        job.latestCompleted ? QJsonValue(checkpointJson(*job.latestCompleted, now)) : QJsonValue(QJsonValue::Null));
    latest.insert(QStringLiteral("savepoint"),
        job.latestSavepoint ? QJsonValue(checkpointJson(*job.latestSavepoint, now)) : QJsonValue(QJsonValue::Null));
    latest.insert(QStringLiteral("failed"),
        job.latestFailed ? QJsonValue(checkpointJson(*job.latestFailed, now)) : QJsonValue(QJsonValue::Null));
    QJsonValue restored(QJsonValue::Null);
    if (job.restored)
        restored = QJsonObject {{QStringLiteral("id"), qint64(job.restored->id)},
            {QStringLiteral("restore_timestamp"), qint64(job.restored->restoreTimestampMs)},
            {QStringLiteral("is_savepoint"), job.restored->savepoint},
            {QStringLiteral("external_path"), job.restored->externalPath}};
    latest.insert(QStringLiteral("restored"), restored);

    QJsonObject o;
    o.insert(QStringLiteral("counts"), counts);
    o.insert(QStringLiteral("summary"), summary);
    o.insert(QStringLiteral("latest"), latest);
    o.insert(QStringLiteral("history"), history);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray errors(const QString& message)
{
    QJsonObject o;
    o.insert(QStringLiteral("errors"), QJsonArray {message});
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

struct Reply
{
    http::status status = http::status::ok;
    QByteArray body;
    const char* allow = "GET"; // for a 405: the method the path takes
};

QByteArray compact(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

Reply errorReply(const Error& error)
{
    const http::status status = error.code == Error::Code::NotFound             ? http::status::not_found
        : error.code == Error::Code::Refused                                    ? http::status::conflict
        : error.code == Error::Code::Config || error.code == Error::Code::Parse ? http::status::bad_request
                                                                                : http::status::internal_server_error;
    return {status, errors(error.message)};
}

QByteArray jobsOverview(const JobStatusBoard& board, qint64 now)
{
    QJsonArray jobs;
    for (const JobStatusView& job : board.jobs())
        jobs.append(jobOverview(job, now));
    return compact(QJsonObject {{QStringLiteral("jobs"), jobs}});
}

QByteArray savepointStatus(const SavepointTrigger& trigger)
{
    using Status = SavepointTrigger::Status;
    QJsonObject o;
    // Flink reports a finished operation as COMPLETED either way; a failure carries a failure-cause instead of a
    // location.
    o.insert(QStringLiteral("status"),
        QJsonObject {{QStringLiteral("id"),
            trigger.status == Status::InProgress ? QStringLiteral("IN_PROGRESS") : QStringLiteral("COMPLETED")}});
    if (trigger.status == Status::InProgress)
        o.insert(QStringLiteral("operation"), QJsonValue(QJsonValue::Null));
    else if (trigger.status == Status::Completed)
        o.insert(QStringLiteral("operation"), QJsonObject {{QStringLiteral("location"), trigger.location}});
    else
        o.insert(QStringLiteral("operation"),
            QJsonObject {{QStringLiteral("failure-cause"),
                QJsonObject {{QStringLiteral("class"), QStringLiteral("org.apache.flink.util.FlinkException")},
                    {QStringLiteral("stack-trace"),
                        QString(QStringLiteral("org.apache.flink.util.FlinkException: ") + trigger.failureMessage)},
                    {QStringLiteral("serialized-throwable"), QJsonValue(QString())}}}});
    return compact(o);
}

QByteArray jarsJson(const std::vector<JarInfo>& jars, const http::request<http::string_body>& request)
{
    QJsonArray files;
    for (const JarInfo& jar : jars)
        files.append(QJsonObject {{QStringLiteral("id"), jar.id}, {QStringLiteral("name"), jar.name},
            {QStringLiteral("uploaded"), qint64(jar.uploadedMs)},
            {QStringLiteral("entry"),
                QJsonArray {QJsonObject {{QStringLiteral("name"), jar.entryClass},
                    {QStringLiteral("description"), QJsonValue(QJsonValue::Null)}}}}});
    const auto host = request[http::field::host];
    return compact(
        QJsonObject {{QStringLiteral("address"),
                         QString(QStringLiteral("http://") + QString::fromUtf8(host.data(), qsizetype(host.size())))},
            {QStringLiteral("files"), files}});
}

// The JSON object of a POST body; an empty body is an empty object, as Flink treats a body-less request.
std::optional<QJsonObject> bodyObject(const http::request<http::string_body>& request)
{
    const std::string& body = request.body();
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        return QJsonObject {};
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(body));
    if (!document.isObject())
        return std::nullopt;
    return document.object();
}

// Flink splits `programArgs` on whitespace, keeping quoted runs together.
QStringList tokenize(const QString& text)
{
    QStringList tokens;
    QString current;
    QChar quote;
    bool inToken = false;
    for (const QChar c : text) {
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
            else
                current += c;
        } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            quote = c;
            inToken = true;
        } else if (c.isSpace()) {
            if (inToken)
                tokens << current;
            current.clear();
            inToken = false;
        } else {
            current += c;
            inToken = true;
        }
    }
    if (inToken)
        tokens << current;
    return tokens;
}

Reply stopJob(const QString& jobId, const http::request<http::string_body>& request, const JobStatusBoard& board,
    JobControl* control)
{
    if (!board.job(jobId))
        return {http::status::not_found, errors(QStringLiteral("Job %1 not found").arg(jobId))};
    const auto body = bodyObject(request);
    if (!body || (body->contains(QStringLiteral("drain")) && !body->value(QStringLiteral("drain")).isBool())
        || (body->contains(QStringLiteral("targetDirectory"))
            && !body->value(QStringLiteral("targetDirectory")).isString()
            && !body->value(QStringLiteral("targetDirectory")).isNull()))
        return {http::status::bad_request,
            errors(QStringLiteral("Request did not match expected format StopWithSavepointRequestBody."))};
    if (!control)
        return {http::status::conflict, errors(QStringLiteral("This cluster cannot stop jobs."))};
    auto trigger = control->stopWithSavepoint({jobId, body->value(QStringLiteral("targetDirectory")).toString(),
        body->value(QStringLiteral("drain")).toBool(false)});
    if (!trigger)
        return errorReply(trigger.error());
    return {http::status::accepted, compact(QJsonObject {{QStringLiteral("request-id"), *trigger}})};
}

Reply runJar(const QString& jarId, const http::request<http::string_body>& request, JobControl* control)
{
    const auto body = bodyObject(request);
    if (!body)
        return {http::status::bad_request,
            errors(QStringLiteral("Request did not match expected format JarRunRequestBody."))};
    const bool hasArgs = !body->value(QStringLiteral("programArgs")).toString().isEmpty();
    const bool hasList = !body->value(QStringLiteral("programArgsList")).toArray().isEmpty();
    if (hasArgs && hasList)
        return {http::status::bad_request,
            errors(QStringLiteral("Confusing request: programArgs and programArgsList are specified, please, use "
                                  "only programArgsList"))};
    JobControl::RunRequest run;
    run.jarId = jarId;
    if (hasList)
        for (const auto& value : body->value(QStringLiteral("programArgsList")).toArray())
            run.programArgs << value.toString();
    else
        run.programArgs = tokenize(body->value(QStringLiteral("programArgs")).toString());
    run.savepointPath = body->value(QStringLiteral("savepointPath")).toString();
    run.allowNonRestoredState = body->value(QStringLiteral("allowNonRestoredState")).toBool(false);
    if (!control)
        return {http::status::not_found, errors(QStringLiteral("Jar file %1 does not exist").arg(jarId))};
    auto jobId = control->runJar(run);
    if (!jobId)
        return errorReply(jobId.error());
    return {http::status::ok, compact(QJsonObject {{QStringLiteral("jobid"), *jobId}})};
}

Reply route(const http::request<http::string_body>& request, const JobStatusBoard& board, JobControl* control)
{
    const std::string_view target = request.target();
    const QString path = QString::fromUtf8(target.substr(0, target.find('?')));
    const bool get = request.method() == http::verb::get;
    const bool post = request.method() == http::verb::post;
    auto notAllowed = [&](const char* allow) {
        return Reply {http::status::method_not_allowed,
            errors(
                QStringLiteral("Method %1 is not allowed on %2").arg(QString::fromUtf8(request.method_string()), path)),
            allow};
    };

    // Flink also serves each route under its API version prefix.
    QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (!parts.isEmpty() && parts.front() == QLatin1String("v1"))
        parts.removeFirst();
    const qint64 now = nowMs();
    const auto is = [&parts](std::initializer_list<const char*> shape) {
        if (parts.size() != qsizetype(shape.size()))
            return false;
        qsizetype i = 0;
        for (const char* piece : shape) {
            if (piece && parts[i] != QLatin1String(piece))
                return false;
            ++i;
        }
        return true;
    };

    if (is({"jobs", nullptr, "stop"}))
        return post ? stopJob(parts[1], request, board, control) : notAllowed("POST");
    if (is({"jars", nullptr, "run"}))
        return post ? runJar(parts[1], request, control) : notAllowed("POST");
    const bool known = is({"overview"}) || is({"jobs"}) || is({"jobs", nullptr}) || is({"jars"})
        || is({"jobs", nullptr, "checkpoints"}) || is({"jobs", nullptr, "savepoints", nullptr});
    if (!get)
        return known ? notAllowed("GET")
                     : Reply {http::status::not_found, errors(QStringLiteral("Not found: %1").arg(path))};

    if (is({"overview"}))
        return {http::status::ok, clusterOverview(board.jobs())};
    if (is({"jobs", "overview"}))
        return {http::status::ok, jobsOverview(board, now)};
    if (is({"jobs"})) {
        QJsonArray jobs;
        for (const JobStatusView& job : board.jobs())
            jobs.append(QJsonObject {{QStringLiteral("id"), job.jobId}, {QStringLiteral("status"), job.state}});
        return {http::status::ok, compact(QJsonObject {{QStringLiteral("jobs"), jobs}})};
    }
    if (is({"jars"}))
        return {http::status::ok, jarsJson(control ? control->jars() : std::vector<JarInfo> {}, request)};
    if (is({"jobs", nullptr}) || is({"jobs", nullptr, "checkpoints"}) || is({"jobs", nullptr, "savepoints", nullptr})) {
        const auto job = board.job(parts[1]);
        if (!job)
            return {http::status::not_found, errors(QStringLiteral("Job %1 not found").arg(parts[1]))};
        if (parts.size() == 2)
            return {http::status::ok, jobDetail(*job, now)};
        if (parts.size() == 3)
            return {http::status::ok, checkpoints(*job, now)};
        const auto trigger = board.trigger(parts[3]);
        if (!trigger || trigger->jobId != job->jobId)
            return {http::status::not_found,
                errors(QStringLiteral("There is no savepoint operation with triggerId=%1 for job %2.")
                           .arg(parts[3], parts[1]))};
        return {http::status::ok, savepointStatus(*trigger)};
    }
    return {http::status::not_found, errors(QStringLiteral("Not found: %1").arg(path))};
}

// What a request the parser refused gets: its status, and an error body saying why.
Reply refusal(const beast::error_code& ec)
{
    const http::status status = ec == http::error::header_limit ? http::status::request_header_fields_too_large
        : ec == http::error::body_limit                         ? http::status::payload_too_large
                                                                : http::status::bad_request;
    return {status, errors(QStringLiteral("Bad request: %1").arg(QString::fromStdString(ec.message())))};
}

// --- connections -----------------------------------------------------------------------------------------------

class Session : public std::enable_shared_from_this<Session>
{
public:
    Session(tcp::socket socket, const JobStatusBoard& board, JobControl* control, std::chrono::milliseconds idleTimeout)
        : m_stream(std::move(socket))
        , m_board(board)
        , m_control(control)
        , m_idleTimeout(idleTimeout)
    { }

    void start() { readRequest(); }

    // Runs on the server thread.
    void close()
    {
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.close();
    }

private:
    void readRequest()
    {
        m_parser.emplace();
        m_parser->header_limit(kMaxHeaderBytes);
        m_parser->body_limit(kMaxBodyBytes);
        m_stream.expires_after(m_idleTimeout);
        http::async_read(m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec)
    {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted
            || ec == asio::error::connection_reset || ec == asio::error::eof) {
            close();
            return;
        }
        if (ec) {
            // Nothing more on this connection can be trusted to be framed correctly: say why and hang up.
            qCDebug(lcDemoRest) << "bad request:" << QString::fromStdString(ec.message());
            Reply reply = refusal(ec);
            send(reply, false, 11);
            return;
        }
        const auto& request = m_parser->get();
        Reply reply = route(request, m_board, m_control);
        send(reply, request.keep_alive(), request.version());
    }

    void send(const Reply& reply, bool keepAlive, unsigned version)
    {
        auto response = std::make_shared<http::response<http::string_body>>(reply.status, version);
        response->set(http::field::content_type, "application/json; charset=UTF-8");
        response->set(http::field::access_control_allow_origin, "*");
        if (reply.status == http::status::method_not_allowed)
            response->set(http::field::allow, reply.allow);
        response->body().assign(reply.body.constData(), size_t(reply.body.size()));
        response->keep_alive(keepAlive);
        response->prepare_payload();
        m_stream.expires_after(m_idleTimeout);
        http::async_write(
            m_stream, *response, [self = shared_from_this(), response, keepAlive](beast::error_code ec, std::size_t) {
                if (ec || !keepAlive) {
                    self->close();
                    return;
                }
                self->readRequest();
            });
    }

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    const JobStatusBoard& m_board;
    JobControl* m_control;
    std::chrono::milliseconds m_idleTimeout;
};

} // namespace

struct FlinkRestServer::Private
{
    Private(const JobStatusBoard& b, JobControl* c)
        : board(b)
        , control(c)
    { }

    void accept()
    {
        acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (stopping)
                return;
            if (ec) {
                // Typically out of file descriptors: retrying at once would spin, so give connections time to close.
                qCWarning(lcDemoRest) << "accept failed:" << QString::fromStdString(ec.message());
                retryTimer.expires_after(std::chrono::milliseconds(100));
                retryTimer.async_wait([this](beast::error_code waitError) {
                    if (!waitError && !stopping)
                        accept();
                });
                return;
            }
            sessions.remove_if([](const std::weak_ptr<Session>& s) { return s.expired(); });
            auto session = std::make_shared<Session>(std::move(socket), board, control, idleTimeout);
            sessions.push_back(session);
            session->start();
            accept();
        });
    }

    const JobStatusBoard& board;
    JobControl* control;
    std::string host;
    std::uint16_t port = 0;
    std::chrono::milliseconds idleTimeout {30000};
    asio::io_context io {1};
    tcp::acceptor acceptor {io};
    asio::steady_timer retryTimer {io};
    std::list<std::weak_ptr<Session>> sessions; // only touched on the server thread
    bool stopping = false; // only touched on the server thread
    std::thread thread;
    std::atomic<bool> stopped {false};
};

FlinkRestServer::Answer FlinkRestServer::answer(
    std::string_view request, const JobStatusBoard& board, JobControl* control)
{
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    parser.eager(true);
    beast::error_code ec;
    parser.put(asio::buffer(request.data(), request.size()), ec);
    if (!ec && !parser.is_done())
        ec = http::error::partial_message;
    const Reply reply = ec ? refusal(ec) : route(parser.get(), board, control);
    return {int(reply.status), reply.body};
}

FlinkRestServer::FlinkRestServer() = default;

FlinkRestServer::~FlinkRestServer()
{
    stop();
}

Result<std::unique_ptr<FlinkRestServer>> FlinkRestServer::start(
    const Options& options, const JobStatusBoard& board, JobControl* control)
{
    std::unique_ptr<FlinkRestServer> server(new FlinkRestServer());
    server->d = std::make_unique<Private>(board, control);
    Private& d = *server->d;
    d.host = options.host;
    d.idleTimeout = std::chrono::milliseconds(std::max(1, options.idleTimeoutMs));
    const QString where = QStringLiteral("%1:%2").arg(QString::fromStdString(options.host)).arg(options.port);
    beast::error_code ec;
    tcp::resolver resolver(d.io);
    const auto endpoints = resolver.resolve(
        options.host, std::to_string(options.port), tcp::resolver::numeric_service | tcp::resolver::passive, ec);
    if (ec || endpoints.empty())
        return fail(Error::Code::Network,
            QStringLiteral("Flink REST API: cannot resolve %1: %2").arg(where, QString::fromStdString(ec.message())));
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    d.acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        d.acceptor.bind(endpoint, ec);
    if (!ec)
        d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return fail(Error::Code::Network,
            QStringLiteral("Flink REST API: cannot listen on %1: %2").arg(where, QString::fromStdString(ec.message())));
    d.port = d.acceptor.local_endpoint().port();
    d.accept();
    d.thread = std::thread([&d] { d.io.run(); });
    return server;
}

std::uint16_t FlinkRestServer::port() const
{
    return d->port;
}

std::string FlinkRestServer::url() const
{
    const bool v6 = d->host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + d->host + "]" : d->host) + ":" + std::to_string(d->port);
}

void FlinkRestServer::stop()
{
    if (!d || d->stopped.exchange(true))
        return;
    Private* p = d.get();
    // Closing the listener and every connection leaves the io_context without work, so run() returns on its own.
    asio::post(p->io, [p] {
        p->stopping = true;
        beast::error_code ec;
        p->acceptor.close(ec);
        p->retryTimer.cancel();
        for (auto& weak : p->sessions)
            if (auto session = weak.lock())
                session->close();
        p->sessions.clear();
    });
    if (p->thread.joinable())
        p->thread.join();
}

} // namespace pw::demo
