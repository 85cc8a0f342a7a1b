#include "history/history.h"
#include "history/historyfile.h"
#include "model/seriesstore.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace pw;

namespace {
constexpr qint64 kMinute = 60'000;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kT0 = 1'790'000'000'000 - 1'790'000'000'000 % kHour;
} // namespace

class TestHistoryFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void historySurvivesARestart()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("history.bin"));
        auto before = std::make_shared<SeriesStore>();
        const Labels labels {{QStringLiteral("partition"), QStringLiteral("3")}};
        const SeriesId id = before->intern(QStringLiteral("source/lag"), labels);
        // Three hours at a 5 s poll, with a STALE quarter hour in the last hour.
        for (qint64 t = kT0; t < kT0 + 3 * kHour; t += 5000) {
            const bool stale = t >= kT0 + 150 * kMinute && t < kT0 + 165 * kMinute;
            before->append(id, t, stale ? std::numeric_limits<double>::quiet_NaN() : double((t - kT0) / 5000 % 100));
        }
        QVERIFY(HistoryFile(path, before).save());

        auto after = std::make_shared<SeriesStore>();
        HistoryFile file(path, after);
        const auto loaded = file.load();
        QVERIFY(loaded);
        QCOMPARE(*loaded, 1);
        const SeriesId again = after->find(QStringLiteral("source/lag"), labels);
        QVERIFY(again != 0);

        // The raw hour comes back exactly, its gap too.
        const HistoryRequest lastHour {0, kT0 + 2 * kHour, kT0 + 3 * kHour};
        HistoryRequest was = lastHour;
        was.id = id;
        HistoryRequest is = lastHour;
        is.id = again;
        const HistorySeries a = History::query(*before, was);
        const HistorySeries b = History::query(*after, is);
        QCOMPARE(b.points.size(), a.points.size());
        QCOMPARE(b.points.back().mean, a.points.back().mean);
        QCOMPARE(b.gaps.size(), std::size_t(1));
        QCOMPARE(b.gaps[0].fromMs, kT0 + 150 * kMinute);

        // Older minutes keep one value each.
        const HistorySeries older = History::query(*after, HistoryRequest {again, kT0, kT0 + 3 * kHour});
        QCOMPARE(older.tier, HistoryTier::Minute);
        QVERIFY(older.points.size() >= 160);
    }

    void aMissingFileIsAnEmptyHistoryAndAForeignOneIsRefused()
    {
        QTemporaryDir dir;
        auto store = std::make_shared<SeriesStore>();
        const auto none = HistoryFile(dir.filePath(QStringLiteral("none.bin")), store).load();
        QVERIFY(none);
        QCOMPARE(*none, 0);
        QFile junk(dir.filePath(QStringLiteral("junk.bin")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a history file");
        junk.close();
        const auto refused = HistoryFile(junk.fileName(), store).load();
        QVERIFY(!refused);
        QCOMPARE(store->seriesCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestHistoryFile)
#include "tst_historyfile.moc"
