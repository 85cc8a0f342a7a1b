#include "stagepage.h"

#include "checkpointfeed.h"
#include "consumerlagview.h"
#include "historychart.h"
#include "ledger/ledger.h"
#include "presentation/format.h"
#include "severitydelegate.h"
#include "signaltablemodel.h"
#include "statusstyle.h"

#include <QButtonGroup>
#include <QClipboard>
#include <QDateTime>
#include <QGridLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSet>
#include <QShortcut>
#include <QSplitter>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QThreadPool>
#include <QVBoxLayout>

#include <algorithm>

namespace pw {

namespace {

constexpr qint64 kMinute = 60 * 1000;
constexpr qint64 kHour = 60 * kMinute;
constexpr int kMaxLinesPerChart = 8;
// A live page asks for new history at most this often; the engine publishes far more often than a chart moves.
constexpr qint64 kLiveQueryIntervalMs = 2000;

struct RangeChoice
{
    const char* text;
    qint64 spanMs;
};
constexpr RangeChoice kRanges[]
    = {{"15 min", 15 * kMinute}, {"1 h", kHour}, {"6 h", 6 * kHour}, {"24 h", 24 * kHour}, {"7 d", 7 * 24 * kHour}};

QString spanText(qint64 ms)
{
    if (ms >= 2 * 24 * kHour)
        return QStringLiteral("%1 d").arg(double(ms) / (24 * kHour), 0, 'f', 1);
    if (ms >= 2 * kHour)
        return QStringLiteral("%1 h").arg(double(ms) / kHour, 0, 'f', 1);
    return QStringLiteral("%1 min").arg(double(ms) / kMinute, 0, 'f', 0);
}

QString bytesText(qint64 bytes)
{
    if (bytes >= 1024 * 1024)
        return QStringLiteral("%1 MiB").arg(double(bytes) / (1024 * 1024), 0, 'f', 1);
    if (bytes >= 1024)
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(bytes);
}

} // namespace

StagePage::StagePage(QWidget* parent)
    : QWidget(parent)
    , m_clock(&pw::nowMs)
{
    setObjectName(QStringLiteral("stagePage"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 6);
    layout->setSpacing(8);

    auto* header = new QHBoxLayout;
    auto* back = new QPushButton(QIcon::fromTheme(QStringLiteral("go-previous")), tr("Back"), this);
    back->setObjectName(QStringLiteral("backButton"));
    back->setToolTip(tr("Back to the pipeline (Esc, Alt+Left)"));
    connect(back, &QPushButton::clicked, this, &StagePage::backRequested);
    header->addWidget(back);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("stageTitleLabel"));
    QFont tf = m_title->font();
    tf.setBold(true);
    tf.setPointSizeF(tf.pointSizeF() * 1.35);
    m_title->setFont(tf);
    header->addWidget(m_title);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("stageStatusLabel"));
    QFont sf = m_status->font();
    sf.setBold(true);
    m_status->setFont(sf);
    header->addWidget(m_status);
    m_reason = new QLabel(this);
    m_reason->setObjectName(QStringLiteral("stageReasonLabel"));
    m_reason->setForegroundRole(QPalette::PlaceholderText);
    header->addWidget(m_reason, 1);

