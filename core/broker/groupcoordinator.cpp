#include "broker/groupcoordinator.h"

#include "broker/consumeroffsetsformat.h"
#include "broker/kafkaerror.h"
#include "broker/logstore.h"
#include "broker/partitionlog.h"
#include "broker/recordbatch.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>

Q_LOGGING_CATEGORY(lcGroups, "pathwatch.broker.groups", QtInfoMsg)

namespace pw::broker {

namespace {

using Clock = std::chrono::steady_clock;
using State = GroupCoordinator::GroupState;

constexpr int32_t kMaxMetadataSize = 4096; // Kafka's offset.metadata.max.bytes
constexpr int32_t kUnsetAuthorizedOperations = INT32_MIN;

int64_t wallMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

std::string randomSuffix()
{
    thread_local std::mt19937_64 rng {std::random_device {}()};
    static const char* hexdigits = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            s.push_back('-');
        s.push_back(hexdigits[rng() & 0xF]);
    }
    return s;
}

struct Pending
{
    Respond respond;
    int16_t version = 0;
    uint64_t connectionId = 0;
};

struct Member
{
    std::string id;
    std::optional<std::string> instanceId;
    std::string clientId;
    std::string clientHost;
    int32_t sessionTimeoutMs = 10000;
    int32_t rebalanceTimeoutMs = 10000;
    std::vector<std::pair<std::string, std::vector<uint8_t>>> protocols;
    std::vector<uint8_t> assignment;
    std::optional<Pending> join;
    std::optional<Pending> sync;
    Clock::time_point sessionDeadline;
    uint64_t joinOrder = 0;
    bool knowsId = false; // a join answer carrying its id was delivered; until then only its first request has it

    const std::vector<uint8_t>* metadataFor(const std::string& protocol) const
    {
        for (const auto& [name, meta] : protocols)
            if (name == protocol)
                return &meta;
        return nullptr;
    }
};

struct OffsetEntry
{
    int64_t offset = -1;
    int32_t leaderEpoch = -1;
    std::string metadata;
    int64_t commitTimestampMs = -1;
};

struct Group
{
    std::string id;
    State state = State::Empty;
    std::string protocolType;
    std::optional<std::string> protocol;
    std::string leader;
    int32_t generation = 0;
    std::map<std::string, Member> members;
    Clock::time_point joinDeadline;
    Clock::time_point initialDelayDeadline;
    std::optional<std::vector<uint8_t>> metadataValue; // the last GroupMetadataValue written, for compaction
    std::map<std::pair<std::string, int32_t>, OffsetEntry> offsets;
};

/// Answers collected under the lock and delivered after it is released, so a Respond that re-enters the server
/// (or blocks on a connection strand) never runs while the coordinator is locked.
using Outbox = std::vector<std::pair<Respond, std::vector<uint8_t>>>;

void deliver(Outbox& out)
{
    for (auto& [respond, body] : out)
        if (respond)
            respond(std::move(body));
    out.clear();
}

// ---- response encoders for the answers that are produced later ----

std::vector<uint8_t> joinResponse(int16_t version, KafkaError error, int32_t generation, const std::string& protocol,
    const std::string& leader, const std::string& memberId,
    const std::vector<std::tuple<std::string, std::optional<std::string>, std::vector<uint8_t>>>& members)
{
    WireWriter w;
    if (version >= 2)
        w.i32(0);
    w.i16(code(error));
    w.i32(generation);
    w.string(protocol);
    w.string(leader);
    w.string(memberId);
    w.arrayLength(static_cast<int32_t>(members.size()), false);
    for (const auto& [id, instance, meta] : members) {
        w.string(id);
        if (version >= 5)
            w.nullableString(instance);
        w.bytes(meta);
    }
    return w.take();
}

std::vector<uint8_t> joinError(int16_t version, KafkaError error, const std::string& memberId = {})
{
    return joinResponse(version, error, -1, {}, {}, memberId, {});
}

std::vector<uint8_t> syncResponse(int16_t version, KafkaError error, std::span<const uint8_t> assignment = {})
{
    WireWriter w;
    if (version >= 1)
        w.i32(0);
    w.i16(code(error));
    w.bytes(assignment);
    return w.take();
}

} // namespace

const char* GroupCoordinator::stateName(GroupState state)
{
    switch (state) {
    case GroupState::Empty:
        return "Empty";
    case GroupState::PreparingRebalance:
        return "PreparingRebalance";
    case GroupState::CompletingRebalance:
        return "CompletingRebalance";
    case GroupState::Stable:
        return "Stable";
    case GroupState::Dead:
        return "Dead";
    }
    return "Unknown";
}

struct GroupCoordinator::Private : std::enable_shared_from_this<GroupCoordinator::Private>
{
    size_t loadedGroups = 0;
    size_t loadedRecords = 0;
    Private(boost::asio::io_context& io, LogStore& store, Options options)
        : io(io)
        , store(store)
        , options(std::move(options))
        , tick(io)
    { }

    boost::asio::io_context& io;
    LogStore& store;
    Options options;
    boost::asio::steady_timer tick;

    mutable std::mutex mutex;
    std::map<std::string, Group> groups;
    bool stopped = false;
    uint64_t joinCounter = 0;

    // ---------- persistence ----------

    KafkaError appendRecords(const std::string& groupId, const std::vector<SimpleRecord>& records)
    {
        if (records.empty())
            return KafkaError::None;
        const int32_t partition = offsetsPartitionFor(groupId, std::max(1, options.offsetsTopicPartitions));
        auto log = store.partition(GroupCoordinator::kOffsetsTopic, partition);
        if (!log)
            return KafkaError::CoordinatorNotAvailable;
        auto batch = buildRecordBatch(records);
        const AppendResult result = log->append(batch);
        if (result.error != KafkaError::None) {
            qCWarning(lcGroups) << "writing to __consumer_offsets failed:" << q(result.errorMessage);
            return KafkaError::CoordinatorNotAvailable;
        }
        noteAppended(partition, static_cast<int64_t>(records.size()));
        return KafkaError::None;
    }

    // ---------- compaction ----------
    // Kafka compacts __consumer_offsets by key. Ours is simpler and as safe: when a partition holds many more
    // records than live keys, the live state of its groups is appended again as a snapshot and everything before the
    // snapshot is deleted (DeleteRecords semantics). A crash before the deletion only leaves duplicates behind. Time
    // retention is off for the topic, so offsets of idle groups are never lost.

    std::vector<int64_t> appendedSinceCompaction;
    bool compacting = false;

    int32_t partitionCount() const { return std::max(1, options.offsetsTopicPartitions); }

    void noteAppended(int32_t partition, int64_t count)
    {
        if (compacting)
            return;
        appendedSinceCompaction.resize(static_cast<size_t>(partitionCount()), 0);
        appendedSinceCompaction[static_cast<size_t>(partition)] += count;
        maybeCompact(partition);
    }

    std::vector<SimpleRecord> liveRecords(int32_t partition) const
    {
        std::vector<SimpleRecord> records;
        for (const auto& [id, g] : groups) {
            if (offsetsPartitionFor(id, partitionCount()) != partition)
                continue;
            for (const auto& [key, e] : g.offsets) {
                SimpleRecord rec;
                rec.key = encodeOffsetCommitKey({id, key.first, key.second});
                rec.value = encodeOffsetCommitValue({e.offset, e.leaderEpoch, e.metadata, e.commitTimestampMs});
                rec.timestampMs = e.commitTimestampMs;
                records.push_back(std::move(rec));
            }
            if (g.metadataValue) {
                SimpleRecord rec;
                rec.key = encodeGroupMetadataKey({id});
                rec.value = g.metadataValue;
                rec.timestampMs = wallMs();
                records.push_back(std::move(rec));
            }
        }
        return records;
    }

