#include "model/severity.h"
#include "model/thresholds.h"
#include "presentation/format.h"

#include <QTest>

#include <cmath>

using namespace pw;

class TestThresholds : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void classify_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<bool>("lowerIsWorse");
        QTest::addColumn<int>("expected");
        QTest::newRow("below warn") << 1.0 << false << int(Severity::Ok);
        QTest::newRow("at warn") << 2.0 << false << int(Severity::Warn);
        QTest::newRow("between") << 4.9 << false << int(Severity::Warn);
        QTest::newRow("at crit") << 5.0 << false << int(Severity::Crit);
        QTest::newRow("nan") << std::nan("") << false << int(Severity::Unknown);
        QTest::newRow("headroom plenty") << 10.0 << true << int(Severity::Ok);
        QTest::newRow("headroom short") << 4.0 << true << int(Severity::Warn);
        QTest::newRow("headroom gone") << 1.0 << true << int(Severity::Crit);
    }
    void classify()
    {
        QFETCH(double, value);
        QFETCH(bool, lowerIsWorse);
        QFETCH(int, expected);
        Thresholds t;
        if (lowerIsWorse) {
            t.direction = Thresholds::Direction::LowerIsWorse;
            t.warn = 5.0;
            t.crit = 2.0;
        } else {
            t.warn = 2.0;
            t.crit = 5.0;
        }
        QCOMPARE(int(t.classify(value)), expected);
    }

    void hysteresisHoldsTheLevel()
    {
        Thresholds t;
        t.warn = 2.0;
        t.crit = 5.0;
        t.hysteresis = 0.5;
        ThresholdTracker tracker;
        QCOMPARE(tracker.update(t, 6.0, 0), Severity::Crit);
        QCOMPARE(tracker.update(t, 4.8, 1), Severity::Crit); // within 0.5 of crit: stays
        QCOMPARE(tracker.update(t, 4.4, 2), Severity::Warn); // moved back past 4.5
        QCOMPARE(tracker.update(t, 1.7, 3), Severity::Warn); // within 0.5 of warn
        QCOMPARE(tracker.update(t, 1.4, 4), Severity::Ok);
    }

    void minimumDurationDelaysWorsening()
    {
        Thresholds t;
        t.warn = 2.0;
        t.crit = 5.0;
        t.minDurationMs = 30'000;
        ThresholdTracker tracker;
        QCOMPARE(tracker.update(t, 1.0, 0), Severity::Ok);
        QCOMPARE(tracker.update(t, 9.0, 1'000), Severity::Ok);
        QCOMPARE(tracker.update(t, 9.0, 20'000), Severity::Ok);
        QCOMPARE(tracker.update(t, 9.0, 31'000), Severity::Crit);
        QVERIFY(thresholdReason(tracker.breach(), {}).contains(QStringLiteral("crit 5")));
        QCOMPARE(tracker.update(t, 14'400.0, 31'001), Severity::Crit);
        QCOMPARE(thresholdReason(tracker.breach(), QStringLiteral("s")),
            QStringLiteral("4.0 h ≥ crit 5.00 s")); // both numbers in the signal's unit
        QCOMPARE(tracker.update(t, 1.0, 32'000), Severity::Ok); // better at once
        QCOMPARE(tracker.update(t, 9.0, 33'000), Severity::Ok); // a blip does not alert
        QCOMPARE(tracker.update(t, 1.0, 34'000), Severity::Ok);
        QCOMPARE(tracker.update(t, 9.0, 35'000), Severity::Ok); // the clock restarts
        QCOMPARE(tracker.update(t, 9.0, 60'000), Severity::Ok);
    }

    void rollUpOrder()
    {
        QCOMPARE(worse(Severity::Ok, Severity::Warn), Severity::Warn);
        QCOMPARE(worse(Severity::Stale, Severity::Warn), Severity::Stale);
        QCOMPARE(worse(Severity::Stale, Severity::Crit), Severity::Crit);
        QCOMPARE(worse(Severity::Unknown, Severity::Ok), Severity::Unknown);
        QCOMPARE(worse(Severity::Unknown, Severity::Warn), Severity::Warn);
        QCOMPARE(severityExitCode(Severity::Unknown), 3);
        QCOMPARE(severityExitCode(Severity::Stale), 3);
        QCOMPARE(severityFromName(u"crit"), std::optional<Severity>(Severity::Crit));
    }

    void formatting()
    {
        QCOMPARE(formatValue(0.25, QStringLiteral("s")), QStringLiteral("250 ms"));
        QCOMPARE(formatValue(0.0042, QStringLiteral("s")), QStringLiteral("4.2 ms"));
        QCOMPARE(formatValue(0.00001, QStringLiteral("s")), QStringLiteral("0 ms"));
        QCOMPARE(formatValue(7.5, QStringLiteral("s")), QStringLiteral("7.50 s"));
        QCOMPARE(formatValue(600, QStringLiteral("s")), QStringLiteral("10.0 min"));
        QCOMPARE(formatValue(12345, QStringLiteral("messages")), QStringLiteral("12,345 messages"));
        QCOMPARE(formatValue(0.0125, QStringLiteral("ratio")), QStringLiteral("1.25 %"));
        QCOMPARE(formatValue(std::nan(""), QStringLiteral("s")), QStringLiteral("—"));
        QCOMPARE(formatValue(0, QStringLiteral("state")), QStringLiteral("running"));
        QCOMPARE(formatValue(1, QStringLiteral("state")), QStringLiteral("(re)starting"));
        QCOMPARE(formatValue(2, QStringLiteral("state")), QStringLiteral("failed or stopped"));
        QCOMPARE(formatValueShort(123456789, QStringLiteral("messages")), QStringLiteral("123 M messages"));
        QCOMPARE(formatValueShort(12345, QStringLiteral("messages")), QStringLiteral("12.3 k messages"));
        QCOMPARE(formatValueShort(-2500000, QString()), QStringLiteral("-2.50 M"));
        QCOMPARE(formatValueShort(9999, QStringLiteral("messages")), QStringLiteral("9,999 messages"));
        QCOMPARE(formatValueShort(86400 * 3, QStringLiteral("s")), QStringLiteral("3.0 d"));
    }

    // A job state is judged by its word, not by "2 ≥ crit 2".
    void jobStateReason()
    {
        Thresholds t;
        t.warn = 1;
        t.crit = 2;
        ThresholdTracker tracker;
        QCOMPARE(tracker.update(t, 2, 1000), Severity::Crit);
        QCOMPARE(thresholdReason(tracker.breach(), QStringLiteral("state")), QStringLiteral("job failed or stopped"));
        QCOMPARE(tracker.update(t, 0, 2000), Severity::Ok);
        QVERIFY(thresholdReason(tracker.breach(), QStringLiteral("state")).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestThresholds)
#include "tst_thresholds.moc"
