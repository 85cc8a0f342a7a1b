// The console's drill-down: a tile opens its stage's page of history charts, the range buttons and the wheel change
// the tier read, Esc and Back return, keys 1–9 and Enter open pages; the incident strip and the watch screen.
// Screenshots go to $PATHWATCH_SCREENSHOT_DIR (or the temp dir).

#include "consumerlagtreemodel.h"
#include "consumerlagview.h"
#include "historychart.h"
#include "incidenttimeline.h"
#include "lagsnapshot.h"
#include "mainwindow.h"
#include "model/seriesstore.h"
#include "pipelinestrip.h"
#include "snapshotbuilder.h"
#include "stagepage.h"
#include "stagetile.h"
#include "theme.h"
#include "watchscreen.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QLabel>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTreeView>
#include <QValueAxis>
#include <QWheelEvent>

#include <cmath>
#include <limits>

using namespace pw;

namespace {

constexpr qint64 kNow = 1'790'000'000'000;
constexpr qint64 kMinute = 60'000;
constexpr qint64 kHour = 60 * kMinute;

QString screenshotPath(const QString& name)
{
    const QString dir = qEnvironmentVariableIsEmpty("PATHWATCH_SCREENSHOT_DIR")
        ? QDir::tempPath()
        : qEnvironmentVariable("PATHWATCH_SCREENSHOT_DIR");
    QDir().mkpath(dir);
    return QDir(dir).filePath(name);
}

// Two hours of history for every series of the snapshot, at a 5 s poll, with a STALE period in the sink's.
std::shared_ptr<Snapshot> withHistory(std::shared_ptr<Snapshot> snap, SeriesStore& store)
{
    for (auto& s : snap->signalStates) {
        s.seriesId = store.intern(s.signalId, s.labels);
        if (s.signalId == QStringLiteral("sink/commit_latency_p99")) {
            s.thresholds.warn = 2.0;
            s.thresholds.crit = 5.0;
        }
        const bool sink = s.stageId == QStringLiteral("sink");
        for (qint64 t = kNow - 2 * kHour; t <= kNow - 3000; t += 5000) {
            const double phase = double(t - kNow) / (7 * kMinute);
            double v = s.value * (1.0 + 0.3 * std::sin(phase));
            if (sink && t > kNow - 40 * kMinute && t < kNow - 30 * kMinute)
                v = std::numeric_limits<double>::quiet_NaN(); // the source was STALE
            store.append(s.seriesId, t, v);
        }
    }
    return snap;
}

/// The first chart's value axis (ticks, top) and its first line's colour.
std::tuple<int, double, QColor> valueAxisAndPen(HistoryChart* chart)
{
    auto* axis = qobject_cast<QValueAxis*>(chart->chart()->axes(Qt::Vertical).front());
    auto* line = qobject_cast<QLineSeries*>(chart->chart()->series().front());
    return std::tuple {axis->tickCount(), axis->max(), line->pen().color()};
}

} // namespace