    void maybeCompact(int32_t partition)
    {
        const int64_t appended = appendedSinceCompaction[static_cast<size_t>(partition)];
        if (appended < options.compactionMinRecords)
            return;
        size_t live = 0;
        for (const auto& [id, g] : groups)
            if (offsetsPartitionFor(id, partitionCount()) == partition)
                live += g.offsets.size() + (g.metadataValue ? 1 : 0);
        if (appended < 4 * static_cast<int64_t>(live))
            return;
        auto log = store.partition(GroupCoordinator::kOffsetsTopic, partition);
        if (!log)
            return;
        compacting = true;
        const std::vector<SimpleRecord> records = liveRecords(partition);
        int64_t snapshotStart = log->logEndOffset();
        bool ok = true;
        constexpr size_t kBatch = 500;
        for (size_t i = 0; i < records.size() && ok; i += kBatch) {
            const std::vector<SimpleRecord> chunk(records.begin() + static_cast<std::ptrdiff_t>(i),
                records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + kBatch)));
            auto batch = buildRecordBatch(chunk);
            const AppendResult r = log->append(batch);
            ok = r.error == KafkaError::None;
            if (ok && i == 0)
                snapshotStart = r.baseOffset;
        }
        if (ok && log->deleteRecordsBefore(snapshotStart) == KafkaError::None) {
            qCInfo(lcGroups) << "compacted __consumer_offsets partition" << partition << ":" << appended
                             << "records since the last compaction," << records.size() << "live";
            appendedSinceCompaction[static_cast<size_t>(partition)] = static_cast<int64_t>(records.size());
        }
        compacting = false;
    }

    static std::vector<uint8_t> vec(std::vector<uint8_t> v) { return v; }

    SimpleRecord groupMetadataRecord(const Group& g) const
    {
        GroupMetadataValue value;
        value.protocolType = g.protocolType;
        value.generation = g.generation;
        value.protocol = g.protocol;
        value.leader = g.leader.empty() ? std::nullopt : std::optional<std::string>(g.leader);
        value.currentStateTimestampMs = wallMs();
        for (const auto& [id, m] : g.members) {
            GroupMemberRecord r;
            r.memberId = id;
            r.groupInstanceId = m.instanceId;
            r.clientId = m.clientId;
            r.clientHost = m.clientHost;
            r.rebalanceTimeoutMs = m.rebalanceTimeoutMs;
            r.sessionTimeoutMs = m.sessionTimeoutMs;
            if (g.protocol)
                if (const auto* meta = m.metadataFor(*g.protocol))
                    r.subscription = *meta;
            r.assignment = m.assignment;
            value.members.push_back(std::move(r));
        }
        SimpleRecord rec;
        rec.key = encodeGroupMetadataKey({g.id});
        rec.value = encodeGroupMetadataValue(value);
        rec.timestampMs = wallMs();
        return rec;
    }

    void persistGroup(Group& g)
    {
        SimpleRecord rec = groupMetadataRecord(g);
        g.metadataValue = rec.value;
        appendRecords(g.id, {std::move(rec)});
    }

    // ---------- state machine ----------

    Group& groupFor(const std::string& id)
    {
        auto [it, inserted] = groups.try_emplace(id);
        if (inserted)
            it->second.id = id;
        return it->second;
    }

    Clock::time_point sessionDeadline(const Member& m) const
    {
        return Clock::now() + std::chrono::milliseconds(m.sessionTimeoutMs);
    }

    // Protocols every member supports, in the order of `preferenceOf`'s list.
    std::optional<std::string> selectProtocol(const Group& g) const
    {
        if (g.members.empty())
            return std::nullopt;
        // Each member votes for its most preferred protocol among those all members support; the most voted wins
        // (ties: the one the first member prefers), as Kafka does.
        std::set<std::string> common;
        bool first = true;
        for (const auto& [id, m] : g.members) {
            std::set<std::string> mine;
            for (const auto& p : m.protocols)
                mine.insert(p.first);
            if (first) {
                common = std::move(mine);
                first = false;
            } else {
                std::set<std::string> both;
                std::set_intersection(
                    common.begin(), common.end(), mine.begin(), mine.end(), std::inserter(both, both.begin()));
                common = std::move(both);
            }
        }
        if (common.empty())
            return std::nullopt;
        std::map<std::string, int> votes;
        for (const auto& [id, m] : g.members)
            for (const auto& p : m.protocols)
                if (common.contains(p.first)) {
                    ++votes[p.first];
                    break;
                }
        std::optional<std::string> best;
        int bestVotes = -1;
        const Member& firstMember = orderedMembers(g).front().get();
        for (const auto& p : firstMember.protocols) {
            if (!common.contains(p.first))
                continue;
            if (votes[p.first] > bestVotes) {
                best = p.first;
                bestVotes = votes[p.first];
            }
        }
        return best;
    }

    static std::vector<std::reference_wrapper<const Member>> orderedMembers(const Group& g)
    {
        std::vector<std::reference_wrapper<const Member>> v;
        for (const auto& [id, m] : g.members)
            v.emplace_back(m);
        std::sort(v.begin(), v.end(), [](const Member& a, const Member& b) { return a.joinOrder < b.joinOrder; });
        return v;
    }

    bool supportsGroupProtocols(const Group& g, const std::string& protocolType,
        const std::vector<std::pair<std::string, std::vector<uint8_t>>>& protocols) const
    {
        if (protocols.empty() || protocolType.empty())
            return false;
        if (g.members.empty())
            return true;
        if (protocolType != g.protocolType)
            return false;
        // Some protocol must be supported by every existing member and the newcomer.
        for (const auto& p : protocols) {
            bool all = true;
            for (const auto& [id, m] : g.members)
                if (!m.metadataFor(p.first)) {
                    all = false;
                    break;
                }
            if (all)
                return true;
        }
        return false;
    }

    void answerJoin(Member& m, std::vector<uint8_t> body, Outbox& out)
    {
        if (m.join) {
            out.emplace_back(std::move(m.join->respond), std::move(body));
            m.join.reset();
        }
    }

    void answerSync(Member& m, std::vector<uint8_t> body, Outbox& out)
    {
        if (m.sync) {
            out.emplace_back(std::move(m.sync->respond), std::move(body));
            m.sync.reset();
        }
    }

    void failPending(Member& m, KafkaError error, Outbox& out)
    {
        if (m.join)
            answerJoin(m, joinError(m.join->version, error, m.id), out);
        if (m.sync)
            answerSync(m, syncResponse(m.sync->version, error), out);
    }

    void removeMember(Group& g, const std::string& memberId, KafkaError pendingError, Outbox& out)
    {
        auto it = g.members.find(memberId);
        if (it == g.members.end())
            return;
        failPending(it->second, pendingError, out);
        g.members.erase(it);
        if (g.leader == memberId)
            g.leader.clear();
        switch (g.state) {
        case State::Stable:
        case State::CompletingRebalance:
            prepareRebalance(g, out);
            break;
        case State::PreparingRebalance:
            tryCompleteJoin(g, out);
            break;
        default:
            break;
        }
    }

    void prepareRebalance(Group& g, Outbox& out)
    {
        if (g.state == State::CompletingRebalance) {
            // Syncs of the abandoned generation fail; joins (including the one that caused this) stay pending.
            for (auto& [id, m] : g.members) {
                if (m.sync)
                    answerSync(m, syncResponse(m.sync->version, KafkaError::RebalanceInProgress), out);
                m.assignment.clear();
            }
        }
        const bool wasEmpty = g.state == State::Empty;
        g.state = State::PreparingRebalance;
        int32_t rebalanceTimeout = 0;
        for (const auto& [id, m] : g.members)
            rebalanceTimeout = std::max(rebalanceTimeout, m.rebalanceTimeoutMs);
        const auto now = Clock::now();
        g.joinDeadline = now + std::chrono::milliseconds(rebalanceTimeout);
        g.initialDelayDeadline = now;
        if (wasEmpty && options.initialRebalanceDelayMs > 0)
            g.initialDelayDeadline
                = now + std::chrono::milliseconds(std::min(options.initialRebalanceDelayMs, rebalanceTimeout));
        qCDebug(lcGroups) << "group" << q(g.id) << "preparing rebalance, generation" << g.generation;
        tryCompleteJoin(g, out);
    }

    void tryCompleteJoin(Group& g, Outbox& out)
    {
        if (g.state != State::PreparingRebalance)
            return;
        if (Clock::now() < g.initialDelayDeadline)
            return;
        for (const auto& [id, m] : g.members)
            if (!m.join)
                return;
        completeJoin(g, out);
    }

    void completeJoin(Group& g, Outbox& out)
    {
        // Members that did not rejoin within the rebalance timeout are out of the group.
        for (auto it = g.members.begin(); it != g.members.end();) {
            if (!it->second.join) {
                qCInfo(lcGroups) << "group" << q(g.id) << "member" << q(it->first) << "did not rejoin in time";
                failPending(it->second, KafkaError::UnknownMemberId, out);
                if (g.leader == it->first)
                    g.leader.clear();
                it = g.members.erase(it);
            } else {
                ++it;
            }
        }
        ++g.generation;
        if (g.members.empty()) {
            g.state = State::Empty;
            g.protocol.reset();
            g.leader.clear();
            qCInfo(lcGroups) << "group" << q(g.id) << "is empty, generation" << g.generation;
            persistGroup(g);
            return;
        }
        g.protocol = selectProtocol(g);
        if (!g.protocol) {
            // Cannot happen when joins are validated; fail safe instead of stalling the members.
            for (auto& [id, m] : g.members)
                failPending(m, KafkaError::InconsistentGroupProtocol, out);
            g.members.clear();
            g.state = State::Empty;
            return;
        }
        if (g.leader.empty() || !g.members.contains(g.leader))
            g.leader = orderedMembers(g).front().get().id;
        g.state = State::CompletingRebalance;
        qCInfo(lcGroups) << "group" << q(g.id) << "generation" << g.generation << "protocol" << q(*g.protocol)
                         << "members" << g.members.size() << "leader" << q(g.leader);
        for (auto& [id, m] : g.members) {
            m.assignment.clear();
            m.sessionDeadline = sessionDeadline(m);
            m.knowsId = true;
            answerJoin(m, joinBody(g, m, m.join->version), out);
        }
    }

    std::vector<uint8_t> joinBody(const Group& g, const Member& m, int16_t version) const
    {
        std::vector<std::tuple<std::string, std::optional<std::string>, std::vector<uint8_t>>> members;
        if (m.id == g.leader) {
            for (const Member& other : orderedMembers(g)) {
                const auto* meta = other.metadataFor(*g.protocol);
                members.emplace_back(other.id, other.instanceId, meta ? *meta : std::vector<uint8_t>());
            }
        }
        return joinResponse(
            version, KafkaError::None, g.generation, g.protocol.value_or(std::string()), g.leader, m.id, members);
    }

    void onTick()
    {
        Outbox out;
        {
            std::lock_guard lock(mutex);
            if (stopped)
                return;
            const auto now = Clock::now();
            for (auto& [gid, g] : groups) {
                if (g.state == State::PreparingRebalance) {
                    if (now >= g.joinDeadline)
                        completeJoin(g, out);
                    else
                        tryCompleteJoin(g, out);
                }
                std::vector<std::string> expired;
                for (const auto& [id, m] : g.members)
                    if (!m.join && !m.sync && now >= m.sessionDeadline)
                        expired.push_back(id);
                for (const auto& id : expired) {
                    qCInfo(lcGroups) << "group" << q(g.id) << "member" << q(id) << "session expired";
                    removeMember(g, id, KafkaError::UnknownMemberId, out);
                }
            }
        }
        deliver(out);
    }

    void scheduleTick()
    {
        tick.expires_after(std::chrono::milliseconds(std::max(10, options.tickMs)));
        tick.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (ec)
                return;
            if (auto self = weak.lock()) {
                self->onTick();
                std::lock_guard lock(self->mutex);
                if (!self->stopped)
                    self->scheduleTick();
            }
        });
    }

    // ---------- API handlers (called with the mutex held; fill `out`) ----------

    void findCoordinator(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        r.string(); // key: every group and transaction id lives here
        if (v >= 1)
            r.i8();
        WireWriter w;
        if (v >= 1)
            w.i32(0);
        const bool known = options.port > 0 && !options.host.empty();
        const KafkaError error = r.failed() ? KafkaError::InvalidRequest
                                            : (known ? KafkaError::None : KafkaError::CoordinatorNotAvailable);
        w.i16(code(error));
        if (v >= 1)
            w.nullableString(
                error == KafkaError::None ? std::nullopt : std::optional<std::string>(kafkaErrorName(error)));
        w.i32(error == KafkaError::None ? options.nodeId : -1);
        w.string(error == KafkaError::None ? options.host : std::string());
        w.i32(error == KafkaError::None ? options.port : -1);
        out.emplace_back(respond, w.take());
    }

    void joinGroup(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const std::string groupId = r.string();
        const int32_t sessionTimeout = r.i32();
        const int32_t rebalanceTimeout = v >= 1 ? r.i32() : sessionTimeout;
        std::string memberId = r.string();
        std::optional<std::string> instanceId;
        if (v >= 5)
            instanceId = r.nullableString();
        const std::string protocolType = r.string();
        std::vector<std::pair<std::string, std::vector<uint8_t>>> protocols;
        const int32_t n = r.arrayLength(false);
        for (int32_t i = 0; i < n && !r.failed(); ++i) {
            std::string name = r.string();
            auto meta = r.bytesView();
            protocols.emplace_back(std::move(name), std::vector<uint8_t>(meta.begin(), meta.end()));
        }
        if (r.failed())
            return out.emplace_back(respond, joinError(v, KafkaError::InvalidRequest, memberId)), void();
        if (groupId.empty())
            return out.emplace_back(respond, joinError(v, KafkaError::InvalidGroupId, memberId)), void();
        if (sessionTimeout < options.minSessionTimeoutMs || sessionTimeout > options.maxSessionTimeoutMs)
            return out.emplace_back(respond, joinError(v, KafkaError::InvalidSessionTimeout, memberId)), void();

        auto git = groups.find(groupId);
        if (git == groups.end() && !memberId.empty())
            return out.emplace_back(respond, joinError(v, KafkaError::UnknownMemberId, memberId)), void();
        Group& g = groupFor(groupId);
        if (g.state == State::Dead)
            return out.emplace_back(respond, joinError(v, KafkaError::CoordinatorNotAvailable, memberId)), void();
        if (!supportsGroupProtocols(g, protocolType, protocols))
            return out.emplace_back(respond, joinError(v, KafkaError::InconsistentGroupProtocol, memberId)), void();

        Pending pending {respond, v, ctx.connectionId};
        if (memberId.empty()) {
            // New member: assigned an id straight away (MEMBER_ID_REQUIRED is optional for v4+ clients).
            memberId = (ctx.clientId.empty() ? std::string("member") : ctx.clientId) + "-" + randomSuffix();
            Member m;
            m.id = memberId;
            m.instanceId = instanceId;
            m.clientId = ctx.clientId;
            m.clientHost = "/" + ctx.clientAddress;
            m.sessionTimeoutMs = sessionTimeout;
            m.rebalanceTimeoutMs = rebalanceTimeout > 0 ? rebalanceTimeout : sessionTimeout;
            m.protocols = std::move(protocols);
            m.join = std::move(pending);
            m.joinOrder = ++joinCounter;
            m.sessionDeadline = sessionDeadline(m);
            if (g.members.empty())
                g.protocolType = protocolType;
            g.members.emplace(memberId, std::move(m));
            qCInfo(lcGroups) << "group" << q(groupId) << "new member" << q(memberId);
            if (g.state == State::PreparingRebalance)
                tryCompleteJoin(g, out);
            else
                prepareRebalance(g, out);
            return;
        }

        auto mit = g.members.find(memberId);
        if (mit == g.members.end())
            return out.emplace_back(respond, joinError(v, KafkaError::UnknownMemberId, memberId)), void();
        Member& m = mit->second;
        const bool sameProtocols = m.protocols == protocols;
        m.protocols = std::move(protocols);
        m.sessionTimeoutMs = sessionTimeout;
        m.rebalanceTimeoutMs = rebalanceTimeout > 0 ? rebalanceTimeout : sessionTimeout;
        m.clientId = ctx.clientId;
        m.sessionDeadline = sessionDeadline(m);
        if (m.join) // a duplicate join: the older request still needs an answer
            answerJoin(m, joinError(m.join->version, KafkaError::RebalanceInProgress, m.id), out);
        switch (g.state) {
        case State::PreparingRebalance:
            m.join = std::move(pending);
            tryCompleteJoin(g, out);
            break;
        case State::CompletingRebalance:
        case State::Stable:
            if (sameProtocols && (g.state == State::CompletingRebalance || m.id != g.leader)) {
                // Nothing changed: hand back the current generation (the leader gets the members again).
                out.emplace_back(respond, joinBody(g, m, v));
            } else {
                m.join = std::move(pending);
                prepareRebalance(g, out);
            }
            break;
        case State::Empty:
        case State::Dead:
            out.emplace_back(respond, joinError(v, KafkaError::UnknownMemberId, memberId));
            break;
        }
    }

    // What SyncGroup and Heartbeat start with; the static instance id (v3+) is read past, not used.
    struct MemberRequest
    {
        std::string groupId;
        int32_t generation = 0;
        std::string memberId;
    };

    static MemberRequest readMemberRequest(WireReader& r, int16_t v)
    {
        MemberRequest m;
        m.groupId = r.string();
        m.generation = r.i32();
        m.memberId = r.string();
        if (v >= 3)
            r.nullableString();
        return m;
    }

    struct GenerationMember
    {
        Group* group = nullptr;
        Member* member = nullptr;
        KafkaError error = KafkaError::None;
    };

    // SyncGroup and Heartbeat reject a request in this order before looking at the group's state.
    GenerationMember generationMember(const WireReader& r, const MemberRequest& req)
    {
        if (r.failed())
            return {.error = KafkaError::InvalidRequest};
        if (req.groupId.empty())
            return {.error = KafkaError::InvalidGroupId};
        auto git = groups.find(req.groupId);
        if (git == groups.end())
            return {.error = KafkaError::UnknownMemberId};
        Group& g = git->second;
        auto mit = g.members.find(req.memberId);
        if (mit == g.members.end())
            return {.error = KafkaError::UnknownMemberId};
        if (req.generation != g.generation)
            return {.error = KafkaError::IllegalGeneration};
        return {&g, &mit->second};
    }

    void syncGroup(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const MemberRequest req = readMemberRequest(r, v);
        std::map<std::string, std::vector<uint8_t>> assignments;
        const int32_t n = r.arrayLength(false);
        for (int32_t i = 0; i < n && !r.failed(); ++i) {
            std::string id = r.string();
            auto bytes = r.bytesView();
            assignments[id] = std::vector<uint8_t>(bytes.begin(), bytes.end());
        }
        auto reply = [&](KafkaError e) { out.emplace_back(respond, syncResponse(v, e)); };
        const GenerationMember found = generationMember(r, req);
        if (found.error != KafkaError::None)
            return reply(found.error);
        Group& g = *found.group;
        Member& m = *found.member;
        switch (g.state) {
        case State::Empty:
        case State::Dead:
            return reply(KafkaError::UnknownMemberId);
        case State::PreparingRebalance:
            return reply(KafkaError::RebalanceInProgress);
        case State::Stable:
            m.sessionDeadline = sessionDeadline(m);
            out.emplace_back(respond, syncResponse(v, KafkaError::None, m.assignment));
            return;
        case State::CompletingRebalance:
            break;
        }
        if (m.sync)
            answerSync(m, syncResponse(m.sync->version, KafkaError::RebalanceInProgress), out);
        m.sync = Pending {respond, v, ctx.connectionId};
        m.sessionDeadline = sessionDeadline(m);
        if (req.memberId != g.leader)
            return;
        for (auto& [id, member] : g.members) {
            auto a = assignments.find(id);
            member.assignment = a == assignments.end() ? std::vector<uint8_t>() : a->second;
        }
        g.state = State::Stable;
        persistGroup(g);
        for (auto& [id, member] : g.members) {
            if (member.sync)
                answerSync(member, syncResponse(member.sync->version, KafkaError::None, member.assignment), out);
            member.sessionDeadline = sessionDeadline(member);
        }
        qCInfo(lcGroups) << "group" << q(g.id) << "stable at generation" << g.generation;
    }

    void heartbeat(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const MemberRequest req = readMemberRequest(r, v);
        auto reply = [&](KafkaError e) {
            WireWriter w;
            if (v >= 1)
                w.i32(0);
            w.i16(code(e));
            out.emplace_back(respond, w.take());
        };
        const GenerationMember found = generationMember(r, req);
        if (found.error != KafkaError::None)
            return reply(found.error);
        Group& g = *found.group;
        found.member->sessionDeadline = sessionDeadline(*found.member);
        switch (g.state) {
        case State::PreparingRebalance:
            return reply(KafkaError::RebalanceInProgress);
        case State::CompletingRebalance:
        case State::Stable:
            return reply(KafkaError::None);
        default:
            return reply(KafkaError::UnknownMemberId);
        }
    }

    void leaveGroup(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const std::string groupId = r.string();
        std::vector<std::pair<std::string, std::optional<std::string>>> leaving;
        if (v <= 2) {
            leaving.emplace_back(r.string(), std::nullopt);
        } else {
            const int32_t n = r.arrayLength(false);
            for (int32_t i = 0; i < n && !r.failed(); ++i) {
                std::string id = r.string();
                auto inst = r.nullableString();
                leaving.emplace_back(std::move(id), std::move(inst));
            }
        }
        KafkaError top = KafkaError::None;
        std::vector<KafkaError> perMember(leaving.size(), KafkaError::None);
        if (r.failed()) {
            top = KafkaError::InvalidRequest;
        } else if (groupId.empty()) {
            top = KafkaError::InvalidGroupId;
        } else if (auto git = groups.find(groupId); git == groups.end()) {
            top = KafkaError::UnknownMemberId;
        } else {
            Group& g = git->second;
            for (size_t i = 0; i < leaving.size(); ++i) {
                std::string id = leaving[i].first;
                if (id.empty() && leaving[i].second) // static member leaving by instance id
                    for (const auto& [mid, m] : g.members)
                        if (m.instanceId == leaving[i].second)
                            id = mid;
                if (!g.members.contains(id)) {
                    perMember[i] = KafkaError::UnknownMemberId;
                    continue;
                }
                qCInfo(lcGroups) << "group" << q(g.id) << "member" << q(id) << "left";
                removeMember(g, id, KafkaError::UnknownMemberId, out);
            }
            if (v <= 2)
                top = perMember.front();
        }
        WireWriter w;
        if (v >= 1)
            w.i32(0);
        w.i16(code(top));
        if (v >= 3) {
            w.arrayLength(static_cast<int32_t>(leaving.size()), false);
            for (size_t i = 0; i < leaving.size(); ++i) {
                w.string(leaving[i].first);
                w.nullableString(leaving[i].second);
                w.i16(code(perMember[i]));
            }
        }
        out.emplace_back(respond, w.take());
    }

    void offsetCommit(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const std::string groupId = r.string();
        int32_t generation = -1;
        std::string memberId;
        if (v >= 1) {
            generation = r.i32();
            memberId = r.string();
        }
        if (v >= 7)
            r.nullableString();
        if (v >= 2 && v <= 4)
            r.i64(); // retention time: offsets are kept as long as the log keeps them
        struct Part
        {
            int32_t index;
            int64_t offset;
            int32_t epoch;
            std::optional<std::string> metadata;
            KafkaError error = KafkaError::None;
        };
        std::vector<std::pair<std::string, std::vector<Part>>> topics;
        const int32_t nt = r.arrayLength(false);
        for (int32_t i = 0; i < nt && !r.failed(); ++i) {
            std::string name = r.string();
            std::vector<Part> parts;
            const int32_t np = r.arrayLength(false);
            for (int32_t j = 0; j < np && !r.failed(); ++j) {
                Part p;
                p.index = r.i32();
                p.offset = r.i64();
                p.epoch = v >= 6 ? r.i32() : -1;
                if (v == 1)
                    r.i64();
                p.metadata = r.nullableString();
                parts.push_back(std::move(p));
            }
            topics.emplace_back(std::move(name), std::move(parts));
        }

        KafkaError all = KafkaError::None;
        Group* g = nullptr;
        if (r.failed()) {
            all = KafkaError::InvalidRequest;
        } else if (groupId.empty()) {
            all = KafkaError::InvalidGroupId;
        } else if (auto git = groups.find(groupId); git == groups.end()) {
            if (generation < 0)
                g = &groupFor(groupId); // an offsets-only group (admin alteration or manual assignment)
            else
                all = KafkaError::IllegalGeneration;
        } else {
            g = &git->second;
            // The same checks, in the same order, as Kafka's coordinator.
            if (g->state == State::Dead)
                all = KafkaError::CoordinatorNotAvailable;
            else if (generation < 0 && g->state == State::Empty)
                all = KafkaError::None;
            else if (g->state == State::CompletingRebalance)
                all = KafkaError::RebalanceInProgress;
            else if (!g->members.contains(memberId))
                all = KafkaError::UnknownMemberId;
            else if (generation != g->generation)
                all = KafkaError::IllegalGeneration;
            if (all == KafkaError::None && g->members.contains(memberId)) {
                Member& m = g->members.at(memberId);
                m.sessionDeadline = sessionDeadline(m);
            }
        }

        std::vector<SimpleRecord> records;
        const int64_t now = wallMs();
        if (all == KafkaError::None && g) {
            for (auto& [name, parts] : topics) {
                for (auto& p : parts) {
                    if (p.metadata && p.metadata->size() > static_cast<size_t>(kMaxMetadataSize)) {
                        p.error = KafkaError::OffsetMetadataTooLarge;
                        continue;
                    }
                    if (!store.partition(name, p.index)) {
                        p.error = KafkaError::UnknownTopicOrPartition;
                        continue;
                    }
                    SimpleRecord rec;
                    rec.key = encodeOffsetCommitKey({groupId, name, p.index});
                    rec.value = encodeOffsetCommitValue({p.offset, p.epoch, p.metadata.value_or(std::string()), now});
                    rec.timestampMs = now;
                    records.push_back(std::move(rec));
                }
            }
            const KafkaError written = appendRecords(groupId, records);
            for (auto& [name, parts] : topics) {
                for (auto& p : parts) {
                    if (p.error != KafkaError::None)
                        continue;
                    if (written != KafkaError::None)
                        p.error = written;
                    else
                        g->offsets[{name, p.index}] = {p.offset, p.epoch, p.metadata.value_or(std::string()), now};
                }
            }
        }

        WireWriter w;
        if (v >= 3)
            w.i32(0);
        w.arrayLength(static_cast<int32_t>(topics.size()), false);
        for (const auto& [name, parts] : topics) {
            w.string(name);
            w.arrayLength(static_cast<int32_t>(parts.size()), false);
            for (const auto& p : parts) {
                w.i32(p.index);
                w.i16(code(all != KafkaError::None ? all : p.error));
            }
        }
        out.emplace_back(respond, w.take());
    }

    void offsetFetch(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const bool flex = v >= 6;
        const std::string groupId = flex ? r.compactString() : r.string();
        std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> requested;
        const int32_t nt = r.arrayLength(flex);
        if (nt >= 0) {
            requested.emplace();
            for (int32_t i = 0; i < nt && !r.failed(); ++i) {
                std::string name = flex ? r.compactString() : r.string();
                std::vector<int32_t> parts;
                const int32_t np = r.arrayLength(flex);
                for (int32_t j = 0; j < np && !r.failed(); ++j)
                    parts.push_back(r.i32());
                if (flex)
                    r.skipTaggedFields();
                requested->emplace_back(std::move(name), std::move(parts));
            }
        }
        if (v >= 7)
            r.boolean(); // require_stable: there are no transactions, so every offset is stable
        if (flex)
            r.skipTaggedFields();

        KafkaError top = r.failed() ? KafkaError::InvalidRequest : KafkaError::None;
        const Group* g = nullptr;
        if (auto git = groups.find(groupId); git != groups.end())
            g = &git->second;
        // Answer: per topic, the partitions asked for (or every committed one when the list is null).
        std::map<std::string, std::vector<std::pair<int32_t, const OffsetEntry*>>> answer;
        std::vector<std::string> topicOrder;
        if (top == KafkaError::None) {
            if (requested) {
                for (const auto& [name, parts] : *requested) {
                    if (!answer.contains(name))
                        topicOrder.push_back(name);
                    auto& list = answer[name];
                    for (int32_t p : parts) {
                        const OffsetEntry* e = nullptr;
                        if (g)
                            if (auto it = g->offsets.find({name, p}); it != g->offsets.end())
                                e = &it->second;
                        list.emplace_back(p, e);
                    }
                }
            } else if (g) {
                for (const auto& [key, e] : g->offsets) {
                    if (!answer.contains(key.first))
                        topicOrder.push_back(key.first);
                    answer[key.first].emplace_back(key.second, &e);
                }
            }
        }
        WireWriter w;
        if (v >= 3)
            w.i32(0);
        w.arrayLength(static_cast<int32_t>(topicOrder.size()), flex);
        for (const auto& name : topicOrder) {
            w.str(name, flex);
            const auto& list = answer[name];
            w.arrayLength(static_cast<int32_t>(list.size()), flex);
            for (const auto& [p, e] : list) {
                w.i32(p);
                w.i64(e ? e->offset : -1);
                if (v >= 5)
                    w.i32(e ? e->leaderEpoch : -1);
                w.nstr(std::optional<std::string>(e ? e->metadata : std::string()), flex);
                w.i16(code(v <= 1 ? top : KafkaError::None));
                w.tags(flex);
            }
            w.tags(flex);
        }
        if (v >= 2)
            w.i16(code(top));
        w.tags(flex);
        out.emplace_back(respond, w.take());
    }

    void listGroups(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        const bool flex = v >= 3;
        std::set<std::string> states;
        if (v >= 4) {
            const int32_t n = r.arrayLength(true);
            for (int32_t i = 0; i < n && !r.failed(); ++i)
                states.insert(r.compactString());
        }
        if (flex)
            r.skipTaggedFields();
        std::vector<const Group*> listed;
        for (const auto& [id, g] : groups) {
            if (g.state == State::Dead)
                continue;
            if (!states.empty() && !states.contains(stateName(g.state)))
                continue;
            listed.push_back(&g);
        }
        WireWriter w;
        if (v >= 1)
            w.i32(0);
        w.i16(code(r.failed() ? KafkaError::InvalidRequest : KafkaError::None));
        w.arrayLength(static_cast<int32_t>(listed.size()), flex);
        for (const Group* g : listed) {
            w.str(g->id, flex);
            w.str(g->protocolType, flex);
            if (v >= 4)
                w.str(stateName(g->state), flex);
            w.tags(flex);
        }
        w.tags(flex);
        out.emplace_back(respond, w.take());
    }

    void describeGroups(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        std::vector<std::string> ids;
        const int32_t n = r.arrayLength(false);
        for (int32_t i = 0; i < n && !r.failed(); ++i)
            ids.push_back(r.string());
        if (v >= 3)
            r.boolean();
        WireWriter w;
        if (v >= 1)
            w.i32(0);
        w.arrayLength(static_cast<int32_t>(ids.size()), false);
        for (const auto& id : ids) {
            auto git = groups.find(id);
            const Group* g = git == groups.end() ? nullptr : &git->second;
            w.i16(code(id.empty() ? KafkaError::InvalidGroupId : KafkaError::None));
            w.string(id);
            w.string(g ? stateName(g->state) : "Dead");
            w.string(g ? g->protocolType : std::string());
            const bool stable = g && g->state == State::Stable;
            w.string(stable ? g->protocol.value_or(std::string()) : std::string());
            if (!g) {
                w.arrayLength(0, false);
            } else {
                const auto members = orderedMembers(*g);
                w.arrayLength(static_cast<int32_t>(members.size()), false);
                for (const Member& m : members) {
                    w.string(m.id);
                    if (v >= 4)
                        w.nullableString(m.instanceId);
                    w.string(m.clientId);
                    w.string(m.clientHost);
                    const std::vector<uint8_t>* meta = stable ? m.metadataFor(*g->protocol) : nullptr;
                    w.bytes(meta ? std::span<const uint8_t>(*meta) : std::span<const uint8_t>());
                    w.bytes(stable ? std::span<const uint8_t>(m.assignment) : std::span<const uint8_t>());
                }
            }
            if (v >= 3)
                w.i32(kUnsetAuthorizedOperations);
        }
        out.emplace_back(respond, w.take());
    }

    std::vector<SimpleRecord> tombstonesFor(const Group& g) const
    {
        std::vector<SimpleRecord> records;
        const int64_t now = wallMs();
        for (const auto& [key, e] : g.offsets) {
            SimpleRecord rec;
            rec.key = encodeOffsetCommitKey({g.id, key.first, key.second});
            rec.timestampMs = now;
            records.push_back(std::move(rec));
        }
        SimpleRecord rec;
        rec.key = encodeGroupMetadataKey({g.id});
        rec.timestampMs = now;
        records.push_back(std::move(rec));
        return records;
    }

    void deleteGroups(const RequestContext& ctx, WireReader& r, const Respond& respond, Outbox& out)
    {
        const int16_t v = ctx.apiVersion;
        std::vector<std::string> ids;
        const int32_t n = r.arrayLength(false);
        for (int32_t i = 0; i < n && !r.failed(); ++i)
            ids.push_back(r.string());
        WireWriter w;
        w.i32(0);
        w.arrayLength(static_cast<int32_t>(ids.size()), false);
        for (const auto& id : ids) {
            KafkaError e = KafkaError::None;
            auto git = groups.find(id);
            if (id.empty())
                e = KafkaError::InvalidGroupId;
            else if (git == groups.end() || git->second.state == State::Dead)
                e = KafkaError::GroupIdNotFound;
            else if (git->second.state != State::Empty)
                e = KafkaError::NonEmptyGroup;
            else
                e = appendRecords(id, tombstonesFor(git->second));
            if (e == KafkaError::None) {
                qCInfo(lcGroups) << "group" << q(id) << "deleted";
                groups.erase(git);
            }
            w.string(id);
            w.i16(code(e));
        }
        (void)v;
        out.emplace_back(respond, w.take());
    }

    void offsetDelete(const RequestContext&, WireReader& r, const Respond& respond, Outbox& out)
    {
        const std::string groupId = r.string();
        std::vector<std::pair<std::string, std::vector<std::pair<int32_t, KafkaError>>>> topics;
        const int32_t nt = r.arrayLength(false);
        for (int32_t i = 0; i < nt && !r.failed(); ++i) {
            std::string name = r.string();
            std::vector<std::pair<int32_t, KafkaError>> parts;
            const int32_t np = r.arrayLength(false);
            for (int32_t j = 0; j < np && !r.failed(); ++j)
                parts.emplace_back(r.i32(), KafkaError::None);
            topics.emplace_back(std::move(name), std::move(parts));
        }
        KafkaError top = KafkaError::None;
        auto git = groups.find(groupId);
        if (r.failed())
            top = KafkaError::InvalidRequest;
        else if (groupId.empty())
            top = KafkaError::InvalidGroupId;
        else if (git == groups.end() || git->second.state == State::Dead)
            top = KafkaError::GroupIdNotFound;
        if (top == KafkaError::None) {
            Group& g = git->second;
            // Offsets of topics the live members subscribe to stay (they would be committed again at once).
            std::set<std::string> subscribed;
            bool knownSubscriptions = true;
            if (g.state != State::Empty) {
                if (g.protocolType != "consumer") {
                    top = KafkaError::NonEmptyGroup;
                } else {
                    for (const auto& [id, m] : g.members) {
                        const auto* meta = g.protocol ? m.metadataFor(*g.protocol) : nullptr;
                        auto list = meta ? consumerSubscriptionTopics(*meta) : std::nullopt;
                        if (!list) {
                            knownSubscriptions = false;
                            continue;
                        }
                        subscribed.insert(list->begin(), list->end());
                    }
                }
            }
            if (top == KafkaError::None) {
                std::vector<SimpleRecord> records;
                for (auto& [name, parts] : topics) {
                    for (auto& [p, e] : parts) {
                        if (g.state != State::Empty && (!knownSubscriptions || subscribed.contains(name))) {
                            e = KafkaError::GroupSubscribedToTopic;
                            continue;
                        }
                        if (!g.offsets.contains({name, p}))
                            continue;
                        SimpleRecord rec;
                        rec.key = encodeOffsetCommitKey({groupId, name, p});
                        rec.timestampMs = wallMs();
                        records.push_back(std::move(rec));
                    }
                }
                const KafkaError written = appendRecords(groupId, records);
                for (auto& [name, parts] : topics)
                    for (auto& [p, e] : parts) {
                        if (e != KafkaError::None)
                            continue;
                        if (written != KafkaError::None)
                            e = written;
                        else
                            g.offsets.erase({name, p});
                    }
            }
        }
        WireWriter w;
        w.i16(code(top));
        w.i32(0);
        if (top != KafkaError::None) {
            w.arrayLength(0, false);
        } else {
            w.arrayLength(static_cast<int32_t>(topics.size()), false);
            for (const auto& [name, parts] : topics) {
                w.string(name);
                w.arrayLength(static_cast<int32_t>(parts.size()), false);
                for (const auto& [p, e] : parts) {
                    w.i32(p);
                    w.i16(code(e));
                }
            }
        }
        out.emplace_back(respond, w.take());
    }

    // ---------- loading ----------

    void applyRecord(const SimpleRecord& rec)
    {
        if (!rec.key)
            return;
        auto key = decodeConsumerOffsetsKey(*rec.key);
        if (!key)
            return;
        if (const auto* ok = std::get_if<OffsetCommitKey>(&*key)) {
            if (!rec.value) {
                if (auto git = groups.find(ok->group); git != groups.end())
                    git->second.offsets.erase({ok->topic, ok->partition});
                return;
            }
            auto value = decodeOffsetCommitValue(*rec.value);
            if (!value)
                return;
            groupFor(ok->group).offsets[{ok->topic, ok->partition}]
                = {value->offset, value->leaderEpoch, value->metadata, value->commitTimestampMs};
            return;
        }
        const auto& gk = std::get<GroupMetadataKey>(*key);
        if (!rec.value) {
            groups.erase(gk.group);
            return;
        }
        auto value = decodeGroupMetadataValue(*rec.value);
        if (!value)
            return;
        Group& g = groupFor(gk.group);
        g.protocolType = value->protocolType;
        g.generation = value->generation;
        g.protocol = value->protocol;
        g.leader = value->leader.value_or(std::string());
        g.metadataValue = rec.value;
        g.members.clear();
        for (const auto& r : value->members) {
            Member m;
            m.id = r.memberId;
            m.instanceId = r.groupInstanceId;
            m.clientId = r.clientId;
            m.clientHost = r.clientHost;
            m.sessionTimeoutMs = r.sessionTimeoutMs;
            m.rebalanceTimeoutMs = r.rebalanceTimeoutMs > 0 ? r.rebalanceTimeoutMs : r.sessionTimeoutMs;
            if (g.protocol)
                m.protocols.emplace_back(*g.protocol, r.subscription);
            m.assignment = r.assignment;
            m.joinOrder = ++joinCounter;
            m.knowsId = true;
            g.members.emplace(m.id, std::move(m));
        }
    }

    pw::Result<void> load()
    {
        const int32_t partitions = std::max(1, options.offsetsTopicPartitions);
        if (!store.hasTopic(GroupCoordinator::kOffsetsTopic)) {
            TopicConfig config;
            config.partitions = partitions;
            config.retentionMs = -1;
            config.retentionBytes = -1;
            config.segmentBytes = 16LL << 20;
            const KafkaError e = store.createTopic(GroupCoordinator::kOffsetsTopic, config);
            if (e != KafkaError::None && e != KafkaError::TopicAlreadyExists)
                return pw::fail(pw::Error::Code::Io,
                    QStringLiteral("cannot create __consumer_offsets: %1")
                        .arg(QString::fromUtf8(
                            kafkaErrorName(e).data(), static_cast<qsizetype>(kafkaErrorName(e).size()))));
        } else if (auto cfg = store.topicConfig(GroupCoordinator::kOffsetsTopic)) {
            // The placement of groups follows the partition count the topic really has.
            options.offsetsTopicPartitions = cfg->partitions;
        }
        std::lock_guard lock(mutex);
        groups.clear();
        size_t recordCount = 0;
        appendedSinceCompaction.assign(static_cast<size_t>(partitionCount()), 0);
        for (int32_t p = 0; p < partitionCount(); ++p) {
            auto log = store.partition(GroupCoordinator::kOffsetsTopic, p);
            if (!log)
                continue;
            // Committed offsets must outlive any time or size retention (compaction bounds the topic instead),
            // also for a topic created before this setting existed.
            PartitionLogConfig logConfig = log->config();
            logConfig.retentionMs = -1;
            logConfig.retentionBytes = -1;
            log->setConfig(logConfig);
            int64_t offset = log->logStartOffset();
            const int64_t end = log->logEndOffset();
            while (offset < end) {
                ReadResult rr = log->read(offset, 1 << 20);
                if (rr.error != KafkaError::None || rr.records.empty())
                    break;
                std::span<const uint8_t> rest(rr.records);
                int64_t next = offset;
                while (!rest.empty()) {
                    auto header = parseRecordBatchHeader(rest);
                    if (!header)
                        break;
                    const size_t size = header->totalSize();
                    if (auto recs = decodeRecords(rest.first(size))) {
                        for (const auto& rec : *recs) {
                            if (rec.offset >= 0 && rec.offset < offset)
                                continue;
                            applyRecord(rec);
                            ++recordCount;
                            ++appendedSinceCompaction[static_cast<size_t>(p)];
                        }
                    }
                    next = std::max(next, header->lastOffset() + 1);
                    rest = rest.subspan(size);
                }
                if (next <= offset)
                    break;
                offset = next;
            }
        }
        // Restored members keep their generation; those that do not come back time out and trigger a rebalance.
        const auto now = Clock::now();
        for (auto& [id, g] : groups) {
            g.state = g.members.empty() ? State::Empty : State::Stable;
            for (auto& [mid, m] : g.members)
                m.sessionDeadline = now + std::chrono::milliseconds(m.sessionTimeoutMs);
        }
        qCInfo(lcGroups) << "loaded" << groups.size() << "groups from" << recordCount
                         << "records of __consumer_offsets";
        loadedGroups = groups.size();
        loadedRecords = recordCount;
        for (int32_t p = 0; p < partitionCount(); ++p)
            maybeCompact(p);
        stopped = false;
        scheduleTick();
        return {};
    }

    GroupInfo info(const Group& g) const
    {
        GroupInfo i;
        i.groupId = g.id;
        i.state = g.state;
        i.protocolType = g.protocolType;
        i.protocol = g.protocol.value_or(std::string());
        i.generation = g.generation;
        i.leader = g.leader;
        for (const Member& m : orderedMembers(g))
            i.members.push_back(m.id);
        for (const auto& [key, e] : g.offsets)
            i.offsets.push_back({key.first, key.second, e.offset, e.metadata});
        return i;
    }
};

