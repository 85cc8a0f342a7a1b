#pragma once

#include "engine/engine.h"
#include "model/transition.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

namespace pw {

/// Desktop notifications over the freedesktop `org.freedesktop.Notifications` D-Bus service: one when a stage goes
/// to WARN, CRIT or STALE and a "resolved" one when it is OK again. It listens to the engine's stage transitions,
/// which come after `for:` and hysteresis, so a value flapping around a threshold notifies nothing. Grouped per
/// stage: a stage's newer notification replaces its older one (replaces_id), so a bad hour is one bubble per stage.
/// Without a notification service (no session bus) it does nothing and says so once in the log.
///
/// Thread-safety: GUI (or main) thread; observer() hands transitions over from engine threads through a queued call.
class DesktopNotifier : public QObject
{
    Q_OBJECT
public:
    explicit DesktopNotifier(QObject* parent = nullptr);
    ~DesktopNotifier() override;

    /// An observer to add to the engine (Instance::addObserver); safe to outlive the notifier.
    std::shared_ptr<EngineObserver> observer();

    /// What one stage transition turns into: the summary and body shown, or an empty summary for none.
    struct Message
    {
        QString stageId;
        QString summary; // "Sink is CRIT", "Sink resolved"
        QString body;
        bool urgent = false;
    };
    /// The decision and the words are the core's (stageNotificationFor), shared with the webhook.
    static Message messageFor(const Transition& transition, const QString& stageTitle);

    /// Notifications sent so far (tests).
    int sentCount() const { return m_sent; }
    /// Calls not answered yet by the notification service (tests: a stage's next message replaces this one only once
    /// its id is known).
    int unansweredCount() const { return int(m_inFlight.size()); }

public Q_SLOTS:
    void handleTransitions(const std::vector<pw::Transition>& transitions, const pw::SnapshotPtr& snapshot);

Q_SIGNALS:
    void notified(const QString& stageId, const QString& summary);

private:
    void send(const Message& message);

    QHash<QString, uint> m_lastIdByStage; // for replaces_id
    // While a stage's call is unanswered its id is unknown: the next message waits (only the newest is kept).
    QHash<QString, Message> m_waiting;
    QSet<QString> m_inFlight;
    int m_sent = 0;
    bool m_warnedUnavailable = false;
    std::shared_ptr<EngineObserver> m_observer;
};

} // namespace pw
