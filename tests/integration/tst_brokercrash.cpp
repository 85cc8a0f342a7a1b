// Crash safety of the broker process: an idempotent librdkafka producer (acks=all) keeps producing, and a consumer
// group keeps committing offsets, while the broker is killed with SIGKILL at random moments and restarted on the
// same port and data directory. Afterwards every acknowledged record must be in the log exactly once and in order,
// and the group's committed offset must be at least the last commit the broker acknowledged.
// PATHWATCH_CRASH_CYCLES=100 runs the long version (CI runs 20).

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace {

uint16_t freePort()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

struct Delivery
{
    std::mutex mutex;
    std::vector<int> acked; // in acknowledgement order
    std::vector<std::string> errors;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque)
{
    auto* d = static_cast<Delivery*>(opaque);
    std::lock_guard lock(d->mutex);
    if (m->err) {
        d->errors.push_back(rd_kafka_err2str(m->err));
        return;
    }
    d->acked.push_back(int(reinterpret_cast<intptr_t>(m->_private)));
}

// A consumer of group "crash-committer" commits ever larger offsets of partition 0 synchronously, as fast as the
// broker answers. A commit that returns NO_ERROR was acknowledged and must survive every crash after it.
class Committer
{
public:
    explicit Committer(const std::string& bootstrap)
    {
        char err[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        for (const auto& [k, v] : {std::pair {"bootstrap.servers", bootstrap.c_str()},
                 std::pair {"group.id", "crash-committer"}, std::pair {"enable.auto.commit", "false"},
                 std::pair {"reconnect.backoff.ms", "20"}, std::pair {"reconnect.backoff.max.ms", "200"},
                 std::pair {"log.connection.close", "false"}, std::pair {"log_level", "2"}})
            rd_kafka_conf_set(conf, k, v, err, sizeof err);
        m_consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    }
    ~Committer()
    {
        stop();
        if (m_consumer) {
            rd_kafka_consumer_close(m_consumer);
            rd_kafka_destroy(m_consumer);
        }
    }
    bool valid() const { return m_consumer != nullptr; }
    void start(const char* topic)
    {
        m_thread = std::thread([this, topic] {
            int64_t offset = 0;
            while (!m_stop) {
                ++offset;
                rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(list, topic, 0)->offset = offset;
                const rd_kafka_resp_err_t e = rd_kafka_commit(m_consumer, list, 0);
                const rd_kafka_resp_err_t partitionError = list->elems[0].err;
                rd_kafka_topic_partition_list_destroy(list);
                if (e == RD_KAFKA_RESP_ERR_NO_ERROR && partitionError == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    m_acknowledged = offset;
                    ++m_acknowledgedCount;
                } else {
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                m_attempted = offset;
            }
        });
    }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    int64_t acknowledged() const { return m_acknowledged; }
    int64_t acknowledgedCount() const { return m_acknowledgedCount; }
    int64_t attempted() const { return m_attempted; }
    /// The committed offset the broker reports now, or -1001 on error.
    int64_t committed(const char* topic) const
    {
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic, 0);
        int64_t offset = RD_KAFKA_OFFSET_INVALID;
        if (rd_kafka_committed(m_consumer, list, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR && !list->elems[0].err)
            offset = list->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(list);
        return offset;
    }

private:
    rd_kafka_t* m_consumer = nullptr;
    std::thread m_thread;
    std::atomic<bool> m_stop {false};
    std::atomic<int64_t> m_acknowledged {0};
    std::atomic<int64_t> m_acknowledgedCount {0};
    std::atomic<int64_t> m_attempted {0};
};

} // namespace

class TestBrokerCrash : public QObject
{
    Q_OBJECT

private:
    QString m_program;
    QStringList m_prefix; // "broker" for the pathwatch executable
    QTemporaryDir m_dir;
    uint16_t m_port = 0;

    std::unique_ptr<QProcess> startBroker()
    {
        auto p = std::make_unique<QProcess>();
        p->setProcessChannelMode(QProcess::SeparateChannels);
        p->start(m_program,
            m_prefix
                + QStringList {QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("data")),
                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(m_port)});
        if (!p->waitForStarted(5000))
            return nullptr;
        QByteArray out;
        for (int i = 0; i < 100 && !out.contains("listening on"); ++i) {
            p->waitForReadyRead(100);
            out += p->readAllStandardOutput();
            if (p->state() != QProcess::Running)
                break;
        }
        if (!out.contains("listening on")) {
            qWarning() << "broker did not start:" << out << p->readAllStandardError();
            p->kill();
            p->waitForFinished(2000);
            return nullptr;
        }
        return p;
    }

private slots:
    void initTestCase()
    {
        const QByteArray binaryDir = qgetenv("PATHWATCH_BINARY_DIR").isEmpty() ? QByteArray(PATHWATCH_BINARY_DIR)
                                                                               : qgetenv("PATHWATCH_BINARY_DIR");
        const QString app = QDir(QString::fromLocal8Bit(binaryDir)).filePath(QStringLiteral("app/pathwatch"));
        const QString fallback = QDir(QString::fromLocal8Bit(binaryDir))
                                     .filePath(QStringLiteral("tests/integration/pathwatch_testbroker"));
        if (QFileInfo(app).isExecutable()) {
            m_program = app;
            m_prefix = {QStringLiteral("broker")};
        } else {
            m_program = fallback;
        }
        QVERIFY2(
            QFileInfo(m_program).isExecutable(), qPrintable(QStringLiteral("no broker binary at %1").arg(m_program)));
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("kcat")).isEmpty(), "kcat is not installed");
        QVERIFY(m_dir.isValid());
        m_port = freePort();
    }

    void killAndRestart()
    {
        const int cycles = qEnvironmentVariableIsSet("PATHWATCH_CRASH_CYCLES")
            ? std::max(1, qEnvironmentVariableIntValue("PATHWATCH_CRASH_CYCLES"))
            : 20;
        const std::string bootstrap = "127.0.0.1:" + std::to_string(m_port);
        const char* topic = "crash";

        auto broker = startBroker();
        QVERIFY(broker);

        Delivery delivery;
        char err[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        auto set = [&](const char* k, const char* v) {
            QVERIFY2(rd_kafka_conf_set(conf, k, v, err, sizeof err) == RD_KAFKA_CONF_OK, err);
        };
        set("bootstrap.servers", bootstrap.c_str());
        set("enable.idempotence", "true");
        set("acks", "all");
        set("linger.ms", "2");
        set("message.timeout.ms", "120000");
        set("reconnect.backoff.ms", "20");
        set("reconnect.backoff.max.ms", "200");
        set("retry.backoff.ms", "20");
        set("log.connection.close", "false");
        set("log_level", "2"); // the refused connections while the broker is down are expected
        rd_kafka_conf_set_opaque(conf, &delivery);
        rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        QVERIFY2(producer, err);
        auto cleanup = qScopeGuard([&] { rd_kafka_destroy(producer); });
        QElapsedTimer total;
        total.start();

        Committer committer(bootstrap);
        QVERIFY(committer.valid());
        committer.start(topic);

        int next = 0;
        auto produceFor = [&](int ms) {
            QElapsedTimer t;
            t.start();
            while (t.elapsed() < ms) {
                for (int i = 0; i < 20; ++i) {
                    char value[32];
                    const int n = std::snprintf(value, sizeof value, "msg-%08d", next);
                    rd_kafka_resp_err_t e
                        = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                            RD_KAFKA_V_VALUE(value, size_t(n)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(intptr_t(next))), RD_KAFKA_V_END);
                    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                        ++next;
                    else
                        break; // queue full
                }
                rd_kafka_poll(producer, 1);
            }
        };

        QRandomGenerator* rng = QRandomGenerator::global();
        for (int cycle = 0; cycle < cycles; ++cycle) {
            produceFor(30 + rng->bounded(250));
            broker->kill(); // SIGKILL
            broker->waitForFinished(5000);
            produceFor(rng->bounded(60)); // the producer queues and retries while the broker is gone
            broker = startBroker();
            QVERIFY2(broker, qPrintable(QStringLiteral("restart %1 failed").arg(cycle)));
        }
        produceFor(100);
        QCOMPARE(rd_kafka_flush(producer, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
        // Let the committer get at least one commit through the last broker before stopping it.
        const int64_t countBefore = committer.acknowledgedCount();
        for (int i = 0; i < 200 && committer.acknowledgedCount() == countBefore; ++i)
            QTest::qWait(50);
        committer.stop();
        const int64_t committed = committer.committed(topic);
        qInfo() << "commits acknowledged:" << committer.acknowledgedCount() << "last acknowledged offset"
                << committer.acknowledged() << "committed now" << committed;
        QVERIFY(committer.acknowledgedCount() > cycles);
        // An attempt in flight when the broker died may have been stored unacknowledged, never one not yet made.
        QVERIFY2(committed >= committer.acknowledged() && committed <= committer.attempted(),
            qPrintable(QStringLiteral("committed %1, last acknowledged %2, last attempted %3")
                           .arg(committed)
                           .arg(committer.acknowledged())
                           .arg(committer.attempted())));
        {
            char fatal[256];
            QVERIFY2(rd_kafka_fatal_error(producer, fatal, sizeof fatal) == RD_KAFKA_RESP_ERR_NO_ERROR, fatal);
        }
        std::vector<int> acked;
        {
            std::lock_guard lock(delivery.mutex);
            const std::string firstError = delivery.errors.empty() ? std::string() : delivery.errors.front();
            QVERIFY2(delivery.errors.empty(), firstError.c_str());
            acked = delivery.acked;
        }
        qInfo() << cycles << "kill/restart cycles," << next << "records produced," << acked.size() << "acknowledged in"
                << total.elapsed() / 1000.0 << "s";
        QVERIFY(acked.size() > size_t(cycles));

        // Read the whole log back through the protocol.
        QProcess kcat;
        kcat.start(QStandardPaths::findExecutable(QStringLiteral("kcat")),
            {QStringLiteral("-b"), QString::fromStdString(bootstrap), QStringLiteral("-C"), QStringLiteral("-t"),
                QString::fromLatin1(topic), QStringLiteral("-o"), QStringLiteral("beginning"), QStringLiteral("-e"),
                QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("%s\\n")});
        QVERIFY(kcat.waitForFinished(60000));
        QCOMPARE(kcat.exitCode(), 0);
        const QList<QByteArray> lines = kcat.readAllStandardOutput().split('\n');
        std::vector<int> log;
        for (const QByteArray& line : lines) {
            if (line.isEmpty())
                continue;
            QVERIFY2(line.startsWith("msg-"), line.constData());
            log.push_back(line.mid(4).toInt());
        }
        // Exactly once and in order: strictly increasing ids.
        for (size_t i = 1; i < log.size(); ++i)
            QVERIFY2(log[i] > log[i - 1],
                qPrintable(QStringLiteral("log position %1: id %2 after %3 (duplicate or reordered)")
                               .arg(i)
                               .arg(log[i])
                               .arg(log[i - 1])));
        const std::set<int> present(log.begin(), log.end());
        for (int id : acked)
            QVERIFY2(present.count(id) == 1, qPrintable(QStringLiteral("acknowledged record %1 is missing").arg(id)));

        broker->terminate(); // SIGTERM: clean shutdown, exit 0
        QVERIFY(broker->waitForFinished(10000));
        QCOMPARE(broker->exitStatus(), QProcess::NormalExit);
        QCOMPARE(broker->exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestBrokerCrash)
#include "tst_brokercrash.moc"
