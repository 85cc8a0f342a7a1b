#include "replay/preflight.h"

#include <QTest>

using pw::KafkaAdmin;
using pw::ScopePartition;

namespace {

QStringList strings(std::initializer_list<const char*> items)
{
    QStringList out;
    for (const char* s : items)
        out << QString::fromUtf8(s);
    return out;
}

pw::PartitionTarget tgt(const char* topic, int32_t partition, int64_t offset)
{
    return {QString::fromLatin1(topic), partition, offset};
}

ScopePartition part(int32_t p, int64_t committed, int64_t low, int64_t high)
{
    ScopePartition s;
    s.topic = QStringLiteral("orders");
    s.partition = p;
    s.committed = committed;
    s.logStart = low;
    s.highWatermark = high;
    return s;
}

KafkaAdmin::GroupDescription emptyGroup()
{
    KafkaAdmin::GroupDescription g;
    g.groupId = QStringLiteral("billing");
    g.state = QStringLiteral("Empty");
    g.protocol = QString();
    return g;
}

pw::PreflightInputs inputs(std::vector<ScopePartition> parts)
{
    pw::PreflightInputs in;
    in.groupExists = true;
    in.group = emptyGroup();
    in.partitions = std::move(parts);
    return in;
}

pw::ReplayPlan plan(const std::vector<ScopePartition>& parts, const std::vector<pw::PartitionTarget>& targets)
{
    pw::ReplayPlanInputs in;
    in.group = QStringLiteral("billing");
    in.partitions = parts;
    in.targets = targets;
    return pw::buildReplayPlan(in);
}

QStringList verdicts(const pw::PreflightResult& r)
{
    QStringList out;
    for (const auto& c : r.checks)
        out << c.name + (c.passed ? QStringLiteral(":pass") : QStringLiteral(":FAIL"));
    return out;
}

} // namespace

class TestPreflight : public QObject
{
    Q_OBJECT

private slots:
    void allPass()
    {
        const std::vector parts {part(0, 80, 0, 100), part(1, 10, 0, 20)};
        const auto r = pw::runPreflight(inputs(parts), plan(parts, {tgt("orders", 0, 40), tgt("orders", 1, 10)}));
        QVERIFY(r.passed);
        QCOMPARE(verdicts(r),
            (strings({"group-exists:pass", "partitions-exist:pass", "log-start:pass", "not-no-op:pass",
                "consumer-stopped:pass"})));
        QCOMPARE(r.checks[3].sentence, QStringLiteral("1 partition(s) move"));
        QCOMPARE(r.checks[4].sentence, QStringLiteral("group billing is Empty: no consumer is in it"));
        QVERIFY(r.refusal().isEmpty());
    }

    void activeGroupListsItsMembers()
    {
        const std::vector parts {part(0, 80, 0, 100)};
        auto in = inputs(parts);
        in.group.state = QStringLiteral("Stable");
        in.group.members = {{QStringLiteral("m-1"), QStringLiteral("billing-a"), QStringLiteral("/10.0.0.5"), {}, {}},
            {QStringLiteral("m-2"), QStringLiteral("billing-b"), QStringLiteral("/10.0.0.6"), {}, {}}};
        const auto r = pw::runPreflight(in, plan(parts, {tgt("orders", 0, 40)}));
        QVERIFY(!r.passed);
        QCOMPARE(r.checks[4].name, QStringLiteral("consumer-stopped"));
        QVERIFY(!r.checks[4].passed);
        QCOMPARE(r.refusal(),
            QStringLiteral("group billing is Stable with 2 member(s): billing-a on /10.0.0.5, billing-b on /10.0.0.6 "
                           "— stop them first (a commit to a group with members is refused and they would overwrite "
                           "it)"));
    }

    void missingGroupAndPartitions()
    {
        auto gone = part(7, -1, -1, -1);
        gone.exists = false;
        ScopePartition topic;
        topic.topic = QStringLiteral("nope");
        topic.partition = -1;
        topic.exists = false;
        const std::vector parts {part(0, 80, 0, 100), gone, topic};
        auto in = inputs(parts);
        in.groupExists = false;
        in.group.state = QStringLiteral("Dead");
        const auto r = pw::runPreflight(in, plan(parts, {tgt("orders", 0, 40)}));
        QCOMPARE(verdicts(r),
            (strings({"group-exists:FAIL", "partitions-exist:FAIL", "log-start:pass", "not-no-op:pass",
                "consumer-stopped:pass"})));
        QCOMPARE(r.checks[0].sentence,
            QStringLiteral(
                "group billing does not exist on the cluster: check its name (pathwatch groups lists them)"));
        QCOMPARE(r.checks[1].sentence, QStringLiteral("2 do(es) not exist on the cluster: orders [7], topic nope"));
    }

