#pragma once

#include <QString>

#include <cstdint>

namespace pw {

/// What a `kafka` poll saw of one partition of one group: the raw numbers the recovery ledger keeps.
struct OffsetObservation
{
    QString group;
    QString topic;
    int32_t partition = 0;
    int64_t committedOffset = -1; // -1: the group has no committed offset for it
    int64_t highWatermark = -1;
    int64_t logStartOffset = -1; // -1: not known
    qint64 observedMs = 0;
};

/// One checkpoint (or savepoint) a `flink` poll saw in a job's checkpoint history.
struct CheckpointObservation
{
    QString jobId;
    QString jobName;
    qint64 checkpointId = 0;
    QString status; // COMPLETED, FAILED, IN_PROGRESS
    bool savepoint = false;
    qint64 triggerMs = 0;
    qint64 completionMs = 0; // 0 while in progress or when failed
    qint64 durationMs = 0;
    qint64 sizeBytes = 0;
    QString externalPath; // where a completed checkpoint or savepoint was written, when Flink says
    qint64 observedMs = 0;
};

} // namespace pw
