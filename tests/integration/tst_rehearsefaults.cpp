// The fault kinds `tst_rehearse` does not cover, each rehearsed whole through `pathwatch rehearse`: detected on the
// stage that shows it, recovered from, and reconciled with 0 mismatched and 0 missing windows (exit 0). Partial writes
// are rehearsed here with the fault cleared before the recovery, the case that must reconcile.
#include "rehearserun.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestRehearseFaults : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void faultIsDetectedRecoveredAndReconciled_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QString>("detectedStage");
        QTest::newRow("slow-sink") << QStringLiteral("slow-sink") << QStringLiteral("sink");
        QTest::newRow("object-store-errors") << QStringLiteral("object-store-errors") << QString();
        QTest::newRow("pause-producer") << QStringLiteral("pause-producer") << QStringLiteral("source_log");
        QTest::newRow("partial-writes") << QStringLiteral("partial-writes") << QStringLiteral("serving");
    }

    void faultIsDetectedRecoveredAndReconciled()
    {
        QFETCH(QString, fault);
        QFETCH(QString, detectedStage);
        const pw::test::RehearseRun r = pw::test::rehearse(
            {QStringLiteral("--data-dir"), m_dir.filePath(fault), QStringLiteral("--fault"), fault});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("detected: stage ") + detectedStage), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("audit entry 1: executed-verified")), qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral(" 0 mismatched, 0 missing, 0 unexpected")), qPrintable(r.text()));
        const qsizetype bench = r.out.indexOf(QStringLiteral("BENCH name=rehearse_fault_to_reconciled"));
        QVERIFY2(bench >= 0, qPrintable(r.text()));
        qInfo().noquote() << r.out.mid(bench, r.out.indexOf(u'\n', bench) - bench);
    }

    // A rehearsal killed (SIGKILL) after its recovery was audited leaves its data dir behind: the next rehearsal on
    // that dir recovers it (lock, socket, broker log, ledger) instead of wiping it, and the first one's audit entry
    // is still there.
    void dataDirOfACrashedRehearsalIsRecovered()
    {
        const QString dataDir = m_dir.filePath(QStringLiteral("crashed"));
        QProcess crashed;
        crashed.setProcessChannelMode(QProcess::MergedChannels);
        crashed.start(QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch"),
            {QStringLiteral("rehearse"), QStringLiteral("--data-dir"), dataDir});
        QVERIFY(crashed.waitForStarted());
        QByteArray out;
        while (!out.contains("audit entry 1:") && crashed.state() == QProcess::Running) {
            crashed.waitForReadyRead(1000);
            out += crashed.readAll();
        }
        QVERIFY2(out.contains("audit entry 1:"), out.constData());
        crashed.kill();
        QVERIFY(crashed.waitForFinished(10000));

        const pw::test::RehearseRun r = pw::test::rehearse({QStringLiteral("--data-dir"), dataDir});
        QVERIFY2(r.exitCode == 0, qPrintable(r.text()));
        QVERIFY2(r.out.contains(QStringLiteral("audit entry 2: executed-verified")), qPrintable(r.text()));

        QProcess audit;
        audit.start(QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch"),
            {QStringLiteral("audit"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")});
        QVERIFY(audit.waitForFinished(30000));
        const QByteArray entries = audit.readAllStandardOutput();
        QVERIFY2(audit.exitCode() == 0, entries.constData());
        QVERIFY2(entries.count("\"executed-verified\"") >= 2, entries.constData());
    }
};

QTEST_GUILESS_MAIN(TestRehearseFaults)
#include "tst_rehearsefaults.moc"
