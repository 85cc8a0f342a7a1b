#include "demo/demopipeline.h"

#include "broker/broker.h"
#include "demo/demosink.h"
#include "demo/flinkrestserver.h"
#include "demo/jobcheckpoint.h"
#include "demo/jobstatusboard.h"

#include <librdkafka/rdkafka.h>

#include <fmt/format.h>

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace pw::demo {

namespace {

Q_LOGGING_CATEGORY(lcDemo, "pathwatch.demo", QtWarningMsg)

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDrillCount = 6;

std::int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString pathText(const fs::path& path)
{
    return QString::fromStdString(path.string());
}

// librdkafka's own chatter (a broker connection dropped while the demo stops) is not the user's business.
void logToCategory(const rd_kafka_t*, int level, const char* facility, const char* message)
{
    qCDebug(lcDemo, "librdkafka %d %s: %s", level, facility, message);
}

void errorToCategory(rd_kafka_t*, int error, const char* reason, void*)
{
    qCDebug(lcDemo, "librdkafka error %s: %s", rd_kafka_err2name(rd_kafka_resp_err_t(error)), reason);
}

// A librdkafka client with these properties, logging to our categories; the error names the property librdkafka
// refused or why it could not start.
Result<rd_kafka_t*> newClient(rd_kafka_type_t type, const std::vector<std::pair<const char*, std::string>>& properties)
{
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    for (const auto& [name, value] : properties)
        if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return fail(Error::Code::Config,
                QStringLiteral("demo Kafka client property %1: %2")
                    .arg(QString::fromLatin1(name), QString::fromUtf8(errstr)));
        }
    rd_kafka_conf_set_log_cb(conf, logToCategory);
    rd_kafka_conf_set_error_cb(conf, errorToCategory);
    rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return fail(Error::Code::Generic,
            QStringLiteral("cannot create the demo's Kafka %1: %2")
                .arg(type == RD_KAFKA_PRODUCER ? QStringLiteral("producer") : QStringLiteral("consumer"),
                    QString::fromUtf8(errstr)));
    }
    return rk;
}

Result<void> checkWritable(const fs::path& dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return fail(Error::Code::Io,
            QStringLiteral("cannot create the demo data directory %1: %2")
                .arg(pathText(dir), QString::fromStdString(ec.message())));
    const fs::path probe = dir / ".write-probe";
    {
        std::ofstream out(probe, std::ios::trunc);
        out << "ok";
        out.close();
        if (!out)
            return fail(
                Error::Code::Io, QStringLiteral("the demo data directory %1 is not writable").arg(pathText(dir)));
    }
    fs::remove(probe, ec);
    return {};
}

// Checkpoint ids go on across runs on one data directory, so a new run never overwrites the object of an earlier
// checkpoint.
std::int64_t readCheckpointId(const fs::path& file)
{
    std::ifstream in(file);
    std::int64_t id = 0;
    in >> id;
    return in ? std::max<std::int64_t>(id, 0) : 0;
}

void writeCheckpointId(const fs::path& file, std::int64_t id)
{
    if (!writeFileAtomically(file, QByteArray::number(qint64(id)) + '\n'))
        qCDebug(lcDemo).noquote() << "cannot record the demo checkpoint id in" << pathText(file);
}

// Events may arrive this much out of order before their minute closes (the watermark's bound).
constexpr std::int64_t kOutOfOrdernessMs = 2000;
constexpr std::int64_t kNoWatermark = std::numeric_limits<std::int64_t>::min();

// The one jar the demo's REST API lists: the demo job, run in process.
const QString kJarId = QStringLiteral("5f0c2a9e-3b7d-4c1e-8a6f-2d9b4e7c1a30_pathwatch-demo-aggregate.jar");
const QString kEntryClass = QStringLiteral("pathwatch.demo.AggregateJob");

// The partitions of the topic, from the cluster's metadata.
Result<std::vector<std::int32_t>> topicPartitions(rd_kafka_t* rk, const std::string& topicName)
{
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, topicName.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic, &metadata, 5000);
    std::vector<std::int32_t> partitions;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int t = 0; t < metadata->topic_cnt; ++t) {
            if (metadata->topics[t].err != RD_KAFKA_RESP_ERR_NO_ERROR)
                err = metadata->topics[t].err;
            for (int p = 0; p < metadata->topics[t].partition_cnt; ++p)
                partitions.push_back(metadata->topics[t].partitions[p].id);
        }
        rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(topic);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(Error::Code::Protocol,
            QStringLiteral("the demo job cannot read the partitions of %1: %2")
                .arg(QString::fromStdString(topicName), QString::fromUtf8(rd_kafka_err2str(err))));
    if (partitions.empty())
        return fail(Error::Code::NotFound,
            QStringLiteral("the topic %1 has no partitions").arg(QString::fromStdString(topicName)));
    std::sort(partitions.begin(), partitions.end());
    return partitions;
}

// Where a job without state starts: the group's committed offsets, or the log start where the group has none (as
// Flink's committedOffsets(OffsetResetStrategy.EARLIEST)).
Result<std::map<std::int32_t, std::int64_t>> groupStartOffsets(
    rd_kafka_t* consumer, const std::string& topic, const std::vector<std::int32_t>& partitions)
{
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(partitions.size()));
    for (std::int32_t p : partitions)
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer, list, 5000);
    std::map<std::int32_t, std::int64_t> offsets;
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
        std::int64_t offset = list->elems[i].offset;
        if (offset < 0) {
            std::int64_t low = 0;
            std::int64_t high = 0;
            err = rd_kafka_query_watermark_offsets(
                consumer, topic.c_str(), list->elems[i].partition, &low, &high, 5000);
            offset = low;
        }
        offsets[list->elems[i].partition] = offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(Error::Code::Protocol,
            QStringLiteral("the demo job cannot read its group's committed offsets: %1")
                .arg(QString::fromUtf8(rd_kafka_err2str(err))));
    return offsets;
}

