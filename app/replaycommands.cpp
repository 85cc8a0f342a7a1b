#include "replaycommands.h"
#include "consolestreams.h"

#include "config/config.h"
#include "instance/datadir.h"
#include "instance/exitcodes.h"
#include "ledger/ledger.h"
#include "replay/flinkrecovery.h"
#include "replay/flinkreplay.h"
#include "replay/offsetscsv.h"
#include "replay/replayexecutor.h"
#include "replay/replaypreview.h"
#include "sources/kafkaadmin.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <atomic>
#include <csignal>
#include <map>

namespace pw {

namespace {

void printTable(const QList<QStringList>& rows)
{
    if (rows.isEmpty())
        return;
    QList<int> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (int i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], int(row[i].size()));
    for (const auto& row : rows) {
        QString line;
        for (int i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i] : row[i].leftJustified(widths[i] + 2);
        out() << line.trimmed() << '\n';
    }
}

QString timeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

std::atomic<bool> g_cancel {false};

QCommandLineOption option(const char* name, const char* help, const char* value = nullptr)
{
    return value ? QCommandLineOption(QString::fromLatin1(name), QString::fromUtf8(help), QString::fromLatin1(value))
                 : QCommandLineOption(QString::fromLatin1(name), QString::fromUtf8(help));
}

void addClusterOptions(QCommandLineParser& parser)
{
    parser.addOption(QCommandLineOption({QStringLiteral("c"), QStringLiteral("config")},
        QStringLiteral("Pipeline configuration (YAML): the cluster is its kafka source."), QStringLiteral("FILE")));
    parser.addOption(option("source", "The kafka source of the config (default: its only one).", "ID"));
    parser.addOption(option("bootstrap", "Without --config: the cluster's bootstrap servers.", "HOST:PORT"));
}

/// The cluster a command talks to, from --config/--source or --bootstrap.
struct Cluster
{
    KafkaAdminConfig admin;
    QString sourceId;
    /// The stages after the first one the kafka source feeds: whose incidents --to-last-trusted looks at.
    std::vector<QString> downstreamStages;
    std::shared_ptr<const PipelineConfig> config; // with --config
};

Result<Cluster> clusterFrom(const QCommandLineParser& parser)
{
    Cluster cluster;
    cluster.admin.timeout = std::chrono::milliseconds(15000);
    // A producer handle asks for topics with auto-creation on; a replay must never create what it looks at.
    cluster.admin.properties = {{QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}};
    const bool haveConfig = parser.isSet(QStringLiteral("config"));
    const bool haveBootstrap = parser.isSet(QStringLiteral("bootstrap"));
    if (haveConfig == haveBootstrap)
        return fail(Error::Code::Config,
            QStringLiteral("name the cluster with either --config FILE or --bootstrap "
                           "HOST:PORT"));
    if (haveBootstrap) {
        cluster.admin.bootstrapServers = parser.value(QStringLiteral("bootstrap"));
        cluster.sourceId = parser.isSet(QStringLiteral("source")) ? parser.value(QStringLiteral("source"))
                                                                  : cluster.admin.bootstrapServers;
        return cluster;
    }
    auto config = loadConfigFile(parser.value(QStringLiteral("config")));
    if (!config)
        return std::unexpected(config.error());
    std::vector<const SourceConfig*> kafka;
    for (const auto& [id, source] : config->sources)
        if (source.kind == QLatin1String("kafka"))
            kafka.push_back(&source);
    const SourceConfig* chosen = nullptr;
    if (parser.isSet(QStringLiteral("source"))) {
        const auto it = config->sources.find(parser.value(QStringLiteral("source")));
        if (it == config->sources.end() || it->second.kind != QLatin1String("kafka"))
            return fail(Error::Code::Config,
                QStringLiteral("%1 has no kafka source %2")
                    .arg(config->filePath, parser.value(QStringLiteral("source"))));
        chosen = &it->second;
    } else if (kafka.size() == 1) {
        chosen = kafka.front();
    } else {
        QStringList ids;
        for (const auto* s : kafka)
            ids << s->id;
        return fail(Error::Code::Config,
            kafka.empty() ? QStringLiteral("%1 has no kafka source").arg(config->filePath)
                          : QStringLiteral("%1 has several kafka sources (%2): pick one with --source ID")
                                .arg(config->filePath, ids.join(QStringLiteral(", "))));
    }
    cluster.sourceId = chosen->id;
    cluster.config = std::make_shared<const PipelineConfig>(*config);
    bool upstreamSeen = false;
    for (const auto& stage : config->stages) {
        if (upstreamSeen) {
            cluster.downstreamStages.push_back(stage.id);
            continue;
        }
        for (const auto& signal : stage.signalConfigs)
            upstreamSeen = upstreamSeen || signal.sourceId == chosen->id;
    }
    cluster.admin.bootstrapServers = chosen->options.value(QStringLiteral("bootstrap_servers")).toString().trimmed();
    const QVariantMap properties = chosen->options.value(QStringLiteral("properties")).toMap();
    for (auto it = properties.cbegin(); it != properties.cend(); ++it)
        cluster.admin.properties.emplace_back(it.key(), it.value().toString());
    return cluster;
}

int exitCodeFor(const Error& e)
{
    switch (e.code) {
    case Error::Code::Refused:
        return kExitRefused;
    case Error::Code::Config:
    case Error::Code::Parse:
        return kExitConfigError;
    default:
        return kExitFailed;
    }
}

void printChecks(const PreflightResult& preflight)
{
    out() << "\nPreflight:\n";
    for (const auto& c : preflight.checks)
        out() << (c.passed ? "  ok    " : "  FAIL  ") << c.name << ": " << c.sentence << '\n';
}

void printReport(const ExecutionReport& report, qint64 auditId)
{
    int verified = 0;
    for (const auto& p : report.partitions)
        verified += p.verified;
    out() << "\nExecution (audit entry " << auditId << "): " << report.outcome << " — " << verified << " of "
          << report.partitions.size() << " partition(s) read back as expected\n";
    if (!report.error.isEmpty())
        out() << "  " << report.error << '\n';
    QList<QStringList> rows;
    rows << QStringList {QStringLiteral("TOPIC"), QStringLiteral("PARTITION"), QStringLiteral("BEFORE"),
        QStringLiteral("TARGET"), QStringLiteral("AFTER"), QStringLiteral("VERIFIED")};
    for (const auto& p : report.partitions)
        if (!p.verified || report.partitions.size() <= 50)
            rows << QStringList {p.topic, QString::number(p.partition), QString::number(p.before),
                QString::number(p.target), p.after < 0 ? QStringLiteral("?") : QString::number(p.after),
                p.verified ? QStringLiteral("yes") : QStringLiteral("NO")};
    if (rows.size() > 1)
        printTable(rows);
}

} // namespace

