#include "recoverywizard.h"
#include "recoverytargetchart.h"
#include "statusstyle.h"

#include "instance/exitcodes.h"
#include "presentation/format.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>

namespace pw {

namespace {

QString clock(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

QString count(qint64 n)
{
    return QLocale().toString(n);
}

/// "records", or "record" after a count of one.
QString records(qint64 n)
{
    return unitForCount(double(n), QStringLiteral("records"));
}

/// Runs `work` on the global thread pool and hands its result to `done` on the GUI thread, unless `context` is gone.
template<class Work, class Done>
void inBackground(QObject* context, Work work, Done done)
{
    QPointer<QObject> guard(context);
    QThreadPool::globalInstance()->start([guard, work, done] {
        auto result = std::make_shared<decltype(work())>(work());
        QMetaObject::invokeMethod(
            qApp,
            [guard, result, done] {
                if (guard)
                    done(*result);
            },
            Qt::QueuedConnection);
    });
}

QLabel* wrapped(const QString& text = {}, QWidget* parent = nullptr)
{
    auto* label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

/// A coloured note: amber for warnings, red for refusals, green for success.
QLabel* banner(QWidget* parent)
{
    auto* label = wrapped({}, parent);
    label->setMargin(10);
    label->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    label->hide();
    return label;
}

const char* const kBannerSeverity = "bannerSeverity";

/// The banner's colours from the palette now in use; the text colour is spelled out because a style sheet freezes
/// the palette the label had when it was polished (the wizard restyles them when the theme changes).
void styleBanner(QLabel* label, Severity severity, const QPalette& pal)
{
    const QColor c = StatusStyle::color(severity);
    const QColor bg = StatusStyle::tint(severity, pal);
    label->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: %3; border: 1px solid %2; border-left: 5px solid %2; "
                       "border-radius: 4px; }")
            .arg(bg.name(), c.name(), pal.color(QPalette::Text).name()));
}

void showBanner(QLabel* label, Severity severity, const QString& html)
{
    label->setProperty(kBannerSeverity, int(severity));
    styleBanner(label, severity, label->window()->palette());
    label->setText(html);
    label->setVisible(!html.isEmpty());
}

QFont fixedFont()
{
    return QFontDatabase::systemFont(QFontDatabase::FixedFont);
}

QString mark(bool ok)
{
    return QStringLiteral("<span style='color:%1; font-weight:bold'>%2</span>")
        .arg(StatusStyle::color(ok ? Severity::Ok : Severity::Crit).name(),
            ok ? QStringLiteral("✔") : QStringLiteral("✘"));
}

QTableWidget* table(const QStringList& headers, QWidget* parent)
{
    auto* t = new QTableWidget(0, int(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setAlternatingRowColors(true);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    t->setFocusPolicy(Qt::NoFocus);
    t->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    return t;
}

/// Cells from column `rightFrom` on are numbers: right-aligned. The table is made as tall as its rows (up to a
/// limit, then it scrolls), so short plans do not leave a large empty frame.
void setRow(QTableWidget* t, int row, const QStringList& cells, int rightFrom = 1)
{
    for (int c = 0; c < cells.size(); ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        item->setTextAlignment(c >= rightFrom ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
        t->setItem(row, c, item);
    }
    int height = t->horizontalHeader()->height() + 2 * t->frameWidth();
    for (int r = 0; r < t->rowCount(); ++r)
        height += t->rowHeight(r);
    t->setMaximumHeight(std::min(height, 360));
    t->setMinimumHeight(std::min(height, 160));
}

QString faultWarning(const QStringList& faults)
{
    if (faults.isEmpty())
        return {};
    return QObject::tr("<b>Fault %1 is still on.</b> You can recover now, but the pipeline breaks again until the "
                       "fault is cleared.")
        .arg(faults.join(QStringLiteral(", ")));
}

} // namespace

/// Base of the steps: access to the wizard's shared state, and "busy" for background work.
class RecoveryPage : public QWizardPage
{
public:
    explicit RecoveryPage(RecoveryWizard* wizard)
        : m_wizard(wizard)
    {
        m_layout = new QVBoxLayout(this);
        m_layout->setSpacing(10);
    }
    bool isComplete() const override { return !m_busy && ready(); }

protected:
    virtual bool ready() const { return true; }
    void setBusy(bool busy)
    {
        m_busy = busy;
        Q_EMIT completeChanged();
    }
    RecoveryWizard* w() const { return m_wizard; }
    QVBoxLayout* m_layout = nullptr;
    bool m_busy = false;

private:
    RecoveryWizard* m_wizard;
};

// ---------------------------------------------------------------------------------------------------------------
class GroupStep : public RecoveryPage
{
public:
    explicit GroupStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Recover a consumer group"));
        setSubTitle(tr("Pathwatch rewinds the group to the last trusted point, checks that it is safe, runs the "
                       "recovery, and proves the result."));
        auto* form = new QHBoxLayout;
        form->addWidget(new QLabel(tr("Group:"), this));
        m_groups = new QComboBox(this);
        m_groups->setObjectName(QStringLiteral("groupCombo"));
        m_groups->setMinimumWidth(280);
        form->addWidget(m_groups);
        form->addStretch();
        m_layout->addLayout(form);
        m_about = wrapped({}, this);
        m_about->setObjectName(QStringLiteral("groupDescription"));
        m_layout->addWidget(m_about);
        m_incident = banner(this);
        m_incident->setObjectName(QStringLiteral("incidentBanner"));
        m_layout->addWidget(m_incident);
        m_fault = banner(this);
        m_fault->setObjectName(QStringLiteral("faultBanner"));
        m_layout->addWidget(m_fault);
        auto* faultRow = new QHBoxLayout;
        m_clearFault = new QPushButton(tr("Clear the Fault"), this);
        m_clearFault->setObjectName(QStringLiteral("clearFaultButton"));
        m_clearFault->hide();
        faultRow->addWidget(m_clearFault);
        faultRow->addStretch();
        m_layout->addLayout(faultRow);
        m_error = banner(this);
        m_layout->addWidget(m_error);
        m_layout->addStretch();
        for (const auto& r : w()->m_env.config->recovery)
            m_groups->addItem(r.group);
        connect(m_groups, &QComboBox::currentTextChanged, this, [this](const QString& g) { load(g); });
        connect(m_clearFault, &QPushButton::clicked, this, [this] {
            const QStringList faults = w()->faultsOn();
            auto clear = w()->m_env.clearFault;
            m_clearFault->setEnabled(false);
            w()->note(tr("clearing fault %1").arg(faults.join(QStringLiteral(", "))));
            inBackground(
                this,
                [clear, faults] {
                    for (const QString& f : faults)
                        clear(f);
                    return true;
                },
                [this](bool) {
                    m_clearFault->setEnabled(true);
                    refreshFaults();
                });
        });
        m_faultTimer.setInterval(1000);
        connect(&m_faultTimer, &QTimer::timeout, this, [this] { refreshFaults(); });
    }

    void select(const QString& group)
    {
        const int i = m_groups->findText(group);
        if (i >= 0)
            m_groups->setCurrentIndex(i);
    }
    QString current() const { return m_groups->currentText(); }

    void initializePage() override
    {
        if (!w()->m_recovery || w()->m_recovery->group() != current())
            load(current());
        refreshFaults();
        m_faultTimer.start();
    }
    void stopTimers() { m_faultTimer.stop(); }
    bool ready() const override { return w()->m_recovery != nullptr; }

private:
    void refreshFaults()
    {
        const QStringList faults = w()->faultsOn();
        showBanner(m_fault, Severity::Warn, faultWarning(faults));
        m_clearFault->setVisible(!faults.isEmpty() && w()->m_env.clearFault);
    }

    void load(const QString& group)
    {
        w()->m_group = group;
        w()->m_recovery.reset();
        w()->m_history.reset();
        w()->m_preview.reset();
        w()->m_fromMs = 0;
        m_error->hide();
        setBusy(true);
        const RecoveryConfig* r = w()->m_env.config->findRecovery(group);
        if (r)
            m_about->setText(r->flinkSourceId.isEmpty()
                    ? tr("<b>%1</b> is read by a plain consumer (kafka source <tt>%2</tt>). Its group must be "
                         "<b>Empty</b> before the reset: stop the consumer first; the checks wait for it and name "
                         "whoever is still in the group.%3")
                          .arg(group, r->kafkaSourceId,
                              r->production ? tr("<br>Marked <b>production</b>: you will type its name to confirm.")
                                            : QString())
                    : tr("<b>%1</b> belongs to the Flink job <b>%2</b> (flink source <tt>%3</tt>, kafka source "
                         "<tt>%4</tt>). Like Flink, the job restores its offsets from its own state, so the recovery "
                         "stops it with a savepoint, resets the group, and starts it again from the group's offsets."
                         "%5")
                          .arg(group, r->jobName, r->flinkSourceId, r->kafkaSourceId,
                              r->production ? tr("<br>Marked <b>production</b>: you will type its name to confirm.")
                                            : QString()));
        GuidedRecoverySetup setup;
        setup.config = w()->m_env.config;
        setup.group = group;
        setup.ledger = w()->m_env.ledger;
        setup.reconcileTopic = w()->m_env.reconcileTopic;
        setup.servingDatabase = w()->m_env.servingDatabase;
        struct Loaded
        {
            Result<std::shared_ptr<GuidedRecovery>> recovery;
            std::optional<Incident> incident;
        };
        inBackground(
            this,
            [setup] {
                Loaded loaded {GuidedRecovery::create(setup), {}};
                if (loaded.recovery)
                    if (auto incident = (*loaded.recovery)->currentIncident(); incident)
                        loaded.incident = *incident;
                return loaded;
            },
            [this, group](const Loaded& loaded) {
                if (group != current())
                    return;
                if (!loaded.recovery) {
                    showBanner(m_error, Severity::Crit, loaded.recovery.error().toString().toHtmlEscaped());
                } else {
                    w()->m_recovery = *loaded.recovery;
                    if (loaded.incident)
                        showBanner(m_incident, Severity::Crit,
                            tr("<b>Open incident #%1</b>: stage <b>%2</b> is %3 since %4 — %5")
                                .arg(loaded.incident->id)
                                .arg(loaded.incident->stageId, severityName(loaded.incident->worst),
                                    clock(loaded.incident->startMs), loaded.incident->reason.toHtmlEscaped()));
                    else
                        showBanner(m_incident, Severity::Ok,
                            tr("No incident is open: you can still recover to any "
                               "point the ledger covers."));
                }
                setBusy(false);
                Q_EMIT w()->stepReady(RecoveryWizard::GroupPage);
            });
    }

    QComboBox* m_groups;
    QLabel* m_about;
    QLabel* m_incident;
    QLabel* m_fault;
    QLabel* m_error;
    QPushButton* m_clearFault;
    QTimer m_faultTimer;
};

// ---------------------------------------------------------------------------------------------------------------
class TargetStep : public RecoveryPage
{
public:
    explicit TargetStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Where to replay from"));
        setSubTitle(tr("The group's committed offset and lag from the recovery ledger. The last trusted point is "
                       "preselected; click or drag on the chart to pick another minute."));
        m_chart = new RecoveryTargetChart(this);
        m_chart->setObjectName(QStringLiteral("targetChart"));
        m_layout->addWidget(m_chart, 1);
        auto* row = new QHBoxLayout;
        row->addWidget(new QLabel(tr("Replay from:"), this));
        m_time = new QDateTimeEdit(this);
        m_time->setObjectName(QStringLiteral("replayFromEdit"));
        m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        row->addWidget(m_time);
        m_trusted = new QPushButton(tr("Last Trusted Point"), this);
        m_trusted->setObjectName(QStringLiteral("lastTrustedButton"));
        row->addWidget(m_trusted);
        row->addStretch();
        m_layout->addLayout(row);
        m_explain = wrapped({}, this);
        m_explain->setObjectName(QStringLiteral("targetExplanation"));
        m_layout->addWidget(m_explain);
        connect(m_chart, &RecoveryTargetChart::picked, this, [this](qint64 ms) { pick(ms); });
        connect(m_time, &QDateTimeEdit::dateTimeChanged, this, [this](const QDateTime& t) {
            if (!m_syncing)
                pick(t.toMSecsSinceEpoch() / 60000 * 60000);
        });
        connect(m_trusted, &QPushButton::clicked, this, [this] {
            if (w()->m_history)
                pick(w()->m_history->replayFromMs);
        });
    }

    void initializePage() override
    {
        if (w()->m_history && w()->m_fromMs) {
            show();
            return;
        }
        setBusy(true);
        m_explain->setText(tr("Reading the ledger…"));
        auto recovery = w()->m_recovery;
        const qint64 to = nowMs();
        inBackground(
            this, [recovery, to] { return recovery->history(to - 30 * 60000, to); },
            [this, to](const Result<GroupHistory>& history) {
                if (!history) {
                    m_explain->setText(tr("<span style='color:%1'>The ledger cannot be read: %2</span>")
                                           .arg(StatusStyle::color(Severity::Crit).name(),
                                               history.error().toString().toHtmlEscaped()));
                    setBusy(false);
                    return;
                }
                w()->m_history = *history;
                m_chart->setHistory(*history, to);
                pick(history->replayFromMs);
                setBusy(false);
                Q_EMIT w()->stepReady(RecoveryWizard::TargetPage);
            });
    }
    bool ready() const override { return w()->m_fromMs > 0; }
    RecoveryTargetChart* chart() const { return m_chart; }

    void pick(qint64 ms)
    {
        const qint64 now = nowMs();
        ms = std::min(ms, now / 60000 * 60000);
        if (ms != w()->m_fromMs) {
            w()->m_fromMs = ms;
            w()->m_preview.reset();
        }
        show();
        Q_EMIT completeChanged();
    }

private:
    void show()
    {
        const qint64 ms = w()->m_fromMs;
        m_chart->setPickedMs(ms);
        m_syncing = true;
        m_time->setDateTime(QDateTime::fromMSecsSinceEpoch(ms));
        m_syncing = false;
        const auto& h = w()->m_history;
        if (!h)
            return;
        QString text;
        if (h->incident && h->lastTrustedMs < h->incident->startMs)
            text = tr("Incident #%1 (stage <b>%2</b>, %3) began at %4. The group's offsets last advanced before it at "
                      "<b>%5</b>: the last trusted point.")
                       .arg(h->incident->id)
                       .arg(h->incident->stageId, severityName(h->incident->worst), clock(h->incident->startMs),
                           clock(h->lastTrustedMs));
        else if (h->incident)
            text = tr("Incident #%1 (stage <b>%2</b>, %3) began at <b>%4</b>: the last trusted point.")
                       .arg(h->incident->id)
                       .arg(h->incident->stageId, severityName(h->incident->worst), clock(h->incident->startMs));
        else
            text = tr("No incident in the last 30 minutes: the suggestion is the minute before now.");
        text += tr(" The replay starts from the first record at or after <b>%1</b>, the start of a minute, so every "
                   "one-minute window is written again whole.")
                    .arg(QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm")));
        if (ms != h->replayFromMs)
            text += tr(" <i>(You picked another point than the suggested %1.)</i>")
                        .arg(QDateTime::fromMSecsSinceEpoch(h->replayFromMs).toString(QStringLiteral("HH:mm")));
        m_explain->setText(text);
    }

    RecoveryTargetChart* m_chart;
    QDateTimeEdit* m_time;
    QPushButton* m_trusted;
    QLabel* m_explain;
    bool m_syncing = false;
};

// ---------------------------------------------------------------------------------------------------------------
void fillPlanTable(QTableWidget* t, const ReplayPlan& plan)
{
    t->setRowCount(int(plan.partitions.size()));
    int row = 0;
    for (const auto& p : plan.partitions)
        setRow(t, row++,
            {p.topic, QString::number(p.partition), p.committed < 0 ? QStringLiteral("—") : count(p.committed),
                count(p.target), count(p.recordsToReplay), count(p.recordsLost), formatEta(p.etaSeconds)});
}

class PreviewStep : public RecoveryPage
{
public:
    explicit PreviewStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Preview"));
        setSubTitle(tr("A dry run: nothing changes until you confirm."));
        m_table = table(
            {tr("Topic"), tr("Partition"), tr("Now"), tr("Target"), tr("Records"), tr("Lost to retention"), tr("ETA")},
            this);
        m_table->setObjectName(QStringLiteral("previewTable"));
        m_layout->addWidget(m_table);
        m_summary = wrapped({}, this);
        m_summary->setObjectName(QStringLiteral("previewSummary"));
        m_layout->addWidget(m_summary);
        m_layout->addStretch();
    }

    void initializePage() override
    {
        setBusy(true);
        m_summary->setText(tr("Reading the group, its offsets and the topic's watermarks…"));
        m_table->setRowCount(0);
        auto recovery = w()->m_recovery;
        const qint64 from = w()->m_fromMs;
        inBackground(
            this, [recovery, from] { return recovery->preview(from); },
            [this, from](const Result<RecoveryPreview>& preview) {
                if (from != w()->m_fromMs)
                    return;
                if (!preview) {
                    m_summary->setText(tr("<span style='color:%1'>The preview failed: %2</span>")
                                           .arg(StatusStyle::color(Severity::Crit).name(),
                                               preview.error().toString().toHtmlEscaped()));
                    setBusy(false);
                    return;
                }
                w()->m_preview = *preview;
                const ReplayPlan& plan = preview->replay.plan;
                fillPlanTable(m_table, plan);
                QString summary = tr("<b>%1</b> partition(s) of group <b>%2</b> to <tt>%3</tt>: <b>%4</b> %9 to "
                                     "replay, %5 lost to retention, %6 to catch up; ETA <b>%7</b>%8.")
                                      .arg(plan.partitions.size())
                                      .arg(plan.group, plan.target.toHtmlEscaped(), count(plan.totalToReplay),
                                          count(plan.totalLost), count(plan.totalToCatchUp), formatEta(plan.etaSeconds),
                                          plan.consumeRate ? tr(" at the best rate the ledger saw, %1 records/s")
                                                                 .arg(count(qint64(*plan.consumeRate)))
                                                           : tr(" (the ledger has seen no consume rate yet)"),
                                          records(plan.totalToReplay));
                if (plan.totalToSkip > 0)
                    summary += tr(" <span style='color:%1'><b>%2 %3 would be skipped</b> (the target is after "
                                  "where the group is): pick an earlier point.</span>")
                                   .arg(StatusStyle::color(Severity::Warn).name(), count(plan.totalToSkip),
                                       records(plan.totalToSkip));
                m_summary->setText(summary);
                setBusy(false);
                Q_EMIT w()->stepReady(RecoveryWizard::PreviewPage);
            });
    }
    bool ready() const override { return w()->m_preview.has_value(); }

private:
    QTableWidget* m_table;
    QLabel* m_summary;
};

// ---------------------------------------------------------------------------------------------------------------
class PreflightStep : public RecoveryPage
{
public:
    explicit PreflightStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Checks"));
        setSubTitle(tr("Run live, every two seconds, and once more when the recovery executes."));
        m_checks = wrapped({}, this);
        m_checks->setObjectName(QStringLiteral("preflightChecks"));
        m_layout->addWidget(m_checks);
        m_membersTitle = new QLabel(tr("<b>Still in the group:</b>"), this);
        m_membersTitle->hide();
        m_layout->addWidget(m_membersTitle);
        m_members = table({tr("Client id"), tr("Host"), tr("Member id"), tr("Partitions")}, this);
        m_members->setObjectName(QStringLiteral("membersTable"));
        m_members->hide();
        m_layout->addWidget(m_members);
        m_fault = banner(this);
        m_layout->addWidget(m_fault);
        m_layout->addStretch();
        m_when = new QLabel(this);
        m_when->setObjectName(QStringLiteral("preflightTime"));
        m_layout->addWidget(m_when);
        m_timer.setInterval(2000);
        connect(&m_timer, &QTimer::timeout, this, [this] { check(); });
    }

