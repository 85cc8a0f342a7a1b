#pragma once

#include <QString>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace pw::demo {

/// One checkpoint of the demo stream job, as Flink's REST API describes it.
struct CheckpointRecord
{
    enum class Status
    {
        InProgress,
        Completed,
        Failed,
    };

    std::int64_t id = 0;
    Status status = Status::InProgress;
    std::int64_t triggerTimestampMs = 0;
    std::int64_t latestAckTimestampMs = 0; // 0 while in progress
    std::int64_t endToEndDurationMs = 0;
    std::int64_t stateSizeBytes = 0;
    QString failureMessage; // failed checkpoints only
    bool savepoint = false; // a savepoint (Flink lists them in the checkpoint history with is_savepoint)
    QString externalPath; // where a completed savepoint was written ("file:/…"); empty for checkpoints
};

/// The checkpoint or savepoint a job started from (Flink's `latest.restored`).
struct RestoredCheckpoint
{
    std::int64_t id = 0;
    std::int64_t restoreTimestampMs = 0;
    bool savepoint = false;
    QString externalPath; // the file or savepoint location it was read from
};

/// A stop-with-savepoint requested through the REST API: Flink's asynchronous operation, polled by trigger id.
struct SavepointTrigger
{
    enum class Status
    {
        InProgress,
        Completed,
        Failed,
    };

    QString triggerId;
    QString jobId;
    Status status = Status::InProgress;
    QString location; // completed: "file:/…/savepoint-…"
    QString failureMessage; // failed: why
};

/// What the demo job reports about itself (Flink's job overview fields).
struct JobStatusView
{
    QString jobId; // 32 lower-case hex digits, like a Flink job id
    QString name;
    QString state
        = QStringLiteral("CREATED"); // Flink's JobStatus names: CREATED, RUNNING, FAILING, FAILED, CANCELED...
    std::int64_t startTimeMs = 0;
    std::int64_t endTimeMs = -1;
    std::int64_t lastModificationMs = 0;
    std::vector<CheckpointRecord> history; // newest first, at most JobStatusBoard::kHistorySize
    std::int64_t completedCount = 0;
    std::int64_t failedCount = 0;
    std::int64_t inProgressCount = 0;

    // Kept apart from `history`: a run of failures can push the last completed checkpoint out of the history, and
    // checkpoint age must still be measured from it.
    std::optional<CheckpointRecord> latestCompleted; // checkpoints only, as Flink's `latest.completed`
    std::optional<CheckpointRecord> latestFailed;
    std::optional<CheckpointRecord> latestSavepoint;
    std::optional<RestoredCheckpoint> restored;

    /// Min/max/sum over every completed checkpoint since the job started (Flink's checkpoint summary).
    struct Stats
    {
        std::int64_t min = 0;
        std::int64_t max = 0;
        std::int64_t sum = 0;
        std::int64_t count = 0;
    };
    Stats endToEndDurationStats;
    Stats stateSizeStats;

    std::map<QString, std::int64_t> stateTimestamps; // when the job last entered each state (Flink's `timestamps`)
};

/// The shared, thread-safe record of the demo jobs' states, checkpoints and savepoint operations: the job writes it,
/// the Flink-compatible REST server reads it. Kept apart from both so either can be tested alone. One job is current
/// (the one the state and checkpoint calls act on); the jobs before it stay listed as they ended, as a JobManager
/// lists finished jobs.
class JobStatusBoard
{
public:
    static constexpr int kHistorySize = 10; // Flink's default web.checkpoints.history
    static constexpr int kEarlierJobs = 10; // how many ended jobs stay listed
    static constexpr int kTriggers = 50; // how many savepoint operations stay answerable

    JobStatusBoard(QString jobId, QString name);

    /// Keeps the current job as it is among the earlier ones and makes a new one current, CREATED.
    void startJob(QString jobId, QString name);

    void setState(const QString& state, std::int64_t nowMs);
    /// Starts checkpoint (or savepoint) `id`; it stays IN_PROGRESS until completed or failed.
    void checkpointTriggered(std::int64_t id, std::int64_t nowMs, bool savepoint = false);
    void checkpointCompleted(
        std::int64_t id, std::int64_t nowMs, std::int64_t stateSizeBytes, const QString& externalPath = {});
    void checkpointFailed(std::int64_t id, std::int64_t nowMs, const QString& message);
    void setRestored(const RestoredCheckpoint& restored);

    void addTrigger(const QString& triggerId, const QString& jobId);
    void completeTrigger(const QString& triggerId, const QString& location);
    void failTrigger(const QString& triggerId, const QString& message);
    std::optional<SavepointTrigger> trigger(const QString& triggerId) const;

    /// The current job.
    JobStatusView view() const;
    /// Every job listed: the current one first, then earlier ones, newest first.
    std::vector<JobStatusView> jobs() const;
    std::optional<JobStatusView> job(const QString& jobId) const;

private:
    CheckpointRecord* find(std::int64_t id); // caller holds m_mutex

    mutable std::mutex m_mutex;
    JobStatusView m_view;
    std::vector<JobStatusView> m_earlier; // newest first
    std::vector<SavepointTrigger> m_triggers; // oldest first
};

} // namespace pw::demo
