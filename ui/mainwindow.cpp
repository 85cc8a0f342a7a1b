#include "mainwindow.h"

#include "checkpointfeed.h"
#include "desktopnotifier.h"
#include "history/historyservice.h"
#include "incidenttimeline.h"
#include "ledger/ledger.h"
#include "model/seriesstore.h"
#include "pipelinestrip.h"
#include "readinesspage.h"
#include "stagepage.h"
#include "stagetile.h"
#include "theme.h"
#include "watchscreen.h"

#include "pathwatch/version.h"
#include "severitydelegate.h"
#include "signaltablemodel.h"
#include "sourcehealthmodel.h"
#include "statusstyle.h"

#include "presentation/format.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QScreen>
#include <QSettings>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTableView>
#include <QVBoxLayout>
#include <QWindow>

// Resources of a static library must be registered by hand; Q_INIT_RESOURCE only works outside a namespace.
static void initPathwatchResources()
{
    Q_INIT_RESOURCE(pathwatch);
}

namespace pw {

Q_LOGGING_CATEGORY(lcStartup, "pathwatch.startup", QtWarningMsg)

namespace {
constexpr int kRefreshDelayMs = 40;

QLabel* sectionLabel(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont f = label->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.1);
    label->setFont(f);
    return label;
}

// Widens columns (all but the last, which stretches) to what their visible cells need, never narrower: values,
// labels and endpoints arrive over the first polls, and a column must not jump back under the reader.
void growColumns(QTableView* view)
{
    const int maxWidth = 36 * view->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    const int columns = view->model()->columnCount();
    for (int c = 0; c < columns - 1; ++c) {
        const int wanted = std::min(std::max(static_cast<const QAbstractItemView*>(view)->sizeHintForColumn(c),
                                        view->horizontalHeader()->sectionSizeHint(c))
                + 12,
            maxWidth);
        if (wanted > view->columnWidth(c))
            view->setColumnWidth(c, wanted);
    }
}

QTableView* makeTable(const QString& objectName, QWidget* parent)
{
    auto* view = new QTableView(parent);
    view->setObjectName(objectName);
    view->setSortingEnabled(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->setShowGrid(false);
    view->setTextElideMode(Qt::ElideMiddle);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 10);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    return view;
}
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_clock(&pw::nowMs)
{
    initPathwatchResources();
    setObjectName(QStringLiteral("mainWindow"));
    // Lets desktops (Wayland app id, task bars) match the window to io.pathwatch.Pathwatch.desktop and its icon.
    if (QGuiApplication::desktopFileName().isEmpty())
        QGuiApplication::setDesktopFileName(QStringLiteral("io.pathwatch.Pathwatch"));
    QIcon icon;
    icon.addFile(QStringLiteral(":/icons/pathwatch-256.png"));
    icon.addFile(QStringLiteral(":/icons/pathwatch-64.png"));
    setWindowIcon(icon);

    m_stack = new QStackedWidget(this);
    m_consolePage = createConsolePage();
    m_emptyPage = createEmptyPage();
    m_stagePage = new StagePage(this);
    m_stack->addWidget(m_consolePage);
    m_stack->addWidget(m_emptyPage);
    m_stack->addWidget(m_stagePage);
    m_readinessPage = new ReadinessPage(this);
    m_stack->addWidget(m_readinessPage);
    connect(m_readinessPage, &ReadinessPage::backRequested, this, &MainWindow::showOverview);
    connect(m_readinessPage, &ReadinessPage::refreshRequested, this, &MainWindow::readinessRefreshRequested);
    // Above every page, so it stays in view on a stage page or the Readiness page too. A bar, not a dialog: the
    // console keeps monitoring while the disk is full, and the user should not have to dismiss anything.
    m_degradedBar = new QLabel(this);
    m_degradedBar->setObjectName(QStringLiteral("degradedBar"));
    m_degradedBar->setWordWrap(true);
    m_degradedBar->setTextFormat(Qt::PlainText);
    m_degradedBar->setContentsMargins(12, 6, 12, 6);
    m_degradedBar->setStyleSheet(
        QStringLiteral("QLabel#degradedBar { background: %1; color: %2; font-weight: 600; }")
            .arg(StatusStyle::color(Severity::Warn).name(), StatusStyle::onColor(Severity::Warn).name()));
    m_degradedBar->hide();
    auto* central = new QWidget(this);
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(m_degradedBar);
    centralLayout->addWidget(m_stack, 1);
    setCentralWidget(central);
    connect(m_stagePage, &StagePage::backRequested, this, &MainWindow::showOverview);
    connect(m_strip, &PipelineStrip::stageActivated, this, &MainWindow::openStage);
    connect(m_timeline, &IncidentTimeline::stageActivated, this, &MainWindow::openStage);
    for (int n = 1; n <= 9; ++n) {
        auto* open = new QShortcut(QKeySequence(Qt::Key_0 + n), this);
        connect(open, &QShortcut::activated, this, [this, n] {
            if (m_current && n <= int(m_current->stages.size()))
                openStage(m_current->stages[std::size_t(n - 1)].stageId);
        });
    }
    for (const QKeySequence& key : {QKeySequence(Qt::Key_Escape), QKeySequence(Qt::ALT | Qt::Key_Left)}) {
        auto* back = new QShortcut(key, this);
        connect(back, &QShortcut::activated, this, [this] {
            if (isStagePageShown() || m_stack->currentWidget() == m_readinessPage)
                showOverview();
        });
    }

    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    auto* quit = fileMenu->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setShortcutContext(Qt::ApplicationShortcut);
    connect(quit, &QAction::triggered, qApp, &QCoreApplication::quit, Qt::QueuedConnection);

    auto* viewMenu = menuBar()->addMenu(tr("&View"));
    auto* find = viewMenu->addAction(tr("&Filter Signals…"));
    find->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    connect(find, &QAction::triggered, this, [this] {
        m_stack->setCurrentWidget(m_consolePage);
        m_filter->setFocus(Qt::ShortcutFocusReason);
        m_filter->selectAll();
    });
    auto* fullScreen = viewMenu->addAction(tr("F&ull Screen"));
    fullScreen->setObjectName(QStringLiteral("fullScreenAction"));
    fullScreen->setCheckable(true);
    fullScreen->setShortcut(QKeySequence(Qt::Key_F11));
    connect(fullScreen, &QAction::toggled, this, &MainWindow::toggleFullScreen);
    auto* watch = viewMenu->addAction(tr("&Watch Screen"));
    watch->setObjectName(QStringLiteral("watchScreenAction"));
    watch->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_W));
    connect(watch, &QAction::triggered, this, [this] { showWatchScreen(); });
    auto* overview = viewMenu->addAction(tr("&Pipeline Overview"));
    overview->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Home));
    connect(overview, &QAction::triggered, this, &MainWindow::showOverview);
    auto* readiness = viewMenu->addAction(tr("&Readiness"));
    readiness->setObjectName(QStringLiteral("readinessAction"));
    readiness->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    connect(readiness, &QAction::triggered, this, &MainWindow::showReadiness);
    auto* recoveryMenu = menuBar()->addMenu(tr("&Recovery"));
    m_recoverAction = recoveryMenu->addAction(tr("&Recover…"));
    m_recoverAction->setObjectName(QStringLiteral("recoverAction"));
    m_recoverAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_recoverAction->setEnabled(false);
    m_recoverAction->setToolTip(tr("Replay a consumer group from the last trusted point, guided and audited"));
    connect(m_recoverAction, &QAction::triggered, this, [this] { openRecoveryWizard(); });
    connect(m_stagePage, &StagePage::recoverRequested, this,
        [this](const QString& stageId) { openRecoveryWizard(recoverableGroupOfStage(stageId)); });
    connect(m_timeline, &IncidentTimeline::recoverRequested, this,
        [this](const QString& stageId) { openRecoveryWizard(recoverableGroupOfStage(stageId)); });
    m_theme = new ThemeController(this);
    auto* themeMenu = viewMenu->addMenu(tr("&Theme"));
    themeMenu->setObjectName(QStringLiteral("themeMenu"));
    auto* themeGroup = new QActionGroup(themeMenu);
    struct ThemeEntry
    {
        ThemeController::Choice choice;
        QString text;
        QKeySequence keys;
    };
    for (const auto& [choice, text, keys] : {ThemeEntry {ThemeController::Choice::System, tr("Follow the &System"),
                                                 QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S)},
             ThemeEntry {ThemeController::Choice::Light, tr("&Light"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L)},
             ThemeEntry {ThemeController::Choice::Dark, tr("&Dark"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D)}}) {
        auto* action = themeMenu->addAction(text);
        action->setShortcut(keys);
        action->setObjectName(QStringLiteral("theme_%1").arg(ThemeController::choiceName(choice)));
        action->setCheckable(true);
        action->setChecked(choice == ThemeController::Choice::System);
        themeGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, choice = choice] { m_theme->setChoice(choice); });
    }
    connect(m_stagePage, &StagePage::spanChosen, this, [this](qint64 spanMs) {
        if (m_rememberHabits)
            QSettings().setValue(QStringLiteral("view/span_ms"), spanMs);
    });
    createMenus();
    createTray();

    m_snapshotLabel = new QLabel(this);
    m_snapshotLabel->setObjectName(QStringLiteral("snapshotLabel"));
    m_updateAgeLabel = new QLabel(this);
    m_updateAgeLabel->setObjectName(QStringLiteral("updateAgeLabel"));
    statusBar()->addWidget(m_snapshotLabel, 1);
    statusBar()->addPermanentWidget(m_updateAgeLabel);

    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(kRefreshDelayMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &MainWindow::applyPendingSnapshot);
    m_ageTimer.setInterval(1000);
    connect(&m_ageTimer, &QTimer::timeout, this, &MainWindow::refreshAges);
    m_ageTimer.start();

    // The table, not the filter field, has the focus at start, so typing does not filter by accident.
    m_signalView->setFocus();
    setEmptyState(tr("Waiting for the first snapshot…"));
    resize(1400, 820);
}

