// A chart of 1,000,000 stored points at 1920 px, offscreen. Ours: the history query (raw tier), min/max decimation
// per pixel column and HistoryChart::setLines, to a drawn frame. A live page asks again every few seconds: run 0 is
// the first query of the series (every chunk decoded, digests of those inside one column made), later runs read the
// digests kept with the series and decode only the chunks that straddle a column edge. Peer: the same points given to a
// QLineSeries with one replace(), to a drawn frame. Also the memory of 10,000 series held for 24 h at a 5 s poll... is
// measured by bench_seriesstore; this one is about drawing.
// --quick (CTest): 100,000 points, one redraw each.

#include "history/history.h"
#include "history/historyservice.h"
#include "historychart.h"
#include "model/seriesstore.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QLineSeries>
#include <QPixmap>
#include <QTimer>
#include <QValueAxis>

#include <cmath>
#include <cstdio>

using namespace pw;

namespace {

constexpr int kWidth = 1920;
constexpr int kHeight = 400;

void render(QWidget& w)
{
    QPixmap frame(w.size());
    w.render(&frame); // paints the scene: the frame a screen would show
}

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const int points = quick ? 100'000 : 1'000'000;
    const int runs = quick ? 1 : 5;

    // One series holding `points` raw samples within an hour (the raw tier's span).
    SeriesStore::Limits limits;
    limits.maxBytes = std::size_t(4) << 30;
    SeriesStore store(limits);
    const SeriesId id = store.intern(QStringLiteral("bench/value"), {});
    const qint64 t0 = 1'790'000'000'000;
    const qint64 spanMs = 3'600'000 - 1;
    for (int i = 0; i < points; ++i) {
        const qint64 t = t0 + qint64(double(i) / points * spanMs);
        store.append(id, t, 100.0 + 40.0 * std::sin(i / 5000.0) + (i % 97 == 0 ? 30.0 : 0.0));
    }
    const qint64 t1 = t0 + spanMs;

    // Ours.
    HistoryChart chart;
    chart.resize(kWidth, kHeight);
    chart.setSignal(QStringLiteral("value"), QStringLiteral("s"), Thresholds {});
    double oursBest = 1e18;
    std::size_t stored = 0;
    qsizetype drawn = 0;
    for (int r = 0; r < runs; ++r) {
        QElapsedTimer timer;
        timer.start();
        HistorySeries h = History::query(store, HistoryRequest {id, t0, t1, kWidth});
        stored = h.storedPoints;
        const double queryMs = timer.nsecsElapsed() / 1e6;
        chart.setLines({HistoryChart::Line {QString(), std::move(h)}}, t0, t1);
        const double setMs = timer.nsecsElapsed() / 1e6;
        render(chart);
        oursBest = std::min(oursBest, timer.nsecsElapsed() / 1e6);
        std::printf("# run %d: query and decimation %.1f ms, setLines %.1f ms, frame %.1f ms\n", r, queryMs,
            setMs - queryMs, timer.nsecsElapsed() / 1e6 - setMs);
        drawn = chart.drawnPointCount();
    }

    // Peer: every point into a QLineSeries with one replace().
    const SeriesRange raw = store.range(id, t0, t1);
    QList<QPointF> all;
    all.reserve(qsizetype(raw.points.size()));
    for (const auto& p : raw.points)
        all << QPointF(double(p.timestampMs), p.value);
    QChartView peer;
    peer.resize(kWidth, kHeight);
    auto* series = new QLineSeries;
    peer.chart()->addSeries(series);
    auto* x = new QDateTimeAxis;
    auto* y = new QValueAxis;
    peer.chart()->addAxis(x, Qt::AlignBottom);
    peer.chart()->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    x->setRange(QDateTime::fromMSecsSinceEpoch(t0), QDateTime::fromMSecsSinceEpoch(t1));
    y->setRange(0, 200);
    double peerBest = 1e18;
    for (int r = 0; r < runs; ++r) {
        QElapsedTimer timer;
        timer.start();
        series->replace(all);
        render(peer);
        peerBest = std::min(peerBest, timer.nsecsElapsed() / 1e6);
    }

    // The GUI thread's lateness while a live page keeps asking for those points: ours queries through HistoryService
    // (a worker) and only draws the answer; the peer queries on the GUI thread itself. A 10 ms timer measures how late
    // the event loop runs.
    auto lateness = [&](bool offThread) {
        HistoryService service(std::shared_ptr<const SeriesStore>(&store, [](const SeriesStore*) {}));
        QObject::connect(&service, &HistoryService::resultReady, &chart, [&](const HistoryResultPtr& result) {
            chart.setLines({HistoryChart::Line {QString(), result->series.front()}}, t0, t1);
            render(chart);
        });
        qint64 worstMs = 0;
        QElapsedTimer clock;
        clock.start();
        qint64 expected = 10;
        QTimer tick;
        tick.setTimerType(Qt::PreciseTimer);
        tick.setInterval(10);
        QObject::connect(&tick, &QTimer::timeout, [&] {
            worstMs = std::max(worstMs, clock.elapsed() - expected);
            expected = clock.elapsed() + 10;
        });
        QTimer refresh; // a live page re-queries every 500 ms
        refresh.setInterval(500);
        QObject::connect(&refresh, &QTimer::timeout, [&] {
            const HistoryRequest request {id, t0, t1, kWidth};
            if (offThread) {
                service.request({request});
            } else {
                chart.setLines({HistoryChart::Line {QString(), History::query(store, request)}}, t0, t1);
                render(chart);
            }
        });
        tick.start();
        refresh.start();
        QEventLoop loop;
        QTimer::singleShot(quick ? 1200 : 5000, &loop, &QEventLoop::quit);
        loop.exec();
        service.waitForDone();
        return worstMs;
    };
    const qint64 oursLate = lateness(true);
    const qint64 peerLate = lateness(false);

    std::printf("# %zu stored points, %lld drawn by ours at %d px; best of %d\n", stored, static_cast<long long>(drawn),
        kWidth, runs);
    std::printf("BENCH name=chart_redraw ours=%.1fms peer=qlineseries_replace peer_value=%.1fms ratio=%.1f\n", oursBest,
        peerBest, peerBest / oursBest);
    std::printf("BENCH name=gui_lateness_live_page ours=%lldms peer=query_on_gui_thread peer_value=%lldms ratio=%.1f\n",
        static_cast<long long>(oursLate), static_cast<long long>(peerLate),
        double(std::max<qint64>(peerLate, 1)) / double(std::max<qint64>(oursLate, 1)));
    if (stored != std::size_t(points) || drawn > 2 * kWidth || drawn < kWidth / 2) {
        std::fprintf(stderr, "bench_chart: expected %d stored and at most %d drawn points\n", points, 2 * kWidth);
        return 1;
    }
    return 0;
}
