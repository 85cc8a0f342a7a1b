// Desktop notifications over D-Bus: a fake org.freedesktop.Notifications service on a private session bus
// (dbus-run-session) records what Pathwatch asks it to show.

#include "config/config.h"
#include "desktopnotifier.h"
#include "mainwindow.h"
#include "model/snapshot.h"
#include "model/thresholds.h"
#include "stagepage.h"

#include <QApplication>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>

#include <cstdio>
#include <unistd.h>
#include <vector>

using namespace pw;

namespace {

struct Shown
{
    uint replacesId = 0;
    QString summary;
    QString body;
    uchar urgency = 0;
    QStringList actions;
    uint id = 0;
};

class FakeNotifications : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")
public:
    std::vector<Shown> shown;
    bool offersActions = true; // whether GetCapabilities lists "actions" (some servers show none)
    int capabilityQueries = 0;

public Q_SLOTS:
    uint Notify(const QString& /*app*/, uint replacesId, const QString& /*icon*/, const QString& summary,
        const QString& body, const QStringList& actions, const QVariantMap& hints, int /*timeout*/)
    {
        const uint id = replacesId != 0 ? replacesId : ++m_next;
        shown.push_back(
            Shown {replacesId, summary, body, hints.value(QStringLiteral("urgency")).value<uchar>(), actions, id});
        return id;
    }
    QStringList GetCapabilities()
    {
        ++capabilityQueries;
        if (offersActions)
            return {QStringLiteral("body"), QStringLiteral("actions")};
        return {QStringLiteral("body"), QStringLiteral("body-hyperlinks")};
    }

private:
    uint m_next = 100;
};

Transition stageChange(const QString& stage, Severity from, Severity to, const QString& reason = {})
{
    Transition t;
    t.subject = Transition::Subject::Stage;
    t.id = stage;
    t.stageId = stage;
    t.from = from;
    t.to = to;
    t.reason = reason;
    return t;
}

SnapshotPtr stagesSnapshot(quint64 sequence, Severity sink)
{
    auto s = std::make_shared<Snapshot>();
    s->sequence = sequence;
    StageState st;
    st.stageId = QStringLiteral("sink");
    st.title = QStringLiteral("Sink");
    st.severity = sink;
    s->stages.push_back(st);
    StageState compute;
    compute.stageId = QStringLiteral("compute");
    compute.title = QStringLiteral("Stream job");
    compute.severity = Severity::Ok;
    s->stages.push_back(compute);
    return s;
}

/// A configuration whose source log reads the kafka source of group `aggregator`'s recovery entry; the sink stage
/// reads nothing recoverable.
RecoveryEnvironment recoverableEnvironment()
{
    auto config = std::make_shared<PipelineConfig>();
    StageConfig sourceLog;
    sourceLog.id = QStringLiteral("source_log");
    sourceLog.title = QStringLiteral("Source log");
    SignalConfig lag;
    lag.id = QStringLiteral("source_log/consumer_lag");
    lag.stageId = sourceLog.id;
    lag.sourceId = QStringLiteral("kafka");
    sourceLog.signalConfigs.push_back(lag);
    StageConfig sink;
    sink.id = QStringLiteral("sink");
    sink.title = QStringLiteral("Sink");
    SignalConfig p99;
    p99.id = QStringLiteral("sink/p99");
    p99.stageId = sink.id;
    p99.sourceId = QStringLiteral("prometheus");
    sink.signalConfigs.push_back(p99);
    config->stages = {sourceLog, sink};
    RecoveryConfig recovery;
    recovery.group = QStringLiteral("aggregator");
    recovery.kafkaSourceId = QStringLiteral("kafka");
    config->recovery.push_back(recovery);
    RecoveryEnvironment env;
    env.config = config;
    return env;
}

} // namespace

class TestDesktopNotifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        m_bus = QDBusConnection::connectToBus(QDBusConnection::SessionBus, QStringLiteral("fake-notifications"));
        QVERIFY2(m_bus.isConnected(), "no session bus: run under dbus-run-session");
        QVERIFY(m_bus.registerObject(
            QStringLiteral("/org/freedesktop/Notifications"), &m_fake, QDBusConnection::ExportAllSlots));
        QVERIFY(m_bus.registerService(QStringLiteral("org.freedesktop.Notifications")));
    }

    void init()
    {
        m_fake.shown.clear();
        m_fake.offersActions = true;
        m_fake.capabilityQueries = 0;
    }

    void oneNotificationPerStageTransitionGroupedPerStage()
    {
        DesktopNotifier notifier;
        const auto snap = stagesSnapshot(1, Severity::Crit);
        auto observer = notifier.observer();
        Transition signal = stageChange(QStringLiteral("sink/p99"), Severity::Ok, Severity::Crit);
        signal.subject = Transition::Subject::Signal; // signals are summed up by their stage: not notified
        observer->transitions(
            {stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Warn, QStringLiteral("2.1 s ≥ warn 2 s")),
                signal},
            snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(1));
        QCOMPARE(m_fake.shown[0].summary, QStringLiteral("Sink is WARN"));
        QCOMPARE(m_fake.shown[0].body, QStringLiteral("2.1 s ≥ warn 2 s (was OK)"));
        QCOMPARE(m_fake.shown[0].replacesId, 0u);
        QTRY_COMPARE(notifier.unansweredCount(), 0); // the id to replace is known

        observer->transitions({stageChange(QStringLiteral("sink"), Severity::Warn, Severity::Crit),
                                  stageChange(QStringLiteral("compute"), Severity::Ok, Severity::Stale)},
            snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(3));
        QCOMPARE(m_fake.shown[1].summary, QStringLiteral("Sink is CRIT"));
        QCOMPARE(m_fake.shown[1].replacesId, 101u); // replaces the stage's earlier one
        QCOMPARE(m_fake.shown[1].urgency, uchar(2));
        QCOMPARE(m_fake.shown[2].summary, QStringLiteral("Stream job is STALE"));
        QCOMPARE(m_fake.shown[2].replacesId, 0u); // another stage, its own notification
        QTRY_COMPARE(notifier.unansweredCount(), 0);

        // A first judgement (UNKNOWN → OK) is not news; OK after CRIT is.
        observer->transitions({stageChange(QStringLiteral("compute"), Severity::Unknown, Severity::Ok),
                                  stageChange(QStringLiteral("sink"), Severity::Crit, Severity::Ok)},
            snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(4));
        QCOMPARE(m_fake.shown[3].summary, QStringLiteral("Sink resolved"));
        QCOMPARE(m_fake.shown[3].replacesId, 101u);
        QCOMPARE(notifier.sentCount(), 4);
    }

    void aFlapAroundTheThresholdNotifiesOnce()
    {
        // The tracker's hysteresis (as the engine applies it) decides the stage's severity; the notifier sees only
        // the transitions between successive snapshots.
        DesktopNotifier notifier;
        Thresholds t;
        t.warn = 10.0;
        t.hysteresis = 1.0;
        ThresholdTracker tracker;
        SnapshotPtr before;
        const double values[] = {5.0, 10.2, 9.8, 10.1, 9.5, 10.3, 9.9, 10.0, 9.2, 10.4};
        quint64 seq = 0;
        for (double v : values) {
            const Severity s = tracker.update(t, v, qint64(seq) * 5000);
            auto after = stagesSnapshot(++seq, s);
            const auto changes = diffSnapshots(before.get(), *after);
            notifier.observer()->transitions(changes, after);
            before = after;
        }
        QTest::qWait(200); // let queued calls and replies run
        QCOMPARE(m_fake.shown.size(), std::size_t(1));
        QCOMPARE(m_fake.shown[0].summary, QStringLiteral("Sink is WARN"));
    }

    void recoverFromANotificationOpensTheWizardOnItsGroup()
    {
        MainWindow window;
        window.setRecoveryEnvironment(recoverableEnvironment());
        DesktopNotifier notifier;
        window.setNotifier(&notifier);
        QSignalSpy recoverSpy(&notifier, &DesktopNotifier::recoverRequested);
        window.resize(900, 600);
        window.showMinimized();
        QVERIFY(window.isMinimized());

        auto snap = stagesSnapshot(1, Severity::Crit);
        StageState sourceLog;
        sourceLog.stageId = QStringLiteral("source_log");
        sourceLog.title = QStringLiteral("Source log");
        sourceLog.severity = Severity::Crit;
        std::const_pointer_cast<Snapshot>(snap)->stages.push_back(sourceLog);
        notifier.observer()->transitions(
            {stageChange(QStringLiteral("source_log"), Severity::Ok, Severity::Crit, QStringLiteral("lag STOPPED")),
                stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Warn)},
            snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(2));
        const Shown recoverable = m_fake.shown[0];
        QCOMPARE(recoverable.summary, QStringLiteral("Source log is CRIT"));
        QCOMPARE(recoverable.actions,
            QStringList({QStringLiteral("default"), QStringLiteral("Show"), QStringLiteral("recover"),
                QStringLiteral("Recover…")}));
        QCOMPARE(m_fake.shown[1].summary, QStringLiteral("Sink is WARN"));
        QCOMPARE(m_fake.shown[1].actions, QStringList({QStringLiteral("default"), QStringLiteral("Show")}));
        QTest::qWait(100); // the replies (notification ids) come back

        // Actions on notifications that are not ours, or that offer no recovery, do nothing.
        emitActionInvoked(4242, QStringLiteral("recover"));
        emitActionInvoked(m_fake.shown[1].id, QStringLiteral("recover"));
        QTest::qWait(200);
        QCOMPARE(recoverSpy.size(), 0);
        QVERIFY(!window.recoveryWizard());
        QVERIFY(window.isMinimized());

        emitActionInvoked(recoverable.id, QStringLiteral("recover"));
        QTRY_VERIFY(window.recoveryWizard());
        QCOMPARE(recoverSpy.size(), 1);
        QCOMPARE(window.recoveryWizard()->group(), QStringLiteral("aggregator"));
        QVERIFY(window.recoveryWizard()->isVisible());
        QVERIFY(!window.isMinimized());
        QVERIFY(window.isVisible());

        // A resolved stage offers no recovery any more.
        notifier.observer()->transitions(
            {stageChange(QStringLiteral("source_log"), Severity::Crit, Severity::Ok)}, snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(3));
        QCOMPARE(m_fake.shown[2].replacesId, recoverable.id);
        QCOMPARE(m_fake.shown[2].actions, QStringList({QStringLiteral("default"), QStringLiteral("Show")}));
        window.recoveryWizard()->close();
        QThreadPool::globalInstance()->waitForDone();
    }

    void clickingANotificationShowsTheStagePage()
    {
        MainWindow window;
        DesktopNotifier notifier;
        window.setNotifier(&notifier);
        QSignalSpy applied(&window, &MainWindow::snapshotApplied);
        const auto snap = stagesSnapshot(1, Severity::Crit);
        window.setSnapshot(snap);
        QVERIFY(applied.wait(2000));
        window.showMinimized();
        notifier.observer()->transitions({stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Crit)}, snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(1));
        QTest::qWait(100);
        QVERIFY(!window.isStagePageShown());
        emitActionInvoked(m_fake.shown[0].id, QStringLiteral("default"));
        QTRY_VERIFY(window.isStagePageShown());
        QVERIFY(!window.isMinimized());
        QCOMPARE(window.stagePage()->stageId(), QStringLiteral("sink"));
        QThreadPool::globalInstance()->waitForDone();
    }

    // A server without the "actions" capability gets no actions (it would drop them, and "Recover…" with them):
    // the body says where to go instead. The capabilities are asked once per notifier, not per notification.
    void actionsOnlyWhereTheServerShowsThem_data()
    {
        QTest::addColumn<bool>("offersActions");
        QTest::newRow("server with actions") << true;
        QTest::newRow("server without actions") << false;
    }
    void actionsOnlyWhereTheServerShowsThem()
    {
        QFETCH(bool, offersActions);
        m_fake.offersActions = offersActions;
        MainWindow window;
        window.setRecoveryEnvironment(recoverableEnvironment());
        DesktopNotifier notifier;
        window.setNotifier(&notifier);
        QVERIFY(!notifier.actionsSupported()); // not known before the server has answered

        auto snap = stagesSnapshot(1, Severity::Warn);
        StageState sourceLog;
        sourceLog.stageId = QStringLiteral("source_log");
        sourceLog.title = QStringLiteral("Source log");
        sourceLog.severity = Severity::Crit;
        std::const_pointer_cast<Snapshot>(snap)->stages.push_back(sourceLog);
        notifier.observer()->transitions(
            {stageChange(QStringLiteral("source_log"), Severity::Ok, Severity::Crit, QStringLiteral("lag STOPPED")),
                stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Warn, QStringLiteral("2.1 s ≥ warn 2 s"))},
            snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(2));
        QCOMPARE(notifier.actionsSupported(), offersActions);
        const Shown recoverable = m_fake.shown[0];
        const Shown plain = m_fake.shown[1];
        QCOMPARE(recoverable.summary, QStringLiteral("Source log is CRIT"));
        QCOMPARE(plain.summary, QStringLiteral("Sink is WARN"));
        QCOMPARE(plain.body, QStringLiteral("2.1 s ≥ warn 2 s (was OK)"));
        if (offersActions) {
            QCOMPARE(recoverable.actions,
                QStringList({QStringLiteral("default"), QStringLiteral("Show"), QStringLiteral("recover"),
                    QStringLiteral("Recover…")}));
            QCOMPARE(recoverable.body, QStringLiteral("lag STOPPED (was OK)"));
            QCOMPARE(plain.actions, QStringList({QStringLiteral("default"), QStringLiteral("Show")}));
        } else {
            QCOMPARE(recoverable.actions, QStringList());
            QCOMPARE(recoverable.body,
                QStringLiteral("lag STOPPED (was OK)\nOpen Pathwatch to recover group aggregator (Recovery → "
                               "Recover…)."));
            QCOMPARE(plain.actions, QStringList());
        }

        QTRY_COMPARE(notifier.unansweredCount(), 0);
        notifier.observer()->transitions({stageChange(QStringLiteral("sink"), Severity::Warn, Severity::Ok)}, snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(3));
        QCOMPARE(m_fake.shown[2].summary, QStringLiteral("Sink resolved"));
        QCOMPARE(m_fake.shown[2].actions.isEmpty(), !offersActions);
        QCOMPARE(m_fake.capabilityQueries, 1);
        QThreadPool::globalInstance()->waitForDone();
    }

    // Without a notification server nothing is sent (the failed GetCapabilities says so, without a blocking
    // check); once a server is there, the next transition is shown.
    void withoutAServerNothingIsSentUntilOneAppears()
    {
        QVERIFY(m_bus.unregisterService(QStringLiteral("org.freedesktop.Notifications")));
        DesktopNotifier notifier;
        const auto snap = stagesSnapshot(1, Severity::Crit);
        notifier.observer()->transitions({stageChange(QStringLiteral("sink"), Severity::Ok, Severity::Crit)}, snap);
        QTest::qWait(300);
        QCOMPARE(notifier.sentCount(), 0);
        QVERIFY(m_fake.shown.empty());
        QVERIFY(m_bus.registerService(QStringLiteral("org.freedesktop.Notifications")));
        notifier.observer()->transitions({stageChange(QStringLiteral("sink"), Severity::Crit, Severity::Ok)}, snap);
        QTRY_COMPARE(m_fake.shown.size(), std::size_t(1));
        QCOMPARE(m_fake.shown[0].summary, QStringLiteral("Sink resolved"));
        QCOMPARE(notifier.sentCount(), 1);
    }

