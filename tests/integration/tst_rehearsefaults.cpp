// The fault kinds `tst_rehearse` does not cover, each rehearsed whole through `pathwatch rehearse`: detected on the
// stage that shows it, recovered from, and reconciled with 0 mismatched and 0 missing windows (exit 0). Partial writes
// are rehearsed here with the fault cleared before the recovery, the case that must reconcile.
#include "rehearserun.h"

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
};

QTEST_GUILESS_MAIN(TestRehearseFaults)
#include "tst_rehearsefaults.moc"
