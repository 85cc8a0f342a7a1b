#include "readinesspage.h"

#include "statusstyle.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace pw {

namespace {

enum Column
{
    LayerColumn,
    VerdictColumn,
    EvidenceColumn,
    AgeColumn,
    FixColumn,
    NUM_COLUMNS
};

/// Readiness verdicts drawn in the colours of the one status scale.
Severity severityOf(ReadinessVerdict v)
{
    switch (v) {
    case ReadinessVerdict::Pass:
        return Severity::Ok;
    case ReadinessVerdict::Warn:
        return Severity::Warn;
    case ReadinessVerdict::Fail:
        return Severity::Crit;
    case ReadinessVerdict::Unknown:
        return Severity::Unknown;
    }
    return Severity::Unknown;
}

void paintVerdict(QTreeWidgetItem* item, ReadinessVerdict v)
{
    item->setText(VerdictColumn, readinessVerdictName(v));
    item->setBackground(VerdictColumn, StatusStyle::color(severityOf(v)));
    item->setForeground(VerdictColumn, StatusStyle::onColor(severityOf(v)));
    item->setTextAlignment(VerdictColumn, Qt::AlignCenter);
}

} // namespace

ReadinessPage::ReadinessPage(QWidget* parent)
    : QWidget(parent)
    , m_clock([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    setObjectName(QStringLiteral("readinessPage"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 6);
    auto* header = new QHBoxLayout;
    auto* back = new QPushButton(tr("← Back"), this);
    back->setObjectName(QStringLiteral("readinessBack"));
    connect(back, &QPushButton::clicked, this, &ReadinessPage::backRequested);
    m_headline = new QLabel(tr("Readiness: waiting for the first judgement…"), this);
    m_headline->setObjectName(QStringLiteral("readinessHeadline"));
    QFont big = m_headline->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    big.setBold(true);
    m_headline->setFont(big);
    m_judged = new QLabel(this);
    m_judged->setObjectName(QStringLiteral("readinessJudged"));
    auto* refresh = new QPushButton(tr("Judge &Again"), this);
    refresh->setObjectName(QStringLiteral("readinessRefresh"));
    connect(refresh, &QPushButton::clicked, this, &ReadinessPage::refreshRequested);
    header->addWidget(back);
    header->addSpacing(12);
    header->addWidget(m_headline);
    header->addStretch(1);
    header->addWidget(m_judged);
    header->addWidget(refresh);
    layout->addLayout(header);

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("readinessTree"));
    m_tree->setColumnCount(NUM_COLUMNS);
    m_tree->setHeaderLabels({tr("Layer"), tr("Verdict"), tr("Evidence"), tr("Age"), tr("To pass")});
    m_tree->setAlternatingRowColors(true);
    m_tree->setWordWrap(true);
    m_tree->setUniformRowHeights(false);
    m_tree->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_tree->header()->setStretchLastSection(true);
    const int em = fontMetrics().horizontalAdvance(QLatin1Char('M'));
    m_tree->setColumnWidth(LayerColumn, 14 * em);
    m_tree->setColumnWidth(VerdictColumn, 8 * em);
    m_tree->setColumnWidth(EvidenceColumn, 48 * em);
    m_tree->setColumnWidth(AgeColumn, 7 * em);
    layout->addWidget(m_tree, 1);
}

void ReadinessPage::setReport(std::shared_ptr<const ReadinessReport> report)
{
    if (!report)
        return;
    m_report = std::move(report);
    rebuild();
}

void ReadinessPage::rebuild()
{
    const ReadinessReport& r = *m_report;
    const qint64 now = m_clock();
    m_headline->setText(tr("Readiness: %1").arg(readinessVerdictName(r.overall())));
    m_judged->setText(tr("judged %1").arg(StatusStyle::formatAge(now - r.atMs)));
    // A new report is a new whole (rarely more than every few minutes): rebuild, keeping which layers are open.
    QSet<QString> collapsed;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i)
        if (!m_tree->topLevelItem(i)->isExpanded())
            collapsed.insert(m_tree->topLevelItem(i)->data(LayerColumn, Qt::UserRole).toString());
    m_tree->clear();
    for (const LayerReadiness& layer : r.layers) {
        auto* top = new QTreeWidgetItem(m_tree);
        const QString id = readinessLayerId(layer.layer);
        top->setData(LayerColumn, Qt::UserRole, id);
        top->setText(LayerColumn, readinessLayerTitle(layer.layer));
        QFont bold = top->font(LayerColumn);
        bold.setBold(true);
        top->setFont(LayerColumn, bold);
        top->setText(EvidenceColumn, readinessLayerQuestion(layer.layer));
        paintVerdict(top, layer.verdict);
        for (const ReadinessFinding& f : layer.findings) {
            auto* row = new QTreeWidgetItem(top);
            paintVerdict(row, f.verdict);
            row->setText(EvidenceColumn, f.evidence);
            row->setToolTip(EvidenceColumn, f.evidence);
            row->setText(AgeColumn, f.evidenceMs > 0 ? StatusStyle::formatAge(now - f.evidenceMs) : QString());
            row->setText(FixColumn, f.fix);
            row->setToolTip(FixColumn, f.fix);
        }
        top->setExpanded(!collapsed.contains(id));
    }
}

} // namespace pw
