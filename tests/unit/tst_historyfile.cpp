#include "history/history.h"
#include "history/historyfile.h"
#include "model/seriesstore.h"

#include <QDataStream>
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

        // Older minutes come back whole: the same min, max and mean as before the restart, so a chart over the three
        // hours looks the same.
        const HistorySeries older = History::query(*after, HistoryRequest {again, kT0, kT0 + 3 * kHour});
        const HistorySeries olderWas = History::query(*before, HistoryRequest {id, kT0, kT0 + 3 * kHour});
        QCOMPARE(older.tier, HistoryTier::Minute);
        QVERIFY(older.points.size() >= 160);
        QCOMPARE(older.points.size(), olderWas.points.size());
        int spread = 0;
        for (std::size_t i = 0; i < older.points.size(); ++i) {
            QCOMPARE(older.points[i].timestampMs, olderWas.points[i].timestampMs);
            QCOMPARE(older.points[i].min, olderWas.points[i].min);
            QCOMPARE(older.points[i].max, olderWas.points[i].max);
            QVERIFY(std::abs(older.points[i].mean - olderWas.points[i].mean) < 1e-9);
            spread += older.points[i].max > older.points[i].min;
        }
        QVERIFY(spread > 100); // minutes of twelve different samples: min below max, not collapsed to the mean
        QCOMPARE(older.gaps.size(), olderWas.gaps.size());
    }

    void aFileOfTheFirstVersionIsStillRead()
    {
        // Version 1 kept one mean per minute before the raw hour, in one list with the raw points.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("history.bin"));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QDataStream out(&f);
            out.setVersion(QDataStream::Qt_6_4);
            out << quint32(0x50574831) << quint32(1) << quint32(1) << QStringLiteral("sink/p99") << quint32(0)
                << quint32(3);
            out << kT0 << 1.5 << kT0 + kMinute << 2.5 << kT0 + kMinute + 5000 << 3.5;
        }
        auto store = std::make_shared<SeriesStore>();
        const auto loaded = HistoryFile(path, store).load();
        QVERIFY(loaded);
        QCOMPARE(*loaded, 1);
        const SeriesId id = store->find(QStringLiteral("sink/p99"), {});
        QVERIFY(id != 0);
        QCOMPARE(store->latest(id)->value, 3.5);
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
