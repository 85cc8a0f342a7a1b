// Burrow (Go/sarama, Debian package) reads the committed offsets of the embedded broker from __consumer_offsets:
// after a kafka-python group commits and traffic stops, Burrow's totallag for the group must equal the sum over
// partitions of (high watermark - committed offset). ZooKeeper, which Burrow needs for itself, is started here too.
#include "broker/broker.h"
#include "peerprocess.h"
#include "sources/kafkaadmin.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
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
#include <QTimer>

#include <thread>

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kBurrow = QStringLiteral("/usr/bin/Burrow");
const QString kZkServer = QStringLiteral("/usr/share/zookeeper/bin/zkServer.sh");
const QString kTopic = QStringLiteral("payments");
const QString kGroup = QStringLiteral("burrow-check");
const QString kCluster = QStringLiteral("local");

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

} // namespace

class TestBurrow : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_zookeeper;
    QProcess m_burrow;
    std::unique_ptr<pw::broker::Broker> m_broker;
    QNetworkAccessManager m_http;

    // GET returning (HTTP status, body); status 0 when the connection failed.
    std::pair<int, QByteArray> get(const QString& url)
    {
        QNetworkRequest request {QUrl(url)};
        request.setTransferTimeout(5000);
        QNetworkReply* reply = m_http.get(request);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        reply->deleteLater();
        return {status, body};
    }

    QString logTail(const QString& file) const
    {
        QFile f(m_dir.filePath(file));
        if (!f.open(QIODevice::ReadOnly))
            return QStringLiteral("(no %1)").arg(file);
        return QString::fromUtf8(f.readAll().right(3000));
    }

