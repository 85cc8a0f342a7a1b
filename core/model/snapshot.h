#pragma once

#include "model/consumerlag.h"
#include "model/sample.h"
#include "model/severity.h"
#include "model/signalkind.h"
#include "model/thresholds.h"

#include <QMetaType>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace pw {

/// The current state of one series of one signal (a signal with labels such as partition yields several).
struct SignalState
{
    QString signalId; // "stage/name" from the config
    QString stageId;
    QString name; // signal name within its stage
    SignalKind kind = SignalKind::Custom;
    QString unit;
    Labels labels;
    SeriesId seriesId = 0; // its history in the engine's SeriesStore; 0 for a placeholder with no series yet
    Thresholds thresholds; // as configured, for bands on charts
    QString sourceId;
    bool hasValue = false; // false until the first good value
    double value = 0.0; // last good value (kept while STALE)
    qint64 valueTimestampMs = 0; // when the last good value was observed
    Severity severity = Severity::Unknown;
    QString reason; // why not OK: threshold crossed, or the source's error when STALE
};

/// The health of one source: can we read it, since when, and why not.
struct SourceHealth
{
    QString sourceId;
    QString kind; // "promql", "scrape", ...
    QString endpoint; // URL or bootstrap servers, secrets removed
    bool up = false;
    Severity severity = Severity::Unknown; // OK when the last poll succeeded, STALE when it failed
    qint64 lastAttemptMs = 0;
    qint64 lastSuccessMs = 0;
    double lastPollSeconds = 0.0;
    quint64 polls = 0;
    quint64 failures = 0;
    QString error; // the last failure, empty when up
};

/// One hop of the path: the worst of its signals and the age of the newest data seen there.
struct StageState
{
    QString stageId;
    QString title;
    Severity severity = Severity::Unknown;
    QString reason; // reason of the worst signal
    std::vector<int> signalIndexes; // into Snapshot::signalStates
    int headlineSignal = -1; // index into Snapshot::signalStates shown on the tile; -1 when none
    std::optional<double> dataAgeSeconds; // end-to-end view: age of the newest data at this hop
};

/// Immutable picture of everything at one instant; shared between threads as SnapshotPtr.
/// A part of the instance's own storage that cannot be written (a full disk, a locked file): monitoring goes on
/// without it. `part` is "ledger" or "history".
struct DegradedPart
{
    QString part;
    QString reason;
    qint64 sinceMs = 0;
};

struct Snapshot
{
    quint64 sequence = 0;
    qint64 takenMs = 0;
    QString pipelineName;
    std::vector<StageState> stages;
    std::vector<SignalState> signalStates;
    std::vector<SourceHealth> sources;
    Severity overall = Severity::Unknown;
    /// End-to-end view: the first hop whose data is much older than the hop before it ("data stops moving here"),
    /// empty when the ages line up or are not known.
    QString dataStopStageId;
    QString dataStopAfterStageId; // the hop before it, whose data is fresh
    /// Consumer groups of the kafka sources that watch `groups`: the latest report of each (kept while the source
    /// is STALE; its SourceHealth says so).
    std::vector<LagReportPtr> consumerLag;
    /// The instance's storage that cannot be written (set by the instance, not the engine); empty: state "ok".
    std::vector<DegradedPart> degraded;

    const SignalState* findSignal(const QString& signalId, const Labels& labels = {}) const;
    const SourceHealth* findSource(const QString& sourceId) const;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

} // namespace pw

Q_DECLARE_METATYPE(pw::SnapshotPtr)
