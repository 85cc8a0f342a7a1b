#include "sources/histogramquantile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pw {

namespace {

// promql/quantile.go: smallDeltaTolerance, and util/almost.Equal.
constexpr double smallDeltaTolerance = 1e-12;
constexpr double minNormal = 2.2250738585072014e-308; // math.Float64frombits(0x0010000000000000)

bool almostEqual(double a, double b, double epsilon)
{
    if (std::isnan(a) && std::isnan(b))
        return true;
    if (a == b)
        return true;
    const double absSum = std::fabs(a) + std::fabs(b);
    const double diff = std::fabs(a - b);
    if (a == 0 || b == 0 || absSum < minNormal)
        return diff < epsilon * minNormal;
    return diff / std::min(absSum, std::numeric_limits<double>::max()) < epsilon;
}

} // namespace

double histogramQuantile(double q, std::vector<HistogramBucket> buckets)
{
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (std::isnan(q))
        return nan;
    if (q < 0)
        return -inf;
    if (q > 1)
        return inf;
    if (buckets.empty())
        return nan;
    std::stable_sort(buckets.begin(), buckets.end(),
        [](const HistogramBucket& a, const HistogramBucket& b) { return a.upperBound < b.upperBound; });
    if (!(std::isinf(buckets.back().upperBound) && buckets.back().upperBound > 0))
        return nan;

    // coalesceBuckets: merge equal bounds (counts add up, as when series are summed without `le`).
    std::size_t n = 0;
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        if (buckets[i].upperBound == buckets[n].upperBound)
            buckets[n].count += buckets[i].count;
        else
            buckets[++n] = buckets[i];
    }
    buckets.resize(n + 1);

    // ensureMonotonicAndIgnoreSmallDeltas
    double prev = buckets[0].count;
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        const double curr = buckets[i].count;
        if (curr == prev)
            continue;
        if (almostEqual(prev, curr, smallDeltaTolerance)) {
            buckets[i].count = prev;
            continue;
        }
        if (curr < prev) {
            buckets[i].count = prev;
            continue;
        }
        prev = curr;
    }

    if (buckets.size() < 2)
        return nan;
    const double observations = buckets.back().count;
    if (observations == 0)
        return nan;
    double rank = q * observations;
    // sort.Search over all but the +Inf bucket: the first index whose count reaches the rank.
    std::size_t b = 0;
    while (b < buckets.size() - 1 && !(buckets[b].count >= rank))
        ++b;
    if (b == buckets.size() - 1)
        return buckets[buckets.size() - 2].upperBound;
    if (b == 0 && buckets[0].upperBound <= 0)
        return buckets[0].upperBound;
    double bucketStart = 0;
    const double bucketEnd = buckets[b].upperBound;
    double count = buckets[b].count;
    if (b > 0) {
        bucketStart = buckets[b - 1].upperBound;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

double counterIncrease(std::span<const double> values)
{
    if (values.size() < 2)
        return 0;
    double increase = values.back() - values.front();
    for (std::size_t i = 1; i < values.size(); ++i) {
        if (values[i] < values[i - 1])
            increase += values[i - 1]; // reset: the counter went back to zero before reaching values[i]
    }
    return increase;
}

} // namespace pw
