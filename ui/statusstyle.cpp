#include "statusstyle.h"

#include <QStringList>

namespace pw::StatusStyle {

QColor color(Severity s)
{
    switch (s) {
    case Severity::Ok:
        return QColor(0x2e, 0x9e, 0x5b);
    case Severity::Warn:
        return QColor(0xf0, 0xa7, 0x1b);
    case Severity::Crit:
        return QColor(0xdc, 0x3a, 0x3a);
    case Severity::Stale:
        return QColor(0x83, 0x79, 0x9e);
    case Severity::Unknown:
        return QColor(0x8a, 0x8f, 0x98);
    }
    return QColor(0x8a, 0x8f, 0x98);
}

QColor onColor(Severity s)
{
    return s == Severity::Warn ? QColor(0x1f, 0x1a, 0x10) : QColor(Qt::white);
}

QColor tint(Severity s, const QPalette& palette)
{
    const QColor base = palette.color(QPalette::Base);
    const QColor c = color(s);
    // Stronger on dark backgrounds, where a 6 % tint would vanish; CRIT gets more so it is impossible to miss.
    double alpha = isDark(palette) ? 0.12 : 0.07;
    if (s == Severity::Crit)
        alpha *= 1.8;
    if (s == Severity::Ok || s == Severity::Unknown)
        alpha *= 0.5;
    return QColor::fromRgbF(base.redF() * (1 - alpha) + c.redF() * alpha,
        base.greenF() * (1 - alpha) + c.greenF() * alpha, base.blueF() * (1 - alpha) + c.blueF() * alpha);
}

bool isDark(const QPalette& palette)
{
    return palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
}

QString formatAge(qint64 ageMs)
{
    if (ageMs < 0)
        return QStringLiteral("—");
    const qint64 s = ageMs / 1000;
    if (s < 1)
        return QStringLiteral("just now");
    if (s < 120)
        return QStringLiteral("%1 s ago").arg(s);
    if (s < 7200)
        return QStringLiteral("%1 min ago").arg(s / 60);
    if (s < 172800)
        return QStringLiteral("%1 h ago").arg(s / 3600);
    return QStringLiteral("%1 d ago").arg(s / 86400);
}

QString formatLabels(const std::vector<std::pair<QString, QString>>& labels)
{
    QStringList parts;
    parts.reserve(qsizetype(labels.size()));
    for (const auto& [name, value] : labels)
        parts << name + QLatin1Char('=') + value;
    return parts.join(QStringLiteral(", "));
}

} // namespace pw::StatusStyle
