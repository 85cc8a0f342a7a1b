// Feeds arbitrary frames (request header + body, without the size prefix) through the broker's request header
// decoder and the data-plane handlers (ApiVersions, Metadata, Produce, Fetch, ListOffsets, CreateTopics, DeleteTopics,
// DeleteRecords, InitProducerId, DescribeConfigs). A malformed body must be reported (the server then closes the
// connection), never crash; an accepted request is answered exactly once (a long-polling Fetch may answer later).
//
// UBSan "invalid vptr" reports (in QDebug's QTextStream, in shared_ptr control blocks) appear only when the process
// has run out of descriptors: the sanitizer tests whether it may read the object through a pipe(2), and without a free
// descriptor it takes any object for unreadable. They came from "Too many open files" and are neither our code's nor
// Qt's; the open-file budget below keeps the fuzzer far from the limit, so no suppression is needed.
#include "broker/apiversions.h"
#include "broker/handlers.h"
#include "broker/logstore.h"
#include "broker/requestheader.h"
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
    ApiVersionTable table;
    std::unique_ptr<RequestHandlers> handlers;

    Fixture()
    {
        char name[] = "/tmp/fuzz-requestdecoder-XXXXXX";
        dir = mkdtemp(name);
        LogOptions options;
        options.dataDir = dir;
        options.segmentBytes = 1 << 20;
        // Low caps so CreateTopics inputs reach the refusals, and a small file budget so eviction runs too.
        options.maxTopics = 64;
        options.maxPartitions = 256;
        options.maxOpenSegmentFiles = 32;
        store = std::move(*LogStore::open(options));
        store->createTopic("t", TopicConfig {2, {}, {}, {}});
        RequestHandlers::Options o;
        o.autoCreateTopics = false; // keep the directory small: arbitrary names would each become a topic
        handlers = std::make_unique<RequestHandlers>(io, *store, table, o);
    }
    ~Fixture()
    {
        handlers->shutdown();
        io.poll();
        handlers.reset();
        store.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static Fixture fixture;
    WireReader r(std::span<const uint8_t>(data, size));
    auto header = RequestHeader::parse(r, &ApiVersionTable::isFlexible);
    if (!header || !fixture.table.supports(header->apiKey, header->apiVersion))
        return 0;
    RequestContext ctx;
    ctx.apiKey = header->apiKey;
    ctx.apiVersion = header->apiVersion;
    ctx.correlationId = header->correlationId;
    ctx.clientId = header->clientId;
    ctx.clientAddress = "127.0.0.1:1";
    ctx.connectionId = 1;
    ctx.flexible = header->flexible;
    // Produce rewrites base offsets in the frame, as the server's own buffer allows.
    std::vector<uint8_t> frame(data, data + size);
    WireReader body(std::span<const uint8_t>(frame).subspan(r.position()));
    auto answers = std::make_shared<int>(0);
    const auto d = fixture.handlers->handle(ctx, body, [answers](pw::broker::ResponseBody) { ++*answers; });
    fixture.io.poll(); // long-poll fetches register a waiter; run whatever is ready
    fixture.io.restart();
    if (*answers > 1)
        std::abort();
    if (d == pw::broker::Server::Disposition::Close && *answers != 0)
        std::abort();
    if (d == pw::broker::Server::Disposition::Responding && *answers == 0 && ctx.apiKey != int16_t(ApiKey::Fetch))
        std::abort();
    return 0;
}
