#include "rehearsecommand.h"
#include "consolestreams.h"

#include "demo/embeddedmode.h"
#include "instance/exitcodes.h"
#include "instance/instance.h"
#include "ledger/ledger.h"
#include "replay/guidedrecovery.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>
#include <QThread>

#include <atomic>
#include <csignal>

namespace pw {

namespace {

std::atomic<bool> g_interrupted {false};

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'f', 1);
}

struct Settings
{
    QString fault;
    bool keepFaultOn = false;
    bool skipReplay = false;
    int steadyTimeoutS = 240;
    int detectTimeoutS = 180;
    int catchUpTimeoutS = 240;
};

/// The rehearsal itself, run on a worker thread while the main thread serves the instance's event loop (control
/// socket, engine): everything it does is blocking.
class Rehearsal
{
public:
    Rehearsal(Instance& instance, Settings settings)
        : m_instance(instance)
        , m_settings(std::move(settings))
    { }

    int run();
    QString markdown() const;
    /// The ledger's row for this rehearsal, whatever its outcome: readiness judges how recently one passed.
    VerificationRecord verification(int exitCode) const;

private:
    void step(const QString& line)
    {
        const QString stamped = QStringLiteral("[%1s] %2").arg(seconds(nowMs() - m_startMs).rightJustified(6), line);
        m_timeline << stamped;
        out() << stamped << '\n';
        out().flush();
    }
    bool waitFor(int timeoutS, const std::function<bool()>& done, int stepMs = 250)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < qint64(timeoutS) * 1000) {
            if (g_interrupted)
                return false;
            if (done())
                return true;
            QThread::msleep(stepMs);
        }
        return done();
    }
    /// The first stage not OK (WARN, CRIT, STALE) in the newest snapshot, or null.
    const StageState* troubledStage(const SnapshotPtr& snapshot) const
    {
        if (!snapshot)
            return nullptr;
        for (const auto& stage : snapshot->stages)
            if (stage.severity == Severity::Warn || stage.severity == Severity::Crit
                || stage.severity == Severity::Stale)
                return &stage;
        return nullptr;
    }

    Instance& m_instance;
    Settings m_settings;
    qint64 m_startMs = nowMs();
    qint64 m_injectedMs = 0;
    qint64 m_detectedMs = 0;
    qint64 m_reconciledMs = 0;
    QString m_detectedStage;
    QString m_detectedStatus;
    QString m_detectedReason;
    QStringList m_timeline;
    std::optional<FlinkReplayResult> m_recovery;
    std::optional<AuditEntry> m_audit;
    std::optional<ReconcileReport> m_reconciliation;
    QString m_failure;
};

