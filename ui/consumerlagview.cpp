#include "consumerlagview.h"

#include "consumerlagtreemodel.h"
#include "severitydelegate.h"

#include "presentation/format.h"
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>

#include <QLocale>
#include <QTreeView>
#include <QVBoxLayout>

namespace pw {

ConsumerLagView::ConsumerLagView(QWidget* parent)
    : QWidget(parent)
    , m_model(new ConsumerLagTreeModel(this))
    , m_proxy(new ConsumerLagFilterModel(this))
{
    setObjectName(QStringLiteral("consumerLagView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    auto* header = new QHBoxLayout;
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("consumerLagCount"));
    QFont bold = m_count->font();
    bold.setBold(true);
    m_count->setFont(bold);
    header->addWidget(m_count, 1);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("consumerLagFilter"));
    m_filter->setPlaceholderText(tr("Filter groups or topics (regular expression)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setMinimumWidth(m_filter->fontMetrics().horizontalAdvance(m_filter->placeholderText()) + 40);
    header->addWidget(m_filter);
    layout->addLayout(header);

    m_proxy->setSourceModel(m_model);
    m_proxy->setDynamicSortFilter(true);
    m_view = new LagTreeView(this);
    m_view->setObjectName(QStringLiteral("consumerLagTree"));
    // Every row one line high: the view then lays out 10,000 partitions without measuring each.
    m_view->setUniformRowHeights(true);
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ConsumerLagTreeModel::StatusColumn, Qt::DescendingOrder);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setItemDelegateForColumn(
        ConsumerLagTreeModel::StatusColumn, new SeverityDelegate(ConsumerLagTreeModel::SeverityRole, m_view));
    m_view->header()->setStretchLastSection(true);
    m_view->header()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_view->setToolTip(tr("Double-click a group to chart its series"));
    layout->addWidget(m_view, 1);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        const bool valid = m_proxy->setPattern(text);
        m_filter->setStyleSheet(valid ? QString() : QStringLiteral("QLineEdit { border: 1px solid #c62828; }"));
        m_filter->setToolTip(valid ? QString() : tr("Not a valid regular expression: showing every group"));
        updateCount();
    });
    connect(m_view, &QTreeView::doubleClicked, this, [this](const QModelIndex& index) {
        Q_EMIT groupActivated(index.data(ConsumerLagTreeModel::SourceIdRole).toString(),
            index.data(ConsumerLagTreeModel::GroupRole).toString());
    });
    updateCount();
}

void ConsumerLagView::setSourceIds(const QSet<QString>& sourceIds)
{
    m_model->setSourceIds(sourceIds);
}

void ConsumerLagView::setSnapshot(const SnapshotPtr& snapshot)
{
    if (m_model->partitionCount() > 500)
        m_view->deferLayout();
    m_model->setSnapshot(snapshot);
    if (!m_sized && m_model->groupCount() > 0) {
        // Wide enough for the words and numbers of a typical row once, then the user's widths are kept.
        const QFontMetrics fm = m_view->fontMetrics();
        const std::pair<int, const char*> widths[] = {
            {ConsumerLagTreeModel::NameColumn, "consumer-group-name-long"},
            {ConsumerLagTreeModel::StatusColumn, "NOT ADVANCING__"},
            {ConsumerLagTreeModel::OffsetLagColumn, "1,234,567 records"},
            {ConsumerLagTreeModel::TimeLagColumn, "12.5 min (create time)"},
            {ConsumerLagTreeModel::DataAgeColumn, "Data age__"},
            {ConsumerLagTreeModel::ReplayHeadroomColumn, "Replay headroom"},
            {ConsumerLagTreeModel::ConsumeRateColumn, "12,345 rec/s"},
            {ConsumerLagTreeModel::ProduceRateColumn, "12,345 rec/s"},
        };
        for (const auto& [column, sample] : widths)
            m_view->setColumnWidth(column, fm.horizontalAdvance(QLatin1String(sample)) + 24);
        m_sized = true;
    }
    updateCount();
}

void ConsumerLagView::updateCount()
{
    const QLocale en(QLocale::English);
    const int groups = m_model->groupCount();
    QString text = groups == 0 ? tr("Consumer groups: none reported yet")
                               : tr("Consumer groups: %1 %2, %3 %4")
                                     .arg(en.toString(groups), unitForCount(groups, QStringLiteral("groups")),
                                         en.toString(m_model->partitionCount()),
                                         unitForCount(m_model->partitionCount(), QStringLiteral("partitions")));
    if (!m_filter->text().isEmpty() && groups > 0)
        text += tr(" · %1 shown").arg(en.toString(m_proxy->rowCount()));
    m_count->setText(text);
}

} // namespace pw
