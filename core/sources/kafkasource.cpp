#include "sources/kafkasource.h"

#include "broker/consumeroffsetsformat.h"
#include "ledger/ledger.h"
#include "presentation/format.h"
#include "sources/freshness.h"
#include "sources/kafkaadmin.h"

#include <librdkafka/rdkafka.h>

#include <QLoggingCategory>

#include <algorithm>
#include <chrono>
#include <set>
#include <tuple>

Q_LOGGING_CATEGORY(lcKafka, "pathwatch.kafka", QtWarningMsg)

namespace pw {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using TopicPartition = std::pair<QString, int32_t>;
constexpr milliseconds kRecordReadSlice {1500};

void logToCategory(const rd_kafka_t*, int level, const char* facility, const char* message)
{
    if (level <= 3)
        qCInfo(lcKafka).noquote() << facility << message;
    else
        qCDebug(lcKafka).noquote() << facility << message;
}

QString param(const SignalConfig& s, const char* key)
{
    return s.params.value(QString::fromLatin1(key)).toString().trimmed();
}

QString bootstrapServers(const SourceConfig& c)
{
    return c.options.value(QStringLiteral("bootstrap_servers")).toString().trimmed();
}

std::vector<std::pair<QString, QString>> properties(const SourceConfig& c)
{
    std::vector<std::pair<QString, QString>> out;
    const QVariantMap map = c.options.value(QStringLiteral("properties")).toMap();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out.emplace_back(it.key(), it.value().toString());
    return out;
}

Labels labels(const QString& group, const QString& topic, int32_t partition)
{
    Labels l;
    if (!group.isEmpty())
        l.emplace_back(QStringLiteral("group"), group);
    l.emplace_back(QStringLiteral("partition"), QString::number(partition));
    l.emplace_back(QStringLiteral("topic"), topic);
    return l;
}

/// What is left of one poll's time budget.
class Deadline
{
public:
    explicit Deadline(milliseconds budget)
        : m_end(Clock::now() + budget)
    { }
    milliseconds remaining() const
    {
        return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(m_end - Clock::now()));
    }
    bool expired() const { return remaining().count() <= 0; }

private:
    Clock::time_point m_end;
};

Error errorFor(rd_kafka_resp_err_t err, const QString& what)
{
    Error::Code code = Error::Code::Protocol;
    switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        code = Error::Code::Timeout;
        break;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
        code = Error::Code::Network;
        break;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        code = Error::Code::NotFound;
        break;
    default:
        break;
    }
    return Error::make(code, what + QStringLiteral(": ") + QString::fromUtf8(rd_kafka_err2str(err)));
}

/// The record reader: a consumer without a group (the legacy per-partition API needs none), so it never commits
/// and never appears among the cluster's groups.
Result<rd_kafka_t*> createReader(const SourceConfig& config, bool bulk = false)
{
    char errstr[512] = {0};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, logToCategory);
    QString failedKey;
    auto set = [&](const QString& key, const QString& value) {
        if (!failedKey.isEmpty())
            return;
        if (rd_kafka_conf_set(conf, key.toUtf8().constData(), value.toUtf8().constData(), errstr, sizeof errstr)
            != RD_KAFKA_CONF_OK)
            failedKey = key;
    };
    set(QStringLiteral("bootstrap.servers"), bootstrapServers(config));
    set(QStringLiteral("client.id"),
        bulk ? QStringLiteral("pathwatch-offsets-reader") : QStringLiteral("pathwatch-reader"));
    set(QStringLiteral("socket.timeout.ms"), QString::number(std::max<qint64>(config.timeoutMs, 10)));
    set(QStringLiteral("log_level"), QStringLiteral("3"));
    set(QStringLiteral("auto.offset.reset"), QStringLiteral("earliest"));
    // The newest record is what producers wrote last, committed transaction or not.
    set(QStringLiteral("isolation.level"), QStringLiteral("read_uncommitted"));
    // One record per partition is wanted: no prefetching of whole batches beyond it, and answers without delay.
    // (Reading `__consumer_offsets` through is the exception: whole batches are what it needs.)
    if (!bulk)
        set(QStringLiteral("queued.min.messages"), QStringLiteral("1"));
    set(QStringLiteral("fetch.wait.max.ms"), QStringLiteral("100"));
    for (const auto& [key, value] : properties(config))
        set(key, value);
    // Whatever the properties say, reading must never move a group's offsets.
    set(QStringLiteral("enable.auto.commit"), QStringLiteral("false"));
    set(QStringLiteral("enable.auto.offset.store"), QStringLiteral("false"));
    set(QStringLiteral("enable.partition.eof"), QStringLiteral("true"));
    if (!failedKey.isEmpty()) {
        rd_kafka_conf_destroy(conf);
        // librdkafka's message quotes the rejected value, which must not be shown when it is a secret.
        return fail(Error::Code::Config,
            isSecretPropertyName(failedKey) ? QStringLiteral(
                "Kafka configuration: the secret property %1 was refused (unknown name or invalid value, not shown)")
                                                  .arg(failedKey)
                                            : QStringLiteral("Kafka configuration: ") + QString::fromUtf8(errstr));
    }
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return fail(
            Error::Code::Config, QStringLiteral("cannot create the Kafka reader: ") + QString::fromUtf8(errstr));
    }
    return rk;
}

struct RecordTime
{
    qint64 ms = 0;
    // LogAppendTime or CreateTime of the record; WatermarkHistory when the ledger's polls dated it
    TimeLagBasis basis = TimeLagBasis::CreateTime;
};

struct RecordRequest
{
    QString topic;
    int32_t partition = 0;
    int64_t offset = 0;
    bool operator<(const RecordRequest& o) const
    {
        return std::tie(topic, partition, offset) < std::tie(o.topic, o.partition, o.offset);
    }
};

} // namespace

struct KafkaSource::Clients
{
    std::unique_ptr<KafkaAdmin> admin;
    rd_kafka_t* reader = nullptr;
    std::map<QString, rd_kafka_topic_t*> topics;

