#include "replay/replayplan.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QTest>

using pw::ScopePartition;

namespace {

QStringList strings(std::initializer_list<const char*> items)
{
    QStringList out;
    for (const char* s : items)
        out << QString::fromUtf8(s);
    return out;
}

ScopePartition part(const char* topic, int32_t p, int64_t committed, int64_t low, int64_t high)
{
    ScopePartition s;
    s.topic = QString::fromLatin1(topic);
    s.partition = p;
    s.committed = committed;
    s.logStart = low;
    s.highWatermark = high;
    return s;
}

pw::ReplayPlanInputs inputs(std::optional<double> rate)
{
    pw::ReplayPlanInputs in;
    in.group = QStringLiteral("billing");
    in.target = QStringLiteral("--to-offset 40");
    in.partitions = {part("orders", 1, 100, 50, 120), part("orders", 0, 80, 0, 100), part("audit", 0, -1, 0, 10),
        part("orders", 2, 30, 0, 60)};
    in.targets = {{QStringLiteral("orders"), 0, 40}, {QStringLiteral("orders"), 1, 40}, {QStringLiteral("audit"), 0, 4},
        {QStringLiteral("orders"), 2, 45}};
    in.consumeRate = rate;
    return in;
}

} // namespace

class TestReplayPlan : public QObject
{
    Q_OBJECT

private slots:
    void countsPerPartition()
    {
        const pw::ReplayPlan plan = pw::buildReplayPlan(inputs(std::nullopt));
        QCOMPARE(plan.partitions.size(), size_t(4));
        // Sorted by topic, then partition.
        QCOMPARE(plan.partitions[0].topic, QStringLiteral("audit"));
        QCOMPARE(plan.partitions[1].partition, 0);
        QCOMPARE(plan.partitions[3].partition, 2);

        const auto& audit = plan.partitions[0]; // nothing committed: nothing replayed, 6 to catch up
        QCOMPARE(audit.recordsToReplay, 0);
        QCOMPARE(audit.recordsToCatchUp, 6);
        const auto& o0 = plan.partitions[1]; // 80 -> 40: 40 read again
        QCOMPARE(o0.committed, 80);
        QCOMPARE(o0.target, 40);
        QCOMPARE(o0.recordsToReplay, 40);
        QCOMPARE(o0.recordsLost, 0);
        QCOMPARE(o0.recordsToCatchUp, 60);
        const auto& o1 = plan.partitions[2]; // 100 -> 40 with log start 50: 10 lost, 50 replayed
        QCOMPARE(o1.recordsLost, 10);
        QCOMPARE(o1.recordsToReplay, 50);
        QCOMPARE(o1.recordsToCatchUp, 70);
        const auto& o2 = plan.partitions[3]; // forward 30 -> 45: 15 skipped
        QCOMPARE(o2.recordsToReplay, 0);
        QCOMPARE(o2.recordsToSkip, 15);
        QCOMPARE(plan.totalToReplay, 90);
        QCOMPARE(plan.totalToSkip, 15);
        QCOMPARE(plan.totalLost, 10);
        QCOMPARE(plan.totalToCatchUp, 6 + 60 + 70 + 15);
        QVERIFY(!plan.etaSeconds);
        QVERIFY(!o0.etaSeconds);
        QCOMPARE(pw::formatEta(plan.etaSeconds), QStringLiteral("unknown"));
        QVERIFY(!plan.isNoOp());
    }

    void etaFromTheRate()
    {
        const pw::ReplayPlan plan = pw::buildReplayPlan(inputs(20.0));
        QCOMPARE(*plan.etaSeconds, 151.0 / 20.0);
        // Four partitions share 20 records/s: 5 each.
        QCOMPARE(*plan.partitions[1].etaSeconds, 60.0 / 5.0);
        QCOMPARE(pw::formatEta(plan.partitions[1].etaSeconds), QStringLiteral("12 s"));
        QCOMPARE(pw::formatEta(200.0), QStringLiteral("3 min 20 s"));
        QCOMPARE(pw::formatEta(3900.0), QStringLiteral("1 h 05 min"));
    }

    void hashIsStableAndCanonical()
    {
        const pw::ReplayPlan a = pw::buildReplayPlan(inputs(std::nullopt));
        auto reordered = inputs(99.0); // the rate is not part of the plan's identity
        std::reverse(reordered.targets.begin(), reordered.targets.end());
        const pw::ReplayPlan b = pw::buildReplayPlan(reordered);
        QCOMPARE(a.hash, b.hash);
        QCOMPARE(pw::canonicalPlanText(a),
            QByteArray("billing\naudit,0,-1,4\norders,0,80,40\norders,1,100,40\norders,2,30,45\n"));
        QCOMPARE(a.hash,
            QString::fromLatin1(
                QCryptographicHash::hash(pw::canonicalPlanText(a), QCryptographicHash::Sha256).toHex()));
        auto other = inputs(std::nullopt);
        other.targets[0].offset = 41;
        QVERIFY(pw::buildReplayPlan(other).hash != a.hash);
    }

    void clampRaisesTargetsAndKeepsTheLoss()
    {
        const pw::ReplayPlan clamped = pw::clampedToLogStart(pw::buildReplayPlan(inputs(std::nullopt)));
        const auto& o1 = clamped.partitions[2];
        QCOMPARE(o1.target, 50);
        QCOMPARE(o1.recordsLost, 10);
        QCOMPARE(o1.recordsToReplay, 50);
        QCOMPARE(clamped.totalLost, 10);
        QCOMPARE(clamped.partitions[1].target, 40);
    }

    void noOpAndMissingPartitions()
    {
        pw::ReplayPlanInputs in;
        in.group = QStringLiteral("g");
        in.partitions = {part("t", 0, 5, 0, 9)};
        auto gone = part("t", 1, -1, -1, -1);
        gone.exists = false;
        in.partitions.push_back(gone);
        in.targets = {{QStringLiteral("t"), 0, 5}, {QStringLiteral("t"), 1, 3}};
        const pw::ReplayPlan plan = pw::buildReplayPlan(in);
        QCOMPARE(plan.partitions.size(), size_t(1));
        QVERIFY(plan.isNoOp());
    }

    void tableAndJson()
    {
        const pw::ReplayPlan plan = pw::buildReplayPlan(inputs(20.0));
        const auto rows = pw::planTableRows(plan);
        QCOMPARE(rows.size(), 6);
        QCOMPARE(rows[0], (strings({"TOPIC", "PARTITION", "NOW", "TARGET", "RECORDS", "LOST TO RETENTION", "ETA"})));
        QCOMPARE(rows[1], (strings({"audit", "0", "—", "4", "0", "0", "2 s"})));
        QCOMPARE(rows[4], (strings({"orders", "2", "30", "45", "skip 15", "0", "3 s"})));
        QCOMPARE(rows[5], (strings({"TOTAL", "4", "", "", "90", "10", "8 s"})));
        const QJsonObject json = plan.toJson();
        QCOMPARE(json.value(QStringLiteral("total_to_replay")).toInteger(), 90);
        QCOMPARE(json.value(QStringLiteral("hash")).toString(), plan.hash);
        QCOMPARE(json.value(QStringLiteral("partitions")).toArray().size(), 4);
    }
};

QTEST_GUILESS_MAIN(TestReplayPlan)
#include "tst_replayplan.moc"
