// The embedded broker under a client that asks for too much: more partitions than it may hold open files for, and
// Metadata/CreateTopics past its topic and partition caps. Driven by kcat (librdkafka) and raw protocol requests.

#include "broker/broker.h"
#include "broker/recordbatch.h"
#include "broker/wire.h"
#include "rawkafkaclient.h"

#include <QDir>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <string>
#include <vector>

using namespace pw::broker;
using pw::test::RawKafkaClient;

namespace {

constexpr int32_t MaxTopics = 12;
constexpr int32_t MaxPartitions = 400;
constexpr size_t MaxOpenFiles = 24;
constexpr int32_t WidePartitions = 300; // far more than MaxOpenFiles

struct MetadataTopic
{
    int16_t error = -1;
    std::string name;
    int32_t partitions = 0;
};

// Metadata v4 (allow auto-create) for `names`; the topics of the answer.
std::optional<std::vector<MetadataTopic>> metadataV4(uint16_t port, const std::vector<std::string>& names)
{
    RawKafkaClient c(port);
    WireWriter body;
    body.arrayLength(int32_t(names.size()), false);
    for (const auto& n : names)
        body.string(n);
    body.boolean(true);
    if (!c.send(int16_t(ApiKey::Metadata), 4, 1, body.take()))
        return std::nullopt;
    auto response = c.receive(30000);
    if (!response)
        return std::nullopt;
    WireReader r(*response);
    r.i32(); // correlation id
    r.i32(); // throttle
    const int32_t brokers = r.arrayLength(false);
    for (int32_t i = 0; i < brokers; ++i) {
        r.i32();
        r.string();
        r.i32();
        r.nullableString();
    }
    r.nullableString(); // cluster id
    r.i32(); // controller
    std::vector<MetadataTopic> topics;
    const int32_t count = r.arrayLength(false);
    for (int32_t i = 0; i < count && !r.failed(); ++i) {
        MetadataTopic t;
        t.error = r.i16();
        t.name = r.string();
        r.boolean();
        t.partitions = r.arrayLength(false);
        for (int32_t p = 0; p < t.partitions; ++p) {
            r.i16();
            r.i32();
            r.i32();
            r.arrayLength(false);
            r.i32();
            r.arrayLength(false);
            r.i32();
        }
        topics.push_back(std::move(t));
    }
    if (r.failed() || r.remaining() != 0)
        return std::nullopt;
    return topics;
}

} // namespace

class TestBrokerLimits : public QObject
{
    Q_OBJECT

private:
    QString m_kcat;
    QTemporaryDir m_dir;
    std::unique_ptr<Broker> m_broker;

    BrokerOptions options() const
    {
        BrokerOptions o;
        o.dataDir = m_dir.path().toStdString();
        o.listenPort = 0;
        o.maxTopics = MaxTopics;
        o.maxPartitions = MaxPartitions;
        o.maxOpenFiles = MaxOpenFiles;
        return o;
    }

    QProcess* startKcat(const QStringList& args)
    {
        auto* p = new QProcess(this);
        p->start(
            m_kcat, QStringList {QStringLiteral("-b"), QString::fromStdString(m_broker->bootstrapServers())} + args);
        return p;
    }

    std::pair<int, QString> kcat(const QStringList& args, const QByteArray& input = {}, int timeoutMs = 60000)
    {
        QProcess* p = startKcat(args);
        if (!p->waitForStarted(5000))
            return {-1, {}};
        if (!input.isEmpty())
            p->write(input);
        p->closeWriteChannel();
        if (!p->waitForFinished(timeoutMs)) {
            p->kill();
            p->waitForFinished(2000);
        }
        const QString err = QString::fromUtf8(p->readAllStandardError());
        const QString out = QString::fromUtf8(p->readAllStandardOutput());
        const int code = p->exitStatus() == QProcess::NormalExit ? p->exitCode() : -1;
        delete p;
        if (code != 0)
            qWarning().noquote() << "kcat" << args.join(QLatin1Char(' ')) << "failed:" << err;
        return {code, out};
    }

