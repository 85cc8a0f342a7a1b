// The source log's group → topic → partition tree: values and status words from the lag reports and the data_age /
// replay_headroom series, diffed updates that keep selection and expansion, sorting and the regex filter, and
// 1,000 groups × 10 partitions under QAbstractItemModelTester (the update time is printed, not asserted).

#include "consumerlagtreemodel.h"
#include "consumerlagview.h"
#include "lagsnapshot.h"
#include "modeltestutils.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

using namespace pw;

namespace {

constexpr qint64 kNow = 1'790'000'000'000;

QModelIndex childNamed(const QAbstractItemModel& model, const QModelIndex& parent, const QString& name)
{
    for (int r = 0; r < model.rowCount(parent); ++r) {
        const QModelIndex i = model.index(r, ConsumerLagTreeModel::NameColumn, parent);
        if (i.data().toString() == name)
            return i;
    }
    return {};
}

QString cell(const QModelIndex& row, int column)
{
    return row.siblingAtColumn(column).data().toString();
}

} // namespace

class TestConsumerLagTreeModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsGroupsTopicsAndPartitionsWithStatusWords()
    {
        ConsumerLagTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(
            test::makeLagSnapshot(test::makeLagReport(QStringLiteral("kafka"), 5, 2, 4, kNow), kNow, 2, 4));
        QCOMPARE(model.groupCount(), 5);
        QCOMPARE(model.partitionCount(), 5 * 2 * 4);

        const QModelIndex caughtUp = childNamed(model, {}, QStringLiteral("orders-aggregate"));
        QVERIFY(caughtUp.isValid());
        QCOMPARE(cell(caughtUp, ConsumerLagTreeModel::StatusColumn), QStringLiteral("OK"));
        QCOMPARE(cell(caughtUp, ConsumerLagTreeModel::OffsetLagColumn), QStringLiteral("0 records"));
        QCOMPARE(cell(caughtUp, ConsumerLagTreeModel::CatchUpColumn), QStringLiteral("caught up"));
        QCOMPARE(model.rowCount(caughtUp), 2);
        const QModelIndex orders = childNamed(model, caughtUp, QStringLiteral("orders"));
        QCOMPARE(model.rowCount(orders), 4);
        const QModelIndex p2 = model.index(2, 0, orders);
        QCOMPARE(p2.data().toString(), QStringLiteral("partition 2"));
        QCOMPARE(p2.data(ConsumerLagTreeModel::PartitionRole).toInt(), 2);
        QCOMPARE(p2.data(ConsumerLagTreeModel::TopicRole).toString(), QStringLiteral("orders"));
        // The data_age and replay_headroom series of that partition; the topic shows its newest data.
        QCOMPARE(cell(p2, ConsumerLagTreeModel::DataAgeColumn), QStringLiteral("600 ms"));
        QCOMPARE(cell(orders, ConsumerLagTreeModel::DataAgeColumn), QStringLiteral("400 ms"));
        QCOMPARE(cell(p2, ConsumerLagTreeModel::ReplayHeadroomColumn), QStringLiteral("5.4 d"));
        QCOMPARE(cell(orders, ConsumerLagTreeModel::ReplayHeadroomColumn), QStringLiteral("5.4 d"));

        const QModelIndex behind = childNamed(model, {}, QStringLiteral("consumer-0002"));
        QCOMPARE(cell(behind, ConsumerLagTreeModel::StatusColumn), QStringLiteral("LAGGING"));
        QCOMPARE(behind.siblingAtColumn(ConsumerLagTreeModel::StatusColumn).data(ConsumerLagTreeModel::SeverityRole),
            QVariant(int(Severity::Warn)));
        QVERIFY(cell(behind, ConsumerLagTreeModel::CatchUpColumn).startsWith(QStringLiteral("falling behind at")));
        QCOMPARE(
            cell(childNamed(model, {}, QStringLiteral("consumer-0001")), ConsumerLagTreeModel::CatchUpColumn).left(15),
            QStringLiteral("catches up in 2"));
        const QModelIndex stopped = childNamed(model, {}, QStringLiteral("consumer-0003"));
        QCOMPARE(cell(stopped, ConsumerLagTreeModel::StatusColumn), QStringLiteral("STOPPED"));
        QVERIFY(cell(stopped, ConsumerLagTreeModel::TimeLagColumn).endsWith(QStringLiteral("(create time)")));
        QVERIFY(stopped.data(Qt::ToolTipRole).toString().contains(QStringLiteral("STOPPED")));
        QCOMPARE(cell(childNamed(model, {}, QStringLiteral("consumer-0004")), ConsumerLagTreeModel::StatusColumn),
            QStringLiteral("REWOUND (replay)"));
    }

    void updatesAreDiffedAndKeepSelectionAndExpansion()
    {
        ConsumerLagTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ConsumerLagFilterModel proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTreeView view;
        view.setModel(&proxy);
        view.setSortingEnabled(true);
        view.sortByColumn(ConsumerLagTreeModel::StatusColumn, Qt::DescendingOrder);
        model.setSnapshot(
            test::makeLagSnapshot(test::makeLagReport(QStringLiteral("kafka"), 6, 2, 3, kNow), kNow, 2, 3));

        const QModelIndex group = proxy.mapFromSource(childNamed(model, {}, QStringLiteral("consumer-0002")));
        view.expand(group);
        const QModelIndex partition = proxy.index(1, 0, proxy.index(0, 0, group));
        view.selectionModel()->select(partition, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        const QPersistentModelIndex selected(partition);

        test::ModelChangeLog log(&model);
        for (int tick = 1; tick <= 3; ++tick)
            model.setSnapshot(test::makeLagSnapshot(
                test::makeLagReport(QStringLiteral("kafka"), 6, 2, 3, kNow + tick * 5000, tick), kNow, 2, 3));
        QVERIFY(!log.entries.contains(QStringLiteral("reset")));
        QVERIFY(!log.entries.isEmpty());
        QVERIFY(selected.isValid());
        QVERIFY(view.selectionModel()->isSelected(selected));
        QVERIFY(view.isExpanded(group));
        QCOMPARE(selected.data(ConsumerLagTreeModel::GroupRole).toString(), QStringLiteral("consumer-0002"));

        // A group that goes away is removed, a new one inserted; the others stay where they are.
        log.entries.clear();
        auto report = std::make_shared<LagReport>(*test::makeLagReport(QStringLiteral("kafka"), 7, 2, 3, kNow, 3));
        report->groups.erase(report->groups.begin() + 5); // consumer-0005 left
        model.setSnapshot(test::makeLagSnapshot(report, kNow, 2, 3));
        QCOMPARE(model.groupCount(), 6);
        QVERIFY(log.entries.contains(QStringLiteral("remove 5-5")));
        QVERIFY(log.entries.contains(QStringLiteral("insert 5-5")));
        QVERIFY(!log.entries.contains(QStringLiteral("reset")));
        QVERIFY(view.selectionModel()->isSelected(selected));

        // A partition added to a topic arrives as one inserted row under it.
        log.entries.clear();
        auto grown = std::make_shared<LagReport>(*report);
        PartitionLag extra = grown->groups[0].partitions[0];
        extra.partition = 3;
        grown->groups[0].partitions.push_back(extra);
        model.setSnapshot(test::makeLagSnapshot(grown, kNow, 2, 3));
        QVERIFY(log.entries.contains(QStringLiteral("insert 3-3")));
        QVERIFY(!log.entries.contains(QStringLiteral("reset")));

        // An unreadable source: values kept, the status says STALE.
        auto stale = test::makeLagSnapshot(grown, kNow, 2, 3);
        stale->sources[0].up = false;
        stale->sources[0].severity = Severity::Stale;
        model.setSnapshot(stale);
        QCOMPARE(cell(model.index(0, 0), ConsumerLagTreeModel::StatusColumn), QStringLiteral("STALE"));
        QCOMPARE(cell(model.index(0, 0), ConsumerLagTreeModel::OffsetLagColumn), QStringLiteral("0 records"));

        model.setSnapshot(std::make_shared<Snapshot>());
        QCOMPARE(model.groupCount(), 0);
    }

    void sortsAndFiltersByGroupOrTopic()
    {
        ConsumerLagTreeModel model;
        ConsumerLagFilterModel proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(
            test::makeLagSnapshot(test::makeLagReport(QStringLiteral("kafka"), 10, 2, 2, kNow), kNow, 2, 2));
        proxy.sort(ConsumerLagTreeModel::StatusColumn, Qt::DescendingOrder);
        // STOPPED (CRIT) groups first, then WARN, then OK.
        QCOMPARE(proxy.index(0, ConsumerLagTreeModel::StatusColumn).data().toString(), QStringLiteral("STOPPED"));
        QCOMPARE(proxy.index(2, ConsumerLagTreeModel::StatusColumn).data().toString(), QStringLiteral("LAGGING"));
        proxy.sort(ConsumerLagTreeModel::OffsetLagColumn, Qt::AscendingOrder);
        QCOMPARE(proxy.index(0, ConsumerLagTreeModel::OffsetLagColumn).data().toString(), QStringLiteral("0 records"));

        QVERIFY(proxy.setPattern(QStringLiteral("^consumer-000[12]$")));
        QCOMPARE(proxy.rowCount(), 2);
        QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 2); // a matching group shows all its topics
        QVERIFY(proxy.setPattern(QStringLiteral("EVENTS")));
        QCOMPARE(proxy.rowCount(), 10); // every group reads events-1 ...
        QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 1); // ... and only that topic is shown under it
        QCOMPARE(proxy.rowCount(proxy.index(0, 0, proxy.index(0, 0))), 2);
        QVERIFY(!proxy.setPattern(QStringLiteral("orders(")));
        QCOMPARE(proxy.rowCount(), 10);
        QVERIFY(proxy.setPattern(QString()));
        QCOMPARE(proxy.rowCount(), 10);
    }

    void groupsFromSignalsWhenNoReport()
    {
        // A source that watches one group through labelled consumer_lag series.
        auto snap = test::snapshotOf({QStringLiteral("source/lag{group=agg,topic=orders,partition=0}=120:OK"),
            QStringLiteral("source/lag{group=agg,topic=orders,partition=1}=80:WARN")});
        auto copy = std::make_shared<Snapshot>(*snap);
        for (auto& s : copy->signalStates) {
            s.kind = SignalKind::ConsumerLag;
            s.sourceId = QStringLiteral("kafka");
        }
        ConsumerLagTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(copy);
        QCOMPARE(model.groupCount(), 1);
        const QModelIndex group = model.index(0, 0);
        QCOMPARE(group.data().toString(), QStringLiteral("agg"));
        QCOMPARE(cell(group, ConsumerLagTreeModel::OffsetLagColumn), QStringLiteral("200 records"));
        QCOMPARE(cell(group, ConsumerLagTreeModel::StatusColumn), QStringLiteral("WARN"));
        QCOMPARE(model.rowCount(model.index(0, 0, group)), 2);
    }

    void tenThousandPartitions()
    {
        // 1,000 groups × 10 partitions behind a sorted proxy and a shown view, as the page holds them. The tester
        // checks the whole tree after every signal, so it watches the fill and a change of groups; the timed
        // updates below run without it.
        ConsumerLagView page;
        ConsumerLagTreeModel& model = *page.model();
        auto tester = std::make_unique<QAbstractItemModelTester>(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1400, 800);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));

        auto report = test::makeLagReport(QStringLiteral("kafka"), 1001, 1, 10, kNow);
        auto withoutFirst = std::make_shared<LagReport>(*report);
        withoutFirst->groups.erase(withoutFirst->groups.begin());
        report = std::make_shared<LagReport>(*report);
        std::const_pointer_cast<LagReport>(report)->groups.pop_back();
        QElapsedTimer timer;
        timer.start();
        page.setSnapshot(test::makeLagSnapshot(report, kNow, 1, 10));
        QCoreApplication::processEvents();
        const qint64 firstMs = timer.elapsed();
        QCOMPARE(model.partitionCount(), 10'000);
        QCOMPARE(page.proxy()->rowCount(), 1000);
        // One group leaves, another arrives: one removal and one insertion, the tester content with both.
        test::ModelChangeLog log(&model);
        page.setSnapshot(test::makeLagSnapshot(withoutFirst, kNow, 1, 10));
        QCOMPARE(log.entries, QStringList({QStringLiteral("remove 0-0"), QStringLiteral("insert 999-999")}));
        QCOMPARE(model.partitionCount(), 10'000);
        tester.reset();

        page.view()->expand(page.proxy()->index(0, 0));
        page.view()->expand(page.proxy()->index(0, 0, page.proxy()->index(0, 0)));
        const QPersistentModelIndex expanded(page.proxy()->index(0, 0));
        log.entries.clear();
        qint64 worst = 0;
        qint64 total = 0;
        constexpr int kUpdates = 5;
        for (int tick = 1; tick <= kUpdates; ++tick) {
            auto snap = test::makeLagSnapshot(
                test::makeLagReport(QStringLiteral("kafka"), 1000, 1, 10, kNow + tick * 5000, tick), kNow, 1, 10);
            timer.restart();
            page.setSnapshot(snap);
            page.view()->repaint(); // the frame the user sees
            const qint64 ms = timer.elapsed();
            worst = std::max(worst, ms);
            total += ms;
        }
        QVERIFY(!log.entries.contains(QStringLiteral("reset")));
        QVERIFY(expanded.isValid());
        QVERIFY(page.view()->isExpanded(expanded));
        qInfo("consumer lag tree, 1,000 groups x 10 partitions on the GUI thread: first fill %lld ms, update %lld ms "
              "mean, %lld ms worst (model, sorted proxy and a repainted view)",
            firstMs, total / kUpdates, worst);
    }
};

QTEST_MAIN(TestConsumerLagTreeModel)
#include "tst_consumerlagtreemodel.moc"
