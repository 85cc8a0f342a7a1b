#include "sources/httpjsonsource.h"

#include "sources/freshness.h"
#include "sources/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <mutex>

namespace pw {

Result<std::unique_ptr<Source>> HttpJsonSource::create(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    for (const auto& s : signalConfigs) {
        const QString pointer = s.params.value(QStringLiteral("pointer")).toString();
        if (!pointer.isEmpty() && !pointer.startsWith(QLatin1Char('/'))) {
            Error e = Error::make(Error::Code::Config,
                QStringLiteral("signal %1: JSON pointer `%2` must start with `/` (RFC 6901), e.g. "
                               "/data/0/ts")
                    .arg(s.id, pointer));
            e.source = config.id;
            return std::unexpected(e);
        }
        if (auto f = timeFormatFromName(s.params.value(QStringLiteral("time_format")).toString()); !f) {
            Error e = f.error();
            e.source = config.id;
            return std::unexpected(e);
        }
    }
    return std::unique_ptr<Source>(new HttpJsonSource(config, signalConfigs));
}

Result<QVariant> HttpJsonSource::resolvePointer(const QByteArray& body, const QString& pointer)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return fail(Error::Code::Parse,
            QStringLiteral("body is not JSON: %1 at byte %2").arg(error.errorString()).arg(error.offset));
    QJsonValue current = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    if (pointer.isEmpty())
        return current.toVariant();
    QString walked;
    for (QString token : pointer.mid(1).split(QLatin1Char('/'))) {
        token.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
        walked += QLatin1Char('/') + token;
        if (current.isObject()) {
            const QJsonObject object = current.toObject();
            if (!object.contains(token))
                return fail(
                    Error::Code::NotFound, QStringLiteral("JSON pointer %1: no member `%2`").arg(walked, token));
            current = object.value(token);
        } else if (current.isArray()) {
            bool ok = false;
            const int index = token.toInt(&ok);
            const QJsonArray array = current.toArray();
            if (!ok || index < 0 || index >= array.size())
                return fail(Error::Code::NotFound,
                    QStringLiteral("JSON pointer %1: index `%2` outside an array of %3")
                        .arg(walked, token)
                        .arg(array.size()));
            current = array.at(index);
        } else {
            return fail(
                Error::Code::NotFound, QStringLiteral("JSON pointer %1: cannot descend into a scalar").arg(walked));
        }
    }
    if (current.isNull() || current.isUndefined())
        return fail(Error::Code::Parse, QStringLiteral("JSON pointer %1 is null").arg(pointer));
    if (current.isObject() || current.isArray())
        return fail(Error::Code::Parse,
            QStringLiteral("JSON pointer %1 names an %2, expected a timestamp")
                .arg(pointer, current.isObject() ? QStringLiteral("object") : QStringLiteral("array")));
    return current.toVariant();
}

Result<double> HttpJsonSource::interpret(const QByteArray& body, const SignalConfig& signal, qint64 now)
{
    auto value = resolvePointer(body, signal.params.value(QStringLiteral("pointer")).toString());
    if (!value)
        return std::unexpected(value.error());
    auto format = timeFormatFromName(signal.params.value(QStringLiteral("time_format")).toString());
    if (!format)
        return std::unexpected(format.error());
    auto ts = timestampToMs(
        *value, *format, signal.params.value(QStringLiteral("timezone"), QStringLiteral("UTC")).toString());
    if (!ts)
        return std::unexpected(ts.error());
    return freshnessSeconds(*ts, now);
}

void HttpJsonSource::poll(PollContext& context, std::function<void(PollResult)> done)
{
    struct Gather
    {
        std::mutex mutex;
        PollResult result;
        size_t pending = 0;
        size_t failedRequests = 0;
        std::function<void(PollResult)> done;
    };
    auto gather = std::make_shared<Gather>();
    gather->pending = m_signals.size();
    gather->done = std::move(done);
    if (m_signals.empty()) {
        gather->done(PollResult {});
        return;
    }
    for (const auto& signal : m_signals) {
        HttpRequest request;
        request.url = signal.params.value(QStringLiteral("url"), m_config.http.url).toString();
        request.options = m_config.http;
        request.accept = "application/json";
        request.timeoutMs = m_config.timeoutMs;
        context.http->get(
            request, [gather, signal, url = request.url, total = m_signals.size()](Result<HttpResponse> r) {
                std::lock_guard lock(gather->mutex);
                if (!r) {
                    ++gather->failedRequests;
                    gather->result.signalErrors.emplace_back(signal.id, r.error());
                } else if (r->status < 200 || r->status >= 300) {
                    ++gather->failedRequests;
                    gather->result.signalErrors.emplace_back(signal.id,
                        Error::make(Error::Code::Http, QStringLiteral("HTTP %1 from %2").arg(r->status).arg(url)));
                } else if (auto age = interpret(r->body, signal, nowMs()); !age) {
                    gather->result.signalErrors.emplace_back(signal.id, age.error());
                } else {
                    gather->result.samples.push_back(Sample {signal.id, {}, nowMs(), *age});
                }
                if (--gather->pending == 0) {
                    if (gather->failedRequests == total && !gather->result.signalErrors.empty()) {
                        // Every request failed: the endpoint is down, not the data.
                        gather->result.error = gather->result.signalErrors.front().second;
                        gather->result.signalErrors.clear();
                    }
                    gather->done(std::move(gather->result));
                }
            });
    }
}

} // namespace pw
