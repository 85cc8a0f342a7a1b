#pragma once

#include <QDBusVariant>
#include <QObject>
#include <QPalette>

namespace pw {

/// Light and dark for the whole window. Qt 6.4 has no colour-scheme hint, so "System" follows the freedesktop
/// desktop portal's `org.freedesktop.appearance color-scheme` over D-Bus where a portal runs: read with an
/// asynchronous call (the GUI thread never waits on the bus) and followed when it changes. The user's choice
/// (View → Theme) overrides it and is remembered in QSettings. GUI thread only.
class ThemeController : public QObject
{
    Q_OBJECT
public:
    enum class Choice
    {
        System,
        Light,
        Dark
    };
    Q_ENUM(Choice)

    explicit ThemeController(QObject* parent = nullptr);

    /// The remembered choice (System when none), applied; then asks the portal when the choice is System.
    void start();
    Choice choice() const { return m_choice; }
    /// Applies and remembers.
    void setChoice(Choice choice);
    bool isDark() const { return m_dark; }
    /// What the portal said: nullopt-like -1 until it answered (or when there is none), else 0 no preference,
    /// 1 prefer dark, 2 prefer light.
    int portalScheme() const { return m_portalScheme; }

    static QPalette darkPalette();
    static QPalette lightPalette();
    /// Sets the application palette (and re-polishes the widgets that were styled by hand).
    static void applyPalette(bool dark);
    static QString choiceName(Choice choice);

Q_SIGNALS:
    void themeChanged(bool dark);
    /// The portal's answer has been applied (tests wait for it).
    void portalAnswered(int scheme);

private Q_SLOTS:
    void portalSettingChanged(const QString& group, const QString& key, const QDBusVariant& value);

private:
    void askPortal();
    void apply();

    QPalette m_systemPalette; // the platform's own palette, shown for System when the portal asks for no dark
    Choice m_choice = Choice::System;
    int m_portalScheme = -1;
    bool m_dark = false;
    bool m_subscribed = false;
};

} // namespace pw
