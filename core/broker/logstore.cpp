#include "broker/logstore.h"

namespace pw::broker {

struct LogStore::Private
{
    LogOptions options;
};

LogStore::LogStore()
    : d(std::make_unique<Private>())
{ }

LogStore::~LogStore() = default;

pw::Result<std::unique_ptr<LogStore>> LogStore::open(LogOptions options)
{
    std::unique_ptr<LogStore> store(new LogStore());
    store->d->options = std::move(options);
    return store;
}

KafkaError LogStore::createTopic(const std::string&, TopicConfig)
{
    return KafkaError::UnknownServerError;
}
KafkaError LogStore::deleteTopic(const std::string&)
{
    return KafkaError::UnknownTopicOrPartition;
}
std::vector<LogStore::TopicInfo> LogStore::topics() const
{
    return {};
}
bool LogStore::hasTopic(const std::string&) const
{
    return false;
}
std::optional<TopicConfig> LogStore::topicConfig(const std::string&) const
{
    return std::nullopt;
}
std::shared_ptr<PartitionLog> LogStore::partition(const std::string&, int32_t) const
{
    return nullptr;
}
int64_t LogStore::allocateProducerId()
{
    return 0;
}
void LogStore::enforceRetention() { }
void LogStore::flushAll() { }
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
