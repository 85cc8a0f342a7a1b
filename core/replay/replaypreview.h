#pragma once

#include "replay/preflight.h"
#include "replay/replayphasetimes.h"
#include "replay/replayplan.h"
#include "replay/replaytarget.h"

#include <optional>

namespace pw {

class KafkaAdmin;
class Ledger;

/// Everything a replay is asked to do.
struct ReplayRequest
{
    ReplayContext context;
    ReplayTarget target;
    ReplayScope scope;
    bool allowClamp = false;
    std::optional<FlinkJobCheck> flink;
    ReplayPhaseTimes* timings = nullptr; // when set, the preview adds the time of each of its steps
};

/// A dry run: the plan, its preflight, and the group as it was seen.
struct ReplayPreview
{
    ReplayPlan plan;
    PreflightResult preflight;
    KafkaAdmin::GroupDescription group;
};

/// For FlinkJobCheck: whether the ledger saw the group's committed offsets move in its newest `polls` rows of each
/// partition (a job that still commits on checkpoint is running somewhere, whatever its REST says). Sets
/// `recentOffsetCommits` and `polledCommits` of `check`; fails when the ledger cannot be read.
Result<void> fillRecentCommits(
    Ledger& ledger, const QString& sourceId, const QString& group, qint64 nowMs, int polls, FlinkJobCheck& check);

/// Reads the cluster (the group, its offsets, the topics and their watermarks), the ledger's best consume rate
/// (when there is a ledger), resolves the target, builds the plan and runs the preflight. Changes nothing.
/// Fails with Error::Code::Refused when the target cannot be resolved for a reason preflight-like (the ledger does
/// not cover it), Config for a target that needs more options, and Kafka's errors otherwise.
Result<ReplayPreview> previewReplay(KafkaAdmin& admin, Ledger* ledger, const ReplayRequest& request);

} // namespace pw
