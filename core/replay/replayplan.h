#pragma once

#include "replay/replaytarget.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace pw {

/// One partition of a replay plan.
struct PartitionPlan
{
    QString topic;
    int32_t partition = 0;
    int64_t committed = -1; // now; -1: the group has no committed offset
    int64_t target = -1;
    int64_t logStart = -1;
    int64_t highWatermark = -1;
    int64_t recordsToReplay = 0; // records the group read before and will read again
    int64_t recordsToSkip = 0; // records moved over forward and never read
    int64_t recordsLost = 0; // records between the target and the log start, already deleted by retention
    int64_t recordsToCatchUp = 0; // from the effective target to the high watermark
    std::optional<double> etaSeconds; // to catch up; none without a consume rate
};

/// The preview of a replay: pure data, built by buildReplayPlan. Copyable value type.
struct ReplayPlan
{
    QString group;
    QString target; // as the user gave it
    std::vector<PartitionPlan> partitions; // sorted by topic and partition
    int64_t totalToReplay = 0;
    int64_t totalToSkip = 0;
    int64_t totalLost = 0;
    int64_t totalToCatchUp = 0;
    std::optional<double> consumeRate; // records/s, the best the ledger has seen
    std::optional<double> etaSeconds;
    QString hash; // SHA-256 hex of the canonical partition list

    /// True when every target equals the committed offset.
    bool isNoOp() const;
    QJsonObject toJson() const;
    /// toJson without the partitions.
    QJsonObject toJsonSummary() const;
};

struct ReplayPlanInputs
{
    QString group;
    QString target;
    /// The scope's partitions with their committed offsets and watermarks now.
    std::vector<ScopePartition> partitions;
    std::vector<PartitionTarget> targets;
    std::optional<double> consumeRate;
};

/// Builds the plan of every partition that has a target (and exists). Each partition's ETA assumes the group's
/// rate is shared evenly by the plan's partitions; the total ETA is the total to catch up over the whole rate.
ReplayPlan buildReplayPlan(const ReplayPlanInputs& inputs);

/// The same plan with every target below the log start raised to it (--allow-clamp).
ReplayPlan clampedToLogStart(const ReplayPlan& plan);

/// The plan's canonical text, whose SHA-256 is the plan hash: "group\n" then "topic,partition,committed,target\n"
/// per partition in order.
QByteArray canonicalPlanText(const ReplayPlan& plan);

/// "12 s", "3 min 20 s", "1 h 05 min", or "unknown".
QString formatEta(std::optional<double> seconds);

/// The plan as the rows the command line prints (a header row, then one per partition, then the totals).
QList<QStringList> planTableRows(const ReplayPlan& plan);

} // namespace pw
