// The embedded broker (in-process, persisting to a temporary directory) against librdkafka's in-memory mock cluster
// (rdkafka_mock.h) under the same librdkafka producer workload: 1 KiB records, acks=all, linger.ms=5. Then a
// librdkafka consumer reads everything back from our broker, compared with the produce rate and the disk's
// sequential read speed; the disk's sequential write speed (measured here with a dd-like write of a temp file) is
// the physical limit for producing. The mock is no consume peer: librdkafka 2.0.2's mock stalls on fetch after a
// few thousand records.
// Full run: seven rounds of 400,000 records (~400 MiB, fits the page cache) to each side, alternating which goes
// first; the figures are the medians (a VM's first touch of memory the host took back makes the odd round slow, on
// either side). Each round's topic is deleted after it, but the first, which the consume phase reads back.
// --quick (CTest): one round of 20,000 records. --only ours|mock: one side alone, for profiling it with perf.
// --data-dir DIR: our log elsewhere (e.g. tmpfs, to separate the broker's own cost from the file system's).

#include "broker/broker.h"

#include <QCoreApplication>
#include <QDir>
#include <QTemporaryDir>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr size_t kRecordBytes = 1024;
constexpr double kMiB = 1024.0 * 1024.0;

struct DiskSpeed
{
    double writeMBs = 0;
    double readMBs = 0;
};

// dd-like: sequential 1 MiB writes + fdatasync, then drop the file from the page cache and read it back.
DiskSpeed measureDisk(const std::string& path, size_t bytes)
{
    DiskSpeed s;
    std::vector<char> block(1 << 20, 'x');
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        return s;
    auto start = Clock::now();
    for (size_t done = 0; done < bytes; done += block.size())
        if (::write(fd, block.data(), block.size()) != ssize_t(block.size()))
            break;
    ::fdatasync(fd);
    s.writeMBs = double(bytes) / kMiB / secondsSince(start);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    fd = ::open(path.c_str(), O_RDONLY);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    start = Clock::now();
    size_t total = 0;
    for (;;) {
        ssize_t n = ::read(fd, block.data(), block.size());
        if (n <= 0)
            break;
        total += size_t(n);
    }
    s.readMBs = double(total) / kMiB / secondsSince(start);
    ::close(fd);
    ::unlink(path.c_str());
    return s;
}

struct ProduceResult
{
    bool ok = false;
    double seconds = 0;
    size_t delivered = 0;
    std::string error;
};

void countDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque)
{
    auto* counters = static_cast<std::atomic<size_t>*>(opaque);
    if (m->err)
        counters[1]++;
    else
        counters[0]++;
}

rd_kafka_conf_t* producerConf(const std::string& bootstrap, std::atomic<size_t>* counters)
{
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof err);
    rd_kafka_conf_set(conf, "queue.buffering.max.kbytes", "1048576", err, sizeof err);
    rd_kafka_conf_set(conf, "message.timeout.ms", "120000", err, sizeof err);
    rd_kafka_conf_set_opaque(conf, counters);
    rd_kafka_conf_set_dr_msg_cb(conf, countDelivery);
    return conf;
}

ProduceResult produce(rd_kafka_t* rk, const char* topic, size_t records, std::atomic<size_t>* counters)
{
    ProduceResult r;
    std::vector<char> value(kRecordBytes);
    for (size_t i = 0; i < value.size(); ++i)
        value[i] = char('a' + i % 26);
    // Warm-up: metadata, connection, topic creation.
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 30000);
    counters[0] = 0;
    counters[1] = 0;
    auto start = Clock::now();
    for (size_t i = 0; i < records; ++i) {
        char digits[24];
        std::snprintf(digits, sizeof digits, "%015zu", i % 1000000000000000);
        std::memcpy(value.data(), digits, 15); // a record number at the front; the rest of the value stays
        for (;;) {
            auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                r.error = rd_kafka_err2str(e);
                return r;
            }
            rd_kafka_poll(rk, 1);
        }
        if (i % 1000 == 0)
            rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        r.error = "flush timed out";
        return r;
    }
    r.seconds = secondsSince(start);
    r.delivered = counters[0];
    r.ok = counters[1] == 0 && r.delivered == records;
    if (!r.ok && r.error.empty())
        r.error = std::to_string(counters[1].load()) + " delivery errors";
    return r;
}

struct ConsumeResult
{
    bool ok = false;
    double startupSeconds = 0; // until the first record
    double seconds = 0;
    size_t records = 0;
    size_t bytes = 0;
};

