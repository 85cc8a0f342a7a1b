#include "historychart.h"

#include "presentation/format.h"
#include "statusstyle.h"

#include <QContextMenuEvent>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QFile>
#include <QFileDialog>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QTimeZone>
#include <QToolTip>
#include <QValueAxis>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pw {

namespace {

constexpr int kMaxLineSeries = 48; // segments beyond this are drawn joined across their gaps
constexpr qint64 kMinSpanMs = 60 * 1000;
constexpr qint64 kMaxSpanMs = 7LL * 24 * 3600 * 1000;

// The same hues for both themes; on a dark base the darker ones (navy, brown, grey) are lifted so every line reads.
QColor lineColor(int index, bool dark)
{
    static const QColor light[]
        = {QColor(0x1f, 0x77, 0xb4), QColor(0x9c, 0x4d, 0xcc), QColor(0x17, 0xa2, 0xb8), QColor(0x8c, 0x56, 0x4b),
            QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0x2c, 0x3e, 0x50), QColor(0x00, 0x96, 0x88)};
    static const QColor onDark[]
        = {QColor(0x4d, 0xa3, 0xe8), QColor(0xbf, 0x8c, 0xf0), QColor(0x3c, 0xc8, 0xdc), QColor(0xc9, 0x9a, 0x86),
            QColor(0xf0, 0x8c, 0xd2), QColor(0xb4, 0xb8, 0xbe), QColor(0x93, 0xaa, 0xc8), QColor(0x2e, 0xc8, 0xb4)};
    return dark ? onDark[index % int(std::size(onDark))] : light[index % int(std::size(light))];
}

// `amount` (0..1) of the way from the base colour to the text colour: grid and axis lines that stay quieter than the
// data on light and dark palettes alike.
QColor between(const QPalette& palette, double amount)
{
    const QColor a = palette.color(QPalette::Base);
    const QColor b = palette.color(QPalette::Text);
    return QColor::fromRgbF(a.redF() + (b.redF() - a.redF()) * amount, a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount);
}

QString timeFormatFor(qint64 spanMs)
{
    if (spanMs <= 2 * 3600 * 1000)
        return QStringLiteral("HH:mm");
    if (spanMs <= 36 * 3600 * 1000)
        return QStringLiteral("HH:mm");
    return QStringLiteral("ddd HH:mm");
}

} // namespace

HistoryChart::HistoryChart(QWidget* parent)
    : QChartView(parent)
    , m_timeAxis(new QDateTimeAxis)
    , m_valueAxis(new QValueAxis)
{
    setObjectName(QStringLiteral("historyChart"));
    setRenderHint(QPainter::Antialiasing, false); // thousands of segments: aliasing is far cheaper and looks crisp
    setMouseTracking(true);
    setMinimumHeight(190);
    QChart* c = chart();
    c->setMargins(QMargins(4, 4, 4, 4));
    c->setBackgroundRoundness(0);
    c->legend()->setAlignment(Qt::AlignRight);
    c->legend()->setVisible(false);
    c->addAxis(m_timeAxis, Qt::AlignBottom);
    c->addAxis(m_valueAxis, Qt::AlignLeft);
    m_timeAxis->setTickCount(7);
    m_valueAxis->setTickCount(5);
    m_valueAxis->setLabelFormat(QStringLiteral("%.4g"));
    applyPalette();
}

void HistoryChart::applyPalette()
{
    // Colours are set one by one from the palette rather than with QChart::setTheme, which would also reset the
    // lines' pens, the axes' tick counts and the nice numbers until the next answer arrives.
    QChart* c = chart();
    const QPalette pal = palette();
    c->setBackgroundBrush(pal.base());
    c->setTitleBrush(pal.text());
    c->legend()->setLabelColor(pal.color(QPalette::Text));
    for (QAbstractAxis* axis : {static_cast<QAbstractAxis*>(m_timeAxis), static_cast<QAbstractAxis*>(m_valueAxis)}) {
        axis->setLabelsColor(pal.color(QPalette::Text));
        axis->setLinePenColor(between(pal, 0.45));
        axis->setGridLineColor(between(pal, 0.14));
        axis->setMinorGridLineColor(between(pal, 0.07));
    }
    const bool dark = StatusStyle::isDark(pal);
    if (dark != m_darkLines && !m_lines.empty()) {
        m_darkLines = dark;
        auto lines = std::move(m_lines);
        setLines(std::move(lines), m_fromMs, m_toMs); // the lines in the theme's colours
    }
    m_darkLines = dark;
}

