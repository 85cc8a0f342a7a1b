#include "presentation/format.h"

#include <QLocale>

#include <cmath>

namespace pw {

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

QString formatAgo(qint64 thenMs, qint64 nowMs)
{
    if (thenMs <= 0)
        return QStringLiteral("never");
    return formatValue(std::max<qint64>(0, nowMs - thenMs) / 1000.0, QStringLiteral("s")) + QStringLiteral(" ago");
}

QString thresholdReason(const ThresholdBreach& breach, const QString& unit)
{
    if (breach.level == Severity::Ok || breach.level == Severity::Unknown)
        return {};
    // "failed or stopped ≥ crit failed or stopped" says nothing a state word alone does not.
    if (unit == QLatin1String("state"))
        return QStringLiteral("job %1").arg(formatValue(breach.value, unit));
    if (!breach.limit)
        return {};
    const QString op
        = breach.direction == Thresholds::Direction::HigherIsWorse ? QStringLiteral("≥") : QStringLiteral("≤");
    const QString level = breach.level == Severity::Crit ? QStringLiteral("crit") : QStringLiteral("warn");
    return QStringLiteral("%1 %2 %3 %4")
        .arg(formatValue(breach.value, unit), op, level, formatValue(*breach.limit, unit));
}

QString dataStopSentence(const Snapshot& snapshot)
{
    if (snapshot.dataStopStageId.isEmpty())
        return {};
    const StageState* stop = nullptr;
    const StageState* before = nullptr;
    for (const auto& stage : snapshot.stages) {
        if (stage.stageId == snapshot.dataStopStageId)
            stop = &stage;
        if (stage.stageId == snapshot.dataStopAfterStageId)
            before = &stage;
    }
    if (!stop || !before || !stop->dataAgeSeconds || !before->dataAgeSeconds)
        return {};
    return QStringLiteral("data stops moving between %1 and %2: newest data %3 old there, %4 before it")
        .arg(before->title, stop->title, formatValue(*stop->dataAgeSeconds, QStringLiteral("s")),
            formatValue(*before->dataAgeSeconds, QStringLiteral("s")));
}

QString seriesName(const QString& signalId, const Labels& labels)
{
    return signalId + labelsToString(labels);
}

QString transitionText(const Transition& t)
{
    QString text = transitionSubjectName(t.subject) + QLatin1Char(' ')
        + (t.subject == Transition::Subject::Signal ? seriesName(t.id, t.labels) : t.id) + QLatin1Char(' ')
        + severityName(t.from) + QStringLiteral(" → ") + severityName(t.to);
    if (t.value)
        text += (t.to == Severity::Stale ? QStringLiteral(" (last value %1)") : QStringLiteral(" (value %1)"))
                    .arg(formatValue(*t.value, t.unit));
    if (!t.reason.isEmpty())
        text += QStringLiteral(": ") + t.reason;
    return text;
}

} // namespace pw
