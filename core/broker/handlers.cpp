#include "broker/handlers.h"

#include "broker/apiversions.h"
#include "broker/kafkaerror.h"
#include "broker/logstore.h"
#include "broker/partitionlog.h"

#include <boost/asio.hpp>

#include <algorithm>
#include <climits>
#include <mutex>
#include <unordered_map>

namespace pw::broker {

namespace asio = boost::asio;

namespace {

constexpr int32_t NoAuthorizedOperations = INT32_MIN; // "not requested" in Metadata v8+

std::string partitionKey(const std::string& topic, int32_t partition)
{
    std::string k = topic;
    k.push_back('\0');
    k.append(std::to_string(partition));
    return k;
}

struct FetchPartitionRequest
{
    int32_t partition = 0;
    int64_t fetchOffset = 0;
    int32_t maxBytes = 0;
};

struct FetchRequest
{
    int16_t version = 0;
    int32_t maxWaitMs = 0;
    int32_t minBytes = 0;
    int32_t maxBytes = INT32_MAX;
    std::vector<std::pair<std::string, std::vector<FetchPartitionRequest>>> topics;
    std::string principal;
};

struct FetchOutcome
{
    ResponseBody body;
    int64_t bytes = 0;
    bool error = false;
};

struct PendingFetch
{
    PendingFetch(asio::io_context& io, FetchRequest r, Respond respond)
        : strand(asio::make_strand(io))
        , timer(strand)
        , request(std::move(r))
        , respond(std::move(respond))
    { }
    asio::strand<asio::io_context::executor_type> strand;
    asio::steady_timer timer;
    FetchRequest request;
    Respond respond;
    bool done = false; // on the strand
    std::atomic<bool> scheduled {false};
};

} // namespace

struct RequestHandlers::Private : std::enable_shared_from_this<RequestHandlers::Private>
{
    Private(asio::io_context& io, LogStore& store, const ApiVersionTable& table, Options options)
        : io(io)
        , store(store)
        , table(table)
        , options(std::move(options))
    { }

    asio::io_context& io;
    LogStore& store;
    const ApiVersionTable& table;
    std::mutex optionsMutex;
    Options options;
    GroupHandler groupHandler;
    TopicDeletedHandler topicDeleted;

    std::mutex waitersMutex;
    std::unordered_map<std::string, std::vector<std::weak_ptr<PendingFetch>>> waiters;

    Options currentOptions()
    {
        std::lock_guard lock(optionsMutex);
        return options;
    }

    // deniedTopics is set at construction and never changed, so it is read without the options lock.
    bool denied(const std::string& principal, const std::string& topic) const
    {
        auto it = options.deniedTopics.find(principal);
        return it != options.deniedTopics.end() && it->second.contains(topic);
    }

