#include "broker/partitionlog.h"

#include "broker/crc32c.h"
#include "broker/producerstate.h"
#include "broker/recordbatch.h"
#include "broker/segment.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <system_error>

namespace pw::broker {

namespace {

constexpr const char* CheckpointName = "log-start-offset.checkpoint";
constexpr uint32_t CheckpointMagic = 0x50574c53; // "PWLS"
constexpr size_t KeptSnapshots = 2;

QString pathText(const std::filesystem::path& p)
{
    return QString::fromStdString(p.string());
}

std::vector<uint8_t> encodeCheckpoint(int64_t logStart)
{
    std::vector<uint8_t> out(16);
    auto put = [&out](size_t at, uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out[at + size_t(i)] = uint8_t(v >> (8 * (bytes - 1 - i)));
    };
    put(0, CheckpointMagic, 4);
    put(4, uint64_t(logStart), 8);
    put(12, crc32c(std::span<const uint8_t>(out).first(12)), 4);
    return out;
}

std::optional<int64_t> decodeCheckpoint(std::span<const uint8_t> in)
{
    if (in.size() != 16)
        return std::nullopt;
    auto get = [&in](size_t at, int bytes) {
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v = (v << 8) | in[at + size_t(i)];
        return v;
    };
    if (get(0, 4) != CheckpointMagic || get(12, 4) != crc32c(in.first(12)))
        return std::nullopt;
    const auto v = int64_t(get(4, 8));
    return v >= 0 ? std::optional<int64_t>(v) : std::nullopt;
}

} // namespace

struct PartitionLog::Private
{
    std::filesystem::path dir;
    PartitionLogConfig config;
    std::shared_ptr<SegmentFileCache> files;
    mutable std::mutex mutex;
    std::vector<std::shared_ptr<Segment>> segments; // by base offset; back() is the active segment
    std::atomic<int64_t> logStart {0};
    std::atomic<int64_t> logEnd {0};
    ProducerStateTable producers;
    std::vector<int64_t> snapshots; // offsets of snapshot files on disk, ascending
    int64_t lastSnapshotOffset = -1;
    std::chrono::steady_clock::time_point lastSync = std::chrono::steady_clock::now();
    bool closed = false;
    bool writesFailing = false; // the last append failed (a full disk, an I/O error): warn once, not per request
    PartitionLog::RecoveryStats recovered;

    void noteWriteFailure(const QString& why)
    {
        if (!writesFailing)
            qCWarning(lcBrokerStorage).noquote()
                << QStringLiteral("%1: writes fail (answered KAFKA_STORAGE_ERROR until they succeed): %2")
                       .arg(pathText(dir), why);
        writesFailing = true;
    }

