// Replay end to end on the embedded broker (in-process): preview (describe the group, read its offsets, the topic's
// watermarks; plan; preflight) + audited execute (batched alter) + read-back verification, against a kafka-python
// script doing the same work (describe the group, read its offsets, one commit of all offsets, read them back).
// Two shapes: one group × 10,000 partitions, and 100 groups × 100 partitions. Each side starts from the same
// committed offsets; ours moves every partition to the earliest offset, the peer one record back.
// --quick (CTest): 1 × 1,000 and 10 × 20. --partitions N: the wide shape's partitions. --only wide|many: one shape.
// --perf-control FIFO: profile only our side (perf record -D -1 --control fifo:FIFO).

#include "broker/broker.h"
#include "ledger/ledger.h"
#include "replay/replayexecutor.h"
#include "replay/replaypreview.h"
#include "sources/kafkaadmin.h"

#include <librdkafka/rdkafka.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void die(const QString& message)
{
    std::fprintf(stderr, "bench_replay: %s\n", qPrintable(message));
    std::exit(1);
}

template<class T>
T must(pw::Result<T> r, const char* what)
{
    if (!r)
        die(QString::fromLatin1(what) + QStringLiteral(": ") + r.error().toString());
    return std::move(*r);
}

void must(pw::Result<void> r, const char* what)
{
    if (!r)
        die(QString::fromLatin1(what) + QStringLiteral(": ") + r.error().toString());
}

/// Two records in every partition, so offsets 0..2 are all valid targets.
void fill(const std::string& bootstrap, const QString& topic, int32_t partitions)
{
    char errstr[512] = {0};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!producer)
        die(QString::fromUtf8(errstr));
    const QByteArray name = topic.toUtf8();
    for (int round = 0; round < 2; ++round)
        for (int32_t p = 0; p < partitions; ++p)
            while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(name.constData()), RD_KAFKA_V_PARTITION(p),
                       RD_KAFKA_V_VALUE(const_cast<char*>("v"), size_t(1)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                       RD_KAFKA_V_END)
                == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(producer, 10);
    if (rd_kafka_flush(producer, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die(QStringLiteral("could not produce to %1").arg(topic));
    rd_kafka_destroy(producer);
}

void commitAll(pw::KafkaAdmin& admin, const QString& group, const QString& topic, int32_t partitions, int64_t offset)
{
    std::vector<pw::KafkaAdmin::PartitionOffset> offsets;
    for (int32_t p = 0; p < partitions; ++p)
        offsets.push_back({topic, p, offset, {}});
    must(admin.alterGroupOffsets(group, offsets), "commit the starting offsets");
}

double previewSeconds = 0;
pw::ReplayPhaseTimes phases;

/// perf's control FIFO (`perf record -D -1 --control fifo:CTL ...`, given as --perf-control CTL): recording runs
/// only while our side does, not while topics are created and filled or the peer runs.
FILE* perfControl = nullptr;

void perfCommand(const char* command)
{
    if (!perfControl)
        return;
    std::fprintf(perfControl, "%s\n", command);
    std::fflush(perfControl);
}

double ours(pw::KafkaAdmin& admin, pw::Ledger& ledger, const QStringList& groups)
{
    perfCommand("enable");
    const auto start = Clock::now();
    for (const QString& group : groups) {
        pw::ReplayRequest request;
        request.context.sourceId = QStringLiteral("bench");
        request.context.group = group;
        request.context.nowMs = QDateTime::currentMSecsSinceEpoch();
        request.target.kind = pw::ReplayTarget::Kind::Earliest;
        request.target.text = QStringLiteral("--to-earliest");
        request.timings = &phases;
        const auto previewStart = Clock::now();
        auto preview = must(pw::previewReplay(admin, &ledger, request), "preview");
        previewSeconds += secondsSince(previewStart);
        if (!preview.preflight.passed)
            die(QStringLiteral("preflight refused %1: %2").arg(group, preview.preflight.refusal()));
        pw::AuditEntry entry;
        entry.actor = pw::replayActor();
        entry.sourceId = QStringLiteral("bench");
        entry.reason = QStringLiteral("benchmark");
        pw::ExecuteOptions options;
        options.timings = &phases;
        auto executed
            = must(pw::executeAudited(admin, ledger, entry, preview.plan, preview.preflight, options), "execute");
        if (executed.report.outcome != QLatin1String("executed-verified"))
            die(QStringLiteral("%1: %2 %3").arg(group, executed.report.outcome, executed.report.error));
    }
    const double seconds = secondsSince(start);
    perfCommand("disable");
    return seconds;
}

double peer(const std::string& bootstrap, const QStringList& groups)
{
    QProcess py;
    py.start(QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/replay_groups.py"), QStringLiteral("bench"),
            QStringLiteral("--bootstrap"), QString::fromStdString(bootstrap), QStringLiteral("--groups"),
            groups.join(u','), QStringLiteral("--shift"), QStringLiteral("1")});
    if (!py.waitForFinished(600000))
        die(QStringLiteral("the kafka-python peer did not finish"));
    const QByteArray out = py.readAllStandardOutput().trimmed();
    const QJsonObject result = QJsonDocument::fromJson(out.mid(out.lastIndexOf('\n') + 1)).object();
    if (py.exitCode() != 0 || !result.contains(QStringLiteral("seconds")))
        die(QStringLiteral("the kafka-python peer failed: %1 %2")
                .arg(QString::fromUtf8(out.right(2000)), QString::fromUtf8(py.readAllStandardError().right(2000))));
    return result.value(QStringLiteral("seconds")).toDouble();
}

