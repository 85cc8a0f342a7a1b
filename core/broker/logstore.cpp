#include "broker/logstore.h"

#include "broker/segment.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include <sys/resource.h>

namespace pw::broker {

namespace {

constexpr const char* TopicsFile = "topics.json";
constexpr const char* ProducerIdsFile = "producer-ids";
constexpr int64_t ProducerIdBlock = 1000;

QString pathText(const std::filesystem::path& p)
{
    return QString::fromStdString(p.string());
}

// "<topic>-<partition>" → (topic, partition)
std::optional<std::pair<std::string, int32_t>> parsePartitionDir(const std::string& name)
{
    const auto dash = name.rfind('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 >= name.size() || name.size() - dash - 1 > 9)
        return std::nullopt;
    int32_t partition = 0;
    for (size_t i = dash + 1; i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9')
            return std::nullopt;
        partition = partition * 10 + (name[i] - '0');
    }
    std::string topic = name.substr(0, dash);
    if (!LogStore::isValidTopicName(topic))
        return std::nullopt;
    return std::make_pair(std::move(topic), partition);
}

} // namespace

struct LogStore::Private
{
    struct Topic
    {
        TopicConfig config;
        std::vector<std::shared_ptr<PartitionLog>> partitions;
    };

    LogOptions options;
    std::shared_ptr<SegmentFileCache> files;
    mutable std::shared_mutex mutex; // guards topics and partitionTotal
    std::map<std::string, Topic> topics;
    int32_t partitionTotal = 0;

    LogStore::RecoveryStats recovered;

    std::mutex idMutex;
    int64_t nextProducerId = 0;
    int64_t reservedProducerIds = 0; // ids below this are persisted as used

    std::mutex workerMutex;
    std::condition_variable workerWake;
    bool stopping = false;
    std::thread worker;

    PartitionLogConfig partitionConfig(const TopicConfig& topic) const
    {
        PartitionLogConfig c;
        c.segmentBytes = topic.segmentBytes.value_or(options.segmentBytes);
        c.retentionMs = topic.retentionMs.value_or(options.retentionMs);
        c.retentionBytes = topic.retentionBytes.value_or(options.retentionBytes);
        c.flushIntervalMs = options.flushIntervalMs;
        return c;
    }
    std::filesystem::path partitionDir(const std::string& topic, int32_t partition) const
    {
        return options.dataDir / (topic + "-" + std::to_string(partition));
    }
    pw::Result<void> writeTopics() const; // caller holds mutex
    pw::Result<void> writeProducerIds(int64_t reserved) const;
    std::vector<std::shared_ptr<PartitionLog>> allPartitions() const;
    void run();
};

pw::Result<void> LogStore::Private::writeTopics() const
{
    QJsonArray list;
    for (const auto& [name, topic] : topics) {
        QJsonObject o;
        o.insert(QStringLiteral("name"), QString::fromStdString(name));
        o.insert(QStringLiteral("partitions"), topic.config.partitions);
        if (topic.config.retentionMs)
            o.insert(QStringLiteral("retentionMs"), qint64(*topic.config.retentionMs));
        if (topic.config.retentionBytes)
            o.insert(QStringLiteral("retentionBytes"), qint64(*topic.config.retentionBytes));
        if (topic.config.segmentBytes)
            o.insert(QStringLiteral("segmentBytes"), qint64(*topic.config.segmentBytes));
        list.append(o);
    }
    QJsonObject root;
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("topics"), list);
    const QByteArray json = QJsonDocument(root).toJson(QJsonDocument::Indented);
    return fileio::atomicWrite(options.dataDir / TopicsFile,
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(json.constData()), size_t(json.size())), true);
}

pw::Result<void> LogStore::Private::writeProducerIds(int64_t reserved) const
{
    const std::string text = std::to_string(reserved) + "\n";
    return fileio::atomicWrite(options.dataDir / ProducerIdsFile,
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()), true);
}

std::vector<std::shared_ptr<PartitionLog>> LogStore::Private::allPartitions() const
{
    std::shared_lock lock(mutex);
    std::vector<std::shared_ptr<PartitionLog>> out;
    for (const auto& [name, topic] : topics)
        out.insert(out.end(), topic.partitions.begin(), topic.partitions.end());
    return out;
}

