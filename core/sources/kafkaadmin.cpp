#include "sources/kafkaadmin.h"

#include "config/config.h"

#include <librdkafka/rdkafka.h>

#include <QLoggingCategory>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

Q_LOGGING_CATEGORY(lcKafkaAdmin, "pathwatch.kafka.admin", QtWarningMsg)

namespace pw {

namespace {

// The UTF-8 name of a run of partitions of one topic, converted once per run rather than once per partition.
class TopicNameBytes
{
public:
    const char* of(const QString& topic)
    {
        if (m_bytes.isNull() || topic != m_topic) {
            m_topic = topic;
            m_bytes = topic.toUtf8();
        }
        return m_bytes.constData();
    }

private:
    QString m_topic;
    QByteArray m_bytes;
};

// librdkafka's own log lines (connection refused, retries) go to our category instead of stderr; the calls'
// results already carry the errors, so they are debug output here.
void logToCategory(const rd_kafka_t*, int level, const char* facility, const char* message)
{
    if (level <= 3)
        qCInfo(lcKafkaAdmin).noquote() << facility << message;
    else
        qCDebug(lcKafkaAdmin).noquote() << facility << message;
}

QString fromC(const char* s)
{
    return s ? QString::fromUtf8(s) : QString();
}

Error::Code codeFor(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return Error::Code::Timeout;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
        return Error::Code::Network;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
        return Error::Code::NotFound;
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC:
        return Error::Code::Refused;
    default:
        return Error::Code::Protocol;
    }
}

std::unexpected<Error> kafkaFail(rd_kafka_resp_err_t err, const QString& what, const char* detail = nullptr)
{
    QString message = what + QStringLiteral(": ") + fromC(detail && *detail ? detail : rd_kafka_err2str(err));
    if (detail && *detail && QString::fromUtf8(detail) != fromC(rd_kafka_err2str(err)))
        message += QStringLiteral(" (") + fromC(rd_kafka_err2name(err)) + QStringLiteral(")");
    return fail(codeFor(err), message);
}

struct EventDeleter
{
    void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

struct ListDeleter
{
    void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

} // namespace

struct KafkaAdmin::Private
{
    rd_kafka_t* rk = nullptr;
    KafkaAdminConfig config;
    std::atomic<int> timeout {10000};
    std::mutex errorMutex;
    QString clientError;

    ~Private()
    {
        if (rk)
            rd_kafka_destroy(rk);
    }

    int timeoutMs() const { return timeout.load(); }

    /// Runs one asynchronous admin operation and waits for its result event.
    template<class Start>
    Result<EventPtr> run(const QString& what, rd_kafka_admin_op_t op, Start&& start)
    {
        char errstr[512] = {0};
        rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, op);
        rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs(), errstr, sizeof errstr);
        rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
        start(options, queue);
        // librdkafka answers by its request timeout at the latest; the margin only guards against a lost event.
        rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, timeoutMs() + 2000);
        rd_kafka_queue_destroy(queue);
        rd_kafka_AdminOptions_destroy(options);
        if (!ev)
            return fail(Error::Code::Timeout, what + QStringLiteral(": no answer within %1 ms").arg(timeoutMs()));
        EventPtr event(ev);
        if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev))
            return kafkaFail(err, what, rd_kafka_event_error_string(ev));
        return event;
    }

    /// Runs `count` admin operations of one kind at once on one queue: `start(i, options, queue)` starts the i-th,
    /// `finish(i, event)` takes its result event, in whatever order they arrive. Returns which ones answered within
    /// the timeout (the others' answers are dropped with the queue, which librdkafka allows).
    template<class Start, class Finish>
    std::vector<bool> runAll(size_t count, rd_kafka_admin_op_t op, Start&& start, Finish&& finish)
    {
        const int ms = timeoutMs();
        char errstr[512] = {0};
        rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
        for (size_t i = 0; i < count; ++i) {
            rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, op);
            rd_kafka_AdminOptions_set_request_timeout(options, ms, errstr, sizeof errstr);
            // The index comes back with the result event.
            rd_kafka_AdminOptions_set_opaque(options, reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
            start(i, options, queue);
            rd_kafka_AdminOptions_destroy(options);
        }
        std::vector<bool> answered(count, false);
        size_t done = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms + 2000);
        while (done < count) {
            const auto left
                = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            rd_kafka_event_t* raw = rd_kafka_queue_poll(queue, int(std::min<qint64>(left.count(), 200)));
            if (!raw)
                continue;
            EventPtr ev(raw);
            const size_t i = static_cast<size_t>(reinterpret_cast<uintptr_t>(rd_kafka_event_opaque(raw)));
            if (i >= count || answered[i])
                continue;
            answered[i] = true;
            ++done;
            finish(i, raw);
        }
        rd_kafka_queue_destroy(queue);
        return answered;
    }
};

KafkaAdmin::KafkaAdmin()
    : d(std::make_unique<Private>())
{ }

