#pragma once

#include "model/error.h"

#include <QString>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace pw::demo {

/// Faults the demo can be made to show (each a toggle).
enum class Drill
{
    StopJob, // the stream job stops consuming and checkpointing (Flink state CANCELED); lag and checkpoint age grow;
             // off again, the job resumes from its latest checkpoint
    SlowSink, // every sink commit takes seconds: commit latency goes up, checkpoints take longer
    ObjectStoreErrors, // object-store writes fail: error rate goes up, checkpoints fail, data stops reaching serving
    PauseProducer, // no new events: the source log goes quiet, data age grows while lag stays 0
    PartialWrites, // the sink loses some rows of each minute on the way to the serving table, though the checkpoint
                   // succeeds; its manifest (sink_manifest) still counts them, so the serving table is short of it
    CorruptCheckpoint, // each checkpoint file is damaged as soon as it is written: the checkpoint fails, the job
                       // fails and restarts from the newest intact checkpoint (the previous one)
};

/// The fault names of DESIGN.md ("stop-job", …, "corrupt-checkpoint") and their drills, in that order.
struct FaultName
{
    const char* name;
    Drill drill;
};
extern const FaultName kFaultNames[6];
std::optional<Drill> drillFromFaultName(QStringView name);

struct DemoOptions
{
    std::filesystem::path dataDir; // broker log, object store, serving database
    std::string host = "127.0.0.1";
    std::uint16_t brokerPort = 9092; // 0: any free port; a busy port falls back to a free one
    std::uint16_t restPort = 8081; // Flink-compatible REST API; 0 / busy: a free one
    std::uint16_t metricsPort = 9465; // the sink's Prometheus metrics; 0 / busy: a free one
    int partitions = 4;
    double eventsPerSecond = 200;
    /// A new topic first gets this much past (events with older timestamps, 5 a second), so there is history to
    /// replay and serve from the start; 0: none.
    std::chrono::seconds history {45 * 60};
    std::chrono::milliseconds checkpointInterval {10000};
    /// How long after its minute closed (in event time) an event still counts: its minute is written again, whole.
    /// Later ones are dropped, as Flink's window allowed lateness does.
    std::chrono::milliseconds allowedLateness {std::chrono::minutes(10)};
};

/// Where the running demo can be reached (what the generated config points at).
struct DemoEndpoints
{
    std::string bootstrapServers; // "127.0.0.1:9092"
    std::string restUrl; // "http://127.0.0.1:8081"
    std::string metricsUrl; // "http://127.0.0.1:9465/metrics"
    std::filesystem::path servingDatabase; // SQLite file of the serving table
    std::filesystem::path objectStore; // directory of the local object store
    std::string topic = "events";
    std::string group = "demo-aggregate";
    std::string jobName = "demo-aggregate";
    std::string jarId; // the jar `/jars` lists, to run the job again through `/jars/:jarid/run`
};

/// The embedded demo metrics pipeline (DESIGN.md, "Modes"): an in-process Kafka-protocol broker, a producer of
/// events, an aggregating stream job, a sink that writes aggregate objects to a local object store and exposes
/// Prometheus metrics, and a serving table in SQLite. The job behaves like a Flink job with a Kafka source (DESIGN.md,
/// "Stream jobs are Flink-like"): it assigns its partitions (its group stays Empty), restores from its own
/// checkpoints (the newest two are kept; a damaged one falls back to the one before), commits offsets to the group
/// on checkpoint only for monitoring, and its REST API stops it with a savepoint and runs it again from the jar —
/// without state from the group's offsets, or from a savepoint. It only speaks real protocols; the console watches it
/// through the same sources it uses in production (see demoConfigYaml).
class DemoPipeline
{
public:
    /// Starts everything (blocking: binds ports, opens files) — call it off the GUI thread.
    static Result<std::unique_ptr<DemoPipeline>> start(const DemoOptions& options);
    ~DemoPipeline(); // stops
    DemoPipeline(const DemoPipeline&) = delete;
    DemoPipeline& operator=(const DemoPipeline&) = delete;

    const DemoEndpoints& endpoints() const;
    void setDrill(Drill drill, bool on);
    bool drill(Drill drill) const;
    void stop();

private:
    DemoPipeline();
    struct Private;
    std::unique_ptr<Private> d;
};

/// A Pathwatch config (YAML) that watches the demo through the kafka, flink, scrape and sql sources, with the
/// thresholds an SRE would set; it doubles as an example of a whole-path config.
QString demoConfigYaml(const DemoEndpoints& endpoints);

} // namespace pw::demo
