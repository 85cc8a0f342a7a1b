#include "commands.h"
#include "consolestreams.h"

#include "unixsignals.h"

#include "config/config.h"
#include "demo/embeddedmode.h"
#include "engine/engine.h"
#include "eval/lagevaluator.h"
#include "instance/controlserver.h"
#include "instance/datadir.h"
#include "instance/instance.h"
#include "model/sample.h"
#include "presentation/snapshotjson.h"
#include "presentation/statusreport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTextStream>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace pw {

namespace {

const QString kNoConfigHelp = QStringLiteral(
    "no configuration given and no running Pathwatch found for the data dir %1: pass --config FILE (examples in "
    "resources/examples/ or /usr/share/pathwatch/examples/), or --data-dir DIR of a running instance. The embedded "
    "demo runs without a config in `pathwatch` and `pathwatch headless`; it writes the config that watches it to "
    "DATA_DIR/embedded-demo.yaml.");

QCommandLineOption configOption()
{
    return QCommandLineOption({QStringLiteral("c"), QStringLiteral("config")},
        QStringLiteral("Pipeline configuration (YAML)."), QStringLiteral("FILE"));
}

QCommandLineOption dataDirOption()
{
    return QCommandLineOption(QStringLiteral("data-dir"),
        QStringLiteral("The instance's data dir: ledger, history, embedded demo data, control socket (default: %1).")
            .arg(DataDir::defaultPath()),
        QStringLiteral("DIR"));
}

QCommandLineOption logFormatOption()
{
    return QCommandLineOption(QStringLiteral("log-format"),
        QStringLiteral("How transitions are logged to stderr: text (default; journald priorities under systemd) or "
                       "json (one object per line, for log shippers)."),
        QStringLiteral("text|json"), QStringLiteral("text"));
}

// QCommandLineParser::process() exits with 1 — the WARN code — on a usage error; parse() lets us exit with 4.
std::optional<int> parseArguments(QCommandLineParser& parser, const QStringList& arguments, const char* command)
{
    parser.addHelpOption();
    if (!parser.parse(arguments)) {
        err() << "pathwatch " << command << ": " << parser.errorText() << " (see --help)\n";
        err().flush();
        return kExitConfigError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        out().flush();
        return kExitOk;
    }
    return std::nullopt;
}

std::optional<TransitionLog::Format> logFormat(const QCommandLineParser& parser)
{
    const QString value = parser.value(QStringLiteral("log-format"));
    if (value == QLatin1String("text"))
        return TransitionLog::Format::Text;
    if (value == QLatin1String("json"))
        return TransitionLog::Format::Json;
    return std::nullopt;
}

// How long a standalone `status` must watch so that every rate and quantile has a whole window of data.
qint64 standaloneWaitMs(const PipelineConfig& config)
{
    qint64 longestInterval = 0;
    qint64 longestWindow = 0;
    for (const auto& [id, source] : config.sources) {
        longestInterval = std::max(longestInterval, source.intervalMs);
        // Consumer-group verdicts need a whole window of polls.
        if (source.options.contains(QStringLiteral("groups")))
            longestWindow = std::max(longestWindow,
                source.intervalMs
                    * source.options.value(QStringLiteral("lag_window"), LagEvaluator::kDefaultWindowPolls)
                          .toLongLong());
    }
    for (const auto& stage : config.stages)
        for (const auto& signal : stage.signalConfigs) {
            qint64 window = signal.params.value(QStringLiteral("window_ms")).toLongLong();
            if (window <= 0)
                if (auto parsed = parseDurationMs(signal.params.value(QStringLiteral("window")).toString()))
                    window = *parsed;
            longestWindow = std::max(longestWindow, window);
        }
    return std::max<qint64>(longestWindow + longestInterval, 2 * longestInterval + 1000);
}

bool everythingJudged(const Snapshot& s)
{
    for (const auto& source : s.sources)
        if (source.polls == 0)
            return false;
    for (const auto& report : s.consumerLag)
        if (report)
            for (const GroupLag& g : report->groups)
                if (g.verdict == LagVerdict::Pending && !g.deleted)
                    return false;
    return std::none_of(s.signalStates.begin(), s.signalStates.end(),
        [](const SignalState& signal) { return signal.severity == Severity::Unknown; });
}

/// The snapshot with only the consumer groups `filter` matches, and the worst status among them (UNKNOWN when none
/// matched; STALE when their source cannot be read).
std::pair<Snapshot, Severity> filterGroups(const Snapshot& snapshot, const QRegularExpression& filter)
{
    Snapshot filtered = snapshot;
    filtered.consumerLag.clear();
    Severity worst = Severity::Ok;
    bool any = false;
    for (const auto& report : snapshot.consumerLag) {
        if (!report)
            continue;
        auto kept = std::make_shared<LagReport>(*report);
        kept->groups.clear();
        const SourceHealth* source = snapshot.findSource(report->sourceId);
        for (const GroupLag& g : report->groups)
            if (filter.match(g.group).hasMatch()) {
                kept->groups.push_back(g);
                worst = any ? pw::worse(worst, g.severity) : g.severity;
                if (source && !source->up)
                    worst = pw::worse(worst, Severity::Stale);
                any = true;
            }
        filtered.consumerLag.push_back(std::move(kept));
    }
    return {std::move(filtered), any ? worst : Severity::Unknown};
}

int printStatus(const Snapshot& snapshot, const QString& origin, bool json, const QRegularExpression& groupFilter)
{
    if (!groupFilter.pattern().isEmpty()) {
        // With --group the answer is about those groups: their lines, and the worst of their verdicts as exit code.
        const auto [filtered, worst] = filterGroups(snapshot, groupFilter);
        if (json)
            out() << QJsonDocument(snapshotToJson(filtered, origin)).toJson(QJsonDocument::Indented);
        else
            out() << statusReport(filtered, origin, groupFilter);
        out().flush();
        return severityExitCode(worst);
    }
    if (json)
        out() << QJsonDocument(snapshotToJson(snapshot, origin)).toJson(QJsonDocument::Indented);
    else
        out() << statusReport(snapshot, origin);
    out().flush();
    return severityExitCode(snapshot.overall);
}

QString canonical(const QString& path)
{
    const QString c = QFileInfo(path).canonicalFilePath();
    return c.isEmpty() ? QFileInfo(path).absoluteFilePath() : c;
}

} // namespace

