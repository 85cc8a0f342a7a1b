#pragma once

#include <QtGlobal>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace pw {

class GorillaChunkReader;

/// One row of a one-column chunk, as readers collect them (SeriesStore calls it SeriesPoint).
struct GorillaPoint
{
    qint64 timestampMs = 0;
    double value = 0.0;
};

/// Gorilla compression (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database", VLDB 2015)
/// for rows of one timestamp and 1..kMaxColumns doubles, in one bit stream.
///
/// The open chunk (GorillaChunkWriter) is the paper's stream. Timestamps (ms since epoch) are stored as
/// delta-of-delta with the paper's buckets: `0` for a repeat of the last interval, `10`+7 bits for [-63,64], `110`+9
/// bits for [-255,256], `1110`+12 bits for [-2047,2048], `1111`+32 bits otherwise. The first timestamp lives in the
/// chunk header (not the stream); the first interval is coded as a delta-of-delta against 0. Values are XOR'd with
/// the previous value of the same column: `0` when equal, `10` + meaningful bits when they fit the previous
/// leading/trailing-zero window, `11` + 5 bits leading zeros + 6 bits length + meaningful bits otherwise.
///
/// Sealing re-encodes the rows in the *packed* form when that is smaller (ChunkEncoding::Packed). The paper's data
/// were mostly repeats and smooth doubles; what Pathwatch polls is mostly decimal numbers — integer lags and offsets,
/// seconds with millisecond resolution — whose XOR'd bit patterns are nearly random. A packed chunk knows all its rows,
/// so it chooses per chunk and per column:
///  - values: a column whose every value is exactly n / 10^k (k = 0..15, checked bit for bit on the way back) is
///    stored as those integers n; any other column keeps the XOR coding above;
///  - integers and timestamps: as residuals against a predictor — a regular grid (first + i * step, for scheduled
///    polls, so a late poll costs one residual rather than three), the previous value plus a typical step (gauges,
///    counters at a steady rate), or the previous value plus the previous delta (delta-of-delta);
///  - residuals: zigzag-coded at one fixed width, at two widths with a flag bit (a narrow common case and rare wide
///    ones), or sparse (positions and values of the few non-zero residuals, the rest cost nothing).
/// Every choice is made by computing the exact size of each candidate. Values are restored as their 64-bit patterns,
/// so every double round-trips bit-exactly: NaN payloads, ±Inf, -0.0, denormals (those simply stay in XOR form).
///
/// Chunk size: at most kDefaultMaxSamples (120) rows and kDefaultMaxSpanMs (2 h) between its first and last row,
/// whichever comes first. The paper measured that compression stops improving at about 120 samples per block
/// (1.37 bytes/sample), while per-chunk costs (header, first interval and first values uncompressed) are then
/// amortised to well under 0.1 byte/sample. 120 rows at a 5 s poll is 10 minutes, so retention that drops whole
/// chunks overshoots its window by at most that much; the 2 h span cap bounds a chunk of a slow series and keeps
/// every delta-of-delta inside the 32-bit bucket.
///
/// Timestamps must not decrease: an older row is refused (AppendResult::OutOfOrder) and nothing is written; an equal
/// timestamp is encoded (interval 0) — the codec keeps whatever non-decreasing sequence it is given, and policy on
/// duplicates is the caller's (SeriesStore drops and counts them).
///
/// Thread-safety: a writer is not thread-safe; callers serialise appends and reads of one writer. A sealed
/// GorillaChunk is immutable, so any number of threads may read it at once.
enum class ChunkEncoding : quint8
{
    Gorilla, // the paper's stream, as the writer builds it
    Packed, // chosen at seal() when smaller; see GorillaChunk
};

class GorillaChunk
{
public:
    static constexpr int kMaxColumns = 4;
    static constexpr int kDefaultMaxSamples = 120;
    static constexpr qint64 kDefaultMaxSpanMs = 2 * 60 * 60 * 1000;

