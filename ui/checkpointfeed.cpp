#include "checkpointfeed.h"

namespace pw {

void CheckpointFeed::pollFinished(const SourceHealth& source, const PollResult& result)
{
    if (result.checkpoints.empty())
        return;
    std::lock_guard lock(m_mutex);
    m_bySource.insert(source.sourceId, result.checkpoints);
}

std::vector<CheckpointObservation> CheckpointFeed::recent(const QString& sourceId) const
{
    std::lock_guard lock(m_mutex);
    return m_bySource.value(sourceId);
}

} // namespace pw
