// The consumer-lag source against a broker that makes reading hard: wrong SASL credentials, a user without
// permission to read __consumer_offsets, a slow broker and one that stops answering, and a topic deleted while a poll
// is under way. Each ends within the poll timeout as an error with its reason or as a reduced verdict, never as a
// hang, and the next poll is good again. The embedded broker serves SASL/PLAIN and per-user topic denials; every
// client reaches it through a relay that can slow down or hold its answers.
#include "broker/broker.h"
#include "model/consumerlag.h"
#include "peerprocess.h"
#include "slowrelay.h"
#include "sources/kafkasource.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <future>

using namespace std::chrono_literals;
using pw::GroupLag;

namespace {

const QString kTopic = QStringLiteral("t-bad");
const QString kGroup = QStringLiteral("g-bad");
const QString kDoomedTopic = QStringLiteral("t-doomed");
const QString kDoomedGroup = QStringLiteral("g-doomed");
constexpr qint64 kTimeoutMs = 5000;

QVariantMap saslProperties(const QString& user, const QString& password)
{
    return {{QStringLiteral("security.protocol"), QStringLiteral("SASL_PLAINTEXT")},
        {QStringLiteral("sasl.mechanism"), QStringLiteral("PLAIN")}, {QStringLiteral("sasl.username"), user},
        {QStringLiteral("sasl.password"), password}};
}

const GroupLag* find(const pw::PollResult& r, const QString& group)
{
    if (!r.lag)
        return nullptr;
    for (const auto& g : r.lag->groups)
        if (g.group == group)
            return &g;
    return nullptr;
}

} // namespace

