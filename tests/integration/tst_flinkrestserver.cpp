#include "demo/flinkrestserver.h"
#include "demo/jobstatusboard.h"
#include "pollresults.h"
#include "replay/flinkclient.h"
#include "sources/flinksource.h"
#include "sources/httpclient.h"
#include "testhttpserver.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <thread>

using namespace pw;
using namespace pw::demo;
using namespace pw::test;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

const QString kJobId = QStringLiteral("9a8b7c6d5e4f30211203f4e5d6c7b8a9");
const QString kJobName = QStringLiteral("demo-aggregate");

SignalConfig signal(const QString& name, SignalKind kind)
{
    SignalConfig s;
    s.stageId = QStringLiteral("compute");
    s.name = name;
    s.id = QStringLiteral("compute/") + name;
    s.kind = kind;
    s.sourceId = QStringLiteral("demo-flink");
    s.params[QStringLiteral("job_name")] = kJobName;
    return s;
}

// A client connection driven step by step, each step bounded in time, so a misbehaving server fails the test
// instead of hanging it.
class RawConnection
{
public:
    bool connect(std::uint16_t port)
    {
        beast::error_code ec;
        m_socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
        return !ec;
    }

    beast::error_code write(const std::string& bytes, int waitMs = 5000)
    {
        return run([&](auto handler) { asio::async_write(m_socket, asio::buffer(bytes), std::move(handler)); }, waitMs);
    }

    beast::error_code read(http::response<http::string_body>& response, int waitMs = 5000)
    {
        response = {};
        return run([&](auto handler) { http::async_read(m_socket, m_buffer, response, std::move(handler)); }, waitMs);
    }

    /// Waits for the server to close the connection: eof (or a reset) within `waitMs`.
    bool closedByServer(int waitMs = 5000)
    {
        char byte = 0;
        const beast::error_code ec
            = run([&](auto handler) { m_socket.async_read_some(asio::buffer(&byte, 1), std::move(handler)); }, waitMs);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }

private:
    template<class Start>
    beast::error_code run(Start start, int waitMs)
    {
        std::optional<beast::error_code> result;
        start([&result](beast::error_code ec, std::size_t) { result = ec; });
        m_io.restart();
        m_io.run_for(std::chrono::milliseconds(waitMs));
        if (result)
            return *result;
        m_socket.cancel();
        m_io.restart();
        m_io.run();
        return asio::error::timed_out;
    }

    asio::io_context m_io;
    tcp::socket m_socket {m_io};
    beast::flat_buffer m_buffer;
};

std::string get(const std::string& target, bool keepAlive = true)
{
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n";
}

QJsonObject jsonOf(const std::string& body)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(body)).object();
}

// A job manager in miniature behind the REST API: records what it was asked, and answers as configured.
class FakeControl : public JobControl
{
public:
    explicit FakeControl(JobStatusBoard& board)
        : m_board(board)
    { }

    Result<QString> stopWithSavepoint(const StopRequest& request) override
    {
        stops.push_back(request);
        if (!stopError.message.isEmpty())
            return std::unexpected(stopError);
        const QString trigger = QStringLiteral("trigger-%1").arg(stops.size());
        m_board.addTrigger(trigger, request.jobId);
        return trigger;
    }

    Result<QString> runJar(const RunRequest& request) override
    {
        runs.push_back(request);
        if (request.jarId != jar.id)
            return fail(Error::Code::NotFound, QStringLiteral("Jar file %1 does not exist").arg(request.jarId));
        if (!runError.message.isEmpty())
            return std::unexpected(runError);
        const QString jobId = QStringLiteral("%1").arg(runs.size(), 32, 10, QLatin1Char('0'));
        m_board.startJob(jobId, kJobName);
        m_board.setState(QStringLiteral("RUNNING"), QDateTime::currentMSecsSinceEpoch());
        return jobId;
    }

    std::vector<JarInfo> jars() const override { return {jar}; }

    JarInfo jar {QStringLiteral("5f0c_demo.jar"), QStringLiteral("demo.jar"), QStringLiteral("demo.Main"), 1234};
    std::vector<StopRequest> stops;
    std::vector<RunRequest> runs;
    Error stopError;
    Error runError;

private:
    JobStatusBoard& m_board;
};

} // namespace

class TestFlinkRestServer : public QObject
{
    Q_OBJECT

    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<JobStatusBoard> m_board;
    std::unique_ptr<FlinkRestServer> m_server;

