#include "broker/recordbatch.h"

#include "broker/crc32c.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace pw::broker {

namespace {

template<class T>
T loadBE(const uint8_t* p)
{
    using U = std::make_unsigned_t<T>;
    U v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
        v = static_cast<U>((v << 8) | p[i]);
    return static_cast<T>(v);
}

template<class T>
void storeBE(uint8_t* p, T value)
{
    using U = std::make_unsigned_t<T>;
    U v = static_cast<U>(value);
    for (size_t i = 0; i < sizeof(T); ++i)
        p[sizeof(T) - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
}

template<class T>
void appendBE(std::vector<uint8_t>& out, T value)
{
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    storeBE(out.data() + at, value);
}

void appendVarlong(std::vector<uint8_t>& out, int64_t value)
{
    uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63); // zigzag
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

// A bounds-checked cursor over the records section; any overrun sets m_failed and yields zeros.
class Cursor
{
public:
    Cursor(const uint8_t* p, size_t n)
        : m_p(p)
        , m_end(p + n)
    { }
    bool failed() const { return m_failed; }
    size_t remaining() const { return static_cast<size_t>(m_end - m_p); }
    const uint8_t* pos() const { return m_p; }

    int64_t varlong()
    {
        uint64_t v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (m_p >= m_end) {
                m_failed = true;
                return 0;
            }
            const uint8_t b = *m_p++;
            v |= static_cast<uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80))
                return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
            if (shift == 63) // a 10th continuation byte is malformed
                break;
        }
        m_failed = true;
        return 0;
    }
    int32_t varint()
    {
        const int64_t v = varlong();
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
            m_failed = true;
            return 0;
        }
        return static_cast<int32_t>(v);
    }
    int8_t i8()
    {
        if (m_p >= m_end) {
            m_failed = true;
            return 0;
        }
        return static_cast<int8_t>(*m_p++);
    }
    // Length-prefixed (varint) byte string; -1 = null.
    std::optional<std::vector<uint8_t>> bytes()
    {
        const int32_t len = varint();
        if (m_failed || len < 0)
            return std::nullopt;
        if (static_cast<size_t>(len) > remaining()) {
            m_failed = true;
            return std::nullopt;
        }
        std::vector<uint8_t> out(m_p, m_p + len);
        m_p += len;
        return out;
    }
    void skip(size_t n)
    {
        if (n > remaining()) {
            m_failed = true;
            m_p = m_end;
            return;
        }
        m_p += n;
    }

private:
    const uint8_t* m_p;
    const uint8_t* m_end;
    bool m_failed = false;
};

} // namespace

int32_t RecordBatchView::lastSequence() const
{
    if (baseSequence < 0)
        return -1;
    const int64_t last = static_cast<int64_t>(baseSequence) + lastOffsetDelta;
    // Sequences wrap to 0 after INT32_MAX (Kafka's DefaultRecordBatch.incrementSequence).
    return static_cast<int32_t>(
        last > std::numeric_limits<int32_t>::max() ? last - std::numeric_limits<int32_t>::max() - 1 : last);
}