constexpr const char* kTargetOptions[] = {"to-datetime", "to-position-at", "to-last-trusted", "to-checkpoint",
    "to-earliest", "to-latest", "shift-by", "to-offset", "from-file"};

// `--start-job` with no target: start the configured Flink job again (after a stop that was not followed by a
// reset, say), from a savepoint or from the group's offsets; audited like a replay.
int startJobAlone(const QCommandLineParser& parser, const QString& reason)
{
    const QString group = parser.value(QStringLiteral("group"));
    auto cluster = clusterFrom(parser);
    if (!cluster || !cluster->config || group.isEmpty()) {
        err() << "pathwatch replay: --start-job needs --config FILE and --group GROUP (see --help)\n";
        return kExitConfigError;
    }
    const RecoveryConfig* recovery = cluster->config->findRecovery(group);
    if (!recovery || recovery->flinkSourceId.isEmpty()) {
        err() << "pathwatch replay: --start-job needs a `recovery:` entry with `flink_source` for group " << group
              << " in the config\n";
        return kExitConfigError;
    }
    auto flink = FlinkRecovery::create(*cluster->config, *recovery);
    if (!flink) {
        err() << "pathwatch replay: " << flink.error().toString() << '\n';
        return kExitConfigError;
    }
    const FlinkJobCheck check = flink->check();
    if (check.state == QLatin1String("RUNNING")) {
        out() << "Flink job " << check.jobId << " already runs — nothing was changed.\n";
        return kExitRefused;
    }
    if (!parser.isSet(QStringLiteral("execute"))) {
        out() << "Dry run: would start Flink job " << recovery->jobName << " from "
              << (parser.isSet(QStringLiteral("from-savepoint")) ? parser.value(QStringLiteral("from-savepoint"))
                                                                 : QStringLiteral("the group's committed offsets"))
              << ". Run it with --execute --reason TEXT.\n";
        return kExitOk;
    }
    auto dir = DataDir::prepare(parser.value(QStringLiteral("data-dir")));
    auto ledger = dir ? Ledger::open(dir->ledgerPath()) : Result<std::unique_ptr<Ledger>>(std::unexpected(dir.error()));
    if (!ledger) {
        err() << "pathwatch replay: the recovery ledger cannot be used: " << ledger.error().toString() << '\n';
        return kExitDataDir;
    }
    std::optional<QString> savepoint;
    if (parser.isSet(QStringLiteral("from-savepoint")))
        savepoint = parser.value(QStringLiteral("from-savepoint"));
    auto started = flink->start(savepoint);
    QJsonObject steps {
        {QStringLiteral("started_from"), savepoint.value_or(QStringLiteral("the group's committed offsets"))}};
    if (started)
        steps.insert(QStringLiteral("started_job"), *started);
    else
        steps.insert(QStringLiteral("start_error"), started.error().toString());
    AuditEntry entry;
    entry.actor = replayActor();
    entry.sourceId = cluster->sourceId;
    entry.group = group;
    entry.target = QStringLiteral("--start-job");
    entry.reason = reason;
    entry.outcome = started ? QStringLiteral("job-started") : QStringLiteral("failed");
    entry.details = QJsonDocument(QJsonObject {{QStringLiteral("flink"), steps}}).toJson(QJsonDocument::Compact);
    (void)(*ledger)->appendAudit(entry);
    if (!started) {
        err() << "pathwatch replay: the job did not start: " << started.error().toString() << '\n';
        return kExitFailed;
    }
    out() << "Started Flink job " << *started << '\n';
    return kExitOk;
}

