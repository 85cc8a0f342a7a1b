#include "instance/datadir.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

class TestDataDir : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createsItOwnerOnly()
    {
        QTemporaryDir parent;
        auto dir = DataDir::prepare(parent.filePath(QStringLiteral("a/b")));
        QVERIFY2(dir, qPrintable(dir ? QString() : dir.error().toString()));
        QVERIFY(QFileInfo(dir->path()).isDir());
        QCOMPARE(QFile::permissions(dir->path()) & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup),
            QFile::Permissions());
        QCOMPARE(dir->ledgerPath(), QDir(dir->path()).filePath(QStringLiteral("ledger.sqlite")));
        QCOMPARE(dir->embeddedConfigPath(), QDir(dir->path()).filePath(QStringLiteral("embedded-demo.yaml")));
        QVERIFY(QDir(dir->path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden).isEmpty());
    }

    void saysWhyItCannotBeUsed()
    {
        QTemporaryDir parent;
        const QString file = parent.filePath(QStringLiteral("plain-file"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        auto notDir = DataDir::prepare(file);
        QVERIFY(!notDir);
        QCOMPARE(notDir.error().code, Error::Code::Io);
        QVERIFY2(notDir.error().message.contains(QStringLiteral("it is a file, not a directory")),
            qPrintable(notDir.error().message));
        auto under = DataDir::prepare(file + QStringLiteral("/below"));
        QVERIFY(!under);
        QVERIFY2(
            under.error().message.contains(QStringLiteral("cannot be created")), qPrintable(under.error().message));
    }

    // Another process holding the lock is named; a lock left by a dead process is taken over.
    void oneInstancePerDir()
    {
        QTemporaryDir parent;
        auto dir = DataDir::prepare(parent.path());
        QVERIFY(dir);
        {
            auto first = dir->lockForInstance(QStringLiteral("pathwatch"));
            QVERIFY(first);
            auto second = dir->lockForInstance(QStringLiteral("pathwatch headless"));
            QVERIFY(!second);
            QCOMPARE(second.error().code, Error::Code::Io);
            QVERIFY2(second.error().message.contains(
                         QStringLiteral("locked by another Pathwatch (pid %1").arg(QCoreApplication::applicationPid())),
                qPrintable(second.error().message));
            QVERIFY2(second.error().hint.contains(QStringLiteral("start pathwatch headless with --data-dir DIR")),
                qPrintable(second.error().hint));
        }
        auto again = dir->lockForInstance(QStringLiteral("pathwatch"));
        QVERIFY(again);
        // A stale lock file of a process that no longer exists.
        again->reset();
        QFile stale(dir->filePath(QStringLiteral("pathwatch.lock")));
        QVERIFY(stale.open(QIODevice::WriteOnly));
        stale.write("999999\npathwatch\n" + QSysInfo::machineHostName().toUtf8() + "\n");
        stale.close();
        auto takenOver = dir->lockForInstance(QStringLiteral("pathwatch"));
        QVERIFY2(takenOver, qPrintable(takenOver ? QString() : takenOver.error().message));
    }
};

QTEST_GUILESS_MAIN(TestDataDir)
#include "tst_datadir.moc"