GroupCoordinator::GroupCoordinator(boost::asio::io_context& io, LogStore& store, Options options)
    : d(std::make_shared<Private>(io, store, std::move(options)))
{ }

GroupCoordinator::~GroupCoordinator()
{
    shutdown();
}

pw::Result<void> GroupCoordinator::load()
{
    return d->load();
}

std::pair<size_t, size_t> GroupCoordinator::loadedGroupsAndRecords() const
{
    return {d->loadedGroups, d->loadedRecords};
}

std::vector<ApiRange> GroupCoordinator::supportedApis()
{
    return {
        {static_cast<int16_t>(ApiKey::FindCoordinator), 0, 2},
        {static_cast<int16_t>(ApiKey::JoinGroup), 0, 5},
        {static_cast<int16_t>(ApiKey::Heartbeat), 0, 3},
        {static_cast<int16_t>(ApiKey::LeaveGroup), 0, 3},
        {static_cast<int16_t>(ApiKey::SyncGroup), 0, 3},
        {static_cast<int16_t>(ApiKey::OffsetCommit), 0, 7},
        {static_cast<int16_t>(ApiKey::OffsetFetch), 0, 7},
        {static_cast<int16_t>(ApiKey::DescribeGroups), 0, 4},
        {static_cast<int16_t>(ApiKey::ListGroups), 0, 4},
        {static_cast<int16_t>(ApiKey::DeleteGroups), 0, 1},
        {static_cast<int16_t>(ApiKey::OffsetDelete), 0, 0},
    };
}