    Server::Disposition apiVersions(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition metadata(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition produce(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition fetch(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition listOffsets(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition createTopics(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition deleteTopics(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition createPartitions(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition deleteRecords(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition initProducerId(const RequestContext& ctx, WireReader& r, Respond& respond);
    Server::Disposition describeConfigs(const RequestContext& ctx, WireReader& r, Respond& respond);

    FetchOutcome evaluate(const FetchRequest& req);
    void wake(const std::string& key);
    void schedule(const std::shared_ptr<PendingFetch>& p);
    void finish(const std::shared_ptr<PendingFetch>& p, ResponseBody body);
    void unregister(const std::shared_ptr<PendingFetch>& p);
};

RequestHandlers::RequestHandlers(asio::io_context& io, LogStore& store, const ApiVersionTable& table, Options options)
    : d(std::make_shared<Private>(io, store, table, std::move(options)))
{ }

RequestHandlers::~RequestHandlers() = default;

void RequestHandlers::setGroupHandler(GroupHandler handler)
{
    d->groupHandler = std::move(handler);
}

void RequestHandlers::setTopicDeletedHandler(TopicDeletedHandler handler)
{
    d->topicDeleted = std::move(handler);
}

void RequestHandlers::setAdvertisedAddress(std::string host, int32_t port)
{
    std::lock_guard lock(d->optionsMutex);
    d->options.advertisedHost = std::move(host);
    d->options.advertisedPort = port;
}

Server::Disposition RequestHandlers::handle(const RequestContext& ctx, WireReader& body, Respond respond)
{
    switch (static_cast<ApiKey>(ctx.apiKey)) {
    case ApiKey::ApiVersions:
        return d->apiVersions(ctx, body, respond);
    case ApiKey::Metadata:
        return d->metadata(ctx, body, respond);
    case ApiKey::Produce:
        return d->produce(ctx, body, respond);
    case ApiKey::Fetch:
        return d->fetch(ctx, body, respond);
    case ApiKey::ListOffsets:
        return d->listOffsets(ctx, body, respond);
    case ApiKey::CreateTopics:
        return d->createTopics(ctx, body, respond);
    case ApiKey::DeleteTopics:
        return d->deleteTopics(ctx, body, respond);
    case ApiKey::CreatePartitions:
        return d->createPartitions(ctx, body, respond);
    case ApiKey::DeleteRecords:
        return d->deleteRecords(ctx, body, respond);
    case ApiKey::InitProducerId:
        return d->initProducerId(ctx, body, respond);
    case ApiKey::DescribeConfigs:
        return d->describeConfigs(ctx, body, respond);
    default:
        break;
    }
    if (d->groupHandler) {
        d->groupHandler(ctx, body, std::move(respond));
        return Server::Disposition::Responding;
    }
    return Server::Disposition::Close;
}

void RequestHandlers::shutdown()
{
    std::vector<std::shared_ptr<PendingFetch>> all;
    {
        std::lock_guard lock(d->waitersMutex);
        for (auto& [key, list] : d->waiters)
            for (auto& w : list)
                if (auto p = w.lock())
                    all.push_back(p);
    }
    for (auto& p : all)
        asio::post(p->strand, [d = d, p] {
            if (!p->done)
                d->finish(p, d->evaluate(p->request).body);
        });
}

// ---------------------------------------------------------------------------------------------------------------

Server::Disposition RequestHandlers::Private::apiVersions(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    if (ctx.apiVersion >= 3) {
        r.compactString(); // client software name
        r.compactString(); // client software version
        r.skipTaggedFields();
    }
    if (r.failed())
        return Server::Disposition::Close;
    respond(table.apiVersionsResponse(ctx.apiVersion, 0));
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::metadata(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    std::optional<std::vector<std::string>> requested;
    int32_t n = r.arrayLength(false);
    if (n >= 0) {
        requested.emplace();
        for (int32_t i = 0; i < n && !r.failed(); ++i)
            requested->push_back(r.string());
    }
    bool allowAutoCreate = true;
    if (v >= 4)
        allowAutoCreate = r.boolean();
    if (v >= 8) {
        r.boolean(); // include_cluster_authorized_operations
        r.boolean(); // include_topic_authorized_operations
    }
    if (r.failed())
        return Server::Disposition::Close;
    const Options opts = currentOptions();
    // v0: an empty list means every topic; v1+: null means every topic, empty means none.
    const bool all = !requested || (v == 0 && requested->empty());

    struct TopicAnswer
    {
        std::string name;
        KafkaError error = KafkaError::None;
        int32_t partitions = 0;
        bool internal = false;
    };
    std::vector<TopicAnswer> answers;
    if (all) {
        for (const auto& t : store.topics())
            if (!denied(ctx.principal, t.name)) // as Kafka does, a listing leaves out what one may not describe
                answers.push_back({t.name, KafkaError::None, t.partitions, t.internal});
    } else {
        // One listing, kept up to date as names are created: asking it again per name costs O(topics) each.
        std::unordered_map<std::string, LogStore::TopicInfo> known;
        for (auto& t : store.topics())
            known.emplace(t.name, std::move(t));
        for (const std::string& name : *requested) {
            if (denied(ctx.principal, name)) {
                answers.push_back({name, KafkaError::TopicAuthorizationFailed, 0, false});
                continue;
            }
            auto it = known.find(name);
            KafkaError refused = KafkaError::None;
            if (it == known.end() && opts.autoCreateTopics && allowAutoCreate && LogStore::isValidTopicName(name)) {
                TopicConfig config;
                config.partitions = opts.defaultPartitions;
                const KafkaError e = store.createTopic(name, config);
                if (e == KafkaError::None || e == KafkaError::TopicAlreadyExists) {
                    if (const auto created = store.topicConfig(name))
                        it = known
                                 .emplace(name, LogStore::TopicInfo {name, created->partitions, name.starts_with("__")})
                                 .first;
                } else {
                    // Past the broker's caps (or a storage failure): say why rather than "unknown topic".
                    refused = e;
                }
            }
            if (it != known.end())
                answers.push_back({it->second.name, KafkaError::None, it->second.partitions, it->second.internal});
            else
                answers.push_back({name,
                    refused != KafkaError::None            ? refused
                        : LogStore::isValidTopicName(name) ? KafkaError::UnknownTopicOrPartition
                                                           : KafkaError::InvalidTopicException,
                    0, false});
        }
    }

    WireWriter w;
    if (v >= 3)
        w.i32(0); // throttle
    w.arrayLength(1, false); // brokers
    w.i32(opts.nodeId);
    w.string(opts.advertisedHost);
    w.i32(opts.advertisedPort);
    if (v >= 1)
        w.nullableString(std::nullopt); // rack
    if (v >= 2)
        w.nullableString(opts.clusterId);
    if (v >= 1)
        w.i32(opts.nodeId); // controller
    w.arrayLength(int32_t(answers.size()), false);
    for (const TopicAnswer& t : answers) {
        w.i16(code(t.error));
        w.string(t.name);
        if (v >= 1)
            w.boolean(t.internal);
        w.arrayLength(t.partitions, false);
        for (int32_t p = 0; p < t.partitions; ++p) {
            w.i16(0);
            w.i32(p);
            w.i32(opts.nodeId); // leader
            if (v >= 7)
                w.i32(0); // leader epoch
            w.arrayLength(1, false);
            w.i32(opts.nodeId); // replicas
            w.arrayLength(1, false);
            w.i32(opts.nodeId); // isr
            if (v >= 5)
                w.arrayLength(0, false); // offline replicas
        }
        if (v >= 8)
            w.i32(NoAuthorizedOperations);
    }
    if (v >= 8)
        w.i32(NoAuthorizedOperations);
    respond(w.take());
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::produce(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    if (v >= 3)
        r.nullableString(); // transactional id: transactions are not supported, idempotence is
    const int16_t acks = r.i16();
    r.i32(); // timeout: a single node has no replicas to wait for
    struct PartitionAnswer
    {
        int32_t index;
        AppendResult result;
    };
    std::vector<std::pair<std::string, std::vector<PartitionAnswer>>> answers;
    const int32_t topicCount = r.arrayLength(false);
    for (int32_t t = 0; t < topicCount && !r.failed(); ++t) {
        std::string topic = r.string();
        auto& answer = answers.emplace_back(topic, std::vector<PartitionAnswer> {});
        const int32_t partCount = r.arrayLength(false);
        for (int32_t p = 0; p < partCount && !r.failed(); ++p) {
            PartitionAnswer pa;
            pa.index = r.i32();
            auto records = r.bytesView();
            if (r.failed())
                break;
            if (acks != 0 && acks != 1 && acks != -1) {
                pa.result.error = KafkaError::InvalidRequiredAcks;
            } else if (auto log = store.partition(topic, pa.index)) {
                if (records.empty()) {
                    pa.result.error = KafkaError::CorruptMessage;
                } else {
                    // The frame buffer belongs to the connection and is writable; the log rewrites each batch's
                    // base offset in place instead of copying the records.
                    std::span<uint8_t> mutableRecords(const_cast<uint8_t*>(records.data()), records.size());
                    pa.result = log->append(mutableRecords);
                    if (pa.result.error == KafkaError::None)
                        wake(partitionKey(topic, pa.index));
                }
            } else {
                pa.result.error = KafkaError::UnknownTopicOrPartition;
            }
            answer.second.push_back(std::move(pa));
        }
    }
    if (r.failed())
        return Server::Disposition::Close;
    if (acks == 0)
        return Server::Disposition::NoResponse;

    WireWriter w;
    w.arrayLength(int32_t(answers.size()), false);
    for (const auto& [topic, parts] : answers) {
        w.string(topic);
        w.arrayLength(int32_t(parts.size()), false);
        for (const PartitionAnswer& pa : parts) {
            w.i32(pa.index);
            w.i16(code(pa.result.error));
            w.i64(pa.result.error == KafkaError::None ? pa.result.baseOffset : -1);
            w.i64(pa.result.error == KafkaError::None ? pa.result.logAppendTimeMs : -1);
            if (v >= 5)
                w.i64(pa.result.error == KafkaError::None ? pa.result.logStartOffset : -1);
        }
    }
    w.i32(0); // throttle
    respond(w.take());
    return Server::Disposition::Responding;
}

FetchOutcome RequestHandlers::Private::evaluate(const FetchRequest& req)
{
    // Record sets this large go out as their own piece of the response, sent from the file by sendfile when the
    // segment allows, instead of being copied into the response.
    constexpr size_t SeparatePieceBytes = 16 * 1024;
    const int16_t v = req.version;
    FetchOutcome out;
    WireWriter w;
    if (v >= 1)
        w.i32(0); // throttle
    if (v >= 7) {
        w.i16(0); // error
        w.i32(0); // session id: no fetch sessions, every fetch is a full one
    }
    int64_t budget = v >= 3 ? std::max<int32_t>(req.maxBytes, 0) : INT64_MAX;
    w.arrayLength(int32_t(req.topics.size()), false);
    for (const auto& [topic, parts] : req.topics) {
        const bool forbidden = denied(req.principal, topic);
        w.string(topic);
        w.arrayLength(int32_t(parts.size()), false);
        for (const FetchPartitionRequest& p : parts) {
            ReadResult rr;
            auto log = forbidden ? nullptr : store.partition(topic, p.partition);
            if (forbidden) {
                rr.error = KafkaError::TopicAuthorizationFailed;
                rr.highWatermark = -1;
                rr.logStartOffset = -1;
            } else if (!log) {
                rr.error = KafkaError::UnknownTopicOrPartition;
                rr.highWatermark = -1;
                rr.logStartOffset = -1;
            } else if (budget > 0 && p.maxBytes > 0) {
                rr = log->read(p.fetchOffset, int32_t(std::min<int64_t>(p.maxBytes, budget)), SeparatePieceBytes);
                if (rr.error != KafkaError::None) {
                    rr.highWatermark = log->logEndOffset();
                    rr.logStartOffset = log->logStartOffset();
                }
            } else {
                rr.highWatermark = log->logEndOffset();
                rr.logStartOffset = log->logStartOffset();
            }
            if (rr.error != KafkaError::None) {
                out.error = true;
                rr.records.clear();
                rr.region.reset();
            }
            const int64_t recordBytes = int64_t(rr.region ? rr.region->length : rr.records.size());
            budget -= recordBytes;
            out.bytes += recordBytes;
            w.i32(p.partition);
            w.i16(code(rr.error));
            w.i64(rr.highWatermark);
            if (v >= 4)
                w.i64(rr.highWatermark); // last stable offset: no transactions, so the high watermark
            if (v >= 5)
                w.i64(rr.logStartOffset);
            if (v >= 4)
                w.arrayLength(0, false); // aborted transactions
            if (v >= 11)
                w.i32(-1); // preferred read replica
            if (!rr.region && rr.records.size() < SeparatePieceBytes) {
                w.bytes(rr.records);
                continue;
            }
            w.i32(int32_t(recordBytes));
            out.body.pieces.push_back(ResponsePiece {w.take(), std::nullopt});
            out.body.pieces.push_back(ResponsePiece {std::move(rr.records), std::move(rr.region)});
            w = WireWriter();
        }
    }
    out.body.pieces.push_back(ResponsePiece {w.take(), std::nullopt});
    return out;
}

Server::Disposition RequestHandlers::Private::fetch(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    FetchRequest req;
    req.version = v;
    req.principal = ctx.principal;
    r.i32(); // replica id
    req.maxWaitMs = r.i32();
    req.minBytes = r.i32();
    if (v >= 3)
        req.maxBytes = r.i32();
    if (v >= 4)
        r.i8(); // isolation level: without transactions both levels read up to the high watermark
    if (v >= 7) {
        r.i32(); // session id
        r.i32(); // session epoch
    }
    const int32_t topicCount = r.arrayLength(false);
    for (int32_t t = 0; t < topicCount && !r.failed(); ++t) {
        auto& topic = req.topics.emplace_back(r.string(), std::vector<FetchPartitionRequest> {});
        const int32_t partCount = r.arrayLength(false);
        for (int32_t p = 0; p < partCount && !r.failed(); ++p) {
            FetchPartitionRequest fp;
            fp.partition = r.i32();
            if (v >= 9)
                r.i32(); // current leader epoch
            fp.fetchOffset = r.i64();
            if (v >= 5)
                r.i64(); // log start offset (followers only)
            fp.maxBytes = r.i32();
            topic.second.push_back(fp);
        }
    }
    if (v >= 7) {
        const int32_t forgotten = r.arrayLength(false);
        for (int32_t t = 0; t < forgotten && !r.failed(); ++t) {
            r.string();
            const int32_t n = r.arrayLength(false);
            for (int32_t i = 0; i < n && !r.failed(); ++i)
                r.i32();
        }
    }
    if (v >= 11)
        r.string(); // rack id
    if (r.failed())
        return Server::Disposition::Close;

    if (req.maxWaitMs <= 0 || req.minBytes <= 0) {
        respond(evaluate(req).body);
        return Server::Disposition::Responding;
    }
    auto p = std::make_shared<PendingFetch>(io, std::move(req), std::move(respond));
    // Register before the first look so an append between the look and the registration cannot be missed.
    {
        std::lock_guard lock(waitersMutex);
        for (const auto& [topic, parts] : p->request.topics)
            for (const auto& fp : parts)
                waiters[partitionKey(topic, fp.partition)].push_back(p);
    }
    asio::dispatch(p->strand, [self = shared_from_this(), p] {
        if (p->done)
            return;
        FetchOutcome out = self->evaluate(p->request);
        if (out.error || out.bytes >= p->request.minBytes)
            return self->finish(p, std::move(out.body));
        p->timer.expires_after(std::chrono::milliseconds(std::min(p->request.maxWaitMs, 300000)));
        p->timer.async_wait([self, p](const boost::system::error_code& ec) {
            if (ec || p->done)
                return;
            self->finish(p, self->evaluate(p->request).body);
        });
    });
    return Server::Disposition::Responding;
}

void RequestHandlers::Private::wake(const std::string& key)
{
    std::vector<std::shared_ptr<PendingFetch>> woken;
    {
        std::lock_guard lock(waitersMutex);
        auto it = waiters.find(key);
        if (it == waiters.end())
            return;
        auto& list = it->second;
        for (auto w = list.begin(); w != list.end();) {
            if (auto p = w->lock()) {
                woken.push_back(std::move(p));
                ++w;
            } else {
                w = list.erase(w);
            }
        }
        if (list.empty())
            waiters.erase(it);
    }
    for (auto& p : woken)
        schedule(p);
}

void RequestHandlers::Private::schedule(const std::shared_ptr<PendingFetch>& p)
{
    if (p->scheduled.exchange(true))
        return;
    asio::post(p->strand, [self = shared_from_this(), p] {
        // Cleared before looking, so an append during the look schedules another look.
        p->scheduled = false;
        if (p->done)
            return;
        FetchOutcome out = self->evaluate(p->request);
        if (out.error || out.bytes >= p->request.minBytes)
            self->finish(p, std::move(out.body));
    });
}

void RequestHandlers::Private::finish(const std::shared_ptr<PendingFetch>& p, ResponseBody body)
{
    if (p->done)
        return;
    p->done = true;
    p->timer.cancel();
    unregister(p);
    p->respond(std::move(body));
}

void RequestHandlers::Private::unregister(const std::shared_ptr<PendingFetch>& p)
{
    std::lock_guard lock(waitersMutex);
    for (const auto& [topic, parts] : p->request.topics) {
        for (const auto& fp : parts) {
            auto it = waiters.find(partitionKey(topic, fp.partition));
            if (it == waiters.end())
                continue;
            std::erase_if(it->second, [&](const std::weak_ptr<PendingFetch>& w) {
                auto q = w.lock();
                return !q || q == p;
            });
            if (it->second.empty())
                waiters.erase(it);
        }
    }
}

Server::Disposition RequestHandlers::Private::listOffsets(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    r.i32(); // replica id
    if (v >= 2)
        r.i8(); // isolation level
    struct Part
    {
        int32_t index;
        int64_t timestamp;
        int32_t maxNumOffsets;
    };
    std::vector<std::pair<std::string, std::vector<Part>>> topics;
    const int32_t topicCount = r.arrayLength(false);
    for (int32_t t = 0; t < topicCount && !r.failed(); ++t) {
        auto& topic = topics.emplace_back(r.string(), std::vector<Part> {});
        const int32_t n = r.arrayLength(false);
        for (int32_t i = 0; i < n && !r.failed(); ++i) {
            Part p {};
            p.index = r.i32();
            if (v >= 4)
                r.i32(); // current leader epoch
            p.timestamp = r.i64();
            p.maxNumOffsets = v == 0 ? r.i32() : 1;
            topic.second.push_back(p);
        }
    }
    if (r.failed())
        return Server::Disposition::Close;

    WireWriter w;
    if (v >= 2)
        w.i32(0); // throttle
    w.arrayLength(int32_t(topics.size()), false);
    for (const auto& [topic, parts] : topics) {
        w.string(topic);
        w.arrayLength(int32_t(parts.size()), false);
        for (const Part& p : parts) {
            KafkaError error = KafkaError::None;
            int64_t offset = -1;
            int64_t timestamp = -1;
            auto log = store.partition(topic, p.index);
            if (denied(ctx.principal, topic)) {
                error = KafkaError::TopicAuthorizationFailed;
            } else if (!log) {
                error = KafkaError::UnknownTopicOrPartition;
            } else if (p.timestamp == -1) {
                offset = log->logEndOffset();
            } else if (p.timestamp == -2) {
                offset = log->logStartOffset();
            } else if (auto found = log->offsetForTimestamp(p.timestamp)) {
                offset = found->first;
                timestamp = found->second;
            }
            w.i32(p.index);
            w.i16(code(error));
            if (v == 0) {
                // The old format answers a list of offsets; one is all a single-segment view needs.
                const bool one = error == KafkaError::None && offset >= 0 && p.maxNumOffsets > 0;
                w.arrayLength(one ? 1 : 0, false);
                if (one)
                    w.i64(offset);
            } else {
                w.i64(timestamp);
                w.i64(offset);
                if (v >= 4)
                    w.i32(0); // leader epoch
            }
        }
    }
    respond(w.take());
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::createTopics(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    struct Topic
    {
        std::string name;
        int32_t partitions;
        int16_t replication;
        int32_t assignments;
        std::vector<std::pair<std::string, std::optional<std::string>>> configs;
    };
    std::vector<Topic> topics;
    const int32_t count = r.arrayLength(false);
    for (int32_t i = 0; i < count && !r.failed(); ++i) {
        Topic t;
        t.name = r.string();
        t.partitions = r.i32();
        t.replication = r.i16();
        t.assignments = r.arrayLength(false);
        for (int32_t a = 0; a < t.assignments && !r.failed(); ++a) {
            r.i32();
            const int32_t brokers = r.arrayLength(false);
            for (int32_t b = 0; b < brokers && !r.failed(); ++b)
                r.i32();
        }
        const int32_t configs = r.arrayLength(false);
        for (int32_t c = 0; c < configs && !r.failed(); ++c) {
            std::string key = r.string();
            t.configs.emplace_back(std::move(key), r.nullableString());
        }
        topics.push_back(std::move(t));
    }
    r.i32(); // timeout
    const bool validateOnly = v >= 1 ? r.boolean() : false;
    if (r.failed())
        return Server::Disposition::Close;

    const Options opts = currentOptions();
    WireWriter w;
    if (v >= 2)
        w.i32(0);
    w.arrayLength(int32_t(topics.size()), false);
    for (const Topic& t : topics) {
        KafkaError error = KafkaError::None;
        std::optional<std::string> message;
        TopicConfig config;
        config.partitions = t.assignments > 0 ? t.assignments
            : t.partitions == -1              ? opts.defaultPartitions
                                              : t.partitions;
        auto parseLong = [&](const std::optional<std::string>& s) -> std::optional<int64_t> {
            if (!s)
                return std::nullopt;
            try {
                size_t used = 0;
                int64_t value = std::stoll(*s, &used);
                if (used == s->size())
                    return value;
            } catch (...) { }
            error = KafkaError::InvalidConfig;
            message = "not a number: " + *s;
            return std::nullopt;
        };
        for (const auto& [key, value] : t.configs) {
            if (key == "retention.ms")
                config.retentionMs = parseLong(value);
            else if (key == "retention.bytes")
                config.retentionBytes = parseLong(value);
            else if (key == "segment.bytes")
                config.segmentBytes = parseLong(value);
            // Other topic configs (cleanup.policy, ...) have no meaning here and are accepted as Kafka's defaults.
        }
        if (error != KafkaError::None) {
        } else if (!LogStore::isValidTopicName(t.name)) {
            error = KafkaError::InvalidTopicException;
            message = "invalid topic name";
        } else if (config.partitions <= 0) {
            error = KafkaError::InvalidPartitions;
            message = "the number of partitions must be positive";
        } else if (t.replication != -1 && t.replication != 1 && t.assignments <= 0) {
            error = KafkaError::InvalidReplicationFactor;
            message = "this broker is a single node: replication factor must be 1";
        } else if (validateOnly) {
            if (store.hasTopic(t.name))
                error = KafkaError::TopicAlreadyExists;
        } else {
            std::string why;
            error = store.createTopic(t.name, config, &why);
            if (error != KafkaError::None && !why.empty())
                message = std::move(why);
        }
        if (error == KafkaError::TopicAlreadyExists && !message)
            message = "topic '" + t.name + "' already exists";
        w.string(t.name);
        w.i16(code(error));
        if (v >= 1)
            w.nullableString(message);
    }
    respond(w.take());
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::createPartitions(const RequestContext&, WireReader& r, Respond& respond)
{
    struct Growth
    {
        std::string name;
        int32_t count = 0;
    };
    std::vector<Growth> growths;
    const int32_t topics = r.arrayLength(false);
    for (int32_t i = 0; i < topics && !r.failed(); ++i) {
        Growth g;
        g.name = r.string();
        g.count = r.i32();
        const int32_t assignments = r.arrayLength(false); // -1: the broker places them (one node: here)
        for (int32_t a = 0; a < assignments && !r.failed(); ++a) {
            const int32_t brokers = r.arrayLength(false);
            for (int32_t b = 0; b < brokers && !r.failed(); ++b)
                r.i32();
        }
        growths.push_back(std::move(g));
    }
    r.i32(); // timeout
    const bool validateOnly = r.boolean();
    if (r.failed())
        return Server::Disposition::Close;
    WireWriter w;
    w.i32(0); // throttle
    w.arrayLength(int32_t(growths.size()), false);
    for (const Growth& g : growths) {
        std::optional<std::string> message;
        KafkaError error = KafkaError::None;
        const std::optional<int32_t> current = [&]() -> std::optional<int32_t> {
            if (auto config = store.topicConfig(g.name))
                return config->partitions;
            return std::nullopt;
        }();
        if (!current) {
            error = KafkaError::UnknownTopicOrPartition;
        } else if (g.count <= *current) {
            error = KafkaError::InvalidPartitions;
            message = "topic currently has " + std::to_string(*current) + " partitions, which is not fewer than the "
                + std::to_string(g.count) + " requested";
        } else if (!validateOnly) {
            error = store.addPartitions(g.name, g.count);
        }
        w.string(g.name);
        w.i16(code(error));
        w.nullableString(message);
    }
    respond(w.take());
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::deleteTopics(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    std::vector<std::string> names;
    const int32_t count = r.arrayLength(false);
    for (int32_t i = 0; i < count && !r.failed(); ++i)
        names.push_back(r.string());
    r.i32(); // timeout
    if (r.failed())
        return Server::Disposition::Close;
    WireWriter w;
    if (ctx.apiVersion >= 1)
        w.i32(0);
    w.arrayLength(int32_t(names.size()), false);
    for (const std::string& name : names) {
        w.string(name);
        const KafkaError deleted = store.deleteTopic(name);
        if (deleted == KafkaError::None && topicDeleted)
            topicDeleted(name);
        w.i16(code(deleted));
    }
    respond(w.take());
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::deleteRecords(const RequestContext&, WireReader& r, Respond& respond)
{
    struct Part
    {
        int32_t index;
        int64_t offset;
    };
    std::vector<std::pair<std::string, std::vector<Part>>> topics;
    const int32_t count = r.arrayLength(false);
    for (int32_t t = 0; t < count && !r.failed(); ++t) {
        auto& topic = topics.emplace_back(r.string(), std::vector<Part> {});
        const int32_t n = r.arrayLength(false);
        for (int32_t i = 0; i < n && !r.failed(); ++i) {
            Part p {};
            p.index = r.i32();
            p.offset = r.i64();
            topic.second.push_back(p);
        }
    }
    r.i32(); // timeout
    if (r.failed())
        return Server::Disposition::Close;
    WireWriter w;
    w.i32(0);
    w.arrayLength(int32_t(topics.size()), false);
    for (const auto& [topic, parts] : topics) {
        w.string(topic);
        w.arrayLength(int32_t(parts.size()), false);
        for (const Part& p : parts) {
            KafkaError error = KafkaError::UnknownTopicOrPartition;
            int64_t low = -1;
            if (auto log = store.partition(topic, p.index)) {
                error = log->deleteRecordsBefore(p.offset);
                low = log->logStartOffset();
            }
            w.i32(p.index);
            w.i64(error == KafkaError::None ? low : -1);
            w.i16(code(error));
        }
    }
    respond(w.take());
    return Server::Disposition::Responding;
}

Server::Disposition RequestHandlers::Private::initProducerId(const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    const bool flexible = ctx.flexible;
    std::optional<std::string> transactionalId = flexible ? r.compactNullableString() : r.nullableString();
    r.i32(); // transaction timeout
    if (v >= 3) {
        r.i64(); // existing producer id
        r.i16(); // existing epoch
    }
    if (flexible)
        r.skipTaggedFields();
    if (r.failed())
        return Server::Disposition::Close;
    WireWriter w;
    w.i32(0);
    if (transactionalId && !transactionalId->empty()) {
        // Transactions are out of scope; idempotent producers (no transactional id) are served.
        w.i16(53); // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        w.i64(-1);
        w.i16(-1);
    } else {
        // A fresh id (epoch 0) also serves an epoch bump: the producer restarts its sequences either way.
        w.i16(0);
        w.i64(store.allocateProducerId());
        w.i16(0);
    }
    w.tags(flexible);
    respond(w.take());
    return Server::Disposition::Responding;
}

namespace {

// Kafka's ConfigResource types, ConfigSource and ConfigType values (DescribeConfigsResponse.json).
constexpr int8_t ResourceTopic = 2;
constexpr int8_t ResourceBroker = 4;
constexpr int8_t SourceTopicOverride = 1; // DYNAMIC_TOPIC_CONFIG
constexpr int8_t SourceStaticBroker = 4; // STATIC_BROKER_CONFIG: set when the broker was started
constexpr int8_t SourceDefault = 5; // DEFAULT_CONFIG
constexpr int8_t TypeBoolean = 1;
constexpr int8_t TypeString = 2;
constexpr int8_t TypeInt = 3;
constexpr int8_t TypeLong = 5;
constexpr int8_t TypeList = 7;

struct ConfigEntry
{
    std::string name;
    std::string value;
    int8_t source = SourceDefault;
    int8_t type = TypeString;
    std::string brokerSynonym; // the broker-wide setting a topic value falls back to, empty when none
    int8_t brokerSource = SourceDefault;
    std::string brokerValue;
};

/// What the broker really does, named as Kafka names it: one replica per partition (a single node), retention by
/// time and size, deletion (never compaction), batches stored as the producer sent them.
std::vector<ConfigEntry> topicConfigEntries(const LogOptions& log, const TopicConfig& topic)
{
    auto pick = [](const std::optional<int64_t>& own, int64_t broker) {
        return std::pair {own.value_or(broker), own ? SourceTopicOverride : SourceStaticBroker};
    };
    const auto [retentionMs, retentionMsSource] = pick(topic.retentionMs, log.retentionMs);
    const auto [retentionBytes, retentionBytesSource] = pick(topic.retentionBytes, log.retentionBytes);
    const auto [segmentBytes, segmentBytesSource] = pick(topic.segmentBytes, log.segmentBytes);
    return {
        {"cleanup.policy", "delete", SourceDefault, TypeList, "log.cleanup.policy", SourceDefault},
        {"compression.type", "producer", SourceDefault, TypeString, "compression.type", SourceDefault},
        {"message.timestamp.type", "CreateTime", SourceDefault, TypeString, "log.message.timestamp.type",
            SourceDefault},
        {"min.insync.replicas", "1", SourceDefault, TypeInt, "min.insync.replicas", SourceDefault},
        {"retention.bytes", std::to_string(retentionBytes), retentionBytesSource, TypeLong, "log.retention.bytes",
            SourceStaticBroker, std::to_string(log.retentionBytes)},
        {"retention.ms", std::to_string(retentionMs), retentionMsSource, TypeLong, "log.retention.ms",
            SourceStaticBroker, std::to_string(log.retentionMs)},
        {"segment.bytes", std::to_string(segmentBytes), segmentBytesSource, TypeInt, "log.segment.bytes",
            SourceStaticBroker, std::to_string(log.segmentBytes)},
        {"unclean.leader.election.enable", "false", SourceDefault, TypeBoolean, "unclean.leader.election.enable",
            SourceDefault},
    };
}

std::vector<ConfigEntry> brokerConfigEntries(const LogOptions& log, const RequestHandlers::Options& options)
{
    return {
        {"auto.create.topics.enable", options.autoCreateTopics ? "true" : "false", SourceStaticBroker, TypeBoolean},
        {"broker.id", std::to_string(options.nodeId), SourceStaticBroker, TypeInt},
        {"default.replication.factor", "1", SourceDefault, TypeInt},
        {"log.cleanup.policy", "delete", SourceDefault, TypeList},
        {"log.retention.bytes", std::to_string(log.retentionBytes), SourceStaticBroker, TypeLong},
        {"log.retention.ms", std::to_string(log.retentionMs), SourceStaticBroker, TypeLong},
        {"log.segment.bytes", std::to_string(log.segmentBytes), SourceStaticBroker, TypeInt},
        {"min.insync.replicas", "1", SourceDefault, TypeInt},
        {"num.partitions", std::to_string(options.defaultPartitions), SourceStaticBroker, TypeInt},
        {"unclean.leader.election.enable", "false", SourceDefault, TypeBoolean},
    };
}

} // namespace

Server::Disposition RequestHandlers::Private::describeConfigs(
    const RequestContext& ctx, WireReader& r, Respond& respond)
{
    const int16_t v = ctx.apiVersion;
    const bool flexible = ctx.flexible;
    struct Resource
    {
        int8_t type = 0;
        std::string name;
        std::optional<std::vector<std::string>> keys; // null: every key
    };
    std::vector<Resource> resources;
    const int32_t count = r.arrayLength(flexible);
    for (int32_t i = 0; i < count && !r.failed(); ++i) {
        Resource res;
        res.type = r.i8();
        res.name = flexible ? r.compactString() : r.string();
        const int32_t keyCount = r.arrayLength(flexible);
        if (keyCount >= 0) {
            res.keys.emplace();
            for (int32_t k = 0; k < keyCount && !r.failed(); ++k)
                res.keys->push_back(flexible ? r.compactString() : r.string());
        }
        if (flexible)
            r.skipTaggedFields();
        resources.push_back(std::move(res));
    }
    const bool includeSynonyms = v >= 1 ? r.boolean() : false;
    if (v >= 3)
        r.boolean(); // include documentation: there is none to give
    if (flexible)
        r.skipTaggedFields();
    if (r.failed())
        return Server::Disposition::Close;

    const Options opts = currentOptions();
    WireWriter w;
    w.i32(0); // throttle_time_ms
    w.arrayLength(int32_t(resources.size()), flexible);
    for (const Resource& res : resources) {
        KafkaError error = KafkaError::None;
        std::optional<std::string> message;
        std::vector<ConfigEntry> entries;
        if (res.type == ResourceTopic) {
            if (auto topic = store.topicConfig(res.name))
                entries = topicConfigEntries(store.options(), *topic);
            else {
                error = KafkaError::UnknownTopicOrPartition;
                message = "This server does not host this topic: " + res.name;
            }
        } else if (res.type == ResourceBroker) {
            // "" asks for the cluster-wide defaults, which on a single node are the broker's own.
            if (res.name.empty() || res.name == std::to_string(opts.nodeId))
                entries = brokerConfigEntries(store.options(), opts);
            else {
                error = KafkaError::InvalidRequest;
                message = "Unexpected broker id, expected " + std::to_string(opts.nodeId) + " but received " + res.name;
            }
        } else {
            error = KafkaError::InvalidRequest;
            message = "Unsupported resource type " + std::to_string(res.type) + ": topics (2) and brokers (4) only";
        }
        if (res.keys && !res.keys->empty())
            std::erase_if(entries, [&](const ConfigEntry& e) {
                return std::find(res.keys->begin(), res.keys->end(), e.name) == res.keys->end();
            });
        w.i16(code(error));
        w.nstr(message, flexible);
        w.i8(res.type);
        w.str(res.name, flexible);
        w.arrayLength(int32_t(entries.size()), flexible);
        for (const ConfigEntry& e : entries) {
            w.str(e.name, flexible);
            w.nstr(e.value, flexible);
            w.boolean(res.type == ResourceBroker); // a broker's settings change only with a restart
            if (v == 0)
                w.boolean(e.source == SourceDefault);
            else
                w.i8(e.source);
            w.boolean(false); // sensitive: none of these is
            if (v >= 1) {
                struct Synonym
                {
                    std::string name, value;
                    int8_t source;
                };
                std::vector<Synonym> synonyms;
                if (includeSynonyms) {
                    synonyms.push_back({e.name, e.value, e.source});
                    if (!e.brokerValue.empty() && e.source == SourceTopicOverride)
                        synonyms.push_back({e.brokerSynonym, e.brokerValue, e.brokerSource});
                }
                w.arrayLength(int32_t(synonyms.size()), flexible);
                for (const Synonym& s : synonyms) {
                    w.str(s.name, flexible);
                    w.nstr(s.value, flexible);
                    w.i8(s.source);
                    w.tags(flexible);
                }
            }
            if (v >= 3) {
                w.i8(e.type);
                w.nstr(std::nullopt, flexible); // documentation
            }
            w.tags(flexible);
        }
        w.tags(flexible);
    }
    w.tags(flexible);
    respond(w.take());
    return Server::Disposition::Responding;
}

} // namespace pw::broker
