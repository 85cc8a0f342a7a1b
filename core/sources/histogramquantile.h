#pragma once

#include <span>
#include <vector>

namespace pw {

/// One cumulative bucket of a classic Prometheus histogram: observations ≤ upperBound (the `le` label).
struct HistogramBucket
{
    double upperBound = 0.0;
    double count = 0.0;
};

/// The φ-quantile of a classic histogram, computed exactly as PromQL's histogram_quantile() does for `le` buckets
/// (promql/quantile.go BucketQuantile): buckets are sorted by bound, equal bounds merged, tiny floating-point
/// differences ignored and decreases removed (monotonic envelope); the rank q·count is located by the first bucket
/// whose count reaches it and the value is interpolated linearly inside that bucket, with a lower bound of 0 for the
/// first bucket unless its bound is ≤ 0 (then that bound is returned). Falling into the +Inf bucket returns the
/// highest finite bound. NaN when there is no +Inf bucket, fewer than two buckets, no observations, or q is NaN;
/// −Inf for q < 0 and +Inf for q > 1. Pure function; reentrant.
double histogramQuantile(double q, std::vector<HistogramBucket> buckets);

/// How much a counter grew over consecutive samples, with resets handled as Prometheus' rate()/increase() do: a
/// decrease means the counter restarted from zero, so the sample after the drop counts in full. Fewer than two
/// samples: 0. No extrapolation to the window's edges.
double counterIncrease(std::span<const double> values);

} // namespace pw