QString KafkaAdmin::takeClientError()
{
    // librdkafka queues its errors for rd_kafka_poll(), which serves the error callback above.
    rd_kafka_poll(d->rk, 0);
    std::lock_guard lock(d->errorMutex);
    return std::exchange(d->clientError, QString());
}

KafkaAdmin::~KafkaAdmin() = default;

void KafkaAdmin::setTimeout(std::chrono::milliseconds timeout)
{
    d->timeout = static_cast<int>(std::clamp<qint64>(timeout.count(), 1, std::numeric_limits<int>::max()));
}

std::chrono::milliseconds KafkaAdmin::timeout() const
{
    return std::chrono::milliseconds(d->timeout.load());
}

Result<std::unique_ptr<KafkaAdmin>> KafkaAdmin::create(const KafkaAdminConfig& config)
{
    char errstr[512] = {0};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, logToCategory);
    std::unique_ptr<KafkaAdmin> admin(new KafkaAdmin());
    // Called on librdkafka's threads.
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
        auto* p = static_cast<Private*>(opaque);
        std::lock_guard lock(p->errorMutex);
        // "1/1 brokers are down" follows the failure that says why; keep the why.
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && !p->clientError.isEmpty())
            return;
        p->clientError = fromC(reason);
    });
    rd_kafka_conf_set_opaque(conf, admin->d.get());
    auto set = [&](const QString& key, const QString& value) -> bool {
        return rd_kafka_conf_set(conf, key.toUtf8().constData(), value.toUtf8().constData(), errstr, sizeof errstr)
            == RD_KAFKA_CONF_OK;
    };
    bool ok = set(QStringLiteral("bootstrap.servers"), config.bootstrapServers)
        && set(QStringLiteral("client.id"), QStringLiteral("pathwatch-admin"))
        && set(QStringLiteral("socket.timeout.ms"), QString::number(std::max<qint64>(config.timeout.count(), 10)))
        && set(QStringLiteral("log_level"), QStringLiteral("3"));
    for (const auto& [key, value] : config.properties) {
        if (!ok)
            break;
        ok = set(key, value);
        // librdkafka's message quotes the rejected value, which must not reach a log when it is a secret.
        if (!ok && isSecretPropertyName(key))
            qstrncpy(errstr,
                qPrintable(
                    QStringLiteral("the secret property %1 was refused (unknown name or invalid value, not shown)")
                        .arg(key)),
                sizeof errstr);
    }
    if (!ok) {
        rd_kafka_conf_destroy(conf);
        return fail(Error::Code::Config, QStringLiteral("Kafka admin configuration: ") + fromC(errstr));
    }
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return fail(Error::Code::Config, QStringLiteral("cannot create the Kafka admin client: ") + fromC(errstr));
    }
    admin->d->rk = rk;
    admin->d->config = config;
    admin->setTimeout(config.timeout);
    return admin;
}

Result<std::vector<KafkaAdmin::GroupListing>> KafkaAdmin::listGroups()
{
    const QString what = QStringLiteral("list consumer groups");
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        [&](auto* options, auto* queue) { rd_kafka_ListConsumerGroups(d->rk, options, queue); });
    if (!ev)
        return std::unexpected(ev.error());
    const auto* result = rd_kafka_event_ListConsumerGroups_result(ev->get());
    size_t validCount = 0, errorCount = 0;
    const auto** valid = rd_kafka_ListConsumerGroups_result_valid(result, &validCount);
    const auto** errors = rd_kafka_ListConsumerGroups_result_errors(result, &errorCount);
    // A broker that failed to answer makes the list incomplete; with a single broker that is a failure.
    if (errorCount > 0)
        return kafkaFail(rd_kafka_error_code(errors[0]), what, rd_kafka_error_string(errors[0]));
    std::vector<GroupListing> groups;
    for (size_t i = 0; i < validCount; ++i) {
        GroupListing g;
        g.groupId = fromC(rd_kafka_ConsumerGroupListing_group_id(valid[i]));
        g.state = fromC(rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])));
        g.simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0;
        groups.push_back(std::move(g));
    }
    return groups;
}

