#include "model/snapshot.h"

namespace pw {

const SignalState* Snapshot::findSignal(const QString& signalId, const Labels& labels) const
{
    for (const auto& s : signalStates)
        if (s.signalId == signalId && (labels.empty() || s.labels == labels))
            return &s;
    return nullptr;
}

const SourceHealth* Snapshot::findSource(const QString& sourceId) const
{
    for (const auto& s : sources)
        if (s.sourceId == sourceId)
            return &s;
    return nullptr;
}

} // namespace pw
