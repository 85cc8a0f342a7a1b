#include "demo/jobstatusboard.h"

#include <QTest>

#include <thread>

using namespace pw::demo;

namespace {

const QString kJobId = QStringLiteral("5e1f0a2b3c4d5e6f708192a3b4c5d6e7");

QList<qint64> ids(const JobStatusView& v)
{
    QList<qint64> out;
    for (const auto& c : v.history)
        out << c.id;
    return out;
}

} // namespace

class TestJobStatusBoard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsCreatedWithoutCheckpoints()
    {
        JobStatusBoard board(kJobId, QStringLiteral("demo-aggregate"));
        const JobStatusView v = board.view();
        QCOMPARE(v.jobId, kJobId);
        QCOMPARE(v.name, QStringLiteral("demo-aggregate"));
        QCOMPARE(v.state, QStringLiteral("CREATED"));
        QCOMPARE(v.endTimeMs, -1);
        QVERIFY(v.history.empty());
        QCOMPARE(v.completedCount, 0);
        QCOMPARE(v.failedCount, 0);
        QCOMPARE(v.inProgressCount, 0);
        QVERIFY(!v.latestCompleted);
        QVERIFY(!v.latestFailed);
    }

    void stateChanges()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.setState(QStringLiteral("RUNNING"), 1000);
        JobStatusView v = board.view();
        QCOMPARE(v.state, QStringLiteral("RUNNING"));
        QCOMPARE(v.startTimeMs, 1000);
        QCOMPARE(v.endTimeMs, -1);
        QCOMPARE(v.lastModificationMs, 1000);
        QCOMPARE(v.stateTimestamps.at(QStringLiteral("RUNNING")), 1000);

        // Reporting the same state again is no change.
        board.setState(QStringLiteral("RUNNING"), 2000);
        QCOMPARE(board.view().lastModificationMs, 1000);

        board.setState(QStringLiteral("CANCELED"), 5000);
        v = board.view();
        QCOMPARE(v.state, QStringLiteral("CANCELED"));
        QCOMPARE(v.startTimeMs, 1000);
        QCOMPARE(v.endTimeMs, 5000);
        QCOMPARE(v.lastModificationMs, 5000);
        QCOMPARE(v.stateTimestamps.at(QStringLiteral("CANCELED")), 5000);

        // Running again (the drill is switched off): no longer ended, start time kept.
        board.setState(QStringLiteral("RUNNING"), 9000);
        v = board.view();
        QCOMPARE(v.endTimeMs, -1);
        QCOMPARE(v.startTimeMs, 1000);
        QCOMPARE(v.stateTimestamps.at(QStringLiteral("RUNNING")), 9000);

        board.setState(QStringLiteral("RESTARTING"), 9500);
        QCOMPARE(board.view().endTimeMs, -1);
    }

    void completionOfAGivenId()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.setState(QStringLiteral("RUNNING"), 100);
        board.checkpointTriggered(1, 1000);
        board.checkpointTriggered(2, 2000);
        JobStatusView v = board.view();
        QCOMPARE(v.inProgressCount, 2);
        QCOMPARE(v.lastModificationMs, 2000);
        QCOMPARE(v.history.front().status, CheckpointRecord::Status::InProgress);
        QCOMPARE(v.history.front().latestAckTimestampMs, 0);

        // The older one completes after the newer was triggered: only id 1 changes.
        board.checkpointCompleted(1, 2500, 4096);
        v = board.view();
        QCOMPARE(ids(v), (QList<qint64> {2, 1}));
        QCOMPARE(v.history[0].status, CheckpointRecord::Status::InProgress);
        const CheckpointRecord& one = v.history[1];
        QCOMPARE(one.status, CheckpointRecord::Status::Completed);
        QCOMPARE(one.triggerTimestampMs, 1000);
        QCOMPARE(one.latestAckTimestampMs, 2500);
        QCOMPARE(one.endToEndDurationMs, 1500);
        QCOMPARE(one.stateSizeBytes, 4096);
        QCOMPARE(v.inProgressCount, 1);
        QCOMPARE(v.completedCount, 1);
        QCOMPARE(v.lastModificationMs, 2500);
        QVERIFY(v.latestCompleted);
        QCOMPARE(v.latestCompleted->id, 1);

        // A second completion of the same checkpoint is ignored.
        board.checkpointCompleted(1, 3000, 1);
        v = board.view();
        QCOMPARE(v.completedCount, 1);
        QCOMPARE(v.history[1].latestAckTimestampMs, 2500);
        QCOMPARE(v.lastModificationMs, 2500);
    }

    void failureOfAGivenId()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.checkpointTriggered(7, 1000);
        board.checkpointTriggered(8, 1200);
        board.checkpointFailed(7, 61000, QStringLiteral("Checkpoint expired before completing."));
        JobStatusView v = board.view();
        QCOMPARE(ids(v), (QList<qint64> {8, 7}));
        const CheckpointRecord& seven = v.history[1];
        QCOMPARE(seven.status, CheckpointRecord::Status::Failed);
        QCOMPARE(seven.endToEndDurationMs, 60000);
        QCOMPARE(seven.failureMessage, QStringLiteral("Checkpoint expired before completing."));
        QCOMPARE(seven.latestAckTimestampMs, 0);
        QCOMPARE(v.failedCount, 1);
        QCOMPARE(v.inProgressCount, 1);
        QCOMPARE(v.completedCount, 0);
        QVERIFY(v.latestFailed);
        QCOMPARE(v.latestFailed->id, 7);
        QVERIFY(!v.latestCompleted);

        // A failed checkpoint cannot complete later.
        board.checkpointCompleted(7, 62000, 10);
        QCOMPARE(board.view().completedCount, 0);
        QCOMPARE(board.view().history[1].status, CheckpointRecord::Status::Failed);
    }

    void completionWithoutTrigger()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.checkpointCompleted(3, 5000, 10);
        const JobStatusView v = board.view();
        QCOMPARE(ids(v), (QList<qint64> {3}));
        QCOMPARE(v.history[0].triggerTimestampMs, 5000);
        QCOMPARE(v.history[0].endToEndDurationMs, 0);
        QCOMPARE(v.completedCount, 1);
        QCOMPARE(v.inProgressCount, 0);
    }

    void historyBoundedNewestFirst()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        const int n = JobStatusBoard::kHistorySize + 5;
        for (int id = 1; id <= n; ++id) {
            board.checkpointTriggered(id, id * 1000);
            if (id % 5 == 0)
                board.checkpointFailed(id, id * 1000 + 300, QStringLiteral("sink unavailable"));
            else
                board.checkpointCompleted(id, id * 1000 + 200, id * 10);
        }
        const JobStatusView v = board.view();
        QCOMPARE(int(v.history.size()), JobStatusBoard::kHistorySize);
        QList<qint64> expected;
        for (int id = n; id > n - JobStatusBoard::kHistorySize; --id)
            expected << id;
        QCOMPARE(ids(v), expected);
        // Counts cover every checkpoint, not only those still in the history.
        QCOMPARE(v.completedCount, 12);
        QCOMPARE(v.failedCount, 3);
        QCOMPARE(v.inProgressCount, 0);
        QCOMPARE(v.latestCompleted->id, 14);
        QCOMPARE(v.latestFailed->id, 15);
        QCOMPARE(v.endToEndDurationStats.count, 12);
        QCOMPARE(v.endToEndDurationStats.min, 200);
        QCOMPARE(v.endToEndDurationStats.max, 200);
        QCOMPARE(v.stateSizeStats.min, 10);
        QCOMPARE(v.stateSizeStats.max, 140);
        QCOMPARE(v.lastModificationMs, 15300);
    }

    void latestCompletedSurvivesARunOfFailures()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.checkpointTriggered(1, 1000);
        board.checkpointCompleted(1, 1400, 64);
        for (int id = 2; id < 2 + JobStatusBoard::kHistorySize; ++id) {
            board.checkpointTriggered(id, id * 1000);
            board.checkpointFailed(id, id * 1000 + 100, QStringLiteral("object store down"));
        }
        const JobStatusView v = board.view();
        QVERIFY(!ids(v).contains(1));
        QVERIFY(v.latestCompleted);
        QCOMPARE(v.latestCompleted->id, 1);
        QCOMPARE(v.latestCompleted->latestAckTimestampMs, 1400);
    }

    void duplicateTriggerIgnored()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.checkpointTriggered(4, 1000);
        board.checkpointTriggered(4, 2000);
        const JobStatusView v = board.view();
        QCOMPARE(ids(v), (QList<qint64> {4}));
        QCOMPARE(v.history[0].triggerTimestampMs, 1000);
        QCOMPARE(v.inProgressCount, 1);
    }

    void concurrentWritersAndReaders()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        constexpr int kCheckpoints = 2000;
        std::thread writer([&board] {
            for (int id = 1; id <= kCheckpoints; ++id) {
                board.checkpointTriggered(id, id);
                board.checkpointCompleted(id, id + 1, 1);
            }
        });
        // Checked after the join: a failing QVERIFY returns, and the writer must not outlive the board.
        bool consistent = true;
        for (int i = 0; i < 2000; ++i) {
            const JobStatusView v = board.view();
            consistent = consistent && int(v.history.size()) <= JobStatusBoard::kHistorySize && v.inProgressCount <= 1;
            for (size_t k = 1; k < v.history.size(); ++k)
                consistent = consistent && v.history[k - 1].id > v.history[k].id;
        }
        writer.join();
        QVERIFY(consistent);
        QCOMPARE(board.view().completedCount, kCheckpoints);
    }

    void savepointsAreListedButAreNotTheLatestCheckpoint()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.setState(QStringLiteral("RUNNING"), 1000);
        board.checkpointTriggered(1, 2000);
        board.checkpointCompleted(1, 2100, 10);
        board.checkpointTriggered(2, 3000, true);
        board.checkpointCompleted(2, 3500, 20, QStringLiteral("file:/sp/savepoint-5e1f0a-000000000001"));
        const JobStatusView v = board.view();
        QCOMPARE(ids(v), QList<qint64>({2, 1}));
        QVERIFY(v.history.front().savepoint);
        QCOMPARE(v.history.front().externalPath, QStringLiteral("file:/sp/savepoint-5e1f0a-000000000001"));
        QCOMPARE(v.completedCount, 2);
        QCOMPARE(v.latestCompleted->id, 1);
        QCOMPARE(v.latestSavepoint->id, 2);
        QCOMPARE(v.latestSavepoint->endToEndDurationMs, 500);
    }

    void newJobKeepsTheEarlierOnes()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.setState(QStringLiteral("RUNNING"), 1000);
        board.checkpointTriggered(7, 2000);
        board.checkpointCompleted(7, 2100, 10);
        board.setState(QStringLiteral("FINISHED"), 3000);
        const QString next = QStringLiteral("00000000000000000000000000000002");
        board.startJob(next, QStringLiteral("job"));
        board.setRestored({7, 4000, true, QStringLiteral("file:/sp")});
        const JobStatusView current = board.view();
        QCOMPARE(current.jobId, next);
        QCOMPARE(current.state, QStringLiteral("CREATED"));
        QVERIFY(current.history.empty());
        QCOMPARE(current.restored->id, 7);
        QVERIFY(current.restored->savepoint);
        const auto all = board.jobs();
        QCOMPARE(all.size(), size_t(2));
        QCOMPARE(all[0].jobId, next);
        QCOMPARE(all[1].jobId, kJobId);
        QCOMPARE(all[1].state, QStringLiteral("FINISHED"));
        QCOMPARE(board.job(kJobId)->latestCompleted->id, 7);
        QVERIFY(!board.job(QStringLiteral("nope")));
        for (int i = 0; i < JobStatusBoard::kEarlierJobs + 3; ++i)
            board.startJob(QString::number(i), QStringLiteral("job"));
        QCOMPARE(board.jobs().size(), size_t(JobStatusBoard::kEarlierJobs + 1));
    }

    void savepointTriggers()
    {
        JobStatusBoard board(kJobId, QStringLiteral("job"));
        board.addTrigger(QStringLiteral("a"), kJobId);
        board.addTrigger(QStringLiteral("b"), kJobId);
        QCOMPARE(board.trigger(QStringLiteral("a"))->status, SavepointTrigger::Status::InProgress);
        board.completeTrigger(QStringLiteral("a"), QStringLiteral("file:/sp/1"));
        board.failTrigger(QStringLiteral("b"), QStringLiteral("sink down"));
        board.failTrigger(QStringLiteral("a"), QStringLiteral("too late")); // an ended operation stays as it ended
        QCOMPARE(board.trigger(QStringLiteral("a"))->status, SavepointTrigger::Status::Completed);
        QCOMPARE(board.trigger(QStringLiteral("a"))->location, QStringLiteral("file:/sp/1"));
        QCOMPARE(board.trigger(QStringLiteral("b"))->status, SavepointTrigger::Status::Failed);
        QCOMPARE(board.trigger(QStringLiteral("b"))->failureMessage, QStringLiteral("sink down"));
        QVERIFY(!board.trigger(QStringLiteral("c")));
        for (int i = 0; i < JobStatusBoard::kTriggers; ++i)
            board.addTrigger(QString::number(i), kJobId);
        QVERIFY(!board.trigger(QStringLiteral("a"))); // the oldest operations are forgotten
    }
};

QTEST_GUILESS_MAIN(TestJobStatusBoard)
#include "tst_jobstatusboard.moc"
