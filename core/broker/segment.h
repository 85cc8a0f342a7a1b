#pragma once

// Internal to the broker's storage: one log segment and its indexes, plus the file helpers the log uses.

#include "broker/recordbatch.h"
#include "model/error.h"

#include <QLoggingCategory>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pw::broker {

Q_DECLARE_LOGGING_CATEGORY(lcBrokerStorage)

namespace fileio {
/// pwrite loop; on failure the error names `what`.
pw::Result<void> writeAt(int fd, std::span<const uint8_t> bytes, int64_t position, const std::string& what);
/// pread loop; returns the number of bytes read (short at end of file), -1 on error.
int64_t readAt(int fd, void* buffer, size_t length, int64_t position);
/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then rename. With `sync` the file
/// and the directory are fsynced, so the new content survives a power loss.
pw::Result<void> atomicWrite(const std::filesystem::path& path, std::span<const uint8_t> bytes, bool sync);
/// The whole file if it exists and is at most maxSize bytes.
std::optional<std::vector<uint8_t>> readFile(const std::filesystem::path& path, size_t maxSize);
void syncDirectory(const std::filesystem::path& dir);
/// "00000000000000001234" + suffix: zero-padded to 20 digits so names sort by offset.
std::string offsetFileName(int64_t offset, std::string_view suffix);
/// The offset of a name made by offsetFileName, if `name` is one with that suffix.
std::optional<int64_t> parseOffsetFileName(const std::string& name, std::string_view suffix);
int64_t wallClockMs();
} // namespace fileio

struct OffsetIndexEntry
{
    int64_t offset; // base offset of a batch
    int64_t position; // its byte position in the segment file
};

struct TimeIndexEntry
{
    int64_t timestamp; // largest batch maxTimestamp up to and including the batch at `offset`
    int64_t offset;
};

/// One open file descriptor shared by whoever uses it: the last owner to let go closes it, so a reader or a
/// sendfile in flight keeps its descriptor even after the cache below has dropped it.
class FileHandle
{
public:
    explicit FileHandle(int fd)
        : m_fd(fd)
    { }
    ~FileHandle();
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    int fd() const { return m_fd; }

private:
    int m_fd;
};

class Segment;

/// Bounds how many segment log files the broker holds open at once: a segment opens its file on first use and the
/// least recently used ones are closed past the bound, so the number of partitions is not limited by the process's
/// descriptor limit. Index files are never kept open (their entries live in memory). Thread-safe; segments register
/// and unregister themselves.
class SegmentFileCache
{
public:
    explicit SegmentFileCache(size_t maxOpen = defaultMaxOpen());
    /// Half of the soft RLIMIT_NOFILE (at least 16): the rest is for sockets, the ledger, and files opened briefly.
    static size_t defaultMaxOpen();
    void setMaxOpen(size_t maxOpen);
    size_t maxOpen() const;
    size_t openCount() const;

private:
    friend class Segment;
    void evictLocked(const Segment* keep);

    mutable std::mutex m_mutex;
    std::list<Segment*> m_lru; // front: most recently used; every segment listed holds an open file
    size_t m_maxOpen;
};

/// Reads the batches of a segment file sequentially in large chunks, checking each is complete, plausible (offsets
/// increasing) and, optionally, that its CRC-32C matches. Stops at the first batch that is not.
class SegmentScanner
{
public:
    SegmentScanner(int fd, int64_t fileSize, int64_t position, int64_t expectedOffset, bool checkCrc);
    bool next(); // false at the end of the file or at a bad batch (see stopReason())
    const RecordBatchView& batch() const { return m_view; }
    int64_t position() const { return m_pos; }
    int64_t validEnd() const { return m_next; } // end of the last good batch
    std::span<const uint8_t> bytes() const; // the current batch; only complete when checkCrc
    const QString& stopReason() const { return m_stop; } // empty at a clean end of file

private:
    bool fill(int64_t position, size_t length);

    int m_fd;
    int64_t m_fileSize;
    int64_t m_next;
    int64_t m_expected;
    bool m_checkCrc;
    std::vector<uint8_t> m_buffer;
    int64_t m_bufferPos = 0;
    size_t m_bufferLength = 0;
    RecordBatchView m_view;
    int64_t m_pos = -1;
    QString m_stop;
};

