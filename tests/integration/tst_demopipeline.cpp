// The embedded demo pipeline, checked from outside through independent readers: kcat reads the events, librdkafka's
// admin API the group's committed offsets, the filesystem the objects, QtSql the serving table, HTTP the sink's
// Prometheus metrics and the Flink-compatible REST API. Then the drills: a stopped job leaves the group and stops
// committing, object-store errors fail checkpoints, and stop() returns promptly while the sink is slow.
#include "demo/demopipeline.h"
#include "sources/httpclient.h"
#include "sources/kafkaadmin.h"
#include "testhttpserver.h"
#include "waitfor.h"

#include <QDateTime>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <thread>

using pw::KafkaAdmin;
using pw::demo::DemoPipeline;
using pw::demo::Drill;

namespace {

using pw::test::waitFor;

// The sum of all series of a metric family sample, e.g. `demo_object_store_errors_total{operation="put"} 3`.
double metricValue(const QByteArray& exposition, const QString& name)
{
    const QRegularExpression line(QStringLiteral("^%1(\\{[^}]*\\})? ([^ \\n]+)").arg(QRegularExpression::escape(name)),
        QRegularExpression::MultilineOption);
    double sum = -1;
    for (auto it = line.globalMatch(QString::fromUtf8(exposition)); it.hasNext();) {
        const auto match = it.next();
        sum = std::max(sum, 0.0) + match.captured(2).toDouble();
    }
    return sum;
}

} // namespace

