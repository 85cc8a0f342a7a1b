#include "readinesscommands.h"
#include "consolestreams.h"

#include "config/config.h"
#include "instance/datadir.h"
#include "instance/exitcodes.h"
#include "ledger/ledger.h"
#include "presentation/readinesstext.h"
#include "readiness/evidencecollector.h"
#include "replay/sqlreconcile.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace pw {

namespace {

QCommandLineOption option(const char* name, const char* help, const char* value = nullptr)
{
    return value ? QCommandLineOption(QString::fromLatin1(name), QString::fromUtf8(help), QString::fromLatin1(value))
                 : QCommandLineOption(QString::fromLatin1(name), QString::fromUtf8(help));
}

void addConfigOptions(QCommandLineParser& parser)
{
    parser.addOption(QCommandLineOption({QStringLiteral("c"), QStringLiteral("config")},
        QStringLiteral("Pipeline configuration (YAML); default: the embedded demo's, in the data dir."),
        QStringLiteral("FILE")));
    parser.addOption(
        option("data-dir", "The data dir whose ledger holds the evidence (default: the usual one).", "DIR"));
}

/// The config named by --config, or the one the embedded demo wrote into the data dir.
Result<PipelineConfig> configFrom(const QCommandLineParser& parser, const DataDir& dir)
{
    if (parser.isSet(QStringLiteral("config")))
        return loadConfigFile(parser.value(QStringLiteral("config")));
    const QString embedded = dir.embeddedConfigPath();
    if (!QFileInfo::exists(embedded))
        return fail(Error::Code::Config,
            QStringLiteral("no --config, and no embedded demo config in %1: pass --config FILE, or run `pathwatch` "
                           "or `pathwatch headless` without a config once for that data dir")
                .arg(dir.path()));
    return loadConfigFile(embedded);
}

/// "2026-05-01T10:00", "2026-05-01T10:00:00Z" or Unix seconds, floored to its minute.
std::optional<std::int64_t> minuteFromText(const QString& text)
{
    bool ok = false;
    qint64 seconds = text.toLongLong(&ok);
    if (!ok) {
        QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (!t.isValid())
            return std::nullopt;
        if (t.timeSpec() == Qt::LocalTime && !text.endsWith(QLatin1Char('Z')) && !text.contains(QLatin1Char('+')))
            t.setTimeSpec(Qt::UTC);
        seconds = t.toSecsSinceEpoch();
    }
    return seconds - ((seconds % 60) + 60) % 60;
}

} // namespace

int runReadiness(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Judge whether the metrics mart is ready for production, layer by layer (Kafka source, stream compute, "
        "serving store, storage, governance, migration), from evidence Pathwatch gathers itself: topic configs and "
        "replication (Kafka admin API), the signals the config watches, and the ledger's checkpoints, audit log, "
        "rehearsals and reconciliations.\n"
        "Exit code: 0 every layer passes, 1 a layer WARNs, 2 a layer FAILs, 3 evidence is unknown, 4 config or usage "
        "error."));
    parser.addHelpOption();
    addConfigOptions(parser);
    parser.addOption(option("json", "Print the report as JSON."));
    parser.addOption(option("markdown", "Print the report as Markdown."));
    if (!parser.parse(arguments)) {
        err() << "pathwatch readiness: " << parser.errorText() << " (see --help)\n";
        return kExitConfigError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return kExitOk;
    }
    if (!parser.positionalArguments().isEmpty()) {
        err() << "pathwatch readiness: unexpected argument `" << parser.positionalArguments().front()
              << "` (see --help)\n";
        return kExitConfigError;
    }
    if (parser.isSet(QStringLiteral("json")) && parser.isSet(QStringLiteral("markdown"))) {
        err() << "pathwatch readiness: --json and --markdown exclude each other\n";
        return kExitConfigError;
    }
    const DataDir dir = DataDir::at(parser.value(QStringLiteral("data-dir")));
    auto config = configFrom(parser, dir);
    if (!config) {
        err() << "pathwatch readiness: " << config.error().toString() << '\n';
        return kExitConfigError;
    }
    std::unique_ptr<Ledger> ledger;
    QString ledgerError;
    if (!QFileInfo::exists(dir.ledgerPath())) {
        ledgerError = QStringLiteral("no ledger in %1: no Pathwatch has run for this data dir").arg(dir.path());
    } else if (auto opened = Ledger::open(dir.ledgerPath())) {
        ledger = std::move(*opened);
    } else {
        ledgerError = opened.error().toString();
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const ReadinessEvidence evidence = collectReadinessEvidence(*config, ledger.get(), ledgerError, now);
    const ReadinessReport report = judgeReadiness(evidence, now);
    if (parser.isSet(QStringLiteral("json")))
        out() << QJsonDocument(readinessJson(report)).toJson(QJsonDocument::Indented);
    else if (parser.isSet(QStringLiteral("markdown")))
        out() << readinessMarkdown(report);
    else
        out() << readinessText(report);
    return report.exitCode();
}

