// The Readiness page: View → Readiness (Ctrl+Shift+E) opens it, each layer shows its verdict in the status colours
// with its findings, their age and the fix, "Judge Again" asks the instance for a new judgement, Esc returns.
// A screenshot goes to $PATHWATCH_SCREENSHOT_DIR (or the temp dir).

#include "mainwindow.h"
#include "readinesspage.h"
#include "snapshotbuilder.h"
#include "statusstyle.h"

#include <QAction>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

using namespace pw;

namespace {

constexpr qint64 kNow = 1'790'000'000'000;

std::shared_ptr<const ReadinessReport> demoReport()
{
    auto report = std::make_shared<ReadinessReport>();
    report->atMs = kNow - 30'000;
    auto layer = [&](ReadinessLayer l, ReadinessVerdict v, std::vector<ReadinessFinding> findings) {
        report->layers.push_back(LayerReadiness {l, v, std::move(findings)});
    };
    using V = ReadinessVerdict;
    layer(ReadinessLayer::KafkaSource, V::Fail,
        {{V::Pass, QStringLiteral("retention 7d ≥ recovery window 30m on topic events"), kNow - 30'000, {}},
            {V::Fail, QStringLiteral("no replay rehearsal has been run"), 0,
                QStringLiteral("run `pathwatch rehearse` (embedded) or a recovery drill that records its result")}});
    layer(ReadinessLayer::StreamCompute, V::Pass,
        {{V::Pass, QStringLiteral("savepoint taken 2.5 min ago (file:/savepoints/sp-1)"), kNow - 150'000, {}}});
    layer(ReadinessLayer::ServingStore, V::Pass,
        {{V::Pass, QStringLiteral("completeness is watched with thresholds (serving/completeness)"), 0, {}}});
    layer(ReadinessLayer::Storage, V::Fail,
        {{V::Fail, QStringLiteral("replication factor 1 on topic events (1 broker(s)) < 3"), kNow - 30'000,
            QStringLiteral("reassign events to 3 replicas on distinct brokers")}});
    layer(ReadinessLayer::Governance, V::Warn,
        {{V::Warn, QStringLiteral("no recovery in the audit log in the last 30d: auditing is unproven"), 0,
            QStringLiteral("run `pathwatch rehearse`")}});
    layer(ReadinessLayer::Migration, V::Unknown,
        {{V::Unknown, QStringLiteral("reconciliation dual-run is configured but has never run"), 0,
            QStringLiteral("run `pathwatch reconcile --name dual-run`")}});
    return report;
}

} // namespace

class TestReadinessPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void openFillRefreshAndLeave()
    {
        MainWindow w;
        w.setClock([] { return kNow; });
        w.readinessPage()->setClock([] { return kNow; });
        w.setSnapshot(test::makePathSnapshot(kNow));
        w.resize(1400, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        QAction* action = w.findChild<QAction*>(QStringLiteral("readinessAction"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
        action->trigger();
        QVERIFY(w.readinessPage()->isVisible());

        w.setReadiness(demoReport());
        QTreeWidget* tree = w.readinessPage()->tree();
        QCOMPARE(tree->topLevelItemCount(), kReadinessLayerCount);
        QTreeWidgetItem* kafka = tree->topLevelItem(0);
        QCOMPARE(kafka->text(0), QStringLiteral("Kafka source"));
        QCOMPARE(kafka->text(1), QStringLiteral("FAIL"));
        QCOMPARE(kafka->background(1).color(), StatusStyle::color(Severity::Crit));
        QCOMPARE(kafka->childCount(), 2);
        QCOMPARE(kafka->child(0)->text(3), StatusStyle::formatAge(30'000));
        QVERIFY(kafka->child(1)->text(4).contains(QStringLiteral("pathwatch rehearse")));
        QCOMPARE(tree->topLevelItem(5)->text(1), QStringLiteral("UNKNOWN"));
        QCOMPARE(tree->topLevelItem(4)->background(1).color(), StatusStyle::color(Severity::Warn));
        QVERIFY(w.readinessPage()
                    ->findChild<QLabel*>(QStringLiteral("readinessHeadline"))
                    ->text()
                    .contains(QStringLiteral("FAIL")));

        // A collapsed layer stays collapsed when the next report arrives.
        tree->topLevelItem(2)->setExpanded(false);
        w.setReadiness(demoReport());
        QVERIFY(!w.readinessPage()->tree()->topLevelItem(2)->isExpanded());
        QVERIFY(w.readinessPage()->tree()->topLevelItem(0)->isExpanded());

        const QString dir = qEnvironmentVariableIsEmpty("PATHWATCH_SCREENSHOT_DIR")
            ? QDir::tempPath()
            : qEnvironmentVariable("PATHWATCH_SCREENSHOT_DIR");
        QDir().mkpath(dir);
        QTest::qWait(50); // the header's labels are laid out again for their new text
        QVERIFY(w.grab().save(QDir(dir).filePath(QStringLiteral("readiness.png")), "PNG"));

        QSignalSpy refresh(&w, &MainWindow::readinessRefreshRequested);
        w.readinessPage()->findChild<QPushButton*>(QStringLiteral("readinessRefresh"))->click();
        QCOMPARE(refresh.size(), 1);

        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!w.readinessPage()->isVisible());
    }
};

QTEST_MAIN(TestReadinessPage)
#include "tst_readinesspage.moc"
