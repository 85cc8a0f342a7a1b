#pragma once

#include "config/config.h"
#include "engine/engine.h"
#include "presentation/stagenotification.h"

#include <QByteArray>
#include <QJsonObject>

#include <memory>
#include <vector>

namespace pw {

/// Posts a JSON message to a webhook on every stage transition to WARN, CRIT or STALE and on every "resolved" one —
/// the same moments and words as the desktop notifier (stageNotificationFor: after `for:` and hysteresis, so a flap
/// posts nothing). The body has stage, stage_title, signal, from, to, value, unit, reason, time (RFC 3339 UTC),
/// resolved, and `text` (Slack and Mattermost incoming webhooks show that field). Posts go out one at a time in order
/// on the notifier's own thread; a failure (network, timeout, HTTP 429 or 5xx) is retried after each of
/// `retryDelaysMs`, other 4xx answers are not retried. Failures are logged at most once a minute (with a count of the
/// ones not logged) and never show the URL, which is a secret. An engine observer: added by the Instance when the
/// config has `notifications: webhook:`, so headless and the window both send.
///
/// Thread-safety: transitions() may be called from any thread; the counters are atomic; the destructor drops what is
/// still queued.
class WebhookNotifier : public EngineObserver
{
public:
    struct Options
    {
        WebhookConfig webhook;
        std::vector<qint64> retryDelaysMs {1000, 5000, 30000, 120000};
        size_t maxQueued = 200; // the oldest are dropped past this (an endpoint down for hours)
    };

    explicit WebhookNotifier(Options options);
    ~WebhookNotifier() override;
    WebhookNotifier(const WebhookNotifier&) = delete;
    WebhookNotifier& operator=(const WebhookNotifier&) = delete;

    void transitions(const std::vector<Transition>& changes, const SnapshotPtr& snapshot) override;

    /// The JSON body for one notification (tests, and what README documents).
    static QJsonObject payloadFor(
        const StageNotification& notification, const Transition& transition, const Snapshot* snapshot);

    quint64 delivered() const;
    quint64 attempts() const;
    quint64 dropped() const; // given up after the last retry, refused with a 4xx, or pushed out of a full queue

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace pw
