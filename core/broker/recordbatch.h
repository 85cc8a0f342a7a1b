#pragma once

#include "broker/kafkaerror.h"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace pw::broker {

/// Byte offsets of the v2 record batch header fields (all big-endian).
namespace batchlayout {
inline constexpr size_t BaseOffset = 0;
inline constexpr size_t BatchLength = 8;
inline constexpr size_t PartitionLeaderEpoch = 12;
inline constexpr size_t Magic = 16;
inline constexpr size_t Crc = 17;
inline constexpr size_t Attributes = 21;
inline constexpr size_t LastOffsetDelta = 23;
inline constexpr size_t BaseTimestamp = 27;
inline constexpr size_t MaxTimestamp = 35;
inline constexpr size_t ProducerId = 43;
inline constexpr size_t ProducerEpoch = 51;
inline constexpr size_t BaseSequence = 53;
inline constexpr size_t RecordCount = 57;
inline constexpr size_t HeaderSize = 61; // first record starts here
inline constexpr size_t LogOverhead = 12; // baseOffset + batchLength, not counted in batchLength
} // namespace batchlayout

/// A parsed v2 batch header (magic 2). Plain value type.
struct RecordBatchView
{
    int64_t baseOffset = 0;
    int32_t batchLength = 0;
    int32_t partitionLeaderEpoch = 0;
    int8_t magic = 0;
    uint32_t crc = 0;
    int16_t attributes = 0;
    int32_t lastOffsetDelta = 0;
    int64_t baseTimestamp = 0;
    int64_t maxTimestamp = 0;
    int64_t producerId = -1;
    int16_t producerEpoch = -1;
    int32_t baseSequence = -1;
    int32_t recordCount = 0;

    size_t totalSize() const { return 12 + static_cast<size_t>(batchLength); }
    int64_t lastOffset() const { return baseOffset + lastOffsetDelta; }
    int32_t lastSequence() const; // baseSequence + lastOffsetDelta, wrapping at INT32_MAX as Kafka does
    int compression() const { return attributes & 0x07; }
    bool isTransactional() const { return (attributes & 0x10) != 0; }
    bool isControl() const { return (attributes & 0x20) != 0; }
    bool hasLogAppendTime() const { return (attributes & 0x08) != 0; }
};

/// Parses and validates one batch at the start of `bytes` (size, magic, CRC-32C over attributes..end).
/// Errors: CorruptMessage (truncated, bad length, bad CRC), UnsupportedForMessageFormat (magic != 2).
std::expected<RecordBatchView, KafkaError> parseRecordBatch(std::span<const uint8_t> bytes);

/// Decodes the fixed 61-byte header at the start of `bytes` without requiring the rest of the batch to be there.
/// Checks magic and that batchLength is at least the header's; CorruptMessage if fewer than 61 bytes.
std::expected<RecordBatchView, KafkaError> decodeBatchHeader(std::span<const uint8_t> bytes);

/// Like parseRecordBatch but does not compute the CRC (for batches already validated when they were stored).
/// Still checks that the header is complete and the whole batch is within `bytes`.
std::expected<RecordBatchView, KafkaError> parseRecordBatchHeader(std::span<const uint8_t> bytes);

/// Overwrites the baseOffset field of the batch at the start of `batch` (the CRC does not cover it).
void setBatchBaseOffset(std::span<uint8_t> batch, int64_t baseOffset);

/// One record of a batch. `offset` is filled by decodeRecords (absolute offset); buildRecordBatch ignores it.
struct SimpleRecord
{
    std::optional<std::vector<uint8_t>> key;
    std::optional<std::vector<uint8_t>> value;
    int64_t timestampMs = 0;
    std::vector<std::pair<std::string, std::vector<uint8_t>>> headers;
    int64_t offset = -1;
};

/// Builds an uncompressed v2 batch (CRC filled); used to write __consumer_offsets and by tests.
std::vector<uint8_t> buildRecordBatch(const std::vector<SimpleRecord>& records, int64_t baseOffset = 0,
    int64_t producerId = -1, int16_t producerEpoch = -1, int32_t baseSequence = -1);

/// Decodes the records of one UNCOMPRESSED batch at the start of `batch` (checks the CRC too).
/// Compressed batches give UnsupportedCompressionType; malformed ones CorruptMessage.
std::expected<std::vector<SimpleRecord>, KafkaError> decodeRecords(std::span<const uint8_t> batch);

/// Decodes every batch of a records blob (e.g. ReadResult::records), skipping records below `fromOffset`.
/// A truncated batch at the end (as Fetch may return) is ignored.
std::expected<std::vector<SimpleRecord>, KafkaError> decodeAllRecords(
    std::span<const uint8_t> batches, int64_t fromOffset = 0);

} // namespace pw::broker