int runReplay(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Move a consumer group's committed offsets: preview (the default), then --execute --reason TEXT. Each "
        "execution is checked first (group exists and is empty, partitions exist, data not yet deleted, not a "
        "no-op), read back afterwards and written to the audit log; --undo ID reverses one.\n"
        "Exit code: 0 done or dry run fine, 4 usage or config error, 5 refused by preflight (nothing changed), "
        "6 failed or partly applied, 8 data dir unusable."));
    parser.addHelpOption();
    addClusterOptions(parser);
    parser.addOption(option("data-dir", "Where the ledger and the audit log live.", "DIR"));
    parser.addOption(option("group", "The consumer group.", "GROUP"));
    parser.addOption(option("to-datetime", "The first record at or after T (RFC 3339 or -30m).", "T"));
    parser.addOption(option("to-position-at", "Where the group's committed offsets were at T (ledger).", "T"));
    parser.addOption(option("to-last-trusted", "The committed offsets just before an incident began (ledger)."));
    parser.addOption(option("incident",
        "With --to-last-trusted: the incident (default: the newest open one of a stage after the kafka source's, any "
        "stage without --config).",
        "ID"));
    parser.addOption(option("to-checkpoint",
        "The offsets a completed checkpoint committed (ledger); optional ID "
        "after it (default: the newest)."));
    parser.addOption(option("flink-source", "With --to-checkpoint: the flink source that watches the job.", "ID"));
    parser.addOption(option("job", "With --to-checkpoint: the Flink job id.", "JOBID"));
    parser.addOption(option("to-earliest", "The log start."));
    parser.addOption(option("to-latest", "The end of the log."));
    parser.addOption(option("shift-by", "The committed offset plus N (negative: back).", "N"));
    parser.addOption(option("to-offset", "Offset N on every partition.", "N"));
    parser.addOption(option("from-file", "Offsets from a kafka-consumer-groups CSV (topic,partition,offset).", "CSV"));
    parser.addOption(option("topic", "Only this topic, or some of its partitions (repeatable).", "T[:P,P...]"));
    parser.addOption(option("execute", "Apply the plan (the default is a dry run)."));
    parser.addOption(option("reason", "Why (required with --execute; kept in the audit log).", "TEXT"));
    parser.addOption(option("allow-clamp", "Targets below the log start start from the earliest offset instead."));
    parser.addOption(option("export", "Write the plan's targets as CSV (kafka-consumer-groups --from-file).", "FILE"));
    parser.addOption(option("json", "Print JSON instead of tables."));
    parser.addOption(
        option("undo", "Reverse the audited replay ID (its before offsets, through the same checks).", "ID"));
    parser.addOption(option("stop-job",
        "A Flink job (the config's `recovery:` entry for the group): stop it with a savepoint before the offsets are "
        "reset (with --execute; the savepoint is kept in the audit log)."));
    parser.addOption(option("start-job",
        "A Flink job: start it again from its jar once the reset is verified — without state, from the group's "
        "offsets; after --undo, from the savepoint the undone replay took. Alone (no target): just start it."));
    parser.addOption(option("from-savepoint", "With --start-job alone: start from this savepoint.", "PATH"));
    parser.addOption(
        option("confirm", "For a group the config marks `production: true`: its name again, to execute.", "GROUP"));
    parser.addPositionalArgument(
        QStringLiteral("ID"), QStringLiteral("The checkpoint of --to-checkpoint."), QStringLiteral("[ID]"));
    if (!parser.parse(arguments)) {
        err() << "pathwatch replay: " << parser.errorText() << " (see --help)\n";
        return kExitConfigError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return kExitOk;
    }
    auto usage = [](const QString& message) {
        err() << "pathwatch replay: " << message << " (see --help)\n";
        return kExitConfigError;
    };
    const bool json = parser.isSet(QStringLiteral("json"));
    const bool execute = parser.isSet(QStringLiteral("execute"));
    const bool undo = parser.isSet(QStringLiteral("undo"));
    const QString reason = parser.value(QStringLiteral("reason")).trimmed();
    if (execute && reason.isEmpty())
        return usage(QStringLiteral("--execute needs --reason TEXT: the audit log keeps why"));
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1 || (!positional.isEmpty() && !parser.isSet(QStringLiteral("to-checkpoint"))))
        return usage(QStringLiteral("unexpected argument %1").arg(positional.join(u' ')));

    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    ReplayRequest request;
    request.context.nowMs = nowMs;
    request.context.group = parser.value(QStringLiteral("group"));
    request.context.flinkSourceId = parser.value(QStringLiteral("flink-source"));
    request.context.jobId = parser.value(QStringLiteral("job"));
    request.allowClamp = parser.isSet(QStringLiteral("allow-clamp"));
    qint64 undoOf = 0;
    const bool stopJob = parser.isSet(QStringLiteral("stop-job"));
    const bool startJob = parser.isSet(QStringLiteral("start-job"));
    const bool targetGiven = std::any_of(std::begin(kTargetOptions), std::end(kTargetOptions),
        [&](const char* name) { return parser.isSet(QString::fromLatin1(name)); });
    if (startJob && !undo && !targetGiven)
        return startJobAlone(parser, reason);
    if (!undo) {
        ReplayTargetOptions o;
        auto opt = [&](const char* name) -> std::optional<QString> {
            const QString n = QString::fromLatin1(name);
            return parser.isSet(n) ? std::optional<QString>(parser.value(n)) : std::nullopt;
        };
        o.toDatetime = opt("to-datetime");
        o.toPositionAt = opt("to-position-at");
        o.toLastTrusted = parser.isSet(QStringLiteral("to-last-trusted"));
        o.incident = opt("incident");
        o.toCheckpoint = parser.isSet(QStringLiteral("to-checkpoint"));
        if (!positional.isEmpty())
            o.checkpointId = positional.front();
        o.toEarliest = parser.isSet(QStringLiteral("to-earliest"));
        o.toLatest = parser.isSet(QStringLiteral("to-latest"));
        o.shiftBy = opt("shift-by");
        o.toOffset = opt("to-offset");
        o.fromFile = opt("from-file");
        auto target = parseReplayTarget(o, nowMs);
        if (!target)
            return usage(target.error().toString());
        request.target = std::move(*target);
        if (request.context.group.isEmpty())
            return usage(QStringLiteral("--group GROUP is required"));
    } else {
        bool ok = false;
        undoOf = parser.value(QStringLiteral("undo")).toLongLong(&ok);
        if (!ok || undoOf <= 0)
            return usage(QStringLiteral("--undo needs the id of an audit entry (pathwatch audit lists them)"));
    }
    auto scope = parseReplayScope(parser.values(QStringLiteral("topic")));
    if (!scope)
        return usage(scope.error().toString());
    request.scope = std::move(*scope);

    auto cluster = clusterFrom(parser);
    if (!cluster)
        return usage(cluster.error().toString());
    request.context.sourceId = cluster->sourceId;
    request.context.incidentStages = cluster->downstreamStages;

    // The ledger: needed for ledger targets, undo and the audit of an execution; a preview of other targets goes
    // on without it (no consume rate, so no ETA).
    const bool needLedger = execute || undo || request.target.needsLedger();
    std::unique_ptr<Ledger> ledger;
    QString ledgerProblem;
    if (auto dir = DataDir::prepare(parser.value(QStringLiteral("data-dir")))) {
        if (auto opened = Ledger::open(dir->ledgerPath()))
            ledger = std::move(*opened);
        else
            ledgerProblem = opened.error().toString();
    } else {
        ledgerProblem = dir.error().toString();
    }
    if (!ledger && needLedger) {
        err() << "pathwatch replay: the recovery ledger cannot be used: " << ledgerProblem << '\n';
        return kExitDataDir;
    }
    if (!ledger)
        err() << "pathwatch replay: without the recovery ledger (" << ledgerProblem << "): no ETA\n";

    QJsonObject undoDetails;
    if (undo) {
        auto entry = ledger->auditEntry(undoOf);
        if (!entry) {
            err() << "pathwatch replay: " << entry.error().toString() << '\n';
            return kExitFailed;
        }
        if (!*entry)
            return usage(QStringLiteral("the audit log has no entry %1").arg(undoOf));
        if (!request.context.group.isEmpty() && request.context.group != (*entry)->group)
            return usage(QStringLiteral("audit entry %1 is of group %2, not %3")
                             .arg(undoOf)
                             .arg((*entry)->group, request.context.group));
        request.context.group = (*entry)->group;
        undoDetails = QJsonDocument::fromJson((*entry)->details).object();
        auto targets = undoTargets(**entry);
        if (!targets) {
            err() << "pathwatch replay: refused: " << targets.error().message << '\n';
            return exitCodeFor(targets.error());
        }
        request.target.kind = ReplayTarget::Kind::FromFile;
        request.target.text = QStringLiteral("--undo %1").arg(undoOf);
        for (const auto& t : *targets)
            request.target.fileRows.push_back({t.topic, t.partition, t.offset});
    }

    // A Flink job consumes through the group: its REST API says whether it runs, and may stop and start it.
    const RecoveryConfig* recovery = cluster->config ? cluster->config->findRecovery(request.context.group) : nullptr;
    std::optional<FlinkRecovery> flink;
    if (recovery && !recovery->flinkSourceId.isEmpty()) {
        auto created = FlinkRecovery::create(*cluster->config, *recovery);
        if (!created)
            return usage(created.error().toString());
        flink.emplace(std::move(*created));
    }
    if ((stopJob || startJob) && !flink)
        return usage(QStringLiteral("--stop-job and --start-job need a `recovery:` entry with `flink_source` for group "
                                    "%1 in the config")
                         .arg(request.context.group));
    if (execute && recovery && recovery->production && parser.value(QStringLiteral("confirm")) != request.context.group)
        return usage(QStringLiteral("group %1 is marked `production: true`: repeat its name with --confirm %1 to "
                                    "execute")
                         .arg(request.context.group));
    std::optional<QString> undoSavepoint;
    if (undo && undoDetails.contains(QStringLiteral("flink")))
        if (const QString s
            = undoDetails.value(QStringLiteral("flink")).toObject().value(QStringLiteral("savepoint")).toString();
            !s.isEmpty())
            undoSavepoint = s;

    auto admin = KafkaAdmin::create(cluster->admin);
    if (!admin)
        return usage(admin.error().toString());

    QJsonObject flinkSteps;
    if (flink) {
        FlinkJobCheck check = flink->check();
        const bool running = check.state == QLatin1String("RUNNING");
        if (running && stopJob && execute) {
            out() << "Stopping Flink job " << check.jobId << " (" << check.jobName << ") with a savepoint…\n";
            out().flush();
            auto stopped = stopJobForReplay(**admin, ledger.get(), request, *flink, check);
            if (!stopped) {
                err() << "pathwatch replay: " << stopped.error().toString() << '\n';
                return exitCodeFor(stopped.error());
            }
            if (stopped->refused) {
                if (!json)
                    printChecks(*stopped->refused);
                out() << "\nRefused: " << stopped->refused->refusal()
                      << " — nothing was changed, the job still runs.\n";
                return kExitRefused;
            }
            flinkSteps = stopped->steps;
            out() << "Savepoint: " << flinkSteps.value(QStringLiteral("savepoint")).toString() << '\n';
            check = stopped->check;
        } else if (ledger && !(running && stopJob)) {
            if (auto filled
                = fillRecentCommits(*ledger, request.context.sourceId, request.context.group, nowMs, 3, check);
                !filled)
                check.stateError = filled.error().toString();
        }
        // A dry run with --stop-job previews the reset as it will be once the job is stopped.
        if (!(running && stopJob && !execute))
            request.flink = check;
        else if (!json)
            out() << "With --execute, Flink job " << check.jobId << " (RUNNING) is stopped with a savepoint first.\n";
    }

    auto preview = previewReplay(**admin, ledger.get(), request);
    if (!preview) {
        QString message = preview.error().toString();
        if (const QString why = (*admin)->takeClientError(); !why.isEmpty())
            message += QStringLiteral(" (%1)").arg(why);
        err() << "pathwatch replay: " << (preview.error().code == Error::Code::Refused ? "refused: " : "") << message
              << '\n';
        return exitCodeFor(preview.error());
    }
    const ReplayPlan& plan = preview->plan;
    if (parser.isSet(QStringLiteral("export"))) {
        std::vector<OffsetsCsvRow> rows;
        for (const auto& p : plan.partitions)
            rows.push_back({p.topic, p.partition, p.target});
        if (auto written = writeOffsetsCsvFile(parser.value(QStringLiteral("export")), rows); !written) {
            err() << "pathwatch replay: " << written.error().toString() << '\n';
            return kExitFailed;
        }
    }

    QJsonObject result {{QStringLiteral("plan"), plan.toJson()},
        {QStringLiteral("preflight"), preview->preflight.toJson()},
        {QStringLiteral("passed"), preview->preflight.passed}, {QStringLiteral("executed"), false}};
    if (!json) {
        out() << "Replay of group " << plan.group << " to " << plan.target << " — "
              << (execute ? "executing" : "dry run") << ", plan " << plan.hash.left(12) << "\n\n";
        printTable(planTableRows(plan));
        printChecks(preview->preflight);
    }
    if (!preview->preflight.passed) {
        if (!flinkSteps.isEmpty() && ledger) {
            // The job was stopped for this replay: the audit says so, and where its savepoint is.
            AuditEntry stopped;
            stopped.actor = replayActor();
            stopped.sourceId = cluster->sourceId;
            stopped.group = request.context.group;
            stopped.target = plan.target;
            stopped.reason = reason;
            stopped.outcome = QStringLiteral("refused");
            stopped.details = QJsonDocument(QJsonObject {{QStringLiteral("flink"), flinkSteps},
                                                {QStringLiteral("preflight"), preview->preflight.toJson()}})
                                  .toJson(QJsonDocument::Compact);
            (void)ledger->appendAudit(stopped);
            out() << "\nThe job was stopped with savepoint " << flinkSteps.value(QStringLiteral("savepoint")).toString()
                  << "; start it again with --start-job --from-savepoint PATH.\n";
        }
        if (json)
            out() << QJsonDocument(result).toJson(QJsonDocument::Compact) << '\n';
        else
            out() << "\nRefused: " << preview->preflight.refusal() << " — the offsets were not changed.\n";
        return kExitRefused;
    }
    if (!execute) {
        if (startJob && !json)
            out() << "With --execute, the job is then started again from its jar "
                  << (undoSavepoint ? QStringLiteral("from savepoint %1").arg(*undoSavepoint)
                                    : QStringLiteral("without state, from the group's offsets"))
                  << ".\n";
        if (json)
            out() << QJsonDocument(result).toJson(QJsonDocument::Compact) << '\n';
        else
            out() << "\nDry run: nothing was changed. Apply it with --execute --reason TEXT.\n";
        return kExitOk;
    }

    AuditEntry entry;
    entry.actor = replayActor();
    entry.sourceId = cluster->sourceId;
    if (auto id = (*admin)->clusterId())
        entry.clusterId = *id;
    entry.target = plan.target;
    entry.reason = reason;
    entry.undoOf = undoOf;
    ExecuteOptions options;
    const qint64 total = qint64(plan.partitions.size());
    if (!json && total > options.batchSize)
        options.progress = [](qint64 done, qint64 all) {
            err() << "altered " << done << '/' << all << " partitions\n";
            err().flush();
        };
    g_cancel = false;
    auto previous = std::signal(SIGINT, [](int) { g_cancel = true; });
    options.cancelRequested = [] { return g_cancel.load(); };
    out().flush();
    auto executed = executeAudited(**admin, *ledger, entry, plan, preview->preflight, options);
    std::signal(SIGINT, previous);
    if (!executed) {
        err() << "pathwatch replay: " << executed.error().toString() << '\n';
        return kExitDataDir;
    }
    int exitCode = executed->report.exitCode();
    if (flink && (startJob || !flinkSteps.isEmpty())) {
        if (startJob && executed->report.outcome == QLatin1String("executed-verified")) {
            auto started = startJobAfterReplay(*flink, undoSavepoint, flinkSteps);
            if (started) {
                if (!json)
                    out() << "Started Flink job " << *started << " from "
                          << (undoSavepoint ? QStringLiteral("savepoint ") + *undoSavepoint
                                            : QStringLiteral("the group's committed offsets (without state)"))
                          << '\n';
            } else {
                err() << "pathwatch replay: the offsets are reset and verified, but the job did not start: "
                      << started.error().toString() << '\n';
                exitCode = kExitFailed;
            }
        }
        recordFlinkSteps(*ledger, executed->auditId, flinkSteps);
        result.insert(QStringLiteral("flink"), flinkSteps);
    }
    if (json) {
        result.insert(QStringLiteral("executed"), true);
        result.insert(QStringLiteral("audit_id"), executed->auditId);
        result.insert(QStringLiteral("execution"), executed->report.toJson());
        out() << QJsonDocument(result).toJson(QJsonDocument::Compact) << '\n';
    } else {
        printReport(executed->report, executed->auditId);
        if (executed->report.outcome != QLatin1String("executed-verified")
            && executed->report.outcome != QLatin1String("refused"))
            out() << "Undo what was applied with: pathwatch replay --undo " << executed->auditId << '\n';
    }
    if (!executed->auditError.isEmpty())
        err() << "pathwatch replay: the outcome could not be written to the audit log: " << executed->auditError
              << '\n';
    return exitCode;
}

