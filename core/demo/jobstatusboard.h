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
    std::optional<CheckpointRecord> latestCompleted;
    std::optional<CheckpointRecord> latestFailed;

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

/// The shared, thread-safe record of the demo job's state and checkpoints: the job writes it, the Flink-compatible
/// REST server reads it. Kept apart from both so either can be tested alone.
class JobStatusBoard
{
public:
    static constexpr int kHistorySize = 10; // Flink's default web.checkpoints.history

    JobStatusBoard(QString jobId, QString name);

    void setState(const QString& state, std::int64_t nowMs);
    /// Starts checkpoint `id`; it stays IN_PROGRESS until completed or failed.
    void checkpointTriggered(std::int64_t id, std::int64_t nowMs);
    void checkpointCompleted(std::int64_t id, std::int64_t nowMs, std::int64_t stateSizeBytes);
    void checkpointFailed(std::int64_t id, std::int64_t nowMs, const QString& message);

    JobStatusView view() const;

private:
    CheckpointRecord* find(std::int64_t id); // caller holds m_mutex

    mutable std::mutex m_mutex;
    JobStatusView m_view;
};

} // namespace pw::demo
