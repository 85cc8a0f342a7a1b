#include "commands.h"

#include "unixsignals.h"

#include "config/config.h"
#include "demo/embeddedmode.h"
#include "engine/engine.h"
#include "export/metricsexporter.h"
#include "model/thresholds.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QTextStream>

#include <cstdio>

namespace pw {

namespace {

QTextStream& out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream& err()
{
    static QTextStream stream(stderr);
    return stream;
}

const QString kNoConfigHelp = QStringLiteral(
    "no configuration given: pass --config FILE (examples in resources/examples/ or /usr/share/pathwatch/examples/). "
    "The embedded demo runs without one in `pathwatch` and `pathwatch headless`; it writes the config that watches "
    "it to %1/embedded-demo.yaml.");

QCommandLineOption configOption()
{
    return QCommandLineOption({QStringLiteral("c"), QStringLiteral("config")},
        QStringLiteral("Pipeline configuration (YAML)."), QStringLiteral("FILE"));
}

Result<PipelineConfig> loadFromParser(const QCommandLineParser& parser)
{
    if (!parser.isSet(QStringLiteral("config")))
        return fail(Error::Code::Config, kNoConfigHelp.arg(demo::EmbeddedMode::defaultDataDir()));
    return loadConfigFile(parser.value(QStringLiteral("config")));
}

QString ageText(qint64 thenMs, qint64 nowMsValue)
{
    if (thenMs <= 0)
        return QStringLiteral("never");
    const double seconds = std::max<qint64>(0, nowMsValue - thenMs) / 1000.0;
    return formatValue(seconds, QStringLiteral("s")) + QStringLiteral(" ago");
}

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
        for (int i = 0; i < row.size(); ++i) {
            line += i + 1 == row.size() ? row[i] : row[i].leftJustified(widths[i] + 2);
        }
        out() << line.trimmed() << '\n';
    }
}

} // namespace

int runCheckConfig(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Validate a Pathwatch configuration file: exit 0 when valid, 4 with file:line:column and a fix "
                       "when not."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Configuration file to check."));
    parser.process(arguments);
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
    return 0;
}

int runStatus(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Poll every source once and print a status table. Exit code: 0 OK, 1 WARN, 2 CRIT, 3 STALE/UNKNOWN, "
        "4 config error."));
    parser.addHelpOption();
    parser.addOption(configOption());
    parser.process(arguments);
    auto config = loadFromParser(parser);
    if (!config) {
        err() << "pathwatch status: " << config.error().toString() << '\n';
        return kExitConfigError;
    }
    Engine engine(*config);
    auto snapshot = engine.pollOnce();
    if (!snapshot) {
        err() << "pathwatch status: " << snapshot.error().toString() << '\n';
        return kExitConfigError;
    }
    const Snapshot& s = **snapshot;
    const qint64 now = s.takenMs;

    QList<QStringList> rows;
    rows << QStringList {QStringLiteral("STAGE"), QStringLiteral("SIGNAL"), QStringLiteral("LABELS"),
        QStringLiteral("VALUE"), QStringLiteral("STATUS"), QStringLiteral("AGE"), QStringLiteral("REASON")};
    for (const auto& sig : s.signalStates) {
        rows << QStringList {sig.stageId, sig.name, labelsToString(sig.labels),
            sig.hasValue ? formatValue(sig.value, sig.unit) : QStringLiteral("—"), severityName(sig.severity),
            sig.hasValue ? ageText(sig.valueTimestampMs, now) : QString(), sig.reason};
    }
    out() << "Pipeline " << s.pipelineName << " — " << severityName(s.overall) << " at "
          << QDateTime::fromMSecsSinceEpoch(now).toString(Qt::ISODate) << "\n\n";
    printTable(rows);

    QList<QStringList> sourceRows;
    sourceRows << QStringList {QStringLiteral("SOURCE"), QStringLiteral("KIND"), QStringLiteral("ENDPOINT"),
        QStringLiteral("STATUS"), QStringLiteral("POLL"), QStringLiteral("ERROR")};
    for (const auto& src : s.sources) {
        sourceRows << QStringList {src.sourceId, src.kind, src.endpoint,
            src.up ? QStringLiteral("UP") : severityName(src.severity),
            formatValue(src.lastPollSeconds, QStringLiteral("s")), src.error};
    }
    out() << '\n';
    printTable(sourceRows);
    out().flush();
    return severityExitCode(s.overall);
}

int runHeadless(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run the engine without a window and serve the unified signals on /metrics for Prometheus and alerting. "
        "Without --config it runs the embedded demo (a Kafka-protocol broker and a demo pipeline) and watches it."));
    parser.addHelpOption();
    parser.addOption(configOption());
    parser.addOption(QCommandLineOption({QStringLiteral("l"), QStringLiteral("listen")},
        QStringLiteral("Address of the /metrics endpoint (default: export.listen of the config, else 127.0.0.1:9464)."),
        QStringLiteral("HOST:PORT")));
    parser.addOption(QCommandLineOption(QStringLiteral("data-dir"),
        QStringLiteral("Embedded mode: where the broker log and the demo's data live (default: %1).")
            .arg(demo::EmbeddedMode::defaultDataDir()),
        QStringLiteral("DIR")));
    parser.process(arguments);
    std::unique_ptr<demo::EmbeddedMode> embedded;
    Result<PipelineConfig> config = fail(Error::Code::Config, QStringLiteral("no configuration"));
    if (parser.isSet(QStringLiteral("config"))) {
        config = loadFromParser(parser);
    } else {
        const QString dataDir = parser.isSet(QStringLiteral("data-dir")) ? parser.value(QStringLiteral("data-dir"))
                                                                         : demo::EmbeddedMode::defaultDataDir();
        out() << "pathwatch headless: no --config, starting the embedded demo in " << dataDir << '\n';
        out().flush();
        auto started = demo::EmbeddedMode::start(dataDir);
        if (!started) {
            err() << "pathwatch headless: embedded mode: " << started.error().toString() << '\n';
            return kExitConfigError;
        }
        embedded = std::move(*started);
        out() << embedded->details() << '\n';
        config = embedded->config();
    }
    if (!config) {
        err() << "pathwatch headless: " << config.error().toString() << '\n';
        return kExitConfigError;
    }
    const QString listen
        = parser.isSet(QStringLiteral("listen")) ? parser.value(QStringLiteral("listen")) : config->exporter.listen;

    Engine engine(*config);
    MetricsExporter exporter([&engine] { return engine.latestSnapshot(); });
    if (auto listening = exporter.listen(listen); !listening) {
        err() << "pathwatch headless: " << listening.error().toString() << '\n';
        return kExitConfigError;
    }
    if (auto started = engine.start(); !started) {
        err() << "pathwatch headless: " << started.error().toString() << '\n';
        return kExitConfigError;
    }
    const QString host = listen.section(QLatin1Char(':'), 0, -2);
    out() << "pathwatch headless: pipeline `" << config->name << "`, serving /metrics on " << host << ':'
          << exporter.port() << '\n';
    out().flush();

    UnixSignalWatcher signals_;
    QObject::connect(&signals_, &UnixSignalWatcher::terminationRequested, qApp, [](int) { qApp->quit(); });
    const int code = QCoreApplication::exec();
    engine.stop();
    if (embedded)
        embedded->stop();
    err() << "pathwatch headless: stopped\n";
    return code;
}

} // namespace pw
