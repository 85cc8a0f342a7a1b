#include "mainwindow.h"
#include "model/thresholds.h"
#include "pipelinestrip.h"
#include "presentation/format.h"
#include "signaltablemodel.h"
#include "snapshotbuilder.h"
#include "sourcehealthmodel.h"
#include "stagepage.h"
#include "stagetile.h"
#include "statusstyle.h"
#include "theme.h"
#include "watchscreen.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QStyleFactory>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace pw;
using namespace Qt::StringLiterals;

namespace {
constexpr qint64 kNow = 1'790'000'000'000; // fixed wall clock so ages are exact

QString tileText(QWidget* window, const char* stageId, const char* label)
{
    auto* tile = window->findChild<StageTile*>(QStringLiteral("stageTile_") + QLatin1String(stageId));
    if (!tile)
        return QStringLiteral("<no tile %1>").arg(QLatin1String(stageId));
    auto* l = tile->findChild<QLabel*>(QString::fromLatin1(label));
    return l ? l->text() : QStringLiteral("<no label %1>").arg(QString::fromLatin1(label));
}

int findRow(const QAbstractItemModel* model, int role, const QString& value)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->index(r, 0).data(role).toString() == value)
            return r;
    return -1;
}
} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    struct Fixture
    {
        std::unique_ptr<MainWindow> window;
        SignalTableModel* signalModel = nullptr;
        SourceHealthModel* sourceModel = nullptr;
        std::unique_ptr<QAbstractItemModelTester> signalTester;
        std::unique_ptr<QAbstractItemModelTester> sourceTester;
        qint64 now = kNow;
    };

    std::unique_ptr<Fixture> makeWindow()
    {
        auto f = std::make_unique<Fixture>();
        f->window = std::make_unique<MainWindow>();
        Fixture* raw = f.get();
        f->window->setClock([raw] { return raw->now; });
        f->signalModel = f->window->findChild<SignalTableModel*>(QStringLiteral("signalTableModel"));
        f->sourceModel = f->window->findChild<SourceHealthModel*>(QStringLiteral("sourceHealthModel"));
        if (f->signalModel)
            f->signalTester = std::make_unique<QAbstractItemModelTester>(
                f->signalModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
        if (f->sourceModel)
            f->sourceTester = std::make_unique<QAbstractItemModelTester>(
                f->sourceModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
        return f;
    }

    // Feeds one snapshot and waits for the refresh timer to put it on screen.
    static bool feed(MainWindow& w, SnapshotPtr snap)
    {
        QSignalSpy applied(&w, &MainWindow::snapshotApplied);
        const quint64 seq = snap->sequence;
        w.setSnapshot(std::move(snap));
        return applied.wait(5000) && applied.constLast().at(0).toULongLong() == seq;
    }

private Q_SLOTS:
    void remembersPageRangeAndTheme()
    {
        // The user's settings stay untouched: QSettings writes under a temporary directory.
        QTemporaryDir settingsDir;
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
        const QPalette before = QApplication::palette();
        constexpr qint64 now = 1'790'000'000'000;
        {
            MainWindow w;
            w.setClock([] { return now; });
            w.restoreHabits();
            QSignalSpy applied(&w, &MainWindow::snapshotApplied);
            w.setSnapshot(test::makePathSnapshot(now));
            QVERIFY(applied.wait(5000));
            w.openStage(QStringLiteral("sink"));
            auto* dayButton = w.stagePage()->findChild<QAbstractButton*>(QStringLiteral("range3Button"));
            QVERIFY(dayButton);
            dayButton->click();
            QCOMPARE(w.stagePage()->span(), qint64(24) * 3600 * 1000);
            auto* dark = w.findChild<QAction*>(QStringLiteral("theme_dark"));
            QVERIFY(dark);
            dark->trigger();
            QVERIFY(StatusStyle::isDark(QApplication::palette()));
        }
        QCOMPARE(QSettings().value(QStringLiteral("view/page")).toString(), QStringLiteral("sink"));
        QCOMPARE(QSettings().value(QStringLiteral("view/span_ms")).toLongLong(), qint64(24) * 3600 * 1000);
        QCOMPARE(QSettings().value(QStringLiteral("view/theme")).toString(), QStringLiteral("dark"));

        // The next start comes back to the same page, range and theme.
        QApplication::setPalette(before);
        MainWindow w;
        w.setClock([] { return now; });
        w.restoreHabits();
        QVERIFY(StatusStyle::isDark(QApplication::palette()));
        QVERIFY(w.findChild<QAction*>(QStringLiteral("theme_dark"))->isChecked());
        QCOMPARE(w.stagePage()->span(), qint64(24) * 3600 * 1000);
        QSignalSpy applied(&w, &MainWindow::snapshotApplied);
        w.setSnapshot(test::makePathSnapshot(now));
        QVERIFY(applied.wait(5000));
        QVERIFY(w.isStagePageShown());
        QCOMPARE(w.stagePage()->stageId(), QStringLiteral("sink"));
        w.showOverview();
        QCOMPARE(QSettings().value(QStringLiteral("view/page")).toString(), QString());
        // No tray offscreen: the window works without one.
        QVERIFY(!w.trayIcon());
        QApplication::setPalette(before);
    }

    void tilesShowValuesAndStatuses()
    {
        auto f = makeWindow();
        QVERIFY(f->signalModel);
        QVERIFY(f->sourceModel);
        auto snap = test::makePathSnapshot(kNow);
        QVERIFY(feed(*f->window, snap));

        auto* strip = f->window->findChild<PipelineStrip*>(QStringLiteral("pipelineStrip"));
        QVERIFY(strip);
        QStringList order;
        for (auto* t : strip->tiles())
            order << t->objectName();
        QCOMPARE(order,
            (QStringList {u"stageTile_source"_s, u"stageTile_compute"_s, u"stageTile_sink"_s, u"stageTile_storage"_s,
                u"stageTile_serving"_s}));

        QCOMPARE(tileText(f->window.get(), "source", "titleLabel"), QStringLiteral("Source log"));
        QCOMPARE(tileText(f->window.get(), "source", "statusLabel"), QStringLiteral("OK"));
        QCOMPARE(tileText(f->window.get(), "source", "valueLabel"), formatValue(1.8, QStringLiteral("s")));
        QCOMPARE(tileText(f->window.get(), "source", "ageLabel"), QStringLiteral("12 s ago"));
        QCOMPARE(tileText(f->window.get(), "source", "reasonLabel"), QString());
        QCOMPARE(tileText(f->window.get(), "compute", "statusLabel"), QStringLiteral("WARN"));
        QCOMPARE(tileText(f->window.get(), "compute", "valueLabel"), formatValue(94, u"s"_s));
        QCOMPARE(tileText(f->window.get(), "compute", "reasonLabel"), QStringLiteral("94 ≥ warn 60"));
        QCOMPARE(tileText(f->window.get(), "sink", "statusLabel"), QStringLiteral("CRIT"));
        QCOMPARE(tileText(f->window.get(), "sink", "valueLabel"), QStringLiteral("7.24 s"));
        QCOMPARE(tileText(f->window.get(), "sink", "reasonLabel"), QStringLiteral("7.24 ≥ crit 5"));
        QCOMPARE(tileText(f->window.get(), "serving", "statusLabel"), QStringLiteral("OK"));

        QCOMPARE(f->window->windowTitle(), QStringLiteral("orders-mart — CRIT — Pathwatch"));
        QCOMPARE(f->signalModel->rowCount(), int(snap->signalStates.size()));
        QCOMPARE(f->sourceModel->rowCount(), int(snap->sources.size()));
        QCOMPARE(f->window->findChild<QLabel*>(QStringLiteral("updateAgeLabel"))->text(),
            QStringLiteral("last update 2 s ago"));
        QVERIFY(f->window->findChild<QLabel*>(QStringLiteral("snapshotLabel"))->text().startsWith(u"Snapshot #1 "_s));
    }

    void staleSourceUpdatesInPlace()
    {
        auto f = makeWindow();
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow, 1)));
        const int signalRows = f->signalModel->rowCount();
        const int sourceRows = f->sourceModel->rowCount();

        QSignalSpy signalReset(f->signalModel, &QAbstractItemModel::modelReset);
        QSignalSpy sourceReset(f->sourceModel, &QAbstractItemModel::modelReset);
        QSignalSpy signalInserted(f->signalModel, &QAbstractItemModel::rowsInserted);
        QSignalSpy signalRemoved(f->signalModel, &QAbstractItemModel::rowsRemoved);
        QSignalSpy signalChanged(f->signalModel, &QAbstractItemModel::dataChanged);
        QSignalSpy sourceChanged(f->sourceModel, &QAbstractItemModel::dataChanged);

        // The SQL source stops answering: its signal keeps the value it had 134 s ago and turns STALE.
        f->now = kNow + 1000;
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow, 2, true)));

        const QString reason = QStringLiteral("serving-db: connection refused (127.0.0.1:5432)");
        QCOMPARE(tileText(f->window.get(), "serving", "statusLabel"), QStringLiteral("STALE"));
        QCOMPARE(tileText(f->window.get(), "serving", "reasonLabel"), reason);
        QCOMPARE(tileText(f->window.get(), "serving", "valueLabel"), QStringLiteral("3.10 s"));
        QCOMPARE(tileText(f->window.get(), "serving", "ageLabel"), QStringLiteral("last value 2 min ago"));

        QCOMPARE(f->signalModel->rowCount(), signalRows);
        QCOMPARE(f->sourceModel->rowCount(), sourceRows);
        QCOMPARE(signalReset.size(), 0);
        QCOMPARE(sourceReset.size(), 0);
        QCOMPARE(signalInserted.size(), 0);
        QCOMPARE(signalRemoved.size(), 0);
        QVERIFY(signalChanged.size() > 0);
        QVERIFY(sourceChanged.size() > 0);

        const int row = findRow(f->signalModel, SignalTableModel::SignalIdRole, u"serving/dashboard_freshness"_s);
        QVERIFY(row >= 0);
        auto cell = [&](int column) { return f->signalModel->index(row, column).data().toString(); };
        QCOMPARE(cell(SignalTableModel::StatusColumn), QStringLiteral("STALE"));
        QCOMPARE(cell(SignalTableModel::ValueColumn), QStringLiteral("3.10 s"));
        QCOMPARE(cell(SignalTableModel::ReasonColumn), reason);
        QCOMPARE(cell(SignalTableModel::AgeColumn), QStringLiteral("2 min ago"));

        const int srow = findRow(f->sourceModel, SourceHealthModel::SourceIdRole, u"serving-db"_s);
        QVERIFY(srow >= 0);
        QCOMPARE(
            f->sourceModel->index(srow, SourceHealthModel::StatusColumn).data().toString(), QStringLiteral("STALE"));
        QCOMPARE(f->sourceModel->index(srow, SourceHealthModel::ErrorColumn).data().toString(), reason);
        QCOMPARE(
            f->sourceModel->index(srow, SourceHealthModel::FailuresColumn).data().toString(), QStringLiteral("27"));
    }

    void rowsAddedAndRemovedByDiffKeepSelection()
    {
        auto f = makeWindow();
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow, 1)));
        auto* view = f->window->findChild<QTableView*>(QStringLiteral("signalTable"));
        QVERIFY(view);
        const int keptRow = findRow(view->model(), SignalTableModel::SignalIdRole, u"sink/commit_latency_p99"_s);
        QVERIFY(keptRow >= 0);
        view->selectRow(keptRow);
        const QString keptKey = view->model()->index(keptRow, 0).data(SignalTableModel::KeyRole).toString();

        // Partition 3 disappears (reassigned) and partition 4 appears.
        auto next = test::makePathSnapshot(kNow, 2);
        for (auto& s : next->signalStates)
            for (auto& [name, value] : s.labels)
                if (name == QLatin1String("partition") && value == QLatin1String("3"))
                    value = QStringLiteral("4");

        QSignalSpy reset(f->signalModel, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(f->signalModel, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(f->signalModel, &QAbstractItemModel::rowsRemoved);
        const int before = f->signalModel->rowCount();
        QVERIFY(feed(*f->window, next));

        QCOMPARE(reset.size(), 0);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), inserted.at(0).at(2).toInt()); // one row
        QCOMPARE(removed.at(0).at(1).toInt(), removed.at(0).at(2).toInt());
        QCOMPARE(f->signalModel->rowCount(), before);
        QVERIFY(
            findRow(f->signalModel, SignalTableModel::KeyRole, SignalTableModel::rowKey(next->signalStates[4])) >= 0);

        const QModelIndexList selected = view->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.at(0).data(SignalTableModel::KeyRole).toString(), keptKey);
    }

    void burstOfSnapshotsIsCoalesced()
    {
        auto f = makeWindow();
        QSignalSpy applied(f->window.get(), &MainWindow::snapshotApplied);
        for (quint64 seq = 1; seq <= 10; ++seq)
            f->window->setSnapshot(test::makePathSnapshot(kNow, seq));
        // setSnapshot only stores the pointer: nothing is on screen before the event loop runs.
        QVERIFY(!f->window->currentSnapshot());
        QVERIFY(applied.wait(5000));
        QCOMPARE(applied.size(), 1);
        QCOMPARE(applied.at(0).at(0).toULongLong(), quint64(10));
        QCOMPARE(f->window->currentSnapshot()->sequence, quint64(10));
        f->window->setSnapshot(nullptr); // ignored, keeps the console
        QCOMPARE(f->window->currentSnapshot()->sequence, quint64(10));
    }

    void agesTickWithoutNewSnapshots()
    {
        auto f = makeWindow();
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow, 1)));
        QCOMPARE(tileText(f->window.get(), "source", "ageLabel"), QStringLiteral("12 s ago"));
        QSignalSpy changed(f->signalModel, &QAbstractItemModel::dataChanged);
        f->now = kNow + 50'000;
        // The once-a-second timer re-renders ages; no snapshot is fed.
        QTRY_COMPARE_WITH_TIMEOUT(tileText(f->window.get(), "source", "ageLabel"), QStringLiteral("62 s ago"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(f->window->findChild<QLabel*>(QStringLiteral("updateAgeLabel"))->text(),
            QStringLiteral("last update 52 s ago"), 5000);
        QVERIFY(changed.size() > 0);
        for (const auto& args : changed) {
            QCOMPARE(args.at(0).toModelIndex().column(), int(SignalTableModel::AgeColumn));
            QCOMPARE(args.at(1).toModelIndex().column(), int(SignalTableModel::AgeColumn));
        }
        const int row = findRow(f->signalModel, SignalTableModel::SignalIdRole, u"source/time_lag"_s);
        QCOMPARE(f->signalModel->index(row, SignalTableModel::AgeColumn).data().toString(), QStringLiteral("62 s ago"));
    }

    void emptyStateThenConsole()
    {
        auto f = makeWindow();
        auto* stack = f->window->findChild<QStackedWidget*>();
        QVERIFY(stack);
        f->window->setEmptyState(QStringLiteral("No configuration. Start with `pathwatch --config FILE`."));
        QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("emptyPage"));
        auto* label = f->window->findChild<QLabel*>(QStringLiteral("emptyStateLabel"));
        QVERIFY(label);
        QVERIFY(label->text().contains(QStringLiteral("pathwatch --config FILE")));
        QCOMPARE(f->window->windowTitle(), QStringLiteral("Pathwatch"));
        // A long multi-paragraph message (as for a config error) is shown in full, not clipped to one line.
        f->window->setEmptyState(u"The configuration could not be loaded:\n\n/etc/pathwatch/pathwatch.yaml:12:3: "
                                 u"unknown key `sink_latncy` in stage `sink`; did you mean `sink_latency`? "
                                 u"Fix the file and restart, or start with `pathwatch --config FILE`."_s);
        f->window->resize(900, 600);
        f->window->show();
        QVERIFY(QTest::qWaitForWindowExposed(f->window.get()));
        QVERIFY(label->isVisible());
        QVERIFY(label->heightForWidth(label->width()) <= label->height());
        QVERIFY(label->height() > 2 * label->fontMetrics().lineSpacing());
        if (const QString shot = qEnvironmentVariable("PATHWATCH_SCREENSHOT_EMPTY"); !shot.isEmpty()) {
            f->window->resize(1000, 600);
            QVERIFY(f->window->grab().save(shot, "PNG"));
        }

        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow)));
        QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("consolePage"));
    }

    // A long headline value shrinks to fit its tile instead of running into the next one (and, when even that is
    // not enough, shows large counts shortened); short ones keep the full size, and every value label keeps one
    // height so the values of all tiles line up.
    void longValuesFitTheirTiles()
    {
        auto f = makeWindow();
        auto snap = test::makePathSnapshot(kNow);
        const auto& source = *std::find_if(
            snap->stages.begin(), snap->stages.end(), [](const StageState& s) { return s.stageId == u"source"_s; });
        auto& headline = snap->signalStates[std::size_t(source.headlineSignal)];
        headline.kind = SignalKind::ConsumerLag;
        headline.unit = u"messages"_s;
        headline.value = 123456789;
        f->window->resize(1100, 700);
        f->window->show();
        QVERIFY(QTest::qWaitForWindowExposed(f->window.get()));
        QVERIFY(feed(*f->window, snap));
        auto valueLabel = [&](const char* stage) {
            return f->window->findChild<StageTile*>(u"stageTile_"_s + QLatin1String(stage))
                ->findChild<QLabel*>(u"valueLabel"_s);
        };
        QLabel* longValue = valueLabel("source");
        // Too long in full even at half size: the short form, with the full value in its tooltip.
        QCOMPARE(longValue->text(), u"123 M messages"_s);
        QCOMPARE(longValue->toolTip(), u"123,456,789 messages"_s);
        QVERIFY2(longValue->fontMetrics().horizontalAdvance(longValue->text()) <= longValue->contentsRect().width(),
            qPrintable(QStringLiteral("%1 > %2")
                           .arg(longValue->fontMetrics().horizontalAdvance(longValue->text()))
                           .arg(longValue->contentsRect().width())));
        QLabel* shortValue = valueLabel("sink");
        QVERIFY(longValue->font().pointSizeF() < shortValue->font().pointSizeF());
        QCOMPARE(longValue->height(), shortValue->height());
        QCOMPARE(longValue->mapTo(f->window.get(), QPoint()).y(), shortValue->mapTo(f->window.get(), QPoint()).y());
    }

    // The header says what is being watched (e.g. the embedded demo), with the endpoints in its tooltip.
    void modeNote()
    {
        auto f = makeWindow();
        auto* note = f->window->findChild<QLabel*>(QStringLiteral("modeLabel"));
        QVERIFY(note);
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow)));
        f->window->show();
        QVERIFY(QTest::qWaitForWindowExposed(f->window.get()));
        QVERIFY(!note->isVisible());
        f->window->setModeNote(u"Embedded demo · broker 127.0.0.1:9092"_s, u"Flink REST API: http://127.0.0.1:8081"_s);
        QVERIFY(note->isVisible());
        QCOMPARE(note->text(), u"Embedded demo · broker 127.0.0.1:9092"_s);
        QCOMPARE(note->toolTip(), u"Flink REST API: http://127.0.0.1:8081"_s);
        f->window->setModeNote({});
        QVERIFY(!note->isVisible());
    }

    void filterSignalTable()
    {
        auto f = makeWindow();
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow)));
        f->window->show();
        QVERIFY(QTest::qWaitForWindowExposed(f->window.get()));
        f->window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(f->window.get()));

        auto* filter = f->window->findChild<QLineEdit*>(QStringLiteral("signalFilter"));
        auto* view = f->window->findChild<QTableView*>(QStringLiteral("signalTable"));
        QVERIFY(filter && view);
        QVERIFY(!filter->hasFocus());
        QTest::keyClick(f->window.get(), Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY(filter->hasFocus());
        QTest::keyClicks(filter, QStringLiteral("PARTITION=2"));
        QCOMPARE(view->model()->rowCount(), 1);
        QCOMPARE(view->model()->index(0, SignalTableModel::LabelsColumn).data().toString(),
            QStringLiteral("group=orders-agg, partition=2, topic=orders"));
        filter->clear();
        QCOMPARE(view->model()->rowCount(), f->signalModel->rowCount());

        // Default order is path order (stage column sorted on the snapshot position).
        QCOMPARE(
            view->model()->index(0, SignalTableModel::StageColumn).data().toString(), QStringLiteral("Source log"));
        QCOMPARE(view->model()->index(view->model()->rowCount() - 1, SignalTableModel::StageColumn).data().toString(),
            QStringLiteral("Serving"));
    }

    void everyShortcutIsListedUnderHelp()
    {
        MainWindow w;
        const QString listed = MainWindow::shortcutsMarkdown();
        QSet<QString> seen;
        int themeShortcuts = 0;
        for (QAction* action : w.findChildren<QAction*>()) {
            if (action->shortcut().isEmpty())
                continue;
            const QString keys = action->shortcut().toString(QKeySequence::PortableText);
            QVERIFY2(listed.contains(keys), qPrintable(keys + QStringLiteral(" (") + action->text() + u')'));
            QVERIFY2(!seen.contains(keys), qPrintable(keys + QStringLiteral(" is used twice")));
            seen.insert(keys);
            themeShortcuts += action->objectName().startsWith(QLatin1String("theme_"));
        }
        QCOMPARE(themeShortcuts, 3);
        QCOMPARE(w.findChild<QAction*>(QStringLiteral("theme_dark"))->shortcut(),
            QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    }

    // A data dir that cannot be written (a full disk) is said in words on the window and the watch screen while it
    // lasts, and the bar goes away once the ledger and the history are written again. Pictures go to
    // PATHWATCH_SCREENSHOT_DIR (default: the temp dir) as degraded-console.png and degraded-watch-screen.png.
    void degradedDataDirShowsABarUntilItRecovers()
    {
        auto f = makeWindow();
        f->window->resize(1400, 800);
        f->window->show();
        QVERIFY(QTest::qWaitForWindowExposed(f->window.get()));
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow, 1)));
        QLabel* bar = f->window->degradedBar();
        QVERIFY(bar);
        QCOMPARE(bar->objectName(), QStringLiteral("degradedBar"));
        QVERIFY(!bar->isVisible());

        auto degraded = test::makePathSnapshot(kNow, 2);
        degraded->degraded = {{QStringLiteral("ledger"),
            QStringLiteral("the ledger /var/lib/pathwatch/ledger.sqlite cannot be written: database or disk is full"),
            kNow - 125'000}};
        QVERIFY(feed(*f->window, degraded));
        QVERIFY(bar->isVisible());
        QCOMPARE(bar->text(),
            QStringLiteral("DEGRADED — recovery ledger not written for 2.1 min: the ledger "
                           "/var/lib/pathwatch/ledger.sqlite cannot be written: database or disk is full; monitoring "
                           "goes on"));
        // The console itself goes on: tiles and tables still show the snapshot.
        QCOMPARE(f->window->currentSnapshot()->sequence, quint64(2));
        QCOMPARE(tileText(f->window.get(), "sink", "statusLabel"), QStringLiteral("CRIT"));
        // It stays in view on a stage page.
        f->window->openStage(QStringLiteral("sink"));
        QVERIFY(bar->isVisible());
        f->window->showOverview();

        // How long it has lasted ticks with the clock, without a new snapshot.
        f->now += 60'000;
        QTRY_VERIFY_WITH_TIMEOUT(bar->text().contains(QStringLiteral("for 3.1 min")), 3000);

        // Both parts, as a full disk takes both.
        degraded = test::makePathSnapshot(kNow, 3);
        degraded->degraded = {
            {QStringLiteral("ledger"), QStringLiteral("database or disk is full"), kNow - 125'000},
            {QStringLiteral("history"), QStringLiteral("No space left on device"), kNow - 30'000},
        };
        QVERIFY(feed(*f->window, degraded));
        QVERIFY2(bar->text().contains(QStringLiteral("recovery ledger not written for 3.1 min: database or disk is "
                                                     "full; saved history not written for 90.0 s: No space left on "
                                                     "device; monitoring goes on")),
            qPrintable(bar->text()));

        f->window->showWatchScreen();
        QVERIFY(f->window->watchScreen());
        QTRY_VERIFY(f->window->watchScreen()->degradedLine().startsWith(QStringLiteral("DEGRADED — recovery ledger")));

        const QString dir = qEnvironmentVariableIsEmpty("PATHWATCH_SCREENSHOT_DIR")
            ? QDir::tempPath()
            : qEnvironmentVariable("PATHWATCH_SCREENSHOT_DIR");
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(f->window->grab().save(QDir(dir).filePath(QStringLiteral("degraded-console.png")), "PNG"));
        WatchScreen wall;
        wall.setClock([raw = f.get()] { return raw->now; });
        wall.resize(1920, 1080);
        wall.setSnapshot(degraded);
        QVERIFY(wall.degradedLine().contains(QStringLiteral("saved history not written")));
        QVERIFY(wall.grab().save(QDir(dir).filePath(QStringLiteral("degraded-watch-screen.png")), "PNG"));

        // Written again: the bar and the line go away.
        QVERIFY(feed(*f->window, test::makePathSnapshot(kNow, 4)));
        QVERIFY(!bar->isVisible());
        QVERIFY(f->window->watchScreen()->degradedLine().isEmpty());
        f->window->closeWatchScreen();
    }

    // Renders the realistic console (all five stages, one WARN, one STALE, one CRIT). With PATHWATCH_SCREENSHOT=path
    // the picture is saved there. resources/screenshots/console.png is made with
    //   PATHWATCH_SCREENSHOT_THEME=dark PATHWATCH_SCREENSHOT=$PWD/resources/screenshots/console.png tst_mainwindow
    //   screenshot
    void screenshot()
    {
        auto f = makeWindow();
        auto snap = test::makePathSnapshot(kNow, 4812, true);
        QVERIFY(feed(*f->window, snap));
        f->window->resize(1400, 800);
        f->window->show();
        QVERIFY(QTest::qWaitForWindowExposed(f->window.get()));

        int warn = 0, crit = 0, stale = 0;
        for (auto* t : f->window->findChildren<StageTile*>()) {
            warn += t->severity() == Severity::Warn;
            crit += t->severity() == Severity::Crit;
            stale += t->severity() == Severity::Stale;
        }
        QCOMPARE(warn, 1);
        QCOMPARE(crit, 1);
        QCOMPARE(stale, 1);

        const QPixmap shot = f->window->grab();
        QCOMPARE(shot.size() / shot.devicePixelRatio(), QSize(1400, 800));
        QString path = qEnvironmentVariable("PATHWATCH_SCREENSHOT");
        QTemporaryDir tmp;
        if (path.isEmpty())
            path = tmp.filePath(QStringLiteral("console.png"));
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        QVERIFY2(shot.save(path, "PNG"), qPrintable(path));
        QVERIFY(QFileInfo(path).size() > 10'000);
    }
};

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    // A dark palette when asked (the watch-screen look); the default palette otherwise.
    if (qEnvironmentVariable("PATHWATCH_SCREENSHOT_THEME") == QLatin1String("dark")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QPalette p;
        p.setColor(QPalette::Window, QColor(0x1b, 0x1f, 0x26));
        p.setColor(QPalette::WindowText, QColor(0xe3, 0xe7, 0xed));
        p.setColor(QPalette::Base, QColor(0x22, 0x27, 0x30));
        p.setColor(QPalette::AlternateBase, QColor(0x27, 0x2d, 0x37));
        p.setColor(QPalette::Text, QColor(0xe3, 0xe7, 0xed));
        p.setColor(QPalette::Button, QColor(0x2a, 0x30, 0x3a));
        p.setColor(QPalette::ButtonText, QColor(0xe3, 0xe7, 0xed));
        p.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xb5));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::ToolTipBase, QColor(0x2a, 0x30, 0x3a));
        p.setColor(QPalette::ToolTipText, QColor(0xe3, 0xe7, 0xed));
        p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x93, 0xa0));
        p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x8a, 0x93, 0xa0));
        p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x8a, 0x93, 0xa0));
        QApplication::setPalette(p);
    }
    TestMainWindow tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_mainwindow.moc"
