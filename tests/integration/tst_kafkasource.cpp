// KafkaSource against the embedded broker: records produced with known timestamps to a two-partition topic and
// offsets committed for a group give exact consumer lag, data age and replay headroom; time lag answers from the
// second poll on, from the high-watermark history of the polls before; an unknown group or topic and a broker that
// is gone are errors that name them.
#include "broker/broker.h"
#include "sources/kafkaadmin.h"
#include "sources/kafkasource.h"

#include <librdkafka/rdkafka.h>

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <future>
#include <thread>

using pw::KafkaAdmin;
using pw::KafkaSource;
using pw::PollResult;
using pw::SignalConfig;
using pw::SignalKind;

namespace {

const QString kTopic = QStringLiteral("events");
const QString kSparse = QStringLiteral("sparse");
const QString kGroup = QStringLiteral("aggregator");

SignalConfig signal(const QString& name, SignalKind kind, const QString& group, const QString& topic)
{
    SignalConfig s;
    s.stageId = QStringLiteral("source_log");
    s.name = name;
    s.id = s.stageId + QLatin1Char('/') + name;
    s.kind = kind;
    s.sourceId = QStringLiteral("kafka-main");
    if (!group.isEmpty())
        s.params.insert(QStringLiteral("group"), group);
    if (!topic.isEmpty())
        s.params.insert(QStringLiteral("topic"), topic);
    return s;
}

pw::SourceConfig sourceConfig(const QString& bootstrap, qint64 timeoutMs = 5000)
{
    pw::SourceConfig c;
    c.id = QStringLiteral("kafka-main");
    c.kind = QStringLiteral("kafka");
    c.intervalMs = 10000;
    c.timeoutMs = timeoutMs;
    c.options.insert(QStringLiteral("bootstrap_servers"), bootstrap);
    c.options.insert(QStringLiteral("properties"), QVariantMap {});
    return c;
}

struct Polled
{
    PollResult result;
    std::thread::id thread;
};

// The engine's blocking pool in small: poll() must hand its work to runBlocking, never do it on the caller's thread.
Polled pollOnThread(pw::Source& source)
{
    std::promise<Polled> promise;
    auto answer = promise.get_future();
    std::vector<std::thread> threads;
    pw::PollContext context;
    context.runBlocking = [&threads](std::function<void()> job) { threads.emplace_back(std::move(job)); };
    source.poll(context, [&promise](PollResult r) { promise.set_value({std::move(r), std::this_thread::get_id()}); });
    Polled polled = answer.get();
    for (auto& t : threads)
        t.join();
    return polled;
}

std::map<int, pw::Sample> byPartition(const PollResult& r, const QString& signalId)
{
    std::map<int, pw::Sample> m;
    for (const auto& s : r.samples) {
        if (s.signalId != signalId)
            continue;
        QString partition;
        for (const auto& [k, v] : s.labels)
            if (k == QLatin1String("partition"))
                partition = v;
        m[partition.toInt()] = s;
    }
    return m;
}

QString label(const pw::Sample& s, const char* name)
{
    for (const auto& [k, v] : s.labels)
        if (k == QLatin1String(name))
            return v;
    return {};
}

QString errorsText(const PollResult& r)
{
    QStringList out;
    if (r.error)
        out << r.error->toString();
    for (const auto& [id, e] : r.signalErrors)
        out << id + QStringLiteral(": ") + e.toString();
    return out.join(QLatin1Char('\n'));
}

} // namespace

