// The instance's own storage on a full disk: the data dir is a 4 MiB tmpfs the test mounts (needs root, as in CI's
// container) and fills. The recovery ledger and the saved history then cannot be written: monitoring goes on, the
// state says "degraded" (the status document's `state` and `degraded[]`, logged once on entering and once on leaving),
// a replay preview (no ledger needed) still works, and writes resume once space is freed.

#include "broker/broker.h"
#include "history/historyfile.h"
#include "instance/controlserver.h"
#include "instance/instance.h"
#include "ledger/ledger.h"
#include "model/seriesstore.h"
#include "presentation/snapshotjson.h"
#include "sources/kafkaadmin.h"

#include <librdkafka/rdkafka.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <fcntl.h>
#include <unistd.h>

#include <limits>
#include <mutex>

namespace {

QString pathwatchBinary()
{
    return QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch");
}

// Every message logged while a test runs, to count the degraded-state lines.
std::mutex g_logMutex;
QStringList g_log;
QtMessageHandler g_previousHandler = nullptr;

void collectMessages(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    {
        std::lock_guard lock(g_logMutex);
        g_log << message;
    }
    g_previousHandler(type, context, message);
}

int countLogged(const QString& needle)
{
    std::lock_guard lock(g_logMutex);
    int n = 0;
    for (const QString& line : std::as_const(g_log))
        n += line.contains(needle) ? 1 : 0;
    return n;
}

pw::OffsetObservation observation(int32_t partition, int64_t committed, qint64 atMs)
{
    pw::OffsetObservation o;
    o.group = QStringLiteral("g");
    o.topic = QStringLiteral("t");
    o.partition = partition;
    o.committedOffset = committed;
    o.highWatermark = committed + 100;
    o.logStartOffset = 0;
    o.observedMs = atMs;
    return o;
}

} // namespace

