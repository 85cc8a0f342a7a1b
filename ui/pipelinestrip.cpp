#include "pipelinestrip.h"

#include "stagetile.h"

#include <QHBoxLayout>
#include <QPainter>
#include <QPainterPath>

namespace pw {

namespace {
/// The flow between two hops: a chevron in the palette's mid tone, so it reads as structure rather than status.
class PipelineArrow : public QWidget
{
public:
    explicit PipelineArrow(QWidget* parent)
        : QWidget(parent)
    {
        setFixedWidth(26);
        setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        QColor c = palette().color(QPalette::WindowText);
        c.setAlphaF(0.45);
        const double cy = height() / 2.0;
        const double x0 = 3, x1 = width() - 4;
        QPen pen(c, 2.2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
        p.setPen(pen);
        p.drawLine(QPointF(x0, cy), QPointF(x1 - 1, cy));
        QPainterPath head;
        head.moveTo(x1 - 8, cy - 7);
        head.lineTo(x1, cy);
        head.lineTo(x1 - 8, cy + 7);
        p.drawPath(head);
    }
};
} // namespace

PipelineStrip::PipelineStrip(QWidget* parent)
    : QWidget(parent)
    , m_layout(new QHBoxLayout(this))
{
    setObjectName(QStringLiteral("pipelineStrip"));
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(4);
}

StageTile* PipelineStrip::tile(const QString& stageId) const
{
    for (auto* t : m_tiles)
        if (t->stageId() == stageId)
            return t;
    return nullptr;
}

void PipelineStrip::rebuild(const std::vector<StageState>& stages)
{
    while (QLayoutItem* item = m_layout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_tiles.clear();
    m_stageIds.clear();
    for (size_t i = 0; i < stages.size(); ++i) {
        if (i > 0)
            m_layout->addWidget(new PipelineArrow(this));
        auto* t = new StageTile(this);
        connect(t, &StageTile::activated, this, &PipelineStrip::stageActivated);
        m_layout->addWidget(t, 1);
        m_tiles << t;
        m_stageIds << stages[i].stageId;
    }
}

void PipelineStrip::setSnapshot(const Snapshot& snapshot)
{
    QStringList ids;
    for (const auto& s : snapshot.stages)
        ids << s.stageId;
    if (ids != m_stageIds)
        rebuild(snapshot.stages);
    for (size_t i = 0; i < snapshot.stages.size(); ++i)
        m_tiles[qsizetype(i)]->setStage(snapshot.stages[i], snapshot);
}

void PipelineStrip::refreshAges(qint64 nowMs)
{
    for (auto* t : m_tiles)
        t->refreshAge(nowMs);
}

} // namespace pw