std::expected<RecordBatchView, KafkaError> decodeBatchHeader(std::span<const uint8_t> bytes)
{
    using namespace batchlayout;
    if (bytes.size() < HeaderSize) {
        // Report the wrong magic even for a short buffer, so old message formats get the right error.
        if (bytes.size() > Magic && bytes[Magic] != 2)
            return std::unexpected(KafkaError::UnsupportedForMessageFormat);
        return std::unexpected(KafkaError::CorruptMessage);
    }
    const uint8_t* p = bytes.data();
    RecordBatchView v;
    v.baseOffset = loadBE<int64_t>(p + BaseOffset);
    v.batchLength = loadBE<int32_t>(p + BatchLength);
    v.partitionLeaderEpoch = loadBE<int32_t>(p + PartitionLeaderEpoch);
    v.magic = static_cast<int8_t>(p[Magic]);
    if (v.magic != 2)
        return std::unexpected(KafkaError::UnsupportedForMessageFormat);
    if (v.batchLength < static_cast<int32_t>(HeaderSize - LogOverhead))
        return std::unexpected(KafkaError::CorruptMessage);
    v.crc = loadBE<uint32_t>(p + Crc);
    v.attributes = loadBE<int16_t>(p + Attributes);
    v.lastOffsetDelta = loadBE<int32_t>(p + LastOffsetDelta);
    v.baseTimestamp = loadBE<int64_t>(p + BaseTimestamp);
    v.maxTimestamp = loadBE<int64_t>(p + MaxTimestamp);
    v.producerId = loadBE<int64_t>(p + ProducerId);
    v.producerEpoch = loadBE<int16_t>(p + ProducerEpoch);
    v.baseSequence = loadBE<int32_t>(p + BaseSequence);
    v.recordCount = loadBE<int32_t>(p + RecordCount);
    return v;
}

std::expected<RecordBatchView, KafkaError> parseRecordBatchHeader(std::span<const uint8_t> bytes)
{
    auto v = decodeBatchHeader(bytes);
    if (v && bytes.size() < v->totalSize())
        return std::unexpected(KafkaError::CorruptMessage);
    return v;
}

std::expected<RecordBatchView, KafkaError> parseRecordBatch(std::span<const uint8_t> bytes)
{
    auto v = parseRecordBatchHeader(bytes);
    if (!v)
        return v;
    const auto covered = bytes.subspan(batchlayout::Attributes, v->totalSize() - batchlayout::Attributes);
    if (crc32c(covered) != v->crc)
        return std::unexpected(KafkaError::CorruptMessage);
    return v;
}

void setBatchBaseOffset(std::span<uint8_t> batch, int64_t baseOffset)
{
    if (batch.size() >= 8)
        storeBE<int64_t>(batch.data(), baseOffset);
}

std::vector<uint8_t> buildRecordBatch(const std::vector<SimpleRecord>& records, int64_t baseOffset, int64_t producerId,
    int16_t producerEpoch, int32_t baseSequence)
{
    using namespace batchlayout;
    const int64_t baseTimestamp = records.empty() ? 0 : records.front().timestampMs;
    int64_t maxTimestamp = baseTimestamp;
    for (const auto& r : records)
        maxTimestamp = std::max(maxTimestamp, r.timestampMs);

    std::vector<uint8_t> out;
    out.reserve(HeaderSize + records.size() * 32);
    out.resize(HeaderSize);
    uint8_t* h = out.data();
    storeBE<int64_t>(h + BaseOffset, baseOffset);
    storeBE<int32_t>(h + PartitionLeaderEpoch, -1);
    h[Magic] = 2;
    storeBE<int16_t>(h + Attributes, 0);
    storeBE<int32_t>(h + LastOffsetDelta, records.empty() ? 0 : static_cast<int32_t>(records.size() - 1));
    storeBE<int64_t>(h + BaseTimestamp, baseTimestamp);
    storeBE<int64_t>(h + MaxTimestamp, maxTimestamp);
    storeBE<int64_t>(h + ProducerId, producerId);
    storeBE<int16_t>(h + ProducerEpoch, producerEpoch);
    storeBE<int32_t>(h + BaseSequence, baseSequence);
    storeBE<int32_t>(h + RecordCount, static_cast<int32_t>(records.size()));

    std::vector<uint8_t> body;
    for (size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        body.clear();
        body.push_back(0); // record attributes
        appendVarlong(body, r.timestampMs - baseTimestamp);
        appendVarlong(body, static_cast<int64_t>(i));
        auto appendBytes = [&body](const std::optional<std::vector<uint8_t>>& b) {
            if (!b) {
                appendVarlong(body, -1);
                return;
            }
            appendVarlong(body, static_cast<int64_t>(b->size()));
            body.insert(body.end(), b->begin(), b->end());
        };
        appendBytes(r.key);
        appendBytes(r.value);
        appendVarlong(body, static_cast<int64_t>(r.headers.size()));
        for (const auto& [hk, hv] : r.headers) {
            appendVarlong(body, static_cast<int64_t>(hk.size()));
            body.insert(body.end(), hk.begin(), hk.end());
            appendVarlong(body, static_cast<int64_t>(hv.size()));
            body.insert(body.end(), hv.begin(), hv.end());
        }
        appendVarlong(out, static_cast<int64_t>(body.size()));
        out.insert(out.end(), body.begin(), body.end());
    }
    storeBE<int32_t>(out.data() + BatchLength, static_cast<int32_t>(out.size() - LogOverhead));
    const uint32_t crc = crc32c(std::span<const uint8_t>(out).subspan(Attributes));
    storeBE<uint32_t>(out.data() + Crc, crc);
    return out;
}

