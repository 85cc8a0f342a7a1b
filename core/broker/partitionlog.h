#pragma once

#include "broker/kafkaerror.h"
#include "broker/wire.h"
#include "model/error.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace pw::broker {

class SegmentFileCache;

struct AppendResult
{
    KafkaError error = KafkaError::None;
    int64_t baseOffset = -1;
    int64_t lastOffset = -1;
    int64_t logAppendTimeMs = -1; // -1: CreateTime (what we store)
    int64_t logStartOffset = 0;
    std::string errorMessage;
};

struct ReadResult
{
    KafkaError error = KafkaError::None;
    std::vector<uint8_t> records; // whole batches, as stored
    /// Instead of `records`, when the caller allowed it: the same whole batches as a region of the segment file.
    std::optional<FileRegion> region;
    int64_t highWatermark = 0;
    int64_t logStartOffset = 0;
};

/// Settings of one partition's log (LogStore fills them from LogOptions and the topic's overrides).
struct PartitionLogConfig
{
    int64_t segmentBytes = 64LL << 20;
    int64_t retentionMs = 7LL * 24 * 3600 * 1000; // -1: keep forever
    int64_t retentionBytes = -1; // -1: no size limit
    int64_t flushIntervalMs = -1; // -1: leave to the OS; 0: fsync every append; N: fsync when N ms have passed
    int32_t indexIntervalBytes = 4096; // one offset/time index entry per this many bytes of log
};

/// The on-disk log of one topic-partition: a directory of segment files (`<baseOffset>.log`) each with a sparse
/// offset index (`.index`) and time index (`.timeindex`), the idempotent-producer state and the log start offset.
/// Thread-safe: one internal mutex per partition serialises appends and protects the segment list; reads of
/// already written bytes use pread.
class PartitionLog
{
public:
    /// Opens (creating if needed) the partition directory and recovers it: validates every batch of the active
    /// segment by size, offset and CRC-32C, truncates at the first bad one (torn write), rewrites its indexes from
    /// that scan, checks closed segments' indexes (rebuilding them when damaged), and rebuilds the producer state
    /// from the newest intact snapshot plus the batches after it.
    /// `files` bounds the open segment files, shared by every partition of a store (nullptr: one of its own).
    static pw::Result<std::shared_ptr<PartitionLog>> open(
        std::filesystem::path dir, PartitionLogConfig config, std::shared_ptr<SegmentFileCache> files = nullptr);
    ~PartitionLog();
    PartitionLog(const PartitionLog&) = delete;
    PartitionLog& operator=(const PartitionLog&) = delete;

    /// `batches`: the records field of a Produce partition (one or more v2 batches). Validates each CRC and the
    /// idempotent-producer sequence (last 5 batches per producerId kept & persisted): a duplicate batch returns
    /// success with the ORIGINAL offsets; a gap returns OutOfOrderSequenceNumber; stale epoch InvalidProducerEpoch.
    /// Rewrites each batch's baseOffset in place, then writes (write(2) done = acked; fsync per flushIntervalMs).
    AppendResult append(std::span<uint8_t> batches);
    /// Whole batches starting with the one containing fetchOffset, up to maxBytes (at least one batch if any and
    /// maxBytes > 0; nothing when maxBytes <= 0). Batches come from one segment per call, as in Kafka.
    /// fetchOffset < logStart or > logEnd → OffsetOutOfRange.
    /// With `regionFrom` > 0, a read of at least that many bytes from a segment written or CRC-checked by this
    /// process comes back as a file region (for sendfile) instead of bytes; its end is the last batch boundary the
    /// offset index knows within maxBytes, so it can be up to one index interval shorter than a read of bytes.
    ReadResult read(int64_t fetchOffset, int32_t maxBytes, int64_t regionFrom = 0) const;
    int64_t logStartOffset() const;
    int64_t logEndOffset() const; // single node: high watermark == log end
    /// First offset whose batch maxTimestamp >= ts, with that timestamp; nullopt if none (→ answer -1/-1).
    /// For uncompressed batches this is the first record with timestamp >= ts (Kafka's answer); for compressed
    /// ones the batch's base offset and maxTimestamp. Never below the log start offset.
    std::optional<std::pair<int64_t, int64_t>> offsetForTimestamp(int64_t timestampMs) const;
    /// offset -1 = high watermark; persists the log start offset. OffsetOutOfRange if offset > log end.
    KafkaError deleteRecordsBefore(int64_t offset);
    /// fsyncs the active segment and writes the producer-state snapshot.
    void flush();

    /// Deletes whole segments, oldest first, whose largest timestamp is older than retentionMs (an expired active
    /// segment is rolled first, as Kafka does), then non-active ones while the rest still holds at least
    /// retentionBytes; advances and persists the log start offset. `nowMs`: wall clock, ms since the epoch.
    /// Returns the number of segments deleted.
    int enforceRetention(int64_t nowMs);
    void setConfig(const PartitionLogConfig& config);
    PartitionLogConfig config() const;

    std::filesystem::path directory() const;
    /// The largest producer id in the idempotent-producer state (-1 if none); lets LogStore never reuse one.
    int64_t largestProducerId() const;
    int segmentCount() const;
    /// What open() found: segments checked and bytes cut off a torn tail.
    struct RecoveryStats
    {
        int segments = 0;
        int64_t bytesTruncated = 0;
    };
    RecoveryStats recoveryStats() const;
    int64_t sizeInBytes() const; // sum of segment file sizes
    /// Closes the files (writing the producer-state snapshot); further calls fail. Used before deleting the dir.
    void close();

private:
    PartitionLog();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace pw::broker