class TestKafkaSource : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<pw::broker::Broker> m_broker;
    std::unique_ptr<KafkaAdmin> m_admin;
    rd_kafka_t* m_producer = nullptr;
    qint64 m_t0 = 0; // timestamp of the first record of partition 0

    QString bootstrap() const { return QString::fromStdString(m_broker->bootstrapServers()); }

    void produce(const QString& topic, int32_t partition, const std::vector<qint64>& timestamps)
    {
        const QByteArray name = topic.toUtf8();
        for (qint64 ts : timestamps) {
            const QByteArray value = QByteArray::number(ts);
            const rd_kafka_resp_err_t err = rd_kafka_producev(m_producer, RD_KAFKA_V_TOPIC(name.constData()),
                RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_VALUE(const_cast<char*>(value.constData()), value.size()),
                RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            QCOMPARE(err, RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        QCOMPARE(rd_kafka_flush(m_producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    void commit(const std::vector<std::pair<int32_t, int64_t>>& offsets)
    {
        std::vector<KafkaAdmin::PartitionOffset> target;
        for (const auto& [p, o] : offsets)
            target.push_back({kTopic, p, o, {}});
        auto altered = m_admin->alterGroupOffsets(kGroup, target);
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));
    }

    std::unique_ptr<pw::Source> makeSource(const std::vector<SignalConfig>& signalConfigs, qint64 timeoutMs = 5000)
    {
        auto source = pw::createSource(sourceConfig(bootstrap(), timeoutMs), signalConfigs);
        if (!source) {
            qWarning() << source.error().toString();
            return nullptr;
        }
        return std::move(*source);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        pw::broker::BrokerOptions options;
        options.dataDir = m_dir.path().toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 2;
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
        QCOMPARE(
            rd_kafka_conf_set(conf, "bootstrap.servers", m_broker->bootstrapServers().c_str(), errstr, sizeof errstr),
            RD_KAFKA_CONF_OK);
        QCOMPARE(rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof errstr), RD_KAFKA_CONF_OK);
        // brokerGoesAway() stops the broker under this producer too; its reconnect attempts are expected.
        QCOMPARE(rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr), RD_KAFKA_CONF_OK);
        m_producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        QVERIFY2(m_producer, errstr);

        // Ten minutes ago, whole seconds: partition 0 holds t0, t0+10s … t0+90s; partition 1 t0+100s … t0+150s.
        m_t0 = (pw::nowMs() / 1000 - 600) * 1000;
        std::vector<qint64> p0, p1;
        for (int i = 0; i < 10; ++i)
            p0.push_back(m_t0 + i * 10000);
        for (int i = 0; i < 6; ++i)
            p1.push_back(m_t0 + 100000 + i * 10000);
        produce(kTopic, 0, p0);
        produce(kTopic, 1, p1);
        produce(kSparse, 0, {m_t0 + 30000, m_t0 + 40000}); // partition 1 stays empty
        commit({{0, 4}, {1, 6}});
    }

    void cleanupTestCase()
    {
        if (m_producer)
            rd_kafka_destroy(m_producer);
        m_admin.reset();
        if (m_broker)
            m_broker->stop();
    }

    void timeLagEstimate_data()
    {
        QTest::addColumn<QList<qint64>>("history"); // time, offset, time, offset …
        QTest::addColumn<qint64>("committed");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<double>("expected"); // -1: no estimate
        const QList<qint64> two {10000, 100, 20000, 200};
        QTest::newRow("one point") << QList<qint64> {10000, 100} << qint64(50) << qint64(30000) << -1.0;
        QTest::newRow("caught up") << two << qint64(200) << qint64(30000) << 0.0;
        QTest::newRow("ahead of the high watermark") << two << qint64(250) << qint64(30000) << 0.0;
        QTest::newRow("halfway") << two << qint64(150) << qint64(30000) << 15.0;
        QTest::newRow("at the oldest point") << two << qint64(100) << qint64(30000) << 20.0;
        QTest::newRow("before the history: lower bound") << two << qint64(10) << qint64(30000) << 20.0;
        // Flat from 10 s to 20 s: the records after 100 were written after 20 s.
        QTest::newRow("after a flat run")
            << QList<qint64> {10000, 100, 20000, 100, 30000, 200} << qint64(100) << qint64(40000) << 20.0;
        QTest::newRow("during a flat run")
            << QList<qint64> {10000, 100, 20000, 200, 30000, 200} << qint64(150) << qint64(40000) << 25.0;
    }

    void timeLagEstimate()
    {
        QFETCH(QList<qint64>, history);
        QFETCH(qint64, committed);
        QFETCH(qint64, now);
        QFETCH(double, expected);
        KafkaSource::OffsetHistory h;
        for (qsizetype i = 0; i + 1 < history.size(); i += 2)
            KafkaSource::recordHighWatermark(h, history[i], history[i + 1]);
        const auto lag = KafkaSource::estimateTimeLagSeconds(h, committed, now);
        if (expected < 0) {
            QVERIFY(!lag);
        } else {
            QVERIFY(lag);
            QCOMPARE(*lag, expected);
        }
    }

    void historyIsBounded()
    {
        KafkaSource::OffsetHistory h;
        // A flat run keeps its first and last point only.
        for (int i = 0; i < 10; ++i)
            KafkaSource::recordHighWatermark(h, 1000 * i, 50);
        QCOMPARE(h.size(), size_t(2));
        QCOMPARE(h.front().timeMs, qint64(0));
        QCOMPARE(h.back().timeMs, qint64(9000));
        for (int i = 0; i < 200; ++i)
            KafkaSource::recordHighWatermark(h, 10000 + 1000 * i, 51 + i);
        QCOMPARE(h.size(), KafkaSource::kHistoryPoints);
        // An hour's worth at most.
        KafkaSource::recordHighWatermark(h, 10000 + 199000 + KafkaSource::kHistoryMs + 1, 1000);
        QCOMPARE(h.size(), size_t(2));
        // A high watermark that went back starts over.
        KafkaSource::recordHighWatermark(h, 10000000, 5);
        QCOMPARE(h.size(), size_t(1));
    }

    void factoryAcceptsKafka()
    {
        auto source = pw::createSource(sourceConfig(QStringLiteral("127.0.0.1:9092")),
            {signal(QStringLiteral("lag"), SignalKind::ConsumerLag, kGroup, kTopic)});
        QVERIFY2(source, qPrintable(source ? QString() : source.error().toString()));
        QCOMPARE((*source)->endpoint(), QStringLiteral("127.0.0.1:9092"));

        auto wrongKind = pw::createSource(sourceConfig(QStringLiteral("127.0.0.1:9092")),
            {signal(QStringLiteral("age"), SignalKind::CheckpointAge, kGroup, kTopic)});
        QVERIFY(!wrongKind);
        QVERIFY2(wrongKind.error().message.contains(QStringLiteral("consumer_lag")),
            qPrintable(wrongKind.error().toString()));
    }

    void lagAgeHeadroomAndTimeLag()
    {
        const auto lagId = QStringLiteral("source_log/consumer_lag");
        const auto timeLagId = QStringLiteral("source_log/time_lag");
        const auto ageId = QStringLiteral("source_log/data_age");
        const auto headroomId = QStringLiteral("source_log/replay_headroom");
        const auto sparseId = QStringLiteral("source_log/sparse_age");
        auto source = makeSource({signal(QStringLiteral("consumer_lag"), SignalKind::ConsumerLag, kGroup, kTopic),
            signal(QStringLiteral("time_lag"), SignalKind::TimeLag, kGroup, {}),
            signal(QStringLiteral("data_age"), SignalKind::DataAge, {}, kTopic),
            signal(QStringLiteral("replay_headroom"), SignalKind::ReplayHeadroom, {}, kTopic),
            signal(QStringLiteral("sparse_age"), SignalKind::DataAge, {}, kSparse)});
        QVERIFY(source);

        // First poll.
        const qint64 before1 = pw::nowMs();
        const Polled first = pollOnThread(*source);
        const qint64 after1 = pw::nowMs();
        QVERIFY(first.thread != std::this_thread::get_id());
        const PollResult& r1 = first.result;
        QVERIFY2(!r1.error && r1.signalErrors.empty(), qPrintable(errorsText(r1)));

        auto lag = byPartition(r1, lagId);
        QCOMPARE(lag.size(), size_t(2));
        QCOMPARE(lag[0].value, 6.0); // 10 − 4
        QCOMPARE(lag[1].value, 0.0); // 6 − 6
        QCOMPARE(label(lag[0], "group"), kGroup);
        QCOMPARE(label(lag[0], "topic"), kTopic);
        QCOMPARE(label(lag[1], "partition"), QStringLiteral("1"));

        // The ledger's raw numbers: one observation per partition of the group, however many signals read it.
        QCOMPARE(r1.clusterId, QStringLiteral("pathwatch-embedded"));
        QCOMPARE(r1.offsets.size(), size_t(2));
        for (int32_t p = 0; p < 2; ++p) {
            const pw::OffsetObservation& o = r1.offsets[size_t(p)];
            QCOMPARE(o.group, kGroup);
            QCOMPARE(o.topic, kTopic);
            QCOMPARE(o.partition, p);
            QCOMPARE(o.committedOffset, int64_t(p == 0 ? 4 : 6));
            QCOMPARE(o.highWatermark, int64_t(p == 0 ? 10 : 6));
            QCOMPARE(o.logStartOffset, int64_t(0));
            QVERIFY(o.observedMs >= before1 && o.observedMs <= after1);
        }
        QVERIFY(r1.checkpoints.empty());

        // Ages are measured at the sample's time, so they are exact up to the record timestamps' milliseconds.
        auto expectAge = [](const pw::Sample& s, qint64 recordMs) {
            return qAbs(s.value - double(s.timestampMs - recordMs) / 1000.0) < 0.002;
        };
        auto age = byPartition(r1, ageId);
        QCOMPARE(age.size(), size_t(2));
        QVERIFY2(expectAge(age[0], m_t0 + 90000), qPrintable(QString::number(age[0].value)));
        QVERIFY2(expectAge(age[1], m_t0 + 150000), qPrintable(QString::number(age[1].value)));
        QVERIFY(age[0].value > 500 && age[0].value < 520);
        QCOMPARE(label(age[1], "topic"), kTopic);
        auto headroom = byPartition(r1, headroomId);
        QCOMPARE(headroom.size(), size_t(2));
        QVERIFY2(expectAge(headroom[0], m_t0), qPrintable(QString::number(headroom[0].value)));
        QVERIFY2(expectAge(headroom[1], m_t0 + 100000), qPrintable(QString::number(headroom[1].value)));
        // An empty partition has no newest record and so no age.
        auto sparse = byPartition(r1, sparseId);
        QCOMPARE(sparse.size(), size_t(1));
        QVERIFY(sparse.contains(0));
        QVERIFY(expectAge(sparse[0], m_t0 + 40000));

        // Time lag needs a second point of history: no sample, and no error either (the engine waits for it).
        QVERIFY(byPartition(r1, timeLagId).empty());

        QTest::qWait(1200);
        const qint64 now = pw::nowMs();
        std::vector<qint64> more0(10, now), more1(4, now);
        produce(kTopic, 0, more0); // high 20, committed 4
        produce(kTopic, 1, more1); // high 10
        commit({{1, 8}});

        const PollResult r2 = pollOnThread(*source).result;
        QVERIFY2(!r2.error && r2.signalErrors.empty(), qPrintable(errorsText(r2)));
        lag = byPartition(r2, lagId);
        QCOMPARE(lag[0].value, 16.0);
        QCOMPARE(lag[1].value, 2.0);
        age = byPartition(r2, ageId);
        QVERIFY(expectAge(age[0], now));
        QVERIFY(expectAge(age[1], now));
        headroom = byPartition(r2, headroomId);
        QVERIFY(expectAge(headroom[0], m_t0));

        // History per partition: (t1, high 10 | 6) from the first poll, (t2, 20 | 10) from this one, with t1 in
        // [before1, after1] and t2 the samples' time.
        auto timeLag = byPartition(r2, timeLagId);
        QCOMPARE(timeLag.size(), size_t(2));
        const qint64 t2 = timeLag[0].timestampMs;
        QCOMPARE(timeLag[1].timestampMs, t2);
        const double eps = 0.002;
        // Partition 0: committed 4 is older than the history, so the lag is the history's span, a lower bound.
        QVERIFY2(timeLag[0].value >= (t2 - after1) / 1000.0 - eps && timeLag[0].value <= (t2 - before1) / 1000.0 + eps,
            qPrintable(QStringLiteral("%1 not in [%2, %3]")
                           .arg(timeLag[0].value)
                           .arg((t2 - after1) / 1000.0)
                           .arg((t2 - before1) / 1000.0)));
        QVERIFY(timeLag[0].value >= 1.0);
        // Partition 1: committed 8 is halfway from 6 to 10, so it was passed halfway between t1 and t2.
        QVERIFY2(timeLag[1].value >= 0.5 * (t2 - after1) / 1000.0 - eps
                && timeLag[1].value <= 0.5 * (t2 - before1) / 1000.0 + eps,
            qPrintable(QString::number(timeLag[1].value)));
        QCOMPARE(label(timeLag[1], "group"), kGroup);

        // A third poll without new records: the history keeps t1 and t2, so the lag grows with the clock.
        QTest::qWait(500);
        const PollResult r3 = pollOnThread(*source).result;
        QVERIFY2(!r3.error && r3.signalErrors.empty(), qPrintable(errorsText(r3)));
        timeLag = byPartition(r3, timeLagId);
        QCOMPARE(timeLag.size(), size_t(2));
        const qint64 t3 = timeLag[1].timestampMs;
        const double low = (t3 - 0.5 * t2 - 0.5 * after1) / 1000.0 - eps;
        const double high = (t3 - 0.5 * t2 - 0.5 * before1) / 1000.0 + eps;
        QVERIFY2(timeLag[1].value >= low && timeLag[1].value <= high,
            qPrintable(QStringLiteral("%1 not in [%2, %3]").arg(timeLag[1].value).arg(low).arg(high)));

        // Caught up: no lag in messages or time.
        commit({{0, 20}, {1, 10}});
        const PollResult r4 = pollOnThread(*source).result;
        QVERIFY2(!r4.error && r4.signalErrors.empty(), qPrintable(errorsText(r4)));
        for (const auto& [p, s] : byPartition(r4, lagId))
            QCOMPARE(s.value, 0.0);
        for (const auto& [p, s] : byPartition(r4, timeLagId))
            QCOMPARE(s.value, 0.0);
    }

    void unknownGroupAndTopic()
    {
        auto source = makeSource({signal(QStringLiteral("lag"), SignalKind::ConsumerLag, QStringLiteral("nobody"), {}),
            signal(QStringLiteral("time_lag"), SignalKind::TimeLag, QStringLiteral("nobody"), kTopic),
            signal(QStringLiteral("age"), SignalKind::DataAge, {}, QStringLiteral("no-such-topic")),
            signal(QStringLiteral("headroom"), SignalKind::ReplayHeadroom, {}, kTopic)});
        QVERIFY(source);
        const PollResult r = pollOnThread(*source).result;
        qInfo().noquote() << errorsText(r);
        QVERIFY2(!r.error, qPrintable(errorsText(r)));
        std::map<QString, pw::Error> errors(r.signalErrors.begin(), r.signalErrors.end());
        QCOMPARE(errors.size(), size_t(3));
        const auto lagError = errors.at(QStringLiteral("source_log/lag"));
        QCOMPARE(lagError.code, pw::Error::Code::NotFound);
        QVERIFY2(lagError.message.contains(QStringLiteral("consumer group nobody does not exist")),
            qPrintable(lagError.message));
        QVERIFY(errors.at(QStringLiteral("source_log/time_lag")).message.contains(QStringLiteral("nobody")));
        const auto ageError = errors.at(QStringLiteral("source_log/age"));
        QCOMPARE(ageError.code, pw::Error::Code::NotFound);
        QVERIFY2(ageError.message.contains(QStringLiteral("topic no-such-topic does not exist")),
            qPrintable(ageError.message));
        // The other signal still answers.
        QCOMPARE(byPartition(r, QStringLiteral("source_log/headroom")).size(), size_t(2));
        // Asking about a topic must not create it.
        auto topics = m_admin->listTopics();
        QVERIFY(topics);
        QVERIFY(std::none_of(
            topics->begin(), topics->end(), [](const auto& t) { return t.name == QStringLiteral("no-such-topic"); }));
    }

    void nothingListening()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const QString address = QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
        probe.close();
        auto created = pw::createSource(
            sourceConfig(address, 2000), {signal(QStringLiteral("lag"), SignalKind::ConsumerLag, kGroup, kTopic)});
        QVERIFY(created);
        QElapsedTimer timer;
        timer.start();
        const PollResult r = pollOnThread(**created).result;
        qInfo().noquote() << errorsText(r);
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(r.error);
        QVERIFY(r.samples.empty());
        QVERIFY2(r.error->message.startsWith(
                     QStringLiteral("cannot reach the Kafka cluster at ") + address + QLatin1Char(':')),
            qPrintable(r.error->message));
        // librdkafka's own words for why, not only "transport failure".
        QVERIFY2(r.error->message.contains(QStringLiteral("Connection refused")), qPrintable(r.error->message));
    }

    // A listener that accepts connections and never answers: every call waits, the poll still ends by its timeout.
    void silentBrokerTimesOut()
    {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        const QString address = QStringLiteral("127.0.0.1:%1").arg(silent.serverPort());
        auto created = pw::createSource(sourceConfig(address, 1500),
            {signal(QStringLiteral("lag"), SignalKind::ConsumerLag, kGroup, kTopic),
                signal(QStringLiteral("age"), SignalKind::DataAge, {}, kTopic)});
        QVERIFY(created);
        for (int i = 0; i < 2; ++i) {
            QElapsedTimer timer;
            timer.start();
            const PollResult r = pollOnThread(**created).result;
            qInfo().noquote() << errorsText(r);
            QVERIFY2(timer.elapsed() < 1500, qPrintable(QString::number(timer.elapsed())));
            QVERIFY(r.error);
            QVERIFY2(r.error->message.startsWith(QStringLiteral("cannot reach the Kafka cluster at ") + address),
                qPrintable(r.error->message));
        }
    }

    // A refused secret property is named, its value never shown.
    void secretsStayOutOfErrors()
    {
        pw::SourceConfig config = sourceConfig(bootstrap());
        config.options.insert(QStringLiteral("properties"),
            QVariantMap {{QStringLiteral("sasl.secret.token"), QStringLiteral("hunter2-7c1f")}});
        auto created
            = pw::createSource(config, {signal(QStringLiteral("lag"), SignalKind::ConsumerLag, kGroup, kTopic)});
        QVERIFY(created);
        const PollResult r = pollOnThread(**created).result;
        QVERIFY(r.error);
        QCOMPARE(r.error->code, pw::Error::Code::Config);
        QVERIFY2(r.error->message.contains(QStringLiteral("sasl.secret.token")), qPrintable(r.error->message));
        QVERIFY2(!r.error->toString().contains(QStringLiteral("hunter2")), qPrintable(r.error->toString()));
    }

    // Last: stops the broker under a source whose clients already exist.
    void brokerGoesAway()
    {
        auto source = makeSource({signal(QStringLiteral("lag"), SignalKind::ConsumerLag, kGroup, kTopic),
                                     signal(QStringLiteral("age"), SignalKind::DataAge, {}, kTopic)},
            3000);
        QVERIFY(source);
        const PollResult up = pollOnThread(*source).result;
        QVERIFY2(!up.error && up.signalErrors.empty(), qPrintable(errorsText(up)));
        m_broker->stop();
        QElapsedTimer timer;
        timer.start();
        const PollResult down = pollOnThread(*source).result;
        qInfo().noquote() << errorsText(down);
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(down.error);
        QVERIFY2(down.error->message.contains(QStringLiteral("cannot reach the Kafka cluster at ") + bootstrap()),
            qPrintable(down.error->message));
        QVERIFY(down.error->code == pw::Error::Code::Network || down.error->code == pw::Error::Code::Timeout);
    }
};

QTEST_GUILESS_MAIN(TestKafkaSource)
#include "tst_kafkasource.moc"
