#include "pollresults.h"
#include "sources/flinksource.h"
#include "sources/httpclient.h"
#include "testhttpserver.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

using namespace pw;
using namespace pw::test;

namespace {

// Recorded Flink REST bodies with {{NOW-<ms>}} placeholders, so ages are known relative to the test's clock.
QByteArray recorded(const QString& name, qint64 now)
{
    QFile f(QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/data/flink/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing recorded body %s", qPrintable(name));
    QString text = QString::fromUtf8(f.readAll());
    static const QRegularExpression placeholder(QStringLiteral("\\{\\{NOW-(\\d+)\\}\\}"));
    QString out;
    qsizetype last = 0;
    for (auto it = placeholder.globalMatch(text); it.hasNext();) {
        auto m = it.next();
        out += text.mid(last, m.capturedStart() - last);
        out += QString::number(now - m.captured(1).toLongLong());
        last = m.capturedEnd();
    }
    out += text.mid(last);
    return out.toUtf8();
}

SignalConfig signal(const QString& name, SignalKind kind, const QString& jobName, const QString& jobId = {})
{
    SignalConfig s;
    s.stageId = QStringLiteral("compute");
    s.name = name;
    s.id = QStringLiteral("compute/") + name;
    s.kind = kind;
    s.sourceId = QStringLiteral("flink");
    if (!jobName.isEmpty())
        s.params[QStringLiteral("job_name")] = jobName;
    if (!jobId.isEmpty())
        s.params[QStringLiteral("job_id")] = jobId;
    return s;
}

} // namespace

class TestFlinkSource : public QObject
{
    Q_OBJECT

    TestHttpServer m_server;
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpClient> m_http;
    qint64 m_now = 0;

    std::unique_ptr<Source> make(std::vector<SignalConfig> signals_)
    {
        SourceConfig c;
        c.id = QStringLiteral("flink");
        c.kind = QStringLiteral("flink");
        c.http.url = m_server.baseUrl();
        c.timeoutMs = 2000;
        auto s = FlinkSource::create(c, signals_);
        if (!s)
            qFatal("%s", qPrintable(s.error().toString()));
        return std::move(*s);
    }

    PollResult poll(Source& s) { return pollSync(s, *m_io, *m_http, 10000); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        m_io = std::make_unique<IoThreads>(2);
        m_http = std::make_unique<HttpClient>(m_io->io());
    }

    void init()
    {
        m_now = nowMs();
        m_server.setHandler({});
        m_server.setResponse("/jobs/overview", TestResponse::json(recorded(QStringLiteral("overview.json"), m_now)));
        m_server.setResponse("/jobs/a1b2c3d4e5f60718293a4b5c6d7e8f90/checkpoints",
            TestResponse::json(recorded(QStringLiteral("checkpoints-aggregate.json"), m_now)));
        m_server.setResponse("/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0/checkpoints",
            TestResponse::json(recorded(QStringLiteral("checkpoints-restarting.json"), m_now)));
        m_server.setResponse("/jobs/11112222333344445555666677778888/checkpoints",
            TestResponse::json(recorded(QStringLiteral("checkpoints-none.json"), m_now)));
    }

    void runningJobByName()
    {
        auto source = make({signal(QStringLiteral("age"), SignalKind::CheckpointAge, QStringLiteral("aggregate-job")),
            signal(QStringLiteral("duration"), SignalKind::CheckpointDuration, QStringLiteral("aggregate-job")),
            signal(QStringLiteral("failed"), SignalKind::FailedCheckpoints, QStringLiteral("aggregate-job")),
            signal(QStringLiteral("state"), SignalKind::JobState, QStringLiteral("aggregate-job"))});
        auto r = poll(*source);
        QVERIFY2(!r.error, r.error ? qPrintable(r.error->toString()) : "");
        QVERIFY(r.signalErrors.empty());
        const Sample* age = pw::test::sampleFor(r, QStringLiteral("compute/age"));
        QVERIFY(age);
        // Recorded ack 45 s before the test's clock; the poll itself takes well under 10 s.
        QVERIFY2(age->value >= 45.0 && age->value < 55.0, qPrintable(QString::number(age->value)));
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/duration"))->value, 1.25);
        QCOMPARE(
            pw::test::sampleFor(r, QStringLiteral("compute/failed"))->value, 1.0); // one failure in 10 min, one older
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/state"))->value, 0.0);
        QVERIFY(std::find(age->labels.begin(), age->labels.end(),
                    std::pair(QStringLiteral("job"), QStringLiteral("aggregate-job")))
            != age->labels.end());
        // One overview call plus one checkpoints call for the four signals of one job.
        QCOMPARE(m_server.requestCount(), 2);

        // Every checkpoint of the history, for the ledger.
        QCOMPARE(r.checkpoints.size(), size_t(4));
        QStringList seen;
        for (const auto& c : r.checkpoints)
            seen << QStringLiteral("%1 %2").arg(c.checkpointId).arg(c.status);
        QCOMPARE(seen,
            QStringList({QStringLiteral("14 IN_PROGRESS"), QStringLiteral("13 COMPLETED"), QStringLiteral("12 FAILED"),
                QStringLiteral("11 FAILED")}));
        const CheckpointObservation& done = r.checkpoints[1];
        QCOMPARE(done.jobId, QStringLiteral("a1b2c3d4e5f60718293a4b5c6d7e8f90"));
        QCOMPARE(done.jobName, QStringLiteral("aggregate-job"));
        QCOMPARE(done.triggerMs, m_now - 46250);
        QCOMPARE(done.completionMs, m_now - 45000);
        QCOMPARE(done.durationMs, qint64(1250));
        QCOMPARE(done.sizeBytes, qint64(2048));
        QCOMPARE(done.externalPath, QStringLiteral("file:/var/flink/checkpoints/a1b2/chk-13"));
        QVERIFY(!done.savepoint);
        QVERIFY(done.observedMs >= m_now);
        const CheckpointObservation& failed = r.checkpoints[2];
        QCOMPARE(failed.completionMs, qint64(0));
        QCOMPARE(failed.durationMs, qint64(60000));
        QVERIFY(failed.externalPath.isEmpty());
        QCOMPARE(r.checkpoints[0].completionMs, qint64(0));
    }

