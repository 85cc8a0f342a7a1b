// The window fed by a real Engine: it keeps updating from Snapshots while one source hangs, and no source is ever
// polled on the GUI thread.
#include "engine/engine.h"
#include "fakesource.h"
#include "mainwindow.h"
#include "presentation/format.h"
#include "stagetile.h"

#include <QApplication>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

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
