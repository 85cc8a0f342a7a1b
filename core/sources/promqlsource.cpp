#include "sources/promqlsource.h"

#include "sources/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QUrl>

#include <cmath>
#include <limits>
#include <mutex>

Q_LOGGING_CATEGORY(lcPromql, "pathwatch.promql", QtWarningMsg)

namespace pw {

namespace {

// Whether an error is about one query (the server answered, the query is wrong or empty) or about the endpoint.
// Only when every query fails for endpoint reasons is the whole source down.
enum class Scope
{
    Query,
    Endpoint,
};

struct Failure
{
    Error error;
    Scope scope;
};

using Parsed = std::expected<std::vector<Sample>, Failure>;

std::unexpected<Failure> failAt(Scope scope, Error::Code code, QString message)
{
    return std::unexpected(Failure {Error::make(code, std::move(message)), scope});
}

std::unexpected<Failure> shape(QString message)
{
    return failAt(Scope::Endpoint, Error::Code::Parse, std::move(message));
}

QString excerpt(const QByteArray& body)
{
    QString text = QString::fromUtf8(body.left(120)).simplified();
    for (QChar& c : text)
        if (!c.isPrint())
            c = QLatin1Char('?');
    return text;
}

std::optional<double> parseValue(const QString& text)
{
    const QString t = text.trimmed();
    if (t.compare(QLatin1String("NaN"), Qt::CaseInsensitive) == 0)
        return std::numeric_limits<double>::quiet_NaN();
    if (t.compare(QLatin1String("+Inf"), Qt::CaseInsensitive) == 0
        || t.compare(QLatin1String("Inf"), Qt::CaseInsensitive) == 0)
        return std::numeric_limits<double>::infinity();
    if (t.compare(QLatin1String("-Inf"), Qt::CaseInsensitive) == 0)
        return -std::numeric_limits<double>::infinity();
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok)
        return std::nullopt;
    return v;
}

// [1700000000.123, "4.5"] → sample time and value.
std::expected<std::pair<qint64, double>, QString> parsePoint(const QJsonValue& v, const QString& where)
{
    const QString expected = QStringLiteral("expected %1 to be [timestamp, \"value\"]").arg(where);
    if (!v.isArray())
        return std::unexpected(expected);
    const QJsonArray a = v.toArray();
    if (a.size() != 2 || !a.at(0).isDouble() || !a.at(1).isString())
        return std::unexpected(expected);
    const double ts = a.at(0).toDouble();
    if (!std::isfinite(ts) || ts < 0)
        return std::unexpected(QStringLiteral("%1 has an invalid timestamp").arg(where));
    const auto value = parseValue(a.at(1).toString());
    if (!value)
        return std::unexpected(QStringLiteral("%1 holds '%2', which is not a number").arg(where, a.at(1).toString()));
    return std::make_pair(static_cast<qint64>(std::llround(ts * 1000.0)), *value);
}

Parsed parse(int httpStatus, const QByteArray& body, const QString& signalId)
{
    const bool httpOk = httpStatus >= 200 && httpStatus < 300;
    QJsonParseError jsonError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &jsonError);
    if (jsonError.error != QJsonParseError::NoError) {
        if (!httpOk)
            return failAt(
                Scope::Endpoint, Error::Code::Http, QStringLiteral("HTTP %1: %2").arg(httpStatus).arg(excerpt(body)));
        return shape(QStringLiteral("response is not JSON (%1 at offset %2); it starts with '%3'")
                         .arg(jsonError.errorString())
                         .arg(jsonError.offset)
                         .arg(excerpt(body)));
    }
    if (!doc.isObject())
        return shape(QStringLiteral("expected a JSON object at the top level"));
    const QJsonObject root = doc.object();
    const QString status = root.value(QLatin1String("status")).toString();
    if (status == QLatin1String("error")) {
        const QString type = root.value(QLatin1String("errorType")).toString();
        const QString text = root.value(QLatin1String("error")).toString();
        QString message = QStringLiteral("query failed");
        if (!type.isEmpty())
            message += QStringLiteral(" (%1)").arg(type);
        if (!httpOk)
            message += QStringLiteral(" with HTTP %1").arg(httpStatus);
        message += QStringLiteral(": ") + (text.isEmpty() ? QStringLiteral("no error text") : text);
        return failAt(Scope::Query, Error::Code::Protocol, message);
    }
    if (!httpOk)
        return failAt(
            Scope::Endpoint, Error::Code::Http, QStringLiteral("HTTP %1: %2").arg(httpStatus).arg(excerpt(body)));
    if (status != QLatin1String("success"))
        return shape(QStringLiteral("expected \"status\" to be \"success\" or \"error\""));

