#pragma once

#include <QString>

#include <optional>

namespace pw {

/// What a signal measures. The config names them in snake_case (`sink_commit_latency`).
enum class SignalKind
{
    ConsumerLag, // messages
    TimeLag, // seconds
    ReplayHeadroom, // seconds of retained data beyond the recovery window
    CheckpointAge, // seconds since the last completed checkpoint
    CheckpointDuration, // seconds the last completed checkpoint took
    FailedCheckpoints, // count in the window
    JobState, // 0 running, 1 restarting/created, 2 failed/cancelled (see JobStateCode)
    SinkCommitLatency, // seconds
    ObjectStorageErrors, // errors per second
    ObjectStorageErrorRatio, // fraction of requests 0..1
    DashboardFreshness, // seconds since the newest data point shown
    DataAge, // seconds since the newest data at a hop (end-to-end view)
    Custom, // any other number a source yields
};

QString signalKindName(SignalKind kind); // snake_case config name
std::optional<SignalKind> signalKindFromName(QStringView name);
QString signalKindTitle(SignalKind kind); // "Sink commit latency"
QString signalKindDefaultUnit(SignalKind kind); // "s", "messages", "errors/s", "ratio", ""
QStringList allSignalKindNames();

} // namespace pw