int runCheckConfig(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Validate a Pathwatch configuration file: exit 0 when valid, 4 with file:line:column and a fix "
                       "when not."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Configuration file to check."));
    if (auto exit = parseArguments(parser, arguments, "check-config"))
        return *exit;
    if (parser.positionalArguments().size() != 1) {
        err() << "pathwatch check-config: expected exactly one FILE (see --help)\n";
        return kExitConfigError;
    }
    auto config = loadConfigFile(parser.positionalArguments().front());
    if (!config) {
        err() << config.error().toString() << '\n';
        return kExitConfigError;
    }
    int signalCount = 0;
    for (const auto& stage : config->stages)
        signalCount += int(stage.signalConfigs.size());
    out() << QStringLiteral("%1: OK — pipeline `%2`, %3 stages, %4 signals, %5 sources\n")
                 .arg(config->filePath, config->name)
                 .arg(config->stages.size())
                 .arg(signalCount)
                 .arg(config->sources.size());
    return kExitOk;
}

int runStatus(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Print the judgement of every signal and source. When a Pathwatch runs for the data dir, it is asked (the "
        "same values, durations and hysteresis as its window and /metrics); otherwise, or with --standalone, the "
        "sources are polled here for as long as their rate and quantile windows need. Exit code: 0 OK, 1 WARN, "
        "2 CRIT, 3 STALE/UNKNOWN, 4 config or usage error."));
    parser.addOption(configOption());
    parser.addOption(dataDirOption());
    parser.addOption(QCommandLineOption(
        QStringLiteral("standalone"), QStringLiteral("Poll the sources here even when an instance runs.")));
    parser.addOption(QCommandLineOption(QStringLiteral("wait"),
        QStringLiteral("Standalone: the longest to watch before judging (default 2m); signals still without data "
                       "are listed as not judged."),
        QStringLiteral("DURATION"), QStringLiteral("2m")));
    parser.addOption(QCommandLineOption(
        QStringLiteral("json"), QStringLiteral("Print the pathwatch.status/1 JSON document (see README).")));
    parser.addOption(QCommandLineOption(QStringLiteral("group"),
        QStringLiteral("Only the consumer groups whose id matches REGEX; the exit code is then the worst of their "
                       "verdicts (3 when none matches)."),
        QStringLiteral("REGEX")));
    if (auto exit = parseArguments(parser, arguments, "status"))
        return *exit;
    const QRegularExpression groupFilter(parser.value(QStringLiteral("group")));
    if (parser.isSet(QStringLiteral("group")) && (!groupFilter.isValid() || groupFilter.pattern().isEmpty())) {
        err() << "pathwatch status: --group `" << parser.value(QStringLiteral("group"))
              << "` is not a regular expression (" << groupFilter.errorString() << ")\n";
        return kExitConfigError;
    }
    if (!parser.positionalArguments().isEmpty()) {
        err() << "pathwatch status: unexpected argument `" << parser.positionalArguments().front()
              << "` (see --help)\n";
        return kExitConfigError;
    }
    auto waitCap = parseDurationMs(parser.value(QStringLiteral("wait")));
    if (!waitCap || *waitCap <= 0) {
        err() << "pathwatch status: --wait `" << parser.value(QStringLiteral("wait"))
              << "` is not a duration (e.g. 30s, 2m)\n";
        return kExitConfigError;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    const bool haveConfig = parser.isSet(QStringLiteral("config"));
    const DataDir dataDir = DataDir::at(parser.value(QStringLiteral("data-dir")));

    if (!parser.isSet(QStringLiteral("standalone"))) {
        auto answer = controlRequest(
            dataDir.controlSocketPath(), QJsonObject {{QStringLiteral("command"), QStringLiteral("status")}});
        if (answer && answer->value(QStringLiteral("ok")).toBool()) {
            const QString runningConfig = answer->value(QStringLiteral("config")).toString();
            if (!haveConfig || canonical(runningConfig) == canonical(parser.value(QStringLiteral("config")))) {
                auto snapshot = snapshotFromJson(answer->value(QStringLiteral("status")).toObject());
                if (snapshot) {
                    // The instance's degraded storage (ledger, history) is in the document and the report.
                    return printStatus(**snapshot, QStringLiteral("instance"), json, groupFilter);
                }
                err() << "pathwatch status: the running instance answered something unreadable ("
                      << snapshot.error().message << "); polling here instead\n";
            } else {
                err() << "pathwatch status: the instance on " << dataDir.path() << " watches " << runningConfig
                      << ", not " << parser.value(QStringLiteral("config")) << "; polling here instead\n";
            }
        } else if (!answer && answer.error().code != Error::Code::Refused) {
            err() << "pathwatch status: could not ask the running instance (" << answer.error().message
                  << "); polling here instead\n";
        }
    }

    if (!haveConfig) {
        err() << "pathwatch status: " << kNoConfigHelp.arg(dataDir.path()) << '\n';
        return kExitConfigError;
    }
    auto config = loadConfigFile(parser.value(QStringLiteral("config")));
    if (!config) {
        err() << "pathwatch status: " << config.error().toString() << '\n';
        return kExitConfigError;
    }
    // One pass first (it polls rate sources a second time soon after); only what is still unjudged then — a rate
    // or quantile that needs its window — makes status watch longer.
    Engine engine(*config);
    const qint64 startedMs = nowMs();
    auto first = engine.pollOnce();
    if (!first) {
        err() << "pathwatch status: " << first.error().toString() << '\n';
        return kExitConfigError;
    }
    SnapshotPtr snapshot = *first;
    const qint64 deadline = startedMs + std::min(*waitCap, standaloneWaitMs(*config));
    if (!everythingJudged(*snapshot) && nowMs() < deadline) {
        if (auto started = engine.start(); !started) {
            err() << "pathwatch status: " << started.error().toString() << '\n';
            return kExitConfigError;
        }
        while (nowMs() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            if (everythingJudged(*engine.latestSnapshot()))
                break;
        }
        engine.stop();
        snapshot = engine.latestSnapshot();
    }
    return printStatus(
        *snapshot, QStringLiteral("standalone, watched %1 s").arg((nowMs() - startedMs) / 1000), json, groupFilter);
}

