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
    return unit.isEmpty() ? number : number + QLatin1Char(' ') + unitForCount(value, unit);
}

QString unitForCount(double value, const QString& unit)
{
    // Only a plain lower-case English plural is touched: "ms", "rec/s" or "windows (late)" are not count nouns
    // this can safely take apart, and three letters or fewer are abbreviations more often than words.
    if (value != 1.0 || unit.size() < 4 || !unit.endsWith(u's') || unit.endsWith(QLatin1String("ss"))
        || unit.endsWith(QLatin1String("us")))
        return unit;
    for (const QChar c : unit)
        if (c < u'a' || c > u'z')
            return unit;
    if (unit.endsWith(QLatin1String("ies")))
        return unit.chopped(3) + QLatin1Char('y');
    for (const char* ending : {"sses", "ches", "shes", "xes"})
        if (unit.endsWith(QLatin1String(ending)))
            return unit.chopped(2);
    return unit.chopped(1);
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

QString degradedPartTitle(const QString& part)
{
    if (part == QLatin1String("ledger"))
        return QStringLiteral("recovery ledger");
    if (part == QLatin1String("history"))
        return QStringLiteral("saved history");
    return part;
}

QString degradedSentence(const std::vector<DegradedPart>& parts, qint64 nowMs)
{
    if (parts.empty())
        return {};
    QStringList what;
    for (const DegradedPart& part : parts) {
        QString text = degradedPartTitle(part.part) + QStringLiteral(" not written");
        if (part.sinceMs > 0 && nowMs - part.sinceMs >= 1000)
            text += QStringLiteral(" for ") + formatValue((nowMs - part.sinceMs) / 1000.0, QStringLiteral("s"));
        if (!part.reason.isEmpty())
            text += QStringLiteral(": ") + part.reason;
        what << text;
    }
    return QStringLiteral("DEGRADED — %1; monitoring goes on").arg(what.join(QStringLiteral("; ")));
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

QString catchUpSentence(const GroupLag& group)
{
    if (group.totalLag == 0)
        return QStringLiteral("caught up");
    if (group.catchUpSeconds)
        return QStringLiteral("catches up in %1").arg(formatValue(*group.catchUpSeconds, QStringLiteral("s")));
    if (group.fallingBehindRate > 0)
        return QStringLiteral("falling behind at %1")
            .arg(formatValue(group.fallingBehindRate, QStringLiteral("records/s")));
    return QStringLiteral("not consuming");
}

QString timeLagText(std::optional<double> seconds, TimeLagBasis basis)
{
    if (!seconds)
        return QStringLiteral("—");
    QString why;
    switch (basis) {
    case TimeLagBasis::CaughtUp:
        why = QStringLiteral("caught up");
        break;
    case TimeLagBasis::WatermarkHistory:
        why = QStringLiteral("watermark history");
        break;
    case TimeLagBasis::LogAppendTime:
        why = QStringLiteral("record append time");
        break;
    case TimeLagBasis::CreateTime:
        why = QStringLiteral("record create time");
        break;
    case TimeLagBasis::None:
        break;
    }
    const QString value = formatValue(*seconds, QStringLiteral("s"));
    return why.isEmpty() ? value : QStringLiteral("%1 (%2)").arg(value, why);
}

QString lagVerdictReason(const GroupLag& group)
{
    if (group.worstPartition < 0 || size_t(group.worstPartition) >= group.partitions.size())
        return QStringLiteral("%1: no partition judged yet").arg(lagVerdictName(group.verdict));
    const PartitionLag& p = group.partitions[size_t(group.worstPartition)];
    const QString where = QStringLiteral("%1[%2]").arg(p.topic).arg(p.partition);
    if (p.verdict == LagVerdict::Rewound)
        return p.rewindExplained
            ? QStringLiteral("REWOUND on %1 by a replay in the audit log").arg(where)
            : QStringLiteral("REWOUND on %1: the committed offset went back, and no replay in the audit log did it")
                  .arg(where);
    QString text = QStringLiteral("%1 on %2: lag %3")
                       .arg(lagVerdictName(p.verdict), where, formatValue(double(p.lag), QStringLiteral("records")));
    if (p.timeLagSeconds && *p.timeLagSeconds > 0)
        text += QStringLiteral(", %1 behind").arg(formatValue(*p.timeLagSeconds, QStringLiteral("s")));
    switch (p.verdict) {
    case LagVerdict::Stalled:
        text += QStringLiteral(", committing without advancing");
        break;
    case LagVerdict::Stopped:
        text += p.lastCommitMs > 0
            ? QStringLiteral(", no commit since %1").arg(formatAgo(p.lastCommitMs, group.observedMs))
            : QStringLiteral(", not committing");
        break;
    case LagVerdict::NotAdvancing:
        text += QStringLiteral(", not advancing (commit times unreadable: stalled or stopped)");
        break;
    case LagVerdict::Lagging:
        text += QStringLiteral(", %1").arg(catchUpSentence(group));
        break;
    default:
        break;
    }
    return text;
}

QStringList lagGroupColumns(const GroupLag& group, qint64 nowMs)
{
    QString worst = QStringLiteral("—");
    std::optional<double> seconds;
    TimeLagBasis basis = TimeLagBasis::None;
    if (group.worstPartition >= 0 && size_t(group.worstPartition) < group.partitions.size()) {
        const PartitionLag& p = group.partitions[size_t(group.worstPartition)];
        worst = QStringLiteral("%1[%2]").arg(p.topic).arg(p.partition);
        seconds = p.timeLagSeconds;
        basis = p.timeLagBasis;
    }
    QString verdict = lagVerdictName(group.verdict);
    if (group.verdict == LagVerdict::Rewound && group.partitions.size() > size_t(std::max(group.worstPartition, 0))
        && group.partitions[size_t(std::max(group.worstPartition, 0))].rewindExplained)
        verdict += QStringLiteral(" (replay)");
    QString note = group.deleted ? QStringLiteral("deleted from the cluster") : group.error;
    if (!group.deleted && group.error.isEmpty() && group.observedMs > 0 && nowMs - group.observedMs > 60000)
        note = QStringLiteral("read %1").arg(formatAgo(group.observedMs, nowMs));
    return {group.group, verdict, severityName(group.severity), worst,
        formatValue(double(group.totalLag), QStringLiteral("records")), timeLagText(seconds, basis),
        QStringLiteral("%1 / %2").arg(formatValue(group.consumeRate, QStringLiteral("rec/s")),
            formatValue(group.produceRate, QStringLiteral("rec/s"))),
        catchUpSentence(group), note};
}

} // namespace pw
