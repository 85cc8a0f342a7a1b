#pragma once

#include "engine/engine.h"

#include <memory>

namespace pw {

class Ledger;

/// Feeds the recovery ledger from an engine: every poll's offsets and checkpoints (keyed by the polled source's id
/// and the cluster id it reported) and every severity transition. Only queues work: the ledger writes on its own
/// thread, so the engine's workers never wait for the disk.
/// Thread-safety: called by the engine, one call at a time (EngineObserver's contract); the ledger is thread-safe.
class LedgerRecorder : public EngineObserver
{
public:
    explicit LedgerRecorder(std::shared_ptr<Ledger> ledger);

    void pollFinished(const SourceHealth& source, const PollResult& result) override;
    void transitions(const std::vector<Transition>& changes, const SnapshotPtr& snapshot) override;

    const std::shared_ptr<Ledger>& ledger() const { return m_ledger; }

private:
    std::shared_ptr<Ledger> m_ledger;
};

} // namespace pw
