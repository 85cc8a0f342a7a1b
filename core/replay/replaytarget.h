#pragma once

#include "model/error.h"
#include "replay/offsetscsv.h"
#include "sources/kafkaadmin.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace pw {

class Ledger;

/// Where a replay moves a group's committed offsets to, as the user asked for it. Plain value type.
struct ReplayTarget
{
    enum class Kind
    {
        Datetime, // the first record at or after timeMs (offsets-for-times)
        PositionAt, // the group's committed offsets at timeMs, from the ledger
        LastTrusted, // the committed offsets just before an incident began (incidentId 0: the newest open one)
        Checkpoint, // the offsets committed by a completed checkpoint (checkpointId 0: the newest completed one)
        Earliest,
        Latest,
        ShiftBy, // committed offset + value
        Offset, // value on every partition
        FromFile, // fileRows
    };
    Kind kind = Kind::Latest;
    qint64 timeMs = 0;
    qint64 incidentId = 0;
    qint64 checkpointId = 0;
    int64_t value = 0;
    QString file;
    std::vector<OffsetsCsvRow> fileRows;
    QString text; // the target as the user gave it, e.g. "--to-datetime 2026-12-07T06:00:00Z"

    bool needsLedger() const
    {
        return kind == Kind::PositionAt || kind == Kind::LastTrusted || kind == Kind::Checkpoint;
    }
};

/// The raw target options of the command line; exactly one target must be set.
struct ReplayTargetOptions
{
    std::optional<QString> toDatetime;
    std::optional<QString> toPositionAt;
    bool toLastTrusted = false;
    std::optional<QString> incident;
    bool toCheckpoint = false;
    std::optional<QString> checkpointId;
    bool toEarliest = false;
    bool toLatest = false;
    std::optional<QString> shiftBy;
    std::optional<QString> toOffset;
    std::optional<QString> fromFile;
};

/// Parses a point in time: RFC 3339 ("2026-12-07T06:00:00Z", "2026-12-07T07:00:00.250+01:00") or relative to
/// `nowMs` ("-30m", "-90s", "-2h", "-1d", "-1h30m"). A time after `nowMs` is an error (Error::Code::Config).
Result<qint64> parseReplayTime(const QString& text, qint64 nowMs);

/// Turns the options into a target; reads the --from-file CSV. Errors are usage errors (Error::Code::Config or
/// Parse for the CSV) that say which option is wrong.
Result<ReplayTarget> parseReplayTarget(const ReplayTargetOptions& options, qint64 nowMs);

/// Which partitions a replay touches: the whole group (empty), or topics, each whole or some of its partitions.
struct ReplayScope
{
    struct Topic
    {
        QString topic;
        std::vector<int32_t> partitions; // empty: every partition of the topic
    };
    std::vector<Topic> topics;

    bool wholeGroup() const { return topics.empty(); }
    bool contains(const QString& topic, int32_t partition) const;
};

/// Parses `--topic T[:P,P...]` values (the option may repeat).
Result<ReplayScope> parseReplayScope(const QStringList& values);

/// One partition's resolved target offset.
struct PartitionTarget
{
    QString topic;
    int32_t partition = 0;
    int64_t offset = -1;
    bool operator==(const PartitionTarget&) const = default;
};

/// What resolving a target needs to know beyond the cluster.
struct ReplayContext
{
    QString sourceId; // the kafka source: the ledger's key for offsets
    QString group;
    QString flinkSourceId; // --to-checkpoint: the flink source and job whose checkpoints the ledger holds
    QString jobId;
    std::vector<QString>
        incidentStages; // --to-last-trusted without --incident: newest open incident of these (any when empty)
    qint64 nowMs = 0;
};

/// Orders (topic, partition) keys as std::pair does, but asks whether the topics are equal first: thousands of
/// partitions share a few topics, and equality is a length check and a memory compare where ordering two QStrings
/// walks them twice.
struct TopicPartitionLess
{
    bool operator()(const std::pair<QString, int32_t>& a, const std::pair<QString, int32_t>& b) const
    {
        return a.first == b.first ? a.second < b.second : a.first < b.first;
    }
};
template<class Value>
using TopicPartitionMap = std::map<std::pair<QString, int32_t>, Value, TopicPartitionLess>;

/// The partitions of the scope as they are on the cluster now: committed offsets of the group (-1 where none)
/// and the partitions the scope names. Watermarks come from the plan's inputs.
struct ScopePartition
{
    QString topic;
    int32_t partition = 0;
    int64_t committed = -1;
    int64_t logStart = -1;
    int64_t highWatermark = -1;
    bool exists = true; // false: the scope or the file names a topic or partition the cluster does not have
};

/// The partitions a replay touches, before their watermarks are known: the file's partitions for --from-file, the
/// scope's topics (each listed partition, or every partition `topics` reports), or the group's committed partitions.
/// A partition of a scope topic that does not exist, or a topic that does not exist (partition -1), is kept with
/// exists false. Sorted by topic and partition.
std::vector<ScopePartition> scopePartitions(const ReplayScope& scope, const ReplayTarget& target,
    const std::vector<KafkaAdmin::PartitionOffset>& committed, const std::vector<KafkaAdmin::TopicInfo>& topics);

/// Resolves a target to one offset per partition. `partitions` are the scope's partitions with their committed
/// offsets and watermarks (ScopePartition::exists false ones are skipped: preflight refuses them). `ledger` may be
/// null; targets that need it then fail with Error::Code::Refused. Time targets go to Kafka through `admin`.
/// Shift and absolute offsets above the high watermark are lowered to it, as kafka-consumer-groups does; targets
/// below the log start are kept so preflight can refuse or clamp them.
Result<std::vector<PartitionTarget>> resolveReplayTarget(const ReplayTarget& target, const ReplayContext& context,
    const std::vector<ScopePartition>& partitions, KafkaAdmin& admin, Ledger* ledger);

/// The pure part of resolveReplayTarget: targets that need neither Kafka nor the ledger (earliest, latest, shift,
/// offset, file). Fails with Error::Code::Generic for other kinds.
Result<std::vector<PartitionTarget>> resolveLocalTarget(
    const ReplayTarget& target, const std::vector<ScopePartition>& partitions);

} // namespace pw
