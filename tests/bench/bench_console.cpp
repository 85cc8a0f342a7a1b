// The console's own costs, offscreen:
// - consumer_lag_tree: one snapshot of 1,000 groups × 10 partitions applied to the source log's tree (model, sorted
//   and filtering proxy, shown QTreeView) on the GUI thread, ours (diffed updates) against a QStandardItemModel
//   rebuilt from scratch per snapshot behind the same proxy and view (what a first version usually does);
// - history_rss: the resident memory the history store adds when it holds 10,000 series for 24 h at a 5 s poll
//   (RSS after filling minus RSS before; the store keeps the raw samples of the last hour and minute/hour aggregates
//   for the day), against 16 bytes a sample for the day's raw samples, what a plain in-memory history would hold;
// - launch_to_strip / launch_to_values: `pathwatch` in embedded mode from exec to the pipeline strip on screen and to
//   the first values on it (from its pathwatch.startup log lines), against the 1.5 s goal.
// - gui_lateness: the worst lateness of the GUI thread's event loop (a 10 ms timer) while an engine polls three
//   sources, one of them hung for the whole run (30 s timeout), and the window shows a stage page charting 1,000,000
//   points of the last hour (queried again while it follows now), against the 50 ms goal (no peer does this). The
//   slowest events handled on the GUI thread are named, to say what the worst case was made of.
// --quick (CTest): 100 groups, 1,000 series for 1 h, one launch, 3 s of lateness.

#include "consumerlagtreemodel.h"
#include "consumerlagview.h"
#include "engine/engine.h"
#include "fakesource.h"
#include "historychart.h"
#include "lagsnapshot.h"
#include "mainwindow.h"
#include "model/seriesstore.h"
#include "stagepage.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QTreeView>

#include <algorithm>
#include <map>

#include <cmath>
#include <cstdio>

using namespace pw;

namespace {

constexpr qint64 kNow = 1'790'000'000'000;

void bench(const char* name, double ours, const char* unit, const char* peer, double peerValue, double ratio)
{
    std::printf("BENCH name=%s ours=%.3f%s peer=%s peer_value=%.3f%s ratio=%.3f\n", name, ours, unit, peer, peerValue,
        unit, ratio);
    std::fflush(stdout);
}

long rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QString text = QString::fromLatin1(f.readAll());
    const auto m = QRegularExpression(QStringLiteral("VmRSS:\\s+(\\d+) kB")).match(text);
    return m.hasMatch() ? m.captured(1).toLong() : 0;
}

// The naive peer: every snapshot clears the model and builds every row again.
void fillStandardModel(QStandardItemModel& model, const Snapshot& snap)
{
    model.clear();
    model.setColumnCount(ConsumerLagTreeModel::NUM_COLUMNS);
    for (const auto& report : snap.consumerLag)
        for (const GroupLag& g : report->groups) {
            QList<QStandardItem*> row;
            row << new QStandardItem(g.group) << new QStandardItem(lagVerdictName(g.verdict))
                << new QStandardItem(QString::number(g.totalLag));
            for (int c = 3; c < ConsumerLagTreeModel::NUM_COLUMNS; ++c)
                row << new QStandardItem(QString::number(g.consumeRate));
            QStandardItem* topic = nullptr;
            for (const PartitionLag& p : g.partitions) {
                if (!topic || topic->text() != p.topic) {
                    QList<QStandardItem*> t;
                    t << (topic = new QStandardItem(p.topic));
                    for (int c = 1; c < ConsumerLagTreeModel::NUM_COLUMNS; ++c)
                        t << new QStandardItem();
                    row[0]->appendRow(t);
                }
                QList<QStandardItem*> part;
                part << new QStandardItem(QString::number(p.partition)) << new QStandardItem(lagVerdictName(p.verdict))
                     << new QStandardItem(QString::number(p.lag));
                for (int c = 3; c < ConsumerLagTreeModel::NUM_COLUMNS; ++c)
                    part << new QStandardItem(QString::number(p.consumeRate));
                topic->appendRow(part);
            }
            model.appendRow(row);
        }
}

struct TreeTiming
{
    double firstMs = 0;
    double meanMs = 0;
    double worstMs = 0;
};