class TestStagePage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tileOpensPageAndBackReturns()
    {
        auto store = std::make_shared<SeriesStore>();
        auto snap = withHistory(test::makePathSnapshot(kNow), *store);
        MainWindow w;
        w.setClock([] { return kNow; });
        w.setHistory(store);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy applied(&w, &MainWindow::snapshotApplied);
        w.setSnapshot(snap);
        QVERIFY(applied.wait(5000));

        std::vector<Incident> incidents {
            Incident {1, QStringLiteral("sink"), kNow - 40 * kMinute, kNow - 30 * kMinute, Severity::Stale,
                QStringLiteral("prometheus down")},
            Incident {
                2, QStringLiteral("sink"), kNow - 12 * kMinute, 0, Severity::Crit, QStringLiteral("7.24 ≥ crit 5")},
            Incident {3, QStringLiteral("compute"), kNow - 3 * kHour, kNow - 150 * kMinute, Severity::Warn,
                QStringLiteral("checkpoint age")},
        };
        w.incidentTimeline()->setIncidents(incidents);
        QTest::qWait(100); // let the header's labels lay out before the picture
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("overview.png"))));
        ThemeController::applyPalette(true);
        QTest::qWait(100);
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("overview-dark.png"))));
        ThemeController::applyPalette(false);
        QTest::qWait(50);

        StagePage* page = w.stagePage();
        QSignalSpy drawn(page, &StagePage::historyDrawn);
        StageTile* sinkTile = nullptr;
        for (auto* tile : w.findChild<PipelineStrip*>()->tiles())
            if (tile->stageId() == QStringLiteral("sink"))
                sinkTile = tile;
        QVERIFY(sinkTile);
        QTest::mouseClick(sinkTile, Qt::LeftButton);
        QVERIFY(w.isStagePageShown());
        QCOMPARE(page->stageId(), QStringLiteral("sink"));
        QVERIFY(drawn.wait(5000));

        // One chart per signal of the stage, fed at most two points per pixel column, the STALE period a gap.
        const auto charts = page->charts();
        QCOMPARE(charts.size(), 2);
        QCOMPARE(charts[0]->tier(), HistoryTier::Raw);
        QVERIFY(charts[0]->drawnPointCount() > 100);
        QVERIFY(charts[0]->drawnPointCount() <= 2 * std::max(200, charts[0]->viewport()->width()));
        QCOMPARE(charts[0]->gaps().size(), std::size_t(1));
        QCOMPARE(charts[0]->gaps()[0].fromMs, kNow - 40 * kMinute + 0 - (kNow - 40 * kMinute) % 5000 + 5000);
        const QString csv = charts[0]->toCsv();
        QVERIFY(csv.startsWith(QStringLiteral("time,series,min,max,mean\n")));
        QVERIFY(csv.count(QLatin1Char('\n')) > 100); // a row per drawn value
        QVERIFY(csv.contains(QStringLiteral("\"commit_latency_p99\"")));
        auto* table = page->findChild<QTableView*>(QStringLiteral("stageSignalTable"));
        QCOMPARE(table->model()->rowCount(), 2);
        QAbstractItemModelTester tester(table->model());
        table->selectRow(0);
        table->setFocus();
        QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier);
        const QStringList copied = QGuiApplication::clipboard()->text().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(copied.size(), 2);
        QVERIFY(copied[0].startsWith(QStringLiteral("Signal\tLabels\tValue")));
        QVERIFY(copied[1].contains(QStringLiteral("quantile=0.99\t7.24 s\tCRIT")));
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-sink.png"))));
        const auto sinkLight = valueAxisAndPen(charts[0]);
        ThemeController::applyPalette(true);
        QTest::qWait(100);
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-sink-dark.png"))));
        const auto sinkDark = valueAxisAndPen(charts[0]);
        QCOMPARE(std::get<0>(sinkDark), std::get<0>(sinkLight));
        QCOMPARE(std::get<1>(sinkDark), std::get<1>(sinkLight));
        ThemeController::applyPalette(false);
        QTest::qWait(50);

        // The range buttons pick the tier; so does the wheel, which leaves "live".
        page->setSpan(24 * kHour);
        QVERIFY(drawn.wait(5000));
        QCOMPARE(page->charts()[0]->tier(), HistoryTier::Minute);
        page->setSpan(7 * 24 * kHour);
        QVERIFY(drawn.wait(5000));
        QCOMPARE(page->charts()[0]->tier(), HistoryTier::Hour);
        page->setSpan(6 * kHour);
        QVERIFY(drawn.wait(5000));
        HistoryChart* chart = page->charts()[0];
        const QPointF centre = chart->chart()->plotArea().center();
        for (int i = 0; i < 12; ++i) {
            QWheelEvent zoomIn(centre, chart->mapToGlobal(centre.toPoint()), QPoint(), QPoint(0, 120), Qt::NoButton,
                Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(chart->viewport(), &zoomIn);
        }
        QVERIFY(!page->isLive());
        QVERIFY(page->toMs() - page->fromMs() <= kHour);
        QVERIFY(drawn.wait(5000));
        QCOMPARE(page->charts()[0]->tier(), HistoryTier::Raw);

        // Double-click a series row: that series alone.
        const QModelIndex first = table->model()->index(0, 1);
        table->doubleClicked(first);
        QVERIFY(page->soloSeries() != 0);
        QCOMPARE(page->charts().size(), 1);

        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!w.isStagePageShown());

        // Keys 1–9 open the nth stage; Enter opens the focused tile.
        QTest::keyClick(&w, Qt::Key_2);
        QVERIFY(w.isStagePageShown());
        QCOMPARE(page->stageId(), QStringLiteral("compute"));
        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!w.isStagePageShown());
        sinkTile->setFocus();
        QTest::keyClick(sinkTile, Qt::Key_Return);
        QVERIFY(w.isStagePageShown());
        QCOMPARE(page->stageId(), QStringLiteral("sink"));
        auto* back = page->findChild<QWidget*>(QStringLiteral("backButton"));
        QTest::mouseClick(back, Qt::LeftButton);
        QVERIFY(!w.isStagePageShown());
        QCOMPARE(w.windowTitle().contains(QStringLiteral("›")), false);
    }

    void kindPagesShowTheirOwnLayout()
    {
        // A rich source log: 24 groups of the kafka source over two topics of four partitions, every verdict present,
        // with the data age of each partition of `orders`.
        auto store = std::make_shared<SeriesStore>();
        auto snap = test::makePathSnapshot(kNow);
        auto report = std::make_shared<LagReport>(*test::makeLagReport(QStringLiteral("kafka"), 24, 2, 4, kNow, 3));
        snap->consumerLag.push_back(report);
        for (int p = 0; p < 4; ++p) {
            SignalState s;
            s.kind = SignalKind::DataAge;
            s.stageId = QStringLiteral("source");
            s.name = QStringLiteral("data_age");
            s.signalId = QStringLiteral("source/data_age");
            s.unit = QStringLiteral("s");
            s.sourceId = QStringLiteral("kafka");
            s.labels = {
                {QStringLiteral("partition"), QString::number(p)}, {QStringLiteral("topic"), QStringLiteral("orders")}};
            s.hasValue = true;
            s.value = 0.8 + 0.3 * p;
            s.valueTimestampMs = kNow - 2000;
            s.severity = Severity::Ok;
            snap->signalStates.push_back(s);
            snap->stages[0].signalIndexes.push_back(int(snap->signalStates.size()) - 1);
        }
        withHistory(snap, *store);
        MainWindow w;
        w.setClock([] { return kNow; });
        w.setHistory(store);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy applied(&w, &MainWindow::snapshotApplied);
        w.setSnapshot(snap);
        QVERIFY(applied.wait(5000));

        StagePage* page = w.stagePage();
        QSignalSpy drawn(page, &StagePage::historyDrawn);
        w.openStage(QStringLiteral("source"));
        QVERIFY(drawn.wait(5000));
        QCOMPARE(page->layout(), StagePage::Layout::SourceLog);
        ConsumerLagView* lag = page->consumerLagView();
        QVERIFY(lag->isVisible());
        QCOMPARE(lag->model()->groupCount(), 24);
        QCOMPARE(lag->model()->partitionCount(), 24 * 2 * 4);
        auto* tabs = page->findChild<QTabWidget*>(QStringLiteral("stageBottomTabs"));
        QCOMPARE(tabs->currentWidget(), lag);
        // Worst first: the STOPPED groups on top; one opened down to its partitions and a partition selected.
        QTreeView* tree = lag->view();
        const QModelIndex worst = tree->model()->index(0, 0);
        QCOMPARE(
            worst.siblingAtColumn(ConsumerLagTreeModel::StatusColumn).data().toString(), QStringLiteral("STOPPED"));
        tree->expand(worst);
        // The page's data age column reads the data_age series of `orders` partition 0 of every group.
        QModelIndex orders;
        for (int r = 0; r < tree->model()->rowCount(worst); ++r)
            if (tree->model()->index(r, 0, worst).data().toString() == QStringLiteral("orders"))
                orders = tree->model()->index(r, 0, worst);
        QVERIFY(orders.isValid());
        QModelIndex ordersP0;
        for (int r = 0; r < tree->model()->rowCount(orders); ++r)
            if (tree->model()->index(r, 0, orders).data(ConsumerLagTreeModel::PartitionRole).toInt() == 0)
                ordersP0 = tree->model()->index(r, 0, orders);
        QCOMPARE(
            ordersP0.siblingAtColumn(ConsumerLagTreeModel::DataAgeColumn).data().toString(), QStringLiteral("800 ms"));
        tree->expand(orders);
        tree->selectionModel()->select(ordersP0, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        // A new snapshot keeps what the user opened.
        w.setSnapshot(snap);
        QVERIFY(applied.wait(5000));
        QVERIFY(tree->isExpanded(worst));
        QTest::qWait(100);
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-source-log.png"))));
        ThemeController::applyPalette(true);
        QTest::qWait(100);
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-source-log-dark.png"))));

        // Object storage: rate and ratio side by side.
        w.openStage(QStringLiteral("storage"));
        QVERIFY(drawn.wait(5000));
        QCOMPARE(page->layout(), StagePage::Layout::ObjectStorage);
        QCOMPARE(page->charts().size(), 2);
        QVERIFY(page->charts()[1]->geometry().left() > page->charts()[0]->geometry().right());
        QCOMPARE(page->charts()[1]->geometry().top(), page->charts()[0]->geometry().top());
        QVERIFY(!lag->isVisible());
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-storage-dark.png"))));

        // Serving: the freshness in large type above the charts.
        w.openStage(QStringLiteral("serving"));
        QVERIFY(drawn.wait(5000));
        QCOMPARE(page->layout(), StagePage::Layout::Serving);
        auto* headline = page->findChild<QLabel*>(QStringLiteral("headline_dashboard_freshness"));
        QVERIFY(headline);
        QVERIFY(headline->isVisible());
        QVERIFY(headline->text().contains(QStringLiteral("3.10 s")));
        QVERIFY(headline->text().contains(QStringLiteral("OK")));
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-serving-dark.png"))));
        // A theme switch recolours the lines and keeps the axis as it was.
        auto axisAndPen = [&] { return valueAxisAndPen(page->charts().front()); };
        const auto dark = axisAndPen();
        ThemeController::applyPalette(false);
        QTest::qWait(50);
        QVERIFY(w.grab().save(screenshotPath(QStringLiteral("page-serving.png"))));
        const auto light = axisAndPen();
        QCOMPARE(std::get<0>(dark), std::get<0>(light));
        QCOMPARE(std::get<1>(dark), std::get<1>(light));
        QVERIFY(std::get<2>(dark) != std::get<2>(light));
        QVERIFY(std::get<2>(dark).lightness() > std::get<2>(light).lightness());
    }

    void timelineDrawsLedgerIncidentsPerStage()
    {
        IncidentTimeline timeline;
        timeline.setClock([] { return kNow; });
        timeline.setSnapshot(test::makePathSnapshot(kNow));
        QSignalSpy changed(&timeline, &IncidentTimeline::incidentsChanged);
        timeline.setIncidents(
            {Incident {1, QStringLiteral("sink"), kNow - kHour, 0, Severity::Crit, QStringLiteral("x")}});
        QCOMPARE(changed.size(), 1);
        QCOMPARE(timeline.incidents().size(), std::size_t(1));
        QSignalSpy activated(&timeline, &IncidentTimeline::stageActivated);
        timeline.resize(800, timeline.sizeHint().height());
        // Lane 3 is the sink (path order).
        QTest::mouseClick(&timeline, Qt::LeftButton, {}, QPoint(400, 2 + 2 * 16 + 8));
        QCOMPARE(activated.size(), 1);
        QCOMPARE(activated.at(0).at(0).toString(), QStringLiteral("sink"));
    }

    void watchScreenPutsTheWorstFirstInHugeType()
    {
        WatchScreen screen;
        screen.setClock([] { return kNow; });
        screen.resize(1920, 1080);
        auto snap = test::makePathSnapshot(kNow, 1, true);
        snap->dataStopStageId = QStringLiteral("serving");
        snap->dataStopAfterStageId = QStringLiteral("storage");
        for (auto& st : snap->stages)
            if (st.stageId == QStringLiteral("serving"))
                st.dataAgeSeconds = 134.0;
            else if (st.stageId == QStringLiteral("storage"))
                st.dataAgeSeconds = 6.0;
        screen.setSnapshot(snap);
        const QStringList order = screen.orderedStageIds();
        QCOMPARE(order.size(), 5);
        // CRIT, then STALE, then WARN, then the OK stages in path order.
        QCOMPARE(order,
            QStringList({QStringLiteral("sink"), QStringLiteral("serving"), QStringLiteral("compute"),
                QStringLiteral("source"), QStringLiteral("storage")}));
        QVERIFY(screen.headlinePixelSize() >= int(0.08 * 1080));
        QVERIFY(screen.staleBanner().contains(QStringLiteral("serving-db")));
        QVERIFY(screen.topSentence().contains(QStringLiteral("Serving")));
        QVERIFY(screen.grab().save(screenshotPath(QStringLiteral("watch-screen.png"))));
        // The watch screen is dark whatever the window's theme.
        ThemeController::applyPalette(true);
        QTest::qWait(50);
        QVERIFY(screen.grab().save(screenshotPath(QStringLiteral("watch-screen-dark-theme.png"))));
        ThemeController::applyPalette(false);
    }
};

QTEST_MAIN(TestStagePage)
#include "tst_stagepage.moc"
