// Consumer groups on the embedded broker, driven by independent clients: kafka-python (a three-member group that
// rebalances when one leaves, commits, admin list/describe/offsets, offset reset of the empty group) and our
// librdkafka KafkaAdmin (list/describe groups, list/alter group offsets, delete records), then a restart on the
// same data directory that must rebuild the committed offsets from __consumer_offsets.
#include "broker/broker.h"
#include "sources/kafkaadmin.h"
#include "waitfor.h"

#include <librdkafka/rdkafka.h>

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using pw::KafkaAdmin;
using pw::test::waitFor;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kTopic = QStringLiteral("orders");
const QString kGroup = QStringLiteral("billing");

QString scriptPath()
{
    return QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/groups_scenario.py");
}

QJsonObject lastJsonLine(const QByteArray& output)
{
    const auto lines = output.trimmed().split('\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const auto doc = QJsonDocument::fromJson(it->trimmed());
        if (doc.isObject())
            return doc.object();
    }
    return {};
}

std::map<int32_t, int64_t> byPartition(const std::vector<KafkaAdmin::PartitionOffset>& offsets, const QString& topic)
{
    std::map<int32_t, int64_t> m;
    for (const auto& o : offsets)
        if (o.topic == topic)
            m[o.partition] = o.offset;
    return m;
}

} // namespace