    void initializePage() override { resume(); }
    /// Also when the wizard comes back here (a refused recovery): the checks run again at once.
    void resume()
    {
        m_passed = false;
        Q_EMIT completeChanged();
        check();
        m_timer.start();
    }
    void stopTimers() { m_timer.stop(); }
    bool ready() const override { return m_passed; }

private:
    void check()
    {
        if (m_inFlight)
            return;
        m_inFlight = true;
        auto recovery = w()->m_recovery;
        const qint64 from = w()->m_fromMs;
        inBackground(
            this, [recovery, from] { return recovery->preview(from); },
            [this](const Result<RecoveryPreview>& preview) {
                m_inFlight = false;
                showBanner(m_fault, Severity::Warn, faultWarning(w()->faultsOn()));
                if (!preview) {
                    m_checks->setText(tr("%1 The checks could not run: %2")
                                          .arg(mark(false), preview.error().toString().toHtmlEscaped()));
                    m_passed = false;
                    Q_EMIT completeChanged();
                    return;
                }
                w()->m_preview = *preview;
                QStringList lines;
                for (const auto& c : preview->replay.preflight.checks)
                    lines << QStringLiteral("%1&nbsp;&nbsp;<b>%2</b> — %3")
                                 .arg(mark(c.passed), c.name, c.sentence.toHtmlEscaped());
                m_checks->setText(
                    QStringLiteral("<div style='line-height:150%'>%1</div>").arg(lines.join(QStringLiteral("<br>"))));
                const auto& members = preview->replay.group.members;
                m_members->setRowCount(int(members.size()));
                for (int i = 0; i < int(members.size()); ++i)
                    setRow(m_members, i,
                        {members[size_t(i)].clientId, members[size_t(i)].host, members[size_t(i)].memberId,
                            QString::number(members[size_t(i)].assignment.size())},
                        3);
                m_members->setVisible(!members.empty());
                m_membersTitle->setVisible(!members.empty());
                const bool passed = preview->replay.preflight.passed;
                if (passed != m_passed)
                    w()->note(passed ? tr("preflight passed")
                                     : tr("preflight refused: %1").arg(preview->replay.preflight.refusal()));
                m_passed = passed;
                m_when->setText(tr("<span style='color:gray'>Last checked %1 · group %2</span>")
                                    .arg(clock(nowMs()), preview->replay.group.state));
                Q_EMIT completeChanged();
                Q_EMIT w()->stepReady(RecoveryWizard::PreflightPage);
            });
    }