int runGroups(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List every consumer group of a cluster: state, members and lag (records behind the end of "
                       "the log, summed over its partitions)."));
    parser.addHelpOption();
    addClusterOptions(parser);
    parser.addOption(option("json", "Print JSON lines instead of a table."));
    parser.process(arguments);
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        err() << "pathwatch groups: " << cluster.error().toString() << '\n';
        return kExitConfigError;
    }
    auto admin = KafkaAdmin::create(cluster->admin);
    if (!admin) {
        err() << "pathwatch groups: " << admin.error().toString() << '\n';
        return kExitConfigError;
    }
    auto failed = [&](const Error& e) {
        QString message = e.toString();
        if (const QString why = (*admin)->takeClientError(); !why.isEmpty())
            message += QStringLiteral(" (%1)").arg(why);
        err() << "pathwatch groups: " << message << '\n';
        return kExitFailed;
    };
    auto groups = (*admin)->listGroups();
    if (!groups)
        return failed(groups.error());
    std::sort(groups->begin(), groups->end(), [](const auto& a, const auto& b) { return a.groupId < b.groupId; });
    auto topics = (*admin)->listTopics();
    if (!topics)
        return failed(topics.error());
    std::map<QString, int32_t> counts;
    for (const auto& t : *topics)
        counts[t.name] = t.partitions;
    std::map<QString, std::vector<KafkaAdmin::Watermarks>> marks;
    QList<QStringList> rows;
    rows << QStringList {QStringLiteral("GROUP"), QStringLiteral("STATE"), QStringLiteral("MEMBERS"),
        QStringLiteral("PARTITIONS"), QStringLiteral("LAG"), QStringLiteral("CLIENTS")};
    for (const auto& g : *groups) {
        auto description = (*admin)->describeGroup(g.groupId);
        if (!description)
            return failed(description.error());
        auto offsets = (*admin)->listGroupOffsets(g.groupId);
        if (!offsets)
            return failed(offsets.error());
        qint64 lag = 0;
        for (const auto& o : *offsets) {
            if (!counts.contains(o.topic))
                continue;
            auto it = marks.find(o.topic);
            if (it == marks.end()) {
                auto m = (*admin)->topicWatermarks(o.topic, counts[o.topic]);
                if (!m)
                    return failed(m.error());
                it = marks.emplace(o.topic, std::move(*m)).first;
            }
            if (o.partition >= 0 && size_t(o.partition) < it->second.size())
                lag += std::max<int64_t>(0, it->second[size_t(o.partition)].high - std::max<int64_t>(o.offset, 0));
        }
        QStringList clients;
        QJsonArray members;
        for (const auto& m : description->members) {
            clients << QStringLiteral("%1@%2").arg(m.clientId, m.host);
            members.append(QJsonObject {{QStringLiteral("client_id"), m.clientId}, {QStringLiteral("host"), m.host},
                {QStringLiteral("member_id"), m.memberId},
                {QStringLiteral("partitions"), qint64(m.assignment.size())}});
        }
        if (parser.isSet(QStringLiteral("json"))) {
            out() << QJsonDocument(
                QJsonObject {{QStringLiteral("group"), g.groupId}, {QStringLiteral("state"), description->state},
                    {QStringLiteral("simple"), g.simple}, {QStringLiteral("members"), members},
                    {QStringLiteral("partitions"), qint64(offsets->size())}, {QStringLiteral("lag"), lag}})
                         .toJson(QJsonDocument::Compact)
                  << '\n';
        } else {
            rows << QStringList {g.groupId, description->state, QString::number(description->members.size()),
                QString::number(offsets->size()), QString::number(lag), clients.join(QStringLiteral(", "))};
        }
    }
    if (!parser.isSet(QStringLiteral("json")))
        printTable(rows);
    return kExitOk;
}

