// The console's own costs, offscreen:
// - consumer_lag_tree: one snapshot of 1,000 groups × 10 partitions applied to the source log's tree (model, sorted
//   and filtering proxy, shown QTreeView) on the GUI thread, ours (diffed updates) against a QStandardItemModel
//   rebuilt from scratch per snapshot behind the same proxy and view (what a first version usually does);
// - history_rss: the resident memory the history store adds when it holds 10,000 series for 24 h at a 5 s poll
//   (RSS after filling minus RSS before; the store keeps the raw samples of the last hour and minute/hour aggregates
//   for the day), against 16 bytes a sample for the day's raw samples, what a plain in-memory history would hold;
// - launch_to_strip / launch_to_values: `pathwatch` in embedded mode from exec to the pipeline strip on screen and to
//   the first values on it (from its pathwatch.startup log lines), against the 1.5 s goal.
// --quick (CTest): 100 groups, 1,000 series for 1 h, one launch.

#include "consumerlagtreemodel.h"
#include "consumerlagview.h"
#include "lagsnapshot.h"
#include "model/seriesstore.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTreeView>

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

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
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
    return 0;
}
