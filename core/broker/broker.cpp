#include "broker/broker.h"

#include "broker/apiversions.h"
#include "broker/handlers.h"
#include "broker/logstore.h"
#include "broker/server.h"
#if PATHWATCH_BROKER_GROUPS
#include "broker/groupcoordinator.h"
#endif

#include <boost/asio.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <thread>

namespace pw::broker {

namespace asio = boost::asio;

struct Broker::Private
{
    // flock on `.lock` in the data dir for the broker's lifetime: two brokers appending to one log would corrupt it.
    int lockFd = -1;
    ~Private()
    {
        if (lockFd >= 0)
            ::close(lockFd);
    }
    BrokerOptions options;
    std::unique_ptr<LogStore> store;
    ApiVersionTable table;
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
#if PATHWATCH_BROKER_GROUPS
    std::unique_ptr<GroupCoordinator> groups;
#endif
    std::unique_ptr<RequestHandlers> handlers;
    std::unique_ptr<Server> server;
    std::unique_ptr<asio::steady_timer> retentionTimer;
    std::mutex stopMutex;
    bool stopped = false;

    void scheduleRetention()
    {
        retentionTimer->expires_after(
            std::chrono::milliseconds(std::max<int64_t>(options.retentionCheckIntervalMs, 10)));
        retentionTimer->async_wait([this](const boost::system::error_code& ec) {
            if (ec)
                return;
            store->enforceRetention();
            scheduleRetention();
        });
    }
};

Broker::Broker()
    : d(std::make_unique<Private>())
{ }

Broker::~Broker()
{
    stop();
}

pw::Result<std::unique_ptr<Broker>> Broker::start(BrokerOptions options)
{
    if (options.dataDir.empty())
        return pw::fail(pw::Error::Code::Config, QStringLiteral("the broker needs a data directory"));
    std::unique_ptr<Broker> broker(new Broker);
    Private* d = broker->d.get();
    d->options = options;
    {
        std::error_code ec;
        std::filesystem::create_directories(options.dataDir, ec);
        const std::string lockPath = (std::filesystem::path(options.dataDir) / ".lock").string();
        d->lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (d->lockFd < 0)
            return pw::fail(pw::Error::Code::Io,
                QStringLiteral("cannot use the broker data dir %1: %2")
                    .arg(QString::fromStdString(options.dataDir.string()),
                        QString::fromLocal8Bit(std::strerror(errno))));
        if (::flock(d->lockFd, LOCK_EX | LOCK_NB) != 0)
            return pw::fail(pw::Error::Code::Io,
                QStringLiteral("the broker data dir %1 is in use by another broker; stop it or use another --data-dir")
                    .arg(QString::fromStdString(options.dataDir.string())));
    }

    LogOptions logOptions;
    logOptions.dataDir = options.dataDir;
    logOptions.segmentBytes = options.segmentBytes;
    logOptions.retentionMs = options.retentionMs;
    logOptions.retentionBytes = options.retentionBytes;
    logOptions.flushIntervalMs = options.flushIntervalMs;
    logOptions.defaultPartitions = options.defaultPartitions;
    logOptions.maxTopics = options.maxTopics;
    logOptions.maxPartitions = options.maxPartitions;
    logOptions.maxOpenSegmentFiles = options.maxOpenFiles;
    auto store = LogStore::open(logOptions);
    if (!store)
        return std::unexpected(store.error());
    d->store = std::move(*store);

    RequestHandlers::Options handlerOptions;
    handlerOptions.advertisedHost = options.listenHost;
    handlerOptions.advertisedPort = options.listenPort;
    handlerOptions.autoCreateTopics = options.autoCreateTopics;
    handlerOptions.defaultPartitions = options.defaultPartitions;
    handlerOptions.deniedTopics = options.deniedTopics;

#if PATHWATCH_BROKER_GROUPS
    d->table.merge(GroupCoordinator::supportedApis());
    GroupCoordinator::Options groupOptions;
    groupOptions.host = options.listenHost;
    groupOptions.port = options.listenPort;
    d->groups = std::make_unique<GroupCoordinator>(d->io, *d->store, groupOptions);
    if (auto loaded = d->groups->load(); !loaded)
        return std::unexpected(loaded.error());
#endif
    d->handlers = std::make_unique<RequestHandlers>(d->io, *d->store, d->table, handlerOptions);
#if PATHWATCH_BROKER_GROUPS
    d->handlers->setGroupHandler([g = d->groups.get()](const RequestContext& ctx, WireReader& body, Respond respond) {
        g->handle(ctx, body, std::move(respond));
    });
    d->handlers->setTopicDeletedHandler([g = d->groups.get()](const std::string& topic) { g->topicDeleted(topic); });
#endif

    Server::Options serverOptions;
    serverOptions.host = options.listenHost;
    serverOptions.port = options.listenPort;
    serverOptions.maxFrameBytes = options.maxFrameBytes;
    serverOptions.saslPlainUsers = options.saslPlainUsers;
    if (!options.saslPlainUsers.empty())
        d->table.merge({{int16_t(ApiKey::SaslHandshake), 0, 1}, {int16_t(ApiKey::SaslAuthenticate), 0, 1}});
    d->server = std::make_unique<Server>(
        d->io, serverOptions, d->table,
        [h = d->handlers.get()](const RequestContext& ctx, WireReader& body, Respond respond) {
            return h->handle(ctx, body, std::move(respond));
        },
        [d](uint64_t connectionId) {
#if PATHWATCH_BROKER_GROUPS
            d->groups->connectionClosed(connectionId);
#else
            (void)d;
            (void)connectionId;
#endif
        });
    if (auto listening = d->server->listen(); !listening)
        return std::unexpected(listening.error());
    // Clients connect to what Metadata and FindCoordinator name: the listen address unless one is advertised (a
    // relay or a NAT in between).
    const std::string advertisedHost = options.advertisedHost.empty() ? options.listenHost : options.advertisedHost;
    const uint16_t advertisedPort = options.advertisedPort != 0 ? options.advertisedPort : d->server->port();
    d->handlers->setAdvertisedAddress(advertisedHost, advertisedPort);
#if PATHWATCH_BROKER_GROUPS
    d->groups->setAdvertisedAddress(advertisedHost, advertisedPort);
#endif

    d->retentionTimer = std::make_unique<asio::steady_timer>(d->io);
    d->scheduleRetention();
    d->work.emplace(d->io.get_executor());
    int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
    threads = std::max(threads, 2);
    for (int i = 0; i < threads; ++i)
        d->threads.emplace_back([d] {
            pthread_setname_np(pthread_self(), "pw-broker"); // tells them apart in top and perf
            d->io.run();
        });
    return broker;
}

uint16_t Broker::port() const
{
    return d->server ? d->server->port() : 0;
}

uint64_t Broker::requestCount() const
{
    return d->server ? d->server->requestCount() : 0;
}

const std::string& Broker::host() const
{
    return d->options.listenHost;
}

std::string Broker::recoverySummary() const
{
    const auto stats = d->store->recoveryStats();
    std::string text = "recovered " + std::to_string(stats.partitions) + " partition"
        + (stats.partitions == 1 ? "" : "s") + " (" + std::to_string(stats.segments) + " segment"
        + (stats.segments == 1 ? "" : "s") + " checked, " + std::to_string(stats.bytesTruncated)
        + " bytes of torn tail truncated)";
#if PATHWATCH_BROKER_GROUPS
    const auto [groups, records] = d->groups->loadedGroupsAndRecords();
    text += ", " + std::to_string(groups) + " group" + (groups == 1 ? "" : "s") + " from " + std::to_string(records)
        + " records of __consumer_offsets";
#endif
    return text;
}

std::string Broker::bootstrapServers() const
{
    return d->options.listenHost + ":" + std::to_string(port());
}

void Broker::stop()
{
    std::lock_guard lock(d->stopMutex);
    if (d->stopped)
        return;
    d->stopped = true;
    if (d->server)
        d->server->stop();
    if (d->handlers)
        d->handlers->shutdown();
#if PATHWATCH_BROKER_GROUPS
    if (d->groups)
        d->groups->shutdown();
#endif
    if (d->retentionTimer)
        asio::post(d->io, [t = d->retentionTimer.get()] { t->cancel(); });
    d->work.reset();
    // Let the posted closes and final answers run briefly, then stop whatever still waits (timers, reads).
    if (!d->threads.empty()) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
        while (d->server && d->server->connectionCount() > 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    d->io.stop();
    for (auto& t : d->threads)
        t.join();
    d->threads.clear();
    if (d->store)
        d->store->flushAll();
    // The log is flushed: another broker (a restart in this process, too) may take the dir now.
    if (d->lockFd >= 0) {
        ::close(d->lockFd);
        d->lockFd = -1;
    }
}

} // namespace pw::broker