template<class Apply>
TreeTiming timeTree(QAbstractItemModel& model, Apply apply, int groups, int updates)
{
    QSortFilterProxyModel* proxy = nullptr;
    ConsumerLagFilterModel lagProxy;
    QSortFilterProxyModel plainProxy;
    proxy = dynamic_cast<ConsumerLagTreeModel*>(&model) ? static_cast<QSortFilterProxyModel*>(&lagProxy) : &plainProxy;
    proxy->setSourceModel(&model);
    proxy->setDynamicSortFilter(true);
    proxy->setRecursiveFilteringEnabled(true);
    LagTreeView view;
    view.setUniformRowHeights(true);
    view.setModel(proxy);
    view.setSortingEnabled(true);
    view.sortByColumn(1, Qt::DescendingOrder);
    view.resize(1400, 800);
    view.show();
    QCoreApplication::processEvents();
    TreeTiming t;
    QElapsedTimer timer;
    auto snap = test::makeLagSnapshot(test::makeLagReport(QStringLiteral("kafka"), groups, 1, 10, kNow), kNow, 1, 10);
    timer.start();
    apply(snap, view);
    view.repaint();
    t.firstMs = timer.nsecsElapsed() / 1e6;
    view.expand(proxy->index(0, 0));
    view.expand(proxy->index(0, 0, proxy->index(0, 0)));
    for (int tick = 1; tick <= updates; ++tick) {
        snap = test::makeLagSnapshot(
            test::makeLagReport(QStringLiteral("kafka"), groups, 1, 10, kNow + tick * 5000, tick), kNow, 1, 10);
        timer.restart();
        apply(snap, view);
        view.repaint(); // the frame the user sees
        const double ms = timer.nsecsElapsed() / 1e6;
        t.meanMs += ms / updates;
        t.worstMs = std::max(t.worstMs, ms);
    }
    return t;
}

void benchTree(bool quick)
{
    const int groups = quick ? 100 : 1000;
    const int updates = quick ? 3 : 10;
    ConsumerLagTreeModel ours;
    const TreeTiming o = timeTree(
        ours,
        [&](const SnapshotPtr& s, LagTreeView& view) {
            // As ConsumerLagView does: one layout after the burst of dataChanged.
            if (ours.partitionCount() > 500)
                view.deferLayout();
            ours.setSnapshot(s);
        },
        groups, updates);
    QStandardItemModel peer;
    const TreeTiming p = timeTree(
        peer, [&](const SnapshotPtr& s, LagTreeView&) { fillStandardModel(peer, *s); }, groups, updates);
    std::printf("# consumer lag tree, %d groups x 10 partitions: ours first fill %.1f ms, update mean %.1f ms, worst "
                "%.1f ms; rebuilt QStandardItemModel first %.1f ms, update mean %.1f ms, worst %.1f ms\n",
        groups, o.firstMs, o.meanMs, o.worstMs, p.firstMs, p.meanMs, p.worstMs);
    bench("consumer_lag_tree_update", o.meanMs, "ms", "qstandarditemmodel_rebuild", p.meanMs, p.meanMs / o.meanMs);
}