Result<void> commitOffsets(rd_kafka_t* consumer, const std::vector<PartitionOffset>& offsets)
{
    if (offsets.empty())
        return {};
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(offsets.size()));
    for (const auto& o : offsets)
        rd_kafka_topic_partition_list_add(list, o.topic.c_str(), o.partition)->offset = o.offset;
    rd_kafka_resp_err_t err = rd_kafka_commit(consumer, list, 0);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i)
        err = list->elems[i].err;
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(Error::Code::Protocol, QString::fromUtf8(rd_kafka_err2str(err)));
    return {};
}

// The job's keyed state between checkpoints: one-minute tumbling windows per key in event time, closed by a
// watermark, and kept after they are emitted for the allowed lateness, so a late event re-emits its minute whole.
struct WindowState
{
    Aggregates open;
    Aggregates emitted;
    std::set<std::int64_t> dirtyMinutes; // emitted minutes changed by late events since the last checkpoint
    std::map<std::int32_t, std::int64_t> positions; // next offset per partition
    struct Clock
    {
        std::int64_t maxEventMs = kNoWatermark;
        bool idle = false; // caught up with the log: it does not hold the watermark back
    };
    std::map<std::int32_t, Clock> clocks;
    std::int64_t watermarkMs = kNoWatermark;
    std::int64_t lateRecordsDropped = 0;
    std::int64_t latenessMs = 0;
    QString jobId;

    static std::int64_t endMs(std::int64_t minuteTs) { return (minuteTs + 60) * 1000; }

    bool minuteEmitted(std::int64_t minute) const
    {
        const auto it = emitted.lower_bound({minute, std::string()});
        return it != emitted.end() && it->first.first == minute;
    }

    void add(std::int64_t eventMs, const std::string& key, double value)
    {
        const std::int64_t minute = eventMs / 60000 * 60;
        if (watermarkMs != kNoWatermark && endMs(minute) + latenessMs <= watermarkMs) {
            ++lateRecordsDropped; // as Flink drops a record later than the allowed lateness
            return;
        }
        Aggregate* agg = nullptr;
        if (minuteEmitted(minute)) {
            agg = &emitted[{minute, key}];
            dirtyMinutes.insert(minute);
        } else {
            agg = &open[{minute, key}];
        }
        agg->events += 1;
        agg->total += value;
    }

    void advanceWatermark(std::int64_t nowMs)
    {
        std::int64_t candidate = std::numeric_limits<std::int64_t>::max();
        bool active = false;
        for (const auto& [partition, clock] : clocks)
            if (!clock.idle) {
                candidate = std::min(candidate, clock.maxEventMs);
                active = true;
            }
        if (!active)
            candidate = nowMs; // every partition is caught up: event time is now
        if (candidate == kNoWatermark)
            return; // a partition has not been read yet
        watermarkMs = std::max(watermarkMs, candidate - kOutOfOrdernessMs);
    }

    // The minutes to write now, whole: those the watermark closed and those late events changed. `drain` closes all.
    Aggregates due(bool drain) const
    {
        Aggregates rows;
        for (const auto& [id, agg] : open)
            if (drain || (watermarkMs != kNoWatermark && endMs(id.first) <= watermarkMs))
                rows.insert({id, agg});
        for (std::int64_t minute : dirtyMinutes)
            for (auto it = emitted.lower_bound({minute, std::string()});
                 it != emitted.end() && it->first.first == minute; ++it)
                rows.insert(*it);
        return rows;
    }

    Aggregates openAfter(const Aggregates& due) const
    {
        Aggregates rest;
        for (const auto& entry : open)
            if (!due.contains(entry.first))
                rest.insert(entry);
        return rest;
    }

    // After the sink took `written`: they are emitted, and what the allowed lateness no longer covers is let go.
    void markWritten(const Aggregates& written)
    {
        for (const auto& [id, agg] : written) {
            open.erase(id);
            emitted[id] = agg;
        }
        dirtyMinutes.clear();
        if (watermarkMs == kNoWatermark)
            return;
        for (auto it = emitted.begin(); it != emitted.end();)
            it = endMs(it->first.first) + latenessMs <= watermarkMs ? emitted.erase(it) : std::next(it);
    }
};

QString randomHex(int digits)
{
    std::random_device device;
    std::mt19937_64 random((std::uint64_t(device()) << 32) ^ device());
    QString text;
    while (text.size() < digits)
        text += QString::fromStdString(fmt::format("{:016x}", random()));
    return text.left(digits);
}

// What a job starts from when it has no checkpoint of its own: a savepoint, or (empty) the group's offsets.
struct JobRecord
{
    QString jobId;
    QString savepoint;
    bool finished = false;
};

JobRecord readJobRecord(const fs::path& file)
{
    QFile in(pathText(file));
    if (!in.open(QIODevice::ReadOnly))
        return {};
    const QJsonObject o = QJsonDocument::fromJson(in.readAll()).object();
    return {o.value(QStringLiteral("jid")).toString(), o.value(QStringLiteral("savepoint")).toString(),
        o.value(QStringLiteral("finished")).toBool()};
}

void writeJobRecord(const fs::path& file, const JobRecord& record)
{
    const QByteArray bytes = QJsonDocument(
        QJsonObject {{QStringLiteral("jid"), record.jobId}, {QStringLiteral("savepoint"), record.savepoint},
            {QStringLiteral("finished"), record.finished}})
                                 .toJson(QJsonDocument::Compact);
    if (auto written = writeFileAtomically(file, bytes); !written)
        qCWarning(lcDemo).noquote() << written.error().toString();
}

} // namespace