    GorillaChunk() = default;
    GorillaChunk(GorillaChunk&&) noexcept = default;
    GorillaChunk& operator=(GorillaChunk&&) noexcept = default;

    bool isEmpty() const { return m_count == 0; }
    int count() const { return m_count; }
    int columns() const { return m_columns; }
    ChunkEncoding encoding() const { return m_encoding; }
    qint64 firstTimestamp() const { return m_firstTs; }
    qint64 lastTimestamp() const { return m_firstTs + m_spanMs; }
    quint32 bitCount() const { return m_bitCount; }
    /// Heap payload plus this object: what the chunk costs in memory.
    std::size_t bytesUsed() const { return sizeof(GorillaChunk) + payloadBytes(); }
    std::size_t payloadBytes() const { return (m_bitCount + 7) / 8; }
    const std::uint8_t* data() const { return m_bits.get(); }

    GorillaChunkReader reader() const;
    /// A copy without the rows older than `tsMs` (re-encoded); an empty chunk when none remain.
    GorillaChunk withoutRowsBefore(qint64 tsMs) const;

private:
    friend class GorillaChunkWriter;
    std::unique_ptr<std::uint8_t[]> m_bits;
    qint64 m_firstTs = 0;
    quint32 m_spanMs = 0;
    quint32 m_bitCount = 0;
    quint16 m_count = 0;
    quint8 m_columns = 1;
    ChunkEncoding m_encoding = ChunkEncoding::Gorilla;
};

/// The open, growing chunk. seal() hands its rows over as an immutable GorillaChunk and leaves the writer empty.
class GorillaChunkWriter
{
public:
    enum class AppendResult
    {
        Appended,
        Full, // row limit or span limit reached: seal and append to a fresh writer
        OutOfOrder, // older than the last row
    };

    explicit GorillaChunkWriter(int columns = 1, int maxSamples = GorillaChunk::kDefaultMaxSamples,
        qint64 maxSpanMs = GorillaChunk::kDefaultMaxSpanMs);

    AppendResult append(qint64 tsMs, double value) { return append(tsMs, std::span<const double>(&value, 1)); }
    /// `values` must hold exactly columns() doubles.
    AppendResult append(qint64 tsMs, std::span<const double> values);

    bool isEmpty() const { return m_count == 0; }
    int count() const { return m_count; }
    int columns() const { return m_columns; }
    int maxSamples() const { return m_maxSamples; }
    qint64 firstTimestamp() const { return m_firstTs; }
    qint64 lastTimestamp() const { return m_lastTs; }
    quint32 bitCount() const { return m_bitCount; }
    /// This object plus the reserved capacity of its bit buffer.
    std::size_t bytesUsed() const { return sizeof(GorillaChunkWriter) + m_bytes.capacity(); }

    /// Reads the rows appended so far; invalidated by the next append() or seal().
    GorillaChunkReader reader() const;
    /// Hands the rows over as an immutable chunk, packed when that is smaller (see GorillaChunk).
    GorillaChunk seal();

private:
    bool pack(GorillaChunk& chunk) const;
    void writeBits(std::uint64_t value, int bits);
    void writeTimestamp(qint64 tsMs);
    void writeValue(int column, std::uint64_t bits);

    struct ColumnState
    {
        std::uint64_t previous = 0;
        quint8 leading = 0xff; // 0xff: no window yet
        quint8 trailing = 0;
    };

    std::vector<std::uint8_t> m_bytes;
    qint64 m_firstTs = 0;
    qint64 m_lastTs = 0;
    qint64 m_lastDelta = 0;
    qint64 m_maxSpanMs;
    quint32 m_bitCount = 0;
    quint16 m_count = 0;
    quint16 m_maxSamples;
    quint8 m_columns;
    ColumnState m_state[GorillaChunk::kMaxColumns];
};