    // `__consumer_offsets`, read through once and then followed: the newest commit time of every group's partition.
    rd_kafka_t* offsetsReader = nullptr;
    rd_kafka_topic_t* offsetsTopic = nullptr;
    rd_kafka_queue_t* offsetsQueue = nullptr;
    std::vector<bool> offsetsAtEnd;
    std::vector<int64_t> offsetsPosition; // next offset to read, per partition
    bool offsetsReadThrough = false; // every partition reached its end once: the commit times are complete
    QString offsetsError; // why commit times are not known
    std::map<std::tuple<QString, QString, int32_t>, qint64> commitTimes; // (group, topic, partition) → ms
    /// The newest committed offsets the log holds: what OffsetFetch would answer, once the log is read to the high
    /// watermarks of this poll — without a request per group.
    std::map<QString, std::map<std::pair<QString, int32_t>, int64_t>> committed;

    // Timestamps of records at committed offsets older than the watermark history, read once each.
    std::map<RecordRequest, RecordTime> recordTimes;

    ~Clients()
    {
        if (offsetsQueue) {
            for (int32_t p = 0; p < int32_t(offsetsAtEnd.size()); ++p)
                rd_kafka_consume_stop(offsetsTopic, p);
            rd_kafka_queue_destroy(offsetsQueue);
        }
        if (offsetsTopic)
            rd_kafka_topic_destroy(offsetsTopic);
        if (offsetsReader)
            rd_kafka_destroy(offsetsReader);
        for (auto& [name, rkt] : topics)
            rd_kafka_topic_destroy(rkt);
        if (reader)
            rd_kafka_destroy(reader);
    }

    rd_kafka_topic_t* topic(const QString& name)
    {
        auto it = topics.find(name);
        if (it != topics.end())
            return it->second;
        rd_kafka_topic_t* rkt = rd_kafka_topic_new(reader, name.toUtf8().constData(), nullptr);
        if (rkt)
            topics.emplace(name, rkt);
        return rkt;
    }

    /// Timestamp of the first record at or after each requested offset; nullopt when there is none (only control
    /// records or the end of the partition). Partitions are read in parallel; a partition asked for twice (the
    /// newest and the oldest record) is read in a second round.
    std::map<RecordRequest, Result<std::optional<RecordTime>>> readTimestamps(
        const SourceConfig& config, const std::set<RecordRequest>& requests, const Deadline& deadline)
    {
        std::map<RecordRequest, Result<std::optional<RecordTime>>> results;
        // Created with the first record read: a source that only measures lag never opens its connections.
        if (!reader) {
            auto created = createReader(config);
            if (!created) {
                for (const auto& r : requests)
                    results.emplace(r, std::unexpected(created.error()));
                return results;
            }
            reader = *created;
        }
        std::vector<std::vector<RecordRequest>> rounds;
        for (const auto& r : requests) {
            auto round = std::find_if(rounds.begin(), rounds.end(), [&](const auto& rs) {
                return std::none_of(rs.begin(), rs.end(),
                    [&](const auto& o) { return o.topic == r.topic && o.partition == r.partition; });
            });
            if (round == rounds.end())
                round = rounds.insert(rounds.end(), std::vector<RecordRequest> {});
            round->push_back(r);
        }
        for (const auto& round : rounds)
            readRound(round, deadline, results);
        // Serve (and so free) the errors librdkafka queued meanwhile; each read reports its own.
        rd_kafka_poll(reader, 0);
        return results;
    }

