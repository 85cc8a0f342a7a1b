#include "recoverytargetchart.h"
#include "statusstyle.h"

#include <QDateTime>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace pw {

namespace {

const QColor kCommitted(0x2f, 0x6f, 0xd6);
const QColor kCommittedOnDark(0x5e, 0x9e, 0xf4); // the same blue lifted: the darker one sinks into a dark base
const QColor kLag(0xe8, 0x8a, 0x1e);
const QColor kPicked(0x2e, 0x9e, 0x5b);

QString clock(qint64 ms, bool seconds = false)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(seconds ? QStringLiteral("HH:mm:ss") : QStringLiteral("HH:mm"));
}

QString shortNumber(double v)
{
    if (std::abs(v) >= 1e7)
        return QString::number(v / 1e6, 'f', 2) + QLatin1Char('M');
    return QLocale().toString(qint64(std::llround(v)));
}

} // namespace

RecoveryTargetChart::RecoveryTargetChart(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(false);
    setCursor(Qt::CrossCursor);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setFocusPolicy(Qt::StrongFocus);
}

void RecoveryTargetChart::setHistory(const GroupHistory& history, qint64 toMs)
{
    m_history = history;
    m_toMs = toMs;
    // From the oldest point, the suggested replay point or the incident, whichever is first, with a minute before.
    m_fromMs = history.points.empty() ? toMs - 30 * 60000 : history.points.front().atMs;
    if (history.replayFromMs > 0)
        m_fromMs = std::min(m_fromMs, history.replayFromMs - 60000);
    if (history.incident)
        m_fromMs = std::min(m_fromMs, history.incident->startMs - 60000);
    update();
}

void RecoveryTargetChart::setLagOnly(bool lagOnly)
{
    m_lagOnly = lagOnly;
    setCursor(lagOnly ? Qt::ArrowCursor : Qt::CrossCursor);
    update();
}

void RecoveryTargetChart::setPoints(std::vector<GroupHistoryPoint> points)
{
    m_history.points = std::move(points);
    if (!m_history.points.empty()) {
        m_fromMs = m_history.points.front().atMs;
        m_toMs = std::max(m_history.points.back().atMs, m_fromMs + 30000);
    }
    update();
}

void RecoveryTargetChart::setPickedMs(qint64 ms)
{
    if (ms == m_pickedMs)
        return;
    m_pickedMs = ms;
    update();
}

QRectF RecoveryTargetChart::plotRect() const
{
    return QRectF(rect()).adjusted(58, 26, m_lagOnly ? -16 : -58, -30);
}

int RecoveryTargetChart::xForTime(qint64 ms) const
{
    const QRectF plot = plotRect();
    if (m_toMs <= m_fromMs)
        return int(plot.left());
    return int(plot.left() + plot.width() * double(ms - m_fromMs) / double(m_toMs - m_fromMs));
}

qint64 RecoveryTargetChart::timeForX(double x) const
{
    const QRectF plot = plotRect();
    const double f = std::clamp((x - plot.left()) / std::max(1.0, plot.width()), 0.0, 1.0);
    return m_fromMs + qint64(f * double(m_toMs - m_fromMs));
}

void RecoveryTargetChart::pickAt(double x)
{
    if (m_lagOnly || m_toMs <= m_fromMs)
        return;
    const qint64 minute = timeForX(x) / 60000 * 60000;
    if (minute != m_pickedMs) {
        m_pickedMs = minute;
        update();
        Q_EMIT picked(minute);
    }
}

void RecoveryTargetChart::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton)
        pickAt(event->position().x());
}

void RecoveryTargetChart::mouseMoveEvent(QMouseEvent* event)
{
    if (event->buttons() & Qt::LeftButton)
        pickAt(event->position().x());
}