bool GroupCoordinator::handlesApi(int16_t apiKey)
{
    for (const auto& r : supportedApis())
        if (r.apiKey == apiKey)
            return true;
    return false;
}

void GroupCoordinator::handle(const RequestContext& ctx, WireReader& body, Respond respond)
{
    Outbox out;
    {
        std::lock_guard lock(d->mutex);
        if (d->stopped) {
            // Only reachable during shutdown: the closest answer every version understands is the error-only form.
            WireWriter w;
            w.i16(code(KafkaError::CoordinatorNotAvailable));
            out.emplace_back(std::move(respond), w.take());
        } else {
            switch (static_cast<ApiKey>(ctx.apiKey)) {
            case ApiKey::FindCoordinator:
                d->findCoordinator(ctx, body, respond, out);
                break;
            case ApiKey::JoinGroup:
                d->joinGroup(ctx, body, respond, out);
                break;
            case ApiKey::SyncGroup:
                d->syncGroup(ctx, body, respond, out);
                break;
            case ApiKey::Heartbeat:
                d->heartbeat(ctx, body, respond, out);
                break;
            case ApiKey::LeaveGroup:
                d->leaveGroup(ctx, body, respond, out);
                break;
            case ApiKey::OffsetCommit:
                d->offsetCommit(ctx, body, respond, out);
                break;
            case ApiKey::OffsetFetch:
                d->offsetFetch(ctx, body, respond, out);
                break;
            case ApiKey::ListGroups:
                d->listGroups(ctx, body, respond, out);
                break;
            case ApiKey::DescribeGroups:
                d->describeGroups(ctx, body, respond, out);
                break;
            case ApiKey::DeleteGroups:
                d->deleteGroups(ctx, body, respond, out);
                break;
            case ApiKey::OffsetDelete:
                d->offsetDelete(ctx, body, respond, out);
                break;
            default: {
                WireWriter w;
                w.i16(code(KafkaError::UnsupportedVersion));
                out.emplace_back(std::move(respond), w.take());
                break;
            }
            }
        }
    }
    deliver(out);
}