    /// Reads what `__consumer_offsets` gained since the last call, for at most `budget`: the first call reads it
    /// from the start (until every partition's end or the budget), later ones only the new commits.
    /// True when it read up to `highWatermarks` (this poll's): the commit times and offsets are current.
    bool followCommitTimes(
        const SourceConfig& config, int32_t partitions, const std::vector<int64_t>& highWatermarks, milliseconds budget)
    {
        if (partitions <= 0) {
            // Kafka leaves a topic out of the listing when the credentials may not describe it.
            offsetsError = QStringLiteral("__consumer_offsets is not listed for these credentials (not authorized to "
                                          "describe and read it, or no group ever committed)");
            return false;
        }
        if (!offsetsReader) {
            auto created = createReader(config, true);
            if (!created) {
                offsetsError = created.error().message;
                return false;
            }
            offsetsReader = *created;
            offsetsTopic = rd_kafka_topic_new(offsetsReader, "__consumer_offsets", nullptr);
            offsetsQueue = rd_kafka_queue_new(offsetsReader);
            offsetsAtEnd.assign(size_t(partitions), false);
            offsetsPosition.assign(size_t(partitions), 0);
            for (int32_t p = 0; p < partitions; ++p)
                if (rd_kafka_consume_start_queue(offsetsTopic, p, RD_KAFKA_OFFSET_BEGINNING, offsetsQueue) == -1)
                    offsetsError = QStringLiteral("cannot read __consumer_offsets: ")
                        + QString::fromUtf8(rd_kafka_err2str(rd_kafka_last_error()));
        }
        // Caught up when every partition is read to the high watermark this poll saw (an end-of-partition event
        // alone is not enough: while groups commit all the time, a fetch seldom comes back empty).
        auto caughtUp = [&] {
            for (size_t p = 0; p < offsetsPosition.size(); ++p)
                if (p < highWatermarks.size() ? offsetsPosition[p] < highWatermarks[p] : !offsetsAtEnd[p])
                    return false;
            return true;
        };
        const auto end = Clock::now() + budget;
        bool current = false;
        while (Clock::now() < end) {
            if (caughtUp()) {
                current = true;
                if (!offsetsReadThrough)
                    offsetsError.clear();
                offsetsReadThrough = true;
                break;
            }
            const bool waitForEnd = true;
            const int waitMs = waitForEnd
                ? int(std::clamp<qint64>(std::chrono::duration_cast<milliseconds>(end - Clock::now()).count(), 0, 100))
                : 0;
            rd_kafka_message_t* msg = rd_kafka_consume_queue(offsetsQueue, waitMs);
            if (!msg) {
                if (!waitForEnd)
                    break; // caught up with what has arrived
                continue;
            }
            if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (msg->partition >= 0 && size_t(msg->partition) < offsetsAtEnd.size())
                    offsetsAtEnd[size_t(msg->partition)] = true;
                // A passing error (the topic compacted under the reader, which then starts over) is over once a
                // partition is read to its end again.
                if (offsetsReadThrough)
                    offsetsError.clear();
                if (!offsetsReadThrough
                    && std::all_of(offsetsAtEnd.begin(), offsetsAtEnd.end(), [](bool b) { return b; })) {
                    offsetsReadThrough = true;
                    offsetsError.clear();
                }
            } else if (msg->err) {
                // Most often: no permission to read the topic. Verdicts then say "not advancing".
                offsetsError = QStringLiteral("cannot read __consumer_offsets: ")
                    + QString::fromUtf8(rd_kafka_err2str(msg->err));
            } else if (msg->key) {
                const auto key
                    = broker::decodeConsumerOffsetsKey({static_cast<const uint8_t*>(msg->key), msg->key_len});
                if (key && std::holds_alternative<broker::OffsetCommitKey>(*key)) {
                    const auto& k = std::get<broker::OffsetCommitKey>(*key);
                    std::tuple<QString, QString, int32_t> id {
                        QString::fromStdString(k.group), QString::fromStdString(k.topic), k.partition};
                    if (!msg->payload) {
                        commitTimes.erase(id); // a tombstone: the offset was deleted
                        if (auto g = committed.find(std::get<0>(id)); g != committed.end()) {
                            g->second.erase({std::get<1>(id), std::get<2>(id)});
                            if (g->second.empty())
                                committed.erase(g);
                        }
                    } else if (const auto value
                        = broker::decodeOffsetCommitValue({static_cast<const uint8_t*>(msg->payload), msg->len})) {
                        qint64& at = commitTimes[id];
                        at = std::max<qint64>(at, value->commitTimestampMs);
                        committed[std::get<0>(id)][{std::get<1>(id), std::get<2>(id)}] = value->offset;
                    }
                }
            }
            if ((!msg->err || msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) && msg->partition >= 0
                && size_t(msg->partition) < offsetsPosition.size())
                offsetsPosition[size_t(msg->partition)] = std::max(offsetsPosition[size_t(msg->partition)],
                    msg->err ? msg->offset : msg->offset + 1); // at the end, the offset is the end's
            rd_kafka_message_destroy(msg);
        }
        rd_kafka_poll(offsetsReader, 0);
        return current && offsetsError.isEmpty() && !highWatermarks.empty();
    }

    std::optional<qint64> commitTime(const QString& group, const QString& topic, int32_t partition) const
    {
        const auto it = commitTimes.find({group, topic, partition});
        if (it == commitTimes.end())
            return std::nullopt;
        return it->second;
    }

    void readRound(const std::vector<RecordRequest>& round, const Deadline& deadline,
        std::map<RecordRequest, Result<std::optional<RecordTime>>>& results)
    {
        rd_kafka_queue_t* queue = rd_kafka_queue_new(reader);
        std::map<TopicPartition, RecordRequest> pending;
        std::vector<std::pair<rd_kafka_topic_t*, int32_t>> started;
        for (const auto& r : round) {
            const QString what
                = QStringLiteral("read %1 [%2] at offset %3").arg(r.topic).arg(r.partition).arg(r.offset);
            rd_kafka_topic_t* rkt = topic(r.topic);
            if (!rkt) {
                results.emplace(r, std::unexpected(errorFor(rd_kafka_last_error(), what)));
                continue;
            }
            if (rd_kafka_consume_start_queue(rkt, r.partition, r.offset, queue) == -1) {
                results.emplace(r, std::unexpected(errorFor(rd_kafka_last_error(), what)));
                continue;
            }
            started.emplace_back(rkt, r.partition);
            pending.emplace(TopicPartition {r.topic, r.partition}, r);
        }
        while (!pending.empty() && !deadline.expired()) {
            const int waitMs = static_cast<int>(std::min<qint64>(deadline.remaining().count(), 200));
            rd_kafka_message_t* msg = rd_kafka_consume_queue(queue, waitMs);
            if (!msg)
                continue;
            if (msg->rkt) {
                const TopicPartition key {QString::fromUtf8(rd_kafka_topic_name(msg->rkt)), msg->partition};
                auto it = pending.find(key);
                if (it != pending.end()) {
                    const RecordRequest& r = it->second;
                    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        results.emplace(r, std::optional<RecordTime> {});
                        pending.erase(it);
                    } else if (msg->err) {
                        results.emplace(r,
                            std::unexpected(errorFor(msg->err,
                                QStringLiteral("read %1 [%2] at offset %3")
                                    .arg(r.topic)
                                    .arg(r.partition)
                                    .arg(r.offset))));
                        pending.erase(it);
                    } else if (msg->offset >= r.offset) {
                        rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
                        const int64_t ts = rd_kafka_message_timestamp(msg, &type);
                        if (ts < 0)
                            results.emplace(r,
                                fail(Error::Code::Parse,
                                    QStringLiteral("record %1 of %2 [%3] has no timestamp")
                                        .arg(msg->offset)
                                        .arg(r.topic)
                                        .arg(r.partition)));
                        else
                            results.emplace(r,
                                std::optional<RecordTime>(RecordTime {ts,
                                    type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? TimeLagBasis::LogAppendTime
                                                                               : TimeLagBasis::CreateTime}));
                        pending.erase(it);
                    }
                }
            }
            rd_kafka_message_destroy(msg);
        }
        for (const auto& [rkt, partition] : started)
            rd_kafka_consume_stop(rkt, partition);
        rd_kafka_queue_destroy(queue);
        for (const auto& [key, r] : pending)
            results.emplace(r,
                fail(Error::Code::Timeout,
                    QStringLiteral("no record of %1 [%2] at offset %3 arrived within the timeout")
                        .arg(r.topic)
                        .arg(r.partition)
                        .arg(r.offset)));
    }
};

KafkaSource::KafkaSource(SourceConfig config, std::vector<SignalConfig> signalConfigs)
    : Source(std::move(config), std::move(signalConfigs))
{ }

KafkaSource::~KafkaSource() = default;