    int32_t indexInterval() const { return std::max(1, config.indexIntervalBytes); }
    bool syncRequested() const { return config.flushIntervalMs >= 0; }
    pw::Result<void> roll();
    void writeSnapshot(bool sync);
    pw::Result<void> writeCheckpoint();
    void deleteFront(); // removes segments.front() (never the last one)
    void deleteSegmentsBelowLogStart();
    std::vector<std::shared_ptr<Segment>>::const_iterator segmentFor(int64_t offset) const;
};

pw::Result<void> PartitionLog::Private::roll()
{
    auto& old = segments.back();
    old->sealTimeIndex();
    if (auto r = old->flushIndexes(syncRequested()); !r)
        return r;
    if (syncRequested())
        old->sync();
    const int64_t base = logEnd.load();
    auto created = Segment::create(dir, base, files);
    if (!created)
        return std::unexpected(created.error());
    segments.push_back(std::move(*created));
    writeSnapshot(syncRequested());
    return {};
}

void PartitionLog::Private::writeSnapshot(bool sync)
{
    const int64_t offset = logEnd.load();
    if (offset == lastSnapshotOffset)
        return;
    const auto bytes = producers.serialize(offset);
    if (auto r = fileio::atomicWrite(dir / fileio::offsetFileName(offset, ".snapshot"), bytes, sync); !r) {
        qCWarning(lcBrokerStorage).noquote() << r.error().message;
        return;
    }
    lastSnapshotOffset = offset;
    snapshots.erase(std::remove(snapshots.begin(), snapshots.end(), offset), snapshots.end());
    snapshots.push_back(offset);
    std::sort(snapshots.begin(), snapshots.end());
    while (snapshots.size() > KeptSnapshots) {
        std::error_code ec;
        std::filesystem::remove(dir / fileio::offsetFileName(snapshots.front(), ".snapshot"), ec);
        snapshots.erase(snapshots.begin());
    }
}

pw::Result<void> PartitionLog::Private::writeCheckpoint()
{
    // Always synced: it is rare (DeleteRecords, retention) and losing it would resurrect deleted records.
    return fileio::atomicWrite(dir / CheckpointName, encodeCheckpoint(logStart.load()), true);
}

void PartitionLog::Private::deleteFront()
{
    segments.front()->removeFiles();
    segments.erase(segments.begin());
}

void PartitionLog::Private::deleteSegmentsBelowLogStart()
{
    while (segments.size() > 1 && segments[1]->baseOffset() <= logStart.load())
        deleteFront();
}

std::vector<std::shared_ptr<Segment>>::const_iterator PartitionLog::Private::segmentFor(int64_t offset) const
{
    auto it = std::upper_bound(segments.begin(), segments.end(), offset,
        [](int64_t o, const std::shared_ptr<Segment>& s) { return o < s->baseOffset(); });
    if (it != segments.begin())
        --it;
    // Skip segments that end at or before the offset (gaps left by damaged closed segments).
    while (std::next(it) != segments.end() && (*it)->nextOffset() <= offset)
        ++it;
    return it;
}

PartitionLog::PartitionLog()
    : d(std::make_unique<Private>())
{ }

PartitionLog::~PartitionLog()
{
    close();
}

pw::Result<std::shared_ptr<PartitionLog>> PartitionLog::open(
    std::filesystem::path dir, PartitionLogConfig config, std::shared_ptr<SegmentFileCache> files)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return pw::fail(pw::Error::Code::Io,
            QStringLiteral("cannot create %1: %2").arg(pathText(dir), QString::fromStdString(ec.message())));
    config.segmentBytes = std::clamp<int64_t>(config.segmentBytes, 1, std::numeric_limits<int32_t>::max());
    std::shared_ptr<PartitionLog> log(new PartitionLog());
    Private& p = *log->d;
    p.dir = dir;
    p.config = config;
    p.files = files ? std::move(files) : std::make_shared<SegmentFileCache>();