    const QJsonValue dataValue = root.value(QLatin1String("data"));
    if (!dataValue.isObject())
        return shape(QStringLiteral("expected data to be an object"));
    const QJsonObject data = dataValue.toObject();
    const QString resultType = data.value(QLatin1String("resultType")).toString();
    const QJsonValue result = data.value(QLatin1String("result"));
    std::vector<Sample> samples;

    if (resultType == QLatin1String("scalar")) {
        auto point = parsePoint(result, QStringLiteral("data.result"));
        if (!point)
            return shape(point.error());
        samples.push_back(Sample {signalId, {}, point->first, point->second});
        return samples;
    }
    if (resultType == QLatin1String("matrix"))
        return failAt(Scope::Query, Error::Code::Protocol,
            QStringLiteral("query returned a range vector (matrix); use an instant vector, e.g. "
                           "rate(x[1m]) instead of x[1m]"));
    if (resultType == QLatin1String("string"))
        return failAt(Scope::Query, Error::Code::Protocol, QStringLiteral("query returned a string, not a number"));
    if (resultType != QLatin1String("vector"))
        return shape(QStringLiteral("expected data.resultType to be vector or scalar, got '%1'").arg(resultType));

    if (!result.isArray())
        return shape(QStringLiteral("expected data.result to be an array"));
    const QJsonArray series = result.toArray();
    if (series.isEmpty())
        return failAt(Scope::Query, Error::Code::NotFound, QStringLiteral("query returned no series"));
    samples.reserve(series.size());
    for (qsizetype i = 0; i < series.size(); ++i) {
        const QString where = QStringLiteral("data.result[%1]").arg(i);
        if (!series.at(i).isObject())
            return shape(QStringLiteral("expected %1 to be an object").arg(where));
        const QJsonObject element = series.at(i).toObject();
        const QJsonValue metric = element.value(QLatin1String("metric"));
        if (!metric.isObject() && !metric.isUndefined())
            return shape(QStringLiteral("expected %1.metric to be an object").arg(where));
        Sample sample;
        sample.signalId = signalId;
        const QJsonObject labels = metric.toObject();
        for (auto it = labels.begin(); it != labels.end(); ++it) {
            if (!it.value().isString())
                return shape(QStringLiteral("expected label %1 of %2 to be a string").arg(it.key(), where));
            if (it.key() != QLatin1String("__name__"))
                sample.labels.emplace_back(it.key(), it.value().toString());
        }
        normalizeLabels(sample.labels);
        if (!element.contains(QLatin1String("value")) && element.contains(QLatin1String("histogram")))
            return failAt(Scope::Query, Error::Code::Protocol,
                QStringLiteral("query returned a native histogram; wrap it in histogram_quantile() or "
                               "histogram_count()"));
        auto point = parsePoint(element.value(QLatin1String("value")), where + QStringLiteral(".value"));
        if (!point)
            return shape(point.error());
        sample.timestampMs = point->first;
        sample.value = point->second;
        samples.push_back(std::move(sample));
    }
    return samples;
}

struct PollState
{
    struct Query
    {
        QString signalId;
        QString url;
        std::optional<Parsed> outcome;
    };

    std::mutex mutex;
    HttpClient* http = nullptr;
    QString sourceId;
    HttpOptions options;
    qint64 timeoutMs = 0;
    qint64 deadlineMs = 0;
    std::vector<Query> queries;
    size_t next = 0;
    size_t pending = 0;
    std::function<void(PollResult)> done;
};

void finishPoll(const std::shared_ptr<PollState>& state)
{
    PollResult result;
    bool allEndpointFailures = !state->queries.empty();
    for (auto& q : state->queries) {
        if (q.outcome->has_value()) {
            allEndpointFailures = false;
            auto& samples = q.outcome->value();
            std::move(samples.begin(), samples.end(), std::back_inserter(result.samples));
        } else if (q.outcome->error().scope == Scope::Query) {
            allEndpointFailures = false;
        }
    }
    if (allEndpointFailures) {
        Error error = state->queries.front().outcome->error().error;
        error.source = state->sourceId;
        result.error = std::move(error);
    } else {
        for (auto& q : state->queries) {
            if (q.outcome->has_value())
                continue;
            Error error = q.outcome->error().error;
            error.source = state->sourceId;
            result.signalErrors.emplace_back(q.signalId, std::move(error));
        }
    }
    auto done = std::move(state->done);
    done(std::move(result));
}

void startNext(const std::shared_ptr<PollState>& state, bool initial = false);

