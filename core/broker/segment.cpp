#include "broker/segment.h"

#include "broker/crc32c.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::broker {

Q_LOGGING_CATEGORY(lcBrokerStorage, "pathwatch.broker", QtInfoMsg)

namespace {

constexpr size_t OffsetEntrySize = 8;
constexpr size_t TimeEntrySize = 12;
constexpr size_t ScanChunk = 1 << 20;
// Offsets beyond this are treated as garbage: it keeps every offset + delta computation far from overflow.
constexpr int64_t MaxPlausibleOffset = int64_t(1) << 62;

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

QString pathText(const std::filesystem::path& p)
{
    return QString::fromStdString(p.string());
}

void putU32(uint8_t* p, uint32_t v)
{
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}
void putI64(uint8_t* p, int64_t value)
{
    const auto v = static_cast<uint64_t>(value);
    putU32(p, uint32_t(v >> 32));
    putU32(p + 4, uint32_t(v));
}
uint32_t getU32(const uint8_t* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
int64_t getI64(const uint8_t* p)
{
    return static_cast<int64_t>((uint64_t(getU32(p)) << 32) | getU32(p + 4));
}

} // namespace

namespace fileio {

pw::Result<void> writeAt(int fd, std::span<const uint8_t> bytes, int64_t position, const std::string& what)
{
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, position + int64_t(done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return pw::fail(pw::Error::Code::Io,
                QStringLiteral("cannot write %1: %2").arg(QString::fromStdString(what), errnoText()));
        }
        done += size_t(n);
    }
    return {};
}

int64_t readAt(int fd, void* buffer, size_t length, int64_t position)
{
    size_t done = 0;
    auto* out = static_cast<uint8_t*>(buffer);
    while (done < length) {
        const ssize_t n = ::pread(fd, out + done, length - done, position + int64_t(done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += size_t(n);
    }
    return int64_t(done);
}

void syncDirectory(const std::filesystem::path& dir)
{
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

pw::Result<void> atomicWrite(const std::filesystem::path& path, std::span<const uint8_t> bytes, bool sync)
{
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pw::fail(pw::Error::Code::Io, QStringLiteral("cannot create %1: %2").arg(pathText(tmp), errnoText()));
    auto written = writeAt(fd, bytes, 0, tmp.string());
    if (written && sync && ::fsync(fd) != 0)
        written = pw::fail(pw::Error::Code::Io, QStringLiteral("cannot fsync %1: %2").arg(pathText(tmp), errnoText()));
    ::close(fd);
    if (!written) {
        ::unlink(tmp.c_str());
        return written;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return pw::fail(pw::Error::Code::Io, QStringLiteral("cannot rename %1: %2").arg(pathText(tmp), errnoText()));
    }
    if (sync)
        syncDirectory(path.parent_path());
    return {};
}

std::optional<std::vector<uint8_t>> readFile(const std::filesystem::path& path, size_t maxSize)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0 || st.st_size < 0 || size_t(st.st_size) > maxSize) {
        ::close(fd);
        return std::nullopt;
    }
    std::vector<uint8_t> bytes(size_t(st.st_size));
    const int64_t n = readAt(fd, bytes.data(), bytes.size(), 0);
    ::close(fd);
    if (n < 0)
        return std::nullopt;
    bytes.resize(size_t(n));
    return bytes;
}

std::string offsetFileName(int64_t offset, std::string_view suffix)
{
    char digits[32];
    std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(offset));
    return std::string(digits) + std::string(suffix);
}

std::optional<int64_t> parseOffsetFileName(const std::string& name, std::string_view suffix)
{
    if (name.size() != 20 + suffix.size() || !name.ends_with(suffix))
        return std::nullopt;
    int64_t v = 0;
    for (size_t i = 0; i < 20; ++i) {
        const char c = name[i];
        if (c < '0' || c > '9')
            return std::nullopt;
        if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10)
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

int64_t wallClockMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace fileio

// --- SegmentScanner ---

SegmentScanner::SegmentScanner(int fd, int64_t fileSize, int64_t position, int64_t expectedOffset, bool checkCrc)
    : m_fd(fd)
    , m_fileSize(fileSize)
    , m_next(position)
    , m_expected(expectedOffset)
    , m_checkCrc(checkCrc)
{ }

bool SegmentScanner::fill(int64_t position, size_t length)
{
    if (position >= m_bufferPos && position + int64_t(length) <= m_bufferPos + int64_t(m_bufferLength))
        return true;
    const size_t want = size_t(std::min<int64_t>(std::max(length, ScanChunk), m_fileSize - position));
    if (want < length)
        return false;
    if (m_buffer.size() < want)
        m_buffer.resize(want);
    const int64_t got = fileio::readAt(m_fd, m_buffer.data(), want, position);
    m_bufferPos = position;
    m_bufferLength = got < 0 ? 0 : size_t(got);
    return m_bufferLength >= length;
}

std::span<const uint8_t> SegmentScanner::bytes() const
{
    const size_t at = size_t(m_pos - m_bufferPos);
    return std::span<const uint8_t>(m_buffer).subspan(at, std::min(m_view.totalSize(), m_bufferLength - at));
}

bool SegmentScanner::next()
{
    const int64_t pos = m_next;
    if (pos >= m_fileSize)
        return false;
    if (m_fileSize - pos < int64_t(batchlayout::HeaderSize)) {
        m_stop = QStringLiteral("incomplete batch header (%1 bytes) at position %2").arg(m_fileSize - pos).arg(pos);
        return false;
    }
    if (!fill(pos, batchlayout::HeaderSize)) {
        m_stop = QStringLiteral("read error at position %1").arg(pos);
        return false;
    }
    auto view = decodeBatchHeader(
        std::span<const uint8_t>(m_buffer).subspan(size_t(pos - m_bufferPos), batchlayout::HeaderSize));
    if (!view) {
        m_stop = QStringLiteral("no valid batch header at position %1").arg(pos);
        return false;
    }
    if (int64_t(view->totalSize()) > m_fileSize - pos) {
        m_stop = QStringLiteral("incomplete batch at position %1 (%2 of %3 bytes)")
                     .arg(pos)
                     .arg(m_fileSize - pos)
                     .arg(view->totalSize());
        return false;
    }
    // With CRC checks (the active segment at recovery) offsets must follow on exactly, as this log assigns them;
    // that also catches damage to the baseOffset field, which the CRC does not cover.
    const bool offsetOk = m_checkCrc ? view->baseOffset == m_expected : view->baseOffset >= m_expected;
    if (view->lastOffsetDelta < 0 || !offsetOk || view->baseOffset > MaxPlausibleOffset) {
        m_stop = QStringLiteral("implausible offsets (base %1, delta %2, expected %3) at position %4")
                     .arg(view->baseOffset)
                     .arg(view->lastOffsetDelta)
                     .arg(m_expected)
                     .arg(pos);
        return false;
    }
    if (m_checkCrc) {
        if (!fill(pos, view->totalSize())) {
            m_stop = QStringLiteral("read error at position %1").arg(pos);
            return false;
        }
        const auto body = std::span<const uint8_t>(m_buffer).subspan(
            size_t(pos - m_bufferPos) + batchlayout::Attributes, view->totalSize() - batchlayout::Attributes);
        if (crc32c(body) != view->crc) {
            m_stop = QStringLiteral("CRC-32C mismatch in the batch at position %1 (offset %2)")
                         .arg(pos)
                         .arg(view->baseOffset);
            return false;
        }
    }
    m_view = *view;
    m_pos = pos;
    m_expected = view->lastOffset() + 1;
    m_next = pos + int64_t(view->totalSize());
    return true;
}

// --- FileHandle, SegmentFileCache ---

FileHandle::~FileHandle()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

SegmentFileCache::SegmentFileCache(size_t maxOpen)
    : m_maxOpen(std::max<size_t>(1, maxOpen))
{ }

size_t SegmentFileCache::defaultMaxOpen()
{
    struct rlimit limit
    {
    };
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 4096;
    return std::max<size_t>(16, size_t(limit.rlim_cur / 2));
}

void SegmentFileCache::setMaxOpen(size_t maxOpen)
{
    std::lock_guard lock(m_mutex);
    m_maxOpen = std::max<size_t>(1, maxOpen);
    evictLocked(nullptr);
}

size_t SegmentFileCache::maxOpen() const
{
    std::lock_guard lock(m_mutex);
    return m_maxOpen;
}

size_t SegmentFileCache::openCount() const
{
    std::lock_guard lock(m_mutex);
    return m_lru.size();
}

void SegmentFileCache::evictLocked(const Segment* keep)
{
    while (m_lru.size() > m_maxOpen) {
        Segment* victim = m_lru.back();
        if (victim == keep)
            break;
        m_lru.pop_back();
        victim->m_file.reset(); // closes unless a reader still holds the handle
        victim->m_lruPosition = {};
    }
}

// --- Segment ---

Segment::Segment(const std::filesystem::path& dir, int64_t baseOffset, std::shared_ptr<SegmentFileCache> cache)
    : m_logPath(dir / fileio::offsetFileName(baseOffset, ".log"))
    , m_indexPath(dir / fileio::offsetFileName(baseOffset, ".index"))
    , m_timeIndexPath(dir / fileio::offsetFileName(baseOffset, ".timeindex"))
    , m_base(baseOffset)
    , m_cache(cache ? std::move(cache) : std::make_shared<SegmentFileCache>())
    , m_nextOffset(baseOffset)
{ }

Segment::~Segment()
{
    closeFiles();
}

void Segment::closeFiles()
{
    std::lock_guard lock(m_cache->m_mutex);
    if (m_file) {
        m_cache->m_lru.erase(m_lruPosition);
        m_lruPosition = {};
        m_file.reset();
    }
}

pw::Result<std::shared_ptr<FileHandle>> Segment::openFile(int extraFlags) const
{
    std::lock_guard lock(m_cache->m_mutex);
    if (m_file) {
        m_cache->m_lru.splice(m_cache->m_lru.begin(), m_cache->m_lru, m_lruPosition);
        return m_file;
    }
    if (m_removed)
        return pw::fail(pw::Error::Code::Io, QStringLiteral("%1 was deleted").arg(pathText(m_logPath)));
    int fd = ::open(m_logPath.c_str(), O_RDWR | O_CLOEXEC | extraFlags, 0644);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && !m_cache->m_lru.empty()) {
        // Others in the process hold more descriptors than the budget assumed: give back a share and retry.
        const size_t keep = m_cache->m_lru.size() / 2;
        while (m_cache->m_lru.size() > keep) {
            Segment* victim = m_cache->m_lru.back();
            m_cache->m_lru.pop_back();
            victim->m_file.reset();
            victim->m_lruPosition = {};
        }
        fd = ::open(m_logPath.c_str(), O_RDWR | O_CLOEXEC | extraFlags, 0644);
    }
    if (fd < 0)
        return pw::fail(
            pw::Error::Code::Io, QStringLiteral("cannot open %1: %2").arg(pathText(m_logPath), errnoText()));
    m_file = std::make_shared<FileHandle>(fd);
    m_cache->m_lru.push_front(const_cast<Segment*>(this));
    m_lruPosition = m_cache->m_lru.begin();
    m_cache->evictLocked(this);
    return m_file;
}

pw::Result<std::shared_ptr<FileHandle>> Segment::file() const
{
    return openFile(0);
}

pw::Result<std::shared_ptr<Segment>> Segment::create(
    const std::filesystem::path& dir, int64_t baseOffset, std::shared_ptr<SegmentFileCache> cache)
{
    std::shared_ptr<Segment> s(new Segment(dir, baseOffset, std::move(cache)));
    // Index files of an earlier segment at this offset would be stale: they are written afresh at the first flush.
    ::unlink(s->m_indexPath.c_str());
    ::unlink(s->m_timeIndexPath.c_str());
    if (auto r = s->openFile(O_CREAT | O_TRUNC); !r)
        return std::unexpected(r.error());
    s->m_verified = true;
    return s;
}

pw::Result<std::shared_ptr<Segment>> Segment::openExisting(
    const std::filesystem::path& dir, int64_t baseOffset, std::shared_ptr<SegmentFileCache> cache)
{
    std::shared_ptr<Segment> s(new Segment(dir, baseOffset, std::move(cache)));
    struct stat st
    {
    };
    if (::stat(s->m_logPath.c_str(), &st) != 0)
        return pw::fail(
            pw::Error::Code::Io, QStringLiteral("cannot stat %1: %2").arg(pathText(s->m_logPath), errnoText()));
    s->m_size = st.st_size;
    s->m_indexFilesExist = true; // or not: loading finds out, and a rewrite creates them
    return s;
}

int64_t Segment::lastModifiedMs() const
{
    struct stat st
    {
    };
    if (::stat(m_logPath.c_str(), &st) != 0)
        return fileio::wallClockMs();
    return int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

void Segment::indexBatch(const RecordBatchView& view, int64_t position, int32_t indexInterval)
{
    if (view.maxTimestamp > m_maxTimestamp) {
        m_maxTimestamp = view.maxTimestamp;
        m_offsetOfMaxTimestamp = view.baseOffset;
    }
    if (m_bytesSinceIndex >= indexInterval) {
        m_index.push_back({view.baseOffset, position});
        if (m_maxTimestamp >= 0 && (m_timeIndex.empty() || m_maxTimestamp > m_timeIndex.back().timestamp))
            m_timeIndex.push_back({m_maxTimestamp, view.baseOffset});
        m_bytesSinceIndex = 0;
    }
    m_bytesSinceIndex += int64_t(view.totalSize());
    m_nextOffset = view.lastOffset() + 1;
}

pw::Result<void> Segment::rewriteIndexes()
{
    // Overwrite from the start, then cut whatever the old files had beyond the new content.
    m_indexOnDisk = 0;
    m_timeIndexOnDisk = 0;
    m_indexFilesExist = false;
    if (auto r = flushIndexes(); !r)
        return r;
    for (const auto& [path, length] : {std::pair {m_indexPath, int64_t(m_index.size() * OffsetEntrySize)},
             std::pair {m_timeIndexPath, int64_t(m_timeIndex.size() * TimeEntrySize)}}) {
        struct stat st
        {
        };
        if (::stat(path.c_str(), &st) == 0 && st.st_size > length && ::truncate(path.c_str(), length) != 0)
            return pw::fail(pw::Error::Code::Io,
                QStringLiteral("cannot truncate the indexes of %1: %2").arg(pathText(m_logPath), errnoText()));
    }
    return {};
}

void Segment::clearIndexes()
{
    m_index.clear();
    m_timeIndex.clear();
    m_bytesSinceIndex = 0;
    m_maxTimestamp = -1;
    m_offsetOfMaxTimestamp = -1;
    m_nextOffset = m_base;
}

pw::Result<int64_t> Segment::recover(int32_t indexInterval, const std::function<void(const RecordBatchView&)>& onBatch)
{
    clearIndexes();
    const int64_t fileSize = m_size;
    auto file = this->file();
    if (!file)
        return std::unexpected(file.error());
    SegmentScanner scanner((*file)->fd(), fileSize, 0, m_base, true);
    while (scanner.next()) {
        indexBatch(scanner.batch(), scanner.position(), indexInterval);
        if (onBatch)
            onBatch(scanner.batch());
    }
    const int64_t validEnd = scanner.validEnd();
    const int64_t cut = fileSize - validEnd;
    if (cut > 0) {
        qCWarning(lcBrokerStorage).noquote()
            << QStringLiteral("recovery of %1: %2; truncating %3 bytes (keeping %4 bytes, offsets %5..%6)")
                   .arg(pathText(m_logPath), scanner.stopReason())
                   .arg(cut)
                   .arg(validEnd)
                   .arg(m_base)
                   .arg(m_nextOffset - 1);
        if (::ftruncate((*file)->fd(), validEnd) != 0)
            return pw::fail(
                pw::Error::Code::Io, QStringLiteral("cannot truncate %1: %2").arg(pathText(m_logPath), errnoText()));
    }
    m_size = validEnd;
    m_verified = true;
    if (auto r = rewriteIndexes(); !r)
        return std::unexpected(r.error());
    return cut;
}

bool Segment::loadIndexFiles(int64_t nextSegmentBase)
{
    const auto index = fileio::readFile(m_indexPath, 1u << 30);
    const auto time = fileio::readFile(m_timeIndexPath, 1u << 30);
    if (!index || !time || index->size() % OffsetEntrySize != 0 || time->size() % TimeEntrySize != 0)
        return false;
    const int64_t upper = nextSegmentBase >= 0 ? nextSegmentBase : std::numeric_limits<int64_t>::max();
    m_index.clear();
    m_timeIndex.clear();
    for (size_t at = 0; at < index->size(); at += OffsetEntrySize) {
        const OffsetIndexEntry e {m_base + getU32(index->data() + at), getU32(index->data() + at + 4)};
        if (e.position <= 0 || e.position >= m_size || e.offset >= upper
            || (!m_index.empty() && (e.offset <= m_index.back().offset || e.position <= m_index.back().position)))
            return false;
        m_index.push_back(e);
    }
    for (size_t at = 0; at < time->size(); at += TimeEntrySize) {
        const TimeIndexEntry e {getI64(time->data() + at), m_base + getU32(time->data() + at + 8)};
        if (e.timestamp < 0 || e.offset >= upper
            || (!m_timeIndex.empty()
                && (e.timestamp <= m_timeIndex.back().timestamp || e.offset < m_timeIndex.back().offset)))
            return false;
        m_timeIndex.push_back(e);
    }
    // The last offset entry must point at a batch with that base offset.
    if (!m_index.empty()) {
        uint8_t header[batchlayout::HeaderSize];
        const auto& last = m_index.back();
        const auto file = this->file();
        if (!file || fileio::readAt((*file)->fd(), header, sizeof header, last.position) != int64_t(sizeof header))
            return false;
        const auto view = decodeBatchHeader(header);
        if (!view || view->baseOffset != last.offset)
            return false;
    }
    // A non-empty segment always has a time index entry after sealing, unless no batch carried a timestamp.
    if (m_size > 0 && m_timeIndex.empty())
        return false;
    m_indexOnDisk = m_index.size();
    m_timeIndexOnDisk = m_timeIndex.size();
    m_maxTimestamp = m_timeIndex.empty() ? -1 : m_timeIndex.back().timestamp;
    m_offsetOfMaxTimestamp = m_timeIndex.empty() ? -1 : m_timeIndex.back().offset;
    return true;
}

void Segment::rebuildByScan(int32_t indexInterval)
{
    clearIndexes();
    const auto file = this->file();
    if (!file) {
        qCWarning(lcBrokerStorage).noquote() << file.error().message;
        return;
    }
    SegmentScanner scanner((*file)->fd(), m_size, 0, m_base, false);
    while (scanner.next())
        indexBatch(scanner.batch(), scanner.position(), indexInterval);
    if (!scanner.stopReason().isEmpty())
        qCWarning(lcBrokerStorage).noquote() << QStringLiteral("closed segment %1: %2; batches after it are not served")
                                                    .arg(pathText(m_logPath), scanner.stopReason());
    sealTimeIndex();
}

pw::Result<void> Segment::loadClosed(int64_t nextSegmentBase, int32_t indexInterval)
{
    if (loadIndexFiles(nextSegmentBase)) {
        m_nextOffset = nextSegmentBase >= 0 ? nextSegmentBase : m_base;
        if (nextSegmentBase < 0 || m_size == 0) {
            // Unknown end: find it from the last indexed batch.
            m_nextOffset = m_base;
            forEachHeader(
                m_index.empty() ? 0 : m_index.back().position, m_size, [this](int64_t, const RecordBatchView& v) {
                    m_nextOffset = v.lastOffset() + 1;
                    return true;
                });
        }
        return {};
    }
    qCInfo(lcBrokerStorage).noquote() << QStringLiteral("rebuilding the indexes of %1").arg(pathText(m_logPath));
    rebuildByScan(indexInterval);
    if (nextSegmentBase >= 0 && m_nextOffset < nextSegmentBase)
        m_nextOffset = nextSegmentBase; // offsets between are a gap: fetches skip to the next segment
    return rewriteIndexes();
}

pw::Result<void> Segment::append(
    std::span<const uint8_t> bytes, std::span<const RecordBatchView> views, int32_t indexInterval)
{
    const auto file = this->file();
    if (!file)
        return std::unexpected(file.error());
    if (auto r = fileio::writeAt((*file)->fd(), bytes, m_size, m_logPath.string()); !r) {
        // Drop a partial write so the file ends at a batch boundary again.
        (void)::ftruncate((*file)->fd(), m_size);
        return r;
    }
    int64_t position = m_size;
    for (const auto& v : views) {
        indexBatch(v, position, indexInterval);
        position += int64_t(v.totalSize());
    }
    m_size = position;
    m_dirty = true;
    return {};
}

int64_t Segment::indexedPosition(int64_t offset) const
{
    auto it = std::upper_bound(
        m_index.begin(), m_index.end(), offset, [](int64_t o, const OffsetIndexEntry& e) { return o < e.offset; });
    return it == m_index.begin() ? 0 : std::prev(it)->position;
}

int64_t Segment::timeLookupStart(int64_t timestampMs) const
{
    // Entries (T, o): every batch up to o has maxTimestamp <= T. The last entry with T < ts rules out all before.
    auto it = std::lower_bound(m_timeIndex.begin(), m_timeIndex.end(), timestampMs,
        [](const TimeIndexEntry& e, int64_t ts) { return e.timestamp < ts; });
    return it == m_timeIndex.begin() ? m_base : std::prev(it)->offset;
}

void Segment::forEachHeader(
    int64_t position, int64_t end, const std::function<bool(int64_t, const RecordBatchView&)>& fn) const
{
    uint8_t header[batchlayout::HeaderSize];
    if (position + int64_t(sizeof header) > end)
        return;
    const auto file = this->file();
    if (!file)
        return;
    while (position + int64_t(sizeof header) <= end) {
        if (fileio::readAt((*file)->fd(), header, sizeof header, position) != int64_t(sizeof header))
            return;
        const auto view = decodeBatchHeader(header);
        if (!view || int64_t(view->totalSize()) > end - position || view->lastOffsetDelta < 0)
            return;
        if (!fn(position, *view))
            return;
        position += int64_t(view->totalSize());
    }
}

std::optional<std::pair<int64_t, RecordBatchView>> Segment::locate(int64_t offset, int64_t end) const
{
    // Index entries are in memory and come from this process's own scan or checked files, but the bytes they
    // point at are verified anyway: a mismatch falls back to a scan from the start of the segment.
    auto search = [&](int64_t start, bool verifyFirst,
                      int64_t expectBase) -> std::optional<std::optional<std::pair<int64_t, RecordBatchView>>> {
        std::optional<std::pair<int64_t, RecordBatchView>> found;
        bool first = true;
        bool bad = false;
        forEachHeader(start, end, [&](int64_t pos, const RecordBatchView& v) {
            if (first && verifyFirst && v.baseOffset != expectBase) {
                bad = true;
                return false;
            }
            first = false;
            if (v.lastOffset() >= offset) {
                found.emplace(pos, v);
                return false;
            }
            return true;
        });
        if (bad || (first && verifyFirst && start < end))
            return std::nullopt; // hint pointed at no batch
        return found;
    };
    auto it = std::upper_bound(
        m_index.begin(), m_index.end(), offset, [](int64_t o, const OffsetIndexEntry& e) { return o < e.offset; });
    if (it != m_index.begin()) {
        const auto& e = *std::prev(it);
        if (e.position < end) {
            if (auto r = search(e.position, true, e.offset))
                return *r;
        }
    }
    if (auto r = search(0, false, 0))
        return *r;
    return std::nullopt;
}

void Segment::sealTimeIndex()
{
    if (m_maxTimestamp >= 0 && (m_timeIndex.empty() || m_maxTimestamp > m_timeIndex.back().timestamp))
        m_timeIndex.push_back({m_maxTimestamp,
            std::max(m_offsetOfMaxTimestamp, m_timeIndex.empty() ? m_base : m_timeIndex.back().offset)});
}

pw::Result<void> Segment::flushIndexes(bool sync)
{
    const bool offsetPending = m_indexOnDisk < m_index.size();
    const bool timePending = m_timeIndexOnDisk < m_timeIndex.size();
    if (m_indexFilesExist && !offsetPending && !timePending)
        return {};
    auto writeTail
        = [&](const std::filesystem::path& path, std::span<const uint8_t> bytes, int64_t position) -> pw::Result<void> {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return pw::fail(pw::Error::Code::Io, QStringLiteral("cannot open %1: %2").arg(pathText(path), errnoText()));
        auto written = bytes.empty() ? pw::Result<void> {} : fileio::writeAt(fd, bytes, position, path.string());
        if (written && sync)
            ::fdatasync(fd);
        ::close(fd);
        return written;
    };
    std::vector<uint8_t> out((m_index.size() - m_indexOnDisk) * OffsetEntrySize);
    for (size_t i = m_indexOnDisk, at = 0; i < m_index.size(); ++i, at += OffsetEntrySize) {
        putU32(out.data() + at, uint32_t(m_index[i].offset - m_base));
        putU32(out.data() + at + 4, uint32_t(m_index[i].position));
    }
    if (auto r = writeTail(m_indexPath, out, int64_t(m_indexOnDisk * OffsetEntrySize)); !r)
        return r;
    m_indexOnDisk = m_index.size();
    out.assign((m_timeIndex.size() - m_timeIndexOnDisk) * TimeEntrySize, 0);
    for (size_t i = m_timeIndexOnDisk, at = 0; i < m_timeIndex.size(); ++i, at += TimeEntrySize) {
        putI64(out.data() + at, m_timeIndex[i].timestamp);
        putU32(out.data() + at + 8, uint32_t(m_timeIndex[i].offset - m_base));
    }
    if (auto r = writeTail(m_timeIndexPath, out, int64_t(m_timeIndexOnDisk * TimeEntrySize)); !r)
        return r;
    m_timeIndexOnDisk = m_timeIndex.size();
    m_indexFilesExist = true;
    return {};
}

void Segment::sync()
{
    if (!m_dirty)
        return;
    // fdatasync works on the file, not the descriptor: a reopened one flushes what an evicted one wrote.
    if (const auto file = this->file())
        ::fdatasync((*file)->fd());
    m_dirty = false;
}

void Segment::removeFiles()
{
    m_removed = true;
    std::error_code ec;
    std::filesystem::remove(m_logPath, ec);
    std::filesystem::remove(m_indexPath, ec);
    std::filesystem::remove(m_timeIndexPath, ec);
}

} // namespace pw::broker
