#pragma once

// Internal to the broker's storage: the idempotent-producer state of one partition.

#include "broker/kafkaerror.h"
#include "broker/recordbatch.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace pw::broker {

struct ProducerBatchMeta
{
    int32_t firstSequence;
    int32_t lastSequence;
    int64_t firstOffset;
    int64_t lastOffset;
    int64_t maxTimestamp;
};

struct ProducerEntry
{
    int16_t epoch = -1;
    std::deque<ProducerBatchMeta> batches; // oldest first, at most ProducerStateTable::MaxBatches
};

/// Per producerId: the epoch and the last five batches' sequences and offsets, as Kafka keeps them, so a retried
/// batch is recognised as a duplicate and a gap as out of order. Serialised into `<offset>.snapshot` files.
/// Not thread-safe (PartitionLog's mutex guards it).
class ProducerStateTable
{
public:
    static constexpr size_t MaxBatches = 5;

    struct Verdict
    {
        KafkaError error = KafkaError::None;
        std::optional<ProducerBatchMeta> duplicateOf; // set: the batch was appended before, at these offsets
        std::string message;
    };

    /// Checks one batch of an idempotent producer (producerId >= 0 and baseSequence >= 0) against the state plus
    /// `pending` (updates from earlier batches of the same request).
    Verdict check(const RecordBatchView& batch, const std::unordered_map<int64_t, ProducerEntry>& pending) const;
    /// Records a batch with assigned offsets into `into` (starting from the current state of its producer).
    void stage(const RecordBatchView& batch, std::unordered_map<int64_t, ProducerEntry>& into) const;
    void commit(std::unordered_map<int64_t, ProducerEntry>&& staged);
    /// Replays a stored batch at recovery (no checks).
    void replay(const RecordBatchView& batch);

    const std::unordered_map<int64_t, ProducerEntry>& producers() const { return m_producers; }
    void clear() { m_producers.clear(); }

    std::vector<uint8_t> serialize(int64_t snapshotOffset) const;
    /// Parses a snapshot; nullopt if it is truncated or its checksum does not match. Sets snapshotOffset.
    static std::optional<ProducerStateTable> deserialize(std::span<const uint8_t> bytes, int64_t& snapshotOffset);

private:
    static void apply(ProducerEntry& entry, const RecordBatchView& batch);
    std::unordered_map<int64_t, ProducerEntry> m_producers;
};

} // namespace pw::broker