void onAnswer(const std::shared_ptr<PollState>& state, size_t index, Result<HttpResponse> response)
{
    Parsed parsed = response ? parse(response->status, response->body, state->queries[index].signalId)
                             : Parsed(std::unexpected(Failure {response.error(), Scope::Endpoint}));
    bool last = false;
    {
        std::lock_guard lock(state->mutex);
        state->queries[index].outcome = std::move(parsed);
        last = --state->pending == 0 && state->next == state->queries.size();
    }
    if (last)
        finishPoll(state);
    else
        startNext(state);
}

// Starts the next queued query, if any; keeps at most kMaxConcurrentQueries in flight.
void startNext(const std::shared_ptr<PollState>& state, bool initial)
{
    size_t index = 0;
    HttpRequest request;
    {
        std::lock_guard lock(state->mutex);
        if (state->next == state->queries.size())
            return;
        index = state->next++;
        ++state->pending;
        request.url = state->queries[index].url;
    }
    request.options = state->options;
    request.accept = "application/json";
    request.allowErrorStatus = true;
    // The first batch gets the source's timeout; queued queries get what is left of the poll's budget, so the poll
    // ends by its timeout.
    request.timeoutMs = initial ? state->timeoutMs : state->deadlineMs - nowMs();
    if (request.timeoutMs <= 0) {
        onAnswer(state, index,
            fail(Error::Code::Timeout,
                QStringLiteral("timed out after %1 ms (queued behind other queries)").arg(state->timeoutMs)));
        return;
    }
    state->http->get(std::move(request),
        [state, index](Result<HttpResponse> response) { onAnswer(state, index, std::move(response)); });
}

} // namespace

Result<std::unique_ptr<Source>> PromqlSource::create(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    auto configError = [&](QString message, int line) {
        Error e = Error::make(Error::Code::Config, std::move(message));
        e.source = config.id;
        e.line = line;
        return std::unexpected(e);
    };
    const QUrl url(config.http.url, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (config.http.url.isEmpty() || !url.isValid() || url.host().isEmpty()
        || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return configError(QStringLiteral("promql source needs url: the server's base URL, e.g. "
                                          "http://127.0.0.1:9090 (got '%1')")
                               .arg(url.toString(QUrl::RemoveUserInfo)),
            config.line);
    for (const SignalConfig& s : signalConfigs) {
        if (s.params.value(QStringLiteral("query")).toString().trimmed().isEmpty())
            return configError(QStringLiteral("signal '%1' needs a query: a PromQL expression").arg(s.id), s.line);
    }
    return std::unique_ptr<Source>(new PromqlSource(config, signalConfigs));
}

QString PromqlSource::endpoint() const
{
    return QUrl(m_config.http.url).toString(QUrl::RemoveUserInfo);
}

QString PromqlSource::queryUrl(const QString& baseUrl, const QString& query, qint64 timeMs)
{
    QString base = baseUrl;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    // Percent-encode everything but unreserved characters: a bare '+' would reach the server as a space.
    return base + QStringLiteral("/api/v1/query?query=") + QString::fromLatin1(QUrl::toPercentEncoding(query))
        + QStringLiteral("&time=") + QString::number(static_cast<double>(timeMs) / 1000.0, 'f', 3);
}

Result<std::vector<Sample>> PromqlSource::parseResponse(int httpStatus, const QByteArray& body, const QString& signalId)
{
    auto parsed = parse(httpStatus, body, signalId);
    if (!parsed)
        return std::unexpected(parsed.error().error);
    return std::move(*parsed);
}

void PromqlSource::poll(PollContext& context, std::function<void(PollResult)> done)
{
    if (m_signals.empty()) {
        done(PollResult {});
        return;
    }
    if (!context.http) {
        PollResult result;
        result.error = Error::make(Error::Code::Generic, QStringLiteral("no HTTP client available"));
        result.error->source = id();
        done(std::move(result));
        return;
    }
    auto state = std::make_shared<PollState>();
    state->http = context.http;
    state->sourceId = id();
    state->options = m_config.http;
    state->timeoutMs = m_config.timeoutMs;
    const qint64 now = nowMs();
    state->deadlineMs = now + m_config.timeoutMs;
    state->done = std::move(done);
    for (const SignalConfig& s : m_signals)
        state->queries.push_back(
            {s.id, queryUrl(m_config.http.url, s.params.value(QStringLiteral("query")).toString(), now), {}});
    const size_t first = std::min<size_t>(state->queries.size(), kMaxConcurrentQueries);
    for (size_t i = 0; i < first; ++i)
        startNext(state, true);
}

} // namespace pw
