// Writes the seed corpus of the broker_segment_recovery fuzz target (run once; the output is checked in):
//   g++ -std=c++23 -O1 -I core tests/fuzz/gensegmentcorpus.cpp core/broker/recordbatch.cpp core/broker/crc32c.cpp \
//       -o /tmp/gensegmentcorpus && /tmp/gensegmentcorpus tests/fuzz/corpus/broker_segment_recovery
// Input layout is described in broker_segment_recovery.cpp.
#include "broker/crc32c.h"
#include "broker/recordbatch.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace pw::broker;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes batch(int64_t base, int records, int64_t ts, int64_t pid = -1, int32_t seq = -1, size_t valueSize = 8)
{
    std::vector<SimpleRecord> rs;
    for (int i = 0; i < records; ++i) {
        SimpleRecord r;
        r.key = Bytes {'k', uint8_t('0' + i % 10)};
        r.value = Bytes(valueSize, uint8_t('a' + i % 26));
        r.timestampMs = ts + i;
        if (i == 0)
            r.headers.emplace_back("h", Bytes {'1'});
        rs.push_back(std::move(r));
    }
    return buildRecordBatch(rs, base, pid, pid >= 0 ? 0 : -1, seq);
}

void put32(Bytes& out, uint32_t v)
{
    for (int i = 3; i >= 0; --i)
        out.push_back(uint8_t(v >> (8 * i)));
}
void put64(Bytes& out, uint64_t v)
{
    put32(out, uint32_t(v >> 32));
    put32(out, uint32_t(v));
}

struct Segment
{
    Bytes log, index, timeIndex;
};

// Batches at consecutive offsets, with an index entry for every `every`-th batch after the first.
Segment segment(int batches, int recordsEach, int every, int64_t pid = -1)
{
    Segment s;
    int64_t offset = 0;
    for (int i = 0; i < batches; ++i) {
        if (every > 0 && i > 0 && i % every == 0) {
            put32(s.index, uint32_t(offset));
            put32(s.index, uint32_t(s.log.size()));
            put64(s.timeIndex, uint64_t(1000 + 100 * i));
            put32(s.timeIndex, uint32_t(offset));
        }
        const auto b = batch(offset, recordsEach, 1000 + 100 * i, pid, pid >= 0 ? int32_t(offset) : -1);
        s.log.insert(s.log.end(), b.begin(), b.end());
        offset += recordsEach;
    }
    return s;
}

Bytes input(uint8_t flags, const Segment& s)
{
    Bytes out {flags};
    auto section = [&out](const Bytes& b) {
        out.push_back(uint8_t(b.size() >> 8));
        out.push_back(uint8_t(b.size()));
        out.insert(out.end(), b.begin(), b.end());
    };
    if (flags & 1)
        section(s.index);
    if (flags & 2)
        section(s.timeIndex);
    out.insert(out.end(), s.log.begin(), s.log.end());
    return out;
}

void write(const std::string& dir, const std::string& name, const Bytes& b)
{
    std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    std::printf("%s: %zu bytes\n", name.c_str(), b.size());
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const auto plain = segment(5, 2, 0);
    write(dir, "plain", input(0, plain));
    write(dir, "indexed", input(3, segment(8, 3, 2)));
    write(dir, "idempotent", input(3, segment(6, 2, 2, 4242)));
    write(dir, "closed", input(7, segment(8, 2, 3)));

    auto torn = plain;
    const auto extra = batch(10, 3, 5000);
    torn.log.insert(torn.log.end(), extra.begin(), extra.begin() + std::ptrdiff_t(extra.size() / 2));
    write(dir, "torn", input(0, torn));

    auto flipped = segment(4, 2, 2);
    flipped.log[flipped.log.size() / 2] ^= 0x5A;
    write(dir, "corrupt", input(3, flipped));

    // A gzip-flagged batch (CRC valid, payload not gzip): stored bytes that decoding must refuse, not crash on.
    auto compressed = batch(0, 2, 1000);
    compressed[22] = 0x01;
    const auto rest = std::span<const uint8_t>(compressed).subspan(21);
    auto crcBytes = Bytes {};
    put32(crcBytes, crc32c(rest));
    std::copy(crcBytes.begin(), crcBytes.end(), compressed.begin() + 17);
    write(dir, "compressed", input(0, Segment {compressed, {}, {}}));
    return 0;
}
