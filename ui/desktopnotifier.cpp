#include "desktopnotifier.h"

#include "presentation/stagenotification.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QLoggingCategory>
#include <QPointer>
#include <QVariantMap>

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
        const Message m {n.stageId, n.summary, n.body, n.urgent};
        if (!m.summary.isEmpty())
            send(m);
    }
}

void DesktopNotifier::send(const Message& message)
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected() || !bus.interface() || !bus.interface()->isServiceRegistered(kService)) {
        if (!m_warnedUnavailable)
            qCInfo(lcNotify) << "no desktop notification service on the session bus; notifications are off";
        m_warnedUnavailable = true;
        return;
    }
    if (m_inFlight.contains(message.stageId)) {
        m_waiting.insert(message.stageId, message);
        return;
    }
    m_inFlight.insert(message.stageId);
    QDBusMessage call = QDBusMessage::createMethodCall(kService, kPath, kService, QStringLiteral("Notify"));
    QVariantMap hints;
    hints.insert(QStringLiteral("urgency"), QVariant::fromValue(uchar(message.urgent ? 2 : 1)));
    hints.insert(QStringLiteral("category"), QStringLiteral("device"));
    hints.insert(QStringLiteral("desktop-entry"), QStringLiteral("io.pathwatch.Pathwatch"));
    call << QStringLiteral("Pathwatch") << m_lastIdByStage.value(message.stageId, 0u) << QStringLiteral("pathwatch")
         << message.summary << message.body << QStringList() << hints << int(message.urgent ? 0 : -1);
    ++m_sent;
    auto* watcher = new QDBusPendingCallWatcher(bus.asyncCall(call), this);
    const QString stageId = message.stageId;
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher, stageId] {
        QDBusPendingReply<uint> reply = *watcher;
        if (reply.isError())
            qCWarning(lcNotify) << "notification not shown:" << reply.error().message();
        else
            m_lastIdByStage.insert(stageId, reply.value());
        watcher->deleteLater();
        m_inFlight.remove(stageId);
        if (const auto waiting = m_waiting.take(stageId); !waiting.summary.isEmpty())
            send(waiting);
    });
    Q_EMIT notified(message.stageId, message.summary);
}

} // namespace pw
