// The group coordinator driven directly with encoded requests (no network, no timers: the io_context never runs,
// so only what requests cause is observed). Session expiry and real clients are covered by tst_brokergroups.
#include "broker/groupcoordinator.h"
#include "broker/kafkaerror.h"
#include "broker/logstore.h"
#include "broker/wire.h"

#include <QTemporaryDir>
#include <QTest>

#include <boost/asio/io_context.hpp>

using namespace pw::broker;

namespace {

/// Collects the answers of one request; `count` shows a late answer arriving or a missing one.
struct Capture
{
    std::shared_ptr<std::vector<std::vector<uint8_t>>> bodies = std::make_shared<std::vector<std::vector<uint8_t>>>();
    Respond respond()
    {
        return [b = bodies](ResponseBody body) { b->push_back(body.joined()); };
    }
    size_t count() const { return bodies->size(); }
    std::vector<uint8_t> body() const { return bodies->empty() ? std::vector<uint8_t>() : bodies->back(); }
};

struct JoinResult
{
    int16_t error = -1;
    int32_t generation = -1;
    std::string protocol, leader, memberId;
    std::vector<std::string> members;
};

JoinResult parseJoin(const std::vector<uint8_t>& body, int16_t version)
{
    WireReader r(body);
    JoinResult j;
    if (version >= 2)
        r.i32();
    j.error = r.i16();
    j.generation = r.i32();
    j.protocol = r.string();
    j.leader = r.string();
    j.memberId = r.string();
    const int32_t n = r.arrayLength(false);
    for (int32_t i = 0; i < n; ++i) {
        j.members.push_back(r.string());
        if (version >= 5)
            r.nullableString();
        r.bytesView();
    }
    return j;
}

std::pair<int16_t, std::vector<uint8_t>> parseSync(const std::vector<uint8_t>& body)
{
    WireReader r(body);
    r.i32();
    const int16_t e = r.i16();
    auto a = r.bytesView();
    return {e, std::vector<uint8_t>(a.begin(), a.end())};
}

} // namespace