void LogStore::Private::run()
{
    using Clock = std::chrono::steady_clock;
    auto nextFlush = Clock::now() + std::chrono::milliseconds(std::max<int64_t>(options.flushIntervalMs, 1));
    auto nextRetention
        = Clock::now() + std::chrono::milliseconds(std::max<int64_t>(options.retentionCheckIntervalMs, 1));
    const bool flushing = options.flushIntervalMs > 0;
    const bool retaining = options.retentionCheckIntervalMs > 0;
    std::unique_lock lock(workerMutex);
    while (!stopping) {
        auto wakeAt = Clock::time_point::max();
        if (flushing)
            wakeAt = std::min(wakeAt, nextFlush);
        if (retaining)
            wakeAt = std::min(wakeAt, nextRetention);
        workerWake.wait_until(lock, wakeAt, [this] { return stopping; });
        if (stopping)
            break;
        const auto now = Clock::now();
        const bool doFlush = flushing && now >= nextFlush;
        const bool doRetention = retaining && now >= nextRetention;
        lock.unlock();
        if (doFlush) {
            for (const auto& p : allPartitions())
                p->flush();
            nextFlush = now + std::chrono::milliseconds(options.flushIntervalMs);
        }
        if (doRetention) {
            const int64_t wall = fileio::wallClockMs();
            for (const auto& p : allPartitions())
                p->enforceRetention(wall);
            nextRetention = now + std::chrono::milliseconds(options.retentionCheckIntervalMs);
        }
        lock.lock();
    }
}

LogStore::LogStore()
    : d(std::make_unique<Private>())
{ }

LogStore::~LogStore()
{
    {
        std::lock_guard lock(d->workerMutex);
        d->stopping = true;
    }
    d->workerWake.notify_all();
    if (d->worker.joinable())
        d->worker.join();
    for (const auto& p : d->allPartitions())
        p->close();
}

pw::Result<std::unique_ptr<LogStore>> LogStore::open(LogOptions options)
{
    if (options.dataDir.empty())
        return pw::fail(pw::Error::Code::Config, QStringLiteral("the broker needs a data directory"));
    std::error_code ec;
    std::filesystem::create_directories(options.dataDir, ec);
    if (ec)
        return pw::fail(pw::Error::Code::Io,
            QStringLiteral("cannot create %1: %2")
                .arg(pathText(options.dataDir), QString::fromStdString(ec.message())));
    // Segment files share a budget of descriptors (SegmentFileCache); raising the soft limit to the hard one, as
    // Kafka's deployment guides ask, lets more of them stay open.
    struct rlimit limit
    {
    };
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    std::unique_ptr<LogStore> store(new LogStore());
    Private& p = *store->d;
    p.options = std::move(options);
    p.files = std::make_shared<SegmentFileCache>(
        p.options.maxOpenSegmentFiles > 0 ? p.options.maxOpenSegmentFiles : SegmentFileCache::defaultMaxOpen());
    const auto& dataDir = p.options.dataDir;

    // Topics from the metadata file, then any partition directories it does not know (a crash between creating
    // the directories and writing the file), so no data is ever hidden.
    bool metadataChanged = false;
    if (auto bytes = fileio::readFile(dataDir / TopicsFile, 64u << 20)) {
        const auto doc = QJsonDocument::fromJson(
            QByteArray(reinterpret_cast<const char*>(bytes->data()), qsizetype(bytes->size())));
        if (!doc.isObject()) {
            qCWarning(lcBrokerStorage).noquote()
                << QStringLiteral("%1 is damaged; topics are rebuilt from the partition directories")
                       .arg(pathText(dataDir / TopicsFile));
            metadataChanged = true;
        }
        for (const auto& v : doc.object().value(QStringLiteral("topics")).toArray()) {
            const QJsonObject o = v.toObject();
            const std::string name = o.value(QStringLiteral("name")).toString().toStdString();
            const int partitions = o.value(QStringLiteral("partitions")).toInt(0);
            if (!isValidTopicName(name) || partitions <= 0)
                continue;
            TopicConfig c;
            c.partitions = partitions;
            if (o.contains(QStringLiteral("retentionMs")))
                c.retentionMs = o.value(QStringLiteral("retentionMs")).toInteger();
            if (o.contains(QStringLiteral("retentionBytes")))
                c.retentionBytes = o.value(QStringLiteral("retentionBytes")).toInteger();
            if (o.contains(QStringLiteral("segmentBytes")))
                c.segmentBytes = o.value(QStringLiteral("segmentBytes")).toInteger();
            p.topics[name].config = c;
        }
    }
    for (const auto& entry : std::filesystem::directory_iterator(dataDir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory(ec) && name.ends_with("-delete")) {
            std::filesystem::remove_all(entry.path(), ec); // a topic deletion that was interrupted
            continue;
        }
        if (!entry.is_directory(ec)) {
            if (name.ends_with(".tmp"))
                std::filesystem::remove(entry.path(), ec);
            continue;
        }
        const auto parsed = parsePartitionDir(name);
        if (!parsed)
            continue;
        auto [it, inserted] = p.topics.try_emplace(parsed->first);
        if (inserted) {
            it->second.config.partitions = 0;
            qCWarning(lcBrokerStorage).noquote()
                << QStringLiteral("topic %1 found on disk but not in %2; restoring it")
                       .arg(QString::fromStdString(parsed->first), QString::fromLatin1(TopicsFile));
        }
        if (parsed->second >= it->second.config.partitions) {
            it->second.config.partitions = parsed->second + 1;
            metadataChanged = true;
        }
    }
    for (auto& [name, topic] : p.topics) {
        for (int32_t i = 0; i < topic.config.partitions; ++i) {
            auto log = PartitionLog::open(p.partitionDir(name, i), p.partitionConfig(topic.config), p.files);
            if (!log)
                return std::unexpected(log.error());
            ++p.partitionTotal;
            const auto stats = (*log)->recoveryStats();
            ++p.recovered.partitions;
            p.recovered.segments += stats.segments;
            p.recovered.bytesTruncated += stats.bytesTruncated;
            topic.partitions.push_back(std::move(*log));
        }
    }
    if (metadataChanged) {
        if (auto r = p.writeTopics(); !r)
            return std::unexpected(r.error());
    }

    // Producer ids: continue after the persisted reservation, and after any id the logs have seen.
    int64_t next = 0;
    if (auto bytes = fileio::readFile(dataDir / ProducerIdsFile, 64)) {
        const std::string text(bytes->begin(), bytes->end());
        try {
            next = std::max<int64_t>(0, std::stoll(text));
        } catch (...) {
            qCWarning(lcBrokerStorage).noquote()
                << QStringLiteral("%1 is damaged").arg(pathText(dataDir / ProducerIdsFile));
        }
    }
    for (const auto& log : p.allPartitions())
        next = std::max(next, log->largestProducerId() + 1);
    p.nextProducerId = next;
    p.reservedProducerIds = next;

    if (p.options.flushIntervalMs > 0 || p.options.retentionCheckIntervalMs > 0)
        p.worker = std::thread([&p] { p.run(); });
    return store;
}

