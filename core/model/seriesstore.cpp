#include "model/seriesstore.h"

#include "model/gorillachunk.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

namespace pw {

namespace {

constexpr int kMinuteChunkBuckets = 60; // one hour of buckets per chunk: trimming re-encodes at most 60 rows
constexpr int kMinuteColumns = 4; // min, max, sum, count

qint64 floorTo(qint64 ts, qint64 step)
{
    qint64 q = ts / step;
    if (ts % step != 0 && ts < 0)
        --q;
    return q * step;
}

qint64 ceilTo(qint64 ts, qint64 step)
{
    const qint64 f = floorTo(ts, step);
    return f == ts ? ts : f + step;
}

// Rough heap cost of a hash-table entry (node + bucket slot) and of a QString's header, for the per-series estimate.
constexpr std::size_t kIndexEntryBytes = 64;
constexpr std::size_t kStringHeaderBytes = 24;

std::size_t stringBytes(const QString& s)
{
    return kStringHeaderBytes + std::size_t(s.capacity() + 1) * 2;
}

} // namespace

struct SeriesStore::Series
{
    explicit Series(const Limits& limits)
        : rawHead(1)
        , minuteHead(kMinuteColumns, kMinuteChunkBuckets, limits.bucketMs * kMinuteChunkBuckets)
    { }

    std::mutex mutex;
    SeriesId id = 0;
    QString key;
    QString signalId;
    Labels labels;
    std::atomic<quint64> touch {0};

    std::vector<GorillaChunk> raw; // sealed, oldest first
    GorillaChunkWriter rawHead;
    // Digests of sealed raw chunks by their first timestamp, made when a chart first asks (rangeForColumnsInto) and
    // dropped with their chunk. Not counted in bytes(): only charted series have them, ~100 B per chunk of 120 rows.
    std::map<qint64, RawChunkDigest> digests;
    std::vector<GorillaChunk> minute; // sealed, oldest first
    GorillaChunkWriter minuteHead;

    // The open minute bucket (not yet in minuteHead).
    bool bucketOpen = false;
    qint64 bucketStart = 0;
    double bucketMin = 0.0;
    double bucketMax = 0.0;
    double bucketSum = 0.0;
    quint32 bucketCount = 0;

    bool hasLast = false;
    qint64 lastTs = 0;
    double lastValue = 0.0;

    int rawSamples = 0;
    int buckets = 0;
    std::size_t sealedPayload = 0; // payload bytes of raw + minute sealed chunks
    std::size_t fixedBytes = 0; // the object, its key and index entries
    std::size_t accountedBytes = 0; // what this series last added to SeriesStore::m_bytes

    std::size_t bytes() const
    {
        return fixedBytes + sealedPayload + (raw.capacity() + minute.capacity()) * sizeof(GorillaChunk)
            + (rawHead.bytesUsed() - sizeof(GorillaChunkWriter))
            + (minuteHead.bytesUsed() - sizeof(GorillaChunkWriter));
    }

    qint64 rawOldest() const
    {
        if (!raw.empty())
            return raw.front().firstTimestamp();
        return rawHead.isEmpty() ? lastTs : rawHead.firstTimestamp();
    }

    bool isEmpty() const { return rawSamples == 0 && buckets == 0 && !bucketOpen; }

    void pushRaw(GorillaChunk chunk)
    {
        if (chunk.isEmpty())
            return;
        sealedPayload += chunk.payloadBytes();
        raw.push_back(std::move(chunk));
    }

    void pushMinute(GorillaChunk chunk)
    {
        if (chunk.isEmpty())
            return;
        sealedPayload += chunk.payloadBytes();
        minute.push_back(std::move(chunk));
    }

    void closeBucket()
    {
        if (!bucketOpen)
            return;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double row[kMinuteColumns] = {bucketCount ? bucketMin : nan, bucketCount ? bucketMax : nan,
            bucketCount ? bucketSum : nan, double(bucketCount)};
        const std::span<const double> values(row, kMinuteColumns);
        if (minuteHead.append(bucketStart, values) == GorillaChunkWriter::AppendResult::Full) {
            pushMinute(minuteHead.seal());
            minuteHead.append(bucketStart, values);
        }
        ++buckets;
        bucketOpen = false;
    }