Result<KafkaAdmin::GroupDescription> KafkaAdmin::describeGroup(const QString& groupId)
{
    const QString what = QStringLiteral("describe consumer group %1").arg(groupId);
    const QByteArray id = groupId.toUtf8();
    const char* ids[] = {id.constData()};
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        [&](auto* options, auto* queue) { rd_kafka_DescribeConsumerGroups(d->rk, ids, 1, options, queue); });
    if (!ev)
        return std::unexpected(ev.error());
    size_t count = 0;
    const auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(ev->get()), &count);
    if (count != 1)
        return fail(Error::Code::Protocol, what + QStringLiteral(": %1 results instead of one").arg(count));
    const auto* g = groups[0];
    if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(g))
        return kafkaFail(rd_kafka_error_code(error), what, rd_kafka_error_string(error));
    GroupDescription desc;
    desc.groupId = fromC(rd_kafka_ConsumerGroupDescription_group_id(g));
    desc.state = fromC(rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g)));
    desc.protocol = fromC(rd_kafka_ConsumerGroupDescription_partition_assignor(g));
    desc.simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0;
    if (const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(g))
        desc.coordinatorId = rd_kafka_Node_id(node);
    const size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
    for (size_t i = 0; i < members; ++i) {
        const auto* m = rd_kafka_ConsumerGroupDescription_member(g, i);
        GroupMember member;
        member.memberId = fromC(rd_kafka_MemberDescription_consumer_id(m));
        member.clientId = fromC(rd_kafka_MemberDescription_client_id(m));
        member.host = fromC(rd_kafka_MemberDescription_host(m));
        member.groupInstanceId = fromC(rd_kafka_MemberDescription_group_instance_id(m));
        if (const auto* assignment = rd_kafka_MemberDescription_assignment(m))
            if (const auto* parts = rd_kafka_MemberAssignment_partitions(assignment))
                for (int j = 0; j < parts->cnt; ++j)
                    member.assignment.push_back({fromC(parts->elems[j].topic), parts->elems[j].partition});
        desc.members.push_back(std::move(member));
    }
    return desc;
}

namespace {

Result<std::vector<KafkaAdmin::PartitionOffset>> groupOffsetsFrom(rd_kafka_event_t* ev, const QString& what)
{
    size_t count = 0;
    const auto** groups
        = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &count);
    if (count != 1)
        return fail(Error::Code::Protocol, what + QStringLiteral(": %1 results instead of one").arg(count));
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0]))
        return kafkaFail(rd_kafka_error_code(error), what, rd_kafka_error_string(error));
    std::vector<KafkaAdmin::PartitionOffset> offsets;
    if (const auto* parts = rd_kafka_group_result_partitions(groups[0])) {
        offsets.reserve(size_t(parts->cnt));
        // One shared string per topic, not one per partition: cheaper here and in every comparison after.
        const char* lastTopic = nullptr;
        QString topic;
        for (int i = 0; i < parts->cnt; ++i) {
            const auto& p = parts->elems[i];
            if (p.err)
                return kafkaFail(p.err, what + QStringLiteral(" (%1 [%2])").arg(fromC(p.topic)).arg(p.partition));
            if (!lastTopic || !p.topic || std::strcmp(lastTopic, p.topic) != 0) {
                lastTopic = p.topic;
                topic = fromC(p.topic);
            }
            KafkaAdmin::PartitionOffset o;
            o.topic = topic;
            o.partition = p.partition;
            o.offset = p.offset >= 0 ? p.offset : -1;
            if (p.metadata && p.metadata_size > 0)
                o.metadata
                    = QString::fromUtf8(static_cast<const char*>(p.metadata), static_cast<qsizetype>(p.metadata_size));
            offsets.push_back(std::move(o));
        }
    }
    return offsets;
}

} // namespace

Result<std::vector<KafkaAdmin::PartitionOffset>> KafkaAdmin::listGroupOffsets(const QString& groupId)
{
    return listGroupOffsetsOf(groupId, nullptr);
}

Result<std::vector<KafkaAdmin::PartitionOffset>> KafkaAdmin::listGroupOffsets(
    const QString& groupId, const std::vector<TopicPartition>& partitions)
{
    constexpr size_t kChunk = 250;
    const size_t chunks = (partitions.size() + kChunk - 1) / kChunk;
    if (chunks <= 1) {
        ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
        for (const auto& p : partitions)
            rd_kafka_topic_partition_list_add(list.get(), p.topic.toUtf8().constData(), p.partition);
        return listGroupOffsetsOf(groupId, list.get());
    }
    // Every chunk is in flight at once on one queue: the answers come in about one round trip instead of one per
    // chunk. Each chunk's answer goes to its own slot, so the result keeps the order asked for.
    const QString what = QStringLiteral("list offsets of consumer group %1").arg(groupId);
    const QByteArray id = groupId.toUtf8();
    std::vector<Result<std::vector<PartitionOffset>>> answers(chunks);
    TopicNameBytes topicName;
    const auto answered = d->runAll(
        chunks, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        [&](size_t c, rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
            const size_t begin = c * kChunk;
            const size_t end = std::min(partitions.size(), begin + kChunk);
            ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(end - begin)));
            for (size_t i = begin; i < end; ++i)
                rd_kafka_topic_partition_list_add(
                    list.get(), topicName.of(partitions[i].topic), partitions[i].partition);
            rd_kafka_ListConsumerGroupOffsets_t* request
                = rd_kafka_ListConsumerGroupOffsets_new(id.constData(), list.get());
            rd_kafka_ListConsumerGroupOffsets(d->rk, &request, 1, options, queue);
            rd_kafka_ListConsumerGroupOffsets_destroy(request);
        },
        [&](size_t c, rd_kafka_event_t* ev) {
            if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev))
                answers[c] = kafkaFail(err, what, rd_kafka_event_error_string(ev));
            else
                answers[c] = groupOffsetsFrom(ev, what);
        });
    for (size_t c = 0; c < chunks; ++c)
        if (!answered[c])
            return fail(Error::Code::Timeout, what + QStringLiteral(": no answer within %1 ms").arg(d->timeoutMs()));
    std::vector<PartitionOffset> result;
    result.reserve(partitions.size());
    for (auto& chunk : answers) {
        if (!chunk)
            return std::unexpected(chunk.error());
        for (auto& o : *chunk)
            result.push_back(std::move(o));
    }
    return result;
}

