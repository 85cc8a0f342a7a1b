#include "ledger/ledgerrecorder.h"

#include "ledger/ledger.h"

namespace pw {

LedgerRecorder::LedgerRecorder(std::shared_ptr<Ledger> ledger)
    : m_ledger(std::move(ledger))
{ }

void LedgerRecorder::pollFinished(const SourceHealth& source, const PollResult& result)
{
    if (!m_ledger || (result.offsets.empty() && result.checkpoints.empty()))
        return;
    m_ledger->recordPoll(source.sourceId, result.clusterId, result.offsets, result.checkpoints);
}

void LedgerRecorder::transitions(const std::vector<Transition>& changes, const SnapshotPtr&)
{
    if (m_ledger)
        m_ledger->recordTransitions(changes);
}

} // namespace pw
