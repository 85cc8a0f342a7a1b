#include "theme.h"

#include <QApplication>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QSettings>
#include <QStyle>
#include <QWidget>

namespace pw {

namespace {

const QString kPortalService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString kPortalPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString kPortalSettings = QStringLiteral("org.freedesktop.portal.Settings");
const QString kAppearance = QStringLiteral("org.freedesktop.appearance");
const QString kColorScheme = QStringLiteral("color-scheme");
const QString kSettingsKey = QStringLiteral("view/theme");

// The portal wraps the value in one or two variants depending on its version.
int schemeFrom(QVariant v)
{
    while (v.canConvert<QDBusVariant>() && v.userType() == qMetaTypeId<QDBusVariant>())
        v = v.value<QDBusVariant>().variant();
    bool ok = false;
    const uint scheme = v.toUInt(&ok);
    return ok && scheme <= 2 ? int(scheme) : 0;
}

} // namespace

ThemeController::ThemeController(QObject* parent)
    : QObject(parent)
    , m_systemPalette(QApplication::palette())
{ }

QString ThemeController::choiceName(Choice choice)
{
    switch (choice) {
    case Choice::Light:
        return QStringLiteral("light");
    case Choice::Dark:
        return QStringLiteral("dark");
    case Choice::System:
        break;
    }
    return QStringLiteral("system");
}

void ThemeController::start()
{
    const QString saved = QSettings().value(kSettingsKey).toString();
    m_choice = saved == QLatin1String("light") ? Choice::Light
        : saved == QLatin1String("dark")       ? Choice::Dark
                                               : Choice::System;
    apply();
    if (m_choice == Choice::System)
        askPortal();
}

void ThemeController::setChoice(Choice choice)
{
    m_choice = choice;
    QSettings().setValue(kSettingsKey, choiceName(choice));
    apply();
    if (choice == Choice::System)
        askPortal();
}

void ThemeController::askPortal()
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected())
        return; // no session bus: the default (light) palette stays
    if (!m_subscribed) {
        m_subscribed = bus.connect(kPortalService, kPortalPath, kPortalSettings, QStringLiteral("SettingChanged"), this,
            SLOT(portalSettingChanged(QString, QString, QDBusVariant)));
    }
    QDBusMessage call
        = QDBusMessage::createMethodCall(kPortalService, kPortalPath, kPortalSettings, QStringLiteral("Read"));
    call << kAppearance << kColorScheme;
    // Asynchronous: an absent or slow portal never holds the window up; the answer lands in the event loop.
    auto* watcher = new QDBusPendingCallWatcher(bus.asyncCall(call, 2000), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher* w) {
        w->deleteLater();
        QDBusPendingReply<QVariant> reply = *w;
        if (reply.isError())
            return; // no portal (or no such setting): keep what is shown
        m_portalScheme = schemeFrom(reply.value());
        apply();
        Q_EMIT portalAnswered(m_portalScheme);
    });
}

void ThemeController::portalSettingChanged(const QString& group, const QString& key, const QDBusVariant& value)
{
    if (group != kAppearance || key != kColorScheme)
        return;
    m_portalScheme = schemeFrom(value.variant());
    apply();
    Q_EMIT portalAnswered(m_portalScheme);
}

void ThemeController::apply()
{
    const bool dark = m_choice == Choice::Dark || (m_choice == Choice::System && m_portalScheme == 1);
    const bool changed = dark != m_dark;
    m_dark = dark;
    // "System" without a dark request keeps the platform's palette (a desktop theme plugin may have set one).
    QApplication::setPalette(dark ? darkPalette() : m_choice == Choice::System ? m_systemPalette : lightPalette());
    if (changed)
        Q_EMIT themeChanged(dark);
}

QPalette ThemeController::lightPalette()
{
    return QApplication::style()->standardPalette();
}

QPalette ThemeController::darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31);
    const QColor base(0x1e, 0x1f, 0x22);
    const QColor text(0xe6, 0xe6, 0xe6);
    const QColor disabledText(0x80, 0x82, 0x86);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2b));
    p.setColor(QPalette::ToolTipBase, QColor(0x3c, 0x3f, 0x44));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9c, 0xa0));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x35, 0x37, 0x3b));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Midlight, QColor(0x3e, 0x41, 0x46));
    p.setColor(QPalette::Mid, QColor(0x4f, 0x52, 0x57));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xb5));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xb0, 0xf5));
    p.setColor(QPalette::LinkVisited, QColor(0xb0, 0x8c, 0xf0));
    for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabledText);
    return p;
}

void ThemeController::applyPalette(bool dark)
{
    QApplication::setPalette(dark ? darkPalette() : lightPalette());
}

} // namespace pw