Result<std::vector<KafkaAdmin::PartitionOffset>> KafkaAdmin::listGroupOffsetsAmong(
    const QString& groupId, const std::vector<TopicInfo>& topics)
{
    std::vector<TopicPartition> partitions;
    for (const auto& t : topics)
        for (int32_t p = 0; p < t.partitions; ++p)
            partitions.push_back({t.name, p});
    if (partitions.empty())
        return std::vector<PartitionOffset> {};
    auto offsets = listGroupOffsets(groupId, partitions);
    if (!offsets)
        return offsets;
    std::erase_if(*offsets, [](const PartitionOffset& o) { return o.offset < 0; });
    return offsets;
}

Result<std::vector<KafkaAdmin::PartitionOffset>> KafkaAdmin::listGroupOffsetsOf(
    const QString& groupId, const rd_kafka_topic_partition_list_t* partitions)
{
    const QString what = QStringLiteral("list offsets of consumer group %1").arg(groupId);
    const QByteArray id = groupId.toUtf8();
    rd_kafka_ListConsumerGroupOffsets_t* request = rd_kafka_ListConsumerGroupOffsets_new(id.constData(), partitions);
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        [&](auto* options, auto* queue) { rd_kafka_ListConsumerGroupOffsets(d->rk, &request, 1, options, queue); });
    rd_kafka_ListConsumerGroupOffsets_destroy(request);
    if (!ev)
        return std::unexpected(ev.error());
    return groupOffsetsFrom(ev->get(), what);
}

std::vector<Result<std::vector<KafkaAdmin::PartitionOffset>>> KafkaAdmin::listGroupOffsetsMany(
    const std::vector<QString>& groupIds, int maxInFlight)
{
    using Answer = Result<std::vector<PartitionOffset>>;
    std::vector<Answer> results(groupIds.size(), Answer(std::unexpected(Error::make(Error::Code::Timeout, QString()))));
    if (groupIds.empty())
        return results;
    maxInFlight = std::max(1, maxInFlight);
    const int timeoutMs = d->timeoutMs();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    auto whatOf = [&](size_t i) { return QStringLiteral("list offsets of consumer group %1").arg(groupIds[i]); };
    rd_kafka_queue_t* queue = rd_kafka_queue_new(d->rk);
    char errstr[512] = {0};
    size_t started = 0;
    size_t answered = 0;
    auto startOne = [&](size_t i) {
        rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(d->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, errstr, sizeof errstr);
        // The index comes back with the result event: answers arrive in any order.
        rd_kafka_AdminOptions_set_opaque(options, reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
        const QByteArray id = groupIds[i].toUtf8();
        rd_kafka_ListConsumerGroupOffsets_t* request = rd_kafka_ListConsumerGroupOffsets_new(id.constData(), nullptr);
        rd_kafka_ListConsumerGroupOffsets(d->rk, &request, 1, options, queue);
        rd_kafka_ListConsumerGroupOffsets_destroy(request);
        rd_kafka_AdminOptions_destroy(options);
    };
    while (started < groupIds.size() && started < size_t(maxInFlight))
        startOne(started++);
    std::vector<bool> done(groupIds.size(), false);
    while (answered < started) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline + std::chrono::milliseconds(2000) - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        rd_kafka_event_t* raw = rd_kafka_queue_poll(queue, int(std::min<qint64>(left.count(), 200)));
        if (!raw)
            continue;
        EventPtr ev(raw);
        if (rd_kafka_event_type(raw) != RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT)
            continue;
        const size_t i = static_cast<size_t>(reinterpret_cast<uintptr_t>(rd_kafka_event_opaque(raw)));
        if (i >= groupIds.size() || done[i])
            continue;
        done[i] = true;
        ++answered;
        if (const rd_kafka_resp_err_t err = rd_kafka_event_error(raw))
            results[i] = kafkaFail(err, whatOf(i), rd_kafka_event_error_string(raw));
        else
            results[i] = groupOffsetsFrom(raw, whatOf(i));
        if (started < groupIds.size())
            startOne(started++);
    }
    // Requests still outstanding answer into the destroyed queue, which librdkafka allows: their results are
    // dropped.
    rd_kafka_queue_destroy(queue);
    for (size_t i = 0; i < groupIds.size(); ++i)
        if (!done[i])
            results[i]
                = fail(Error::Code::Timeout, whatOf(i) + QStringLiteral(": no answer within %1 ms").arg(timeoutMs));
    return results;
}