    void addToBucket(qint64 ts, double value, qint64 bucketMs)
    {
        const qint64 start = floorTo(ts, bucketMs);
        if (bucketOpen && start != bucketStart)
            closeBucket();
        if (!bucketOpen) {
            bucketOpen = true;
            bucketStart = start;
            bucketCount = 0;
            bucketSum = 0.0;
            bucketMin = bucketMax = 0.0;
        }
        if (std::isnan(value))
            return;
        if (bucketCount == 0) {
            bucketMin = bucketMax = value;
        } else {
            bucketMin = std::min(bucketMin, value);
            bucketMax = std::max(bucketMax, value);
        }
        bucketSum += value;
        ++bucketCount;
    }

    // Drops what has left the windows that end at `now`.
    void trim(qint64 now, const Limits& limits)
    {
        const qint64 rawCutoff = now - limits.rawRetentionMs;
        std::size_t dropRaw = 0;
        while (dropRaw < raw.size() && raw[dropRaw].lastTimestamp() < rawCutoff) {
            rawSamples -= raw[dropRaw].count();
            sealedPayload -= raw[dropRaw].payloadBytes();
            ++dropRaw;
        }
        if (dropRaw > 0) {
            raw.erase(raw.begin(), raw.begin() + qsizetype(dropRaw));
            if (raw.empty())
                digests.clear();
            else
                digests.erase(digests.begin(), digests.lower_bound(raw.front().firstTimestamp()));
        }
        if (raw.empty() && !rawHead.isEmpty() && rawHead.lastTimestamp() < rawCutoff) {
            rawSamples -= rawHead.count();
            rawHead = GorillaChunkWriter(1); // idle series: give the buffer back too
        }

        const qint64 minuteCutoff = now - limits.aggregateRetentionMs;
        std::size_t dropMinute = 0;
        while (dropMinute < minute.size() && minute[dropMinute].lastTimestamp() < minuteCutoff) {
            buckets -= minute[dropMinute].count();
            sealedPayload -= minute[dropMinute].payloadBytes();
            ++dropMinute;
        }
        if (dropMinute > 0)
            minute.erase(minute.begin(), minute.begin() + qsizetype(dropMinute));
        // The minute tier is exact: re-encode the chunk that straddles the cutoff without its expired buckets.
        if (!minute.empty() && minute.front().firstTimestamp() < minuteCutoff) {
            GorillaChunk& front = minute.front();
            GorillaChunk trimmed = front.withoutRowsBefore(minuteCutoff);
            buckets -= front.count() - trimmed.count();
            sealedPayload -= front.payloadBytes();
            sealedPayload += trimmed.payloadBytes();
            front = std::move(trimmed);
        }
        if (minute.empty() && !minuteHead.isEmpty() && minuteHead.firstTimestamp() < minuteCutoff) {
            // Only after a long silence: the open chunk itself straddles the cutoff. Rebuild it.
            GorillaChunk all = minuteHead.seal();
            buckets -= all.count();
            GorillaChunkReader rows = all.reader();
            double row[kMinuteColumns];
            while (rows.next()) {
                if (rows.timestamp() < minuteCutoff)
                    continue;
                for (int c = 0; c < kMinuteColumns; ++c)
                    row[c] = rows.value(c);
                minuteHead.append(rows.timestamp(), std::span<const double>(row, kMinuteColumns));
                ++buckets;
            }
        }
        if (bucketOpen && bucketStart < minuteCutoff)
            bucketOpen = false;
    }
};

// ---------------------------------------------------------------------------------------------------------------

SeriesStore::SeriesStore(Limits limits)
    : m_limits(limits)
{ }

SeriesStore::SeriesStore()
    : SeriesStore(Limits {})
{ }

SeriesStore::~SeriesStore() = default;

QString SeriesStore::keyOf(const QString& signalId, const Labels& labels)
{
    // NUL cannot occur in a config id, and labelsToString escapes values, so the key is unambiguous.
    return signalId + QChar(u'\0') + labelsToString(labels);
}

SeriesStore::Series* SeriesStore::lookup(SeriesId id) const
{
    const auto it = m_series.find(id);
    return it == m_series.end() ? nullptr : it->second.get();
}

SeriesId SeriesStore::find(const QString& signalId, Labels labels) const
{
    normalizeLabels(labels);
    const QString key = keyOf(signalId, labels);
    std::shared_lock lock(m_tableLock);
    const auto it = m_index.find(key);
    return it == m_index.end() ? 0 : it->second;
}

SeriesId SeriesStore::intern(const QString& signalId, Labels labels)
{
    normalizeLabels(labels);
    QString key = keyOf(signalId, labels);
    {
        std::shared_lock lock(m_tableLock);
        const auto it = m_index.find(key);
        if (it != m_index.end())
            return it->second;
    }
    std::unique_lock lock(m_tableLock);
    if (const auto it = m_index.find(key); it != m_index.end())
        return it->second;
    evictLocked(1);

    auto series = std::make_unique<Series>(m_limits);
    series->id = m_nextId++;
    series->key = key;
    series->signalId = signalId;
    series->labels = std::move(labels);
    series->fixedBytes = sizeof(Series) + 2 * kIndexEntryBytes + stringBytes(series->key)
        + stringBytes(series->signalId) + series->labels.capacity() * sizeof(Labels::value_type);
    for (const auto& [name, value] : series->labels)
        series->fixedBytes += stringBytes(name) + stringBytes(value);
    series->touch.store(++m_touch, std::memory_order_relaxed);
    series->accountedBytes = series->bytes();
    m_bytes.fetch_add(series->accountedBytes, std::memory_order_relaxed);

    const SeriesId id = series->id;
    m_index.emplace(std::move(key), id);
    m_series.emplace(id, std::move(series));
    return id;
}

SeriesStore::AppendResult SeriesStore::append(const Sample& sample)
{
    return append(intern(sample.signalId, sample.labels), sample.timestampMs, sample.value);
}

SeriesStore::AppendResult SeriesStore::append(SeriesId id, qint64 timestampMs, double value)
{
    {
        std::shared_lock tableLock(m_tableLock);
        Series* s = lookup(id);
        if (!s) {
            m_droppedUnknown.fetch_add(1, std::memory_order_relaxed);
            return AppendResult::UnknownSeries;
        }
        std::lock_guard lock(s->mutex);
        if (s->hasLast && timestampMs <= s->lastTs) {
            if (timestampMs == s->lastTs) {
                m_droppedDuplicates.fetch_add(1, std::memory_order_relaxed);
                return AppendResult::Duplicate;
            }
            m_droppedOutOfOrder.fetch_add(1, std::memory_order_relaxed);
            return AppendResult::OutOfOrder;
        }
        const int rawBefore = s->rawSamples;
        const int bucketsBefore = s->buckets;

        if (s->rawHead.append(timestampMs, value) == GorillaChunkWriter::AppendResult::Full) {
            s->pushRaw(s->rawHead.seal());
            s->rawHead.append(timestampMs, value);
        }
        ++s->rawSamples;
        s->addToBucket(timestampMs, value, m_limits.bucketMs);
        s->hasLast = true;
        s->lastTs = timestampMs;
        s->lastValue = value;
        s->trim(timestampMs, m_limits);
        s->touch.store(++m_touch, std::memory_order_relaxed);

        const std::size_t now = s->bytes();
        m_bytes.fetch_add(now - s->accountedBytes, std::memory_order_relaxed); // wraps correctly when shrinking
        s->accountedBytes = now;
        m_samples.fetch_add(quint64(s->rawSamples - rawBefore), std::memory_order_relaxed);
        m_buckets.fetch_add(quint64(s->buckets - bucketsBefore), std::memory_order_relaxed);
        m_appended.fetch_add(1, std::memory_order_relaxed);
    }
    if (m_bytes.load(std::memory_order_relaxed) > m_limits.maxBytes && !m_evicting.exchange(true)) {
        std::unique_lock lock(m_tableLock);
        evictLocked(0);
        m_evicting.store(false);
    }
    return AppendResult::Appended;
}

SeriesStore::AppendResult SeriesStore::appendBucket(
    SeriesId id, qint64 startMs, double min, double max, double mean, quint32 count)
{
    {
        std::shared_lock tableLock(m_tableLock);
        Series* s = lookup(id);
        if (!s) {
            m_droppedUnknown.fetch_add(1, std::memory_order_relaxed);
            return AppendResult::UnknownSeries;
        }
        std::lock_guard lock(s->mutex);
        const qint64 bucketMs = m_limits.bucketMs;
        startMs = floorTo(startMs, bucketMs);
        const qint64 endMs = startMs + bucketMs - 1; // the bucket's last instant stands for its newest sample
        if (s->hasLast && startMs <= s->lastTs) {
            m_droppedOutOfOrder.fetch_add(1, std::memory_order_relaxed);
            return AppendResult::OutOfOrder;
        }
        const int bucketsBefore = s->buckets;
        s->closeBucket();
        s->bucketOpen = true;
        s->bucketStart = startMs;
        s->bucketCount = count;
        s->bucketMin = min;
        s->bucketMax = max;
        s->bucketSum = count ? mean * double(count) : 0.0;
        s->closeBucket();
        s->hasLast = true;
        s->lastTs = endMs;
        s->lastValue = count ? mean : std::numeric_limits<double>::quiet_NaN();
        s->trim(endMs, m_limits);
        s->touch.store(++m_touch, std::memory_order_relaxed);

        const std::size_t now = s->bytes();
        m_bytes.fetch_add(now - s->accountedBytes, std::memory_order_relaxed);
        s->accountedBytes = now;
        m_buckets.fetch_add(quint64(s->buckets - bucketsBefore), std::memory_order_relaxed);
        m_appended.fetch_add(1, std::memory_order_relaxed);
    }
    if (m_bytes.load(std::memory_order_relaxed) > m_limits.maxBytes && !m_evicting.exchange(true)) {
        std::unique_lock lock(m_tableLock);
        evictLocked(0);
        m_evicting.store(false);
    }
    return AppendResult::Appended;
}

void SeriesStore::evictLocked(std::size_t incomingSeries)
{
    const std::size_t maxSeries = std::size_t(std::max<qsizetype>(m_limits.maxSeries, 1));
    const bool overSeries = m_series.size() + incomingSeries > maxSeries;
    const bool overBytes = m_bytes.load(std::memory_order_relaxed) > m_limits.maxBytes;
    if (!overSeries && !overBytes)
        return;
    // Evict a little below the bounds (1% of the series, 5% of the bytes) so that the scan below runs rarely.
    const std::size_t seriesTarget = maxSeries - std::min(maxSeries, incomingSeries + maxSeries / 100);
    const std::size_t bytesTarget = m_limits.maxBytes / 100 * 95;

    std::vector<std::pair<quint64, SeriesId>> byAge;
    byAge.reserve(m_series.size());
    for (const auto& [id, s] : m_series)
        byAge.emplace_back(s->touch.load(std::memory_order_relaxed), id);
    std::sort(byAge.begin(), byAge.end());
    for (const auto& [touch, id] : byAge) {
        const bool needSeries = overSeries && m_series.size() > seriesTarget;
        const bool needBytes = overBytes && m_bytes.load(std::memory_order_relaxed) > bytesTarget;
        if (!needSeries && !needBytes)
            break;
        removeLocked(id, true);
    }
}

void SeriesStore::removeLocked(SeriesId id, bool evicted)
{
    const auto it = m_series.find(id);
    if (it == m_series.end())
        return;
    Series& s = *it->second;
    {
        std::lock_guard lock(s.mutex); // nobody else can hold it (the table is locked exclusively); for clarity
        m_bytes.fetch_sub(s.accountedBytes, std::memory_order_relaxed);
        m_samples.fetch_sub(quint64(s.rawSamples), std::memory_order_relaxed);
        m_buckets.fetch_sub(quint64(s.buckets), std::memory_order_relaxed);
        m_index.erase(s.key);
    }
    m_series.erase(it);
    if (evicted)
        m_evicted.fetch_add(1, std::memory_order_relaxed);
}

bool SeriesStore::remove(SeriesId id)
{
    std::unique_lock lock(m_tableLock);
    if (!lookup(id))
        return false;
    removeLocked(id, false);
    return true;
}

void SeriesStore::expire(qint64 nowMs)
{
    std::unique_lock tableLock(m_tableLock);
    std::vector<SeriesId> empty;
    for (auto& [id, s] : m_series) {
        std::lock_guard lock(s->mutex);
        const int rawBefore = s->rawSamples;
        const int bucketsBefore = s->buckets;
        s->trim(std::max(nowMs, s->lastTs), m_limits);
        const std::size_t now = s->bytes();
        m_bytes.fetch_add(now - s->accountedBytes, std::memory_order_relaxed);
        s->accountedBytes = now;
        m_samples.fetch_add(quint64(s->rawSamples - rawBefore), std::memory_order_relaxed);
        m_buckets.fetch_add(quint64(s->buckets - bucketsBefore), std::memory_order_relaxed);
        if (s->isEmpty())
            empty.push_back(id);
    }
    for (SeriesId id : empty)
        removeLocked(id, false);
}

std::optional<SeriesPoint> SeriesStore::latest(SeriesId id) const
{
    std::shared_lock tableLock(m_tableLock);
    Series* s = lookup(id);
    if (!s)
        return std::nullopt;
    std::lock_guard lock(s->mutex);
    if (!s->hasLast)
        return std::nullopt;
    return SeriesPoint {s->lastTs, s->lastValue};
}

namespace {

void readBuckets(
    const GorillaChunkReader& chunk, qint64 from, qint64 to, qint64 bucketMs, std::vector<SeriesBucket>& out)
{
    GorillaChunkReader rows = chunk;
    while (rows.next()) {
        const qint64 start = rows.timestamp();
        if (start + bucketMs <= from)
            continue;
        if (start > to)
            break;
        const auto count = quint32(rows.value(3));
        out.push_back(SeriesBucket {start, rows.value(0), rows.value(1),
            count ? rows.value(2) / count : std::numeric_limits<double>::quiet_NaN(), count});
    }
}

void readPoints(const GorillaChunkReader& chunk, qint64 from, qint64 to, std::vector<SeriesPoint>& out)
{
    GorillaChunkReader rows = chunk;
    rows.appendRows(from, to, out);
}

// Sums up a sealed chunk; nullopt when it holds a NaN or fewer than three rows (nothing to gain).
std::optional<RawChunkDigest> digestOf(const GorillaChunk& chunk)
{
    if (chunk.count() < 3)
        return std::nullopt;
    thread_local std::vector<SeriesPoint> rows;
    thread_local std::vector<qint64> steps;
    rows.clear();
    chunk.reader().appendRows(std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max(), rows);
    if (rows.size() < 3)
        return std::nullopt;
    RawChunkDigest d;
    d.firstMs = rows.front().timestampMs;
    d.lastMs = rows.back().timestampMs;
    d.lowMs = d.highMs = d.firstMs;
    d.low = d.high = rows.front().value;
    steps.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const SeriesPoint& p = rows[i];
        if (std::isnan(p.value))
            return std::nullopt;
        if (p.value < d.low) {
            d.low = p.value;
            d.lowMs = p.timestampMs;
        }
        if (p.value > d.high) {
            d.high = p.value;
            d.highMs = p.timestampMs;
        }
        d.sum += p.value;
        if (i > 0) {
            const qint64 step = p.timestampMs - rows[i - 1].timestampMs;
            steps.push_back(step);
            if (step > d.maxStepMs) {
                d.secondMaxStepMs = d.maxStepMs;
                d.maxStepMs = step;
                d.maxStepFromMs = rows[i - 1].timestampMs;
            } else if (step > d.secondMaxStepMs) {
                d.secondMaxStepMs = step;
            }
        }
    }
    d.count = quint32(rows.size());
    std::nth_element(steps.begin(), steps.begin() + qsizetype(steps.size() / 2), steps.end());
    d.medianStepMs = steps[steps.size() / 2];
    return d;
}

} // namespace

