#include "sourcehealthmodel.h"

#include "statusstyle.h"

#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

#include <limits>

namespace pw {

SourceHealthModel::SourceHealthModel(QObject* parent)
    : KeyedTableModel(NUM_COLUMNS, LastSuccessColumn, parent)
{ }

Severity SourceHealthModel::displaySeverity(const SourceHealth& s)
{
    if (s.up)
        return Severity::Ok;
    return s.severity == Severity::Ok ? Severity::Stale : s.severity;
}

void SourceHealthModel::setSnapshot(const SnapshotPtr& snapshot)
{
    std::vector<SourceHealthRow> incoming;
    if (snapshot) {
        incoming.reserve(snapshot->sources.size());
        int order = 0;
        for (const auto& s : snapshot->sources)
            incoming.push_back(SourceHealthRow {s, order++});
    }
    setRows(std::move(incoming));
}

std::pair<int, int> SourceHealthModel::changedColumns(const SourceHealthRow& a, const SourceHealthRow& b) const
{
    const SourceHealth& x = a.health;
    const SourceHealth& y = b.health;
    ChangedColumns changed;
    changed.mark(a.order != b.order, SourceColumn);
    changed.mark(x.kind != y.kind, KindColumn);
    changed.mark(x.endpoint != y.endpoint, EndpointColumn);
    changed.mark(x.up != y.up || x.severity != y.severity || x.lastPollSeconds != y.lastPollSeconds
            || x.lastAttemptMs != y.lastAttemptMs,
        StatusColumn);
    changed.mark(x.lastSuccessMs != y.lastSuccessMs || x.lastAttemptMs != y.lastAttemptMs, LastSuccessColumn);
    changed.mark(x.polls != y.polls, PollsColumn);
    changed.mark(x.failures != y.failures, FailuresColumn);
    changed.mark(x.error != y.error, ErrorColumn);
    return changed.span();
}

QVariant SourceHealthModel::displayData(const SourceHealthRow& row, int column) const
{
    const SourceHealth& s = row.health;
    switch (column) {
    case SourceColumn:
        return s.sourceId;
    case KindColumn:
        return s.kind;
    case EndpointColumn:
        return s.endpoint;
    case StatusColumn:
        return s.up ? QStringLiteral("UP") : severityName(displaySeverity(s));
    case LastSuccessColumn:
        return s.lastSuccessMs > 0 ? StatusStyle::formatAge(now() - s.lastSuccessMs) : tr("never");
    case PollsColumn:
        return QLocale(QLocale::English).toString(qulonglong(s.polls));
    case FailuresColumn:
        return QLocale(QLocale::English).toString(qulonglong(s.failures));
    case ErrorColumn:
        return s.error;
    }
    return {};
}

QVariant SourceHealthModel::rowData(const SourceHealthRow& row, int column, int role) const
{
    const SourceHealth& s = row.health;
    switch (role) {
    case Qt::DisplayRole:
        return displayData(row, column);
    case SeverityRole:
        return int(displaySeverity(s));
    case SourceIdRole:
        return s.sourceId;
    case SortRole:
        switch (column) {
        case SourceColumn:
            return row.order;
        case StatusColumn:
            return severityRank(displaySeverity(s));
        case LastSuccessColumn:
            return s.lastSuccessMs > 0 ? now() - s.lastSuccessMs : std::numeric_limits<qint64>::max();
        case PollsColumn:
            return qulonglong(s.polls);
        case FailuresColumn:
            return qulonglong(s.failures);
        default:
            return displayData(row, column);
        }
    case Qt::ToolTipRole:
        switch (column) {
        case StatusColumn:
        case LastSuccessColumn:
            return tr("Last poll took %1 s; last attempt %2")
                .arg(QString::number(s.lastPollSeconds, 'f', 3),
                    s.lastAttemptMs > 0 ? StatusStyle::formatAge(now() - s.lastAttemptMs) : tr("never"));
        case ErrorColumn:
            return s.error.isEmpty() ? QVariant() : QVariant(s.error);
        case EndpointColumn:
            return s.endpoint;
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (column == LastSuccessColumn || column == PollsColumn || column == FailuresColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        if (column == StatusColumn)
            return QVariant::fromValue(Qt::AlignCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (column == ErrorColumn && !s.error.isEmpty())
            return StatusStyle::color(Severity::Crit);
        if (column == FailuresColumn && s.failures == 0)
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    default:
        return {};
    }
}

QVariant SourceHealthModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= NUM_COLUMNS)
        return KeyedTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case SourceColumn:
            return tr("Source");
        case KindColumn:
            return tr("Kind");
        case EndpointColumn:
            return tr("Endpoint");
        case StatusColumn:
            return tr("Status");
        case LastSuccessColumn:
            return tr("Last success");
        case PollsColumn:
            return tr("Polls");
        case FailuresColumn:
            return tr("Failures");
        case ErrorColumn:
            return tr("Error");
        }
    }
    if (role == Qt::TextAlignmentRole
        && (section == LastSuccessColumn || section == PollsColumn || section == FailuresColumn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::TextAlignmentRole && section == StatusColumn)
        return QVariant::fromValue(Qt::AlignCenter);
    return KeyedTableModel::headerData(section, orientation, role);
}

} // namespace pw
