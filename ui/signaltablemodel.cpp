#include "signaltablemodel.h"

#include "presentation/format.h"
#include "statusstyle.h"

#include <QFont>
#include <QGuiApplication>
#include <QHash>
#include <QPalette>

#include <limits>

namespace pw {

SignalTableModel::SignalTableModel(QObject* parent)
    : KeyedTableModel(NUM_COLUMNS, AgeColumn, parent)
{ }

QString SignalTableModel::rowKey(const SignalState& s)
{
    return SignalSeriesKey {s.signalId, s.labels}.key();
}

void SignalTableModel::setSnapshot(const SnapshotPtr& snapshot)
{
    std::vector<SignalRow> incoming;
    if (snapshot) {
        QHash<QString, QString> titles;
        for (const auto& stage : snapshot->stages)
            titles.insert(stage.stageId, stage.title.isEmpty() ? stage.stageId : stage.title);
        incoming.reserve(snapshot->signalStates.size());
        int order = 0;
        for (const auto& s : snapshot->signalStates)
            incoming.push_back(SignalRow {s, rowKey(s), titles.value(s.stageId, s.stageId), order++});
    }
    setRows(std::move(incoming));
}

// The columns a difference shows in; the sort key of the Stage column is the row's position.
std::pair<int, int> SignalTableModel::changedColumns(const SignalRow& a, const SignalRow& b) const
{
    const SignalState& x = a.state;
    const SignalState& y = b.state;
    ChangedColumns changed;
    changed.mark(a.order != b.order || a.stageTitle != b.stageTitle, StageColumn);
    changed.mark(x.name != y.name || x.kind != y.kind || x.sourceId != y.sourceId, SignalColumn);
    changed.mark(x.hasValue != y.hasValue || x.value != y.value || x.unit != y.unit, ValueColumn);
    changed.mark(x.severity != y.severity, ValueColumn, StatusColumn); // the value's style follows the status
    changed.mark(x.valueTimestampMs != y.valueTimestampMs || x.hasValue != y.hasValue, AgeColumn);
    changed.mark(x.reason != y.reason, ReasonColumn);
    return changed.span();
}

QVariant SignalTableModel::displayData(const SignalRow& row, int column) const
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
        return s.hasValue ? StatusStyle::formatAge(now() - s.valueTimestampMs) : QStringLiteral("—");
    case ReasonColumn:
        return s.reason;
    }
    return {};
}

QVariant SignalTableModel::rowData(const SignalRow& row, int column, int role) const
{
    const SignalState& s = row.state;
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
            return s.hasValue ? now() - s.valueTimestampMs : std::numeric_limits<qint64>::max();
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
                .arg(QString::number(s.value, 'g', 10), unitForCount(s.value, s.unit),
                    StatusStyle::formatAge(now() - s.valueTimestampMs));
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
        return KeyedTableModel::headerData(section, orientation, role);
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
    return KeyedTableModel::headerData(section, orientation, role);
}

} // namespace pw
