#pragma once

#include "model/gorillachunk.h"
#include "model/sample.h"

#include <QString>

#include <algorithm>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace pw {

// SeriesId (model/sample.h): ids are never reused, so an id kept after its series was evicted simply stops matching
// (append() answers UnknownSeries; intern again).

using SeriesPoint = GorillaPoint; // {timestampMs, value}

/// One aggregate bucket of the minute tier. NaN samples are left out of min/max/mean/count; a bucket that only saw
/// NaN has count 0 and NaN min/max/mean.
struct SeriesBucket
{
    qint64 startMs = 0; // aligned to the bucket width (1 minute): covers [startMs, startMs + bucketMs)
    double min = 0.0;
    double max = 0.0;
    double mean = 0.0;
    quint32 count = 0;
};

/// [fromMs, toMs] cut into `columns` equal columns (a chart's pixel columns). History's decimation and the store's
/// digests use this one definition, so both put a timestamp in the same column.
struct ColumnGrid
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    int columns = 0;

    double widthMs() const { return double(toMs - fromMs) / std::max(1, columns); }
    qint64 columnOf(qint64 timestampMs) const
    {
        return std::clamp<qint64>(qint64(double(timestampMs - fromMs) / widthMs()), 0, std::max(1, columns) - 1);
    }
};

/// A sealed raw chunk summed up: all a min/max-per-column reader needs of a chunk that lies inside one column.
/// Only chunks without NaN samples are digested (a NaN is a gap, whose place matters).
struct RawChunkDigest
{
    qint64 firstMs = 0;
    qint64 lastMs = 0;
    qint64 lowMs = 0; // the first sample with the lowest value
    double low = 0.0;
    qint64 highMs = 0; // the first sample with the highest value
    double high = 0.0;
    double sum = 0.0; // of all samples, in time order
    quint32 count = 0;
    qint64 medianStepMs = 0; // between consecutive samples
    qint64 maxStepMs = 0; // the longest silence inside the chunk ...
    qint64 maxStepFromMs = 0; // ... and where it starts
    qint64 secondMaxStepMs = 0;
    std::size_t beforePoint = 0; // its place among SeriesRange::points: it precedes points[beforePoint]
};

/// The answer to a range query: minute buckets for the part the raw tier no longer covers, raw points after it.
struct SeriesRange
{
    std::vector<SeriesBucket> buckets; // overlapping [from, min(to, rawFromMs)), oldest first
    std::vector<SeriesPoint> points; // timestamps in [max(from, rawFromMs), to], oldest first
    /// Only when asked for with a ColumnGrid: raw chunks that lie inside one column, given whole instead of their
    /// points (which are then not in `points`), oldest first.
    std::vector<RawChunkDigest> digests;
    qint64 rawFromMs = 0; // the boundary, a bucket boundary; buckets before it, raw points from it on
};

/// Bounded in-memory history of every series the engine sees, in two tiers of Gorilla-compressed chunks
/// (see GorillaChunk):
///  - raw: every sample at poll resolution for the last rawRetentionMs (1 h) of the series. Whole chunks are
///    dropped once their newest sample is out of the window, so memory holds the hour plus at most one chunk
///    (120 samples, 10 min at a 5 s poll); queries never return a raw point older than the window.
///  - minute: min/max/sum/count per bucketMs (1 min) bucket for the last aggregateRetentionMs (24 h), four columns of
///    one Gorilla stream per chunk (sum is stored rather than mean: sums of integer-valued gauges stay short in XOR
///    form; mean = sum/count on read). This tier is trimmed to the exact bucket: a chunk that straddles the window
///    edge is re-encoded without its expired buckets (at most once a minute per series).
/// Time is the series' own: both windows end at the newest sample of that series, so synthetic or replayed
/// timestamps behave like live ones. expire(now) trims series that stopped receiving samples and removes those with
/// nothing left.
///
/// Ordering: a sample older than the newest of its series is dropped and counted (droppedOutOfOrder); one with the
/// same timestamp is dropped and counted (droppedDuplicates) — the first value for an instant wins.
///
/// Bounds: at most Limits::maxSeries series and Limits::maxBytes bytes (bytesUsed()). Over either bound the least
/// recently updated series are evicted whole (Counters::evictedSeries), down to 99% of the series bound or 95% of the
/// byte bound so that the eviction scan runs rarely. The bytes bound is checked after each append, so bytesUsed()
/// exceeds it by at most one append per concurrent writer. A steady series at a 5 s poll costs about 1 KB (key, labels,
/// index, objects) + 2 B per raw sample for the hour (sealed chunks pack to 1.7 B, the open chunk holds up to 120
/// rows in the writer's stream) + 9 B per minute bucket for the day (see bench_seriesstore). bytesUsed() counts chunk
/// payloads and objects exactly and estimates the key, index and container overhead; allocator bookkeeping is not
/// counted.
///
/// Thread-safety: every method may be called from any thread. A std::shared_mutex guards the series table (shared for
/// append/query/latest, exclusive to create, evict or remove a series) and each series has its own mutex for its
/// chunks, so the engine's workers append to different series in parallel while the UI and the exporter query.
class SeriesStore
{
public:
    struct Limits
    {
        qsizetype maxSeries = 100'000;
        std::size_t maxBytes = std::size_t(1) << 30; // 1 GiB
        qint64 rawRetentionMs = 60 * 60 * 1000;
        qint64 aggregateRetentionMs = 24 * 60 * 60 * 1000;
        qint64 bucketMs = 60 * 1000;
    };

    enum class AppendResult
    {
        Appended,
        OutOfOrder, // older than the newest sample of the series: dropped, counted
        Duplicate, // same timestamp as the newest sample: dropped, counted
        UnknownSeries, // the id was never issued or its series has been evicted
    };

