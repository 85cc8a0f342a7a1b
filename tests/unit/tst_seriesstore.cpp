#include "model/gorillachunk.h"
#include "model/seriesstore.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <thread>

using pw::SeriesId;
using pw::SeriesStore;

namespace {

constexpr qint64 kSecond = 1000;
constexpr qint64 kMinute = 60 * kSecond;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kPoll = 5 * kSecond;
constexpr qint64 kT0 = 1'790'000'000'000 - 1'790'000'000'000 % kHour; // synthetic, hour-aligned

struct Reference
{
    double min = 0, max = 0, sum = 0;
    quint32 count = 0;
};

qint64 floorMinute(qint64 ts)
{
    return ts - ((ts % kMinute) + kMinute) % kMinute;
}

} // namespace

class TestSeriesStore : public QObject
{
    Q_OBJECT

private slots:
    void internIsKeyedBySignalAndLabels()
    {
        SeriesStore store;
        const SeriesId a = store.intern(QStringLiteral("lag/consumer"),
            {{QStringLiteral("topic"), QStringLiteral("t")}, {QStringLiteral("partition"), QStringLiteral("0")}});
        const SeriesId b = store.intern(QStringLiteral("lag/consumer"),
            {{QStringLiteral("partition"), QStringLiteral("0")}, {QStringLiteral("topic"), QStringLiteral("t")}});
        const SeriesId c = store.intern(QStringLiteral("lag/consumer"),
            {{QStringLiteral("partition"), QStringLiteral("1")}, {QStringLiteral("topic"), QStringLiteral("t")}});
        const SeriesId d = store.intern(QStringLiteral("lag/time"), {});
        QVERIFY(a != 0);
        QCOMPARE(a, b);
        QVERIFY(c != a);
        QVERIFY(d != a && d != c);
        QCOMPARE(store.seriesCount(), 3);
        QCOMPARE(store.find(QStringLiteral("lag/time"), {}), d);
        QCOMPARE(store.find(QStringLiteral("lag/nope"), {}), SeriesId(0));
        const auto info = store.info(c);
        QVERIFY(info);
        QCOMPARE(info->labels.front().first, QStringLiteral("partition")); // normalised
        QVERIFY(!store.latest(a));
        QVERIFY(store.bytesUsed() > 0);

        pw::Sample sample {QStringLiteral("lag/time"), {}, kT0, 1.5};
        QCOMPARE(store.append(sample), SeriesStore::AppendResult::Appended);
        QCOMPARE(store.latest(d)->value, 1.5);
        QCOMPARE(store.append(SeriesId(9999), kT0, 1.0), SeriesStore::AppendResult::UnknownSeries);
        QCOMPARE(store.counters().droppedUnknownSeries, quint64(1));
    }