    m_showAll = new QPushButton(tr("Show all series"), this);
    m_showAll->setObjectName(QStringLiteral("showAllButton"));
    m_showAll->hide();
    connect(m_showAll, &QPushButton::clicked, this, [this] { setSoloSeries(0); });
    header->addWidget(m_showAll);
    m_recover = new QPushButton(tr("Recover…"), this);
    m_recover->setObjectName(QStringLiteral("recoverButton"));
    m_recover->setToolTip(tr("Replay the stage's consumer group from the last trusted point (Ctrl+R)"));
    m_recover->hide();
    connect(m_recover, &QPushButton::clicked, this, [this] { Q_EMIT recoverRequested(m_stageId); });
    header->addWidget(m_recover);
    m_rangeButtons = new QButtonGroup(this);
    m_rangeButtons->setExclusive(true);
    for (int i = 0; i < int(std::size(kRanges)); ++i) {
        auto* b = new QPushButton(QString::fromLatin1(kRanges[i].text), this);
        b->setObjectName(QStringLiteral("range%1Button").arg(i));
        b->setCheckable(true);
        b->setToolTip(tr("The last %1, following now").arg(QString::fromLatin1(kRanges[i].text)));
        m_rangeButtons->addButton(b, i);
        header->addWidget(b);
        connect(b, &QPushButton::toggled, this, [this, b] { styleRangeButton(b); });
    }
    m_rangeButtons->button(1)->setChecked(true);
    connect(m_rangeButtons, &QButtonGroup::idClicked, this, [this](int id) {
        setSpan(kRanges[id].spanMs);
        Q_EMIT spanChosen(kRanges[id].spanMs);
    });
    m_rangeLabel = new QLabel(this);
    m_rangeLabel->setObjectName(QStringLiteral("rangeLabel"));
    m_rangeLabel->setForegroundRole(QPalette::PlaceholderText);
    m_rangeLabel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("MMMMMMMMMMMMMMMMMMM")));
    m_rangeLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    header->addWidget(m_rangeLabel);
    layout->addLayout(header);

    // Serving: the freshness (and completeness) a dashboard's reader sees, in type large enough to read first.
    m_headline = new QWidget(this);
    m_headline->setObjectName(QStringLiteral("stageHeadline"));
    new QHBoxLayout(m_headline);
    m_headline->layout()->setContentsMargins(0, 0, 0, 0);
    m_headline->hide();
    layout->addWidget(m_headline);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_splitter = splitter;
    splitter->setChildrenCollapsible(false);
    auto* scroll = new QScrollArea(splitter);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_chartArea = new QWidget(scroll);
    m_chartLayout = new QGridLayout(m_chartArea);
    m_chartLayout->setContentsMargins(0, 0, 0, 0);
    m_chartLayout->setSpacing(6);
    scroll->setMinimumHeight(260);
    scroll->setWidget(m_chartArea);

    auto* bottom = new QSplitter(Qt::Horizontal, splitter);
    m_bottomTabs = new QTabWidget(bottom);
    m_bottomTabs->setObjectName(QStringLiteral("stageBottomTabs"));
    m_bottomTabs->setDocumentMode(true);
    m_lagView = new ConsumerLagView(m_bottomTabs);
    m_lagView->hide();
    connect(m_lagView, &ConsumerLagView::groupActivated, this, [this](const QString& sourceId, const QString& group) {
        // The group's own series (its lag, its time lag): the first one of this stage carrying its label.
        if (!m_snapshot)
            return;
        for (const auto& stage : m_snapshot->stages) {
            if (stage.stageId != m_stageId)
                continue;
            for (int index : stage.signalIndexes) {
                const SignalState& s = m_snapshot->signalStates[std::size_t(index)];
                if (s.sourceId != sourceId || s.seriesId == 0)
                    continue;
                for (const auto& [k, v] : s.labels)
                    if (k == QLatin1String("group") && v == group) {
                        setSoloSeries(s.seriesId);
                        return;
                    }
            }
        }
    });
    m_model = new SignalTableModel(this);
    m_table = new QTableView(m_bottomTabs);
    m_bottomTabs->addTab(m_table, tr("Series"));
    m_table->setObjectName(QStringLiteral("stageSignalTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_table->setColumnHidden(SignalTableModel::StageColumn, true);
    m_table->setColumnWidth(
        SignalTableModel::SignalColumn, fontMetrics().horizontalAdvance(QStringLiteral("commit_latency_p99_x")));
    m_table->setColumnWidth(SignalTableModel::LabelsColumn,
        fontMetrics().horizontalAdvance(QStringLiteral("group=demo-aggregate, partition=0, topic=events")));
    m_table->setItemDelegateForColumn(
        SignalTableModel::StatusColumn, new SeverityDelegate(SignalTableModel::SeverityRole, m_table));
    m_table->setToolTip(tr("Double-click a series to chart it alone"));
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        const QString key = index.siblingAtColumn(0).data(SignalTableModel::KeyRole).toString();
        if (!m_snapshot)
            return;
        for (const auto& s : m_snapshot->signalStates)
            if (SignalSeriesKey {s.signalId, s.labels}.key() == key && s.seriesId != 0)
                setSoloSeries(s.seriesId);
    });

    // Ctrl+C copies the selected rows as TSV (pastes into a spreadsheet or a ticket).
    auto* copy = new QShortcut(QKeySequence::Copy, m_table, nullptr, nullptr, Qt::WidgetShortcut);
    connect(copy, &QShortcut::activated, this, [this] {
        QStringList lines;
        const auto rows = m_table->selectionModel()->selectedRows();
        QStringList header;
        for (int c = 0; c < m_model->columnCount(); ++c)
            if (!m_table->isColumnHidden(c))
                header << m_model->headerData(c, Qt::Horizontal).toString();
        lines << header.join(QLatin1Char('\t'));
        for (const QModelIndex& row : rows) {
            QStringList cells;
            for (int c = 0; c < m_model->columnCount(); ++c)
                if (!m_table->isColumnHidden(c))
                    cells
                        << m_model->index(row.row(), c).data().toString().replace(QLatin1Char('\t'), QLatin1Char(' '));
            lines << cells.join(QLatin1Char('\t'));
        }
        QGuiApplication::clipboard()->setText(lines.join(QLatin1Char('\n')) + QLatin1Char('\n'));
    });

    auto* checkpoints = new QWidget(bottom);
    auto* cl = new QVBoxLayout(checkpoints);
    cl->setContentsMargins(0, 0, 0, 0);
    m_checkpointLabel = new QLabel(tr("Checkpoints"), checkpoints);
    QFont bold = m_checkpointLabel->font();
    bold.setBold(true);
    m_checkpointLabel->setFont(bold);
    cl->addWidget(m_checkpointLabel);
    m_checkpointTable = new QTableWidget(0, 5, checkpoints);
    m_checkpointTable->setObjectName(QStringLiteral("checkpointTable"));
    m_checkpointTable->setHorizontalHeaderLabels({tr("Id"), tr("Status"), tr("Duration"), tr("Size"), tr("Completed")});
    m_checkpointTable->verticalHeader()->hide();
    m_checkpointTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_checkpointTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_checkpointTable->setAlternatingRowColors(true);
    m_checkpointTable->setShowGrid(false);
    m_checkpointTable->horizontalHeader()->setStretchLastSection(true);
    m_checkpointTable->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    cl->addWidget(m_checkpointTable);
    checkpoints->setObjectName(QStringLiteral("checkpointPanel"));
    checkpoints->hide();
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 2);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({7000, 2500}); // proportions: the charts get most of the page
    m_table->setMinimumHeight(110);
    layout->addWidget(splitter, 1);

    m_queryTimer.setSingleShot(true);
    m_queryTimer.setInterval(40);
    connect(&m_queryTimer, &QTimer::timeout, this, &StagePage::requestHistory);
    m_ledgerTimer.setInterval(15000);
    connect(&m_ledgerTimer, &QTimer::timeout, this, &StagePage::requestLedger);
}

