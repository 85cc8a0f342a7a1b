#include "replay/reconcile.h"

#include <QJsonArray>
#include <QTest>

using namespace pw;

class TestReconcile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesMismatchesAndMissing()
    {
        const std::int64_t m0 = 1796000040; // a minute start
        const WindowTable expected {
            {{m0, QStringLiteral("k0")}, {3, 10.5}}, {{m0, QStringLiteral("k1")}, {2, 4.25}},
            {{m0 + 60, QStringLiteral("k0")}, {1, 1.0}}, {{m0 + 60, QStringLiteral("k1")}, {5, 20.0}},
            {{m0 + 120, QStringLiteral("k0")}, {7, 70.0}}, // outside the range compared
        };
        const WindowTable found {
            {{m0, QStringLiteral("k0")}, {3, 10.5 + 1e-12}}, // summed in another order
            {{m0, QStringLiteral("k1")}, {2, 4.25}}, {{m0 + 60, QStringLiteral("k1")}, {4, 18.0}},
            {{m0 + 60, QStringLiteral("k9")}, {1, 1.0}},
            {{m0 - 60, QStringLiteral("k0")}, {1, 1.0}}, // outside the range compared
        };
        const ReconcileReport report = compareWindows(expected, found, m0, m0 + 120);
        QCOMPARE(report.matched, 2);
        QCOMPARE(report.mismatched.size(), std::size_t(1));
        QCOMPARE(report.mismatched[0].window, WindowId(m0 + 60, QStringLiteral("k1")));
        QCOMPARE(report.mismatched[0].expected.events, 5);
        QCOMPARE(report.mismatched[0].found.events, 4);
        QCOMPARE(report.missing.size(), std::size_t(1));
        QCOMPARE(report.missing[0].window, WindowId(m0 + 60, QStringLiteral("k0")));
        QCOMPARE(report.unexpected.size(), std::size_t(1));
        QCOMPARE(report.windows(), 5);
        QVERIFY(!report.clean());

        const QJsonObject json = report.toJson();
        QCOMPARE(json.value(QStringLiteral("matched")).toInt(), 2);
        QCOMPARE(json.value(QStringLiteral("missing")).toArray().size(), 1);
        QCOMPARE(json.value(QStringLiteral("mismatched")).toArray().at(0).toObject().value(QStringLiteral("key")),
            QStringLiteral("k1"));
        QCOMPARE(json.value(QStringLiteral("clean")).toBool(), false);

        const QString text = report.toText();
        QVERIFY2(text.contains(QStringLiteral("2 matched, 1 mismatched, 1 missing, 1 unexpected")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("missing %1 k0").arg(minuteText(m0 + 60))), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("expected 5 events, total 20.000, found 4 events, total 18.000")),
            qPrintable(text));
    }

    void equalTablesAreClean()
    {
        const WindowTable same {{{60, QStringLiteral("a")}, {1, 2.0}}, {{120, QStringLiteral("b")}, {3, 4.0}}};
        const ReconcileReport report = compareWindows(same, same, 0, 180);
        QVERIFY(report.clean());
        QCOMPARE(report.matched, 2);
        QVERIFY(compareWindows(same, {}, 0, 180).missing.size() == 2);
        QVERIFY(compareWindows({}, {}, 0, 180).clean());
    }

    void totalsDifferingBeyondRoundingMismatch()
    {
        const WindowTable a {{{60, QStringLiteral("a")}, {1, 100.0}}};
        const WindowTable b {{{60, QStringLiteral("a")}, {1, 100.001}}};
        QCOMPARE(compareWindows(a, b, 0, 120).mismatched.size(), std::size_t(1));
    }

    void minuteTextIsUtc() { QCOMPARE(minuteText(0), QStringLiteral("1970-01-01T00:00Z")); }
};

QTEST_GUILESS_MAIN(TestReconcile)
#include "tst_reconcile.moc"