class TestLagBadInput : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<pw::broker::Broker> m_broker;
    std::unique_ptr<pw::test::SlowRelay> m_relay;

    QString bootstrap() const { return QStringLiteral("127.0.0.1:%1").arg(m_relay->port()); }

    rd_kafka_t* client(rd_kafka_type_t type, const char* group = nullptr)
    {
        char err[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        const std::string servers = bootstrap().toStdString();
        for (const auto& [k, v] :
            {std::pair {"bootstrap.servers", servers.c_str()}, std::pair {"security.protocol", "SASL_PLAINTEXT"},
                std::pair {"sasl.mechanism", "PLAIN"}, std::pair {"sasl.username", "admin"},
                std::pair {"sasl.password", "admin-secret"}, std::pair {"linger.ms", "0"}})
            rd_kafka_conf_set(conf, k, v, err, sizeof err);
        if (group)
            rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
        return rd_kafka_new(type, conf, err, sizeof err);
    }

    bool produce(const QString& topic, int count, int32_t partition = 0)
    {
        rd_kafka_t* producer = client(RD_KAFKA_PRODUCER);
        if (!producer)
            return false;
        const std::string t = topic.toStdString();
        for (int i = 0; i < count; ++i) {
            const std::string value = "v" + std::to_string(i);
            rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(t.c_str()), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        }
        const bool flushed = rd_kafka_flush(producer, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_destroy(producer);
        return flushed;
    }

    bool commit(const QString& group, const QString& topic, int64_t offset, int32_t partition = 0)
    {
        const std::string g = group.toStdString();
        rd_kafka_t* consumer = client(RD_KAFKA_CONSUMER, g.c_str());
        if (!consumer)
            return false;
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic.toStdString().c_str(), partition)->offset = offset;
        const bool ok = rd_kafka_commit(consumer, list, 0) == RD_KAFKA_RESP_ERR_NO_ERROR && !list->elems[0].err;
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        return ok;
    }

    std::unique_ptr<pw::Source> watcher(const QString& user, const QString& password)
    {
        pw::SourceConfig config;
        config.id = QStringLiteral("kafka-") + user;
        config.kind = QStringLiteral("kafka");
        config.intervalMs = 1000;
        config.timeoutMs = kTimeoutMs;
        config.options.insert(QStringLiteral("bootstrap_servers"), bootstrap());
        config.options.insert(QStringLiteral("properties"), saslProperties(user, password));
        config.options.insert(QStringLiteral("groups"), QVariantMap {});
        config.options.insert(QStringLiteral("lag_window"), 2);
        pw::SignalConfig lag;
        lag.id = QStringLiteral("source_log/lag");
        lag.name = QStringLiteral("lag");
        lag.stageId = QStringLiteral("source_log");
        lag.kind = pw::SignalKind::ConsumerLag;
        lag.sourceId = config.id;
        auto created = pw::KafkaSource::create(config, {lag});
        if (!created) {
            qWarning().noquote() << created.error().toString();
            return nullptr;
        }
        return std::move(*created);
    }

    static pw::PollResult poll(pw::Source& source, qint64* elapsedMs = nullptr)
    {
        QElapsedTimer t;
        t.start();
        pw::PollResult r = static_cast<pw::KafkaSource&>(source).pollBlocking();
        if (elapsedMs)
            *elapsedMs = t.elapsed();
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const quint16 relayPort = pw::test::freeLoopbackPort();
        pw::broker::BrokerOptions options;
        options.dataDir = QString(m_dir.path() + QStringLiteral("/broker")).toStdString();
        options.listenPort = 0;
        options.advertisedPort = relayPort;
        options.threads = 2;
        options.saslPlainUsers = {{"admin", "admin-secret"}, {"watcher", "watcher-secret"}, {"blind", "blind-secret"}};
        options.deniedTopics = {{"User:blind", {"__consumer_offsets"}}};
        auto broker = pw::broker::Broker::start(options);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        m_broker = std::move(*broker);
        m_relay = std::make_unique<pw::test::SlowRelay>(relayPort, m_broker->port());
        QVERIFY(m_relay->listening());

        QVERIFY(produce(kTopic, 50));
        QVERIFY(commit(kGroup, kTopic, 10));
        QVERIFY(produce(kDoomedTopic, 20));
        QVERIFY(commit(kDoomedGroup, kDoomedTopic, 5));
        QVERIFY(commit(kDoomedGroup, kTopic, 45));
    }

    void cleanupTestCase()
    {
        m_relay.reset();
        if (m_broker)
            m_broker->stop();
    }

    // The right credentials read every group, commit times included.
    void rightCredentials()
    {
        auto source = watcher(QStringLiteral("watcher"), QStringLiteral("watcher-secret"));
        QVERIFY(source);
        const pw::PollResult r = poll(*source);
        QVERIFY2(!r.error, qPrintable(r.error ? r.error->toString() : QString()));
        QVERIFY2(r.lag && r.lag->commitTimesError.isEmpty(), qPrintable(r.lag ? r.lag->commitTimesError : QString()));
        const GroupLag* g = find(r, kGroup);
        QVERIFY(g);
        QCOMPARE(g->totalLag, int64_t(40));
    }

    // kafka-python authenticates with SaslHandshake v0 and a bare token (librdkafka uses v1 and SaslAuthenticate):
    // the right password lists the topics, a wrong one is refused.
    void kafkaPythonAuthenticates()
    {
        const QString script = QStringLiteral(
            "import sys, logging\n"
            "logging.disable(logging.CRITICAL)\n"
            "from kafka import KafkaConsumer\n"
            "try:\n"
            "    c = KafkaConsumer(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT',\n"
            "        sasl_mechanism='PLAIN', sasl_plain_username='watcher', sasl_plain_password=sys.argv[2],\n"
            "        api_version_auto_timeout_ms=5000, request_timeout_ms=6000)\n"
            "    print(','.join(sorted(t for t in c.topics() if not t.startswith('_'))))\n"
            "except Exception as e:\n"
            "    print('refused', type(e).__name__)\n");
        for (const auto& [password, expected] : {std::pair {QStringLiteral("watcher-secret"), QStringLiteral("t-bad")},
                 std::pair {QStringLiteral("wrong"), QStringLiteral("refused")}}) {
            QProcess python;
            python.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script, bootstrap(), password});
            QVERIFY(python.waitForFinished(60000));
            const QString out = QString::fromUtf8(python.readAllStandardOutput()).trimmed();
            qInfo().noquote() << "kafka-python with password" << password << "->" << out;
            QVERIFY2(out.startsWith(expected), qPrintable(out + QString::fromUtf8(python.readAllStandardError())));
        }
    }

    // A wrong password: the poll fails within its timeout, saying authentication failed, and never shows the password.
    void wrongCredentials()
    {
        auto source = watcher(QStringLiteral("watcher"), QStringLiteral("not-the-password"));
        QVERIFY(source);
        qint64 elapsed = 0;
        const pw::PollResult r = poll(*source, &elapsed);
        QVERIFY(r.error);
        const QString reason = r.error->toString();
        qInfo().noquote() << "wrong credentials after" << elapsed << "ms:" << reason;
        QVERIFY2(reason.contains(QStringLiteral("refused the credentials")), qPrintable(reason));
        QVERIFY2(!reason.contains(QStringLiteral("not-the-password")), qPrintable(reason));
        QVERIFY2(elapsed < kTimeoutMs + 3000, qPrintable(QString::number(elapsed)));
    }

    // No permission on __consumer_offsets: lag is still read through OffsetFetch; the verdicts lack commit times and
    // say why.
    void noPermissionOnConsumerOffsets()
    {
        auto source = watcher(QStringLiteral("blind"), QStringLiteral("blind-secret"));
        QVERIFY(source);
        const pw::PollResult r = poll(*source);
        QVERIFY2(!r.error, qPrintable(r.error ? r.error->toString() : QString()));
        QVERIFY(r.lag);
        qInfo().noquote() << "without __consumer_offsets:" << r.lag->commitTimesError;
        QVERIFY2(!r.lag->commitTimesError.isEmpty(), "commit times claimed without access to __consumer_offsets");
        QVERIFY2(r.lag->commitTimesError.contains(QStringLiteral("not authorized"), Qt::CaseInsensitive),
            qPrintable(r.lag->commitTimesError));
        const GroupLag* g = find(r, kGroup);
        QVERIFY(g);
        QVERIFY2(g->error.isEmpty(), qPrintable(g->error));
        QVERIFY(!g->commitTimesKnown);
        QCOMPARE(g->totalLag, int64_t(40));
    }

    // Answers slowed down: the poll takes longer and is right. Answers held back: the poll ends by its timeout with
    // the reason. Answers flowing again: the next poll is good.
    void slowBroker()
    {
        auto source = watcher(QStringLiteral("watcher"), QStringLiteral("watcher-secret"));
        QVERIFY(source);
        QVERIFY(!poll(*source).error);

        m_relay->setDelay(300ms);
        qint64 elapsed = 0;
        pw::PollResult r = poll(*source, &elapsed);
        qInfo() << "poll through a broker 300 ms slow per answer:" << elapsed << "ms";
        QVERIFY2(!r.error, qPrintable(r.error ? r.error->toString() : QString()));
        QVERIFY(find(r, kGroup));
        QCOMPARE(find(r, kGroup)->totalLag, int64_t(40));

        m_relay->setDelay(0ms);
        m_relay->setStalled(true);
        r = poll(*source, &elapsed);
        m_relay->setStalled(false);
        const QString reason = r.error ? r.error->toString() : (find(r, kGroup) ? find(r, kGroup)->error : QString());
        qInfo().noquote() << "poll of a broker that does not answer ended after" << elapsed << "ms:" << reason;
        QVERIFY2(!reason.isEmpty(), "a broker that does not answer gave a clean poll");
        QVERIFY2(elapsed < kTimeoutMs + 3000, qPrintable(QString::number(elapsed)));

        bool recovered = false;
        for (int i = 0; i < 5 && !recovered; ++i) {
            r = poll(*source);
            recovered = !r.error && find(r, kGroup) && find(r, kGroup)->error.isEmpty();
        }
        QVERIFY2(recovered, qPrintable(r.error ? r.error->toString() : QString()));
        QCOMPARE(find(r, kGroup)->totalLag, int64_t(40));
    }

    // A topic that gains partitions (CreatePartitions): the source follows at the next poll, counting the records of
    // a partition the group never committed on as lag, then the lag from the group's first commit there.
    void partitionCountGrows()
    {
        const QString topic = QStringLiteral("t-grow");
        const QString group = QStringLiteral("g-grow");
        QVERIFY(produce(topic, 10));
        QVERIFY(commit(group, topic, 4));
        auto source = watcher(QStringLiteral("watcher"), QStringLiteral("watcher-secret"));
        QVERIFY(source);
        pw::PollResult r = poll(*source);
        QVERIFY(!r.error);
        QCOMPARE(find(r, group)->partitions.size(), size_t(1));
        QCOMPARE(find(r, group)->totalLag, int64_t(6));

        rd_kafka_t* admin = client(RD_KAFKA_PRODUCER);
        QVERIFY(admin);
        const std::string name = topic.toStdString();
        char err[256];
        rd_kafka_NewPartitions_t* grow = rd_kafka_NewPartitions_new(name.c_str(), 3, err, sizeof err);
        QVERIFY2(grow, err);
        rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
        rd_kafka_CreatePartitions(admin, &grow, 1, nullptr, queue);
        rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 30000);
        QVERIFY(ev);
        QCOMPARE(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR);
        size_t results = 0;
        const rd_kafka_topic_result_t** topics
            = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &results);
        QCOMPARE(results, size_t(1));
        QCOMPARE(rd_kafka_topic_result_error(topics[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_event_destroy(ev);
        // Shrinking is refused, as Kafka refuses it.
        rd_kafka_NewPartitions_t* shrink = rd_kafka_NewPartitions_new(name.c_str(), 2, err, sizeof err);
        rd_kafka_CreatePartitions(admin, &shrink, 1, nullptr, queue);
        ev = rd_kafka_queue_poll(queue, 30000);
        QVERIFY(ev);
        topics = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &results);
        QCOMPARE(rd_kafka_topic_result_error(topics[0]), RD_KAFKA_RESP_ERR_INVALID_PARTITIONS);
        rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(queue);
        rd_kafka_NewPartitions_destroy(grow);
        rd_kafka_NewPartitions_destroy(shrink);
        rd_kafka_destroy(admin);

        QVERIFY(produce(topic, 7, 2));
        r = poll(*source);
        QVERIFY2(!r.error, qPrintable(r.error ? r.error->toString() : QString()));
        QVERIFY2(find(r, group)->error.isEmpty(), qPrintable(find(r, group)->error));
        // The new partitions show at once; with nothing committed there yet, all their records count as lag.
        QCOMPARE(find(r, group)->partitions.size(), size_t(3));
        QCOMPARE(find(r, group)->totalLag, int64_t(6 + 0 + 7));
        QVERIFY(commit(group, topic, 2, 2));
        r = poll(*source);
        QVERIFY(!r.error);
        const GroupLag* g = find(r, group);
        QVERIFY(g);
        QCOMPARE(g->partitions.size(), size_t(3));
        auto grown
            = std::find_if(g->partitions.begin(), g->partitions.end(), [](const auto& p) { return p.partition == 2; });
        QVERIFY(grown != g->partitions.end());
        QCOMPARE(grown->lag, int64_t(5));
        QCOMPARE(g->totalLag, int64_t(6 + 0 + 5));
    }

    // A topic deleted while a poll is under way: that poll ends (with or without the topic), and the next one shows
    // the group with only the topic that is left.
    void topicDeletedMidCycle()
    {
        auto source = watcher(QStringLiteral("watcher"), QStringLiteral("watcher-secret"));
        QVERIFY(source);
        pw::PollResult first = poll(*source);
        QVERIFY(!first.error);
        QCOMPARE(find(first, kDoomedGroup)->partitions.size(), size_t(2));

        m_relay->setDelay(150ms);
        auto during = std::async(std::launch::async, [&] { return poll(*source); });
        std::this_thread::sleep_for(200ms);
        rd_kafka_t* admin = client(RD_KAFKA_PRODUCER);
        QVERIFY(admin);
        const std::string doomed = kDoomedTopic.toStdString();
        rd_kafka_DeleteTopic_t* del = rd_kafka_DeleteTopic_new(doomed.c_str());
        rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
        rd_kafka_DeleteTopics(admin, &del, 1, nullptr, queue);
        rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 30000);
        QVERIFY(ev);
        QCOMPARE(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(queue);
        rd_kafka_DeleteTopic_destroy(del);
        rd_kafka_destroy(admin);

        QCOMPARE(during.wait_for(std::chrono::milliseconds(kTimeoutMs + 5000)), std::future_status::ready);
        const pw::PollResult mid = during.get();
        qInfo().noquote() << "the poll during the deletion:"
                          << (mid.error ? mid.error->toString() : QStringLiteral("no error"));
        m_relay->setDelay(0ms);

        const pw::PollResult after = poll(*source);
        QVERIFY2(!after.error, qPrintable(after.error ? after.error->toString() : QString()));
        const GroupLag* g = find(after, kDoomedGroup);
        QVERIFY(g);
        QVERIFY2(g->error.isEmpty(), qPrintable(g->error));
        QCOMPARE(g->partitions.size(), size_t(1));
        QCOMPARE(g->partitions.front().topic, kTopic);
        QCOMPARE(g->totalLag, int64_t(5));
    }
};

QTEST_GUILESS_MAIN(TestLagBadInput)
#include "tst_lagbadinput.moc"