    std::unique_ptr<Source> makeSource(const std::string& url)
    {
        SourceConfig c;
        c.id = QStringLiteral("demo-flink");
        c.kind = QStringLiteral("flink");
        c.http.url = QString::fromStdString(url);
        c.timeoutMs = 3000;
        auto s = FlinkSource::create(c,
            {signal(QStringLiteral("age"), SignalKind::CheckpointAge),
                signal(QStringLiteral("duration"), SignalKind::CheckpointDuration),
                signal(QStringLiteral("failed"), SignalKind::FailedCheckpoints),
                signal(QStringLiteral("state"), SignalKind::JobState)});
        if (!s)
            qFatal("%s", qPrintable(s.error().toString()));
        return std::move(*s);
    }

    PollResult poll(Source& s) { return pollSync(s, *m_io, *m_http, 10000); }

    Result<HttpResponse> fetch(const QString& path)
    {
        HttpRequest request;
        request.url = QString::fromStdString(m_server->url()) + path;
        request.allowErrorStatus = true;
        return getSync(*m_http, request, 10000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_io = std::make_unique<IoThreads>(2);
        m_http = std::make_unique<HttpClient>(m_io->io());
    }

    void init()
    {
        m_board = std::make_unique<JobStatusBoard>(kJobId, kJobName);
        FlinkRestServer::Options options;
        options.port = 0;
        auto server = FlinkRestServer::start(options, *m_board);
        QVERIFY2(server, server ? "" : qPrintable(server.error().toString()));
        m_server = std::move(*server);
        QVERIFY(m_server->port() != 0);
        QCOMPARE(m_server->url(), "http://127.0.0.1:" + std::to_string(m_server->port()));
    }

    void cleanup()
    {
        m_server.reset();
        m_board.reset();
    }

    // The request handling on its own (what the fuzz target drives): routes, refusals, and a request cut short.
    void answersRawRequests()
    {
        m_board->setState(QStringLiteral("RUNNING"), nowMs());
        auto ok = FlinkRestServer::answer("GET /jobs/overview HTTP/1.1\r\nHost: x\r\n\r\n", *m_board);
        QCOMPARE(ok.status, 200);
        QCOMPARE(QJsonDocument::fromJson(ok.body).object().value(QStringLiteral("jobs")).toArray().size(), 1);
        QCOMPARE(FlinkRestServer::answer("GARBAGE\r\n\r\n", *m_board).status, 400);
        QCOMPARE(FlinkRestServer::answer("GET /jobs/overview HTTP/1.1\r\nHost:", *m_board).status, 400);
        QCOMPARE(FlinkRestServer::answer("DELETE /jobs HTTP/1.1\r\n\r\n", *m_board).status, 405);
        QCOMPARE(FlinkRestServer::answer("GET /nope HTTP/1.1\r\n\r\n", *m_board).status, 404);
        const std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
        QCOMPARE(FlinkRestServer::answer(huge, *m_board).status, 431);
    }

    void flinkSourceReadsTheBoard()
    {
        const qint64 t0 = nowMs();
        m_board->setState(QStringLiteral("RUNNING"), t0 - 3'600'000);
        m_board->checkpointTriggered(41, t0 - 900'000);
        m_board->checkpointFailed(41, t0 - 840'000, QStringLiteral("Checkpoint expired before completing."));
        m_board->checkpointTriggered(42, t0 - 300'000);
        m_board->checkpointCompleted(42, t0 - 299'000, 2048);
        m_board->checkpointTriggered(43, t0 - 100'000);
        m_board->checkpointCompleted(43, t0 - 98'750, 4096);
        m_board->checkpointTriggered(44, t0 - 20'000);
        m_board->checkpointFailed(44, t0 - 15'000, QStringLiteral("sink commit failed"));
        m_board->checkpointTriggered(45, t0 - 1'000);

        auto source = makeSource(m_server->url());
        const qint64 before = nowMs();
        PollResult r = poll(*source);
        const qint64 after = nowMs();
        QVERIFY2(!r.error, r.error ? qPrintable(r.error->toString()) : "");
        QVERIFY(r.signalErrors.empty());

        // Age is measured from the newest completed checkpoint's last acknowledgement (43), at the poll's clock.
        const qint64 ack = t0 - 98'750;
        const Sample* age = pw::test::sampleFor(r, QStringLiteral("compute/age"));
        QVERIFY(age);
        QVERIFY2(age->value >= (before - ack) / 1000.0 && age->value <= (after - ack) / 1000.0,
            qPrintable(QString::number(age->value)));
        QCOMPARE(age->value, (age->timestampMs - ack) / 1000.0);
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/duration"))->value, 1.25);
        // 44 failed within the default 10-minute window, 41 before it.
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/failed"))->value, 1.0);
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/state"))->value, 0.0);
        QVERIFY(std::find(age->labels.begin(), age->labels.end(), std::pair(QStringLiteral("job_id"), kJobId))
            != age->labels.end());

        m_board->checkpointCompleted(45, nowMs(), 8192);
        const qint64 ack45 = m_board->view().latestCompleted->latestAckTimestampMs;
        r = poll(*source);
        QVERIFY(!r.error);
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/age"))->value,
            (pw::test::sampleFor(r, QStringLiteral("compute/age"))->timestampMs - ack45) / 1000.0);
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/duration"))->value,
            m_board->view().latestCompleted->endToEndDurationMs / 1000.0);

        m_board->setState(QStringLiteral("RESTARTING"), nowMs());
        QCOMPARE(pw::test::sampleFor(poll(*source), QStringLiteral("compute/state"))->value, 1.0);
        m_board->setState(QStringLiteral("CANCELED"), nowMs());
        QCOMPARE(pw::test::sampleFor(poll(*source), QStringLiteral("compute/state"))->value, 2.0);
    }

    void jobWithoutCompletedCheckpoint()
    {
        const qint64 start = nowMs() - 90'000;
        m_board->setState(QStringLiteral("RUNNING"), start);
        m_board->checkpointTriggered(1, start + 80'000);
        auto source = makeSource(m_server->url());
        const PollResult r = poll(*source);
        QVERIFY(!r.error);
        // Nothing checkpointed yet: everything since the start would be replayed.
        const Sample* age = pw::test::sampleFor(r, QStringLiteral("compute/age"));
        QVERIFY(age);
        QCOMPARE(age->value, (age->timestampMs - start) / 1000.0);
        QVERIFY(pw::test::signalErrorFor(r, QStringLiteral("compute/duration"))
                    .contains(QStringLiteral("no completed checkpoint")));
        QCOMPARE(pw::test::sampleFor(r, QStringLiteral("compute/failed"))->value, 0.0);
    }

    void checkpointsBodyFollowsFlink()
    {
        const qint64 t0 = nowMs();
        m_board->setState(QStringLiteral("RUNNING"), t0 - 60'000);
        m_board->checkpointTriggered(1, t0 - 30'000);
        m_board->checkpointCompleted(1, t0 - 29'000, 100);
        m_board->checkpointTriggered(2, t0 - 20'000);
        m_board->checkpointFailed(2, t0 - 10'000, QStringLiteral("sink commit failed"));
        m_board->checkpointTriggered(3, t0 - 5'000);

        auto response = fetch(QStringLiteral("/jobs/") + kJobId + QStringLiteral("/checkpoints"));
        QVERIFY2(response, response ? "" : qPrintable(response.error().toString()));
        QCOMPARE(response->status, 200);
        QCOMPARE(response->contentType, QByteArray("application/json; charset=UTF-8"));
        const QJsonObject root = QJsonDocument::fromJson(response->body).object();
        const QJsonObject counts = root.value(QStringLiteral("counts")).toObject();
        QCOMPARE(counts.value(QStringLiteral("total")).toInt(), 3);
        QCOMPARE(counts.value(QStringLiteral("completed")).toInt(), 1);
        QCOMPARE(counts.value(QStringLiteral("failed")).toInt(), 1);
        QCOMPARE(counts.value(QStringLiteral("in_progress")).toInt(), 1);
        QCOMPARE(counts.value(QStringLiteral("restored")).toInt(), 0);
        const QJsonObject e2e
            = root.value(QStringLiteral("summary")).toObject().value(QStringLiteral("end_to_end_duration")).toObject();
        QCOMPARE(e2e.value(QStringLiteral("min")).toInteger(), 1000);
        QCOMPARE(e2e.value(QStringLiteral("max")).toInteger(), 1000);
        QCOMPARE(e2e.value(QStringLiteral("avg")).toInteger(), 1000);

        const QJsonObject latest = root.value(QStringLiteral("latest")).toObject();
        const QJsonObject completed = latest.value(QStringLiteral("completed")).toObject();
        QCOMPARE(completed.value(QStringLiteral("id")).toInteger(), 1);
        QCOMPARE(completed.value(QStringLiteral("status")).toString(), QStringLiteral("COMPLETED"));
        QCOMPARE(completed.value(QStringLiteral("trigger_timestamp")).toInteger(), t0 - 30'000);
        QCOMPARE(completed.value(QStringLiteral("latest_ack_timestamp")).toInteger(), t0 - 29'000);
        QCOMPARE(completed.value(QStringLiteral("end_to_end_duration")).toInteger(), 1000);
        QCOMPARE(completed.value(QStringLiteral("state_size")).toInteger(), 100);
        QVERIFY(latest.value(QStringLiteral("savepoint")).isNull());
        QVERIFY(latest.value(QStringLiteral("restored")).isNull());
        const QJsonObject failed = latest.value(QStringLiteral("failed")).toObject();
        QCOMPARE(failed.value(QStringLiteral("failure_timestamp")).toInteger(), t0 - 10'000);
        QCOMPARE(failed.value(QStringLiteral("failure_message")).toString(), QStringLiteral("sink commit failed"));

        const QJsonArray history = root.value(QStringLiteral("history")).toArray();
        QCOMPARE(history.size(), 3);
        QStringList statuses;
        QStringList classes;
        for (const QJsonValue& v : history) {
            statuses << v.toObject().value(QStringLiteral("status")).toString();
            classes << v.toObject().value(QStringLiteral("@class")).toString();
            QCOMPARE(v.toObject().value(QStringLiteral("num_subtasks")).toInt(), 1);
            QCOMPARE(v.toObject().value(QStringLiteral("is_savepoint")).toBool(true), false);
        }
        QCOMPARE(statuses, QStringLiteral("IN_PROGRESS FAILED COMPLETED").split(QLatin1Char(' ')));
        QCOMPARE(classes, QStringLiteral("in_progress failed completed").split(QLatin1Char(' ')));
        QCOMPARE(history[0].toObject().value(QStringLiteral("latest_ack_timestamp")).toInteger(), -1);
    }

    void overviewsAndJobDetail()
    {
        m_board->setState(QStringLiteral("RUNNING"), nowMs() - 5000);
        auto overview = fetch(QStringLiteral("/overview"));
        QVERIFY(overview);
        QCOMPARE(overview->status, 200);
        const QJsonObject cluster = QJsonDocument::fromJson(overview->body).object();
        QCOMPARE(cluster.value(QStringLiteral("flink-version")).toString(), QStringLiteral("1.17.2"));
        QCOMPARE(cluster.value(QStringLiteral("taskmanagers")).toInt(), 1);
        QCOMPARE(cluster.value(QStringLiteral("jobs-running")).toInt(), 1);

        for (const QString& path : {QStringLiteral("/jobs/overview"), QStringLiteral("/v1/jobs/overview")}) {
            auto jobs = fetch(path);
            QVERIFY(jobs);
            QCOMPARE(jobs->status, 200);
            const QJsonArray list
                = QJsonDocument::fromJson(jobs->body).object().value(QStringLiteral("jobs")).toArray();
            QCOMPARE(list.size(), 1);
            const QJsonObject job = list[0].toObject();
            QCOMPARE(job.value(QStringLiteral("jid")).toString(), kJobId);
            QCOMPARE(job.value(QStringLiteral("name")).toString(), kJobName);
            QCOMPARE(job.value(QStringLiteral("state")).toString(), QStringLiteral("RUNNING"));
            QCOMPARE(job.value(QStringLiteral("end-time")).toInteger(), -1);
            QVERIFY(job.value(QStringLiteral("duration")).toInteger() >= 5000);
            QCOMPARE(job.value(QStringLiteral("tasks")).toObject().value(QStringLiteral("running")).toInt(), 1);
        }

        auto detail = fetch(QStringLiteral("/jobs/") + kJobId);
        QVERIFY(detail);
        QCOMPARE(detail->status, 200);
        const QJsonObject job = QJsonDocument::fromJson(detail->body).object();
        QCOMPARE(job.value(QStringLiteral("jid")).toString(), kJobId);
        QCOMPARE(job.value(QStringLiteral("state")).toString(), QStringLiteral("RUNNING"));
        QVERIFY(job.value(QStringLiteral("now")).toInteger() >= job.value(QStringLiteral("start-time")).toInteger());
        QCOMPARE(job.value(QStringLiteral("timestamps")).toObject().value(QStringLiteral("RUNNING")).toInteger(),
            m_board->view().stateTimestamps.at(QStringLiteral("RUNNING")));
    }

    void notFoundIsJson()
    {
        auto job = fetch(QStringLiteral("/jobs/00000000000000000000000000000000/checkpoints"));
        QVERIFY(job);
        QCOMPARE(job->status, 404);
        QCOMPARE(job->contentType, QByteArray("application/json; charset=UTF-8"));
        QCOMPARE(QJsonDocument::fromJson(job->body).object().value(QStringLiteral("errors")).toArray(),
            QJsonArray {QStringLiteral("Job 00000000000000000000000000000000 not found")});

        auto path = fetch(QStringLiteral("/taskmanagers?x=1"));
        QVERIFY(path);
        QCOMPARE(path->status, 404);
        QCOMPARE(QJsonDocument::fromJson(path->body).object().value(QStringLiteral("errors")).toArray(),
            QJsonArray {QStringLiteral("Not found: /taskmanagers")});

        auto nested = fetch(QStringLiteral("/jobs/") + kJobId + QStringLiteral("/checkpoints/config"));
        QVERIFY(nested);
        QCOMPARE(nested->status, 404);
    }

    void nonGetIsRefused()
    {
        RawConnection c;
        QVERIFY(c.connect(m_server->port()));
        QVERIFY(!c.write("POST /jobs/overview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"));
        http::response<http::string_body> response;
        QVERIFY(!c.read(response));
        QCOMPARE(response.result_int(), 405);
        QCOMPARE(std::string(response[http::field::allow]), "GET");
        QVERIFY(jsonOf(response.body()).value(QStringLiteral("errors")).isArray());
        // Still usable afterwards: a refused method is not a broken connection.
        QVERIFY(!c.write(get("/overview")));
        QVERIFY(!c.read(response));
        QCOMPARE(response.result_int(), 200);
    }

    void keepAlive()
    {
        RawConnection c;
        QVERIFY(c.connect(m_server->port()));
        // Two requests written back to back (pipelined), then a third after the answers: one connection throughout.
        QVERIFY(!c.write(get("/jobs/overview") + get("/jobs/" + kJobId.toStdString())));
        http::response<http::string_body> first;
        http::response<http::string_body> second;
        QVERIFY(!c.read(first));
        QVERIFY(!c.read(second));
        QCOMPARE(first.result_int(), 200);
        QVERIFY(first.keep_alive());
        QVERIFY(jsonOf(first.body()).contains(QStringLiteral("jobs")));
        QCOMPARE(second.result_int(), 200);
        QCOMPARE(jsonOf(second.body()).value(QStringLiteral("jid")).toString(), kJobId);
        QVERIFY(!c.write(get("/overview", false)));
        http::response<http::string_body> third;
        QVERIFY(!c.read(third));
        QCOMPARE(third.result_int(), 200);
        QVERIFY(!third.keep_alive());
        QVERIFY(c.closedByServer());
    }

    void malformedRequestClosesOnlyThatConnection()
    {
        RawConnection idle;
        QVERIFY(idle.connect(m_server->port()));
        QVERIFY(!idle.write(get("/overview")));
        http::response<http::string_body> response;
        QVERIFY(!idle.read(response));

        RawConnection bad;
        QVERIFY(bad.connect(m_server->port()));
        QVERIFY(!bad.write("GET\x01 / HTTP/9.9 nonsense\r\n\r\n"));
        QVERIFY(!bad.read(response));
        QCOMPARE(response.result_int(), 400);
        QVERIFY(bad.closedByServer());

        // The other connection and new ones are served as before.
        QVERIFY(!idle.write(get("/overview")));
        QVERIFY(!idle.read(response));
        QCOMPARE(response.result_int(), 200);
        auto fresh = fetch(QStringLiteral("/jobs/overview"));
        QVERIFY(fresh);
        QCOMPARE(fresh->status, 200);
    }

    void oversizedRequestIsRefused()
    {
        RawConnection c;
        QVERIFY(c.connect(m_server->port()));
        const std::string huge
            = "GET /overview HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(100 * 1024, 'a') + "\r\n\r\n";
        c.write(huge); // the server may hang up before it has read everything
        http::response<http::string_body> response;
        if (!c.read(response))
            QCOMPARE(response.result_int(), 431);
        QVERIFY(c.closedByServer());
        QCOMPARE(fetch(QStringLiteral("/overview"))->status, 200);
    }

    void idleConnectionTimesOut()
    {
        FlinkRestServer::Options options;
        options.port = 0;
        options.idleTimeoutMs = 300;
        auto server = FlinkRestServer::start(options, *m_board);
        QVERIFY(server);
        RawConnection c;
        QVERIFY(c.connect((*server)->port()));
        QElapsedTimer timer;
        timer.start();
        QVERIFY(c.closedByServer(5000));
        QVERIFY2(timer.elapsed() >= 250, qPrintable(QString::number(timer.elapsed())));
    }

    void stopWithAnIdleClientReturnsPromptly()
    {
        RawConnection c;
        QVERIFY(c.connect(m_server->port()));
        QVERIFY(!c.write(get("/overview")));
        http::response<http::string_body> response;
        QVERIFY(!c.read(response)); // accepted and now idle on keep-alive
        QElapsedTimer timer;
        timer.start();
        m_server->stop();
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(c.closedByServer(1000));
        RawConnection after;
        QVERIFY(!after.connect(m_server->port()));
        m_server->stop(); // a second stop (and the destructor's) is harmless
    }

    void busyPortIsAnError()
    {
        FlinkRestServer::Options options;
        options.port = m_server->port();
        auto second = FlinkRestServer::start(options, *m_board);
        QVERIFY(!second);
        QVERIFY2(second.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(m_server->port())),
            qPrintable(second.error().message));
    }

    // The recovery calls through the REST API, as Flink documents them, driven by the Flink client.
    void recoveryCallsThroughTheClient()
    {
        FakeControl control(*m_board);
        FlinkRestServer::Options options;
        options.port = 0;
        auto server = FlinkRestServer::start(options, *m_board, &control);
        QVERIFY(server);
        m_board->setState(QStringLiteral("RUNNING"), nowMs() - 1000);
        replay::FlinkClient client({QString::fromStdString((*server)->url()), std::chrono::milliseconds(5000),
            std::chrono::milliseconds(20), std::chrono::milliseconds(5000), {}});

        auto jobs = client.jobs();
        QVERIFY2(jobs, jobs ? "" : qPrintable(jobs.error().toString()));
        QCOMPARE(jobs->size(), size_t(1));
        QCOMPARE(jobs->front().id, kJobId);
        QCOMPARE(jobs->front().state, QStringLiteral("RUNNING"));
        QCOMPARE(client.jobNamed(kJobName)->value().id, kJobId);
        QVERIFY(!client.jobNamed(QStringLiteral("other"))->has_value());

        // Stop with savepoint: 202 and a request id, IN_PROGRESS until the job reports the savepoint.
        auto trigger = client.triggerStopWithSavepoint(kJobId, QStringLiteral("/tmp/sp"));
        QVERIFY2(trigger, trigger ? "" : qPrintable(trigger.error().toString()));
        QCOMPARE(*trigger, QStringLiteral("trigger-1"));
        QCOMPARE(control.stops.back().targetDirectory, QStringLiteral("/tmp/sp"));
        QCOMPARE(control.stops.back().drain, false);
        auto status = client.savepointStatus(kJobId, *trigger);
        QVERIFY(status);
        QVERIFY(!status->completed);
        m_board->completeTrigger(*trigger, QStringLiteral("file:/tmp/sp/savepoint-9a8b7c-0123456789ab"));
        status = client.savepointStatus(kJobId, *trigger);
        QVERIFY(status && status->completed && status->failure.isEmpty());
        QCOMPARE(status->location, QStringLiteral("file:/tmp/sp/savepoint-9a8b7c-0123456789ab"));
        auto raw = fetch(QStringLiteral("/jobs/") + kJobId + QStringLiteral("/savepoints/") + *trigger);
        QVERIFY(raw);
        const QJsonObject body = QJsonDocument::fromJson(raw->body).object();
        QCOMPARE(body.value(QStringLiteral("status")).toObject().value(QStringLiteral("id")).toString(),
            QStringLiteral("COMPLETED"));
        QCOMPARE(body.value(QStringLiteral("operation")).toObject().value(QStringLiteral("location")).toString(),
            QStringLiteral("file:/tmp/sp/savepoint-9a8b7c-0123456789ab"));

        // The whole call waits for the trigger; a failed savepoint is an error with Flink's cause.
        std::thread completer([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            m_board->failTrigger(QStringLiteral("trigger-2"), QStringLiteral("sink commit failed"));
        });
        auto failed = client.stopWithSavepoint(kJobId, {}, true);
        completer.join();
        QVERIFY(!failed);
        QVERIFY2(
            failed.error().message.contains(QStringLiteral("sink commit failed")), qPrintable(failed.error().message));
        QCOMPARE(control.stops.back().drain, true);
        QVERIFY(control.stops.back().targetDirectory.isEmpty());

        control.stopError = Error::make(Error::Code::Refused, QStringLiteral("Job is not running"));
        auto refused = client.stopWithSavepoint(kJobId, {});
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, Error::Code::Refused);
        QVERIFY2(refused.error().message.contains(QStringLiteral("HTTP 409: Job is not running")),
            qPrintable(refused.error().message));
        auto unknown = client.stopWithSavepoint(QStringLiteral("ffffffffffffffffffffffffffffffff"), {});
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().code, Error::Code::NotFound);
        auto unknownTrigger = client.savepointStatus(kJobId, QStringLiteral("nope"));
        QVERIFY(!unknownTrigger);
        QCOMPARE(unknownTrigger.error().code, Error::Code::NotFound);

        // Jars and a run: the new job is listed beside the old one, and checkpoints are served for it.
        auto jars = client.jars();
        QVERIFY(jars);
        QCOMPARE(jars->size(), size_t(1));
        QCOMPARE(jars->front().id, control.jar.id);
        QCOMPARE(jars->front().entryClasses, QStringList {QStringLiteral("demo.Main")});
        auto jobId = client.runJar(control.jar.id, {QStringLiteral("--topic"), QStringLiteral("events")},
            QStringLiteral("file:/tmp/sp/savepoint-9a8b7c-0123456789ab"), true);
        QVERIFY2(jobId, jobId ? "" : qPrintable(jobId.error().toString()));
        QCOMPARE(control.runs.back().programArgs, QStringList({QStringLiteral("--topic"), QStringLiteral("events")}));
        QCOMPARE(control.runs.back().savepointPath, QStringLiteral("file:/tmp/sp/savepoint-9a8b7c-0123456789ab"));
        QCOMPARE(control.runs.back().allowNonRestoredState, true);
        QCOMPARE(client.jobs()->size(), size_t(2));
        QCOMPARE(client.job(*jobId)->state, QStringLiteral("RUNNING"));
        QCOMPARE(client.job(kJobId)->state, QStringLiteral("RUNNING")); // the fake leaves the old one as it was
        m_board->startJob(QStringLiteral("ab").repeated(16), kJobName);
        m_board->setState(QStringLiteral("FINISHED"), nowMs());
        const QJsonObject cluster = QJsonDocument::fromJson(fetch(QStringLiteral("/overview"))->body).object();
        QCOMPARE(cluster.value(QStringLiteral("jobs-running")).toInt(), 2);
        QCOMPARE(cluster.value(QStringLiteral("jobs-finished")).toInt(), 1);
        QCOMPARE(fetch(QStringLiteral("/jobs/") + *jobId + QStringLiteral("/checkpoints"))->status, 200);
        QCOMPARE(fetch(QStringLiteral("/jobs/") + kJobId + QStringLiteral("/checkpoints"))->status, 200);

        // programArgs as one string is split as Flink splits it; both forms at once are refused.
        const std::string argsBody = "{\"programArgs\":\"--group 'a b' --topic  x\"}  ";
        auto answer = FlinkRestServer::answer("POST /jars/" + control.jar.id.toStdString()
                + "/run HTTP/1.1\r\nContent-Length: " + std::to_string(argsBody.size()) + "\r\n\r\n" + argsBody,
            *m_board, &control);
        QCOMPARE(answer.status, 200);
        QCOMPARE(control.runs.back().programArgs,
            QStringList(
                {QStringLiteral("--group"), QStringLiteral("a b"), QStringLiteral("--topic"), QStringLiteral("x")}));
        const std::string both = "{\"programArgs\":\"a\",\"programArgsList\":[\"b\"]}";
        answer = FlinkRestServer::answer(
            "POST /jars/x/run HTTP/1.1\r\nContent-Length: " + std::to_string(both.size()) + "\r\n\r\n" + both, *m_board,
            &control);
        QCOMPARE(answer.status, 400);
        answer = FlinkRestServer::answer(
            "POST /jobs/" + kJobId.toStdString() + "/stop HTTP/1.1\r\nContent-Length: 5\r\n\r\n{nope", *m_board,
            &control);
        QCOMPARE(answer.status, 400);
        answer = FlinkRestServer::answer(
            "GET /jobs/" + kJobId.toStdString() + "/stop HTTP/1.1\r\n\r\n", *m_board, &control);
        QCOMPARE(answer.status, 405);
        auto missingJar = client.runJar(QStringLiteral("missing.jar"), {});
        QVERIFY(!missingJar);
        QCOMPARE(missingJar.error().code, Error::Code::NotFound);
        control.runError = Error::make(Error::Code::Generic, QStringLiteral("Could not restore the job"));
        auto broken = client.runJar(control.jar.id, {});
        QVERIFY(!broken);
        QCOMPARE(broken.error().code, Error::Code::Http);
        QVERIFY2(broken.error().message.contains(QStringLiteral("HTTP 500: Could not restore the job")),
            qPrintable(broken.error().message));

        // Without a JobControl the server only reports.
        QCOMPARE(FlinkRestServer::answer("GET /jars HTTP/1.1\r\n\r\n", *m_board).status, 200);
        QCOMPARE(
            FlinkRestServer::answer("POST /jobs/" + jobId->toStdString() + "/stop HTTP/1.1\r\n\r\n", *m_board).status,
            409);
    }

    // What a real Flink answers when things go wrong, from a canned server: errors arrays, failure causes, a savepoint
    // that never completes, a server that is not there.
    void clientReportsFlinkErrors()
    {
        TestHttpServer flink;
        QVERIFY(flink.start());
        replay::FlinkClient client({flink.baseUrl(), std::chrono::milliseconds(2000), std::chrono::milliseconds(20),
            std::chrono::milliseconds(300), {{"Authorization", "Bearer t"}}});
        flink.setResponse("/jobs/abc/stop",
            TestResponse::json("{\"errors\":[\"Internal server error.\",\"<Exception on server "
                               "side:\\norg.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint "
                               "Coordinator is suspending.\\n\\tat ...>\"]}",
                500));
        auto stop = client.stopWithSavepoint(QStringLiteral("abc"), QStringLiteral("s3://b/sp"));
        QVERIFY(!stop);
        QCOMPARE(stop.error().code, Error::Code::Http);
        QVERIFY2(
            stop.error().message.contains(QStringLiteral("POST /jobs/abc/stop: HTTP 500: Internal server error.; "))
                && stop.error().message.contains(QStringLiteral("Checkpoint Coordinator is suspending")),
            qPrintable(stop.error().message));
        QCOMPARE(flink.lastRequest().method, QByteArray("POST"));
        QCOMPARE(flink.lastRequest().header("Authorization"), QByteArray("Bearer t"));
        QCOMPARE(flink.lastRequest().header("Content-Type"), QByteArray("application/json"));

        flink.setResponse("/jobs/abc/stop", TestResponse::json("{\"request-id\":\"t1\"}", 202));
        flink.setResponse("/jobs/abc/savepoints/t1",
            TestResponse::json("{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"failure-cause\":{\"class\":\"java."
                               "util.concurrent.CompletionException\",\"stack-trace\":\"java.util.concurrent."
                               "CompletionException: java.io.IOException: Target directory is not writable\\n\\tat "
                               "x\",\"serialized-throwable\":\"rO0=\"}}}"));
        stop = client.stopWithSavepoint(QStringLiteral("abc"), {});
        QVERIFY(!stop);
        QVERIFY2(stop.error().message.contains(QStringLiteral("Target directory is not writable")),
            qPrintable(stop.error().message));
        QVERIFY(!stop.error().message.contains(QStringLiteral("\tat x")));

        flink.setResponse(
            "/jobs/abc/savepoints/t1", TestResponse::json("{\"status\":{\"id\":\"IN_PROGRESS\"},\"operation\":null}"));
        stop = client.stopWithSavepoint(QStringLiteral("abc"), {});
        QVERIFY(!stop);
        QCOMPARE(stop.error().code, Error::Code::Timeout);
        QVERIFY2(stop.error().message.contains(QStringLiteral("t1")), qPrintable(stop.error().message));
        bool asked = false;
        stop = client.stopWithSavepoint(QStringLiteral("abc"), {}, false, [&] { return asked = true; });
        QCOMPARE(stop.error().code, Error::Code::Cancelled);

        flink.setResponse("/jobs/abc/savepoints/t1",
            TestResponse::json(
                "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"location\":\"s3://b/sp/savepoint-abc-1\"}}"));
        QCOMPARE(*client.stopWithSavepoint(QStringLiteral("abc"), {}), QStringLiteral("s3://b/sp/savepoint-abc-1"));

        flink.setResponse("/jars/j.jar/run",
            TestResponse::json("{\"errors\":[\"org.apache.flink.runtime.rest.handler.RestHandlerException: Jar file "
                               "/tmp/flink-web/j.jar does not exist\"]}",
                400));
        auto run = client.runJar(QStringLiteral("j.jar"), {});
        QVERIFY(!run);
        QCOMPARE(run.error().code, Error::Code::Http);
        QVERIFY2(run.error().message.contains(
                     QStringLiteral("HTTP 400: org.apache.flink.runtime.rest.handler.RestHandlerException: Jar file")),
            qPrintable(run.error().message));
        flink.setResponse("/jars/j.jar/run", TestResponse::json("{\"jobid\":\"0f0f\"}"));
        QCOMPARE(*client.runJar(QStringLiteral("j.jar"), {}), QStringLiteral("0f0f"));
        flink.setResponse("/jars/j.jar/run", TestResponse::text("<html>proxy error</html>", 502));
        run = client.runJar(QStringLiteral("j.jar"), {});
        QVERIFY(!run);
        QVERIFY2(run.error().message.contains(QStringLiteral("HTTP 502: <html>proxy error</html>")),
            qPrintable(run.error().message));
        flink.setResponse("/jobs/overview", TestResponse::json("not json"));
        QCOMPARE(client.jobs().error().code, Error::Code::Parse);

        replay::FlinkClient nobody({QStringLiteral("http://127.0.0.1:%1").arg(unusedTcpPort())});
        auto down = nobody.jobs();
        QVERIFY(!down);
        QCOMPARE(down.error().code, Error::Code::Network);
        QVERIFY2(down.error().message.contains(QStringLiteral("connect")), qPrintable(down.error().message));
        QCOMPARE(replay::FlinkClient({QStringLiteral("ftp://x")}).jobs().error().code, Error::Code::Config);

        TestResponse hang;
        hang.hang = true;
        flink.setResponse("/jobs/overview", hang);
        replay::FlinkClient impatient({flink.baseUrl(), std::chrono::milliseconds(300)});
        QCOMPARE(impatient.jobs().error().code, Error::Code::Timeout);
    }

    void cleanupTestCase()
    {
        m_http.reset();
        m_io.reset();
    }
};

QTEST_GUILESS_MAIN(TestFlinkRestServer)
#include "tst_flinkrestserver.moc"