    static int openDescriptors() { return int(QDir(QStringLiteral("/proc/self/fd")).count()) - 2; }

private slots:
    void initTestCase()
    {
        m_kcat = QStandardPaths::findExecutable(QStringLiteral("kcat"));
        QVERIFY2(!m_kcat.isEmpty(), "kcat is not installed (Debian package kcat); this test needs it");
        QVERIFY(m_dir.isValid());
        auto broker = Broker::start(options());
        QVERIFY2(broker.has_value(), broker ? "" : qPrintable(broker.error().toString()));
        m_broker = std::move(*broker);
    }

    void cleanupTestCase()
    {
        if (m_broker)
            m_broker->stop();
    }

    void morePartitionsThanOpenFiles()
    {
        // Three hundred partitions, a budget of 24 open segment files: every partition is written and read back.
        const int before = openDescriptors();
        auto [created, _] = kcat({QStringLiteral("-L"), QStringLiteral("-t"), QStringLiteral("wide")});
        QCOMPARE(created, 0);
        RawKafkaClient c(m_broker->port());
        WireWriter body;
        body.arrayLength(1, false);
        body.string("wide-many");
        body.i32(WidePartitions);
        body.i16(1);
        body.arrayLength(0, false);
        body.arrayLength(0, false);
        body.i32(5000);
        body.boolean(false);
        QVERIFY(c.send(int16_t(ApiKey::CreateTopics), 3, 2, body.take()));
        auto response = c.receive(60000);
        QVERIFY(response.has_value());
        WireReader r(*response);
        r.i32();
        r.i32();
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.string(), std::string("wide-many"));
        QCOMPARE(r.i16(), int16_t(0));

