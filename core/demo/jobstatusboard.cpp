#include "demo/jobstatusboard.h"

#include <algorithm>

namespace pw::demo {

namespace {

bool isGloballyTerminal(const QString& state)
{
    return state == QLatin1String("FAILED") || state == QLatin1String("CANCELED") || state == QLatin1String("FINISHED");
}

void account(JobStatusView::Stats& stats, std::int64_t value)
{
    stats.min = stats.count == 0 ? value : std::min(stats.min, value);
    stats.max = stats.count == 0 ? value : std::max(stats.max, value);
    stats.sum += value;
    ++stats.count;
}

// Keeps ids descending and drops the oldest beyond kHistorySize; returns the new record, which may itself be the one
// dropped when it is older than everything retained (then nullptr).
CheckpointRecord* insertNewestFirst(
    std::vector<CheckpointRecord>& history, std::int64_t id, std::int64_t nowMs, bool savepoint = false)
{
    CheckpointRecord record;
    record.id = id;
    record.savepoint = savepoint;
    record.status = CheckpointRecord::Status::InProgress;
    record.triggerTimestampMs = nowMs;
    auto at = std::find_if(history.begin(), history.end(), [id](const CheckpointRecord& r) { return r.id < id; });
    const auto index = at - history.begin();
    history.insert(at, std::move(record));
    if (history.size() > size_t(JobStatusBoard::kHistorySize))
        history.resize(JobStatusBoard::kHistorySize);
    return index < std::ssize(history) ? &history[index] : nullptr;
}

} // namespace

JobStatusBoard::JobStatusBoard(QString jobId, QString name)
{
    m_view.jobId = std::move(jobId);
    m_view.name = std::move(name);
}

void JobStatusBoard::startJob(QString jobId, QString name)
{
    std::lock_guard lock(m_mutex);
    m_earlier.insert(m_earlier.begin(), std::move(m_view));
    if (m_earlier.size() > size_t(kEarlierJobs))
        m_earlier.resize(kEarlierJobs);
    m_view = JobStatusView {};
    m_view.jobId = std::move(jobId);
    m_view.name = std::move(name);
}

void JobStatusBoard::setRestored(const RestoredCheckpoint& restored)
{
    std::lock_guard lock(m_mutex);
    m_view.restored = restored;
}

void JobStatusBoard::addTrigger(const QString& triggerId, const QString& jobId)
{
    std::lock_guard lock(m_mutex);
    m_triggers.push_back({triggerId, jobId, SavepointTrigger::Status::InProgress, {}, {}});
    if (m_triggers.size() > size_t(kTriggers))
        m_triggers.erase(m_triggers.begin());
}

void JobStatusBoard::completeTrigger(const QString& triggerId, const QString& location)
{
    std::lock_guard lock(m_mutex);
    for (auto& t : m_triggers)
        if (t.triggerId == triggerId && t.status == SavepointTrigger::Status::InProgress) {
            t.status = SavepointTrigger::Status::Completed;
            t.location = location;
        }
}

void JobStatusBoard::failTrigger(const QString& triggerId, const QString& message)
{
    std::lock_guard lock(m_mutex);
    for (auto& t : m_triggers)
        if (t.triggerId == triggerId && t.status == SavepointTrigger::Status::InProgress) {
            t.status = SavepointTrigger::Status::Failed;
            t.failureMessage = message;
        }
}

std::optional<SavepointTrigger> JobStatusBoard::trigger(const QString& triggerId) const
{
    std::lock_guard lock(m_mutex);
    for (const auto& t : m_triggers)
        if (t.triggerId == triggerId)
            return t;
    return std::nullopt;
}

std::vector<JobStatusView> JobStatusBoard::jobs() const
{
    std::lock_guard lock(m_mutex);
    std::vector<JobStatusView> all {m_view};
    all.insert(all.end(), m_earlier.begin(), m_earlier.end());
    return all;
}

std::optional<JobStatusView> JobStatusBoard::job(const QString& jobId) const
{
    std::lock_guard lock(m_mutex);
    if (m_view.jobId == jobId)
        return m_view;
    for (const auto& j : m_earlier)
        if (j.jobId == jobId)
            return j;
    return std::nullopt;
}

void JobStatusBoard::setState(const QString& state, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    if (state == m_view.state && m_view.startTimeMs > 0)
        return;
    if (m_view.startTimeMs <= 0) {
        // The job exists from its first reported state on; CREATED is when Flink's start-time is taken too.
        m_view.startTimeMs = nowMs;
        m_view.stateTimestamps[m_view.state] = nowMs;
    }
    m_view.state = state;
    m_view.stateTimestamps[state] = nowMs;
    m_view.endTimeMs = isGloballyTerminal(state) ? nowMs : -1;
    m_view.lastModificationMs = nowMs;
}

CheckpointRecord* JobStatusBoard::find(std::int64_t id)
{
    auto it = std::find_if(
        m_view.history.begin(), m_view.history.end(), [id](const CheckpointRecord& r) { return r.id == id; });
    return it == m_view.history.end() ? nullptr : &*it;
}

void JobStatusBoard::checkpointTriggered(std::int64_t id, std::int64_t nowMs, bool savepoint)
{
    std::lock_guard lock(m_mutex);
    if (find(id))
        return;
    insertNewestFirst(m_view.history, id, nowMs, savepoint);
    ++m_view.inProgressCount;
    m_view.lastModificationMs = nowMs;
}

void JobStatusBoard::checkpointCompleted(
    std::int64_t id, std::int64_t nowMs, std::int64_t stateSizeBytes, const QString& externalPath)
{
    std::lock_guard lock(m_mutex);
    CheckpointRecord* record = find(id);
    if (record && record->status != CheckpointRecord::Status::InProgress)
        return;
    CheckpointRecord done = record ? *record : CheckpointRecord {id, {}, nowMs, 0, 0, 0, {}, false, {}};
    done.status = CheckpointRecord::Status::Completed;
    done.latestAckTimestampMs = nowMs;
    done.endToEndDurationMs = std::max<std::int64_t>(0, nowMs - done.triggerTimestampMs);
    done.stateSizeBytes = stateSizeBytes;
    done.externalPath = externalPath;
    if (record)
        --m_view.inProgressCount;
    else // its trigger was never reported or has left the history: it is known only from how it ended
        record = insertNewestFirst(m_view.history, id, nowMs);
    if (record)
        *record = done;
    ++m_view.completedCount;
    account(m_view.endToEndDurationStats, done.endToEndDurationMs);
    account(m_view.stateSizeStats, stateSizeBytes);
    // As in Flink, a savepoint is not the latest completed checkpoint: checkpoint age is measured without it.
    auto& latest = done.savepoint ? m_view.latestSavepoint : m_view.latestCompleted;
    if (!latest || latest->id < id)
        latest = done;
    m_view.lastModificationMs = nowMs;
}

void JobStatusBoard::checkpointFailed(std::int64_t id, std::int64_t nowMs, const QString& message)
{
    std::lock_guard lock(m_mutex);
    CheckpointRecord* record = find(id);
    if (record && record->status != CheckpointRecord::Status::InProgress)
        return;
    CheckpointRecord done = record ? *record : CheckpointRecord {id, {}, nowMs, 0, 0, 0, {}, false, {}};
    done.status = CheckpointRecord::Status::Failed;
    done.latestAckTimestampMs = 0; // a checkpoint that failed as a whole counts as unacknowledged
    done.endToEndDurationMs = std::max<std::int64_t>(0, nowMs - done.triggerTimestampMs);
    done.stateSizeBytes = 0;
    done.failureMessage = message;
    if (record)
        --m_view.inProgressCount;
    else
        record = insertNewestFirst(m_view.history, id, nowMs);
    if (record)
        *record = done;
    ++m_view.failedCount;
    if (!m_view.latestFailed || m_view.latestFailed->id < id)
        m_view.latestFailed = done;
    m_view.lastModificationMs = nowMs;
}

JobStatusView JobStatusBoard::view() const
{
    std::lock_guard lock(m_mutex);
    return m_view;
}

} // namespace pw::demo
