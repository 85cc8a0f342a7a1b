#pragma once

#include "broker/server.h"
#include "broker/wire.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace boost::asio {
class io_context;
}

namespace pw::broker {

class LogStore;
class ApiVersionTable;

/// The data-plane request handlers (ApiVersions, Metadata, Produce, Fetch, ListOffsets, CreateTopics, DeleteTopics,
/// DeleteRecords, InitProducerId, DescribeConfigs); group APIs go to `groupHandler`. Fetch long-polls wait on
/// per-partition waiters woken by appends and by a timer, so idle consumers cost nothing. Thread-safe: handle() runs
/// concurrently for different connections.
class RequestHandlers
{
public:
    struct Options
    {
        int32_t nodeId = 0;
        std::string advertisedHost = "127.0.0.1";
        int32_t advertisedPort = 9092;
        bool autoCreateTopics = true;
        int32_t defaultPartitions = 1;
        std::string clusterId = "pathwatch-embedded";
        std::map<std::string, std::set<std::string>> deniedTopics; // principal → topics it may not describe or read
    };
    using GroupHandler = std::function<void(const RequestContext&, WireReader&, Respond)>;
    using TopicDeletedHandler = std::function<void(const std::string& topic)>;

    RequestHandlers(boost::asio::io_context& io, LogStore& store, const ApiVersionTable& table, Options options);
    ~RequestHandlers();
    RequestHandlers(const RequestHandlers&) = delete;
    RequestHandlers& operator=(const RequestHandlers&) = delete;

    void setGroupHandler(GroupHandler handler);
    /// Called after DeleteTopics removed a topic (the group coordinator drops the offsets committed on it).
    void setTopicDeletedHandler(TopicDeletedHandler handler);
    void setAdvertisedAddress(std::string host, int32_t port);

    Server::Disposition handle(const RequestContext& ctx, WireReader& body, Respond respond);

    /// Answers every pending Fetch now (used at shutdown).
    void shutdown();

private:
    struct Private;
    std::shared_ptr<Private> d;
};

} // namespace pw::broker
