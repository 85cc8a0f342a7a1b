#include "eval/lagevaluator.h"
#include "presentation/format.h"
#include "presentation/snapshotjson.h"
#include "presentation/statusreport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace pw;

namespace {

Snapshot sampleSnapshot()
{
    Snapshot s;
    s.pipelineName = QStringLiteral("marts");
    s.takenMs = 1'700'000'000'000;
    s.overall = Severity::Crit;
    StageState compute;
    compute.stageId = QStringLiteral("compute");
    compute.title = QStringLiteral("Compute");
    compute.severity = Severity::Ok;
    compute.dataAgeSeconds = 3;
    StageState sink;
    sink.stageId = QStringLiteral("sink");
    sink.title = QStringLiteral("Sink");
    sink.severity = Severity::Crit;
    sink.reason = QStringLiteral("7.20 s ≥ crit 5.00 s");
    sink.dataAgeSeconds = 600;
    SignalState age;
    age.signalId = QStringLiteral("compute/checkpoint_age");
    age.stageId = QStringLiteral("compute");
    age.name = QStringLiteral("checkpoint_age");
    age.kind = SignalKind::CheckpointAge;
    age.unit = QStringLiteral("s");
    age.labels = {{QStringLiteral("job"), QStringLiteral("agg")}};
    age.sourceId = QStringLiteral("flink");
    age.hasValue = true;
    age.value = 3;
    age.valueTimestampMs = s.takenMs - 2000;
    age.severity = Severity::Ok;
    SignalState p99 = age;
    p99.signalId = QStringLiteral("sink/p99");
    p99.stageId = QStringLiteral("sink");
    p99.name = QStringLiteral("p99");
    p99.kind = SignalKind::SinkCommitLatency;
    p99.labels.clear();
    p99.value = 7.2;
    p99.severity = Severity::Crit;
    p99.reason = sink.reason;
    SignalState p50 = p99;
    p50.signalId = QStringLiteral("sink/p50");
    p50.name = QStringLiteral("p50");
    p50.hasValue = false;
    p50.severity = Severity::Unknown;
    p50.reason = QStringLiteral("no data in the window (NaN)");
    s.signalStates = {age, p99, p50};
    compute.signalIndexes = {0};
    sink.signalIndexes = {1, 2};
    s.stages = {compute, sink};
    s.dataStopStageId = QStringLiteral("sink");
    s.dataStopAfterStageId = QStringLiteral("compute");
    SourceHealth flink;
    flink.sourceId = QStringLiteral("flink");
    flink.kind = QStringLiteral("flink");
    flink.endpoint = QStringLiteral("http://127.0.0.1:8081");
    flink.up = true;
    flink.severity = Severity::Ok;
    flink.polls = 12;
    flink.lastSuccessMs = s.takenMs - 1000;
    s.sources = {flink};
    return s;
}

} // namespace

