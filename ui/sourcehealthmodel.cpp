#include "sourcehealthmodel.h"

#include "rowdiff.h"
#include "statusstyle.h"

#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

#include <limits>

namespace pw {

SourceHealthModel::SourceHealthModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_clock(&pw::nowMs)
{ }

Severity SourceHealthModel::displaySeverity(const SourceHealth& s)
{
    if (s.up)
        return Severity::Ok;
    return s.severity == Severity::Ok ? Severity::Stale : s.severity;
}

void SourceHealthModel::setSnapshot(const SnapshotPtr& snapshot)
{
    std::vector<Row> incoming;
    if (snapshot) {
        incoming.reserve(snapshot->sources.size());
        int order = 0;
        for (const auto& s : snapshot->sources)
            incoming.push_back(Row {s, order++});
    }
    auto changedColumns = [](const Row& a, const Row& b) -> std::pair<int, int> {
        const SourceHealth& x = a.health;
        const SourceHealth& y = b.health;
        int first = NUM_COLUMNS;
        int last = -1;
        auto mark = [&](bool differs, int from, int to) {
            if (differs) {
                first = std::min(first, from);
                last = std::max(last, to);
            }
        };
        mark(a.order != b.order, SourceColumn, SourceColumn);
        mark(x.kind != y.kind, KindColumn, KindColumn);
        mark(x.endpoint != y.endpoint, EndpointColumn, EndpointColumn);
        mark(x.up != y.up || x.severity != y.severity || x.lastPollSeconds != y.lastPollSeconds
                || x.lastAttemptMs != y.lastAttemptMs,
            StatusColumn, StatusColumn);
        mark(x.lastSuccessMs != y.lastSuccessMs || x.lastAttemptMs != y.lastAttemptMs, LastSuccessColumn,
            LastSuccessColumn);
        mark(x.polls != y.polls, PollsColumn, PollsColumn);
        mark(x.failures != y.failures, FailuresColumn, FailuresColumn);
        mark(x.error != y.error, ErrorColumn, ErrorColumn);
        return last < 0 ? std::pair {-1, -1} : std::pair {first, last};
    };
    const RowDiffHooks hooks {
        [this](int f, int l) { beginRemoveRows({}, f, l); },
        [this] { endRemoveRows(); },
        [this](int f, int l) { beginInsertRows({}, f, l); },
        [this] { endInsertRows(); },
        [this](int f, int l, int fc, int lc) { Q_EMIT dataChanged(index(f, fc), index(l, lc)); },
    };
    applyRowDiff(
        m_rows, std::move(incoming), [](const Row& r) { return r.health.sourceId; }, changedColumns, hooks);
}

void SourceHealthModel::setClock(std::function<qint64()> clock)
{
    m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
    refreshAges();
}

void SourceHealthModel::refreshAges()
{
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, LastSuccessColumn), index(rowCount() - 1, LastSuccessColumn),
            {Qt::DisplayRole, SortRole, Qt::ToolTipRole});
}

int SourceHealthModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SourceHealthModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : NUM_COLUMNS;
}

QVariant SourceHealthModel::displayData(const Row& row, int column) const
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
        return s.lastSuccessMs > 0 ? StatusStyle::formatAge(m_clock() - s.lastSuccessMs) : tr("never");
    case PollsColumn:
        return QLocale(QLocale::English).toString(qulonglong(s.polls));
    case FailuresColumn:
        return QLocale(QLocale::English).toString(qulonglong(s.failures));
    case ErrorColumn:
        return s.error;
    }
    return {};
}

QVariant SourceHealthModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[size_t(index.row())];
    const SourceHealth& s = row.health;
    const int column = index.column();
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
            return s.lastSuccessMs > 0 ? m_clock() - s.lastSuccessMs : std::numeric_limits<qint64>::max();
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
                    s.lastAttemptMs > 0 ? StatusStyle::formatAge(m_clock() - s.lastAttemptMs) : tr("never"));
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
        return QAbstractTableModel::headerData(section, orientation, role);
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
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace pw
