#pragma once

#include "model/snapshot.h"

#include <QSet>
#include <QWidget>

#include <QTreeView>

class QLabel;
class QLineEdit;

namespace pw {

class ConsumerLagFilterModel;
class ConsumerLagTreeModel;

/// A QTreeView that can be told a burst of changes is coming: it then lays its rows out once afterwards instead of
/// looking up every changed row (QTreeView searches its laid-out rows for each dataChanged).
class LagTreeView : public QTreeView
{
    Q_OBJECT
public:
    using QTreeView::QTreeView;
    void deferLayout() { scheduleDelayedItemsLayout(); }
};

/// The source log's consumer groups: a filter box (a regular expression over group and topic names) over a sortable
/// group → topic → partition tree, worst verdict first. Snapshots update the tree in place (see
/// ConsumerLagTreeModel), so what the user expanded, selected or scrolled to stays. GUI thread only.
class ConsumerLagView : public QWidget
{
    Q_OBJECT
public:
    explicit ConsumerLagView(QWidget* parent = nullptr);

    void setSnapshot(const SnapshotPtr& snapshot);
    /// Only groups of these kafka sources (empty: all).
    void setSourceIds(const QSet<QString>& sourceIds);

    ConsumerLagTreeModel* model() const { return m_model; }
    ConsumerLagFilterModel* proxy() const { return m_proxy; }
    QTreeView* view() const { return m_view; }
    QLineEdit* filterEdit() const { return m_filter; }

Q_SIGNALS:
    /// Double-click on a row: chart that group's series.
    void groupActivated(const QString& sourceId, const QString& group);

private:
    void updateCount();

    ConsumerLagTreeModel* m_model;
    ConsumerLagFilterModel* m_proxy;
    LagTreeView* m_view;
    QLineEdit* m_filter;
    QLabel* m_count;
    bool m_sized = false;
};

} // namespace pw
