#include "replay/flinkclient.h"

#include "sources/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

#include <boost/asio/io_context.hpp>

#include <thread>

namespace pw::replay {

namespace {

namespace asio = boost::asio;

constexpr qint64 kMaxBodyBytes = 16 * 1024 * 1024;
constexpr qsizetype kMaxErrorChars = 500;

// "HTTP 404: Job x not found; ..." from Flink's {"errors": [...]}; the body itself when it is not that shape.
QString flinkErrors(int status, const QByteArray& body)
{
    QStringList entries;
    for (const auto& value : QJsonDocument::fromJson(body).object().value(QStringLiteral("errors")).toArray()) {
        QString entry = value.toString().trimmed();
        if (entry.size() > kMaxErrorChars)
            entry = entry.left(kMaxErrorChars) + QStringLiteral("…");
        if (!entry.isEmpty())
            entries << entry;
    }
    if (entries.isEmpty() && !body.trimmed().isEmpty())
        entries << QString::fromUtf8(body.trimmed().left(kMaxErrorChars));
    return QStringLiteral("HTTP %1%2")
        .arg(status)
        .arg(entries.isEmpty() ? QString() : QStringLiteral(": ") + entries.join(QStringLiteral("; ")));
}

Error::Code codeFor(int status)
{
    return status == 404 ? Error::Code::NotFound : status == 409 ? Error::Code::Refused : Error::Code::Http;
}

Result<QJsonObject> objectOf(const QByteArray& body, const QString& what)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (!document.isObject())
        return fail(Error::Code::Parse,
            QStringLiteral("Flink REST %1: the answer is not a JSON object (%2)").arg(what, error.errorString()));
    return document.object();
}

FlinkJob jobFrom(const QJsonObject& o)
{
    return {o.value(QStringLiteral("jid")).toString(), o.value(QStringLiteral("name")).toString(),
        o.value(QStringLiteral("state")).toString(), qint64(o.value(QStringLiteral("start-time")).toDouble(-1))};
}

} // namespace

FlinkClient::FlinkClient(Options options)
    : m_options(std::move(options))
{ }

Result<FlinkClient::Response> FlinkClient::request(
    const QByteArray& method, const QString& path, const QByteArray& jsonBody) const
{
    const QString what = QString::fromLatin1(method) + QLatin1Char(' ') + path;
    const QUrl base(m_options.baseUrl);
    if (!base.isValid() || (base.scheme() != QLatin1String("http") && base.scheme() != QLatin1String("https"))
        || base.host().isEmpty())
        return fail(Error::Code::Config,
            QStringLiteral("Flink REST URL %1: expected http://host:port").arg(redactedUrl(m_options.baseUrl)));
    QString prefix = m_options.baseUrl;
    while (prefix.endsWith(QLatin1Char('/')))
        prefix.chop(1);

    HttpRequest request;
    request.url = prefix + path;
    request.method = method;
    request.accept = "application/json";
    request.timeoutMs = m_options.requestTimeout.count();
    request.defaultMaxBodyBytes = kMaxBodyBytes;
    request.allowErrorStatus = true;
    request.options = m_options.http;
    for (const auto& [name, value] : m_options.headers)
        request.options.headers.emplace_back(QString::fromLatin1(name), QString::fromUtf8(value));
    if (method != "GET") {
        request.contentType = "application/json";
        request.body = jsonBody.isEmpty() ? QByteArray("{}") : jsonBody;
    }

    // A blocking call: its own io_context, run on this thread until the one exchange is over.
    asio::io_context io;
    std::optional<Result<HttpResponse>> answer;
    {
        HttpClient client(io);
        client.request(std::move(request), [&answer](Result<HttpResponse> r) { answer = std::move(r); });
        io.run();
    }
    if (!answer)
        return fail(Error::Code::Generic, QStringLiteral("Flink REST %1: no answer").arg(what));
    if (!*answer) {
        Error e = answer->error();
        // Refused here means a 409 from Flink; a connection that could not be made is a network failure.
        if (e.code == Error::Code::Refused)
            e.code = Error::Code::Network;
        e.message = QStringLiteral("Flink REST %1 at %2: %3").arg(what, redactedUrl(m_options.baseUrl), e.message);
        return std::unexpected(e);
    }
    return Response {(*answer)->status, (*answer)->body};
}

