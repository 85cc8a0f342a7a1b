#pragma once

#include "config/config.h"
#include "model/snapshot.h"
#include "model/transition.h"
#include "sources/source.h"

#include <QObject>

#include <functional>
#include <memory>

namespace pw {

class SeriesStore;

/// Told what every poll saw and every severity change, e.g. the recovery ledger and the transition log.
/// Called on an engine worker thread, outside the engine's lock, never concurrently for one observer; it must not
/// block for long (queue disk work on a thread of its own).
class EngineObserver
{
public:
    virtual ~EngineObserver() = default;
    virtual void pollFinished(const SourceHealth& /*source*/, const PollResult& /*result*/) { }
    /// The changes between the previously published snapshot and `snapshot`.
    virtual void transitions(const std::vector<Transition>& /*changes*/, const SnapshotPtr& /*snapshot*/) { }
};

/// Owns the sources of one pipeline, polls each on its interval on worker threads (an Asio io_context, never the
/// thread that owns the Engine), judges the values and publishes an immutable Snapshot at most every 100 ms.
///
/// Thread-safety: construct, start() and stop() on one thread (normally the GUI or main thread). latestSnapshot()
/// may be called from any thread. snapshotReady is emitted from a worker thread; connect it with a receiver so it
/// is queued to the receiver's thread.
class Engine : public QObject
{
    Q_OBJECT
public:
    using SourceFactory
        = std::function<Result<std::unique_ptr<Source>>(const SourceConfig&, const std::vector<SignalConfig>&)>;

    struct Options
    {
        int ioThreads = 2;
        int blockingThreads = 2;
        qint64 publishIntervalMs = 100;
        /// Extra time after a source's own timeout before the engine gives up on a poll that never answered.
        qint64 timeoutGraceMs = 250;
        /// Where the history goes; a store of its own when null. The instance passes one that outlives reloads.
        std::shared_ptr<SeriesStore> history;
    };

    explicit Engine(PipelineConfig config, QObject* parent = nullptr);
    Engine(PipelineConfig config, Options options, SourceFactory factory, QObject* parent = nullptr);
    ~Engine() override;

    /// Creates the sources (errors are returned, none is started then) and starts polling.
    Result<void> start();
    /// Stops polling and joins the worker threads; late answers are dropped.
    void stop();
    bool isRunning() const;

    /// Polls every source once (concurrently), waits for all of them or their timeouts, and returns the snapshot.
    /// Blocking: for the `status` command, never call it on a GUI thread.
    Result<SnapshotPtr> pollOnce();

    /// Observers are added before start(); the engine keeps them alive until it is destroyed.
    void addObserver(std::shared_ptr<EngineObserver> observer);

    SnapshotPtr latestSnapshot() const;
    const PipelineConfig& config() const;
    /// History of every series (full resolution for the last hour, minute min/max/mean for a day). Thread-safe.
    SeriesStore& seriesStore() const;
    std::shared_ptr<SeriesStore> history() const;

Q_SIGNALS:
    void snapshotReady(pw::SnapshotPtr snapshot);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace pw
