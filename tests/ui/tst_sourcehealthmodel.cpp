#include "modeltestutils.h"
#include "sourcehealthmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace pw;
using namespace Qt::StringLiterals;

namespace {
SourceHealth source(
    const QString& id, bool up, quint64 polls, quint64 failures, const QString& error = {}, qint64 lastSuccessMs = 0)
{
    SourceHealth s;
    s.sourceId = id;
    s.kind = u"promql"_s;
    s.endpoint = u"http://127.0.0.1:9090"_s;
    s.up = up;
    s.severity = up ? Severity::Ok : (lastSuccessMs > 0 ? Severity::Stale : Severity::Unknown);
    s.polls = polls;
    s.failures = failures;
    s.error = error;
    s.lastSuccessMs = lastSuccessMs;
    return s;
}

SnapshotPtr snapshotWith(std::vector<SourceHealth> sources)
{
    auto snap = std::make_shared<Snapshot>();
    snap->sources = std::move(sources);
    return snap;
}
} // namespace

class TestSourceHealthModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsHealth()
    {
        SourceHealthModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setClock([] { return qint64(600'000); });
        model.setSnapshot(snapshotWith({source(u"prom"_s, true, 12345, 0, {}, 590'000),
            source(u"db"_s, false, 40, 3, u"db: timeout after 5 s"_s, 480'000),
            source(u"new"_s, false, 1, 1, u"new: connection refused"_s)}));
        QCOMPARE(model.rowCount(), 3);
        auto cell = [&](int r, int c) { return model.index(r, c).data().toString(); };
        QCOMPARE(cell(0, SourceHealthModel::SourceColumn), u"prom"_s);
        QCOMPARE(cell(0, SourceHealthModel::KindColumn), u"promql"_s);
        QCOMPARE(cell(0, SourceHealthModel::EndpointColumn), u"http://127.0.0.1:9090"_s);
        QCOMPARE(cell(0, SourceHealthModel::StatusColumn), u"UP"_s);
        QCOMPARE(cell(0, SourceHealthModel::LastSuccessColumn), u"10 s ago"_s);
        QCOMPARE(cell(0, SourceHealthModel::PollsColumn), u"12,345"_s);
        QCOMPARE(cell(0, SourceHealthModel::FailuresColumn), u"0"_s);
        QCOMPARE(cell(0, SourceHealthModel::ErrorColumn), QString());
        QCOMPARE(model.index(0, 0).data(SourceHealthModel::SeverityRole).toInt(), int(Severity::Ok));

        QCOMPARE(cell(1, SourceHealthModel::StatusColumn), u"STALE"_s);
        QCOMPARE(cell(1, SourceHealthModel::LastSuccessColumn), u"2 min ago"_s);
        QCOMPARE(cell(1, SourceHealthModel::FailuresColumn), u"3"_s);
        QCOMPARE(cell(1, SourceHealthModel::ErrorColumn), u"db: timeout after 5 s"_s);
        QCOMPARE(model.index(1, 0).data(SourceHealthModel::SeverityRole).toInt(), int(Severity::Stale));

        // Never read successfully: UNKNOWN, "never".
        QCOMPARE(cell(2, SourceHealthModel::StatusColumn), u"UNKNOWN"_s);
        QCOMPARE(cell(2, SourceHealthModel::LastSuccessColumn), u"never"_s);
    }

    void updatesInPlace()
    {
        SourceHealthModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(snapshotWith({source(u"a"_s, true, 1, 0), source(u"b"_s, true, 1, 0)}));
        test::ModelChangeLog log(&model);

        model.setSnapshot(snapshotWith({source(u"a"_s, true, 1, 0), source(u"b"_s, false, 2, 1, u"b: HTTP 500"_s, 1)}));
        QCOMPARE(log.entries, QStringList {u"change 1-1"_s});
        QCOMPARE(model.index(1, SourceHealthModel::StatusColumn).data().toString(), u"STALE"_s);

        log.entries.clear();
        model.setSnapshot(snapshotWith({source(u"b"_s, true, 3, 1), source(u"c"_s, true, 1, 0)}));
        // "a" goes, "b" moves up and changes (now first in the snapshot), "c" is appended.
        QCOMPARE(log.entries, (QStringList {u"remove 0-0"_s, u"change 0-0"_s, u"insert 1-1"_s}));
        QCOMPARE(test::columnDump(model, SourceHealthModel::SourceColumn), (QStringList {u"b"_s, u"c"_s}));
        QVERIFY(!log.entries.contains(u"reset"_s));
    }
};

QTEST_MAIN(TestSourceHealthModel)
#include "tst_sourcehealthmodel.moc"