    std::vector<int64_t> bases;
    std::vector<std::filesystem::path> indexFiles;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file(ec))
            continue;
        const std::string name = entry.path().filename().string();
        if (auto base = fileio::parseOffsetFileName(name, ".log"))
            bases.push_back(*base);
        else if (auto snap = fileio::parseOffsetFileName(name, ".snapshot"))
            p.snapshots.push_back(*snap);
        else if (name.ends_with(".tmp"))
            std::filesystem::remove(entry.path(), ec); // an interrupted atomic write
        else if (name.ends_with(".index") || name.ends_with(".timeindex"))
            indexFiles.push_back(entry.path());
    }
    std::sort(bases.begin(), bases.end());
    std::sort(p.snapshots.begin(), p.snapshots.end());
    for (const auto& path : indexFiles) {
        std::filesystem::path log = path;
        log.replace_extension(".log");
        if (!std::filesystem::exists(log, ec))
            std::filesystem::remove(path, ec);
    }

    std::optional<int64_t> checkpoint;
    if (auto bytes = fileio::readFile(dir / CheckpointName, 64))
        checkpoint = decodeCheckpoint(*bytes);
    if (!checkpoint && std::filesystem::exists(dir / CheckpointName, ec))
        qCWarning(lcBrokerStorage).noquote()
            << QStringLiteral("%1: log start offset checkpoint is damaged; using the first segment").arg(pathText(dir));

    if (bases.empty()) {
        auto created = Segment::create(dir, checkpoint.value_or(0), p.files);
        if (!created)
            return std::unexpected(created.error());
        p.segments.push_back(std::move(*created));
    } else {
        for (size_t i = 0; i < bases.size(); ++i) {
            auto opened = Segment::openExisting(dir, bases[i], p.files);
            if (!opened)
                return std::unexpected(opened.error());
            auto& seg = *opened;
            if (i + 1 < bases.size()) {
                if (auto r = seg->loadClosed(bases[i + 1], p.indexInterval()); !r)
                    return std::unexpected(r.error());
            } else {
                auto r = seg->recover(p.indexInterval(), {});
                if (!r)
                    return std::unexpected(r.error());
                p.recovered.bytesTruncated += *r;
            }
            p.segments.push_back(std::move(seg));
            ++p.recovered.segments;
        }
    }
    const auto& active = p.segments.back();
    p.logEnd = std::max(active->baseOffset(), active->nextOffset());
    int64_t logStart = std::max(checkpoint.value_or(0), p.segments.front()->baseOffset());
    if (logStart > p.logEnd.load()) {
        qCWarning(lcBrokerStorage).noquote()
            << QStringLiteral("%1: log start offset %2 is beyond the recovered log end %3; using the log end")
                   .arg(pathText(dir))
                   .arg(logStart)
                   .arg(p.logEnd.load());
        logStart = p.logEnd.load();
    }
    p.logStart = logStart;

    // Producer state: the newest intact snapshot at or below the log end, then the batches after it.
    int64_t replayFrom = p.segments.front()->baseOffset();
    for (auto it = p.snapshots.rbegin(); it != p.snapshots.rend(); ++it) {
        if (*it > p.logEnd.load())
            continue;
        int64_t offset = -1;
        const auto bytes = fileio::readFile(dir / fileio::offsetFileName(*it, ".snapshot"), 64u << 20);
        if (!bytes)
            continue;
        if (auto table = ProducerStateTable::deserialize(*bytes, offset); table && offset == *it) {
            p.producers = std::move(*table);
            replayFrom = offset;
            p.lastSnapshotOffset = offset;
            break;
        }
        qCWarning(lcBrokerStorage).noquote()
            << QStringLiteral("%1: producer state snapshot at offset %2 is damaged").arg(pathText(dir)).arg(*it);
    }
    // Snapshots beyond the recovered end describe batches that are gone.
    for (auto it = p.snapshots.begin(); it != p.snapshots.end();) {
        if (*it > p.logEnd.load()) {
            std::filesystem::remove(dir / fileio::offsetFileName(*it, ".snapshot"), ec);
            it = p.snapshots.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& seg : p.segments) {
        if (seg->nextOffset() <= replayFrom || seg->empty())
            continue;
        const auto file = seg->file();
        if (!file)
            return std::unexpected(file.error());
        SegmentScanner scanner((*file)->fd(), seg->size(), seg->indexedPosition(replayFrom), 0, false);
        while (scanner.next()) {
            if (scanner.batch().baseOffset >= replayFrom)
                p.producers.replay(scanner.batch());
        }
    }
    return log;
}