/// One segment: `<base>.log` with its sparse offset index `<base>.index` (relative offset u32, position u32) and
/// time index `<base>.timeindex` (timestamp i64, relative offset u32), big-endian like Kafka's. Index entries are
/// kept in memory and written at flush, roll and close; on disk they are only hints, checked before use.
/// The log file is opened on first use through the SegmentFileCache and may be closed again when idle.
/// Not thread-safe: PartitionLog's mutex guards the mutable state (the open file is guarded by the cache). Bytes
/// below size() never change, so readers holding a file() handle may pread them without the lock; removeFiles()
/// unlinks the files, and handles already taken stay valid.
class Segment
{
    friend class SegmentFileCache;

public:
    static pw::Result<std::shared_ptr<Segment>> create(
        const std::filesystem::path& dir, int64_t baseOffset, std::shared_ptr<SegmentFileCache> cache);
    static pw::Result<std::shared_ptr<Segment>> openExisting(
        const std::filesystem::path& dir, int64_t baseOffset, std::shared_ptr<SegmentFileCache> cache);
    ~Segment();
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    int64_t baseOffset() const { return m_base; }
    int64_t size() const { return m_size; }
    int64_t nextOffset() const { return m_nextOffset; }
    int64_t maxTimestamp() const { return m_maxTimestamp; } // -1 when no batch carried a timestamp
    int64_t lastModifiedMs() const;
    bool empty() const { return m_size == 0; }
    /// Every byte was written by this process or checked by CRC at open (recover()); a closed segment loaded at
    /// open had only its indexes checked.
    bool verified() const { return m_verified; }
    /// The open log file, opening it if the cache closed it. Hold the handle while using the descriptor.
    pw::Result<std::shared_ptr<FileHandle>> file() const;
    const std::filesystem::path& logPath() const { return m_logPath; }

    /// Active segment at open: validates every batch by size and CRC from the start, truncates the file at the
    /// first incomplete or corrupt one, rebuilds both indexes from the scan and rewrites them.
    /// `onBatch` sees every kept batch. Returns the number of bytes cut off.
    pw::Result<int64_t> recover(int32_t indexInterval, const std::function<void(const RecordBatchView&)>& onBatch);
    /// Closed segment at open: loads the indexes and checks them; rebuilds them by a header scan when missing,
    /// short or implausible. `nextSegmentBase` bounds the offsets (-1 if unknown).
    pw::Result<void> loadClosed(int64_t nextSegmentBase, int32_t indexInterval);

    /// Writes already validated batches whose offsets are assigned (one pwrite) and indexes them in memory.
    pw::Result<void> append(
        std::span<const uint8_t> bytes, std::span<const RecordBatchView> views, int32_t indexInterval);

    /// Position of the last indexed batch whose base offset <= offset (0 if none).
    int64_t indexedPosition(int64_t offset) const;
    /// Offset from which to scan for the first batch with maxTimestamp >= timestampMs.
    int64_t timeLookupStart(int64_t timestampMs) const;
    /// Finds the batch containing `offset` (or the first after it) by reading headers from the index hint, within
    /// [0, end). Falls back to a scan from the start when the hint does not point at a batch.
    std::optional<std::pair<int64_t, RecordBatchView>> locate(int64_t offset, int64_t end) const;
    /// Calls fn(position, header) for each batch from `position` until fn returns false; header reads only.
    void forEachHeader(
        int64_t position, int64_t end, const std::function<bool(int64_t, const RecordBatchView&)>& fn) const;

    /// Adds the final time index entry (the segment's largest timestamp), at roll.
    void sealTimeIndex();
    /// Writes the index entries not yet on disk (opening and closing the index files); with `sync`, fdatasyncs them.
    pw::Result<void> flushIndexes(bool sync = false);
    /// fdatasyncs the log file if it was written since the last sync.
    void sync();
    /// Unlinks the three files; handles already taken stay valid until the last reader lets go.
    void removeFiles();
    /// Gives the log file back to the cache's budget now (it reopens on the next use).
    void closeFiles();
    const std::vector<OffsetIndexEntry>& offsetIndex() const { return m_index; }
    const std::vector<TimeIndexEntry>& timeIndex() const { return m_timeIndex; }

private:
    Segment(const std::filesystem::path& dir, int64_t baseOffset, std::shared_ptr<SegmentFileCache> cache);
    pw::Result<std::shared_ptr<FileHandle>> openFile(int extraFlags) const;
    void indexBatch(const RecordBatchView& view, int64_t position, int32_t indexInterval);
    bool loadIndexFiles(int64_t nextSegmentBase);
    void rebuildByScan(int32_t indexInterval);
    // Forgets everything a scan derives from the file, so one can start again at the base offset.
    void clearIndexes();
    pw::Result<void> rewriteIndexes();

    std::filesystem::path m_logPath, m_indexPath, m_timeIndexPath;
    int64_t m_base;
    std::shared_ptr<SegmentFileCache> m_cache;
    // Guarded by m_cache->m_mutex: the cache closes idle files from any thread.
    mutable std::shared_ptr<FileHandle> m_file;
    mutable std::list<Segment*>::iterator m_lruPosition;
    bool m_removed = false;
    int64_t m_size = 0;
    bool m_verified = false;
    int64_t m_nextOffset;
    int64_t m_maxTimestamp = -1;
    int64_t m_offsetOfMaxTimestamp = -1;
    int64_t m_bytesSinceIndex = 0;
    std::vector<OffsetIndexEntry> m_index;
    std::vector<TimeIndexEntry> m_timeIndex;
    size_t m_indexOnDisk = 0, m_timeIndexOnDisk = 0;
    bool m_indexFilesExist = false; // both index files are on disk (possibly empty)
    bool m_dirty = false; // written since the last fsync
};

} // namespace pw::broker
