#include "history/history.h"
#include "history/historyservice.h"
#include "model/seriesstore.h"

#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <limits>

using namespace pw;

namespace {

constexpr qint64 kSecond = 1000;
constexpr qint64 kMinute = 60 * kSecond;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kT0 = 1'790'000'000'000 - 1'790'000'000'000 % kHour; // synthetic, hour-aligned
const double kNaN = std::numeric_limits<double>::quiet_NaN();

} // namespace

class TestHistory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tierFollowsSpan_data()
    {
        QTest::addColumn<qint64>("span");
        QTest::addColumn<int>("tier");
        QTest::addRow("15 min") << 15 * kMinute << int(HistoryTier::Raw);
        QTest::addRow("1 h") << kHour << int(HistoryTier::Raw);
        QTest::addRow("6 h") << 6 * kHour << int(HistoryTier::Minute);
        QTest::addRow("24 h") << 24 * kHour << int(HistoryTier::Minute);
        QTest::addRow("7 d") << 7 * 24 * kHour << int(HistoryTier::Hour);
    }

    void tierFollowsSpan()
    {
        QFETCH(qint64, span);
        QFETCH(int, tier);
        QCOMPARE(int(History::tierForSpan(span)), tier);
    }

    void staleMarksBecomeGapsAndAreNotDrawn()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("sink/p99"), {});
        for (int i = 0; i < 10; ++i)
            store.append(id, kT0 + i * 5 * kSecond, 1.0 + i);
        store.append(id, kT0 + 50 * kSecond, kNaN); // STALE from here
        store.append(id, kT0 + 55 * kSecond, kNaN);
        for (int i = 12; i < 20; ++i)
            store.append(id, kT0 + i * 5 * kSecond, 2.0);

        const HistorySeries h = History::query(store, HistoryRequest {id, kT0, kT0 + 15 * kMinute});
        QCOMPARE(h.tier, HistoryTier::Raw);
        QCOMPARE(h.points.size(), std::size_t(18));
        for (const auto& p : h.points)
            QVERIFY(std::isfinite(p.mean));
        QCOMPARE(h.gaps.size(), std::size_t(1));
        QCOMPARE(h.gaps[0].fromMs, kT0 + 50 * kSecond);
        QCOMPARE(h.gaps[0].toMs, kT0 + 60 * kSecond);
    }

    void silenceIsAGap()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("a/b"), {});
        for (int i = 0; i < 20; ++i)
            store.append(id, kT0 + i * 5 * kSecond, 1.0);
        for (int i = 0; i < 20; ++i) // Pathwatch was down for 10 minutes
            store.append(id, kT0 + 700 * kSecond + i * 5 * kSecond, 1.0);
        const HistorySeries h = History::query(store, HistoryRequest {id, kT0, kT0 + 30 * kMinute});
        QCOMPARE(h.gaps.size(), std::size_t(1));
        QCOMPARE(h.gaps[0].fromMs, kT0 + 95 * kSecond);
        QCOMPARE(h.gaps[0].toMs, kT0 + 700 * kSecond);
    }

    void longSpansReadBucketsAndRollUpHours()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("a/b"), {});
        // 6 h at one sample a minute; values 0..359
        for (int i = 0; i < 360; ++i)
            store.append(id, kT0 + i * kMinute, double(i));
        const qint64 end = kT0 + 6 * kHour;

        const HistorySeries minute = History::query(store, HistoryRequest {id, end - 6 * kHour, end});
        QCOMPARE(minute.tier, HistoryTier::Minute);
        QCOMPARE(minute.points.size(), std::size_t(360));

        const HistorySeries hour = History::query(store, HistoryRequest {id, end - 7 * 24 * kHour, end});
        QCOMPARE(hour.tier, HistoryTier::Hour);
        QCOMPARE(hour.points.size(), std::size_t(6));
        QCOMPARE(hour.points[1].timestampMs, kT0 + kHour);
        QCOMPARE(hour.points[1].min, 60.0);
        QCOMPARE(hour.points[1].max, 119.0);
        QCOMPARE(hour.points[1].mean, 89.5);
    }

    void decimationKeepsTheExtremesOfEachColumn()
    {
        std::vector<HistoryPoint> points;
        for (int i = 0; i < 10'000; ++i) {
            const double v = i == 4321 ? 1000.0 : (i == 7777 ? -50.0 : std::sin(i / 100.0));
            points.push_back(HistoryPoint {kT0 + i * kSecond, v, v, v});
        }
        const auto out = History::decimate(points, kT0, kT0 + 10'000 * kSecond, 100);
        QVERIFY(out.size() <= 200);
        QVERIFY(out.size() >= 100);
        double highest = -1e9, lowest = 1e9;
        for (std::size_t i = 0; i < out.size(); ++i) {
            highest = std::max(highest, out[i].max);
            lowest = std::min(lowest, out[i].min);
            if (i > 0)
                QVERIFY(out[i].timestampMs >= out[i - 1].timestampMs);
        }
        QCOMPARE(highest, 1000.0);
        QCOMPARE(lowest, -50.0);
    }

    // A chart of a dense series reads whole chunks as digests where a chunk lies in one column; what it draws must be
    // what decimating every point gives: the same extremes at the same instants, the same gaps (NaN runs, a silence
    // inside a digested chunk, two silences in one chunk), asked once and again (digests kept).
    void digestedChunksDrawWhatEveryPointDraws()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("dense"), {});
        qint64 t = kT0;
        for (int i = 0; i < 200'000; ++i) {
            t += 10;
            if (i == 50'010)
                t += 200; // one silence inside a chunk
            if (i == 90'005 || i == 90'050)
                t += 300; // two silences inside one chunk
            double v = 100.0 + 50.0 * std::sin(i / 700.0) + double(i % 13);
            if (i >= 120'000 && i < 120'500)
                v = kNaN; // STALE for a while
            store.append(id, t, v);
        }
        const qint64 from = kT0 + 5 * kSecond;
        const qint64 to = t - 3 * kSecond;
        constexpr int kColumns = 1000;
        const HistorySeries every = History::query(store, HistoryRequest {id, from, to, 0});
        const std::vector<HistoryPoint> expected = History::decimate(every.points, from, to, kColumns);
        SeriesRange read;
        store.rangeForColumnsInto(read, id, ColumnGrid {from, to, kColumns});
        QVERIFY2(read.digests.size() > 500, "most chunks lie inside one column");
        QVERIFY(read.points.size() < every.points.size() * 3 / 4);
        for (int round = 0; round < 2; ++round) {
            const HistorySeries drawn = History::query(store, HistoryRequest {id, from, to, kColumns});
            QCOMPARE(drawn.storedPoints, every.points.size() + 500);
            QCOMPARE(drawn.points.size(), expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) {
                QCOMPARE(drawn.points[i].timestampMs, expected[i].timestampMs);
                QCOMPARE(drawn.points[i].min, expected[i].min);
                QCOMPARE(drawn.points[i].max, expected[i].max);
                QVERIFY(std::abs(drawn.points[i].mean - expected[i].mean) < 1e-9 * std::abs(expected[i].mean));
            }
            QCOMPARE(drawn.gaps.size(), every.gaps.size());
            QCOMPARE(drawn.gaps.size(), std::size_t(4));
            for (std::size_t i = 0; i < every.gaps.size(); ++i) {
                QCOMPARE(drawn.gaps[i].fromMs, every.gaps[i].fromMs);
                QCOMPARE(drawn.gaps[i].toMs, every.gaps[i].toMs);
            }
        }
    }

    void serviceAnswersOffTheCallingThread()
    {
        auto store = std::make_shared<SeriesStore>();
        const SeriesId id = store->intern(QStringLiteral("a/b"), {});
        for (int i = 0; i < 100; ++i)
            store->append(id, kT0 + i * kSecond, double(i));
        HistoryService service(store);
        QSignalSpy spy(&service, &HistoryService::resultReady);
        const quint64 token = service.request({HistoryRequest {id, kT0, kT0 + 15 * kMinute, 0}});
        QVERIFY(spy.wait(5000));
        const auto result = spy.at(0).at(0).value<HistoryResultPtr>();
        QCOMPARE(result->token, token);
        QCOMPARE(result->series.size(), std::size_t(1));
        QCOMPARE(result->series[0].points.size(), std::size_t(100));
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