ConsumeResult consume(const std::string& bootstrap, const char* topic, size_t expected)
{
    ConsumeResult r;
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "bench", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "fetch.max.bytes", "52428800", err, sizeof err);
    rd_kafka_conf_set(conf, "max.partition.fetch.bytes", "10485760", err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        return r;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    // As on the produce side, connecting (metadata, the offset lookup) is not part of the rate: the clock starts at
    // the first record, which is not counted.
    const auto start = Clock::now();
    std::optional<Clock::time_point> first;
    while (r.records < expected && secondsSince(start) < 120) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (!m->err) {
            if (first) {
                ++r.records;
                r.bytes += m->len;
            } else {
                first = Clock::now();
                r.startupSeconds = secondsSince(start);
            }
        }
        rd_kafka_message_destroy(m);
    }
    r.seconds = first ? secondsSince(*first) : secondsSince(start);
    r.ok = r.records >= expected;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return r;
}

// DeleteTopics through the admin API: a round's 400 MB would otherwise stay dirty in the page cache, and five rounds
// of it pass the kernel's background writeback threshold, so later rounds would compete with writeback (and a
// throttled disk) that the in-memory peer never meets.
bool deleteTopic(const std::string& bootstrap, const std::string& topic)
{
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        return false;
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopic_t* request = rd_kafka_DeleteTopic_new(topic.c_str());
    rd_kafka_DeleteTopics(rk, &request, 1, nullptr, queue);
    bool ok = false;
    if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000)) {
        if (const rd_kafka_DeleteTopics_result_t* result = rd_kafka_event_DeleteTopics_result(event)) {
            size_t count = 0;
            const rd_kafka_topic_result_t** topics = rd_kafka_DeleteTopics_result_topics(result, &count);
            ok = count == 1 && rd_kafka_topic_result_error(topics[0]) == RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        rd_kafka_event_destroy(event);
    }
    rd_kafka_DeleteTopic_destroy(request);
    rd_kafka_queue_destroy(queue);
    rd_kafka_destroy(rk);
    return ok;
}

