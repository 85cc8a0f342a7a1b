#include "sources/histogramquantile.h"

#include <QTest>

#include <cmath>
#include <limits>

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
using Buckets = std::vector<pw::HistogramBucket>;
} // namespace

Q_DECLARE_METATYPE(Buckets)

class TestHistogramQuantile : public QObject
{
    Q_OBJECT

private slots:
    void testQuantile_data()
    {
        QTest::addColumn<double>("q");
        QTest::addColumn<Buckets>("buckets");
        QTest::addColumn<double>("expected");

        // 10 observations ≤ 0.1, 20 more ≤ 0.5, 60 more ≤ 1, 10 above 1.
        const Buckets typical {{0.1, 10}, {0.5, 30}, {1, 90}, {inf, 100}};
        // rank 50 → bucket (0.5,1]: 0.5 + 0.5 * (50-30)/60
        QTest::newRow("median interpolates inside the bucket") << 0.5 << typical << 0.5 + 0.5 * (20.0 / 60.0);
        // rank 5 → first bucket, lower bound 0: 0.1 * 5/10
        QTest::newRow("lowest bucket starts at zero") << 0.05 << typical << 0.05;
        // rank 90 → exactly the count of le=1: 0.5 + 0.5 * 60/60
        QTest::newRow("rank on a bucket boundary") << 0.9 << typical << 1.0;
        // rank 99 → +Inf bucket: the highest finite bound
        QTest::newRow("p99 in the +Inf bucket returns the highest finite bound") << 0.99 << typical << 1.0;
        QTest::newRow("q = 1 is the +Inf bucket too") << 1.0 << typical << 1.0;
        // rank 0 → first bucket with count ≥ 0 is the first one: 0 + 0.1 * 0/10
        QTest::newRow("q = 0") << 0.0 << typical << 0.0;
        QTest::newRow("unsorted input is sorted by le")
            << 0.5 << Buckets {{inf, 100}, {1, 90}, {0.1, 10}, {0.5, 30}} << 0.5 + 0.5 * (20.0 / 60.0);
        // Two series summed without le: equal bounds are merged (counts add up).
        QTest::newRow("equal bounds are coalesced")
            << 0.5 << Buckets {{0.1, 5}, {0.1, 5}, {0.5, 15}, {0.5, 15}, {1, 45}, {1, 45}, {inf, 50}, {inf, 50}}
            << 0.5 + 0.5 * (20.0 / 60.0);
        // A bucket lower than its predecessor is lifted to it (monotonic envelope): le=0.5 becomes 10.
        // rank 10 → bucket 0 (count 10 ≥ 10): 0.1 * 10/10
        QTest::newRow("non-monotonic counts are repaired") << 0.5 << Buckets {{0.1, 10}, {0.5, 4}, {inf, 20}} << 0.1;
        // First bound ≤ 0: returned as is when the rank falls into it.
        QTest::newRow("first bucket with a negative bound") << 0.25 << Buckets {{-1, 10}, {0, 20}, {inf, 40}} << -1.0;
        // rank 20 → bucket 1 (-1, 0]: -1 + 1 * (20-10)/10 = 0
        QTest::newRow("negative buckets interpolate from the previous bound")
            << 0.5 << Buckets {{-1, 10}, {0, 20}, {inf, 40}} << 0.0;
        // Rank 3 of 4 in (2,4]: 2 + 2 * (3-2)/1 — only two finite buckets
        QTest::newRow("coarse buckets") << 0.75 << Buckets {{1, 1}, {2, 2}, {4, 3}, {inf, 4}} << 4.0;
    }

    void testQuantile()
    {
        QFETCH(double, q);
        QFETCH(Buckets, buckets);
        QFETCH(double, expected);
        QCOMPARE(pw::histogramQuantile(q, buckets), expected);
    }

    void testSpecialCases()
    {
        const Buckets typical {{0.1, 10}, {0.5, 30}, {1, 90}, {inf, 100}};
        QVERIFY(std::isnan(pw::histogramQuantile(std::nan(""), typical)));
        QCOMPARE(pw::histogramQuantile(-0.1, typical), -inf);
        QCOMPARE(pw::histogramQuantile(1.1, typical), inf);
        QVERIFY2(std::isnan(pw::histogramQuantile(0.5, {{0.1, 10}, {1, 20}})), "no +Inf bucket → NaN");
        QVERIFY2(std::isnan(pw::histogramQuantile(0.5, {{inf, 20}})), "only the +Inf bucket → NaN");
        QVERIFY2(std::isnan(pw::histogramQuantile(0.5, {{0.1, 0}, {inf, 0}})), "no observations → NaN");
        QVERIFY(std::isnan(pw::histogramQuantile(0.5, {})));
    }

    void testCounterIncrease_data()
    {
        QTest::addColumn<std::vector<double>>("values");
        QTest::addColumn<double>("expected");
        QTest::newRow("steady") << std::vector<double> {10, 15, 25} << 15.0;
        QTest::newRow("one sample") << std::vector<double> {10} << 0.0;
        // 10 → 15 (+5), reset, 3 (+3 since restart), → 8 (+5)
        QTest::newRow("reset") << std::vector<double> {10, 15, 3, 8} << 13.0;
        QTest::newRow("reset to zero") << std::vector<double> {100, 0} << 0.0;
        QTest::newRow("two resets") << std::vector<double> {5, 1, 4, 2} << 1.0 + 3.0 + 2.0;
    }

    void testCounterIncrease()
    {
        QFETCH(std::vector<double>, values);
        QFETCH(double, expected);
        QCOMPARE(pw::counterIncrease(values), expected);
    }
};

QTEST_GUILESS_MAIN(TestHistogramQuantile)
#include "tst_histogramquantile.moc"
