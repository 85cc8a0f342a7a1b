#include "model/thresholds.h"

#include <QLocale>

#include <cmath>

namespace pw {

namespace {
bool beyond(const Thresholds& t, double value, double limit)
{
    return t.direction == Thresholds::Direction::HigherIsWorse ? value >= limit : value <= limit;
}

// Still beyond the limit once hysteresis is taken into account (used to decide whether to stay at a level).
bool stillBeyond(const Thresholds& t, double value, double limit)
{
    return t.direction == Thresholds::Direction::HigherIsWorse ? value > limit - t.hysteresis
                                                               : value < limit + t.hysteresis;
}
} // namespace

Severity Thresholds::classify(double value) const
{
    if (std::isnan(value))
        return Severity::Unknown;
    if (crit && beyond(*this, value, *crit))
        return Severity::Crit;
    if (warn && beyond(*this, value, *warn))
        return Severity::Warn;
    return Severity::Ok;
}

Severity ThresholdTracker::update(const Thresholds& t, double value, qint64 nowMs, const QString& unit)
{
    Severity raw = t.classify(value);
    // Hysteresis: stay at the current level while the value has not moved back past limit ∓ hysteresis.
    if (severityRank(raw) < severityRank(m_reported)) {
        if (m_reported == Severity::Crit && t.crit && stillBeyond(t, value, *t.crit))
            raw = Severity::Crit;
        else if ((m_reported == Severity::Crit || m_reported == Severity::Warn) && t.warn
            && stillBeyond(t, value, *t.warn) && raw == Severity::Ok)
            raw = Severity::Warn;
    }

    const QString op = t.direction == Thresholds::Direction::HigherIsWorse ? QStringLiteral("≥") : QStringLiteral("≤");
    auto describe = [&](Severity s) -> QString {
        // "failed or stopped ≥ crit failed or stopped" says nothing a state word alone does not.
        if (unit == QLatin1String("state") && s != Severity::Ok)
            return QStringLiteral("job %1").arg(formatValue(value, unit));
        if (s == Severity::Crit && t.crit)
            return QStringLiteral("%1 %2 crit %3").arg(formatValue(value, unit), op, formatValue(*t.crit, unit));
        if (s == Severity::Warn && t.warn)
            return QStringLiteral("%1 %2 warn %3").arg(formatValue(value, unit), op, formatValue(*t.warn, unit));
        return {};
    };

    if (raw == m_reported) {
        m_pending.reset();
        m_reason = describe(raw);
        return m_reported;
    }
    // Getting better is reported at once; getting worse must hold for minDurationMs.
    const bool worsening = severityRank(raw) > severityRank(m_reported) && m_reported != Severity::Unknown;
    if (!worsening || t.minDurationMs <= 0) {
        m_reported = raw;
        m_pending.reset();
        m_reason = describe(raw);
        return m_reported;
    }
    if (!m_pending || *m_pending != raw) {
        m_pending = raw;
        m_pendingSinceMs = nowMs;
    }
    if (nowMs - m_pendingSinceMs >= t.minDurationMs) {
        m_reported = raw;
        m_pending.reset();
        m_reason = describe(raw);
    }
    return m_reported;
}

QString formatValue(double value, const QString& unit)
{
    if (std::isnan(value))
        return QStringLiteral("—");
    if (unit == QLatin1String("s")) {
        const double a = std::fabs(value);
        if (a < 1.0)
            return QStringLiteral("%1 ms").arg(QString::number(value * 1000.0, 'f', a < 0.01 && a >= 0.001 ? 1 : 0));
        if (a < 120.0)
            return QStringLiteral("%1 s").arg(QString::number(value, 'f', a < 10 ? 2 : 1));
        if (a < 7200.0)
            return QStringLiteral("%1 min").arg(QString::number(value / 60.0, 'f', 1));
        if (a < 172800.0)
            return QStringLiteral("%1 h").arg(QString::number(value / 3600.0, 'f', 1));
        return QStringLiteral("%1 d").arg(QString::number(value / 86400.0, 'f', 1));
    }
    if (unit == QLatin1String("ratio"))
        return QStringLiteral("%1 %").arg(QString::number(value * 100.0, 'f', 2));
    if (unit == QLatin1String("state")) {
        // The job-state codes of the Flink source (see FlinkSource::jobStateCode).
        if (value == 0.0)
            return QStringLiteral("running");
        if (value == 1.0)
            return QStringLiteral("(re)starting");
        if (value == 2.0)
            return QStringLiteral("failed or stopped");
    }
    const QLocale c = QLocale::c();
    QString number = std::fabs(value) >= 1000.0 || value == std::floor(value)
        ? QLocale(QLocale::English).toString(value, 'f', 0)
        : c.toString(value, 'g', 4);
    return unit.isEmpty() ? number : number + QLatin1Char(' ') + unit;
}

QString formatValueShort(double value, const QString& unit)
{
    const double a = std::fabs(value);
    if (std::isnan(value) || a < 10000.0 || unit == QLatin1String("s") || unit == QLatin1String("ratio")
        || unit == QLatin1String("state"))
        return formatValue(value, unit);
    static constexpr struct
    {
        double scale;
        const char* suffix;
    } kScales[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    for (const auto& s : kScales) {
        if (a < s.scale)
            continue;
        const double scaled = value / s.scale;
        const int decimals = std::fabs(scaled) >= 100 ? 0 : std::fabs(scaled) >= 10 ? 1 : 2;
        const QString number = QString::number(scaled, 'f', decimals) + QLatin1Char(' ') + QLatin1String(s.suffix);
        return unit.isEmpty() ? number : number + QLatin1Char(' ') + unit;
    }
    return formatValue(value, unit);
}

} // namespace pw