int runHeadless(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run the engine without a window and serve the unified signals on /metrics for Prometheus and alerting. "
        "Without --config it runs the embedded demo (a Kafka-protocol broker and a demo pipeline) and watches it. "
        "Every transition is logged to stderr with its reason; SIGHUP reloads the config."));
    parser.addOption(configOption());
    parser.addOption(QCommandLineOption({QStringLiteral("l"), QStringLiteral("listen")},
        QStringLiteral("Address of the /metrics endpoint (default: export.listen of the config, else 127.0.0.1:9464)."),
        QStringLiteral("HOST:PORT")));
    parser.addOption(dataDirOption());
    parser.addOption(logFormatOption());
    if (auto exit = parseArguments(parser, arguments, "headless"))
        return *exit;
    const auto format = logFormat(parser);
    if (!format) {
        err() << "pathwatch headless: --log-format must be text or json\n";
        return kExitConfigError;
    }
    Instance::Options options;
    options.configPath = parser.value(QStringLiteral("config"));
    options.dataDir = parser.value(QStringLiteral("data-dir"));
    options.serveMetrics = true;
    options.listen = parser.value(QStringLiteral("listen"));
    options.logFormat = *format;
    options.commandName = QStringLiteral("pathwatch headless");
    if (options.configPath.isEmpty()) {
        out() << "pathwatch headless: no --config, starting the embedded demo in "
              << DataDir::at(options.dataDir).path() << '\n';
        out().flush();
    }
    Instance instance(options);
    if (auto started = instance.start(); !started) {
        err() << "pathwatch headless: " << started.error().toString() << '\n';
        return Instance::exitCodeFor(started.error());
    }
    if (instance.embedded())
        out() << instance.embedded()->details() << '\n';
    const QString listen = options.listen.isEmpty() ? QString() : options.listen;
    out() << "pathwatch headless: pipeline `" << instance.pipelineName() << "`, serving /metrics on port "
          << instance.metricsPort() << ", control socket " << instance.controlSocketPath() << ", data dir "
          << instance.dataDir().path() << '\n';
    out().flush();

    UnixSignalWatcher signals_;
    QObject::connect(&signals_, &UnixSignalWatcher::terminationRequested, qApp, [](int) { qApp->quit(); });
    QObject::connect(&signals_, &UnixSignalWatcher::reloadRequested, &instance, [&instance] {
        // A broken file is logged by the instance with file:line:column; the running config goes on.
        (void)instance.reload();
    });
    const int code = QCoreApplication::exec();
    instance.stop();
    err() << "pathwatch headless: stopped\n";
    return code;
}