int runReconcile(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Compare a source of truth with the serving store window by window (the config's `reconcile:` entries: two "
        "SQL queries yielding minute, key, events, total), print matched, mismatched, missing and unexpected windows, "
        "and record the result in the ledger.\n"
        "Exit code: 0 every window matches, 4 config or usage error, 6 not reconciled (or a store could not be read), "
        "8 data dir unusable."));
    parser.addHelpOption();
    addConfigOptions(parser);
    parser.addOption(option("name", "Only this `reconcile:` entry (default: all of them).", "NAME"));
    parser.addOption(option("from",
        "First minute compared: ISO date-time (UTC unless it says) or Unix seconds "
        "(default: --to minus the entry's range).",
        "T"));
    parser.addOption(
        option("to", "Compare the minutes before this one (default: the start of the current minute).", "T"));
    parser.addOption(option("json", "Print each report as one JSON object per line."));
    if (!parser.parse(arguments)) {
        err() << "pathwatch reconcile: " << parser.errorText() << " (see --help)\n";
        return kExitConfigError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return kExitOk;
    }
    auto dir = DataDir::prepare(parser.value(QStringLiteral("data-dir")));
    if (!dir) {
        err() << "pathwatch reconcile: " << dir.error().toString() << '\n';
        return kExitDataDir;
    }
    auto config = configFrom(parser, *dir);
    if (!config) {
        err() << "pathwatch reconcile: " << config.error().toString() << '\n';
        return kExitConfigError;
    }
    std::vector<const ReconcileConfig*> entries;
    for (const ReconcileConfig& r : config->reconcile)
        if (!parser.isSet(QStringLiteral("name")) || r.name == parser.value(QStringLiteral("name")))
            entries.push_back(&r);
    if (entries.empty()) {
        err() << "pathwatch reconcile: "
              << (parser.isSet(QStringLiteral("name"))
                         ? QStringLiteral("%1 has no `reconcile:` entry named %2")
                               .arg(config->filePath, parser.value(QStringLiteral("name")))
                         : QStringLiteral("%1 has no `reconcile:` entry: add one (name, truth_source, truth_query, "
                                          "serving_source, serving_query)")
                               .arg(config->filePath))
              << '\n';
        return kExitConfigError;
    }
    std::optional<std::int64_t> from, to;
    for (const auto& [key, target] : {std::pair {"from", &from}, std::pair {"to", &to}}) {
        const QString name = QString::fromLatin1(key);
        if (!parser.isSet(name))
            continue;
        *target = minuteFromText(parser.value(name));
        if (!*target) {
            err() << "pathwatch reconcile: --" << name << " takes an ISO date-time (2026-05-01T10:00Z) or Unix "
                  << "seconds, got `" << parser.value(name) << "`\n";
            return kExitConfigError;
        }
    }
    if (from && to && *from >= *to) {
        err() << "pathwatch reconcile: --from must be before --to\n";
        return kExitConfigError;
    }
    auto ledger = Ledger::open(dir->ledgerPath());
    if (!ledger) {
        err() << "pathwatch reconcile: " << ledger.error().toString() << '\n';
        return kExitDataDir;
    }

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    bool allClean = true;
    for (const ReconcileConfig* entry : entries) {
        const std::int64_t toMinute = to.value_or(now / 60000 * 60);
        const std::int64_t fromMinute = from.value_or(toMinute - entry->rangeMs / 1000);
        VerificationRecord record;
        record.kind = VerificationRecord::Kind::Reconciliation;
        record.name = entry->name;
        auto report = reconcileSqlStores(*config, *entry, fromMinute, toMinute);
        if (!report) {
            record.summary = QStringLiteral("could not compare: %1").arg(report.error().toString());
            err() << "pathwatch reconcile: " << entry->name << ": " << report.error().toString() << '\n';
        } else {
            record.matched = report->matched;
            record.mismatched = int(report->mismatched.size());
            record.missing = int(report->missing.size());
            record.unexpected = int(report->unexpected.size());
            // Nothing compared proves nothing: an empty range is not a reconciliation.
            record.passed = report->clean() && report->windows() > 0;
            record.summary = report->windows() == 0
                ? QStringLiteral("no window in %1 – %2 on either side")
                      .arg(minuteText(fromMinute), minuteText(toMinute))
                : QStringLiteral("%1 windows: %2 matched, %3 mismatched, %4 missing, %5 unexpected")
                      .arg(report->windows())
                      .arg(record.matched)
                      .arg(record.mismatched)
                      .arg(record.missing)
                      .arg(record.unexpected);
            if (parser.isSet(QStringLiteral("json"))) {
                QJsonObject o = report->toJson();
                o.insert(QStringLiteral("name"), entry->name);
                o.insert(QStringLiteral("passed"), record.passed);
                out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << '\n';
            } else {
                out() << entry->name << ": " << report->toText();
                if (report->windows() == 0)
                    out() << "  " << record.summary << '\n';
            }
        }
        allClean = allClean && record.passed;
        if (auto recorded = (*ledger)->appendVerification(record); !recorded)
            err() << "pathwatch reconcile: the result could not be recorded in the ledger: "
                  << recorded.error().toString() << '\n';
    }
    out().flush();
    return allClean ? kExitOk : kExitFailed;
}

} // namespace pw