class TestBrokerGroups : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<pw::broker::Broker> m_broker;

    bool startBroker()
    {
        pw::broker::BrokerOptions options;
        options.dataDir = m_dir.path().toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 3;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        if (!broker) {
            qWarning() << "broker failed to start:" << broker.error().toString();
            return false;
        }
        m_broker = std::move(*broker);
        return true;
    }

    QString bootstrap() const { return QString::fromStdString(m_broker->bootstrapServers()); }

    std::unique_ptr<KafkaAdmin> admin()
    {
        pw::KafkaAdminConfig config;
        config.bootstrapServers = bootstrap();
        config.timeout = std::chrono::milliseconds(15000);
        auto a = KafkaAdmin::create(config);
        if (!a) {
            qWarning() << a.error().toString();
            return nullptr;
        }
        return std::move(*a);
    }

    QStringList scriptArgs(const QString& command) const
    {
        return {scriptPath(), command, QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), kTopic,
            QStringLiteral("--group"), kGroup};
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(QFileInfo::exists(kPython), "/usr/bin/python3 is missing (Debian package python3)");
        QProcess probe;
        probe.start(kPython, {QStringLiteral("-c"), QStringLiteral("import kafka; print(kafka.__version__)")});
        QVERIFY(probe.waitForFinished(30000));
        QVERIFY2(probe.exitCode() == 0, "python3-kafka is missing (Debian package python3-kafka)");
        QVERIFY(m_dir.isValid());
        QVERIFY(startBroker());
    }

    void cleanupTestCase()
    {
        if (m_broker)
            m_broker->stop();
    }

    void pythonGroupRebalancesCommitsAndResets()
    {
        QProcess py;
        py.start(kPython, scriptArgs(QStringLiteral("scenario")));
        QVERIFY(py.waitForStarted());
        QVERIFY2(py.waitForFinished(240000), "the kafka-python scenario did not finish in 240 s");
        const QByteArray out = py.readAllStandardOutput();
        const QByteArray err = py.readAllStandardError();
        const QJsonObject result = lastJsonLine(out);
        if (py.exitCode() != 0)
            qWarning().noquote() << "scenario stderr:" << err.right(4000);
        QVERIFY2(
            py.exitCode() == 0, qPrintable(QStringLiteral("scenario failed: ") + QString::fromUtf8(out.right(2000))));

        const QJsonObject active = result.value(QStringLiteral("active")).toObject();
        QCOMPARE(active.value(QStringLiteral("state")).toString(), QStringLiteral("Stable"));
        QCOMPARE(active.value(QStringLiteral("protocol_type")).toString(), QStringLiteral("consumer"));
        QCOMPARE(active.value(QStringLiteral("members")).toArray().size(), 2);
        // 30 + 12 records, every one consumed at least once and committed.
        QCOMPARE(result.value(QStringLiteral("consumed_unique")).toInt(), 42);
        const QJsonObject committed = active.value(QStringLiteral("committed")).toObject();
        int sum = 0;
        for (const auto& v : committed)
            sum += v.toInt();
        QCOMPARE(sum, 42);
        QCOMPARE(result.value(QStringLiteral("empty_state")).toString(), QStringLiteral("Empty"));
        QCOMPARE(result.value(QStringLiteral("empty_members")).toInt(), 0);

        // The same group seen through librdkafka.
        auto a = admin();
        QVERIFY(a);
        auto groups = a->listGroups();
        QVERIFY2(groups, qPrintable(groups ? QString() : groups.error().toString()));
        auto it = std::find_if(groups->begin(), groups->end(), [](const auto& g) { return g.groupId == kGroup; });
        QVERIFY(it != groups->end());
        QCOMPARE(it->state, QStringLiteral("Empty"));
        auto desc = a->describeGroup(kGroup);
        QVERIFY2(desc, qPrintable(desc ? QString() : desc.error().toString()));
        QCOMPARE(desc->state, QStringLiteral("Empty"));
        QVERIFY(desc->members.empty());
        QCOMPARE(desc->coordinatorId, 0);
        auto offsets = a->listGroupOffsets(kGroup);
        QVERIFY2(offsets, qPrintable(offsets ? QString() : offsets.error().toString()));
        const auto m = byPartition(*offsets, kTopic);
        QCOMPARE(m, (std::map<int32_t, int64_t> {{0, 5}, {1, 5}, {2, 5}}));
        QCOMPARE(offsets->front().metadata, QStringLiteral("reset"));
    }

    void alterRefusedWhileMembersAreActive()
    {
        auto a = admin();
        QVERIFY(a);
        QProcess holder;
        holder.start(kPython, scriptArgs(QStringLiteral("hold")));
        QVERIFY(holder.waitForStarted());
        QByteArray out;
        const bool joined = waitFor(
            [&] {
                holder.waitForReadyRead(100);
                out += holder.readAllStandardOutput();
                return out.contains("\"joined\"");
            },
            60000);
        if (!joined)
            qWarning().noquote() << QString::fromUtf8(holder.readAllStandardError().right(3000));
        QVERIFY2(joined, "the kafka-python member did not join");

        auto desc = a->describeGroup(kGroup);
        QVERIFY2(desc, qPrintable(desc ? QString() : desc.error().toString()));
        QCOMPARE(desc->state, QStringLiteral("Stable"));
        QCOMPARE(desc->members.size(), size_t(1));
        QCOMPARE(desc->members.front().clientId, QStringLiteral("holder"));
        QCOMPARE(desc->members.front().assignment.size(), size_t(3));
        QCOMPARE(desc->protocol, QStringLiteral("range"));

        const std::vector<KafkaAdmin::PartitionOffset> target {
            {kTopic, 0, 7, {}}, {kTopic, 1, 8, {}}, {kTopic, 2, 9, {}}};
        auto refused = a->alterGroupOffsets(kGroup, target);
        QVERIFY2(!refused, "altering the offsets of a group with an active member must fail");
        QCOMPARE(refused.error().code, pw::Error::Code::Refused);

        holder.closeWriteChannel(); // the member leaves
        QVERIFY(holder.waitForFinished(30000));
        QCOMPARE(holder.exitCode(), 0);
        QVERIFY(waitFor(
            [&] {
                auto d = a->describeGroup(kGroup);
                return d && d->state == QStringLiteral("Empty");
            },
            20000));

        auto altered = a->alterGroupOffsets(kGroup, target);
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));
        auto offsets = a->listGroupOffsets(kGroup);
        QVERIFY(offsets);
        QCOMPARE(byPartition(*offsets, kTopic), (std::map<int32_t, int64_t> {{0, 7}, {1, 8}, {2, 9}}));

        // OffsetDelete (librdkafka's DeleteConsumerGroupOffsets): partition 1 has no committed offset again.
        auto deleted = a->deleteGroupOffsets(kGroup, {{kTopic, 1, -1, {}}});
        QVERIFY2(deleted, qPrintable(deleted ? QString() : deleted.error().toString()));
        offsets = a->listGroupOffsets(kGroup);
        QVERIFY(offsets);
        QCOMPARE(byPartition(*offsets, kTopic), (std::map<int32_t, int64_t> {{0, 7}, {2, 9}}));
        altered = a->alterGroupOffsets(kGroup, target); // the tests after this one start from 7, 8, 9
        QVERIFY(altered);
    }

    void crashedMemberExpiresAfterItsSessionTimeout()
    {
        auto a = admin();
        QVERIFY(a);
        QProcess holder;
        holder.start(kPython, scriptArgs(QStringLiteral("hold")));
        QVERIFY(holder.waitForStarted());
        QByteArray out;
        QVERIFY2(waitFor(
                     [&] {
                         holder.waitForReadyRead(100);
                         out += holder.readAllStandardOutput();
                         return out.contains("\"joined\"");
                     },
                     60000),
            "the kafka-python member did not join");
        // SIGKILL: no LeaveGroup, so only the session timeout (6 s) can remove the member.
        holder.kill();
        QVERIFY(holder.waitForFinished(10000));
        const auto killed = std::chrono::steady_clock::now();
        auto d = a->describeGroup(kGroup);
        QVERIFY(d);
        QCOMPARE(d->state, QStringLiteral("Stable"));
        QCOMPARE(d->members.size(), size_t(1));
        QVERIFY(waitFor(
            [&] {
                auto desc = a->describeGroup(kGroup);
                return desc && desc->state == QStringLiteral("Empty") && desc->members.empty();
            },
            30000));
        const auto waited
            = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
        QVERIFY2(
            waited.count() >= 4000, qPrintable(QStringLiteral("member expired after only %1 ms").arg(waited.count())));
        auto offsets = a->listGroupOffsets(kGroup);
        QVERIFY(offsets);
        QCOMPARE(byPartition(*offsets, kTopic), (std::map<int32_t, int64_t> {{0, 7}, {1, 8}, {2, 9}}));
    }

    void deleteRecordsAndWatermarks()
    {
        auto a = admin();
        QVERIFY(a);
        auto before = a->watermarks(kTopic, 0);
        QVERIFY2(before, qPrintable(before ? QString() : before.error().toString()));
        QCOMPARE(before->low, 0);
        QCOMPARE(before->high, 14); // 42 records over 3 partitions
        auto low = a->deleteRecords(kTopic, 0, 3);
        QVERIFY2(low, qPrintable(low ? QString() : low.error().toString()));
        QCOMPARE(*low, 3);
        auto after = a->watermarks(kTopic, 0);
        QVERIFY(after);
        QCOMPARE(after->low, 3);
        QCOMPARE(after->high, 14);
        auto count = a->partitionCount(kTopic);
        QVERIFY(count);
        QCOMPARE(*count, 3);
    }

    void librdkafkaMemberJoinsCommitsAndLeaves()
    {
        // librdkafka's group protocol versions: JoinGroup 5, SyncGroup 3, Heartbeat 3, OffsetCommit 7, OffsetFetch 7.
        const QString group = QStringLiteral("rdkafka-readers");
        char errstr[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        const std::vector<std::pair<const char*, std::string>> settings {
            {"bootstrap.servers", bootstrap().toStdString()}, {"group.id", group.toStdString()},
            {"client.id", "rdkafka-reader"}, {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"},
            {"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
        for (const auto& [k, v] : settings)
            QCOMPARE(rd_kafka_conf_set(conf, k, v.c_str(), errstr, sizeof errstr), RD_KAFKA_CONF_OK);
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        QVERIFY2(rk, errstr);
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, kTopic.toUtf8().constData(), RD_KAFKA_PARTITION_UA);
        QCOMPARE(rd_kafka_subscribe(rk, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(topics);

        // 42 records minus the 3 deleted from partition 0.
        int received = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (received < 39 && std::chrono::steady_clock::now() < deadline) {
            rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 200);
            if (!msg)
                continue;
            if (!msg->err)
                ++received;
            rd_kafka_message_destroy(msg);
        }
        QCOMPARE(received, 39);
        QCOMPARE(rd_kafka_commit(rk, nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

        auto a = admin();
        QVERIFY(a);
        auto desc = a->describeGroup(group);
        QVERIFY2(desc, qPrintable(desc ? QString() : desc.error().toString()));
        QCOMPARE(desc->state, QStringLiteral("Stable"));
        QCOMPARE(desc->members.size(), size_t(1));
        QCOMPARE(desc->members.front().clientId, QStringLiteral("rdkafka-reader"));
        QCOMPARE(desc->members.front().assignment.size(), size_t(3));
        auto offsets = a->listGroupOffsets(group);
        QVERIFY(offsets);
        QCOMPARE(byPartition(*offsets, kTopic), (std::map<int32_t, int64_t> {{0, 14}, {1, 14}, {2, 14}}));

        // The consumer's own view of its commits (OffsetFetch from a member).
        rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(3);
        for (int p = 0; p < 3; ++p)
            rd_kafka_topic_partition_list_add(parts, kTopic.toUtf8().constData(), p);
        QCOMPARE(rd_kafka_committed(rk, parts, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        for (int p = 0; p < 3; ++p)
            QCOMPARE(parts->elems[p].offset, 14);
        rd_kafka_topic_partition_list_destroy(parts);

        QCOMPARE(rd_kafka_consumer_close(rk), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(rk);
        auto after = a->describeGroup(group);
        QVERIFY(after);
        QCOMPARE(after->state, QStringLiteral("Empty"));
    }

    void restartRebuildsGroupsAndOffsets()
    {
        m_broker->stop();
        m_broker.reset();
        QVERIFY(startBroker());
        auto a = admin();
        QVERIFY(a);
        auto offsets = a->listGroupOffsets(kGroup);
        QVERIFY2(offsets, qPrintable(offsets ? QString() : offsets.error().toString()));
        QCOMPARE(byPartition(*offsets, kTopic), (std::map<int32_t, int64_t> {{0, 7}, {1, 8}, {2, 9}}));
        auto groups = a->listGroups();
        QVERIFY(groups);
        QVERIFY(std::any_of(groups->begin(), groups->end(), [](const auto& g) { return g.groupId == kGroup; }));
        auto desc = a->describeGroup(kGroup);
        QVERIFY(desc);
        QCOMPARE(desc->state, QStringLiteral("Empty"));
        auto w = a->watermarks(kTopic, 0);
        QVERIFY(w);
        QCOMPARE(w->low, 3);
    }

    // As Kafka since 2.1: deleting a topic drops every group's offsets on it, for good (tombstones survive a restart),
    // so a group never lists offsets of partitions that no longer exist.
    void deletedTopicTakesItsOffsetsAlong()
    {
        const QString doomed = QStringLiteral("doomed");
        const QString group = QStringLiteral("group-of-a-deleted-topic");
        {
            auto a = admin();
            QVERIFY(a);
            QVERIFY(a->createTopic(doomed, 2));
            QVERIFY(a->alterGroupOffsets(group, {{doomed, 0, 0, {}}, {doomed, 1, 0, {}}, {kTopic, 0, 3, {}}}));
            auto before = a->listGroupOffsets(group);
            QVERIFY(before);
            QCOMPARE(before->size(), std::size_t(3));
        }
        QProcess py;
        py.start(kPython,
            {QStringLiteral("-c"),
                QStringLiteral("import sys; from kafka import KafkaAdminClient; "
                               "KafkaAdminClient(bootstrap_servers=sys.argv[1]).delete_topics([sys.argv[2]])"),
                bootstrap(), doomed});
        QVERIFY(py.waitForFinished(60000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        for (int round = 0; round < 2; ++round) {
            if (round == 1) {
                m_broker->stop();
                m_broker.reset();
                QVERIFY(startBroker());
            }
            auto a = admin();
            QVERIFY(a);
            auto after = a->listGroupOffsets(group);
            QVERIFY2(after, qPrintable(after ? QString() : after.error().toString()));
            QCOMPARE(after->size(), std::size_t(1));
            QCOMPARE(after->front().topic, kTopic);
            QCOMPARE(after->front().offset, 3);
        }
    }

    // Thousands of partitions go to the broker in chunks that are in flight together (group offsets, alterations,
    // offsets by time): each answer must land on its own partition, in the order asked, across chunk and topic
    // boundaries.
    void chunkedOffsetsMapToTheirPartitions()
    {
        auto a = admin();
        QVERIFY(a);
        const QString wide = QStringLiteral("wide-chunks");
        const QString narrow = QStringLiteral("narrow-chunks");
        const QString group = QStringLiteral("chunked-readers");
        constexpr int32_t kWide = 1100; // more than four chunks of 250
        QVERIFY(a->createTopic(wide, kWide));
        QVERIFY(a->createTopic(narrow, 3));

        // Partition p of the wide topic holds p % 3 records; partition 1001 then loses its first one.
        char errstr[512] = {0};
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", qPrintable(bootstrap()), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        QVERIFY2(producer, errstr);
        const QByteArray wideName = wide.toUtf8();
        for (int32_t p = 0; p < kWide; ++p)
            for (int i = 0; i < p % 3; ++i)
                while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(wideName.constData()), RD_KAFKA_V_PARTITION(p),
                           RD_KAFKA_V_VALUE(const_cast<char*>("v"), size_t(1)),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)
                    == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(producer, 10);
        const rd_kafka_resp_err_t flushed = rd_kafka_flush(producer, 60000);
        rd_kafka_destroy(producer);
        QCOMPARE(flushed, RD_KAFKA_RESP_ERR_NO_ERROR);
        QVERIFY(a->deleteRecords(wide, 1001, 1));

        auto marks = a->topicWatermarks(wide, kWide);
        QVERIFY2(marks, qPrintable(marks ? QString() : marks.error().toString()));
        QCOMPARE(marks->size(), size_t(kWide));
        for (int32_t p = 0; p < kWide; ++p) {
            QCOMPARE((*marks)[size_t(p)].high, int64_t(p % 3));
            QCOMPARE((*marks)[size_t(p)].low, p == 1001 ? 1 : 0);
        }

        // Every wide partition but each seventh gets offset 3p + 1, and narrow partition 1 gets 5.
        std::vector<KafkaAdmin::PartitionOffset> commits;
        std::map<std::pair<QString, int32_t>, int64_t> expected;
        for (int32_t p = 0; p < kWide; ++p)
            if (p % 7 != 0) {
                commits.push_back({wide, p, int64_t(p) * 3 + 1, {}});
                expected[{wide, p}] = int64_t(p) * 3 + 1;
            }
        commits.insert(commits.begin() + 500, {narrow, 1, 5, {}}); // a topic change inside a chunk
        expected[{narrow, 1}] = 5;
        auto altered = a->alterGroupOffsets(group, commits);
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));

        auto asMap = [](const std::vector<KafkaAdmin::PartitionOffset>& offsets) {
            std::map<std::pair<QString, int32_t>, int64_t> m;
            for (const auto& o : offsets)
                m[{o.topic, o.partition}] = o.offset;
            return m;
        };
        auto all = a->listGroupOffsets(group);
        QVERIFY2(all, qPrintable(all ? QString() : all.error().toString()));
        QCOMPARE(all->size(), expected.size());
        QVERIFY(asMap(*all) == expected);
        auto topics = a->listTopics();
        QVERIFY(topics);
        auto among = a->listGroupOffsetsAmong(group, *topics);
        QVERIFY2(among, qPrintable(among ? QString() : among.error().toString()));
        QCOMPARE(among->size(), expected.size());
        QVERIFY(asMap(*among) == expected);

        // Asked partition by partition in a scrambled order that crosses topics: each one answered once, -1 where
        // nothing is committed.
        std::vector<KafkaAdmin::TopicPartition> asked;
        for (int32_t p = kWide - 1; p >= 0; --p) {
            asked.push_back({wide, p});
            if (p % 400 == 0)
                asked.push_back({narrow, p / 400});
        }
        auto some = a->listGroupOffsets(group, asked);
        QVERIFY2(some, qPrintable(some ? QString() : some.error().toString()));
        QCOMPARE(some->size(), asked.size());
        std::set<std::pair<QString, int32_t>> answered;
        for (const auto& o : *some) {
            QVERIFY(answered.insert({o.topic, o.partition}).second);
            QVERIFY(std::find(asked.begin(), asked.end(), KafkaAdmin::TopicPartition {o.topic, o.partition})
                != asked.end());
            const auto it = expected.find({o.topic, o.partition});
            QCOMPARE(o.offset, it == expected.end() ? int64_t(-1) : it->second);
        }
    }
};

QTEST_GUILESS_MAIN(TestBrokerGroups)
#include "tst_brokergroups.moc"
