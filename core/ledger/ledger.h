#pragma once

#include "model/error.h"
#include "model/observations.h"
#include "model/severity.h"
#include "model/transition.h"

#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace pw {

/// One row of the ledger's offsets table: what a poll of a kafka source saw of one group's partition.
struct LedgerOffsetRow
{
    QString sourceId;
    QString clusterId;
    QString group;
    QString topic;
    int32_t partition = 0;
    int64_t committedOffset = -1;
    int64_t highWatermark = -1;
    int64_t logStartOffset = -1;
    qint64 atMs = 0;
};

struct LedgerCheckpointRow
{
    QString sourceId;
    CheckpointObservation checkpoint;
};

/// A period during which a stage was not OK: opened by its first transition away from OK, closed when it is OK again.
struct Incident
{
    qint64 id = 0;
    QString stageId;
    qint64 startMs = 0;
    qint64 endMs = 0; // 0 while open
    Severity worst = Severity::Unknown;
    QString reason; // the reason of the transition that opened it
};

/// One row of the append-only replay audit log. `details` holds the per-partition before/after/verified offsets,
/// the Flink steps and the savepoint as JSON text, so the table never needs a migration for a new field.
struct AuditEntry
{
    qint64 id = 0;
    qint64 atMs = 0;
    QString actor; // $USER@host
    QString sourceId;
    QString clusterId;
    QString group;
    QString target; // the target as the user gave it, e.g. "--to-last-trusted --incident 3"
    QString reason;
    QString planHash;
    QString outcome; // executed-verified, refused, failed, partly-applied, undone...
    QByteArray details; // JSON
    qint64 undoOf = 0; // the entry this one undid, 0 when none
};

/// The outcome of a check that proves recovery works, kept so readiness can judge how recent the proof is: a
/// rehearsal (`pathwatch rehearse`, named by its fault) or a reconciliation of two stores (`pathwatch reconcile`,
/// named by its `reconcile:` entry). Append-only.
struct VerificationRecord
{
    enum class Kind
    {
        Rehearsal,
        Reconciliation,
    };
    qint64 id = 0;
    qint64 atMs = 0;
    Kind kind = Kind::Rehearsal;
    QString name;
    bool passed = false;
    QString summary; // one line: what was found
    int matched = 0; // windows of the reconciliation
    int mismatched = 0;
    int missing = 0;
    int unexpected = 0;
    qint64 auditId = 0; // the replay's audit entry, 0 when none
};

/// The recovery ledger: `ledger.sqlite` in the data dir (SQLite in WAL mode through Qt Sql). The engine writes
/// offsets, checkpoints and incidents; any process may read it and append audit rows (with a busy timeout).
///
/// Thread-safety: every method may be called from any thread; writes are queued to the ledger's own thread (one
/// transaction per poll), reads open their own connection.
class Ledger
{
public:
    struct Options
    {
        qint64 retentionMs = 14LL * 24 * 3600 * 1000; // ledger.retention
        qint64 maxBytes = 512LL * 1024 * 1024; // ledger.max_bytes
        qint64 minRowIntervalMs = 60 * 1000; // an unchanged partition still gets one row per minute
        qint64 thinAfterMs = 24LL * 3600 * 1000; // older rows are thinned
        qint64 busyTimeoutMs = 5000; // how long a write waits for another process's transaction
        qint64 maintenanceIntervalMs = 5 * 60 * 1000; // compaction, thinning, retention and the size cap
        /// The time maintenance judges ages by; the wall clock when empty (tests and benchmarks inject theirs).
        std::function<qint64()> clock;
    };

