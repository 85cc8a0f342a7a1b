#pragma once

#include "model/error.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace pw::broker {

/// Settings of an embedded broker. Plain value type.
struct BrokerOptions
{
    std::filesystem::path dataDir; // required
    std::string listenHost = "127.0.0.1";
    uint16_t listenPort = 9092; // 0: ephemeral, see Broker::port()
    std::string advertisedHost; // empty: listenHost
    uint16_t advertisedPort = 0; // 0: the port it listens on
    int32_t defaultPartitions = 1;
    bool autoCreateTopics = true;
    int64_t retentionMs = 7LL * 24 * 3600 * 1000;
    int64_t retentionBytes = -1;
    int64_t segmentBytes = 64LL << 20;
    int64_t flushIntervalMs = -1; // -1: leave flushing to the OS
    int64_t retentionCheckIntervalMs = 60000;
    size_t maxFrameBytes = 100u << 20;
    int32_t maxTopics = 10000; // creating past these caps is refused with POLICY_VIOLATION
    int32_t maxPartitions = 20000;
    size_t maxOpenFiles = 0; // segment files held open at once; 0: half of RLIMIT_NOFILE
    int threads = 0; // 0: one per hardware thread, at least 2
    // SASL/PLAIN users (name → password); empty: no authentication.
    std::map<std::string, std::string> saslPlainUsers;
    // Topics a principal ("User:NAME", or "ANONYMOUS") may not describe or read, answered
    // TOPIC_AUTHORIZATION_FAILED as a Kafka ACL denying Describe and Read would: clients without access to e.g.
    // __consumer_offsets can be rehearsed.
    std::map<std::string, std::set<std::string>> deniedTopics;
};

/// A single-node Kafka-protocol broker on disk, running on its own thread pool: the library that embedded mode
/// starts in-process and that `pathwatch broker` runs standalone. Thread-safe; stop() (or the destructor) ends it.
class Broker
{
public:
    static pw::Result<std::unique_ptr<Broker>> start(BrokerOptions options);
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    uint16_t port() const;
    const std::string& host() const;
    /// "host:port" for client configuration.
    std::string bootstrapServers() const;
    /// What start-up recovered: "recovered 4 partitions (4 segments checked, 0 bytes truncated), 1 group from
    /// 240 records of __consumer_offsets".
    std::string recoverySummary() const;
    /// Requests received since start (all clients and APIs): what a client's work costs the broker.
    uint64_t requestCount() const;
    /// Closes the listener and every connection, flushes the logs and joins the threads. Idempotent.
    void stop();

private:
    Broker();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pw::broker
