#include "instance/instance.h"
#include "instance/webhooknotifier.h"

#include "demo/embeddedmode.h"
#include "export/metricsexporter.h"
#include "history/historyfile.h"
#include "instance/controlserver.h"
#include "instance/exitcodes.h"
#include "ledger/ledger.h"
#include "ledger/ledgerrecorder.h"
#include "model/seriesstore.h"
#include "presentation/snapshotjson.h"
#include "readiness/readinessmonitor.h"
#include "sources/kafkasource.h"
#include "sources/source.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QLockFile>

namespace pw {

namespace {
// How much history a crash may lose.
} // namespace

namespace {
const auto& kFaults = demo::kFaultNames;
} // namespace

Instance::Instance(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_history(std::make_shared<SeriesStore>())
{ }

Instance::~Instance()
{
    stop();
}

int Instance::exitCodeFor(const Error& error)
{
    switch (error.code) {
    case Error::Code::AddressInUse:
        return kExitAddressInUse;
    case Error::Code::Io:
        return kExitDataDir;
    default:
        return kExitConfigError;
    }
}

Result<std::unique_ptr<Engine>> Instance::makeEngine(const PipelineConfig& config)
{
    // Kafka sources read the ledger's audit log: a rewind a recorded replay made is explained, not a warning.
    auto factory = [ledger = m_ledger](const SourceConfig& source, const std::vector<SignalConfig>& signalConfigs) {
        auto created = createSource(source, signalConfigs);
        if (created && ledger && source.kind == QLatin1String("kafka"))
            static_cast<KafkaSource*>(created->get())->setLedger(ledger);
        return created;
    };
    Engine::Options engineOptions;
    engineOptions.history = m_history;
    auto engine = std::make_unique<Engine>(config, engineOptions, factory);
    for (const auto& observer : m_observers)
        engine->addObserver(observer);
    for (const auto& observer : m_extraObservers)
        engine->addObserver(observer);
    // The window learns that the data dir cannot be written from the snapshots it already receives; the parts are
    // read under their own small locks (no disk), and a snapshot is copied only while something is degraded.
    connect(
        engine.get(), &Engine::snapshotReady, this,
        [this](SnapshotPtr snapshot) {
            std::vector<DegradedPart> parts = degradedParts();
            if (snapshot && !parts.empty()) {
                auto marked = std::make_shared<Snapshot>(*snapshot);
                marked->degraded = std::move(parts);
                snapshot = std::move(marked);
            }
            Q_EMIT snapshotReady(std::move(snapshot));
        },
        Qt::DirectConnection);
    if (auto started = engine->start(); !started)
        return std::unexpected(started.error());
    return engine;
}

Result<void> Instance::start()
{
    auto dir = DataDir::prepare(m_options.dataDir);
    if (!dir)
        return std::unexpected(dir.error());
    m_dataDir = *dir;
    auto lock = m_dataDir.lockForInstance(m_options.commandName);
    if (!lock)
        return std::unexpected(lock.error());
    m_lock = *lock;

    // A listen address given on the command line is taken before anything else starts, so a busy port fails fast
    // instead of after the demo has started.
    if (m_options.serveMetrics && !m_options.listen.isEmpty()) {
        m_exporter = std::make_unique<MetricsExporter>([this] { return snapshotWithDegradedParts(); });
        m_exporter->setReadinessProvider([this] { return readiness(); });
        if (auto listening = m_exporter->listen(m_options.listen); !listening)
            return std::unexpected(listening.error());
    }

    Result<PipelineConfig> config = fail(Error::Code::Config, QStringLiteral("no configuration"));
    if (m_options.configPath.isEmpty()) {
        auto embedded = demo::EmbeddedMode::start(m_dataDir.embeddedPath(), {}, m_dataDir.embeddedConfigPath());
        if (!embedded) {
            Error e = embedded.error();
            // The demo's own failures (a port it could not fall back from, a log it cannot open) are not config
            // errors; say what failed and exit as "cannot use the data dir" only when it was the disk.
            return std::unexpected(e);
        }
        m_embedded = std::move(*embedded);
        config = m_embedded->config();
        m_configPath = m_embedded->configPath();
    } else {
        config = loadConfigFile(m_options.configPath);
        m_configPath = m_options.configPath;
    }
    if (!config)
        return std::unexpected(config.error());

    if (m_options.logTransitions) {
        m_log = std::make_shared<TransitionLog>(TransitionLog::optionsForStderr(m_options.logFormat));
        m_observers.push_back(m_log);
    }

    if (!config->notifications.webhook.url.isEmpty()) {
        WebhookNotifier::Options webhook;
        webhook.webhook = config->notifications.webhook;
        m_observers.push_back(std::make_shared<WebhookNotifier>(std::move(webhook)));
    }

    // The recovery ledger: monitoring goes on without it (the state says degraded); recovery needs it.
    Ledger::Options ledgerOptions;
    ledgerOptions.retentionMs = config->ledger.retentionMs;
    ledgerOptions.maxBytes = config->ledger.maxBytes;
    if (auto ledger = Ledger::open(m_dataDir.ledgerPath(), ledgerOptions)) {
        m_ledger = std::shared_ptr<Ledger>(std::move(*ledger));
        m_observers.push_back(std::make_shared<LedgerRecorder>(m_ledger));
    } else {
        m_ledgerError = ledger.error().toString();
        m_ledgerErrorSinceMs = QDateTime::currentMSecsSinceEpoch();
        if (m_log)
            m_log->message(QStringLiteral("warning"),
                QStringLiteral("the recovery ledger is not kept (monitoring goes on): %1").arg(m_ledgerError));
    }

    // History survives a restart: what the last run saved comes back before the first poll.
    if (!m_historyFile) {
        QDir().mkpath(m_dataDir.historyPath());
        m_historyFile
            = std::make_unique<HistoryFile>(m_dataDir.historyPath() + QStringLiteral("/history.bin"), m_history);
        if (auto loaded = m_historyFile->load(); !loaded && m_log)
            m_log->message(QStringLiteral("warning"),
                QStringLiteral("the saved history is not loaded (it starts empty): %1").arg(loaded.error().toString()));
        m_historyFile->start(m_options.historySaveIntervalMs);
    }

    if (m_options.serveMetrics && !m_exporter) {
        m_exporter = std::make_unique<MetricsExporter>([this] { return snapshotWithDegradedParts(); });
        m_exporter->setReadinessProvider([this] { return readiness(); });
        if (auto listening = m_exporter->listen(config->exporter.listen); !listening)
            return std::unexpected(listening.error());
    }

    auto engine = makeEngine(*config);
    if (!engine)
        return std::unexpected(engine.error());
    {
        std::lock_guard lock(m_engineMutex);
        m_engine = std::move(*engine);
    }
    if (m_options.judgeReadiness) {
        auto monitor = std::make_unique<ReadinessMonitor>(*config, m_ledger, m_ledgerError,
            [this](std::shared_ptr<const ReadinessReport> report) { Q_EMIT readinessReady(std::move(report)); });
        std::lock_guard lock(m_engineMutex);
        m_readiness = std::move(monitor);
    }

    m_control = std::make_unique<ControlServer>();
    m_control->handle(QStringLiteral("status"), [this](const ControlRequest&) {
        Snapshot snapshot = *latestSnapshot();
        snapshot.degraded = degradedParts();
        return QJsonObject {
            {QStringLiteral("ok"), true},
            {QStringLiteral("config"), configPath()},
            {QStringLiteral("status"), snapshotToJson(snapshot, QStringLiteral("instance"))},
            {QStringLiteral("ledger"), ledgerState()},
        };
    });
    m_control->handle(QStringLiteral("fault"), [this](const ControlRequest& request) {
        if (!m_embedded)
            return controlError(QStringLiteral("faults are injected into the embedded demo only; this instance "
                                               "watches %1")
                                    .arg(configPath()));
        const QString name = request.fields.value(QStringLiteral("name")).toString();
        QJsonArray names;
        for (const auto& f : kFaults) {
            names.append(QString::fromLatin1(f.name));
            if (name != QLatin1String(f.name))
                continue;
            if (request.fields.contains(QStringLiteral("on"))) {
                const bool on = request.fields.value(QStringLiteral("on")).toBool();
                m_embedded->pipeline().setDrill(f.drill, on);
                if (m_log)
                    m_log->message(QStringLiteral("warning"),
                        QStringLiteral("fault %1 turned %2")
                            .arg(name, on ? QStringLiteral("on") : QStringLiteral("off")));
            }
            return QJsonObject {{QStringLiteral("ok"), true}, {QStringLiteral("name"), name},
                {QStringLiteral("on"), m_embedded->pipeline().drill(f.drill)}};
        }
        if (name.isEmpty()) {
            QJsonObject all;
            for (const auto& f : kFaults)
                all[QString::fromLatin1(f.name)] = m_embedded->pipeline().drill(f.drill);
            return QJsonObject {{QStringLiteral("ok"), true}, {QStringLiteral("faults"), all}};
        }
        auto answer = controlError(QStringLiteral("unknown fault `%1`").arg(name));
        answer[QStringLiteral("faults")] = names;
        return answer;
    });
    if (auto listening = m_control->listen(m_dataDir.controlSocketPath()); !listening)
        return std::unexpected(listening.error());
    return {};
}

Result<void> Instance::reload()
{
    auto config = loadConfigFile(m_configPath);
    if (!config) {
        if (m_log)
            m_log->message(QStringLiteral("error"),
                QStringLiteral("reload failed, the running config stays: %1").arg(config.error().toString()));
        return std::unexpected(config.error());
    }
    auto engine = makeEngine(*config);
    if (!engine) {
        if (m_log)
            m_log->message(QStringLiteral("error"),
                QStringLiteral("reload failed, the running config stays: %1").arg(engine.error().toString()));
        return std::unexpected(engine.error());
    }
    std::unique_ptr<Engine> old;
    {
        std::lock_guard lock(m_engineMutex);
        old = std::exchange(m_engine, std::move(*engine));
    }
    old->stop();
    old.reset();
    {
        std::lock_guard lock(m_engineMutex);
        if (m_readiness)
            m_readiness->setConfig(*config);
    }
    if (m_log)
        m_log->message(QStringLiteral("info"),
            QStringLiteral("reloaded %1: pipeline `%2`, %3 sources")
                .arg(m_configPath, config->name)
                .arg(config->sources.size()));
    Q_EMIT reloaded(m_configPath);
    return {};
}

void Instance::stop()
{
    if (m_control)
        m_control->close();
    std::unique_ptr<Engine> engine;
    {
        std::lock_guard lock(m_engineMutex);
        engine = std::move(m_engine);
    }
    if (engine)
        engine->stop();
    m_exporter.reset();
    std::unique_ptr<ReadinessMonitor> readinessMonitor;
    {
        std::lock_guard lock(m_engineMutex);
        readinessMonitor = std::move(m_readiness);
    }
    readinessMonitor.reset(); // waits for a judgement under way: it reads the ledger and the demo's broker
    if (m_embedded)
        m_embedded->stop();
    m_control.reset();
    engine.reset();
    if (m_ledger)
        m_ledger->flush();
    if (m_historyFile)
        m_historyFile->stop(); // saves once more
    m_historyFile.reset();
    m_observers.clear();
    m_ledger.reset();
    m_embedded.reset();
    m_lock.reset();
}

SnapshotPtr Instance::latestSnapshot() const
{
    std::lock_guard lock(m_engineMutex);
    if (m_engine)
        return m_engine->latestSnapshot();
    return std::make_shared<Snapshot>();
}

SnapshotPtr Instance::snapshotWithDegradedParts() const
{
    SnapshotPtr snapshot = latestSnapshot();
    std::vector<DegradedPart> parts = degradedParts();
    if (parts.empty())
        return snapshot;
    auto marked = std::make_shared<Snapshot>(*snapshot);
    marked->degraded = std::move(parts);
    return marked;
}

std::shared_ptr<const ReadinessReport> Instance::readiness() const
{
    std::lock_guard lock(m_engineMutex);
    return m_readiness ? m_readiness->latest() : nullptr;
}

void Instance::refreshReadiness()
{
    std::lock_guard lock(m_engineMutex);
    if (m_readiness)
        m_readiness->refreshNow();
}

QString Instance::ledgerState() const
{
    if (!m_ledger)
        return QStringLiteral("degraded: ") + m_ledgerError;
    const QString degraded = m_ledger->degradedReason();
    return degraded.isEmpty() ? QStringLiteral("ok") : QStringLiteral("degraded: ") + degraded;
}

std::vector<DegradedPart> Instance::degradedParts() const
{
    std::vector<DegradedPart> parts;
    if (!m_ledger)
        parts.push_back({QStringLiteral("ledger"), m_ledgerError, m_ledgerErrorSinceMs});
    else if (const QString why = m_ledger->degradedReason(); !why.isEmpty())
        parts.push_back({QStringLiteral("ledger"), why, m_ledger->degradedSinceMs()});
    if (m_historyFile) {
        if (const QString why = m_historyFile->degradedReason(); !why.isEmpty())
            parts.push_back({QStringLiteral("history"), why, m_historyFile->degradedSinceMs()});
    }
    return parts;
}

QString Instance::configPath() const
{
    return m_configPath;
}

QString Instance::pipelineName() const
{
    std::lock_guard lock(m_engineMutex);
    return m_engine ? m_engine->config().name : QString();
}

quint16 Instance::metricsPort() const
{
    return m_exporter ? m_exporter->port() : 0;
}

QString Instance::controlSocketPath() const
{
    return m_control ? m_control->path() : QString();
}

} // namespace pw