void HistoryChart::changeEvent(QEvent* event)
{
    QChartView::changeEvent(event);
    // Light and dark themes switch at run time (View → Theme, the desktop's setting).
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
}

void HistoryChart::setSignal(const QString& title, const QString& unit, const Thresholds& thresholds)
{
    m_title = title;
    m_unit = unit;
    m_thresholds = thresholds;
    chart()->setTitle(unit.isEmpty() ? title : QStringLiteral("%1 (%2)").arg(title, unit));
}

QLineSeries* HistoryChart::lineAt(int index)
{
    while (m_series.size() <= index) {
        auto* s = new QLineSeries;
        chart()->addSeries(s);
        s->attachAxis(m_timeAxis);
        s->attachAxis(m_valueAxis);
        m_series << s;
    }
    return m_series[index];
}

qsizetype HistoryChart::drawnPointCount() const
{
    qsizetype n = 0;
    for (auto* s : m_series)
        if (s->isVisible())
            n += s->count();
    return n;
}

void HistoryChart::setLines(std::vector<Line> lines, qint64 fromMs, qint64 toMs)
{
    m_lines = std::move(lines);
    m_fromMs = fromMs;
    m_toMs = toMs;
    m_gaps.clear();
    m_tier = m_lines.empty() ? History::tierForSpan(toMs - fromMs) : m_lines.front().history.tier;

    // The segments to draw first, split at gaps so no line is drawn across a period without data; the chart is
    // touched only afterwards (see below).
    struct Segment
    {
        int line = 0;
        bool first = true; // the line's first segment carries its legend marker
        QList<QPointF> points;
    };
    std::vector<Segment> segments;
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    for (std::size_t li = 0; li < m_lines.size(); ++li) {
        const HistorySeries& h = m_lines[li].history;
        for (const auto& g : h.gaps)
            m_gaps.push_back(g);
        std::size_t gi = 0;
        bool firstSegment = true;
        QList<QPointF> points;
        points.reserve(qsizetype(h.points.size()) * 2);
        auto flush = [&] {
            if (points.isEmpty())
                return;
            if (int(segments.size()) == kMaxLineSeries - 1 && li + 1 != m_lines.size())
                return; // the last series is kept for the last line: this line's rest joins across its gaps
            segments.push_back(Segment {int(li), firstSegment, std::move(points)});
            points = QList<QPointF>();
            firstSegment = false;
        };
        for (const HistoryPoint& p : h.points) {
            while (gi < h.gaps.size() && h.gaps[gi].toMs <= p.timestampMs) {
                if (h.gaps[gi].fromMs >= (points.isEmpty() ? fromMs : qint64(points.back().x()))
                    && int(segments.size()) < kMaxLineSeries - 1)
                    flush();
                ++gi;
            }
            low = std::min(low, p.min);
            high = std::max(high, p.max);
            if (p.min == p.max) {
                points << QPointF(double(p.timestampMs), p.min);
            } else {
                points << QPointF(double(p.timestampMs), p.min) << QPointF(double(p.timestampMs), p.max);
            }
        }
        flush();
    }

    // Every change of an axis range and every replace() makes Qt Charts rebuild the geometry of every series it
    // touches, stroking its whole outline for hit testing: the costly part of a redraw. So series about to get new
    // points are emptied before the axes move, and each is filled exactly once after.
    const bool axesMove = axesWouldChange(low, high);
    const bool legend = m_lines.size() > 1;
    for (int i = 0; i < m_series.size(); ++i) {
        QLineSeries* s = m_series[i];
        if (i >= int(segments.size()) || axesMove) {
            if (s->count() > 0)
                s->clear();
        }
        if (i >= int(segments.size()) && s->isVisible())
            s->setVisible(false);
    }
    updateAxes(low, high);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const Segment& segment = segments[i];
        QLineSeries* s = lineAt(int(i));
        // Only what changed: each setter relayouts the chart.
        QPen pen(lineColor(segment.line, m_darkLines));
        pen.setWidthF(1.5);
        if (s->pen() != pen)
            s->setPen(pen);
        if (s->name() != m_lines[std::size_t(segment.line)].name)
            s->setName(m_lines[std::size_t(segment.line)].name);
        s->replace(segment.points);
        if (!s->isVisible())
            s->setVisible(true);
        if (legend)
            for (auto* m : chart()->legend()->markers(s))
                if (m->isVisible() != segment.first)
                    m->setVisible(segment.first);
    }
    if (chart()->legend()->isVisible() != legend)
        chart()->legend()->setVisible(legend);
    std::sort(m_gaps.begin(), m_gaps.end(), [](const auto& a, const auto& b) { return a.fromMs < b.fromMs; });
    viewport()->update();
}