AppendResult PartitionLog::append(std::span<uint8_t> batches)
{
    AppendResult result;
    // Parse and check the CRCs before taking the lock: it is the costly part and needs no shared state.
    thread_local std::vector<RecordBatchView> views;
    views.clear();
    size_t pos = 0;
    while (pos < batches.size()) {
        auto view = parseRecordBatch(batches.subspan(pos));
        if (!view) {
            result.error = view.error();
            result.errorMessage = view.error() == KafkaError::UnsupportedForMessageFormat
                ? "only record batch v2 (magic 2) is supported"
                : "corrupt record batch at byte " + std::to_string(pos) + " (size or CRC-32C)";
            return result;
        }
        if (view->lastOffsetDelta < 0 || view->recordCount != view->lastOffsetDelta + 1) {
            result.error = KafkaError::CorruptMessage;
            result.errorMessage
                = "record count " + std::to_string(view->recordCount) + " does not match the offset range of the batch";
            return result;
        }
        views.push_back(*view);
        pos += view->totalSize();
    }

    std::lock_guard lock(d->mutex);
    result.logStartOffset = d->logStart.load();
    if (d->closed) {
        result.error = KafkaError::UnknownTopicOrPartition;
        result.errorMessage = "partition is closed";
        return result;
    }
    if (views.empty())
        return result;

    int64_t next = d->logEnd.load();
    std::unordered_map<int64_t, ProducerEntry> staged;
    for (auto& v : views) {
        v.baseOffset = next;
        next += int64_t(v.lastOffsetDelta) + 1;
        if (v.producerId < 0 || v.baseSequence < 0)
            continue;
        auto verdict = d->producers.check(v, staged);
        if (verdict.error != KafkaError::None) {
            result.error = verdict.error;
            result.errorMessage = std::move(verdict.message);
            return result;
        }
        if (verdict.duplicateOf) {
            // A retry of a batch already in the log: answer with where it went, write nothing.
            result.baseOffset = verdict.duplicateOf->firstOffset;
            result.lastOffset = verdict.duplicateOf->lastOffset;
            return result;
        }
        d->producers.stage(v, staged);
    }

    auto active = d->segments.back();
    const int64_t bytes = int64_t(batches.size());
    if (!active->empty()
        && (active->size() + bytes > d->config.segmentBytes
            || next - 1 - active->baseOffset() > std::numeric_limits<int32_t>::max())) {
        if (auto r = d->roll(); !r) {
            d->noteWriteFailure(r.error().message);
            result.error = KafkaError::KafkaStorageError;
            result.errorMessage = r.error().message.toStdString();
            return result;
        }
        active = d->segments.back();
    }
    pos = 0;
    for (const auto& v : views) {
        setBatchBaseOffset(batches.subspan(pos), v.baseOffset);
        pos += v.totalSize();
    }
    if (auto r = active->append(batches, views, d->indexInterval()); !r) {
        // The segment cut off whatever part of the batches reached the file, so it still ends at a batch boundary
        // and nothing was acknowledged: the producer may retry once there is room.
        d->noteWriteFailure(r.error().message);
        result.error = KafkaError::KafkaStorageError;
        result.errorMessage = r.error().message.toStdString();
        return result;
    }
    if (d->writesFailing) {
        d->writesFailing = false;
        qCInfo(lcBrokerStorage).noquote() << QStringLiteral("%1: writes succeed again").arg(pathText(d->dir));
    }
    d->producers.commit(std::move(staged));
    result.baseOffset = d->logEnd.load();
    result.lastOffset = next - 1;
    d->logEnd.store(next);
    if (d->config.flushIntervalMs == 0) {
        active->sync();
    } else if (d->config.flushIntervalMs > 0) {
        const auto now = std::chrono::steady_clock::now();
        if (now - d->lastSync >= std::chrono::milliseconds(d->config.flushIntervalMs)) {
            active->sync();
            d->lastSync = now;
        }
    }
    return result;
}

ReadResult PartitionLog::read(int64_t fetchOffset, int32_t maxBytes, int64_t regionFrom) const
{
    ReadResult result;
    std::shared_ptr<Segment> seg;
    std::shared_ptr<FileHandle> file;
    int64_t end = 0;
    std::optional<std::pair<int64_t, RecordBatchView>> found;
    {
        std::lock_guard lock(d->mutex);
        result.highWatermark = d->logEnd.load();
        result.logStartOffset = d->logStart.load();
        if (d->closed) {
            result.error = KafkaError::UnknownTopicOrPartition;
            return result;
        }
        if (fetchOffset < result.logStartOffset || fetchOffset > result.highWatermark) {
            result.error = KafkaError::OffsetOutOfRange;
            return result;
        }
        if (fetchOffset == result.highWatermark || maxBytes <= 0)
            return result;
        for (auto it = d->segmentFor(fetchOffset); it != d->segments.end() && !found; ++it) {
            seg = *it;
            end = seg->size();
            found = seg->locate(fetchOffset, end);
        }
        if (found) {
            // Taken under the lock, so retention cannot unlink the file between finding the batch and reading it.
            auto opened = seg->file();
            if (!opened) {
                qCWarning(lcBrokerStorage).noquote() << opened.error().message;
                result.error = KafkaError::KafkaStorageError;
                return result;
            }
            file = std::move(*opened);
        }
        if (found && regionFrom > 0 && seg->verified()) {
            // Batch boundaries at hand: the end of the segment and the positions in its offset index (each the
            // start of a batch). The bytes between are whole batches, checked when they were written or opened.
            const int64_t position = found->first;
            const int64_t firstEnd = position + int64_t(found->second.totalSize());
            const int64_t limit = position + std::max<int64_t>(maxBytes, firstEnd - position);
            int64_t regionEnd = end;
            if (end > limit) {
                const auto& index = seg->offsetIndex();
                auto it = std::upper_bound(index.begin(), index.end(), limit,
                    [](int64_t at, const OffsetIndexEntry& e) { return at < e.position; });
                regionEnd = it == index.begin() ? firstEnd : std::max(firstEnd, std::prev(it)->position);
            }
            if (regionEnd - position >= regionFrom) {
                result.region = FileRegion {file, file->fd(), position, size_t(regionEnd - position)};
                return result;
            }
        }
    }
    if (!found)
        return result;
    const int64_t position = found->first;
    const int64_t firstSize = int64_t(found->second.totalSize());
    const int64_t want = std::min(end - position, std::max<int64_t>(maxBytes, firstSize));
    result.records.resize(size_t(want));
    const int64_t got = fileio::readAt(file->fd(), result.records.data(), size_t(want), position);
    if (got < firstSize) {
        result.records.clear();
        result.error = KafkaError::KafkaStorageError;
        return result;
    }
    // Keep whole batches only: the first always, then as many as fit. Offsets must keep rising: a damaged closed
    // segment (only its indexes are checked at open) must not send a consumer backwards.
    size_t keep = size_t(firstSize);
    int64_t lastOffset = found->second.lastOffset();
    while (keep + batchlayout::HeaderSize <= size_t(got)) {
        auto v = decodeBatchHeader(std::span<const uint8_t>(result.records).subspan(keep));
        if (!v || keep + v->totalSize() > size_t(got) || v->lastOffsetDelta < 0 || v->baseOffset <= lastOffset)
            break;
        keep += v->totalSize();
        lastOffset = v->lastOffset();
    }
    result.records.resize(keep);
    return result;
}

