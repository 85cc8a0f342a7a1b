#include "history/history.h"

#include "model/seriesstore.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
    const SeriesRange range = store.range(request.id, request.fromMs, request.toMs,
        out.tier == HistoryTier::Raw ? SeriesStore::Resolution::Best : SeriesStore::Resolution::Minute);

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
    out.storedPoints = range.buckets.size() + range.points.size();
    if (out.tier == HistoryTier::Hour)
        out.points = rollUp(minutes, counts);
    else
        out.points = std::move(minutes);

    // The typical spacing of raw samples, to tell a missed poll from Pathwatch not running.
    qint64 typicalStep = 0;
    if (range.points.size() > 2) {
        std::vector<qint64> steps;
        steps.reserve(range.points.size() - 1);
        for (std::size_t i = 1; i < range.points.size(); ++i)
            steps.push_back(range.points[i].timestampMs - range.points[i - 1].timestampMs);
        std::nth_element(steps.begin(), steps.begin() + qsizetype(steps.size() / 2), steps.end());
        typicalStep = steps[steps.size() / 2];
    }
    qint64 lastFinite = out.points.empty() ? std::numeric_limits<qint64>::min() : out.points.back().timestampMs;
    for (const SeriesPoint& p : range.points) {
        if (std::isnan(p.value)) {
            if (gapStart == std::numeric_limits<qint64>::min())
                gapStart = p.timestampMs;
            continue;
        }
        if (gapStart != std::numeric_limits<qint64>::min()) {
            closeGap(p.timestampMs);
        } else if (typicalStep > 0 && lastFinite != std::numeric_limits<qint64>::min()
            && p.timestampMs - lastFinite > kSilentIntervals * typicalStep) {
            addGap(out.gaps, lastFinite, p.timestampMs);
        }
        lastFinite = p.timestampMs;
        out.points.push_back(HistoryPoint {p.timestampMs, p.value, p.value, p.value});
    }
    // A gap still open at the end runs to the newest mark the series has (it is STALE now).
    if (gapStart != std::numeric_limits<qint64>::min()) {
        qint64 end = gapStart;
        if (!range.points.empty())
            end = std::max(end, range.points.back().timestampMs);
        if (!range.buckets.empty())
            end = std::max(end, range.buckets.back().startMs + minuteMs);
        addGap(out.gaps, gapStart, std::max(end, gapStart + 1));
    }
    for (HistoryGap& g : out.gaps) {
        g.fromMs = std::max(g.fromMs, request.fromMs);
        g.toMs = std::min(g.toMs, request.toMs);
    }
    std::erase_if(out.gaps, [](const HistoryGap& g) { return g.toMs <= g.fromMs; });

    if (request.columns > 0)
        out.points = decimate(out.points, request.fromMs, request.toMs, request.columns);
    return out;
}

std::vector<HistoryPoint> decimate(const std::vector<HistoryPoint>& points, qint64 fromMs, qint64 toMs, int columns)
{
    if (columns <= 0 || toMs <= fromMs || points.size() <= std::size_t(columns) * 2)
        return points;
    std::vector<HistoryPoint> out;
    out.reserve(std::size_t(columns) * 2);
    const double width = double(toMs - fromMs) / columns;
    std::size_t i = 0;
    while (i < points.size()) {
        const qint64 column = std::clamp<qint64>(qint64((points[i].timestampMs - fromMs) / width), 0, columns - 1);
        const std::size_t begin = i;
        std::size_t lowest = i;
        std::size_t highest = i;
        double sum = 0.0;
        for (; i < points.size(); ++i) {
            const qint64 c = std::clamp<qint64>(qint64((points[i].timestampMs - fromMs) / width), 0, columns - 1);
            if (c != column)
                break;
            if (points[i].min < points[lowest].min)
                lowest = i;
            if (points[i].max > points[highest].max)
                highest = i;
            sum += points[i].mean;
        }
        const double mean = sum / double(i - begin);
        const HistoryPoint low {points[lowest].timestampMs, points[lowest].min, points[lowest].min, mean};
        const HistoryPoint high {points[highest].timestampMs, points[highest].max, points[highest].max, mean};
        if (lowest == highest) {
            out.push_back(HistoryPoint {points[lowest].timestampMs, points[lowest].min, points[highest].max, mean});
        } else if (lowest < highest) {
            out.push_back(low);
            out.push_back(high);
        } else {
            out.push_back(high);
            out.push_back(low);
        }
    }
    return out;
}

} // namespace History

} // namespace pw
