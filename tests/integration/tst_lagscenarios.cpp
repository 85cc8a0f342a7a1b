// Consumer-lag verdicts against real consumers on the embedded broker: kafka-python groups that keep up, stall
// (commit the same offset over and over), stop (leave with lag while data arrives) and sit idle (caught up), and
// groups rewound through librdkafka's admin API, one of them by a replay the audit log records. A KafkaSource
// watching `groups` must judge each as the scenario made it, with a time lag that matches when the test appended
// the record at the committed offset, new groups appearing and deleted ones marked, then dropped; without commit
// times stalled and stopped are both NOT_ADVANCING; a deleted topic drops out of its group; and the same groups
// through Burrow, both verdicts side by side in the output.
#include "broker/broker.h"
#include "ledger/ledger.h"
#include "peerprocess.h"
#include "presentation/format.h"
#include "sources/kafkaadmin.h"
#include "sources/kafkasource.h"

#include <librdkafka/rdkafka.h>

#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <mutex>
#include <thread>

using pw::GroupLag;
using pw::KafkaAdmin;
using pw::LagVerdict;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QStringList kActiveTopics {QStringLiteral("t-keepup"), QStringLiteral("t-stall"), QStringLiteral("t-stop"),
    QStringLiteral("t-rewound"), QStringLiteral("t-replayed"), QStringLiteral("t-late"), QStringLiteral("t-gone")};

const QString kBurrow = QStringLiteral("/usr/bin/Burrow");
const QString kZkServer = QStringLiteral("/usr/share/zookeeper/bin/zkServer.sh");

quint16 freePort()
{
    return pw::test::freeLoopbackPort();
}

bool writeFile(const QString& path, const QString& text)
{
    return pw::test::writeTextFile(path, text);
}

using pw::test::stopProcess;
using pw::test::waitForPort;

QString script()
{
    return QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/lag_scenario.py");
}

} // namespace

