#pragma once

#include "model/error.h"

#include <QString>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace pw::demo {

/// Count and sum of the events of one key in one minute.
struct Aggregate
{
    std::int64_t events = 0;
    double total = 0;
};

/// (minute start in Unix seconds, key) → aggregate; ordered so each minute's keys are adjacent.
using Aggregates = std::map<std::pair<std::int64_t, std::string>, Aggregate>;

/// The demo job's sink: at each checkpoint it writes each minute the job emits — whole, every key of it — as one JSON
/// object to a local object store and in place of that minute's rows in the SQLite serving table, and it exposes its
/// own Prometheus metrics (commit latency, object-store requests and errors). With each minute it records in the
/// table `sink_manifest(minute_ts, rows, checkpoint, committed_at)` how many rows it committed, so a reader can tell
/// a serving table that is short of what the sink committed (see the completeness signal of demoConfigYaml). Not
/// thread-safe: open, commit and destroy it on one thread (a QSqlDatabase connection belongs to the thread that opened
/// it); only the drill setters may be called from any thread.
class DemoSink
{
public:
    struct Options
    {
        std::filesystem::path objectStore;
        std::filesystem::path database;
        std::string metricsHost = "127.0.0.1";
        std::uint16_t metricsPort = 9465; // 0 / busy: a free one
        /// Sleeps up to the given time; false when the sleep was cut short because the pipeline is stopping.
        std::function<bool(std::chrono::milliseconds)> pause;
    };

    static Result<std::unique_ptr<DemoSink>> open(const Options& options);
    ~DemoSink();
    DemoSink(const DemoSink&) = delete;
    DemoSink& operator=(const DemoSink&) = delete;

    std::uint16_t metricsPort() const;

    /// Writes `part-<checkpointId>.json` of every minute in `rows` and, when `openRows` has any, replaces
    /// `_in-progress/open-minutes.json` with the minutes still open; then replaces those minutes' rows in the serving
    /// table in one transaction and removes the minutes' earlier parts. `rows` must hold each of its minutes whole:
    /// writing the same minute again gives the same row, never a sum. All or nothing: on failure the part objects
    /// written so far are removed and the table is unchanged, so the caller keeps the rows for the next checkpoint.
    /// Returns the bytes written.
    Result<std::int64_t> commit(std::int64_t checkpointId, const Aggregates& rows, const Aggregates& openRows = {});

    void setSlow(bool on) { m_slow = on; }
    void setPutErrors(bool on) { m_putErrors = on; }
    /// The partial-writes fault: every other key of each minute never reaches the serving table, while the manifest
    /// and the object store still have the minute whole and the commit succeeds.
    void setPartialWrites(bool on) { m_partialWrites = on; }

private:
    DemoSink();
    struct Private;
    std::unique_ptr<Private> d;
    std::atomic<bool> m_slow {false};
    std::atomic<bool> m_putErrors {false};
    std::atomic<bool> m_partialWrites {false};
};

} // namespace pw::demo
