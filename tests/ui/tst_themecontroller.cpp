// Light and dark: the desktop portal's color-scheme read over D-Bus without waiting (a fake portal on a private
// session bus answers), followed when it changes, and overridden by the user's choice, which is remembered.

#include "statusstyle.h"
#include "theme.h"

#include <QApplication>
#include <QDBusConnection>
#include <QDBusVariant>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace pw;

namespace {

// What xdg-desktop-portal serves for org.freedesktop.appearance.
class FakePortal : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Settings")
public:
    uint scheme = 1;
    int reads = 0;

public Q_SLOTS:
    QDBusVariant Read(const QString& group, const QString& key)
    {
        ++reads;
        if (group != QStringLiteral("org.freedesktop.appearance") || key != QStringLiteral("color-scheme"))
            return QDBusVariant(QVariant());
        // The portal's Read wraps the value twice.
        return QDBusVariant(QVariant::fromValue(QDBusVariant(QVariant::fromValue(scheme))));
    }

Q_SIGNALS:
    void SettingChanged(const QString& group, const QString& key, const QDBusVariant& value);
};

bool paletteIsDark()
{
    return StatusStyle::isDark(QApplication::palette());
}

} // namespace

class TestThemeController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_settingsDir.isValid());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }

    void withoutPortalTheDefaultStays()
    {
        ThemeController theme;
        theme.start();
        QCOMPARE(theme.choice(), ThemeController::Choice::System);
        QTest::qWait(200);
        QCOMPARE(theme.portalScheme(), -1);
        QVERIFY(!paletteIsDark());
    }

    void followsThePortalWithoutWaitingForIt()
    {
        m_bus = QDBusConnection::connectToBus(QDBusConnection::SessionBus, QStringLiteral("fake-portal"));
        QVERIFY2(m_bus.isConnected(), "no session bus: run under dbus-run-session");
        QVERIFY(m_bus.registerObject(QStringLiteral("/org/freedesktop/portal/desktop"), &m_portal,
            QDBusConnection::ExportAllSlots | QDBusConnection::ExportAllSignals));
        QVERIFY(m_bus.registerService(QStringLiteral("org.freedesktop.portal.Desktop")));

        ThemeController theme;
        QSignalSpy answered(&theme, &ThemeController::portalAnswered);
        theme.start();
        // start() only sent the question: the answer comes through the event loop.
        QCOMPARE(theme.portalScheme(), -1);
        QVERIFY(!paletteIsDark());
        QVERIFY(answered.wait(5000));
        QCOMPARE(theme.portalScheme(), 1);
        QVERIFY(theme.isDark());
        QVERIFY(paletteIsDark());

        // The desktop switches to light: followed.
        answered.clear();
        Q_EMIT m_portal.SettingChanged(QStringLiteral("org.freedesktop.appearance"), QStringLiteral("color-scheme"),
            QDBusVariant(QVariant::fromValue(2u)));
        QVERIFY(answered.wait(5000));
        QVERIFY(!theme.isDark());
        QVERIFY(!paletteIsDark());

        // The user's choice wins over the desktop's and is remembered.
        m_portal.scheme = 1;
        theme.setChoice(ThemeController::Choice::Light);
        QVERIFY(!paletteIsDark());
        QCOMPARE(QSettings().value(QStringLiteral("view/theme")).toString(), QStringLiteral("light"));
        theme.setChoice(ThemeController::Choice::Dark);
        QVERIFY(paletteIsDark());
        ThemeController restarted;
        restarted.start();
        QCOMPARE(restarted.choice(), ThemeController::Choice::Dark);
        QVERIFY(paletteIsDark());
        theme.setChoice(ThemeController::Choice::System);
        QVERIFY(answered.wait(5000));
        QVERIFY(theme.isDark()); // the portal says dark again
    }

private:
    QTemporaryDir m_settingsDir;
    QDBusConnection m_bus {QString()};
    FakePortal m_portal;
};

int main(int argc, char** argv)
{
    // The fake portal needs a session bus of its own: re-run under dbus-run-session (from the dbus-daemon package).
    if (qEnvironmentVariableIsEmpty("PATHWATCH_PRIVATE_BUS")) {
        setenv("PATHWATCH_PRIVATE_BUS", "1", 1);
        std::vector<char*> args {const_cast<char*>("dbus-run-session"), const_cast<char*>("--")};
        for (int i = 0; i < argc; ++i)
            args.push_back(argv[i]);
        args.push_back(nullptr);
        execvp("dbus-run-session", args.data());
        std::fprintf(stderr, "tst_themecontroller: cannot run dbus-run-session (install dbus-daemon)\n");
        return 1;
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("pathwatch-tests"));
    QApplication::setApplicationName(QStringLiteral("tst_themecontroller"));
    TestThemeController test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_themecontroller.moc"
