// LagEvaluator: verdicts over a window of polls (keeps up, lags, stalls, stops, idle, rewound, no commit times),
// the one status scale they map onto, a group's worst partition, rates and catch-up estimate, and the time lag
// from a high-watermark history: 0 when caught up, never negative, no spike when a topic goes idle.
#include "eval/lagevaluator.h"
#include "presentation/format.h"

#include <QTest>

using pw::GroupLag;
using pw::LagEvaluator;
using pw::LagPoint;
using pw::LagVerdict;
using pw::PartitionLag;
using pw::Severity;

Q_DECLARE_METATYPE(pw::LagVerdict)

namespace {

// "committed/high@commitSecond" per poll, one poll every 10 s: "5/10@0 7/12@10".
std::vector<LagPoint> window(const QString& text)
{
    std::vector<LagPoint> points;
    qint64 t = 1'000'000;
    for (const QString& item : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        LagPoint p;
        p.atMs = t;
        const QStringList parts = item.split(QLatin1Char('@'));
        const QStringList offsets = parts[0].split(QLatin1Char('/'));
        p.committedOffset = offsets[0].toLongLong();
        p.highWatermark = offsets[1].toLongLong();
        if (parts.size() > 1)
            p.lastCommitMs = 1'000'000 + parts[1].toLongLong() * 1000;
        points.push_back(p);
        t += 10'000;
    }
    return points;
}

} // namespace

class TestLagEvaluator : public QObject
{
    Q_OBJECT

private slots:
    void verdicts_data()
    {
        QTest::addColumn<QString>("polls");
        QTest::addColumn<bool>("commitTimesKnown");
        QTest::addColumn<LagVerdict>("verdict");
        QTest::addColumn<double>("consumeRate");

        QTest::addRow("keeps up") << "10/12@0 20/22@10 30/31@20 40/41@30" << true << LagVerdict::Ok << 1.0;
        QTest::addRow("idle with lag 0 stays OK") << "50/50@0 50/50@0 50/50@0 50/50@0" << true << LagVerdict::Ok << 0.0;
        QTest::addRow("idle with lag 0, no commit times")
            << "50/50 50/50 50/50 50/50" << false << LagVerdict::Ok << 0.0;
        QTest::addRow("lag grows at every poll")
            << "10/20@0 12/25@10 14/30@20 16/35@30" << true << LagVerdict::Lagging << 0.2;
        QTest::addRow("lag grows, then shrinks once")
            << "10/20@0 12/25@10 20/26@20 22/35@30" << true << LagVerdict::Ok << 0.4;
        QTest::addRow("committing the same offset")
            << "10/20@0 10/25@10 10/30@20 10/35@30" << true << LagVerdict::Stalled << 0.0;
        QTest::addRow("not committing while data arrives")
            << "10/20@0 10/25@0 10/30@0 10/35@0" << true << LagVerdict::Stopped << 0.0;
        QTest::addRow("not committing, nothing arriving, lag left")
            << "10/20@0 10/20@0 10/20@0 10/20@0" << true << LagVerdict::Stopped << 0.0;
        QTest::addRow("not advancing, commit times unknown")
            << "10/20 10/25 10/30 10/35" << false << LagVerdict::NotAdvancing << 0.0;
        QTest::addRow("rewound") << "40/50@0 45/50@10 5/50@20 10/50@30" << true << LagVerdict::Rewound << 0.0;
        QTest::addRow("window not full: not advancing is pending")
            << "10/20@0 10/25@10" << true << LagVerdict::Pending << 0.0;
        QTest::addRow("window not full: advancing is OK") << "10/20@0 15/25@10" << true << LagVerdict::Ok << 0.5;
        QTest::addRow("nothing committed, all of the log to read")
            << "-1/20 -1/20 -1/20 -1/20" << false << LagVerdict::NotAdvancing << 0.0;
    }
    void verdicts()
    {
        QFETCH(QString, polls);
        QFETCH(bool, commitTimesKnown);
        QFETCH(LagVerdict, verdict);
        QFETCH(double, consumeRate);
        const auto points = window(polls);
        const auto judged = LagEvaluator::judgePartition(points, 4, commitTimesKnown);
        QCOMPARE(pw::lagVerdictName(judged.verdict), pw::lagVerdictName(verdict));
        QCOMPARE(judged.consumeRate, consumeRate);
    }

