#pragma once

#include "model/snapshot.h"

#include "keyedtablemodel.h"

namespace pw {

/// A row of SignalTableModel.
struct SignalRow
{
    SignalState state;
    QString key; // SignalTableModel::rowKey(state), kept so a diff builds keys only for the incoming rows
    QString stageTitle;
    int order = 0; // position in the snapshot, which lists stages in path order
};

/// One row per series (signal id + labels) of the current Snapshot. Updates diff the rows by that key and emit
/// insert/remove/dataChanged only, never a reset, so a live view keeps its selection and scroll position.
/// Rows are kept in arrival order; sort with a proxy on SortRole (the Stage column sorts in path order).
/// GUI thread only.
class SignalTableModel : public KeyedTableModel<SignalRow>
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
        SortRole, // Qt::UserRole + 1 (KeyedTableModel refreshes it with ages): sorts naturally, stage in path order
        SignalIdRole,
        KeyRole, // signalId + labels: stable identity of the row
    };

    explicit SignalTableModel(QObject* parent = nullptr);

    void setSnapshot(const SnapshotPtr& snapshot);

    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString rowKey(const SignalState& s);

protected:
    QString keyOf(const SignalRow& row) const override { return row.key; }
    std::pair<int, int> changedColumns(const SignalRow& before, const SignalRow& after) const override;
    QVariant rowData(const SignalRow& row, int column, int role) const override;

private:
    QVariant displayData(const SignalRow& row, int column) const;
};

} // namespace pw
