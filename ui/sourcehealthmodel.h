#pragma once

#include "model/snapshot.h"

#include <QAbstractTableModel>

#include <functional>
#include <vector>

namespace pw {

/// One row per source of the current Snapshot: can we read it, since when, and why not. Updates diff the rows by
/// source id (insert/remove/dataChanged, never a reset). GUI thread only.
class SourceHealthModel : public QAbstractTableModel
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
        SortRole,
        SourceIdRole,
    };

    explicit SourceHealthModel(QObject* parent = nullptr);

    void setSnapshot(const SnapshotPtr& snapshot);
    void setClock(std::function<qint64()> clock);
    /// Re-evaluates the "last success" ages against the clock.
    void refreshAges();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The status a row shows: OK when the last poll succeeded, otherwise the source's own severity.
    static Severity displaySeverity(const SourceHealth& s);

private:
    struct Row
    {
        SourceHealth health;
        int order = 0;
    };
    QVariant displayData(const Row& row, int column) const;

    std::vector<Row> m_rows;
    std::function<qint64()> m_clock;
};

} // namespace pw