void HistoryChart::setVisibleRange(qint64 fromMs, qint64 toMs)
{
    m_fromMs = fromMs;
    m_toMs = toMs;
    m_timeAxis->setFormat(timeFormatFor(m_toMs - m_fromMs));
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(m_fromMs), QDateTime::fromMSecsSinceEpoch(m_toMs));
    viewport()->update();
}

void HistoryChart::setIncidentMarks(std::vector<std::pair<qint64, Severity>> marks)
{
    m_marks = std::move(marks);
    viewport()->update();
}

HistoryChart::AxisRange HistoryChart::axisRangeFor(double low, double high) const
{
    if (!std::isfinite(low) || !std::isfinite(high)) {
        low = 0.0;
        high = 1.0;
    }
    // Show the nearer threshold when it is within reach of the data, so the band says how close the value is.
    for (const auto& limit : {m_thresholds.warn, m_thresholds.crit})
        if (limit && *limit <= std::max(high, 1e-9) * 3.0)
            high = std::max(high, *limit);
    if (low >= 0.0)
        low = 0.0;
    if (high <= low)
        high = low + 1.0;
    // Nice numbers on a detached axis, so that the shown one moves at most once per redraw. applyNiceNumbers() also
    // changes the tick count: starting from the same count every time keeps the same data on the same ticks.
    QValueAxis nice;
    nice.setTickCount(5);
    nice.setRange(low, high + (high - low) * 0.08);
    nice.applyNiceNumbers();
    return AxisRange {nice.min(), nice.max(), nice.tickCount()};
}

bool HistoryChart::axesWouldChange(double low, double high) const
{
    const AxisRange value = axisRangeFor(low, high);
    return m_timeAxis->min() != QDateTime::fromMSecsSinceEpoch(m_fromMs)
        || m_timeAxis->max() != QDateTime::fromMSecsSinceEpoch(m_toMs) || m_valueAxis->min() != value.min
        || m_valueAxis->max() != value.max || m_valueAxis->tickCount() != value.ticks;
}

void HistoryChart::updateAxes(double low, double high)
{
    const QString format = timeFormatFor(m_toMs - m_fromMs);
    if (m_timeAxis->format() != format)
        m_timeAxis->setFormat(format);
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(m_fromMs), QDateTime::fromMSecsSinceEpoch(m_toMs));
    const AxisRange value = axisRangeFor(low, high);
    if (m_valueAxis->tickCount() != value.ticks)
        m_valueAxis->setTickCount(value.ticks);
    m_valueAxis->setRange(value.min, value.max);
}

void HistoryChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    QChartView::drawForeground(painter, rect);
    const QRectF plot = chart()->plotArea();
    if (plot.isEmpty())
        return;
    painter->save();
    painter->setClipRect(plot);
    auto xOf = [&](qint64 t) {
        return chart()->mapToPosition(QPointF(double(t), 0.0), m_series.isEmpty() ? nullptr : m_series.first()).x();
    };
    auto yOf = [&](double v) {
        return plot.top() + (m_valueAxis->max() - v) / (m_valueAxis->max() - m_valueAxis->min()) * plot.height();
    };
    auto xAt = [&](qint64 t) {
        return plot.left() + double(t - m_fromMs) / double(std::max<qint64>(1, m_toMs - m_fromMs)) * plot.width();
    };
    Q_UNUSED(xOf);

    // Threshold bands: WARN amber, CRIT red, faint so the line stays the loudest thing.
    auto band = [&](double a, double b, Severity s) {
        QColor c = StatusStyle::color(s);
        c.setAlpha(40);
        const double y1 = yOf(a);
        const double y2 = yOf(b);
        painter->fillRect(QRectF(QPointF(plot.left(), std::min(y1, y2)), QPointF(plot.right(), std::max(y1, y2))), c);
        QColor edge = StatusStyle::color(s);
        edge.setAlpha(160);
        painter->setPen(QPen(edge, 1, Qt::DashLine));
        painter->drawLine(QPointF(plot.left(), y1), QPointF(plot.right(), y1));
    };
    const double top = m_valueAxis->max();
    const double bottom = m_valueAxis->min();
    if (m_thresholds.direction == Thresholds::Direction::HigherIsWorse) {
        if (m_thresholds.warn)
            band(*m_thresholds.warn, m_thresholds.crit ? std::min(*m_thresholds.crit, top) : top, Severity::Warn);
        if (m_thresholds.crit)
            band(*m_thresholds.crit, std::max(top, *m_thresholds.crit), Severity::Crit);
    } else {
        if (m_thresholds.warn)
            band(*m_thresholds.warn, m_thresholds.crit ? std::max(*m_thresholds.crit, bottom) : bottom, Severity::Warn);
        if (m_thresholds.crit)
            band(*m_thresholds.crit, std::min(bottom, *m_thresholds.crit), Severity::Crit);
    }

    // Gaps: hatched grey, labelled when there is room.
    QColor gapColor = palette().text().color();
    gapColor.setAlpha(45);
    for (const auto& g : m_gaps) {
        const double x1 = xAt(g.fromMs);
        const double x2 = std::max(xAt(g.toMs), x1 + 2.0);
        const QRectF r(QPointF(x1, plot.top()), QPointF(x2, plot.bottom()));
        painter->fillRect(r, QBrush(gapColor, Qt::BDiagPattern));
        painter->fillRect(r, QColor(gapColor.red(), gapColor.green(), gapColor.blue(), 20));
        if (r.width() > 60) {
            painter->setPen(palette().text().color());
            painter->drawText(r.adjusted(4, 4, -4, -4), Qt::AlignTop | Qt::AlignHCenter, tr("no data"));
        }
    }

    // Incidents: a triangle on the top edge where each began.
    painter->setRenderHint(QPainter::Antialiasing, true);
    for (const auto& [at, severity] : m_marks) {
        if (at < m_fromMs || at > m_toMs)
            continue;
        const double x = xAt(at);
        painter->setPen(QPen(StatusStyle::color(severity), 1, Qt::DotLine));
        painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        QPolygonF tri;
        tri << QPointF(x - 6, plot.top()) << QPointF(x + 6, plot.top()) << QPointF(x, plot.top() + 9);
        painter->setBrush(StatusStyle::color(severity));
        painter->setPen(Qt::NoPen);
        painter->drawPolygon(tri);
    }
    painter->restore();
}

void HistoryChart::wheelEvent(QWheelEvent* event)
{
    const QRectF plot = chart()->plotArea();
    const qint64 span = m_toMs - m_fromMs;
    if (plot.isEmpty() || span <= 0)
        return;
    const double fraction = std::clamp((event->position().x() - plot.left()) / plot.width(), 0.0, 1.0);
    const double factor = event->angleDelta().y() > 0 ? 0.8 : 1.25;
    const qint64 newSpan = std::clamp<qint64>(qint64(double(span) * factor), kMinSpanMs, kMaxSpanMs);
    const qint64 anchor = m_fromMs + qint64(fraction * double(span));
    const qint64 from = anchor - qint64(fraction * double(newSpan));
    Q_EMIT rangeRequested(from, from + newSpan);
    event->accept();
}