KafkaError LogStore::createTopic(const std::string& name, TopicConfig config, std::string* message)
{
    auto refuse = [message](KafkaError e, std::string text) {
        if (message)
            *message = std::move(text);
        return e;
    };
    if (!isValidTopicName(name))
        return refuse(KafkaError::InvalidTopicException, "invalid topic name");
    if (config.partitions == -1)
        config.partitions = d->options.defaultPartitions;
    if (config.partitions <= 0)
        return refuse(KafkaError::InvalidPartitions, "the number of partitions must be positive");
    if (config.partitions > d->options.maxPartitions)
        return refuse(KafkaError::InvalidPartitions,
            "a topic cannot have more partitions than the broker holds (" + std::to_string(d->options.maxPartitions)
                + ")");
    if ((config.retentionMs && *config.retentionMs < -1) || (config.retentionBytes && *config.retentionBytes < -1)
        || (config.segmentBytes && *config.segmentBytes < 14))
        return refuse(KafkaError::InvalidConfig, "retention must be -1 or more, segment.bytes at least 14");
    std::unique_lock lock(d->mutex);
    if (d->topics.contains(name))
        return refuse(KafkaError::TopicAlreadyExists, "topic '" + name + "' already exists");
    if (int64_t(d->topics.size()) >= d->options.maxTopics)
        return refuse(KafkaError::PolicyViolation,
            "this broker holds at most " + std::to_string(d->options.maxTopics) + " topics (max topics reached)");
    if (int64_t(d->partitionTotal) + config.partitions > d->options.maxPartitions)
        return refuse(KafkaError::PolicyViolation,
            "this broker holds at most " + std::to_string(d->options.maxPartitions) + " partitions; "
                + std::to_string(d->partitionTotal) + " exist and " + std::to_string(config.partitions)
                + " more were asked for");
    Private::Topic topic;
    topic.config = config;
    for (int32_t i = 0; i < config.partitions; ++i) {
        const auto dir = d->partitionDir(name, i);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec); // leftovers of an unregistered topic cannot exist: open() adopts them
        auto log = PartitionLog::open(dir, d->partitionConfig(config), d->files);
        if (!log) {
            qCWarning(lcBrokerStorage).noquote() << log.error().message;
            for (auto& created : topic.partitions) {
                created->close();
                std::filesystem::remove_all(created->directory(), ec);
            }
            std::filesystem::remove_all(dir, ec);
            return refuse(KafkaError::KafkaStorageError, log.error().message.toStdString());
        }
        topic.partitions.push_back(std::move(*log));
    }
    d->partitionTotal += config.partitions;
    d->topics.emplace(name, std::move(topic));
    if (auto r = d->writeTopics(); !r)
        qCWarning(lcBrokerStorage).noquote() << r.error().message; // the directories still bring it back
    return KafkaError::None;
}

