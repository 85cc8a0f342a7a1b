#pragma once

#include "model/snapshot.h"

#include <QTimer>
#include <QWidget>

#include <functional>

namespace pw {

/// The launch-day wall screen: dark, full screen, no interaction needed. On top the "data stops moving" sentence
/// (or the overall status), a clock and "updated N s ago"; then one row per stage, worst first, each with its status
/// word on the status colour (never colour alone), the title, a huge headline value (at least 8 % of the screen
/// height) and the reason. A STALE source puts a banner across the top that pulses; a data dir that cannot be
/// written (Snapshot::degraded) a quieter line under it, since monitoring goes on. Painted, not laid out, so the
/// sizes follow the screen exactly. Esc or F11 closes it (when shown as a window of the console). GUI thread only.
class WatchScreen : public QWidget
{
    Q_OBJECT
public:
    explicit WatchScreen(QWidget* parent = nullptr);

    void setClock(std::function<qint64()> clock);
    void setSnapshot(const SnapshotPtr& snapshot);
    SnapshotPtr snapshot() const { return m_snapshot; }

    /// Stage ids in the order shown: worst first, path order among equals.
    QStringList orderedStageIds() const;
    /// Pixel height of the headline values' font at the current size.
    int headlinePixelSize() const;
    /// The banner text when a source is STALE, else empty.
    QString staleBanner() const;
    QString topSentence() const;
    /// The line shown while part of the data dir cannot be written ("DEGRADED — recovery ledger not written…"),
    /// else empty.
    QString degradedLine() const;

Q_SIGNALS:
    void closeRequested();

protected:
    void paintEvent(QPaintEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    SnapshotPtr m_snapshot;
    std::function<qint64()> m_clock;
    QTimer m_tick;
    bool m_pulse = false;
};

} // namespace pw