    void rawRoundTrip_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addRow("random walk") << 0;
        QTest::addRow("constant") << 1;
        QTest::addRow("counter") << 2;
        QTest::addRow("NaN and Inf") << 3;
    }

    void rawRoundTrip()
    {
        QFETCH(int, kind);
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("s"), {});
        std::mt19937_64 rng(kind);
        std::normal_distribution<double> noise;
        std::vector<pw::SeriesPoint> fed;
        double walk = 0, counter = 0;
        const double specials[]
            = {std::numeric_limits<double>::quiet_NaN(), std::bit_cast<double>(0x7ff0000000abcdefull),
                std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), -0.0, 2.5};
        for (int i = 0; i < 700; ++i) { // under an hour: everything stays raw
            double v = 0;
            switch (kind) {
            case 0:
                v = walk += noise(rng);
                break;
            case 1:
                v = 7.0;
                break;
            case 2:
                v = counter += double(rng() % 5000);
                break;
            default:
                v = specials[rng() % std::size(specials)];
                break;
            }
            const qint64 ts = kT0 + i * kPoll + qint64(rng() % 50);
            fed.push_back({ts, v});
            QCOMPARE(store.append(id, ts, v), SeriesStore::AppendResult::Appended);
        }
        const pw::SeriesRange all = store.range(id, 0, std::numeric_limits<qint64>::max());
        QVERIFY(all.buckets.empty());
        QCOMPARE(all.points.size(), fed.size());
        for (std::size_t i = 0; i < fed.size(); ++i) {
            QCOMPARE(all.points[i].timestampMs, fed[i].timestampMs);
            QCOMPARE(std::bit_cast<quint64>(all.points[i].value), std::bit_cast<quint64>(fed[i].value));
        }
        const auto last = store.latest(id);
        QVERIFY(last);
        QCOMPARE(last->timestampMs, fed.back().timestampMs);
        QCOMPARE(std::bit_cast<quint64>(last->value), std::bit_cast<quint64>(fed.back().value));
        QCOMPARE(store.sampleCount(), quint64(fed.size()));

        // A sub-range returns exactly the fed points inside it.
        const qint64 from = fed[100].timestampMs, to = fed[200].timestampMs;
        const pw::SeriesRange part = store.range(id, from, to);
        QCOMPARE(part.points.size(), std::size_t(101));
        QCOMPARE(part.points.front().timestampMs, from);
        QCOMPARE(part.points.back().timestampMs, to);
    }

    void outOfOrderAndDuplicatesAreDroppedAndCounted()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("s"), {});
        QCOMPARE(store.append(id, kT0 + 10 * kPoll, 1.0), SeriesStore::AppendResult::Appended);
        QCOMPARE(store.append(id, kT0 + 9 * kPoll, 2.0), SeriesStore::AppendResult::OutOfOrder);
        QCOMPARE(store.append(id, kT0 + 10 * kPoll, 3.0), SeriesStore::AppendResult::Duplicate);
        QCOMPARE(store.append(id, kT0 + 11 * kPoll, 4.0), SeriesStore::AppendResult::Appended);
        const auto c = store.counters();
        QCOMPARE(c.appended, quint64(2));
        QCOMPARE(c.droppedOutOfOrder, quint64(1));
        QCOMPARE(c.droppedDuplicates, quint64(1));
        const pw::SeriesRange r = store.range(id, 0, std::numeric_limits<qint64>::max());
        QCOMPARE(r.points.size(), std::size_t(2));
        QCOMPARE(r.points[0].value, 1.0); // the first value for an instant wins
        QCOMPARE(r.points[1].value, 4.0);
    }

    // 25 h of 5 s samples on synthetic timestamps: the raw tier keeps the last hour (plus at most one chunk held in
    // memory, never returned), the minute tier keeps exact min/max/mean/count for 24 h and nothing older.
    void wholeBucketsComeBackAsTheyWere()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("sink/p99"), {});
        QCOMPARE(store.appendBucket(id, kT0, 1.0, 9.0, 4.0, 12), SeriesStore::AppendResult::Appended);
        QCOMPARE(store.appendBucket(id, kT0 + kMinute, 0.0, 0.0, 0.0, 0), SeriesStore::AppendResult::Appended);
        QCOMPARE(store.appendBucket(id, kT0 + kMinute, 1.0, 2.0, 1.5, 2), SeriesStore::AppendResult::OutOfOrder);
        // Raw samples follow the buckets (the raw hour after the minutes before it).
        QCOMPARE(store.append(id, kT0 + kMinute + 30 * kSecond, 5.0), SeriesStore::AppendResult::OutOfOrder);
        QCOMPARE(store.append(id, kT0 + 2 * kMinute, 5.0), SeriesStore::AppendResult::Appended);
        const pw::SeriesRange r = store.range(id, kT0, kT0 + 3 * kMinute, SeriesStore::Resolution::Minute);
        QCOMPARE(r.buckets.size(), std::size_t(3));
        QCOMPARE(r.buckets[0].startMs, kT0);
        QCOMPARE(r.buckets[0].min, 1.0);
        QCOMPARE(r.buckets[0].max, 9.0);
        QCOMPARE(r.buckets[0].mean, 4.0);
        QCOMPARE(r.buckets[0].count, 12u);
        QCOMPARE(r.buckets[1].count, 0u); // a minute of NaN only: a gap
        QVERIFY(std::isnan(r.buckets[1].mean));
        QCOMPARE(r.buckets[2].mean, 5.0);
        QCOMPARE(store.appendBucket(SeriesId(9999), kT0, 1, 1, 1, 1), SeriesStore::AppendResult::UnknownSeries);
    }

    void tierRollOver()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("s"), {});
        std::mt19937_64 rng(5);
        std::normal_distribution<double> noise(0, 3);
        std::map<qint64, Reference> reference; // bucket start -> aggregate over non-NaN samples
        double walk = 1000;
        const int samples = int(25 * kHour / kPoll);
        qint64 newest = 0;
        for (int i = 0; i < samples; ++i) {
            const qint64 ts = kT0 + i * kPoll;
            walk += noise(rng);
            const double v = i % 97 == 0 ? std::numeric_limits<double>::quiet_NaN() : std::round(walk);
            QCOMPARE(store.append(id, ts, v), SeriesStore::AppendResult::Appended);
            Reference& ref = reference[floorMinute(ts)];
            if (!std::isnan(v)) {
                ref.min = ref.count ? std::min(ref.min, v) : v;
                ref.max = ref.count ? std::max(ref.max, v) : v;
                ref.sum += v;
                ++ref.count;
            }
            newest = ts;
        }

        const auto info = store.info(id);
        QVERIFY(info);
        QCOMPARE(info->newestMs, newest);
        // Raw: the whole last hour is there; whole-chunk retention holds at most one chunk (120 samples) more.
        QVERIFY(info->rawOldestMs <= newest - kHour);
        QVERIFY(info->rawOldestMs >= newest - kHour - 120 * kPoll);
        QVERIFY(info->rawSamples >= int(kHour / kPoll));
        QVERIFY(info->rawSamples <= int(kHour / kPoll) + 120);
        QCOMPARE(store.sampleCount(), quint64(info->rawSamples));
        // Minute tier: nothing older than 24 h, and every minute of the 24 h.
        QVERIFY(info->oldestBucketMs >= newest - 24 * kHour);
        QVERIFY(info->oldestBucketMs < newest - 24 * kHour + kMinute);
        QCOMPARE(info->buckets, int(24 * kHour / kMinute) - 1); // + the open, current minute
        QCOMPARE(store.bucketCount(), quint64(info->buckets));

        // Best resolution over all time: buckets first, then raw points of the last hour only.
        const pw::SeriesRange best = store.range(id, 0, std::numeric_limits<qint64>::max());
        QCOMPARE(best.rawFromMs % kMinute, 0);
        QVERIFY(best.rawFromMs >= newest - kHour);
        QVERIFY(best.rawFromMs < newest - kHour + kMinute);
        QCOMPARE(best.points.size(), std::size_t((newest - best.rawFromMs) / kPoll + 1));
        QCOMPARE(best.points.front().timestampMs, best.rawFromMs);
        QCOMPARE(best.points.back().timestampMs, newest);
        QVERIFY(!best.buckets.empty());
        QVERIFY(best.buckets.front().startMs >= newest - 24 * kHour);
        QCOMPARE(best.buckets.back().startMs + kMinute, best.rawFromMs); // no gap, no overlap
        for (std::size_t i = 1; i < best.buckets.size(); ++i)
            QCOMPARE(best.buckets[i].startMs, best.buckets[i - 1].startMs + kMinute);

        // Minute resolution: exact aggregates for every bucket held, the open one included.
        const pw::SeriesRange minutes
            = store.range(id, 0, std::numeric_limits<qint64>::max(), SeriesStore::Resolution::Minute);
        QVERIFY(minutes.points.empty());
        QCOMPARE(minutes.buckets.size(), std::size_t(24 * kHour / kMinute));
        QCOMPARE(minutes.buckets.back().startMs, floorMinute(newest));
        for (const pw::SeriesBucket& b : minutes.buckets) {
            QVERIFY(b.startMs >= newest - 24 * kHour);
            const Reference& ref = reference.at(b.startMs);
            QCOMPARE(b.count, ref.count);
            QCOMPARE(b.min, ref.min);
            QCOMPARE(b.max, ref.max);
            QCOMPARE(std::bit_cast<quint64>(b.mean), std::bit_cast<quint64>(ref.sum / ref.count));
        }
        // A sub-range in the minute tier returns just the buckets that overlap it.
        const qint64 from = kT0 + 3 * kHour + 30 * kSecond;
        const pw::SeriesRange slice = store.range(id, from, from + 10 * kMinute);
        QCOMPARE(slice.buckets.size(), std::size_t(11));
        QCOMPARE(slice.buckets.front().startMs, kT0 + 3 * kHour);
        QVERIFY(slice.points.empty());
        // Nothing at all for a range that lies completely before the 24 h window.
        const pw::SeriesRange gone = store.range(id, kT0, kT0 + 30 * kMinute);
        QVERIFY(gone.buckets.empty());
        QVERIFY(gone.points.empty());
    }

    void bucketOfOnlyNaN()
    {
        SeriesStore store;
        const SeriesId id = store.intern(QStringLiteral("s"), {});
        store.append(id, kT0, std::numeric_limits<double>::quiet_NaN());
        store.append(id, kT0 + kPoll, std::numeric_limits<double>::quiet_NaN());
        store.append(id, kT0 + kMinute, 3.0);
        store.append(id, kT0 + kMinute + kPoll, -std::numeric_limits<double>::infinity());
        const pw::SeriesRange r = store.range(id, 0, kT0 + kHour, SeriesStore::Resolution::Minute);
        QCOMPARE(r.buckets.size(), std::size_t(2));
        QCOMPARE(r.buckets[0].count, 0u);
        QVERIFY(std::isnan(r.buckets[0].min) && std::isnan(r.buckets[0].mean));
        QCOMPARE(r.buckets[1].count, 2u);
        QCOMPARE(r.buckets[1].max, 3.0);
        QVERIFY(std::isinf(r.buckets[1].min) && r.buckets[1].min < 0);
    }

    // 1,000 series x 25 h at 5 s (18 M samples). bytesUsed() never exceeds a ceiling computed from the codec's
    // worst case, and once both windows are full it does not grow: the values repeat every hour, so the store's state
    // an hour later must cost no more than it did (a tier that failed to drop would show up as growth).
    void memoryIsBounded()
    {
        constexpr int kSeries = 1000;
        constexpr int kPerHour = int(kHour / kPoll); // 720
        SeriesStore store;
        std::vector<SeriesId> ids;
        std::vector<std::vector<double>> table(kSeries, std::vector<double>(kPerHour));
        std::mt19937_64 rng(11);
        std::normal_distribution<double> noise;
        for (int s = 0; s < kSeries; ++s) {
            ids.push_back(
                store.intern(QStringLiteral("stage/signal"), {{QStringLiteral("partition"), QString::number(s)}}));
            double walk = 100;
            for (int i = 0; i < kPerHour; ++i) {
                walk += noise(rng);
                switch (s % 4) {
                case 0:
                    table[s][i] = std::round(walk * 10);
                    break; // integer gauge (messages)
                case 1:
                    table[s][i] = walk;
                    break; // full-precision gauge
                case 2:
                    table[s][i] = i % 3 == 0 ? walk : table[s][i - i % 3];
                    break; // quantile, repeats
                default:
                    table[s][i] = i % 50 == 0 ? 1.0 : 0.0;
                    break; // error rate, mostly 0
                }
            }
        }
        const std::size_t emptyBytes = store.bytesUsed();

        // Worst case per series from the codec: a raw row costs at most 36 bits of timestamp and 77 of value, a
        // minute row (4 columns) 36 + 4 * 77; the first row of a chunk 64 bits per column. The raw tier holds at most
        // 1 h + one chunk (8 chunks of 120), the minute tier 1440 buckets in at most 26 chunks of 60. Open writers
        // reserve up to 25% (+32 bytes) more; chunk vectors at most double their size.
        auto chunkBytes = [](int rows, int columns) {
            return std::size_t((64 * columns + (rows - 1) * (36 + 77 * columns) + 7) / 8);
        };
        const std::size_t rawWorst = 8 * chunkBytes(120, 1);
        const std::size_t minuteWorst = 26 * chunkBytes(60, 4);
        const std::size_t slack = chunkBytes(120, 1) / 4 + chunkBytes(60, 4) / 4 + 64;
        const std::size_t vectors = 2 * (8 + 26) * sizeof(pw::GorillaChunk);
        const std::size_t ceiling = emptyBytes + kSeries * (rawWorst + minuteWorst + slack + vectors);

        const int total = int(25 * kHour / kPoll);
        std::size_t maxBytes = 0;
        std::size_t at24 = 0;
        quint64 samplesAt24 = 0, bucketsAt24 = 0;
        for (int i = 0; i < total; ++i) {
            const qint64 ts = kT0 + qint64(i) * kPoll;
            for (int s = 0; s < kSeries; ++s)
                store.append(ids[s], ts, table[s][i % kPerHour]);
            maxBytes = std::max(maxBytes, store.bytesUsed());
            if (i == 24 * kPerHour - 1) {
                at24 = store.bytesUsed();
                samplesAt24 = store.sampleCount();
                bucketsAt24 = store.bucketCount();
            }
        }
        const std::size_t at25 = store.bytesUsed();
        qInfo("bytes: empty %zu, at 24 h %zu, at 25 h %zu, max %zu, ceiling %zu (%.1f%%); %.2f bytes per stored point",
            emptyBytes, at24, at25, maxBytes, ceiling, 100.0 * double(maxBytes) / double(ceiling),
            double(at25) / double(store.sampleCount() + store.bucketCount()));
        QCOMPARE(store.seriesCount(), kSeries);
        QCOMPARE(store.counters().evictedSeries, quint64(0));
        QVERIFY(maxBytes <= ceiling);
        QVERIFY2(at25 <= at24, qPrintable(QStringLiteral("grew from %1 to %2").arg(at24).arg(at25)));
        QCOMPARE(store.sampleCount(), samplesAt24);
        QCOMPARE(store.bucketCount(), bucketsAt24);
        QCOMPARE(store.bucketCount(), quint64(kSeries) * (24 * 60 - 1));
        QVERIFY(store.sampleCount() <= quint64(kSeries) * (kPerHour + 120));
    }

    void seriesBoundEvictsLeastRecentlyUpdated()
    {
        SeriesStore::Limits limits;
        limits.maxSeries = 10;
        SeriesStore store(limits);
        std::vector<SeriesId> ids;
        for (int i = 0; i < 10; ++i) {
            ids.push_back(store.intern(QStringLiteral("s"), {{QStringLiteral("i"), QString::number(i)}}));
            store.append(ids.back(), kT0, i);
        }
        // Touch all but series 3 and 7, so those two are the least recently updated.
        for (int i = 0; i < 10; ++i)
            if (i != 3 && i != 7)
                store.append(ids[i], kT0 + kPoll, i);
        const SeriesId extra1 = store.intern(QStringLiteral("s"), {{QStringLiteral("i"), QStringLiteral("x")}});
        const SeriesId extra2 = store.intern(QStringLiteral("s"), {{QStringLiteral("i"), QStringLiteral("y")}});
        QCOMPARE(store.seriesCount(), 10);
        QCOMPARE(store.counters().evictedSeries, quint64(2));
        QVERIFY(!store.info(ids[3]));
        QVERIFY(!store.info(ids[7]));
        QVERIFY(store.info(extra1) && store.info(extra2));
        QCOMPARE(store.append(ids[3], kT0 + 2 * kPoll, 1.0), SeriesStore::AppendResult::UnknownSeries);
        // Re-interning the evicted key gives a fresh id and empty history.
        const SeriesId again = store.intern(QStringLiteral("s"), {{QStringLiteral("i"), QStringLiteral("3")}});
        QVERIFY(again != ids[3]);
        QVERIFY(!store.latest(again));
    }

    void byteBoundEvictsAndHolds()
    {
        SeriesStore::Limits limits;
        limits.maxBytes = 256 * 1024;
        SeriesStore store(limits);
        std::mt19937_64 rng(3);
        std::normal_distribution<double> noise;
        std::vector<SeriesId> ids;
        for (int s = 0; s < 200; ++s)
            ids.push_back(store.intern(QStringLiteral("s"), {{QStringLiteral("i"), QString::number(s)}}));
        std::size_t maxSeen = 0;
        for (int i = 0; i < 2000; ++i) {
            for (int s = 0; s < 200; ++s)
                store.append(ids[s], kT0 + i * kPoll, noise(rng)); // incompressible values: ~9 bytes a sample
            maxSeen = std::max(maxSeen, store.bytesUsed());
            QVERIFY(maxSeen <= limits.maxBytes);
        }
        QVERIFY(store.counters().evictedSeries > 0);
        QVERIFY(store.bytesUsed() <= limits.maxBytes);
        QVERIFY(store.seriesCount() > 0 && store.seriesCount() < 200);
        // Survivors are whole: their newest sample is the last one appended.
        for (SeriesId id : store.seriesIds())
            QCOMPARE(store.latest(id)->timestampMs, kT0 + 1999 * kPoll);
    }

    void expireRemovesIdleSeries()
    {
        SeriesStore store;
        const SeriesId idle = store.intern(QStringLiteral("idle"), {});
        const SeriesId busy = store.intern(QStringLiteral("busy"), {});
        for (int i = 0; i < 100; ++i)
            store.append(idle, kT0 + i * kPoll, i);
        for (int i = 0; i < 100; ++i)
            store.append(busy, kT0 + 2 * kHour + i * kPoll, i);
        const std::size_t before = store.bytesUsed();
        store.expire(kT0 + 2 * kHour + 100 * kPoll);
        QCOMPARE(store.info(idle)->rawSamples, 0); // its hour is over; its minutes are not
        QCOMPARE(store.info(idle)->buckets, 8); // + the open ninth minute
        QVERIFY(store.bytesUsed() < before);
        store.expire(kT0 + 27 * kHour);
        QVERIFY(!store.info(idle));
        QVERIFY(!store.info(busy));
        QCOMPARE(store.seriesCount(), 0);
        QCOMPARE(store.sampleCount(), quint64(0));
        QCOMPARE(store.bucketCount(), quint64(0));
    }

    // One engine-like writer per half of the series, readers querying all the time. Proves no lost or torn data under
    // contention (and gives ThreadSanitizer something to look at in the tsan preset).
    void concurrentWritersAndReaders()
    {
        SeriesStore store;
        constexpr int kSeries = 64;
        constexpr int kSamples = 3000;
        std::vector<SeriesId> ids;
        for (int s = 0; s < kSeries; ++s)
            ids.push_back(store.intern(QStringLiteral("s"), {{QStringLiteral("i"), QString::number(s)}}));
        std::atomic<bool> done {false};
        std::atomic<int> badReads {0};
        auto writer = [&](int first) {
            for (int i = 0; i < kSamples; ++i)
                for (int s = first; s < kSeries; s += 2)
                    store.append(ids[s], kT0 + i * kPoll, double(i));
        };
        auto reader = [&] {
            while (!done.load()) {
                for (SeriesId id : ids) {
                    const pw::SeriesRange r = store.range(id, 0, std::numeric_limits<qint64>::max());
                    for (std::size_t i = 1; i < r.points.size(); ++i)
                        if (r.points[i].timestampMs != r.points[i - 1].timestampMs + kPoll
                            || r.points[i].value != r.points[i - 1].value + 1)
                            ++badReads;
                }
            }
        };
        std::thread r1(reader), r2(reader);
        std::thread w1(writer, 0), w2(writer, 1);
        w1.join();
        w2.join();
        done = true;
        r1.join();
        r2.join();
        QCOMPARE(badReads.load(), 0);
        QCOMPARE(store.counters().appended, quint64(kSeries) * kSamples);
        for (SeriesId id : ids)
            QCOMPARE(store.latest(id)->value, double(kSamples - 1));
    }
};

QTEST_GUILESS_MAIN(TestSeriesStore)
#include "tst_seriesstore.moc"
