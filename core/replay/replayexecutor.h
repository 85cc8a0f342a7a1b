#pragma once

#include "replay/preflight.h"
#include "replay/replayphasetimes.h"
#include "replay/replayplan.h"

#include <QByteArray>
#include <QJsonObject>

#include <functional>
#include <vector>

namespace pw {

class KafkaAdmin;
class Ledger;
struct AuditEntry;

/// What happened to one partition of an executed plan.
struct PartitionOutcome
{
    enum class State
    {
        NotAttempted, // a batch before it failed, or the run was cancelled
        Applied, // its batch was acknowledged
        Unknown, // its batch failed: it may or may not have changed
    };
    QString topic;
    int32_t partition = 0;
    int64_t before = -1;
    int64_t target = -1;
    int64_t after = -1; // read back; -1 when it could not be read
    State state = State::NotAttempted;
    bool verified = false; // read back and equal to what it should be now (target if applied, before if not)
};

struct ExecutionReport
{
    /// executed-verified; refused (the consumer came back: nothing changed); cancelled (between batches: what ran
    /// is verified); partly-applied; failed (nothing changed, or nothing can be said); not-verified.
    QString outcome;
    QString error; // why, when not executed-verified
    std::vector<PartitionOutcome> partitions;
    int batches = 0;
    int batchesDone = 0;
    PreflightCheck recheck; // the consumer-stopped check repeated at execute time

    /// The per-partition before/after/verified list and the error, as the audit's `details` keeps them.
    QJsonObject toJson() const;
    /// The exit code of the command: 0 executed and verified, 5 refused, 6 anything else.
    int exitCode() const;
};

/// The partitions as a JSON array of {topic, partition, before, target, after, state, verified}, written directly
/// (fast at tens of thousands of partitions).
QByteArray partitionOutcomesJson(const std::vector<PartitionOutcome>& partitions);

struct ExecuteOptions
{
    int batchSize = 1000;
    /// Called after each batch with partitions done and the total.
    std::function<void(qint64 done, qint64 total)> progress;
    /// Asked before each batch; true stops the run there.
    std::function<bool()> cancelRequested;
    ReplayPhaseTimes* timings = nullptr; // when set, execution adds the time of each of its steps
};

/// Executes a plan that passed preflight: checks again that no consumer is in the group (else refused, nothing
/// changed), alters the offsets batch by batch, then reads them back and compares per partition. Blocking; call it
/// off the GUI thread.
ExecutionReport executeReplayPlan(KafkaAdmin& admin, const ReplayPlan& plan, const ExecuteOptions& options = {});

/// executeReplayPlan recorded in the audit log: an entry with outcome "started" (and the plan and preflight in its
/// details) is written before anything changes, and its outcome and per-partition details after. `entry` gives
/// actor, source, cluster, group, target, reason and undoOf; plan hash and time are filled in. Fails (nothing
/// executed) when the audit entry cannot be written.
struct AuditedExecution
{
    qint64 auditId = 0;
    ExecutionReport report;
    QString auditError; // the outcome could not be recorded (the entry still says "started")
};
Result<AuditedExecution> executeAudited(KafkaAdmin& admin, Ledger& ledger, AuditEntry entry, const ReplayPlan& plan,
    const PreflightResult& preflight, const ExecuteOptions& options = {});

/// The targets that undo an audited execution: each partition's "before" offset, for the partitions that were
/// applied or may have been. Fails with Error::Code::Refused when the entry changed nothing or records no offsets.
Result<std::vector<PartitionTarget>> undoTargets(const AuditEntry& entry);

/// "$USER@host".
QString replayActor();

} // namespace pw