int Rehearsal::run()
{
    demo::EmbeddedMode* embedded = m_instance.embedded();
    const demo::DemoEndpoints endpoints = embedded->pipeline().endpoints();
    const auto drill = demo::drillFromFaultName(m_settings.fault);
    const QString database = QString::fromStdString(endpoints.servingDatabase.string());
    step(QStringLiteral("embedded demo running in %1").arg(embedded->dataDir()));

    // 1. Steady state: every stage OK.
    const bool steady = waitFor(m_settings.steadyTimeoutS, [&] {
        const SnapshotPtr s = m_instance.latestSnapshot();
        return s && s->overall == Severity::Ok;
    });
    if (!steady) {
        m_failure = g_interrupted
            ? QStringLiteral("interrupted before the fault: nothing was changed")
            : QStringLiteral("the pipeline did not reach steady state (every stage OK) within %1 s")
                  .arg(m_settings.steadyTimeoutS);
        step(m_failure);
        return kExitFailed;
    }
    step(QStringLiteral("steady state: every stage OK"));

    // 2. The fault.
    m_injectedMs = nowMs();
    embedded->pipeline().setDrill(*drill, true);
    if (auto log = m_instance.transitionLog())
        log->message(QStringLiteral("warning"), QStringLiteral("fault %1 turned on (rehearsal)").arg(m_settings.fault));
    step(QStringLiteral("fault %1 injected").arg(m_settings.fault));

    // 3. Detection: the first stage that leaves OK.
    const bool detected = waitFor(m_settings.detectTimeoutS, [&] {
        const SnapshotPtr s = m_instance.latestSnapshot();
        if (const StageState* stage = troubledStage(s)) {
            m_detectedMs = nowMs();
            m_detectedStage = stage->stageId;
            m_detectedStatus = severityName(stage->severity);
            m_detectedReason = stage->reason;
            return true;
        }
        return false;
    });
    if (g_interrupted) {
        embedded->pipeline().setDrill(*drill, false);
        m_failure = QStringLiteral("interrupted before the recovery: the fault was cleared, nothing else changed");
        step(m_failure);
        return kExitFailed;
    }
    if (detected)
        step(QStringLiteral("detected: stage %1 is %2 (%3), %4 s after injection")
                 .arg(m_detectedStage, m_detectedStatus, m_detectedReason, seconds(m_detectedMs - m_injectedMs)));
    else
        step(QStringLiteral("NOT detected: every stage stayed OK for %1 s after injection")
                 .arg(m_settings.detectTimeoutS));

    // 4. Clear it (a negative rehearsal leaves it on).
    if (m_settings.keepFaultOn) {
        step(QStringLiteral("warning: fault %1 is still on (--keep-fault-on); the recovery goes ahead")
                 .arg(m_settings.fault));
    } else {
        embedded->pipeline().setDrill(*drill, false);
        if (auto log = m_instance.transitionLog())
            log->message(
                QStringLiteral("warning"), QStringLiteral("fault %1 turned off (rehearsal)").arg(m_settings.fault));
        step(QStringLiteral("fault %1 cleared").arg(m_settings.fault));
    }

    // 5. The guided recovery: stop with savepoint, reset the group, start without state from its offsets — the
    // same core sequence the console's wizard runs.
    const QString group = QString::fromStdString(endpoints.group);
    GuidedRecoverySetup setup;
    setup.config = std::make_shared<const PipelineConfig>(embedded->config());
    setup.group = group;
    setup.ledger = m_instance.ledger();
    setup.reconcileTopic = QString::fromStdString(endpoints.topic);
    setup.servingDatabase = database;
    if (!setup.ledger) {
        m_failure = QStringLiteral("the recovery ledger cannot be used: %1").arg(m_instance.ledgerState());
        step(m_failure);
        return kExitDataDir;
    }
    auto guided = GuidedRecovery::create(setup);
    if (!guided) {
        m_failure = guided.error().toString();
        step(m_failure);
        return guided.error().code == Error::Code::Config ? kExitConfigError : kExitFailed;
    }
    const GuidedRecovery& recovery = **guided;
    // A job that is restarting (its drill just ended) is let come up first: a job that runs is stopped with a
    // savepoint, one that restarts on its own would take the group back after the reset.
    if (auto flink = FlinkRecovery::create(*setup.config, recovery.recovery()))
        waitFor(
            60, [&] { return flink->check().state == QLatin1String("RUNNING"); }, 500);

    // The last trusted point: when the newest incident began (or the injection, if earlier), and the replay starts at
    // the minute before it.
    auto incident = recovery.currentIncident(m_startMs);
    auto trusted = incident ? recovery.lastTrustedMs(*incident, m_injectedMs) : Result<qint64>(m_injectedMs);
    const qint64 fromMs = GuidedRecovery::replayFromMs(trusted ? *trusted : m_injectedMs);
    qint64 restartedMs = nowMs();
    if (m_settings.skipReplay) {
        step(QStringLiteral("replay skipped (--skip-replay)"));
    } else {
        step(QStringLiteral("recovery of group %1 to %2 (the minute before the last trusted point)")
                 .arg(group, minuteText(fromMs / 1000)));
        auto recovered = recovery.execute(fromMs, QStringLiteral("rehearsal of fault %1").arg(m_settings.fault),
            [this](const QString& line) { step(QStringLiteral("  ") + line); });
        if (!recovered) {
            m_failure = QStringLiteral("the recovery failed: %1").arg(recovered.error().toString());
            step(m_failure);
            return kExitFailed;
        }
        m_recovery = std::move(*recovered);
        if (m_recovery->executed) {
            if (auto stored = recovery.auditEntry(m_recovery->executed->auditId); stored && *stored)
                m_audit = **stored;
            step(QStringLiteral("  audit entry %1: %2")
                     .arg(m_recovery->executed->auditId)
                     .arg(m_recovery->executed->report.outcome));
        }
        if (m_recovery->exitCode != kExitOk) {
            m_failure = QStringLiteral("the recovery did not complete: %1").arg(m_recovery->message);
            step(m_failure);
            return m_recovery->exitCode;
        }
        restartedMs = nowMs();
    }

    // 6. Catch-up: the job has written again every minute that closed before it was restarted.
    const auto [fromMinute, toMinute] = GuidedRecovery::touchedMinutes(fromMs, restartedMs);
    QString catchUpSentence;
    const bool caughtUp = waitFor(
        m_settings.catchUpTimeoutS,
        [&] {
            auto status = recovery.catchUp(restartedMs, fromMs);
            if (status)
                catchUpSentence = status->sentence;
            return status && status->caughtUp;
        },
        500);
    if (caughtUp)
        step(QStringLiteral("caught up: ") + catchUpSentence);
    else
        step(QStringLiteral("not caught up within %1 s: %2").arg(m_settings.catchUpTimeoutS).arg(catchUpSentence));

    // 7. Reconciliation of the closed windows the recovery touched.
    auto report = recovery.reconcile(fromMinute, toMinute);
    m_reconciledMs = nowMs();
    if (!report) {
        m_failure = QStringLiteral("reconciliation failed: %1").arg(report.error().toString());
        step(m_failure);
        return kExitFailed;
    }
    m_reconciliation = std::move(*report);
    step(QStringLiteral("reconciled: ") + m_reconciliation->toText().trimmed());
    out() << QStringLiteral("BENCH name=rehearse_fault_to_reconciled ours=%1s fault=%2 detect=%3\n")
                 .arg(seconds(m_reconciledMs - m_injectedMs), m_settings.fault,
                     detected ? seconds(m_detectedMs - m_injectedMs) + QLatin1Char('s') : QStringLiteral("none"));
    if (!detected)
        m_failure = QStringLiteral("the fault was not detected");
    else if (!m_reconciliation->clean() || m_reconciliation->windows() == 0)
        m_failure = m_reconciliation->windows() == 0 ? QStringLiteral("no window to reconcile")
                                                     : QStringLiteral("the serving table is not right");
    step(m_failure.isEmpty() ? QStringLiteral("rehearsal passed: every window the recovery touched matches")
                             : QStringLiteral("rehearsal FAILED: ") + m_failure);
    return m_failure.isEmpty() ? kExitOk : kExitFailed;
}

