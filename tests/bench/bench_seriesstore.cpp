// SeriesStore against a naive uncompressed store (std::vector<std::pair<qint64, double>> per series, 16 bytes a
// sample) on the same synthetic poll data: bytes per sample, appends/s, range-query latency (1 h raw, 24 h of minute
// buckets), all timed in thread CPU time. Full run: 10,000 series at a 5 s poll, one hour, then filled on to 24 h for
// the downsampled queries.
// --quick (CTest): 1,000 series, 10 minutes.
//
// The data imitates what Pathwatch polls every 5 s (see DESIGN.md): per-partition consumer lag (integer gauge),
// committed offsets (integer counters), time lag in seconds with millisecond resolution, sink latency quantiles from
// histogram_quantile (full doubles; Prometheus scrapes every 15 s, so two polls in three repeat the value) and
// object-storage error rates (mostly 0). Timestamps are the scheduler's ticks; 5% of polls run late by 1-250 ms.
// Two sizes: all-in (everything the store holds — both tiers, the open chunks, keys, index — over the raw samples)
// and the codec alone (the same samples through bare chunk writers, 120 rows a chunk, + 24 bytes a chunk for its
// header), where the peer is the paper's Gorilla stream of the very same chunks, as the writer holds them before
// sealing packs them.

#include "model/gorillachunk.h"
#include "model/seriesstore.h"

#include <QCoreApplication>
#include <QString>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <unordered_map>
#include <vector>

using pw::SeriesId;
using pw::SeriesStore;

namespace {

constexpr qint64 kPollMs = 5000;
constexpr qint64 kHourMs = 3'600'000;
constexpr qint64 kT0 = 1'790'000'000'000 - 1'790'000'000'000 % kHourMs;

// Thread CPU time, not wall time: the benchmark shares its machine, and preemption is not the store's cost.
struct Clock
{
    using time_point = double;
    static double now()
    {
        timespec ts {};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
    }
};
double secondsSince(double start)
{
    return Clock::now() - start;
}

enum class Kind
{
    Lag,
    Counter,
    TimeLag,
    Quantile,
    ErrorRate,
    NUM_KINDS
};
const char* kindName(Kind k)
{
    switch (k) {
    case Kind::Lag:
        return "consumer-lag";
    case Kind::Counter:
        return "offset-counter";
    case Kind::TimeLag:
        return "time-lag-ms";
    case Kind::Quantile:
        return "latency-quantile";
    case Kind::ErrorRate:
        return "error-rate";
    default:
        return "?";
    }
}

// 35% lag, 25% counters, 15% time lag, 15% quantiles, 10% error rates.
Kind kindOf(int series)
{
    const int p = series % 20;
    if (p < 7)
        return Kind::Lag;
    if (p < 12)
        return Kind::Counter;
    if (p < 15)
        return Kind::TimeLag;
    if (p < 18)
        return Kind::Quantile;
    return Kind::ErrorRate;
}

// One series' value generator: state advanced once per poll.
struct Generator
{
    Kind kind;
    std::mt19937_64 rng;
    double state = 0;
    double rate = 0;
    double last = 0;
    qint64 poll = 0;

    Generator(int series)
        : kind(kindOf(series))
        , rng(std::uint64_t(series) * 7919 + 1)
    {
        std::uniform_real_distribution<double> u(0, 1);
        switch (kind) {
        case Kind::Lag:
            state = std::floor(u(rng) * 2000);
            break;
        case Kind::Counter:
            state = std::floor(u(rng) * 1e9);
            rate = std::floor(100 + u(rng) * 5000);
            break;
        case Kind::TimeLag:
            state = 0.5 + u(rng) * 20;
            break;
        case Kind::Quantile:
            state = 0.05 + u(rng) * 0.4;
            break;
        default:
            break;
        }
    }

