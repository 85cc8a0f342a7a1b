#include "desktopnotifier.h"

#include "presentation/stagenotification.h"

#include <QDBusConnection>
#include <QDBusError>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QLoggingCategory>
#include <QPointer>
#include <QVariantMap>

#include <utility>

Q_LOGGING_CATEGORY(lcNotify, "pathwatch.notify", QtWarningMsg)

namespace pw {

namespace {

const QString kService = QStringLiteral("org.freedesktop.Notifications");
const QString kPath = QStringLiteral("/org/freedesktop/Notifications");

class Forwarder : public EngineObserver
{
public:
    explicit Forwarder(DesktopNotifier* notifier)
        : m_notifier(notifier)
    { }
    void transitions(const std::vector<Transition>& changes, const SnapshotPtr& snapshot) override
    {
        std::vector<Transition> stages;
        for (const auto& t : changes)
            if (t.subject == Transition::Subject::Stage)
                stages.push_back(t);
        if (stages.empty())
            return;
        QMetaObject::invokeMethod(
            m_notifier.data(),
            [notifier = m_notifier, stages = std::move(stages), snapshot] {
                if (notifier)
                    notifier->handleTransitions(stages, snapshot);
            },
            Qt::QueuedConnection);
    }

private:
    QPointer<DesktopNotifier> m_notifier;
};

} // namespace

DesktopNotifier::DesktopNotifier(QObject* parent)
    : QObject(parent)
{ }

DesktopNotifier::~DesktopNotifier() = default;

void DesktopNotifier::setRecoverableGroupResolver(std::function<QString(const QString&)> resolver)
{
    m_recoverableGroup = std::move(resolver);
}

QString DesktopNotifier::recoverActionKey()
{
    return QStringLiteral("recover");
}

QString DesktopNotifier::defaultActionKey()
{
    return QStringLiteral("default");
}

std::shared_ptr<EngineObserver> DesktopNotifier::observer()
{
    if (!m_observer)
        m_observer = std::make_shared<Forwarder>(this);
    return m_observer;
}

DesktopNotifier::Message DesktopNotifier::messageFor(const Transition& t, const QString& stageTitle)
{
    const StageNotification n = stageNotificationFor(t, stageTitle);
    return Message {n.stageId, n.summary, n.body, n.urgent};
}

void DesktopNotifier::handleTransitions(const std::vector<Transition>& transitions, const SnapshotPtr& snapshot)
{
    for (const auto& t : transitions) {
        if (t.subject != Transition::Subject::Stage)
            continue;
        const StageNotification n = stageNotificationFor(t, snapshot.get());
        Message m {n.stageId, n.summary, n.body, n.urgent};
        if (m.summary.isEmpty())
            continue;
        if (!n.resolved && m_recoverableGroup)
            m.recoverGroup = m_recoverableGroup(m.stageId);
        send(m);
    }
}

void DesktopNotifier::send(const Message& message)
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) {
        if (!m_warnedUnavailable)
            qCInfo(lcNotify) << "no session bus; desktop notifications are off";
        m_warnedUnavailable = true;
        return;
    }
    if (m_capabilities != Capabilities::Known) {
        // Only the newest message of a stage is worth showing once the server answers.
        m_awaitingCapabilities.removeIf([&](const Message& m) { return m.stageId == message.stageId; });
        m_awaitingCapabilities.append(message);
        askCapabilities(bus);
        return;
    }
    if (m_inFlight.contains(message.stageId)) {
        m_waiting.insert(message.stageId, message);
        return;
    }
    notify(bus, message);
}