    QLabel* m_checks;
    QLabel* m_membersTitle;
    QTableWidget* m_members;
    QLabel* m_fault;
    QLabel* m_when;
    QTimer m_timer;
    bool m_passed = false;
    bool m_inFlight = false;
};

// ---------------------------------------------------------------------------------------------------------------
class ConfirmStep : public RecoveryPage
{
public:
    explicit ConfirmStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Confirm"));
        setSubTitle(tr("This is the last step you can cancel. Everything that follows is written to the audit log."));
        setCommitPage(true);
        setButtonText(QWizard::CommitButton, tr("&Recover"));
        m_summary = wrapped({}, this);
        m_summary->setObjectName(QStringLiteral("confirmSummary"));
        m_layout->addWidget(m_summary);
        auto* reasonRow = new QHBoxLayout;
        reasonRow->addWidget(new QLabel(tr("Reason (kept in the audit log):"), this));
        m_reason = new QLineEdit(this);
        m_reason->setObjectName(QStringLiteral("reasonEdit"));
        reasonRow->addWidget(m_reason, 1);
        m_layout->addLayout(reasonRow);
        m_confirmLabel = wrapped({}, this);
        m_layout->addWidget(m_confirmLabel);
        m_confirm = new QLineEdit(this);
        m_confirm->setObjectName(QStringLiteral("confirmGroupEdit"));
        m_layout->addWidget(m_confirm);
        m_fault = banner(this);
        m_layout->addWidget(m_fault);
        m_layout->addStretch();
        connect(m_reason, &QLineEdit::textChanged, this, &QWizardPage::completeChanged);
        connect(m_confirm, &QLineEdit::textChanged, this, &QWizardPage::completeChanged);
    }

