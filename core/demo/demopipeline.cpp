#include "demo/demopipeline.h"

#include "broker/broker.h"
#include "demo/demosink.h"
#include "demo/flinkrestserver.h"
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
#include <mutex>
#include <random>
#include <thread>

namespace pw::demo {

namespace {

Q_LOGGING_CATEGORY(lcDemo, "pathwatch.demo", QtWarningMsg)

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kDrillCount = 4;

std::int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString pathText(const fs::path& path)
{
    return QString::fromStdString(path.string());
}

QString randomJobId()
{
    std::random_device device;
    std::mt19937_64 random((std::uint64_t(device()) << 32) ^ device());
    return QString::fromStdString(fmt::format("{:016x}{:016x}", random(), random()));
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
// checkpoint (a replay writes into old minutes too).
std::int64_t readCheckpointId(const fs::path& file)
{
    std::ifstream in(file);
    std::int64_t id = 0;
    in >> id;
    return in ? std::max<std::int64_t>(id, 0) : 0;
}

void writeCheckpointId(const fs::path& file, std::int64_t id)
{
    const fs::path temp = fs::path(file).concat(".tmp");
    std::ofstream out(temp, std::ios::trunc);
    out << id << '\n';
    out.close();
    std::error_code ec;
    if (out)
        fs::rename(temp, file, ec);
    if (!out || ec)
        qCDebug(lcDemo).noquote() << "cannot record the demo checkpoint id in" << pathText(file);
}

// A minute goes to the sink once it has ended plus this long, for events still on their way.
constexpr std::int64_t kGraceSeconds = 2;

struct PartitionOffset
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
};

// The job's checkpointed state: the aggregates of the minutes still open, and the offsets they were counted up to.
// A consumer that starts from those committed offsets starts from this state, as a Flink job restores its last
// checkpoint.
struct JobState
{
    Aggregates open;
    std::vector<PartitionOffset> offsets;
};

JobState loadState(const fs::path& file)
{
    JobState state;
    QFile in(pathText(file));
    if (!in.open(QIODevice::ReadOnly))
        return state; // first run
    const QJsonObject object = QJsonDocument::fromJson(in.readAll()).object();
    for (const auto& value : object.value(QStringLiteral("open")).toArray()) {
        const QJsonObject row = value.toObject();
        Aggregate& agg = state.open[{row.value(QStringLiteral("minute_ts")).toInteger(),
            row.value(QStringLiteral("key")).toString().toStdString()}];
        agg.events = row.value(QStringLiteral("events")).toInteger();
        agg.total = row.value(QStringLiteral("total")).toDouble();
    }
    for (const auto& value : object.value(QStringLiteral("offsets")).toArray()) {
        const QJsonObject o = value.toObject();
        state.offsets.push_back({o.value(QStringLiteral("topic")).toString().toStdString(),
            std::int32_t(o.value(QStringLiteral("partition")).toInt()), o.value(QStringLiteral("offset")).toInteger()});
    }
    return state;
}

// Writes the state under a temporary name; it replaces the previous state only once its offsets are committed, so
// the state on disk always goes with the committed offsets.
Result<std::int64_t> writeStateTemp(const fs::path& temp, std::int64_t checkpointId, const JobState& state)
{
    QJsonArray rows;
    for (const auto& [id, agg] : state.open)
        rows.append(QJsonObject {{QStringLiteral("minute_ts"), qint64(id.first)},
            {QStringLiteral("key"), QString::fromStdString(id.second)}, {QStringLiteral("events"), qint64(agg.events)},
            {QStringLiteral("total"), agg.total}});
    QJsonArray offsets;
    for (const auto& o : state.offsets)
        offsets.append(QJsonObject {{QStringLiteral("topic"), QString::fromStdString(o.topic)},
            {QStringLiteral("partition"), o.partition}, {QStringLiteral("offset"), qint64(o.offset)}});
    const QByteArray bytes = QJsonDocument(
        QJsonObject {{QStringLiteral("checkpoint"), qint64(checkpointId)}, {QStringLiteral("open"), rows},
            {QStringLiteral("offsets"),
                offsets}}).toJson(QJsonDocument::Compact);
    QFile out(pathText(temp));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(bytes) != bytes.size() || !out.flush())
        return fail(Error::Code::Io,
            QStringLiteral("cannot write the checkpoint state %1: %2").arg(pathText(temp), out.errorString()));
    return std::int64_t(bytes.size());
}

// Where the consumer has read to, on the partitions it has consumed from.
Result<std::vector<PartitionOffset>> positions(rd_kafka_t* consumer)
{
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (rd_kafka_resp_err_t err = rd_kafka_assignment(consumer, &assignment); err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(Error::Code::Protocol, QString::fromUtf8(rd_kafka_err2str(err)));
    rd_kafka_position(consumer, assignment);
    std::vector<PartitionOffset> result;
    for (int i = 0; i < assignment->cnt; ++i)
        if (assignment->elems[i].offset >= 0)
            result.push_back({assignment->elems[i].topic, assignment->elems[i].partition, assignment->elems[i].offset});
    rd_kafka_topic_partition_list_destroy(assignment);
    return result;
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

// False when the group's committed offsets are no longer those of the state, e.g. after a replay rewound them;
// that state would count the replayed events twice.
bool stateMatchesCommitted(rd_kafka_t* consumer, const std::vector<PartitionOffset>& offsets)
{
    if (offsets.empty())
        return true;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(offsets.size()));
    for (const auto& o : offsets)
        rd_kafka_topic_partition_list_add(list, o.topic.c_str(), o.partition);
    bool same = true;
    if (rd_kafka_committed(consumer, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < list->cnt; ++i)
            same = same && list->elems[i].offset == offsets[std::size_t(i)].offset;
    rd_kafka_topic_partition_list_destroy(list);
    return same;
}

} // namespace

struct DemoPipeline::Private
{
    DemoOptions options;
    DemoEndpoints endpoints;
    std::unique_ptr<broker::Broker> broker;
    rd_kafka_t* producer = nullptr;
    std::unique_ptr<JobStatusBoard> board;
    std::unique_ptr<FlinkRestServer> rest;
    std::thread producerThread;
    std::thread jobThread;

    // Guards `sink` and is what idle threads wait on; `wake` fires on stop and on every drill change.
    std::mutex mutex;
    std::condition_variable wake;
    std::atomic<bool> stopping {false};
    bool topicCreated = false; // this start created the topic: the log is new, so it gets its history
    std::array<std::atomic<bool>, kDrillCount> drills {};
    DemoSink* sink = nullptr; // owned by the job thread

    std::mutex stopMutex;
    bool stopped = false;

    bool drillOn(Drill drill) const { return drills[std::size_t(drill)].load(); }

    Result<void> startBroker();
    Result<void> startProducer();
    Result<void> createTopic();
    Result<void> startJob();
    Result<void> startRest();

    void produce();
    void produceHistory(std::mt19937_64& random, int keys);
    void runJob(std::promise<Result<std::uint16_t>> ready);
    Result<rd_kafka_t*> subscribe();
    void consume(rd_kafka_t* consumer, Aggregates& pending, std::int64_t& checkpointId);
    void checkpoint(rd_kafka_t* consumer, Aggregates& pending, std::int64_t id);
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

Result<rd_kafka_t*> DemoPipeline::Private::subscribe()
{
    auto rk = newClient(RD_KAFKA_CONSUMER,
        {
            {"bootstrap.servers", endpoints.bootstrapServers},
            {"client.id", "pathwatch-demo-job"},
            {"group.id", endpoints.group},
            // Offsets are committed by checkpoints only, like Flink's Kafka source.
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"auto.offset.reset", "earliest"},
            {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "1000"},
        });
    if (!rk)
        return std::unexpected(rk.error());
    rd_kafka_poll_set_consumer(*rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, endpoints.topic.c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(*rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_destroy(*rk);
        return fail(Error::Code::Protocol,
            QStringLiteral("the demo job cannot subscribe to %1: %2")
                .arg(QString::fromStdString(endpoints.topic), QString::fromUtf8(rd_kafka_err2str(err))));
    }
    return *rk;
}

void DemoPipeline::Private::checkpoint(rd_kafka_t* consumer, Aggregates& pending, std::int64_t id)
{
    writeCheckpointId(options.dataDir / "last-checkpoint-id", id);
    board->checkpointTriggered(id, nowMs());
    const std::int64_t lastClosedMinute = nowMs() / 1000 - 60 - kGraceSeconds;
    Aggregates closed;
    for (auto it = pending.begin(); it != pending.end() && it->first.first <= lastClosedMinute; ++it)
        closed.insert(*it);
    const Aggregates open(pending.lower_bound({lastClosedMinute + 1, std::string()}), pending.end());
    auto committed = sink->commit(id, closed, open);
    if (!committed) {
        // The rows stay pending and the offsets uncommitted: the next checkpoint carries both.
        board->checkpointFailed(id, nowMs(), committed.error().message);
        return;
    }
    // The sink has these rows now; whatever happens to the offsets, sending them again would count them twice.
    pending.erase(pending.begin(), pending.lower_bound({lastClosedMinute + 1, std::string()}));

    auto consumed = positions(consumer);
    if (!consumed) {
        board->checkpointFailed(
            id, nowMs(), QStringLiteral("reading the consumer's positions failed: ") + consumed.error().message);
        return;
    }
    const fs::path stateFile = options.dataDir / "job-state.json";
    const fs::path stateTemp = options.dataDir / ".job-state.json.tmp";
    auto stateSize = writeStateTemp(stateTemp, id, JobState {pending, *consumed});
    if (!stateSize) {
        board->checkpointFailed(id, nowMs(), stateSize.error().message);
        return;
    }
    QString failure;
    if (auto done = commitOffsets(consumer, *consumed); !done) {
        failure = QStringLiteral("committing the consumed offsets failed: ") + done.error().message;
    } else {
        std::error_code ec;
        fs::rename(stateTemp, stateFile, ec);
        if (ec)
            failure = QStringLiteral("cannot replace the checkpoint state %1: %2")
                          .arg(pathText(stateFile), QString::fromStdString(ec.message()));
    }
    if (!failure.isEmpty()) {
        std::error_code ec;
        fs::remove(stateTemp, ec);
        board->checkpointFailed(id, nowMs(), failure);
    } else {
        board->checkpointCompleted(id, nowMs(), *stateSize);
    }
}

void DemoPipeline::Private::consume(rd_kafka_t* consumer, Aggregates& pending, std::int64_t& checkpointId)
{
    const auto interval = std::max<std::chrono::milliseconds>(options.checkpointInterval, 100ms);
    auto nextCheckpoint = std::chrono::steady_clock::now() + interval;
    while (!stopping && !drillOn(Drill::StopJob)) {
        const auto untilCheckpoint
            = std::chrono::duration_cast<std::chrono::milliseconds>(nextCheckpoint - std::chrono::steady_clock::now());
        // Short enough that a stop or a drill is noticed promptly, without a busy loop.
        const auto timeout = std::clamp<std::chrono::milliseconds>(untilCheckpoint, 0ms, 100ms);
        if (rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, int(timeout.count()))) {
            if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
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
                    Aggregate& agg = pending[{ts / 60000 * 60, key.toStdString()}];
                    agg.events += 1;
                    agg.total += event.value(QStringLiteral("value")).toDouble();
                } else {
                    qCDebug(lcDemo) << "demo job skips a malformed event at offset" << message->offset;
                }
            } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                qCDebug(lcDemo) << "demo job:" << rd_kafka_message_errstr(message);
            }
            rd_kafka_message_destroy(message);
        }
        if (std::chrono::steady_clock::now() >= nextCheckpoint) {
            checkpoint(consumer, pending, ++checkpointId);
            // A slow commit delays the next checkpoint instead of triggering a queue of them.
            nextCheckpoint = std::max(nextCheckpoint + interval, std::chrono::steady_clock::now());
        }
    }
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
    }
    ready.set_value(sink->metricsPort());

    Aggregates pending;
    std::int64_t checkpointId = readCheckpointId(options.dataDir / "last-checkpoint-id");
    while (!stopping) {
        if (drillOn(Drill::StopJob)) {
            board->setState(QStringLiteral("CANCELED"), nowMs());
            std::unique_lock lock(mutex);
            wake.wait(lock, [this] { return stopping || !drillOn(Drill::StopJob); });
            continue;
        }
        auto consumer = subscribe();
        if (!consumer) {
            qCWarning(lcDemo).noquote() << consumer.error().toString();
            board->setState(QStringLiteral("FAILED"), nowMs());
            pause(1s);
            continue;
        }
        JobState state = loadState(options.dataDir / "job-state.json");
        if (!stateMatchesCommitted(*consumer, state.offsets)) {
            qCInfo(lcDemo) << "the demo group's committed offsets moved since the last checkpoint: starting the job "
                              "without its state";
            state.open.clear();
        }
        pending = std::move(state.open);
        board->setState(QStringLiteral("RUNNING"), nowMs());
        consume(*consumer, pending, checkpointId);
        // Leaves the group, so a fresh consumer (or a replay) can take the partitions over at once.
        rd_kafka_consumer_close(*consumer);
        rd_kafka_destroy(*consumer);
        // What the last completed checkpoint did not cover is read again from Kafka by the next consumer.
        pending.clear();
    }
    board->setState(QStringLiteral("CANCELED"), nowMs());
    {
        std::lock_guard lock(mutex);
        sink = nullptr;
    }
    ownedSink.reset(); // on this thread: its database connection belongs to it
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
    auto started = FlinkRestServer::start(restOptions, *board);
    if (!started && options.restPort != 0) {
        qCInfo(lcDemo).noquote() << "demo REST port unavailable, using a free one:" << started.error().toString();
        restOptions.port = 0;
        started = FlinkRestServer::start(restOptions, *board);
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
    // job-state.json and last-checkpoint-id; all of it survives a restart, so the demo carries on where it stopped.
    // Destroying the pipeline on any failure below stops whatever had started.
    std::unique_ptr<DemoPipeline> pipeline(new DemoPipeline);
    Private* d = pipeline->d.get();
    d->options = options;
    d->endpoints.servingDatabase = options.dataDir / "serving.sqlite";
    d->endpoints.objectStore = options.dataDir / "objects";
    d->board = std::make_unique<JobStatusBoard>(randomJobId(), QString::fromStdString(d->endpoints.jobName));

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
