// The recovery wizard on the running embedded demo: the stream job is stopped (fault stop-job), the wizard is opened
// from the stage page's "Recover…" and walked with real clicks — warned about the fault still on, the last trusted
// point preselected on the chart, preview, live checks, confirm, progress, verified result with its audit entry,
// catch-up, reconciliation (0 mismatched, 0 missing), a report path that cannot be written, Undo after the job
// re-consumed — then a consumer that joins mid-wizard is refused at execute with nothing changed.
// Screenshots of every step go to $PATHWATCH_SCREENSHOT_DIR (or <temp>/pathwatch-recovery-wizard).

#include "demo/embeddedmode.h"
#include "instance/exitcodes.h"
#include "instance/instance.h"
#include "ledger/ledger.h"
#include "mainwindow.h"
#include "recoverytargetchart.h"
#include "recoverywizard.h"
#include "replay/flinkrecovery.h"
#include "stagepage.h"
#include "theme.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

using namespace pw;

namespace {

QString screenshotPath(const QString& name)
{
    const QString dir = qEnvironmentVariableIsEmpty("PATHWATCH_SCREENSHOT_DIR")
        ? QDir::temp().filePath(QStringLiteral("pathwatch-recovery-wizard"))
        : qEnvironmentVariable("PATHWATCH_SCREENSHOT_DIR");
    QDir().mkpath(dir);
    return QDir(dir).filePath(name);
}

/// Every step in the light theme (`name`) and the dark one (`name` with -dark before the suffix).
void shoot(QWidget* widget, const QString& name)
{
    QTest::qWait(150); // let labels and tables lay out
    QVERIFY(widget->grab().save(screenshotPath(name)));
    ThemeController::applyPalette(true);
    QTest::qWait(100);
    // Banners follow the theme (their colours are their own, in a style sheet).
    const QString darkText = ThemeController::darkPalette().color(QPalette::Text).name();
    for (QLabel* label : widget->findChildren<QLabel*>())
        if (label->isVisible() && label->property("bannerSeverity").isValid())
            QVERIFY2(label->styleSheet().contains(darkText), qPrintable(label->styleSheet()));
    QVERIFY(widget->grab().save(
        screenshotPath(QString(name).replace(QStringLiteral(".png"), QStringLiteral("-dark.png")))));
    ThemeController::applyPalette(false);
    QTest::qWait(50);
}

RecoveryEnvironment environmentOf(Instance& instance)
{
    RecoveryEnvironment env;
    auto* embedded = instance.embedded();
    env.config = std::make_shared<const PipelineConfig>(embedded->config());
    env.ledger = instance.ledger();
    demo::DemoPipeline* pipeline = &embedded->pipeline();
    env.reconcileTopic = QString::fromStdString(pipeline->endpoints().topic);
    env.servingDatabase = QString::fromStdString(pipeline->endpoints().servingDatabase.string());
    env.faultsOn = [pipeline] {
        QStringList on;
        for (const auto& f : demo::kFaultNames)
            if (pipeline->drill(f.drill))
                on << QString::fromLatin1(f.name);
        return on;
    };
    env.clearFault = [pipeline](const QString& name) {
        if (auto drill = demo::drillFromFaultName(name))
            pipeline->setDrill(*drill, false);
    };
    return env;
}

void click(QAbstractButton* button)
{
    QVERIFY(button);
    QVERIFY2(button->isVisible() && button->isEnabled(), qPrintable(button->text()));
    QTest::mouseClick(button, Qt::LeftButton);
}

} // namespace