QString Rehearsal::markdown() const
{
    RecoveryReport report;
    report.title = QStringLiteral("Rehearsal of fault `%1`").arg(m_settings.fault);
    report.result = m_failure.isEmpty() ? QStringLiteral("reconciled, every window matches") : m_failure;
    if (m_detectedMs)
        report.facts << QStringLiteral("Detected: stage `%1` %2 (%3), %4 s after injection.")
                            .arg(m_detectedStage, m_detectedStatus, m_detectedReason,
                                seconds(m_detectedMs - m_injectedMs));
    if (m_reconciledMs && m_injectedMs)
        report.facts << QStringLiteral("Fault to reconciled: %1 s.").arg(seconds(m_reconciledMs - m_injectedMs));
    report.timeline = m_timeline;
    if (m_recovery)
        report.plan = m_recovery->preview.plan;
    report.audit = m_audit;
    report.reconciliation = m_reconciliation;
    return report.markdown();
}

VerificationRecord Rehearsal::verification(int exitCode) const
{
    VerificationRecord record;
    record.kind = VerificationRecord::Kind::Rehearsal;
    record.name = m_settings.fault;
    record.passed = exitCode == kExitOk;
    if (m_reconciliation) {
        record.matched = m_reconciliation->matched;
        record.mismatched = int(m_reconciliation->mismatched.size());
        record.missing = int(m_reconciliation->missing.size());
        record.unexpected = int(m_reconciliation->unexpected.size());
    }
    if (m_audit)
        record.auditId = m_audit->id;
    if (record.passed)
        record.summary
            = QStringLiteral("fault %1 detected in %2 s, reconciled %3 s after injection: %4 windows match")
                  .arg(m_settings.fault, seconds(m_detectedMs - m_injectedMs), seconds(m_reconciledMs - m_injectedMs))
                  .arg(record.matched);
    else
        record.summary = m_failure.isEmpty() ? QStringLiteral("interrupted") : m_failure;
    return record;
}

} // namespace

