#include "incidenttimeline.h"

#include "statusstyle.h"

#include <QContextMenuEvent>
#include <QDateTime>
#include <QHelpEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QPointer>
#include <QThreadPool>
#include <QToolTip>

namespace pw {

namespace {
constexpr int kLaneHeight = 16;
constexpr int kAxisHeight = 16;
} // namespace

IncidentTimeline::IncidentTimeline(QWidget* parent)
    : QWidget(parent)
    , m_clock(&pw::nowMs)
{
    setObjectName(QStringLiteral("incidentTimeline"));
    setMouseTracking(true);
    m_timer.setInterval(5000);
    connect(&m_timer, &QTimer::timeout, this, &IncidentTimeline::refresh);
    m_timer.start();
}

void IncidentTimeline::setLedger(std::shared_ptr<Ledger> ledger)
{
    m_ledger = std::move(ledger);
    refresh();
}

void IncidentTimeline::setClock(std::function<qint64()> clock)
{
    m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
    update();
}

void IncidentTimeline::setSpan(qint64 spanMs)
{
    m_spanMs = spanMs;
    refresh();
}

void IncidentTimeline::setSnapshot(const SnapshotPtr& snapshot)
{
    if (!snapshot)
        return;
    QStringList ids;
    QStringList titles;
    for (const auto& s : snapshot->stages) {
        ids << s.stageId;
        titles << s.title;
    }
    if (ids != m_stageIds) {
        m_stageIds = ids;
        m_stageTitles = titles;
        updateGeometry();
    }
    update();
}

void IncidentTimeline::setIncidents(std::vector<Incident> incidents)
{
    m_incidents = std::move(incidents);
    update();
    Q_EMIT incidentsChanged();
}

void IncidentTimeline::refresh()
{
    if (!m_ledger || m_loading)
        return;
    m_loading = true;
    QPointer<IncidentTimeline> self(this);
    const qint64 now = m_clock();
    const qint64 from = now - m_spanMs;
    QThreadPool::globalInstance()->start([self, ledger = m_ledger, from, now] {
        auto result = ledger->incidents(from, now + 1);
        std::vector<Incident> incidents = result ? std::move(*result) : std::vector<Incident> {};
        QMetaObject::invokeMethod(
            self.data(),
            [self, incidents = std::move(incidents)]() mutable {
                if (!self)
                    return;
                self->m_loading = false;
                self->setIncidents(std::move(incidents));
            },
            Qt::QueuedConnection);
    });
}

QSize IncidentTimeline::sizeHint() const
{
    return {600, kAxisHeight + std::max<int>(1, int(m_stageIds.size())) * kLaneHeight + 6};
}

QSize IncidentTimeline::minimumSizeHint() const
{
    return {200, sizeHint().height()};
}

QRectF IncidentTimeline::plotRect() const
{
    int labelWidth = 0;
    for (const auto& t : m_stageTitles)
        labelWidth = std::max(labelWidth, fontMetrics().horizontalAdvance(t));
    return QRectF(labelWidth + 10, 2, std::max(10, width() - labelWidth - 14), height() - kAxisHeight - 4);
}

int IncidentTimeline::laneOf(const QString& stageId) const
{
    return int(m_stageIds.indexOf(stageId));
}

QRectF IncidentTimeline::barRect(const Incident& incident, int lane) const
{
    const QRectF plot = plotRect();
    const qint64 now = m_clock();
    const qint64 from = now - m_spanMs;
    const qint64 end = incident.endMs > 0 ? incident.endMs : now;
    const double x1 = plot.left() + double(std::max(incident.startMs, from) - from) / double(m_spanMs) * plot.width();
    const double x2 = plot.left() + double(std::min(end, now) - from) / double(m_spanMs) * plot.width();
    return QRectF(x1, plot.top() + lane * kLaneHeight + 2, std::max(3.0, x2 - x1), kLaneHeight - 4);
}

void IncidentTimeline::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const QRectF plot = plotRect();
    const qint64 now = m_clock();
    const qint64 from = now - m_spanMs;
    QColor faint = palette().text().color();
    faint.setAlpha(30);
    for (int lane = 0; lane < m_stageIds.size(); ++lane) {
        const QRectF laneRect(plot.left(), plot.top() + lane * kLaneHeight, plot.width(), kLaneHeight);
        if (lane % 2 == 0)
            p.fillRect(laneRect, faint);
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRectF(0, laneRect.top(), plot.left() - 6, kLaneHeight), Qt::AlignRight | Qt::AlignVCenter,
            m_stageTitles.value(lane));
    }
    // Hour ticks.
    p.setPen(palette().color(QPalette::PlaceholderText));
    const qint64 hour = 3600 * 1000;
    const qint64 step = m_spanMs > 12 * hour ? 3 * hour : hour;
    for (qint64 t = (from / step + 1) * step; t <= now; t += step) {
        const double x = plot.left() + double(t - from) / double(m_spanMs) * plot.width();
        p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3));
        p.drawText(QRectF(x - 30, plot.bottom() + 2, 60, kAxisHeight), Qt::AlignCenter,
            QDateTime::fromMSecsSinceEpoch(t).toString(QStringLiteral("HH:mm")));
    }
    p.drawText(
        QRectF(plot.right() - 40, plot.bottom() + 2, 40, kAxisHeight), Qt::AlignRight | Qt::AlignVCenter, tr("now"));
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    small.setBold(true);
    p.setFont(small);
    for (const auto& incident : m_incidents) {
        const int lane = laneOf(incident.stageId);
        if (lane < 0)
            continue;
        const QRectF r = barRect(incident, lane);
        p.fillRect(r, StatusStyle::color(incident.worst));
        const QString word = severityName(incident.worst);
        const int wordWidth = p.fontMetrics().horizontalAdvance(word);
        if (r.width() > wordWidth + 6) {
            p.setPen(StatusStyle::onColor(incident.worst));
            p.drawText(r, Qt::AlignCenter, word);
        } else if (r.right() + wordWidth + 4 < plot.right()) { // too narrow: the word beside it, never colour alone
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(QRectF(r.right() + 3, r.top() - 2, wordWidth + 2, r.height() + 4), Qt::AlignVCenter, word);
        } else {
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(
                QRectF(r.left() - wordWidth - 5, r.top() - 2, wordWidth + 2, r.height() + 4), Qt::AlignVCenter, word);
        }
    }
    if (m_incidents.empty() && !m_stageIds.isEmpty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.setFont(font());
        p.drawText(plot, Qt::AlignCenter,
            m_ledger ? tr("no incidents in this period") : tr("no ledger: incidents unavailable"));
    }
}

