#include "demo/flinkrestserver.h"
#include "demo/jobstatusboard.h"
#include "pollresults.h"
#include "sources/flinksource.h"
#include "sources/httpclient.h"
#include "testhttpserver.h"

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

    void cleanupTestCase()
    {
        m_http.reset();
        m_io.reset();
    }
};

QTEST_GUILESS_MAIN(TestFlinkRestServer)
#include "tst_flinkrestserver.moc"
