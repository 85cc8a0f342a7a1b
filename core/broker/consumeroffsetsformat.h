#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pw::broker {

// Keys and values of the records in `__consumer_offsets`, in Kafka's own binary layout (each key and value starts
// with an int16 schema version, then big-endian fields), so that tools reading that topic (Burrow) understand ours.
// Pure functions, thread-safe.

/// Key version 0/1: a committed offset of (group, topic, partition).
struct OffsetCommitKey
{
    std::string group;
    std::string topic;
    int32_t partition = 0;
    bool operator==(const OffsetCommitKey&) const = default;
};

/// Key version 2: the membership and generation of a group.
struct GroupMetadataKey
{
    std::string group;
    bool operator==(const GroupMetadataKey&) const = default;
};

using ConsumerOffsetsKey = std::variant<OffsetCommitKey, GroupMetadataKey>;

/// Value versions 0–3: v1 carries an expire timestamp, v3 a leader epoch (v2 is valid Kafka but Burrow rejects it).
struct OffsetCommitValue
{
    int64_t offset = -1;
    int32_t leaderEpoch = -1;
    std::string metadata;
    int64_t commitTimestampMs = -1;
    int64_t expireTimestampMs = -1;
    bool operator==(const OffsetCommitValue&) const = default;
};

struct GroupMemberRecord
{
    std::string memberId;
    std::optional<std::string> groupInstanceId; // v3+
    std::string clientId;
    std::string clientHost;
    int32_t rebalanceTimeoutMs = 0; // v1+
    int32_t sessionTimeoutMs = 0;
    std::vector<uint8_t> subscription;
    std::vector<uint8_t> assignment;
    bool operator==(const GroupMemberRecord&) const = default;
};

/// Value versions 0–3 (v2 adds currentStateTimestamp, v3 the members' group instance ids).
struct GroupMetadataValue
{
    std::string protocolType;
    int32_t generation = 0;
    std::optional<std::string> protocol;
    std::optional<std::string> leader;
    int64_t currentStateTimestampMs = -1; // v2+
    std::vector<GroupMemberRecord> members;
    bool operator==(const GroupMetadataValue&) const = default;
};

// Versions written by the coordinator: the newest ones Burrow 1.2.1 decodes.
inline constexpr int16_t kOffsetCommitKeyVersion = 1;
inline constexpr int16_t kGroupMetadataKeyVersion = 2;
inline constexpr int16_t kOffsetCommitValueVersion = 3;
inline constexpr int16_t kGroupMetadataValueVersion = 1;

std::vector<uint8_t> encodeOffsetCommitKey(const OffsetCommitKey& key, int16_t version = kOffsetCommitKeyVersion);
std::vector<uint8_t> encodeGroupMetadataKey(const GroupMetadataKey& key);
/// version 0..3; other values are clamped into that range.
std::vector<uint8_t> encodeOffsetCommitValue(
    const OffsetCommitValue& value, int16_t version = kOffsetCommitValueVersion);
/// version 0..3; other values are clamped into that range.
std::vector<uint8_t> encodeGroupMetadataValue(
    const GroupMetadataValue& value, int16_t version = kGroupMetadataValueVersion);

/// nullopt for an unknown key version, truncated input or trailing bytes.
std::optional<ConsumerOffsetsKey> decodeConsumerOffsetsKey(std::span<const uint8_t> bytes);
std::optional<OffsetCommitValue> decodeOffsetCommitValue(std::span<const uint8_t> bytes);
std::optional<GroupMetadataValue> decodeGroupMetadataValue(std::span<const uint8_t> bytes);

/// Partition of `__consumer_offsets` that holds a group: Java's String.hashCode, sign bit cleared, modulo the
/// partition count — the same placement as Kafka, so a log copied between brokers stays consistent.
int32_t offsetsPartitionFor(std::string_view group, int32_t partitionCount);

/// Topics named in a "consumer" protocol subscription (ConsumerProtocolSubscription, any version); nullopt when
/// the bytes are not one.
std::optional<std::vector<std::string>> consumerSubscriptionTopics(std::span<const uint8_t> subscription);

} // namespace pw::broker
