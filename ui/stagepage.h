#pragma once

#include "history/historyservice.h"
#include "model/snapshot.h"

#include <QTimer>
#include <QWidget>

#include <functional>
#include <memory>

class QAbstractButton;
class QButtonGroup;
class QGridLayout;
class QLabel;
class QSplitter;
class QTabWidget;
class QPushButton;
class QTableView;
class QTableWidget;
class QVBoxLayout;

namespace pw {

class CheckpointFeed;
class ConsumerLagView;
class HistoryChart;
class Ledger;
class SignalTableModel;
struct Incident;
struct LedgerCheckpointRow;

/// The page behind one stage's tile: each of its signals as a chart over a shared time range (15 min … 7 d buttons,
/// wheel zoom, drag to pan), the stage's series in a table under them (double-click one to chart it alone), and per
/// kind of stage: for the source log its consumer groups as a tree beside the lag charts, for a stream job its
/// checkpoint history from the ledger, for object storage the rate and ratio charts side by side, for serving the
/// freshness (and completeness) in large type above the charts. History and ledger reads run off the GUI thread; the
/// results come back as shared immutable data and are drawn on a single-shot timer, so a burst of snapshots costs one
/// query. GUI thread only.
class StagePage : public QWidget
{
    Q_OBJECT
public:
    explicit StagePage(QWidget* parent = nullptr);
    ~StagePage() override;

    void setHistoryService(HistoryService* service);
    void setLedger(std::shared_ptr<Ledger> ledger);
    void setCheckpointFeed(std::shared_ptr<CheckpointFeed> feed);
    void setClock(std::function<qint64()> clock);

    void showStage(const QString& stageId, const SnapshotPtr& snapshot);
    void setSnapshot(const SnapshotPtr& snapshot);
    QString stageId() const { return m_stageId; }

    /// Follows now with this span (the range buttons).
    void setSpan(qint64 spanMs);
    /// A fixed range (wheel zoom, drag); the buttons bring back "live".
    void setRange(qint64 fromMs, qint64 toMs);
    qint64 fromMs() const { return m_fromMs; }
    qint64 toMs() const { return m_toMs; }
    bool isLive() const { return m_live; }
    QList<HistoryChart*> charts() const { return m_charts; }
    /// What a stage's signals make of its page.
    enum class Layout
    {
        Generic,
        SourceLog,
        StreamJob,
        ObjectStorage,
        Serving
    };
    Layout layout() const { return m_layout; }
    ConsumerLagView* consumerLagView() const { return m_lagView; }
    /// The span the range buttons follow (kept when the user zooms or pans).
    qint64 span() const { return m_spanMs; }
    /// Charts only this series (0: all of them).
    void setSoloSeries(SeriesId id);
    SeriesId soloSeries() const { return m_solo; }

    /// Stages whose page offers "Recover…" (they read a group that has a `recovery:` entry).
    void setRecoverableStages(const QStringList& stageIds);

Q_SIGNALS:
    void backRequested();
    void recoverRequested(const QString& stageId);
    /// A history answer has been drawn (tests wait for it).
    void historyDrawn();
    void checkpointsShown(int rows);
    /// The user picked another range button (remembered across restarts).
    void spanChosen(qint64 spanMs);

protected:
    void changeEvent(QEvent* event) override;

private:
    void styleRangeButton(QAbstractButton* button);
    void rebuildCharts();
    void requestHistory();
    void applyHistory(const HistoryResultPtr& result);
    void requestLedger();
    void updateHeader();
    void updateTable();
    void updateLayout();
    void updateHeadline();

    HistoryService* m_service = nullptr;
    std::shared_ptr<Ledger> m_ledger;
    std::shared_ptr<CheckpointFeed> m_checkpoints;
    std::function<qint64()> m_clock;
    SnapshotPtr m_snapshot;
    QString m_stageId;
    QStringList m_chartSignals; // signal id per chart
    qint64 m_spanMs = 3600 * 1000;
    qint64 m_fromMs = 0;
    qint64 m_toMs = 0;
    bool m_live = true;
    SeriesId m_solo = 0;
    quint64 m_pendingToken = 0;
    qint64 m_lastQueryMs = 0;
    std::vector<std::vector<std::pair<SeriesId, QString>>> m_requested; // per chart: series and legend name
    QTimer m_queryTimer;
    QTimer m_ledgerTimer;

    QLabel* m_title;
    QLabel* m_status;
    QLabel* m_reason;
    QLabel* m_rangeLabel;
    QPushButton* m_showAll;
    QPushButton* m_recover = nullptr;
    QStringList m_recoverableStages;
    QButtonGroup* m_rangeButtons = nullptr;
    QWidget* m_chartArea;
    QGridLayout* m_chartLayout;
    int m_chartColumns = 1;
    Layout m_layout = Layout::Generic;
    QWidget* m_headline;
    QSplitter* m_splitter;
    QTabWidget* m_bottomTabs;
    ConsumerLagView* m_lagView;
    QList<HistoryChart*> m_charts;
    SignalTableModel* m_model;
    QTableView* m_table;
    QTableWidget* m_checkpointTable;
    QLabel* m_checkpointLabel;
};

} // namespace pw
