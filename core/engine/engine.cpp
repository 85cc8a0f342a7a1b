#include "engine/engine.h"

#include "model/seriesstore.h"
#include "presentation/format.h"
#include "sources/httpclient.h"

#include <QLoggingCategory>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

Q_LOGGING_CATEGORY(lcEngine, "pathwatch.engine", QtWarningMsg)

namespace asio = boost::asio;

namespace pw {

namespace {

bool isAgeKind(SignalKind kind)
{
    return kind == SignalKind::CheckpointAge || kind == SignalKind::DashboardFreshness || kind == SignalKind::DataAge
        || kind == SignalKind::TimeLag;
}

// Each hop's data age is the freshest of its age signals, aged by the time since it was observed. Walking the path,
// the first hop whose data is older than the hop before by more than the tolerance is where data stops moving.
void computeDataAges(Snapshot& snapshot)
{
    constexpr double kToleranceSeconds = 60.0;
    const qint64 now = snapshot.takenMs;
    const StageState* previous = nullptr;
    for (auto& stage : snapshot.stages) {
        for (int index : stage.signalIndexes) {
            const SignalState& s = snapshot.signalStates[size_t(index)];
            if (!s.hasValue || !isAgeKind(s.kind))
                continue;
            const double age = s.value + std::max<qint64>(0, now - s.valueTimestampMs) / 1000.0;
            if (!stage.dataAgeSeconds || age < *stage.dataAgeSeconds)
                stage.dataAgeSeconds = age;
        }
        if (!stage.dataAgeSeconds)
            continue;
        if (previous && snapshot.dataStopStageId.isEmpty()
            && *stage.dataAgeSeconds > *previous->dataAgeSeconds + kToleranceSeconds) {
            snapshot.dataStopStageId = stage.stageId;
            snapshot.dataStopAfterStageId = previous->stageId;
        }
        previous = &stage;
    }
}

// A series that a source stops reporting is kept (STALE) for this many of its poll intervals, then dropped.
constexpr int kVanishedSeriesPolls = 10;

} // namespace

struct SeriesRecord
{
    SignalState state;
    ThresholdTracker tracker;
    qint64 lastReportedMs = 0;
};

struct SourceRuntime
{
    std::unique_ptr<Source> source;
    std::unique_ptr<asio::steady_timer> timer;
    // One per source (a source has at most one poll in flight). Owned here rather than by the poll's callbacks,
    // so no callback a source keeps (or a handler still queued at shutdown) outlives the io_context with a timer.
    std::unique_ptr<asio::steady_timer> timeoutTimer;
    SourceHealth health;
    bool inFlight = false;
    quint64 pollSeq = 0;
    quint64 answeredSeq = 0;
    qint64 startedMs = 0;
    // The last good poll left some signals with neither a value nor an error: rates and quantiles need two polls.
    bool warmingUp = false;
    LagReportPtr lag; // the latest consumer-group report of a kafka source watching `groups`
};

struct Engine::Impl
{
    Engine* q = nullptr;
    PipelineConfig config;
    Options options;
    SourceFactory factory;

    // A new io_context per run: handlers still queued when a run stops are destroyed with it instead of surviving
    // into the next run, where they would reach sources that no longer exist.
    std::shared_ptr<asio::io_context> io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    std::unique_ptr<asio::thread_pool> blocking;
    std::unique_ptr<HttpClient> http;
    std::unique_ptr<asio::steady_timer> publishTimer;
    std::shared_ptr<SeriesStore> history;

    // What applyResult() decided to write to the history, appended by flushHistory() after `mutex` is released so
    // that the store's locks never nest inside the engine's.
    struct PendingAppend
    {
        SeriesId id = 0;
        qint64 timestampMs = 0;
        double value = 0.0; // NaN marks a gap: STALE, or no value in the window
        SignalSeriesKey key; // to intern again if the store evicted the series meanwhile
    };
    std::vector<PendingAppend> pendingAppends; // mutex
    void flushHistory(); // mutex NOT held
    void recordGap(const SeriesRecord& record, qint64 now); // mutex held

