#pragma once

#include "model/sample.h"
#include "model/severity.h"

#include <QString>

#include <optional>
#include <vector>

namespace pw {

struct Snapshot;

/// One change of severity of a signal series, a stage or a source between two snapshots. Value type.
struct Transition
{
    enum class Subject
    {
        Signal,
        Stage,
        Source,
    };
    Subject subject = Subject::Signal;
    QString id; // signal id ("stage/name"), stage id or source id
    QString stageId; // the stage a signal or stage belongs to; empty for a source
    Labels labels; // a signal series' labels
    Severity from = Severity::Unknown;
    Severity to = Severity::Unknown;
    std::optional<double> value; // a signal's value when it has one
    QString unit;
    QString reason; // why it is in `to` now (empty when OK)
    qint64 atMs = 0;

    /// "signal sink/p99{quantile=\"0.99\"}", "stage sink", "source prom": the series a rate limit is kept per.
    QString seriesKey() const;
};

QString transitionSubjectName(Transition::Subject subject); // "signal", "stage", "source"

/// Every severity change from `before` to `after`. With no `before`, every subject that is not UNKNOWN counts as a
/// change from UNKNOWN. Series that disappear are not reported (they go STALE first, which is).
std::vector<Transition> diffSnapshots(const Snapshot* before, const Snapshot& after);

} // namespace pw
