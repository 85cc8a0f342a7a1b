// The embedded demo pipeline, checked from outside through independent readers: kcat reads the events, librdkafka's
// admin API the group's committed offsets, the filesystem the objects, QtSql the serving table, HTTP the sink's
// Prometheus metrics and the Flink-compatible REST API. Then the drills: a stopped job leaves the group and stops
// committing, object-store errors fail checkpoints, and stop() returns promptly while the sink is slow.
#include "demo/demopipeline.h"
#include "demo/jobcheckpoint.h"
#include "replay/flinkclient.h"
#include "sources/httpclient.h"
#include "sources/kafkaadmin.h"
#include "testhttpserver.h"
#include "waitfor.h"

#include <QDateTime>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
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
using pw::demo::CheckpointStore;
using pw::demo::DemoPipeline;
using pw::demo::Drill;
using pw::demo::JobSnapshot;

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

    // An admin client of the running pipeline's broker (whose port changes with every start).
    bool connectAdmin()
    {
        pw::KafkaAdminConfig config;
        config.bootstrapServers = QString::fromStdString(endpoints().bootstrapServers);
        config.timeout = std::chrono::milliseconds(5000);
        auto admin = KafkaAdmin::create(config);
        if (!admin)
            qWarning().noquote() << admin.error().toString();
        m_admin = admin ? std::move(*admin) : nullptr;
        return bool(m_admin);
    }

    QString jobId() { return job().value(QStringLiteral("jid")).toString(); }

    std::filesystem::path checkpointDir(const QString& jid) const
    {
        return std::filesystem::path(m_dir.path().toStdString()) / "checkpoints" / jid.toStdString();
    }

    // The newest intact checkpoint of the current job.
    std::optional<JobSnapshot> latestCheckpoint()
    {
        const auto latest = CheckpointStore(checkpointDir(jobId())).latest();
        return latest ? std::optional(latest->snapshot) : std::nullopt;
    }

    static qint64 events(const pw::demo::Aggregates& windows, const std::string& key = {})
    {
        qint64 total = 0;
        for (const auto& [id, agg] : windows)
            if (key.empty() || id.second == key)
                total += agg.events;
        return total;
    }

    // Events counted by the job's latest checkpoint but not yet written to the serving table.
    qint64 stateEvents()
    {
        const auto snapshot = latestCheckpoint();
        return snapshot ? events(snapshot->open) + snapshot->lateRecordsDropped : -1;
    }

    qint64 servingEventsOf(const QString& key)
    {
        const QString name = QStringLiteral("tst_demopipeline_key");
        qint64 events = -1;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(QString::fromStdString(endpoints().servingDatabase.string()));
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=2000"));
            const bool open = db.open();
            QSqlQuery q(db);
            q.prepare(QStringLiteral("select coalesce(sum(events), 0) from aggregates where key = ?"));
            q.addBindValue(key);
            if (open && q.exec() && q.next())
                events = q.value(0).toLongLong();
        }
        QSqlDatabase::removeDatabase(name);
        return events;
    }

    // Once the job has caught up with a quiet log: every record in it is counted exactly once, in the serving table
    // or in the open windows of the job's latest checkpoint.
    bool countsEveryRecordOnce(qint64* served = nullptr, qint64* inState = nullptr, qint64* produced = nullptr)
    {
        const qint64 high = sum(highWatermarks());
        const qint64 s = servingEvents();
        const qint64 st = stateEvents();
        if (served)
            *served = s;
        if (inState)
            *inState = st;
        if (produced)
            *produced = high;
        return st >= 0 && s + st == high && sum(committed()) == high;
    }

    pw::replay::FlinkClient flink()
    {
        return pw::replay::FlinkClient({QString::fromStdString(endpoints().restUrl), std::chrono::milliseconds(5000),
            std::chrono::milliseconds(100), std::chrono::milliseconds(20000), {}});
    }

    QStringList programArgs() const
    {
        return {QStringLiteral("--topic"), QString::fromStdString(m_pipeline->endpoints().topic),
            QStringLiteral("--group"), QString::fromStdString(m_pipeline->endpoints().group)};
    }

    bool alterGroupTo(const std::map<int32_t, int64_t>& offsets)
    {
        std::vector<KafkaAdmin::PartitionOffset> target;
        for (const auto& [partition, offset] : offsets)
            target.push_back({QString::fromStdString(endpoints().topic), partition, offset, {}});
        auto altered = m_admin->alterGroupOffsets(QString::fromStdString(endpoints().group), target);
        if (!altered)
            qWarning().noquote() << altered.error().toString();
        return bool(altered);
    }

    bool produceKeyed(const QString& key, int count)
    {
        const qint64 ts = QDateTime::currentMSecsSinceEpoch();
        QByteArray input;
        for (int i = 0; i < count; ++i)
            input += QStringLiteral("%1:{\"ts\":%2,\"key\":\"%1\",\"value\":2}\n").arg(key).arg(ts + i).toUtf8();
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

    QString m_firstSavepoint;

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

        QVERIFY(connectAdmin());
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

    void groupIsEmptyWhileTheJobRuns()
    {
        // The job assigns its partitions, like Flink's Kafka source: its group has committed offsets and no members.
        QCOMPARE(jobState(), QStringLiteral("RUNNING"));
        const auto before = committed();
        QVERIFY(waitFor([&] { return sum(committed()) > sum(before); }, 10000));
        auto group = m_admin->describeGroup(QString::fromStdString(endpoints().group));
        QVERIFY2(group, qPrintable(group ? QString() : group.error().toString()));
        QCOMPARE(group->state, QStringLiteral("Empty"));
        QVERIFY(group->members.empty());
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
        // Committed offsets are those of the latest checkpoint, and cover what reached the serving table plus the
        // open minutes of the checkpointed state.
        const auto snapshot = latestCheckpoint();
        QVERIFY(snapshot);
        int64_t checkpointed = 0;
        for (const auto& o : snapshot->offsets)
            checkpointed += o.offset;
        QCOMPARE(checkpointed, consumed);
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
            // A minute is written whole, so its newest part replaces the ones before.
            QCOMPARE(QDir(QFileInfo(file).path()).entryList({QStringLiteral("part-*.json")}, QDir::Files).size(), 1);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const auto rows = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("rows")).toArray();
            for (const auto& row : rows)
                inObjects += row.toObject().value(QStringLiteral("events")).toInteger();
        }
        QCOMPARE(inObjects, served);
    }

    void resettingTheGroupOfAStoppedJobDoesNothing()
    {
        // As with Flink: the job restores from its own checkpoint, not from the group it only commits to.
        QCOMPARE(jobState(), QStringLiteral("CANCELED"));
        const auto before = committed();
        std::map<int32_t, int64_t> rewind;
        for (int32_t p = 0; p < m_partitions; ++p)
            rewind[p] = 0;
        QVERIFY(alterGroupTo(rewind));
        QCOMPARE(sum(committed()), 0);

        m_pipeline->setDrill(Drill::StopJob, false);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
        QVERIFY2(waitFor([&] { return sum(committed()) >= sum(before); }, 15000),
            "the job did not carry on from its checkpoint");
        m_pipeline->setDrill(Drill::StopJob, true);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("CANCELED"); }, 5000));
        QCOMPARE(servingEvents() + stateEvents(), qint64(sum(committed())));
        m_pipeline->setDrill(Drill::StopJob, false);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
    }

    void stopWithSavepointFinishesTheJob()
    {
        // A quiet log from here on, so every total below is exact.
        m_pipeline->setDrill(Drill::PauseProducer, true);
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
        const QString jid = jobId();
        const QString target = m_dir.path() + QStringLiteral("/test-savepoints");
        auto location = flink().stopWithSavepoint(jid, target);
        QVERIFY2(location, qPrintable(location ? QString() : location.error().toString()));
        QVERIFY2(location->startsWith(QStringLiteral("file:") + target + QStringLiteral("/savepoint-") + jid.left(6)),
            qPrintable(*location));
        m_firstSavepoint = *location;
        QCOMPARE(flink().job(jid)->state, QStringLiteral("FINISHED"));

        auto savepoint = pw::demo::readSavepoint(*location);
        QVERIFY2(savepoint, qPrintable(savepoint ? QString() : savepoint.error().toString()));
        QVERIFY(savepoint->savepoint);
        QCOMPARE(savepoint->jobId, jid);
        std::map<int32_t, int64_t> offsets;
        for (const auto& o : savepoint->offsets)
            offsets[o.partition] = o.offset;
        QCOMPARE(offsets, committed()); // committed for monitoring on completion
        QCOMPARE(m_admin->describeGroup(QString::fromStdString(endpoints().group))->state, QStringLiteral("Empty"));

        const QJsonObject checkpoints
            = QJsonDocument::fromJson(get(endpoints().restUrl + "/jobs/" + jid.toStdString() + "/checkpoints"))
                  .object();
        const QJsonObject latest
            = checkpoints.value(QStringLiteral("latest")).toObject().value(QStringLiteral("savepoint")).toObject();
        QCOMPARE(latest.value(QStringLiteral("is_savepoint")).toBool(), true);
        QCOMPARE(latest.value(QStringLiteral("external_path")).toString(), *location);
        QCOMPARE(latest.value(QStringLiteral("id")).toInteger(), savepoint->checkpointId);
        QCOMPARE(checkpoints.value(QStringLiteral("history"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("is_savepoint"))
                     .toBool(),
            true);
        QVERIFY(!checkpoints.value(QStringLiteral("latest"))
                     .toObject()
                     .value(QStringLiteral("completed"))
                     .toObject()
                     .value(QStringLiteral("is_savepoint"))
                     .toBool(true));

        // A finished job takes no second stop, and stays finished.
        auto again = flink().stopWithSavepoint(jid, target);
        QVERIFY(!again);
        QCOMPARE(again.error().code, pw::Error::Code::Refused);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        QCOMPARE(committed(), offsets);
        QCOMPARE(jobState(), QStringLiteral("FINISHED"));
    }

    void jarRunWithoutStateStartsFromTheGroupOffsets()
    {
        const QString finished = jobId();
        auto jars = flink().jars();
        QVERIFY(jars);
        QCOMPARE(jars->size(), size_t(1));
        QCOMPARE(jars->front().id.toStdString(), endpoints().jarId);

        // Records the job would count if it restored its savepoint; the group is moved past them.
        QVERIFY(produceKeyed(QStringLiteral("k-skipped"), 30));
        QVERIFY(waitFor([&] { return sum(highWatermarks()) >= sum(committed()) + 30; }, 5000));
        const auto high = highWatermarks();
        QVERIFY(alterGroupTo(high));

        auto refused = flink().runJar(
            QString::fromStdString(endpoints().jarId), {QStringLiteral("--topic"), QStringLiteral("other")});
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(QStringLiteral("HTTP 400")), qPrintable(refused.error().message));
        auto started = flink().runJar(QString::fromStdString(endpoints().jarId), programArgs());
        QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
        QVERIFY(*started != finished);
        QVERIFY(waitFor(
            [&] { return flink().job(*started).value_or(pw::replay::FlinkJob {}).state == QStringLiteral("RUNNING"); },
            5000));
        QCOMPARE(flink().job(finished)->state, QStringLiteral("FINISHED")); // still listed
        QCOMPARE(jobId(), *started);
        auto second = flink().runJar(QString::fromStdString(endpoints().jarId), programArgs());
        QVERIFY(!second);
        QCOMPARE(second.error().code, pw::Error::Code::Refused);

        // Its first checkpoint starts exactly where the group was, without the savepoint's state.
        QVERIFY(waitFor([&] { return latestCheckpoint().has_value(); }, 10000));
        const auto snapshot = latestCheckpoint();
        std::map<int32_t, int64_t> offsets;
        for (const auto& o : snapshot->offsets)
            offsets[o.partition] = o.offset;
        QCOMPARE(offsets, high);
        QCOMPARE(events(snapshot->open, "k-skipped") + events(snapshot->emitted, "k-skipped"), 0);
        QCOMPARE(servingEventsOf(QStringLiteral("k-skipped")), 0);
        const QJsonObject checkpoints
            = QJsonDocument::fromJson(get(endpoints().restUrl + "/jobs/" + started->toStdString() + "/checkpoints"))
                  .object();
        QVERIFY(checkpoints.value(QStringLiteral("latest")).toObject().value(QStringLiteral("restored")).isNull());
        QCOMPARE(m_admin->describeGroup(QString::fromStdString(endpoints().group))->state, QStringLiteral("Empty"));
    }

    void jarRunFromASavepointRestoresIt()
    {
        QVERIFY(!m_firstSavepoint.isEmpty());
        auto stopped = flink().stopWithSavepoint(jobId(), {});
        QVERIFY2(stopped, qPrintable(stopped ? QString() : stopped.error().toString()));
        QVERIFY2(
            stopped->contains(QStringLiteral("/savepoints/savepoint-")), qPrintable(*stopped)); // the default directory

        auto damaged = flink().runJar(
            QString::fromStdString(endpoints().jarId), programArgs(), m_dir.path() + QStringLiteral("/nowhere"));
        QVERIFY(!damaged);
        QVERIFY2(damaged.error().message.contains(QStringLiteral("HTTP 500: Could not restore")),
            qPrintable(damaged.error().message));

        auto started = flink().runJar(QString::fromStdString(endpoints().jarId), programArgs(), m_firstSavepoint);
        QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING") && jobId() == *started; }, 5000));
        // Back at the first savepoint's offsets, with its windows: the skipped records are counted now, once.
        qint64 served = 0, inState = 0, produced = 0;
        QVERIFY2(waitFor([&] { return countsEveryRecordOnce(&served, &inState, &produced); }, 20000),
            qPrintable(
                QStringLiteral("served %1 + in state %2 != produced %3").arg(served).arg(inState).arg(produced)));
        const auto snapshot = latestCheckpoint();
        QVERIFY(snapshot);
        QCOMPARE(events(snapshot->open, "k-skipped") + servingEventsOf(QStringLiteral("k-skipped")), 30);
        const QJsonObject restored
            = QJsonDocument::fromJson(get(endpoints().restUrl + "/jobs/" + started->toStdString() + "/checkpoints"))
                  .object()
                  .value(QStringLiteral("latest"))
                  .toObject()
                  .value(QStringLiteral("restored"))
                  .toObject();
        QCOMPARE(restored.value(QStringLiteral("is_savepoint")).toBool(), true);
        QCOMPARE(restored.value(QStringLiteral("external_path")).toString(), m_firstSavepoint);
    }

    void reprocessingDoesNotDoubleCount()
    {
        // The recovery of a Flink job: stop with savepoint, reset the group (here to the start of the log), run the
        // jar without state. Every minute is written again whole, so the serving table counts each record once.
        auto stopped = flink().stopWithSavepoint(jobId(), {});
        QVERIFY(stopped);
        const qint64 servedBefore = servingEvents();
        QVERIFY(servedBefore > 0);
        std::map<int32_t, int64_t> earliest;
        for (int32_t p = 0; p < m_partitions; ++p)
            earliest[p] = 0;
        QVERIFY(alterGroupTo(earliest));
        auto started = flink().runJar(QString::fromStdString(endpoints().jarId), programArgs());
        QVERIFY(started);
        qint64 served = 0, inState = 0, produced = 0;
        QVERIFY2(waitFor([&] { return countsEveryRecordOnce(&served, &inState, &produced); }, 30000),
            qPrintable(
                QStringLiteral("served %1 + in state %2 != produced %3").arg(served).arg(inState).arg(produced)));
        QCOMPARE(latestCheckpoint()->lateRecordsDropped, 0);
        QVERIFY(servingEvents() >= servedBefore);
        QCOMPARE(servingEventsOf(QStringLiteral("k-skipped")) + events(latestCheckpoint()->open, "k-skipped"), 30);
    }

    void restartRestoresTheCheckpointAndADamagedOneFallsBack()
    {
        const QString jid = jobId();
        QVERIFY(waitFor([&] { return CheckpointStore(checkpointDir(jid)).files().size() == 2; }, 10000));
        m_pipeline->stop();
        const CheckpointStore store(checkpointDir(jid));
        const auto files = store.files();
        QCOMPARE(files.size(), size_t(2)); // only the newest two are kept
        const auto previous = store.latest();
        QVERIFY(previous);
        QCOMPARE(previous->file, files.front());
        // Damage the newest: a flipped byte in the middle of its state.
        QFile newest(QString::fromStdString(files.front().string()));
        QVERIFY(newest.open(QIODevice::ReadWrite));
        QByteArray bytes = newest.readAll();
        bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x20);
        QVERIFY(newest.seek(0));
        QCOMPARE(newest.write(bytes), bytes.size());
        newest.close();
        const auto fallback = store.latest();
        QVERIFY(fallback);
        QCOMPARE(fallback->file, files.back());
        QCOMPARE(fallback->skipped.size(), 1);

        pw::demo::DemoOptions options = testOptions(m_dir.path());
        auto pipeline = DemoPipeline::start(options);
        QVERIFY2(pipeline, qPrintable(pipeline ? QString() : pipeline.error().toString()));
        m_pipeline = std::move(*pipeline);
        m_pipeline->setDrill(Drill::PauseProducer, true);
        QVERIFY(connectAdmin());
        QVERIFY(waitFor([&] { return jobState() == QStringLiteral("RUNNING"); }, 5000));
        QCOMPARE(jobId(), jid); // the same job, recovered
        const QJsonObject restored
            = QJsonDocument::fromJson(get(endpoints().restUrl + "/jobs/" + jid.toStdString() + "/checkpoints"))
                  .object()
                  .value(QStringLiteral("latest"))
                  .toObject()
                  .value(QStringLiteral("restored"))
                  .toObject();
        QCOMPARE(restored.value(QStringLiteral("id")).toInteger(), fallback->snapshot.checkpointId);
        QCOMPARE(restored.value(QStringLiteral("is_savepoint")).toBool(true), false);
        // Whatever the new producer wrote before it paused, and what the damaged checkpoint had covered: all counted
        // once.
        qint64 served = 0, inState = 0, produced = 0;
        QVERIFY2(waitFor([&] { return countsEveryRecordOnce(&served, &inState, &produced); }, 30000),
            qPrintable(
                QStringLiteral("served %1 + in state %2 != produced %3").arg(served).arg(inState).arg(produced)));
        m_pipeline->setDrill(Drill::PauseProducer, false);
    }

    void partialWritesLeaveTheServingTableShortOfTheManifest()
    {
        // The completeness signal's query of the generated config: minutes whose rows differ from the manifest.
        auto shortMinutes = [&] {
            const QString name = QStringLiteral("tst_demopipeline_completeness");
            qint64 count = -1;
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
                db.setDatabaseName(QString::fromStdString(endpoints().servingDatabase.string()));
                db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=2000"));
                QSqlQuery q(db);
                if (db.open()
                    && q.exec(QStringLiteral("select count(*) from sink_manifest m left join (select minute_ts, "
                                             "count(*) as n from aggregates group by minute_ts) a on a.minute_ts = "
                                             "m.minute_ts where coalesce(a.n, 0) <> m.rows"))
                    && q.next())
                    count = q.value(0).toLongLong();
            }
            QSqlDatabase::removeDatabase(name);
            return count;
        };
        QCOMPARE(shortMinutes(), 0);
        m_pipeline->setDrill(Drill::PartialWrites, true);
        QVERIFY(m_pipeline->drill(Drill::PartialWrites));
        // Late events make the sink write their (closed) minute again, now with rows lost on the way.
        QVERIFY(waitFor(
            [&] {
                produceLateEvents(5);
                return shortMinutes() > 0;
            },
            15000));
        m_pipeline->setDrill(Drill::PartialWrites, false);
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
            if (after.contains(path)) {
                QVERIFY2(after.at(path) == content, qPrintable(path + QStringLiteral(" was overwritten")));
                continue;
            }
            // Written again whole (the late events): one part of a later checkpoint replaced it.
            const QStringList parts
                = QDir(QFileInfo(path).path()).entryList({QStringLiteral("part-*.json")}, QDir::Files);
            QCOMPARE(parts.size(), 1);
            QVERIFY2(partId.match(QLatin1Char('/') + parts.front()).captured(1).toLongLong()
                    > partId.match(path).captured(1).toLongLong(),
                qPrintable(path));
        }
        m_pipeline->stop();
    }
};

QTEST_GUILESS_MAIN(TestDemoPipeline)
#include "tst_demopipeline.moc"
