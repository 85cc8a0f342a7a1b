#include "engine/engine.h"
#include "eval/lagevaluator.h"
#include "fakesource.h"
#include "model/seriesstore.h"
#include "presentation/format.h"

#include <QSignalSpy>
#include <QTest>

#include <map>

using namespace pw;
using pw::test::FakeSource;

class TestEngine : public QObject
{
    Q_OBJECT

    std::map<QString, std::shared_ptr<FakeSource::Script>> m_scripts;

    Engine::SourceFactory factory()
    {
        return [this](const SourceConfig& c, const std::vector<SignalConfig>& s) -> Result<std::unique_ptr<Source>> {
            auto& script = m_scripts[c.id];
            if (!script)
                script = std::make_shared<FakeSource::Script>();
            return std::make_unique<FakeSource>(c, s, script);
        };
    }

    std::shared_ptr<FakeSource::Script> script(const QString& id)
    {
        auto& s = m_scripts[id];
        if (!s)
            s = std::make_shared<FakeSource::Script>();
        return s;
    }

    // Waits until a published snapshot satisfies `pred`.
    static SnapshotPtr waitFor(Engine& engine, const std::function<bool(const Snapshot&)>& pred, int timeoutMs = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            auto s = engine.latestSnapshot();
            if (s && pred(*s))
                return s;
            QTest::qWait(20);
        }
        return nullptr;
    }