void GroupCoordinator::topicDeleted(const std::string& topic)
{
    std::lock_guard lock(d->mutex);
    for (auto& [groupId, g] : d->groups) {
        std::vector<SimpleRecord> records;
        std::vector<std::pair<std::string, int32_t>> keys;
        for (auto it = g.offsets.lower_bound({topic, std::numeric_limits<int32_t>::min()});
             it != g.offsets.end() && it->first.first == topic; ++it) {
            SimpleRecord tombstone;
            tombstone.key = encodeOffsetCommitKey({groupId, topic, it->first.second});
            tombstone.timestampMs = wallMs();
            records.push_back(std::move(tombstone));
            keys.push_back(it->first);
        }
        if (records.empty())
            continue;
        // Kept when the tombstones cannot be written: the offsets would come back at the next load anyway.
        if (const KafkaError written = d->appendRecords(groupId, records); written != KafkaError::None) {
            qCWarning(lcGroups) << "group" << q(groupId) << "keeps its offsets of deleted topic" << q(topic) << ":"
                                << QByteArray::fromStdString(std::string(kafkaErrorName(written)));
            continue;
        }
        for (const auto& key : keys)
            g.offsets.erase(key);
        qCInfo(lcGroups) << "group" << q(groupId) << "dropped" << keys.size() << "offsets of deleted topic" << q(topic);
    }
}

