#pragma once

#include "model/snapshot.h"

#include "keyedtablemodel.h"

namespace pw {

/// A row of SourceHealthModel.
struct SourceHealthRow
{
    SourceHealth health;
    int order = 0; // position in the snapshot (config order)
};

/// One row per source of the current Snapshot: can we read it, since when, and why not. Updates diff the rows by
/// source id (insert/remove/dataChanged, never a reset). GUI thread only.
class SourceHealthModel : public KeyedTableModel<SourceHealthRow>
{
    Q_OBJECT
public:
    enum Columns
    {
        SourceColumn,
        KindColumn,
        EndpointColumn,
        StatusColumn,
        LastSuccessColumn,
        PollsColumn,
        FailuresColumn,
        ErrorColumn,
        NUM_COLUMNS
    };
    enum Roles
    {
        SeverityRole = Qt::UserRole, // int(pw::Severity): OK when up, else STALE or UNKNOWN
        SortRole, // Qt::UserRole + 1 (KeyedTableModel refreshes it with ages)
        SourceIdRole,
    };

    explicit SourceHealthModel(QObject* parent = nullptr);

    void setSnapshot(const SnapshotPtr& snapshot);

    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The status a row shows: OK when the last poll succeeded, otherwise the source's own severity.
    static Severity displaySeverity(const SourceHealth& s);

protected:
    QString keyOf(const SourceHealthRow& row) const override { return row.health.sourceId; }
    std::pair<int, int> changedColumns(const SourceHealthRow& before, const SourceHealthRow& after) const override;
    QVariant rowData(const SourceHealthRow& row, int column, int role) const override;

private:
    QVariant displayData(const SourceHealthRow& row, int column) const;
};

} // namespace pw