void printRate(const char* what, size_t records, double seconds)
{
    std::printf("%-34s %10.0f records/s %8.1f MB/s (%zu records in %.2f s)\n", what, double(records) / seconds,
        double(records) * kRecordBytes / kMiB / seconds, records, seconds);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const size_t records = quick ? 20000 : 400000;
    std::printf("bench_broker: %zu records of %zu bytes, acks=all, linger.ms=5%s\n", records, kRecordBytes,
        quick ? " (--quick)" : "");

    QTemporaryDir dir;
    if (!dir.isValid()) {
        std::fprintf(stderr, "no temporary directory\n");
        return 1;
    }
    const qsizetype onlyArg = app.arguments().indexOf(QStringLiteral("--only"));
    const QString onlySide
        = onlyArg > 0 && onlyArg + 1 < app.arguments().size() ? app.arguments().at(onlyArg + 1) : QString();
    const DiskSpeed disk = onlySide.isEmpty()
        ? measureDisk(dir.filePath(QStringLiteral("dd.tmp")).toStdString(), quick ? (64u << 20) : (512u << 20))
        : DiskSpeed {};
    std::printf(
        "disk (dd-like, fdatasync, cache dropped): write %.1f MB/s, read %.1f MB/s\n", disk.writeMBs, disk.readMBs);

    // Ours.
    pw::broker::BrokerOptions options;
    const qsizetype dataDirArg = app.arguments().indexOf(QStringLiteral("--data-dir"));
    options.dataDir = dataDirArg > 0 && dataDirArg + 1 < app.arguments().size()
        ? QDir(app.arguments().at(dataDirArg + 1))
              .filePath(QStringLiteral("bench-broker-%1").arg(QCoreApplication::applicationPid()))
              .toStdString()
        : dir.filePath(QStringLiteral("broker")).toStdString();
    options.listenPort = 0;
    auto broker = pw::broker::Broker::start(options);
    if (!broker) {
        std::fprintf(stderr, "broker: %s\n", qPrintable(broker.error().toString()));
        return 1;
    }
    const std::string ourBootstrap = (*broker)->bootstrapServers();
    char err[256];

    auto produceToOurs = [&](const std::string& topic) {
        std::atomic<size_t> counters[2] {};
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, producerConf(ourBootstrap, counters), err, sizeof err);
        const ProduceResult result = produce(producer, topic.c_str(), records, counters);
        rd_kafka_destroy(producer);
        return result;
    };
    // Peer: librdkafka's mock cluster, in memory, in this process (a fresh one each round).
    auto produceToMock = [&](const std::string& topic) {
        rd_kafka_conf_t* mockHostConf = rd_kafka_conf_new();
        rd_kafka_t* mockHost = rd_kafka_new(RD_KAFKA_PRODUCER, mockHostConf, err, sizeof err);
        rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(mockHost, 1);
        rd_kafka_mock_topic_create(mock, topic.c_str(), 1, 1);
        const std::string mockBootstrap = rd_kafka_mock_cluster_bootstraps(mock);
        std::atomic<size_t> counters[2] {};
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, producerConf(mockBootstrap, counters), err, sizeof err);
        const ProduceResult result = produce(producer, topic.c_str(), records, counters);
        rd_kafka_destroy(producer);
        rd_kafka_mock_cluster_destroy(mock);
        rd_kafka_destroy(mockHost);
        return result;
    };

    // Rounds alternate which side goes first, and each side's median counts: whoever runs first in a process pays
    // for fresh memory (the client's buffers, the page cache, a VM handing pages back), and a noisy machine
    // should not decide the ratio by where one slow run fell.
    const int rounds = quick ? 1 : 7;
    std::vector<double> oursSeconds, peerSeconds;
    for (int round = 0; round < rounds; ++round) {
        const std::string topic = "bench-" + std::to_string(round);
        ProduceResult ours, peer;
        if (onlySide == u"ours" || onlySide == u"mock") {
            // Profiling one side: the other's figures repeat it, so the ratio printed means nothing.
            ours = onlySide == u"ours" ? produceToOurs(topic) : produceToMock(topic);
            peer = ours;
        } else if (round % 2 == 0) {
            ours = produceToOurs(topic);
            peer = ours.ok ? produceToMock(topic) : ProduceResult {};
        } else {
            peer = produceToMock(topic);
            ours = peer.ok ? produceToOurs(topic) : ProduceResult {};
        }
        if (!ours.ok) {
            std::fprintf(stderr, "producing to our broker failed: %s\n", ours.error.c_str());
            return 1;
        }
        if (!peer.ok) {
            std::fprintf(stderr, "producing to the mock cluster failed: %s\n", peer.error.c_str());
            return 1;
        }
        std::printf("round %d (%s first):\n", round + 1, round % 2 == 0 ? "ours" : "mock");
        printRate("  produce, ours (on disk)", records, ours.seconds);
        printRate("  produce, rdkafka mock (memory)", records, peer.seconds);
        // The consume phase reads the first round's topic back; the others go.
        if (round > 0 && onlySide != u"mock" && !deleteTopic(ourBootstrap, topic)) {
            std::fprintf(stderr, "deleting topic %s from our broker failed\n", topic.c_str());
            return 1;
        }
        oursSeconds.push_back(ours.seconds);
        peerSeconds.push_back(peer.seconds);
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };

    if (!onlySide.isEmpty()) {
        std::printf("produce median of %d rounds to %s: %.0f records/s\n", rounds, qPrintable(onlySide),
            double(records) / median(oursSeconds));
        (*broker)->stop();
        return 0;
    }
    // The first round's topic: the warm-up record and the round's; the first record starts the clock.
    const ConsumeResult consumed = consume(ourBootstrap, "bench-0", records);
    if (!consumed.ok) {
        std::fprintf(stderr, "consuming from our broker stopped at %zu of %zu records\n", consumed.records, records);
        return 1;
    }
    std::printf("consume: first record after %.3f s (connecting, offset lookup)\n", consumed.startupSeconds);
    printRate("consume from beginning, ours", consumed.records, consumed.seconds);
    (*broker)->stop();
    if (dataDirArg > 0)
        std::filesystem::remove_all(options.dataDir);

    const double oursRate = double(records) / median(oursSeconds);
    const double peerRate = double(records) / median(peerSeconds);
    const double oursMBs = oursRate * kRecordBytes / kMiB;
    const double consumeRate = double(consumed.records) / consumed.seconds;
    const double consumeMBs = double(consumed.bytes) / kMiB / consumed.seconds;
    std::printf("produce medians of %d rounds:\n", rounds);
    std::printf("BENCH name=broker_produce ours=%.0frecords/s peer=rdkafka-mock peer_value=%.0frecords/s ratio=%.2f\n",
        oursRate, peerRate, oursRate / peerRate);
    std::printf("BENCH name=broker_produce_mbs ours=%.1fMB/s peer=disk-seq-write peer_value=%.1fMB/s ratio=%.2f\n",
        oursMBs, disk.writeMBs, oursMBs / disk.writeMBs);
    std::printf(
        "BENCH name=broker_consume ours=%.0frecords/s peer=broker-produce peer_value=%.0frecords/s ratio=%.2f\n",
        consumeRate, oursRate, consumeRate / oursRate);
    std::printf("BENCH name=broker_consume_mbs ours=%.1fMB/s peer=disk-seq-read peer_value=%.1fMB/s ratio=%.2f\n",
        consumeMBs, disk.readMBs, consumeMBs / disk.readMBs);
    return 0;
}