class TestGroupCoordinator : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<LogStore> m_store;
    boost::asio::io_context m_io;
    std::unique_ptr<GroupCoordinator> m_coordinator;
    uint64_t m_connection = 1;

    RequestContext ctx(ApiKey key, int16_t version, std::string clientId = "client")
    {
        RequestContext c;
        c.apiKey = static_cast<int16_t>(key);
        c.apiVersion = version;
        c.clientId = std::move(clientId);
        c.clientAddress = "127.0.0.1";
        c.connectionId = m_connection;
        return c;
    }

    Capture send(ApiKey key, int16_t version, const std::vector<uint8_t>& body, std::string clientId = "client")
    {
        Capture c;
        WireReader r(body);
        m_coordinator->handle(ctx(key, version, std::move(clientId)), r, c.respond());
        return c;
    }

    Capture join(const std::string& group, const std::string& memberId, const std::string& clientId,
        std::vector<uint8_t> metadata = {0, 1})
    {
        WireWriter w;
        w.string(group);
        w.i32(10000);
        w.i32(20000);
        w.string(memberId);
        w.nullableString(std::nullopt);
        w.string("consumer");
        w.arrayLength(2, false);
        w.string("range");
        w.bytes(metadata);
        w.string("roundrobin");
        w.bytes(metadata);
        return send(ApiKey::JoinGroup, 5, w.take(), clientId);
    }

    Capture sync(const std::string& group, int32_t generation, const std::string& memberId,
        const std::vector<std::pair<std::string, std::vector<uint8_t>>>& assignments = {})
    {
        WireWriter w;
        w.string(group);
        w.i32(generation);
        w.string(memberId);
        w.nullableString(std::nullopt);
        w.arrayLength(static_cast<int32_t>(assignments.size()), false);
        for (const auto& [id, bytes] : assignments) {
            w.string(id);
            w.bytes(bytes);
        }
        return send(ApiKey::SyncGroup, 3, w.take());
    }

    int16_t heartbeat(const std::string& group, int32_t generation, const std::string& memberId)
    {
        WireWriter w;
        w.string(group);
        w.i32(generation);
        w.string(memberId);
        w.nullableString(std::nullopt);
        auto c = send(ApiKey::Heartbeat, 3, w.take());
        const auto rbody = c.body();
        WireReader r(rbody);
        r.i32();
        return r.i16();
    }

    int16_t leave(const std::string& group, const std::string& memberId)
    {
        WireWriter w;
        w.string(group);
        w.string(memberId);
        auto c = send(ApiKey::LeaveGroup, 1, w.take());
        const auto rbody = c.body();
        WireReader r(rbody);
        r.i32();
        return r.i16();
    }

    // OffsetCommit v7 of partitions 0 and 1 of topic "t"; returns the per-partition error codes.
    std::vector<int16_t> commit(const std::string& group, int32_t generation, const std::string& memberId,
        int64_t offset, const std::string& topic = "t")
    {
        WireWriter w;
        w.string(group);
        w.i32(generation);
        w.string(memberId);
        w.nullableString(std::nullopt);
        w.arrayLength(1, false);
        w.string(topic);
        w.arrayLength(2, false);
        for (int p = 0; p < 2; ++p) {
            w.i32(p);
            w.i64(offset + p);
            w.i32(-1);
            w.nullableString(std::string("meta"));
        }
        auto c = send(ApiKey::OffsetCommit, 7, w.take());
        const auto rbody = c.body();
        WireReader r(rbody);
        r.i32();
        std::vector<int16_t> errors;
        const int32_t nt = r.arrayLength(false);
        for (int32_t i = 0; i < nt; ++i) {
            r.string();
            const int32_t np = r.arrayLength(false);
            for (int32_t j = 0; j < np; ++j) {
                r.i32();
                errors.push_back(r.i16());
            }
        }
        return errors;
    }

    // OffsetFetch v7 (flexible) with topics = null: every committed offset as (topic, partition) → offset.
    std::map<std::pair<std::string, int32_t>, int64_t> fetchAll(const std::string& group)
    {
        WireWriter w;
        w.compactString(group);
        w.arrayLength(-1, true);
        w.boolean(false);
        w.emptyTaggedFields();
        auto c = send(ApiKey::OffsetFetch, 7, w.take());
        const auto rbody = c.body();
        WireReader r(rbody);
        r.i32();
        std::map<std::pair<std::string, int32_t>, int64_t> result;
        const int32_t nt = r.arrayLength(true);
        for (int32_t i = 0; i < nt; ++i) {
            const std::string topic = r.compactString();
            const int32_t np = r.arrayLength(true);
            for (int32_t j = 0; j < np; ++j) {
                const int32_t p = r.i32();
                const int64_t o = r.i64();
                r.i32();
                r.compactNullableString();
                r.i16();
                r.skipTaggedFields();
                result[{topic, p}] = o;
            }
            r.skipTaggedFields();
        }
        const int16_t top = r.i16();
        r.skipTaggedFields();
        if (r.failed() || r.remaining() != 0 || top != 0)
            result[{"<malformed>", -1}] = -1;
        return result;
    }

    void newCoordinator(int64_t compactionMinRecords = 10000)
    {
        if (m_coordinator)
            m_coordinator->shutdown();
        GroupCoordinator::Options options;
        options.compactionMinRecords = compactionMinRecords;
        options.host = "127.0.0.1";
        options.port = 19092;
        m_coordinator = std::make_unique<GroupCoordinator>(m_io, *m_store, options);
        auto loaded = m_coordinator->load();
        QVERIFY2(loaded, qPrintable(loaded ? QString() : loaded.error().toString()));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        LogOptions options;
        options.dataDir = m_dir.path().toStdString();
        auto store = LogStore::open(options);
        QVERIFY2(store, qPrintable(store ? QString() : store.error().toString()));
        m_store = std::move(*store);
        QCOMPARE(m_store->createTopic("t", TopicConfig {2, {}, {}, {}}), KafkaError::None);
        newCoordinator();
        QVERIFY(m_store->hasTopic(GroupCoordinator::kOffsetsTopic));
    }

    void cleanupTestCase()
    {
        m_coordinator.reset();
        m_store.reset();
    }

    void findCoordinator()
    {
        WireWriter v0;
        v0.string("g");
        auto c0 = send(ApiKey::FindCoordinator, 0, v0.take());
        QCOMPARE(c0.count(), size_t(1));
        const auto r0body = c0.body();
        WireReader r0(r0body);
        QCOMPARE(r0.i16(), 0);
        QCOMPARE(r0.i32(), 0);
        QCOMPARE(r0.string(), std::string("127.0.0.1"));
        QCOMPARE(r0.i32(), 19092);
        QCOMPARE(r0.remaining(), size_t(0));

        WireWriter v2;
        v2.string("g");
        v2.i8(0);
        auto c2 = send(ApiKey::FindCoordinator, 2, v2.take());
        const auto r2body = c2.body();
        WireReader r2(r2body);
        QCOMPARE(r2.i32(), 0); // throttle
        QCOMPARE(r2.i16(), 0);
        QCOMPARE(r2.nullableString(), std::optional<std::string>());
        QCOMPARE(r2.i32(), 0);
        QCOMPARE(r2.string(), std::string("127.0.0.1"));
        QCOMPARE(r2.i32(), 19092);
        QCOMPARE(r2.remaining(), size_t(0));
    }

    void rebalanceOfTwoMembers()
    {
        auto ja = join("g1", "", "a");
        QCOMPARE(ja.count(), size_t(1)); // alone: the join completes at once
        const JoinResult a1 = parseJoin(ja.body(), 5);
        QCOMPARE(a1.error, 0);
        QCOMPARE(a1.generation, 1);
        QCOMPARE(a1.protocol, std::string("range"));
        QCOMPARE(a1.leader, a1.memberId);
        QCOMPARE(a1.members.size(), size_t(1));
        auto sa = sync("g1", 1, a1.memberId, {{a1.memberId, {9}}});
        QCOMPARE(sa.count(), size_t(1));
        QCOMPARE(parseSync(sa.body()), std::make_pair(int16_t(0), std::vector<uint8_t> {9}));
        QCOMPARE(m_coordinator->group("g1")->state, GroupCoordinator::GroupState::Stable);

        // A second member: its join waits until the first rejoins; the first learns it from its heartbeat.
        auto jb = join("g1", "", "b");
        QCOMPARE(jb.count(), size_t(0));
        QCOMPARE(m_coordinator->group("g1")->state, GroupCoordinator::GroupState::PreparingRebalance);
        QCOMPARE(heartbeat("g1", 1, a1.memberId), code(KafkaError::RebalanceInProgress));
        auto ja2 = join("g1", a1.memberId, "a");
        QCOMPARE(ja2.count(), size_t(1));
        QCOMPARE(jb.count(), size_t(1));
        const JoinResult a2 = parseJoin(ja2.body(), 5);
        const JoinResult b2 = parseJoin(jb.body(), 5);
        QCOMPARE(a2.generation, 2);
        QCOMPARE(b2.generation, 2);
        QCOMPARE(a2.leader, a1.memberId); // the leader stays
        QCOMPARE(a2.members.size(), size_t(2)); // only the leader gets the members
        QCOMPARE(b2.members.size(), size_t(0));
        QVERIFY(b2.memberId.starts_with("b-"));

        // The follower's sync waits for the leader's assignments.
        auto sb = sync("g1", 2, b2.memberId);
        QCOMPARE(sb.count(), size_t(0));
        QCOMPARE(heartbeat("g1", 2, b2.memberId), 0); // CompletingRebalance: heartbeats are fine
        QCOMPARE(parseSync(sync("g1", 1, a1.memberId).body()).first, code(KafkaError::IllegalGeneration));
        auto sa2 = sync("g1", 2, a1.memberId, {{a1.memberId, {1}}, {b2.memberId, {2, 2}}});
        QCOMPARE(sa2.count(), size_t(1));
        QCOMPARE(sb.count(), size_t(1));
        QCOMPARE(parseSync(sa2.body()), std::make_pair(int16_t(0), std::vector<uint8_t> {1}));
        QCOMPARE(parseSync(sb.body()), std::make_pair(int16_t(0), std::vector<uint8_t> {2, 2}));
        QCOMPARE(heartbeat("g1", 2, b2.memberId), 0);
        QCOMPARE(heartbeat("g1", 2, "stranger"), code(KafkaError::UnknownMemberId));
        const auto info = m_coordinator->group("g1");
        QCOMPARE(info->state, GroupCoordinator::GroupState::Stable);
        QCOMPARE(info->generation, 2);
        QCOMPARE(info->members.size(), size_t(2));

        // Member commits are checked against the generation; the admin form is refused while members exist.
        QCOMPARE(commit("g1", 2, b2.memberId, 10), (std::vector<int16_t> {0, 0}));
        QCOMPARE(commit("g1", 1, b2.memberId, 10), (std::vector<int16_t> {22, 22}));
        QCOMPARE(commit("g1", -1, "", 0), (std::vector<int16_t> {25, 25}));
        QCOMPARE(commit("g1", 2, b2.memberId, 10, "missing-topic"), (std::vector<int16_t> {3, 3}));

        // One leaves: the other must rejoin; when the last leaves the group is Empty with a new generation.
        QCOMPARE(leave("g1", b2.memberId), 0);
        QCOMPARE(m_coordinator->group("g1")->state, GroupCoordinator::GroupState::PreparingRebalance);
        QCOMPARE(heartbeat("g1", 2, a1.memberId), code(KafkaError::RebalanceInProgress));
        auto ja3 = join("g1", a1.memberId, "a");
        QCOMPARE(parseJoin(ja3.body(), 5).generation, 3);
        QCOMPARE(leave("g1", a1.memberId), 0);
        QCOMPARE(leave("g1", a1.memberId), code(KafkaError::UnknownMemberId));
        QCOMPARE(m_coordinator->group("g1")->state, GroupCoordinator::GroupState::Empty);
        QCOMPARE(m_coordinator->group("g1")->generation, 4);

        // Now the admin alteration goes through.
        QCOMPARE(commit("g1", -1, "", 5), (std::vector<int16_t> {0, 0}));
        const auto all = fetchAll("g1");
        QCOMPARE(all.size(), size_t(2));
        QCOMPARE(all.at({"t", 0}), 5);
        QCOMPARE(all.at({"t", 1}), 6);
    }

    void inconsistentProtocolIsRejected()
    {
        auto ja = join("g2", "", "a");
        QCOMPARE(parseJoin(ja.body(), 5).error, 0);
        WireWriter w;
        w.string("g2");
        w.i32(10000);
        w.i32(20000);
        w.string("");
        w.nullableString(std::nullopt);
        w.string("consumer");
        w.arrayLength(1, false);
        w.string("sticky-only");
        w.bytes(std::vector<uint8_t> {});
        auto c = send(ApiKey::JoinGroup, 5, w.take());
        QCOMPARE(c.count(), size_t(1));
        QCOMPARE(parseJoin(c.body(), 5).error, code(KafkaError::InconsistentGroupProtocol));
    }

    void listAndDescribe()
    {
        // ListGroups v4 (flexible) with a states filter.
        auto list = [&](std::vector<std::string> states) {
            WireWriter w;
            w.arrayLength(static_cast<int32_t>(states.size()), true);
            for (const auto& s : states)
                w.compactString(s);
            w.emptyTaggedFields();
            auto c = send(ApiKey::ListGroups, 4, w.take());
            const auto rbody = c.body();
            WireReader r(rbody);
            r.i32();
            r.i16();
            std::map<std::string, std::string> groups;
            const int32_t n = r.arrayLength(true);
            for (int32_t i = 0; i < n; ++i) {
                const std::string id = r.compactString();
                r.compactString();
                groups[id] = r.compactString();
                r.skipTaggedFields();
            }
            r.skipTaggedFields();
            return r.failed() || r.remaining() ? std::map<std::string, std::string> {{"<malformed>", ""}} : groups;
        };
        const auto all = list({});
        QCOMPARE(all.at("g1"), std::string("Empty"));
        QCOMPARE(all.at("g2"), std::string("CompletingRebalance")); // joined, never synced
        const auto completing = list({"CompletingRebalance", "Stable"});
        QCOMPARE(completing.size(), size_t(1));
        QVERIFY(completing.contains("g2"));
        QCOMPARE(list({"Dead"}).size(), size_t(0));

        // ListGroups v0 has no state and no throttle time.
        auto c0 = send(ApiKey::ListGroups, 0, {});
        const auto r0body = c0.body();
        WireReader r0(r0body);
        QCOMPARE(r0.i16(), 0);
        QCOMPARE(r0.arrayLength(false), 2);

        // DescribeGroups v4: an unknown group is reported Dead without an error, as Kafka does.
        WireWriter w;
        w.arrayLength(2, false);
        w.string("g2");
        w.string("nobody");
        w.boolean(false);
        auto c = send(ApiKey::DescribeGroups, 4, w.take());
        const auto rbody = c.body();
        WireReader r(rbody);
        r.i32();
        QCOMPARE(r.arrayLength(false), 2);
        QCOMPARE(r.i16(), 0);
        QCOMPARE(r.string(), std::string("g2"));
        QCOMPARE(r.string(), std::string("CompletingRebalance"));
        QCOMPARE(r.string(), std::string("consumer"));
        QCOMPARE(r.string(), std::string()); // protocol only once Stable
        QCOMPARE(r.arrayLength(false), 1);
        r.string();
        r.nullableString();
        QCOMPARE(r.string(), std::string("a"));
        QCOMPARE(r.string(), std::string("/127.0.0.1"));
        r.bytesView();
        r.bytesView();
        QCOMPARE(r.i32(), INT32_MIN);
        QCOMPARE(r.i16(), 0);
        QCOMPARE(r.string(), std::string("nobody"));
        QCOMPARE(r.string(), std::string("Dead"));
        r.string();
        r.string();
        QCOMPARE(r.arrayLength(false), 0);
        r.i32();
        QVERIFY(!r.failed());
        QCOMPARE(r.remaining(), size_t(0));
    }

    void joinDuringCompletingRebalanceWaitsForTheNextGeneration()
    {
        // The leader has its join answer but has not synced yet when a new member arrives: the newcomer's join
        // must stay pending (not fail), and the leader's sync of the abandoned generation fails.
        const JoinResult a = parseJoin(join("g5", "", "a").body(), 5);
        QCOMPARE(m_coordinator->group("g5")->state, GroupCoordinator::GroupState::CompletingRebalance);
        auto jb = join("g5", "", "b");
        QCOMPARE(jb.count(), size_t(0));
        QCOMPARE(parseSync(sync("g5", 1, a.memberId, {{a.memberId, {}}}).body()).first,
            code(KafkaError::RebalanceInProgress));
        auto ja = join("g5", a.memberId, "a");
        QCOMPARE(ja.count(), size_t(1));
        QCOMPARE(jb.count(), size_t(1));
        QCOMPARE(parseJoin(jb.body(), 5).error, 0);
        QCOMPARE(parseJoin(jb.body(), 5).generation, 2);
        QCOMPARE(m_coordinator->group("g5")->members.size(), size_t(2));
        const JoinResult b = parseJoin(jb.body(), 5);
        QCOMPARE(leave("g5", b.memberId), 0);
        QCOMPARE(leave("g5", a.memberId), 0);
    }

    void newMemberDisconnectingBeforeItsJoinIsDropped()
    {
        const JoinResult a = parseJoin(join("g4", "", "a").body(), 5);
        QCOMPARE(parseSync(sync("g4", 1, a.memberId, {{a.memberId, {}}}).body()).first, 0);
        m_connection = 2;
        auto jb = join("g4", "", "b");
        m_connection = 1;
        QCOMPARE(jb.count(), size_t(0));
        QCOMPARE(m_coordinator->group("g4")->members.size(), size_t(2));
        m_coordinator->connectionClosed(2);
        QCOMPARE(m_coordinator->group("g4")->members.size(), size_t(1));
        // The remaining member's rejoin completes the rebalance without waiting for the vanished one.
        auto ja = join("g4", a.memberId, "a");
        QCOMPARE(ja.count(), size_t(1));
        QCOMPARE(parseJoin(ja.body(), 5).generation, 2);
        QCOMPARE(leave("g4", a.memberId), 0);
        QCOMPARE(m_coordinator->group("g4")->state, GroupCoordinator::GroupState::Empty);
    }

    void deleteOffsetsAndGroups()
    {
        auto deleteGroup = [&](const std::string& id) {
            WireWriter w;
            w.arrayLength(1, false);
            w.string(id);
            auto c = send(ApiKey::DeleteGroups, 1, w.take());
            const auto rbody = c.body();
            WireReader r(rbody);
            r.i32();
            r.arrayLength(false);
            r.string();
            return r.i16();
        };
        QCOMPARE(deleteGroup("g2"), code(KafkaError::NonEmptyGroup));
        QCOMPARE(deleteGroup("nobody"), code(KafkaError::GroupIdNotFound));

        // OffsetDelete of one partition of the empty group g1.
        WireWriter w;
        w.string("g1");
        w.arrayLength(1, false);
        w.string("t");
        w.arrayLength(1, false);
        w.i32(1);
        auto c = send(ApiKey::OffsetDelete, 0, w.take());
        const auto rbody = c.body();
        WireReader r(rbody);
        QCOMPARE(r.i16(), 0);
        r.i32();
        QCOMPARE(r.arrayLength(false), 1);
        r.string();
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i32(), 1);
        QCOMPARE(r.i16(), 0);
        const auto left = fetchAll("g1");
        QCOMPARE(left.size(), size_t(1));
        QVERIFY(left.contains({"t", 0}));

        // An offsets-only group (admin commit of an unknown group) that is then deleted.
        QCOMPARE(commit("g3", -1, "", 40), (std::vector<int16_t> {0, 0}));
        QCOMPARE(fetchAll("g3").size(), size_t(2));
        QCOMPARE(deleteGroup("g3"), 0);
        QVERIFY(!m_coordinator->group("g3"));
        QCOMPARE(fetchAll("g3").size(), size_t(0));
    }

    void loadRebuildsFromTheLog()
    {
        newCoordinator();
        const auto g1 = m_coordinator->group("g1");
        QVERIFY(g1);
        QCOMPARE(g1->state, GroupCoordinator::GroupState::Empty);
        QCOMPARE(g1->generation, 4);
        QCOMPARE(g1->offsets.size(), size_t(1)); // partition 1 was deleted
        QCOMPARE(g1->offsets.front().offset, 5);
        QCOMPARE(g1->offsets.front().metadata, std::string("meta"));
        QVERIFY(!m_coordinator->group("g3")); // tombstoned
        // g2 never reached Stable, so only its (empty) generations were written; g1's members are gone.
        const auto all = fetchAll("g1");
        QCOMPARE(all.at({"t", 0}), 5);
    }

    void compactionKeepsTheLatestState()
    {
        newCoordinator(40);
        auto log = m_store->partition(GroupCoordinator::kOffsetsTopic, 0);
        QVERIFY(log);
        QCOMPARE(log->config().retentionMs, -1); // offsets never expire by time
        const int64_t startBefore = log->logStartOffset();
        for (int i = 0; i < 30; ++i)
            QCOMPARE(commit("gc", -1, "", 100 + i), (std::vector<int16_t> {0, 0}));
        // 60 records for 2 live keys (+ the other groups' few): compacted, older records gone from the log.
        QVERIFY(log->logStartOffset() > startBefore);
        QVERIFY(log->logEndOffset() - log->logStartOffset() < 40);
        QCOMPARE(fetchAll("gc").at({"t", 1}), 130);

        // Everything live survives a reload from the compacted log.
        newCoordinator();
        QCOMPARE(fetchAll("gc").at({"t", 0}), 129);
        QCOMPARE(fetchAll("gc").at({"t", 1}), 130);
        QCOMPARE(fetchAll("g1").at({"t", 0}), 5);
        QCOMPARE(m_coordinator->group("g1")->generation, 4);
        QVERIFY(!m_coordinator->group("g3"));
    }

    void malformedRequestsGetOneAnswer_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("version");
        for (const auto& r : GroupCoordinator::supportedApis())
            for (int16_t v = r.minVersion; v <= r.maxVersion; ++v)
                QTest::addRow("key%d-v%d", r.apiKey, v) << int(r.apiKey) << int(v);
    }

    void malformedRequestsGetOneAnswer()
    {
        QFETCH(int, key);
        QFETCH(int, version);
        // Truncated bodies of every length up to 12 bytes of 0xFF (negative lengths, absurd counts).
        for (size_t len = 0; len <= 12; ++len) {
            const std::vector<uint8_t> body(len, 0xFF);
            auto c = send(static_cast<ApiKey>(key), static_cast<int16_t>(version), body);
            QCOMPARE(c.count(), size_t(1));
        }
    }
};

QTEST_GUILESS_MAIN(TestGroupCoordinator)
#include "tst_groupcoordinator.moc"
