#include "instance/webhooknotifier.h"

#include "presentation/format.h"
#include "sources/httpclient.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <optional>
#include <thread>

Q_LOGGING_CATEGORY(lcWebhook, "pathwatch.webhook", QtWarningMsg)

namespace pw {

namespace asio = boost::asio;

struct WebhookNotifier::Impl
{
    explicit Impl(Options o)
        : options(std::move(o))
    { }

    Options options;
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::optional<HttpClient> http;
    std::optional<asio::steady_timer> retryTimer;
    std::thread thread;

    // io thread only
    std::deque<QByteArray> queue;
    bool inFlight = false;
    size_t retriesUsed = 0;
    qint64 lastWarningMs = 0;
    int unloggedFailures = 0;

    std::atomic<quint64> delivered {0};
    std::atomic<quint64> attempts {0};
    std::atomic<quint64> dropped {0};

    void enqueue(QByteArray body)
    {
        queue.push_back(std::move(body));
        if (queue.size() > options.maxQueued) {
            // Never the one in flight (the front): the oldest waiting one goes.
            queue.erase(queue.begin() + (inFlight ? 1 : 0));
            ++dropped;
            warn(
                QStringLiteral("more than %1 webhook messages waiting; the oldest was dropped").arg(options.maxQueued));
        }
        if (!inFlight)
            sendNext();
    }

    void sendNext()
    {
        if (queue.empty()) {
            inFlight = false;
            return;
        }
        inFlight = true;
        HttpRequest request;
        request.url = options.webhook.url;
        request.urlIsSecret = true;
        request.method = "POST";
        request.contentType = "application/json";
        request.accept = "*/*";
        request.body = queue.front();
        request.timeoutMs = options.webhook.timeoutMs;
        request.defaultMaxBodyBytes = 64 * 1024;
        request.allowErrorStatus = true;
        request.options.headers = options.webhook.headers;
        ++attempts;
        // The callback runs on this io_context's only thread, as everything else here.
        http->request(std::move(request), [this](Result<HttpResponse> r) { onResult(std::move(r)); });
    }

    void onResult(Result<HttpResponse> result)
    {
        QString failure;
        bool retry = true;
        if (!result) {
            failure = result.error().message;
        } else if (result->status < 200 || result->status >= 300) {
            failure = QStringLiteral("HTTP %1").arg(result->status);
            const QString answer = QString::fromUtf8(result->body.left(200)).simplified();
            if (!answer.isEmpty())
                failure += QStringLiteral(": ") + answer;
            retry = result->status == 429 || result->status >= 500;
        }
        if (failure.isEmpty()) {
            ++delivered;
            queue.pop_front();
            retriesUsed = 0;
            return sendNext();
        }
        if (retry && retriesUsed < options.retryDelaysMs.size()) {
            const qint64 delay = options.retryDelaysMs[retriesUsed++];
            warn(QStringLiteral("webhook POST failed (%1); retrying in %2")
                     .arg(failure, formatDurationMs(std::max<qint64>(delay, 1))));
            retryTimer->expires_after(std::chrono::milliseconds(delay));
            retryTimer->async_wait([this](boost::system::error_code ec) {
                if (!ec)
                    sendNext();
            });
            return;
        }
        ++dropped;
        warn(QStringLiteral("webhook POST failed (%1); message dropped after %2 attempt(s)")
                 .arg(failure)
                 .arg(retriesUsed + 1));
        queue.pop_front();
        retriesUsed = 0;
        sendNext();
    }

    // A webhook that is down fails every few seconds: one line a minute says so, with how many were not logged.
    void warn(const QString& message)
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (lastWarningMs != 0 && now - lastWarningMs < 60000) {
            ++unloggedFailures;
            return;
        }
        QString line = message;
        if (unloggedFailures > 0)
            line += QStringLiteral(" (%1 similar message(s) not logged in the last minute)").arg(unloggedFailures);
        qCWarning(lcWebhook).noquote() << line;
        lastWarningMs = now;
        unloggedFailures = 0;
    }
};

WebhookNotifier::WebhookNotifier(Options options)
    : m_impl(std::make_shared<Impl>(std::move(options)))
{
    Impl& d = *m_impl;
    d.work.emplace(d.io.get_executor());
    d.http.emplace(d.io);
    d.retryTimer.emplace(d.io);
    d.thread = std::thread([&d] { d.io.run(); });
}

WebhookNotifier::~WebhookNotifier()
{
    Impl& d = *m_impl;
    d.work.reset();
    d.io.stop();
    d.thread.join();
    d.retryTimer.reset();
    d.http.reset();
}

QJsonObject WebhookNotifier::payloadFor(const StageNotification& n, const Transition& t, const Snapshot* snapshot)
{
    const SignalState* signal = snapshot ? worstSignalOfStage(*snapshot, n.stageId) : nullptr;
    const qint64 atMs = t.atMs > 0
        ? t.atMs
        : (snapshot && snapshot->takenMs > 0 ? snapshot->takenMs : QDateTime::currentMSecsSinceEpoch());
    QJsonObject o;
    if (snapshot)
        o.insert(QStringLiteral("pipeline"), snapshot->pipelineName);
    o.insert(QStringLiteral("stage"), n.stageId);
    o.insert(QStringLiteral("stage_title"), n.stageTitle);
    o.insert(QStringLiteral("signal"), signal ? QJsonValue(signal->signalId) : QJsonValue());
    o.insert(QStringLiteral("from"), severityName(t.from));
    o.insert(QStringLiteral("to"), severityName(t.to));
    const bool hasValue = signal && signal->hasValue;
    o.insert(QStringLiteral("value"), hasValue ? QJsonValue(signal->value) : QJsonValue());
    o.insert(QStringLiteral("unit"), signal ? signal->unit : QString());
    o.insert(QStringLiteral("value_text"), hasValue ? formatValue(signal->value, signal->unit) : QString());
    o.insert(QStringLiteral("reason"), t.reason);
    o.insert(QStringLiteral("time"), QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC).toString(Qt::ISODateWithMs));
    o.insert(QStringLiteral("resolved"), n.resolved);
    o.insert(QStringLiteral("summary"), n.summary);
    const QString prefix = snapshot && !snapshot->pipelineName.isEmpty()
        ? QStringLiteral("[%1] ").arg(snapshot->pipelineName)
        : QString();
    o.insert(QStringLiteral("text"), QString(prefix + n.summary + QStringLiteral(": ") + n.body));
    return o;
}

void WebhookNotifier::transitions(const std::vector<Transition>& changes, const SnapshotPtr& snapshot)
{
    for (const Transition& t : changes) {
        const StageNotification n = stageNotificationFor(t, snapshot.get());
        if (n.isEmpty())
            continue;
        QByteArray body = QJsonDocument(payloadFor(n, t, snapshot.get())).toJson(QJsonDocument::Compact);
        asio::post(m_impl->io, [impl = m_impl, body = std::move(body)]() mutable { impl->enqueue(std::move(body)); });
    }
}

quint64 WebhookNotifier::delivered() const
{
    return m_impl->delivered.load();
}

quint64 WebhookNotifier::attempts() const
{
    return m_impl->attempts.load();
}

quint64 WebhookNotifier::dropped() const
{
    return m_impl->dropped.load();
}

} // namespace pw