StagePage::~StagePage() = default;

void StagePage::setHistoryService(HistoryService* service)
{
    if (m_service)
        disconnect(m_service, nullptr, this, nullptr);
    m_service = service;
    if (m_service)
        connect(m_service, &HistoryService::resultReady, this, &StagePage::applyHistory);
}

void StagePage::setLedger(std::shared_ptr<Ledger> ledger)
{
    m_ledger = std::move(ledger);
}

void StagePage::setCheckpointFeed(std::shared_ptr<CheckpointFeed> feed)
{
    m_checkpoints = std::move(feed);
}

void StagePage::setClock(std::function<qint64()> clock)
{
    m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
    m_model->setClock(m_clock);
}

void StagePage::setRecoverableStages(const QStringList& stageIds)
{
    m_recoverableStages = stageIds;
    m_recover->setVisible(m_recoverableStages.contains(m_stageId));
}

void StagePage::showStage(const QString& stageId, const SnapshotPtr& snapshot)
{
    const bool changed = stageId != m_stageId;
    m_stageId = stageId;
    if (changed) {
        m_solo = 0;
        m_layout = Layout::Generic;
        m_showAll->hide();
        m_chartSignals.clear();
        m_checkpointTable->setRowCount(0);
    }
    m_lastQueryMs = 0;
    m_recover->setVisible(m_recoverableStages.contains(stageId));
    setSnapshot(snapshot);
    requestLedger();
    m_ledgerTimer.start();
}

