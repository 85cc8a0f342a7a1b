#pragma once

#include "model/error.h"

#include <QString>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

struct rd_kafka_topic_partition_list_s;

namespace pw {

/// Connection settings of a KafkaAdmin.
struct KafkaAdminConfig
{
    QString bootstrapServers; // "host:port[,host:port...]"
    /// Any librdkafka property (security.protocol, sasl.*, ssl.*, client.id...), applied after the defaults.
    std::vector<std::pair<QString, QString>> properties;
    /// Bound of every call (request timeout of the admin operation plus the wait for its result).
    std::chrono::milliseconds timeout {10000};
};

/// Blocking Kafka admin calls over librdkafka's C API: consumer groups, their committed offsets, watermarks,
/// offsets by time, record deletion and topic metadata. Each call blocks up to the configured timeout, so use it
/// from a worker thread (PollContext::runBlocking), never from an I/O or GUI thread.
/// Thread-safe: librdkafka serialises internally, and each call waits on its own result queue.
class KafkaAdmin
{
public:
    struct TopicPartition
    {
        QString topic;
        int32_t partition = 0;
        bool operator==(const TopicPartition&) const = default;
    };
    struct PartitionOffset
    {
        QString topic;
        int32_t partition = 0;
        int64_t offset = -1; // -1: none committed / not found
        QString metadata;
    };
    struct GroupListing
    {
        QString groupId;
        QString state; // Kafka's state name: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead, Unknown
        bool simple = false; // no protocol type: offsets only, no membership
    };
    struct GroupMember
    {
        QString memberId;
        QString clientId;
        QString host;
        QString groupInstanceId;
        std::vector<TopicPartition> assignment;
    };
    struct GroupDescription
    {
        QString groupId;
        QString state;
        QString protocol; // the partition assignor, e.g. "range"
        bool simple = false;
        int32_t coordinatorId = -1;
        std::vector<GroupMember> members;
    };
    struct Watermarks
    {
        int64_t low = -1;
        int64_t high = -1;
    };
    struct TopicInfo
    {
        QString name;
        int32_t partitions = 0;
    };
    /// One setting of a topic or broker as DescribeConfigs reports it.
    struct ConfigValue
    {
        QString name;
        QString value; // empty when the broker reports none (or it is sensitive)
        bool isDefault = false; // neither set on the resource nor on the broker
        bool readOnly = false;
        bool sensitive = false;
    };
    /// The settings of one topic: every one the broker reports, by name.
    struct TopicConfigs
    {
        QString topic;
        std::vector<ConfigValue> values;
        const ConfigValue* find(const QString& name) const;
    };
    /// Replicas of a topic's partitions from the cluster's metadata, and how many brokers that metadata names.
    struct TopicReplication
    {
        QString topic;
        int32_t partitions = 0;
        int32_t minReplicas = 0; // the smallest replica count of its partitions
        int32_t minInSyncReplicas = 0; // the smallest in-sync replica count of its partitions
        int32_t brokers = 0;
    };

    static Result<std::unique_ptr<KafkaAdmin>> create(const KafkaAdminConfig& config);
    ~KafkaAdmin();
    /// Changes the bound of the calls started after it, so a caller with a deadline can give each call what is left.
    void setTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds timeout() const;
    /// The last error librdkafka reported outside any call (a refused connection, a failed SASL handshake), and
    /// forgets it: a failed call says "transport failure", this says why. Empty when there was none.
    QString takeClientError();
    KafkaAdmin(const KafkaAdmin&) = delete;
    KafkaAdmin& operator=(const KafkaAdmin&) = delete;