std::expected<std::vector<SimpleRecord>, KafkaError> decodeRecords(std::span<const uint8_t> batch)
{
    auto view = parseRecordBatch(batch);
    if (!view)
        return std::unexpected(view.error());
    if (view->compression() != 0)
        return std::unexpected(KafkaError::UnsupportedCompressionType);
    if (view->recordCount < 0)
        return std::unexpected(KafkaError::CorruptMessage);
    Cursor c(batch.data() + batchlayout::HeaderSize, view->totalSize() - batchlayout::HeaderSize);
    // Each record takes at least 7 bytes, so the count is bounded by the bytes present (no absurd reserve).
    if (static_cast<size_t>(view->recordCount) > c.remaining())
        return std::unexpected(KafkaError::CorruptMessage);
    std::vector<SimpleRecord> out;
    out.reserve(static_cast<size_t>(view->recordCount));
    for (int32_t i = 0; i < view->recordCount; ++i) {
        const int32_t length = c.varint();
        if (c.failed() || length < 0 || static_cast<size_t>(length) > c.remaining())
            return std::unexpected(KafkaError::CorruptMessage);
        Cursor r(c.pos(), static_cast<size_t>(length));
        c.skip(static_cast<size_t>(length));
        SimpleRecord rec;
        r.i8(); // attributes, unused in v2
        rec.timestampMs = view->baseTimestamp + r.varlong();
        rec.offset = view->baseOffset + r.varint();
        rec.key = r.bytes();
        rec.value = r.bytes();
        const int32_t headerCount = r.varint();
        if (r.failed() || headerCount < 0 || static_cast<size_t>(headerCount) > r.remaining())
            return std::unexpected(KafkaError::CorruptMessage);
        for (int32_t k = 0; k < headerCount; ++k) {
            auto hk = r.bytes();
            auto hv = r.bytes();
            if (r.failed() || !hk)
                return std::unexpected(KafkaError::CorruptMessage);
            rec.headers.emplace_back(std::string(hk->begin(), hk->end()), hv.value_or(std::vector<uint8_t> {}));
        }
        if (r.failed())
            return std::unexpected(KafkaError::CorruptMessage);
        out.push_back(std::move(rec));
    }
    return out;
}

std::expected<std::vector<SimpleRecord>, KafkaError> decodeAllRecords(
    std::span<const uint8_t> batches, int64_t fromOffset)
{
    std::vector<SimpleRecord> out;
    size_t pos = 0;
    while (pos < batches.size()) {
        const auto rest = batches.subspan(pos);
        if (rest.size() < batchlayout::HeaderSize)
            break; // partial trailing batch, as a size-limited Fetch may return
        auto header = decodeBatchHeader(rest);
        if (!header)
            return std::unexpected(header.error());
        if (rest.size() < header->totalSize())
            break;
        auto records = decodeRecords(rest);
        if (!records)
            return std::unexpected(records.error());
        for (auto& r : *records) {
            if (r.offset >= fromOffset)
                out.push_back(std::move(r));
        }
        pos += header->totalSize();
    }
    return out;
}

} // namespace pw::broker