Result<QByteArray> FlinkClient::call(const QByteArray& method, const QString& path, const QByteArray& jsonBody) const
{
    auto response = request(method, path, jsonBody);
    if (!response)
        return std::unexpected(response.error());
    if (response->status < 200 || response->status >= 300)
        return fail(codeFor(response->status),
            QStringLiteral("Flink REST %1 %2: %3")
                .arg(QString::fromLatin1(method), path, flinkErrors(response->status, response->body)));
    return response->body;
}

Result<std::vector<FlinkJob>> FlinkClient::jobs() const
{
    auto body = call("GET", QStringLiteral("/jobs/overview"));
    if (!body)
        return std::unexpected(body.error());
    auto root = objectOf(*body, QStringLiteral("GET /jobs/overview"));
    if (!root)
        return std::unexpected(root.error());
    std::vector<FlinkJob> result;
    for (const auto& value : root->value(QStringLiteral("jobs")).toArray())
        result.push_back(jobFrom(value.toObject()));
    return result;
}

Result<FlinkJob> FlinkClient::job(const QString& jobId) const
{
    auto all = jobs();
    if (!all)
        return std::unexpected(all.error());
    for (const FlinkJob& j : *all)
        if (j.id == jobId)
            return j;
    return fail(Error::Code::NotFound, QStringLiteral("Flink lists no job %1 at %2").arg(jobId, m_options.baseUrl));
}

Result<std::optional<FlinkJob>> FlinkClient::jobNamed(const QString& name) const
{
    auto all = jobs();
    if (!all)
        return std::unexpected(all.error());
    std::optional<FlinkJob> best;
    for (const FlinkJob& j : *all) {
        if (j.name != name)
            continue;
        const bool running = j.state == QLatin1String("RUNNING");
        const bool bestRunning = best && best->state == QLatin1String("RUNNING");
        if (!best || (running && !bestRunning) || (running == bestRunning && j.startTimeMs > best->startTimeMs))
            best = j;
    }
    return best;
}

Result<QString> FlinkClient::triggerStopWithSavepoint(
    const QString& jobId, const QString& targetDirectory, bool drain) const
{
    QJsonObject body {{QStringLiteral("drain"), drain}};
    if (!targetDirectory.isEmpty())
        body.insert(QStringLiteral("targetDirectory"), targetDirectory);
    return postForField(QStringLiteral("/jobs/%1/stop").arg(jobId), body, QStringLiteral("request-id"));
}

Result<SavepointStatus> FlinkClient::savepointStatus(const QString& jobId, const QString& triggerId) const
{
    const QString path = QStringLiteral("/jobs/%1/savepoints/%2").arg(jobId, triggerId);
    auto answer = call("GET", path);
    if (!answer)
        return std::unexpected(answer.error());
    auto root = objectOf(*answer, QStringLiteral("GET ") + path);
    if (!root)
        return std::unexpected(root.error());
    const QString status = root->value(QStringLiteral("status")).toObject().value(QStringLiteral("id")).toString();
    SavepointStatus result;
    if (status == QLatin1String("IN_PROGRESS"))
        return result;
    if (status != QLatin1String("COMPLETED") && status != QLatin1String("FAILED"))
        return fail(Error::Code::Parse, QStringLiteral("Flink REST GET %1: unknown status \"%2\"").arg(path, status));
    result.completed = true;
    const QJsonObject operation = root->value(QStringLiteral("operation")).toObject();
    result.location = operation.value(QStringLiteral("location")).toString();
    const QJsonValue cause = operation.value(QStringLiteral("failure-cause"));
    if (cause.isObject()) {
        const QJsonObject c = cause.toObject();
        const QString trace = c.value(QStringLiteral("stack-trace")).toString();
        result.failure
            = trace.isEmpty() ? c.value(QStringLiteral("class")).toString() : trace.section(QLatin1Char('\n'), 0, 0);
        if (result.failure.isEmpty())
            result.failure = QStringLiteral("unknown failure");
    } else if (status == QLatin1String("FAILED") || result.location.isEmpty()) {
        result.failure = QStringLiteral("the savepoint completed without a location");
    }
    return result;
}