namespace {

Result<void> alteredFrom(rd_kafka_event_t* ev, const QString& what)
{
    if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev))
        return kafkaFail(err, what, rd_kafka_event_error_string(ev));
    size_t count = 0;
    const auto** groups
        = rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &count);
    if (count != 1)
        return fail(Error::Code::Protocol, what + QStringLiteral(": %1 results instead of one").arg(count));
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0]))
        return kafkaFail(rd_kafka_error_code(error), what, rd_kafka_error_string(error));
    if (const auto* parts = rd_kafka_group_result_partitions(groups[0]))
        for (int i = 0; i < parts->cnt; ++i)
            if (parts->elems[i].err)
                return kafkaFail(parts->elems[i].err,
                    what
                        + QStringLiteral(" (%1 [%2])")
                              .arg(fromC(parts->elems[i].topic))
                              .arg(parts->elems[i].partition));
    return {};
}

} // namespace

Result<void> KafkaAdmin::alterGroupOffsets(const QString& groupId, const std::vector<PartitionOffset>& offsets)
{
    const QString what = QStringLiteral("alter offsets of consumer group %1").arg(groupId);
    if (offsets.empty())
        return {};
    // librdkafka files each partition of the answer by a linear search of the request, so one request costs the
    // square of its partitions in CPU: chunks, all in flight at once on one queue.
    constexpr size_t kChunk = 250;
    const size_t chunks = (offsets.size() + kChunk - 1) / kChunk;
    const QByteArray id = groupId.toUtf8();
    std::vector<Result<void>> answers(chunks);
    TopicNameBytes topicName;
    const auto answered = d->runAll(
        chunks, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
        [&](size_t c, rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
            const size_t begin = c * kChunk;
            const size_t end = std::min(offsets.size(), begin + kChunk);
            ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(end - begin)));
            for (size_t i = begin; i < end; ++i) {
                const PartitionOffset& o = offsets[i];
                auto* p = rd_kafka_topic_partition_list_add(list.get(), topicName.of(o.topic), o.partition);
                p->offset = o.offset;
                if (!o.metadata.isEmpty()) {
                    const QByteArray meta = o.metadata.toUtf8();
                    p->metadata = malloc(static_cast<size_t>(meta.size())); // freed by the list
                    memcpy(p->metadata, meta.constData(), static_cast<size_t>(meta.size()));
                    p->metadata_size = static_cast<size_t>(meta.size());
                }
            }
            rd_kafka_AlterConsumerGroupOffsets_t* request
                = rd_kafka_AlterConsumerGroupOffsets_new(id.constData(), list.get());
            rd_kafka_AlterConsumerGroupOffsets(d->rk, &request, 1, options, queue);
            rd_kafka_AlterConsumerGroupOffsets_destroy(request);
        },
        [&](size_t c, rd_kafka_event_t* ev) { answers[c] = alteredFrom(ev, what); });
    for (size_t c = 0; c < chunks; ++c) {
        if (!answered[c])
            return fail(Error::Code::Timeout, what + QStringLiteral(": no answer within %1 ms").arg(d->timeoutMs()));
        if (!answers[c])
            return answers[c];
    }
    return {};
}

Result<void> KafkaAdmin::deleteGroupOffsets(const QString& groupId, const std::vector<PartitionOffset>& partitions)
{
    const QString what = QStringLiteral("delete offsets of consumer group %1").arg(groupId);
    if (partitions.empty())
        return {};
    ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& o : partitions)
        rd_kafka_topic_partition_list_add(list.get(), o.topic.toUtf8().constData(), o.partition);
    const QByteArray id = groupId.toUtf8();
    rd_kafka_DeleteConsumerGroupOffsets_t* request
        = rd_kafka_DeleteConsumerGroupOffsets_new(id.constData(), list.get());
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
        [&](auto* options, auto* queue) { rd_kafka_DeleteConsumerGroupOffsets(d->rk, &request, 1, options, queue); });
    rd_kafka_DeleteConsumerGroupOffsets_destroy(request);
    if (!ev)
        return std::unexpected(ev.error());
    size_t count = 0;
    const auto** groups = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
        rd_kafka_event_DeleteConsumerGroupOffsets_result(ev->get()), &count);
    if (count != 1)
        return fail(Error::Code::Protocol, what + QStringLiteral(": %1 results instead of one").arg(count));
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0]))
        return kafkaFail(rd_kafka_error_code(error), what, rd_kafka_error_string(error));
    if (const auto* parts = rd_kafka_group_result_partitions(groups[0]))
        for (int i = 0; i < parts->cnt; ++i)
            if (parts->elems[i].err)
                return kafkaFail(parts->elems[i].err,
                    what
                        + QStringLiteral(" (%1 [%2])")
                              .arg(fromC(parts->elems[i].topic))
                              .arg(parts->elems[i].partition));
    return {};
}

