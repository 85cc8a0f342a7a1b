#pragma once

#include "config/config.h"
#include "engine/engine.h"
#include "engine/transitionlog.h"
#include "instance/datadir.h"
#include "model/error.h"
#include "readiness/readiness.h"

#include <QObject>
#include <QString>

#include <memory>
#include <mutex>

class QLockFile;

namespace pw {

class ControlServer;
class HistoryFile;
class Ledger;
class SeriesStore;
class MetricsExporter;
class ReadinessMonitor;
namespace demo {
class EmbeddedMode;
}

/// One running Pathwatch — what `pathwatch headless` and the window both run: its data dir (locked), the embedded
/// demo when there is no config, the engine, the transition log, the control socket and, headless, `/metrics`.
/// start() and reload() do disk and port work: the window calls them off the GUI thread (they touch no widget).
///
/// Thread-safety: start(), reload() and stop() from one thread at a time; latestSnapshot() from any thread.
/// snapshotReady is emitted from an engine thread (connect with a receiver).
class Instance : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString configPath; // empty: the embedded demo
        QString dataDir; // empty: DataDir::defaultPath()
        bool serveMetrics = false;
        QString listen; // empty: the config's export.listen
        TransitionLog::Format logFormat = TransitionLog::Format::Text;
        bool logTransitions = true;
        QString commandName = QStringLiteral("pathwatch"); // for messages: "start pathwatch headless with …"
        qint64 historySaveIntervalMs = 2 * 60 * 1000; // how often the history is written to the data dir
        bool judgeReadiness = true; // judge readiness every `readiness.refresh` (for /metrics and the console)
    };

    explicit Instance(Options options, QObject* parent = nullptr);
    ~Instance() override;

    /// Everything up and running, or an error whose code says which exit code it is (exitCodeFor).
    Result<void> start();
    /// Loads the config again; a broken file is returned as the error and the running config keeps going.
    Result<void> reload();
    void stop();

    SnapshotPtr latestSnapshot() const;
    /// The latest snapshot with the data dir's degraded parts filled in (what `/metrics` and `status` show).
    SnapshotPtr snapshotWithDegradedParts() const;
    QString configPath() const;
    QString pipelineName() const;
    const DataDir& dataDir() const { return m_dataDir; }
    quint16 metricsPort() const;
    QString controlSocketPath() const;
    demo::EmbeddedMode* embedded() const { return m_embedded.get(); }
    std::shared_ptr<TransitionLog> transitionLog() const { return m_log; }
    /// The history of every series; the same store across reloads. Thread-safe.
    std::shared_ptr<SeriesStore> history() const { return m_history; }
    /// Adds an observer of every engine this instance runs (e.g. the window's notifier). Before start().
    void addObserver(std::shared_ptr<EngineObserver> observer) { m_extraObservers.push_back(std::move(observer)); }
    /// The recovery ledger, or null when it could not be opened (see ledgerState()).
    std::shared_ptr<Ledger> ledger() const { return m_ledger; }
    /// The newest readiness report, null before the first (or when judgeReadiness is off). Thread-safe.
    std::shared_ptr<const ReadinessReport> readiness() const;
    /// Judges readiness again now, off the calling thread; readinessReady follows.
    void refreshReadiness();
    /// "ok", or "degraded: why" (cannot be opened, a write failed).
    QString ledgerState() const;
    /// The parts of the data dir that cannot be written now (the ledger, the saved history): empty when all can.
    /// The `state` and `degraded` fields of the status document. Thread-safe.
    std::vector<DegradedPart> degradedParts() const;

    /// The exit code for a start or reload error: 4 config, 7 address in use, 8 data dir.
    static int exitCodeFor(const Error& error);

Q_SIGNALS:
    void snapshotReady(pw::SnapshotPtr snapshot);
    void reloaded(const QString& configPath);
    /// A new readiness report; emitted from the readiness thread (connect with a receiver).
    void readinessReady(std::shared_ptr<const pw::ReadinessReport> report);

private:
    Result<std::unique_ptr<Engine>> makeEngine(const PipelineConfig& config);

    Options m_options;
    DataDir m_dataDir;
    std::shared_ptr<QLockFile> m_lock;
    std::unique_ptr<demo::EmbeddedMode> m_embedded;
    QString m_configPath;
    std::shared_ptr<TransitionLog> m_log;
    std::shared_ptr<Ledger> m_ledger;
    QString m_ledgerError;
    qint64 m_ledgerErrorSinceMs = 0;
    std::vector<std::shared_ptr<EngineObserver>> m_observers;
    std::vector<std::shared_ptr<EngineObserver>> m_extraObservers;
    std::shared_ptr<SeriesStore> m_history;
    std::unique_ptr<HistoryFile> m_historyFile;
    mutable std::mutex m_engineMutex; // guards m_engine for latestSnapshot() from other threads
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<MetricsExporter> m_exporter;
    std::unique_ptr<ControlServer> m_control;
    std::unique_ptr<ReadinessMonitor> m_readiness; // guarded by m_engineMutex for readiness()
};

} // namespace pw