int runFault(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Inject a fault into the embedded demo of a running Pathwatch, or list them. Faults: stop-job, slow-sink, "
        "object-store-errors, pause-producer, partial-writes, corrupt-checkpoint."));
    parser.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("The fault."), QStringLiteral("[NAME on|off]"));
    parser.addOption(dataDirOption());
    parser.addOption(QCommandLineOption(QStringLiteral("json"), QStringLiteral("Print the answer as JSON.")));
    if (auto exit = parseArguments(parser, arguments, "fault"))
        return *exit;
    const QStringList args = parser.positionalArguments();
    QJsonObject request {{QStringLiteral("command"), QStringLiteral("fault")}};
    if (args.size() == 2 && (args[1] == QLatin1String("on") || args[1] == QLatin1String("off"))) {
        request[QStringLiteral("name")] = args[0];
        request[QStringLiteral("on")] = args[1] == QLatin1String("on");
    } else if (args.size() == 1) {
        request[QStringLiteral("name")] = args[0];
    } else if (!args.isEmpty()) {
        err() << "pathwatch fault: expected NAME on|off (see --help)\n";
        return kExitConfigError;
    }
    const DataDir dataDir = DataDir::at(parser.value(QStringLiteral("data-dir")));
    auto answer = controlRequest(dataDir.controlSocketPath(), request, 30000);
    if (!answer) {
        err() << "pathwatch fault: " << answer.error().message
              << (answer.error().code == Error::Code::Refused ? QStringLiteral(
                      " (start `pathwatch` or `pathwatch headless` without --config, or pass its --data-dir)")
                                                              : QString())
              << '\n';
        return kExitFailed;
    }
    if (!answer->value(QStringLiteral("ok")).toBool()) {
        err() << "pathwatch fault: " << answer->value(QStringLiteral("error")).toString() << '\n';
        return answer->value(QStringLiteral("error")).toString().startsWith(QLatin1String("unknown fault"))
            ? kExitConfigError
            : kExitFailed;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        out() << QJsonDocument(*answer).toJson(QJsonDocument::Compact) << '\n';
    } else if (answer->contains(QStringLiteral("faults"))) {
        const QJsonObject faults = answer->value(QStringLiteral("faults")).toObject();
        for (auto it = faults.begin(); it != faults.end(); ++it)
            out() << it.key() << ' ' << (it.value().toBool() ? "on" : "off") << '\n';
    } else {
        out() << answer->value(QStringLiteral("name")).toString() << ' '
              << (answer->value(QStringLiteral("on")).toBool() ? "on" : "off") << '\n';
    }
    return kExitOk;
}

} // namespace pw