    Result<std::vector<GroupListing>> listGroups();
    Result<GroupDescription> describeGroup(const QString& groupId);
    /// Every committed offset of the group.
    Result<std::vector<PartitionOffset>> listGroupOffsets(const QString& groupId);
    /// The committed offsets of these partitions only (-1 where none), asked in chunks: librdkafka matches answers
    /// to requests by linear search, so one request for thousands of partitions costs the square of them.
    Result<std::vector<PartitionOffset>> listGroupOffsets(
        const QString& groupId, const std::vector<TopicPartition>& partitions);
    /// The group's committed offsets in these topics (every partition of each), in topic order, without the
    /// partitions that have none: what listGroupOffsets(groupId) gives for them, asked partition by partition in
    /// chunks that are all in flight at once. librdkafka 2.0.2 files each answer of a listing of everything by a
    /// linear search of the answers so far, which costs 150 ms of CPU at 10,000 partitions; this costs a few ms.
    /// Offsets of a topic the list does not name (one deleted since: Kafka drops those) are not seen.
    Result<std::vector<PartitionOffset>> listGroupOffsetsAmong(
        const QString& groupId, const std::vector<TopicInfo>& topics);
    /// Every committed offset of each group, with up to `maxInFlight` requests outstanding at once on one queue
    /// (librdkafka takes one group per call): the answers of thousands of groups in a few round trips' time instead
    /// of one blocking call after another. One result per group, in order; the whole batch is bounded by timeout().
    std::vector<Result<std::vector<PartitionOffset>>> listGroupOffsetsMany(
        const std::vector<QString>& groupIds, int maxInFlight = 500);
    /// Sets committed offsets (what `kafka-consumer-groups --reset-offsets` does). Kafka refuses it while the group
    /// has active members; that refusal, or any partition's error, is the returned error.
    /// Thousands of partitions go in several requests at once, each written whole or not at all by the broker.
    Result<void> alterGroupOffsets(const QString& groupId, const std::vector<PartitionOffset>& offsets);
    /// Deletes the group's committed offsets of these partitions (OffsetDelete), so they have none again. Refused by
    /// the broker (GROUP_SUBSCRIBED_TO_TOPIC) while a member of the group consumes the topic.
    Result<void> deleteGroupOffsets(const QString& groupId, const std::vector<PartitionOffset>& partitions);
    /// Deletes records before `beforeOffset` (-1: up to the high watermark); returns the new low watermark.
    Result<int64_t> deleteRecords(const QString& topic, int32_t partition, int64_t beforeOffset);
    Result<Watermarks> watermarks(const QString& topic, int32_t partition);
    /// For each (partition, timestamp ms): the first offset with a timestamp >= it, -1 when there is none.
    Result<std::vector<PartitionOffset>> offsetsForTimes(
        const QString& topic, const std::vector<std::pair<int32_t, int64_t>>& timestamps);
    Result<std::vector<TopicInfo>> listTopics();
    /// Creates a topic (replication factor 1 unless given); an existing topic is an error.
    Result<void> createTopic(const QString& topic, int32_t partitions, int16_t replicationFactor = 1);
    /// The configs of each topic (DescribeConfigs, one request for all of them). A topic that fails (unknown) is an
    /// error of its own; the others still answer.
    std::vector<Result<TopicConfigs>> describeTopicConfigs(const std::vector<QString>& topics);
    /// Replication of each topic from one metadata request; a topic the cluster does not know is an error.
    std::vector<Result<TopicReplication>> topicReplication(const std::vector<QString>& topics);
    /// The id the cluster reports in its metadata (empty from a broker too old to have one).
    Result<QString> clusterId();
    Result<int32_t> partitionCount(const QString& topic);
    /// Low and high watermarks of partitions 0..partitions-1 of a topic in two requests per leader, instead of
    /// two round trips per partition.
    Result<std::vector<Watermarks>> topicWatermarks(const QString& topic, int32_t partitions);
    /// Watermarks of every partition of several topics in two requests per partition leader. A topic that fails
    /// (deleted meanwhile) has its own error; the others still answer.
    std::vector<Result<std::vector<Watermarks>>> watermarksMany(const std::vector<TopicInfo>& topics);

private:
    KafkaAdmin();
    Result<std::vector<PartitionOffset>> listGroupOffsetsOf(
        const QString& groupId, const rd_kafka_topic_partition_list_s* partitions);
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pw
