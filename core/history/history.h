#pragma once

#include "model/sample.h"

#include <QMetaType>
#include <QString>

#include <memory>
#include <vector>

namespace pw {

class SeriesStore;

/// Which tier of the history a query reads: every sample, minute buckets, or hour buckets (rolled up from minutes).
enum class HistoryTier
{
    Raw,
    Minute,
    Hour,
};

QString historyTierName(HistoryTier tier); // "raw", "minute", "hour"

/// One value to draw: a raw sample (min == max == mean) or a bucket's min, max and mean.
struct HistoryPoint
{
    qint64 timestampMs = 0;
    double min = 0.0;
    double max = 0.0;
    double mean = 0.0;
};

/// A period with no value: the source was STALE, the value was NaN, or nothing was recorded (Pathwatch was not
/// running). [fromMs, toMs).
struct HistoryGap
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
};

struct HistoryRequest
{
    SeriesId id = 0;
    qint64 fromMs = 0;
    qint64 toMs = 0;
    /// Pixel columns to decimate to (min and max per column); 0 keeps every point.
    int columns = 0;
};

/// The answer for one series over one range.
struct HistorySeries
{
    SeriesId id = 0;
    HistoryTier tier = HistoryTier::Raw;
    qint64 fromMs = 0;
    qint64 toMs = 0;
    std::vector<HistoryPoint> points; // finite values only, oldest first
    std::vector<HistoryGap> gaps; // oldest first, clipped to [fromMs, toMs]
    std::size_t storedPoints = 0; // points (or buckets) read before decimation
};

/// Range queries over a SeriesStore with the tier picked by span and gaps made explicit. Pure functions of the
/// store; safe from any thread (the store has its own locks) — the window calls them from HistoryService's pool.
namespace History {

/// ≤ 1 h: raw; ≤ 24 h: minute; longer: hour.
HistoryTier tierForSpan(qint64 spanMs);
qint64 bucketMs(HistoryTier tier); // 0 for raw
HistorySeries query(const SeriesStore& store, const HistoryRequest& request);
/// Min and max per column of [fromMs, toMs] split into `columns` equal columns; points of one column become at most
/// two (the lower first in time), so a spike survives any zoom level.
std::vector<HistoryPoint> decimate(const std::vector<HistoryPoint>& points, qint64 fromMs, qint64 toMs, int columns);

} // namespace History

} // namespace pw