const FaultName kFaultNames[6] = {
    {"stop-job", Drill::StopJob},
    {"slow-sink", Drill::SlowSink},
    {"object-store-errors", Drill::ObjectStoreErrors},
    {"pause-producer", Drill::PauseProducer},
    {"partial-writes", Drill::PartialWrites},
    {"corrupt-checkpoint", Drill::CorruptCheckpoint},
};

std::optional<Drill> drillFromFaultName(QStringView name)
{
    for (const auto& f : kFaultNames)
        if (name == QLatin1String(f.name))
            return f.drill;
    return std::nullopt;
}

struct DemoPipeline::Private : JobControl
{
    DemoOptions options;
    DemoEndpoints endpoints;
    std::unique_ptr<broker::Broker> broker;
    rd_kafka_t* producer = nullptr;
    std::unique_ptr<JobStatusBoard> board;
    std::unique_ptr<FlinkRestServer> rest;
    std::thread producerThread;
    std::thread jobThread;

    // Guards `sink`, the job fields below, and is what idle threads wait on; `wake` fires on stop, on every drill
    // change and on every REST request for the job.
    std::mutex mutex;
    std::condition_variable wake;
    std::atomic<bool> stopping {false};
    bool topicCreated = false; // this start created the topic: the log is new, so it gets its history
    std::array<std::atomic<bool>, kDrillCount> drills {};
    DemoSink* sink = nullptr; // owned by the job thread

    enum class Phase
    {
        Running, // running or about to: it takes a stop
        Canceled, // by the stop-job drill; it resumes from its latest checkpoint when the drill ends
        Finished, // stopped with a savepoint; only a jar run starts a job again
    };
    JobRecord job; // the current job
    Phase phase = Phase::Running;
    bool newJob = false; // a jar run made `job` a new job the job thread has not started yet
    struct PendingStop
    {
        QString triggerId;
        fs::path targetDirectory;
        bool drain = false;
    };
    std::optional<PendingStop> pendingStop;
    std::atomic<bool> stopRequested {false};

    std::mutex stopMutex;
    bool stopped = false;
    const std::int64_t jarUploadedMs = nowMs();

    bool drillOn(Drill drill) const { return drills[std::size_t(drill)].load(); }
    fs::path jobRecordFile() const { return options.dataDir / "job" / "current.json"; }
    fs::path checkpointDirectory(const QString& jobId) const
    {
        return options.dataDir / "checkpoints" / jobId.toStdString();
    }

    Result<void> startBroker();
    Result<void> startProducer();
    Result<void> createTopic();
    Result<void> startJob();
    Result<void> startRest();

    void produce();
    void produceHistory(std::mt19937_64& random, int keys);
    void runJob(std::promise<Result<std::uint16_t>> ready);

    enum class Outcome
    {
        Stopping, // the pipeline stops
        Canceled, // the stop-job drill
        Finished, // stopped with a savepoint
        Failed, // could not start (restore, Kafka); tried again
    };
    Outcome runOnce(const JobRecord& record, std::int64_t& checkpointId);
    Result<rd_kafka_t*> assign(WindowState& state, const std::optional<JobSnapshot>& restored);
    Outcome consume(rd_kafka_t* consumer, WindowState& state, CheckpointStore& store, std::int64_t& checkpointId);
    /// Emits what is due to the sink and returns the snapshot of the state after it (not yet stored anywhere).
    Result<JobSnapshot> emitDue(std::int64_t id, WindowState& state, bool drain, bool savepoint);
    /// False when the job must fail: its checkpoint file was damaged (the corrupt-checkpoint drill).
    bool checkpoint(rd_kafka_t* consumer, WindowState& state, CheckpointStore& store, std::int64_t id);
    bool savepointAndStop(rd_kafka_t* consumer, WindowState& state, std::int64_t id, const PendingStop& stop);
    void failPendingStop(const QString& why);

    // JobControl, called on the REST server's thread.
    Result<QString> stopWithSavepoint(const StopRequest& request) override;
    Result<QString> runJar(const RunRequest& request) override;
    std::vector<JarInfo> jars() const override;

    /// Sleeps up to `duration`; false when woken because the pipeline is stopping.
    bool pause(std::chrono::milliseconds duration)
    {
        std::unique_lock lock(mutex);
        return !wake.wait_for(lock, duration, [this] { return stopping.load(); });
    }
};

Result<void> DemoPipeline::Private::startBroker()
{
    broker::BrokerOptions brokerOptions;
    brokerOptions.dataDir = options.dataDir / "broker";
    brokerOptions.listenHost = options.host;
    brokerOptions.listenPort = options.brokerPort;
    brokerOptions.defaultPartitions = std::max(options.partitions, 1);
    brokerOptions.threads = 2;
    auto started = broker::Broker::start(brokerOptions);
    if (!started && options.brokerPort != 0) {
        qCInfo(lcDemo) << "demo broker port" << options.brokerPort
                       << "unavailable, using a free one:" << started.error().toString();
        brokerOptions.listenPort = 0;
        started = broker::Broker::start(brokerOptions);
    }
    if (!started) {
        Error error = started.error();
        error.message = QStringLiteral("the demo broker did not start: ") + error.message;
        return std::unexpected(error);
    }
    broker = std::move(*started);
    endpoints.bootstrapServers = broker->bootstrapServers();
    return {};
}

Result<void> DemoPipeline::Private::startProducer()
{
    auto rk = newClient(RD_KAFKA_PRODUCER,
        {
            {"bootstrap.servers", endpoints.bootstrapServers},
            {"client.id", "pathwatch-demo-producer"},
            {"linger.ms", "20"},
            {"enable.idempotence", "true"},
            // Same key, same partition, as Kafka's Java client does it.
            {"partitioner", "murmur2_random"},
        });
    if (!rk)
        return std::unexpected(rk.error());
    producer = *rk;
    return {};
}