KafkaError LogStore::addPartitions(const std::string& name, int32_t total)
{
    std::unique_lock lock(d->mutex);
    auto it = d->topics.find(name);
    if (it == d->topics.end())
        return KafkaError::UnknownTopicOrPartition;
    Private::Topic& topic = it->second;
    const auto current = int32_t(topic.partitions.size());
    if (total <= current || total > 100000)
        return KafkaError::InvalidPartitions;
    std::vector<std::shared_ptr<PartitionLog>> added;
    for (int32_t i = current; i < total; ++i) {
        const auto dir = d->partitionDir(name, i);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        auto log = PartitionLog::open(dir, d->partitionConfig(topic.config));
        if (!log) {
            qCWarning(lcBrokerStorage).noquote() << log.error().message;
            for (auto& created : added) {
                created->close();
                std::filesystem::remove_all(created->directory(), ec);
            }
            return KafkaError::UnknownServerError;
        }
        added.push_back(std::move(*log));
    }
    for (auto& log : added)
        topic.partitions.push_back(std::move(log));
    topic.config.partitions = total;
    if (auto r = d->writeTopics(); !r)
        qCWarning(lcBrokerStorage).noquote() << r.error().message; // the directories still bring them back
    return KafkaError::None;
}

KafkaError LogStore::deleteTopic(const std::string& name)
{
    std::unique_lock lock(d->mutex);
    auto it = d->topics.find(name);
    if (it == d->topics.end())
        return KafkaError::UnknownTopicOrPartition;
    auto partitions = std::move(it->second.partitions);
    d->partitionTotal -= int32_t(partitions.size());
    d->topics.erase(it);
    // Mark the directories first (rename is atomic), so a crash before the metadata is written cannot resurrect
    // the topic; open() finishes the removal.
    std::vector<std::filesystem::path> doomed;
    for (const auto& log : partitions) {
        log->close();
        std::filesystem::path dir = log->directory();
        std::filesystem::path marked = dir;
        marked += "-delete";
        std::error_code ec;
        std::filesystem::remove_all(marked, ec);
        std::filesystem::rename(dir, marked, ec);
        doomed.push_back(ec ? dir : marked);
    }
    fileio::syncDirectory(d->options.dataDir);
    if (auto r = d->writeTopics(); !r)
        qCWarning(lcBrokerStorage).noquote() << r.error().message;
    for (const auto& dir : doomed) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    return KafkaError::None;
}

std::vector<LogStore::TopicInfo> LogStore::topics() const
{
    std::shared_lock lock(d->mutex);
    std::vector<TopicInfo> out;
    out.reserve(d->topics.size());
    for (const auto& [name, topic] : d->topics)
        out.push_back({name, int32_t(topic.partitions.size()), name.starts_with("__")});
    return out;
}

int32_t LogStore::partitionCount() const
{
    std::shared_lock lock(d->mutex);
    return d->partitionTotal;
}

size_t LogStore::openSegmentFiles() const
{
    return d->files->openCount();
}

bool LogStore::hasTopic(const std::string& name) const
{
    std::shared_lock lock(d->mutex);
    return d->topics.contains(name);
}

std::optional<TopicConfig> LogStore::topicConfig(const std::string& name) const
{
    std::shared_lock lock(d->mutex);
    auto it = d->topics.find(name);
    if (it == d->topics.end())
        return std::nullopt;
    return it->second.config;
}

std::shared_ptr<PartitionLog> LogStore::partition(const std::string& topic, int32_t partition) const
{
    std::shared_lock lock(d->mutex);
    auto it = d->topics.find(topic);
    if (it == d->topics.end() || partition < 0 || size_t(partition) >= it->second.partitions.size())
        return nullptr;
    return it->second.partitions[size_t(partition)];
}

int64_t LogStore::allocateProducerId()
{
    std::lock_guard lock(d->idMutex);
    if (d->nextProducerId >= d->reservedProducerIds) {
        // Persist a block at a time: one fsync per thousand producers, and a restart skips the rest of the block.
        const int64_t reserved = d->nextProducerId + ProducerIdBlock;
        if (auto r = d->writeProducerIds(reserved); !r) {
            qCWarning(lcBrokerStorage).noquote() << r.error().message;
            return -1;
        }
        d->reservedProducerIds = reserved;
    }
    return d->nextProducerId++;
}

void LogStore::enforceRetention()
{
    const int64_t now = fileio::wallClockMs();
    for (const auto& p : d->allPartitions())
        p->enforceRetention(now);
}

void LogStore::flushAll()
{
    for (const auto& p : d->allPartitions())
        p->flush();
}

LogStore::RecoveryStats LogStore::recoveryStats() const
{
    return d->recovered;
}

const LogOptions& LogStore::options() const
{
    return d->options;
}

bool LogStore::isValidTopicName(const std::string& name)
{
    if (name.empty() || name.size() > 249 || name == "." || name == "..")
        return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
            || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace pw::broker
