#pragma once

#include "ledger/ledger.h"
#include "model/snapshot.h"

#include <QTimer>
#include <QWidget>

#include <functional>
#include <memory>

namespace pw {

/// A strip of the ledger's incidents over the last hours: one lane per stage in path order, a bar per incident
/// (coloured by its worst severity, with the word when it fits), open incidents running to now. Hover shows the
/// reason and times. The ledger is read on a pool thread every few seconds; it survives restarts, so does the strip.
/// GUI thread only.
class IncidentTimeline : public QWidget
{
    Q_OBJECT
public:
    explicit IncidentTimeline(QWidget* parent = nullptr);

    void setLedger(std::shared_ptr<Ledger> ledger);
    void setClock(std::function<qint64()> clock);
    void setSpan(qint64 spanMs);
    void setSnapshot(const SnapshotPtr& snapshot);
    /// Shown as is (tests, and when there is no ledger to read).
    void setIncidents(std::vector<Incident> incidents);
    const std::vector<Incident>& incidents() const { return m_incidents; }
    void refresh();

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void incidentsChanged();
    void stageActivated(const QString& stageId);
    /// "Recover…" from a lane's context menu.
    void recoverRequested(const QString& stageId);

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    QRectF barRect(const Incident& incident, int lane) const;
    int laneOf(const QString& stageId) const;
    QRectF plotRect() const;

    std::shared_ptr<Ledger> m_ledger;
    std::function<qint64()> m_clock;
    qint64 m_spanMs = 6LL * 3600 * 1000;
    QStringList m_stageIds;
    QStringList m_stageTitles;
    std::vector<Incident> m_incidents;
    QTimer m_timer;
    bool m_loading = false;
};

} // namespace pw
