#pragma once

#include "engine/engine.h"
#include "model/observations.h"

#include <QHash>
#include <QString>

#include <mutex>
#include <vector>

namespace pw {

/// The checkpoints each stream-job source reported in its latest poll (Flink's own recent history), so a page can
/// name the job whose longer history the ledger holds. Thread-safe: written on engine threads, read on any.
class CheckpointFeed : public EngineObserver
{
public:
    void pollFinished(const SourceHealth& source, const PollResult& result) override;
    std::vector<CheckpointObservation> recent(const QString& sourceId) const;

private:
    mutable std::mutex m_mutex;
    QHash<QString, std::vector<CheckpointObservation>> m_bySource;
};

} // namespace pw
