#pragma once

#include "model/snapshot.h"
#include "readiness/readiness.h"
#include "recoverywizard.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>

class QLabel;
class QLineEdit;
class QSystemTrayIcon;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;

namespace pw {

class CheckpointFeed;
class DesktopNotifier;
class HistoryService;
class IncidentTimeline;
class Ledger;
class PipelineStrip;
class ReadinessPage;
class SeriesStore;
class StagePage;
class ThemeController;
class WatchScreen;
class SignalTableModel;
class SourceHealthModel;

/// The console window: pipeline strip on top, all signals and the health of every source below. It is fed only by
/// Snapshots and never does I/O. setSnapshot() just keeps the pointer and arms a 40 ms single-shot refresh, so a
/// burst of snapshots costs one repaint. Ages ("12 s ago") tick every second without new snapshots.
/// GUI thread only: connect the engine's queued snapshotReady signal to setSnapshot.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Wall clock (ms since epoch) for every age shown; tests and screenshots pin it. Defaults to pw::nowMs.
    void setClock(std::function<qint64()> clock);

    /// The snapshot on screen (the last one applied by the refresh timer), or null.
    SnapshotPtr currentSnapshot() const { return m_current; }

    /// Where stage pages read history (queried on a worker thread of the window's HistoryService).
    void setHistory(std::shared_ptr<SeriesStore> store);
    /// The recovery ledger: incidents for the timeline, checkpoints for the stream job's page. May be null.
    void setLedger(std::shared_ptr<Ledger> ledger);
    void setCheckpointFeed(std::shared_ptr<CheckpointFeed> feed);

    StagePage* stagePage() const { return m_stagePage; }
    IncidentTimeline* incidentTimeline() const { return m_timeline; }
    HistoryService* historyService() const { return m_history.get(); }
    /// The watch screen window, created on first use (null before).
    WatchScreen* watchScreen() const { return m_watch; }
    bool isStagePageShown() const;
    ReadinessPage* readinessPage() const { return m_readinessPage; }
    ThemeController* theme() const { return m_theme; }
    /// The warning bar shown while part of the data dir cannot be written (Snapshot::degraded); hidden otherwise.
    QLabel* degradedBar() const { return m_degradedBar; }
    /// The tray icon, or null where the desktop has no tray.
    QSystemTrayIcon* trayIcon() const { return m_tray; }

    /// Restores what the user left (QSettings): the theme choice (System follows the desktop portal, read without
    /// waiting), the chart time range, and the last page, opened once a snapshot has that stage. From then on
    /// changes of page and range are remembered. Not called by default, so tests leave the user's settings alone.
    void restoreHabits();
    /// Logs (category pathwatch.startup) how long after `launch` the pipeline strip and the first values were on
    /// screen.
    void setLaunchTimer(QElapsedTimer launch);