Result<int64_t> KafkaAdmin::deleteRecords(const QString& topic, int32_t partition, int64_t beforeOffset)
{
    const QString what = QStringLiteral("delete records of %1 [%2]").arg(topic).arg(partition);
    ListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.toUtf8().constData(), partition)->offset
        = beforeOffset < 0 ? RD_KAFKA_OFFSET_END : beforeOffset;
    rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(list.get());
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_DELETERECORDS,
        [&](auto* options, auto* queue) { rd_kafka_DeleteRecords(d->rk, &request, 1, options, queue); });
    rd_kafka_DeleteRecords_destroy(request);
    if (!ev)
        return std::unexpected(ev.error());
    const auto* parts = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev->get()));
    if (!parts || parts->cnt != 1)
        return fail(Error::Code::Protocol, what + QStringLiteral(": no result for the partition"));
    if (parts->elems[0].err)
        return kafkaFail(parts->elems[0].err, what);
    return parts->elems[0].offset;
}

Result<KafkaAdmin::Watermarks> KafkaAdmin::watermarks(const QString& topic, int32_t partition)
{
    Watermarks w;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        d->rk, topic.toUtf8().constData(), partition, &w.low, &w.high, d->timeoutMs());
    if (err)
        return kafkaFail(err, QStringLiteral("watermarks of %1 [%2]").arg(topic).arg(partition));
    return w;
}

Result<std::vector<KafkaAdmin::Watermarks>> KafkaAdmin::topicWatermarks(const QString& topic, int32_t partitions)
{
    std::vector<Watermarks> result(static_cast<size_t>(std::max(partitions, 0)));
    if (partitions <= 0)
        return result;
    // ListOffsets reads the timestamps -2 and -1 as "earliest" and "latest": the watermarks of every partition.
    // Both are asked at once (the low ones on a thread of their own).
    auto ask = [&](int64_t which) {
        std::vector<std::pair<int32_t, int64_t>> request;
        request.reserve(size_t(partitions));
        for (int32_t p = 0; p < partitions; ++p)
            request.emplace_back(p, which);
        return offsetsForTimes(topic, request);
    };
    Result<std::vector<PartitionOffset>> lows;
    std::thread lowThread([&] { lows = ask(RD_KAFKA_OFFSET_BEGINNING); });
    Result<std::vector<PartitionOffset>> highs = ask(RD_KAFKA_OFFSET_END);
    lowThread.join();
    for (const auto* offsets : {&lows, &highs}) {
        if (!*offsets)
            return std::unexpected(offsets->error());
        for (const auto& o : **offsets) {
            if (o.partition < 0 || o.partition >= partitions)
                continue;
            auto& w = result[static_cast<size_t>(o.partition)];
            (offsets == &lows ? w.low : w.high) = o.offset;
        }
    }
    for (int32_t p = 0; p < partitions; ++p) {
        const auto& w = result[static_cast<size_t>(p)];
        if (w.low < 0 || w.high < 0)
            return fail(Error::Code::Protocol,
                QStringLiteral("watermarks of %1 [%2]: the broker gave no offset").arg(topic).arg(p));
    }
    return result;
}

std::vector<Result<std::vector<KafkaAdmin::Watermarks>>> KafkaAdmin::watermarksMany(
    const std::vector<TopicInfo>& topics)
{
    using Answer = Result<std::vector<Watermarks>>;
    std::vector<Answer> results;
    results.reserve(topics.size());
    std::map<QString, size_t> indexOf;
    int total = 0;
    for (size_t i = 0; i < topics.size(); ++i) {
        results.emplace_back(std::vector<Watermarks>(size_t(std::max(topics[i].partitions, 0))));
        indexOf[topics[i].name] = i;
        total += std::max(topics[i].partitions, 0);
    }
    if (total == 0)
        return results;
    std::vector<QByteArray> names;
    for (const auto& t : topics)
        names.push_back(t.name.toUtf8());
    for (const int64_t which : {int64_t(RD_KAFKA_OFFSET_BEGINNING), int64_t(RD_KAFKA_OFFSET_END)}) {
        ListPtr list(rd_kafka_topic_partition_list_new(total));
        for (size_t i = 0; i < topics.size(); ++i)
            for (int32_t p = 0; p < topics[i].partitions; ++p)
                rd_kafka_topic_partition_list_add(list.get(), names[i].constData(), p)->offset = which;
        // librdkafka groups the partitions by leader: one ListOffsets request per leader.
        const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(d->rk, list.get(), d->timeoutMs());
        for (int k = 0; k < list->cnt; ++k) {
            const auto& p = list->elems[k];
            const auto it = indexOf.find(fromC(p.topic));
            if (it == indexOf.end())
                continue;
            Answer& answer = results[it->second];
            if (!answer)
                continue;
            const rd_kafka_resp_err_t perr = p.err ? p.err : err;
            if (perr) {
                answer = kafkaFail(perr, QStringLiteral("watermarks of %1 [%2]").arg(fromC(p.topic)).arg(p.partition));
                continue;
            }
            if (p.partition < 0 || size_t(p.partition) >= answer->size())
                continue;
            auto& w = (*answer)[size_t(p.partition)];
            (which == RD_KAFKA_OFFSET_BEGINNING ? w.low : w.high) = p.offset;
        }
    }
    for (size_t i = 0; i < topics.size(); ++i) {
        if (!results[i])
            continue;
        for (size_t p = 0; p < results[i]->size(); ++p)
            if ((*results[i])[p].low < 0 || (*results[i])[p].high < 0) {
                results[i] = fail(Error::Code::Protocol,
                    QStringLiteral("watermarks of %1 [%2]: the broker gave no offset").arg(topics[i].name).arg(p));
                break;
            }
    }
    return results;
}