int runRehearse(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Rehearse a recovery on the embedded demo: wait for steady state, inject a fault, detect it, clear it, replay "
        "the job's group from the last trusted point (stop with savepoint, reset, start from the group's offsets), "
        "wait for catch-up and reconcile the serving table with the topic, printing the timeline.\n"
        "Exit code: 0 reconciled (0 mismatched, 0 missing windows), 4 usage, 6 not reconciled or the recovery "
        "failed, 8 data dir unusable."));
    parser.addHelpOption();
    parser.addOption(QCommandLineOption(QStringLiteral("data-dir"),
        QStringLiteral("The data dir of the rehearsal's instance (default: the usual one)."), QStringLiteral("DIR")));
    parser.addOption(QCommandLineOption(QStringLiteral("fault"),
        QStringLiteral("The fault: stop-job (default), slow-sink, object-store-errors, pause-producer, "
                       "partial-writes, corrupt-checkpoint."),
        QStringLiteral("NAME"), QStringLiteral("stop-job")));
    parser.addOption(QCommandLineOption(
        QStringLiteral("report"), QStringLiteral("Write the report (Markdown) to FILE."), QStringLiteral("FILE")));
    QCommandLineOption keepFaultOn(QStringLiteral("keep-fault-on"),
        QStringLiteral("Leave the fault on through the recovery (a rehearsal that must fail)."));
    keepFaultOn.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(keepFaultOn);
    QCommandLineOption skipReplay(
        QStringLiteral("skip-replay"), QStringLiteral("Skip the replay step (a rehearsal that may fail)."));
    skipReplay.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(skipReplay);
    if (!parser.parse(arguments)) {
        err() << "pathwatch rehearse: " << parser.errorText() << " (see --help)\n";
        return kExitConfigError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return kExitOk;
    }
    Settings settings;
    settings.fault = parser.value(QStringLiteral("fault"));
    settings.keepFaultOn = parser.isSet(keepFaultOn);
    settings.skipReplay = parser.isSet(skipReplay);
    if (!demo::drillFromFaultName(settings.fault)) {
        QStringList names;
        for (const auto& f : demo::kFaultNames)
            names << QString::fromLatin1(f.name);
        err() << "pathwatch rehearse: unknown fault `" << settings.fault << "`: use one of "
              << names.join(QStringLiteral(", ")) << '\n';
        return kExitConfigError;
    }

    Instance::Options options;
    options.dataDir = parser.value(QStringLiteral("data-dir"));
    options.serveMetrics = false;
    options.commandName = QStringLiteral("pathwatch rehearse");
    options.judgeReadiness = false;
    Instance instance(options);
    if (auto started = instance.start(); !started) {
        err() << "pathwatch rehearse: " << started.error().toString() << '\n';
        return Instance::exitCodeFor(started.error());
    }
    if (!instance.embedded()) {
        err() << "pathwatch rehearse: the instance did not start the embedded demo\n";
        return kExitFailed;
    }

    g_interrupted = false;
    auto previous = std::signal(SIGINT, [](int) { g_interrupted = true; });
    Rehearsal rehearsal(instance, settings);
    int code = kExitFailed;
    QThread* worker = QThread::create([&] {
        code = rehearsal.run();
        QMetaObject::invokeMethod(
            qApp, [] { qApp->quit(); }, Qt::QueuedConnection);
    });
    worker->start();
    QCoreApplication::exec();
    worker->wait();
    delete worker;
    std::signal(SIGINT, previous);

    if (const std::shared_ptr<Ledger> ledger = instance.ledger()) {
        if (auto recorded = ledger->appendVerification(rehearsal.verification(code)); !recorded)
            err() << "pathwatch rehearse: the result could not be recorded in the ledger: "
                  << recorded.error().toString() << '\n';
    } else {
        err() << "pathwatch rehearse: the result could not be recorded in the ledger: " << instance.ledgerState()
              << '\n';
    }

    if (parser.isSet(QStringLiteral("report"))) {
        QFile file(parser.value(QStringLiteral("report")));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(rehearsal.markdown().toUtf8()) < 0)
            err() << "pathwatch rehearse: cannot write the report to " << file.fileName() << ": " << file.errorString()
                  << " (the result stands)\n";
        else
            out() << "Report: " << file.fileName() << '\n';
    }
    instance.stop();
    return code;
}

} // namespace pw