int runAudit(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Print the replay audit log, oldest first."));
    parser.addHelpOption();
    parser.addOption(option("data-dir", "Where the ledger and the audit log live.", "DIR"));
    parser.addOption(option("json", "Print one JSON object per line, with each entry's details."));
    parser.process(arguments);
    auto dir = DataDir::prepare(parser.value(QStringLiteral("data-dir")));
    if (!dir) {
        err() << "pathwatch audit: " << dir.error().toString() << '\n';
        return kExitDataDir;
    }
    auto ledger = Ledger::open(dir->ledgerPath());
    if (!ledger) {
        err() << "pathwatch audit: " << ledger.error().toString() << '\n';
        return kExitDataDir;
    }
    auto entries = (*ledger)->auditEntries();
    if (!entries) {
        err() << "pathwatch audit: " << entries.error().toString() << '\n';
        return kExitDataDir;
    }
    QList<QStringList> rows;
    rows << QStringList {QStringLiteral("ID"), QStringLiteral("TIME"), QStringLiteral("ACTOR"), QStringLiteral("GROUP"),
        QStringLiteral("TARGET"), QStringLiteral("OUTCOME"), QStringLiteral("UNDO OF"), QStringLiteral("REASON")};
    for (const auto& e : *entries) {
        if (parser.isSet(QStringLiteral("json"))) {
            QJsonObject o {{QStringLiteral("id"), e.id}, {QStringLiteral("time"), timeText(e.atMs)},
                {QStringLiteral("at_ms"), e.atMs}, {QStringLiteral("actor"), e.actor},
                {QStringLiteral("source"), e.sourceId}, {QStringLiteral("cluster"), e.clusterId},
                {QStringLiteral("group"), e.group}, {QStringLiteral("target"), e.target},
                {QStringLiteral("reason"), e.reason}, {QStringLiteral("plan_hash"), e.planHash},
                {QStringLiteral("outcome"), e.outcome}, {QStringLiteral("undo_of"), e.undoOf}};
            o.insert(QStringLiteral("details"), QJsonDocument::fromJson(e.details).object());
            out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << '\n';
        } else {
            rows << QStringList {QString::number(e.id), timeText(e.atMs), e.actor, e.group, e.target, e.outcome,
                e.undoOf ? QString::number(e.undoOf) : QString(), e.reason};
        }
    }
    if (!parser.isSet(QStringLiteral("json")))
        printTable(rows);
    return kExitOk;
}

} // namespace pw