    /// What "Recover…" works with (config, ledger, embedded demo); the action is enabled once a group has a
    /// `recovery:` entry. Stage pages of stages that read a recoverable group's source get a "Recover…" button.
    void setRecoveryEnvironment(RecoveryEnvironment environment);
    QAction* recoverAction() const { return m_recoverAction; }
    /// The open wizard, or null.
    RecoveryWizard* recoveryWizard() const { return m_wizard; }

public Q_SLOTS:
    /// Stores the snapshot and schedules a refresh; a null pointer is ignored.
    void setSnapshot(pw::SnapshotPtr snapshot);
    /// Replaces the console with a message (Markdown) when there is nothing to watch, e.g. no configuration.
    /// The next snapshot brings the console back.
    void setEmptyState(const QString& message);
    /// A note at the right of the header about what is being watched (e.g. the embedded demo and where its
    /// endpoints are); `details` is its tooltip. An empty text hides it.
    void setModeNote(const QString& text, const QString& details = {});
    /// Opens the page of a stage (a tile's click, Enter on a tile, keys 1–9).
    void openStage(const QString& stageId);
    /// Back to the pipeline overview (Esc, Alt+Left, the page's Back button).
    void showOverview();
    /// Full-screen dark watch screen on screen `screen` (-1: the window's screen); Esc closes it.
    void showWatchScreen(int screen = -1);
    void closeWatchScreen();
    /// The Readiness page (View → Readiness, Ctrl+Shift+E).
    void showReadiness();
    /// A readiness report judged off the GUI thread; shown on the Readiness page.
    void setReadiness(std::shared_ptr<const pw::ReadinessReport> report);
    /// Opens the recovery wizard (or raises the open one), for `group` or the group of a stage (empty: the first).
    RecoveryWizard* openRecoveryWizard(const QString& group = {});
    /// The group whose recovery a stage's "Recover…" button starts: the recovery entry whose kafka or flink source
    /// feeds one of the stage's signals; empty when none.
    QString recoverableGroupOfStage(const QString& stageId) const;
    /// Un-minimizes, raises and activates the window (the tray, a notification's action).
    void bringToFront();

public:
    /// Wires desktop notifications to the window: a notification about a stage that reads a recoverable group
    /// offers "Recover…", which brings the window to the front and opens the wizard on that group; a click on a
    /// notification brings the window to the front on the stage's page. The notifier must outlive the window or be
    /// destroyed first (it asks the window which group a stage recovers).
    void setNotifier(DesktopNotifier* notifier);
    /// What Help → Keyboard Shortcuts shows (a Markdown table).
    static QString shortcutsMarkdown();

Q_SIGNALS:
    /// Emitted after a snapshot has been put on screen.
    void snapshotApplied(quint64 sequence);
    /// The Readiness page asks for a new judgement (wire it to Instance::refreshReadiness).
    void readinessRefreshRequested();

private:
    void applyPendingSnapshot();
    void refreshAges();
    void updateTitle();
    void updateDegradedBar(qint64 now);
    void toggleFullScreen(bool on);
    QWidget* createConsolePage();
    QWidget* createEmptyPage();
    void createMenus();
    void showShortcuts();
    void showAbout();
    void createTray();
    void updateTray();

    SnapshotPtr m_pending;
    SnapshotPtr m_current;
    std::function<qint64()> m_clock;
    bool m_fittingColumns = false;
    bool m_userSizedSignalColumns = false;
    bool m_userSizedSourceColumns = false;
    QTimer m_refreshTimer;
    QTimer m_ageTimer;

    QStackedWidget* m_stack = nullptr;
    QWidget* m_consolePage = nullptr;
    QWidget* m_emptyPage = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QLabel* m_pipelineLabel = nullptr;
    QLabel* m_overallLabel = nullptr;
    QLabel* m_summaryLabel = nullptr;
    QLabel* m_modeLabel = nullptr;
    PipelineStrip* m_strip = nullptr;
    SignalTableModel* m_signalModel = nullptr;
    SourceHealthModel* m_sourceModel = nullptr;
    QSortFilterProxyModel* m_signalProxy = nullptr;
    QSortFilterProxyModel* m_sourceProxy = nullptr;
    QTableView* m_signalView = nullptr;
    QTableView* m_sourceView = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_signalCount = nullptr;
    QLabel* m_sourceCount = nullptr;
    QLabel* m_snapshotLabel = nullptr;
    QLabel* m_updateAgeLabel = nullptr;
    QLabel* m_degradedBar = nullptr;
    StagePage* m_stagePage = nullptr;
    ReadinessPage* m_readinessPage = nullptr;
    IncidentTimeline* m_timeline = nullptr;
    WatchScreen* m_watch = nullptr;
    std::unique_ptr<HistoryService> m_history;
    RecoveryEnvironment m_recovery;
    QAction* m_recoverAction = nullptr;
    QPointer<RecoveryWizard> m_wizard;
    ThemeController* m_theme = nullptr;
    QSystemTrayIcon* m_tray = nullptr;
    bool m_rememberHabits = false;
    QString m_pageToRestore;
    QElapsedTimer m_launch;
    bool m_stripLogged = false;
    bool m_valuesLogged = false;
};

} // namespace pw