    void onlyTheWindowCounts()
    {
        // A rewind ten polls ago is out of a window of four.
        const auto points = window(QStringLiteral("40/50@0 5/50@10 10/50@20 20/50@30 30/50@40 40/50@50 50/50@60"));
        QCOMPARE(LagEvaluator::judgePartition(points, 4, true).verdict, LagVerdict::Ok);
        QCOMPARE(LagEvaluator::judgePartition(points, 7, true).verdict, LagVerdict::Rewound);
    }

    void severityScale()
    {
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Ok, false), Severity::Ok);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Lagging, false), Severity::Warn);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Stalled, false), Severity::Crit);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Stopped, false), Severity::Crit);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::NotAdvancing, false), Severity::Crit);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Rewound, false), Severity::Warn);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Rewound, true), Severity::Ok);
        QCOMPARE(pw::lagVerdictSeverity(LagVerdict::Pending, false), Severity::Unknown);
        for (int v = 0; v <= 6; ++v)
            QCOMPARE(pw::lagVerdictFromName(pw::lagVerdictName(LagVerdict(v))), LagVerdict(v));
    }

    void groupSummary()
    {
        GroupLag g;
        g.group = QStringLiteral("orders");
        PartitionLag a;
        a.topic = QStringLiteral("events");
        a.partition = 0;
        a.lag = 100;
        a.timeLagSeconds = 30.0;
        a.verdict = LagVerdict::Ok;
        a.consumeRate = 50;
        a.produceRate = 20;
        PartitionLag b = a;
        b.partition = 1;
        b.lag = 140;
        b.timeLagSeconds = 12.0;
        b.verdict = LagVerdict::Lagging;
        b.consumeRate = 0;
        b.produceRate = 10;
        g.partitions = {a, b};
        LagEvaluator::summarizeGroup(g);
        QCOMPARE(g.worstPartition, 1); // LAGGING outranks a larger time lag that is OK
        QCOMPARE(g.verdict, LagVerdict::Lagging);
        QCOMPARE(g.severity, Severity::Warn);
        QCOMPARE(g.totalLag, int64_t(240));
        QCOMPARE(g.maxTimeLagSeconds.value_or(-1), 30.0);
        QCOMPARE(g.consumeRate, 50.0);
        QCOMPARE(g.produceRate, 30.0);
        QCOMPARE(g.catchUpSeconds.value_or(-1), 12.0); // 240 records at a net 20 records/s
        QCOMPARE(pw::catchUpSentence(g), QStringLiteral("catches up in 12.0 s"));

        g.partitions[0].consumeRate = 10;
        LagEvaluator::summarizeGroup(g);
        QVERIFY(!g.catchUpSeconds);
        QCOMPARE(g.fallingBehindRate, 20.0);
        QCOMPARE(pw::catchUpSentence(g), QStringLiteral("falling behind at 20 records/s"));
        QVERIFY2(pw::lagVerdictReason(g).startsWith(QStringLiteral("LAGGING on events[1]: lag 140 records")),
            qPrintable(pw::lagVerdictReason(g)));

        for (auto& p : g.partitions)
            p.lag = 0;
        LagEvaluator::summarizeGroup(g);
        QCOMPARE(pw::catchUpSentence(g), QStringLiteral("caught up"));
    }

    void timeLagFromHistory()
    {
        std::deque<LagEvaluator::WatermarkPoint> h {{1000, 10}, {11000, 20}, {21000, 20}, {31000, 40}};
        // Offset 15 was appended halfway between the polls at 1 s and 11 s.
        QCOMPARE(LagEvaluator::timeLagFromHistory(h, 15, 41000).value_or(-1), 35.0);
        // Offset 20 arrived after the poll at 21 s (the last one that saw 20), before the one at 31 s.
        QCOMPARE(LagEvaluator::timeLagFromHistory(h, 20, 41000).value_or(-1), 20.0);
        // Caught up: 0, however long ago the last record came (no spike when the topic goes idle).
        QCOMPARE(LagEvaluator::timeLagFromHistory(h, 40, 10'000'000).value_or(-1), 0.0);
        // Before the history: not known from it.
        QVERIFY(!LagEvaluator::timeLagFromHistory(h, 5, 41000));
        // A clock that went back never makes it negative.
        QCOMPARE(LagEvaluator::timeLagFromHistory(h, 15, 0).value_or(-1), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestLagEvaluator)
#include "tst_lagevaluator.moc"