bool IncidentTimeline::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        for (const auto& incident : m_incidents) {
            const int lane = laneOf(incident.stageId);
            if (lane >= 0 && barRect(incident, lane).adjusted(-2, -2, 2, 2).contains(help->pos())) {
                const auto fmt = QStringLiteral("MMM d HH:mm:ss");
                QToolTip::showText(help->globalPos(),
                    tr("%1: %2 from %3 to %4\n%5")
                        .arg(m_stageTitles.value(lane), severityName(incident.worst),
                            QDateTime::fromMSecsSinceEpoch(incident.startMs).toString(fmt),
                            incident.endMs > 0 ? QDateTime::fromMSecsSinceEpoch(incident.endMs).toString(fmt)
                                               : tr("now (open)"),
                            incident.reason),
                    this);
                return true;
            }
        }
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    return QWidget::event(event);
}

void IncidentTimeline::contextMenuEvent(QContextMenuEvent* event)
{
    const QRectF plot = plotRect();
    const int lane = int((event->pos().y() - plot.top()) / kLaneHeight);
    if (lane < 0 || lane >= m_stageIds.size())
        return;
    QMenu menu(this);
    const QString stageId = m_stageIds[lane];
    menu.addAction(tr("Open the Stage's Page"), this, [this, stageId] { Q_EMIT stageActivated(stageId); });
    menu.addAction(tr("Recover…"), this, [this, stageId] { Q_EMIT recoverRequested(stageId); });
    menu.exec(event->globalPos());
}

void IncidentTimeline::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const QRectF plot = plotRect();
    const int lane = int((event->position().y() - plot.top()) / kLaneHeight);
    if (lane >= 0 && lane < m_stageIds.size())
        Q_EMIT stageActivated(m_stageIds[lane]);
}

} // namespace pw