void StagePage::setSnapshot(const SnapshotPtr& snapshot)
{
    if (!snapshot)
        return;
    m_snapshot = snapshot;
    if (m_stageId.isEmpty())
        return;
    updateLayout();
    updateHeader();
    updateHeadline();
    updateTable();
    rebuildCharts();
    if (m_layout == Layout::SourceLog)
        m_lagView->setSnapshot(m_snapshot);
    if (m_live) {
        const qint64 now = m_clock();
        if (now - m_lastQueryMs >= kLiveQueryIntervalMs || m_requested.empty()) {
            m_toMs = now;
            m_fromMs = now - m_spanMs;
            if (!m_queryTimer.isActive())
                m_queryTimer.start();
        }
    }
}

void StagePage::styleRangeButton(QAbstractButton* button)
{
    // A pressed push button barely differs from a raised one in a dark palette: the chosen range wears the
    // selection colours, and bold type says it without colour too.
    QFont font = button->font();
    font.setBold(button->isChecked());
    button->setFont(font);
    if (button->isChecked()) {
        QPalette pal = palette();
        pal.setColor(QPalette::Button, pal.color(QPalette::Highlight));
        pal.setColor(QPalette::ButtonText, pal.color(QPalette::HighlightedText));
        button->setPalette(pal);
    } else {
        button->setPalette(QPalette());
    }
}

void StagePage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_rangeButtons)
        for (auto* b : m_rangeButtons->buttons())
            styleRangeButton(b);
}

void StagePage::setSpan(qint64 spanMs)
{
    m_spanMs = spanMs;
    m_live = true;
    for (int i = 0; i < int(std::size(kRanges)); ++i)
        if (kRanges[i].spanMs == spanMs)
            m_rangeButtons->button(i)->setChecked(true);
    m_toMs = m_clock();
    m_fromMs = m_toMs - spanMs;
    for (auto* chart : m_charts)
        chart->setVisibleRange(m_fromMs, m_toMs);
    m_queryTimer.start();
    requestLedger();
}

void StagePage::setRange(qint64 fromMs, qint64 toMs)
{
    if (toMs <= fromMs)
        return;
    const qint64 now = m_clock();
    if (toMs > now) { // never past now: a range that reaches it follows it again
        fromMs -= toMs - now;
        toMs = now;
    }
    m_live = false;
    m_fromMs = fromMs;
    m_toMs = toMs;
    m_rangeButtons->setExclusive(false);
    for (auto* b : m_rangeButtons->buttons())
        b->setChecked(false);
    m_rangeButtons->setExclusive(true);
    for (auto* chart : m_charts)
        chart->setVisibleRange(m_fromMs, m_toMs);
    m_queryTimer.start();
}

void StagePage::setSoloSeries(SeriesId id)
{
    m_solo = id;
    m_showAll->setVisible(id != 0);
    m_chartSignals.clear(); // charts are rebuilt for the new selection
    rebuildCharts();
    m_queryTimer.start();
}

void StagePage::updateHeader()
{
    const StageState* stage = nullptr;
    for (const auto& s : m_snapshot->stages)
        if (s.stageId == m_stageId)
            stage = &s;
    if (!stage) {
        m_title->setText(m_stageId);
        m_status->clear();
        m_reason->setText(tr("This stage is not in the configuration any more."));
        return;
    }
    m_title->setText(stage->title);
    m_status->setText(QStringLiteral(" %1 ").arg(severityName(stage->severity)));
    m_status->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: %2; border-radius: 3px; padding: 1px 6px; }")
            .arg(StatusStyle::color(stage->severity).name(), StatusStyle::onColor(stage->severity).name()));
    m_reason->setText(stage->reason);
}