Result<std::unique_ptr<Source>> KafkaSource::create(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    Error e;
    e.code = Error::Code::Config;
    e.source = config.id;
    e.line = config.line;
    if (bootstrapServers(config).isEmpty()) {
        e.message = QStringLiteral("kafka source %1 needs `bootstrap_servers`").arg(config.id);
        return std::unexpected(e);
    }
    const bool watchesGroups = config.options.contains(QStringLiteral("groups"));
    std::vector<QRegularExpression> include;
    std::vector<QRegularExpression> exclude;
    if (watchesGroups) {
        const QVariantMap groups = config.options.value(QStringLiteral("groups")).toMap();
        for (const auto& [key, out] :
            {std::pair {QStringLiteral("include"), &include}, std::pair {QStringLiteral("exclude"), &exclude}})
            for (const QString& pattern : groups.value(key).toStringList()) {
                QRegularExpression re(pattern);
                if (!re.isValid()) {
                    e.message = QStringLiteral("kafka source %1: invalid group pattern %2: %3")
                                    .arg(config.id, pattern, re.errorString());
                    return std::unexpected(e);
                }
                out->push_back(std::move(re));
            }
    }
    for (const auto& s : signalConfigs) {
        e.line = s.line;
        switch (s.kind) {
        case SignalKind::ConsumerLag:
        case SignalKind::TimeLag:
            if (param(s, "group").isEmpty() && !watchesGroups) {
                e.message = QStringLiteral("signal %1 needs `group`").arg(s.id);
                return std::unexpected(e);
            }
            break;
        case SignalKind::DataAge:
        case SignalKind::ReplayHeadroom:
            if (param(s, "topic").isEmpty()) {
                e.message = QStringLiteral("signal %1 needs `topic`").arg(s.id);
                return std::unexpected(e);
            }
            break;
        default:
            e.message = QStringLiteral("signal %1: a kafka source serves consumer_lag, time_lag, replay_headroom "
                                       "and data_age, not %2")
                            .arg(s.id, signalKindName(s.kind));
            return std::unexpected(e);
        }
    }
    auto* source = new KafkaSource(config, signalConfigs);
    source->m_watchAllGroups = watchesGroups;
    source->m_include = std::move(include);
    source->m_exclude = std::move(exclude);
    source->m_readConsumerOffsets = config.options.value(QStringLiteral("read_consumer_offsets"), true).toBool();
    if (const QVariant window = config.options.value(QStringLiteral("lag_window")); window.isValid())
        source->m_windowPolls = std::max(2, window.toInt());
    return std::unique_ptr<Source>(source);
}

void KafkaSource::setLedger(std::shared_ptr<Ledger> ledger)
{
    m_ledger = std::move(ledger);
}

bool KafkaSource::groupWatched(const QString& group, const std::vector<QRegularExpression>& include,
    const std::vector<QRegularExpression>& exclude)
{
    if (include.empty() && exclude.empty() && group.startsWith(QLatin1Char('_')))
        return false;
    if (!include.empty()
        && std::none_of(include.begin(), include.end(), [&](const auto& re) { return re.match(group).hasMatch(); }))
        return false;
    return std::none_of(exclude.begin(), exclude.end(), [&](const auto& re) { return re.match(group).hasMatch(); });
}

QString KafkaSource::endpoint() const
{
    return bootstrapServers(m_config);
}

void KafkaSource::poll(PollContext& context, std::function<void(PollResult)> done)
{
    if (!context.runBlocking) {
        done(pollBlocking());
        return;
    }
    context.runBlocking([this, done = std::move(done)] { done(pollBlocking()); });
}

void KafkaSource::recordHighWatermark(OffsetHistory& history, qint64 timeMs, int64_t high)
{
    // A high watermark that went back means the partition was recreated or truncated: the old points lie.
    if (!history.empty() && high < history.back().offset)
        history.clear();
    // In a flat run only its first and last times matter for interpolation; keep two points, not one per poll.
    if (history.size() >= 2 && history.back().offset == high && history[history.size() - 2].offset == high)
        history.back().timeMs = timeMs;
    else
        history.push_back({timeMs, high});
    while (history.size() > kHistoryPoints || (history.size() > 2 && history.front().timeMs < timeMs - kHistoryMs))
        history.pop_front();
}

std::optional<double> KafkaSource::estimateTimeLagSeconds(const OffsetHistory& history, int64_t committed, qint64 nowMs)
{
    if (history.size() < 2)
        return std::nullopt;
    if (committed >= history.back().offset)
        return 0.0;
    auto seconds = [nowMs](double atMs) { return std::max(0.0, (double(nowMs) - atMs) / 1000.0); };
    // The committed offset was passed before the history begins: the true lag is at least the history's span, so
    // this is a lower bound (the history keeps an hour at most).
    if (committed < history.front().offset)
        return seconds(double(history.front().timeMs));
    // The first point beyond the committed offset; the one before it is at or below it. The high watermark passed
    // the committed offset somewhere between the two: assume it grew linearly.
    for (size_t i = 1; i < history.size(); ++i) {
        const OffsetPoint& b = history[i];
        if (b.offset <= committed)
            continue;
        const OffsetPoint& a = history[i - 1];
        const double fraction = double(committed - a.offset) / double(b.offset - a.offset);
        return seconds(double(a.timeMs) + fraction * double(b.timeMs - a.timeMs));
    }
    return 0.0;
}