MainWindow::~MainWindow() = default;

void MainWindow::setModeNote(const QString& text, const QString& details)
{
    m_modeLabel->setText(text);
    m_modeLabel->setToolTip(details);
    m_modeLabel->setVisible(!text.isEmpty());
}

QWidget* MainWindow::createConsolePage()
{
    auto* page = new QWidget(this);
    page->setObjectName(QStringLiteral("consolePage"));
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(12, 12, 12, 6);
    layout->setSpacing(10);

    auto* header = new QHBoxLayout;
    header->setSpacing(10);
    m_pipelineLabel = new QLabel(page);
    m_pipelineLabel->setObjectName(QStringLiteral("pipelineLabel"));
    QFont nameFont = m_pipelineLabel->font();
    nameFont.setBold(true);
    nameFont.setPointSizeF(nameFont.pointSizeF() * 1.35);
    m_pipelineLabel->setFont(nameFont);
    header->addWidget(m_pipelineLabel);
    m_overallLabel = new QLabel(page);
    m_overallLabel->setObjectName(QStringLiteral("overallStatusLabel"));
    QFont pillFont = m_overallLabel->font();
    pillFont.setBold(true);
    m_overallLabel->setFont(pillFont);
    header->addWidget(m_overallLabel);
    m_summaryLabel = new QLabel(page);
    m_summaryLabel->setObjectName(QStringLiteral("summaryLabel"));
    m_summaryLabel->setForegroundRole(QPalette::PlaceholderText);
    header->addWidget(m_summaryLabel);
    header->addStretch(1);
    m_modeLabel = new QLabel(page);
    m_modeLabel->setObjectName(QStringLiteral("modeLabel"));
    m_modeLabel->setForegroundRole(QPalette::PlaceholderText);
    m_modeLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modeLabel->hide();
    header->addWidget(m_modeLabel);
    layout->addLayout(header);

    m_strip = new PipelineStrip(page);
    layout->addWidget(m_strip);
    auto* timelineHeader = new QHBoxLayout;
    timelineHeader->addWidget(sectionLabel(tr("Incidents, last 6 h"), page));
    auto* timelineHint
        = new QLabel(tr("from the recovery ledger · click a tile or press 1–9 for a stage's history"), page);
    timelineHint->setForegroundRole(QPalette::PlaceholderText);
    timelineHeader->addWidget(timelineHint);
    timelineHeader->addStretch(1);
    layout->addLayout(timelineHeader);
    m_timeline = new IncidentTimeline(page);
    layout->addWidget(m_timeline);

    m_signalModel = new SignalTableModel(this);
    m_signalModel->setObjectName(QStringLiteral("signalTableModel"));
    m_signalProxy = new QSortFilterProxyModel(this);
    m_signalProxy->setObjectName(QStringLiteral("signalFilterModel"));
    m_signalProxy->setSourceModel(m_signalModel);
    m_signalProxy->setSortRole(SignalTableModel::SortRole);
    m_signalProxy->setFilterKeyColumn(-1);
    m_signalProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_signalProxy->setDynamicSortFilter(true);

    m_sourceModel = new SourceHealthModel(this);
    m_sourceModel->setObjectName(QStringLiteral("sourceHealthModel"));
    m_sourceProxy = new QSortFilterProxyModel(this);
    m_sourceProxy->setSourceModel(m_sourceModel);
    m_sourceProxy->setSortRole(SourceHealthModel::SortRole);
    m_sourceProxy->setDynamicSortFilter(true);

    auto* splitter = new QSplitter(Qt::Vertical, page);
    splitter->setChildrenCollapsible(false);

    auto* signalsPanel = new QWidget(splitter);
    auto* signalsLayout = new QVBoxLayout(signalsPanel);
    signalsLayout->setContentsMargins(0, 0, 0, 0);
    signalsLayout->setSpacing(4);
    auto* signalsHeader = new QHBoxLayout;
    signalsHeader->addWidget(sectionLabel(tr("Signals"), signalsPanel));
    m_signalCount = new QLabel(signalsPanel);
    m_signalCount->setForegroundRole(QPalette::PlaceholderText);
    m_signalCount->setObjectName(QStringLiteral("signalCountLabel"));
    signalsHeader->addWidget(m_signalCount);
    signalsHeader->addStretch(1);
    m_filter = new QLineEdit(signalsPanel);
    m_filter->setObjectName(QStringLiteral("signalFilter"));
    m_filter->setPlaceholderText(tr("Filter signals (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setMinimumWidth(260);
    connect(m_filter, &QLineEdit::textChanged, m_signalProxy, &QSortFilterProxyModel::setFilterFixedString);
    signalsHeader->addWidget(m_filter);
    signalsLayout->addLayout(signalsHeader);

    m_signalView = makeTable(QStringLiteral("signalTable"), signalsPanel);
    m_signalView->setModel(m_signalProxy);
    m_signalView->setItemDelegateForColumn(
        SignalTableModel::StatusColumn, new SeverityDelegate(SignalTableModel::SeverityRole, m_signalView));
    m_signalView->sortByColumn(SignalTableModel::StageColumn, Qt::AscendingOrder);
    auto* sh = m_signalView->horizontalHeader();
    sh->setSectionResizeMode(QHeaderView::Interactive);
    sh->setStretchLastSection(true);
    const int em = fontMetrics().horizontalAdvance(QLatin1Char('M'));
    m_signalView->setColumnWidth(SignalTableModel::StageColumn, 9 * em);
    m_signalView->setColumnWidth(SignalTableModel::SignalColumn, 13 * em);
    m_signalView->setColumnWidth(SignalTableModel::LabelsColumn, 16 * em);
    m_signalView->setColumnWidth(SignalTableModel::ValueColumn, 8 * em);
    m_signalView->setColumnWidth(SignalTableModel::StatusColumn, 7 * em);
    m_signalView->setColumnWidth(SignalTableModel::AgeColumn, 7 * em);
    signalsLayout->addWidget(m_signalView, 1);

    auto* sourcesPanel = new QWidget(splitter);
    auto* sourcesLayout = new QVBoxLayout(sourcesPanel);
    sourcesLayout->setContentsMargins(0, 6, 0, 0);
    sourcesLayout->setSpacing(4);
    auto* sourcesHeader = new QHBoxLayout;
    sourcesHeader->addWidget(sectionLabel(tr("Sources"), sourcesPanel));
    m_sourceCount = new QLabel(sourcesPanel);
    m_sourceCount->setForegroundRole(QPalette::PlaceholderText);
    m_sourceCount->setObjectName(QStringLiteral("sourceCountLabel"));
    sourcesHeader->addWidget(m_sourceCount);
    sourcesHeader->addStretch(1);
    sourcesLayout->addLayout(sourcesHeader);
    m_sourceView = makeTable(QStringLiteral("sourceTable"), sourcesPanel);
    m_sourceView->setModel(m_sourceProxy);
    m_sourceView->setItemDelegateForColumn(
        SourceHealthModel::StatusColumn, new SeverityDelegate(SourceHealthModel::SeverityRole, m_sourceView));
    m_sourceView->sortByColumn(SourceHealthModel::SourceColumn, Qt::AscendingOrder);
    auto* srh = m_sourceView->horizontalHeader();
    srh->setStretchLastSection(true);
    m_sourceView->setColumnWidth(SourceHealthModel::SourceColumn, 11 * em);
    m_sourceView->setColumnWidth(SourceHealthModel::KindColumn, 5 * em);
    m_sourceView->setColumnWidth(SourceHealthModel::EndpointColumn, 20 * em);
    m_sourceView->setColumnWidth(SourceHealthModel::StatusColumn, 6 * em);
    m_sourceView->setColumnWidth(SourceHealthModel::LastSuccessColumn, 8 * em);
    m_sourceView->setColumnWidth(SourceHealthModel::PollsColumn, 5 * em);
    m_sourceView->setColumnWidth(SourceHealthModel::FailuresColumn, 5 * em);
    sourcesLayout->addWidget(m_sourceView, 1);
    // Only a drag of a column border counts as the user's choice (the last column stretches on every resize).
    connect(sh, &QHeaderView::sectionResized, this, [this, sh](int section) {
        if (!m_fittingColumns && section < sh->count() - 1 && sh->underMouse())
            m_userSizedSignalColumns = true;
    });
    connect(srh, &QHeaderView::sectionResized, this, [this, srh](int section) {
        if (!m_fittingColumns && section < srh->count() - 1 && srh->underMouse())
            m_userSizedSourceColumns = true;
    });

    splitter->addWidget(signalsPanel);
    splitter->addWidget(sourcesPanel);
    splitter->setStretchFactor(0, 5);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);
    return page;
}

QWidget* MainWindow::createEmptyPage()
{
    auto* page = new QWidget(this);
    page->setObjectName(QStringLiteral("emptyPage"));
    auto* layout = new QVBoxLayout(page);
    layout->addStretch(2);
    auto* icon = new QLabel(page);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/pathwatch-256.png")).pixmap(96, 96));
    icon->setAlignment(Qt::AlignCenter);
    layout->addWidget(icon);
    m_emptyLabel = new QLabel(page);
    m_emptyLabel->setObjectName(QStringLiteral("emptyStateLabel"));
    m_emptyLabel->setTextFormat(Qt::MarkdownText);
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = m_emptyLabel->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    m_emptyLabel->setFont(f);
    // No alignment flag on the layout item: a word-wrapped label needs the full width to get its height right.
    layout->setContentsMargins(80, 20, 80, 20);
    layout->addWidget(m_emptyLabel);
    layout->addStretch(3);
    return page;
}

void MainWindow::setClock(std::function<qint64()> clock)
{
    m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
    m_signalModel->setClock(m_clock);
    m_sourceModel->setClock(m_clock);
    m_stagePage->setClock(m_clock);
    m_timeline->setClock(m_clock);
    if (m_watch)
        m_watch->setClock(m_clock);
    refreshAges();
}

void MainWindow::setHistory(std::shared_ptr<SeriesStore> store)
{
    m_history = std::make_unique<HistoryService>(std::move(store));
    m_stagePage->setHistoryService(m_history.get());
}

void MainWindow::setLedger(std::shared_ptr<Ledger> ledger)
{
    m_stagePage->setLedger(ledger);
    m_timeline->setLedger(std::move(ledger));
}

void MainWindow::setCheckpointFeed(std::shared_ptr<CheckpointFeed> feed)
{
    m_stagePage->setCheckpointFeed(std::move(feed));
}

bool MainWindow::isStagePageShown() const
{
    return m_stack->currentWidget() == m_stagePage;
}

void MainWindow::openStage(const QString& stageId)
{
    if (!m_current)
        return;
    m_stagePage->showStage(stageId, m_current);
    m_stack->setCurrentWidget(m_stagePage);
    m_stagePage->setFocus();
    updateTitle();
    if (m_rememberHabits)
        QSettings().setValue(QStringLiteral("view/page"), stageId);
}

void MainWindow::showReadiness()
{
    m_stack->setCurrentWidget(m_readinessPage);
    m_readinessPage->setFocus();
}

void MainWindow::setReadiness(std::shared_ptr<const ReadinessReport> report)
{
    m_readinessPage->setReport(std::move(report));
}

void MainWindow::showOverview()
{
    const QString from = m_stagePage->stageId();
    if (m_current)
        m_stack->setCurrentWidget(m_consolePage);
    else if (m_stack->currentWidget() == m_readinessPage)
        m_stack->setCurrentWidget(m_emptyPage);
    if (auto* tile = m_strip->tile(from))
        tile->setFocus(Qt::OtherFocusReason);
    updateTitle();
    if (m_rememberHabits)
        QSettings().setValue(QStringLiteral("view/page"), QString());
}

void MainWindow::restoreHabits()
{
    QSettings settings;
    m_theme->start();
    const QString choice = ThemeController::choiceName(m_theme->choice());
    if (auto* action = findChild<QAction*>(QStringLiteral("theme_%1").arg(choice)))
        action->setChecked(true);
    const qint64 span = settings.value(QStringLiteral("view/span_ms"), 0).toLongLong();
    if (span > 0)
        m_stagePage->setSpan(span);
    m_pageToRestore = settings.value(QStringLiteral("view/page")).toString();
    m_rememberHabits = true;
}

void MainWindow::setLaunchTimer(QElapsedTimer launch)
{
    m_launch = launch;
}

void MainWindow::createTray()
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return; // no tray on this desktop (nor offscreen): the window and notifications carry the status
    m_tray = new QSystemTrayIcon(this);
    auto* menu = new QMenu(this);
    connect(menu->addAction(tr("&Show Pathwatch")), &QAction::triggered, this, &MainWindow::bringToFront);
    menu->addSeparator();
    connect(menu->addAction(tr("&Quit")), &QAction::triggered, qApp, &QCoreApplication::quit, Qt::QueuedConnection);
    m_tray->setContextMenu(menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger)
            bringToFront();
    });
    updateTray();
    m_tray->show();
}