SeriesRange SeriesStore::range(SeriesId id, qint64 fromMs, qint64 toMs, Resolution resolution) const
{
    SeriesRange result;
    rangeInto(result, id, fromMs, toMs, resolution);
    return result;
}

void SeriesStore::rangeInto(SeriesRange& result, SeriesId id, qint64 fromMs, qint64 toMs, Resolution resolution) const
{
    rangeForColumnsInto(result, id, ColumnGrid {fromMs, toMs, 0}, resolution); // no columns: every point
}

void SeriesStore::rangeForColumnsInto(
    SeriesRange& result, SeriesId id, const ColumnGrid& grid, Resolution resolution) const
{
    result.buckets.clear();
    result.points.clear();
    result.digests.clear();
    result.rawFromMs = std::numeric_limits<qint64>::max();
    if (grid.fromMs > grid.toMs)
        return;
    std::shared_lock tableLock(m_tableLock);
    Series* s = lookup(id);
    if (!s)
        return;
    std::lock_guard lock(s->mutex);
    rangeLocked(result, *s, grid.fromMs, grid.toMs, resolution, grid.columns > 0 ? &grid : nullptr);
}

void SeriesStore::rangeLocked(SeriesRange& result, Series& series, qint64 fromMs, qint64 toMs, Resolution resolution,
    const ColumnGrid* grid) const
{
    Series* s = &series;
    if (!s->hasLast)
        return;

    const qint64 bucketMs = m_limits.bucketMs;
    qint64 boundary = std::numeric_limits<qint64>::max();
    bool wantBuckets = true;
    if (resolution == Resolution::Best && s->rawSamples > 0) {
        const qint64 rawOldest = s->rawOldest();
        const qint64 rawVisible = std::max(s->lastTs - m_limits.rawRetentionMs, rawOldest);
        qint64 oldestBucket = s->bucketOpen ? s->bucketStart : std::numeric_limits<qint64>::max();
        if (!s->minute.empty())
            oldestBucket = s->minute.front().firstTimestamp();
        else if (!s->minuteHead.isEmpty())
            oldestBucket = s->minuteHead.firstTimestamp();
        if (fromMs >= rawVisible) {
            boundary = fromMs;
            wantBuckets = false;
        } else if (rawVisible == rawOldest && oldestBucket >= floorTo(rawOldest, bucketMs)) {
            // The raw tier still holds the series' whole history: no bucket has anything the points lack.
            boundary = rawOldest;
            wantBuckets = false;
        } else {
            // Raw from a bucket boundary on, so buckets and points neither overlap nor leave a gap.
            boundary = ceilTo(rawVisible, bucketMs);
        }
    }
    result.rawFromMs = boundary;

    const qint64 bucketTo = boundary == std::numeric_limits<qint64>::max() ? toMs : std::min(toMs, boundary - 1);
    if (wantBuckets && fromMs <= bucketTo) {
        for (const GorillaChunk& chunk : s->minute) {
            if (chunk.lastTimestamp() + bucketMs <= fromMs || chunk.firstTimestamp() > bucketTo)
                continue;
            readBuckets(chunk.reader(), fromMs, bucketTo, bucketMs, result.buckets);
        }
        if (!s->minuteHead.isEmpty() && s->minuteHead.lastTimestamp() + bucketMs > fromMs
            && s->minuteHead.firstTimestamp() <= bucketTo)
            readBuckets(s->minuteHead.reader(), fromMs, bucketTo, bucketMs, result.buckets);
        if (s->bucketOpen && s->bucketStart + bucketMs > fromMs && s->bucketStart <= bucketTo) {
            const double nan = std::numeric_limits<double>::quiet_NaN();
            const quint32 n = s->bucketCount;
            result.buckets.push_back(SeriesBucket {
                s->bucketStart, n ? s->bucketMin : nan, n ? s->bucketMax : nan, n ? s->bucketSum / n : nan, n});
        }
    }

    if (boundary != std::numeric_limits<qint64>::max() && boundary <= toMs) {
        const qint64 from = std::max(fromMs, boundary);
        // One allocation of the right size (at most the rows of the chunks that overlap), not a doubling series.
        std::size_t rows = s->rawHead.count();
        for (const GorillaChunk& chunk : s->raw)
            if (chunk.lastTimestamp() >= from && chunk.firstTimestamp() <= toMs)
                rows += std::size_t(chunk.count());
        const bool digesting = grid && rows > std::size_t(grid->columns) * 2;
        result.points.reserve(digesting ? std::size_t(grid->columns) * 4 : rows);
        for (const GorillaChunk& chunk : s->raw) {
            if (chunk.lastTimestamp() < from || chunk.firstTimestamp() > toMs)
                continue;
            if (digesting && chunk.firstTimestamp() >= from && chunk.lastTimestamp() <= toMs
                && grid->columnOf(chunk.firstTimestamp()) == grid->columnOf(chunk.lastTimestamp())) {
                auto cached = s->digests.find(chunk.firstTimestamp());
                if (cached == s->digests.end()) // a chunk that cannot be digested is remembered as count 0
                    cached
                        = s->digests.emplace(chunk.firstTimestamp(), digestOf(chunk).value_or(RawChunkDigest {})).first;
                if (cached->second.count > 0) {
                    result.digests.push_back(cached->second);
                    result.digests.back().beforePoint = result.points.size();
                    continue;
                }
            }
            readPoints(chunk.reader(), from, toMs, result.points);
        }
        if (!s->rawHead.isEmpty() && s->rawHead.lastTimestamp() >= from && s->rawHead.firstTimestamp() <= toMs)
            readPoints(s->rawHead.reader(), from, toMs, result.points);
    }
}