PollResult KafkaSource::pollBlocking()
{
    PollResult result;
    // Leave the engine a moment to receive the answer before its own timeout gives up on the poll.
    const qint64 budgetMs = m_config.timeoutMs - std::min<qint64>(250, m_config.timeoutMs / 4);
    const Deadline deadline {milliseconds(std::max<qint64>(budgetMs, 1))};

    if (!m_clients) {
        auto clients = std::make_unique<Clients>();
        KafkaAdminConfig adminConfig;
        adminConfig.bootstrapServers = bootstrapServers(m_config);
        // A producer handle asks for topics with auto-creation on; a monitor must never create what it looks at.
        adminConfig.properties = {{QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}};
        for (auto& property : properties(m_config))
            adminConfig.properties.push_back(std::move(property));
        adminConfig.timeout = milliseconds(m_config.timeoutMs);
        auto admin = KafkaAdmin::create(adminConfig);
        if (!admin) {
            result.error = admin.error();
            return result;
        }
        clients->admin = std::move(*admin);
        m_clients = std::move(clients);
    }
    KafkaAdmin& admin = *m_clients->admin;
    auto outOfTime = [&](const QString& what) {
        return Error::make(Error::Code::Timeout,
            QStringLiteral("%1: no time left within the source's timeout of %2 ms").arg(what).arg(m_config.timeoutMs));
    };
    // Each call gets what is left of the poll's budget, so the poll as a whole ends by the timeout.
    auto bound = [&] {
        if (deadline.expired())
            return false;
        admin.setTimeout(deadline.remaining());
        return true;
    };

    if (!bound()) {
        result.error = outOfTime(QStringLiteral("read the cluster metadata"));
        return result;
    }
    admin.takeClientError(); // from before this poll
    auto topics = admin.listTopics();
    if (!topics) {
        Error e = topics.error();
        const QString cause = admin.takeClientError();
        // A refused login looks like a transport failure to librdkafka; say what it is.
        const bool refusedLogin = cause.contains(QStringLiteral("SASL authentication error"))
            || cause.contains(QStringLiteral("Authentication failed"));
        e.message = refusedLogin
            ? QStringLiteral("the Kafka cluster at %1 refused the credentials (authentication failed): %2")
                  .arg(endpoint(), e.message)
            : QStringLiteral("cannot reach the Kafka cluster at %1: %2").arg(endpoint(), e.message);
        if (!cause.isEmpty())
            e.message += QStringLiteral(" (%1)").arg(cause);
        result.error = e;
        return result;
    }
    std::map<QString, int32_t> partitionCount;
    for (const auto& t : *topics)
        partitionCount[t.name] = t.partitions;
    // The metadata just read carries the cluster id: the ledger keys its rows by it.
    if (auto id = admin.clusterId(); id)
        result.clusterId = *id;
    std::set<std::tuple<QString, QString, int32_t>> observed;

    struct TopicWatermarks
    {
        Result<std::vector<KafkaAdmin::Watermarks>> marks;
        qint64 atMs = 0;
    };
    std::map<QString, TopicWatermarks> watermarksCache;
    auto watermarksOf = [&](const QString& topic) -> const TopicWatermarks& {
        auto it = watermarksCache.find(topic);
        if (it != watermarksCache.end())
            return it->second;
        TopicWatermarks w {fail(Error::Code::Generic, QString()), 0};
        if (!bound())
            w.marks = std::unexpected(outOfTime(QStringLiteral("watermarks of %1").arg(topic)));
        else
            w.marks = admin.topicWatermarks(topic, partitionCount.at(topic));
        w.atMs = nowMs();
        return watermarksCache.emplace(topic, std::move(w)).first->second;
    };
    std::map<QString, Result<std::vector<KafkaAdmin::PartitionOffset>>> offsetsCache;
    auto offsetsOf = [&](const QString& group) -> const Result<std::vector<KafkaAdmin::PartitionOffset>>& {
        auto it = offsetsCache.find(group);
        if (it != offsetsCache.end())
            return it->second;
        Result<std::vector<KafkaAdmin::PartitionOffset>> offsets = bound()
            ? admin.listGroupOffsets(group)
            : std::unexpected(outOfTime(QStringLiteral("offsets of consumer group %1").arg(group)));
        return offsetsCache.emplace(group, std::move(offsets)).first->second;
    };
    auto topicMissing = [](const QString& topic) {
        return Error::make(Error::Code::NotFound, QStringLiteral("topic %1 does not exist").arg(topic));
    };
    std::set<TopicPartition> historyUpdated;

    // Records to read for data_age and replay_headroom, all signals together so partitions are read in parallel.
    struct RecordUse
    {
        const SignalConfig* signal;
        RecordRequest request;
    };
    std::vector<RecordUse> recordUses;

    for (const SignalConfig& s : m_signals) {
        const QString group = param(s, "group");
        const QString topicFilter = param(s, "topic");
        if (!topicFilter.isEmpty() && !partitionCount.contains(topicFilter)) {
            result.signalErrors.emplace_back(s.id, topicMissing(topicFilter));
            continue;
        }

        if (s.kind == SignalKind::DataAge || s.kind == SignalKind::ReplayHeadroom) {
            const auto& w = watermarksOf(topicFilter);
            if (!w.marks) {
                result.signalErrors.emplace_back(s.id, w.marks.error());
                continue;
            }
            for (int32_t p = 0; p < int32_t(w.marks->size()); ++p) {
                const auto& m = (*w.marks)[size_t(p)];
                if (m.high <= m.low)
                    continue; // empty: no record, so no age
                recordUses.push_back(
                    {&s, RecordRequest {topicFilter, p, s.kind == SignalKind::DataAge ? m.high - 1 : m.low}});
            }
            continue;
        }

        // consumer_lag and time_lag
        if (group.isEmpty())
            continue; // every watched group: pollGroups()
        const auto& offsets = offsetsOf(group);
        if (!offsets) {
            result.signalErrors.emplace_back(s.id, offsets.error());
            continue;
        }
        std::map<TopicPartition, int64_t> committed;
        std::set<QString> consumedTopics;
        for (const auto& o : *offsets) {
            if (!topicFilter.isEmpty() && o.topic != topicFilter)
                continue;
            // A topic deleted since the group committed to it has no lag to measure.
            if (!partitionCount.contains(o.topic))
                continue;
            committed[{o.topic, o.partition}] = o.offset;
            consumedTopics.insert(o.topic);
        }
        if (committed.empty()) {
            // Kafka answers an unknown group with an empty list; tell that apart from a group that has not
            // committed yet.
            auto desc = bound() ? admin.describeGroup(group)
                                : std::unexpected(outOfTime(QStringLiteral("describe consumer group %1").arg(group)));
            if (!desc) {
                result.signalErrors.emplace_back(s.id, desc.error());
                continue;
            }
            if (desc->state == QLatin1String("Dead") || desc->state == QLatin1String("Unknown")) {
                result.signalErrors.emplace_back(s.id,
                    Error::make(Error::Code::NoDataYet,
                        QStringLiteral("consumer group %1 to appear (it has no members and no committed offsets)")
                            .arg(group)));
                continue;
            }
            if (topicFilter.isEmpty()) {
                result.signalErrors.emplace_back(s.id,
                    Error::make(Error::Code::NoDataYet,
                        QStringLiteral("consumer group %1 to commit its first offset").arg(group)));
                continue;
            }
            consumedTopics.insert(topicFilter); // a live group on the topic: all of it is still to be consumed
        }

        std::optional<Error> firstError;
        for (const QString& topic : consumedTopics) {
            const auto& w = watermarksOf(topic);
            if (!w.marks) {
                if (!firstError)
                    firstError = w.marks.error();
                continue;
            }
            for (int32_t p = 0; p < int32_t(w.marks->size()); ++p) {
                const auto& m = (*w.marks)[size_t(p)];
                const auto c = committed.find({topic, p});
                const int64_t offset = c != committed.end() && c->second >= 0 ? c->second : -1;
                if (observed.emplace(group, topic, p).second)
                    result.offsets.push_back(OffsetObservation {group, topic, p, offset, m.high, m.low, w.atMs});
                if (s.kind == SignalKind::ConsumerLag) {
                    const int64_t lag = offset >= 0 ? std::max<int64_t>(0, m.high - offset) : m.high - m.low;
                    result.samples.push_back(Sample {s.id, labels(group, topic, p), w.atMs, double(lag)});
                    continue;
                }
                auto& history = m_history[{topic, p}];
                if (historyUpdated.insert({topic, p}).second)
                    recordHighWatermark(history, w.atMs, m.high);
                // Nothing committed: the oldest retained record is the next one to consume.
                const auto lag = estimateTimeLagSeconds(history, offset >= 0 ? offset : m.low, w.atMs);
                if (lag)
                    result.samples.push_back(Sample {s.id, labels(group, topic, p), w.atMs, *lag});
            }
        }
        if (firstError)
            result.signalErrors.emplace_back(s.id, *firstError);
    }

    if (watchesGroups())
        pollGroups(result, partitionCount, deadline.remaining().count());

    if (!recordUses.empty()) {
        std::set<RecordRequest> requests;
        for (const auto& use : recordUses)
            requests.insert(use.request);
        const auto timestamps = m_clients->readTimestamps(m_config, requests, deadline);
        const qint64 now = nowMs();
        std::set<QString> failed;
        for (const auto& use : recordUses) {
            const auto& ts = timestamps.at(use.request);
            Result<double> age = std::unexpected(Error {});
            if (!ts)
                age = std::unexpected(ts.error());
            else if (!*ts)
                continue; // only control records there, no data
            else if (age = freshnessSeconds((**ts).ms, now); !age)
                age.error().message = QStringLiteral("record %1 of %2 [%3]: %4")
                                          .arg(use.request.offset)
                                          .arg(use.request.topic)
                                          .arg(use.request.partition)
                                          .arg(age.error().message);
            if (!age) {
                if (failed.insert(use.signal->id).second)
                    result.signalErrors.emplace_back(use.signal->id, age.error());
                continue;
            }
            result.samples.push_back(
                Sample {use.signal->id, labels({}, use.request.topic, use.request.partition), now, *age});
        }
    }
    return result;
}