int64_t PartitionLog::logStartOffset() const
{
    return d->logStart.load();
}

int64_t PartitionLog::logEndOffset() const
{
    return d->logEnd.load();
}

std::optional<std::pair<int64_t, int64_t>> PartitionLog::offsetForTimestamp(int64_t timestampMs) const
{
    std::lock_guard lock(d->mutex);
    const int64_t logStart = d->logStart.load();
    for (const auto& seg : d->segments) {
        if (seg->empty() || seg->maxTimestamp() < timestampMs || seg->nextOffset() <= logStart)
            continue;
        const int64_t from = std::max(seg->timeLookupStart(timestampMs), logStart);
        std::optional<std::pair<int64_t, RecordBatchView>> hit;
        seg->forEachHeader(seg->indexedPosition(from), seg->size(), [&](int64_t pos, const RecordBatchView& v) {
            if (v.lastOffset() < logStart || v.maxTimestamp < timestampMs)
                return true;
            hit.emplace(pos, v);
            return false;
        });
        if (!hit)
            continue;
        const auto& v = hit->second;
        const auto file = v.compression() == 0 ? seg->file() : pw::Result<std::shared_ptr<FileHandle>> {};
        if (v.compression() == 0 && file && *file) {
            std::vector<uint8_t> bytes(v.totalSize());
            if (fileio::readAt((*file)->fd(), bytes.data(), bytes.size(), hit->first) == int64_t(bytes.size())) {
                if (auto records = decodeRecords(bytes)) {
                    for (const auto& r : *records) {
                        if (r.offset >= logStart && r.timestampMs >= timestampMs)
                            return std::make_pair(r.offset, r.timestampMs);
                    }
                }
            }
        }
        return std::make_pair(std::max(v.baseOffset, logStart), v.maxTimestamp);
    }
    return std::nullopt;
}

KafkaError PartitionLog::deleteRecordsBefore(int64_t offset)
{
    std::lock_guard lock(d->mutex);
    if (d->closed)
        return KafkaError::UnknownTopicOrPartition;
    const int64_t logEnd = d->logEnd.load();
    if (offset == -1)
        offset = logEnd;
    if (offset < 0 || offset > logEnd)
        return KafkaError::OffsetOutOfRange;
    if (offset <= d->logStart.load())
        return KafkaError::None;
    const int64_t previous = d->logStart.exchange(offset);
    if (auto r = d->writeCheckpoint(); !r) {
        d->logStart = previous;
        qCWarning(lcBrokerStorage).noquote() << r.error().message;
        return KafkaError::KafkaStorageError;
    }
    // Everything deleted: start a fresh segment so the old one's disk space is freed too.
    if (offset == logEnd && !d->segments.back()->empty()) {
        if (auto r = d->roll(); !r)
            qCWarning(lcBrokerStorage).noquote() << r.error().message;
    }
    d->deleteSegmentsBelowLogStart();
    return KafkaError::None;
}