void MainWindow::updateTray()
{
    if (!m_tray)
        return;
    const Severity worst = m_current ? m_current->overall : Severity::Unknown;
    // A round badge in the status colour with the first letter of the status word, so it is not colour alone.
    QPixmap pixmap(64, 64);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(StatusStyle::color(worst));
    p.drawEllipse(QRect(2, 2, 60, 60));
    QFont f = font();
    f.setBold(true);
    f.setPixelSize(34);
    p.setFont(f);
    p.setPen(StatusStyle::onColor(worst));
    p.drawText(QRect(0, 0, 64, 64), Qt::AlignCenter, severityName(worst).left(1));
    p.end();
    m_tray->setIcon(QIcon(pixmap));
    QString tip = tr("Pathwatch: %1").arg(severityName(worst));
    if (m_current)
        for (const auto& st : m_current->stages)
            if (st.severity == worst && worst != Severity::Ok) {
                tip += QStringLiteral(" — %1: %2").arg(st.title, st.reason);
                break;
            }
    m_tray->setToolTip(tip);
}

void MainWindow::showWatchScreen(int screen)
{
    if (!m_watch) {
        m_watch = new WatchScreen(nullptr);
        m_watch->setAttribute(Qt::WA_DeleteOnClose, false);
        m_watch->setClock(m_clock);
        connect(m_watch, &WatchScreen::closeRequested, this, &MainWindow::closeWatchScreen);
        connect(this, &QObject::destroyed, m_watch, &QObject::deleteLater);
    }
    m_watch->setSnapshot(m_current);
    const auto screens = QGuiApplication::screens();
    QScreen* target = screen >= 0 && screen < screens.size() ? screens[screen] : this->screen();
    if (target) {
        m_watch->setGeometry(target->geometry());
        if (m_watch->windowHandle())
            m_watch->windowHandle()->setScreen(target);
    }
    m_watch->showFullScreen();
    m_watch->raise();
    m_watch->activateWindow();
    m_watch->setFocus();
}

