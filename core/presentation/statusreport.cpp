#include "presentation/statusreport.h"

#include "presentation/format.h"
#include "presentation/snapshotjson.h"

#include <QDateTime>
#include <QList>
#include <QStringList>

namespace pw {

namespace {

QString table(const QList<QStringList>& rows)
{
    if (rows.isEmpty())
        return {};
    QList<int> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (int i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], int(row[i].size()));
    QString text;
    for (const auto& row : rows) {
        QString line;
        for (int i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i] : row[i].leftJustified(widths[i] + 2);
        text += line.trimmed() + QLatin1Char('\n');
    }
    return text;
}

} // namespace

QString statusReport(const Snapshot& s, const QString& origin, const QRegularExpression& groupFilter)
{
    QString text = QStringLiteral("Pipeline %1 — %2 at %3 (%4)\n")
                       .arg(s.pipelineName, severityName(s.overall),
                           QDateTime::fromMSecsSinceEpoch(s.takenMs).toString(Qt::ISODate), origin);
    if (const QString stop = dataStopSentence(s); !stop.isEmpty())
        text += QStringLiteral("Where: %1\n").arg(stop);
    text += QLatin1Char('\n');

    QList<QStringList> rows;
    rows << QStringList {QStringLiteral("STAGE"), QStringLiteral("SIGNAL"), QStringLiteral("LABELS"),
        QStringLiteral("VALUE"), QStringLiteral("STATUS"), QStringLiteral("AGE"), QStringLiteral("REASON")};
    for (const auto& sig : s.signalStates) {
        rows << QStringList {sig.stageId, sig.name, labelsToString(sig.labels),
            sig.hasValue ? formatValue(sig.value, sig.unit) : QStringLiteral("—"), severityName(sig.severity),
            sig.hasValue ? formatAgo(sig.valueTimestampMs, s.takenMs) : QString(), sig.reason};
    }
    text += table(rows);

    for (const DegradedPart& part : s.degraded)
        text += QStringLiteral("\nDegraded: the %1 is not being written (monitoring goes on): %2\n")
                    .arg(degradedPartTitle(part.part), part.reason);

    if (const QStringList unjudged = unjudgedSignals(s); !unjudged.isEmpty()) {
        text += QStringLiteral("\nCould not judge %1 signal%2:\n")
                    .arg(unjudged.size())
                    .arg(unjudged.size() == 1 ? QString() : QStringLiteral("s"));
        for (const QString& line : unjudged)
            text += QStringLiteral("  ") + line + QLatin1Char('\n');
    }

    QList<QStringList> groupRows;
    groupRows << QStringList {QStringLiteral("GROUP"), QStringLiteral("VERDICT"), QStringLiteral("STATUS"),
        QStringLiteral("WORST"), QStringLiteral("LAG"), QStringLiteral("TIME LAG"), QStringLiteral("CONSUME / PRODUCE"),
        QStringLiteral("ETA"), QStringLiteral("NOTE")};
    for (const auto& report : s.consumerLag) {
        if (!report)
            continue;
        const SourceHealth* source = s.findSource(report->sourceId);
        for (const GroupLag& g : report->groups) {
            if (!groupFilter.pattern().isEmpty() && groupFilter.isValid() && !groupFilter.match(g.group).hasMatch())
                continue;
            QStringList row = lagGroupColumns(g, s.takenMs);
            // A source that cannot be read shows its groups' last values, never as current.
            if (source && !source->up) {
                row[2] = severityName(Severity::Stale);
                row.back() = QStringLiteral("source %1: %2").arg(report->sourceId, source->error);
            }
            groupRows << row;
        }
    }
    if (groupRows.size() > 1)
        text += QLatin1Char('\n') + table(groupRows);

    QList<QStringList> sourceRows;
    sourceRows << QStringList {QStringLiteral("SOURCE"), QStringLiteral("KIND"), QStringLiteral("ENDPOINT"),
        QStringLiteral("STATUS"), QStringLiteral("POLL"), QStringLiteral("ERROR")};
    for (const auto& src : s.sources) {
        sourceRows << QStringList {src.sourceId, src.kind, src.endpoint,
            src.up ? QStringLiteral("UP") : severityName(src.severity),
            formatValue(src.lastPollSeconds, QStringLiteral("s")), src.error};
    }
    text += QLatin1Char('\n') + table(sourceRows);
    return text;
}

} // namespace pw
