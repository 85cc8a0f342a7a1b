// Recovery ledger write benchmark: a day of 5 s polls of N partitions (simulated clock: maintenance runs every five
// simulated minutes as it would live), with realistic offset growth: producers at a few hundred records/s per
// partition with noise, a consumer committing behind them, retention moving the log start once an hour, polls a few
// ms late. Ours: pw::Ledger (change-only rows, packed hours). Peer: the same observations inserted one row each with
// Python's sqlite3, one transaction per poll (tests/bench/ledger_peer.py).
// Full run: 100 partitions, 24 h. --quick (CTest): 10 partitions, 2 h.
#include "ledger/ledger.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <chrono>
#include <cstdio>
#include <cstring>

using namespace pw;

namespace {

constexpr qint64 kT0 = 1704067200000; // 2024-01-01T00:00:00Z
constexpr qint64 kPollMs = 5000;
constexpr qint64 kDayMs = 24LL * 3600 * 1000;

struct Lcg
{
    quint64 state = 0x9E3779B97F4A7C15ULL;
    quint32 next()
    {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return quint32(state >> 33);
    }
    double uniform() { return double(next()) / double(1ULL << 31); }
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const int partitions = quick ? 10 : 100;
    const qint64 durationMs = quick ? 2 * 3600 * 1000LL : kDayMs;
    const qint64 polls = durationMs / kPollMs;

    QTemporaryDir dir;
    if (!dir.isValid()) {
        std::fprintf(stderr, "no temporary directory\n");
        return 1;
    }
    // Generate every poll first, so both sides get exactly the same observations and only writing is timed.
    Lcg rng;
    std::vector<std::vector<OffsetObservation>> data;
    data.reserve(size_t(polls));
    std::vector<double> high(size_t(partitions), 1e6), committed(size_t(partitions), 1e6 - 500);
    std::vector<int64_t> logStart(size_t(partitions), 0);
    std::vector<double> rate(static_cast<size_t>(partitions), 0.0);
    for (auto& r : rate)
        r = 150 + 200 * rng.uniform();
    QFile csv(dir.filePath(QStringLiteral("observations.csv")));
    if (!csv.open(QIODevice::WriteOnly)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(csv.fileName()));
        return 1;
    }
    for (qint64 i = 0; i < polls; ++i) {
        const qint64 at = kT0 + i * kPollMs + qint64(rng.next() % 40); // polls land a few ms late
        std::vector<OffsetObservation> poll;
        poll.reserve(size_t(partitions));
        for (int p = 0; p < partitions; ++p) {
            const size_t k = size_t(p);
            high[k] += rate[k] * 5.0 * (0.8 + 0.4 * rng.uniform());
            // The consumer keeps up on average, committing what it read a moment ago.
            committed[k] = std::max(committed[k], high[k] - 200 - 300 * rng.uniform());
            if (i % 720 == 719)
                logStart[k] = int64_t(high[k]) - 7 * 24 * 3600 * 200; // a segment deleted by retention
            poll.push_back(OffsetObservation {QStringLiteral("aggregator"), QStringLiteral("events"), p,
                int64_t(committed[k]), int64_t(high[k]), std::max<int64_t>(0, logStart[k]), at});
            csv.write(QStringLiteral("%1,%2,aggregator,events,%3,%4,%5,%6\n")
                          .arg(i)
                          .arg(at)
                          .arg(p)
                          .arg(int64_t(committed[k]))
                          .arg(int64_t(high[k]))
                          .arg(std::max<int64_t>(0, logStart[k]))
                          .toLatin1());
        }
        data.push_back(std::move(poll));
    }
    csv.close();
    const double observations = double(polls) * partitions;

    // Ours.
    auto clock = std::make_shared<std::atomic<qint64>>(kT0);
    Ledger::Options options;
    options.clock = [clock] { return clock->load(); };
    auto opened = Ledger::open(dir.filePath(QStringLiteral("ledger.sqlite")), options);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    Ledger& ledger = **opened;
    const auto start = std::chrono::steady_clock::now();
    for (const auto& poll : data) {
        clock->store(poll.front().observedMs);
        ledger.recordPoll(QStringLiteral("kafka"), QStringLiteral("cluster"), poll, {});
    }
    ledger.flush();
    const double oursSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!ledger.degradedReason().isEmpty()) {
        std::fprintf(stderr, "ledger degraded: %s\n", qPrintable(ledger.degradedReason()));
        return 1;
    }
    // Live, the hour in progress is not packed yet: that is the size on disk at the end of the day.
    ledger.runMaintenance();
    ledger.flush();
    const double dayFactor = double(kDayMs) / double(durationMs);
    const double oursBytesPerPartitionDay = double(ledger.sizeBytes()) / partitions * dayFactor;
    clock->store(kT0 + durationMs + 3600 * 1000);
    ledger.runMaintenance();
    ledger.flush();
    const double packedBytesPerPartitionDay = double(ledger.sizeBytes()) / partitions * dayFactor;
    // A query as recovery asks it, to prove the rows are there.
    auto rows = ledger.committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("aggregator"), kT0 + durationMs / 2);
    if (!rows || rows->size() != size_t(partitions)) {
        std::fprintf(stderr, "query failed: %s\n", rows ? "wrong row count" : qPrintable(rows.error().toString()));
        return 1;
    }

    // Peer.
    QProcess peer;
    peer.start(QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/bench/ledger_peer.py"), csv.fileName(),
            dir.filePath(QStringLiteral("peer.sqlite"))});
    if (!peer.waitForFinished(30 * 60 * 1000) || peer.exitCode() != 0) {
        std::fprintf(
            stderr, "peer failed: %s%s\n", peer.readAllStandardError().constData(), qPrintable(peer.errorString()));
        return 1;
    }
    const QString out = QString::fromUtf8(peer.readAllStandardOutput());
    static const QRegularExpression re(QStringLiteral("rows=(\\d+) seconds=([0-9.]+) bytes=(\\d+)"));
    const auto m = re.match(out);
    if (!m.hasMatch()) {
        std::fprintf(stderr, "unexpected peer output: %s\n", qPrintable(out));
        return 1;
    }
    const double peerRowsPerSecond = m.captured(1).toDouble() / m.captured(2).toDouble();
    const double peerBytesPerPartitionDay = m.captured(3).toDouble() / partitions * dayFactor;
    const double oursRowsPerSecond = observations / oursSeconds;

    std::printf("bench_ledger: %d partitions, %lld polls every 5 s (%.1f h simulated)%s\n", partitions,
        static_cast<long long>(polls), double(durationMs) / 3600000.0, quick ? " [quick]" : "");
    std::printf("BENCH name=ledger_write_rows ours=%.0frows/s peer=python3-sqlite3 peer_value=%.0frows/s ratio=%.2f\n",
        oursRowsPerSecond, peerRowsPerSecond, oursRowsPerSecond / peerRowsPerSecond);
    std::printf("BENCH name=ledger_bytes_per_partition_day ours=%.0fB peer=python3-sqlite3 peer_value=%.0fB "
                "ratio=%.2f\n",
        oursBytesPerPartitionDay, peerBytesPerPartitionDay, peerBytesPerPartitionDay / oursBytesPerPartitionDay);
    std::printf("ledger bytes per partition per day: %.0f (%.1f KB; %.1f KB once the last hour is packed; goal <= "
                "100 KB)\n",
        oursBytesPerPartitionDay, oursBytesPerPartitionDay / 1024.0, packedBytesPerPartitionDay / 1024.0);
    return 0;
}
