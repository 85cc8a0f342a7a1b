#include "signaltablemodel.h"

#include "presentation/format.h"
#include "rowdiff.h"
#include "statusstyle.h"

#include <QFont>
#include <QGuiApplication>
#include <QHash>
#include <QPalette>

#include <limits>

namespace pw {

SignalTableModel::SignalTableModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_clock(&pw::nowMs)
{ }

QString SignalTableModel::rowKey(const SignalState& s)
{
    return SignalSeriesKey {s.signalId, s.labels}.key();
}

void SignalTableModel::setSnapshot(const SnapshotPtr& snapshot)
{
    std::vector<Row> incoming;
    if (snapshot) {
        QHash<QString, QString> titles;
        for (const auto& stage : snapshot->stages)
            titles.insert(stage.stageId, stage.title.isEmpty() ? stage.stageId : stage.title);
        incoming.reserve(snapshot->signalStates.size());
        int order = 0;
        for (const auto& s : snapshot->signalStates)
            incoming.push_back(Row {s, rowKey(s), titles.value(s.stageId, s.stageId), order++});
    }
    // The columns a difference shows in; the sort key of the Stage column is the row's position.
    auto changedColumns = [](const Row& a, const Row& b) -> std::pair<int, int> {
        const SignalState& x = a.state;
        const SignalState& y = b.state;
        int first = NUM_COLUMNS;
        int last = -1;
        auto mark = [&](bool differs, int from, int to) {
            if (differs) {
                first = std::min(first, from);
                last = std::max(last, to);
            }
        };
        mark(a.order != b.order || a.stageTitle != b.stageTitle, StageColumn, StageColumn);
        mark(x.name != y.name || x.kind != y.kind, SignalColumn, SignalColumn);
        mark(x.hasValue != y.hasValue || x.value != y.value || x.unit != y.unit, ValueColumn, ValueColumn);
        mark(x.severity != y.severity, ValueColumn, StatusColumn); // the value's style follows the status
        mark(x.valueTimestampMs != y.valueTimestampMs || x.hasValue != y.hasValue, AgeColumn, AgeColumn);
        mark(x.reason != y.reason, ReasonColumn, ReasonColumn);
        mark(x.sourceId != y.sourceId, SignalColumn, SignalColumn);
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
        m_rows, std::move(incoming), [](const Row& r) { return r.key; }, changedColumns, hooks);
}

void SignalTableModel::setClock(std::function<qint64()> clock)
{
    m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
    refreshAges();
}

void SignalTableModel::refreshAges()
{
    if (!m_rows.empty())
        Q_EMIT dataChanged(
            index(0, AgeColumn), index(rowCount() - 1, AgeColumn), {Qt::DisplayRole, SortRole, Qt::ToolTipRole});
}

int SignalTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SignalTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : NUM_COLUMNS;
}

QVariant SignalTableModel::displayData(const Row& row, int column) const
{
    const SignalState& s = row.state;
    switch (column) {
    case StageColumn:
        return row.stageTitle;
    case SignalColumn:
        return s.name;
    case LabelsColumn:
        return StatusStyle::formatLabels(s.labels);
    case ValueColumn:
        return s.hasValue ? formatValue(s.value, s.unit) : QStringLiteral("—");
    case StatusColumn:
        return severityName(s.severity);
    case AgeColumn:
        return s.hasValue ? StatusStyle::formatAge(m_clock() - s.valueTimestampMs) : QStringLiteral("—");
    case ReasonColumn:
        return s.reason;
    }
    return {};
}

QVariant SignalTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[size_t(index.row())];
    const SignalState& s = row.state;
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayData(row, column);
    case SeverityRole:
        return int(s.severity);
    case SignalIdRole:
        return s.signalId;
    case KeyRole:
        return row.key;
    case SortRole:
        switch (column) {
        case StageColumn:
            return row.order;
        case ValueColumn:
            return s.hasValue ? s.value : -std::numeric_limits<double>::infinity();
        case StatusColumn:
            return severityRank(s.severity);
        case AgeColumn:
            return s.hasValue ? m_clock() - s.valueTimestampMs : std::numeric_limits<qint64>::max();
        default:
            return displayData(row, column);
        }
    case Qt::ToolTipRole:
        switch (column) {
        case SignalColumn:
            return QStringLiteral("%1 (%2)").arg(s.signalId, signalKindTitle(s.kind));
        case ValueColumn:
        case AgeColumn:
            if (!s.hasValue)
                return tr("No value yet");
            return tr("%1 %2, observed %3")
                .arg(QString::number(s.value, 'g', 10), s.unit, StatusStyle::formatAge(m_clock() - s.valueTimestampMs));
        case ReasonColumn:
        case StatusColumn:
            return s.reason.isEmpty() ? QVariant() : QVariant(s.reason);
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (column == ValueColumn || column == AgeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        if (column == StatusColumn)
            return QVariant::fromValue(Qt::AlignCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // A kept value of an unreadable source must not look current.
        if ((column == ValueColumn || column == AgeColumn)
            && (s.severity == Severity::Stale || s.severity == Severity::Unknown))
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        if (column == ReasonColumn && s.severity == Severity::Crit)
            return StatusStyle::color(Severity::Crit);
        return {};
    case Qt::FontRole:
        if (column == ValueColumn && s.severity == Severity::Stale) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    default:
        return {};
    }
}

QVariant SignalTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= NUM_COLUMNS)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case StageColumn:
            return tr("Stage");
        case SignalColumn:
            return tr("Signal");
        case LabelsColumn:
            return tr("Labels");
        case ValueColumn:
            return tr("Value");
        case StatusColumn:
            return tr("Status");
        case AgeColumn:
            return tr("Age");
        case ReasonColumn:
            return tr("Reason");
        }
    }
    if (role == Qt::TextAlignmentRole && (section == ValueColumn || section == AgeColumn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::TextAlignmentRole && section == StatusColumn)
        return QVariant::fromValue(Qt::AlignCenter);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace pw