void MainWindow::closeWatchScreen()
{
    if (m_watch)
        m_watch->hide();
}

void MainWindow::createMenus()
{
    auto* help = menuBar()->addMenu(tr("&Help"));
    auto* keys = help->addAction(tr("&Keyboard Shortcuts"));
    keys->setShortcut(QKeySequence(Qt::Key_F1));
    connect(keys, &QAction::triggered, this, &MainWindow::showShortcuts);
    auto* about = help->addAction(tr("&About Pathwatch"));
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::setRecoveryEnvironment(RecoveryEnvironment environment)
{
    m_recovery = std::move(environment);
    m_recoverAction->setEnabled(m_recovery.isValid());
    QStringList stages;
    if (m_recovery.isValid())
        for (const auto& stage : m_recovery.config->stages)
            if (!recoverableGroupOfStage(stage.id).isEmpty())
                stages << stage.id;
    m_stagePage->setRecoverableStages(stages);
}

QString MainWindow::recoverableGroupOfStage(const QString& stageId) const
{
    if (!m_recovery.isValid())
        return {};
    for (const auto& stage : m_recovery.config->stages) {
        if (stage.id != stageId)
            continue;
        for (const auto& recovery : m_recovery.config->recovery)
            for (const auto& signal : stage.signalConfigs)
                if (signal.sourceId == recovery.kafkaSourceId
                    || (!recovery.flinkSourceId.isEmpty() && signal.sourceId == recovery.flinkSourceId))
                    return recovery.group;
    }
    return {};
}

void MainWindow::bringToFront()
{
    setWindowState(windowState() & ~Qt::WindowMinimized); // keeps maximized or full screen as they were
    show();
    raise();
    activateWindow();
}

void MainWindow::setNotifier(DesktopNotifier* notifier)
{
    QPointer<MainWindow> window(this);
    notifier->setRecoverableGroupResolver(
        [window](const QString& stageId) { return window ? window->recoverableGroupOfStage(stageId) : QString(); });
    connect(notifier, &DesktopNotifier::recoverRequested, this, [this](const QString& group) {
        bringToFront();
        openRecoveryWizard(group);
    });
    connect(notifier, &DesktopNotifier::stageRequested, this, [this](const QString& stageId) {
        bringToFront();
        openStage(stageId);
    });
}

RecoveryWizard* MainWindow::openRecoveryWizard(const QString& group)
{
    if (!m_recovery.isValid()) {
        statusBar()->showMessage(tr("Nothing to recover: the configuration has no `recovery:` entry"), 10000);
        return nullptr;
    }
    if (!m_wizard) {
        m_wizard = new RecoveryWizard(m_recovery, this);
        m_wizard->setAttribute(Qt::WA_DeleteOnClose);
        m_wizard->setWindowModality(Qt::NonModal);
    }
    if (!group.isEmpty() && m_wizard->currentId() <= RecoveryWizard::GroupPage)
        m_wizard->setGroup(group);
    m_wizard->show();
    m_wizard->raise();
    m_wizard->activateWindow();
    return m_wizard;
}

QString MainWindow::shortcutsMarkdown()
{
    return tr("| Keys | Does |\n|---|---|\n"
              "| 1 … 9 | open the page of the nth stage |\n"
              "| Tab, then Enter | open the page of the focused tile |\n"
              "| Esc, Alt+Left, Alt+Home | back to the pipeline |\n"
              "| mouse wheel, drag | zoom, pan a chart (all charts of a page follow) |\n"
              "| double-click a series | chart that series alone |\n"
              "| Ctrl+C | copy the selected series of a page as TSV |\n"
              "| right-click a chart | save it as PNG, its series as CSV |\n"
              "| Ctrl+F | filter signals |\n"
              "| Ctrl+Shift+W | watch screen (Esc leaves it) |\n"
              "| Ctrl+Shift+E | readiness, layer by layer |\n"
              "| F11 | full screen |\n"
              "| Ctrl+Shift+L, Ctrl+Shift+D | light, dark theme |\n"
              "| Ctrl+Shift+S | theme follows the system |\n"
              "| Ctrl+R | recover a consumer group (the recovery wizard) |\n"
              "| Ctrl+Shift+R | reload the configuration |\n"
              "| Ctrl+Alt+1 … 6 | turn a fault of the embedded demo on or off (Drills menu) |\n"
              "| F1 | this list |\n"
              "| Ctrl+Q | quit |");
}

void MainWindow::showShortcuts()
{
    QMessageBox box(this);
    box.setWindowTitle(tr("Keyboard Shortcuts"));
    box.setTextFormat(Qt::MarkdownText);
    box.setText(shortcutsMarkdown());
    box.exec();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Pathwatch"),
        tr("<b>Pathwatch %1</b><br>revision %2<br><br>The metrics path of a real-time metrics mart in one live view: "
           "Kafka lag and replay headroom, checkpoints, sink commits, object-storage errors and dashboard freshness, "
           "with history behind every tile and a guided, audited replay.")
            .arg(QString::fromLatin1(kVersion), QString::fromLatin1(kRevision)));
}

