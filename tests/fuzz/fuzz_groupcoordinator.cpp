// Feeds arbitrary request bodies to every group API and version of the coordinator, and arbitrary bytes to the
// __consumer_offsets key/value decoders. Input: byte 0 picks the API, byte 1 the version, the rest is the body.
// Every request must get exactly one answer (pending joins/syncs are answered at shutdown) and nothing may crash.
#include "broker/consumeroffsetsformat.h"
#include "broker/groupcoordinator.h"
#include "broker/logstore.h"
#include "broker/wire.h"

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>

using namespace pw::broker;

namespace {

struct Fixture
{
    std::filesystem::path dir;
    boost::asio::io_context io;
    std::unique_ptr<LogStore> store;
    std::unique_ptr<GroupCoordinator> coordinator;

    Fixture()
    {
        char name[] = "/tmp/fuzz-groupcoordinator-XXXXXX";
        dir = mkdtemp(name);
        LogOptions options;
        options.dataDir = dir;
        store = std::move(*LogStore::open(options));
        store->createTopic("t", TopicConfig {2, {}, {}, {}});
        coordinator = std::make_unique<GroupCoordinator>(io, *store, GroupCoordinator::Options {});
        (void)coordinator->load();
    }
    ~Fixture()
    {
        coordinator.reset();
        store.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static Fixture fixture;
    const std::span<const uint8_t> input(data, size);
    (void)decodeConsumerOffsetsKey(input);
    (void)decodeOffsetCommitValue(input);
    (void)decodeGroupMetadataValue(input);
    (void)consumerSubscriptionTopics(input);
    if (size < 2)
        return 0;
    static const auto apis = GroupCoordinator::supportedApis();
    const ApiRange& api = apis[data[0] % apis.size()];
    RequestContext ctx;
    ctx.apiKey = api.apiKey;
    ctx.apiVersion = static_cast<int16_t>(api.minVersion + data[1] % (api.maxVersion - api.minVersion + 1));
    ctx.clientId = "fuzz";
    ctx.clientAddress = "127.0.0.1";
    ctx.connectionId = 1;
    WireReader body(input.subspan(2));
    // Shared, because a join left pending is answered later (at the latest when the fixture shuts down).
    auto counter = std::make_shared<int>(0);
    fixture.coordinator->handle(ctx, body, [counter](ResponseBody) { ++*counter; });
    const int answers = *counter;
    // JoinGroup/SyncGroup may legitimately wait; everything else answers at once.
    if (answers > 1
        || (answers == 0 && api.apiKey != int16_t(ApiKey::JoinGroup) && api.apiKey != int16_t(ApiKey::SyncGroup)))
        std::abort();
    return 0;
}