    void initializePage() override
    {
        const auto& preview = *w()->m_preview;
        const ReplayPlan& plan = preview.replay.plan;
        const QString when = QDateTime::fromMSecsSinceEpoch(w()->m_fromMs).toString(QStringLiteral("HH:mm"));
        QStringList steps;
        steps << tr("Check again that nobody consumes the group (a consumer that came back is refused, nothing "
                    "changes).");
        if (preview.stopsJob)
            steps << tr("Stop Flink job <b>%1</b> with a savepoint.").arg(preview.flink->jobName);
        steps << tr("Reset <b>%1</b> partition(s) of group <b>%2</b> to the first record at or after <b>%3</b> "
                    "(<b>%4</b> %5 to replay).")
                     .arg(plan.partitions.size())
                     .arg(plan.group, when, count(plan.totalToReplay), records(plan.totalToReplay));
        steps << tr("Read the offsets back and compare each partition.");
        if (w()->m_recovery->isFlinkJob())
            steps << tr("Start the job again from its jar, without state, from the group's offsets.");
        steps << tr("Record it all in the audit log (Undo stays possible).");
        QString html = tr("<p>Clicking <b>Recover</b> will:</p><ol>");
        for (const QString& s : steps)
            html += QStringLiteral("<li>%1</li>").arg(s);
        html += QStringLiteral("</ol>");
        m_summary->setText(html);
        if (m_reason->text().isEmpty()) {
            const auto& h = w()->m_history;
            m_reason->setText(h && h->incident ? tr("recovery from incident #%1 (%2 %3)")
                                                     .arg(h->incident->id)
                                                     .arg(h->incident->stageId, severityName(h->incident->worst))
                                               : tr("recovery to %1").arg(when));
        }
        const bool production = w()->m_recovery->production();
        m_confirmLabel->setText(
            tr("Group <b>%1</b> is marked <b>production</b>: type its name to confirm.").arg(w()->m_group));
        m_confirmLabel->setVisible(production);
        m_confirm->setVisible(production);
        m_confirm->clear();
        showBanner(m_fault, Severity::Warn, faultWarning(w()->faultsOn()));
    }
    bool ready() const override
    {
        return !m_reason->text().trimmed().isEmpty()
            && (!w()->m_recovery->production() || m_confirm->text() == w()->m_group);
    }
    QString reason() const { return m_reason->text().trimmed(); }

private:
    QLabel* m_summary;
    QLineEdit* m_reason;
    QLabel* m_confirmLabel;
    QLineEdit* m_confirm;
    QLabel* m_fault;
};

// ---------------------------------------------------------------------------------------------------------------
class ProgressStep : public RecoveryPage
{
public:
    explicit ProgressStep(RecoveryWizard* wizard, ConfirmStep* confirm)
        : RecoveryPage(wizard)
        , m_confirm(confirm)
    {
        setTitle(tr("Recovering"));
        setSubTitle(tr("Each step is written to the audit log as it happens."));
        m_bar = new QProgressBar(this);
        m_bar->setRange(0, 0);
        m_layout->addWidget(m_bar);
        m_log = wrapped({}, this);
        m_log->setObjectName(QStringLiteral("progressLog"));
        m_log->setTextFormat(Qt::PlainText);
        m_log->setFont(fixedFont());
        m_log->setAlignment(Qt::AlignTop | Qt::AlignLeft);
        m_layout->addWidget(m_log, 1);
        m_status = banner(this);
        m_status->setObjectName(QStringLiteral("progressStatus"));
        m_layout->addWidget(m_status);
        auto* row = new QHBoxLayout;
        m_backToChecks = new QPushButton(tr("Back to the Checks"), this);
        m_backToChecks->setObjectName(QStringLiteral("backToChecksButton"));
        m_backToChecks->hide();
        row->addWidget(m_backToChecks);
        row->addStretch();
        m_layout->addLayout(row);
        connect(m_backToChecks, &QPushButton::clicked, this, [this, wizard] {
            // Past the commit page the wizard offers no Back: a refused recovery changed nothing, so go back to
            // the checks by hand.
            wizard->back();
            wizard->back();
        });
    }

