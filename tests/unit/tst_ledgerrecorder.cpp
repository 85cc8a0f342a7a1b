#include "engine/engine.h"
#include "fakesource.h"
#include "ledger/ledger.h"
#include "ledger/ledgerrecorder.h"
#include "waitfor.h"

#include <QTemporaryDir>
#include <QTest>

using namespace pw;
using pw::test::FakeSource;

class TestLedgerRecorder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void engineFeedsTheLedger()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto opened = Ledger::open(dir.path());
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().toString()));
        std::shared_ptr<Ledger> ledger = std::move(*opened);

        auto script = std::make_shared<FakeSource::Script>();
        script->value = 1.0; // below warn 2: OK
        script->clusterId = QStringLiteral("cluster-x");
        script->offsets = {OffsetObservation {QStringLiteral("orders"), QStringLiteral("events"), 0, 40, 50, 3, 0},
            OffsetObservation {QStringLiteral("orders"), QStringLiteral("events"), 1, 7, 9, 0, 0}};
        Engine engine(test::fakePipeline(1), {},
            [script](const SourceConfig& c, const std::vector<SignalConfig>& s) -> Result<std::unique_ptr<Source>> {
                return std::make_unique<FakeSource>(c, s, script);
            });
        engine.addObserver(std::make_shared<LedgerRecorder>(ledger));
        QVERIFY(engine.start());

        auto offsetsLanded = [&] {
            ledger->flush();
            auto rows = ledger->committedOffsetsAt(QStringLiteral("src0"), QStringLiteral("orders"), nowMs());
            return rows && rows->size() == 2;
        };
        QVERIFY(test::waitFor(offsetsLanded, 10000));
        auto rows = ledger->committedOffsetsAt(QStringLiteral("src0"), QStringLiteral("orders"), nowMs());
        QVERIFY(rows);
        QCOMPARE((*rows)[0].clusterId, QStringLiteral("cluster-x"));
        QCOMPARE((*rows)[0].sourceId, QStringLiteral("src0"));
        QCOMPARE((*rows)[0].committedOffset, int64_t(40));
        QCOMPARE((*rows)[0].highWatermark, int64_t(50));
        QCOMPARE((*rows)[0].logStartOffset, int64_t(3));
        QCOMPARE((*rows)[1].committedOffset, int64_t(7));

        // A snapshot with the stage OK is published (polls may run ahead of publishing).
        auto stageOk = [&] {
            ledger->flush();
            auto changes = ledger->transitions(0, nowMs() + 1000);
            return changes && std::any_of(changes->begin(), changes->end(), [](const Transition& t) {
                return t.subject == Transition::Subject::Stage && t.to == Severity::Ok;
            });
        };
        QVERIFY(test::waitFor(stageOk, 10000));

        // The stage goes CRIT: the transition is recorded and opens an incident; back to OK closes it.
        {
            std::lock_guard lock(script->mutex);
            script->value = 6.0;
        }
        auto incidentOpen = [&] {
            ledger->flush();
            auto open = ledger->newestOpenIncident({QStringLiteral("source_log")});
            return open && open->has_value() && (*open)->worst == Severity::Crit;
        };
        QVERIFY(test::waitFor(incidentOpen, 10000));
        {
            std::lock_guard lock(script->mutex);
            script->value = 1.0;
        }
        auto incidentClosed = [&] {
            ledger->flush();
            auto all = ledger->incidents(0, nowMs() + 1000);
            return all && all->size() == 1 && all->front().endMs > 0;
        };
        QVERIFY(test::waitFor(incidentClosed, 10000));
        engine.stop();
        ledger->flush();

        auto changes = ledger->transitions(0, nowMs() + 1000);
        QVERIFY(changes);
        QStringList stage;
        for (const Transition& t : *changes)
            if (t.subject == Transition::Subject::Stage)
                stage << severityName(t.from) + QStringLiteral("->") + severityName(t.to);
        QCOMPARE(stage,
            QStringList({QStringLiteral("UNKNOWN->OK"), QStringLiteral("OK->CRIT"), QStringLiteral("CRIT->OK")}));
        QVERIFY(ledger->degradedReason().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLedgerRecorder)
#include "tst_ledgerrecorder.moc"