    void restartingJobById()
    {
        auto source = make({signal(QStringLiteral("state"), SignalKind::JobState, {},
                                QStringLiteral("0f1e2d3c4b5a69788796a5b4c3d2e1f0")),
            signal(QStringLiteral("age"), SignalKind::CheckpointAge, {},
                QStringLiteral("0f1e2d3c4b5a69788796a5b4c3d2e1f0"))});
        auto r = poll(*source);
        QVERIFY(!r.error);
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/state"))->value, 1.0);
        QVERIFY(pw::test::sampleFor(r, QStringLiteral("compute/age"))->value >= 660.0);
    }

    void jobWithoutCompletedCheckpoint()
    {
        auto source = make({signal(QStringLiteral("age"), SignalKind::CheckpointAge, QStringLiteral("fresh-job")),
            signal(QStringLiteral("duration"), SignalKind::CheckpointDuration, QStringLiteral("fresh-job"))});
        auto r = poll(*source);
        QVERIFY(!r.error);
        // No checkpoint since the job started 90 s ago: that is how much would be replayed.
        const Sample* age = pw::test::sampleFor(r, QStringLiteral("compute/age"));
        QVERIFY(age);
        QVERIFY(age->value >= 90.0 && age->value < 100.0);
        QVERIFY(pw::test::signalErrorFor(r, QStringLiteral("compute/duration"))
                    .contains(QStringLiteral("no completed checkpoint")));
    }

    void jobThatDisappears()
    {
        auto source = make({signal(QStringLiteral("age"), SignalKind::CheckpointAge, QStringLiteral("aggregate-job"))});
        QVERIFY(!poll(*source).error);
        // The job is gone from the overview (cancelled and cleaned up).
        m_server.setResponse("/jobs/overview", TestResponse::json(R"({"jobs":[]})"));
        auto r = poll(*source);
        QVERIFY(!r.error);
        QVERIFY2(pw::test::signalErrorFor(r, QStringLiteral("compute/age"))
                     .contains(QStringLiteral("no job named `aggregate-job`")),
            qPrintable(pw::test::signalErrorFor(r, QStringLiteral("compute/age"))));
        // Still listed but its checkpoints are gone.
        m_server.setResponse("/jobs/overview", TestResponse::json(recorded(QStringLiteral("overview.json"), m_now)));
        m_server.setResponse("/jobs/a1b2c3d4e5f60718293a4b5c6d7e8f90/checkpoints",
            TestResponse::json(R"({"errors":["Job not found"]})", 404));
        r = poll(*source);
        QVERIFY(pw::test::signalErrorFor(r, QStringLiteral("compute/age")).contains(QStringLiteral("disappeared")));
    }

    void garbledAndDownEndpoints()
    {
        auto source = make({signal(QStringLiteral("age"), SignalKind::CheckpointAge, QStringLiteral("aggregate-job"))});
        m_server.setResponse("/jobs/overview", TestResponse::json("<html>proxy error</html>"));
        auto r = poll(*source);
        QVERIFY(pw::test::signalErrorFor(r, QStringLiteral("compute/age")).contains(QStringLiteral("not JSON")));
        m_server.setResponse("/jobs/overview", TestResponse::json(R"({"jobs": 5})"));
        r = poll(*source);
        QVERIFY(pw::test::signalErrorFor(r, QStringLiteral("compute/age"))
                    .contains(QStringLiteral("`jobs` to be an array")));
        m_server.setResponse("/jobs/overview", TestResponse::json("{}", 503));
        r = poll(*source);
        QVERIFY(r.error);
        QVERIFY(r.error->message.contains(QStringLiteral("503")));
    }

    void configErrors()
    {
        SourceConfig c;
        c.id = QStringLiteral("flink");
        c.http.url = m_server.baseUrl();
        auto bad
            = FlinkSource::create(c, {signal(QStringLiteral("lag"), SignalKind::ConsumerLag, QStringLiteral("x"))});
        QVERIFY(!bad);
        QVERIFY(bad.error().message.contains(QStringLiteral("checkpoint_age")));
        auto noJob = FlinkSource::create(c, {signal(QStringLiteral("age"), SignalKind::CheckpointAge, {})});
        QVERIFY(!noJob);
        QVERIFY(noJob.error().message.contains(QStringLiteral("job_id")));
    }

    void cleanupTestCase()
    {
        m_http.reset();
        m_io.reset();
        m_server.stop();
    }
};

QTEST_GUILESS_MAIN(TestFlinkSource)
#include "tst_flinksource.moc"