void PartitionLog::flush()
{
    std::lock_guard lock(d->mutex);
    if (d->closed)
        return;
    auto& active = d->segments.back();
    if (auto r = active->flushIndexes(true); !r)
        qCWarning(lcBrokerStorage).noquote() << r.error().message;
    active->sync();
    d->lastSync = std::chrono::steady_clock::now();
    d->writeSnapshot(true);
}

int PartitionLog::enforceRetention(int64_t nowMs)
{
    std::lock_guard lock(d->mutex);
    if (d->closed)
        return 0;
    int deleted = 0;
    const auto& cfg = d->config;
    if (cfg.retentionMs >= 0) {
        while (!d->segments.empty()) {
            const auto seg = d->segments.front();
            const bool active = d->segments.size() == 1;
            if (seg->empty()) {
                if (active)
                    break;
                d->deleteFront();
                continue;
            }
            const int64_t ts = seg->maxTimestamp() >= 0 ? seg->maxTimestamp() : seg->lastModifiedMs();
            if (nowMs - ts <= cfg.retentionMs)
                break;
            // An expired active segment is rolled first so that an idle partition ages out too (as Kafka does).
            if (active) {
                if (auto r = d->roll(); !r) {
                    qCWarning(lcBrokerStorage).noquote() << r.error().message;
                    break;
                }
            }
            d->deleteFront();
            ++deleted;
        }
    }
    if (cfg.retentionBytes >= 0) {
        int64_t total = 0;
        for (const auto& seg : d->segments)
            total += seg->size();
        while (d->segments.size() > 1 && total - d->segments.front()->size() >= cfg.retentionBytes) {
            total -= d->segments.front()->size();
            d->deleteFront();
            ++deleted;
        }
    }
    const int64_t firstBase = d->segments.front()->baseOffset();
    if (firstBase > d->logStart.load()) {
        d->logStart = std::min(firstBase, d->logEnd.load());
        if (auto r = d->writeCheckpoint(); !r)
            qCWarning(lcBrokerStorage).noquote() << r.error().message;
    }
    if (deleted > 0)
        qCInfo(lcBrokerStorage).noquote() << QStringLiteral("%1: retention deleted %2 segment(s); log start %3")
                                                 .arg(pathText(d->dir))
                                                 .arg(deleted)
                                                 .arg(d->logStart.load());
    return deleted;
}

void PartitionLog::setConfig(const PartitionLogConfig& config)
{
    std::lock_guard lock(d->mutex);
    d->config = config;
    d->config.segmentBytes = std::clamp<int64_t>(config.segmentBytes, 1, std::numeric_limits<int32_t>::max());
}

PartitionLogConfig PartitionLog::config() const
{
    std::lock_guard lock(d->mutex);
    return d->config;
}

std::filesystem::path PartitionLog::directory() const
{
    return d->dir;
}

int64_t PartitionLog::largestProducerId() const
{
    std::lock_guard lock(d->mutex);
    int64_t largest = -1;
    for (const auto& [pid, entry] : d->producers.producers())
        largest = std::max(largest, pid);
    return largest;
}

PartitionLog::RecoveryStats PartitionLog::recoveryStats() const
{
    return d->recovered;
}

int PartitionLog::segmentCount() const
{
    std::lock_guard lock(d->mutex);
    return int(d->segments.size());
}

int64_t PartitionLog::sizeInBytes() const
{
    std::lock_guard lock(d->mutex);
    int64_t total = 0;
    for (const auto& seg : d->segments)
        total += seg->size();
    return total;
}

void PartitionLog::close()
{
    std::lock_guard lock(d->mutex);
    if (d->closed)
        return;
    d->closed = true;
    if (!d->segments.empty()) {
        if (auto r = d->segments.back()->flushIndexes(d->syncRequested()); !r)
            qCWarning(lcBrokerStorage).noquote() << r.error().message;
        if (d->syncRequested())
            d->segments.back()->sync();
        d->writeSnapshot(d->syncRequested());
    }
    // Readers holding a segment keep its descriptors until they finish; the Segment closes them then.
    d->segments.clear();
}

} // namespace pw::broker