void KafkaSource::pollGroups(PollResult& result, const std::map<QString, int32_t>& partitionCount, qint64 budgetMs)
{
    const Deadline deadline {milliseconds(std::max<qint64>(budgetMs, 1))};
    KafkaAdmin& admin = *m_clients->admin;
    auto bound = [&] {
        if (deadline.expired())
            return false;
        admin.setTimeout(deadline.remaining());
        return true;
    };
    auto groupSignalError = [&](const Error& error) {
        for (const SignalConfig& s : m_signals)
            if ((s.kind == SignalKind::ConsumerLag || s.kind == SignalKind::TimeLag) && param(s, "group").isEmpty())
                result.signalErrors.emplace_back(s.id, error);
    };
    if (!bound()) {
        groupSignalError(Error::make(Error::Code::Timeout, QStringLiteral("no time left to list consumer groups")));
        return;
    }
    auto listed = admin.listGroups();
    if (!listed) {
        groupSignalError(listed.error()); // earlier values are kept (STALE), the windows too
        return;
    }
    std::vector<QString> ids;
    std::map<QString, QString> states;
    for (const auto& g : *listed)
        if (groupWatched(g.groupId, m_include, m_exclude)) {
            ids.push_back(g.groupId);
            states[g.groupId] = g.state;
        }
    std::sort(ids.begin(), ids.end());

    // Groups gone from the cluster: marked, then dropped with their windows.
    for (auto it = m_groups.begin(); it != m_groups.end();) {
        if (states.contains(it->first)) {
            it->second.missingPolls = 0;
            ++it;
            continue;
        }
        if (++it->second.missingPolls > kDeletedGroupPolls) {
            it = m_groups.erase(it);
            continue;
        }
        it->second.last.deleted = true;
        ++it;
    }

    if (!bound()) {
        groupSignalError(Error::make(Error::Code::Timeout, QStringLiteral("no time left to read committed offsets")));
        return;
    }
    // Committed offsets and commit times from `__consumer_offsets` when it can be read to this poll's end (a few
    // fetches, whatever the number of groups); else an OffsetFetch per group, many in flight at once.
    const QString offsetsTopicName = QStringLiteral("__consumer_offsets");
    const auto offsetsPartitions = partitionCount.find(offsetsTopicName);
    std::vector<int64_t> offsetsHigh;
    if (m_readConsumerOffsets && offsetsPartitions != partitionCount.end() && bound()) {
        auto w = admin.watermarksMany({{offsetsTopicName, offsetsPartitions->second}});
        if (w.front())
            for (const auto& m : *w.front())
                offsetsHigh.push_back(m.high);
    }
    // A slice of what is left for it, so a large `__consumer_offsets` never costs the poll its answer.
    const bool fromLog = m_readConsumerOffsets
        && m_clients->followCommitTimes(m_config,
            offsetsPartitions == partitionCount.end() ? 0 : offsetsPartitions->second, offsetsHigh,
            deadline.remaining() / 4);
    if (!m_readConsumerOffsets)
        m_clients->offsetsError = QStringLiteral("reading __consumer_offsets is turned off (read_consumer_offsets)");
    const bool commitTimesKnown = m_clients->offsetsReadThrough && m_clients->offsetsError.isEmpty();
    std::vector<Result<std::vector<KafkaAdmin::PartitionOffset>>> offsets;
    if (fromLog) {
        offsets.reserve(ids.size());
        for (const QString& g : ids) {
            std::vector<KafkaAdmin::PartitionOffset> list;
            if (const auto it = m_clients->committed.find(g); it != m_clients->committed.end())
                for (const auto& [tp, offset] : it->second)
                    list.push_back({tp.first, tp.second, offset >= 0 ? offset : -1, {}});
            offsets.emplace_back(std::move(list));
        }
    } else {
        if (!bound()) {
            groupSignalError(
                Error::make(Error::Code::Timeout, QStringLiteral("no time left to read committed offsets")));
            return;
        }
        offsets = admin.listGroupOffsetsMany(ids);
    }

    std::set<QString> topicNames;
    for (const auto& o : offsets)
        if (o)
            for (const auto& po : *o)
                if (partitionCount.contains(po.topic))
                    topicNames.insert(po.topic);
    std::vector<KafkaAdmin::TopicInfo> topics;
    for (const QString& t : topicNames)
        topics.push_back({t, partitionCount.at(t)});
    std::map<QString, Result<std::vector<KafkaAdmin::Watermarks>>> marks;
    if (!topics.empty()) {
        if (!bound()) {
            groupSignalError(Error::make(Error::Code::Timeout, QStringLiteral("no time left to read watermarks")));
            return;
        }
        auto many = admin.watermarksMany(topics);
        for (size_t i = 0; i < topics.size(); ++i)
            marks.emplace(topics[i].name, std::move(many[i]));
    }
    const qint64 now = nowMs();

    // The high-watermark history, once per partition per poll, shared by every group reading it.
    for (const auto& [topic, w] : marks)
        if (w)
            for (int32_t p = 0; p < int32_t(w->size()); ++p)
                recordHighWatermark(m_history[{topic, p}], now, (*w)[size_t(p)].high);
    for (auto it = m_history.begin(); it != m_history.end();) {
        // A deleted topic, or partitions gone with a recreated one: their history would lie.
        const auto count = partitionCount.find(it->first.first);
        if (count == partitionCount.end() || it->first.second >= count->second)
            it = m_history.erase(it);
        else
            ++it;
    }

    // Replays the audit log records explain a rewind; read only when something was rewound.
    std::optional<std::vector<AuditEntry>> audit;
    auto explainedByReplay = [&](const QString& group, qint64 sinceMs) {
        if (!m_ledger)
            return false;
        if (!audit) {
            auto entries = m_ledger->auditEntries(now - qint64(m_windowPolls + 1) * m_config.intervalMs - 60000, 0);
            audit = entries ? std::move(*entries) : std::vector<AuditEntry> {};
        }
        return std::any_of(audit->begin(), audit->end(), [&](const AuditEntry& a) {
            return a.group == group && a.atMs >= sinceMs && (a.sourceId.isEmpty() || a.sourceId == id())
                && !a.outcome.startsWith(QLatin1String("refused")) && !a.outcome.startsWith(QLatin1String("failed"));
        });
    };

    std::set<RecordRequest> toRead;
    struct Undated
    {
        QString group;
        size_t partition;
        RecordRequest request;
    };
    std::vector<Undated> undated;

    for (size_t gi = 0; gi < ids.size(); ++gi) {
        const QString& groupId = ids[gi];
        WatchedGroup& watched = m_groups[groupId];
        watched.state = states[groupId];
        GroupLag& group = watched.last;
        group.group = groupId;
        group.state = watched.state;
        group.deleted = false;
        group.commitTimesKnown = commitTimesKnown;
        if (!offsets[gi]) {
            group.error = offsets[gi].error().message; // the numbers of the last good poll stay
            continue;
        }
        group.error.clear();
        group.observedMs = now;
        std::map<std::pair<QString, int32_t>, int64_t> committed;
        std::set<QString> consumed;
        for (const auto& o : *offsets[gi])
            if (partitionCount.contains(o.topic)) { // a topic deleted since the group committed has no lag
                committed[{o.topic, o.partition}] = o.offset;
                consumed.insert(o.topic);
            }
        group.partitions.clear();
        std::set<std::pair<QString, int32_t>> seen;
        for (const QString& topic : consumed) {
            const auto& w = marks.at(topic);
            if (!w) {
                group.error = w.error().message;
                continue;
            }
            for (int32_t p = 0; p < int32_t(w->size()); ++p) {
                const auto& m = (*w)[size_t(p)];
                const auto c = committed.find({topic, p});
                LagPoint point;
                point.atMs = now;
                point.committedOffset = c != committed.end() && c->second >= 0 ? c->second : -1;
                point.highWatermark = m.high;
                point.logStartOffset = m.low;
                const auto commitAt = m_clients->commitTime(groupId, topic, p);
                point.lastCommitMs = commitAt.value_or(0);
                auto& window = watched.windows[{topic, p}];
                window.push_back(point);
                while (window.size() > size_t(m_windowPolls))
                    window.pop_front();
                seen.insert({topic, p});
                result.offsets.push_back(
                    OffsetObservation {groupId, topic, p, point.committedOffset, m.high, m.low, now});

                PartitionLag pl;
                pl.topic = topic;
                pl.partition = p;
                pl.committedOffset = point.committedOffset;
                pl.highWatermark = m.high;
                pl.logStartOffset = m.low;
                pl.lag = point.lag();
                pl.lastCommitMs = point.lastCommitMs;
                const std::vector<LagPoint> points(window.begin(), window.end());
                const auto judged = LagEvaluator::judgePartition(points, m_windowPolls, commitTimesKnown);
                pl.verdict = judged.verdict;
                pl.consumeRate = judged.consumeRate;
                pl.produceRate = judged.produceRate;
                pl.windowPolls = int(window.size());
                if (pl.verdict == LagVerdict::Rewound)
                    pl.rewindExplained = explainedByReplay(groupId, window.front().atMs - m_config.intervalMs);
                const int64_t from = point.committedOffset >= 0 ? point.committedOffset : m.low;
                if (pl.lag == 0) {
                    pl.timeLagSeconds = 0.0;
                    pl.timeLagBasis = TimeLagBasis::CaughtUp;
                } else if (const auto t = LagEvaluator::timeLagFromHistory(m_history[{topic, p}], from, now)) {
                    pl.timeLagSeconds = *t;
                    pl.timeLagBasis = TimeLagBasis::WatermarkHistory;
                } else {
                    const RecordRequest request {topic, p, from};
                    if (const auto known = m_clients->recordTimes.find(request);
                        known != m_clients->recordTimes.end()) {
                        pl.timeLagSeconds = std::max(0.0, double(now - known->second.ms) / 1000.0);
                        pl.timeLagBasis = known->second.basis;
                    } else {
                        undated.push_back({groupId, group.partitions.size(), request});
                    }
                }
                group.partitions.push_back(std::move(pl));
            }
        }
        for (auto it = watched.windows.begin(); it != watched.windows.end();)
            it = seen.contains(it->first) ? std::next(it) : watched.windows.erase(it);
    }

    // Offsets older than this source's polls: when the ledger's polls saw the high watermark pass them (exact to
    // one poll), for a bounded number of groups per poll.
    if (m_ledger && !undated.empty()) {
        std::map<QString, std::vector<const Undated*>> byGroup;
        for (const auto& u : undated)
            byGroup[u.group].push_back(&u);
        int lookups = 0;
        for (const auto& [group, items] : byGroup) {
            if (++lookups > kLedgerLookupsPerPoll || deadline.expired())
                break;
            auto rows = m_ledger->offsetHistory(id(), group, now - kLedgerLookBackMs, now);
            if (!rows)
                continue;
            std::map<std::pair<QString, int32_t>, OffsetHistory> histories;
            for (const auto& row : *rows) { // oldest first; unbounded, unlike the live history
                OffsetHistory& h = histories[{row.topic, row.partition}];
                if (!h.empty() && row.highWatermark < h.back().offset)
                    h.clear(); // recreated or truncated: the older rows lie
                if (h.size() >= 2 && h.back().offset == row.highWatermark
                    && h[h.size() - 2].offset == row.highWatermark)
                    h.back().timeMs = row.atMs;
                else
                    h.push_back({row.atMs, row.highWatermark});
            }
            for (const Undated* u : items) {
                const auto h = histories.find({u->request.topic, u->request.partition});
                if (h == histories.end())
                    continue;
                if (const auto t = LagEvaluator::timeLagFromHistory(h->second, u->request.offset, now))
                    m_clients->recordTimes[u->request]
                        = RecordTime {now - qint64(*t * 1000.0), TimeLagBasis::WatermarkHistory};
            }
        }
    }
    for (const auto& u : undated)
        if (!m_clients->recordTimes.contains(u.request) && toRead.size() < size_t(kRecordReadsPerPoll))
            toRead.insert(u.request);

    // Offsets older than the ledger too: the record's own time, read once (rate-limited) and labelled as such.
    if (!toRead.empty() && !deadline.expired()) {
        // A slice of the poll at most: a read that is slow to start answers in a later poll instead of holding up
        // every group's verdict.
        const Deadline slice {std::min(deadline.remaining() / 3, kRecordReadSlice)};
        const auto times = m_clients->readTimestamps(m_config, toRead, slice);
        for (const auto& [request, time] : times)
            if (time && *time)
                m_clients->recordTimes[request] = **time;
    }
    for (const auto& u : undated) {
        const auto known = m_clients->recordTimes.find(u.request);
        if (known == m_clients->recordTimes.end())
            continue;
        PartitionLag& pl = m_groups[u.group].last.partitions[u.partition];
        pl.timeLagSeconds = std::max(0.0, double(now - known->second.ms) / 1000.0);
        pl.timeLagBasis = known->second.basis;
    }
    // Keep only the record times still needed.
    std::set<RecordRequest> needed;
    for (const auto& u : undated)
        needed.insert(u.request);
    for (const auto& [g, watched] : m_groups)
        for (const auto& pl : watched.last.partitions)
            if (pl.timeLagBasis != TimeLagBasis::None && pl.timeLagBasis != TimeLagBasis::CaughtUp)
                needed.insert(RecordRequest {
                    pl.topic, pl.partition, pl.committedOffset >= 0 ? pl.committedOffset : pl.logStartOffset});
    for (auto it = m_clients->recordTimes.begin(); it != m_clients->recordTimes.end();)
        it = needed.contains(it->first) ? std::next(it) : m_clients->recordTimes.erase(it);

    auto report = std::make_shared<LagReport>();
    report->sourceId = id();
    report->takenMs = now;
    report->commitTimesError = commitTimesKnown ? QString()
        : !m_clients->offsetsError.isEmpty()    ? m_clients->offsetsError
                                                : QStringLiteral("__consumer_offsets not yet read to its end");
    report->groups.reserve(m_groups.size());
    for (auto& [groupId, watched] : m_groups) {
        LagEvaluator::summarizeGroup(watched.last);
        report->groups.push_back(watched.last);
    }
    result.lag = report;

    for (const SignalConfig& s : m_signals) {
        if ((s.kind != SignalKind::ConsumerLag && s.kind != SignalKind::TimeLag) || !param(s, "group").isEmpty())
            continue;
        const QString topicFilter = param(s, "topic");
        for (const GroupLag& g : report->groups) {
            if (g.deleted || g.observedMs != now)
                continue; // not read this poll: its series goes STALE and, once dropped, away
            Labels l {{QStringLiteral("group"), g.group}};
            if (!topicFilter.isEmpty())
                l.emplace_back(QStringLiteral("topic"), topicFilter);
            bool any = false;
            double total = 0;
            std::optional<double> worstSeconds;
            for (const PartitionLag& p : g.partitions) {
                if (!topicFilter.isEmpty() && p.topic != topicFilter)
                    continue;
                any = true;
                total += double(p.lag);
                if (p.timeLagSeconds && (!worstSeconds || *p.timeLagSeconds > *worstSeconds))
                    worstSeconds = p.timeLagSeconds;
            }
            if (!any)
                continue;
            if (s.kind == SignalKind::ConsumerLag)
                result.samples.push_back(Sample {s.id, l, now, total});
            else if (worstSeconds)
                result.samples.push_back(Sample {s.id, l, now, *worstSeconds});
        }
    }
}

} // namespace pw
