#pragma once

#include "engine/engine.h"
#include "model/transition.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include <functional>

#include <memory>

class QDBusConnection;

namespace pw {

/// Desktop notifications over the freedesktop `org.freedesktop.Notifications` D-Bus service: one when a stage goes
/// to WARN, CRIT or STALE and a "resolved" one when it is OK again. It listens to the engine's stage transitions,
/// which come after `for:` and hysteresis, so a value flapping around a threshold notifies nothing. Grouped per
/// stage: a stage's newer notification replaces its older one (replaces_id), so a bad hour is one bubble per stage.
/// A notification about a stage that reads a recoverable group (see setRecoverableGroupResolver) carries a
/// "Recover…" action; every notification's default action (a click on it) asks for the stage's page. Actions come back
/// as the service's ActionInvoked signal and leave as recoverRequested() and stageRequested(). Actions are offered
/// only when the server lists "actions" among its capabilities (GetCapabilities, asked once, without waiting);
/// elsewhere the body says where to go instead ("Open Pathwatch to recover group …").
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
        QString recoverGroup; // non-empty: the notification offers "Recover…" for this consumer group
    };
    /// The decision and the words are the core's (stageNotificationFor), shared with the webhook.
    static Message messageFor(const Transition& transition, const QString& stageTitle);

    /// Which consumer group a stage's "Recover…" action recovers (empty: none). Without a resolver no notification
    /// offers it.
    void setRecoverableGroupResolver(std::function<QString(const QString& stageId)> resolver);

    /// The D-Bus action keys: `recover` ("Recover…") and the freedesktop `default` (a click on the bubble).
    static QString recoverActionKey();
    static QString defaultActionKey();

    /// Notifications sent so far (tests).
    int sentCount() const { return m_sent; }
    /// Whether the server shows actions (its GetCapabilities lists "actions"); false until it has answered.
    bool actionsSupported() const { return m_capabilities == Capabilities::Known && m_actions; }
    /// Calls not answered yet by the notification service (tests: a stage's next message replaces this one only once
    /// its id is known).
    int unansweredCount() const { return int(m_inFlight.size()); }

public Q_SLOTS:
    void handleTransitions(const std::vector<pw::Transition>& transitions, const pw::SnapshotPtr& snapshot);

Q_SIGNALS:
    void notified(const QString& stageId, const QString& summary);
    /// The user chose "Recover…" on a notification: open the recovery wizard on `group`.
    void recoverRequested(const QString& group);
    /// The user clicked a notification: show the stage's page.
    void stageRequested(const QString& stageId);

private Q_SLOTS:
    // The org.freedesktop.Notifications signals (string-based connect: Qt D-Bus matches slots by signature).
    void handleActionInvoked(uint id, const QString& actionKey);
    void handleNotificationClosed(uint id, uint reason);

private:
    void send(const Message& message);
    void notify(QDBusConnection& bus, const Message& message);
    void askCapabilities(QDBusConnection& bus);
    void listenForActions(QDBusConnection& bus);

    struct Shown
    {
        QString stageId;
        QString recoverGroup;
    };
    std::function<QString(const QString&)> m_recoverableGroup;
    QHash<uint, Shown> m_shownById; // what an action on a notification refers to
    bool m_listening = false;

    QHash<QString, uint> m_lastIdByStage; // for replaces_id
    // While a stage's call is unanswered its id is unknown: the next message waits (only the newest is kept).
    QHash<QString, Message> m_waiting;
    QSet<QString> m_inFlight;
    // The server's capabilities are asked once, before the first notification; messages wait for the answer.
    enum class Capabilities
    {
        Unknown,
        Asking,
        Known
    };
    Capabilities m_capabilities = Capabilities::Unknown;
    bool m_actions = false;
    QList<Message> m_awaitingCapabilities;
    int m_sent = 0;
    bool m_warnedUnavailable = false;
    std::shared_ptr<EngineObserver> m_observer;
};

} // namespace pw