class TestPresentation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void thresholdReasons()
    {
        ThresholdBreach b;
        b.level = Severity::Warn;
        b.value = 0.0125;
        b.limit = 0.01;
        QCOMPARE(thresholdReason(b, QStringLiteral("ratio")), QStringLiteral("1.25 % ≥ warn 1.00 %"));
        b.direction = Thresholds::Direction::LowerIsWorse;
        b.level = Severity::Crit;
        b.value = 1800;
        b.limit = 3600;
        QCOMPARE(thresholdReason(b, QStringLiteral("s")), QStringLiteral("30.0 min ≤ crit 60.0 min"));
        b.level = Severity::Ok;
        QVERIFY(thresholdReason(b, QStringLiteral("s")).isEmpty());
    }

    // A count of exactly one reads singular; everything else, and every rate or abbreviation, is left as written.
    void countUnits_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("unit");
        QTest::addColumn<bool>("shortForm");
        QTest::addColumn<QString>("expected");
        const auto row = [](const char* name, double v, const char* unit, bool shortForm, const char* expected) {
            QTest::newRow(name) << v << QString::fromUtf8(unit) << shortForm << QString::fromUtf8(expected);
        };
        row("one message", 1, "messages", false, "1 message");
        row("one record", 1, "records", false, "1 record");
        row("one error", 1, "errors", false, "1 error");
        row("one partition", 1, "partitions", false, "1 partition");
        row("one group", 1, "groups", false, "1 group");
        row("one window", 1, "windows", false, "1 window");
        row("one entry", 1, "entries", false, "1 entry");
        row("one batch", 1, "batches", false, "1 batch");
        row("one message, short", 1, "messages", true, "1 message");
        row("zero messages", 0, "messages", false, "0 messages");
        row("two messages", 2, "messages", false, "2 messages");
        row("minus one", -1, "messages", false, "-1 messages");
        row("one and a half", 1.5, "messages", false, "1.5 messages");
        row("thousands", 12345, "messages", false, "12,345 messages");
        row("short millions", 123456789, "messages", true, "123 M messages");
        row("rate stays", 1, "messages/s", false, "1 messages/s");
        row("error rate stays", 1, "errors/s", false, "1 errors/s");
        row("seconds", 1.5, "s", false, "1.50 s");
        row("one second", 1, "s", false, "1.00 s");
        row("abbreviation", 1, "ms", false, "1 ms");
        row("short abbreviation", 1, "ops", false, "1 ops");
        row("not a plural", 1, "status", false, "1 status");
        row("two words", 1, "late windows", false, "1 late windows");
        row("no unit", 1, "", false, "1");
        row("job state", 1, "state", false, "(re)starting");
    }
    void countUnits()
    {
        QFETCH(double, value);
        QFETCH(QString, unit);
        QFETCH(bool, shortForm);
        QFETCH(QString, expected);
        QCOMPARE(shortForm ? formatValueShort(value, unit) : formatValue(value, unit), expected);
    }

    void lagOfOneRecordIsSingular()
    {
        GroupLag group;
        group.verdict = LagVerdict::Lagging;
        group.totalLag = 1;
        PartitionLag p;
        p.topic = QStringLiteral("events");
        p.partition = 3;
        p.lag = 1;
        p.verdict = LagVerdict::Stopped;
        group.partitions = {p};
        group.worstPartition = 0;
        const QString reason = lagVerdictReason(group);
        QVERIFY2(reason.startsWith(QStringLiteral("STOPPED on events[3]: lag 1 record,")), qPrintable(reason));
        QCOMPARE(lagGroupColumns(group, 0).at(4), QStringLiteral("1 record"));
    }

    void degradedSentence()
    {
        QVERIFY(pw::degradedSentence({}, 0).isEmpty());
        const qint64 now = 1'700'000'240'000;
        const std::vector<DegradedPart> parts {
            {QStringLiteral("ledger"), QStringLiteral("database or disk is full"), now - 240'000},
            {QStringLiteral("history"), QStringLiteral("No space left on device"), now},
        };
        QCOMPARE(pw::degradedSentence(parts, now),
            QStringLiteral(
                "DEGRADED — recovery ledger not written for 4.0 min: database or disk is full; saved history "
                "not written: No space left on device; monitoring goes on"));
        Snapshot s = sampleSnapshot();
        s.degraded = {parts[0]};
        QVERIFY(statusReport(s, QStringLiteral("instance"))
                    .contains(QStringLiteral("Degraded: the recovery ledger is not being written (monitoring goes on): "
                                             "database or disk is full")));
    }

    void formatAgo()
    {
        QCOMPARE(pw::formatAgo(0, 5000), QStringLiteral("never"));
        QCOMPARE(pw::formatAgo(1000, 13000), QStringLiteral("12.0 s ago"));
    }

    void dataStopSentenceFromStructuredData()
    {
        const Snapshot s = sampleSnapshot();
        QCOMPARE(dataStopSentence(s),
            QStringLiteral(
                "data stops moving between Compute and Sink: newest data 10.0 min old there, 3.00 s before it"));
        Snapshot moving = s;
        moving.dataStopStageId.clear();
        QVERIFY(dataStopSentence(moving).isEmpty());
    }

    // What `status --json` prints and the control socket carries: documented fields, and back again unchanged.
    void jsonRoundTrip()
    {
        const Snapshot s = sampleSnapshot();
        const QJsonObject json = snapshotToJson(s, QStringLiteral("instance"));
        QCOMPARE(json.value(QStringLiteral("schema")).toString(), QStringLiteral("pathwatch.status/1"));
        QCOMPARE(json.value(QStringLiteral("origin")).toString(), QStringLiteral("instance"));
        QCOMPARE(json.value(QStringLiteral("status")).toString(), QStringLiteral("CRIT"));
        QCOMPARE(json.value(QStringLiteral("exit_code")).toInt(), 2);
        QCOMPARE(json.value(QStringLiteral("taken")).toString(), QStringLiteral("2023-11-14T22:13:20.000Z"));
        const QJsonObject stop = json.value(QStringLiteral("data_stops_moving")).toObject();
        QCOMPARE(stop.value(QStringLiteral("stage")).toString(), QStringLiteral("sink"));
        QCOMPARE(stop.value(QStringLiteral("after")).toString(), QStringLiteral("compute"));
        const QJsonArray signalArray = json.value(QStringLiteral("signals")).toArray();
        QCOMPARE(signalArray.size(), 3);
        QCOMPARE(signalArray[1].toObject().value(QStringLiteral("value_text")).toString(), QStringLiteral("7.20 s"));
        QVERIFY(signalArray[2].toObject().value(QStringLiteral("value")).isNull());
        QCOMPARE(json.value(QStringLiteral("unjudged")).toArray().first().toString(),
            QStringLiteral("sink/p50: no data in the window (NaN)"));
        QCOMPARE(json.value(QStringLiteral("state")).toString(), QStringLiteral("ok"));
        QCOMPARE(json.value(QStringLiteral("degraded")).toArray().size(), 0);

        // The instance's storage that cannot be written comes with the document and back.
        Snapshot degradedSnapshot = s;
        degradedSnapshot.degraded.push_back(
            {QStringLiteral("ledger"), QStringLiteral("database or disk is full"), 1700000000000});
        const QJsonObject degradedJson = snapshotToJson(degradedSnapshot, QStringLiteral("instance"));
        QCOMPARE(degradedJson.value(QStringLiteral("state")).toString(), QStringLiteral("degraded"));
        const auto degradedBack = snapshotFromJson(degradedJson);
        QVERIFY(degradedBack);
        QCOMPARE((*degradedBack)->degraded.size(), size_t(1));
        QCOMPARE((*degradedBack)->degraded[0].part, QStringLiteral("ledger"));
        QCOMPARE((*degradedBack)->degraded[0].reason, QStringLiteral("database or disk is full"));
        QCOMPARE((*degradedBack)->degraded[0].sinceMs, qint64(1700000000000));

        auto back = snapshotFromJson(QJsonDocument::fromJson(QJsonDocument(json).toJson()).object());
        QVERIFY2(back, qPrintable(back ? QString() : back.error().message));
        const Snapshot& r = **back;
        QCOMPARE(r.overall, s.overall);
        QCOMPARE(r.pipelineName, s.pipelineName);
        QCOMPARE(r.takenMs, s.takenMs);
        QCOMPARE(r.stages.size(), s.stages.size());
        QCOMPARE(r.stages[1].signalIndexes, s.stages[1].signalIndexes);
        QCOMPARE(*r.stages[1].dataAgeSeconds, 600.0);
        QCOMPARE(r.signalStates[0].labels, s.signalStates[0].labels);
        QCOMPARE(r.signalStates[1].value, 7.2);
        QVERIFY(!r.signalStates[2].hasValue);
        QCOMPARE(r.sources[0].polls, quint64(12));
        QCOMPARE(dataStopSentence(r), dataStopSentence(s));
        QCOMPARE(statusReport(r, QStringLiteral("x")), statusReport(s, QStringLiteral("x")));
    }

    void rejectsWhatIsNotAStatus()
    {
        QVERIFY(!snapshotFromJson(QJsonObject {{QStringLiteral("schema"), QStringLiteral("other")}}));
        QJsonObject bad = snapshotToJson(sampleSnapshot(), QStringLiteral("x"));
        bad[QStringLiteral("status")] = QStringLiteral("PURPLE");
        auto parsed = snapshotFromJson(bad);
        QVERIFY(!parsed);
        QVERIFY(parsed.error().message.contains(QStringLiteral("not a status")));
    }

    void statusReportSaysWhereAndWhatCouldNotBeJudged()
    {
        const QString text = statusReport(sampleSnapshot(), QStringLiteral("instance"));
        QVERIFY2(text.startsWith(QStringLiteral("Pipeline marts — CRIT at ")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("(instance)")));
        QVERIFY(text.contains(QStringLiteral("Where: data stops moving between Compute and Sink")));
        QVERIFY(text.contains(QStringLiteral("Could not judge 1 signal:\n  sink/p50: no data in the window (NaN)")));
        QVERIFY(text.contains(QStringLiteral("flink   flink  http://127.0.0.1:8081  UP")));
    }

    void consumerGroupsInStatusAndJson()
    {
        Snapshot s;
        s.pipelineName = QStringLiteral("orders");
        s.takenMs = 1'700'000'000'000;
        s.overall = Severity::Crit;
        SourceHealth h;
        h.sourceId = QStringLiteral("kafka-main");
        h.kind = QStringLiteral("kafka");
        h.up = true;
        h.severity = Severity::Ok;
        s.sources.push_back(h);
        auto report = std::make_shared<LagReport>();
        report->sourceId = h.sourceId;
        GroupLag stopped;
        stopped.group = QStringLiteral("billing");
        stopped.observedMs = s.takenMs;
        PartitionLag p;
        p.topic = QStringLiteral("events");
        p.partition = 3;
        p.committedOffset = 100;
        p.highWatermark = 1300;
        p.lag = 1200;
        p.timeLagSeconds = 240.0;
        p.timeLagBasis = TimeLagBasis::WatermarkHistory;
        p.verdict = LagVerdict::Stopped;
        p.produceRate = 120;
        stopped.partitions = {p};
        LagEvaluator::summarizeGroup(stopped);
        GroupLag fine;
        fine.group = QStringLiteral("search");
        fine.observedMs = s.takenMs;
        p.lag = 0;
        p.committedOffset = 1300;
        p.timeLagSeconds = 0.0;
        p.timeLagBasis = TimeLagBasis::CaughtUp;
        p.verdict = LagVerdict::Ok;
        fine.partitions = {p};
        LagEvaluator::summarizeGroup(fine);
        report->groups = {stopped, fine};
        s.consumerLag.push_back(report);

        const QString text = statusReport(s, QStringLiteral("instance"));
        QVERIFY2(text.contains(QStringLiteral("billing  STOPPED")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("4.0 min (watermark history)")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("falling behind at 120 records/s")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("search")), qPrintable(text));
        const QString onlyBilling
            = statusReport(s, QStringLiteral("instance"), QRegularExpression(QStringLiteral("^bill")));
        QVERIFY(onlyBilling.contains(QStringLiteral("billing")));
        QVERIFY(!onlyBilling.contains(QStringLiteral("search")));

        const QJsonObject json = snapshotToJson(s, QStringLiteral("instance"));
        const auto back = snapshotFromJson(json);
        QVERIFY(back);
        QCOMPARE((*back)->consumerLag.size(), size_t(1));
        const GroupLag& g = (*back)->consumerLag.front()->groups.front();
        QCOMPARE(g.group, QStringLiteral("billing"));
        QCOMPARE(g.verdict, LagVerdict::Stopped);
        QCOMPARE(g.severity, Severity::Crit);
        QCOMPARE(g.totalLag, int64_t(1200));
        QCOMPARE(g.maxTimeLagSeconds.value_or(-1), 240.0);
        QCOMPARE(g.fallingBehindRate, 120.0);
        QCOMPARE(g.partitions.front().partition, 3);
        QCOMPARE(statusReport(**back, QStringLiteral("instance")), text);
    }
};

QTEST_GUILESS_MAIN(TestPresentation)
#include "tst_presentation.moc"
