#pragma once

#include "model/snapshot.h"

#include <QAbstractTableModel>

#include <functional>
#include <vector>

namespace pw {

/// One row per series (signal id + labels) of the current Snapshot. Updates diff the rows by that key and emit
/// insert/remove/dataChanged only, never a reset, so a live view keeps its selection and scroll position.
/// Rows are kept in arrival order; sort with a proxy on SortRole (the Stage column sorts in path order).
/// GUI thread only.
class SignalTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Columns
    {
        StageColumn,
        SignalColumn,
        LabelsColumn,
        ValueColumn,
        StatusColumn,
        AgeColumn,
        ReasonColumn,
        NUM_COLUMNS
    };
    enum Roles
    {
        SeverityRole = Qt::UserRole, // int(pw::Severity)
        SortRole, // a value that sorts naturally (numbers as numbers, stage in path order)
        SignalIdRole,
        KeyRole, // signalId + labels: stable identity of the row
    };

    explicit SignalTableModel(QObject* parent = nullptr);

    void setSnapshot(const SnapshotPtr& snapshot);
    /// Wall clock used for the Age column (ms since epoch); tests and screenshots pin it.
    void setClock(std::function<qint64()> clock);
    /// Re-evaluates the Age column against the clock (called every second without a new snapshot).
    void refreshAges();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString rowKey(const SignalState& s);

private:
    struct Row
    {
        SignalState state;
        QString key; // rowKey(state), kept so a diff builds keys only for the incoming rows
        QString stageTitle;
        int order = 0; // position in the snapshot, which lists stages in path order
    };
    QVariant displayData(const Row& row, int column) const;

    std::vector<Row> m_rows;
    std::function<qint64()> m_clock;
};

} // namespace pw