void DesktopNotifier::askCapabilities(QDBusConnection& bus)
{
    if (m_capabilities == Capabilities::Asking)
        return;
    m_capabilities = Capabilities::Asking;
    // Asynchronous: the GUI thread never waits for the notification server. The error of this call is also how a
    // missing server is noticed (no synchronous isServiceRegistered round trip).
    auto* watcher = new QDBusPendingCallWatcher(
        bus.asyncCall(QDBusMessage::createMethodCall(kService, kPath, kService, QStringLiteral("GetCapabilities"))),
        this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher] {
        watcher->deleteLater();
        QDBusPendingReply<QStringList> reply = *watcher;
        const QList<Message> waiting = std::exchange(m_awaitingCapabilities, {});
        if (reply.isError()) {
            // Asked again with the next message: a notification server may start later in the session.
            m_capabilities = Capabilities::Unknown;
            if (!m_warnedUnavailable)
                qCInfo(lcNotify) << "no desktop notification service on the session bus; notifications are off ("
                                 << reply.error().message() << ")";
            m_warnedUnavailable = true;
            return;
        }
        m_capabilities = Capabilities::Known;
        m_actions = reply.value().contains(QStringLiteral("actions"));
        qCDebug(lcNotify) << "notification server capabilities:" << reply.value();
        for (const Message& message : waiting)
            send(message);
    });
}

void DesktopNotifier::notify(QDBusConnection& bus, const Message& message)
{
    m_inFlight.insert(message.stageId);
    QDBusMessage call = QDBusMessage::createMethodCall(kService, kPath, kService, QStringLiteral("Notify"));
    // Pairs of key and label, sent only to servers that show them; elsewhere the body says where to go.
    QStringList actions;
    QString body = message.body;
    if (m_actions) {
        listenForActions(bus);
        actions << defaultActionKey() << tr("Show");
        if (!message.recoverGroup.isEmpty())
            actions << recoverActionKey() << tr("Recover…");
    } else if (!message.recoverGroup.isEmpty()) {
        body += (body.isEmpty() ? QString() : QStringLiteral("\n"))
            + tr("Open Pathwatch to recover group %1 (Recovery → Recover…).").arg(message.recoverGroup);
    }
    QVariantMap hints;
    hints.insert(QStringLiteral("urgency"), QVariant::fromValue(uchar(message.urgent ? 2 : 1)));
    hints.insert(QStringLiteral("category"), QStringLiteral("device"));
    hints.insert(QStringLiteral("desktop-entry"), QStringLiteral("io.pathwatch.Pathwatch"));
    call << QStringLiteral("Pathwatch") << m_lastIdByStage.value(message.stageId, 0u) << QStringLiteral("pathwatch")
         << message.summary << body << actions << hints << int(message.urgent ? 0 : -1);
    ++m_sent;
    auto* watcher = new QDBusPendingCallWatcher(bus.asyncCall(call), this);
    const QString stageId = message.stageId;
    const QString recoverGroup = message.recoverGroup;
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher, stageId, recoverGroup] {
        QDBusPendingReply<uint> reply = *watcher;
        if (reply.isError()) {
            qCWarning(lcNotify) << "notification not shown:" << reply.error().message();
        } else {
            m_lastIdByStage.insert(stageId, reply.value());
            m_shownById.insert(reply.value(), Shown {stageId, recoverGroup});
        }
        watcher->deleteLater();
        m_inFlight.remove(stageId);
        if (const auto waiting = m_waiting.take(stageId); !waiting.summary.isEmpty())
            send(waiting);
    });
    Q_EMIT notified(message.stageId, message.summary);
}

void DesktopNotifier::listenForActions(QDBusConnection& bus)
{
    if (m_listening)
        return;
    m_listening = bus.connect(kService, kPath, kService, QStringLiteral("ActionInvoked"), this,
                      SLOT(handleActionInvoked(uint, QString)))
        && bus.connect(kService, kPath, kService, QStringLiteral("NotificationClosed"), this,
            SLOT(handleNotificationClosed(uint, uint)));
    if (!m_listening)
        qCWarning(lcNotify) << "cannot listen for notification actions:" << bus.lastError().message();
}

void DesktopNotifier::handleActionInvoked(uint id, const QString& actionKey)
{
    // The signal is broadcast for every application's notifications: only ids this notifier was given count.
    const auto shown = m_shownById.constFind(id);
    if (shown == m_shownById.cend())
        return;
    if (actionKey == recoverActionKey() && !shown->recoverGroup.isEmpty())
        Q_EMIT recoverRequested(shown->recoverGroup);
    else if (actionKey == defaultActionKey())
        Q_EMIT stageRequested(shown->stageId);
}

void DesktopNotifier::handleNotificationClosed(uint id, uint /*reason*/)
{
    m_shownById.remove(id);
}

} // namespace pw