    enum class Resolution
    {
        Best, // raw where the raw tier covers the range, minute buckets before that
        Minute, // minute buckets only (the raw tier's time included, from its own buckets)
    };

    /// What one series holds right now (for tests, diagnostics and the UI's "history since" hints).
    struct SeriesInfo
    {
        QString signalId;
        Labels labels;
        int rawSamples = 0; // held in memory, including the part of the oldest chunk that is out of the window
        qint64 rawOldestMs = 0; // oldest raw sample held
        qint64 newestMs = 0;
        int buckets = 0; // closed minute buckets held (the open, current minute is not counted)
        qint64 oldestBucketMs = 0;
        qint64 newestBucketMs = 0;
        std::size_t bytes = 0;
    };

    struct Counters
    {
        quint64 appended = 0;
        quint64 droppedOutOfOrder = 0;
        quint64 droppedDuplicates = 0;
        quint64 droppedUnknownSeries = 0;
        quint64 evictedSeries = 0;
    };

    explicit SeriesStore(Limits limits);
    SeriesStore();
    ~SeriesStore();
    SeriesStore(const SeriesStore&) = delete;
    SeriesStore& operator=(const SeriesStore&) = delete;

    const Limits& limits() const { return m_limits; }

    /// The id of the series (creating it when new; may evict the least recently updated series to make room).
    /// Labels are normalised first, so their order does not matter.
    SeriesId intern(const QString& signalId, Labels labels);
    /// The id of an existing series, or 0.
    SeriesId find(const QString& signalId, Labels labels) const;

    AppendResult append(SeriesId id, qint64 timestampMs, double value);
    /// Interns sample.signalId + sample.labels, then appends.
    AppendResult append(const Sample& sample);
    /// A whole minute bucket as it was (min, max, mean of `count` samples; count 0 for a minute that saw only NaN),
    /// for history read back after a restart: its min and max stay what they were rather than collapsing to the mean.
    /// Like append(), it must come after everything the series holds (startMs is aligned to the bucket width, and
    /// later than the newest sample or bucket). The raw tier is left alone.
    AppendResult appendBucket(SeriesId id, qint64 startMs, double min, double max, double mean, quint32 count);

    std::optional<SeriesPoint> latest(SeriesId id) const;
    /// Points of [fromMs, toMs] (both inclusive) at the best resolution held; empty when the series is unknown.
    SeriesRange range(SeriesId id, qint64 fromMs, qint64 toMs, Resolution resolution = Resolution::Best) const;
    /// The same into `out`, reusing its vectors' capacity: a reader that queries again and again (a live chart of a
    /// million points) allocates and faults in its buffers once rather than on every query.
    void rangeInto(
        SeriesRange& out, SeriesId id, qint64 fromMs, qint64 toMs, Resolution resolution = Resolution::Best) const;
    /// The same for a reader that keeps only the extremes of each column of `grid` (a chart): a sealed raw chunk
    /// inside [grid.fromMs, grid.toMs] that lies within one column and holds no NaN comes as one RawChunkDigest
    /// instead of its points, when the raw rows read exceed two per column (else every point, as rangeInto).
    /// Digests are computed on first use and kept with the series, so a live chart that asks again and again decodes
    /// only what is new. A million points at 1,920 columns decode about a quarter of their chunks.
    void rangeForColumnsInto(
        SeriesRange& out, SeriesId id, const ColumnGrid& grid, Resolution resolution = Resolution::Best) const;
    std::optional<SeriesInfo> info(SeriesId id) const;
    std::vector<SeriesId> seriesIds() const;

    /// Trims every series to windows that end at `nowMs` (or at its newest sample, whichever is later) and removes
    /// series with nothing left. The engine calls it now and then; append() already trims the series it touches.
    void expire(qint64 nowMs);
    bool remove(SeriesId id);

    std::size_t bytesUsed() const { return m_bytes.load(std::memory_order_relaxed); }
    /// Raw samples held (all series, both the visible hour and the expired part of oldest chunks).
    quint64 sampleCount() const { return m_samples.load(std::memory_order_relaxed); }
    /// Closed minute buckets held (all series).
    quint64 bucketCount() const { return m_buckets.load(std::memory_order_relaxed); }
    qsizetype seriesCount() const;
    Counters counters() const;

private:
    struct Series;

    Series* lookup(SeriesId id) const; // caller holds m_tableLock (shared or exclusive)
    void evictLocked(std::size_t incomingSeries); // caller holds m_tableLock exclusively
    void removeLocked(SeriesId id, bool evicted);
    static QString keyOf(const QString& signalId, const Labels& labels);
    void rangeLocked(
        SeriesRange& out, Series& s, qint64 fromMs, qint64 toMs, Resolution resolution, const ColumnGrid* grid) const;

    const Limits m_limits;
    mutable std::shared_mutex m_tableLock;
    std::unordered_map<SeriesId, std::unique_ptr<Series>> m_series;
    std::unordered_map<QString, SeriesId> m_index;
    SeriesId m_nextId = 1;

    std::atomic<std::size_t> m_bytes {0};
    std::atomic<quint64> m_samples {0};
    std::atomic<quint64> m_buckets {0};
    std::atomic<quint64> m_touch {0}; // append sequence: the recency order for eviction
    std::atomic<bool> m_evicting {false};
    std::atomic<quint64> m_appended {0};
    std::atomic<quint64> m_droppedOutOfOrder {0};
    std::atomic<quint64> m_droppedDuplicates {0};
    std::atomic<quint64> m_droppedUnknown {0};
    std::atomic<quint64> m_evicted {0};
};

} // namespace pw