void MainWindow::setSnapshot(pw::SnapshotPtr snapshot)
{
    if (!snapshot)
        return;
    m_pending = std::move(snapshot);
    if (!m_refreshTimer.isActive())
        m_refreshTimer.start();
}

void MainWindow::setEmptyState(const QString& message)
{
    m_emptyLabel->setText(message);
    m_stack->setCurrentWidget(m_emptyPage);
    m_current.reset();
    m_pending.reset();
    m_refreshTimer.stop();
    m_snapshotLabel->clear();
    m_updateAgeLabel->clear();
    m_degradedBar->hide();
    updateTitle();
}

void MainWindow::applyPendingSnapshot()
{
    if (!m_pending)
        return;
    m_current = std::move(m_pending);
    m_pending.reset();
    const Snapshot& snap = *m_current;

    m_strip->setSnapshot(snap);
    m_timeline->setSnapshot(m_current);
    updateTray();
    m_signalModel->setSnapshot(m_current);
    m_sourceModel->setSnapshot(m_current);
    if (m_stack->currentWidget() == m_emptyPage)
        m_stack->setCurrentWidget(m_consolePage);
    if (!m_pageToRestore.isEmpty()) {
        const QString page = std::exchange(m_pageToRestore, QString());
        for (const auto& st : snap.stages)
            if (st.stageId == page)
                openStage(page);
    }
    if (m_launch.isValid() && (!m_stripLogged || !m_valuesLogged)) {
        // How long a launch takes to show something useful (bench_console reads these lines).
        if (!m_stripLogged && !snap.stages.empty()) {
            m_stripLogged = true;
            qCInfo(lcStartup, "pipeline strip on screen after %lld ms", static_cast<long long>(m_launch.elapsed()));
        }
        bool anyValue = false;
        for (const auto& sig : snap.signalStates)
            anyValue = anyValue || sig.hasValue;
        if (!m_valuesLogged && anyValue) {
            m_valuesLogged = true;
            qCInfo(lcStartup, "first values on screen after %lld ms", static_cast<long long>(m_launch.elapsed()));
        }
    }
    if (isStagePageShown())
        m_stagePage->setSnapshot(m_current);
    if (m_watch)
        m_watch->setSnapshot(m_current);

    int sourcesDown = 0;
    for (const auto& s : snap.sources)
        if (!s.up)
            ++sourcesDown;
    int signalsNotOk = 0;
    for (const auto& s : snap.signalStates)
        if (s.severity != Severity::Ok)
            ++signalsNotOk;
    m_signalCount->setText(signalsNotOk > 0 ? tr("%1 series, %2 not OK").arg(snap.signalStates.size()).arg(signalsNotOk)
                                            : tr("%1 series").arg(snap.signalStates.size()));
    const QString sources = formatValue(double(snap.sources.size()), QStringLiteral("sources"));
    m_sourceCount->setText(sourcesDown > 0 ? tr("%1, %2 not up").arg(sources).arg(sourcesDown)
            : snap.sources.size() == 1     ? tr("%1, up").arg(sources)
                                           : tr("%1, all up").arg(sources));
    m_snapshotLabel->setText(
        tr("Snapshot #%1 taken %2")
            .arg(snap.sequence)
            .arg(QDateTime::fromMSecsSinceEpoch(snap.takenMs).toString(QStringLiteral("HH:mm:ss"))));
    m_pipelineLabel->setText(snap.pipelineName.isEmpty() ? tr("Pipeline") : snap.pipelineName);
    m_overallLabel->setText(severityName(snap.overall));
    m_overallLabel->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: %2; border-radius: 4px; padding: 2px 10px; }")
            .arg(StatusStyle::color(snap.overall).name(), StatusStyle::onColor(snap.overall).name()));
    int stagesNotOk = 0;
    for (const auto& st : snap.stages)
        if (st.severity != Severity::Ok)
            ++stagesNotOk;
    const QString stages = formatValue(double(snap.stages.size()), QStringLiteral("stages"));
    QString summary = stagesNotOk == 1 ? tr("1 of %1 needs attention").arg(stages)
        : stagesNotOk > 1              ? tr("%1 of %2 need attention").arg(stagesNotOk).arg(stages)
        : snap.stages.size() == 1      ? tr("the 1 stage is OK")
                                       : tr("all %1 OK").arg(stages);
    // Where along the path the data stops moving is the first thing an on-call engineer needs to know.
    if (const QString stop = dataStopSentence(snap); !stop.isEmpty())
        summary += QStringLiteral(" · ") + stop;
    m_summaryLabel->setText(summary);

    // Columns follow the data until the user sizes one by hand; from then on the user's widths stay.
    m_fittingColumns = true;
    if (!m_userSizedSignalColumns)
        growColumns(m_signalView);
    if (!m_userSizedSourceColumns)
        growColumns(m_sourceView);
    m_fittingColumns = false;
    updateTitle();
    refreshAges();
    Q_EMIT snapshotApplied(snap.sequence);
}