    void belowLogStartRefusedOrClamped()
    {
        const std::vector parts {part(0, 80, 30, 100), part(1, 10, 0, 20)};
        const auto p = plan(parts, {tgt("orders", 0, 10), tgt("orders", 1, 0)});
        auto r = pw::runPreflight(inputs(parts), p);
        QVERIFY(!r.passed);
        QCOMPARE(r.checks[2].sentence,
            QStringLiteral("1 target(s) are below the log start, so 20 record(s) are already deleted by retention: "
                           "orders [0] target 10 < log start 30 — use --allow-clamp to start from the earliest offset "
                           "instead"));
        auto in = inputs(parts);
        in.allowClamp = true;
        r = pw::runPreflight(in, p);
        QVERIFY(r.passed);
        QCOMPARE(r.clampedRecordsLost, 20);
        QCOMPARE(r.plan.partitions[0].target, 30);
        QVERIFY(r.plan.hash != p.hash);
        QVERIFY(r.checks[2].sentence.contains(QStringLiteral("20 record(s) already deleted by retention will not be "
                                                             "replayed")));
    }

    void noOpRefused()
    {
        const std::vector parts {part(0, 80, 0, 100)};
        const auto r = pw::runPreflight(inputs(parts), plan(parts, {tgt("orders", 0, 80)}));
        QVERIFY(!r.passed);
        QCOMPARE(
            r.refusal(), QStringLiteral("nothing to do: every target equals the committed offset (1 partition(s))"));
    }

    void emptyScopeRefused()
    {
        const auto r = pw::runPreflight(inputs({}), plan({}, {}));
        QVERIFY(!r.passed);
        QCOMPARE(r.checks[1].name, QStringLiteral("partitions-exist"));
        QVERIFY(!r.checks[1].passed);
    }

    void flinkJob_data()
    {
        QTest::addColumn<QString>("state");
        QTest::addColumn<bool>("commits");
        QTest::addColumn<bool>("passed");
        QTest::addColumn<QString>("words");
        QTest::addRow("running") << QStringLiteral("RUNNING") << false << false << QStringLiteral("is RUNNING");
        QTest::addRow("stopped but committing")
            << QStringLiteral("FINISHED") << true << false << QStringLiteral("committing offsets in its last 3");
        QTest::addRow("stopped") << QStringLiteral("FINISHED") << false << true
                                 << QStringLiteral("committed nothing in the last 3");
        QTest::addRow("unknown") << QStringLiteral("") << false << false
                                 << QStringLiteral("is unknown (connection refused)");
    }

    void flinkJob()
    {
        QFETCH(QString, state);
        QFETCH(bool, commits);
        QFETCH(bool, passed);
        QFETCH(QString, words);
        const std::vector parts {part(0, 80, 0, 100)};
        auto in = inputs(parts);
        in.flink = pw::FlinkJobCheck {QStringLiteral("abc"), QStringLiteral("aggregate"), state,
            QStringLiteral("connection refused"), commits, 3};
        const auto r = pw::runPreflight(in, plan(parts, {tgt("orders", 0, 40)}));
        QCOMPARE(r.checks.back().name, QStringLiteral("flink-job-stopped"));
        QCOMPARE(r.checks.back().passed, passed);
        QCOMPARE(r.passed, passed);
        QVERIFY2(r.checks.back().sentence.contains(words), qPrintable(r.checks.back().sentence));
    }

    void groupExistence()
    {
        auto g = emptyGroup();
        QVERIFY(pw::groupExists(g, 0));
        g.state = QStringLiteral("Dead");
        QVERIFY(!pw::groupExists(g, 0));
        QVERIFY(pw::groupExists(g, 3));
    }
};

QTEST_GUILESS_MAIN(TestPreflight)
#include "tst_preflight.moc"