std::optional<SeriesStore::SeriesInfo> SeriesStore::info(SeriesId id) const
{
    std::shared_lock tableLock(m_tableLock);
    Series* s = lookup(id);
    if (!s)
        return std::nullopt;
    std::lock_guard lock(s->mutex);
    SeriesInfo info;
    info.signalId = s->signalId;
    info.labels = s->labels;
    info.rawSamples = s->rawSamples;
    info.rawOldestMs = s->rawSamples > 0 ? s->rawOldest() : 0;
    info.newestMs = s->lastTs;
    info.buckets = s->buckets;
    if (!s->minute.empty())
        info.oldestBucketMs = s->minute.front().firstTimestamp();
    else if (!s->minuteHead.isEmpty())
        info.oldestBucketMs = s->minuteHead.firstTimestamp();
    if (!s->minuteHead.isEmpty())
        info.newestBucketMs = s->minuteHead.lastTimestamp();
    else if (!s->minute.empty())
        info.newestBucketMs = s->minute.back().lastTimestamp();
    info.bytes = s->accountedBytes;
    return info;
}

std::vector<SeriesId> SeriesStore::seriesIds() const
{
    std::shared_lock lock(m_tableLock);
    std::vector<SeriesId> ids;
    ids.reserve(m_series.size());
    for (const auto& [id, s] : m_series)
        ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

qsizetype SeriesStore::seriesCount() const
{
    std::shared_lock lock(m_tableLock);
    return qsizetype(m_series.size());
}

SeriesStore::Counters SeriesStore::counters() const
{
    Counters c;
    c.appended = m_appended.load(std::memory_order_relaxed);
    c.droppedOutOfOrder = m_droppedOutOfOrder.load(std::memory_order_relaxed);
    c.droppedDuplicates = m_droppedDuplicates.load(std::memory_order_relaxed);
    c.droppedUnknownSeries = m_droppedUnknown.load(std::memory_order_relaxed);
    c.evictedSeries = m_evicted.load(std::memory_order_relaxed);
    return c;
}

} // namespace pw