class TestLagScenarios : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<pw::broker::Broker> m_broker;
    std::unique_ptr<KafkaAdmin> m_admin;
    rd_kafka_t* m_producer = nullptr;
    std::thread m_producing;
    std::atomic<bool> m_stop {false};
    std::mutex m_mutex;
    std::map<std::pair<QString, int64_t>, qint64> m_appendedMs; // (topic, offset) → when the broker acknowledged it

    QString burrowExited() const
    {
        auto tail = [this](const QString& name) {
            QFile file(m_dir.filePath(name));
            if (!file.open(QIODevice::ReadOnly))
                return QStringLiteral("\n(no %1)").arg(name);
            return QString(QStringLiteral("\n--- %1:\n").arg(name) + QString::fromUtf8(file.readAll().right(3000)));
        };
        return QStringLiteral("Burrow exited (code %1)").arg(m_burrow.exitCode())
            + tail(QStringLiteral("burrow/burrow.log")) + tail(QStringLiteral("burrow.out"))
            + tail(QStringLiteral("zookeeper.out"));
    }
    std::vector<std::unique_ptr<QProcess>> m_consumers;
    QProcess m_zookeeper;
    QProcess m_burrow;

    QString bootstrap() const { return QString::fromStdString(m_broker->bootstrapServers()); }

    // A kafka source on the test broker polled every second; each test adds its `groups` and other options.
    pw::SourceConfig kafkaWatcher(const QString& id) const
    {
        pw::SourceConfig config;
        config.id = id;
        config.kind = QStringLiteral("kafka");
        config.intervalMs = 1000;
        config.timeoutMs = 8000;
        config.options.insert(QStringLiteral("bootstrap_servers"), bootstrap());
        config.options.insert(QStringLiteral("properties"), QVariantMap {});
        return config;
    }

    static pw::SignalConfig lagSignal(const QString& sourceId)
    {
        pw::SignalConfig lag;
        lag.id = QStringLiteral("source_log/lag");
        lag.name = QStringLiteral("lag");
        lag.stageId = QStringLiteral("source_log");
        lag.kind = pw::SignalKind::ConsumerLag;
        lag.sourceId = sourceId;
        return lag;
    }

    static void delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque)
    {
        if (m->err)
            return;
        auto* self = static_cast<TestLagScenarios*>(opaque);
        std::lock_guard lock(self->m_mutex);
        self->m_appendedMs[{QString::fromUtf8(rd_kafka_topic_name(m->rkt)), m->offset}] = pw::nowMs();
    }

    void produce(const QString& topic, int count)
    {
        const QByteArray name = topic.toUtf8();
        for (int i = 0; i < count; ++i)
            rd_kafka_producev(m_producer, RD_KAFKA_V_TOPIC(name.constData()), RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_VALUE(const_cast<char*>("x"), size_t(1)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_END);
        rd_kafka_flush(m_producer, 10000);
    }

    QJsonObject startConsumer(const QString& role, const QString& topic, const QString& group)
    {
        auto p = std::make_unique<QProcess>();
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p->start(kPython,
            {script(), role, QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), topic,
                QStringLiteral("--group"), group});
        if (!p->waitForStarted(10000))
            return {{QStringLiteral("error"), QStringLiteral("cannot start %1").arg(kPython)}};
        while (!p->canReadLine() && p->waitForReadyRead(60000)) { }
        const QByteArray line = p->readLine();
        m_consumers.push_back(std::move(p));
        return QJsonDocument::fromJson(line).object();
    }

    void setOffset(const QString& group, const QString& topic, int64_t offset)
    {
        auto altered = m_admin->alterGroupOffsets(group, {{topic, 0, offset, {}}});
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));
    }

    qint64 appendedAt(const QString& topic, int64_t offset)
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_appendedMs.find({topic, offset});
        return it == m_appendedMs.end() ? 0 : it->second;
    }

    static const GroupLag* find(const pw::PollResult& r, const QString& group)
    {
        if (!r.lag)
            return nullptr;
        for (const auto& g : r.lag->groups)
            if (g.group == group)
                return &g;
        return nullptr;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(kPython));
        QVERIFY(m_dir.isValid());
        pw::broker::BrokerOptions options;
        options.dataDir = QString(m_dir.path() + QStringLiteral("/broker")).toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 1;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        m_broker = std::move(*broker);

        pw::KafkaAdminConfig adminConfig;
        adminConfig.bootstrapServers = bootstrap();
        adminConfig.timeout = std::chrono::milliseconds(15000);
        auto admin = KafkaAdmin::create(adminConfig);
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().toString()));
        m_admin = std::move(*admin);

        char errstr[512] = {0};
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", m_broker->bootstrapServers().c_str(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof errstr);
        rd_kafka_conf_set_dr_msg_cb(conf, &TestLagScenarios::delivered);
        rd_kafka_conf_set_opaque(conf, this);
        m_producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        QVERIFY2(m_producer, errstr);
        for (const QString& t : kActiveTopics)
            produce(t, 50);
        produce(QStringLiteral("t-idle"), 50);
    }

    void cleanupTestCase()
    {
        stopProcess(m_burrow);
        stopProcess(m_zookeeper);
        m_stop = true;
        if (m_producing.joinable())
            m_producing.join();
        for (auto& p : m_consumers) {
            p->closeWriteChannel();
            if (!p->waitForFinished(10000))
                p->kill();
        }
        if (m_producer)
            rd_kafka_destroy(m_producer);
        m_admin.reset();
        if (m_broker)
            m_broker->stop();
    }

    void verdictsOfEveryGroup()
    {
        // Consumers, all started before data keeps arriving.
        for (const auto& [role, topic, group] : {std::tuple {"keepup", "t-keepup", "g-keepup"},
                 std::tuple {"stall", "t-stall", "g-stall"}, std::tuple {"stop", "t-stop", "g-stop"},
                 std::tuple {"stop", "t-idle", "g-idle"}, std::tuple {"stop", "t-gone", "g-gone"}}) {
            const QJsonObject ready
                = startConsumer(QString::fromLatin1(role), QString::fromLatin1(topic), QString::fromLatin1(group));
            QVERIFY2(ready.value(QStringLiteral("ready")).toBool(), QJsonDocument(ready).toJson().constData());
        }
        setOffset(QStringLiteral("g-rewound"), QStringLiteral("t-rewound"), 45);
        setOffset(QStringLiteral("g-replayed"), QStringLiteral("t-replayed"), 45);
        setOffset(QStringLiteral("ignored-other"), QStringLiteral("t-rewound"), 1); // not matched by `include`

        // 20 records/s to every topic but the idle one.
        m_producing = std::thread([this] {
            while (!m_stop) {
                for (const QString& t : kActiveTopics)
                    produce(t, 1);
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });

        auto ledger = pw::Ledger::open(m_dir.path() + QStringLiteral("/ledger.sqlite"));
        QVERIFY2(ledger, qPrintable(ledger ? QString() : ledger.error().toString()));
        std::shared_ptr<pw::Ledger> sharedLedger(std::move(*ledger));

        pw::SourceConfig config = kafkaWatcher(QStringLiteral("kafka-main"));
        config.options.insert(QStringLiteral("groups"),
            QVariantMap {{QStringLiteral("include"), QStringList {QStringLiteral("^g-")}},
                {QStringLiteral("exclude"), QStringList {}}});
        config.options.insert(QStringLiteral("lag_window"), 4);
        pw::SignalConfig lag = lagSignal(config.id);
        pw::SignalConfig timeLag = lag;
        timeLag.id = QStringLiteral("source_log/time_lag");
        timeLag.name = QStringLiteral("time_lag");
        timeLag.kind = pw::SignalKind::TimeLag;
        auto created = pw::KafkaSource::create(config, {lag, timeLag});
        QVERIFY2(created, qPrintable(created ? QString() : created.error().toString()));
        auto* source = static_cast<pw::KafkaSource*>(created->get());
        source->setLedger(sharedLedger);

        pw::PollResult r;
        auto poll = [&] {
            r = source->pollBlocking();
            QVERIFY2(!r.error, qPrintable(r.error ? r.error->toString() : QString()));
            for (const auto& [id, e] : r.signalErrors)
                qWarning() << id << e.toString();
        };
        poll();
        QVERIFY(find(r, QStringLiteral("g-keepup")));
        QVERIFY(!find(r, QStringLiteral("ignored-other")));
        QVERIFY(!find(r, QStringLiteral("g-late")));
        std::this_thread::sleep_for(std::chrono::seconds(1));

        // A group that appears.
        setOffset(QStringLiteral("g-late"), QStringLiteral("t-late"), 10);
        poll();
        QVERIFY(find(r, QStringLiteral("g-late")));

        // A deleted group: marked, then dropped.
        {
            rd_kafka_DeleteGroup_t* del = rd_kafka_DeleteGroup_new("g-gone");
            rd_kafka_queue_t* queue = rd_kafka_queue_new(m_producer);
            rd_kafka_DeleteGroups(m_producer, &del, 1, nullptr, queue);
            rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 15000);
            QVERIFY(ev);
            size_t n = 0;
            const auto** results = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
            QCOMPARE(n, size_t(1));
            QVERIFY2(!rd_kafka_group_result_error(results[0]),
                rd_kafka_error_string(rd_kafka_group_result_error(results[0])));
            rd_kafka_event_destroy(ev);
            rd_kafka_queue_destroy(queue);
            rd_kafka_DeleteGroup_destroy(del);
        }
        for (int i = 0; i < 4; ++i) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            poll();
            if (i == 1) {
                // The rewinds, within the last window: one by a replay the audit log records, one by nobody known.
                setOffset(QStringLiteral("g-rewound"), QStringLiteral("t-rewound"), 5);
                pw::AuditEntry audit;
                audit.atMs = pw::nowMs();
                audit.actor = QStringLiteral("test@host");
                audit.sourceId = config.id;
                audit.group = QStringLiteral("g-replayed");
                audit.target = QStringLiteral("--to-offset 5");
                audit.reason = QStringLiteral("rehearsal");
                audit.outcome = QStringLiteral("executed-verified");
                audit.details = "{}";
                QVERIFY(sharedLedger->appendAudit(audit));
                setOffset(QStringLiteral("g-replayed"), QStringLiteral("t-replayed"), 5);
            }
            if (i == 0) {
                const GroupLag* gone = find(r, QStringLiteral("g-gone"));
                QVERIFY(gone);
                QVERIFY(gone->deleted);
            }
        }
        QVERIFY(!find(r, QStringLiteral("g-gone"))); // dropped after kDeletedGroupPolls polls

        struct Expected
        {
            const char* group;
            LagVerdict verdict;
            pw::Severity severity;
        };
        const Expected expected[] {
            {"g-keepup", LagVerdict::Ok, pw::Severity::Ok},
            {"g-stall", LagVerdict::Stalled, pw::Severity::Crit},
            {"g-stop", LagVerdict::Stopped, pw::Severity::Crit},
            {"g-idle", LagVerdict::Ok, pw::Severity::Ok},
            {"g-rewound", LagVerdict::Rewound, pw::Severity::Warn},
            {"g-replayed", LagVerdict::Rewound, pw::Severity::Ok},
        };
        const qint64 now = r.lag->takenMs;
        for (const auto& e : expected) {
            const GroupLag* g = find(r, QString::fromLatin1(e.group));
            QVERIFY2(g, e.group);
            qInfo().noquote() << QStringLiteral("%1: %2").arg(
                QString::fromLatin1(e.group), pw::lagGroupColumns(*g, now).join(QStringLiteral(" | ")));
            QVERIFY2(g->commitTimesKnown, qPrintable(r.lag->commitTimesError));
            QCOMPARE(pw::lagVerdictName(g->verdict), pw::lagVerdictName(e.verdict));
            QCOMPARE(pw::severityName(g->severity), pw::severityName(e.severity));
            QVERIFY2(g->maxTimeLagSeconds, e.group);
            QVERIFY(*g->maxTimeLagSeconds >= 0);
        }

        // Time lag: now − when the record at the committed offset was appended, to within a poll interval.
        const GroupLag* stopped = find(r, QStringLiteral("g-stop"));
        const pw::PartitionLag& p = stopped->partitions.at(0);
        const qint64 appended = appendedAt(QStringLiteral("t-stop"), p.committedOffset);
        QVERIFY(appended > 0);
        const double truth = double(now - appended) / 1000.0;
        qInfo() << "g-stop time lag" << *p.timeLagSeconds << "s by" << pw::timeLagBasisName(p.timeLagBasis)
                << "; appended" << truth << "s before the poll";
        QVERIFY2(std::abs(*p.timeLagSeconds - truth) <= 1.5, qPrintable(QString::number(*p.timeLagSeconds)));
        QVERIFY(p.timeLagBasis == pw::TimeLagBasis::WatermarkHistory || p.timeLagBasis == pw::TimeLagBasis::CreateTime);
        QVERIFY(stopped->fallingBehindRate > 10); // 20 records/s produced, none consumed
        QVERIFY(pw::catchUpSentence(*stopped).startsWith(QStringLiteral("falling behind at ")));

        const GroupLag* idle = find(r, QStringLiteral("g-idle"));
        QCOMPARE(idle->totalLag, int64_t(0));
        QCOMPARE(idle->maxTimeLagSeconds.value_or(-1), 0.0);
        QCOMPARE(idle->timeLagBasis, pw::TimeLagBasis::CaughtUp);
        QCOMPARE(pw::catchUpSentence(*idle), QStringLiteral("caught up"));

        const GroupLag* keepup = find(r, QStringLiteral("g-keepup"));
        QVERIFY2(keepup->maxTimeLagSeconds.value_or(99) < 3.0, qPrintable(QString::number(*keepup->maxTimeLagSeconds)));
        QVERIFY(keepup->consumeRate > 10);

        // One lag sample per group for the signal that names none.
        int lagSamples = 0;
        for (const auto& s : r.samples)
            if (s.signalId == lag.id)
                ++lagSamples;
        QCOMPARE(lagSamples, 7); // keepup, stall, stop, idle, rewound, replayed, late
    }

    // Without commit times (as when __consumer_offsets may not be read) a stalled and a stopped group look alike:
    // both are NOT_ADVANCING (CRIT), with committed offsets from an OffsetFetch per group.
    void withoutCommitTimes()
    {
        pw::SourceConfig config = kafkaWatcher(QStringLiteral("kafka-blind"));
        config.options.insert(QStringLiteral("groups"), QVariantMap {});
        config.options.insert(QStringLiteral("lag_window"), 3);
        config.options.insert(QStringLiteral("read_consumer_offsets"), false);
        pw::SignalConfig lag = lagSignal(config.id);
        auto created = pw::KafkaSource::create(config, {lag});
        QVERIFY(created);
        pw::PollResult r;
        for (int i = 0; i < 3; ++i) {
            if (i > 0)
                std::this_thread::sleep_for(std::chrono::seconds(1));
            r = static_cast<pw::KafkaSource*>(created->get())->pollBlocking();
            QVERIFY(!r.error);
        }
        QVERIFY(!r.lag->commitTimesError.isEmpty());
        for (const auto& [group, verdict] :
            {std::pair {"g-keepup", LagVerdict::Ok}, std::pair {"g-idle", LagVerdict::Ok},
                std::pair {"g-stall", LagVerdict::NotAdvancing}, std::pair {"g-stop", LagVerdict::NotAdvancing}}) {
            const GroupLag* g = find(r, QString::fromLatin1(group));
            QVERIFY2(g, group);
            QVERIFY(!g->commitTimesKnown);
            QCOMPARE(pw::lagVerdictName(g->verdict), pw::lagVerdictName(verdict));
        }
        QVERIFY2(pw::lagVerdictReason(*find(r, QStringLiteral("g-stop"))).contains(QStringLiteral("not advancing")),
            qPrintable(pw::lagVerdictReason(*find(r, QStringLiteral("g-stop")))));
    }

    // An offset older than the source's own polls is dated from the ledger's polls of an earlier run: when they saw
    // the high watermark pass it, not the record's CreateTime.
    void timeLagFromTheLedger()
    {
        produce(QStringLiteral("t-history"), 20);
        setOffset(QStringLiteral("g-history"), QStringLiteral("t-history"), 5);
        auto ledger = pw::Ledger::open(m_dir.path() + QStringLiteral("/history-ledger.sqlite"));
        QVERIFY(ledger);
        std::shared_ptr<pw::Ledger> shared(std::move(*ledger));
        const qint64 t0 = pw::nowMs() - 3600 * 1000;
        // An hour ago a poll saw the high watermark at 3, ten seconds later at 8: offset 5 arrived in between.
        shared->recordPoll(QStringLiteral("kafka-ledger"), QStringLiteral("cluster"),
            {{QStringLiteral("g-history"), QStringLiteral("t-history"), 0, 2, 3, 0, t0}}, {});
        shared->recordPoll(QStringLiteral("kafka-ledger"), QStringLiteral("cluster"),
            {{QStringLiteral("g-history"), QStringLiteral("t-history"), 0, 2, 8, 0, t0 + 10000}}, {});
        shared->flush();

        pw::SourceConfig config = kafkaWatcher(QStringLiteral("kafka-ledger"));
        config.options.insert(QStringLiteral("groups"),
            QVariantMap {{QStringLiteral("include"), QStringList {QStringLiteral("^g-history$")}}});
        pw::SignalConfig lag = lagSignal(config.id);
        auto created = pw::KafkaSource::create(config, {lag});
        QVERIFY(created);
        auto* source = static_cast<pw::KafkaSource*>(created->get());
        source->setLedger(shared);
        const auto r = source->pollBlocking();
        QVERIFY(!r.error);
        const GroupLag* g = find(r, QStringLiteral("g-history"));
        QVERIFY(g);
        const pw::PartitionLag& p = g->partitions.at(0);
        QCOMPARE(pw::timeLagBasisName(p.timeLagBasis), QStringLiteral("watermark-history"));
        const double expected = double(r.lag->takenMs - (t0 + 4000)) / 1000.0;
        qInfo() << "time lag from the ledger" << *p.timeLagSeconds << "s, expected" << expected << "s";
        QVERIFY(std::abs(*p.timeLagSeconds - expected) < 1.0);
    }

    // A topic deleted under a group drops out of it (no error, no stale partitions); the rest is still judged.
    void deletedTopic()
    {
        produce(QStringLiteral("t-kept"), 10);
        produce(QStringLiteral("t-doomed"), 10);
        auto altered = m_admin->alterGroupOffsets(QStringLiteral("g-two-topics"),
            {{QStringLiteral("t-kept"), 0, 4, {}}, {QStringLiteral("t-doomed"), 0, 2, {}}});
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));
        pw::SourceConfig config = kafkaWatcher(QStringLiteral("kafka-topics"));
        config.options.insert(QStringLiteral("groups"),
            QVariantMap {{QStringLiteral("include"), QStringList {QStringLiteral("^g-two")}}});
        pw::SignalConfig lag = lagSignal(config.id);
        auto created = pw::KafkaSource::create(config, {lag});
        QVERIFY(created);
        auto* source = static_cast<pw::KafkaSource*>(created->get());
        auto r = source->pollBlocking();
        QVERIFY(!r.error);
        const GroupLag* g = find(r, QStringLiteral("g-two-topics"));
        QVERIFY(g);
        QCOMPARE(g->partitions.size(), size_t(2));
        QCOMPARE(g->totalLag, int64_t(6 + 8));

        rd_kafka_DeleteTopic_t* del = rd_kafka_DeleteTopic_new("t-doomed");
        rd_kafka_queue_t* queue = rd_kafka_queue_new(m_producer);
        rd_kafka_DeleteTopics(m_producer, &del, 1, nullptr, queue);
        rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 15000);
        QVERIFY(ev);
        QCOMPARE(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(queue);
        rd_kafka_DeleteTopic_destroy(del);

        r = source->pollBlocking();
        QVERIFY(!r.error);
        g = find(r, QStringLiteral("g-two-topics"));
        QVERIFY(g);
        QVERIFY2(g->error.isEmpty(), qPrintable(g->error));
        QCOMPARE(g->partitions.size(), size_t(1));
        QCOMPARE(g->partitions.front().topic, QStringLiteral("t-kept"));
        QCOMPARE(g->totalLag, int64_t(6));
    }

    // The same groups through Burrow (Debian's package: it reads __consumer_offsets as we do), both verdicts side by
    // side in the output. Ours are checked; Burrow's are shown (its window and rules differ: an idle partition
    // with lag 0 it may call STOP — the false STOP users report most).
    void sideBySideWithBurrow()
    {
        for (const QString& peer : {kBurrow, kZkServer, QStringLiteral("/usr/bin/java")})
            QVERIFY2(
                QFileInfo::exists(peer), qPrintable(peer + QStringLiteral(" is missing (Debian: burrow, zookeeper)")));
        const quint16 zkPort = freePort();
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("zk-data"))));
        const QString zkConfig = m_dir.filePath(QStringLiteral("zoo.cfg"));
        QVERIFY(writeFile(zkConfig,
            QStringLiteral("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%1\nclientPort=%2\n"
                           "clientPortAddress=127.0.0.1\nadmin.enableServer=false\nmaxClientCnxns=60\n")
                .arg(m_dir.filePath(QStringLiteral("zk-data")))
                .arg(zkPort)));
        QProcessEnvironment zkEnv = QProcessEnvironment::systemEnvironment();
        zkEnv.insert(QStringLiteral("JVMFLAGS"), QStringLiteral("-Xmx128m -Dzookeeper.log.dir=%1").arg(m_dir.path()));
        m_zookeeper.setProcessEnvironment(zkEnv);
        m_zookeeper.setProcessChannelMode(QProcess::MergedChannels);
        m_zookeeper.setStandardOutputFile(m_dir.filePath(QStringLiteral("zookeeper.out")));
        m_zookeeper.start(kZkServer, {QStringLiteral("start-foreground"), zkConfig});
        QVERIFY(m_zookeeper.waitForStarted());
        QVERIFY2(pw::test::waitForZooKeeper(zkPort, 60000), "ZooKeeper did not serve");

        const quint16 httpPort = freePort();
        const QString burrowDir = m_dir.filePath(QStringLiteral("burrow"));
        QVERIFY(QDir().mkpath(burrowDir));
        const QString brokerAddress = QStringLiteral("\"%1\"").arg(bootstrap());
        QVERIFY(writeFile(burrowDir + QStringLiteral("/burrow.toml"),
            QStringLiteral(
                "[general]\npidfile=\"%1/burrow.pid\"\n\n[logging]\nfilename=\"%1/burrow.log\"\nlevel=\"info\"\n\n"
                "[zookeeper]\nservers=[\"127.0.0.1:%2\"]\ntimeout=6\nroot-path=\"/burrow\"\n\n"
                "[client-profile.test]\nclient-id=\"burrow-test\"\nkafka-version=\"0.10.1\"\n\n"
                "[cluster.local]\nclass-name=\"kafka\"\nservers=[%3]\nclient-profile=\"test\"\n"
                "topic-refresh=10\noffset-refresh=1\n\n"
                "[consumer.local]\nclass-name=\"kafka\"\ncluster=\"local\"\nservers=[%3]\n"
                "client-profile=\"test\"\ngroup-whitelist=\"^g-\"\n\n"
                "[httpserver.default]\naddress=\"127.0.0.1:%4\"\n\n"
                "[storage.default]\nclass-name=\"inmemory\"\nworkers=4\nintervals=4\n"
                "expire-group=604800\nmin-distance=1\n\n"
                "[evaluator.default]\nclass-name=\"caching\"\nexpire-cache=1\n")
                .arg(burrowDir)
                .arg(zkPort)
                .arg(brokerAddress)
                .arg(httpPort)));
        m_burrow.setProcessChannelMode(QProcess::MergedChannels);
        m_burrow.setStandardOutputFile(m_dir.filePath(QStringLiteral("burrow.out")));
        m_burrow.setWorkingDirectory(burrowDir);
        m_burrow.start(kBurrow, {QStringLiteral("-config-dir"), burrowDir});
        QVERIFY(m_burrow.waitForStarted());

        pw::SourceConfig config = kafkaWatcher(QStringLiteral("kafka-side"));
        config.options.insert(QStringLiteral("groups"), QVariantMap {});
        config.options.insert(QStringLiteral("lag_window"), 4);
        pw::SignalConfig lag = lagSignal(config.id);
        auto created = pw::KafkaSource::create(config, {lag});
        QVERIFY(created);

        const QStringList groups {
            QStringLiteral("g-keepup"), QStringLiteral("g-stall"), QStringLiteral("g-stop"), QStringLiteral("g-idle")};
        QNetworkAccessManager http;
        auto burrowStatus = [&](const QString& group) -> QString {
            QNetworkRequest request {
                QUrl(QStringLiteral("http://127.0.0.1:%1/v3/kafka/local/consumer/%2/status").arg(httpPort).arg(group))};
            request.setTransferTimeout(3000);
            QNetworkReply* reply = http.get(request);
            QEventLoop loop;
            QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
            loop.exec();
            const QJsonObject status
                = QJsonDocument::fromJson(reply->readAll()).object().value(QStringLiteral("status")).toObject();
            reply->deleteLater();
            if (status.isEmpty())
                return {};
            QStringList partitions;
            for (const QJsonValue& p : status.value(QStringLiteral("partitions")).toArray())
                partitions << p.toObject().value(QStringLiteral("status")).toString();
            if (partitions.isEmpty())
                if (const QJsonObject m = status.value(QStringLiteral("maxlag")).toObject(); !m.isEmpty())
                    partitions << m.value(QStringLiteral("status")).toString();
            return QStringLiteral("%1 (%2)").arg(
                status.value(QStringLiteral("status")).toString(), partitions.join(u','));
        };
        pw::PollResult r;
        std::map<QString, QString> burrow;
        // Burrow needs `intervals` commits per partition before it judges; our window fills meanwhile.
        for (int i = 0; i < 30; ++i) {
            QVERIFY2(m_burrow.state() == QProcess::Running, qPrintable(burrowExited()));
            r = static_cast<pw::KafkaSource*>(created->get())->pollBlocking();
            QVERIFY(!r.error);
            for (const QString& g : groups)
                burrow[g] = burrowStatus(g);
            if (i >= 12
                && std::all_of(groups.begin(), groups.end(), [&](const QString& g) { return !burrow[g].isEmpty(); }))
                break;
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        qInfo().noquote() << QStringLiteral("%1 %2 %3")
                                 .arg(QStringLiteral("GROUP"), -10)
                                 .arg(QStringLiteral("PATHWATCH"), -10)
                                 .arg(QStringLiteral("BURROW (partitions)"));
        for (const QString& g : groups) {
            const GroupLag* ours = find(r, g);
            QVERIFY(ours);
            qInfo().noquote() << QStringLiteral("%1 %2 %3")
                                     .arg(g, -10)
                                     .arg(pw::lagVerdictName(ours->verdict), -10)
                                     .arg(burrow[g].isEmpty() ? QStringLiteral("(no answer)") : burrow[g]);
        }
        QCOMPARE(pw::lagVerdictName(find(r, QStringLiteral("g-keepup"))->verdict), QStringLiteral("OK"));
        QCOMPARE(pw::lagVerdictName(find(r, QStringLiteral("g-idle"))->verdict), QStringLiteral("OK"));
        QCOMPARE(pw::lagVerdictName(find(r, QStringLiteral("g-stall"))->verdict), QStringLiteral("STALLED"));
        QCOMPARE(pw::lagVerdictName(find(r, QStringLiteral("g-stop"))->verdict), QStringLiteral("STOPPED"));
        for (const QString& g : groups)
            QVERIFY2(!burrow[g].isEmpty(), qPrintable(QStringLiteral("Burrow never judged ") + g));
    }
};

QTEST_GUILESS_MAIN(TestLagScenarios)
#include "tst_lagscenarios.moc"