Result<void> DemoPipeline::Private::createTopic()
{
    char errstr[512];
    rd_kafka_NewTopic_t* topic
        = rd_kafka_NewTopic_new(endpoints.topic.c_str(), std::max(options.partitions, 1), 1, errstr, sizeof errstr);
    if (!topic)
        return fail(Error::Code::Config, QStringLiteral("demo topic: %1").arg(QString::fromUtf8(errstr)));
    rd_kafka_AdminOptions_t* adminOptions = rd_kafka_AdminOptions_new(producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(adminOptions, 10000, errstr, sizeof errstr);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(producer);
    rd_kafka_CreateTopics(producer, &topic, 1, adminOptions, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 15000);
    rd_kafka_AdminOptions_destroy(adminOptions);
    rd_kafka_NewTopic_destroy(topic);

    Result<void> result;
    if (!event) {
        result = fail(Error::Code::Timeout, QStringLiteral("creating the demo topic timed out"));
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = fail(Error::Code::Protocol,
            QStringLiteral("creating the demo topic failed: %1")
                .arg(QString::fromUtf8(rd_kafka_event_error_string(event))));
    } else {
        size_t count = 0;
        const auto** topics = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
        for (size_t i = 0; i < count; ++i) {
            const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
            // A data directory from an earlier run already has it.
            topicCreated = err == RD_KAFKA_RESP_ERR_NO_ERROR;
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                const char* message = rd_kafka_topic_result_error_string(topics[i]);
                result = fail(Error::Code::Protocol,
                    QStringLiteral("creating the demo topic %1 failed: %2")
                        .arg(QString::fromStdString(endpoints.topic),
                            QString::fromUtf8(message ? message : rd_kafka_err2str(err))));
            }
        }
    }
    if (event)
        rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    return result;
}

// A new log starts with `options.history` of past events (at a few per second), as a real topic would have:
// replay headroom is then meaningful from the first poll, and the serving table has minutes to show at once.
void DemoPipeline::Private::produceHistory(std::mt19937_64& random, int keys)
{
    constexpr std::int64_t kEventsPerSecond = 5;
    const std::int64_t spanMs = std::chrono::duration_cast<std::chrono::milliseconds>(options.history).count();
    const std::int64_t count = spanMs / 1000 * kEventsPerSecond;
    if (count <= 0)
        return;
    std::uniform_real_distribution<double> values(0, 100);
    const std::int64_t start = nowMs() - spanMs;
    std::string key;
    std::string payload;
    for (std::int64_t i = 0; i < count && !stopping; ++i) {
        const std::int64_t ts = start + i * spanMs / count;
        key = fmt::format("k{}", i % keys);
        payload = fmt::format(R"({{"ts":{},"key":"{}","value":{:.3f}}})", ts, key, values(random));
        for (;;) {
            const rd_kafka_resp_err_t err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(endpoints.topic.c_str()),
                RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stopping)
                break;
            rd_kafka_poll(producer, 50);
        }
    }
    rd_kafka_poll(producer, 0);
}

void DemoPipeline::Private::produce()
{
    pthread_setname_np(pthread_self(), "pw-demo-produce");
    std::mt19937_64 random {std::random_device {}()};
    std::uniform_real_distribution<double> values(0, 100);
    const double rate = std::max(options.eventsPerSecond, 0.0);
    const int keys = std::max(16, options.partitions * 4);
    if (topicCreated)
        produceHistory(random, keys);
    std::uint64_t sequence = 0;
    // Paced against a start time rather than by sleeping per event, so the rate holds whatever the send cost.
    auto epoch = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    std::string key;
    std::string payload;

    std::unique_lock lock(mutex);
    while (!stopping) {
        if (drillOn(Drill::PauseProducer) || rate <= 0) {
            wake.wait(lock, [&] { return stopping || (!drillOn(Drill::PauseProducer) && rate > 0); });
            epoch = std::chrono::steady_clock::now();
            sent = 0;
            continue;
        }
        lock.unlock();
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch).count();
        auto due = std::uint64_t(elapsed * rate);
        // After a stall, carry on at the rate instead of sending the backlog in one burst.
        if (due > sent + std::uint64_t(rate) + 1)
            sent = due - std::uint64_t(rate);
        for (; sent < due; ++sent, ++sequence) {
            const std::int64_t ts = nowMs();
            key = fmt::format("k{}", sequence % std::uint64_t(keys));
            payload = fmt::format(R"({{"ts":{},"key":"{}","value":{:.3f}}})", ts, key, values(random));
            const rd_kafka_resp_err_t err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(endpoints.topic.c_str()),
                RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                // Queue full (the broker is slow or gone): drop this round rather than block the pacing.
                qCDebug(lcDemo) << "demo producer:" << rd_kafka_err2str(err);
                sent = due;
                break;
            }
        }
        rd_kafka_poll(producer, 0);
        lock.lock();
        wake.wait_for(lock, 10ms, [&] { return stopping || drillOn(Drill::PauseProducer); });
    }
}