Result<std::vector<KafkaAdmin::PartitionOffset>> KafkaAdmin::offsetsForTimes(
    const QString& topic, const std::vector<std::pair<int32_t, int64_t>>& timestamps)
{
    const QString what = QStringLiteral("offsets by time of %1").arg(topic);
    const QByteArray name = topic.toUtf8();
    // librdkafka matches each answer to its request by a linear search of the list, so one call costs the square
    // of its partitions: chunks keep 10,000 partitions at a few extra round trips instead of seconds of CPU. The
    // call blocks and serves its answer on the calling thread, so chunks run on a few threads at once.
    constexpr size_t kChunk = 125;
    constexpr size_t kMaxThreads = 4;
    const size_t chunks = (timestamps.size() + kChunk - 1) / kChunk;
    std::vector<Result<std::vector<PartitionOffset>>> answers(chunks);
    auto runChunk = [&](size_t c) {
        const size_t begin = c * kChunk;
        const size_t end = std::min(timestamps.size(), begin + kChunk);
        ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(end - begin)));
        for (size_t i = begin; i < end; ++i)
            rd_kafka_topic_partition_list_add(list.get(), name.constData(), timestamps[i].first)->offset
                = timestamps[i].second;
        if (const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(d->rk, list.get(), d->timeoutMs())) {
            answers[c] = kafkaFail(err, what);
            return;
        }
        std::vector<PartitionOffset> offsets;
        offsets.reserve(size_t(list->cnt));
        for (int i = 0; i < list->cnt; ++i) {
            const auto& p = list->elems[i];
            if (p.err) {
                answers[c] = kafkaFail(p.err, what + QStringLiteral(" [%1]").arg(p.partition));
                return;
            }
            offsets.push_back({topic, p.partition, p.offset >= 0 ? p.offset : -1, {}});
        }
        answers[c] = std::move(offsets);
    };
    const size_t threads = std::min(kMaxThreads, chunks);
    if (threads <= 1) {
        for (size_t c = 0; c < chunks; ++c)
            runChunk(c);
    } else {
        std::atomic<size_t> next {0};
        std::vector<std::thread> workers;
        for (size_t t = 0; t < threads; ++t)
            workers.emplace_back([&] {
                for (size_t c = next++; c < chunks; c = next++)
                    runChunk(c);
            });
        for (auto& w : workers)
            w.join();
    }
    std::vector<PartitionOffset> result;
    result.reserve(timestamps.size());
    for (auto& chunk : answers) {
        if (!chunk)
            return std::unexpected(chunk.error());
        for (auto& o : *chunk)
            result.push_back(std::move(o));
    }
    return result;
}

Result<std::vector<KafkaAdmin::TopicInfo>> KafkaAdmin::listTopics()
{
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(d->rk, 1, nullptr, &md, d->timeoutMs());
    if (err)
        return kafkaFail(err, QStringLiteral("list topics"));
    std::vector<TopicInfo> topics;
    for (int i = 0; i < md->topic_cnt; ++i)
        if (!md->topics[i].err)
            topics.push_back({fromC(md->topics[i].topic), md->topics[i].partition_cnt});
    rd_kafka_metadata_destroy(md);
    return topics;
}

Result<void> KafkaAdmin::createTopic(const QString& topic, int32_t partitions, int16_t replicationFactor)
{
    const QString what = QStringLiteral("create topic %1").arg(topic);
    char errstr[512] = {0};
    rd_kafka_NewTopic_t* newTopic
        = rd_kafka_NewTopic_new(topic.toUtf8().constData(), partitions, replicationFactor, errstr, sizeof errstr);
    if (!newTopic)
        return fail(Error::Code::Config, what + QStringLiteral(": ") + fromC(errstr));
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_CREATETOPICS,
        [&](auto* options, auto* queue) { rd_kafka_CreateTopics(d->rk, &newTopic, 1, options, queue); });
    rd_kafka_NewTopic_destroy(newTopic);
    if (!ev)
        return std::unexpected(ev.error());
    size_t count = 0;
    const auto** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev->get()), &count);
    if (count != 1)
        return fail(Error::Code::Protocol, what + QStringLiteral(": %1 results instead of one").arg(count));
    if (const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[0]))
        return kafkaFail(err, what, rd_kafka_topic_result_error_string(results[0]));
    return {};
}