void GroupCoordinator::connectionClosed(uint64_t connectionId)
{
    Outbox out;
    {
        std::lock_guard lock(d->mutex);
        for (auto& [gid, g] : d->groups) {
            std::vector<std::string> orphans;
            for (auto& [mid, m] : g.members) {
                if (m.join && m.join->connectionId == connectionId) {
                    m.join.reset();
                    // A new member whose first join dies with its connection can never learn its id: waiting for
                    // its session to expire would only hold the rebalance up (the client joins again afresh).
                    if (!m.knowsId)
                        orphans.push_back(mid);
                }
                if (m.sync && m.sync->connectionId == connectionId)
                    m.sync.reset();
            }
            for (const auto& id : orphans) {
                qCInfo(lcGroups) << "group" << q(g.id) << "new member" << q(id) << "disconnected before joining";
                d->removeMember(g, id, KafkaError::UnknownMemberId, out);
            }
        }
    }
    deliver(out);
}

void GroupCoordinator::setAdvertisedAddress(std::string host, int32_t port)
{
    std::lock_guard lock(d->mutex);
    d->options.host = std::move(host);
    d->options.port = port;
}

void GroupCoordinator::shutdown()
{
    Outbox out;
    {
        std::lock_guard lock(d->mutex);
        if (d->stopped)
            return;
        d->stopped = true;
        d->tick.cancel();
        for (auto& [gid, g] : d->groups)
            for (auto& [mid, m] : g.members)
                d->failPending(m, KafkaError::NotCoordinator, out);
    }
    deliver(out);
}

std::vector<GroupCoordinator::GroupInfo> GroupCoordinator::groups() const
{
    std::lock_guard lock(d->mutex);
    std::vector<GroupInfo> result;
    for (const auto& [id, g] : d->groups)
        result.push_back(d->info(g));
    return result;
}

std::optional<GroupCoordinator::GroupInfo> GroupCoordinator::group(const std::string& groupId) const
{
    std::lock_guard lock(d->mutex);
    auto it = d->groups.find(groupId);
    if (it == d->groups.end())
        return std::nullopt;
    return d->info(it->second);
}

} // namespace pw::broker