void RecoveryTargetChart::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QRectF plot = plotRect();
    // Grid and hatching from the text colour made faint, so both read on light and dark palettes.
    QColor grid = pal.color(QPalette::Text);
    grid.setAlphaF(0.18);
    QColor hatch = pal.color(QPalette::Text);
    hatch.setAlphaF(0.07);
    const QColor muted = pal.color(QPalette::PlaceholderText);
    const QColor committedColor = StatusStyle::isDark(pal) ? kCommittedOnDark : kCommitted;
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    p.setFont(small);

    if (m_history.points.empty() || m_toMs <= m_fromMs) {
        p.setPen(muted);
        p.drawText(rect(), Qt::AlignCenter, tr("No history of the group in the recovery ledger yet"));
        return;
    }

    // Before the ledger's first row: nothing is known (Pathwatch was not watching).
    if (const qint64 first = m_history.points.front().atMs; first > m_fromMs + 1000) {
        const double x = xForTime(first);
        p.fillRect(QRectF(plot.left(), plot.top(), x - plot.left(), plot.height()), QBrush(hatch, Qt::BDiagPattern));
        p.setPen(muted);
        p.drawText(
            QRectF(plot.left(), plot.center().y() - 10, x - plot.left(), 20), Qt::AlignCenter, tr("no ledger history"));
    }

    // Incidents behind everything.
    for (const Incident& incident : m_history.incidents) {
        const qint64 end = incident.endMs ? incident.endMs : m_toMs;
        if (end < m_fromMs || incident.startMs > m_toMs)
            continue;
        const double x0 = std::max<double>(plot.left(), xForTime(incident.startMs));
        const double x1 = std::min<double>(plot.right(), xForTime(end));
        QColor band = StatusStyle::color(incident.worst);
        band.setAlphaF(0.13);
        p.fillRect(QRectF(x0, plot.top(), std::max(2.0, x1 - x0), plot.height()), band);
        QColor edge = StatusStyle::color(incident.worst);
        p.setPen(QPen(edge, 1.5));
        p.drawLine(QPointF(x0, plot.top()), QPointF(x0, plot.bottom()));
        const QString label
            = tr("incident #%1 · %2 · %3").arg(incident.id).arg(incident.stageId, clock(incident.startMs, true));
        const double width = QFontMetricsF(small).horizontalAdvance(label) + 8;
        const bool fitsRight = x0 + width < plot.right();
        const QRectF box(fitsRight ? x0 + 4 : x0 - width - 2, plot.top() + 3, width, 16);
        p.fillRect(box, pal.color(QPalette::Base));
        p.drawText(box, Qt::AlignCenter, label);
    }

    int64_t maxCommitted = 0, minCommitted = std::numeric_limits<int64_t>::max(), maxLag = 0;
    for (const auto& pt : m_history.points) {
        maxCommitted = std::max(maxCommitted, pt.committed);
        minCommitted = std::min(minCommitted, pt.committed);
        maxLag = std::max(maxLag, pt.lag);
    }
    if (maxCommitted == minCommitted)
        maxCommitted = minCommitted + 1;
    maxLag = std::max<int64_t>(maxLag, 10);

    // Grid and axes.
    p.setPen(QPen(grid, 1));
    for (int i = 0; i <= 4; ++i) {
        const double y = plot.top() + plot.height() * i / 4.0;
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(kLag.darker(120));
        p.drawText(QRectF(0, y - 8, plot.left() - 6, 16), Qt::AlignRight | Qt::AlignVCenter,
            shortNumber(double(maxLag) * (4 - i) / 4.0));
        if (!m_lagOnly) {
            p.setPen(committedColor);
            p.drawText(QRectF(plot.right() + 6, y - 8, 62, 16), Qt::AlignLeft | Qt::AlignVCenter,
                shortNumber(double(minCommitted) + double(maxCommitted - minCommitted) * (4 - i) / 4.0));
        }
        p.setPen(QPen(grid, 1));
    }
    const qint64 span = m_toMs - m_fromMs;
    const qint64 tick = span > 40 * 60000 ? 10 * 60000
        : span > 12 * 60000               ? 5 * 60000
        : span > 4 * 60000                ? 60000
                                          : 15000;
    p.setPen(muted);
    for (qint64 t = (m_fromMs / tick + 1) * tick; t < m_toMs; t += tick) {
        const double x = xForTime(t);
        p.setPen(QPen(grid, 1, Qt::DotLine));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        p.setPen(muted);
        p.drawText(QRectF(x - 40, plot.bottom() + 4, 80, 16), Qt::AlignCenter, clock(t, tick < 60000));
    }

    auto yLag = [&](int64_t v) { return plot.bottom() - plot.height() * double(v) / double(maxLag); };
    auto yCommitted = [&](int64_t v) {
        return plot.bottom() - plot.height() * double(v - minCommitted) / double(maxCommitted - minCommitted);
    };
    // Lag as an area, committed offset as a step line (it moves on each checkpoint).
    QPainterPath lag;
    lag.moveTo(xForTime(m_history.points.front().atMs), plot.bottom());
    for (const auto& pt : m_history.points)
        lag.lineTo(xForTime(pt.atMs), yLag(pt.lag));
    lag.lineTo(xForTime(m_history.points.back().atMs), plot.bottom());
    lag.closeSubpath();
    QColor lagFill = kLag;
    lagFill.setAlphaF(0.25);
    p.fillPath(lag, lagFill);
    QPainterPath lagLine;
    for (size_t i = 0; i < m_history.points.size(); ++i) {
        const QPointF pt(xForTime(m_history.points[i].atMs), yLag(m_history.points[i].lag));
        i == 0 ? lagLine.moveTo(pt) : lagLine.lineTo(pt);
    }
    p.strokePath(lagLine, QPen(kLag, 1.5));
    if (!m_lagOnly) {
        QPainterPath committed;
        for (size_t i = 0; i < m_history.points.size(); ++i) {
            const QPointF pt(xForTime(m_history.points[i].atMs), yCommitted(m_history.points[i].committed));
            if (i == 0)
                committed.moveTo(pt);
            else {
                committed.lineTo(pt.x(), committed.currentPosition().y());
                committed.lineTo(pt);
            }
        }
        p.strokePath(committed, QPen(committedColor, 2));
    }

    // The picked point.
    if (!m_lagOnly && m_pickedMs >= m_fromMs && m_pickedMs <= m_toMs) {
        const double x = xForTime(m_pickedMs);
        p.setPen(QPen(kPicked, 2.5));
        p.drawLine(QPointF(x, plot.top() - 6), QPointF(x, plot.bottom()));
        const QString label = tr("replay from %1").arg(clock(m_pickedMs));
        QFont bold = small;
        bold.setBold(true);
        p.setFont(bold);
        const QRectF box = QFontMetricsF(bold).boundingRect(label).adjusted(-6, -3, 6, 3);
        QRectF placed(x + 6, plot.bottom() - box.height() - 6, box.width(), box.height());
        if (placed.right() > plot.right())
            placed.moveRight(x - 6);
        p.setPen(Qt::NoPen);
        p.setBrush(kPicked);
        p.drawRoundedRect(placed, 4, 4);
        p.setPen(Qt::white);
        p.drawText(placed, Qt::AlignCenter, label);
        p.setFont(small);
    }

    // Legend.
    double lx = plot.left();
    auto legend = [&](const QColor& c, const QString& text) {
        p.fillRect(QRectF(lx, 8, 12, 10), c);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QRectF(lx + 16, 4, 220, 18), Qt::AlignLeft | Qt::AlignVCenter, text);
        lx += 24 + QFontMetricsF(small).horizontalAdvance(text);
    };
    legend(kLag, m_lagOnly ? tr("lag (records behind the end of the log)") : tr("lag (records behind, left axis)"));
    if (!m_lagOnly) {
        legend(committedColor, tr("committed offset, summed (right axis)"));
        legend(StatusStyle::color(Severity::Crit), tr("incident"));
    }
    p.setPen(QPen(grid, 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);
}

} // namespace pw
