#pragma once

#include "broker/kafkaerror.h"
#include "broker/partitionlog.h"
#include "model/error.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pw::broker {

struct LogOptions
{
    std::filesystem::path dataDir;
    int64_t segmentBytes = 64LL << 20;
    int64_t retentionMs = 7LL * 24 * 3600 * 1000;
    int64_t retentionBytes = -1;
    int64_t flushIntervalMs = -1; // -1: leave to the OS
    int32_t defaultPartitions = 1;
    /// How often a background thread applies retention (LogStore::enforceRetention); -1: only when called.
    int64_t retentionCheckIntervalMs = 5LL * 60 * 1000;
    /// Caps that keep a client (e.g. Metadata asking for many new names with auto-create on) from exhausting the
    /// broker: creating past them is refused with POLICY_VIOLATION. Topics and partitions found on disk at open are
    /// always served.
    int32_t maxTopics = 10000;
    int32_t maxPartitions = 20000;
    /// Segment log files held open at once (idle ones are closed and reopened on use); 0: half of RLIMIT_NOFILE.
    size_t maxOpenSegmentFiles = 0;
};

struct TopicConfig
{
    int32_t partitions = 1;
    std::optional<int64_t> retentionMs, retentionBytes, segmentBytes;
};

/// All topics of the broker on disk: `dataDir/<topic>-<partition>/` per partition, `dataDir/topics.json` with the
/// topics and their configs, `dataDir/producer-ids` with the producer-id counter. Thread-safe. A background thread
/// fsyncs every flushIntervalMs (when > 0) and applies retention every retentionCheckIntervalMs (when > 0).
class LogStore
{
public:
    static pw::Result<std::unique_ptr<LogStore>> open(LogOptions options); // recovers every partition
    ~LogStore();
    LogStore(const LogStore&) = delete;
    LogStore& operator=(const LogStore&) = delete;

    /// TopicAlreadyExists / InvalidTopicException / InvalidPartitions, or PolicyViolation past maxTopics or
    /// maxPartitions; `message` (when given) gets a sentence for the client.
    KafkaError createTopic(const std::string& name, TopicConfig config, std::string* message = nullptr);
    KafkaError deleteTopic(const std::string& name); // removes files; UnknownTopicOrPartition if missing
    /// Grows a topic to `total` partitions (CreatePartitions): InvalidPartitions unless more than it has.
    KafkaError addPartitions(const std::string& name, int32_t total);
    struct TopicInfo
    {
        std::string name;
        int32_t partitions;
        bool internal; // name starts with "__" (e.g. __consumer_offsets)
    };
    std::vector<TopicInfo> topics() const;
    int32_t partitionCount() const; // over every topic
    size_t openSegmentFiles() const; // segment log files held open now
    bool hasTopic(const std::string& name) const;
    std::optional<TopicConfig> topicConfig(const std::string& name) const;
    std::shared_ptr<PartitionLog> partition(const std::string& topic, int32_t partition) const; // nullptr if missing
    int64_t allocateProducerId(); // persisted counter, survives restart
    void enforceRetention(); // time/size retention: delete whole old segments, advance log start
    void flushAll();
    const LogOptions& options() const;
    /// What open() recovered, summed over the partitions it found.
    struct RecoveryStats
    {
        int partitions = 0;
        int segments = 0;
        int64_t bytesTruncated = 0;
    };
    RecoveryStats recoveryStats() const;

    /// Topic names Kafka accepts: 1–249 chars of [a-zA-Z0-9._-], not "." or "..".
    static bool isValidTopicName(const std::string& name);

private:
    LogStore();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pw::broker