    void initializePage() override
    {
        m_lines.clear();
        m_log->clear();
        m_status->hide();
        m_backToChecks->hide();
        m_bar->setRange(0, 0);
        m_bar->show();
        w()->m_outcome.reset();
        w()->m_audit.reset();
        w()->m_executing = true;
        wizard()->button(QWizard::CancelButton)->setEnabled(false);
        setBusy(true);
        auto recovery = w()->m_recovery;
        const qint64 from = w()->m_fromMs;
        const QString reason = m_confirm->reason();
        w()->note(tr("recovery confirmed: %1").arg(reason));
        QPointer<ProgressStep> self(this);
        auto progress = [self](const QString& line) {
            QMetaObject::invokeMethod(
                qApp,
                [self, line] {
                    if (self)
                        self->append(line);
                },
                Qt::QueuedConnection);
        };
        inBackground(
            this,
            [recovery, from, reason, progress] {
                auto result = recovery->execute(from, reason, progress);
                std::optional<AuditEntry> audit;
                if (result && result->executed)
                    if (auto stored = recovery->auditEntry(result->executed->auditId); stored && *stored)
                        audit = **stored;
                return std::make_pair(result, audit);
            },
            [this](const std::pair<Result<FlinkReplayResult>, std::optional<AuditEntry>>& done) { finish(done); });
    }
    bool ready() const override { return w()->m_outcome && w()->m_outcome->executed; }

private:
    void append(const QString& line)
    {
        m_lines << QStringLiteral("%1  %2").arg(clock(nowMs()), line);
        m_log->setText(m_lines.join(QLatin1Char('\n')));
        w()->note(line);
    }

    void finish(const std::pair<Result<FlinkReplayResult>, std::optional<AuditEntry>>& done)
    {
        w()->m_executing = false;
        wizard()->button(QWizard::CancelButton)->setEnabled(true);
        m_bar->setRange(0, 1);
        m_bar->setValue(1);
        const auto& [result, audit] = done;
        if (!result) {
            append(tr("failed: %1").arg(result.error().toString()));
            showBanner(m_status, Severity::Crit,
                tr("<b>The recovery failed</b>: %1").arg(result.error().toString().toHtmlEscaped()));
            m_backToChecks->show();
        } else {
            w()->m_outcome = *result;
            w()->m_audit = audit;
            w()->m_restartedMs = nowMs();
            const auto& r = *result;
            if (!r.executed) {
                append(tr("refused: %1 — nothing was changed").arg(r.message));
                showBanner(m_status, Severity::Crit,
                    tr("<b>Refused at execute — nothing was changed.</b> %1<br>The job and the group are as they were. "
                       "Go back to the checks to see who is in the group.")
                        .arg(r.message.toHtmlEscaped()));
                m_backToChecks->show();
            } else if (r.exitCode == kExitOk) {
                append(tr("audit entry %1: %2").arg(r.executed->auditId).arg(r.executed->report.outcome));
                showBanner(m_status, Severity::Ok,
                    tr("<b>Recovered and verified.</b> Audit entry #%1. Next: the result and Undo.")
                        .arg(r.executed->auditId));
            } else {
                append(
                    tr("audit entry %1: %2 — %3").arg(r.executed->auditId).arg(r.executed->report.outcome, r.message));
                showBanner(m_status, Severity::Crit,
                    tr("<b>Not completed</b> (audit entry #%1, %2): %3. The next page shows what changed and offers "
                       "Undo.")
                        .arg(r.executed->auditId)
                        .arg(r.executed->report.outcome, r.message.toHtmlEscaped()));
            }
        }
        setBusy(false);
        Q_EMIT w()->executionFinished();
        Q_EMIT w()->stepReady(RecoveryWizard::ProgressPage);
    }

    ConfirmStep* m_confirm;
    QProgressBar* m_bar;
    QLabel* m_log;
    QLabel* m_status;
    QPushButton* m_backToChecks;
    QStringList m_lines;
};

// ---------------------------------------------------------------------------------------------------------------
/// The undo preview: what undoing will do now, after the job re-consumed.
class UndoDialog : public QDialog
{
public:
    UndoDialog(RecoveryWizard* wizard, const RecoveryPreview& preview)
        : QDialog(wizard)
    {
        setObjectName(QStringLiteral("undoDialog"));
        setWindowTitle(tr("Undo Recovery #%1").arg(preview.undoOf));
        auto* layout = new QVBoxLayout(this);
        const ReplayPlan& plan = preview.replay.plan;
        int64_t moved = 0;
        for (const auto& p : plan.partitions)
            moved += std::max<int64_t>(0, p.committed - p.target);
        QString text = tr("<p>Undo moves group <b>%1</b> back to the offsets it had before recovery #%2.</p>")
                           .arg(plan.group)
                           .arg(preview.undoOf);
        if (moved > 0 || plan.totalToSkip > 0)
            text += tr("<p>The job has <b>re-consumed since</b>: the group is now past those offsets on %1 "
                       "record(s). Undo is allowed; those records are read again.</p>")
                        .arg(count(moved));
        if (preview.stopsJob)
            text += tr("<p>The job runs: it is stopped with a savepoint first.</p>");
        if (!preview.undoSavepoint.isEmpty())
            text += tr("<p>It is then started from the savepoint the recovery took, <tt>%1</tt>.</p>")
                        .arg(preview.undoSavepoint.toHtmlEscaped());
        if (!preview.replay.preflight.passed)
            text += tr("<p style='color:%1'><b>Refused:</b> %2</p>")
                        .arg(StatusStyle::color(Severity::Crit).name(),
                            preview.replay.preflight.refusal().toHtmlEscaped());
        layout->addWidget(wrapped(text, this));
        auto* t = table(
            {tr("Topic"), tr("Partition"), tr("Now"), tr("Target"), tr("Records"), tr("Lost to retention"), tr("ETA")},
            this);
        fillPlanTable(t, plan);
        layout->addWidget(t);
        auto* buttons = new QDialogButtonBox(this);
        auto* undo = buttons->addButton(tr("&Undo"), QDialogButtonBox::AcceptRole);
        undo->setObjectName(QStringLiteral("confirmUndoButton"));
        undo->setEnabled(preview.replay.preflight.passed);
        buttons->addButton(QDialogButtonBox::Cancel);
        connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
        layout->addWidget(buttons);
        resize(760, 380);
    }
};

