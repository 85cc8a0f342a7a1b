#include "history/history.h"

#include "model/seriesstore.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace pw {

namespace {

constexpr qint64 kMinuteMs = 60 * 1000;
constexpr qint64 kHourMs = 60 * kMinuteMs;
// Between two raw samples, silence longer than this many typical poll intervals is a gap (Pathwatch was down).
constexpr int kSilentIntervals = 5;

qint64 floorTo(qint64 ts, qint64 step)
{
    qint64 q = ts / step;
    if (ts % step != 0 && ts < 0)
        --q;
    return q * step;
}

void addGap(std::vector<HistoryGap>& gaps, qint64 from, qint64 to)
{
    if (to <= from)
        return;
    if (!gaps.empty() && from <= gaps.back().toMs) {
        gaps.back().toMs = std::max(gaps.back().toMs, to);
        return;
    }
    gaps.push_back(HistoryGap {from, to});
}

std::vector<HistoryPoint> rollUp(const std::vector<HistoryPoint>& minutes, const std::vector<quint32>& counts)
{
    std::vector<HistoryPoint> hours;
    qint64 current = std::numeric_limits<qint64>::min();
    double sum = 0.0;
    quint64 n = 0;
    for (std::size_t i = 0; i < minutes.size(); ++i) {
        const HistoryPoint& m = minutes[i];
        const qint64 start = floorTo(m.timestampMs, kHourMs);
        if (start != current) {
            if (n > 0)
                hours.back().mean = sum / double(n);
            hours.push_back(HistoryPoint {start, m.min, m.max, m.mean});
            current = start;
            sum = 0.0;
            n = 0;
        }
        HistoryPoint& h = hours.back();
        h.min = std::min(h.min, m.min);
        h.max = std::max(h.max, m.max);
        sum += m.mean * counts[i];
        n += counts[i];
    }
    if (n > 0)
        hours.back().mean = sum / double(n);
    return hours;
}

// Min and max per pixel column, fed in time order; never holds more than the output. Timestamps increase, so the
// order of the column's low and high is the order of their timestamps (equal only when they are one point).
class Decimator
{
public:
    Decimator(qint64 fromMs, qint64 toMs, int columns, std::vector<HistoryPoint>& out)
        : m_grid {fromMs, toMs, columns}
        , m_out(out)
    { }

    void push(const HistoryPoint& p) { add(m_grid.columnOf(p.timestampMs), p, p, p.mean, 1); }

    // A raw chunk inside one column, as its lowest and highest samples and the sum of all of them.
    void push(const RawChunkDigest& d)
    {
        add(m_grid.columnOf(d.firstMs), HistoryPoint {d.lowMs, d.low, d.low, d.low},
            HistoryPoint {d.highMs, d.high, d.high, d.high}, d.sum, d.count);
    }

    void flush()
    {
        if (m_count == 0)
            return;
        const double mean = m_sum / double(m_count);
        if (m_low.timestampMs == m_high.timestampMs) {
            m_out.push_back(HistoryPoint {m_low.timestampMs, m_low.min, m_high.max, mean});
        } else {
            const HistoryPoint low {m_low.timestampMs, m_low.min, m_low.min, mean};
            const HistoryPoint high {m_high.timestampMs, m_high.max, m_high.max, mean};
            if (m_low.timestampMs < m_high.timestampMs) {
                m_out.push_back(low);
                m_out.push_back(high);
            } else {
                m_out.push_back(high);
                m_out.push_back(low);
            }
        }
        m_count = 0;
    }

private:
    void add(qint64 column, const HistoryPoint& low, const HistoryPoint& high, double sum, quint64 count)
    {
        if (m_count > 0 && column != m_column)
            flush();
        if (m_count == 0) {
            m_column = column;
            m_low = low;
            m_high = high;
            m_sum = 0.0;
        } else {
            if (low.min < m_low.min)
                m_low = low;
            if (high.max > m_high.max)
                m_high = high;
        }
        m_sum += sum;
        m_count += count;
    }

    ColumnGrid m_grid;
    std::vector<HistoryPoint>& m_out;
    qint64 m_column = 0;
    HistoryPoint m_low;
    HistoryPoint m_high;
    double m_sum = 0.0;
    quint64 m_count = 0;
};

} // namespace

QString historyTierName(HistoryTier tier)
{
    switch (tier) {
    case HistoryTier::Raw:
        return QStringLiteral("raw");
    case HistoryTier::Minute:
        return QStringLiteral("minute");
    case HistoryTier::Hour:
        return QStringLiteral("hour");
    }
    return {};
}

