#include "broker/producerstate.h"

#include "broker/crc32c.h"

#include <limits>

namespace pw::broker {

namespace {

constexpr uint32_t SnapshotMagic = 0x50575053; // "PWPS"
constexpr uint16_t SnapshotVersion = 1;

class Writer
{
public:
    std::vector<uint8_t> out;
    template<class T>
    void put(T value)
    {
        using U = std::make_unsigned_t<T>;
        const U v = static_cast<U>(value);
        for (int i = int(sizeof(T)) - 1; i >= 0; --i)
            out.push_back(uint8_t(v >> (8 * i)));
    }
};

class Reader
{
public:
    explicit Reader(std::span<const uint8_t> b)
        : m_bytes(b)
    { }
    template<class T>
    T get()
    {
        using U = std::make_unsigned_t<T>;
        if (m_pos + sizeof(T) > m_bytes.size()) {
            m_failed = true;
            return T {};
        }
        U v = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            v = U((v << 8) | m_bytes[m_pos++]);
        return static_cast<T>(v);
    }
    bool failed() const { return m_failed; }
    size_t remaining() const { return m_bytes.size() - m_pos; }

private:
    std::span<const uint8_t> m_bytes;
    size_t m_pos = 0;
    bool m_failed = false;
};

bool inSequence(int32_t lastSequence, int32_t nextSequence)
{
    return nextSequence == lastSequence + int64_t(1)
        || (lastSequence == std::numeric_limits<int32_t>::max() && nextSequence == 0);
}

} // namespace

ProducerStateTable::Verdict ProducerStateTable::check(
    const RecordBatchView& batch, const std::unordered_map<int64_t, ProducerEntry>& pending) const
{
    Verdict v;
    const ProducerEntry* entry = nullptr;
    if (auto it = pending.find(batch.producerId); it != pending.end())
        entry = &it->second;
    else if (auto it2 = m_producers.find(batch.producerId); it2 != m_producers.end())
        entry = &it2->second;
    if (!entry) {
        // An unknown producer may start anywhere (its state can have aged out with the segments), as in Kafka.
        return v;
    }
    if (batch.producerEpoch < entry->epoch) {
        v.error = KafkaError::InvalidProducerEpoch;
        v.message = "producer " + std::to_string(batch.producerId) + " epoch " + std::to_string(batch.producerEpoch)
            + " is older than the current epoch " + std::to_string(entry->epoch);
        return v;
    }
    if (batch.producerEpoch > entry->epoch) {
        if (batch.baseSequence != 0) {
            v.error = KafkaError::OutOfOrderSequenceNumber;
            v.message = "producer " + std::to_string(batch.producerId) + " new epoch "
                + std::to_string(batch.producerEpoch) + " must start at sequence 0, got "
                + std::to_string(batch.baseSequence);
        }
        return v;
    }
    const int32_t lastSeq = batch.lastSequence();
    for (const auto& b : entry->batches) {
        if (b.firstSequence == batch.baseSequence && b.lastSequence == lastSeq) {
            v.duplicateOf = b;
            return v;
        }
    }
    if (entry->batches.empty())
        return v;
    const int32_t expected = entry->batches.back().lastSequence;
    if (!inSequence(expected, batch.baseSequence)) {
        v.error = KafkaError::OutOfOrderSequenceNumber;
        v.message = "producer " + std::to_string(batch.producerId) + " sent sequence "
            + std::to_string(batch.baseSequence) + " after " + std::to_string(expected);
    }
    return v;
}

void ProducerStateTable::apply(ProducerEntry& entry, const RecordBatchView& batch)
{
    if (batch.producerEpoch != entry.epoch) {
        entry.batches.clear();
        entry.epoch = batch.producerEpoch;
    }
    entry.batches.push_back(
        {batch.baseSequence, batch.lastSequence(), batch.baseOffset, batch.lastOffset(), batch.maxTimestamp});
    while (entry.batches.size() > MaxBatches)
        entry.batches.pop_front();
}

void ProducerStateTable::stage(const RecordBatchView& batch, std::unordered_map<int64_t, ProducerEntry>& into) const
{
    auto it = into.find(batch.producerId);
    if (it == into.end()) {
        auto cur = m_producers.find(batch.producerId);
        it = into.emplace(batch.producerId, cur != m_producers.end() ? cur->second : ProducerEntry {}).first;
    }
    apply(it->second, batch);
}

void ProducerStateTable::commit(std::unordered_map<int64_t, ProducerEntry>&& staged)
{
    for (auto& [pid, entry] : staged)
        m_producers[pid] = std::move(entry);
}

void ProducerStateTable::replay(const RecordBatchView& batch)
{
    if (batch.producerId < 0 || batch.baseSequence < 0)
        return;
    auto& entry = m_producers[batch.producerId];
    if (batch.producerEpoch < entry.epoch && !entry.batches.empty())
        return;
    apply(entry, batch);
}

std::vector<uint8_t> ProducerStateTable::serialize(int64_t snapshotOffset) const
{
    Writer w;
    w.put<uint32_t>(SnapshotMagic);
    w.put<uint16_t>(SnapshotVersion);
    w.put<int64_t>(snapshotOffset);
    w.put<uint32_t>(uint32_t(m_producers.size()));
    for (const auto& [pid, entry] : m_producers) {
        w.put<int64_t>(pid);
        w.put<int16_t>(entry.epoch);
        w.put<uint8_t>(uint8_t(entry.batches.size()));
        for (const auto& b : entry.batches) {
            w.put<int32_t>(b.firstSequence);
            w.put<int32_t>(b.lastSequence);
            w.put<int64_t>(b.firstOffset);
            w.put<int64_t>(b.lastOffset);
            w.put<int64_t>(b.maxTimestamp);
        }
    }
    w.put<uint32_t>(crc32c(w.out));
    return std::move(w.out);
}

std::optional<ProducerStateTable> ProducerStateTable::deserialize(
    std::span<const uint8_t> bytes, int64_t& snapshotOffset)
{
    if (bytes.size() < 4 + 2 + 8 + 4 + 4)
        return std::nullopt;
    Reader tail(bytes.subspan(bytes.size() - 4));
    if (tail.get<uint32_t>() != crc32c(bytes.first(bytes.size() - 4)))
        return std::nullopt;
    Reader r(bytes.first(bytes.size() - 4));
    if (r.get<uint32_t>() != SnapshotMagic || r.get<uint16_t>() != SnapshotVersion)
        return std::nullopt;
    const int64_t offset = r.get<int64_t>();
    const uint32_t count = r.get<uint32_t>();
    if (r.failed() || offset < 0 || count > r.remaining() / 11)
        return std::nullopt;
    ProducerStateTable table;
    for (uint32_t i = 0; i < count; ++i) {
        const int64_t pid = r.get<int64_t>();
        ProducerEntry entry;
        entry.epoch = r.get<int16_t>();
        const uint8_t n = r.get<uint8_t>();
        if (n > MaxBatches)
            return std::nullopt;
        for (uint8_t k = 0; k < n; ++k) {
            ProducerBatchMeta b {};
            b.firstSequence = r.get<int32_t>();
            b.lastSequence = r.get<int32_t>();
            b.firstOffset = r.get<int64_t>();
            b.lastOffset = r.get<int64_t>();
            b.maxTimestamp = r.get<int64_t>();
            entry.batches.push_back(b);
        }
        if (r.failed())
            return std::nullopt;
        table.m_producers[pid] = std::move(entry);
    }
    if (r.failed() || r.remaining() != 0)
        return std::nullopt;
    snapshotOffset = offset;
    return table;
}

} // namespace pw::broker
