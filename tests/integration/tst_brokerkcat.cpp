// The embedded broker (in-process, ephemeral port, temporary data directory) driven by kcat (librdkafka) and by raw
// sockets sending bad frames.

#include "broker/broker.h"
#include "broker/recordbatch.h"
#include "broker/wire.h"
#include "rawkafkaclient.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

using namespace pw::broker;
using pw::test::RawKafkaClient;

namespace {

struct KcatResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

// A Produce body (v3–8 share it) of one record set for partition 0 of `topic`.
std::vector<uint8_t> produceBody(const std::string& topic, const std::vector<uint8_t>& records, int16_t acks = -1)
{
    WireWriter w;
    w.nullableString(std::nullopt); // transactional id
    w.i16(acks);
    w.i32(5000); // timeout
    w.arrayLength(1, false);
    w.string(topic);
    w.arrayLength(1, false);
    w.i32(0);
    w.bytes(records);
    return w.take();
}

// A Fetch v4 body: partition 0 of each topic from offset 0, read uncommitted.
std::vector<uint8_t> fetchV4(int32_t maxWaitMs, int32_t maxBytes, std::initializer_list<const char*> topics)
{
    WireWriter f;
    f.i32(-1); // replica id: a consumer
    f.i32(maxWaitMs);
    f.i32(1); // min bytes
    f.i32(maxBytes);
    f.i8(0);
    f.arrayLength(int32_t(topics.size()), false);
    for (const char* topic : topics) {
        f.string(topic);
        f.arrayLength(1, false);
        f.i32(0);
        f.i64(0);
        f.i32(maxBytes); // partition max bytes
    }
    return f.take();
}

// The answer to a Fetch v4 of one partition of one topic.
struct FetchV4Answer
{
    int32_t correlationId = 0;
    std::string topic;
    int32_t partition = -1;
    int16_t error = -1;
    int64_t highWatermark = -1;
    std::vector<uint8_t> records;
};

std::optional<FetchV4Answer> parseFetchV4Answer(const std::vector<uint8_t>& response)
{
    WireReader r(response);
    FetchV4Answer a;
    a.correlationId = r.i32();
    r.i32(); // throttle
    if (r.arrayLength(false) != 1)
        return std::nullopt;
    a.topic = r.string();
    if (r.arrayLength(false) != 1)
        return std::nullopt;
    a.partition = r.i32();
    a.error = r.i16();
    a.highWatermark = r.i64();
    r.i64(); // last stable offset
    if (r.arrayLength(false) > 0) // aborted transactions: there are none
        return std::nullopt;
    const auto records = r.bytesView();
    if (r.failed() || r.remaining() != 0)
        return std::nullopt;
    a.records.assign(records.begin(), records.end());
    return a;
}

} // namespace

class TestBrokerKcat : public QObject
{
    Q_OBJECT

private:
    QString m_kcat;
    QTemporaryDir m_dir;
    std::unique_ptr<Broker> m_broker;

