// The demo job's checkpoint and savepoint files: what is written reads back the same, damage of any kind is
// detected, the store keeps the newest two and restores from the newest intact one.
#include "demo/jobcheckpoint.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace pw::demo;
namespace fs = std::filesystem;

namespace {

JobSnapshot sample(std::int64_t id)
{
    JobSnapshot s;
    s.checkpointId = id;
    s.jobId = QStringLiteral("5e1f0a2b3c4d5e6f708192a3b4c5d6e7");
    s.watermarkMs = 1'790'000'058'000;
    s.open[{1'790'000'040, "k1"}] = {3, 4.5};
    s.open[{1'790'000'040, "k2"}] = {1, 0.25};
    s.emitted[{1'789'999'980, "k1"}] = {7, 70};
    s.offsets = {{"events", 0, 100 + id}, {"events", 1, 42}};
    s.lateRecordsDropped = 2;
    return s;
}

QByteArray readAll(const fs::path& file)
{
    QFile in(QString::fromStdString(file.string()));
    return in.open(QIODevice::ReadOnly) ? in.readAll() : QByteArray();
}

void overwrite(const fs::path& file, const QByteArray& bytes)
{
    QFile out(QString::fromStdString(file.string()));
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(bytes);
}

} // namespace

class TestJobCheckpoint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip()
    {
        const JobSnapshot s = sample(5);
        const QByteArray bytes = encodeSnapshot(s);
        QVERIFY(bytes.startsWith("pathwatch-demo-checkpoint 1 sha256="));
        auto back = decodeSnapshot(bytes);
        QVERIFY2(back, back ? "" : qPrintable(back.error().message));
        QVERIFY(*back == s);
    }

    void damageIsDetected_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("flipped byte") << 0;
        QTest::newRow("truncated") << 1;
        QTest::newRow("empty") << 2;
        QTest::newRow("no header") << 3;
        QTest::newRow("appended") << 4;
    }

    void damageIsDetected()
    {
        QFETCH(int, kind);
        QByteArray bytes = encodeSnapshot(sample(5));
        switch (kind) {
        case 0:
            bytes[bytes.size() - 10] = char(bytes[bytes.size() - 10] ^ 0x01);
            break;
        case 1:
            bytes.chop(7);
            break;
        case 2:
            bytes.clear();
            break;
        case 3:
            bytes = bytes.mid(bytes.indexOf('\n') + 1);
            break;
        default:
            bytes += "x";
        }
        auto decoded = decodeSnapshot(bytes);
        QVERIFY(!decoded);
        QCOMPARE(decoded.error().code, pw::Error::Code::Parse);
    }

    void storeKeepsTheNewestTwoAndFallsBack()
    {
        QTemporaryDir dir;
        CheckpointStore store(fs::path(dir.path().toStdString()) / "job");
        QVERIFY(!store.latest());
        for (std::int64_t id : {3, 4, 9, 10})
            QVERIFY(store.write(sample(id)));
        auto files = store.files();
        QCOMPARE(files.size(), size_t(2));
        QCOMPARE(QString::fromStdString(files[0].filename().string()), QStringLiteral("chk-10.json"));
        QCOMPARE(QString::fromStdString(files[1].filename().string()), QStringLiteral("chk-9.json"));
        QCOMPARE(store.latest()->snapshot.checkpointId, 10);
        QVERIFY(store.latest()->skipped.isEmpty());

        // The newest is damaged: the one before restores, and the damaged one is named.
        QByteArray bytes = readAll(files[0]);
        bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x20);
        overwrite(files[0], bytes);
        auto restored = store.latest();
        QVERIFY(restored);
        QVERIFY(restored->snapshot == sample(9));
        QCOMPARE(restored->file, files[1]);
        QCOMPARE(restored->skipped.size(), 1);
        QVERIFY2(
            restored->skipped.front().contains(QStringLiteral("chk-10.json")), qPrintable(restored->skipped.front()));

        // Both damaged: nothing to restore. The next good write is what restores, and the damaged ones age out.
        overwrite(files[1], "garbage");
        QVERIFY(!store.latest());
        QVERIFY(store.write(sample(11)));
        QCOMPARE(store.latest()->snapshot.checkpointId, 11);
        QCOMPARE(store.files().size(), size_t(2));
        // No temporary file is left behind.
        QCOMPARE(QDir(dir.path() + QStringLiteral("/job")).entryList(QDir::Files | QDir::Hidden).size(), 2);
    }

    void savepointLocations()
    {
        QTemporaryDir dir;
        JobSnapshot s = sample(12);
        s.savepoint = true;
        auto location = writeSavepoint(dir.path().toStdString(), s);
        QVERIFY2(location, location ? "" : qPrintable(location.error().message));
        QVERIFY2(location->startsWith(QStringLiteral("file:") + dir.path() + QStringLiteral("/savepoint-5e1f0a-")),
            qPrintable(*location));
        QCOMPARE(location->size(),
            QString(QStringLiteral("file:") + dir.path() + QStringLiteral("/savepoint-5e1f0a-")).size() + 12);
        const QString path = location->mid(5);
        for (const QString& form :
            QStringList {*location, path, path + QStringLiteral("/_metadata"), QStringLiteral("file://") + path}) {
            auto read = readSavepoint(form);
            QVERIFY2(read, read ? "" : qPrintable(form + QLatin1Char(' ') + read.error().message));
            QVERIFY(*read == s);
        }
        auto missing = readSavepoint(dir.path() + QStringLiteral("/none"));
        QCOMPARE(missing.error().code, pw::Error::Code::NotFound);
        overwrite(QString(path + QStringLiteral("/_metadata")).toStdString(),
            "pathwatch-demo-checkpoint 1 sha256=00 bytes=2\n{}");
        auto damaged = readSavepoint(*location);
        QCOMPARE(damaged.error().code, pw::Error::Code::Parse);
        QVERIFY(damaged.error().message.contains(QStringLiteral("damaged")));
    }
};

QTEST_GUILESS_MAIN(TestJobCheckpoint)
#include "tst_jobcheckpoint.moc"
