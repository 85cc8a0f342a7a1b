// Embedded mode end to end: the demo pipeline watched by the engine through its generated config. A healthy demo
// is all OK; each drill drives the stage an SRE would look at over its limit, and turning it off recovers.
#include "demo/embeddedmode.h"
#include "engine/engine.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using pw::Severity;
using pw::demo::Drill;
using pw::demo::EmbeddedMode;

namespace {

const pw::StageState* stage(const pw::Snapshot& s, const QString& id)
{
    for (const auto& st : s.stages)
        if (st.stageId == id)
            return &st;
    return nullptr;
}

QString describe(const pw::SnapshotPtr& s)
{
    if (!s)
        return QStringLiteral("no snapshot");
    QStringList lines;
    for (const auto& st : s->stages)
        lines << QStringLiteral("%1: %2 %3").arg(st.stageId, pw::severityName(st.severity), st.reason);
    for (const auto& src : s->sources)
        if (!src.up)
            lines << QStringLiteral("source %1 down: %2").arg(src.sourceId, src.error);
    return lines.join(QLatin1Char('\n'));
}

} // namespace

class TestEmbeddedMode : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<EmbeddedMode> m_mode;
    std::unique_ptr<pw::Engine> m_engine;

    // Waits (processing events) until `accept` holds for the newest snapshot.
    template<class F>
    bool waitForSnapshot(F&& accept, int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            if (auto s = m_engine->latestSnapshot(); s && accept(*s))
                return true;
            QTest::qWait(250);
        }
        return false;
    }

    bool stageIs(const QString& id, Severity severity, int timeoutMs)
    {
        return waitForSnapshot(
            [&](const pw::Snapshot& s) {
                const pw::StageState* st = stage(s, id);
                return st && st->severity == severity;
            },
            timeoutMs);
    }

    bool allOk(int timeoutMs)
    {
        return waitForSnapshot([](const pw::Snapshot& s) { return s.overall == Severity::Ok; }, timeoutMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        pw::demo::DemoOptions options;
        options.brokerPort = 0;
        options.restPort = 0;
        options.metricsPort = 0;
        auto mode = EmbeddedMode::start(m_dir.filePath(QStringLiteral("embedded")), options);
        QVERIFY2(mode, qPrintable(mode ? QString() : mode.error().toString()));
        m_mode = std::move(*mode);
        m_engine = std::make_unique<pw::Engine>(m_mode->config());
        auto started = m_engine->start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
    }

    void cleanupTestCase()
    {
        if (m_engine)
            m_engine->stop();
        m_engine.reset();
        m_mode.reset();
    }

    void secondInstanceOnTheSameDirectoryIsRefused()
    {
        auto second = EmbeddedMode::start(m_mode->dataDir());
        QVERIFY(!second);
        QVERIFY2(
            second.error().message.contains(QStringLiteral("another Pathwatch")), qPrintable(second.error().message));
    }

    void healthyDemoIsAllOk()
    {
        QVERIFY2(allOk(90000), qPrintable(describe(m_engine->latestSnapshot())));
        const auto s = m_engine->latestSnapshot();
        QCOMPARE(s->sources.size(), std::size_t(4));
        for (const auto& src : s->sources)
            QVERIFY2(src.up, qPrintable(src.sourceId));
    }

    void stoppedJob()
    {
        m_mode->pipeline().setDrill(Drill::StopJob, true);
        QVERIFY2(stageIs(QStringLiteral("compute"), Severity::Crit, 30000),
            qPrintable(describe(m_engine->latestSnapshot())));
        const auto s = m_engine->latestSnapshot();
        bool cancelled = false;
        for (const auto& sig : s->signalStates)
            if (sig.name == QLatin1String("job_state"))
                cancelled = sig.hasValue && sig.value == 2.0;
        QVERIFY(cancelled);
        m_mode->pipeline().setDrill(Drill::StopJob, false);
        QVERIFY2(allOk(90000), qPrintable(describe(m_engine->latestSnapshot())));
    }

    void slowSink()
    {
        m_mode->pipeline().setDrill(Drill::SlowSink, true);
        QVERIFY2(
            stageIs(QStringLiteral("sink"), Severity::Crit, 60000), qPrintable(describe(m_engine->latestSnapshot())));
        m_mode->pipeline().setDrill(Drill::SlowSink, false);
    }

    void objectStoreErrors()
    {
        m_mode->pipeline().setDrill(Drill::ObjectStoreErrors, true);
        QVERIFY2(waitForSnapshot(
                     [](const pw::Snapshot& s) {
                         const pw::StageState* st = stage(s, QStringLiteral("storage"));
                         return st && (st->severity == Severity::Warn || st->severity == Severity::Crit);
                     },
                     60000),
            qPrintable(describe(m_engine->latestSnapshot())));
        m_mode->pipeline().setDrill(Drill::ObjectStoreErrors, false);
    }

    void pausedProducer()
    {
        m_mode->pipeline().setDrill(Drill::PauseProducer, true);
        // Data age passes its 30 s warning while the job keeps up with what little arrives: lag stays low.
        QVERIFY2(waitForSnapshot(
                     [](const pw::Snapshot& s) {
                         bool aged = false;
                         for (const auto& sig : s.signalStates)
                             if (sig.name == QLatin1String("data_age") && sig.severity != Severity::Ok)
                                 aged = true;
                         return aged;
                     },
                     60000),
            qPrintable(describe(m_engine->latestSnapshot())));
        m_mode->pipeline().setDrill(Drill::PauseProducer, false);
        // Everything recovers once every drill is off (the slow commits leave the 1 m latency window too).
        QVERIFY2(allOk(150000), qPrintable(describe(m_engine->latestSnapshot())));
    }
};

QTEST_GUILESS_MAIN(TestEmbeddedMode)
#include "tst_embeddedmode.moc"
