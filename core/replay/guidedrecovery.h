#pragma once

#include "config/config.h"
#include "ledger/ledger.h"
#include "model/error.h"
#include "replay/flinkreplay.h"
#include "replay/reconcile.h"
#include "replay/replaypreview.h"
#include "sources/kafkaadmin.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace pw {

/// What a guided recovery works on.
struct GuidedRecoverySetup
{
    std::shared_ptr<const PipelineConfig> config;
    QString group; // must have a `recovery:` entry in the config
    std::shared_ptr<Ledger> ledger;
    /// Embedded mode: the topic and the serving table (SQLite) whose windows are reconciled; empty otherwise.
    QString reconcileTopic;
    QString servingDatabase;
};

/// The group's committed offset and lag, summed over its partitions, at one time the ledger recorded.
struct GroupHistoryPoint
{
    qint64 atMs = 0;
    int64_t committed = 0;
    int64_t lag = 0;
};

/// What the target step shows: the group's history from the ledger, the incidents over it, and the suggested point.
struct GroupHistory
{
    std::vector<GroupHistoryPoint> points;
    std::vector<Incident> incidents;
    std::optional<Incident> incident; // the incident the recovery answers (newest open one downstream, else newest)
    qint64 lastTrustedMs = 0;
    qint64 replayFromMs = 0; // GuidedRecovery::replayFromMs(lastTrustedMs)
};

/// A recovery's dry run: the plan and its preflight as they will be at execute time.
struct RecoveryPreview
{
    ReplayPreview replay;
    std::optional<FlinkJobCheck> flink; // the job as REST sees it now (a Flink job's group only)
    bool stopsJob = false; // the job runs: execute stops it with a savepoint first (a passed preflight item says so)
    qint64 undoOf = 0; // an undo's preview: the audit entry it reverses
    QString undoSavepoint; // an undo of a Flink recovery starts the job from this savepoint
};

/// How far a restarted consumer is from the end of the log.
struct CatchUpStatus
{
    qint64 atMs = 0;
    int64_t lag = 0; // records behind the high watermarks, summed
    bool caughtUp = false;
    QString sentence; // what "caught up" was judged by
};

/// The sequencing of a guided recovery (DESIGN.md, "Words": stop, replay, restart, catch up, reconcile), shared by
/// the console's wizard and `pathwatch rehearse`, so both run exactly the same core code: the last trusted point,
/// the dry run with its preflight, the audited execution (for a Flink job: stop with savepoint → reset → verify →
/// start from the group's offsets), undo, the catch-up and, in embedded mode, reconciliation of the serving table.
///
/// Every call but the accessors is blocking (Kafka, Flink REST, the ledger, SQLite): call them off the GUI thread.
/// Thread-safety: calls may come from any thread, one at a time per call site; the Kafka handle and the ledger are
/// thread-safe themselves.
class GuidedRecovery
{
public:
    static Result<std::shared_ptr<GuidedRecovery>> create(GuidedRecoverySetup setup);

    const RecoveryConfig& recovery() const { return m_recovery; }
    const QString& group() const { return m_recovery.group; }
    bool isFlinkJob() const { return m_flink.has_value(); }
    bool production() const { return m_recovery.production; }
    bool canReconcile() const { return !m_setup.servingDatabase.isEmpty(); }
    /// The stages after the one the group's kafka source feeds: their incidents are what a replay answers.
    const std::vector<QString>& downstreamStages() const { return m_downstream; }

    /// Where a replay starts for a last trusted point: the start of the minute before it, so every one-minute window
    /// the job writes again is whole and at least one of them closed before the trouble.
    static qint64 replayFromMs(qint64 lastTrustedMs);
    /// The target of a replay from `fromMs`: the first record at or after it (`--to-datetime`).
    static ReplayTarget targetFrom(qint64 fromMs);

