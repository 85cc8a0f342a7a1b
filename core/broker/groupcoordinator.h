#pragma once

#include "broker/wire.h"
#include "model/error.h"

#include <QLoggingCategory>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

Q_DECLARE_LOGGING_CATEGORY(lcGroups)

namespace pw::broker {

class LogStore;

/// The consumer-group coordinator of the embedded broker: FindCoordinator, the classic JoinGroup/SyncGroup rebalance
/// with heartbeats and session/rebalance timeouts, OffsetCommit/OffsetFetch (including the admin offset alteration of
/// an empty group at generation -1), ListGroups, DescribeGroups, DeleteGroups and OffsetDelete. Offsets and group
/// metadata are appended to `__consumer_offsets` in Kafka's record format and rebuilt from it by load().
///
/// Thread-safe: handle() may run concurrently on the server's threads; one mutex guards the groups, responses are
/// delivered outside it. JoinGroup and SyncGroup answer later (from another request's thread or the timer).
class GroupCoordinator
{
public:
    static constexpr const char* kOffsetsTopic = "__consumer_offsets";

    struct Options
    {
        int32_t nodeId = 0;
        std::string host = "127.0.0.1";
        int32_t port = 9092;
        int32_t offsetsTopicPartitions = 1;
        int32_t minSessionTimeoutMs = 1000;
        int32_t maxSessionTimeoutMs = 30 * 60 * 1000;
        /// How long the first rebalance of an empty group waits for more members (Kafka's
        /// group.initial.rebalance.delay.ms), bounded by the rebalance timeout. 0 completes as soon as all joined.
        int32_t initialRebalanceDelayMs = 0;
        /// Period of the timer that expires sessions and ends join phases.
        int32_t tickMs = 100;
        /// A partition of __consumer_offsets is compacted (live state re-appended, older records deleted) once this
        /// many records were appended since the last compaction and they are at least four times the live keys.
        int64_t compactionMinRecords = 10000;
    };

    enum class GroupState
    {
        Empty,
        PreparingRebalance,
        CompletingRebalance,
        Stable,
        Dead,
    };
    static const char* stateName(GroupState state);

    /// A read-only view of one group, for tests and status pages.
    struct GroupInfo
    {
        std::string groupId;
        GroupState state = GroupState::Empty;
        std::string protocolType;
        std::string protocol;
        int32_t generation = 0;
        std::string leader;
        std::vector<std::string> members;
        struct Offset
        {
            std::string topic;
            int32_t partition = 0;
            int64_t offset = -1;
            std::string metadata;
        };
        std::vector<Offset> offsets;
    };

    GroupCoordinator(boost::asio::io_context& io, LogStore& store, Options options);
    ~GroupCoordinator();
    GroupCoordinator(const GroupCoordinator&) = delete;
    GroupCoordinator& operator=(const GroupCoordinator&) = delete;

    /// Creates `__consumer_offsets` if missing, rebuilds groups and committed offsets from it, starts the timer.
    pw::Result<void> load();
    /// What load() found: groups, and the __consumer_offsets records read to rebuild them.
    std::pair<size_t, size_t> loadedGroupsAndRecords() const;

    /// FindCoordinator 0–2, JoinGroup 0–5, Heartbeat 0–3, LeaveGroup 0–3, SyncGroup 0–3, OffsetCommit 0–7,
    /// OffsetFetch 0–7, DescribeGroups 0–4, ListGroups 0–4, DeleteGroups 0–1, OffsetDelete 0.
    static std::vector<ApiRange> supportedApis();
    static bool handlesApi(int16_t apiKey);

    /// Serves one request of a key in supportedApis(); `respond` is called exactly once, possibly later.
    void handle(const RequestContext& ctx, WireReader& body, Respond respond);
    /// Pending JoinGroup/SyncGroup answers of that connection are dropped (the members stay until they time out).
    void connectionClosed(uint64_t connectionId);
    void setAdvertisedAddress(std::string host, int32_t port);
    /// A topic was deleted: every group's offsets on it are dropped (tombstones in `__consumer_offsets`), as Kafka
    /// does since 2.1, so no group lists offsets of partitions that no longer exist.
    void topicDeleted(const std::string& topic);
    /// Stops the timer and answers every pending request with NOT_COORDINATOR.
    void shutdown();

    std::vector<GroupInfo> groups() const;
    std::optional<GroupInfo> group(const std::string& groupId) const;

private:
    struct Private;
    std::shared_ptr<Private> d;
};

} // namespace pw::broker