void StagePage::updateLayout()
{
    Layout layout = Layout::Generic;
    QSet<QString> lagSources;
    for (const auto& stage : m_snapshot->stages) {
        if (stage.stageId != m_stageId)
            continue;
        for (int index : stage.signalIndexes) {
            const SignalState& s = m_snapshot->signalStates[std::size_t(index)];
            switch (s.kind) {
            case SignalKind::ConsumerLag:
            case SignalKind::TimeLag:
            case SignalKind::ReplayHeadroom:
                layout = Layout::SourceLog;
                lagSources.insert(s.sourceId);
                break;
            case SignalKind::CheckpointAge:
            case SignalKind::CheckpointDuration:
            case SignalKind::FailedCheckpoints:
            case SignalKind::JobState:
                if (layout == Layout::Generic)
                    layout = Layout::StreamJob;
                break;
            case SignalKind::ObjectStorageErrors:
            case SignalKind::ObjectStorageErrorRatio:
                if (layout == Layout::Generic)
                    layout = Layout::ObjectStorage;
                break;
            case SignalKind::DashboardFreshness:
                if (layout == Layout::Generic)
                    layout = Layout::Serving;
                break;
            default:
                break;
            }
        }
    }
    m_lagView->setSourceIds(lagSources);
    if (layout == m_layout && !m_charts.isEmpty())
        return;
    m_layout = layout;
    const int columns = layout == Layout::ObjectStorage ? 2 : 1;
    if (columns != m_chartColumns) {
        m_chartColumns = columns;
        m_chartSignals.clear(); // laid out again
    }
    const bool lag = layout == Layout::SourceLog;
    const int lagTab = m_bottomTabs->indexOf(m_lagView);
    if (lag && lagTab < 0) {
        m_bottomTabs->insertTab(0, m_lagView, tr("Consumer groups"));
        m_bottomTabs->setCurrentIndex(0);
    } else if (!lag && lagTab >= 0) {
        m_bottomTabs->removeTab(lagTab);
        m_lagView->hide();
    }
    m_bottomTabs->tabBar()->setVisible(m_bottomTabs->count() > 1);
    // The tree needs room: the source log shares the page evenly between charts and groups.
    m_splitter->setSizes(lag ? QList<int> {5000, 5000} : QList<int> {7000, 2500});
}

