// The window fed by a real Engine: it keeps updating from Snapshots while one source hangs, and no source is ever
// polled on the GUI thread.
#include "engine/engine.h"
#include "fakesource.h"
#include "historychart.h"
#include "mainwindow.h"
#include "model/seriesstore.h"
#include "presentation/format.h"
#include "stagepage.h"
#include "stagetile.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <vector>

#include <atomic>
#include <map>

using namespace pw;
using pw::test::FakeSource;

namespace {

/// Records on which threads it was polled, then behaves like FakeSource.
class ThreadRecordingSource : public FakeSource
{
public:
    ThreadRecordingSource(
        SourceConfig c, std::vector<SignalConfig> s, std::shared_ptr<Script> script, std::atomic<int>* pollsOnGuiThread)
        : FakeSource(std::move(c), std::move(s), std::move(script))
        , m_pollsOnGuiThread(pollsOnGuiThread)
    { }
    void poll(PollContext& context, std::function<void(PollResult)> done) override
    {
        if (QThread::currentThread() == qApp->thread())
            ++*m_pollsOnGuiThread;
        FakeSource::poll(context, std::move(done));
    }

private:
    std::atomic<int>* m_pollsOnGuiThread;
};

QString tileLabel(MainWindow& window, const QString& stageId, const char* label)
{
    auto* tile = window.findChild<StageTile*>(QStringLiteral("stageTile_") + stageId);
    if (!tile)
        return {};
    auto* l = tile->findChild<QLabel*>(QString::fromLatin1(label));
    return l ? l->text() : QString();
}

} // namespace

class TestEngineWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void windowUpdatesWhileASourceHangs()
    {
        std::map<QString, std::shared_ptr<FakeSource::Script>> scripts;
        for (int i = 0; i < 3; ++i)
            scripts[QStringLiteral("src%1").arg(i)] = std::make_shared<FakeSource::Script>();
        scripts[QStringLiteral("src0")]->mode = FakeSource::Mode::Hang;
        std::atomic<int> pollsOnGuiThread {0};

        Engine engine(test::fakePipeline(3, 50, 150), {},
            [&](const SourceConfig& c, const std::vector<SignalConfig>& s) -> Result<std::unique_ptr<Source>> {
                return std::make_unique<ThreadRecordingSource>(c, s, scripts[c.id], &pollsOnGuiThread);
            });
        MainWindow window;
        window.resize(1200, 700);
        QObject::connect(&engine, &Engine::snapshotReady, &window, &MainWindow::setSnapshot);
        QSignalSpy applied(&window, &MainWindow::snapshotApplied);
        window.show();
        QVERIFY(engine.start());

        // The hung source goes STALE with its reason while the others keep delivering.
        QTRY_VERIFY_WITH_TIMEOUT(tileLabel(window, QStringLiteral("source_log"), "statusLabel")
                                     .contains(QStringLiteral("STALE"), Qt::CaseInsensitive),
            10000);
        QTRY_VERIFY_WITH_TIMEOUT(tileLabel(window, QStringLiteral("source_log"), "reasonLabel")
                                     .contains(QStringLiteral("no answer within 150 ms")),
            10000);
        for (double v : {1.0, 3.0, 7.0}) {
            {
                std::lock_guard lock(scripts[QStringLiteral("src1")]->mutex);
                scripts[QStringLiteral("src1")]->value = v;
            }
            const QString expected = formatValue(v, QStringLiteral("s"));
            QTRY_COMPARE_WITH_TIMEOUT(tileLabel(window, QStringLiteral("compute"), "valueLabel"), expected, 10000);
        }
        QTRY_VERIFY_WITH_TIMEOUT(tileLabel(window, QStringLiteral("compute"), "statusLabel")
                                     .contains(QStringLiteral("CRIT"), Qt::CaseInsensitive),
            10000);
        QVERIFY(applied.count() >= 3);
        QCOMPARE(scripts[QStringLiteral("src0")]->polls.load(), 1); // the hung poll is never repeated on top
        QCOMPARE(pollsOnGuiThread.load(), 0);
        engine.stop();
        std::lock_guard lock(scripts[QStringLiteral("src0")]->mutex);
        for (auto& cb : scripts[QStringLiteral("src0")]->parked)
            cb(PollResult {});
    }

    void eventLoopStaysPromptWhileASourceHangsAndAPageDrawsAMillionPoints()
    {
        // One source hangs for the whole run (its timeout is 30 s), the compute page charts a series of 1,000,000
        // points of the last hour (queried again every 2 s while it follows now), and the other sources change
        // every second. A 10 ms timer measures how late the GUI thread's event loop runs. The figure is printed, not
        // asserted (timed assertions do not belong in unit tests); PATHWATCH_HANG_SECONDS shortens the run.
        const int seconds = qEnvironmentVariableIntValue("PATHWATCH_HANG_SECONDS") > 0
            ? qEnvironmentVariableIntValue("PATHWATCH_HANG_SECONDS")
            : 30;
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
        QCOMPARE(store->sampleCount(), quint64(kPoints));

        Engine::Options options;
        options.history = store;
        Engine engine(config, options,
            [&](const SourceConfig& c, const std::vector<SignalConfig>& s) -> Result<std::unique_ptr<Source>> {
                return std::make_unique<FakeSource>(c, s, scripts[c.id]);
            });
        MainWindow window;
        window.resize(1400, 900);
        window.setHistory(store);
        QObject::connect(&engine, &Engine::snapshotReady, &window, &MainWindow::setSnapshot);
        QSignalSpy applied(&window, &MainWindow::snapshotApplied);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(engine.start());
        QVERIFY(applied.wait(5000));
        QSignalSpy drawn(window.stagePage(), &StagePage::historyDrawn);
        window.openStage(QStringLiteral("compute"));
        QVERIFY(drawn.wait(10000));
        QCOMPARE(window.stagePage()->charts().size(), 1);
        QVERIFY(window.stagePage()->charts()[0]->drawnPointCount() > 1000);

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
        QTimer changer;
        changer.setInterval(1000);
        double value = 1.0;
        QObject::connect(&changer, &QTimer::timeout, [&] {
            value = value > 6 ? 1.0 : value + 1.5;
            for (const char* src : {"src1", "src2"}) {
                std::lock_guard lock(scripts[QString::fromLatin1(src)]->mutex);
                scripts[QString::fromLatin1(src)]->value = value;
            }
        });
        const int appliedBefore = int(applied.count());
        const int drawnBefore = int(drawn.count());
        tick.start();
        changer.start();
        QTest::qWait(seconds * 1000);
        tick.stop();
        changer.stop();

        // The other sources kept updating the window and the page kept redrawing its million points.
        QVERIFY(applied.count() > appliedBefore + seconds);
        QVERIFY(drawn.count() > drawnBefore);
        QCOMPARE(scripts[QStringLiteral("src0")]->polls.load(), 1);
        std::vector<qint64> sorted = lateness;
        std::sort(sorted.begin(), sorted.end());
        const qint64 worst = sorted.empty() ? 0 : sorted.back();
        const qint64 p99 = sorted.empty() ? 0 : sorted[sorted.size() * 99 / 100];
        qInfo("never blocks: one source hung for %d s, a page of %d points redrawn %d times, %d snapshots applied: "
              "event-loop lateness worst %lld ms, p99 %lld ms over %d ticks of 10 ms (goal: worst <= 50 ms)",
            seconds, kPoints, int(drawn.count()) - drawnBefore, int(applied.count()) - appliedBefore,
            static_cast<long long>(worst), static_cast<long long>(p99), int(lateness.size()));
        engine.stop();
        std::lock_guard lock(scripts[QStringLiteral("src0")]->mutex);
        for (auto& cb : scripts[QStringLiteral("src0")]->parked)
            cb(PollResult {});
    }

    void headerNamesWhereDataStopsMoving()
    {
        std::map<QString, std::shared_ptr<FakeSource::Script>> scripts;
        const double ages[] = {4.0, 9.0, 1200.0};
        auto config = test::fakePipeline(3, 50, 150);
        for (int i = 0; i < 3; ++i) {
            config.stages[size_t(i)].signalConfigs[0].kind = SignalKind::DataAge;
            auto script = std::make_shared<FakeSource::Script>();
            script->value = ages[i];
            scripts[QStringLiteral("src%1").arg(i)] = script;
        }
        Engine engine(config, {},
            [&](const SourceConfig& c, const std::vector<SignalConfig>& s) -> Result<std::unique_ptr<Source>> {
                return std::make_unique<FakeSource>(c, s, scripts[c.id]);
            });
        MainWindow window;
        QObject::connect(&engine, &Engine::snapshotReady, &window, &MainWindow::setSnapshot);
        window.show();
        QVERIFY(engine.start());
        auto* summary = window.findChild<QLabel*>(QStringLiteral("summaryLabel"));
        QVERIFY(summary);
        QTRY_VERIFY_WITH_TIMEOUT(
            summary->text().contains(QStringLiteral("data stops moving between compute and sink")), 10000);
        engine.stop();
    }
};

QTEST_MAIN(TestEngineWindow)
#include "tst_enginewindow.moc"