    double next()
    {
        std::normal_distribution<double> n(0, 1);
        const qint64 i = poll++;
        switch (kind) {
        case Kind::Lag:
            state = std::max(0.0, state + std::round(n(rng) * 40));
            return state;
        case Kind::Counter:
            state += std::max(0.0, std::round(rate * kPollMs / 1000.0 * (1 + 0.1 * n(rng))));
            return state;
        case Kind::TimeLag:
            state = std::max(0.0, state + n(rng) * 0.2);
            return std::round(state * 1000) / 1000;
        case Kind::Quantile:
            if (i % 3 == 0)
                last = std::max(0.001, state * std::exp(0.1 * n(rng)));
            return last;
        default: {
            std::uniform_int_distribution<int> burst(0, 400);
            if (last > 0 && burst(rng) < 300)
                return last = std::max(0.0, last - 0.2);
            return last = burst(rng) == 0 ? 2.0 : 0.0;
        }
        }
    }
};

// Scheduler tick plus occasional lateness; keeps timestamps strictly increasing.
qint64 timestampOf(qint64 poll, std::mt19937_64& rng)
{
    std::uniform_int_distribution<int> late(0, 99);
    std::uniform_int_distribution<int> by(1, 250);
    return kT0 + poll * kPollMs + (late(rng) < 5 ? by(rng) : 0);
}

// The peer: what one writes without thinking about memory.
struct NaiveStore
{
    std::unordered_map<quint64, std::vector<std::pair<qint64, double>>> series;

    void append(quint64 id, qint64 ts, double v) { series[id].emplace_back(ts, v); }

    std::vector<pw::SeriesPoint> range(quint64 id, qint64 from, qint64 to) const
    {
        std::vector<pw::SeriesPoint> out;
        const auto& v = series.at(id);
        auto it = std::lower_bound(v.begin(), v.end(), from, [](const auto& p, qint64 t) { return p.first < t; });
        for (; it != v.end() && it->first <= to; ++it)
            out.push_back({it->first, it->second});
        return out;
    }

    std::vector<pw::SeriesBucket> minutes(quint64 id, qint64 from, qint64 to) const
    {
        std::vector<pw::SeriesBucket> out;
        const auto& v = series.at(id);
        auto it = std::lower_bound(v.begin(), v.end(), from, [](const auto& p, qint64 t) { return p.first < t; });
        double sum = 0;
        for (; it != v.end() && it->first <= to; ++it) {
            const qint64 start = it->first - it->first % 60000;
            if (out.empty() || out.back().startMs != start) {
                if (!out.empty())
                    out.back().mean = sum / out.back().count;
                out.push_back({start, it->second, it->second, 0, 0});
                sum = 0;
            }
            auto& b = out.back();
            b.min = std::min(b.min, it->second);
            b.max = std::max(b.max, it->second);
            sum += it->second;
            ++b.count;
        }
        if (!out.empty())
            out.back().mean = sum / out.back().count;
        return out;
    }