    /// The newest open incident of a downstream stage that began at or after `sinceMs` (any stage's when none), or
    /// nothing.
    Result<std::optional<Incident>> currentIncident(qint64 sinceMs = 0) const;
    /// The last trusted point: when the incident began, or the last time before it the group's committed offsets
    /// advanced, whichever is earlier (a stopped job stops committing before anything notices); not after
    /// `notAfterMs` when given.
    Result<qint64> lastTrustedMs(const std::optional<Incident>& incident, std::optional<qint64> notAfterMs = {}) const;
    /// The group's history over [fromMs, toMs], its incidents and the suggested target.
    Result<GroupHistory> history(qint64 fromMs, qint64 toMs) const;

    /// The dry run of a replay from `fromMs` (nothing changes): the plan, and the preflight as at execute time — a
    /// running Flink job is checked as it will be once stopped, and that step is listed.
    Result<RecoveryPreview> preview(qint64 fromMs) const;
    /// The recovery: runs the preflight again (a consumer that came back is refused, nothing changed), then for a
    /// Flink job stop with savepoint → reset → verify → start without state from the group's offsets, for a plain
    /// consumer reset → verify; audited. `progress` gets one line per step.
    Result<FlinkReplayResult> execute(
        qint64 fromMs, const QString& reason, const std::function<void(const QString&)>& progress = {}) const;

    /// The dry run of undoing audit entry `auditId`: each partition back to its "before" offset, through the same
    /// preflight; a Flink job that re-consumed since is stopped with a savepoint and started from the savepoint the
    /// undone recovery took.
    Result<RecoveryPreview> previewUndo(qint64 auditId) const;
    Result<FlinkReplayResult> executeUndo(
        qint64 auditId, const QString& reason, const std::function<void(const QString&)>& progress = {}) const;

    /// The group's lag now, and whether it caught up after a restart at `restartedMs` of a replay from `fromMs`:
    /// in embedded mode, when the job has written again every minute that closed before the restart; otherwise when
    /// the lag is back under 1% of `initialLag` (or 1000 records).
    Result<CatchUpStatus> catchUp(qint64 restartedMs, qint64 fromMs, int64_t initialLag = 0) const;
    /// The minutes a recovery from `fromMs` restarted at `restartedMs` touched: [from, to) for reconcile().
    static std::pair<std::int64_t, std::int64_t> touchedMinutes(qint64 fromMs, qint64 restartedMs);
    /// Embedded mode: the closed windows of [fromMinute, toMinute) recomputed from the topic and compared with the
    /// serving table.
    Result<ReconcileReport> reconcile(std::int64_t fromMinute, std::int64_t toMinute) const;

    Result<std::optional<AuditEntry>> auditEntry(qint64 id) const;

private:
    GuidedRecovery() = default;
    ReplayRequest requestFor(const ReplayTarget& target) const;
    AuditEntry entryFor(const QString& target, const QString& reason) const;
    Result<ReplayRequest> undoRequest(qint64 auditId, QString* savepoint) const;
    Result<FlinkReplayResult> run(ReplayRequest request, AuditEntry entry, const std::optional<QString>& savepoint,
        const std::function<void(const QString&)>& progress) const;

    GuidedRecoverySetup m_setup;
    RecoveryConfig m_recovery;
    std::vector<QString> m_downstream;
    std::optional<FlinkRecovery> m_flink;
    std::shared_ptr<KafkaAdmin> m_admin;
    QString m_bootstrapServers;
};

/// The Markdown report of a recovery (`pathwatch rehearse --report`, the wizard's "Save report…"): the result, the
/// timeline, the plan, the audit entry and the reconciliation.
struct RecoveryReport
{
    QString title; // "Rehearsal of fault `stop-job`"
    QString result; // "reconciled, every window matches" or the failure
    QStringList facts; // sentences after the result (detection, fault to reconciled…)
    QStringList timeline;
    std::optional<ReplayPlan> plan;
    std::optional<AuditEntry> audit;
    std::optional<ReconcileReport> reconciliation;

    QString markdown() const;
    /// Writes markdown() to `path`; a clear error (the file and why) when it cannot.
    Result<void> save(const QString& path) const;
};

} // namespace pw