class ResultStep : public RecoveryPage
{
public:
    explicit ResultStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Result"));
        setSubTitle(tr("Read back from the cluster, partition by partition."));
        m_headline = banner(this);
        m_headline->setObjectName(QStringLiteral("resultHeadline"));
        m_layout->addWidget(m_headline);
        m_table = table({tr("Topic"), tr("Partition"), tr("Before"), tr("Target"), tr("After"), tr("Verified")}, this);
        m_table->setObjectName(QStringLiteral("resultTable"));
        m_layout->addWidget(m_table);
        m_audit = wrapped({}, this);
        m_audit->setObjectName(QStringLiteral("auditSummary"));
        m_layout->addWidget(m_audit);
        auto* row = new QHBoxLayout;
        m_undo = new QPushButton(tr("Undo…"), this);
        m_undo->setObjectName(QStringLiteral("undoButton"));
        m_undo->setToolTip(tr("Preview moving the group back to where it was before this recovery"));
        row->addWidget(m_undo);
        m_undoStatus = wrapped({}, this);
        m_undoStatus->setObjectName(QStringLiteral("undoStatus"));
        row->addWidget(m_undoStatus, 1);
        m_layout->addLayout(row);
        m_layout->addStretch();
        connect(m_undo, &QPushButton::clicked, wizard, &RecoveryWizard::previewUndo);
        connect(wizard, &RecoveryWizard::undoPreviewed, this, [this] { showUndoPreview(); });
        connect(wizard, &RecoveryWizard::undoFinished, this, [this] { showUndone(); });
    }

    void initializePage() override
    {
        const auto& r = *w()->m_outcome;
        const ExecutionReport& report = r.executed->report;
        m_table->setRowCount(int(report.partitions.size()));
        int row = 0;
        for (const auto& p : report.partitions)
            setRow(m_table, row++,
                {p.topic, QString::number(p.partition), count(p.before), count(p.target),
                    p.after < 0 ? QStringLiteral("?") : count(p.after),
                    p.verified ? QStringLiteral("✔ yes") : QStringLiteral("✘ NO")});
        const bool ok = r.exitCode == kExitOk;
        showBanner(m_headline, ok ? Severity::Ok : Severity::Crit,
            ok ? tr("<b>Verified.</b> Every partition of group <b>%1</b> reads back at its target.")
                     .arg(r.preview.plan.group)
               : tr("<b>%1</b>: %2").arg(report.outcome, r.message.toHtmlEscaped()));
        QString audit;
        if (const auto& a = w()->m_audit) {
            audit = tr("<b>Audit entry #%1</b> · %2 · %3 · %4 · target <tt>%5</tt> · reason “%6” · plan %7")
                        .arg(a->id)
                        .arg(a->outcome, a->actor, QDateTime::fromMSecsSinceEpoch(a->atMs).toString(Qt::ISODate),
                            a->target.toHtmlEscaped(), a->reason.toHtmlEscaped(), a->planHash.left(12));
        }
        const QJsonObject& steps = r.steps;
        if (!steps.isEmpty()) {
            audit
                += tr("<br>Flink: stopped job <tt>%1</tt> with savepoint <tt>%2</tt>; started job <tt>%3</tt> from %4.")
                       .arg(steps.value(QStringLiteral("stopped_job")).toString(),
                           steps.value(QStringLiteral("savepoint")).toString().toHtmlEscaped(),
                           steps.value(QStringLiteral("started_job")).toString(),
                           steps.value(QStringLiteral("started_from")).toString().toHtmlEscaped());
        }
        m_audit->setText(audit);
        Q_EMIT w()->stepReady(RecoveryWizard::ResultPage);
    }

private:
    void showUndoPreview()
    {
        const auto& preview = w()->m_undoPreview;
        if (!preview) {
            m_undoStatus->setText(tr("<span style='color:%1'>Undo cannot be previewed.</span>")
                                      .arg(StatusStyle::color(Severity::Crit).name()));
            return;
        }
        auto* dialog = new UndoDialog(w(), *preview);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::accepted, w(), &RecoveryWizard::undo);
        dialog->open();
    }
    void showUndone()
    {
        const auto& r = w()->m_undoOutcome;
        if (r && r->executed && r->exitCode == kExitOk)
            m_undoStatus->setText(tr("<span style='color:%1'>✔ Undone and verified</span> — audit entry #%2 (undo of "
                                     "#%3).")
                                      .arg(StatusStyle::color(Severity::Ok).name())
                                      .arg(r->executed->auditId)
                                      .arg(w()->m_undoPreview ? w()->m_undoPreview->undoOf : 0));
        else
            m_undoStatus->setText(
                tr("<span style='color:%1'>Undo did not complete: %2</span>")
                    .arg(StatusStyle::color(Severity::Crit).name(), r ? r->message.toHtmlEscaped() : tr("it failed")));
        m_undo->setEnabled(true);
    }

    QLabel* m_headline;
    QTableWidget* m_table;
    QLabel* m_audit;
    QPushButton* m_undo;
    QLabel* m_undoStatus;
};

// ---------------------------------------------------------------------------------------------------------------
class CatchUpStep : public RecoveryPage
{
public:
    explicit CatchUpStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Catching up"));
        setSubTitle(tr("The job reads the replayed records again; the lag falls back to normal."));
        m_chart = new RecoveryTargetChart(this);
        m_chart->setObjectName(QStringLiteral("catchUpChart"));
        m_chart->setLagOnly(true);
        m_layout->addWidget(m_chart, 1);
        m_status = wrapped({}, this);
        m_status->setObjectName(QStringLiteral("catchUpStatus"));
        m_layout->addWidget(m_status);
        m_timer.setInterval(1000);
        connect(&m_timer, &QTimer::timeout, this, [this] { poll(); });
    }

    void initializePage() override
    {
        if (!m_caughtUp) {
            m_points.clear();
            poll();
            m_timer.start();
        }
    }
    void stopTimers() { m_timer.stop(); }
    bool ready() const override { return m_caughtUp; }
    int nextId() const override
    {
        return w()->m_recovery && w()->m_recovery->canReconcile() ? RecoveryWizard::ReconcilePage : -1;
    }

private:
    void poll()
    {
        if (m_inFlight)
            return;
        m_inFlight = true;
        auto recovery = w()->m_recovery;
        const qint64 restarted = w()->m_restartedMs;
        const qint64 from = w()->m_fromMs;
        const int64_t initial = w()->m_outcome ? w()->m_outcome->preview.plan.totalToCatchUp : 0;
        inBackground(
            this, [recovery, restarted, from, initial] { return recovery->catchUp(restarted, from, initial); },
            [this](const Result<CatchUpStatus>& status) {
                m_inFlight = false;
                if (!status) {
                    m_status->setText(tr("<span style='color:%1'>The lag cannot be read: %2</span>")
                                          .arg(StatusStyle::color(Severity::Stale).name(),
                                              status.error().toString().toHtmlEscaped()));
                    return;
                }
                m_points.push_back({status->atMs, 0, status->lag});
                m_chart->setPoints(m_points);
                QString rate;
                if (m_points.size() >= 3) {
                    const auto& a = m_points[m_points.size() - 3];
                    const auto& b = m_points.back();
                    const double perSecond
                        = double(a.lag - b.lag) * 1000.0 / double(std::max<qint64>(1, b.atMs - a.atMs));
                    rate = perSecond > 0 ? tr(" · falling %1 records/s · ETA %2")
                                               .arg(count(qint64(perSecond)), formatEta(double(b.lag) / perSecond))
                                         : tr(" · not falling yet");
                }
                const QString state = status->caughtUp ? tr("<span style='color:%1'><b>✔ Caught up</b></span>")
                                                             .arg(StatusStyle::color(Severity::Ok).name())
                                                       : tr("<b>Catching up…</b>");
                m_status->setText(
                    tr("%1 — lag <b>%2</b> %5%3<br>%4")
                        .arg(state, count(status->lag), rate, status->sentence.toHtmlEscaped(), records(status->lag)));
                if (status->caughtUp && !m_caughtUp) {
                    m_caughtUp = true;
                    m_timer.stop();
                    w()->note(tr("caught up: %1").arg(status->sentence));
                    Q_EMIT completeChanged();
                    Q_EMIT w()->caughtUp();
                    Q_EMIT w()->stepReady(RecoveryWizard::CatchUpPage);
                }
            });
    }

    RecoveryTargetChart* m_chart;
    QLabel* m_status;
    QTimer m_timer;
    std::vector<GroupHistoryPoint> m_points;
    bool m_caughtUp = false;
    bool m_inFlight = false;
};