    std::size_t payloadBytes() const
    {
        std::size_t n = 0;
        for (const auto& [id, v] : series)
            n += v.size() * sizeof(v[0]);
        return n;
    }
};

struct Percentiles
{
    double p50 = 0, p99 = 0;
};

template<class F>
Percentiles timeQueries(int count, F&& query)
{
    std::vector<double> us;
    us.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        const auto start = Clock::now();
        query(i);
        us.push_back(secondsSince(start) * 1e6);
    }
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

volatile std::size_t g_sink = 0; // keeps query results observable

void benchLine(const char* name, double ours, const char* unit, const char* peer, double peerValue, double ratio)
{
    std::printf("BENCH name=%s ours=%.3f%s peer=%s peer_value=%.3f%s ratio=%.3f\n", name, ours, unit, peer, peerValue,
        unit, ratio);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const int seriesCount = quick ? 1000 : 10000;
    const qint64 firstFillPolls = quick ? 120 : kHourMs / kPollMs; // 10 min / 1 h
    const qint64 totalPolls = quick ? 120 : 24 * kHourMs / kPollMs + 120; // full: on to 24 h 10 min
    const int queries = quick ? 200 : 2000;
    std::printf("bench_seriesstore: %d series, 5 s poll, %s\n", seriesCount,
        quick ? "10 minutes (--quick)" : "1 h, then on to 24 h");

    SeriesStore::Limits limits;
    limits.maxSeries = seriesCount;
    limits.maxBytes = std::size_t(4) << 30;
    SeriesStore store(limits);
    NaiveStore peer;
    std::vector<SeriesId> ids;
    std::vector<Generator> gens;
    for (int s = 0; s < seriesCount; ++s) {
        ids.push_back(store.intern(QStringLiteral("stage/signal"),
            {{QStringLiteral("partition"), QString::number(s)}, {QStringLiteral("topic"), QStringLiteral("events")}}));
        gens.emplace_back(s);
    }

    // Generate one poll round at a time, then append it to both stores (generation is not timed).
    std::mt19937_64 tsRng(99);
    const auto n = static_cast<std::size_t>(seriesCount);
    std::vector<double> values(n);
    std::vector<qint64> stamps(n);
    double oursSeconds = 0, peerSeconds = 0;
    // Codec-only figures per kind: the same samples through bare chunk writers (120 rows a chunk).
    std::vector<pw::GorillaChunkWriter> codec(n);
    double codecBytes[int(Kind::NUM_KINDS)] = {};
    double codecSamples[int(Kind::NUM_KINDS)] = {};
    double gorillaBytes[int(Kind::NUM_KINDS)] = {}; // the same chunks in the paper's stream, as the writer holds them
    auto sealCodec = [&](int s) {
        gorillaBytes[int(gens[std::size_t(s)].kind)] += double((codec[std::size_t(s)].bitCount() + 7) / 8 + 24);
        const pw::GorillaChunk c = codec[std::size_t(s)].seal();
        codecBytes[int(gens[std::size_t(s)].kind)] += double(c.payloadBytes() + 24); // + chunk header (ts, counts)
        codecSamples[int(gens[std::size_t(s)].kind)] += c.count();
    };

    for (qint64 poll = 0; poll < firstFillPolls; ++poll) {
        for (int s = 0; s < seriesCount; ++s) {
            values[std::size_t(s)] = gens[std::size_t(s)].next();
            stamps[std::size_t(s)] = timestampOf(poll, tsRng);
        }
        auto start = Clock::now();
        for (int s = 0; s < seriesCount; ++s)
            store.append(ids[std::size_t(s)], stamps[std::size_t(s)], values[std::size_t(s)]);
        oursSeconds += secondsSince(start);
        start = Clock::now();
        for (int s = 0; s < seriesCount; ++s)
            peer.append(quint64(s), stamps[std::size_t(s)], values[std::size_t(s)]);
        peerSeconds += secondsSince(start);
        for (int s = 0; s < seriesCount; ++s)
            if (codec[std::size_t(s)].append(stamps[std::size_t(s)], values[std::size_t(s)])
                == pw::GorillaChunkWriter::AppendResult::Full) {
                sealCodec(s);
                codec[std::size_t(s)].append(stamps[std::size_t(s)], values[std::size_t(s)]);
            }
    }
    for (int s = 0; s < seriesCount; ++s)
        sealCodec(s);

    const double samples = double(store.sampleCount());
    const double oursBps = double(store.bytesUsed()) / samples;
    std::printf("filled: %.0f samples, %zu bytes in the store (raw + minute tiers, keys, index), %zu bytes naive\n",
        samples, store.bytesUsed(), peer.payloadBytes());
    double allCodecBytes = 0, allCodecSamples = 0, allGorillaBytes = 0;
    for (int k = 0; k < int(Kind::NUM_KINDS); ++k) {
        std::printf("  codec %-17s %.3f bytes/sample (paper's stream: %.3f)\n", kindName(Kind(k)),
            codecBytes[k] / codecSamples[k], gorillaBytes[k] / codecSamples[k]);
        allCodecBytes += codecBytes[k];
        allCodecSamples += codecSamples[k];
        allGorillaBytes += gorillaBytes[k];
    }
    std::printf("  codec %-17s %.3f bytes/sample (paper's stream: %.3f; the paper measured 1.37 on its own data)\n",
        "all", allCodecBytes / allCodecSamples, allGorillaBytes / allCodecSamples);
    benchLine("seriesstore_bytes_per_sample", oursBps, "B", "uncompressed-vector", 16.0, 16.0 / oursBps);
    benchLine("seriesstore_codec_bytes_per_sample", allCodecBytes / allCodecSamples, "B", "gorilla-stream",
        allGorillaBytes / allCodecSamples, allGorillaBytes / allCodecBytes);
    const double appends = double(seriesCount) * double(firstFillPolls);
    benchLine("seriesstore_append", appends / oursSeconds, "/s", "uncompressed-vector", appends / peerSeconds,
        (appends / oursSeconds) / (appends / peerSeconds));

    // 1 h (quick: 10 min) of raw points from random series.
    std::mt19937 pick(5);
    std::uniform_int_distribution<int> anySeries(0, seriesCount - 1);
    const qint64 newest = kT0 + (firstFillPolls - 1) * kPollMs + 250;
    const qint64 rawFrom = newest - std::min<qint64>(kHourMs, firstFillPolls * kPollMs) + 250;
    std::size_t oursPoints = 0, peerPoints = 0;
    const Percentiles oursRaw = timeQueries(queries, [&](int) {
        const auto r = store.range(ids[std::size_t(anySeries(pick))], rawFrom, newest);
        oursPoints += r.points.size();
    });
    pick.seed(5);
    const Percentiles peerRaw = timeQueries(queries, [&](int) {
        const auto r = peer.range(quint64(anySeries(pick)), rawFrom, newest);
        peerPoints += r.size();
    });
    if (oursPoints != peerPoints) {
        std::fprintf(stderr, "FAIL: raw queries disagree: %zu points from the store, %zu from the peer\n", oursPoints,
            peerPoints);
        return 1;
    }
    std::printf("raw query: %.0f points per query\n", double(oursPoints) / queries);
    benchLine("seriesstore_query_1h_raw_p50", oursRaw.p50, "us", "uncompressed-vector", peerRaw.p50,
        peerRaw.p50 / oursRaw.p50);
    benchLine("seriesstore_query_1h_raw_p99", oursRaw.p99, "us", "uncompressed-vector", peerRaw.p99,
        peerRaw.p99 / oursRaw.p99);

    // On to 24 h (full run). The peer would need 16 B x 17,280 samples x 10,000 series (2.8 GB) for that, so from
    // here it keeps only a 200-series subset; its query cost per series does not depend on how many it holds.
    const int peerSubset = std::min(seriesCount, 200);
    if (!quick) {
        for (auto it = peer.series.begin(); it != peer.series.end();)
            it = it->first >= quint64(peerSubset) ? peer.series.erase(it) : std::next(it);
        const auto start = Clock::now();
        for (qint64 poll = firstFillPolls; poll < totalPolls; ++poll) {
            for (int s = 0; s < seriesCount; ++s) {
                const double v = gens[std::size_t(s)].next();
                const qint64 ts = timestampOf(poll, tsRng);
                store.append(ids[std::size_t(s)], ts, v);
                if (s < peerSubset)
                    peer.append(quint64(s), ts, v);
            }
        }
        const double seconds = secondsSince(start);
        std::printf("filled on to %.1f h in %.1f s CPU (%.0f appends/s with the tiers rolling over, value generation "
                    "included): %zu bytes, %.1f KB "
                    "per series, %llu raw samples and %llu minute buckets held\n",
            double(totalPolls * kPollMs) / kHourMs, seconds,
            double(seriesCount) * double(totalPolls - firstFillPolls) / seconds, store.bytesUsed(),
            double(store.bytesUsed()) / seriesCount / 1024.0, (unsigned long long)store.sampleCount(),
            (unsigned long long)store.bucketCount());
        std::printf(
            "  a naive store would hold the same 24 h raw in %.1f KB per series\n", 16.0 * double(totalPolls) / 1024.0);
    }

    const qint64 end = kT0 + (totalPolls - 1) * kPollMs + 250;
    const qint64 dayFrom = end - 24 * kHourMs;
    std::uniform_int_distribution<int> subset(0, peerSubset - 1);
    pick.seed(6);
    std::size_t oursBuckets = 0, peerBuckets = 0;
    const Percentiles oursDay = timeQueries(queries, [&](int) {
        const auto r = store.range(ids[std::size_t(subset(pick))], dayFrom, end, SeriesStore::Resolution::Minute);
        oursBuckets += r.buckets.size();
    });
    pick.seed(6);
    const Percentiles peerDay = timeQueries(queries, [&](int) {
        const auto r = peer.minutes(quint64(subset(pick)), dayFrom, end);
        peerBuckets += r.size();
    });
    std::printf("minute query: %.0f buckets per query (peer computes %.0f from raw)\n", double(oursBuckets) / queries,
        double(peerBuckets) / queries);
    if (std::llabs(qint64(oursBuckets) - qint64(peerBuckets)) > queries) {
        std::fprintf(stderr, "FAIL: minute queries disagree\n");
        return 1;
    }
    benchLine("seriesstore_query_24h_minute_p50", oursDay.p50, "us", "uncompressed-vector-aggregating", peerDay.p50,
        peerDay.p50 / oursDay.p50);
    benchLine("seriesstore_query_24h_minute_p99", oursDay.p99, "us", "uncompressed-vector-aggregating", peerDay.p99,
        peerDay.p99 / oursDay.p99);
    g_sink = oursPoints + oursBuckets;

    const auto c = store.counters();
    if (c.droppedOutOfOrder || c.droppedDuplicates || c.evictedSeries) {
        std::fprintf(stderr, "FAIL: unexpected drops or evictions\n");
        return 1;
    }
    return 0;
}