Result<QString> KafkaAdmin::clusterId()
{
    // librdkafka answers from the metadata it already has, or asks for it within the timeout.
    char* id = rd_kafka_clusterid(d->rk, d->timeoutMs());
    if (!id)
        return QString();
    const QString out = QString::fromUtf8(id);
    rd_kafka_mem_free(d->rk, id);
    return out;
}

Result<int32_t> KafkaAdmin::partitionCount(const QString& topic)
{
    auto topics = listTopics();
    if (!topics)
        return std::unexpected(topics.error());
    for (const auto& t : *topics)
        if (t.name == topic)
            return t.partitions;
    return fail(Error::Code::NotFound, QStringLiteral("topic %1 does not exist").arg(topic));
}

const KafkaAdmin::ConfigValue* KafkaAdmin::TopicConfigs::find(const QString& name) const
{
    for (const ConfigValue& v : values)
        if (v.name == name)
            return &v;
    return nullptr;
}

std::vector<Result<KafkaAdmin::TopicConfigs>> KafkaAdmin::describeTopicConfigs(const std::vector<QString>& topics)
{
    std::vector<Result<TopicConfigs>> out;
    if (topics.empty())
        return out;
    const QString what = QStringLiteral("describe the configs of %1 topic(s)").arg(topics.size());
    std::vector<rd_kafka_ConfigResource_t*> resources;
    for (const QString& topic : topics)
        resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.toUtf8().constData()));
    auto ev = d->run(what, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, [&](auto* options, auto* queue) {
        rd_kafka_DescribeConfigs(d->rk, resources.data(), resources.size(), options, queue);
    });
    rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
    if (!ev) {
        for (size_t i = 0; i < topics.size(); ++i)
            out.push_back(std::unexpected(ev.error()));
        return out;
    }
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results
        = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev->get()), &count);
    for (const QString& topic : topics) {
        const rd_kafka_ConfigResource_t* match = nullptr;
        for (size_t i = 0; i < count && !match; ++i)
            if (rd_kafka_ConfigResource_type(results[i]) == RD_KAFKA_RESOURCE_TOPIC
                && fromC(rd_kafka_ConfigResource_name(results[i])) == topic)
                match = results[i];
        if (!match) {
            out.push_back(fail(Error::Code::Protocol,
                QStringLiteral("describe the configs of topic %1: the broker did not answer for it").arg(topic)));
            continue;
        }
        if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(match)) {
            out.push_back(kafkaFail(err, QStringLiteral("describe the configs of topic %1").arg(topic),
                rd_kafka_ConfigResource_error_string(match)));
            continue;
        }
        TopicConfigs configs;
        configs.topic = topic;
        size_t entryCount = 0;
        const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(match, &entryCount);
        for (size_t i = 0; i < entryCount; ++i) {
            ConfigValue v;
            v.name = fromC(rd_kafka_ConfigEntry_name(entries[i]));
            v.sensitive = rd_kafka_ConfigEntry_is_sensitive(entries[i]);
            if (!v.sensitive)
                v.value = fromC(rd_kafka_ConfigEntry_value(entries[i]));
            v.isDefault = rd_kafka_ConfigEntry_is_default(entries[i]);
            v.readOnly = rd_kafka_ConfigEntry_is_read_only(entries[i]);
            configs.values.push_back(std::move(v));
        }
        out.push_back(std::move(configs));
    }
    return out;
}

std::vector<Result<KafkaAdmin::TopicReplication>> KafkaAdmin::topicReplication(const std::vector<QString>& topics)
{
    std::vector<Result<TopicReplication>> out;
    const rd_kafka_metadata_t* md = nullptr;
    if (const rd_kafka_resp_err_t err = rd_kafka_metadata(d->rk, 1, nullptr, &md, d->timeoutMs())) {
        for (size_t i = 0; i < topics.size(); ++i)
            out.push_back(kafkaFail(err, QStringLiteral("read the metadata of the cluster")));
        return out;
    }
    for (const QString& topic : topics) {
        const rd_kafka_metadata_topic_t* found = nullptr;
        for (int i = 0; i < md->topic_cnt && !found; ++i)
            if (fromC(md->topics[i].topic) == topic)
                found = &md->topics[i];
        if (!found || found->err) {
            out.push_back(kafkaFail(found ? found->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                QStringLiteral("read the metadata of topic %1").arg(topic)));
            continue;
        }
        TopicReplication r;
        r.topic = topic;
        r.partitions = found->partition_cnt;
        r.brokers = md->broker_cnt;
        for (int p = 0; p < found->partition_cnt; ++p) {
            const auto& partition = found->partitions[p];
            r.minReplicas = p == 0 ? partition.replica_cnt : std::min(r.minReplicas, partition.replica_cnt);
            r.minInSyncReplicas = p == 0 ? partition.isr_cnt : std::min(r.minInSyncReplicas, partition.isr_cnt);
        }
        out.push_back(r);
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

} // namespace pw