    KcatResult kcat(const QStringList& args, const QByteArray& input = {}, int timeoutMs = 20000)
    {
        QProcess p;
        p.start(
            m_kcat, QStringList {QStringLiteral("-b"), QString::fromStdString(m_broker->bootstrapServers())} + args);
        if (!p.waitForStarted(5000))
            return {};
        if (!input.isEmpty())
            p.write(input);
        p.closeWriteChannel();
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished(2000);
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

    // A client that must keep working while others misbehave.
    void verifyHealthy(RawKafkaClient& good, int32_t correlationId)
    {
        WireWriter body;
        body.arrayLength(-1, false); // Metadata v1: all topics
        QVERIFY(good.send(int16_t(ApiKey::Metadata), 1, correlationId, body.take()));
        auto response = good.receive();
        QVERIFY2(response.has_value(), "the healthy connection got no answer");
        WireReader r(*response);
        QCOMPARE(r.i32(), correlationId);
    }

private slots:
    void initTestCase()
    {
        m_kcat = QStandardPaths::findExecutable(QStringLiteral("kcat"));
        QVERIFY2(!m_kcat.isEmpty(), "kcat is not installed (Debian package kcat); this test needs it");
        QVERIFY(m_dir.isValid());
        BrokerOptions options;
        options.dataDir = m_dir.path().toStdString();
        options.listenPort = 0;
        options.maxFrameBytes = 1 << 20;
        auto broker = Broker::start(options);
        QVERIFY2(broker.has_value(), broker ? "" : qPrintable(broker.error().toString()));
        m_broker = std::move(*broker);
        QVERIFY(m_broker->port() != 0);
    }

    void cleanupTestCase()
    {
        if (m_broker)
            m_broker->stop();
    }

    void metadata()
    {
        auto r = kcat({QStringLiteral("-L"), QStringLiteral("-t"), QStringLiteral("meta-topic")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("broker 0 at 127.0.0.1:%1").arg(m_broker->port())), qPrintable(r.out));
        // Auto-created by the metadata request.
        QVERIFY2(r.out.contains(QStringLiteral("topic \"meta-topic\" with 1 partitions")), qPrintable(r.out));
        auto all = kcat({QStringLiteral("-L")});
        QCOMPARE(all.exitCode, 0);
        QVERIFY(all.out.contains(QStringLiteral("\"meta-topic\"")));
        QVERIFY(all.out.contains(QStringLiteral("\"__consumer_offsets\"")));
    }

    void produceAndConsume()
    {
        QByteArray input;
        QStringList expected;
        for (int i = 0; i < 50; ++i) {
            const QString line = QStringLiteral("key%1:value-%2").arg(i % 7).arg(i);
            input += line.toUtf8() + '\n';
            expected << QStringLiteral("key%1=value-%2@%3").arg(i % 7).arg(i).arg(i);
        }
        auto produced
            = kcat({QStringLiteral("-P"), QStringLiteral("-t"), QStringLiteral("pc"), QStringLiteral("-K:")}, input);
        QCOMPARE(produced.exitCode, 0);
        auto consumed = kcat({QStringLiteral("-C"), QStringLiteral("-t"), QStringLiteral("pc"), QStringLiteral("-o"),
            QStringLiteral("beginning"), QStringLiteral("-e"), QStringLiteral("-f"), QStringLiteral("%k=%s@%o\\n")});
        QCOMPARE(consumed.exitCode, 0);
        QCOMPARE(consumed.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts), expected);

        // A second produce appends after the first.
        auto more = kcat(
            {QStringLiteral("-P"), QStringLiteral("-t"), QStringLiteral("pc"), QStringLiteral("-K:")}, "late:tail\n");
        QCOMPARE(more.exitCode, 0);
        auto tail = kcat({QStringLiteral("-C"), QStringLiteral("-t"), QStringLiteral("pc"), QStringLiteral("-o"),
            QStringLiteral("-1"), QStringLiteral("-e"), QStringLiteral("-f"), QStringLiteral("%k=%s@%o\\n")});
        QCOMPARE(tail.out.trimmed(), QStringLiteral("late=tail@50"));
    }

    void offsetsByTimestamp()
    {
        const QString topic = QStringLiteral("times");
        QCOMPARE(kcat({QStringLiteral("-P"), QStringLiteral("-t"), topic}, "a\nb\nc\n").exitCode, 0);
        QThread::msleep(30);
        const qint64 middle = QDateTime::currentMSecsSinceEpoch();
        QThread::msleep(30);
        QCOMPARE(kcat({QStringLiteral("-P"), QStringLiteral("-t"), topic}, "d\ne\n").exitCode, 0);

        auto query = [&](qint64 ts) {
            auto r = kcat({QStringLiteral("-Q"), QStringLiteral("-t"), QStringLiteral("%1:0:%2").arg(topic).arg(ts)});
            return r.out.trimmed();
        };
        QCOMPARE(query(middle), QStringLiteral("times [0] offset 3"));
        QCOMPARE(query(0), QStringLiteral("times [0] offset 0"));
        QCOMPARE(query(-1), QStringLiteral("times [0] offset 5")); // latest
        QCOMPARE(query(-2), QStringLiteral("times [0] offset 0")); // earliest
        QCOMPARE(query(QDateTime::currentMSecsSinceEpoch() + 3600000), QStringLiteral("times [0] offset -1"));
    }

