// Fuzz target: arbitrary bytes as the files of one partition (segment log, optionally its offset and time index,
// optionally as a closed segment followed by an empty active one). Opens the LogStore over them, reads
// everything back, looks up a timestamp and appends; recovery must never crash, and what it keeps must be a
// readable log on which producing continues at the log end.
//
// Input layout: byte 0 = flags (bit 0: an offset index follows, bit 1: a time index follows, bit 2: the log is a
// closed segment); for each index present a 2-byte big-endian length and that many bytes; the rest is the log.
#include "broker/logstore.h"
#include "broker/recordbatch.h"

#include <QLoggingCategory>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace pw::broker;
namespace fs = std::filesystem;

namespace {

const fs::path& workDir()
{
    static const fs::path dir = [] {
        QLoggingCategory::setFilterRules(QStringLiteral("pathwatch.broker=false"));
        fs::path d = fs::temp_directory_path() / ("pw-fuzz-segment-" + std::to_string(::getpid()));
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(fs::temp_directory_path() / ("pw-fuzz-segment-" + std::to_string(::getpid())), ec);
        });
        return d;
    }();
    return dir;
}

void writeFile(const fs::path& p, const uint8_t* data, size_t size)
{
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

[[noreturn]] void fail(const char* what)
{
    std::fprintf(stderr, "broker_segment_recovery: %s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const fs::path& root = workDir();
    std::error_code ec;
    fs::remove_all(root, ec);
    const fs::path partitionDir = root / "t-0";
    fs::create_directories(partitionDir);

    size_t pos = 0;
    const uint8_t flags = size > 0 ? data[pos++] : 0;
    auto takeSection = [&](const char* name) {
        if (pos + 2 > size)
            return;
        size_t len = (size_t(data[pos]) << 8) | data[pos + 1];
        pos += 2;
        len = std::min(len, size - pos);
        writeFile(partitionDir / (std::string("00000000000000000000") + name), data + pos, len);
        pos += len;
    };
    if (flags & 1)
        takeSection(".index");
    if (flags & 2)
        takeSection(".timeindex");
    writeFile(partitionDir / "00000000000000000000.log", data + pos, size - pos);
    if (flags & 4) {
        // An empty active segment after it: the input becomes a closed segment checked through its indexes.
        writeFile(partitionDir / "00000000000000100000.log", nullptr, 0);
    }

    // Registered up front: adopting an unknown directory would rewrite (and fsync) topics.json on every input.
    const std::string topics = R"({"version":1,"topics":[{"name":"t","partitions":1}]})";
    writeFile(root / "topics.json", reinterpret_cast<const uint8_t*>(topics.data()), topics.size());

    LogOptions options;
    options.dataDir = root;
    options.retentionCheckIntervalMs = -1;
    auto store = LogStore::open(options);
    if (!store)
        return 0;
    auto log = (*store)->partition("t", 0);
    if (!log)
        fail("the partition directory was not adopted");
    const int64_t start = log->logStartOffset();
    const int64_t end = log->logEndOffset();
    if (start > end)
        fail("log start beyond log end");

    int64_t next = start;
    for (int guard = 0; guard < 10000 && next < end; ++guard) {
        const auto r = log->read(next, 64 * 1024);
        if (r.error != KafkaError::None || r.records.empty())
            break; // a damaged closed segment may leave a gap that reads cannot cross; never a crash
        int64_t last = -1;
        size_t at = 0;
        while (at + batchlayout::HeaderSize <= r.records.size()) {
            auto v = parseRecordBatchHeader(std::span<const uint8_t>(r.records).subspan(at));
            if (!v)
                fail("read returned something that is not a whole batch");
            (void)decodeRecords(std::span<const uint8_t>(r.records).subspan(at));
            last = v->lastOffset();
            at += v->totalSize();
        }
        if (at != r.records.size() || last < next)
            fail("read returned a partial batch or no progress");
        next = last + 1;
    }
    (void)log->offsetForTimestamp(0);
    (void)log->offsetForTimestamp(int64_t(1) << 40);

    SimpleRecord record;
    record.value = std::vector<uint8_t> {'x'};
    record.timestampMs = 1;
    // Not idempotent: a fuzzed log may hold a batch of any producer id with sequence 0, and the same producer's
    // sequence 0 again is rightly answered as a duplicate at its original offset.
    auto batch = buildRecordBatch({record}, 0);
    const auto appended = log->append(batch);
    if (appended.error != KafkaError::None || appended.baseOffset != end)
        fail("append after recovery did not continue at the log end");
    const auto back = log->read(end, 1024);
    const auto view = parseRecordBatch(back.records);
    if (!view || view->baseOffset != end)
        fail("the appended batch cannot be read back");
    return 0;
}