class TestRecoveryWizard : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Instance> m_instance;
    std::unique_ptr<MainWindow> m_window;
    QElapsedTimer m_running;

    /// Pages whose background work finished, per wizard.
    QList<int> m_ready;
    void track(RecoveryWizard* wizard)
    {
        m_ready.clear();
        connect(wizard, &RecoveryWizard::stepReady, this, [this](int page) { m_ready << page; });
    }
    bool waitReady(int page, int timeoutMs)
    {
        return QTest::qWaitFor([&] { return m_ready.contains(page); }, timeoutMs);
    }
    int auditCount()
    {
        auto entries = m_instance->ledger()->auditEntries();
        return entries ? int(entries->size()) : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        Instance::Options options;
        options.dataDir = m_dir.filePath(QStringLiteral("data"));
        options.commandName = QStringLiteral("tst_recoverywizard");
        options.logTransitions = false;
        m_instance = std::make_unique<Instance>(options);
        m_running.start();
        auto started = m_instance->start();
        QVERIFY2(started.has_value(), qPrintable(started ? QString() : started.error().toString()));
        QVERIFY(m_instance->embedded());
        QVERIFY2(m_instance->ledger(), qPrintable(m_instance->ledgerState()));

        m_window = std::make_unique<MainWindow>();
        m_window->setHistory(m_instance->history());
        m_window->setLedger(m_instance->ledger());
        connect(m_instance.get(), &Instance::snapshotReady, m_window.get(), &MainWindow::setSnapshot);
        m_window->setRecoveryEnvironment(environmentOf(*m_instance));
        m_window->resize(1300, 820);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QVERIFY(m_window->recoverAction()->isEnabled());
        QCOMPARE(m_window->recoverAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));

        // Steady state: every stage OK.
        QElapsedTimer t;
        t.start();
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         auto s = m_instance->latestSnapshot();
                         return s && s->overall == Severity::Ok;
                     },
                     150000),
            "the embedded demo did not reach steady state");
        qInfo("steady state after %.1f s", double(t.elapsed()) / 1000.0);
    }

    void walksTheWizardEndToEnd()
    {
        demo::DemoPipeline& pipeline = m_instance->embedded()->pipeline();
        // A minute of history in the ledger before the fault, so the target chart shows the pipeline healthy first.
        QTest::qWait(int(std::max<qint64>(0, 60000 - m_running.elapsed())));
        QElapsedTimer sinceFault;
        sinceFault.start();
        pipeline.setDrill(demo::Drill::StopJob, true);
        // Detected: the stream job's stage leaves OK and the ledger holds the incident.
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         auto s = m_instance->latestSnapshot();
                         if (!s || s->overall == Severity::Ok)
                             return false;
                         auto incident = m_instance->ledger()->newestOpenIncident({});
                         return incident && *incident;
                     },
                     90000),
            "stop-job was not detected");
        const qint64 detectedMs = sinceFault.elapsed();

        // From the stream job's page, its "Recover…" button.
        m_window->openStage(QStringLiteral("compute"));
        auto* recover = m_window->stagePage()->findChild<QPushButton*>(QStringLiteral("recoverButton"));
        QVERIFY(recover);
        QVERIFY(recover->isVisible());
        QSignalSpy opened(m_window->stagePage(), &StagePage::recoverRequested);
        click(recover);
        QCOMPARE(opened.size(), 1);
        RecoveryWizard* wizard = m_window->recoveryWizard();
        QVERIFY(wizard);
        track(wizard);
        QVERIFY(QTest::qWaitForWindowExposed(wizard));
        QCOMPARE(wizard->currentId(), int(RecoveryWizard::GroupPage));
        QVERIFY(waitReady(RecoveryWizard::GroupPage, 20000));
        QCOMPARE(wizard->group(), QStringLiteral("demo-aggregate"));

        // The fault is still on: warned, and allowed (Next is enabled).
        auto* faultBanner = wizard->findChild<QLabel*>(QStringLiteral("faultBanner"));
        QVERIFY(QTest::qWaitFor([&] { return faultBanner->isVisible(); }, 3000));
        QVERIFY(faultBanner->text().contains(QStringLiteral("stop-job")));
        QVERIFY(wizard->button(QWizard::NextButton)->isEnabled());
        shoot(wizard, QStringLiteral("wizard-1-group.png"));
        // Clearing it from the wizard: the job restarts from its checkpoint.
        click(wizard->findChild<QPushButton*>(QStringLiteral("clearFaultButton")));
        QVERIFY(QTest::qWaitFor([&] { return !pipeline.drill(demo::Drill::StopJob); }, 10000));
        QVERIFY(QTest::qWaitFor([&] { return !faultBanner->isVisible(); }, 5000));

        // Target: the last trusted point preselected; a click picks another minute, the button brings it back.
        click(wizard->button(QWizard::NextButton));
        QVERIFY(waitReady(RecoveryWizard::TargetPage, 30000));
        QVERIFY(wizard->history() && wizard->history()->incident);
        const qint64 suggested = wizard->history()->replayFromMs;
        QCOMPARE(wizard->replayFromMs(), suggested);
        QVERIFY(suggested % 60000 == 0);
        QVERIFY(suggested < wizard->history()->incident->startMs);
        auto* chart = wizard->findChild<RecoveryTargetChart*>(QStringLiteral("targetChart"));
        QVERIFY(chart && !wizard->history()->points.empty());
        QTest::mouseClick(
            chart, Qt::LeftButton, {}, QPoint(chart->xForTime(suggested - 60000 + 20000), chart->height() / 2));
        QCOMPARE(wizard->replayFromMs(), suggested - 60000);
        click(wizard->findChild<QPushButton*>(QStringLiteral("lastTrustedButton")));
        QCOMPARE(wizard->replayFromMs(), suggested);
        shoot(wizard, QStringLiteral("wizard-2-target.png"));

        // Preview: per partition, nothing skipped.
        click(wizard->button(QWizard::NextButton));
        QVERIFY(waitReady(RecoveryWizard::PreviewPage, 30000));
        QVERIFY(wizard->preview());
        const ReplayPlan plan = wizard->preview()->replay.plan;
        QCOMPARE(plan.partitions.size(), std::size_t(4));
        QCOMPARE(wizard->findChild<QTableWidget*>(QStringLiteral("previewTable"))->rowCount(), 4);
        QVERIFY(plan.totalToReplay > 0);
        QCOMPARE(plan.totalToSkip, int64_t(0));
        shoot(wizard, QStringLiteral("wizard-3-preview.png"));

        // Checks, live: pass once the restarted job runs (it is then stopped with a savepoint at execute).
        click(wizard->button(QWizard::NextButton));
        QCOMPARE(wizard->currentId(), int(RecoveryWizard::PreflightPage));
        QVERIFY2(QTest::qWaitFor([&] { return wizard->button(QWizard::NextButton)->isEnabled(); }, 90000),
            qPrintable(wizard->findChild<QLabel*>(QStringLiteral("preflightChecks"))->text()));
        QVERIFY(wizard->preview()->stopsJob);
        shoot(wizard, QStringLiteral("wizard-4-checks.png"));

        // Confirm: a reason is prefilled; the demo's group is not marked production, so no typing.
        click(wizard->button(QWizard::NextButton));
        QCOMPARE(wizard->currentId(), int(RecoveryWizard::ConfirmPage));
        QVERIFY(!wizard->findChild<QLineEdit*>(QStringLiteral("reasonEdit"))->text().isEmpty());
        QVERIFY(!wizard->findChild<QLineEdit*>(QStringLiteral("confirmGroupEdit"))->isVisible());
        shoot(wizard, QStringLiteral("wizard-5-confirm.png"));
        const int auditsBefore = auditCount();
        click(wizard->button(QWizard::CommitButton));

        // Progress: stop with savepoint → reset → verify → start; Cancel is off while it runs.
        QCOMPARE(wizard->currentId(), int(RecoveryWizard::ProgressPage));
        QVERIFY(!wizard->button(QWizard::CancelButton)->isEnabled());
        QVERIFY(waitReady(RecoveryWizard::ProgressPage, 90000));
        QVERIFY(wizard->outcome() && wizard->outcome()->executed);
        QVERIFY2(wizard->outcome()->exitCode == kExitOk, qPrintable(wizard->outcome()->message));
        shoot(wizard, QStringLiteral("wizard-6-progress.png"));

        // The group's offsets were reset (read back per partition) and the audit row exists.
        const auto& executed = *wizard->outcome()->executed;
        QCOMPARE(executed.report.outcome, QStringLiteral("executed-verified"));
        for (const auto& p : executed.report.partitions) {
            QVERIFY(p.verified);
            QCOMPARE(p.after, p.target);
            QVERIFY2(p.target < p.before, qPrintable(QStringLiteral("%1 !< %2").arg(p.target).arg(p.before)));
        }
        QCOMPARE(auditCount(), auditsBefore + 1);
        auto stored = m_instance->ledger()->auditEntry(executed.auditId);
        QVERIFY(stored && *stored);
        QCOMPARE((*stored)->outcome, QStringLiteral("executed-verified"));
        QCOMPARE((*stored)->group, QStringLiteral("demo-aggregate"));
        QVERIFY((*stored)->details.contains("savepoint"));
        QVERIFY((*stored)->details.contains("started_job"));

        click(wizard->button(QWizard::NextButton));
        QVERIFY(waitReady(RecoveryWizard::ResultPage, 10000));
        QVERIFY(wizard->findChild<QLabel*>(QStringLiteral("auditSummary"))
                    ->text()
                    .contains(QStringLiteral("Audit entry #%1").arg(executed.auditId)));
        shoot(wizard, QStringLiteral("wizard-7-result.png"));

        // Catch-up, then reconciliation.
        click(wizard->button(QWizard::NextButton));
        QVERIFY2(waitReady(RecoveryWizard::CatchUpPage, 150000),
            qPrintable(wizard->findChild<QLabel*>(QStringLiteral("catchUpStatus"))->text()));
        shoot(wizard, QStringLiteral("wizard-8-catch-up.png"));
        click(wizard->button(QWizard::NextButton));
        QVERIFY(waitReady(RecoveryWizard::ReconcilePage, 90000));
        const qint64 reconciledMs = sinceFault.elapsed();
        QVERIFY(wizard->reconciliation());
        const ReconcileReport& r = *wizard->reconciliation();
        QVERIFY2(r.clean() && r.matched > 0, qPrintable(r.toText()));
        QCOMPARE(r.mismatched.size(), std::size_t(0));
        QCOMPARE(r.missing.size(), std::size_t(0));
        shoot(wizard, QStringLiteral("wizard-9-reconciled.png"));
        qInfo("stop-job: detected %.1f s after the fault, reconciled through the wizard %.1f s after it (%d windows "
              "matched)",
            double(detectedMs) / 1000.0, double(reconciledMs) / 1000.0, r.matched);

        // A report path that cannot be written: a clear error, the result kept; then a good one.
        QSignalSpy saved(wizard, &RecoveryWizard::reportSaved);
        wizard->saveReport(m_dir.filePath(QStringLiteral("no-such-dir/report.md")));
        QVERIFY(saved.wait(10000));
        QCOMPARE(saved.at(0).at(0).toBool(), false);
        QVERIFY2(saved.at(0).at(1).toString().contains(QStringLiteral("cannot write the report")),
            qPrintable(saved.at(0).at(1).toString()));
        QVERIFY(wizard->reconciliation());
        QVERIFY(wizard->findChild<QLabel*>(QStringLiteral("reportStatus"))
                    ->text()
                    .contains(QStringLiteral("The result stands")));
        const QString reportPath = m_dir.filePath(QStringLiteral("report.md"));
        wizard->saveReport(reportPath);
        QVERIFY(saved.wait(10000));
        QCOMPARE(saved.at(1).at(0).toBool(), true);
        QFile report(reportPath);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QString md = QString::fromUtf8(report.readAll());
        for (const char* section : {"# Recovery of group `demo-aggregate`", "## Timeline", "## Plan", "## Audit entry",
                 "## Reconciliation", "reconciled, every window matches"})
            QVERIFY2(md.contains(QLatin1String(section)), qPrintable(md));

        // Undo after the job re-consumed: previewed (it says so), allowed, audited as the undo of the recovery.
        click(wizard->button(QWizard::BackButton));
        click(wizard->button(QWizard::BackButton));
        QCOMPARE(wizard->currentId(), int(RecoveryWizard::ResultPage));
        QSignalSpy previewed(wizard, &RecoveryWizard::undoPreviewed);
        click(wizard->findChild<QPushButton*>(QStringLiteral("undoButton")));
        QVERIFY(previewed.wait(30000));
        QVERIFY(wizard->undoPreview());
        QVERIFY2(wizard->undoPreview()->replay.preflight.passed,
            qPrintable(wizard->undoPreview()->replay.preflight.refusal()));
        QDialog* dialog = wizard->findChild<QDialog*>(QStringLiteral("undoDialog"));
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        bool saysReconsumed = false;
        for (auto* label : dialog->findChildren<QLabel*>())
            saysReconsumed = saysReconsumed || label->text().contains(QStringLiteral("re-consumed since"));
        QVERIFY(saysReconsumed);
        shoot(dialog, QStringLiteral("wizard-10-undo-preview.png"));
        QSignalSpy undone(wizard, &RecoveryWizard::undoFinished);
        click(dialog->findChild<QPushButton*>(QStringLiteral("confirmUndoButton")));
        QVERIFY(undone.wait(90000));
        QVERIFY(wizard->undoOutcome() && wizard->undoOutcome()->executed);
        QVERIFY2(wizard->undoOutcome()->exitCode == kExitOk, qPrintable(wizard->undoOutcome()->message));
        auto undoEntry = m_instance->ledger()->auditEntry(wizard->undoOutcome()->executed->auditId);
        QVERIFY(undoEntry && *undoEntry);
        QCOMPARE((*undoEntry)->undoOf, executed.auditId);
        QCOMPARE((*undoEntry)->outcome, QStringLiteral("executed-verified"));
        // Started again from the savepoint the recovery took.
        const QString savepoint = QJsonDocument::fromJson((*stored)->details)
                                      .object()
                                      .value(QStringLiteral("flink"))
                                      .toObject()
                                      .value(QStringLiteral("savepoint"))
                                      .toString();
        QVERIFY(!savepoint.isEmpty());
        QCOMPARE(QJsonDocument::fromJson((*undoEntry)->details)
                     .object()
                     .value(QStringLiteral("flink"))
                     .toObject()
                     .value(QStringLiteral("started_from"))
                     .toString(),
            savepoint);
        shoot(wizard, QStringLiteral("wizard-11-undone.png"));
        wizard->reject();
    }

    void consumerJoiningMidWizardIsRefusedAtExecute()
    {
        // The same demo group, marked production: the name must be typed to confirm.
        RecoveryEnvironment env = environmentOf(*m_instance);
        auto config = std::make_shared<PipelineConfig>(*env.config);
        config->recovery.front().production = true;
        env.config = config;
        RecoveryWizard wizard(env);
        track(&wizard);
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        QVERIFY(waitReady(RecoveryWizard::GroupPage, 20000));
        click(wizard.button(QWizard::NextButton));
        QVERIFY(waitReady(RecoveryWizard::TargetPage, 30000));
        // Any recent minute will do: the job runs and commits.
        wizard.setReplayFromMs((QDateTime::currentMSecsSinceEpoch() / 60000 - 2) * 60000);
        click(wizard.button(QWizard::NextButton));
        QVERIFY(waitReady(RecoveryWizard::PreviewPage, 30000));
        click(wizard.button(QWizard::NextButton));
        QVERIFY2(QTest::qWaitFor([&] { return wizard.button(QWizard::NextButton)->isEnabled(); }, 90000),
            qPrintable(wizard.findChild<QLabel*>(QStringLiteral("preflightChecks"))->text()));
        click(wizard.button(QWizard::NextButton));
        QCOMPARE(wizard.currentId(), int(RecoveryWizard::ConfirmPage));
        auto* confirm = wizard.findChild<QLineEdit*>(QStringLiteral("confirmGroupEdit"));
        QVERIFY(confirm->isVisible());
        QVERIFY(!wizard.button(QWizard::CommitButton)->isEnabled());
        QTest::keyClicks(confirm, QStringLiteral("demo-aggregat"));
        QVERIFY(!wizard.button(QWizard::CommitButton)->isEnabled());
        QTest::keyClicks(confirm, QStringLiteral("e"));
        QVERIFY(wizard.button(QWizard::CommitButton)->isEnabled());
        shoot(&wizard, QStringLiteral("wizard-12-confirm-production.png"));

        // A consumer joins the group now, after the checks passed.
        const QString python = QStringLiteral("/usr/bin/python3");
        QVERIFY2(QFileInfo::exists(python), "/usr/bin/python3 is missing (Debian package python3)");
        QProcess holder;
        holder.start(python,
            {QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/replay_groups.py"), QStringLiteral("hold"),
                QStringLiteral("--bootstrap"),
                QString::fromStdString(m_instance->embedded()->pipeline().endpoints().bootstrapServers),
                QStringLiteral("--topic"), QStringLiteral("events"), QStringLiteral("--group"),
                QStringLiteral("demo-aggregate"), QStringLiteral("--client-id"), QStringLiteral("late-consumer")});
        QVERIFY(holder.waitForStarted());
        QVERIFY2(QTest::qWaitFor([&] { return holder.peek(4096).contains("joined"); }, 60000),
            holder.readAllStandardError().constData());

        const RecoveryConfig recovery = config->recovery.front();
        auto flink = FlinkRecovery::create(*config, recovery);
        QVERIFY(flink);
        const FlinkJobCheck jobBefore = flink->check();
        QCOMPARE(jobBefore.state, QStringLiteral("RUNNING"));
        const int auditsBefore = auditCount();

        // Recover: the checks run again at execute and refuse; nothing changed.
        click(wizard.button(QWizard::CommitButton));
        QVERIFY(waitReady(RecoveryWizard::ProgressPage, 60000));
        QVERIFY(wizard.outcome());
        QVERIFY(!wizard.outcome()->executed);
        QCOMPARE(wizard.outcome()->exitCode, kExitRefused);
        QVERIFY2(
            wizard.outcome()->message.contains(QStringLiteral("late-consumer")), qPrintable(wizard.outcome()->message));
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        shoot(&wizard, QStringLiteral("wizard-13-refused.png"));
        const FlinkJobCheck jobAfter = flink->check();
        QCOMPARE(jobAfter.jobId, jobBefore.jobId); // not stopped, not restarted
        QCOMPARE(jobAfter.state, QStringLiteral("RUNNING"));
        QCOMPARE(auditCount(), auditsBefore); // nothing executed, nothing stopped

        // Back to the checks: the consumer is named.
        click(wizard.findChild<QPushButton*>(QStringLiteral("backToChecksButton")));
        QCOMPARE(wizard.currentId(), int(RecoveryWizard::PreflightPage));
        auto* members = wizard.findChild<QTableWidget*>(QStringLiteral("membersTable"));
        QVERIFY(QTest::qWaitFor([&] { return members->isVisible() && members->rowCount() == 1; }, 15000));
        QCOMPARE(members->item(0, 0)->text(), QStringLiteral("late-consumer"));
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        shoot(&wizard, QStringLiteral("wizard-14-checks-refused.png"));

        holder.closeWriteChannel();
        if (!holder.waitForFinished(10000))
            holder.kill();
        wizard.reject();
    }

    void cleanupTestCase()
    {
        if (auto* wizard = m_window ? m_window->recoveryWizard() : nullptr)
            delete wizard;
        m_window.reset();
        QThreadPool::globalInstance()->waitForDone(60000);
        if (m_instance)
            m_instance->stop();
    }
};

QTEST_MAIN(TestRecoveryWizard)
#include "tst_recoverywizard.moc"
