#pragma once

#include "replay/guidedrecovery.h"

#include <QStringList>
#include <QWizard>

#include <functional>
#include <memory>
#include <optional>

class QLabel;

namespace pw {

/// What the recovery wizard works with: the running config and ledger and, in embedded mode, the demo's serving
/// table and its faults.
struct RecoveryEnvironment
{
    std::shared_ptr<const PipelineConfig> config;
    std::shared_ptr<Ledger> ledger;
    QString reconcileTopic; // embedded mode: the topic and serving table reconciled at the end
    QString servingDatabase;
    /// Embedded mode: the names of the faults on now (cheap; called on the GUI thread).
    std::function<QStringList()> faultsOn;
    /// Embedded mode: turns a fault off (blocking; called off the GUI thread).
    std::function<void(const QString&)> clearFault;

    bool isValid() const { return config && !config->recovery.empty(); }
};

/// The guided recovery in the console, a thin face on pw::GuidedRecovery (the same code `pathwatch rehearse` runs):
/// group → target (the group's ledger history, the incident, the last trusted point) → preview → live preflight →
/// confirm → progress → verified result with the audit entry and Undo → catch-up → reconciliation (embedded mode).
/// Every call to Kafka, Flink, the ledger or a file runs on the global thread pool; the GUI thread never waits.
/// Cancel works until the recovery executes. GUI thread only.
class RecoveryWizard : public QWizard
{
    Q_OBJECT
public:
    enum PageId
    {
        GroupPage,
        TargetPage,
        PreviewPage,
        PreflightPage,
        ConfirmPage,
        ProgressPage,
        ResultPage,
        CatchUpPage,
        ReconcilePage,
    };

    explicit RecoveryWizard(RecoveryEnvironment environment, QWidget* parent = nullptr);
    ~RecoveryWizard() override;

    /// Preselects a group (one with a `recovery:` entry).
    void setGroup(const QString& group);
    QString group() const;

    const RecoveryEnvironment& environment() const { return m_env; }
    std::shared_ptr<GuidedRecovery> recovery() const { return m_recovery; }
    /// Where the replay starts (ms since epoch, the start of a minute); 0 until the target step loaded.
    qint64 replayFromMs() const { return m_fromMs; }
    void setReplayFromMs(qint64 ms);
    const std::optional<GroupHistory>& history() const { return m_history; }
    const std::optional<RecoveryPreview>& preview() const { return m_preview; }
    const std::optional<FlinkReplayResult>& outcome() const { return m_outcome; }
    const std::optional<AuditEntry>& auditEntry() const { return m_audit; }
    const std::optional<FlinkReplayResult>& undoOutcome() const { return m_undoOutcome; }
    const std::optional<RecoveryPreview>& undoPreview() const { return m_undoPreview; }
    const std::optional<ReconcileReport>& reconciliation() const { return m_reconciliation; }
    bool isExecuting() const { return m_executing; }
    QStringList timeline() const { return m_timeline; }

    /// The report "Save report…" writes: the same Markdown as `pathwatch rehearse --report`.
    RecoveryReport report() const;
    /// Writes the report off the GUI thread; reportSaved() tells the outcome (a failure is also shown on the page,
    /// and nothing of the result is lost).
    void saveReport(const QString& path);

    /// Previews undoing the recovery (undoPreviewed), then, from the dialog or undo(), executes it (undoFinished).
    void previewUndo();
    void undo();

    void reject() override;

protected:
    void changeEvent(QEvent* event) override;

Q_SIGNALS:
    /// A step finished its background work (loaded, checked, executed…): `page` is a PageId.
    void stepReady(int page);
    void executionFinished();
    void caughtUp();
    void undoPreviewed();
    void undoFinished();
    void reportSaved(bool ok, const QString& message);

private:
    friend class RecoveryPage;
    friend class GroupStep;
    friend class TargetStep;
    friend class PreviewStep;
    friend class PreflightStep;
    friend class ConfirmStep;
    friend class ProgressStep;
    friend class ResultStep;
    friend class CatchUpStep;
    friend class ReconcileStep;

    void note(const QString& line);
    void updateSteps(int current);
    QStringList faultsOn() const;

    RecoveryEnvironment m_env;
    QString m_group;
    std::shared_ptr<GuidedRecovery> m_recovery;
    std::optional<GroupHistory> m_history;
    qint64 m_fromMs = 0;
    std::optional<RecoveryPreview> m_preview;
    std::optional<FlinkReplayResult> m_outcome;
    std::optional<AuditEntry> m_audit;
    qint64 m_restartedMs = 0;
    std::optional<RecoveryPreview> m_undoPreview;
    std::optional<FlinkReplayResult> m_undoOutcome;
    std::optional<ReconcileReport> m_reconciliation;
    bool m_executing = false;
    int m_lastPage = -1;
    QStringList m_timeline;
    QList<QLabel*> m_stepLabels;
};

} // namespace pw