private Q_SLOTS:
    void init() { m_scripts.clear(); }

    void placeholdersBeforeFirstPoll()
    {
        Engine engine(test::fakePipeline(3), {}, factory());
        auto s = engine.latestSnapshot();
        QVERIFY(s);
        QCOMPARE(s->stages.size(), size_t(3));
        QCOMPARE(s->signalStates.size(), size_t(3));
        for (const auto& sig : s->signalStates) {
            QCOMPARE(sig.severity, Severity::Unknown);
            QCOMPARE(sig.reason, QStringLiteral("no data yet"));
        }
        QCOMPARE(s->overall, Severity::Unknown);
    }

    void valuesAreJudgedAndPublished()
    {
        script(QStringLiteral("src0"))->value = 1.0;
        script(QStringLiteral("src1"))->value = 3.0;
        script(QStringLiteral("src2"))->value = 7.5;
        Engine engine(test::fakePipeline(3), {}, factory());
        // Snapshots are announced from the engine's threads; receive them queued, as the window does (a QSignalSpy
        // would record them on the emitting thread, racing with this one).
        QObject receiver;
        int announced = 0;
        connect(
            &engine, &Engine::snapshotReady, &receiver, [&announced] { ++announced; }, Qt::QueuedConnection);
        QVERIFY(engine.start());
        auto s = waitFor(engine, [](const Snapshot& s) {
            return std::all_of(s.signalStates.begin(), s.signalStates.end(), [](auto& x) { return x.hasValue; });
        });
        QVERIFY(s);
        QCOMPARE(s->stages[0].severity, Severity::Ok);
        QCOMPARE(s->stages[1].severity, Severity::Warn);
        QCOMPARE(s->stages[2].severity, Severity::Crit);
        QVERIFY(s->stages[2].reason.contains(QStringLiteral("crit 5")));
        QCOMPARE(s->overall, Severity::Crit);
        QCOMPARE(s->signalStates[2].value, 7.5);
        // Every fresh value is kept in the history.
        const SeriesId id = engine.seriesStore().find(QStringLiteral("sink/value"), {});
        QVERIFY(id != 0);
        QCOMPARE(engine.seriesStore().latest(id)->value, 7.5);
        QTRY_VERIFY_WITH_TIMEOUT(announced > 0, 2000);
        engine.stop();
    }

    // A consumer group's verdict judges its lag series too (the worse of thresholds and verdict), and the report is
    // in the snapshot.
    void groupVerdictJudgesItsLagSeries()
    {
        auto config = test::fakePipeline(1);
        config.stages[0].signalConfigs[0].kind = SignalKind::ConsumerLag;
        auto src = script(QStringLiteral("src0"));
        src->value = 1.0; // below warn: OK by the thresholds
        src->labels = {{QStringLiteral("group"), QStringLiteral("orders")}};
        auto report = std::make_shared<LagReport>();
        report->sourceId = QStringLiteral("src0");
        GroupLag g;
        g.group = QStringLiteral("orders");
        PartitionLag p;
        p.topic = QStringLiteral("events");
        p.lag = 1;
        p.verdict = LagVerdict::Stopped;
        g.partitions = {p};
        LagEvaluator::summarizeGroup(g);
        report->groups = {g};
        src->lag = report;
        Engine engine(config, {}, factory());
        QVERIFY(engine.start());
        auto s = waitFor(engine, [](const Snapshot& s) { return s.signalStates[0].hasValue; });
        QVERIFY(s);
        QCOMPARE(s->signalStates[0].severity, Severity::Crit);
        QVERIFY2(s->signalStates[0].reason.startsWith(QStringLiteral("STOPPED on events[0]")),
            qPrintable(s->signalStates[0].reason));
        QCOMPARE(s->consumerLag.size(), size_t(1));
        QCOMPARE(s->consumerLag.front()->groups.front().group, QStringLiteral("orders"));
        engine.stop();
    }

    void failingSourceTurnsStaleAndKeepsLastValue()
    {
        auto sc = script(QStringLiteral("src0"));
        sc->value = 1.5;
        Engine engine(test::fakePipeline(1), {}, factory());
        QVERIFY(engine.start());
        QVERIFY(waitFor(engine, [](const Snapshot& s) { return s.signalStates[0].hasValue; }));
        {
            std::lock_guard lock(sc->mutex);
            sc->mode = FakeSource::Mode::Fail;
            sc->error = QStringLiteral("HTTP 500 Internal Server Error");
        }
        auto s = waitFor(engine, [](const Snapshot& s) { return s.signalStates[0].severity == Severity::Stale; });
        QVERIFY(s);
        const auto& sig = s->signalStates[0];
        QVERIFY(sig.hasValue);
        QCOMPARE(sig.value, 1.5);
        QVERIFY2(sig.reason.contains(QStringLiteral("src0")) && sig.reason.contains(QStringLiteral("HTTP 500")),
            qPrintable(sig.reason));
        QCOMPARE(s->sources[0].up, false);
        QCOMPARE(s->sources[0].severity, Severity::Stale);
        QVERIFY(s->sources[0].lastSuccessMs > 0);
        QCOMPARE(s->stages[0].severity, Severity::Stale);
        // Recovery: values again → OK again.
        {
            std::lock_guard lock(sc->mutex);
            sc->mode = FakeSource::Mode::Values;
            sc->value = 0.5;
        }
        QVERIFY(waitFor(engine, [](const Snapshot& s) {
            return s.signalStates[0].severity == Severity::Ok && s.signalStates[0].value == 0.5;
        }));
        engine.stop();
    }

    void hungSourceTimesOutWithoutBlockingOthers()
    {
        auto hung = script(QStringLiteral("src0"));
        hung->mode = FakeSource::Mode::Hang;
        script(QStringLiteral("src1"))->value = 1.0;
        Engine engine(test::fakePipeline(2, 50, 100), {}, factory());
        QVERIFY(engine.start());
        auto s = waitFor(engine, [](const Snapshot& s) {
            return s.signalStates[0].severity == Severity::Stale && s.signalStates[1].hasValue;
        });
        QVERIFY(s);
        QVERIFY2(s->signalStates[0].reason.contains(QStringLiteral("no answer within 100 ms")),
            qPrintable(s->signalStates[0].reason));
        // The other source keeps being polled while the first hangs.
        const int before = script(QStringLiteral("src1"))->polls.load();
        QTest::qWait(300);
        QVERIFY(script(QStringLiteral("src1"))->polls.load() > before + 2);
        // Never two polls of one source at once, even though its timeout passed many times.
        QCOMPARE(hung->maxConcurrent.load(), 1);
        QCOMPARE(hung->polls.load(), 1);
        engine.stop();
        std::lock_guard lock(hung->mutex);
        for (auto& cb : hung->parked)
            cb(PollResult {}); // a late answer after stop must be harmless
    }

    void pollOnceWaitsForTimeouts()
    {
        script(QStringLiteral("src0"))->mode = FakeSource::Mode::Hang;
        script(QStringLiteral("src1"))->value = 9.0;
        Engine engine(test::fakePipeline(2, 1000, 200), {}, factory());
        auto result = engine.pollOnce();
        QVERIFY(result);
        const auto& s = **result;
        QCOMPARE(s.signalStates[0].severity, Severity::Stale);
        QCOMPARE(s.signalStates[1].severity, Severity::Crit);
        QCOMPARE(s.overall, Severity::Crit);
        QCOMPARE(severityExitCode(s.overall), 2);
        std::lock_guard lock(script(QStringLiteral("src0"))->mutex);
        for (auto& cb : script(QStringLiteral("src0"))->parked)
            cb(PollResult {});
    }

    void endToEndDataAgeFindsWhereDataStops()
    {
        // source_log 5 s old, compute 10 s, sink 900 s, storage 905 s: data stops moving at the sink.
        auto config = test::fakePipeline(4);
        for (auto& stage : config.stages)
            stage.signalConfigs[0].kind = SignalKind::DataAge;
        const double ages[] = {5, 10, 900, 905};
        for (int i = 0; i < 4; ++i)
            script(QStringLiteral("src%1").arg(i))->value = ages[i];
        Engine engine(config, {}, factory());
        auto result = engine.pollOnce();
        QVERIFY(result);
        const Snapshot& s = **result;
        QVERIFY(s.stages[0].dataAgeSeconds.has_value());
        QVERIFY(*s.stages[2].dataAgeSeconds >= 900.0 && *s.stages[2].dataAgeSeconds < 905.0);
        QCOMPARE(s.dataStopStageId, QStringLiteral("sink"));
        QVERIFY2(
            dataStopSentence(s).contains(QStringLiteral("between compute and sink")), qPrintable(dataStopSentence(s)));
    }

    void pollOnceGivesRateSourcesASecondPoll()
    {
        auto rate = script(QStringLiteral("src0"));
        rate->silentPolls = 1;
        rate->value = 0.5;
        script(QStringLiteral("src1"))->value = 1.0;
        Engine engine(test::fakePipeline(2, 200, 500), {}, factory());
        auto result = engine.pollOnce();
        QVERIFY(result);
        QCOMPARE(rate->polls.load(), 2);
        QCOMPARE(script(QStringLiteral("src1"))->polls.load(), 1);
        QVERIFY((*result)->signalStates[0].hasValue);
        QCOMPARE((*result)->signalStates[0].value, 0.5);
    }

    // A source that was read fine but has nothing yet (an empty table, a group with no commit) is UNKNOWN, waiting,
    // not STALE; the source itself is up.
    void nothingYetIsUnknownNotStale()
    {
        auto empty = script(QStringLiteral("src0"));
        empty->mode = FakeSource::Mode::NoDataYet;
        empty->error = QStringLiteral("the first row (the table is empty)");
        Engine engine(test::fakePipeline(1), {}, factory());
        auto result = engine.pollOnce();
        QVERIFY(result);
        const Snapshot& s = **result;
        QCOMPARE(s.signalStates[0].severity, Severity::Unknown);
        QCOMPARE(s.signalStates[0].reason, QStringLiteral("waiting for the first row (the table is empty)"));
        QCOMPARE(s.sources[0].severity, Severity::Ok);
        QVERIFY(s.sources[0].up);
        QCOMPARE(s.stages[0].severity, Severity::Unknown);
    }

    // Stopping and starting again: an answer from the first run that arrives during the second is dropped instead
    // of reaching a source runtime that no longer exists or overwriting the new run's values.
    void lateAnswerFromAPreviousRunIsDropped()
    {
        auto src = script(QStringLiteral("src0"));
        src->mode = FakeSource::Mode::Hang;
        Engine engine(test::fakePipeline(1, 50, 5000), {}, factory());
        QVERIFY(engine.start());
        QTRY_VERIFY_WITH_TIMEOUT(src->polls.load() >= 1, 5000);
        engine.stop();
        std::vector<std::function<void(PollResult)>> parked;
        {
            std::lock_guard lock(src->mutex);
            parked.swap(src->parked);
            src->mode = FakeSource::Mode::Values;
            src->value = 1.0;
        }
        QVERIFY(engine.start());
        QVERIFY(waitFor(engine, [](const Snapshot& s) { return s.signalStates[0].hasValue; }));
        for (auto& cb : parked) {
            PollResult late;
            late.samples.push_back(Sample {QStringLiteral("source_log/value"), {}, nowMs(), 42.0});
            cb(std::move(late));
        }
        QTest::qWait(300);
        auto s = engine.latestSnapshot();
        QCOMPARE(s->signalStates[0].value, 1.0);
        QCOMPARE(s->signalStates[0].severity, Severity::Ok);
        engine.stop();
    }

    // Observers see every poll and every severity change, outside the engine's lock.
    void observersSeePollsAndTransitions()
    {
        struct Recorder : EngineObserver
        {
            std::mutex mutex;
            int polls = 0;
            std::vector<Transition> changes;
            void pollFinished(const SourceHealth&, const PollResult&) override
            {
                std::lock_guard lock(mutex);
                ++polls;
            }
            void transitions(const std::vector<Transition>& c, const SnapshotPtr&) override
            {
                std::lock_guard lock(mutex);
                changes.insert(changes.end(), c.begin(), c.end());
            }
        };
        auto recorder = std::make_shared<Recorder>();
        auto src = script(QStringLiteral("src0"));
        src->value = 1.0;
        Engine engine(test::fakePipeline(1), {}, factory());
        engine.addObserver(recorder);
        QVERIFY(engine.start());
        QVERIFY(waitFor(engine, [](const Snapshot& s) { return s.overall == Severity::Ok; }));
        {
            std::lock_guard lock(src->mutex);
            src->value = 9.0; // ≥ crit 5
        }
        QVERIFY(waitFor(engine, [](const Snapshot& s) { return s.overall == Severity::Crit; }));
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                std::lock_guard lock(recorder->mutex);
                return std::any_of(recorder->changes.begin(), recorder->changes.end(), [](const Transition& t) {
                    return t.subject == Transition::Subject::Stage && t.from == Severity::Ok && t.to == Severity::Crit;
                });
            }(),
            3000);
        engine.stop();
        std::lock_guard lock(recorder->mutex);
        QVERIFY(recorder->polls >= 2);
        const auto signal = std::find_if(recorder->changes.begin(), recorder->changes.end(),
            [](const Transition& t) { return t.subject == Transition::Subject::Signal && t.to == Severity::Crit; });
        QVERIFY(signal != recorder->changes.end());
        QCOMPARE(signal->from, Severity::Ok);
        QCOMPARE(*signal->value, 9.0);
        QCOMPARE(signal->reason, QStringLiteral("9.00 s ≥ crit 5.00 s"));
    }

    void sourceCreationErrorIsReturned()
    {
        Engine engine(test::fakePipeline(1), {}, [](const SourceConfig&, const std::vector<SignalConfig>&) {
            return Result<std::unique_ptr<Source>>(fail(Error::Code::Config, QStringLiteral("unknown kind `fake`")));
        });
        auto started = engine.start();
        QVERIFY(!started);
        QCOMPARE(started.error().source, QStringLiteral("src0"));
        QVERIFY(!engine.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