class TestDemoPipeline : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<DemoPipeline> m_pipeline;
    std::unique_ptr<KafkaAdmin> m_admin;
    pw::test::IoThreads m_io {1};
    std::unique_ptr<pw::HttpClient> m_http;
    const int m_partitions = 4;

    const pw::demo::DemoEndpoints& endpoints() const { return m_pipeline->endpoints(); }

    // Free ports, a brisk rhythm (500 events/s, a checkpoint a second) and ten minutes of history on a new log.
    pw::demo::DemoOptions testOptions(const QString& dataDir) const
    {
        pw::demo::DemoOptions options;
        options.dataDir = dataDir.toStdString();
        options.brokerPort = 0;
        options.restPort = 0;
        options.metricsPort = 0;
        options.partitions = m_partitions;
        options.eventsPerSecond = 500;
        options.checkpointInterval = std::chrono::milliseconds(1000);
        options.history = std::chrono::minutes(10);
        return options;
    }

    QByteArray get(const std::string& url)
    {
        pw::HttpRequest request;
        request.url = QString::fromStdString(url);
        auto response = pw::test::getSync(*m_http, request, 5000);
        if (!response) {
            qWarning().noquote() << "GET" << request.url << response.error().toString();
            return {};
        }
        return response->body;
    }

    double metric(const QString& name) { return metricValue(get(endpoints().metricsUrl), name); }

    QJsonObject job()
    {
        const auto jobs = QJsonDocument::fromJson(get(endpoints().restUrl + "/jobs/overview"))
                              .object()
                              .value(QStringLiteral("jobs"))
                              .toArray();
        return jobs.isEmpty() ? QJsonObject {} : jobs.first().toObject();
    }

    QString jobState() { return job().value(QStringLiteral("state")).toString(); }

    std::map<int32_t, int64_t> committed()
    {
        std::map<int32_t, int64_t> m;
        auto offsets = m_admin->listGroupOffsets(QString::fromStdString(endpoints().group));
        if (offsets)
            for (const auto& o : *offsets)
                if (o.topic == QString::fromStdString(endpoints().topic))
                    m[o.partition] = o.offset;
        return m;
    }

    static int64_t sum(const std::map<int32_t, int64_t>& offsets)
    {
        int64_t total = 0;
        for (const auto& [partition, offset] : offsets)
            total += std::max<int64_t>(offset, 0);
        return total;
    }

    std::map<int32_t, int64_t> highWatermarks()
    {
        std::map<int32_t, int64_t> m;
        auto marks = m_admin->topicWatermarks(QString::fromStdString(endpoints().topic), m_partitions);
        if (marks)
            for (size_t i = 0; i < marks->size(); ++i)
                m[int32_t(i)] = (*marks)[i].high;
        return m;
    }

    // Events of a minute that has already ended, from an independent producer: the job loads them at its next
    // checkpoint instead of waiting for the current minute to close.
    bool produceLateEvents(int count)
    {
        const qint64 ts = QDateTime::currentMSecsSinceEpoch() - 90000;
        QByteArray input;
        for (int i = 0; i < count; ++i)
            input += QStringLiteral("k-late:{\"ts\":%1,\"key\":\"k-late\",\"value\":1.5}\n").arg(ts).toUtf8();
        QProcess kcat;
        kcat.start(QStringLiteral("/usr/bin/kcat"),
            {QStringLiteral("-b"), QString::fromStdString(endpoints().bootstrapServers), QStringLiteral("-P"),
                QStringLiteral("-t"), QString::fromStdString(endpoints().topic), QStringLiteral("-K:")});
        if (!kcat.waitForStarted(5000))
            return false;
        kcat.write(input);
        kcat.closeWriteChannel();
        return kcat.waitForFinished(15000) && kcat.exitCode() == 0;
    }

    qint64 servingEvents()
    {
        const QString name = QStringLiteral("tst_demopipeline_totals");
        qint64 events = -1;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(QString::fromStdString(endpoints().servingDatabase.string()));
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=2000"));
            QSqlQuery q(db);
            if (db.open() && q.exec(QStringLiteral("select coalesce(sum(events), 0) from aggregates")) && q.next())
                events = q.value(0).toLongLong();
        }
        QSqlDatabase::removeDatabase(name);
        return events;
    }

    qint64 stateEvents()
    {
        QFile file(m_dir.path() + QStringLiteral("/job-state.json"));
        if (!file.open(QIODevice::ReadOnly))
            return -1;
        qint64 events = 0;
        const auto rows = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("open")).toArray();
        for (const auto& row : rows)
            events += row.toObject().value(QStringLiteral("events")).toInteger();
        return events;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const pw::demo::DemoOptions options = testOptions(m_dir.path());
        auto pipeline = DemoPipeline::start(options);
        QVERIFY2(pipeline, qPrintable(pipeline ? QString() : pipeline.error().toString()));
        m_pipeline = std::move(*pipeline);

        QVERIFY(!endpoints().bootstrapServers.ends_with(":0"));
        QVERIFY(endpoints().restUrl.starts_with("http://127.0.0.1:"));
        QVERIFY(endpoints().metricsUrl.starts_with("http://127.0.0.1:"));
        QVERIFY(endpoints().metricsUrl.ends_with("/metrics"));

        pw::KafkaAdminConfig config;
        config.bootstrapServers = QString::fromStdString(endpoints().bootstrapServers);
        config.timeout = std::chrono::milliseconds(5000);
        auto admin = KafkaAdmin::create(config);
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().toString()));
        m_admin = std::move(*admin);
        m_http = std::make_unique<pw::HttpClient>(m_io.io());
        QVERIFY(produceLateEvents(40));
    }

    void cleanupTestCase()
    {
        if (m_pipeline)
            m_pipeline->stop();
    }

    void unusableDataDirIsNamed()
    {
        // A path below a regular file: refused even for root, unlike a read-only directory.
        QTemporaryDir dir;
        const QString blocker = dir.path() + QStringLiteral("/file");
        QFile file(blocker);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        pw::demo::DemoOptions options;
        options.dataDir = QString(blocker + QStringLiteral("/demo")).toStdString();
        auto pipeline = DemoPipeline::start(options);
        QVERIFY(!pipeline);
        QCOMPARE(pipeline.error().code, pw::Error::Code::Io);
        QVERIFY2(pipeline.error().message.contains(blocker), qPrintable(pipeline.error().message));
    }

    void kcatReadsTheEvents()
    {
        QVERIFY(waitFor([&] { return sum(highWatermarks()) >= 50; }, 10000));
        QProcess kcat;
        kcat.start(QStringLiteral("/usr/bin/kcat"),
            {QStringLiteral("-b"), QString::fromStdString(endpoints().bootstrapServers), QStringLiteral("-C"),
                QStringLiteral("-t"), QStringLiteral("events"), QStringLiteral("-o"), QStringLiteral("beginning"),
                QStringLiteral("-c"), QStringLiteral("50"), QStringLiteral("-e"), QStringLiteral("-q")});
        QVERIFY(kcat.waitForFinished(15000));
        QCOMPARE(kcat.exitCode(), 0);
        const auto lines = kcat.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 50);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        qint64 oldest = now;
        for (const auto& line : lines) {
            const QJsonObject event = QJsonDocument::fromJson(line).object();
            QVERIFY2(event.value(QStringLiteral("key")).toString().startsWith(QLatin1Char('k')), line.constData());
            QVERIFY(event.value(QStringLiteral("value")).isDouble());
            const qint64 ts = qint64(event.value(QStringLiteral("ts")).toDouble());
            // The new log starts with its 10 minutes of history.
            QVERIFY2(ts > now - 11 * 60000 && ts <= now, line.constData());
            oldest = std::min(oldest, ts);
        }
        QVERIFY2(oldest < now - 9 * 60000, qPrintable(QString::number(now - oldest)));
    }

    void checkpointsCommitOffsets()
    {
        // Every partition gets events, and checkpoints commit what the job consumed.
        QVERIFY2(waitFor(
                     [&] {
                         const auto c = committed();
                         return c.size() == size_t(m_partitions)
                             && std::all_of(c.begin(), c.end(), [](const auto& p) { return p.second > 0; });
                     },
                     15000),
            "the group did not commit an offset on every partition");
        const auto c = committed();
        const auto high = highWatermarks();
        for (const auto& [partition, offset] : c) {
            QVERIFY(offset > 0);
            QVERIFY2(offset <= high.at(partition),
                qPrintable(QStringLiteral("%1 > %2").arg(offset).arg(high.at(partition))));
        }
    }

    void objectsAreWholeJson()
    {
        const QString store
            = QString::fromStdString(endpoints().objectStore.string()) + QStringLiteral("/mart-aggregates");
        QStringList files;
        QVERIFY(waitFor(
            [&] {
                files.clear();
                QDirIterator it(store, {QStringLiteral("part-*.json")}, QDir::Files, QDirIterator::Subdirectories);
                while (it.hasNext())
                    files << it.next();
                return !files.isEmpty();
            },
            5000));
        static const QRegularExpression partition(
            QStringLiteral("/minute=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\dZ/part-\\d+\\.json$"));
        qint64 events = 0;
        for (const QString& path : files) {
            QVERIFY2(partition.match(path).hasMatch(), qPrintable(path));
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QJsonParseError error;
            const QJsonObject object = QJsonDocument::fromJson(file.readAll(), &error).object();
            QVERIFY2(
                error.error == QJsonParseError::NoError, qPrintable(path + QLatin1Char(' ') + error.errorString()));
            QVERIFY(path.contains(QStringLiteral("minute=") + object.value(QStringLiteral("minute")).toString()));
            const QJsonArray rows = object.value(QStringLiteral("rows")).toArray();
            QVERIFY(!rows.isEmpty());
            for (const auto& row : rows)
                events += row.toObject().value(QStringLiteral("events")).toInteger();
        }
        QVERIFY(events > 0);

        // The minutes still open as of the last checkpoint, replaced at every checkpoint.
        QFile inProgress(store + QStringLiteral("/_in-progress/open-minutes.json"));
        QVERIFY(waitFor([&] { return inProgress.exists(); }, 15000));
        QVERIFY(inProgress.open(QIODevice::ReadOnly));
        QJsonParseError error;
        const QJsonObject object = QJsonDocument::fromJson(inProgress.readAll(), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QVERIFY(object.value(QStringLiteral("checkpoint")).toInteger() > 0);
        const QJsonArray minutes = object.value(QStringLiteral("open_minutes")).toArray();
        QVERIFY(!minutes.isEmpty());
        for (const auto& minute : minutes) {
            const QString iso = minute.toObject().value(QStringLiteral("minute")).toString();
            QVERIFY(!iso.isEmpty());
            QVERIFY(!minute.toObject().value(QStringLiteral("rows")).toArray().isEmpty());
        }
    }

    void servingTableHoldsRecentClosedMinutes()
    {
        QVERIFY(waitFor([&] { return servingEvents() > 0; }, 5000));
        const QString name = QStringLiteral("tst_demopipeline_reader");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(QString::fromStdString(endpoints().servingDatabase.string()));
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=2000"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(
                q.exec(QStringLiteral("select count(*), max(minute_ts), sum(events), max(loaded_at) from aggregates")));
            QVERIFY(q.next());
            const qint64 now = QDateTime::currentSecsSinceEpoch();
            QVERIFY(q.value(0).toLongLong() > 0);
            // Recent, and only minutes that have ended: what a freshness query of max(minute_ts) + 60 relies on.
            const qint64 newest = q.value(1).toLongLong();
            QVERIFY2(
                newest >= now - 240 && newest + 60 <= now, qPrintable(QStringLiteral("%1 at %2").arg(newest).arg(now)));
            QCOMPARE(newest % 60, 0);
            QVERIFY(q.value(2).toLongLong() > 0);
            QVERIFY(q.value(3).toLongLong() >= now - 30);
            QVERIFY(q.exec(QStringLiteral("pragma journal_mode")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
        }
        QSqlDatabase::removeDatabase(name);
    }

    void metricsShowCommitLatency()
    {
        const QByteArray body = get(endpoints().metricsUrl);
        QVERIFY2(body.contains("demo_sink_commit_duration_seconds_bucket{le=\"0.005\"}"), body.left(2000).constData());
        QVERIFY(body.contains("demo_sink_commit_duration_seconds_bucket{le=\"10\"}"));
        QVERIFY(body.contains("demo_object_store_requests_total{operation=\"put\"}"));
        QVERIFY(body.contains("demo_object_store_errors_total{operation=\"put\"} 0"));
        QVERIFY(metricValue(body, QStringLiteral("demo_sink_last_commit_timestamp_seconds"))
            > QDateTime::currentSecsSinceEpoch() - 10);
        const double count = metricValue(body, QStringLiteral("demo_sink_commit_duration_seconds_count"));
        QVERIFY(count > 0);
        QVERIFY(
            waitFor([&] { return metric(QStringLiteral("demo_sink_commit_duration_seconds_count")) > count; }, 5000));
    }

    void restApiShowsTheJobRunning()
    {
        const QJsonObject j = job();
        QCOMPARE(j.value(QStringLiteral("name")).toString(), QStringLiteral("demo-aggregate"));
        QCOMPARE(j.value(QStringLiteral("state")).toString(), QStringLiteral("RUNNING"));
        static const QRegularExpression jobId(QStringLiteral("^[0-9a-f]{32}$"));
        QVERIFY(jobId.match(j.value(QStringLiteral("jid")).toString()).hasMatch());
    }

    void pauseProducerDrillQuietsTheLog()
    {
        m_pipeline->setDrill(Drill::PauseProducer, true);
        // What was already handed to the producer still arrives.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const int64_t high = sum(highWatermarks());
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        QCOMPARE(sum(highWatermarks()), high);
        // The job catches up: no lag while nothing new arrives.
        QVERIFY(waitFor([&] { return sum(committed()) == high; }, 5000));
        m_pipeline->setDrill(Drill::PauseProducer, false);
        QVERIFY(waitFor([&] { return sum(highWatermarks()) > high; }, 3000));
    }

    void busyPortsFallBackToFreeOnes()
    {
        QTemporaryDir dir;
        pw::demo::DemoOptions options;
        options.dataDir = dir.path().toStdString();
        const QUrl rest(QString::fromStdString(endpoints().restUrl));
        const QUrl metrics(QString::fromStdString(endpoints().metricsUrl));
        const QString bootstrap = QString::fromStdString(endpoints().bootstrapServers);
        options.brokerPort = bootstrap.section(QLatin1Char(':'), -1).toUShort();
        options.restPort = std::uint16_t(rest.port());
        options.metricsPort = std::uint16_t(metrics.port());
        QVERIFY(options.brokerPort > 0 && options.restPort > 0 && options.metricsPort > 0);
        auto second = DemoPipeline::start(options);
        QVERIFY2(second, qPrintable(second ? QString() : second.error().toString()));
        const auto& e = (*second)->endpoints();
        QVERIFY(e.bootstrapServers != endpoints().bootstrapServers);
        QVERIFY(!e.bootstrapServers.ends_with(":0"));
        QVERIFY(QUrl(QString::fromStdString(e.restUrl)).port() > 0);
        QVERIFY(QUrl(QString::fromStdString(e.restUrl)).port() != rest.port());
        QVERIFY(QUrl(QString::fromStdString(e.metricsUrl)).port() > 0);
        QVERIFY(QUrl(QString::fromStdString(e.metricsUrl)).port() != metrics.port());
        QVERIFY(get(e.metricsUrl).contains("demo_sink_commit_duration_seconds"));
        (*second)->stop();
    }

    void stopJobDrillStopsCommitting()
    {
        m_pipeline->setDrill(Drill::StopJob, true);
        QVERIFY(m_pipeline->drill(Drill::StopJob));
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("CANCELED"); }, 5000));
        const auto before = committed();
        const int64_t highBefore = sum(highWatermarks());
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        QCOMPARE(committed(), before);
        QVERIFY(sum(highWatermarks()) > highBefore);

        m_pipeline->setDrill(Drill::StopJob, false);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
        QVERIFY2(waitFor([&] { return sum(committed()) > sum(before); }, 15000),
            "the restarted job did not commit past the offsets it stopped at");
    }

    void objectStoreErrorsFailCheckpoints()
    {
        const QString checkpointsUrl = QString::fromStdString(endpoints().restUrl) + QStringLiteral("/jobs/")
            + job().value(QStringLiteral("jid")).toString() + QStringLiteral("/checkpoints");
        auto failedCheckpoints = [&] {
            return QJsonDocument::fromJson(get(checkpointsUrl.toStdString()))
                .object()
                .value(QStringLiteral("counts"))
                .toObject()
                .value(QStringLiteral("failed"))
                .toInteger(-1);
        };
        const qint64 failedBefore = failedCheckpoints();
        QVERIFY(failedBefore >= 0);
        const double errorsBefore = metric(QStringLiteral("demo_object_store_errors_total"));
        QCOMPARE(errorsBefore, 0.0);

        m_pipeline->setDrill(Drill::ObjectStoreErrors, true);
        // Each round brings the sink a closed minute to put, so most checkpoints have a put that can fail.
        QVERIFY(waitFor(
            [&] {
                produceLateEvents(5);
                return metric(QStringLiteral("demo_object_store_errors_total")) > errorsBefore;
            },
            10000));
        QVERIFY(waitFor([&] { return failedCheckpoints() > failedBefore; }, 5000));
        m_pipeline->setDrill(Drill::ObjectStoreErrors, false);
    }

    void everyCommittedEventIsCountedOnce()
    {
        // Stopped, the job has committed exactly what its completed checkpoints loaded: failed checkpoints left no
        // objects and no rows behind, and the restart after the first stop did not load anything twice.
        m_pipeline->setDrill(Drill::StopJob, true);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("CANCELED"); }, 5000));
        const int64_t consumed = sum(committed());
        QVERIFY(consumed > 0);
        // Committed offsets cover what reached the serving table plus the open minutes of the checkpointed state.
        const qint64 served = servingEvents();
        const qint64 inState = stateEvents();
        QVERIFY(inState >= 0);
        QCOMPARE(served + inState, consumed);

        qint64 inObjects = 0;
        QDirIterator it(QString::fromStdString(endpoints().objectStore.string()), {QStringLiteral("*.json")},
            QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile file(it.next());
            if (file.fileName().endsWith(QStringLiteral("/mart-aggregates/_in-progress/open-minutes.json")))
                continue; // the open minutes, not committed rows
            QVERIFY2(file.fileName().contains(QStringLiteral("/part-")), qPrintable(file.fileName()));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const auto rows = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("rows")).toArray();
            for (const auto& row : rows)
                inObjects += row.toObject().value(QStringLiteral("events")).toInteger();
        }
        QCOMPARE(inObjects, served);
    }

    void replayStartsWithoutTheStaleState()
    {
        // The job is stopped (previous test), so its group is empty and can be rewound like a replay does.
        QCOMPARE(jobState(), QStringLiteral("CANCELED"));
        const qint64 servedBefore = servingEvents();
        std::vector<KafkaAdmin::PartitionOffset> rewind;
        for (int32_t p = 0; p < m_partitions; ++p)
            rewind.push_back({QString::fromStdString(endpoints().topic), p, 0, {}});
        auto altered = m_admin->alterGroupOffsets(QString::fromStdString(endpoints().group), rewind);
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));
        const int64_t highBefore = sum(highWatermarks());

        m_pipeline->setDrill(Drill::StopJob, false);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
        QVERIFY2(waitFor([&] { return sum(committed()) > highBefore; }, 15000), "the replay did not catch up");
        m_pipeline->setDrill(Drill::StopJob, true);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("CANCELED"); }, 5000));
        // Everything since the rewind was counted once: what the replay loaded plus the open minutes of its state.
        QCOMPARE(servingEvents() - servedBefore + stateEvents(), qint64(sum(committed())));

        m_pipeline->setDrill(Drill::StopJob, false);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
    }

    void stopReturnsPromptlyWhileTheSinkIsSlow()
    {
        m_pipeline->setDrill(Drill::SlowSink, true);
        // Let a checkpoint start its slow commit.
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        QElapsedTimer timer;
        timer.start();
        m_pipeline->stop();
        const qint64 elapsed = timer.elapsed();
        qInfo("stop() took %lld ms with the slow-sink drill on", elapsed);
        QVERIFY2(elapsed < 5000, qPrintable(QStringLiteral("stop() took %1 ms").arg(elapsed)));
        m_pipeline->stop(); // idempotent
    }

    // Whatever another client writes to the topic — not JSON, absurd or missing times, no key, a huge key — is
    // skipped (or taken at its record time) and the job keeps checkpointing.
    void malformedEventsAreSkipped()
    {
        QTemporaryDir dir;
        pw::demo::DemoOptions options = testOptions(dir.path());
        options.partitions = 1;
        options.eventsPerSecond = 50;
        options.history = std::chrono::seconds(0);
        options.checkpointInterval = std::chrono::milliseconds(500);
        auto pipeline = DemoPipeline::start(options);
        QVERIFY2(pipeline, qPrintable(pipeline ? QString() : pipeline.error().toString()));
        auto& demo = **pipeline;
        auto completed = [&] {
            const QString jid = QJsonDocument::fromJson(get(demo.endpoints().restUrl + "/jobs/overview"))
                                    .object()
                                    .value(QStringLiteral("jobs"))
                                    .toArray()
                                    .first()
                                    .toObject()
                                    .value(QStringLiteral("jid"))
                                    .toString();
            return QJsonDocument::fromJson(
                get(demo.endpoints().restUrl + "/jobs/" + jid.toStdString() + "/checkpoints"))
                .object()
                .value(QStringLiteral("counts"))
                .toObject()
                .value(QStringLiteral("completed"))
                .toInteger();
        };
        QVERIFY(waitFor([&] { return completed() >= 1; }, 10000));

        const QByteArray garbage = QByteArray("not json at all\n"
                                              "{\"ts\":1e300,\"key\":\"k-far\",\"value\":1}\n"
                                              "{\"ts\":-5,\"key\":\"k-negative\",\"value\":1}\n"
                                              "{\"ts\":\"soon\",\"key\":\"k-text\",\"value\":\"x\"}\n"
                                              "{\"key\":\"\",\"value\":1}\n"
                                              "[1,2,3]\n")
            + "{\"ts\":1,\"key\":\"" + QByteArray(5000, 'x') + "\",\"value\":1}\n";
        QProcess kcat;
        kcat.start(QStringLiteral("/usr/bin/kcat"),
            {QStringLiteral("-b"), QString::fromStdString(demo.endpoints().bootstrapServers), QStringLiteral("-P"),
                QStringLiteral("-t"), QString::fromStdString(demo.endpoints().topic)});
        QVERIFY(kcat.waitForStarted(5000));
        kcat.write(garbage);
        kcat.closeWriteChannel();
        QVERIFY(kcat.waitForFinished(15000));
        QCOMPARE(kcat.exitCode(), 0);

        const qint64 before = completed();
        QVERIFY2(waitFor([&] { return completed() >= before + 3; }, 15000), "the job stopped checkpointing");
        QCOMPARE(QJsonDocument::fromJson(get(demo.endpoints().restUrl + "/jobs/overview"))
                     .object()
                     .value(QStringLiteral("jobs"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
            QStringLiteral("RUNNING"));
        demo.stop();
    }

    void restartOnTheSameDataDirectoryKeepsEarlierObjects()
    {
        std::map<QString, QByteArray> before;
        qint64 lastId = 0;
        static const QRegularExpression partId(QStringLiteral("/part-(\\d+)\\.json$"));
        const QString store = QString::fromStdString(endpoints().objectStore.string());
        auto scan = [&](std::map<QString, QByteArray>& files) {
            files.clear();
            QDirIterator it(store, {QStringLiteral("part-*.json")}, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                QFile file(it.next());
                if (file.open(QIODevice::ReadOnly))
                    files[file.fileName()] = file.readAll();
            }
        };
        scan(before);
        QVERIFY(!before.empty());
        for (const auto& [path, content] : before)
            lastId = std::max(lastId, partId.match(path).captured(1).toLongLong());

        const pw::demo::DemoOptions options = testOptions(m_dir.path());
        auto pipeline = DemoPipeline::start(options);
        QVERIFY2(pipeline, qPrintable(pipeline ? QString() : pipeline.error().toString()));
        m_pipeline = std::move(*pipeline);
        QVERIFY(produceLateEvents(10));

        std::map<QString, QByteArray> after;
        QVERIFY2(waitFor(
                     [&] {
                         scan(after);
                         return std::any_of(after.begin(), after.end(),
                             [&](const auto& f) { return partId.match(f.first).captured(1).toLongLong() > lastId; });
                     },
                     10000),
            "the restarted job wrote no object of a later checkpoint");
        for (const auto& [path, content] : before) {
            QVERIFY2(after.contains(path), qPrintable(path));
            QVERIFY2(after.at(path) == content, qPrintable(path + QStringLiteral(" was overwritten")));
        }
        m_pipeline->stop();
    }
};

QTEST_GUILESS_MAIN(TestDemoPipeline)
#include "tst_demopipeline.moc"
