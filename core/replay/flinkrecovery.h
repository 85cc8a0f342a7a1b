#pragma once

#include "config/config.h"
#include "model/error.h"
#include "replay/flinkclient.h"
#include "replay/preflight.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace pw {

/// The Flink steps of a recovery (DESIGN.md, "Stream jobs are Flink-like"): a Flink job assigns its partitions and
/// restores offsets from its own state, so its group is reset only while it is stopped, and it is started again
/// without state from the group's offsets (or, to undo, from the savepoint the stop took). Blocking (REST calls):
/// call off the GUI thread.
class FlinkRecovery
{
public:
    /// `recovery` must name a flink source; its URL and headers come from `config`.
    static Result<FlinkRecovery> create(const PipelineConfig& config, const RecoveryConfig& recovery);

    /// The job as Flink's REST API sees it now, for preflight: by id, else the newest job with the configured name
    /// (a RUNNING one first). `stateError` says why when REST cannot tell.
    FlinkJobCheck check() const;
    /// Stops the running job with a savepoint and waits for it. Returns the savepoint's location.
    Result<QString> stopWithSavepoint(const QString& jobId) const;
    /// Runs the configured jar again: without state (from the group's offsets) or from `savepoint`. Returns the new
    /// job's id.
    Result<QString> start(const std::optional<QString>& savepoint) const;

    const RecoveryConfig& recovery() const { return m_recovery; }

private:
    FlinkRecovery(replay::FlinkClient client, RecoveryConfig recovery);
    replay::FlinkClient m_client;
    RecoveryConfig m_recovery;
};

} // namespace pw