void benchHistoryRss(bool quick)
{
    const int series = quick ? 1000 : 10'000;
    const qint64 spanMs = quick ? 3600'000 : 24 * 3600'000;
    const qint64 stepMs = 5000;
    const long before = rssKiB();
    SeriesStore store; // the engine's defaults: raw tier, minute and hour tiers, default byte budget
    std::vector<SeriesId> ids;
    ids.reserve(size_t(series));
    for (int i = 0; i < series; ++i)
        ids.push_back(store.intern(QStringLiteral("source/consumer_lag"),
            {{QStringLiteral("group"), QStringLiteral("g%1").arg(i / 10)},
                {QStringLiteral("partition"), QString::number(i % 10)}}));
    const qint64 start = kNow - spanMs;
    qint64 samples = 0;
    for (qint64 t = start; t < kNow; t += stepMs) {
        for (int i = 0; i < series; ++i) {
            // A lag that wanders around a few hundred records, as a healthy consumer's does.
            const double v
                = std::floor(300 + 200 * std::sin(double(t - start) / 600'000.0 + i) + (i * 7 + t / stepMs) % 13);
            store.append(ids[size_t(i)], t, v);
            ++samples;
        }
        if ((t - start) % (3600'000) == 0)
            store.expire(t);
    }
    store.expire(kNow);
    const long after = rssKiB();
    const double oursMiB = double(after - before) / 1024.0;
    const double rawMiB = double(samples) * 16.0 / (1024.0 * 1024.0);
    std::printf(
        "# history: %d series for %.0f h at a 5 s poll = %lld samples appended; the store counts %zu bytes; RSS "
        "%ld KiB before, %ld KiB after\n",
        series, double(spanMs) / 3600'000.0, static_cast<long long>(samples), store.bytesUsed(), before, after);
    bench("history_rss", oursMiB, "MiB", "raw_16_bytes_a_sample", rawMiB, rawMiB / std::max(oursMiB, 0.001));
}

void benchLaunch(bool quick)
{
    const QString binary = QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch");
    if (!QFile::exists(binary)) {
        std::fprintf(stderr, "bench_console: %s is not built\n", qPrintable(binary));
        std::exit(1);
    }
    const int runs = quick ? 1 : 3;
    double bestStrip = 1e18;
    double bestValues = 1e18;
    for (int r = 0; r < runs; ++r) {
        QTemporaryDir dir;
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("pathwatch.startup.info=true"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), dir.path());
        p.setProcessEnvironment(env);
        p.setReadChannel(QProcess::StandardError);
        QElapsedTimer timer;
        timer.start();
        p.start(binary, {QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("data"))});
        QByteArray err;
        double strip = -1;
        double values = -1;
        double inProcessStrip = -1;
        double inProcessValues = -1;
        while (timer.elapsed() < 60'000 && (strip < 0 || values < 0) && p.state() != QProcess::NotRunning) {
            p.waitForReadyRead(200);
            err += p.readAllStandardError();
            const QString text = QString::fromUtf8(err);
            const auto s = QRegularExpression(QStringLiteral("pipeline strip on screen after (\\d+) ms")).match(text);
            const auto v = QRegularExpression(QStringLiteral("first values on screen after (\\d+) ms")).match(text);
            // Timed here, from QProcess::start (exec and loading the libraries included); the process's own
            // figure (from main) is printed beside it.
            if (s.hasMatch() && strip < 0) {
                strip = double(timer.elapsed());
                inProcessStrip = s.captured(1).toDouble();
            }
            if (v.hasMatch() && values < 0) {
                values = double(timer.elapsed());
                inProcessValues = v.captured(1).toDouble();
            }
        }
        p.terminate();
        if (!p.waitForFinished(10'000)) {
            p.kill();
            p.waitForFinished();
        }
        if (strip < 0 || values < 0) {
            std::fprintf(stderr, "bench_console: pathwatch did not report its start:\n%s\n", err.constData());
            std::exit(1);
        }
        std::printf(
            "# launch %d: pipeline strip after %.0f ms (%.0f ms from main), first values after %.0f ms (%.0f ms "
            "from main)\n",
            r, strip, inProcessStrip, values, inProcessValues);
        bestStrip = std::min(bestStrip, strip);
        bestValues = std::min(bestValues, values);
    }
    bench("launch_to_strip", bestStrip, "ms", "goal", 1500, 1500 / bestStrip);
    bench("launch_to_values", bestValues, "ms", "goal", 1500, 1500 / bestValues);
}

/// Times every event delivered on the GUI thread (while `timing` is on) and keeps the slowest, by receiver class and
/// event type: what a lateness spike was spent on.
class TimingApplication : public QApplication
{
public:
    using QApplication::QApplication;
    struct Slow
    {
        double ms = 0.0;
        QString what;
    };
    bool timing = false;
    std::vector<Slow> slowest; // the 5 slowest, slowest first

    bool notify(QObject* receiver, QEvent* event) override
    {
        if (!timing || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        // The receiver may be gone afterwards (a deferred delete): what to name it is taken before.
        const char* className = receiver->metaObject()->className();
        const QString objectName = receiver->objectName();
        const int type = int(event->type());
        QElapsedTimer t;
        t.start();
        const bool result = QApplication::notify(receiver, event);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        if (slowest.size() < 5 || ms > slowest.back().ms) {
            slowest.push_back(Slow {
                ms, QStringLiteral("%1 to %2 (%3)").arg(eventName(type), QString::fromLatin1(className), objectName)});
            std::sort(slowest.begin(), slowest.end(), [](const Slow& a, const Slow& b) { return a.ms > b.ms; });
            if (slowest.size() > 5)
                slowest.pop_back();
        }
        return result;
    }

private:
    static QString eventName(int type)
    {
        switch (type) {
        case QEvent::MetaCall:
            return QStringLiteral("queued call");
        case QEvent::Timer:
            return QStringLiteral("timer");
        case QEvent::UpdateRequest:
            return QStringLiteral("paint");
        case QEvent::LayoutRequest:
            return QStringLiteral("layout");
        default:
            return QStringLiteral("event %1").arg(type);
        }
    }
};

void benchLateness(bool quick, TimingApplication& app)
{
    using test::FakeSource;
    const int seconds = quick ? 3 : 30;
    std::map<QString, std::shared_ptr<FakeSource::Script>> scripts;
    for (int i = 0; i < 3; ++i)
        scripts[QStringLiteral("src%1").arg(i)] = std::make_shared<FakeSource::Script>();
    scripts[QStringLiteral("src0")]->mode = FakeSource::Mode::Hang;
    auto config = test::fakePipeline(3, 200, 30'000);

    auto store = std::make_shared<SeriesStore>();
    const SeriesId id = store->intern(QStringLiteral("compute/value"), {});
    const qint64 start = nowMs() - 3'590'000;
    constexpr int kPoints = 1'000'000;
    for (int i = 0; i < kPoints; ++i)
        store->append(id, start + qint64(i) * 3'580'000 / kPoints, 1.0 + 0.5 * std::sin(i / 2000.0));

    Engine::Options options;
    options.history = store;
    Engine engine(config, options,
        [&](const SourceConfig& c, const std::vector<SignalConfig>& s) -> Result<std::unique_ptr<Source>> {
            return std::make_unique<FakeSource>(c, s, scripts[c.id]);
        });
    int applied = 0;
    int drawn = 0;
    {
        MainWindow window;
        window.resize(1400, 900);
        window.setHistory(store);
        QObject::connect(&engine, &Engine::snapshotReady, &window, &MainWindow::setSnapshot);
        QObject::connect(&window, &MainWindow::snapshotApplied, [&] { ++applied; });
        QObject::connect(window.stagePage(), &StagePage::historyDrawn, [&] { ++drawn; });
        window.show();
        if (!engine.start()) {
            std::fprintf(stderr, "bench_console: the engine did not start\n");
            std::exit(1);
        }
        QElapsedTimer wait;
        wait.start();
        while (applied == 0 && wait.elapsed() < 10'000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        window.openStage(QStringLiteral("compute"));
        while (drawn == 0 && wait.elapsed() < 20'000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        if (drawn == 0 || window.stagePage()->charts().empty()
            || window.stagePage()->charts().front()->drawnPointCount() < 1000) {
            std::fprintf(stderr, "bench_console: the page did not draw its million points\n");
            std::exit(1);
        }

        std::vector<qint64> lateness;
        QElapsedTimer clock;
        clock.start();
        qint64 last = clock.elapsed();
        QTimer tick;
        tick.setTimerType(Qt::PreciseTimer);
        tick.setInterval(10);
        QObject::connect(&tick, &QTimer::timeout, [&] {
            const qint64 t = clock.elapsed();
            lateness.push_back(std::max<qint64>(0, t - last - 10));
            last = t;
        });
        QTimer changer; // the other sources' values change every second
        changer.setInterval(1000);
        double value = 1.0;
        QObject::connect(&changer, &QTimer::timeout, [&] {
            value = value > 6 ? 1.0 : value + 1.5;
            for (const char* src : {"src1", "src2"}) {
                std::lock_guard lock(scripts[QString::fromLatin1(src)]->mutex);
                scripts[QString::fromLatin1(src)]->value = value;
            }
        });
        const int appliedBefore = applied;
        const int drawnBefore = drawn;
        app.timing = true;
        tick.start();
        changer.start();
        QEventLoop loop;
        QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
        loop.exec();
        tick.stop();
        changer.stop();
        app.timing = false;

        std::sort(lateness.begin(), lateness.end());
        const qint64 worst = lateness.empty() ? 0 : lateness.back();
        const qint64 p99 = lateness.empty() ? 0 : lateness[lateness.size() * 99 / 100];
        std::printf("# lateness: one source hung for %d s, a page of %d points redrawn %d times, %d snapshots "
                    "applied; p99 %lld ms over %zu ticks of 10 ms\n",
            seconds, kPoints, drawn - drawnBefore, applied - appliedBefore, static_cast<long long>(p99),
            lateness.size());
        for (const auto& slow : app.slowest)
            std::printf("# slow on the GUI thread: %.1f ms, %s\n", slow.ms, qPrintable(slow.what));
        bench("gui_lateness", double(worst), "ms", "goal", 50, 50.0 / std::max<double>(1.0, double(worst)));
        if (applied - appliedBefore < seconds || drawn == drawnBefore
            || scripts[QStringLiteral("src0")]->polls.load() != 1) {
            std::fprintf(stderr, "bench_console: the window stopped updating while a source hung\n");
            std::exit(1);
        }
    }
    engine.stop();
    std::lock_guard lock(scripts[QStringLiteral("src0")]->mutex);
    for (auto& cb : scripts[QStringLiteral("src0")]->parked)
        cb(PollResult {});
}

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    TimingApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const QStringList only = app.arguments().filter(QRegularExpression(QStringLiteral("^--only=")));
    auto wanted = [&](const char* name) {
        return only.isEmpty() || only.first().mid(7).split(QLatin1Char(',')).contains(QLatin1String(name));
    };
    if (wanted("history"))
        benchHistoryRss(quick); // first, before the tree's allocations blur the RSS
    if (wanted("tree"))
        benchTree(quick);
    if (wanted("launch"))
        benchLaunch(quick);
    if (wanted("lateness"))
        benchLateness(quick, app);
    return 0;
}