void HistoryChart::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton && chart()->plotArea().contains(event->position())) {
        m_dragging = true;
        m_dragOrigin = event->position().toPoint();
        m_dragFromMs = m_fromMs;
        m_dragToMs = m_toMs;
        setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QChartView::mousePressEvent(event);
}

void HistoryChart::mouseMoveEvent(QMouseEvent* event)
{
    const QRectF plot = chart()->plotArea();
    if (m_dragging && !plot.isEmpty()) {
        const double dx = event->position().x() - m_dragOrigin.x();
        const qint64 dt = qint64(dx / plot.width() * double(m_dragToMs - m_dragFromMs));
        if (dt != 0)
            Q_EMIT rangeRequested(m_dragFromMs - dt, m_dragToMs - dt);
        event->accept();
        return;
    }
    if (plot.contains(event->position()) && m_toMs > m_fromMs) {
        const qint64 t
            = m_fromMs + qint64((event->position().x() - plot.left()) / plot.width() * double(m_toMs - m_fromMs));
        QStringList lines;
        lines << QDateTime::fromMSecsSinceEpoch(t).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        for (const auto& g : m_gaps)
            if (t >= g.fromMs && t < g.toMs)
                lines << tr("no data (STALE or not recorded)");
        for (const auto& line : m_lines) {
            const auto& pts = line.history.points;
            auto it = std::lower_bound(
                pts.begin(), pts.end(), t, [](const HistoryPoint& p, qint64 v) { return p.timestampMs < v; });
            const HistoryPoint* best = nullptr;
            if (it != pts.end())
                best = &*it;
            if (it != pts.begin() && (!best || t - std::prev(it)->timestampMs < best->timestampMs - t))
                best = &*std::prev(it);
            if (!best)
                continue;
            const QString value = best->min == best->max
                ? formatValue(best->mean, m_unit)
                : tr("%1 … %2").arg(formatValue(best->min, m_unit), formatValue(best->max, m_unit));
            lines << (line.name.isEmpty() ? value : QStringLiteral("%1: %2").arg(line.name, value));
            if (lines.size() > 10)
                break;
        }
        QToolTip::showText(event->globalPosition().toPoint(), lines.join(QLatin1Char('\n')), this);
    }
    QChartView::mouseMoveEvent(event);
}

void HistoryChart::mouseReleaseEvent(QMouseEvent* event)
{
    if (m_dragging) {
        m_dragging = false;
        unsetCursor();
        event->accept();
        return;
    }
    QChartView::mouseReleaseEvent(event);
}

QString HistoryChart::toCsv() const
{
    QString csv = QStringLiteral("time,series,min,max,mean\n");
    for (const auto& line : m_lines) {
        const QString name = line.name.isEmpty() ? m_title : m_title + QLatin1Char(' ') + line.name;
        QString quoted = name;
        quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        for (const auto& p : line.history.points)
            csv += QStringLiteral("%1,\"%2\",%3,%4,%5\n")
                       .arg(QDateTime::fromMSecsSinceEpoch(p.timestampMs, QTimeZone::utc()).toString(Qt::ISODateWithMs),
                           quoted)
                       .arg(p.min, 0, 'g', 17)
                       .arg(p.max, 0, 'g', 17)
                       .arg(p.mean, 0, 'g', 17);
    }
    return csv;
}

bool HistoryChart::savePng(const QString& path)
{
    return grab().save(path, "PNG");
}

void HistoryChart::contextMenuEvent(QContextMenuEvent* event)
{
    QMenu menu(this);
    menu.addAction(tr("Save Chart as PNG…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Save Chart"), m_title + QStringLiteral(".png"), tr("PNG images (*.png)"));
        if (!path.isEmpty())
            savePng(path);
    });
    menu.addAction(tr("Save Series as CSV…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Save Series"), m_title + QStringLiteral(".csv"), tr("CSV files (*.csv)"));
        if (path.isEmpty())
            return;
        QFile file(path);
        if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            file.write(toCsv().toUtf8());
    });
    menu.exec(event->globalPos());
}

double HistoryChart::valueAt(const QPointF& position) const
{
    return chart()->mapToValue(position).y();
}

} // namespace pw