private slots:
    void initTestCase()
    {
        for (const QString& peer : {kPython, kBurrow, kZkServer, QStringLiteral("/usr/bin/java")})
            QVERIFY2(QFileInfo::exists(peer),
                qPrintable(peer + QStringLiteral(" is missing (Debian packages python3-kafka, burrow, zookeeper)")));
        QVERIFY(m_dir.isValid());
    }

    void cleanupTestCase()
    {
        stopProcess(m_burrow);
        if (m_broker)
            m_broker->stop();
        stopProcess(m_zookeeper);
    }

    void totalLagMatchesCommittedOffsets()
    {
        // ZooKeeper on a free loopback port, its data and logs in the temporary directory.
        const quint16 zkPort = freePort();
        QVERIFY(zkPort != 0);
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("zk-data"))));
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("zk-logs"))));
        const QString zkConfig = m_dir.filePath(QStringLiteral("zoo.cfg"));
        QVERIFY(writeFile(zkConfig,
            QStringLiteral("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%1\nclientPort=%2\n"
                           "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                           "maxClientCnxns=60\n")
                .arg(m_dir.filePath(QStringLiteral("zk-data")))
                .arg(zkPort)));
        QProcessEnvironment zkEnv = QProcessEnvironment::systemEnvironment();
        zkEnv.insert(QStringLiteral("JVMFLAGS"),
            QStringLiteral("-Xmx128m -Dzookeeper.log.dir=%1").arg(m_dir.filePath(QStringLiteral("zk-logs"))));
        m_zookeeper.setProcessEnvironment(zkEnv);
        m_zookeeper.setProcessChannelMode(QProcess::MergedChannels);
        m_zookeeper.setStandardOutputFile(m_dir.filePath(QStringLiteral("zookeeper.out")));
        m_zookeeper.start(kZkServer, {QStringLiteral("start-foreground"), zkConfig});
        QVERIFY2(m_zookeeper.waitForStarted(), "cannot start zkServer.sh");
        QVERIFY2(pw::test::waitForZooKeeper(zkPort, 60000),
            qPrintable(QStringLiteral("ZooKeeper did not serve: ") + logTail(QStringLiteral("zookeeper.out"))));

        // The broker, with three partitions per topic.
        pw::broker::BrokerOptions options;
        options.dataDir = m_dir.filePath(QStringLiteral("broker")).toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 3;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        m_broker = std::move(*broker);
        const QString bootstrap = QString::fromStdString(m_broker->bootstrapServers());

        // Traffic: produce, consume as a group member, commit with a known lag, leave.
        QProcess py;
        py.start(kPython,
            {QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/groups_scenario.py"),
                QStringLiteral("lagging"), QStringLiteral("--bootstrap"), bootstrap, QStringLiteral("--topic"), kTopic,
                QStringLiteral("--group"), kGroup, QStringLiteral("--count"), QStringLiteral("60")});
        QVERIFY(py.waitForStarted());
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(
            py.exitCode() == 0, qPrintable(QString::fromUtf8(py.readAllStandardOutput() + py.readAllStandardError())));

        // What the lag must be, from the broker through librdkafka.
        pw::KafkaAdminConfig adminConfig;
        adminConfig.bootstrapServers = bootstrap;
        auto admin = pw::KafkaAdmin::create(adminConfig);
        QVERIFY(admin);
        auto committed = (*admin)->listGroupOffsets(kGroup);
        QVERIFY2(committed, qPrintable(committed ? QString() : committed.error().toString()));
        QCOMPARE(committed->size(), size_t(3));
        int64_t expectedLag = 0;
        for (const auto& o : *committed) {
            auto w = (*admin)->watermarks(o.topic, o.partition);
            QVERIFY(w);
            expectedLag += w->high - o.offset;
        }
        QCOMPARE(expectedLag, 2 + 3 + 4); // partition p is committed p + 2 records short of its end

        // Burrow, started after the broker (it exits when Kafka is unreachable at start-up).
        const quint16 httpPort = freePort();
        QVERIFY(httpPort != 0);
        const QString burrowDir = m_dir.filePath(QStringLiteral("burrow"));
        QVERIFY(QDir().mkpath(burrowDir));
        const QString brokerAddress = QStringLiteral("\"%1\"").arg(bootstrap);
        QVERIFY(writeFile(burrowDir + QStringLiteral("/burrow.toml"),
            QStringLiteral("[general]\npidfile=\"%1/burrow.pid\"\n\n"
                           "[logging]\nfilename=\"%1/burrow.log\"\nlevel=\"info\"\n\n"
                           "[zookeeper]\nservers=[\"127.0.0.1:%2\"]\ntimeout=6\nroot-path=\"/burrow\"\n\n"
                           "[client-profile.test]\nclient-id=\"burrow-test\"\nkafka-version=\"0.10.1\"\n\n"
                           "[cluster.%3]\nclass-name=\"kafka\"\nservers=[%4]\nclient-profile=\"test\"\n"
                           "topic-refresh=10\noffset-refresh=2\n\n"
                           "[consumer.%3]\nclass-name=\"kafka\"\ncluster=\"%3\"\nservers=[%4]\n"
                           "client-profile=\"test\"\ngroup-whitelist=\"\"\n\n"
                           "[httpserver.default]\naddress=\"127.0.0.1:%5\"\n\n"
                           "[storage.default]\nclass-name=\"inmemory\"\nworkers=4\nintervals=10\n"
                           "expire-group=604800\nmin-distance=1\n\n"
                           "[evaluator.default]\nclass-name=\"caching\"\nexpire-cache=1\n")
                .arg(burrowDir)
                .arg(zkPort)
                .arg(kCluster, brokerAddress)
                .arg(httpPort)));
        m_burrow.setProcessChannelMode(QProcess::MergedChannels);
        m_burrow.setStandardOutputFile(m_dir.filePath(QStringLiteral("burrow.out")));
        m_burrow.setWorkingDirectory(burrowDir);
        m_burrow.start(kBurrow, {QStringLiteral("-config-dir"), burrowDir});
        QVERIFY2(m_burrow.waitForStarted(), "cannot start Burrow");

        const QString lagUrl
            = QStringLiteral("http://127.0.0.1:%1/v3/kafka/%2/consumer/%3/lag").arg(httpPort).arg(kCluster, kGroup);
        qint64 lastLag = -1;
        QByteArray lastBody;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        auto nextCommit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            // Burrow drops a commit it reads before its cluster module knows the partition's end offset, and it reads
            // each commit once: the same offsets are committed again now and then, as a live consumer would.
            if (std::chrono::steady_clock::now() > nextCommit) {
                QVERIFY((*admin)->alterGroupOffsets(kGroup, *committed));
                nextCommit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            }
            QVERIFY2(m_burrow.state() == QProcess::Running,
                qPrintable(QStringLiteral("Burrow exited: ") + logTail(QStringLiteral("burrow/burrow.log"))
                    + logTail(QStringLiteral("burrow.out"))));
            const auto [status, body] = get(lagUrl);
            if (status == 200) {
                lastBody = body;
                const QJsonObject s = QJsonDocument::fromJson(body).object().value(QStringLiteral("status")).toObject();
                lastLag = s.value(QStringLiteral("totallag")).toInteger(-1);
                if (lastLag == expectedLag && s.value(QStringLiteral("partition_count")).toInt() == 3)
                    break;
            }
            QTest::qWait(500);
        }
        qInfo().noquote() << "Burrow answered:" << lastBody;
        if (lastLag != expectedLag)
            qWarning().noquote() << "last answer:" << lastBody
                                 << "\nburrow log:" << logTail(QStringLiteral("burrow/burrow.log"));
        QCOMPARE(lastLag, expectedLag);
    }
};

QTEST_GUILESS_MAIN(TestBurrow)
#include "tst_burrow.moc"