// ---------------------------------------------------------------------------------------------------------------
class ReconcileStep : public RecoveryPage
{
public:
    explicit ReconcileStep(RecoveryWizard* wizard)
        : RecoveryPage(wizard)
    {
        setTitle(tr("Reconciliation"));
        setSubTitle(tr("Every closed one-minute window the recovery touched, recomputed straight from the topic and "
                       "compared with the serving table."));
        setFinalPage(true);
        m_headline = banner(this);
        m_headline->setObjectName(QStringLiteral("reconcileHeadline"));
        m_layout->addWidget(m_headline);
        m_table = table({tr("Window"), tr("Key"), tr("Problem"), tr("Expected events"), tr("Found events")}, this);
        m_table->setObjectName(QStringLiteral("reconcileTable"));
        m_table->hide();
        m_layout->addWidget(m_table);
        m_layout->addWidget(new QLabel(tr("<b>Timeline</b>"), this));
        m_timeline = new QLabel(this);
        m_timeline->setObjectName(QStringLiteral("recoveryTimeline"));
        m_timeline->setTextFormat(Qt::PlainText);
        m_timeline->setWordWrap(true);
        m_timeline->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_timeline->setFont(fixedFont());
        m_layout->addWidget(m_timeline);
        m_layout->addStretch();
        auto* row = new QHBoxLayout;
        m_save = new QPushButton(tr("Save Report…"), this);
        m_save->setObjectName(QStringLiteral("saveReportButton"));
        row->addWidget(m_save);
        m_saved = wrapped({}, this);
        m_saved->setObjectName(QStringLiteral("reportStatus"));
        row->addWidget(m_saved, 1);
        m_layout->addLayout(row);
        connect(m_save, &QPushButton::clicked, this, [this] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Save Recovery Report"),
                QStringLiteral("recovery-%1.md").arg(w()->m_group), tr("Markdown (*.md)"));
            if (!path.isEmpty())
                w()->saveReport(path);
        });
        connect(wizard, &RecoveryWizard::reportSaved, this, [this](bool ok, const QString& message) {
            m_saved->setText(
                QStringLiteral("<span style='color:%1'>%2</span>")
                    .arg(StatusStyle::color(ok ? Severity::Ok : Severity::Crit).name(), message.toHtmlEscaped()));
        });
    }

    void initializePage() override
    {
        if (w()->m_reconciliation)
            return;
        setBusy(true);
        showBanner(m_headline, Severity::Unknown, tr("Reading the topic and the serving table…"));
        auto recovery = w()->m_recovery;
        const auto [from, to] = GuidedRecovery::touchedMinutes(w()->m_fromMs, w()->m_restartedMs);
        inBackground(
            this, [recovery, from, to] { return recovery->reconcile(from, to); },
            [this](const Result<ReconcileReport>& report) {
                setBusy(false);
                if (!report) {
                    showBanner(m_headline, Severity::Crit,
                        tr("<b>Reconciliation failed</b>: %1").arg(report.error().toString().toHtmlEscaped()));
                    return;
                }
                w()->m_reconciliation = *report;
                const auto& r = *report;
                w()->note(tr("reconciled: %1").arg(r.toText(0).trimmed()));
                const bool clean = r.clean() && r.windows() > 0;
                showBanner(m_headline, clean ? Severity::Ok : Severity::Crit,
                    tr("%1 <b>%2 %8 matched</b> · %3 mismatched · %4 missing · %5 unexpected — %6, %7 %9 read from "
                       "the topic")
                        .arg(clean ? tr("✔ Reconciled.") : tr("✘ Not reconciled."))
                        .arg(r.matched)
                        .arg(r.mismatched.size())
                        .arg(r.missing.size())
                        .arg(r.unexpected.size())
                        .arg(r.toMinute - r.fromMinute <= 60
                                ? tr("minute %1").arg(minuteText(r.fromMinute))
                                : tr("minutes %1 to %2").arg(minuteText(r.fromMinute), minuteText(r.toMinute - 60)),
                            count(r.recordsRead), unitForCount(double(r.matched), QStringLiteral("windows")),
                            records(r.recordsRead)));
                m_table->setRowCount(0);
                auto add = [this](const WindowId& window, const QString& problem, qint64 expected, qint64 found) {
                    const int row = m_table->rowCount();
                    m_table->insertRow(row);
                    setRow(m_table, row,
                        {minuteText(window.first), window.second, problem,
                            expected < 0 ? QStringLiteral("—") : count(expected),
                            found < 0 ? QStringLiteral("—") : count(found)},
                        3);
                };
                for (const auto& m : r.mismatched)
                    add(m.window, tr("mismatched"), m.expected.events, m.found.events);
                for (const auto& m : r.missing)
                    add(m.window, tr("missing"), m.expected.events, -1);
                for (const auto& [window, value] : r.unexpected)
                    add(window, tr("unexpected"), -1, value.events);
                m_table->setVisible(m_table->rowCount() > 0);
                m_timeline->setText(
                    w()->m_timeline.mid(std::max<qsizetype>(0, w()->m_timeline.size() - 16)).join(QLatin1Char('\n')));
                Q_EMIT w()->stepReady(RecoveryWizard::ReconcilePage);
            });
    }

private:
    QLabel* m_headline;
    QTableWidget* m_table;
    QPushButton* m_save;
    QLabel* m_saved;
    QLabel* m_timeline;
};

// ---------------------------------------------------------------------------------------------------------------
void RecoveryWizard::changeEvent(QEvent* event)
{
    QWizard::changeEvent(event);
    // Light and dark switch at run time: banners carry colours of their own. The wizard hears of a new palette
    // before its children have it, so its own palette is the one to use.
    if (event->type() == QEvent::PaletteChange)
        for (QLabel* label : findChildren<QLabel*>())
            if (const QVariant severity = label->property(kBannerSeverity); severity.isValid())
                styleBanner(label, Severity(severity.toInt()), palette());
}