class TestStorageFull : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_mount;
    bool m_mounted = false;

    // The exporter's answer, read with a blocking socket (the exporter serves from its own threads).
    static QByteArray fetchMetrics(quint16 port)
    {
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        if (!socket.waitForConnected(5000))
            return {};
        socket.write("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray body;
        while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(5000))
            body += socket.readAll();
        return body + socket.readAll();
    }

    static int run(
        const QString& program, const QStringList& args, QByteArray* out = nullptr, QByteArray* err = nullptr)
    {
        QProcess p;
        p.start(program, args);
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished(2000);
            return -1;
        }
        if (out)
            *out = p.readAllStandardOutput();
        if (err)
            *err = p.readAllStandardError();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    // Writes a file until the tmpfs has no space left.
    QString fillDisk()
    {
        const QString filler = m_mount + QStringLiteral("/filler");
        const int fd = ::open(QFile::encodeName(filler).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return {};
        std::vector<char> block(4096, 'x');
        while (::write(fd, block.data(), block.size()) > 0) { }
        ::close(fd);
        return filler;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(pathwatchBinary()), "build the pathwatch target first");
        m_mount = m_dir.filePath(QStringLiteral("small"));
        QVERIFY(QDir().mkpath(m_mount));
        QByteArray err;
        const int code = run(QStringLiteral("mount"),
            {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"), QStringLiteral("size=4m"),
                QStringLiteral("tmpfs"), m_mount},
            nullptr, &err);
        QVERIFY2(code == 0,
            qPrintable(QStringLiteral("this test mounts a 4 MiB tmpfs and needs root: ") + QString::fromUtf8(err)));
        m_mounted = true;
        g_previousHandler = qInstallMessageHandler(collectMessages);
    }

    void cleanupTestCase()
    {
        qInstallMessageHandler(g_previousHandler);
        if (m_mounted)
            run(QStringLiteral("umount"), {m_mount});
    }

    void ledgerOnAFullDisk()
    {
        const QString dir = m_mount + QStringLiteral("/ledger");
        QVERIFY(QDir().mkpath(dir));
        auto opened = pw::Ledger::open(dir + QStringLiteral("/ledger.sqlite"));
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
        pw::Ledger& ledger = **opened;
        const qint64 t0 = QDateTime::currentMSecsSinceEpoch() - 3600 * 1000;
        int64_t committed = 0;
        qint64 at = t0;
        auto poll = [&] {
            std::vector<pw::OffsetObservation> offsets;
            committed += 10;
            at += 1000;
            for (int32_t p = 0; p < 200; ++p)
                offsets.push_back(observation(p, committed, at));
            ledger.recordPoll(QStringLiteral("kafka"), QStringLiteral("cluster"), offsets, {});
            ledger.flush();
        };
        poll();
        QVERIFY2(ledger.degradedReason().isEmpty(), qPrintable(ledger.degradedReason()));
        const int enteredBefore = countLogged(QStringLiteral("the recovery ledger is degraded"));

        const QString filler = fillDisk();
        QVERIFY(!filler.isEmpty());
        for (int i = 0; i < 500 && ledger.degradedReason().isEmpty(); ++i)
            poll();
        QVERIFY2(ledger.degradedReason().contains(QLatin1String("full")), qPrintable(ledger.degradedReason()));
        QVERIFY(ledger.degradedSinceMs() > 0);
        // More failed polls: still degraded, and still one line about it.
        for (int i = 0; i < 5; ++i)
            poll();
        QVERIFY(!ledger.degradedReason().isEmpty());
        QCOMPARE(countLogged(QStringLiteral("the recovery ledger is degraded")), enteredBefore + 1);
        // Reading needs no space: what was written before the disk filled is still there.
        auto before = ledger.committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("g"), t0 + 1000);
        QVERIFY2(before, qPrintable(before ? QString() : before.error().toString()));
        QCOMPARE(before->size(), size_t(200));

        // Space freed: the next poll is written, and leaving the state is logged once.
        QVERIFY(QFile::remove(filler));
        poll();
        QVERIFY2(ledger.degradedReason().isEmpty(), qPrintable(ledger.degradedReason()));
        QCOMPARE(ledger.degradedSinceMs(), qint64(0));
        QCOMPARE(countLogged(QStringLiteral("is written again")), 1);
        auto after = ledger.committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("g"), at);
        QVERIFY(after);
        QCOMPARE(after->size(), size_t(200));
        QCOMPARE(after->front().committedOffset, committed);
        opened->reset();
        QVERIFY(QDir(dir).removeRecursively());
    }

    void historyOnAFullDisk()
    {
        auto store = std::make_shared<pw::SeriesStore>();
        const pw::SeriesId id = store->intern(QStringLiteral("source_log/consumer_lag"), {});
        const qint64 t0 = QDateTime::currentMSecsSinceEpoch() - 600 * 1000;
        for (int i = 0; i < 600; ++i)
            store->append(id, t0 + i * 1000, double(i));
        pw::HistoryFile file(m_mount + QStringLiteral("/history.bin"), store);
        QVERIFY(file.save());
        QVERIFY(file.degradedReason().isEmpty());

        const QString filler = fillDisk();
        QVERIFY(!filler.isEmpty());
        // Small enough to sit in the file's write buffer until commit, then larger than it: both saves fail, and the
        // file of the last good save stays whole (a small one used to replace it with an empty file).
        QVERIFY(!file.save());
        for (int i = 600; i < 30000; ++i)
            store->append(id, t0 + i * 1000, double(i));
        QVERIFY(!file.save());
        QVERIFY2(file.degradedReason().contains(QLatin1String("space")), qPrintable(file.degradedReason()));
        QCOMPARE(countLogged(QStringLiteral("the saved history is degraded")), 1);
        auto reloaded = std::make_shared<pw::SeriesStore>();
        pw::HistoryFile old(file.path(), reloaded);
        auto loaded = old.load();
        QVERIFY2(loaded, qPrintable(loaded ? QString() : loaded.error().toString()));
        QCOMPARE(*loaded, 1);
        const pw::SeriesId reloadedId = reloaded->intern(QStringLiteral("source_log/consumer_lag"), {});
        QCOMPARE(reloaded->range(reloadedId, 0, std::numeric_limits<qint64>::max()).points.size(), size_t(600));
        QCOMPARE(QDir(m_mount).entryList({QStringLiteral("history.bin*")}, QDir::Files | QDir::Hidden).size(), 1);

        QVERIFY(QFile::remove(filler));
        QVERIFY(file.save());
        QVERIFY(file.degradedReason().isEmpty());
        QCOMPARE(countLogged(QStringLiteral("the history is saved to")), 1);
        QVERIFY(QFile::remove(file.path()));
    }

    void instanceGoesOnDegraded()
    {
        // A broker elsewhere, a group with committed offsets, an instance watching it with its data dir on the tmpfs.
        QTemporaryDir brokerDir;
        pw::broker::BrokerOptions brokerOptions;
        brokerOptions.dataDir = brokerDir.path().toStdString();
        brokerOptions.listenPort = 0;
        auto broker = pw::broker::Broker::start(brokerOptions);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        const QString bootstrap = QString::fromStdString((*broker)->bootstrapServers());
        pw::KafkaAdminConfig adminConfig;
        adminConfig.bootstrapServers = bootstrap;
        auto admin = pw::KafkaAdmin::create(adminConfig);
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().toString()));
        QVERIFY((*admin)->createTopic(QStringLiteral("events"), 4));
        QVERIFY((*admin)->alterGroupOffsets(QStringLiteral("aggregator"),
            {{QStringLiteral("events"), 0, 0, {}}, {QStringLiteral("events"), 1, 0, {}},
                {QStringLiteral("events"), 2, 0, {}}, {QStringLiteral("events"), 3, 0, {}}}));

        // Records keep arriving, so every poll has new high watermarks for the ledger to write.
        char errstr[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.toUtf8().constData(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof errstr);
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        QVERIFY2(producer, errstr);
        auto destroyProducer = qScopeGuard([producer] {
            rd_kafka_flush(producer, 5000);
            rd_kafka_destroy(producer);
        });
        QTimer produceTimer;
        int produced = 0;
        connect(&produceTimer, &QTimer::timeout, this, [&] {
            const QByteArray value = QByteArray::number(produced++);
            rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("events"), RD_KAFKA_V_PARTITION(produced % 4),
                RD_KAFKA_V_VALUE(const_cast<char*>(value.constData()), size_t(value.size())),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            rd_kafka_poll(producer, 0);
        });
        produceTimer.start(100);

        const QString dataDir = m_mount + QStringLiteral("/instance");
        QVERIFY(QDir().mkpath(dataDir));
        const QString configPath = m_dir.filePath(QStringLiteral("pipeline.yaml"));
        QFile config(configPath);
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(QStringLiteral("pipeline:\n  name: full-disk\n"
                                    "sources:\n  kafka:\n    kind: kafka\n    bootstrap_servers: \"%1\"\n"
                                    "    interval: 1s\n    timeout: 900ms\n"
                                    "stages:\n  - id: source_log\n    signals:\n      - kind: consumer_lag\n"
                                    "        source: kafka\n        group: aggregator\n        topic: events\n"
                                    "        thresholds: {warn: 10000, crit: 100000}\n"
                                    "export:\n  listen: 127.0.0.1:0\n")
                         .arg(bootstrap)
                         .toUtf8());
        config.close();

        pw::Instance::Options options;
        options.configPath = configPath;
        options.dataDir = dataDir;
        options.logTransitions = false;
        options.historySaveIntervalMs = 300;
        options.serveMetrics = true;
        pw::Instance instance(options);
        // What the window receives: the snapshots the instance emits carry the degraded parts.
        pw::SnapshotPtr emitted;
        connect(&instance, &pw::Instance::snapshotReady, this,
            [&emitted](pw::SnapshotPtr snapshot) { emitted = std::move(snapshot); });
        auto started = instance.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
        auto statusDocument = [&]() -> QJsonObject {
            QByteArray out, err;
            const int code = run(pathwatchBinary(),
                {QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")}, &out,
                &err);
            if (code < 0 || code > 3)
                qWarning().noquote() << "pathwatch status exited" << code << err;
            return QJsonDocument::fromJson(out).object();
        };
        QTRY_VERIFY_WITH_TIMEOUT(instance.latestSnapshot()->takenMs > 0, 20000);
        QJsonObject doc = statusDocument();
        QCOMPARE(doc.value(QStringLiteral("state")).toString(), QStringLiteral("ok"));
        QCOMPARE(doc.value(QStringLiteral("degraded")).toArray().size(), 0);

        // The disk fills: both parts become degraded; polls and judgements go on.
        const QString filler = fillDisk();
        QVERIFY(!filler.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(instance.degradedParts().size() == 2, 30000);
        doc = statusDocument();
        QCOMPARE(doc.value(QStringLiteral("state")).toString(), QStringLiteral("degraded"));
        QStringList parts;
        for (const QJsonValue& v : doc.value(QStringLiteral("degraded")).toArray()) {
            parts << v.toObject().value(QStringLiteral("part")).toString();
            QVERIFY(!v.toObject().value(QStringLiteral("reason")).toString().isEmpty());
            QVERIFY(v.toObject().value(QStringLiteral("since_ms")).toDouble() > 0);
        }
        parts.sort();
        QCOMPARE(parts, QStringList({QStringLiteral("history"), QStringLiteral("ledger")}));
        QTRY_VERIFY_WITH_TIMEOUT(emitted && emitted->degraded.size() == 2, 10000);
        QVERIFY(instance.metricsPort() != 0);
        const QByteArray metricsWhileFull = fetchMetrics(instance.metricsPort());
        QVERIFY2(
            metricsWhileFull.contains("pathwatch_data_dir_degraded{part=\"ledger\"} 1"), metricsWhileFull.constData());
        QVERIFY2(
            metricsWhileFull.contains("pathwatch_data_dir_degraded{part=\"history\"} 1"), metricsWhileFull.constData());
        const double takenWhileFull = doc.value(QStringLiteral("taken_ms")).toDouble();
        QTRY_VERIFY_WITH_TIMEOUT(double(instance.latestSnapshot()->takenMs) > takenWhileFull + 1500, 20000);
        const pw::SnapshotPtr whileFull = instance.latestSnapshot();
        const auto* kafka = whileFull->findSource(QStringLiteral("kafka"));
        QVERIFY2(kafka && kafka->up && kafka->lastSuccessMs > qint64(takenWhileFull),
            "monitoring goes on while the data dir is full");

        // The text report says it too.
        QByteArray text;
        run(pathwatchBinary(), {QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir}, &text);
        QVERIFY2(text.contains("Degraded: the recovery ledger is not being written"), text.constData());

        // A recovery command that needs no ledger: the preview of a replay to the end of the log.
        QByteArray out, err;
        const int preview = run(pathwatchBinary(),
            {QStringLiteral("replay"), QStringLiteral("--bootstrap"), bootstrap, QStringLiteral("--group"),
                QStringLiteral("aggregator"), QStringLiteral("--to-latest"), QStringLiteral("--data-dir"), dataDir},
            &out, &err);
        QVERIFY2(preview == 0, qPrintable(QString::fromUtf8(out + err)));

        // Space freed: writes resume and the state is ok again.
        QVERIFY(QFile::remove(filler));
        QTRY_VERIFY_WITH_TIMEOUT(instance.degradedParts().empty(), 30000);
        doc = statusDocument();
        QCOMPARE(doc.value(QStringLiteral("state")).toString(), QStringLiteral("ok"));
        QTRY_VERIFY_WITH_TIMEOUT(emitted && emitted->degraded.empty(), 10000);
        const QByteArray metricsAfter = fetchMetrics(instance.metricsPort());
        QVERIFY2(metricsAfter.contains("pathwatch_data_dir_degraded{part=\"ledger\"} 0"), metricsAfter.constData());
        QVERIFY2(metricsAfter.contains("pathwatch_data_dir_degraded{part=\"history\"} 0"), metricsAfter.constData());
        QCOMPARE(countLogged(QStringLiteral("the recovery ledger is degraded")), 2); // this test and the first one
        QCOMPARE(countLogged(QStringLiteral("is written again")), 2);
        instance.stop();
        produceTimer.stop();
        destroyProducer.dismiss();
        rd_kafka_flush(producer, 5000);
        rd_kafka_destroy(producer);
        (*broker)->stop();
    }
};

QTEST_GUILESS_MAIN(TestStorageFull)
#include "tst_storagefull.moc"