namespace History {

HistoryTier tierForSpan(qint64 spanMs)
{
    if (spanMs <= kHourMs)
        return HistoryTier::Raw;
    if (spanMs <= 24 * kHourMs)
        return HistoryTier::Minute;
    return HistoryTier::Hour;
}

qint64 bucketMs(HistoryTier tier)
{
    switch (tier) {
    case HistoryTier::Raw:
        return 0;
    case HistoryTier::Minute:
        return kMinuteMs;
    case HistoryTier::Hour:
        return kHourMs;
    }
    return 0;
}

HistorySeries query(const SeriesStore& store, const HistoryRequest& request)
{
    HistorySeries out;
    out.id = request.id;
    out.fromMs = request.fromMs;
    out.toMs = request.toMs;
    out.tier = tierForSpan(request.toMs - request.fromMs);
    // A page asks again every few seconds for up to a million points: the buffers are kept per thread (the
    // HistoryService pool's), so they are allocated and faulted in once. Given back when they grew huge.
    thread_local SeriesRange range;
    const SeriesStore::Resolution resolution
        = out.tier == HistoryTier::Raw ? SeriesStore::Resolution::Best : SeriesStore::Resolution::Minute;
    if (request.columns > 0)
        store.rangeForColumnsInto(
            range, request.id, ColumnGrid {request.fromMs, request.toMs, request.columns}, resolution);
    else
        store.rangeInto(range, request.id, request.fromMs, request.toMs, resolution);
    struct Trim
    {
        SeriesRange& range;
        ~Trim()
        {
            constexpr std::size_t kKeepPoints = std::size_t(2) << 20; // 32 MiB of SeriesPoint
            if (range.points.capacity() > kKeepPoints)
                range.points = {};
            if (range.buckets.capacity() > kKeepPoints / 2)
                range.buckets = {};
        }
    } trim {range};

    // Buckets first (older), then raw points, as one list; NaN and empty buckets become gaps.
    const qint64 minuteMs = store.limits().bucketMs;
    std::vector<HistoryPoint> minutes;
    std::vector<quint32> counts;
    qint64 gapStart = std::numeric_limits<qint64>::min(); // start of the open gap, if any
    auto closeGap = [&](qint64 at) {
        if (gapStart != std::numeric_limits<qint64>::min())
            addGap(out.gaps, gapStart, at);
        gapStart = std::numeric_limits<qint64>::min();
    };
    qint64 previousEnd = std::numeric_limits<qint64>::min();
    for (const SeriesBucket& b : range.buckets) {
        if (previousEnd != std::numeric_limits<qint64>::min() && b.startMs > previousEnd
            && gapStart == std::numeric_limits<qint64>::min())
            addGap(out.gaps, previousEnd, b.startMs); // no bucket at all: nothing was recorded
        previousEnd = b.startMs + minuteMs;
        if (b.count == 0) {
            if (gapStart == std::numeric_limits<qint64>::min())
                gapStart = b.startMs;
            continue;
        }
        closeGap(b.startMs);
        minutes.push_back(HistoryPoint {b.startMs, b.min, b.max, b.mean});
        counts.push_back(b.count);
    }
    std::size_t rawCount = range.points.size();
    for (const RawChunkDigest& d : range.digests)
        rawCount += d.count;
    out.storedPoints = range.buckets.size() + rawCount;
    if (out.tier == HistoryTier::Hour)
        out.points = rollUp(minutes, counts);
    else
        out.points = std::move(minutes);

    // The typical spacing of raw samples, to tell a missed poll from Pathwatch not running: the median of up to 1,001
    // evenly spread steps (and of the digested chunks' own medians) is as good as all of them and costs nothing at a
    // million points.
    auto typicalStepOf = [](const SeriesRange& r) -> qint64 {
        std::vector<qint64> steps;
        if (r.points.size() > 2) {
            const std::size_t n = r.points.size() - 1;
            const std::size_t stride = std::max<std::size_t>(1, n / 1000);
            for (std::size_t i = 1; i <= n; i += stride)
                steps.push_back(r.points[i].timestampMs - r.points[i - 1].timestampMs);
        }
        const std::size_t digestStride = std::max<std::size_t>(1, r.digests.size() / 1000);
        for (std::size_t i = 0; i < r.digests.size(); i += digestStride)
            steps.push_back(r.digests[i].medianStepMs);
        if (steps.empty())
            return 0;
        std::nth_element(steps.begin(), steps.begin() + qsizetype(steps.size() / 2), steps.end());
        return steps[steps.size() / 2];
    };
    qint64 typicalStep = typicalStepOf(range);
    // A digested chunk can place one silence inside itself; one with two is read again point by point (rare: a
    // chunk that fits in one pixel column and still had Pathwatch stop twice).
    if (typicalStep > 0 && std::ranges::any_of(range.digests, [&](const RawChunkDigest& d) {
            return d.secondMaxStepMs > kSilentIntervals * typicalStep;
        })) {
        store.rangeInto(range, request.id, request.fromMs, request.toMs, resolution);
        typicalStep = typicalStepOf(range);
        rawCount = range.points.size();
    }
    const bool decimating
        = request.columns > 0 && (rawCount > std::size_t(request.columns) * 2 || !range.digests.empty());
    std::vector<HistoryPoint> decimated;
    std::optional<Decimator> decimator;
    if (decimating) {
        decimated.reserve(std::size_t(request.columns) * 2 + out.points.size());
        decimator.emplace(request.fromMs, request.toMs, request.columns, decimated);
        for (const HistoryPoint& p : out.points)
            decimator->push(p);
    } else {
        out.points.reserve(out.points.size() + range.points.size());
    }
    qint64 lastFinite = out.points.empty() ? std::numeric_limits<qint64>::min() : out.points.back().timestampMs;
    const qint64 silence = kSilentIntervals * typicalStep;
    auto arriveAt = [&](qint64 at) {
        if (gapStart != std::numeric_limits<qint64>::min()) {
            closeGap(at);
        } else if (typicalStep > 0 && lastFinite != std::numeric_limits<qint64>::min() && at - lastFinite > silence) {
            addGap(out.gaps, lastFinite, at);
        }
    };
    std::size_t nextDigest = 0;
    auto digestsBefore = [&](std::size_t pointIndex) {
        for (; nextDigest < range.digests.size() && range.digests[nextDigest].beforePoint <= pointIndex; ++nextDigest) {
            const RawChunkDigest& d = range.digests[nextDigest];
            arriveAt(d.firstMs);
            if (typicalStep > 0 && d.maxStepMs > silence)
                addGap(out.gaps, d.maxStepFromMs, d.maxStepFromMs + d.maxStepMs);
            lastFinite = d.lastMs;
            decimator->push(d);
        }
    };
    for (std::size_t i = 0; i < range.points.size(); ++i) {
        const SeriesPoint& p = range.points[i];
        digestsBefore(i);
        if (std::isnan(p.value)) {
            if (gapStart == std::numeric_limits<qint64>::min())
                gapStart = p.timestampMs;
            continue;
        }
        arriveAt(p.timestampMs);
        lastFinite = p.timestampMs;
        if (decimator)
            decimator->push(HistoryPoint {p.timestampMs, p.value, p.value, p.value});
        else
            out.points.push_back(HistoryPoint {p.timestampMs, p.value, p.value, p.value});
    }
    digestsBefore(range.points.size());
    if (decimator) {
        decimator->flush();
        out.points = std::move(decimated);
    }
    // A gap still open at the end runs to the newest mark the series has (it is STALE now).
    if (gapStart != std::numeric_limits<qint64>::min()) {
        qint64 end = gapStart;
        if (!range.points.empty())
            end = std::max(end, range.points.back().timestampMs);
        if (!range.digests.empty())
            end = std::max(end, range.digests.back().lastMs);
        if (!range.buckets.empty())
            end = std::max(end, range.buckets.back().startMs + minuteMs);
        addGap(out.gaps, gapStart, std::max(end, gapStart + 1));
    }
    for (HistoryGap& g : out.gaps) {
        g.fromMs = std::max(g.fromMs, request.fromMs);
        g.toMs = std::min(g.toMs, request.toMs);
    }
    std::erase_if(out.gaps, [](const HistoryGap& g) { return g.toMs <= g.fromMs; });

    if (request.columns > 0 && !decimating)
        out.points = decimate(out.points, request.fromMs, request.toMs, request.columns);
    return out;
}

std::vector<HistoryPoint> decimate(const std::vector<HistoryPoint>& points, qint64 fromMs, qint64 toMs, int columns)
{
    if (columns <= 0 || toMs <= fromMs || points.size() <= std::size_t(columns) * 2)
        return points;
    std::vector<HistoryPoint> out;
    out.reserve(std::size_t(columns) * 2);
    Decimator decimator(fromMs, toMs, columns, out);
    for (const HistoryPoint& p : points)
        decimator.push(p);
    decimator.flush();
    return out;
}

} // namespace History

} // namespace pw
