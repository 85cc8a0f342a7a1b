#include "modeltestutils.h"
#include "signaltablemodel.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace pw;
using namespace Qt::StringLiterals;

class TestSignalTableModel : public QObject
{
    Q_OBJECT

private:
    static QStringList keys(const SignalTableModel& model)
    {
        QStringList out;
        for (int r = 0; r < model.rowCount(); ++r) {
            const QModelIndex i = model.index(r, SignalTableModel::SignalColumn);
            const QString labels = model.index(r, SignalTableModel::LabelsColumn).data().toString();
            out << i.data(SignalTableModel::SignalIdRole).toString()
                    + (labels.isEmpty() ? QString() : u"{"_s + labels + u"}"_s);
        }
        return out;
    }

private Q_SLOTS:
    // Rows that stay also change when their position in the snapshot (the path-order sort key) moves.
    void diff_data()
    {
        QTest::addColumn<QStringList>("before");
        QTest::addColumn<QStringList>("after");
        QTest::addColumn<QStringList>("expectedLog");
        QTest::addColumn<QStringList>("expectedRows");

        const QStringList abc {u"s/a=1"_s, u"s/b=2"_s, u"s/c=3"_s};
        QTest::newRow("unchanged") << abc << abc << QStringList {} << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s};
        QTest::newRow("one value") << abc << QStringList {u"s/a=1"_s, u"s/b=5"_s, u"s/c=3"_s}
                                   << QStringList {u"change 1-1"_s} << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s};
        QTest::newRow("adjacent changes are one range")
            << QStringList {u"s/a=1"_s, u"s/b=2"_s, u"s/c=3"_s, u"s/d=4"_s}
            << QStringList {u"s/a=1"_s, u"s/b=7"_s, u"s/c=8"_s, u"s/d=4"_s} << QStringList {u"change 1-2"_s}
            << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s, u"s/d"_s};
        QTest::newRow("separate changes")
            << abc << QStringList {u"s/a=9"_s, u"s/b=2"_s, u"s/c=9"_s} << QStringList {u"change 0-0"_s, u"change 2-2"_s}
            << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s};
        QTest::newRow("severity only") << abc << QStringList {u"s/a=1"_s, u"s/b=2:WARN"_s, u"s/c=3"_s}
                                       << QStringList {u"change 1-1"_s} << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s};
        QTest::newRow("remove middle") << abc << QStringList {u"s/a=1"_s, u"s/c=3"_s}
                                       << QStringList {u"remove 1-1"_s, u"change 1-1"_s}
                                       << QStringList {u"s/a"_s, u"s/c"_s};
        QTest::newRow("remove two runs from the back")
            << QStringList {u"s/a=1"_s, u"s/b=2"_s, u"s/c=3"_s, u"s/d=4"_s, u"s/e=5"_s}
            << QStringList {u"s/a=1"_s, u"s/c=3"_s, u"s/e=5"_s}
            << QStringList {u"remove 3-3"_s, u"remove 1-1"_s, u"change 1-2"_s}
            << QStringList {u"s/a"_s, u"s/c"_s, u"s/e"_s};
        QTest::newRow("remove one run") << QStringList {u"s/a=1"_s, u"s/b=2"_s, u"s/c=3"_s, u"s/d=4"_s}
                                        << QStringList {u"s/a=1"_s, u"s/d=4"_s}
                                        << QStringList {u"remove 1-2"_s, u"change 1-1"_s}
                                        << QStringList {u"s/a"_s, u"s/d"_s};
        QTest::newRow("append") << QStringList {u"s/a=1"_s} << abc << QStringList {u"insert 1-2"_s}
                                << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s};
        QTest::newRow("new row in the middle goes to the end; order role moves")
            << QStringList {u"s/a=1"_s, u"s/c=3"_s} << abc << QStringList {u"change 1-1"_s, u"insert 2-2"_s}
            << QStringList {u"s/a"_s, u"s/c"_s, u"s/b"_s};
        QTest::newRow("labels tell series apart")
            << QStringList {u"k/lag{p=0}=1"_s, u"k/lag{p=1}=2"_s} << QStringList {u"k/lag{p=1}=2"_s, u"k/lag{p=2}=3"_s}
            << QStringList {u"remove 0-0"_s, u"change 0-0"_s, u"insert 1-1"_s}
            << QStringList {u"k/lag{p=1}"_s, u"k/lag{p=2}"_s};
        QTest::newRow("to empty") << abc << QStringList {} << QStringList {u"remove 0-2"_s} << QStringList {};
        QTest::newRow("from empty") << QStringList {} << abc << QStringList {u"insert 0-2"_s}
                                    << QStringList {u"s/a"_s, u"s/b"_s, u"s/c"_s};
        QTest::newRow("duplicate keys dropped") << QStringList {} << QStringList {u"s/a=1"_s, u"s/a=2"_s, u"s/b=3"_s}
                                                << QStringList {u"insert 0-1"_s} << QStringList {u"s/a"_s, u"s/b"_s};
    }

    void diff()
    {
        QFETCH(QStringList, before);
        QFETCH(QStringList, after);
        QFETCH(QStringList, expectedLog);
        QFETCH(QStringList, expectedRows);

        SignalTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setClock([] { return qint64(0); });
        model.setSnapshot(test::snapshotOf(before));
        test::ModelChangeLog log(&model);
        model.setSnapshot(test::snapshotOf(after));
        QCOMPARE(log.entries, expectedLog);
        QCOMPARE(keys(model), expectedRows);

        // Applying the same snapshot again is silent.
        log.entries.clear();
        model.setSnapshot(test::snapshotOf(after));
        QCOMPARE(log.entries, QStringList {});
    }

    // 10,000 partitions (a large consumer group): a poll that changes every value is one dataChanged, never a reset,
    // and a new partition is one insert.
    void largeSnapshotUpdatesInPlace()
    {
        auto build = [](int partitions, double offset) {
            auto snap = std::make_shared<Snapshot>();
            StageState stage;
            stage.stageId = u"source"_s;
            snap->stages.push_back(stage);
            for (int p = 0; p < partitions; ++p) {
                SignalState s;
                s.signalId = u"source/consumer_lag"_s;
                s.stageId = u"source"_s;
                s.name = u"consumer_lag"_s;
                s.labels = {{u"partition"_s, QString::number(p)}, {u"topic"_s, u"orders"_s}};
                s.hasValue = true;
                s.value = p + offset;
                s.severity = Severity::Ok;
                snap->signalStates.push_back(std::move(s));
            }
            return snap;
        };
        SignalTableModel model;
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(SignalTableModel::SortRole);
        proxy.sort(SignalTableModel::StageColumn);
        QElapsedTimer timer;
        timer.start();
        model.setSnapshot(build(10'000, 0));
        const qint64 firstMs = timer.restart();
        test::ModelChangeLog log(&model);
        model.setSnapshot(build(10'000, 1));
        const qint64 updateMs = timer.restart();
        QCOMPARE(log.entries, QStringList {u"change 0-9999"_s});
        log.entries.clear();
        model.setSnapshot(build(10'001, 1));
        QCOMPARE(log.entries, QStringList {u"insert 10000-10000"_s});
        QCOMPARE(proxy.rowCount(), 10'001);
        qInfo("10,000 series: first fill %lld ms, full update %lld ms (with a sorting proxy)", firstMs, updateMs);
    }

    void displayValues()
    {
        SignalTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 t0 = 1'000'000;
        model.setClock([&] { return t0 + 75'000; });
        model.setSnapshot(
            test::snapshotOf({u"sink/p99{quantile=0.99,job=x}=7.25:CRIT"_s, u"serve/fresh:UNKNOWN"_s}, t0));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(SignalTableModel::NUM_COLUMNS));
        auto cell = [&](int r, int c) { return model.index(r, c).data().toString(); };
        QCOMPARE(cell(0, SignalTableModel::StageColumn), u"SINK"_s);
        QCOMPARE(cell(0, SignalTableModel::SignalColumn), u"p99"_s);
        QCOMPARE(cell(0, SignalTableModel::LabelsColumn), u"job=x, quantile=0.99"_s);
        QCOMPARE(cell(0, SignalTableModel::ValueColumn), u"7.25 s"_s);
        QCOMPARE(cell(0, SignalTableModel::StatusColumn), u"CRIT"_s);
        QCOMPARE(cell(0, SignalTableModel::AgeColumn), u"75 s ago"_s);
        QCOMPARE(model.index(0, 0).data(SignalTableModel::SeverityRole).toInt(), int(Severity::Crit));
        // No value yet: a dash, never a zero.
        QCOMPARE(cell(1, SignalTableModel::ValueColumn), u"—"_s);
        QCOMPARE(cell(1, SignalTableModel::AgeColumn), u"—"_s);
        QCOMPARE(cell(1, SignalTableModel::StatusColumn), u"UNKNOWN"_s);
    }

    void agesRefreshOnlyTheAgeColumn()
    {
        SignalTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        qint64 now = 5000;
        model.setClock([&] { return now; });
        model.setSnapshot(test::snapshotOf({u"s/a=1"_s, u"s/b=2"_s}, 0));
        QCOMPARE(model.index(1, SignalTableModel::AgeColumn).data().toString(), u"5 s ago"_s);
        test::ModelChangeLog log(&model);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        now = 3 * 3600 * 1000;
        model.refreshAges();
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex(), model.index(0, SignalTableModel::AgeColumn));
        QCOMPARE(changed.at(0).at(1).toModelIndex(), model.index(1, SignalTableModel::AgeColumn));
        QCOMPARE(model.index(1, SignalTableModel::AgeColumn).data().toString(), u"3 h ago"_s);
    }

    void sortsNumbersAsNumbersAndStagesInPathOrder()
    {
        SignalTableModel model;
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(SignalTableModel::SortRole);
        model.setSnapshot(test::snapshotOf({u"z/a=9"_s, u"b/b=10"_s, u"m/c=100"_s}));
        proxy.sort(SignalTableModel::ValueColumn, Qt::AscendingOrder);
        QCOMPARE(test::columnDump(proxy, SignalTableModel::SignalColumn), (QStringList {u"a"_s, u"b"_s, u"c"_s}));
        proxy.sort(SignalTableModel::StageColumn, Qt::AscendingOrder);
        QCOMPARE(test::columnDump(proxy, SignalTableModel::StageColumn), (QStringList {u"Z"_s, u"B"_s, u"M"_s}));
        proxy.sort(SignalTableModel::StatusColumn, Qt::DescendingOrder);
        model.setSnapshot(test::snapshotOf({u"z/a=9:WARN"_s, u"b/b=10:CRIT"_s, u"m/c=100:STALE"_s}));
        QCOMPARE(
            test::columnDump(proxy, SignalTableModel::StatusColumn), (QStringList {u"CRIT"_s, u"STALE"_s, u"WARN"_s}));
    }
};

QTEST_MAIN(TestSignalTableModel)
#include "tst_signaltablemodel.moc"
