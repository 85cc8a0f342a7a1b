// The embedded broker answers DescribeConfigs (v0–v4) for its topics and itself with the settings it really applies,
// as Kafka does: checked through librdkafka (KafkaAdmin, which readiness uses), kafka-python's KafkaAdminClient and
// hand-built frames for the versions neither client speaks (v0, v3, v4 flexible).
#include "broker/broker.h"
#include "broker/wire.h"
#include "rawkafkaclient.h"
#include "sources/kafkaadmin.h"

#include <librdkafka/rdkafka.h>

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using pw::KafkaAdmin;
using pw::broker::WireReader;
using pw::broker::WireWriter;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
constexpr int16_t kDescribeConfigs = 32;
constexpr int64_t kBrokerRetentionMs = 2LL * 3600 * 1000;
constexpr int64_t kTopicRetentionMs = 24LL * 3600 * 1000;

struct Entry
{
    std::optional<std::string> value;
    bool readOnly = false;
    int source = -1; // v1+
    bool isDefault = false; // v0
    int type = -1; // v3+
    std::vector<std::tuple<std::string, std::optional<std::string>, int>> synonyms;
};

struct Resource
{
    int16_t error = 0;
    std::optional<std::string> message;
    int8_t type = 0;
    std::string name;
    std::map<std::string, Entry> configs;
};

/// A DescribeConfigs request body as the version lays it out.
std::vector<uint8_t> request(
    int16_t v, const std::vector<std::tuple<int8_t, std::string, std::vector<std::string>>>& rs)
{
    const bool flexible = v >= 4;
    WireWriter w;
    w.arrayLength(int32_t(rs.size()), flexible);
    for (const auto& [type, name, keys] : rs) {
        w.i8(type);
        w.str(name, flexible);
        if (keys.empty())
            w.arrayLength(-1, flexible);
        else {
            w.arrayLength(int32_t(keys.size()), flexible);
            for (const auto& k : keys)
                w.str(k, flexible);
        }
        w.tags(flexible);
    }
    if (v >= 1)
        w.boolean(true); // synonyms
    if (v >= 3)
        w.boolean(false); // documentation
    w.tags(flexible);
    return w.take();
}

std::optional<std::vector<Resource>> parse(int16_t v, const std::vector<uint8_t>& response, int32_t correlationId)
{
    const bool flexible = v >= 4;
    WireReader r(response);
    if (r.i32() != correlationId)
        return std::nullopt;
    if (flexible)
        r.skipTaggedFields();
    r.i32(); // throttle
    std::vector<Resource> out;
    const int32_t n = r.arrayLength(flexible);
    for (int32_t i = 0; i < n && !r.failed(); ++i) {
        Resource res;
        res.error = r.i16();
        res.message = flexible ? r.compactNullableString() : r.nullableString();
        res.type = r.i8();
        res.name = flexible ? r.compactString() : r.string();
        const int32_t m = r.arrayLength(flexible);
        for (int32_t j = 0; j < m && !r.failed(); ++j) {
            const std::string name = flexible ? r.compactString() : r.string();
            Entry e;
            e.value = flexible ? r.compactNullableString() : r.nullableString();
            e.readOnly = r.boolean();
            if (v == 0)
                e.isDefault = r.boolean();
            else
                e.source = r.i8();
            r.boolean(); // sensitive
            if (v >= 1) {
                const int32_t s = r.arrayLength(flexible);
                for (int32_t k = 0; k < s && !r.failed(); ++k) {
                    std::string sn = flexible ? r.compactString() : r.string();
                    auto sv = flexible ? r.compactNullableString() : r.nullableString();
                    const int source = r.i8();
                    if (flexible)
                        r.skipTaggedFields();
                    e.synonyms.emplace_back(sn, sv, source);
                }
            }
            if (v >= 3) {
                e.type = r.i8();
                flexible ? r.compactNullableString() : r.nullableString(); // documentation
            }
            if (flexible)
                r.skipTaggedFields();
            res.configs[name] = e;
        }
        if (flexible)
            r.skipTaggedFields();
        out.push_back(std::move(res));
    }
    if (flexible)
        r.skipTaggedFields();
    if (r.failed() || r.remaining() != 0)
        return std::nullopt;
    return out;
}

} // namespace

