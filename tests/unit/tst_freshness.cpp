#include "sources/freshness.h"
#include "sources/httpjsonsource.h"

#include <QDateTime>
#include <QTest>

using namespace pw;

class TestFreshness : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void timestamps_data()
    {
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("zone");
        QTest::addColumn<qint64>("expectedMs");
        const qint64 t = 1'795'000'000'000; // 2026-11-18T...
        QTest::newRow("epoch seconds int") << QVariant(qint64(1'795'000'000)) << QString() << QString() << t;
        QTest::newRow("epoch millis auto") << QVariant(t) << QString() << QString() << t;
        QTest::newRow("epoch seconds double") << QVariant(1'795'000'000.25) << QString() << QString() << t + 250;
        QTest::newRow("epoch seconds string") << QVariant(QStringLiteral("1795000000")) << QString() << QString() << t;
        QTest::newRow("forced millis") << QVariant(qint64(1'795'000'000)) << QStringLiteral("epoch_ms") << QString()
                                       << qint64(1'795'000'000);
        const QString iso = QDateTime::fromMSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODateWithMs);
        QTest::newRow("rfc3339 Z") << QVariant(iso) << QString() << QString() << t;
        QTest::newRow("rfc3339 offset") << QVariant(QStringLiteral("2026-11-26T10:00:00+01:00")) << QString()
                                        << QString()
                                        << QDateTime(QDate(2026, 11, 26), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("naive is UTC") << QVariant(QStringLiteral("2026-11-26 09:00:00")) << QString() << QString()
                                      << QDateTime(QDate(2026, 11, 26), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("naive in zone") << QVariant(QStringLiteral("2026-11-26 10:00:00")) << QString()
                                       << QStringLiteral("Europe/Berlin")
                                       << QDateTime(QDate(2026, 11, 26), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("QDateTime local spec is UTC")
            << QVariant(QDateTime(QDate(2026, 11, 26), QTime(9, 0), Qt::LocalTime)) << QString() << QString()
            << QDateTime(QDate(2026, 11, 26), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch();
    }
    void timestamps()
    {
        QFETCH(QVariant, value);
        QFETCH(QString, format);
        QFETCH(QString, zone);
        QFETCH(qint64, expectedMs);
        auto f = timeFormatFromName(format);
        QVERIFY(f);
        auto ms = timestampToMs(value, *f, zone.isEmpty() ? QStringLiteral("UTC") : zone);
        QVERIFY2(ms, ms ? "" : qPrintable(ms.error().message));
        QCOMPARE(*ms, expectedMs);
    }

    void badTimestamps_data()
    {
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("null") << QVariant() << QString() << QStringLiteral("NULL");
        QTest::newRow("word") << QVariant(QStringLiteral("yesterday")) << QString()
                              << QStringLiteral("not a timestamp");
        QTest::newRow("number as rfc3339") << QVariant(12) << QStringLiteral("rfc3339") << QStringLiteral("RFC 3339");
        QTest::newRow("string as epoch") << QVariant(QStringLiteral("2026-01-01")) << QStringLiteral("epoch_s")
                                         << QStringLiteral("epoch number");
        QTest::newRow("inf") << QVariant(qInf()) << QString() << QStringLiteral("finite");
        QTest::newRow("bool") << QVariant(true) << QString() << QStringLiteral("type bool");
    }
    void badTimestamps()
    {
        QFETCH(QVariant, value);
        QFETCH(QString, format);
        QFETCH(QString, phrase);
        auto ms = timestampToMs(value, *timeFormatFromName(format));
        QVERIFY(!ms);
        QVERIFY2(ms.error().message.contains(phrase), qPrintable(ms.error().message));
    }

    void clockSkewIsNamedNotNegative()
    {
        auto future = freshnessSeconds(100'000, 40'000);
        QVERIFY(!future);
        QVERIFY(future.error().message.contains(QStringLiteral("60.0 s in the future")));
        QVERIFY(future.error().message.contains(QStringLiteral("clock skew")));
        QCOMPARE(*freshnessSeconds(41'000, 40'000), 0.0); // within tolerance: clamped, not negative
        QCOMPARE(*freshnessSeconds(10'000, 40'000), 30.0);
        QVERIFY(!timeFormatFromName(u"fortnights"));
    }

    void jsonPointer_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<QString>("expected"); // value, or "!phrase" for an error
        const QByteArray doc = R"({"data":[{"ts":1795000000,"a/b":{"m~n":"2026-11-26T09:00:00Z"}}],"n":null})";
        QTest::newRow("array index") << doc << QStringLiteral("/data/0/ts") << QStringLiteral("1795000000");
        QTest::newRow("escapes") << doc << QStringLiteral("/data/0/a~1b/m~0n")
                                 << QStringLiteral("2026-11-26T09:00:00Z");
        QTest::newRow("missing member") << doc << QStringLiteral("/data/0/nope") << QStringLiteral("!no member `nope`");
        QTest::newRow("index out") << doc << QStringLiteral("/data/3/ts") << QStringLiteral("!outside an array of 1");
        QTest::newRow("null") << doc << QStringLiteral("/n") << QStringLiteral("!is null");
        QTest::newRow("object") << doc << QStringLiteral("/data/0") << QStringLiteral("!names an object");
        QTest::newRow("scalar descent") << doc << QStringLiteral("/data/0/ts/x") << QStringLiteral("!into a scalar");
        QTest::newRow("not json") << QByteArray("<html>") << QStringLiteral("/a") << QStringLiteral("!not JSON");
        QTest::newRow("top array") << QByteArray("[5]") << QStringLiteral("/0") << QStringLiteral("5");
    }
    void jsonPointer()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, pointer);
        QFETCH(QString, expected);
        auto v = HttpJsonSource::resolvePointer(body, pointer);
        if (expected.startsWith(QLatin1Char('!'))) {
            QVERIFY(!v);
            QVERIFY2(v.error().message.contains(expected.mid(1)), qPrintable(v.error().message));
        } else {
            QVERIFY2(v, v ? "" : qPrintable(v.error().message));
            QCOMPARE(v->toString(), expected);
        }
    }

    void interpretFreshness()
    {
        SignalConfig s;
        s.params[QStringLiteral("pointer")] = QStringLiteral("/data/0/ts");
        const QByteArray body = R"({"data":[{"ts":"2026-11-26T09:00:00Z"}]})";
        const qint64 now = QDateTime(QDate(2026, 11, 26), QTime(9, 5), Qt::UTC).toMSecsSinceEpoch();
        auto age = HttpJsonSource::interpret(body, s, now);
        QVERIFY(age);
        QCOMPARE(*age, 300.0);
    }
};

QTEST_GUILESS_MAIN(TestFreshness)
#include "tst_freshness.moc"