    mutable std::mutex mutex;
    std::condition_variable answered; // pollOnce waits on it
    std::vector<std::unique_ptr<SourceRuntime>> sources;
    std::map<QString, SeriesRecord> series;
    std::map<QString, QString> signalErrors; // signalId → reason, for signals with no series yet
    std::map<QString, QString> signalWaiting; // signalId → "waiting for …", for signals with no series yet
    bool running = false;
    bool oneShot = false;
    bool dirty = true;
    quint64 sequence = 0;
    SnapshotPtr latest;

    std::mutex observerMutex; // observers are called one at a time, outside `mutex`
    std::vector<std::shared_ptr<EngineObserver>> observers;
    SnapshotPtr lastObserved; // the snapshot transitions were last computed against; observerMutex
    void notifyPoll(const SourceHealth& health, const PollResult& result);
    void notifyTransitions(const SnapshotPtr& snapshot);

    Result<void> createSources();
    void startThreads();
    void stopThreads();
    void schedule(SourceRuntime* rt, qint64 delayMs);
    void startPoll(SourceRuntime* rt);
    void finishPoll(SourceRuntime* rt, quint64 seq, PollResult result, bool fromTimeout);
    bool finishPollLocked(SourceRuntime* rt, quint64 seq, PollResult& result, bool fromTimeout); // mutex held
    void applyResult(SourceRuntime& rt, const PollResult& result, qint64 now);
    void markSourceStale(SourceRuntime& rt, const QString& reason, qint64 now);
    void schedulePublish();
    SnapshotPtr buildSnapshot(); // mutex held
};

Engine::Engine(PipelineConfig config, QObject* parent)
    : Engine(std::move(config), Options {}, &createSource, parent)
{ }

Engine::Engine(PipelineConfig config, Options options, SourceFactory factory, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Impl>())
{
    qRegisterMetaType<pw::SnapshotPtr>();
    d->q = this;
    d->config = std::move(config);
    d->options = options;
    d->factory = std::move(factory);
    d->history = options.history ? options.history : std::make_shared<SeriesStore>();
    std::lock_guard lock(d->mutex);
    d->latest = d->buildSnapshot();
}

Engine::~Engine()
{
    stop();
}

const PipelineConfig& Engine::config() const
{
    return d->config;
}

SeriesStore& Engine::seriesStore() const
{
    return *d->history;
}

std::shared_ptr<SeriesStore> Engine::history() const
{
    return d->history;
}

void Engine::Impl::recordGap(const SeriesRecord& record, qint64 now)
{
    if (record.state.seriesId == 0)
        return;
    pendingAppends.push_back(PendingAppend {record.state.seriesId, now, std::numeric_limits<double>::quiet_NaN(),
        SignalSeriesKey {record.state.signalId, record.state.labels}});
}

void Engine::Impl::flushHistory()
{
    std::vector<PendingAppend> appends;
    {
        std::lock_guard lock(mutex);
        appends.swap(pendingAppends);
    }
    for (const auto& a : appends) {
        if (history->append(a.id, a.timestampMs, a.value) == SeriesStore::AppendResult::UnknownSeries)
            history->append(history->intern(a.key.signalId, a.key.labels), a.timestampMs, a.value);
    }
}

SnapshotPtr Engine::latestSnapshot() const
{
    std::lock_guard lock(d->mutex);
    return d->latest;
}

bool Engine::isRunning() const
{
    std::lock_guard lock(d->mutex);
    return d->running;
}

Result<void> Engine::Impl::createSources()
{
    sources.clear();
    io = std::make_shared<asio::io_context>();
    for (const auto& [id, sourceConfig] : config.sources) {
        std::vector<SignalConfig> bound;
        for (const auto& stage : config.stages)
            for (const auto& signal : stage.signalConfigs)
                if (signal.sourceId == id)
                    bound.push_back(signal);
        if (bound.empty())
            continue; // a source nothing refers to is not polled
        auto created = factory(sourceConfig, bound);
        if (!created) {
            Error e = created.error();
            if (e.source.isEmpty())
                e.source = id;
            return std::unexpected(e);
        }
        auto rt = std::make_unique<SourceRuntime>();
        rt->source = std::move(*created);
        rt->health.sourceId = id;
        rt->health.kind = sourceConfig.kind;
        rt->health.endpoint = rt->source->endpoint();
        rt->health.severity = Severity::Unknown;
        rt->timer = std::make_unique<asio::steady_timer>(*io);
        rt->timeoutTimer = std::make_unique<asio::steady_timer>(*io);
        sources.push_back(std::move(rt));
    }
    return {};
}

void Engine::Impl::startThreads()
{
    work.emplace(asio::make_work_guard(*io));
    blocking = std::make_unique<asio::thread_pool>(std::max(1, options.blockingThreads));
    http = std::make_unique<HttpClient>(*io);
    for (int i = 0; i < std::max(1, options.ioThreads); ++i)
        threads.emplace_back([this] { io->run(); });
}

void Engine::Impl::stopThreads()
{
    {
        std::lock_guard lock(mutex);
        running = false;
    }
    // Cancel timers on the io threads so no handler touches them concurrently.
    asio::post(*io, [this] {
        std::lock_guard lock(mutex);
        for (auto& rt : sources)
            rt->timer->cancel();
        if (publishTimer)
            publishTimer->cancel();
    });
    work.reset();
    io->stop();
    for (auto& t : threads)
        if (t.joinable())
            t.join();
    threads.clear();
    if (blocking) {
        blocking->stop();
        blocking->join();
    }
    http.reset();
    blocking.reset();
    publishTimer.reset();
    for (auto& rt : sources) {
        rt->timer.reset();
        rt->timeoutTimer.reset();
        rt->inFlight = false;
    }
    io.reset();
}

Result<void> Engine::start()
{
    if (isRunning())
        return {};
    if (auto created = d->createSources(); !created)
        return created;
    d->startThreads();
    {
        std::lock_guard lock(d->mutex);
        d->running = true;
        d->oneShot = false;
        d->publishTimer = std::make_unique<asio::steady_timer>(*d->io);
        for (auto& rt : d->sources)
            d->schedule(rt.get(), 0);
    }
    d->schedulePublish();
    return {};
}

void Engine::stop()
{
    if (d->threads.empty())
        return;
    d->stopThreads();
    // Late answers may still arrive from blocking work that was running; they find no threads and are dropped.
}

Result<SnapshotPtr> Engine::pollOnce()
{
    if (isRunning())
        return latestSnapshot();
    if (auto created = d->createSources(); !created)
        return std::unexpected(created.error());
    d->startThreads();
    {
        std::lock_guard lock(d->mutex);
        d->running = true;
        d->oneShot = true;
        for (auto& rt : d->sources)
            asio::post(*d->io, [this, rt = rt.get()] { d->startPoll(rt); });
    }
    {
        std::unique_lock lock(d->mutex);
        d->answered.wait(lock, [this] {
            return std::all_of(
                d->sources.begin(), d->sources.end(), [](const auto& rt) { return rt->answeredSeq >= 1; });
        });
        // Sources that derive rates or quantiles from the difference of two polls get a second one, so a one-shot
        // status shows values instead of "no data yet".
        std::vector<SourceRuntime*> warming;
        qint64 resumeAtMs = 0;
        for (auto& rt : d->sources) {
            if (!rt->warmingUp)
                continue;
            warming.push_back(rt.get());
            resumeAtMs = std::max(resumeAtMs, rt->startedMs + std::min<qint64>(rt->source->config().intervalMs, 2000));
        }
        if (!warming.empty()) {
            lock.unlock();
            const qint64 waitMs = resumeAtMs - nowMs();
            if (waitMs > 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(waitMs));
            for (SourceRuntime* rt : warming)
                asio::post(*d->io, [this, rt] { d->startPoll(rt); });
            lock.lock();
            d->answered.wait(lock, [&warming] {
                return std::all_of(warming.begin(), warming.end(), [](const auto* rt) { return rt->answeredSeq >= 2; });
            });
        }
        d->latest = d->buildSnapshot();
    }
    SnapshotPtr snapshot = latestSnapshot();
    d->stopThreads();
    return snapshot;
}

void Engine::Impl::schedule(SourceRuntime* rt, qint64 delayMs)
{
    rt->timer->expires_after(std::chrono::milliseconds(std::max<qint64>(0, delayMs)));
    rt->timer->async_wait([this, rt](const boost::system::error_code& ec) {
        if (ec)
            return;
        startPoll(rt);
    });
}

void Engine::Impl::startPoll(SourceRuntime* rt)
{
    quint64 seq = 0;
    {
        std::lock_guard lock(mutex);
        if (!running)
            return;
        const qint64 now = nowMs();
        if (rt->inFlight) {
            // The previous poll never answered; polling again could pile up work on a hung endpoint.
            markSourceStale(*rt,
                QStringLiteral("no answer within %1 ms (the poll is still running after %2 s; not "
                               "polling again until it ends)")
                    .arg(rt->source->config().timeoutMs)
                    .arg((now - rt->startedMs) / 1000.0, 0, 'f', 1),
                now);
            if (!oneShot)
                schedule(rt, rt->source->config().intervalMs);
            return;
        }
        rt->inFlight = true;
        seq = ++rt->pollSeq;
        rt->startedMs = now;
        rt->health.lastAttemptMs = now;

        const qint64 timeoutMs = rt->source->config().timeoutMs + options.timeoutGraceMs;
        rt->timeoutTimer->expires_after(std::chrono::milliseconds(timeoutMs));
        rt->timeoutTimer->async_wait([this, rt, seq, timeoutMs](const boost::system::error_code& ec) {
            if (ec)
                return;
            PollResult timedOut;
            timedOut.error = Error::make(
                Error::Code::Timeout, QStringLiteral("no answer within %1 ms").arg(timeoutMs - options.timeoutGraceMs));
            finishPoll(rt, seq, std::move(timedOut), true);
        });
    }

    PollContext context;
    context.io = io.get();
    context.http = http.get();
    context.runBlocking = [this](std::function<void()> job) { asio::post(*blocking, std::move(job)); };
    try {
        // The answer goes to this run's io_context only: one that arrives after a stop finds it gone (or stopped,
        // and its handler is destroyed with it), never the next run's, where `rt` may no longer exist.
        std::weak_ptr<asio::io_context> runIo = io;
        rt->source->poll(context, [this, rt, seq, runIo](PollResult result) {
            auto target = runIo.lock();
            if (!target)
                return;
            // Hop onto the io threads: the source may answer from its own thread.
            asio::post(*target, [this, rt, seq, result = std::move(result)]() mutable {
                finishPoll(rt, seq, std::move(result), false);
            });
        });
    } catch (const std::exception& e) {
        PollResult failed;
        failed.error
            = Error::make(Error::Code::Generic, QStringLiteral("poll failed: %1").arg(QString::fromUtf8(e.what())));
        asio::post(*io,
            [this, rt, seq, failed = std::move(failed)]() mutable { finishPoll(rt, seq, std::move(failed), false); });
    }
}

void Engine::addObserver(std::shared_ptr<EngineObserver> observer)
{
    std::lock_guard lock(d->observerMutex);
    d->observers.push_back(std::move(observer));
}

void Engine::Impl::notifyPoll(const SourceHealth& health, const PollResult& result)
{
    std::lock_guard lock(observerMutex);
    for (const auto& observer : observers)
        observer->pollFinished(health, result);
}

void Engine::Impl::notifyTransitions(const SnapshotPtr& snapshot)
{
    std::lock_guard lock(observerMutex);
    if (lastObserved && lastObserved->sequence >= snapshot->sequence)
        return;
    auto changes = diffSnapshots(lastObserved.get(), *snapshot);
    lastObserved = snapshot;
    if (changes.empty())
        return;
    for (const auto& observer : observers)
        observer->transitions(changes, snapshot);
}

void Engine::Impl::finishPoll(SourceRuntime* rt, quint64 seq, PollResult result, bool fromTimeout)
{
    SourceHealth health;
    {
        std::lock_guard lock(mutex);
        if (!finishPollLocked(rt, seq, result, fromTimeout))
            return;
        health = rt->health;
    }
    flushHistory();
    notifyPoll(health, result);
}

bool Engine::Impl::finishPollLocked(SourceRuntime* rt, quint64 seq, PollResult& result, bool fromTimeout)
{
    if (!fromTimeout && seq == rt->pollSeq) {
        rt->inFlight = false;
        rt->timeoutTimer->cancel();
    }
    if (rt->answeredSeq >= seq)
        return false; // answered already (late result after a timeout): dropped, the value it carries is out of date
    rt->answeredSeq = seq;
    const qint64 now = nowMs();
    rt->health.lastPollSeconds = (now - rt->startedMs) / 1000.0;
    if (result.error && result.error->source.isEmpty())
        result.error->source = rt->health.sourceId;
    applyResult(*rt, result, now);
    dirty = true;
    if (oneShot) {
        answered.notify_all();
        return true;
    }
    if (running) {
        const qint64 next = rt->startedMs + rt->source->config().intervalMs - now;
        schedule(rt, next);
    }
    return true;
}

void Engine::Impl::markSourceStale(SourceRuntime& rt, const QString& reason, qint64 now)
{
    rt.health.up = false;
    rt.health.severity = Severity::Stale;
    rt.health.error = reason;
    for (const auto& signal : rt.source->signalConfigs()) {
        bool any = false;
        for (auto& [key, record] : series) {
            if (record.state.signalId != signal.id)
                continue;
            any = true;
            record.state.severity = Severity::Stale;
            record.state.reason = QStringLiteral("%1: %2").arg(rt.health.sourceId, reason);
            recordGap(record, now);
        }
        if (!any)
            signalErrors[signal.id] = QStringLiteral("%1: %2").arg(rt.health.sourceId, reason);
    }
    dirty = true;
}

void Engine::Impl::applyResult(SourceRuntime& rt, const PollResult& result, qint64 now)
{
    ++rt.health.polls;
    if (result.error) {
        ++rt.health.failures;
        QString reason = result.error->message;
        if (!result.error->hint.isEmpty())
            reason += QStringLiteral(" (") + result.error->hint + QLatin1Char(')');
        qCInfo(lcEngine) << "source" << rt.health.sourceId << "failed:" << reason;
        markSourceStale(rt, reason, now);
        return;
    }
    rt.health.up = true;
    rt.health.severity = Severity::Ok;
    rt.health.error.clear();
    rt.health.lastSuccessMs = now;

    if (result.lag)
        rt.lag = result.lag;
    // A group's verdict judges its lag series too: the worse of the thresholds and the verdict.
    std::map<QString, const GroupLag*> verdicts;
    if (result.lag)
        for (const GroupLag& g : result.lag->groups)
            verdicts.emplace(g.group, &g);

    std::map<QString, QString> errorsBySignal;
    std::map<QString, QString> waitingBySignal; // read fine, nothing there yet: UNKNOWN, not STALE
    for (const auto& [signalId, error] : result.signalErrors) {
        if (error.code == Error::Code::NoDataYet)
            waitingBySignal[signalId] = QStringLiteral("waiting for ") + error.message;
        else
            errorsBySignal[signalId] = error.message;
    }
    rt.warmingUp = false;
    for (const auto& signal : rt.source->signalConfigs()) {
        const bool answered = errorsBySignal.contains(signal.id) || waitingBySignal.contains(signal.id)
            || std::any_of(result.samples.begin(), result.samples.end(),
                [&](const Sample& sample) { return sample.signalId == signal.id; });
        if (!answered)
            rt.warmingUp = true;
    }

    for (const auto& signal : rt.source->signalConfigs()) {
        if (auto it = errorsBySignal.find(signal.id); it != errorsBySignal.end()) {
            const QString reason = QStringLiteral("%1: %2").arg(rt.health.sourceId, it->second);
            bool any = false;
            for (auto& [key, record] : series)
                if (record.state.signalId == signal.id) {
                    any = true;
                    record.state.severity = Severity::Stale;
                    record.state.reason = reason;
                    recordGap(record, now);
                }
            if (!any)
                signalErrors[signal.id] = reason;
            continue;
        }
        signalErrors.erase(signal.id);
        if (auto it = waitingBySignal.find(signal.id); it != waitingBySignal.end()) {
            bool any = false;
            for (auto& [key, record] : series)
                if (record.state.signalId == signal.id) {
                    any = true;
                    record.state.severity = Severity::Unknown;
                    record.state.reason = it->second;
                    record.lastReportedMs = now;
                }
            if (!any)
                signalWaiting[signal.id] = it->second;
            continue;
        }
        signalWaiting.erase(signal.id);
    }

    for (const auto& sample : result.samples) {
        const SignalConfig* signal = nullptr;
        for (const auto& s : rt.source->signalConfigs())
            if (s.id == sample.signalId)
                signal = &s;
        if (!signal)
            continue; // a sample for a signal this source does not serve
        Labels labels = sample.labels;
        normalizeLabels(labels);
        SignalSeriesKey key {signal->id, labels};
        auto& record = series[key.key()];
        if (record.state.signalId.isEmpty()) {
            // The store has its own locks, never the engine's: interning here only nests them the one way.
            record.state.seriesId = history->intern(key.signalId, key.labels);
            record.state.thresholds = signal->thresholds;
            record.state.signalId = signal->id;
            record.state.stageId = signal->stageId;
            record.state.name = signal->name;
            record.state.kind = signal->kind;
            record.state.unit = signal->unit.isEmpty() ? signalKindDefaultUnit(signal->kind) : signal->unit;
            record.state.labels = labels;
            record.state.sourceId = rt.health.sourceId;
        }
        record.lastReportedMs = now;
        if (std::isnan(sample.value)) {
            // histogram_quantile over an idle window yields NaN: there is no current number, not a fault.
            record.state.severity = Severity::Unknown;
            record.state.reason = QStringLiteral("no data in the window (NaN)");
            record.state.valueTimestampMs = sample.timestampMs > 0 ? sample.timestampMs : now;
            pendingAppends.push_back(
                PendingAppend {record.state.seriesId, record.state.valueTimestampMs, sample.value, std::move(key)});
            continue;
        }
        record.state.hasValue = true;
        record.state.value = sample.value;
        pendingAppends.push_back(PendingAppend {
            record.state.seriesId, sample.timestampMs > 0 ? sample.timestampMs : now, sample.value, std::move(key)});
        record.state.valueTimestampMs = sample.timestampMs > 0 ? sample.timestampMs : now;
        record.state.severity = record.tracker.update(signal->thresholds, sample.value, now);
        record.state.reason = thresholdReason(record.tracker.breach(), record.state.unit);
        if (!verdicts.empty() && (signal->kind == SignalKind::ConsumerLag || signal->kind == SignalKind::TimeLag)) {
            for (const auto& [key, value] : labels) {
                if (key != QLatin1String("group"))
                    continue;
                const auto v = verdicts.find(value);
                if (v != verdicts.end() && v->second->severity != Severity::Unknown
                    && severityRank(v->second->severity) > severityRank(record.state.severity)) {
                    record.state.severity = v->second->severity;
                    record.state.reason = lagVerdictReason(*v->second);
                }
            }
        }
    }

    // Series the source no longer reports: STALE for a while, then dropped.
    const qint64 keepMs = kVanishedSeriesPolls * rt.source->config().intervalMs;
    for (auto it = series.begin(); it != series.end();) {
        auto& state = it->second.state;
        if (state.sourceId == rt.health.sourceId && it->second.lastReportedMs < now
            && !errorsBySignal.contains(state.signalId) && !waitingBySignal.contains(state.signalId)) {
            if (now - it->second.lastReportedMs > keepMs) {
                it = series.erase(it);
                continue;
            }
            state.severity = Severity::Stale;
            state.reason = QStringLiteral("%1: series no longer reported").arg(rt.health.sourceId);
            recordGap(it->second, now);
        }
        ++it;
    }
}

void Engine::Impl::schedulePublish()
{
    asio::post(*io, [this] {
        std::lock_guard lock(mutex);
        if (!running || !publishTimer)
            return;
        publishTimer->expires_after(std::chrono::milliseconds(options.publishIntervalMs));
        publishTimer->async_wait([this](const boost::system::error_code& ec) {
            if (ec)
                return;
            SnapshotPtr published;
            {
                std::lock_guard lock(mutex);
                if (!running)
                    return;
                if (dirty) {
                    latest = buildSnapshot();
                    published = latest;
                }
            }
            if (published) {
                notifyTransitions(published);
                Q_EMIT q->snapshotReady(published);
            }
            schedulePublish();
        });
    });
}

SnapshotPtr Engine::Impl::buildSnapshot()
{
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->sequence = ++sequence;
    snapshot->takenMs = nowMs();
    snapshot->pipelineName = config.name;
    dirty = false;

    Severity overall = Severity::Ok;
    bool anyStage = false;
    for (const auto& stage : config.stages) {
        StageState stageState;
        stageState.stageId = stage.id;
        stageState.title = stage.title.isEmpty() ? stage.id : stage.title;
        Severity worst = Severity::Ok;
        bool anySignal = false;
        for (const auto& signal : stage.signalConfigs) {
            std::vector<const SignalState*> states;
            for (const auto& [key, record] : series)
                if (record.state.signalId == signal.id)
                    states.push_back(&record.state);
            if (states.empty()) {
                SignalState placeholder;
                placeholder.signalId = signal.id;
                placeholder.stageId = stage.id;
                placeholder.name = signal.name;
                placeholder.kind = signal.kind;
                placeholder.unit = signal.unit.isEmpty() ? signalKindDefaultUnit(signal.kind) : signal.unit;
                placeholder.sourceId = signal.sourceId;
                placeholder.thresholds = signal.thresholds;
                if (auto it = signalErrors.find(signal.id); it != signalErrors.end()) {
                    placeholder.severity = Severity::Stale;
                    placeholder.reason = it->second;
                } else if (auto waiting = signalWaiting.find(signal.id); waiting != signalWaiting.end()) {
                    placeholder.severity = Severity::Unknown;
                    placeholder.reason = waiting->second;
                } else {
                    placeholder.severity = Severity::Unknown;
                    placeholder.reason = QStringLiteral("no data yet");
                }
                snapshot->signalStates.push_back(placeholder);
                stageState.signalIndexes.push_back(int(snapshot->signalStates.size()) - 1);
            } else {
                for (const SignalState* s : states) {
                    snapshot->signalStates.push_back(*s);
                    stageState.signalIndexes.push_back(int(snapshot->signalStates.size()) - 1);
                }
            }
        }
        for (int index : stageState.signalIndexes) {
            const SignalState& s = snapshot->signalStates[size_t(index)];
            if (!anySignal || severityRank(s.severity) > severityRank(worst)) {
                worst = s.severity;
                stageState.headlineSignal = index;
                stageState.reason = s.reason;
            }
            anySignal = true;
        }
        stageState.severity = anySignal ? worst : Severity::Unknown;
        overall = anyStage ? pw::worse(overall, stageState.severity) : stageState.severity;
        anyStage = true;
        snapshot->stages.push_back(std::move(stageState));
    }
    snapshot->overall = anyStage ? overall : Severity::Unknown;
    computeDataAges(*snapshot);
    for (const auto& rt : sources) {
        snapshot->sources.push_back(rt->health);
        if (rt->lag)
            snapshot->consumerLag.push_back(rt->lag);
    }
    return snapshot;
}

} // namespace pw