    void fetchWaitsForData()
    {
        // Fetch v4 with max wait 3 s and min bytes 1 on an empty partition: nothing comes back until another
        // connection produces, then the answer arrives at once (the waiter is woken, not polled).
        QCOMPARE(kcat({QStringLiteral("-L"), QStringLiteral("-t"), QStringLiteral("wait")}).exitCode, 0);
        RawKafkaClient consumer(m_broker->port());
        QVERIFY(consumer.connected());
        QVERIFY(consumer.send(int16_t(ApiKey::Fetch), 4, 41, fetchV4(3000, 1 << 20, {"wait"})));
        QVERIFY2(!consumer.receive(400).has_value(), "an empty fetch with min bytes 1 answered before max wait");
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(kcat({QStringLiteral("-P"), QStringLiteral("-t"), QStringLiteral("wait")}, "wake\n").exitCode, 0);
        auto response = consumer.receive(5000);
        QVERIFY(response.has_value());
        QVERIFY2(timer.elapsed() < 2500, "the fetch waited for its timeout instead of being woken by the append");
        const auto answer = parseFetchV4Answer(*response);
        QVERIFY(answer.has_value());
        QCOMPARE(answer->correlationId, 41);
        QCOMPARE(answer->topic, std::string("wait"));
        QCOMPARE(answer->partition, 0);
        QCOMPARE(answer->error, int16_t(0));
        QCOMPARE(answer->highWatermark, int64_t(1));
        auto decoded = decodeAllRecords(answer->records);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), size_t(1));
        QCOMPARE(QByteArray(reinterpret_cast<const char*>(decoded->front().value->data()),
                     qsizetype(decoded->front().value->size())),
            QByteArray("wake"));
    }

    void pipelinedResponsesKeepOrder()
    {
        // A long-polling Fetch between two quick requests: the answers still come back in request order.
        RawKafkaClient c(m_broker->port());
        QVERIFY(c.connected());
        WireWriter f;
        f.i32(-1);
        f.i32(300);
        f.i32(1 << 20);
        f.arrayLength(1, false);
        f.string("pc");
        f.arrayLength(1, false);
        f.i32(0);
        f.i64(10000); // beyond the end: an error answers at once, so ask at the end instead
        f.i32(1024);
        std::vector<uint8_t> all;
        auto append = [&](const std::vector<uint8_t>& frame) { all.insert(all.end(), frame.begin(), frame.end()); };
        append(RawKafkaClient::frame(int16_t(ApiKey::ApiVersions), 0, 1, {}));
        WireWriter f2;
        f2.i32(-1);
        f2.i32(300); // max wait 300 ms
        f2.i32(1 << 20); // min bytes far more than there is
        f2.arrayLength(1, false);
        f2.string("pc");
        f2.arrayLength(1, false);
        f2.i32(0);
        f2.i64(0);
        f2.i32(1024);
        append(RawKafkaClient::frame(int16_t(ApiKey::Fetch), 0, 2, f2.take()));
        WireWriter m;
        m.arrayLength(0, false);
        append(RawKafkaClient::frame(int16_t(ApiKey::Metadata), 0, 3, m.take()));
        QVERIFY(c.sendRaw(all));
        for (int32_t expected = 1; expected <= 3; ++expected) {
            auto response = c.receive(5000);
            QVERIFY(response.has_value());
            WireReader r(*response);
            QCOMPARE(r.i32(), expected);
        }
    }

    void moreRequestsInFlightThanTheBrokerReads()
    {
        // 200 long-polling Fetches sent at once: past 128 unanswered requests the broker stops reading this
        // connection until answers go out. Nothing else holds the connection then, and it must still answer every one
        // in order rather than drop the client.
        QCOMPARE(kcat({QStringLiteral("-L"), QStringLiteral("-t"), QStringLiteral("in-flight")}).exitCode, 0);
        RawKafkaClient c(m_broker->port());
        QVERIFY(c.connected());
        constexpr int32_t Requests = 200;
        std::vector<uint8_t> all;
        for (int32_t i = 1; i <= Requests; ++i) {
            WireWriter f;
            f.i32(-1);
            f.i32(200); // max wait 200 ms
            f.i32(1 << 20); // min bytes far more than there is
            f.arrayLength(1, false);
            f.string("in-flight");
            f.arrayLength(1, false);
            f.i32(0);
            f.i64(0);
            f.i32(1024);
            const auto frame = RawKafkaClient::frame(int16_t(ApiKey::Fetch), 0, i, f.take());
            all.insert(all.end(), frame.begin(), frame.end());
        }
        QVERIFY(c.sendRaw(all));
        for (int32_t expected = 1; expected <= Requests; ++expected) {
            auto response = c.receive(10000);
            QVERIFY2(response.has_value(), qPrintable(QStringLiteral("no answer to request %1").arg(expected)));
            WireReader r(*response);
            QCOMPARE(r.i32(), expected);
        }
    }

    void metadataEveryVersion_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 8; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void metadataEveryVersion()
    {
        // Each version's answer parses field by field to its exact end, as a client of that version reads it.
        QFETCH(int, version);
        RawKafkaClient c(m_broker->port());
        WireWriter body;
        body.arrayLength(1, false);
        body.string("pc");
        if (version >= 4)
            body.boolean(true);
        if (version >= 8) {
            body.boolean(false);
            body.boolean(false);
        }
        QVERIFY(c.send(int16_t(ApiKey::Metadata), int16_t(version), 9, body.take()));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 9);
        if (version >= 3)
            QCOMPARE(r.i32(), 0);
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i32(), 0);
        QCOMPARE(r.string(), std::string("127.0.0.1"));
        QCOMPARE(r.i32(), int32_t(m_broker->port()));
        if (version >= 1)
            r.nullableString();
        if (version >= 2)
            QVERIFY(r.nullableString().has_value());
        if (version >= 1)
            QCOMPARE(r.i32(), 0);
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i16(), int16_t(0));
        QCOMPARE(r.string(), std::string("pc"));
        if (version >= 1)
            QCOMPARE(r.boolean(), false);
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i16(), int16_t(0));
        QCOMPARE(r.i32(), 0);
        QCOMPARE(r.i32(), 0); // leader
        if (version >= 7)
            r.i32();
        QCOMPARE(r.arrayLength(false), 1);
        r.i32();
        QCOMPARE(r.arrayLength(false), 1);
        r.i32();
        if (version >= 5)
            QCOMPARE(r.arrayLength(false), 0);
        if (version >= 8) {
            r.i32();
            r.i32();
        }
        QVERIFY(!r.failed());
        QCOMPARE(r.remaining(), size_t(0));
    }

    void listOffsetsEveryVersion_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 5; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void listOffsetsEveryVersion()
    {
        QFETCH(int, version);
        RawKafkaClient c(m_broker->port());
        WireWriter body;
        body.i32(-1);
        if (version >= 2)
            body.i8(0);
        body.arrayLength(1, false);
        body.string("pc");
        body.arrayLength(1, false);
        body.i32(0);
        if (version >= 4)
            body.i32(-1);
        body.i64(-1); // latest
        if (version == 0)
            body.i32(1);
        QVERIFY(c.send(int16_t(ApiKey::ListOffsets), int16_t(version), 3, body.take()));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 3);
        if (version >= 2)
            QCOMPARE(r.i32(), 0);
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.string(), std::string("pc"));
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i32(), 0);
        QCOMPARE(r.i16(), int16_t(0));
        int64_t latest = -1;
        if (version == 0) {
            QCOMPARE(r.arrayLength(false), 1);
            latest = r.i64();
        } else {
            QCOMPARE(r.i64(), int64_t(-1));
            latest = r.i64();
            if (version >= 4)
                r.i32();
        }
        QVERIFY(latest >= 51); // produceAndConsume wrote 51 records
        QVERIFY(!r.failed());
        QCOMPARE(r.remaining(), size_t(0));
    }

    void fetchEveryVersion_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 11; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void fetchEveryVersion()
    {
        QFETCH(int, version);
        RawKafkaClient c(m_broker->port());
        WireWriter body;
        body.i32(-1);
        body.i32(0); // max wait: answer at once
        body.i32(1);
        if (version >= 3)
            body.i32(1 << 20);
        if (version >= 4)
            body.i8(1);
        if (version >= 7) {
            body.i32(0);
            body.i32(-1);
        }
        body.arrayLength(1, false);
        body.string("pc");
        body.arrayLength(1, false);
        body.i32(0);
        if (version >= 9)
            body.i32(-1);
        body.i64(10);
        if (version >= 5)
            body.i64(-1);
        body.i32(1 << 20);
        if (version >= 7)
            body.arrayLength(0, false);
        if (version >= 11)
            body.string("");
        QVERIFY(c.send(int16_t(ApiKey::Fetch), int16_t(version), 4, body.take()));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 4);
        if (version >= 1)
            QCOMPARE(r.i32(), 0);
        if (version >= 7) {
            QCOMPARE(r.i16(), int16_t(0));
            QCOMPARE(r.i32(), 0);
        }
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.string(), std::string("pc"));
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i32(), 0);
        QCOMPARE(r.i16(), int16_t(0));
        const int64_t highWatermark = r.i64();
        QVERIFY(highWatermark >= 51);
        if (version >= 4)
            QCOMPARE(r.i64(), highWatermark); // last stable offset
        if (version >= 5)
            QCOMPARE(r.i64(), int64_t(0)); // log start
        if (version >= 4)
            QCOMPARE(r.arrayLength(false), 0);
        if (version >= 11)
            QCOMPARE(r.i32(), -1);
        auto records = r.bytesView();
        QVERIFY(!r.failed());
        QCOMPARE(r.remaining(), size_t(0));
        auto decoded = decodeAllRecords(records, 10);
        QVERIFY(decoded.has_value());
        QVERIFY(!decoded->empty());
        QCOMPARE(decoded->front().offset, int64_t(10));
    }

    void hundredsOfConnections()
    {
        // 300 clients connected at once, each pipelining two requests; every one is answered in order.
        std::vector<std::unique_ptr<RawKafkaClient>> clients;
        for (int i = 0; i < 300; ++i) {
            clients.push_back(std::make_unique<RawKafkaClient>(m_broker->port()));
            QVERIFY(clients.back()->connected());
        }
        WireWriter metadata;
        metadata.arrayLength(0, false);
        const std::vector<uint8_t> metadataBody = metadata.take();
        for (size_t i = 0; i < clients.size(); ++i) {
            QVERIFY(clients[i]->send(int16_t(ApiKey::ApiVersions), 0, int32_t(2 * i), {}));
            QVERIFY(clients[i]->send(int16_t(ApiKey::Metadata), 1, int32_t(2 * i + 1), metadataBody));
        }
        for (size_t i = 0; i < clients.size(); ++i) {
            for (int k = 0; k < 2; ++k) {
                auto response = clients[i]->receive();
                QVERIFY(response.has_value());
                WireReader r(*response);
                QCOMPARE(r.i32(), int32_t(2 * i + k));
            }
        }
    }

    void portInUseIsAnError()
    {
        QTemporaryDir other;
        BrokerOptions options;
        options.dataDir = other.path().toStdString();
        options.listenPort = m_broker->port();
        auto second = Broker::start(options);
        QVERIFY(!second.has_value());
        QVERIFY2(second.error().message.contains(QStringLiteral("cannot listen")), qPrintable(second.error().message));
    }

    void apiVersionsOfUnknownVersion()
    {
        RawKafkaClient c(m_broker->port());
        QVERIFY(c.connected());
        QVERIFY(c.send(int16_t(ApiKey::ApiVersions), 99, 5, {}));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 5);
        QCOMPARE(r.i16(), int16_t(35)); // UNSUPPORTED_VERSION, v0 layout
        const int32_t n = r.arrayLength(false);
        QVERIFY(n > 5);
        // The connection stays usable: v0 now works.
        QVERIFY(c.send(int16_t(ApiKey::ApiVersions), 0, 6, {}));
        auto ok = c.receive();
        QVERIFY(ok.has_value());
        WireReader r2(*ok);
        QCOMPARE(r2.i32(), 6);
        QCOMPARE(r2.i16(), int16_t(0));
    }

    void badFrames_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        auto bytes = [](const std::vector<uint8_t>& v) {
            return QByteArray(reinterpret_cast<const char*>(v.data()), qsizetype(v.size()));
        };
        auto sizeOnly = [](int32_t size) {
            WireWriter w;
            w.i32(size);
            return w.take();
        };
        QTest::newRow("size too small") << bytes(sizeOnly(3));
        QTest::newRow("negative size") << bytes(sizeOnly(-20));
        QTest::newRow("over the cap") << bytes(sizeOnly(200 << 20));
        {
            // The size claims 12 bytes but the client id length runs past them.
            WireWriter w;
            w.i32(12);
            w.i16(3);
            w.i16(1);
            w.i32(9);
            w.i16(50);
            w.i16(0);
            QTest::newRow("truncated header") << bytes(w.take());
        }
        QTest::newRow("unknown api key") << bytes(RawKafkaClient::frame(999, 0, 1, {}));
        QTest::newRow("unsupported produce version") << bytes(RawKafkaClient::frame(0, 2, 1, {}));
        {
            WireWriter body;
            body.i32(0x7fffffff); // Metadata v1 topics array
            QTest::newRow("absurd array length") << bytes(RawKafkaClient::frame(3, 1, 1, body.take()));
        }
        {
            WireWriter body;
            body.nullableString(std::nullopt);
            body.i16(-1);
            body.i32(1000);
            body.arrayLength(1, false);
            body.string("pc");
            body.arrayLength(1, false);
            body.i32(0);
            body.i32(5000); // records length beyond the frame
            QTest::newRow("truncated produce body") << bytes(RawKafkaClient::frame(0, 3, 1, body.take()));
        }
    }

    void badFrames()
    {
        QFETCH(QByteArray, bytes);
        RawKafkaClient good(m_broker->port());
        QVERIFY(good.connected());
        verifyHealthy(good, 100);
        if (QTest::currentTestFailed())
            return;

        RawKafkaClient bad(m_broker->port());
        QVERIFY(bad.connected());
        QVERIFY(bad.sendRaw(std::vector<uint8_t>(bytes.begin(), bytes.end())));
        QVERIFY2(bad.closedByPeer(5000), "the broker kept the misbehaving connection open");

        verifyHealthy(good, 101);
        if (QTest::currentTestFailed())
            return;
        // New clients are served too.
        auto r = kcat({QStringLiteral("-L"), QStringLiteral("-t"), QStringLiteral("pc")});
        QCOMPARE(r.exitCode, 0);
    }

    void truncatedFrameThenHangUp()
    {
        // Half a frame, then the client goes away: only that connection ends.
        RawKafkaClient good(m_broker->port());
        verifyHealthy(good, 1);
        {
            RawKafkaClient bad(m_broker->port());
            auto frame = RawKafkaClient::frame(int16_t(ApiKey::ApiVersions), 0, 7, {});
            frame.resize(frame.size() - 3);
            QVERIFY(bad.sendRaw(frame));
        }
        verifyHealthy(good, 2);
    }

    void manyPipelinedRequestsInOneWrite()
    {
        // More requests than the server handles in one turn, all in one write: every one is answered, in order.
        RawKafkaClient c(m_broker->port());
        QVERIFY(c.connected());
        WireWriter metadata;
        metadata.arrayLength(0, false);
        const std::vector<uint8_t> metadataBody = metadata.take();
        std::vector<uint8_t> all;
        for (int32_t i = 0; i < 40; ++i) {
            const auto frame = i % 2 ? RawKafkaClient::frame(int16_t(ApiKey::Metadata), 1, i, metadataBody)
                                     : RawKafkaClient::frame(int16_t(ApiKey::ApiVersions), 0, i, {});
            all.insert(all.end(), frame.begin(), frame.end());
        }
        QVERIFY(c.sendRaw(all));
        for (int32_t expected = 0; expected < 40; ++expected) {
            auto response = c.receive(5000);
            QVERIFY(response.has_value());
            WireReader r(*response);
            QCOMPARE(r.i32(), expected);
        }
    }

    void largeProduceArrivingInPieces()
    {
        // A produce request of a few hundred KiB sent in pieces with pauses (the size prefix split too): the server
        // waits for the rest of the frame, stores the batch and answers.
        std::vector<SimpleRecord> records;
        for (int i = 0; i < 300; ++i)
            records.push_back(
                SimpleRecord {std::nullopt, std::vector<uint8_t>(1000, uint8_t('a' + i % 26)), 1, {}, -1});
        const auto batch = buildRecordBatch(records);
        const auto frame = RawKafkaClient::frame(int16_t(ApiKey::Produce), 3, 9, produceBody("pieces", batch));
        QVERIFY(frame.size() > 300000);
        RawKafkaClient c(m_broker->port());
        QVERIFY(c.connected());
        WireWriter metadata;
        metadata.arrayLength(1, false);
        metadata.string("pieces");
        QVERIFY(c.send(int16_t(ApiKey::Metadata), 1, 8, metadata.take())); // creates the topic
        QVERIFY(c.receive().has_value());
        const size_t cuts[] = {0, 2, 4, 100, frame.size() / 2, frame.size() - 1, frame.size()};
        for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
            QVERIFY(c.sendRaw(std::vector<uint8_t>(
                frame.begin() + std::ptrdiff_t(cuts[i]), frame.begin() + std::ptrdiff_t(cuts[i + 1]))));
            QTest::qWait(30);
        }
        auto response = c.receive(5000);
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 9);
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.string(), std::string("pieces"));
        QCOMPARE(r.arrayLength(false), 1);
        QCOMPARE(r.i32(), 0);
        QCOMPARE(r.i16(), int16_t(0)); // no error
        QCOMPARE(r.i64(), int64_t(0)); // base offset
        QVERIFY(!r.failed());
    }

    void largeAndSmallRecordSetsInOneFetch()
    {
        // A large record set goes out as its own piece of the response, a small one inline: both come back byte for
        // byte as produced, in request order, and the response's size prefix covers every piece.
        auto produce = [](RawKafkaClient& c, const std::string& topic, const std::vector<uint8_t>& batch) {
            if (!c.send(int16_t(ApiKey::Produce), 3, 21, produceBody(topic, batch)))
                return false;
            auto response = c.receive(5000);
            if (!response)
                return false;
            WireReader r(*response);
            r.i32(); // correlation id
            r.arrayLength(false);
            r.string();
            r.arrayLength(false);
            r.i32(); // partition
            return r.i16() == 0 && !r.failed();
        };
        std::vector<SimpleRecord> large, small;
        for (int i = 0; i < 200; ++i)
            large.push_back(SimpleRecord {std::nullopt, std::vector<uint8_t>(1000, uint8_t('A' + i % 26)), 1, {}, -1});
        small.push_back(SimpleRecord {std::nullopt, std::vector<uint8_t> {'s', 'm', 'a', 'l', 'l'}, 1, {}, -1});
        const auto largeBatch = buildRecordBatch(large);
        const auto smallBatch = buildRecordBatch(small);
        QVERIFY(largeBatch.size() > 100000);
        RawKafkaClient c(m_broker->port());
        QVERIFY(c.connected());
        WireWriter metadata; // creates the topics
        metadata.arrayLength(3, false);
        for (const char* topic : {"pieces-large", "pieces-small", "pieces-large-2"})
            metadata.string(topic);
        QVERIFY(c.send(int16_t(ApiKey::Metadata), 1, 20, metadata.take()));
        QVERIFY(c.receive().has_value());
        QVERIFY(produce(c, "pieces-large", largeBatch));
        QVERIFY(produce(c, "pieces-small", smallBatch));
        QVERIFY(produce(c, "pieces-large-2", largeBatch));

        QVERIFY(c.send(
            int16_t(ApiKey::Fetch), 4, 22, fetchV4(0, 16 << 20, {"pieces-large", "pieces-small", "pieces-large-2"})));
        auto response = c.receive(5000);
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 22);
        QCOMPARE(r.i32(), 0); // throttle
        QCOMPARE(r.arrayLength(false), 3);
        for (const auto& [topic, batch] :
            {std::pair {std::string("pieces-large"), &largeBatch}, std::pair {std::string("pieces-small"), &smallBatch},
                std::pair {std::string("pieces-large-2"), &largeBatch}}) {
            QCOMPARE(r.string(), topic);
            QCOMPARE(r.arrayLength(false), 1);
            QCOMPARE(r.i32(), 0);
            QCOMPARE(r.i16(), int16_t(0));
            QCOMPARE(r.i64(), int64_t(topic == "pieces-small" ? 1 : 200)); // high watermark
            r.i64(); // last stable offset
            QCOMPARE(r.arrayLength(false), 0);
            const auto records = r.bytesView();
            QVERIFY(!r.failed());
            QCOMPARE(records.size(), batch->size());
            QVERIFY(std::equal(records.begin(), records.end(), batch->begin()));
        }
        QCOMPARE(r.remaining(), size_t(0));
        // The connection stays in step: a further request is answered.
        verifyHealthy(c, 23);
    }

    void fetchToASlowReader()
    {
        // A reader with a 4 KiB receive buffer that does not read for a while, fetching 8 MB — more than the
        // server's socket takes: its sendfile stops short, and it waits for room without holding up other
        // connections. The reader then gets every record intact. A reader that hangs up halfway costs only its own
        // connection.
        constexpr int Batches = 20, PerBatch = 400;
        std::vector<SimpleRecord> records;
        for (int i = 0; i < PerBatch; ++i)
            records.push_back(
                SimpleRecord {std::nullopt, std::vector<uint8_t>(1000, uint8_t('a' + i % 26)), 1, {}, -1});
        const auto batch = buildRecordBatch(records);
        RawKafkaClient producer(m_broker->port());
        WireWriter metadata;
        metadata.arrayLength(1, false);
        metadata.string("slow-reader");
        QVERIFY(producer.send(int16_t(ApiKey::Metadata), 1, 30, metadata.take()));
        QVERIFY(producer.receive().has_value());
        for (int b = 0; b < Batches; ++b) {
            QVERIFY(producer.send(int16_t(ApiKey::Produce), 3, 31, produceBody("slow-reader", batch)));
            QVERIFY(producer.receive().has_value());
        }

        RawKafkaClient slow(m_broker->port(), 4096);
        QVERIFY(slow.connected());
        QVERIFY(slow.send(int16_t(ApiKey::Fetch), 4, 32, fetchV4(0, 16 << 20, {"slow-reader"})));
        QTest::qWait(300);
        verifyHealthy(producer, 33); // served while the slow reader's answer waits
        auto response = slow.receive(20000);
        QVERIFY(response.has_value());
        const auto answer = parseFetchV4Answer(*response);
        QVERIFY(answer.has_value());
        QCOMPARE(answer->correlationId, 32);
        QCOMPARE(answer->topic, std::string("slow-reader"));
        QCOMPARE(answer->error, int16_t(0));
        QCOMPARE(answer->highWatermark, int64_t(Batches * PerBatch));
        QCOMPARE(answer->records.size(), batch.size() * Batches);
        const auto decoded = decodeAllRecords(answer->records);
        QVERIFY(decoded.has_value());
        QCOMPARE(decoded->size(), size_t(Batches * PerBatch));
        for (size_t i = 0; i < decoded->size(); ++i) {
            QCOMPARE((*decoded)[i].offset, int64_t(i));
            QCOMPARE((*decoded)[i].value, records[i % PerBatch].value);
        }
        verifyHealthy(slow, 34);

        {
            RawKafkaClient hangsUp(m_broker->port(), 4096);
            QVERIFY(hangsUp.send(int16_t(ApiKey::Fetch), 4, 35, fetchV4(0, 16 << 20, {"slow-reader"})));
            QTest::qWait(100);
        }
        QTest::qWait(100);
        verifyHealthy(producer, 36);
    }

    void acksZeroGetsNoResponse()
    {
        RawKafkaClient c(m_broker->port());
        auto batch = buildRecordBatch({SimpleRecord {std::nullopt, std::vector<uint8_t> {'z'}, 1, {}, -1}});
        QVERIFY(c.send(int16_t(ApiKey::Produce), 7, 1, produceBody("pc", batch, 0))); // acks=0
        QVERIFY(c.send(int16_t(ApiKey::ApiVersions), 0, 2, {}));
        auto response = c.receive();
        QVERIFY(response.has_value());
        WireReader r(*response);
        QCOMPARE(r.i32(), 2); // the produce got no answer; the next request's answer is the first
    }
};

QTEST_GUILESS_MAIN(TestBrokerKcat)
#include "tst_brokerkcat.moc"