Result<rd_kafka_t*> DemoPipeline::Private::assign(WindowState& state, const std::optional<JobSnapshot>& restored)
{
    auto rk = newClient(RD_KAFKA_CONSUMER,
        {
            {"bootstrap.servers", endpoints.bootstrapServers},
            {"client.id", "pathwatch-demo-job"},
            // Only for committing offsets (monitoring) and reading them when starting without state: the job
            // assigns its partitions itself and never joins the group, like Flink's Kafka source.
            {"group.id", endpoints.group},
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"auto.offset.reset", "earliest"},
            {"enable.partition.eof", "true"},
        });
    if (!rk)
        return std::unexpected(rk.error());
    rd_kafka_t* consumer = *rk;
    rd_kafka_poll_set_consumer(consumer);
    auto partitions = topicPartitions(consumer, endpoints.topic);
    std::map<std::int32_t, std::int64_t> start;
    if (partitions) {
        std::vector<std::int32_t> withoutState;
        for (std::int32_t p : *partitions) {
            const auto it = restored
                ? std::find_if(restored->offsets.begin(), restored->offsets.end(),
                    [&](const PartitionOffset& o) { return o.partition == p && o.topic == endpoints.topic; })
                : std::vector<PartitionOffset>::const_iterator {};
            if (restored && it != restored->offsets.end())
                start[p] = it->offset;
            else
                withoutState.push_back(p);
        }
        if (!withoutState.empty()) {
            auto fromGroup = groupStartOffsets(consumer, endpoints.topic, withoutState);
            if (!fromGroup)
                partitions = std::unexpected(fromGroup.error());
            else
                start.merge(*fromGroup);
        }
    }
    if (!partitions) {
        rd_kafka_destroy(consumer);
        return std::unexpected(partitions.error());
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(start.size()));
    for (const auto& [partition, offset] : start) {
        rd_kafka_topic_partition_list_add(list, endpoints.topic.c_str(), partition)->offset = offset;
        state.positions[partition] = offset;
        state.clocks[partition] = {};
    }
    const rd_kafka_resp_err_t err = rd_kafka_assign(consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_destroy(consumer);
        return fail(Error::Code::Protocol,
            QStringLiteral("the demo job cannot assign the partitions of %1: %2")
                .arg(QString::fromStdString(endpoints.topic), QString::fromUtf8(rd_kafka_err2str(err))));
    }
    return consumer;
}

Result<JobSnapshot> DemoPipeline::Private::emitDue(std::int64_t id, WindowState& state, bool drain, bool savepoint)
{
    state.advanceWatermark(nowMs());
    const Aggregates due = state.due(drain);
    const Aggregates stillOpen = state.openAfter(due);
    auto committed = sink->commit(id, due, stillOpen);
    if (!committed)
        return std::unexpected(committed.error()); // the state is unchanged: the next checkpoint writes it all
    state.markWritten(due);
    JobSnapshot snapshot;
    snapshot.checkpointId = id;
    snapshot.jobId = state.jobId;
    snapshot.savepoint = savepoint;
    snapshot.watermarkMs = state.watermarkMs == kNoWatermark ? 0 : state.watermarkMs;
    snapshot.open = state.open;
    snapshot.emitted = state.emitted;
    snapshot.lateRecordsDropped = state.lateRecordsDropped;
    for (const auto& [partition, offset] : state.positions)
        snapshot.offsets.push_back({endpoints.topic, partition, offset});
    return snapshot;
}

bool DemoPipeline::Private::checkpoint(
    rd_kafka_t* consumer, WindowState& state, CheckpointStore& store, std::int64_t id)
{
    writeCheckpointId(options.dataDir / "last-checkpoint-id", id);
    board->checkpointTriggered(id, nowMs());
    auto snapshot = emitDue(id, state, false, false);
    if (!snapshot) {
        board->checkpointFailed(id, nowMs(), snapshot.error().message);
        return true;
    }
    // What the sink took is whole minutes: should this checkpoint not be stored, the previous one restores the
    // state before them and the same minutes are written again, identical.
    auto stored = store.write(*snapshot);
    if (!stored) {
        board->checkpointFailed(id, nowMs(), stored.error().message);
        return true;
    }
    if (drillOn(Drill::CorruptCheckpoint)) {
        // Torn on the way to storage: the digest no longer matches, so a restore must skip it.
        QFile file(pathText(*stored));
        if (file.open(QIODevice::ReadWrite)) {
            const qint64 size = file.size();
            file.resize(std::max<qint64>(size / 2, 1));
            file.close();
        }
        board->checkpointFailed(id, nowMs(),
            QStringLiteral("the checkpoint file %1 is damaged (corrupt-checkpoint "
                           "fault)")
                .arg(pathText(*stored)));
        return false;
    }
    // For monitoring only, as Flink's Kafka source does on checkpoint completion: the job restores from its own
    // checkpoints, so a failed commit does not fail the checkpoint.
    if (auto done = commitOffsets(consumer, snapshot->offsets); !done)
        qCWarning(lcDemo).noquote() << "the demo job could not commit its offsets to its group:"
                                    << done.error().message;
    std::error_code ec;
    board->checkpointCompleted(id, nowMs(), std::int64_t(fs::file_size(*stored, ec)));
    return true;
}

bool DemoPipeline::Private::savepointAndStop(
    rd_kafka_t* consumer, WindowState& state, std::int64_t id, const PendingStop& stop)
{
    writeCheckpointId(options.dataDir / "last-checkpoint-id", id);
    board->checkpointTriggered(id, nowMs(), true);
    auto snapshot = emitDue(id, state, stop.drain, true);
    Result<QString> location = snapshot ? writeSavepoint(stop.targetDirectory, *snapshot)
                                        : Result<QString>(std::unexpected(snapshot.error()));
    if (!location) {
        // As in Flink, a failed stop-with-savepoint leaves the job running.
        board->checkpointFailed(id, nowMs(), location.error().message);
        board->failTrigger(stop.triggerId, location.error().message);
        return false;
    }
    if (auto done = commitOffsets(consumer, snapshot->offsets); !done)
        qCWarning(lcDemo).noquote() << "the demo job could not commit its offsets to its group:"
                                    << done.error().message;
    board->checkpointCompleted(id, nowMs(), std::int64_t(encodeSnapshot(*snapshot).size()), *location);
    board->completeTrigger(stop.triggerId, *location);
    return true;
}

void DemoPipeline::Private::failPendingStop(const QString& why)
{
    std::lock_guard lock(mutex);
    if (pendingStop)
        board->failTrigger(pendingStop->triggerId, why);
    pendingStop.reset();
    stopRequested = false;
}