private:
    /// What a notification server sends when the user picks an action of notification `id`.
    void emitActionInvoked(uint id, const QString& key)
    {
        QDBusMessage signal = QDBusMessage::createSignal(QStringLiteral("/org/freedesktop/Notifications"),
            QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("ActionInvoked"));
        signal << id << key;
        QVERIFY(m_bus.send(signal));
    }

    QDBusConnection m_bus {QString()};
    FakeNotifications m_fake;
};

int main(int argc, char** argv)
{
    // The fake service needs a session bus of its own: re-run under dbus-run-session (from the dbus-daemon package).
    if (qEnvironmentVariableIsEmpty("PATHWATCH_PRIVATE_BUS")) {
        setenv("PATHWATCH_PRIVATE_BUS", "1", 1);
        std::vector<char*> args {const_cast<char*>("dbus-run-session"), const_cast<char*>("--")};
        for (int i = 0; i < argc; ++i)
            args.push_back(argv[i]);
        args.push_back(nullptr);
        execvp("dbus-run-session", args.data());
        std::fprintf(stderr, "tst_desktopnotifier: cannot run dbus-run-session (install dbus-daemon)\n");
        return 1;
    }
    QApplication app(argc, argv);
    TestDesktopNotifier test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_desktopnotifier.moc"
