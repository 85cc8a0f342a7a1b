#pragma once

#include "readiness/readiness.h"

#include <chrono>

namespace pw {

class Ledger;

/// Gathers what readiness judges: the configs and replication of the topics that hold recoverable history (through
/// each kafka source's admin API: DescribeConfigs and metadata), which signals the config watches, and from the
/// ledger the checkpoint history, the audit log, rehearsals and reconciliations. Blocking (network and disk): call it
/// from a worker thread. `ledger` may be null (then `ledgerError` says why). Thread-safe.
ReadinessEvidence collectReadinessEvidence(const PipelineConfig& config, Ledger* ledger, const QString& ledgerError,
    qint64 nowMs, std::chrono::milliseconds kafkaTimeout = std::chrono::milliseconds(8000));

} // namespace pw
