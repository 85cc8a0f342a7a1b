#include "model/signalkind.h"

#include <QStringList>

#include <array>

namespace pw {

namespace {
struct KindInfo
{
    SignalKind kind;
    const char* name;
    const char* title;
    const char* unit;
};

constexpr std::array kKinds {
    KindInfo {SignalKind::ConsumerLag, "consumer_lag", "Consumer lag", "messages"},
    KindInfo {SignalKind::TimeLag, "time_lag", "Time lag", "s"},
    KindInfo {SignalKind::ReplayHeadroom, "replay_headroom", "Replay headroom", "s"},
    KindInfo {SignalKind::CheckpointAge, "checkpoint_age", "Checkpoint age", "s"},
    KindInfo {SignalKind::CheckpointDuration, "checkpoint_duration", "Checkpoint duration", "s"},
    KindInfo {SignalKind::FailedCheckpoints, "failed_checkpoints", "Failed checkpoints", ""},
    KindInfo {SignalKind::JobState, "job_state", "Job state", "state"},
    KindInfo {SignalKind::SinkCommitLatency, "sink_commit_latency", "Sink commit latency", "s"},
    KindInfo {SignalKind::ObjectStorageErrors, "object_storage_errors", "Object-storage errors", "errors/s"},
    KindInfo {SignalKind::ObjectStorageErrorRatio, "object_storage_error_ratio", "Object-storage error ratio", "ratio"},
    KindInfo {SignalKind::DashboardFreshness, "dashboard_freshness", "Dashboard freshness", "s"},
    KindInfo {SignalKind::DataAge, "data_age", "Data age", "s"},
    KindInfo {SignalKind::Custom, "custom", "Custom", ""},
};

const KindInfo& info(SignalKind kind)
{
    for (const auto& k : kKinds)
        if (k.kind == kind)
            return k;
    return kKinds.back();
}
} // namespace

QString signalKindName(SignalKind kind)
{
    return QString::fromLatin1(info(kind).name);
}

std::optional<SignalKind> signalKindFromName(QStringView name)
{
    for (const auto& k : kKinds)
        if (name == QLatin1String(k.name))
            return k.kind;
    return std::nullopt;
}

QString signalKindTitle(SignalKind kind)
{
    return QString::fromLatin1(info(kind).title);
}

QString signalKindDefaultUnit(SignalKind kind)
{
    return QString::fromLatin1(info(kind).unit);
}

QStringList allSignalKindNames()
{
    QStringList names;
    for (const auto& k : kKinds)
        names << QString::fromLatin1(k.name);
    return names;
}

} // namespace pw