RecoveryWizard::RecoveryWizard(RecoveryEnvironment environment, QWidget* parent)
    : QWizard(parent)
    , m_env(std::move(environment))
{
    setObjectName(QStringLiteral("recoveryWizard"));
    setWindowTitle(tr("Recover — Pathwatch"));
    setWizardStyle(QWizard::ModernStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    setOption(QWizard::HaveHelpButton, false);
    setButtonText(QWizard::FinishButton, tr("&Done"));
    auto* group = new GroupStep(this);
    auto* target = new TargetStep(this);
    auto* confirm = new ConfirmStep(this);
    setPage(GroupPage, group);
    setPage(TargetPage, target);
    setPage(PreviewPage, new PreviewStep(this));
    setPage(PreflightPage, new PreflightStep(this));
    setPage(ConfirmPage, confirm);
    setPage(ProgressPage, new ProgressStep(this, confirm));
    setPage(ResultPage, new ResultStep(this));
    setPage(CatchUpPage, new CatchUpStep(this));
    setPage(ReconcilePage, new ReconcileStep(this));

    // The steps, at the left, the current one marked.
    auto* side = new QFrame(this);
    side->setObjectName(QStringLiteral("stepList"));
    side->setMinimumWidth(200);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(12, 16, 12, 16);
    sideLayout->setSpacing(8);
    const QStringList names {tr("Group"), tr("Target"), tr("Preview"), tr("Checks"), tr("Confirm"), tr("Progress"),
        tr("Result"), tr("Catch-up"), tr("Reconciliation")};
    for (int i = 0; i < names.size(); ++i) {
        auto* label = new QLabel(side);
        label->setTextFormat(Qt::RichText);
        label->setProperty("stepName", names[i]);
        m_stepLabels << label;
        sideLayout->addWidget(label);
    }
    sideLayout->addStretch();
    setSideWidget(side);
    connect(this, &QWizard::currentIdChanged, this, [this, group](int id) {
        updateSteps(id);
        if (id != GroupPage)
            group->stopTimers();
        auto* preflight = static_cast<PreflightStep*>(page(PreflightPage));
        if (id != PreflightPage)
            preflight->stopTimers();
        else if (m_lastPage > PreflightPage)
            preflight->resume(); // came back to it; going forward, initializePage runs the checks
        m_lastPage = id;
        if (id != CatchUpPage)
            static_cast<CatchUpStep*>(page(CatchUpPage))->stopTimers();
    });
    resize(1040, 700);
    note(tr("recovery wizard opened"));
    if (!m_env.config->recovery.empty())
        m_group = m_env.config->recovery.front().group;
    updateSteps(GroupPage);
}

RecoveryWizard::~RecoveryWizard() = default;

void RecoveryWizard::updateSteps(int current)
{
    const bool reconciles = !m_env.servingDatabase.isEmpty();
    for (int i = 0; i < m_stepLabels.size(); ++i) {
        QLabel* label = m_stepLabels[i];
        label->setVisible(i != ReconcilePage || reconciles);
        const QString name = label->property("stepName").toString();
        const QColor accent = StatusStyle::color(Severity::Ok);
        if (i == current)
            label->setText(QStringLiteral("<span style='color:%1; font-weight:bold'>▶ %2. %3</span>")
                               .arg(accent.name())
                               .arg(i + 1)
                               .arg(name));
        else if (i < current)
            label->setText(QStringLiteral("<span style='color:gray'>✔ %1. %2</span>").arg(i + 1).arg(name));
        else
            label->setText(QStringLiteral("&nbsp;&nbsp;&nbsp;%1. %2").arg(i + 1).arg(name));
    }
}

void RecoveryWizard::setGroup(const QString& group)
{
    static_cast<GroupStep*>(page(GroupPage))->select(group);
}

QString RecoveryWizard::group() const
{
    return m_group;
}

void RecoveryWizard::setReplayFromMs(qint64 ms)
{
    static_cast<TargetStep*>(page(TargetPage))->pick(ms);
}

QStringList RecoveryWizard::faultsOn() const
{
    return m_env.faultsOn ? m_env.faultsOn() : QStringList {};
}

void RecoveryWizard::note(const QString& line)
{
    m_timeline << QStringLiteral("[%1] %2").arg(clock(nowMs()), line);
}

void RecoveryWizard::reject()
{
    if (m_executing)
        return; // the recovery runs: it cannot be cancelled half-way
    QWizard::reject();
}

RecoveryReport RecoveryWizard::report() const
{
    RecoveryReport report;
    report.title = tr("Recovery of group `%1`").arg(m_group);
    if (!m_outcome)
        report.result = tr("not executed");
    else if (!m_outcome->executed)
        report.result = tr("refused, nothing changed: %1").arg(m_outcome->message);
    else if (m_outcome->exitCode != kExitOk)
        report.result = tr("not completed: %1").arg(m_outcome->message);
    else if (!m_reconciliation)
        report.result = tr("recovered and verified (not reconciled)");
    else if (m_reconciliation->clean() && m_reconciliation->windows() > 0)
        report.result = tr("reconciled, every window matches");
    else
        report.result = tr("the serving table is not right");
    if (m_history && m_history->incident)
        report.facts << tr("Incident #%1: stage `%2` %3 from %4 (%5).")
                            .arg(m_history->incident->id)
                            .arg(m_history->incident->stageId, severityName(m_history->incident->worst),
                                QDateTime::fromMSecsSinceEpoch(m_history->incident->startMs).toString(Qt::ISODate),
                                m_history->incident->reason);
    if (m_fromMs)
        report.facts << tr("Replayed from %1 (run from the console's recovery wizard).")
                            .arg(QDateTime::fromMSecsSinceEpoch(m_fromMs, Qt::UTC).toString(Qt::ISODate));
    report.timeline = m_timeline;
    if (m_outcome)
        report.plan = m_outcome->preview.plan;
    report.audit = m_audit;
    report.reconciliation = m_reconciliation;
    return report;
}

void RecoveryWizard::saveReport(const QString& path)
{
    const RecoveryReport r = report();
    inBackground(
        this, [r, path] { return r.save(path); },
        [this, path](const Result<void>& saved) {
            if (saved) {
                note(tr("report saved to %1").arg(path));
                Q_EMIT reportSaved(true, tr("Report saved to %1").arg(path));
            } else {
                Q_EMIT reportSaved(false, tr("%1. The result stands; pick another place.").arg(saved.error().message));
            }
        });
}

void RecoveryWizard::previewUndo()
{
    if (!m_outcome || !m_outcome->executed || !m_recovery)
        return;
    auto recovery = m_recovery;
    const qint64 id = m_outcome->executed->auditId;
    inBackground(
        this, [recovery, id] { return recovery->previewUndo(id); },
        [this](const Result<RecoveryPreview>& preview) {
            if (preview)
                m_undoPreview = *preview;
            else
                m_undoPreview.reset();
            note(preview ? tr("undo of #%1 previewed").arg(preview->undoOf)
                         : tr("undo cannot be previewed: %1").arg(preview.error().toString()));
            Q_EMIT undoPreviewed();
        });
}

void RecoveryWizard::undo()
{
    if (!m_undoPreview || m_executing)
        return;
    auto recovery = m_recovery;
    const qint64 id = m_undoPreview->undoOf;
    const QString reason = tr("undo of recovery #%1 from the console").arg(id);
    m_executing = true;
    button(QWizard::CancelButton)->setEnabled(false);
    note(tr("undo of #%1 confirmed").arg(id));
    inBackground(
        this, [recovery, id, reason] { return recovery->executeUndo(id, reason); },
        [this](const Result<FlinkReplayResult>& result) {
            m_executing = false;
            button(QWizard::CancelButton)->setEnabled(true);
            if (result)
                m_undoOutcome = *result;
            else {
                FlinkReplayResult failed;
                failed.exitCode = kExitFailed;
                failed.message = result.error().toString();
                m_undoOutcome = failed;
            }
            note(m_undoOutcome->executed ? tr("undo: audit entry %1: %2")
                                               .arg(m_undoOutcome->executed->auditId)
                                               .arg(m_undoOutcome->executed->report.outcome)
                                         : tr("undo not executed: %1").arg(m_undoOutcome->message));
            Q_EMIT undoFinished();
        });
}

} // namespace pw
