// One full consumer-lag collection cycle over every group of a cluster: KafkaSource watching `groups` (committed
// offsets of many groups in flight at once, watermarks of every partition in two requests per leader, commit times
// followed in __consumer_offsets, verdicts) against a kafka-python script doing what most lag exporters do (per
// group: committed offsets, then end offsets), both on the embedded broker in this process, which counts the
// requests each side sends in its cycle.
// Full run: 1,000 groups × 10 partitions and 100 groups × 100 partitions; --groups N --partitions P for another
// shape (e.g. 10,000 × 10); --offset-fetch for the path taken when __consumer_offsets cannot be read (an OffsetFetch
// per group, many in flight). --quick (CTest): 50 groups × 10 partitions, both paths.
#include "broker/broker.h"
#include "sources/kafkaadmin.h"
#include "sources/kafkasource.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int runShape(int groups, int partitions, bool quick, bool offsetFetch = false)
{
    QTemporaryDir dir;
    pw::broker::BrokerOptions options;
    options.dataDir = dir.path().toStdString();
    options.listenPort = 0;
    options.defaultPartitions = partitions;
    options.threads = 2;
    auto broker = pw::broker::Broker::start(options);
    if (!broker) {
        std::fprintf(stderr, "broker: %s\n", qPrintable(broker.error().toString()));
        return 1;
    }
    const QString bootstrap = QString::fromStdString((*broker)->bootstrapServers());

    // Ten groups per topic (at most 100 topics: the broker keeps files open per partition); each topic holds 100
    // records per partition, each group committed halfway.
    const int topics = std::clamp(groups / 10, 1, 100);
    char errstr[512] = {0};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.toUtf8().constData(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    for (int t = 0; t < topics; ++t) {
        const QByteArray name = QStringLiteral("topic-%1").arg(t).toUtf8();
        for (int p = 0; p < partitions; ++p)
            for (int i = 0; i < 100; ++i)
                while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(name.constData()), RD_KAFKA_V_PARTITION(p),
                           RD_KAFKA_V_VALUE(const_cast<char*>("x"), size_t(1)),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)
                    == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(producer, 10);
    }
    rd_kafka_flush(producer, 120000);
    rd_kafka_destroy(producer);

    pw::KafkaAdminConfig adminConfig;
    adminConfig.bootstrapServers = bootstrap;
    adminConfig.timeout = std::chrono::milliseconds(60000);
    auto admin = pw::KafkaAdmin::create(adminConfig);
    if (!admin) {
        std::fprintf(stderr, "admin: %s\n", qPrintable(admin.error().toString()));
        return 1;
    }
    const auto setupStart = Clock::now();
    for (int g = 0; g < groups; ++g) {
        std::vector<pw::KafkaAdmin::PartitionOffset> offsets;
        for (int p = 0; p < partitions; ++p)
            offsets.push_back({QStringLiteral("topic-%1").arg(g % topics), p, 50, {}});
        if (auto altered = (*admin)->alterGroupOffsets(QStringLiteral("group-%1").arg(g), offsets); !altered) {
            std::fprintf(stderr, "commit: %s\n", qPrintable(altered.error().toString()));
            return 1;
        }
    }
    std::fprintf(stderr, "set up %d groups x %d partitions in %.1f s\n", groups, partitions, secondsSince(setupStart));

    // Ours: the first poll reads __consumer_offsets from its start and the metadata; the second is a cycle.
    pw::SourceConfig config;
    config.id = QStringLiteral("bench");
    config.kind = QStringLiteral("kafka");
    config.intervalMs = 5000;
    config.timeoutMs = 120000;
    config.options.insert(QStringLiteral("bootstrap_servers"), bootstrap);
    config.options.insert(QStringLiteral("properties"), QVariantMap {});
    config.options.insert(QStringLiteral("groups"), QVariantMap {});
    // Without __consumer_offsets (no permission to read it): one OffsetFetch per group, many in flight at once.
    config.options.insert(QStringLiteral("read_consumer_offsets"), !offsetFetch);
    pw::SignalConfig lag;
    lag.id = QStringLiteral("lag/lag");
    lag.name = QStringLiteral("lag");
    lag.stageId = QStringLiteral("lag");
    lag.kind = pw::SignalKind::ConsumerLag;
    lag.sourceId = config.id;
    auto created = pw::KafkaSource::create(config, {lag});
    if (!created) {
        std::fprintf(stderr, "source: %s\n", qPrintable(created.error().toString()));
        return 1;
    }
    auto* source = static_cast<pw::KafkaSource*>(created->get());
    auto firstStart = Clock::now();
    auto first = source->pollBlocking();
    const double firstSeconds = secondsSince(firstStart);
    // Until every committed offset older than the watermark history is dated by its record's timestamp (a few
    // hundred one-record reads per poll), cycles also read records; the steady cycle after that does not.
    auto undated = [](const pw::PollResult& r) {
        size_t n = 0;
        for (const auto& g : r.lag->groups)
            for (const auto& p : g.partitions)
                n += p.timeLagSeconds ? 0 : 1;
        return n;
    };
    pw::PollResult result;
    double datingSeconds = 0;
    int datingPolls = 0;
    for (size_t left = first.lag ? undated(first) : 1; left > 0 && datingPolls < 50; left = undated(result)) {
        const auto start = Clock::now();
        result = source->pollBlocking();
        datingSeconds = std::max(datingSeconds, secondsSince(start));
        ++datingPolls;
        if (!result.lag)
            break;
    }
    const uint64_t before = (*broker)->requestCount();
    auto cycleStart = Clock::now();
    result = source->pollBlocking();
    const double ours = secondsSince(cycleStart);
    const uint64_t ourRequests = (*broker)->requestCount() - before;
    if (result.error || !result.lag) {
        std::fprintf(stderr, "poll: %s\n", result.error ? qPrintable(result.error->toString()) : "no report");
        return 1;
    }
    int64_t ourLag = 0;
    size_t ourPartitions = 0;
    for (const auto& g : result.lag->groups) {
        ourLag += g.totalLag;
        ourPartitions += g.partitions.size();
        if (!g.error.isEmpty())
            std::fprintf(stderr, "group %s: %s\n", qPrintable(g.group), qPrintable(g.error));
    }

    // The peer, after its warm-up cycle.
    QProcess peer;
    peer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    peer.start(QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/bench/lag_peer.py"), bootstrap});
    if (!peer.waitForStarted(10000)) {
        std::fprintf(stderr, "cannot start /usr/bin/python3\n");
        return 1;
    }
    while (!peer.canReadLine() && peer.waitForReadyRead(600000)) { }
    peer.readLine();
    const uint64_t peerBefore = (*broker)->requestCount();
    peer.write("go\n");
    while (!peer.canReadLine() && peer.waitForReadyRead(600000)) { }
    const QJsonObject answer = QJsonDocument::fromJson(peer.readLine()).object();
    const uint64_t peerRequests = (*broker)->requestCount() - peerBefore;
    peer.waitForFinished(30000);
    const double peerSeconds = answer.value(QStringLiteral("seconds")).toDouble();
    const int64_t peerLag = int64_t(answer.value(QStringLiteral("lag")).toDouble());

    std::printf("# %d groups x %d partitions (%zu group partitions; total lag ours %lld, peer %lld); our first poll "
                "%.2f s (metadata, clients%s); %d more polls dated every committed offset by its record, "
                "the slowest %.3f s%s\n",
        groups, partitions, ourPartitions, static_cast<long long>(ourLag), static_cast<long long>(peerLag),
        firstSeconds, offsetFetch ? "" : ", __consumer_offsets from its start", datingPolls, datingSeconds,
        quick ? " [quick]" : "");
    const char* path = offsetFetch ? "_offsetfetch" : "";
    std::printf("BENCH name=lag_cycle%s_%dx%d ours=%.3fs peer=kafka-python peer_value=%.3fs ratio=%.1f\n", path, groups,
        partitions, ours, peerSeconds, ours > 0 ? peerSeconds / ours : 0.0);
    std::printf("BENCH name=lag_cycle_requests%s_%dx%d ours=%llureq peer=kafka-python peer_value=%llureq ratio=%.1f\n",
        path, groups, partitions, static_cast<unsigned long long>(ourRequests),
        static_cast<unsigned long long>(peerRequests),
        ourRequests > 0 ? double(peerRequests) / double(ourRequests) : 0.0);
    std::fflush(stdout);
    (*broker)->stop();
    return ourLag == peerLag && ourLag == int64_t(groups) * partitions * 50 ? 0 : 2;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const bool quick = args.contains(QStringLiteral("--quick"));
    int groups = 0;
    int partitions = 0;
    if (const auto i = args.indexOf(QStringLiteral("--groups")); i > 0 && i + 1 < args.size())
        groups = args[i + 1].toInt();
    if (const auto i = args.indexOf(QStringLiteral("--partitions")); i > 0 && i + 1 < args.size())
        partitions = args[i + 1].toInt();
    const bool offsetFetch = args.contains(QStringLiteral("--offset-fetch"));
    if (groups > 0 && partitions > 0)
        return runShape(groups, partitions, quick, offsetFetch);
    if (quick)
        return runShape(50, 10, true) || runShape(50, 10, true, true);
    int rc = runShape(1000, 10, false);
    if (rc == 0)
        rc = runShape(1000, 10, false, true);
    if (rc == 0)
        rc = runShape(100, 100, false);
    return rc;
}