void StagePage::updateHeadline()
{
    QLayout* row = m_headline->layout();
    while (QLayoutItem* item = row->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (m_layout != Layout::Serving) {
        m_headline->hide();
        return;
    }
    int shown = 0;
    for (const auto& stage : m_snapshot->stages) {
        if (stage.stageId != m_stageId)
            continue;
        for (int index : stage.signalIndexes) {
            const SignalState& s = m_snapshot->signalStates[std::size_t(index)];
            if (s.kind != SignalKind::DashboardFreshness && !s.name.contains(QLatin1String("completeness")))
                continue;
            auto* box = new QLabel(m_headline);
            box->setObjectName(QStringLiteral("headline_%1").arg(s.name));
            const QString value = s.hasValue ? formatValue(s.value, s.unit) : QStringLiteral("—");
            const QString title = s.kind == SignalKind::DashboardFreshness ? tr("Freshness") : tr("Completeness");
            const QString labels = StatusStyle::formatLabels(s.labels);
            box->setText(QStringLiteral("<div style='font-size:small'>%1%2</div>"
                                        "<div><span style='font-size:xx-large; font-weight:600'>%3</span>"
                                        "&nbsp;&nbsp;<span style='background:%4; color:%5; font-weight:bold'>"
                                        "&nbsp;%6&nbsp;</span></div>")
                             .arg(title.toHtmlEscaped(),
                                 labels.isEmpty() ? QString() : QStringLiteral(" · %1").arg(labels.toHtmlEscaped()),
                                 value.toHtmlEscaped(), StatusStyle::color(s.severity).name(),
                                 StatusStyle::onColor(s.severity).name(), severityName(s.severity)));
            box->setToolTip(s.reason.isEmpty() ? s.signalId : s.reason);
            box->setFrameShape(QFrame::StyledPanel);
            box->setMargin(6);
            row->addWidget(box);
            ++shown;
        }
    }
    static_cast<QHBoxLayout*>(row)->addStretch(1);
    m_headline->setVisible(shown > 0);
}

void StagePage::updateTable()
{
    auto filtered = std::make_shared<Snapshot>();
    filtered->sequence = m_snapshot->sequence;
    filtered->takenMs = m_snapshot->takenMs;
    filtered->pipelineName = m_snapshot->pipelineName;
    for (const auto& stage : m_snapshot->stages) {
        if (stage.stageId != m_stageId)
            continue;
        StageState copy = stage;
        copy.signalIndexes.clear();
        for (int index : stage.signalIndexes) {
            filtered->signalStates.push_back(m_snapshot->signalStates[std::size_t(index)]);
            copy.signalIndexes.push_back(int(filtered->signalStates.size()) - 1);
        }
        filtered->stages.push_back(std::move(copy));
    }
    m_model->setSnapshot(filtered);
}

void StagePage::rebuildCharts()
{
    // One chart per signal of the stage, in config order; lines are that signal's series (the worst first).
    QStringList signalIds;
    std::vector<std::vector<const SignalState*>> bySignal;
    for (const auto& stage : m_snapshot->stages) {
        if (stage.stageId != m_stageId)
            continue;
        for (int index : stage.signalIndexes) {
            const SignalState& s = m_snapshot->signalStates[std::size_t(index)];
            if (m_solo != 0 && s.seriesId != m_solo)
                continue;
            const qsizetype at = signalIds.indexOf(s.signalId);
            if (at < 0) {
                signalIds << s.signalId;
                bySignal.push_back({&s});
            } else {
                bySignal[std::size_t(at)].push_back(&s);
            }
        }
    }
    std::vector<std::vector<std::pair<SeriesId, QString>>> requested;
    for (auto& states : bySignal) {
        std::stable_sort(states.begin(), states.end(), [](const SignalState* a, const SignalState* b) {
            return severityRank(a->severity) > severityRank(b->severity);
        });
        std::vector<std::pair<SeriesId, QString>> lines;
        for (const SignalState* s : states) {
            if (s->seriesId == 0 || int(lines.size()) >= kMaxLinesPerChart)
                continue;
            lines.emplace_back(s->seriesId, states.size() > 1 ? StatusStyle::formatLabels(s->labels) : QString());
        }
        requested.push_back(std::move(lines));
    }
    const bool sameLines = requested == m_requested;
    m_requested = std::move(requested);
    if (signalIds == m_chartSignals && !m_charts.isEmpty()) {
        if (!sameLines)
            m_queryTimer.start();
        return;
    }
    m_chartSignals = signalIds;
    qDeleteAll(m_charts);
    m_charts.clear();
    // Object storage: rate and ratio side by side, so a burst of errors reads against the traffic at once.
    const int columns = signalIds.size() > 1 ? m_chartColumns : 1;
    for (qsizetype i = 0; i < signalIds.size(); ++i) {
        const SignalState* s = bySignal[std::size_t(i)].front();
        auto* chart = new HistoryChart(m_chartArea);
        chart->setSignal(s->name, s->unit, s->thresholds);
        connect(chart, &HistoryChart::rangeRequested, this, &StagePage::setRange);
        m_chartLayout->addWidget(chart, int(i) / columns, int(i) % columns);
        m_charts << chart;
    }
    m_queryTimer.start();
}

void StagePage::requestHistory()
{
    if (!m_service || m_charts.isEmpty())
        return;
    m_lastQueryMs = m_clock();
    if (m_live) {
        m_toMs = m_lastQueryMs;
        m_fromMs = m_toMs - m_spanMs;
    }
    std::vector<HistoryRequest> requests;
    for (qsizetype c = 0; c < m_charts.size() && std::size_t(c) < m_requested.size(); ++c) {
        const int columns = std::max(200, m_charts[c]->viewport()->width());
        for (const auto& [id, name] : m_requested[std::size_t(c)])
            requests.push_back(HistoryRequest {id, m_fromMs, m_toMs, columns});
    }
    m_pendingToken = m_service->request(std::move(requests));
    m_rangeLabel->setText(m_live
            ? tr("last %1 · %2").arg(spanText(m_spanMs), historyTierName(History::tierForSpan(m_spanMs)))
            : tr("%1 – %2 · %3")
                  .arg(QDateTime::fromMSecsSinceEpoch(m_fromMs).toString(QStringLiteral("MMM d HH:mm")),
                      QDateTime::fromMSecsSinceEpoch(m_toMs).toString(QStringLiteral("HH:mm")),
                      historyTierName(History::tierForSpan(m_toMs - m_fromMs))));
}

void StagePage::applyHistory(const HistoryResultPtr& result)
{
    if (!result || result->token != m_pendingToken)
        return; // an older answer: a newer request is on its way
    std::size_t next = 0;
    for (qsizetype c = 0; c < m_charts.size() && std::size_t(c) < m_requested.size(); ++c) {
        std::vector<HistoryChart::Line> lines;
        for (const auto& [id, name] : m_requested[std::size_t(c)]) {
            if (next >= result->series.size())
                break;
            lines.push_back(HistoryChart::Line {name, result->series[next++]});
        }
        const qint64 from = lines.empty() ? m_fromMs : lines.front().history.fromMs;
        const qint64 to = lines.empty() ? m_toMs : lines.front().history.toMs;
        m_charts[c]->setLines(std::move(lines), from, to);
    }
    Q_EMIT historyDrawn();
}

void StagePage::requestLedger()
{
    if (!m_snapshot || m_stageId.isEmpty())
        return;
    // Which stream-job sources this stage reads, and the job they last reported.
    QString sourceId;
    QString jobId;
    std::vector<CheckpointObservation> recent;
    for (const auto& stage : m_snapshot->stages) {
        if (stage.stageId != m_stageId)
            continue;
        for (int index : stage.signalIndexes) {
            const SignalState& s = m_snapshot->signalStates[std::size_t(index)];
            if (s.kind != SignalKind::CheckpointAge && s.kind != SignalKind::CheckpointDuration
                && s.kind != SignalKind::FailedCheckpoints && s.kind != SignalKind::JobState)
                continue;
            sourceId = s.sourceId;
        }
    }
    if (!sourceId.isEmpty() && m_checkpoints) {
        recent = m_checkpoints->recent(sourceId);
        if (!recent.empty())
            jobId = recent.front().jobId;
    }
    m_checkpointTable->parentWidget()->setVisible(!sourceId.isEmpty());
    QPointer<StagePage> self(this);
    const QString stageId = m_stageId;
    const qint64 now = m_clock();
    const qint64 from = m_live ? now - m_spanMs : m_fromMs;
    const qint64 to = m_live ? now : m_toMs;
    std::shared_ptr<Ledger> ledger = m_ledger;
    QThreadPool::globalInstance()->start([self, ledger, sourceId, jobId, recent, stageId, now, from, to] {
        std::vector<LedgerCheckpointRow> rows;
        std::vector<std::pair<qint64, Severity>> marks;
        if (ledger) {
            if (!jobId.isEmpty())
                if (auto r = ledger->checkpointsBefore(sourceId, jobId, now + 1, 50))
                    rows = std::move(*r);
            if (auto incidents = ledger->incidents(from, to))
                for (const auto& i : *incidents)
                    if (i.stageId == stageId)
                        marks.emplace_back(i.startMs, i.worst);
        }
        if (rows.empty()) // no ledger: Flink's own recent history
            for (const auto& c : recent)
                if (c.status != QStringLiteral("IN_PROGRESS"))
                    rows.push_back(LedgerCheckpointRow {sourceId, c});
        QMetaObject::invokeMethod(
            self.data(),
            [self, rows = std::move(rows), marks = std::move(marks)] {
                if (!self)
                    return;
                QTableWidget* t = self->m_checkpointTable;
                t->setRowCount(int(rows.size()));
                for (int r = 0; r < int(rows.size()); ++r) {
                    const CheckpointObservation& c = rows[std::size_t(r)].checkpoint;
                    const QStringList cells {
                        QString::number(c.checkpointId) + (c.savepoint ? tr(" (savepoint)") : QString()), c.status,
                        formatValue(double(c.durationMs) / 1000.0, QStringLiteral("s")), bytesText(c.sizeBytes),
                        c.completionMs > 0
                            ? QDateTime::fromMSecsSinceEpoch(c.completionMs).toString(QStringLiteral("MMM d HH:mm:ss"))
                            : QStringLiteral("—")};
                    for (int col = 0; col < cells.size(); ++col) {
                        auto* item = new QTableWidgetItem(cells[col]);
                        if (col == 1 && c.status == QStringLiteral("FAILED"))
                            item->setForeground(StatusStyle::color(Severity::Crit));
                        t->setItem(r, col, item);
                    }
                }
                t->resizeColumnsToContents();
                self->m_checkpointLabel->setText(tr("Checkpoints (%1, newest first)").arg(rows.size()));
                for (auto* chart : self->m_charts)
                    chart->setIncidentMarks(marks);
                Q_EMIT self->checkpointsShown(int(rows.size()));
            },
            Qt::QueuedConnection);
    });
}

} // namespace pw
