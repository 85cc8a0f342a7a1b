#pragma once

#include "replay/replayplan.h"
#include "sources/kafkaadmin.h"

#include <QJsonArray>
#include <QString>

#include <optional>
#include <vector>

namespace pw {

/// One preflight check: a short name, whether it passed, and a sentence saying why.
struct PreflightCheck
{
    QString name; // group-exists, partitions-exist, log-start, not-no-op, consumer-stopped, flink-job-stopped
    bool passed = false;
    QString sentence;
};

/// What is known of the Flink job that consumes the group, when the group belongs to one. A Flink job assigns its
/// partitions (its group shows Empty while it runs), so "Empty" proves nothing: the job must not be RUNNING and the
/// ledger must show no offset commit in its last polls.
struct FlinkJobCheck
{
    QString jobId;
    QString jobName;
    QString state; // Flink's job state: RUNNING, FINISHED, CANCELED, FAILED...; empty when REST could not say
    QString stateError; // why the state is unknown
    bool recentOffsetCommits = false; // the ledger saw the group's committed offsets move in the last polls
    int polledCommits = 0; // how many polls that judgement covers
    QString stoppedWithSavepoint; // this replay stopped the job: the savepoint it took (its last commits are expected)
};

struct PreflightInputs
{
    bool groupExists = false; // described and not Dead, or holding committed offsets
    KafkaAdmin::GroupDescription group;
    /// The scope's partitions (ScopePartition::exists false for those the cluster lacks).
    std::vector<ScopePartition> partitions;
    bool allowClamp = false;
    std::optional<FlinkJobCheck> flink;
};

struct PreflightResult
{
    std::vector<PreflightCheck> checks;
    bool passed = false;
    ReplayPlan plan; // clamped to the log start when allowed and needed
    int64_t clampedRecordsLost = 0;

    /// The first failed check's sentence, or empty.
    QString refusal() const;
    QJsonArray toJson() const;
};

/// Runs every check (it never stops at the first failure, so the user sees all that is wrong).
PreflightResult runPreflight(const PreflightInputs& inputs, const ReplayPlan& plan);

/// The group check alone, as repeated at execute time: true when no consumer is in the group.
PreflightCheck consumerStoppedCheck(const KafkaAdmin::GroupDescription& group);

/// Whether a described group counts as existing: not Dead, or holding committed offsets.
bool groupExists(const KafkaAdmin::GroupDescription& group, size_t committedOffsets);

} // namespace pw