        // One Produce v3 with three records for every partition.
        WireWriter produce;
        produce.nullableString(std::nullopt);
        produce.i16(-1);
        produce.i32(30000);
        produce.arrayLength(1, false);
        produce.string("wide-many");
        produce.arrayLength(WidePartitions, false);
        for (int32_t p = 0; p < WidePartitions; ++p) {
            std::vector<SimpleRecord> records(3);
            for (int i = 0; i < 3; ++i) {
                const std::string key = std::to_string(p), value = "v" + std::to_string(p) + "-" + std::to_string(i);
                records[size_t(i)].key = std::vector<uint8_t>(key.begin(), key.end());
                records[size_t(i)].value = std::vector<uint8_t>(value.begin(), value.end());
                records[size_t(i)].timestampMs = 1000 + i;
            }
            produce.i32(p);
            produce.bytes(buildRecordBatch(records, 0));
        }
        QVERIFY(c.send(int16_t(ApiKey::Produce), 3, 3, produce.take()));
        auto produced = c.receive(60000);
        QVERIFY(produced.has_value());
        WireReader pr(*produced);
        pr.i32();
        QCOMPARE(pr.arrayLength(false), 1);
        QCOMPARE(pr.string(), std::string("wide-many"));
        QCOMPARE(pr.arrayLength(false), WidePartitions);
        for (int32_t p = 0; p < WidePartitions; ++p) {
            QCOMPARE(pr.i32(), p);
            QCOMPARE(pr.i16(), int16_t(0));
            QCOMPARE(pr.i64(), int64_t(0));
            pr.i64();
        }
        auto [consumedCode, consumed] = kcat({QStringLiteral("-C"), QStringLiteral("-t"), QStringLiteral("wide-many"),
            QStringLiteral("-o"), QStringLiteral("beginning"), QStringLiteral("-e"), QStringLiteral("-f"),
            QStringLiteral("%p %k %s\\n")});
        QCOMPARE(consumedCode, 0);
        const QStringList lines = consumed.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), WidePartitions * 3);
        for (const QString& line : lines) {
            // "<partition> <key> v<key>-<i>": each record came back from the partition it was written to.
            const QStringList f = line.split(QLatin1Char(' '));
            QCOMPARE(f.size(), 3);
            QCOMPARE(f[0], f[1]);
            QVERIFY(f[2].startsWith(QLatin1Char('v') + f[1] + QLatin1Char('-')));
        }

        // Every partition read and written, yet the broker holds at most its budget of segment files.
        const int growth = openDescriptors() - before;
        QVERIFY2(growth <= int(MaxOpenFiles) + 32, qPrintable(QStringLiteral("%1 more descriptors").arg(growth)));

        // Still served after a restart (recovery opens every partition through the same budget).
        m_broker->stop();
        m_broker.reset();
        auto broker = Broker::start(options());
        QVERIFY2(broker.has_value(), broker ? "" : qPrintable(broker.error().toString()));
        m_broker = std::move(*broker);
        auto [again, reread] = kcat({QStringLiteral("-C"), QStringLiteral("-t"), QStringLiteral("wide-many"),
            QStringLiteral("-o"), QStringLiteral("beginning"), QStringLiteral("-e"), QStringLiteral("-f"),
            QStringLiteral("%p %k %s\\n")});
        QCOMPARE(again, 0);
        QCOMPARE(reread.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), WidePartitions * 3);
    }

    void autoCreatePastTheCapIsRefused()
    {
        // Metadata asking for many new names: topics are created up to the cap, the rest refused by policy.
        std::vector<std::string> names;
        for (int i = 0; i < 40; ++i)
            names.push_back("auto-" + std::to_string(i));
        const auto topics = metadataV4(m_broker->port(), names);
        QVERIFY(topics.has_value());
        QCOMPARE(topics->size(), names.size());
        int created = 0, refused = 0;
        for (const auto& t : *topics) {
            if (t.error == 0) {
                QCOMPARE(t.partitions, 1);
                ++created;
            } else {
                QCOMPARE(t.error, int16_t(44)); // POLICY_VIOLATION
                QCOMPARE(t.partitions, 0);
                ++refused;
            }
        }
        QVERIFY(created > 0);
        QVERIFY(refused > 0);
        // "wide", "wide-many", "__consumer_offsets" and the created ones fill the cap exactly.
        QCOMPARE(created + 3, MaxTopics);

        // CreateTopics says why, in its message.
        RawKafkaClient c(m_broker->port());
        WireWriter body;
        body.arrayLength(1, false);
        body.string("one-more");
        body.i32(1);
        body.i16(1);
        body.arrayLength(0, false);
        body.arrayLength(0, false);
        body.i32(5000);
        body.boolean(false);
        QVERIFY(c.send(int16_t(ApiKey::CreateTopics), 3, 3, body.take()));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        r.i32();
        r.i32();
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.string(), std::string("one-more"));
        QCOMPARE(r.i16(), int16_t(44));
        const auto message = r.nullableString();
        QVERIFY(message.has_value());
        QVERIFY2(message->find("at most 12 topics") != std::string::npos, message->c_str());

        // The broker keeps serving: existing topics take writes and reads.
        auto [produced, _] = kcat({QStringLiteral("-P"), QStringLiteral("-t"), QStringLiteral("auto-0")}, "still\n");
        QCOMPARE(produced, 0);
        auto [consumedCode, consumed] = kcat({QStringLiteral("-C"), QStringLiteral("-t"), QStringLiteral("auto-0"),
            QStringLiteral("-o"), QStringLiteral("beginning"), QStringLiteral("-e")});
        QCOMPARE(consumedCode, 0);
        QCOMPARE(consumed.trimmed(), QStringLiteral("still"));
    }

    void partitionCapIsRefused()
    {
        // Deleting topics frees room under the topic cap; the partition cap still bounds one big topic.
        RawKafkaClient c(m_broker->port());
        WireWriter body;
        body.arrayLength(1, false);
        body.string("auto-1");
        body.i32(5000);
        QVERIFY(c.send(int16_t(ApiKey::DeleteTopics), 1, 4, body.take()));
        QVERIFY(c.receive().has_value());
        WireWriter create;
        create.arrayLength(1, false);
        create.string("too-wide");
        create.i32(MaxPartitions);
        create.i16(1);
        create.arrayLength(0, false);
        create.arrayLength(0, false);
        create.i32(5000);
        create.boolean(false);
        QVERIFY(c.send(int16_t(ApiKey::CreateTopics), 3, 5, create.take()));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        r.i32();
        r.i32();
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.string(), std::string("too-wide"));
        QCOMPARE(r.i16(), int16_t(44));
        const auto message = r.nullableString();
        QVERIFY(message.has_value());
        QVERIFY2(message->find("at most 400 partitions") != std::string::npos, message->c_str());
    }
};

QTEST_GUILESS_MAIN(TestBrokerLimits)
#include "tst_brokerlimits.moc"
