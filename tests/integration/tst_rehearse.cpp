// Reconciliation against the running demo, and whole rehearsals through `pathwatch rehearse`: a fault that is
// detected, recovered from and reconciled exits 0; a rehearsal with partial writes left on exits 6 and lists the
// windows the serving table lacks.
#include "demo/demopipeline.h"
#include "rehearserun.h"
#include "replay/reconcile.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace std::chrono_literals;

namespace {

using Run = pw::test::RehearseRun;
using pw::test::rehearse;

bool execOn(const QString& database, const QString& sql)
{
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
        db.setDatabaseName(database);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        ok = db.open() && QSqlQuery(db).exec(sql);
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
    return ok;
}

} // namespace

class TestRehearse : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void reconcilesTheRunningDemo()
    {
        pw::demo::DemoOptions options;
        options.dataDir = m_dir.filePath(QStringLiteral("demo")).toStdString();
        options.brokerPort = 0;
        options.restPort = 0;
        options.metricsPort = 0;
        options.history = 10min;
        options.eventsPerSecond = 50;
        options.checkpointInterval = 500ms;
        auto pipeline = pw::demo::DemoPipeline::start(options);
        QVERIFY2(pipeline.has_value(), qPrintable(pipeline ? QString() : pipeline.error().toString()));
        const auto& endpoints = (*pipeline)->endpoints();
        const QString database = QString::fromStdString(endpoints.servingDatabase.string());
        const std::int64_t nowMinute = QDateTime::currentSecsSinceEpoch() / 60 * 60;
        // History minutes close at once (event time is far behind): wait until they are served.
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            auto newest = pw::newestServingMinute(database);
            if (newest && *newest >= nowMinute - 120)
                break;
            QTest::qWait(250);
        }
        const std::int64_t from = nowMinute - 8 * 60;
        const std::int64_t to = nowMinute - 60;
        auto report = pw::reconcileServingTable(QString::fromStdString(endpoints.bootstrapServers),
            QString::fromStdString(endpoints.topic), database, from, to);
        QVERIFY2(report.has_value(), qPrintable(report ? QString() : report.error().toString()));
        QVERIFY2(report->clean(), qPrintable(report->toText()));
        QVERIFY2(report->matched >= 7 * 16, qPrintable(report->toText()));
        QVERIFY(report->recordsRead >= 7 * 60 * 5 - 10);

        // A wrong count and a lost row are both found, each named.
        QVERIFY(execOn(database,
            QStringLiteral("UPDATE aggregates SET events = events + 1 WHERE minute_ts = %1 AND key = 'k3'").arg(from)));
        QVERIFY(execOn(
            database, QStringLiteral("DELETE FROM aggregates WHERE minute_ts = %1 AND key = 'k5'").arg(from + 60)));
        auto tampered = pw::reconcileServingTable(QString::fromStdString(endpoints.bootstrapServers),
            QString::fromStdString(endpoints.topic), database, from, to);
        QVERIFY(tampered.has_value());
        QCOMPARE(tampered->mismatched.size(), std::size_t(1));
        QCOMPARE(tampered->mismatched[0].window, pw::WindowId(from, QStringLiteral("k3")));
        QCOMPARE(tampered->mismatched[0].found.events, tampered->mismatched[0].expected.events + 1);
        QCOMPARE(tampered->missing.size(), std::size_t(1));
        QCOMPARE(tampered->missing[0].window, pw::WindowId(from + 60, QStringLiteral("k5")));
        QCOMPARE(tampered->matched, report->matched - 2);
    }

    void stopJobRehearsalReconciles()
    {
        const QString reportFile = m_dir.filePath(QStringLiteral("stop-job.md"));
        const Run r = rehearse({QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("stop-job")),
            QStringLiteral("--fault"), QStringLiteral("stop-job"), QStringLiteral("--report"), reportFile});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("detected: stage compute is CRIT")), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("audit entry 1: executed-verified")), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral(" 0 mismatched, 0 missing, 0 unexpected")), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("BENCH name=rehearse_fault_to_reconciled ours=")), qPrintable(r.text()));
        QFile report(reportFile);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QString md = QString::fromUtf8(report.readAll());
        for (const char* section : {"## Timeline", "## Plan", "## Audit entry 1", "## Reconciliation"})
            QVERIFY2(md.contains(QLatin1String(section)), qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("\"started_from\": \"the group's committed offsets\"")));
    }

    void corruptCheckpointFallsBackAndReconciles()
    {
        const Run r = rehearse({QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("corrupt")),
            QStringLiteral("--fault"), QStringLiteral("corrupt-checkpoint")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("detected: stage compute is")), qPrintable(r.text()));
        // The job restored the checkpoint before the damaged one.
        QVERIFY2(r.err.contains(QStringLiteral("the demo job skips a damaged checkpoint")), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral(" 0 mismatched, 0 missing, 0 unexpected")), qPrintable(r.text()));
    }

    void partialWritesLeftOnFailsAndListsTheWindows()
    {
        const Run r = rehearse({QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("partial")),
            QStringLiteral("--fault"), QStringLiteral("partial-writes"), QStringLiteral("--keep-fault-on")});
        QVERIFY2(r.exitCode == 6, qPrintable(r.text()));
        // Seen through the completeness signal: the serving table is short of what the sink's manifest committed.
        QVERIFY2(r.out.contains(QStringLiteral("detected: stage serving is")), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("  missing ")), qPrintable(r.text()));
        QVERIFY2(
            r.out.contains(QStringLiteral("rehearsal FAILED: the serving table is not right")), qPrintable(r.text()));
    }
};

QTEST_GUILESS_MAIN(TestRehearse)
#include "tst_rehearse.moc"
