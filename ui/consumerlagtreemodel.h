#pragma once

#include "model/snapshot.h"

#include <QAbstractItemModel>
#include <QSet>
#include <QSortFilterProxyModel>

#include <memory>
#include <optional>
#include <vector>

namespace pw {

/// Consumer groups as a tree: group → topic → partition, with offset lag, time lag, data age, replay headroom,
/// verdict, rates and catch-up. Groups come from the snapshot's lag reports (kafka sources that watch `groups`) and,
/// for sources without a report, from the consumer_lag and time_lag series labelled with a group (their status is
/// then the signal's). Data age and replay headroom come from the data_age and replay_headroom series labelled with
/// topic and partition. Updates are diffed level by level (insert/remove/dataChanged of the changed columns only,
/// never a reset), so selection, expansion and scroll survive every snapshot. GUI thread only.
class ConsumerLagTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Columns
    {
        NameColumn,
        StatusColumn,
        OffsetLagColumn,
        TimeLagColumn,
        DataAgeColumn,
        ReplayHeadroomColumn,
        ConsumeRateColumn,
        ProduceRateColumn,
        CatchUpColumn,
        NUM_COLUMNS
    };
    enum Roles
    {
        SeverityRole = Qt::UserRole, // int(pw::Severity)
        SortRole, // numbers as numbers; unknown values sort below every known one
        LevelRole, // int(Level)
        GroupRole,
        TopicRole, // empty on group rows
        PartitionRole, // -1 unless a partition row
        SourceIdRole,
    };
    enum class Level
    {
        Group,
        Topic,
        Partition
    };

    explicit ConsumerLagTreeModel(QObject* parent = nullptr);
    ~ConsumerLagTreeModel() override;

    void setSnapshot(const SnapshotPtr& snapshot);
    /// Only groups of these sources (empty: every source).
    void setSourceIds(const QSet<QString>& sourceIds);

    int groupCount() const;
    int partitionCount() const { return m_partitionCount; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    struct Values
    {
        std::optional<LagVerdict> verdict; // absent for groups seen only through signals: the status is `severity`
        bool rewindExplained = false;
        bool deleted = false;
        bool stale = false; // the source could not be read: the numbers are the last good ones
        Severity severity = Severity::Unknown;
        std::optional<int64_t> lag;
        std::optional<double> timeLagSeconds;
        TimeLagBasis timeLagBasis = TimeLagBasis::None;
        std::optional<double> dataAgeSeconds;
        std::optional<double> replayHeadroomSeconds;
        std::optional<double> consumeRate;
        std::optional<double> produceRate;
        std::optional<double> catchUpSeconds;
        double fallingBehindRate = 0.0;
        QString detail; // tooltip of a group or a signal's row: the verdict's reason, group state, errors
        // A partition's offsets, for its tooltip (built when asked: 10,000 formatted strings per poll would cost
        // more than the rest of an update).
        int64_t committedOffset = -1;
        int64_t highWatermark = -1;
        int64_t logStartOffset = -1;
        qint64 lastCommitMs = 0;
        int windowPolls = 0;
    };
    struct Node;

private:
    struct Incoming;
    void syncChildren(Node* parent, const QModelIndex& parentIndex, std::vector<Incoming>& incoming);
    static std::unique_ptr<Node> buildNode(Node* parent, int row, Incoming& in);
    Node* nodeOf(const QModelIndex& index) const;
    QVariant displayData(const Node& node, int column) const;
    QVariant sortData(const Node& node, int column) const;

    std::unique_ptr<Node> m_root;
    QSet<QString> m_sourceIds;
    int m_partitionCount = 0;
};

/// Sorts on ConsumerLagTreeModel::SortRole and filters with a regular expression over group and topic names: a row
/// is shown when its group or its topic matches, or when one of its children does (recursive filtering), so typing a
/// topic shows it under every group that reads it.
class ConsumerLagFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit ConsumerLagFilterModel(QObject* parent = nullptr);
    /// Case-insensitive; an invalid expression shows everything and returns false.
    bool setPattern(const QString& pattern);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
};

} // namespace pw
