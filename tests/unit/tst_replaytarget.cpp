#include "replay/replaytarget.h"

#include <QDateTime>
#include <QTemporaryDir>
#include <QTest>

using pw::ReplayTarget;
using pw::ReplayTargetOptions;
using pw::ScopePartition;

namespace {

// 2026-12-07T06:00:00Z
constexpr qint64 kNow = 1796623200000;

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

} // namespace

class TestReplayTarget : public QObject
{
    Q_OBJECT

private slots:
    void nowIsWhatTheTestsAssume()
    {
        QCOMPARE(QDateTime::fromString(QStringLiteral("2026-12-07T06:00:00Z"), Qt::ISODate).toMSecsSinceEpoch(), kNow);
    }

    void times_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("expected");
        QTest::addRow("utc") << QStringLiteral("2026-12-07T05:00:00Z") << kNow - 3600000;
        QTest::addRow("offset") << QStringLiteral("2026-12-07T06:30:00+01:00") << kNow - 1800000;
        QTest::addRow("millis") << QStringLiteral("2026-12-07T05:59:59.250Z") << kNow - 750;
        QTest::addRow("micros") << QStringLiteral("2026-12-07T05:59:59.250999Z") << kNow - 750;
        QTest::addRow("space, lower z") << QStringLiteral("2026-12-07 05:00:00z") << kNow - 3600000;
        QTest::addRow("-30m") << QStringLiteral("-30m") << kNow - 1800000;
        QTest::addRow("-90s") << QStringLiteral("-90s") << kNow - 90000;
        QTest::addRow("-1h30m") << QStringLiteral("-1h30m") << kNow - 5400000;
        QTest::addRow("-2d") << QStringLiteral("-2d") << kNow - 2 * 86400000LL;
        QTest::addRow("now exactly") << QStringLiteral("2026-12-07T06:00:00Z") << kNow;
    }

    void times()
    {
        QFETCH(QString, text);
        QFETCH(qint64, expected);
        auto at = pw::parseReplayTime(text, kNow);
        QVERIFY2(at, qPrintable(at ? QString() : at.error().toString()));
        QCOMPARE(*at, expected);
    }

    void badTimes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("words");
        QTest::addRow("future") << QStringLiteral("2026-12-07T06:00:01Z") << QStringLiteral("in the future");
        QTest::addRow("future offset") << QStringLiteral("2026-12-07T07:30:00+01:00")
                                       << QStringLiteral("in the future");
        QTest::addRow("positive relative") << QStringLiteral("+30m") << QStringLiteral("not a time");
        QTest::addRow("no zone") << QStringLiteral("2026-12-07T05:00:00") << QStringLiteral("not a time");
        QTest::addRow("garbage") << QStringLiteral("yesterday") << QStringLiteral("not a time");
        QTest::addRow("bad date") << QStringLiteral("2026-02-30T05:00:00Z") << QStringLiteral("not a valid date");
        QTest::addRow("unit") << QStringLiteral("-30w") << QStringLiteral("not a time");
    }

    void badTimes()
    {
        QFETCH(QString, text);
        QFETCH(QString, words);
        auto at = pw::parseReplayTime(text, kNow);
        QVERIFY(!at);
        QCOMPARE(at.error().code, pw::Error::Code::Config);
        QVERIFY2(at.error().message.contains(words), qPrintable(at.error().message));
    }

    void targets()
    {
        ReplayTargetOptions o;
        o.toDatetime = QStringLiteral("-30m");
        auto t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::Datetime);
        QCOMPARE(t->timeMs, kNow - 1800000);
        QCOMPARE(t->text, QStringLiteral("--to-datetime -30m"));

        o = {};
        o.toPositionAt = QStringLiteral("2026-12-07T05:00:00Z");
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::PositionAt);
        QCOMPARE(t->timeMs, kNow - 3600000);
        QVERIFY(t->needsLedger());

        o = {};
        o.toLastTrusted = true;
        o.incident = QStringLiteral("3");
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::LastTrusted);
        QCOMPARE(t->incidentId, 3);
        QCOMPARE(t->text, QStringLiteral("--to-last-trusted --incident 3"));

        o = {};
        o.toCheckpoint = true;
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::Checkpoint);
        QCOMPARE(t->checkpointId, 0);
        o.checkpointId = QStringLiteral("17");
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->checkpointId, 17);

        o = {};
        o.shiftBy = QStringLiteral("-100");
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::ShiftBy);
        QCOMPARE(t->value, -100);
        o.shiftBy = QStringLiteral("+5");
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->value, 5);

        o = {};
        o.toOffset = QStringLiteral("12");
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::Offset);
        QCOMPARE(t->value, 12);

        o = {};
        o.toEarliest = true;
        QCOMPARE(pw::parseReplayTarget(o, kNow)->kind, ReplayTarget::Kind::Earliest);
        o = {};
        o.toLatest = true;
        QCOMPARE(pw::parseReplayTarget(o, kNow)->kind, ReplayTarget::Kind::Latest);

        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("x.csv"));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("orders,1,5\n");
        f.close();
        o = {};
        o.fromFile = csv;
        t = pw::parseReplayTarget(o, kNow);
        QVERIFY(t);
        QCOMPARE(t->kind, ReplayTarget::Kind::FromFile);
        QCOMPARE(t->fileRows.size(), size_t(1));
    }

    void badTargets_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("words");
        QTest::addRow("none") << 0 << QStringLiteral("no target");
        QTest::addRow("two") << 1 << QStringLiteral("more than one target (--to-earliest, --to-latest)");
        QTest::addRow("incident alone") << 2 << QStringLiteral("--incident only goes with --to-last-trusted");
        QTest::addRow("bad shift") << 3 << QStringLiteral("--shift-by \"ten\" is not an integer");
        QTest::addRow("negative offset") << 4 << QStringLiteral("--to-offset \"-1\" is not a non-negative integer");
        QTest::addRow("bad incident") << 5 << QStringLiteral("the incident id \"0\" is not a positive integer");
        QTest::addRow("future position") << 6 << QStringLiteral("in the future");
        QTest::addRow("missing file") << 7 << QStringLiteral("cannot read");
    }

    void badTargets()
    {
        QFETCH(int, which);
        QFETCH(QString, words);
        ReplayTargetOptions o;
        switch (which) {
        case 1:
            o.toEarliest = o.toLatest = true;
            break;
        case 2:
            o.toLatest = true;
            o.incident = QStringLiteral("1");
            break;
        case 3:
            o.shiftBy = QStringLiteral("ten");
            break;
        case 4:
            o.toOffset = QStringLiteral("-1");
            break;
        case 5:
            o.toLastTrusted = true;
            o.incident = QStringLiteral("0");
            break;
        case 6:
            o.toPositionAt = QStringLiteral("2027-01-01T00:00:00Z");
            break;
        case 7:
            o.fromFile = QStringLiteral("/nonexistent/offsets.csv");
            break;
        default:
            break;
        }
        auto t = pw::parseReplayTarget(o, kNow);
        QVERIFY(!t);
        QVERIFY2(t.error().message.contains(words), qPrintable(t.error().message));
    }

    void scope()
    {
        auto s = pw::parseReplayScope({QStringLiteral("orders:2,0,2"), QStringLiteral("payments")});
        QVERIFY(s);
        QCOMPARE(s->topics.size(), size_t(2));
        QCOMPARE(s->topics[0].partitions, (std::vector<int32_t> {0, 2}));
        QVERIFY(s->contains(QStringLiteral("orders"), 2));
        QVERIFY(!s->contains(QStringLiteral("orders"), 1));
        QVERIFY(s->contains(QStringLiteral("payments"), 7));
        QVERIFY(!s->contains(QStringLiteral("other"), 0));
        QVERIFY(!pw::parseReplayScope({QStringLiteral("orders:x")}));
        QVERIFY(!pw::parseReplayScope({QStringLiteral("a"), QStringLiteral("a:1")}));
        QVERIFY(!pw::parseReplayScope({QStringLiteral("bad topic")}));
        QVERIFY(pw::parseReplayScope({})->wholeGroup());
    }

    void scopePartitions()
    {
        const std::vector<pw::KafkaAdmin::PartitionOffset> committed {
            {QStringLiteral("orders"), 0, 10, {}}, {QStringLiteral("orders"), 1, 20, {}}};
        const std::vector<pw::KafkaAdmin::TopicInfo> topics {{QStringLiteral("orders"), 3}, {QStringLiteral("x"), 1}};
        ReplayTarget latest;
        auto whole = pw::scopePartitions({}, latest, committed, topics);
        QCOMPARE(whole.size(), size_t(2));
        QCOMPARE(whole[1].committed, 20);

        auto scoped = pw::scopePartitions(*pw::parseReplayScope({QStringLiteral("orders")}), latest, committed, topics);
        QCOMPARE(scoped.size(), size_t(3));
        QCOMPARE(scoped[2].committed, -1);
        QVERIFY(scoped[2].exists);

        auto missing = pw::scopePartitions(
            *pw::parseReplayScope({QStringLiteral("orders:5"), QStringLiteral("nope")}), latest, committed, topics);
        QCOMPARE(missing.size(), size_t(2));
        QCOMPARE(missing[0].topic, QStringLiteral("nope"));
        QCOMPARE(missing[0].partition, -1);
        QVERIFY(!missing[0].exists);
        QVERIFY(!missing[1].exists);

        ReplayTarget file;
        file.kind = ReplayTarget::Kind::FromFile;
        file.fileRows = {{QStringLiteral("x"), 0, 1}, {QStringLiteral("orders"), 1, 2}};
        auto fromFile = pw::scopePartitions({}, file, committed, topics);
        QCOMPARE(fromFile.size(), size_t(2));
        QCOMPARE(fromFile[0].topic, QStringLiteral("orders"));
    }

    void localTargets()
    {
        const std::vector<ScopePartition> parts {part("t", 0, 50, 10, 100), part("t", 1, -1, 5, 8)};
        ReplayTarget t;
        t.kind = ReplayTarget::Kind::Earliest;
        auto r = pw::resolveLocalTarget(t, parts);
        QVERIFY(r);
        QCOMPARE((*r)[0].offset, 10);
        QCOMPARE((*r)[1].offset, 5);
        t.kind = ReplayTarget::Kind::Latest;
        r = pw::resolveLocalTarget(t, parts);
        QCOMPARE((*r)[0].offset, 100);
        QCOMPARE((*r)[1].offset, 8);
        t.kind = ReplayTarget::Kind::ShiftBy;
        t.value = -45; // below the log start: kept for preflight to judge
        r = pw::resolveLocalTarget(t, parts);
        QCOMPARE((*r)[0].offset, 5);
        QCOMPARE((*r)[1].offset, 0);
        t.value = 60; // above the high watermark: the end of the log
        r = pw::resolveLocalTarget(t, parts);
        QCOMPARE((*r)[0].offset, 100);
        QCOMPARE((*r)[1].offset, 8);
        t.kind = ReplayTarget::Kind::Offset;
        t.value = 7;
        r = pw::resolveLocalTarget(t, parts);
        QCOMPARE((*r)[0].offset, 7);
        QCOMPARE((*r)[1].offset, 7);
        t.kind = ReplayTarget::Kind::Datetime;
        QVERIFY(!pw::resolveLocalTarget(t, parts));
    }
};

QTEST_GUILESS_MAIN(TestReplayTarget)
#include "tst_replaytarget.moc"