class TestDescribeConfigs : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<pw::broker::Broker> m_broker;

    QString bootstrap() const { return QString::fromStdString(m_broker->bootstrapServers()); }

    std::unique_ptr<KafkaAdmin> admin()
    {
        pw::KafkaAdminConfig config;
        config.bootstrapServers = bootstrap();
        config.timeout = std::chrono::milliseconds(15000);
        auto a = KafkaAdmin::create(config);
        return a ? std::move(*a) : nullptr;
    }

    /// A topic with a retention of its own, created with a config the way Kafka's tools do (CreateTopics configs).
    QString createTopicWithRetention(const char* topic, int64_t retentionMs)
    {
        char errstr[512] = {0};
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", m_broker->bootstrapServers().c_str(), errstr, sizeof errstr);
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!rk)
            return QString::fromUtf8(errstr);
        rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic, 1, 1, errstr, sizeof errstr);
        rd_kafka_NewTopic_set_config(nt, "retention.ms", std::to_string(retentionMs).c_str());
        rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
        rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
        QString error;
        if (!ev)
            error = QStringLiteral("no answer");
        else {
            size_t n = 0;
            const auto** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
            if (n != 1 || rd_kafka_topic_result_error(results[0]))
                error = QStringLiteral("CreateTopics failed: %1")
                            .arg(QString::fromUtf8(n ? rd_kafka_topic_result_error_string(results[0]) : "no result"));
            rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
        rd_kafka_destroy(rk);
        return error;
    }

    std::optional<std::vector<Resource>> raw(int16_t v, const std::vector<uint8_t>& body)
    {
        pw::test::RawKafkaClient client(m_broker->port());
        if (!client.connected())
            return std::nullopt;
        if (!client.sendRaw(pw::test::RawKafkaClient::frame(kDescribeConfigs, v, 77, body, v >= 4)))
            return std::nullopt;
        auto response = client.receive();
        if (!response)
            return std::nullopt;
        return parse(v, *response, 77);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        pw::broker::BrokerOptions options;
        options.dataDir = m_dir.path().toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 2;
        options.retentionMs = kBrokerRetentionMs;
        options.segmentBytes = 1 << 20;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        m_broker = std::move(*broker);
        auto a = admin();
        QVERIFY(a);
        QVERIFY(a->createTopic(QStringLiteral("events"), 2));
        const QString created = createTopicWithRetention("audit", kTopicRetentionMs);
        QVERIFY2(created.isEmpty(), qPrintable(created));
    }

    void librdkafka()
    {
        auto a = admin();
        QVERIFY(a);
        const auto configs
            = a->describeTopicConfigs({QStringLiteral("events"), QStringLiteral("audit"), QStringLiteral("missing")});
        QCOMPARE(configs.size(), size_t(3));
        QVERIFY2(configs[0], qPrintable(configs[0] ? QString() : configs[0].error().toString()));
        auto value = [](const KafkaAdmin::TopicConfigs& c, const char* name) {
            const auto* v = c.find(QString::fromLatin1(name));
            return v ? v->value : QStringLiteral("<absent>");
        };
        QCOMPARE(value(*configs[0], "retention.ms"), QString::number(kBrokerRetentionMs));
        QCOMPARE(value(*configs[0], "retention.bytes"), QStringLiteral("-1"));
        QCOMPARE(value(*configs[0], "segment.bytes"), QStringLiteral("1048576"));
        QCOMPARE(value(*configs[0], "cleanup.policy"), QStringLiteral("delete"));
        QCOMPARE(value(*configs[0], "min.insync.replicas"), QStringLiteral("1"));
        QCOMPARE(value(*configs[0], "unclean.leader.election.enable"), QStringLiteral("false"));
        QVERIFY(configs[0]->find(QStringLiteral("min.insync.replicas"))->isDefault);
        QVERIFY(!configs[0]->find(QStringLiteral("retention.ms"))->isDefault); // set when the broker started
        QVERIFY(configs[1]);
        QCOMPARE(value(*configs[1], "retention.ms"), QString::number(kTopicRetentionMs));
        QVERIFY(!configs[2]);
        QCOMPARE(configs[2].error().code, pw::Error::Code::NotFound);
        QVERIFY2(
            configs[2].error().message.contains(QStringLiteral("missing")), qPrintable(configs[2].error().message));

        const auto replication = a->topicReplication({QStringLiteral("events"), QStringLiteral("missing")});
        QVERIFY(replication[0]);
        QCOMPARE(replication[0]->partitions, 2);
        QCOMPARE(replication[0]->minReplicas, 1);
        QCOMPARE(replication[0]->minInSyncReplicas, 1);
        QCOMPARE(replication[0]->brokers, 1);
        QVERIFY(!replication[1]);
    }

    void kafkaPython()
    {
        QVERIFY2(QFileInfo::exists(kPython), "/usr/bin/python3 is missing (Debian package python3)");
        QProcess p;
        p.start(kPython,
            {QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/describe_configs.py"), bootstrap(),
                QStringLiteral("events"), QStringLiteral("audit"), QStringLiteral("--broker"), QStringLiteral("0")});
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput();
        QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
        const QJsonObject json = QJsonDocument::fromJson(out).object();
        QCOMPARE(json.value(QStringLiteral("api_version")).toInt(), 2); // kafka-python's newest
        const QJsonArray resources = json.value(QStringLiteral("resources")).toArray();
        QCOMPARE(resources.size(), 3);
        std::map<QString, QJsonObject> byName;
        for (const auto& r : resources) {
            QCOMPARE(r.toObject().value(QStringLiteral("error")).toInt(), 0);
            byName[r.toObject().value(QStringLiteral("name")).toString()]
                = r.toObject().value(QStringLiteral("configs")).toObject();
        }
        const QJsonObject events = byName[QStringLiteral("events")];
        QCOMPARE(events.value(QStringLiteral("retention.ms")).toObject().value(QStringLiteral("value")).toString(),
            QString::number(kBrokerRetentionMs));
        QCOMPARE(events.value(QStringLiteral("retention.ms")).toObject().value(QStringLiteral("source")).toInt(), 4);
        QCOMPARE(events.value(QStringLiteral("cleanup.policy")).toObject().value(QStringLiteral("value")).toString(),
            QStringLiteral("delete"));
        QCOMPARE(events.value(QStringLiteral("unclean.leader.election.enable"))
                     .toObject()
                     .value(QStringLiteral("value"))
                     .toString(),
            QStringLiteral("false"));
        // An overridden topic setting names the broker-wide one it replaces, as Kafka's synonyms do.
        const QJsonObject retention = byName[QStringLiteral("audit")].value(QStringLiteral("retention.ms")).toObject();
        QCOMPARE(retention.value(QStringLiteral("value")).toString(), QString::number(kTopicRetentionMs));
        QCOMPARE(retention.value(QStringLiteral("source")).toInt(), 1);
        const QJsonArray synonyms = retention.value(QStringLiteral("synonyms")).toArray();
        QCOMPARE(synonyms.size(), 2);
        QCOMPARE(synonyms.at(1).toArray().at(0).toString(), QStringLiteral("log.retention.ms"));
        QCOMPARE(synonyms.at(1).toArray().at(1).toString(), QString::number(kBrokerRetentionMs));
        const QJsonObject broker = byName[QStringLiteral("0")];
        QCOMPARE(broker.value(QStringLiteral("log.retention.ms")).toObject().value(QStringLiteral("value")).toString(),
            QString::number(kBrokerRetentionMs));
        QVERIFY(
            broker.value(QStringLiteral("log.retention.ms")).toObject().value(QStringLiteral("read_only")).toBool());
        QCOMPARE(broker.value(QStringLiteral("default.replication.factor"))
                     .toObject()
                     .value(QStringLiteral("value"))
                     .toString(),
            QStringLiteral("1"));
    }

    void everyVersionOnTheWire_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }

    void everyVersionOnTheWire()
    {
        QFETCH(int, version);
        const int16_t v = int16_t(version);
        const auto resources = raw(v,
            request(v,
                {{int8_t(2), "events", {}}, {int8_t(2), "audit", {"retention.ms", "min.insync.replicas"}},
                    {int8_t(4), "0", {"log.segment.bytes"}}, {int8_t(2), "missing", {}}, {int8_t(99), "x", {}}}));
        QVERIFY2(resources, "no well-formed answer");
        QCOMPARE(resources->size(), size_t(5));
        const Resource& events = (*resources)[0];
        QCOMPARE(events.error, int16_t(0));
        QCOMPARE(events.name, std::string("events"));
        QCOMPARE(events.configs.at("retention.ms").value.value_or(""), std::to_string(kBrokerRetentionMs));
        QCOMPARE(events.configs.at("unclean.leader.election.enable").value.value_or(""), std::string("false"));
        if (v == 0)
            QVERIFY(events.configs.at("min.insync.replicas").isDefault);
        else
            QCOMPARE(events.configs.at("min.insync.replicas").source, 5); // DEFAULT_CONFIG
        if (v >= 3) {
            QCOMPARE(events.configs.at("min.insync.replicas").type, 3); // INT
            QCOMPARE(events.configs.at("unclean.leader.election.enable").type, 1); // BOOLEAN
            QCOMPARE(events.configs.at("retention.ms").type, 5); // LONG
        }
        const Resource& audit = (*resources)[1];
        QCOMPARE(audit.configs.size(), size_t(2)); // only the keys asked for
        QCOMPARE(audit.configs.at("retention.ms").value.value_or(""), std::to_string(kTopicRetentionMs));
        if (v >= 1) {
            QCOMPARE(audit.configs.at("retention.ms").source, 1); // DYNAMIC_TOPIC_CONFIG
            QCOMPARE(audit.configs.at("retention.ms").synonyms.size(), size_t(2));
        }
        const Resource& broker = (*resources)[2];
        QCOMPARE(broker.type, int8_t(4));
        QCOMPARE(broker.configs.size(), size_t(1));
        QCOMPARE(broker.configs.at("log.segment.bytes").value.value_or(""), std::string("1048576"));
        QVERIFY(broker.configs.at("log.segment.bytes").readOnly);
        QCOMPARE((*resources)[3].error, int16_t(3)); // UNKNOWN_TOPIC_OR_PARTITION
        QVERIFY((*resources)[3].message.has_value());
        QCOMPARE((*resources)[4].error, int16_t(42)); // INVALID_REQUEST
    }

    void malformedRequestClosesOnlyThatConnection()
    {
        pw::test::RawKafkaClient bad(m_broker->port());
        std::vector<uint8_t> body = request(1, {{int8_t(2), "events", {}}});
        body.resize(body.size() - 3); // cut inside the resource
        QVERIFY(bad.sendRaw(pw::test::RawKafkaClient::frame(kDescribeConfigs, 1, 5, body)));
        QVERIFY(bad.closedByPeer());
        QVERIFY(raw(2, request(2, {{int8_t(2), "events", {"retention.ms"}}})));
    }

    void advertisedInApiVersions()
    {
        pw::test::RawKafkaClient client(m_broker->port());
        QVERIFY(client.send(18, 0, 1, {}));
        auto response = client.receive();
        QVERIFY(response);
        WireReader r(*response);
        r.i32();
        QCOMPARE(r.i16(), int16_t(0));
        const int32_t n = r.arrayLength(false);
        bool found = false;
        for (int32_t i = 0; i < n && !r.failed(); ++i) {
            const int16_t key = r.i16(), min = r.i16(), max = r.i16();
            if (key == kDescribeConfigs) {
                found = true;
                QCOMPARE(min, int16_t(0));
                QCOMPARE(max, int16_t(4));
            }
        }
        QVERIFY(found);
    }

    void cleanupTestCase() { m_broker.reset(); }
};

QTEST_GUILESS_MAIN(TestDescribeConfigs)
#include "tst_describeconfigs.moc"