struct Shape
{
    const char* name;
    int groups;
    int32_t partitions;
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    bool quick = false;
    for (int i = 1; i < argc; ++i)
        quick = quick || std::strcmp(argv[i], "--quick") == 0;
    QTemporaryDir dir;
    if (!dir.isValid())
        die(QStringLiteral("no temporary directory"));
    pw::broker::BrokerOptions options;
    options.dataDir = dir.filePath(QStringLiteral("broker")).toStdString();
    options.listenPort = 0;
    options.threads = 2;
    auto broker = must(pw::broker::Broker::start(options), "start the broker");
    pw::KafkaAdminConfig config;
    config.bootstrapServers = QString::fromStdString(broker->bootstrapServers());
    config.timeout = std::chrono::milliseconds(120000);
    auto admin = must(pw::KafkaAdmin::create(config), "admin client");
    auto ledger = must(pw::Ledger::open(dir.filePath(QStringLiteral("ledger.sqlite"))), "open the ledger");

    // Segment files open on use within a budget of descriptors, so 10,000 partitions fit any descriptor limit.
    int32_t wide = quick ? 1000 : 10000;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--partitions") == 0)
            wide = std::atoi(argv[i + 1]);
    const Shape shapes[] = {
        {"replay_execute", 1, wide},
        {"replay_execute_many_groups", quick ? 10 : 100, quick ? 20 : 100},
    };
    const char* only = nullptr; // --only wide|many: one shape (the many-groups peer takes minutes)
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
    if (only && std::strcmp(only, "wide") != 0 && std::strcmp(only, "many") != 0)
        die(QStringLiteral("--only takes wide or many"));
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--perf-control") == 0 && !(perfControl = std::fopen(argv[i + 1], "w")))
            die(QStringLiteral("cannot open %1").arg(QString::fromLocal8Bit(argv[i + 1])));
    int failures = 0;
    for (const Shape& shape : shapes) {
        if (only && (std::strcmp(only, "wide") == 0) != (shape.groups == 1))
            continue;
        const QString topic = QStringLiteral("%1-%2").arg(QString::fromLatin1(shape.name)).arg(shape.partitions);
        must(admin->createTopic(topic, shape.partitions), "create the topic");
        fill(broker->bootstrapServers(), topic, shape.partitions);
        QStringList groups;
        for (int g = 0; g < shape.groups; ++g)
            groups << QStringLiteral("%1-group-%2").arg(topic).arg(g);
        for (const QString& g : groups)
            commitAll(*admin, g, topic, shape.partitions, 2);
        previewSeconds = 0;
        phases = {};
        const double oursSeconds = ours(*admin, *ledger, groups);
        std::printf("%s: preview (read, plan, preflight) %.3f s, execute + verify + audit %.3f s\n", shape.name,
            previewSeconds, oursSeconds - previewSeconds);
        double accounted = 0;
        for (const auto& [phase, seconds] : phases.seconds) {
            std::printf("  %-22s %7.1f ms\n", phase, seconds * 1000);
            accounted += seconds;
        }
        std::printf("  %-22s %7.1f ms\n", "(rest)", (oursSeconds - accounted) * 1000);
        for (const QString& g : groups)
            commitAll(*admin, g, topic, shape.partitions, 2);
        const double peerSeconds = peer(broker->bootstrapServers(), groups);
        const double ratio = peerSeconds / std::max(oursSeconds, 1e-9);
        std::printf("BENCH name=%s ours=%.3fs peer=kafka-python peer_value=%.3fs ratio=%.2f (%d group(s) x %d "
                    "partitions)\n",
            shape.name, oursSeconds, peerSeconds, ratio, shape.groups, shape.partitions);
        std::fflush(stdout);
        if (!quick && shape.groups == 1 && oursSeconds > 2.0) {
            std::printf("goal missed: %d partitions took %.3f s (goal: 2 s)\n", shape.partitions, oursSeconds);
            ++failures;
        }
    }
    broker->stop();
    return failures == 0 ? 0 : 1;
}