    /// Opens (creating when needed) `path`: the file itself, or `ledger.sqlite` inside it when `path` is an existing
    /// directory (the data dir). Fails with Error::Code::Io and a sentence saying why (not writable,
    /// corrupt, locked) — callers that only monitor go on without a ledger and report it as degraded.
    static Result<std::unique_ptr<Ledger>> open(const QString& path, Options options);
    static Result<std::unique_ptr<Ledger>> open(const QString& path) { return open(path, Options {}); }
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    QString path() const;
    /// Empty while writes succeed; else why the latest one failed (disk full, locked...): "degraded". Monitoring goes
    /// on; the failed poll's rows are dropped, and the next successful write clears it.
    QString degradedReason() const;
    /// When the ledger became degraded (ms since the epoch), 0 while it is not.
    qint64 degradedSinceMs() const;

    // Writers (queued, asynchronous; flush() waits for them).
    void recordPoll(const QString& sourceId, const QString& clusterId, const std::vector<OffsetObservation>& offsets,
        const std::vector<CheckpointObservation>& checkpoints);
    void recordTransitions(const std::vector<Transition>& transitions);
    /// Queues maintenance now instead of waiting for its interval (it also runs after writes, every
    /// `maintenanceIntervalMs` by the clock).
    void runMaintenance();
    void flush();

    // Queries (synchronous; they read what is committed).
    /// For each partition of `group`, the newest row at or before `atMs`. Fails with NotFound when the ledger holds
    /// no row of the group at or before `atMs` ("the ledger does not cover T").
    Result<std::vector<LedgerOffsetRow>> committedOffsetsAt(const QString& sourceId, const QString& group, qint64 atMs);
    /// High watermark per partition of `topic` at `atMs` (newest row at or before it, any group).
    Result<std::vector<LedgerOffsetRow>> highWatermarksAt(const QString& sourceId, const QString& topic, qint64 atMs);
    /// Rows of a group between two times, oldest first (for charts and consume-rate estimates).
    Result<std::vector<LedgerOffsetRow>> offsetHistory(
        const QString& sourceId, const QString& group, qint64 fromMs, qint64 toMs);
    /// The best consume rate (records/s, all partitions) the ledger has seen for the group; nullopt without data.
    Result<std::optional<double>> bestConsumeRate(const QString& sourceId, const QString& group);
    /// Checkpoints of a job completed or failed before `atMs`, newest first, at most `limit`.
    Result<std::vector<LedgerCheckpointRow>> checkpointsBefore(
        const QString& sourceId, const QString& jobId, qint64 atMs, int limit);
    /// Checkpoints (or only savepoints) of every job that ended at or after `fromMs`, newest first, at most `limit`.
    Result<std::vector<LedgerCheckpointRow>> checkpointsSince(qint64 fromMs, int limit, bool savepointsOnly = false);
    Result<std::optional<LedgerCheckpointRow>> checkpoint(const QString& sourceId, const QString& jobId, qint64 id);
    Result<std::vector<Incident>> incidents(qint64 fromMs, qint64 toMs);
    Result<std::optional<Incident>> incident(qint64 id);
    /// The newest incident still open, of one of `stageIds` (any stage when empty).
    Result<std::optional<Incident>> newestOpenIncident(const std::vector<QString>& stageIds);
    /// Signal, stage and source transitions between two times, oldest first.
    Result<std::vector<Transition>> transitions(qint64 fromMs, qint64 toMs);

    // The audit log: append-only, written synchronously (a recovery must not proceed unrecorded).
    Result<qint64> appendAudit(const AuditEntry& entry);
    Result<void> updateAuditOutcome(qint64 id, const QString& outcome, const QByteArray& details);
    Result<std::vector<AuditEntry>> auditEntries(qint64 fromMs = 0, qint64 toMs = 0);
    Result<std::optional<AuditEntry>> auditEntry(qint64 id);

    /// Rehearsals and reconciliations: written synchronously, like the audit log.
    Result<qint64> appendVerification(const VerificationRecord& record);
    /// Those of one kind, newest first, at most `limit`.
    Result<std::vector<VerificationRecord>> verifications(VerificationRecord::Kind kind, int limit = 20);

    /// Bytes of the database file and its WAL.
    qint64 sizeBytes() const;

private:
    Ledger();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pw
