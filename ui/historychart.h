#pragma once

#include "history/history.h"
#include "model/severity.h"
#include "model/thresholds.h"

#include <QChartView>
#include <QList>
#include <QString>

class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace pw {

/// One signal over time: a line per series (decimated min/max per pixel column, set with replace(), never appended
/// point by point), the WARN and CRIT thresholds as tinted bands, gaps (STALE, NaN, nothing recorded) shaded and
/// left undrawn, incidents as marks on the time axis. The wheel zooms and a drag pans: both only ask for a new time
/// range (rangeRequested) so that every chart of a page shares one axis. GUI thread only.
class HistoryChart : public QChartView
{
    Q_OBJECT
public:
    struct Line
    {
        QString name; // legend text, e.g. "partition=3"; empty for a signal with one series
        HistorySeries history;
    };

    explicit HistoryChart(QWidget* parent = nullptr);

    void setSignal(const QString& title, const QString& unit, const Thresholds& thresholds);
    /// Replaces what is drawn; `fromMs`/`toMs` is the visible range.
    void setLines(std::vector<Line> lines, qint64 fromMs, qint64 toMs);
    /// Moves the time axis at once (zoom and pan feel immediate); the page's next answer brings the data.
    void setVisibleRange(qint64 fromMs, qint64 toMs);
    /// Incident start times to mark, with their severity.
    void setIncidentMarks(std::vector<std::pair<qint64, Severity>> marks);

    QString title() const { return m_title; }
    /// Points given to the chart's line series (after decimation), for tests and benchmarks.
    qsizetype drawnPointCount() const;
    HistoryTier tier() const { return m_tier; }
    const std::vector<HistoryGap>& gaps() const { return m_gaps; }
    /// The drawn points as CSV: time (ISO 8601, UTC), series, min, max, mean. Gaps are absent rows.
    QString toCsv() const;
    bool savePng(const QString& path);

Q_SIGNALS:
    void rangeRequested(qint64 fromMs, qint64 toMs);

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void applyPalette();
    QLineSeries* lineAt(int index);
    struct AxisRange
    {
        double min = 0.0;
        double max = 1.0;
        int ticks = 5;
    };
    /// The value axis for data in [low, high]: from 0 when all is positive, thresholds within reach, nice numbers.
    AxisRange axisRangeFor(double low, double high) const;
    bool axesWouldChange(double low, double high) const;
    void updateAxes(double low, double high);
    double valueAt(const QPointF& position) const;

    QString m_title;
    QString m_unit;
    Thresholds m_thresholds;
    QDateTimeAxis* m_timeAxis;
    QValueAxis* m_valueAxis;
    QList<QLineSeries*> m_series; // pool, reused across updates
    std::vector<Line> m_lines;
    std::vector<HistoryGap> m_gaps;
    std::vector<std::pair<qint64, Severity>> m_marks;
    HistoryTier m_tier = HistoryTier::Raw;
    qint64 m_fromMs = 0;
    qint64 m_toMs = 0;
    bool m_darkLines = false; // lines are drawn in the dark palette's colours
    bool m_dragging = false;
    QPoint m_dragOrigin;
    qint64 m_dragFromMs = 0;
    qint64 m_dragToMs = 0;
};

} // namespace pw
