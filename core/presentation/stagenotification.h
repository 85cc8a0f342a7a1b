#pragma once

#include "model/snapshot.h"
#include "model/transition.h"

#include <QString>

namespace pw {

/// What one engine transition turns into for the people watching: nothing, "<stage> is WARN|CRIT|STALE", or
/// "<stage> resolved". Only stage transitions count (a stage sums up its signals); the engine reports them after
/// `for:` and hysteresis, so a flapping value yields none. A first judgement (UNKNOWN → OK) is not news. Shared by
/// the desktop notifier and the webhook so both say the same thing at the same moments. Plain value type.
struct StageNotification
{
    QString stageId;
    QString stageTitle;
    QString summary; // "Sink is CRIT", "Sink resolved"; empty = nothing to notify
    QString body; // "2.1 s ≥ crit 2 s (was WARN)", "OK again (was CRIT)"
    bool urgent = false; // CRIT or STALE
    bool resolved = false;

    bool isEmpty() const { return summary.isEmpty(); }
};

StageNotification stageNotificationFor(const Transition& transition, const QString& stageTitle);
/// The same, with the stage's title looked up in the snapshot the transition came with.
StageNotification stageNotificationFor(const Transition& transition, const Snapshot* snapshot);

/// The signal that gives the stage its severity in `snapshot` (the first in that state), else its headline; or null.
const SignalState* worstSignalOfStage(const Snapshot& snapshot, const QString& stageId);

} // namespace pw