DemoPipeline::Private::Outcome DemoPipeline::Private::consume(
    rd_kafka_t* consumer, WindowState& state, CheckpointStore& store, std::int64_t& checkpointId)
{
    const auto interval = std::max<std::chrono::milliseconds>(options.checkpointInterval, 100ms);
    auto nextCheckpoint = std::chrono::steady_clock::now() + interval;
    while (!stopping && !drillOn(Drill::StopJob)) {
        if (stopRequested) {
            std::optional<PendingStop> stop;
            {
                std::lock_guard lock(mutex);
                stop = pendingStop;
            }
            const bool done = stop && savepointAndStop(consumer, state, ++checkpointId, *stop);
            {
                std::lock_guard lock(mutex);
                pendingStop.reset();
                stopRequested = false;
            }
            if (done)
                return Outcome::Finished;
        }
        const auto untilCheckpoint
            = std::chrono::duration_cast<std::chrono::milliseconds>(nextCheckpoint - std::chrono::steady_clock::now());
        // Short enough that a stop or a drill is noticed promptly, without a busy loop.
        const auto timeout = std::clamp<std::chrono::milliseconds>(untilCheckpoint, 0ms, 100ms);
        if (rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, int(timeout.count()))) {
            if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                state.positions[message->partition] = message->offset + 1;
                const QJsonObject event = QJsonDocument::fromJson(
                    QByteArray::fromRawData(static_cast<const char*>(message->payload), qsizetype(message->len)))
                                              .object();
                // Any client may write to the topic: only a plausible event time (1970 to 2100) is taken, else the
                // record's own; keys are bounded so that one odd producer cannot bloat the job's state.
                constexpr double kYear2100Ms = 4102444800000.0;
                const double eventTs = event.value(QStringLiteral("ts")).toDouble(-1);
                const std::int64_t ts = eventTs >= 0 && eventTs < kYear2100Ms
                    ? std::int64_t(eventTs)
                    : rd_kafka_message_timestamp(message, nullptr);
                const QString key = event.value(QStringLiteral("key")).toString();
                if (ts >= 0 && !key.isEmpty() && key.size() <= 256) {
                    auto& clock = state.clocks[message->partition];
                    clock.idle = false;
                    clock.maxEventMs = std::max(clock.maxEventMs, ts);
                    state.add(ts, key.toStdString(), event.value(QStringLiteral("value")).toDouble());
                } else {
                    qCDebug(lcDemo) << "demo job skips a malformed event at offset" << message->offset;
                }
            } else if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                state.clocks[message->partition].idle = true;
            } else {
                qCDebug(lcDemo) << "demo job:" << rd_kafka_message_errstr(message);
            }
            rd_kafka_message_destroy(message);
        }
        if (std::chrono::steady_clock::now() >= nextCheckpoint) {
            if (!checkpoint(consumer, state, store, ++checkpointId))
                return Outcome::Failed;
            // A slow commit delays the next checkpoint instead of triggering a queue of them.
            nextCheckpoint = std::max(nextCheckpoint + interval, std::chrono::steady_clock::now());
        }
    }
    return stopping ? Outcome::Stopping : Outcome::Canceled;
}

DemoPipeline::Private::Outcome DemoPipeline::Private::runOnce(const JobRecord& record, std::int64_t& checkpointId)
{
    // A job restores its own latest checkpoint (a restart, or the drill ending); only a job that has none starts
    // from what it was started with: a savepoint, or the group's committed offsets.
    CheckpointStore store(checkpointDirectory(record.jobId), 2);
    std::optional<JobSnapshot> restored;
    std::optional<RestoredCheckpoint> restoredFrom;
    if (auto latest = store.latest()) {
        for (const QString& skipped : latest->skipped)
            qCWarning(lcDemo).noquote() << "the demo job skips a damaged checkpoint:" << skipped;
        // The damaged ones go, as Flink discards a checkpoint it cannot restore: kept, they would count against the
        // retention and push the intact one out at the next checkpoint.
        for (const fs::path& file : store.files()) {
            if (file == latest->file)
                break;
            std::error_code ec;
            fs::remove(file, ec);
        }
        restoredFrom = RestoredCheckpoint {
            latest->snapshot.checkpointId, nowMs(), false, QStringLiteral("file:") + pathText(latest->file)};
        restored = std::move(latest->snapshot);
    } else if (!record.savepoint.isEmpty()) {
        auto savepoint = readSavepoint(record.savepoint);
        if (!savepoint) {
            qCWarning(lcDemo).noquote() << savepoint.error().toString();
            return Outcome::Failed;
        }
        restoredFrom = RestoredCheckpoint {savepoint->checkpointId, nowMs(), true, record.savepoint};
        restored = std::move(*savepoint);
    } else if (auto damaged = store.files(); !damaged.empty()) {
        qCWarning(lcDemo).noquote() << "no checkpoint of the demo job can be read; it starts from its group's offsets";
    }

    WindowState state;
    state.jobId = record.jobId;
    state.latenessMs = std::chrono::duration_cast<std::chrono::milliseconds>(options.allowedLateness).count();
    if (restored) {
        state.open = restored->open;
        state.emitted = restored->emitted;
        state.watermarkMs = restored->watermarkMs > 0 ? restored->watermarkMs : kNoWatermark;
        state.lateRecordsDropped = restored->lateRecordsDropped;
        checkpointId = std::max(checkpointId, restored->checkpointId);
    }
    auto consumer = assign(state, restored);
    if (!consumer) {
        qCWarning(lcDemo).noquote() << consumer.error().toString();
        return Outcome::Failed;
    }
    if (restoredFrom)
        board->setRestored(*restoredFrom);
    board->setState(QStringLiteral("RUNNING"), nowMs());
    const Outcome outcome = consume(*consumer, state, store, checkpointId);
    rd_kafka_consumer_close(*consumer);
    rd_kafka_destroy(*consumer);
    return outcome;
}

