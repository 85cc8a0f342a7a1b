#include "broker/brokercommand.h"

#include "broker/broker.h"
#include "instance/exitcodes.h"
#include "instance/listenprobe.h"

#include <QCommandLineParser>

#include <csignal>
#include <cstdio>
#include <limits>

namespace pw::broker {

namespace {

constexpr int kExitUsage = pw::kExitConfigError;

bool parseInteger(const QString& text, int64_t min, int64_t& out)
{
    bool ok = false;
    const qlonglong v = text.toLongLong(&ok);
    if (!ok || v < min)
        return false;
    out = v;
    return true;
}

} // namespace

int runBrokerCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Runs the embedded Kafka-protocol broker standalone until SIGTERM or SIGINT."));
    parser.addHelpOption();
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
        QStringLiteral("Log directory (default ./broker-data)."), QStringLiteral("DIR"), QStringLiteral("broker-data"));
    const QCommandLineOption listen(QStringLiteral("listen"),
        QStringLiteral("Listen address (default 127.0.0.1:9092)."), QStringLiteral("HOST:PORT"),
        QStringLiteral("127.0.0.1:9092"));
    const QCommandLineOption partitions(QStringLiteral("partitions"),
        QStringLiteral("Partitions of auto-created topics (default 1)."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption retentionMs(QStringLiteral("retention-ms"),
        QStringLiteral("Delete segments older than this (default 7 days, -1 keeps)."), QStringLiteral("MS"));
    const QCommandLineOption retentionBytes(QStringLiteral("retention-bytes"),
        QStringLiteral("Size limit per partition (default -1: none)."), QStringLiteral("N"));
    const QCommandLineOption segmentBytes(
        QStringLiteral("segment-bytes"), QStringLiteral("Segment file size (default 64 MiB)."), QStringLiteral("N"));
    const QCommandLineOption flushInterval(QStringLiteral("flush-interval-ms"),
        QStringLiteral("fsync period (default -1: leave it to the OS)."), QStringLiteral("MS"));
    const QCommandLineOption noAutoCreate(
        QStringLiteral("no-auto-create"), QStringLiteral("Do not create topics on Metadata requests."));
    const QCommandLineOption maxTopics(QStringLiteral("max-topics"),
        QStringLiteral("Refuse to create topics past this many (default 10000)."), QStringLiteral("N"));
    const QCommandLineOption maxPartitions(QStringLiteral("max-partitions"),
        QStringLiteral("Refuse to create partitions past this many in all (default 20000)."), QStringLiteral("N"));
    const QCommandLineOption maxOpenFiles(QStringLiteral("max-open-files"),
        QStringLiteral("Segment files held open at once (default: half the descriptor limit)."), QStringLiteral("N"));
    parser.addOptions({dataDir, listen, partitions, retentionMs, retentionBytes, segmentBytes, flushInterval,
        noAutoCreate, maxTopics, maxPartitions, maxOpenFiles});
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "pathwatch broker: %s\n", qPrintable(parser.errorText()));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return pw::kExitOk;
    }
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "pathwatch broker: unexpected argument %s\n",
            qPrintable(parser.positionalArguments().constFirst()));
        return kExitUsage;
    }

    BrokerOptions options;
    options.dataDir = parser.value(dataDir).toStdString();
    const QString address = parser.value(listen);
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    int64_t port = -1;
    if (colon <= 0 || !parseInteger(address.mid(colon + 1), 0, port) || port > 65535) {
        std::fprintf(stderr, "pathwatch broker: --listen wants HOST:PORT, got %s\n", qPrintable(address));
        return kExitUsage;
    }
    options.listenHost = address.left(colon).toStdString();
    if (options.listenHost.size() > 2 && options.listenHost.front() == '[' && options.listenHost.back() == ']')
        options.listenHost = options.listenHost.substr(1, options.listenHost.size() - 2);
    options.listenPort = uint16_t(port);
    struct Numeric
    {
        const QCommandLineOption& option;
        int64_t min;
        int64_t* target;
    };
    int64_t partitionCount = options.defaultPartitions;
    int64_t topicCap = options.maxTopics, partitionCap = options.maxPartitions, openFiles = 0;
    const Numeric numerics[] = {
        {maxTopics, 1, &topicCap},
        {maxPartitions, 1, &partitionCap},
        {maxOpenFiles, 0, &openFiles},
        {partitions, 1, &partitionCount},
        {retentionMs, -1, &options.retentionMs},
        {retentionBytes, -1, &options.retentionBytes},
        {segmentBytes, 1024, &options.segmentBytes},
        {flushInterval, -1, &options.flushIntervalMs},
    };
    for (const Numeric& n : numerics) {
        if (parser.isSet(n.option) && !parseInteger(parser.value(n.option), n.min, *n.target)) {
            std::fprintf(stderr, "pathwatch broker: --%s wants an integer >= %lld, got %s\n",
                qPrintable(n.option.names().constFirst()), static_cast<long long>(n.min),
                qPrintable(parser.value(n.option)));
            return kExitUsage;
        }
    }
    options.defaultPartitions = int32_t(std::min<int64_t>(partitionCount, 100000));
    options.autoCreateTopics = !parser.isSet(noAutoCreate);
    options.maxTopics = int32_t(std::min<int64_t>(topicCap, std::numeric_limits<int32_t>::max()));
    options.maxPartitions = int32_t(std::min<int64_t>(partitionCap, std::numeric_limits<int32_t>::max()));
    options.maxOpenFiles = size_t(openFiles);

    // Block the termination signals before the broker's threads exist, so they inherit the mask and this thread
    // alone receives them with sigwait.
    sigset_t termination;
    sigemptyset(&termination);
    sigaddset(&termination, SIGTERM);
    sigaddset(&termination, SIGINT);
    pthread_sigmask(SIG_BLOCK, &termination, nullptr);

    if (auto free = pw::checkListenAddressFree(QString::fromStdString(options.listenHost), options.listenPort); !free) {
        std::fprintf(stderr, "pathwatch broker: %s\n", qPrintable(free.error().toString()));
        return free.error().code == pw::Error::Code::AddressInUse ? pw::kExitAddressInUse : kExitUsage;
    }
    auto broker = Broker::start(options);
    if (!broker) {
        std::fprintf(stderr, "pathwatch broker: %s\n", qPrintable(broker.error().toString()));
        switch (broker.error().code) {
        case pw::Error::Code::Io:
            return pw::kExitDataDir;
        case pw::Error::Code::Config:
            return kExitUsage;
        default:
            return pw::kExitFailed;
        }
    }
    std::printf("%s\nlistening on %s\n", (*broker)->recoverySummary().c_str(), (*broker)->bootstrapServers().c_str());
    std::fflush(stdout);

    int received = 0;
    sigwait(&termination, &received);
    std::fprintf(stderr, "pathwatch broker: %s, shutting down\n", received == SIGTERM ? "SIGTERM" : "SIGINT");
    (*broker)->stop();
    return pw::kExitOk;
}

} // namespace pw::broker