Result<QString> FlinkClient::stopWithSavepoint(
    const QString& jobId, const QString& targetDirectory, bool drain, const std::function<bool()>& cancelled) const
{
    auto trigger = triggerStopWithSavepoint(jobId, targetDirectory, drain);
    if (!trigger)
        return std::unexpected(trigger.error());
    const auto deadline = std::chrono::steady_clock::now() + m_options.savepointTimeout;
    for (;;) {
        auto status = savepointStatus(jobId, *trigger);
        if (!status)
            return std::unexpected(status.error());
        if (status->completed) {
            if (!status->failure.isEmpty())
                return fail(Error::Code::Http,
                    QStringLiteral("Flink could not stop job %1 with a savepoint: %2").arg(jobId, status->failure));
            return status->location;
        }
        if (cancelled && cancelled())
            return fail(Error::Code::Cancelled,
                QStringLiteral("stopped waiting for the savepoint of job %1 (trigger %2)").arg(jobId, *trigger));
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(Error::Code::Timeout,
                QStringLiteral("the savepoint of job %1 (trigger %2) did not complete within %3 s")
                    .arg(jobId, *trigger)
                    .arg(std::chrono::duration_cast<std::chrono::seconds>(m_options.savepointTimeout).count()));
        std::this_thread::sleep_for(m_options.pollInterval);
    }
}

Result<std::vector<FlinkJar>> FlinkClient::jars() const
{
    auto answer = call("GET", QStringLiteral("/jars"));
    if (!answer)
        return std::unexpected(answer.error());
    auto root = objectOf(*answer, QStringLiteral("GET /jars"));
    if (!root)
        return std::unexpected(root.error());
    std::vector<FlinkJar> result;
    for (const auto& value : root->value(QStringLiteral("files")).toArray()) {
        const QJsonObject o = value.toObject();
        FlinkJar jar {o.value(QStringLiteral("id")).toString(), o.value(QStringLiteral("name")).toString(), {},
            o.value(QStringLiteral("uploaded")).toInteger()};
        for (const auto& entry : o.value(QStringLiteral("entry")).toArray())
            jar.entryClasses << entry.toObject().value(QStringLiteral("name")).toString();
        result.push_back(std::move(jar));
    }
    return result;
}

Result<QString> FlinkClient::runJar(const QString& jarId, const QStringList& programArgs,
    const std::optional<QString>& savepointPath, bool allowNonRestoredState) const
{
    QJsonObject body {{QStringLiteral("programArgsList"), QJsonArray::fromStringList(programArgs)},
        {QStringLiteral("allowNonRestoredState"), allowNonRestoredState}};
    if (savepointPath && !savepointPath->isEmpty())
        body.insert(QStringLiteral("savepointPath"), *savepointPath);
    return postForField(QStringLiteral("/jars/%1/run").arg(jarId), body, QStringLiteral("jobid"));
}

Result<QString> FlinkClient::postForField(const QString& path, const QJsonObject& body, const QString& field) const
{
    auto answer = call("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact));
    if (!answer)
        return std::unexpected(answer.error());
    auto root = objectOf(*answer, QStringLiteral("POST ") + path);
    if (!root)
        return std::unexpected(root.error());
    const QString value = root->value(field).toString();
    if (value.isEmpty())
        return fail(Error::Code::Parse, QStringLiteral("Flink REST POST %1: no %2 in the answer").arg(path, field));
    return value;
}

} // namespace pw::replay