void DemoPipeline::Private::runJob(std::promise<Result<std::uint16_t>> ready)
{
    pthread_setname_np(pthread_self(), "pw-demo-job");
    DemoSink::Options sinkOptions;
    sinkOptions.objectStore = endpoints.objectStore;
    sinkOptions.database = endpoints.servingDatabase;
    sinkOptions.metricsHost = options.host;
    sinkOptions.metricsPort = options.metricsPort;
    sinkOptions.pause = [this](std::chrono::milliseconds duration) { return pause(duration); };
    auto opened = DemoSink::open(sinkOptions);
    if (!opened) {
        ready.set_value(std::unexpected(opened.error()));
        return;
    }
    std::unique_ptr<DemoSink> ownedSink = std::move(*opened);
    {
        std::lock_guard lock(mutex);
        sink = ownedSink.get();
        sink->setSlow(drillOn(Drill::SlowSink));
        sink->setPutErrors(drillOn(Drill::ObjectStoreErrors));
        sink->setPartialWrites(drillOn(Drill::PartialWrites));
    }
    ready.set_value(sink->metricsPort());

    std::int64_t checkpointId = readCheckpointId(options.dataDir / "last-checkpoint-id");
    while (!stopping) {
        JobRecord record;
        {
            std::unique_lock lock(mutex);
            if (phase == Phase::Finished && !newJob) {
                wake.wait(lock, [this] { return stopping || newJob; });
                continue;
            }
            if (newJob) {
                newJob = false;
                phase = Phase::Running;
                // Only the current job restores from checkpoints: the ones of earlier jobs go, as Flink discards
                // a finished job's checkpoints.
                std::error_code ec;
                for (const auto& entry : fs::directory_iterator(options.dataDir / "checkpoints", ec))
                    if (entry.path().filename() != job.jobId.toStdString())
                        fs::remove_all(entry.path(), ec);
            }
            if (drillOn(Drill::StopJob)) {
                phase = Phase::Canceled;
                lock.unlock();
                failPendingStop(QStringLiteral("Job %1 was canceled before its savepoint").arg(job.jobId));
                board->setState(QStringLiteral("CANCELED"), nowMs());
                lock.lock();
                wake.wait(lock, [this] { return stopping || newJob || !drillOn(Drill::StopJob); });
                continue;
            }
            phase = Phase::Running;
            record = job;
        }
        const Outcome outcome = runOnce(record, checkpointId);
        failPendingStop(QStringLiteral("Job %1 stopped before its savepoint completed").arg(record.jobId));
        if (outcome == Outcome::Finished) {
            board->setState(QStringLiteral("FINISHED"), nowMs());
            std::lock_guard lock(mutex);
            if (!newJob && job.jobId == record.jobId) {
                phase = Phase::Finished;
                job.finished = true;
                writeJobRecord(jobRecordFile(), job);
            }
        } else if (outcome == Outcome::Failed) {
            board->setState(QStringLiteral("FAILED"), nowMs());
            pause(1s); // Flink's fixed-delay restart strategy
        }
    }
    if (board->view().state != QLatin1String("FINISHED"))
        board->setState(QStringLiteral("CANCELED"), nowMs());
    {
        std::lock_guard lock(mutex);
        sink = nullptr;
    }
    ownedSink.reset(); // on this thread: its database connection belongs to it
}

Result<QString> DemoPipeline::Private::stopWithSavepoint(const StopRequest& request)
{
    std::lock_guard lock(mutex);
    if (request.jobId != job.jobId || phase != Phase::Running || newJob || stopping) {
        const auto known = board->job(request.jobId);
        return fail(Error::Code::Refused,
            QStringLiteral("Job %1 is not running (%2): it cannot be stopped with a savepoint")
                .arg(request.jobId, known ? known->state : QStringLiteral("unknown")));
    }
    if (pendingStop)
        return fail(Error::Code::Refused,
            QStringLiteral("A stop with savepoint of job %1 is already in progress").arg(request.jobId));
    const QString triggerId = randomHex(32);
    board->addTrigger(triggerId, request.jobId);
    pendingStop = PendingStop {triggerId,
        request.targetDirectory.isEmpty() ? options.dataDir / "savepoints"
                                          : fs::path(request.targetDirectory.toStdString()),
        request.drain};
    stopRequested = true;
    wake.notify_all();
    return triggerId;
}

Result<QString> DemoPipeline::Private::runJar(const RunRequest& request)
{
    if (request.jarId != kJarId)
        return fail(Error::Code::NotFound, QStringLiteral("Jar file %1 does not exist").arg(request.jarId));
    // The job takes its topic and group as arguments; the demo's are fixed, so other values are a mistake.
    for (qsizetype i = 0; i < request.programArgs.size(); ++i) {
        const QString& name = request.programArgs[i];
        const std::string* expected = name == QLatin1String("--topic") ? &endpoints.topic
            : name == QLatin1String("--group")                         ? &endpoints.group
                                                                       : nullptr;
        if (!expected)
            return fail(Error::Code::Config,
                QStringLiteral("Unknown program argument %1 (the demo job takes --topic and --group)").arg(name));
        if (i + 1 >= request.programArgs.size() || request.programArgs[i + 1].toStdString() != *expected)
            return fail(Error::Code::Config,
                QStringLiteral("The demo job reads %1 %2").arg(name, QString::fromStdString(*expected)));
        ++i;
    }
    if (!request.savepointPath.isEmpty())
        if (auto savepoint = readSavepoint(request.savepointPath); !savepoint)
            return fail(Error::Code::Generic,
                QStringLiteral("Could not restore the job from savepoint %1: %2")
                    .arg(request.savepointPath, savepoint.error().message));
    std::lock_guard lock(mutex);
    if (phase == Phase::Running || newJob)
        return fail(Error::Code::Refused,
            QStringLiteral("Job %1 is still running: stop it before starting the jar again").arg(job.jobId));
    job = JobRecord {randomHex(32), request.savepointPath, false};
    writeJobRecord(jobRecordFile(), job);
    board->startJob(job.jobId, QString::fromStdString(endpoints.jobName));
    newJob = true;
    // The operator has taken the job over: a stop-job drill still on would keep the new job from running.
    drills[std::size_t(Drill::StopJob)] = false;
    wake.notify_all();
    return job.jobId;
}