void MainWindow::refreshAges()
{
    const qint64 now = m_clock();
    m_strip->refreshAges(now);
    m_signalModel->refreshAges();
    m_sourceModel->refreshAges();
    if (m_current)
        m_updateAgeLabel->setText(tr("last update %1").arg(StatusStyle::formatAge(now - m_current->takenMs)));
    updateDegradedBar(now);
}

void MainWindow::updateDegradedBar(qint64 now)
{
    const QString sentence = m_current ? degradedSentence(m_current->degraded, now) : QString();
    if (sentence.isEmpty()) {
        m_degradedBar->hide();
        return;
    }
    m_degradedBar->setText(sentence);
    m_degradedBar->setToolTip(tr("Part of the data dir cannot be written. Pathwatch keeps monitoring and writes "
                                 "again by itself once the cause is gone (for a full disk: once space is freed)."));
    m_degradedBar->show();
}

void MainWindow::updateTitle()
{
    if (!m_current) {
        setWindowTitle(QStringLiteral("Pathwatch"));
        return;
    }
    const QString name = m_current->pipelineName.isEmpty() ? tr("pipeline") : m_current->pipelineName;
    if (isStagePageShown())
        setWindowTitle(QStringLiteral("%1 › %2 — %3 — Pathwatch")
                           .arg(name, m_stagePage->stageId(), severityName(m_current->overall)));
    else
        setWindowTitle(QStringLiteral("%1 — %2 — Pathwatch").arg(name, severityName(m_current->overall)));
}

void MainWindow::toggleFullScreen(bool on)
{
    if (on)
        showFullScreen();
    else
        showNormal();
}

} // namespace pw