/// Forward decoder over a chunk's rows. Cheap to copy; does not own the bits (keep the chunk or writer alive).
class GorillaChunkReader
{
public:
    GorillaChunkReader() = default;
    GorillaChunkReader(const std::uint8_t* bits, quint32 bitCount, int count, int columns, qint64 firstTs,
        ChunkEncoding encoding = ChunkEncoding::Gorilla);

    /// Decodes the next row; false at the end (or when the stream is shorter than announced).
    bool next();
    /// Decodes the remaining rows and appends those with timestamps in [fromMs, toMs] (column 0) to `out`, stopping
    /// after toMs: what next() does row by row, in one call per chunk so the decoder inlines into the loop.
    void appendRows(qint64 fromMs, qint64 toMs, std::vector<GorillaPoint>& out);
    qint64 timestamp() const { return m_ts; }
    double value(int column = 0) const { return std::bit_cast<double>(m_values[column]); }
    std::uint64_t valueBits(int column = 0) const { return m_values[column]; }
    int remaining() const { return m_count - m_index; }

private:
    /// An integer stream of a packed chunk: residuals against a predictor (see GorillaChunk).
    struct IntStream
    {
        qint64 first = 0;
        qint64 base = 0; // the predictor's step
        qint64 previous = 0;
        qint64 delta = 0; // delta-of-delta predictor: the previous interval
        quint32 sideCursor = 0; // sparse residuals: bit position of the next (gap, value) pair
        qint32 sideLeft = 0;
        qint32 nextNonZero = -1; // sparse residuals: index of the next non-zero residual
        std::uint64_t nextValue = 0;
        quint8 order = 0;
        quint8 code = 0;
        quint8 narrowWidth = 0;
        quint8 width = 0;
        quint8 gapWidth = 0;
    };

    std::uint64_t readBits(int bits) { return readBitsAt(m_pos, bits); }
    // The fast path inline: decoding calls it several times per row.
    std::uint64_t readBitsAt(quint32& pos, int bits)
    {
        // One unaligned big-endian load covers any field up to 57 bits when 8 bytes remain in the buffer.
        const quint32 byte = pos >> 3;
        if (bits >= 0 && bits <= 57 && pos + quint32(bits) <= m_bitCount
            && std::size_t(byte) + 8 <= (std::size_t(m_bitCount) + 7) / 8) {
            std::uint64_t word;
            std::memcpy(&word, m_bits + byte, 8);
            if constexpr (std::endian::native == std::endian::little)
                word = __builtin_bswap64(word);
            const int shift = int(pos & 7);
            pos += quint32(bits);
            return bits == 0 ? 0 : (word << shift) >> (64 - bits);
        }
        return readBitsSlow(pos, bits);
    }
    std::uint64_t readBitsSlow(quint32& pos, int bits);
    qint64 readDeltaOfDelta();
    // Inlined into advance(), the per-row decoder (defined in gorillachunk.cpp, the only caller).
    [[gnu::always_inline]] inline std::uint64_t readValue(int column);
    qint64 readSigned();
    bool readPackedHeader();
    bool readIntStream(IntStream& stream);
    [[gnu::always_inline]] inline qint64 nextInt(IntStream& stream, int row);
    [[gnu::always_inline]] inline bool advance();

    const std::uint8_t* m_bits = nullptr;
    quint32 m_bitCount = 0;
    quint32 m_pos = 0;
    int m_count = 0;
    int m_index = 0;
    int m_columns = 1;
    bool m_overrun = false;
    bool m_packed = false;
    qint64 m_ts = 0;
    qint64 m_delta = 0;
    std::uint64_t m_values[GorillaChunk::kMaxColumns] = {};
    quint8 m_leading[GorillaChunk::kMaxColumns] = {};
    quint8 m_trailing[GorillaChunk::kMaxColumns] = {};
    // Packed chunks only.
    IntStream m_tsStream;
    IntStream m_columnStreams[GorillaChunk::kMaxColumns];
    quint8 m_columnScale[GorillaChunk::kMaxColumns] = {}; // 0xff: XOR-coded column; else values are n / 10^scale
};

} // namespace pw
