#pragma once

#include "replay/guidedrecovery.h"

#include <QWidget>

namespace pw {

/// The target step's chart: a group's committed offset (line) and lag (area) from the recovery ledger, its incidents
/// as red bands, and the point the replay starts from as a green line. A click or a drag picks another time, snapped
/// to the start of its minute (one-minute windows are rewritten whole). Also the catch-up step's lag chart
/// (setLagOnly). GUI thread only; it only paints data handed to it.
class RecoveryTargetChart : public QWidget
{
    Q_OBJECT
public:
    explicit RecoveryTargetChart(QWidget* parent = nullptr);

    void setHistory(const GroupHistory& history, qint64 toMs);
    /// Only the lag, over the points' own span (the catch-up step).
    void setLagOnly(bool lagOnly);
    void setPoints(std::vector<GroupHistoryPoint> points);
    void setPickedMs(qint64 ms);
    qint64 pickedMs() const { return m_pickedMs; }
    /// The widget x of a time (for tests that click a time).
    int xForTime(qint64 ms) const;

    QSize sizeHint() const override { return {720, 260}; }
    QSize minimumSizeHint() const override { return {360, 180}; }

Q_SIGNALS:
    void picked(qint64 ms);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRectF plotRect() const;
    qint64 timeForX(double x) const;
    void pickAt(double x);

    GroupHistory m_history;
    qint64 m_fromMs = 0;
    qint64 m_toMs = 0;
    qint64 m_pickedMs = 0;
    bool m_lagOnly = false;
};

} // namespace pw