std::vector<JarInfo> DemoPipeline::Private::jars() const
{
    return {{kJarId, QStringLiteral("pathwatch-demo-aggregate.jar"), kEntryClass, jarUploadedMs}};
}

Result<void> DemoPipeline::Private::startJob()
{
    std::promise<Result<std::uint16_t>> ready;
    auto metricsPort = ready.get_future();
    jobThread = std::thread([this, ready = std::move(ready)]() mutable { runJob(std::move(ready)); });
    auto port = metricsPort.get();
    if (!port)
        return std::unexpected(port.error());
    endpoints.metricsUrl = fmt::format("http://{}:{}/metrics",
        options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host, *port);
    return {};
}

Result<void> DemoPipeline::Private::startRest()
{
    FlinkRestServer::Options restOptions;
    restOptions.host = options.host;
    restOptions.port = options.restPort;
    auto started = FlinkRestServer::start(restOptions, *board, this);
    if (!started && options.restPort != 0) {
        qCInfo(lcDemo).noquote() << "demo REST port unavailable, using a free one:" << started.error().toString();
        restOptions.port = 0;
        started = FlinkRestServer::start(restOptions, *board, this);
    }
    if (!started) {
        Error error = started.error();
        error.message = QStringLiteral("the demo job's REST API did not start: ") + error.message;
        return std::unexpected(error);
    }
    rest = std::move(*started);
    endpoints.restUrl = rest->url();
    return {};
}

DemoPipeline::DemoPipeline()
    : d(std::make_unique<Private>())
{ }

DemoPipeline::~DemoPipeline()
{
    stop();
}

Result<std::unique_ptr<DemoPipeline>> DemoPipeline::start(const DemoOptions& options)
{
    if (options.dataDir.empty())
        return fail(Error::Code::Config, QStringLiteral("the demo pipeline needs a data directory"));
    if (auto writable = checkWritable(options.dataDir); !writable)
        return std::unexpected(writable.error());

    // The data directory holds broker/ (the Kafka log), objects/ (the object store), serving.sqlite, and the job's
    // job/current.json (which job runs and what it started from), checkpoints/<job id>/chk-<n>.json, savepoints/
    // and last-checkpoint-id; all of it survives a restart, so the demo carries on where it stopped, as a Flink
    // cluster with high availability recovers its job from the latest checkpoint.
    // Destroying the pipeline on any failure below stops whatever had started.
    std::unique_ptr<DemoPipeline> pipeline(new DemoPipeline);
    Private* d = pipeline->d.get();
    d->options = options;
    d->endpoints.servingDatabase = options.dataDir / "serving.sqlite";
    d->endpoints.objectStore = options.dataDir / "objects";
    d->endpoints.jarId = kJarId.toStdString();
    d->job = readJobRecord(d->jobRecordFile());
    if (d->job.jobId.isEmpty()) {
        d->job = JobRecord {randomHex(32), {}, false};
        writeJobRecord(d->jobRecordFile(), d->job);
    }
    d->phase = d->job.finished ? Private::Phase::Finished : Private::Phase::Running;
    std::error_code ec;
    fs::remove(options.dataDir / "job-state.json", ec); // the state format before checkpoints had a directory
    d->board = std::make_unique<JobStatusBoard>(d->job.jobId, QString::fromStdString(d->endpoints.jobName));
    if (d->job.finished)
        d->board->setState(QStringLiteral("FINISHED"), nowMs());

    for (auto step : {&Private::startBroker, &Private::startProducer, &Private::createTopic})
        if (auto done = (d->*step)(); !done)
            return std::unexpected(done.error());
    d->producerThread = std::thread([d] { d->produce(); });
    for (auto step : {&Private::startJob, &Private::startRest})
        if (auto done = (d->*step)(); !done)
            return std::unexpected(done.error());
    return pipeline;
}

const DemoEndpoints& DemoPipeline::endpoints() const
{
    return d->endpoints;
}

void DemoPipeline::setDrill(Drill drill, bool on)
{
    {
        std::lock_guard lock(d->mutex);
        d->drills[std::size_t(drill)] = on;
        if (d->sink && drill == Drill::SlowSink)
            d->sink->setSlow(on);
        if (d->sink && drill == Drill::ObjectStoreErrors)
            d->sink->setPutErrors(on);
        if (d->sink && drill == Drill::PartialWrites)
            d->sink->setPartialWrites(on);
    }
    d->wake.notify_all();
}

bool DemoPipeline::drill(Drill drill) const
{
    return d->drillOn(drill);
}

void DemoPipeline::stop()
{
    std::lock_guard stopLock(d->stopMutex);
    if (d->stopped)
        return;
    d->stopped = true;
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    // Reverse order of start: the REST API, the job (and its sink), the producer, the broker last so the
    // clients can leave the group and flush while it still answers.
    if (d->rest)
        d->rest->stop();
    if (d->jobThread.joinable())
        d->jobThread.join();
    if (d->producerThread.joinable())
        d->producerThread.join();
    if (d->producer) {
        rd_kafka_flush(d->producer, 1000);
        rd_kafka_destroy(d->producer);
        d->producer = nullptr;
    }
    if (d->broker)
        d->broker->stop();
}

} // namespace pw::demo
