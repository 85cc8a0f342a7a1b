#include "broker/partitionlog.h"

namespace pw::broker {

struct PartitionLog::Private
{
    std::filesystem::path dir;
    PartitionLogConfig config;
};

PartitionLog::PartitionLog()
    : d(std::make_unique<Private>())
{ }

PartitionLog::~PartitionLog() = default;

pw::Result<std::shared_ptr<PartitionLog>> PartitionLog::open(std::filesystem::path dir, PartitionLogConfig config)
{
    std::shared_ptr<PartitionLog> log(new PartitionLog());
    log->d->dir = std::move(dir);
    log->d->config = config;
    return log;
}

AppendResult PartitionLog::append(std::span<uint8_t>)
{
    AppendResult r;
    r.error = KafkaError::UnknownServerError;
    r.errorMessage = "not implemented";
    return r;
}

ReadResult PartitionLog::read(int64_t, int32_t) const
{
    return {};
}
int64_t PartitionLog::logStartOffset() const
{
    return 0;
}
int64_t PartitionLog::logEndOffset() const
{
    return 0;
}
std::optional<std::pair<int64_t, int64_t>> PartitionLog::offsetForTimestamp(int64_t) const
{
    return std::nullopt;
}
KafkaError PartitionLog::deleteRecordsBefore(int64_t)
{
    return KafkaError::UnknownServerError;
}
void PartitionLog::flush() { }
int PartitionLog::enforceRetention(int64_t)
{
    return 0;
}
void PartitionLog::setConfig(const PartitionLogConfig& config)
{
    d->config = config;
}
PartitionLogConfig PartitionLog::config() const
{
    return d->config;
}
std::filesystem::path PartitionLog::directory() const
{
    return d->dir;
}
int PartitionLog::segmentCount() const
{
    return 0;
}
int64_t PartitionLog::sizeInBytes() const
{
    return 0;
}
void PartitionLog::close() { }

} // namespace pw::broker
