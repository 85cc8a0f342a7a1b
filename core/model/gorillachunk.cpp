#include "model/gorillachunk.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace pw {

namespace {

// The paper's delta-of-delta buckets: control bits, payload width, and the (asymmetric) range each payload covers.
// A payload stores dod + bias as an unsigned number, so [-(2^(n-1)-1), 2^(n-1)] fits n bits exactly.
constexpr qint64 bias(int bits)
{
    return (qint64(1) << (bits - 1)) - 1;
}

// Keeps every delta-of-delta of a chunk inside the 32-bit bucket: |dod| <= span.
constexpr qint64 kSpanLimitMs = qint64(1) << 30;

} // namespace

// ---------------------------------------------------------------------------------------------------------------
// GorillaChunk

GorillaChunkReader GorillaChunk::reader() const
{
    return GorillaChunkReader(m_bits.get(), m_bitCount, m_count, m_columns, m_firstTs);
}

GorillaChunk GorillaChunk::withoutRowsBefore(qint64 tsMs) const
{
    GorillaChunkWriter writer(m_columns, std::max<int>(m_count, 1), kSpanLimitMs);
    GorillaChunkReader rows = reader();
    double values[kMaxColumns];
    while (rows.next()) {
        if (rows.timestamp() < tsMs)
            continue;
        for (int c = 0; c < m_columns; ++c)
            values[c] = rows.value(c);
        writer.append(rows.timestamp(), std::span<const double>(values, m_columns));
    }
    return writer.seal();
}

// ---------------------------------------------------------------------------------------------------------------
// GorillaChunkWriter

GorillaChunkWriter::GorillaChunkWriter(int columns, int maxSamples, qint64 maxSpanMs)
    : m_maxSpanMs(std::clamp<qint64>(maxSpanMs, 0, kSpanLimitMs))
    , m_maxSamples(quint16(std::clamp(maxSamples, 1, 65535)))
    , m_columns(quint8(std::clamp(columns, 1, GorillaChunk::kMaxColumns)))
{ }

GorillaChunkWriter::AppendResult GorillaChunkWriter::append(qint64 tsMs, std::span<const double> values)
{
    Q_ASSERT(values.size() == m_columns);
    if (m_count > 0) {
        if (tsMs < m_lastTs)
            return AppendResult::OutOfOrder;
        if (m_count >= m_maxSamples || tsMs - m_firstTs > m_maxSpanMs)
            return AppendResult::Full;
    }

    if (m_count == 0) {
        // Header: the first timestamp is kept outside the stream; the first values go in uncompressed.
        m_firstTs = tsMs;
        m_lastTs = tsMs;
        m_lastDelta = 0;
        for (int c = 0; c < m_columns; ++c) {
            const auto bits = std::bit_cast<std::uint64_t>(values[c]);
            writeBits(bits, 64);
            m_state[c] = ColumnState {bits, 0xff, 0};
        }
    } else {
        writeTimestamp(tsMs);
        for (int c = 0; c < m_columns; ++c)
            writeValue(c, std::bit_cast<std::uint64_t>(values[c]));
    }
    ++m_count;
    return AppendResult::Appended;
}

void GorillaChunkWriter::writeTimestamp(qint64 tsMs)
{
    const qint64 delta = tsMs - m_lastTs;
    const qint64 dod = delta - m_lastDelta;
    if (dod == 0) {
        writeBits(0b0, 1);
    } else if (dod >= -bias(7) && dod <= bias(7) + 1) {
        writeBits(0b10, 2);
        writeBits(std::uint64_t(dod + bias(7)), 7);
    } else if (dod >= -bias(9) && dod <= bias(9) + 1) {
        writeBits(0b110, 3);
        writeBits(std::uint64_t(dod + bias(9)), 9);
    } else if (dod >= -bias(12) && dod <= bias(12) + 1) {
        writeBits(0b1110, 4);
        writeBits(std::uint64_t(dod + bias(12)), 12);
    } else {
        writeBits(0b1111, 4);
        writeBits(std::uint64_t(dod + bias(32)), 32);
    }
    m_lastDelta = delta;
    m_lastTs = tsMs;
}

void GorillaChunkWriter::writeValue(int column, std::uint64_t bits)
{
    ColumnState& state = m_state[column];
    const std::uint64_t x = bits ^ state.previous;
    state.previous = bits;
    if (x == 0) {
        writeBits(0b0, 1);
        return;
    }
    // Leading zeros are capped at 31 because the paper stores them in 5 bits.
    const int leading = std::min(std::countl_zero(x), 31);
    const int trailing = std::countr_zero(x);
    if (state.leading != 0xff && leading >= state.leading && trailing >= state.trailing) {
        writeBits(0b10, 2);
        writeBits(x >> state.trailing, 64 - state.leading - state.trailing);
        return;
    }
    const int meaningful = 64 - leading - trailing; // 1..64, stored as length-1 in 6 bits
    writeBits(0b11, 2);
    writeBits(std::uint64_t(leading), 5);
    writeBits(std::uint64_t(meaningful - 1), 6);
    writeBits(x >> trailing, meaningful);
    state.leading = quint8(leading);
    state.trailing = quint8(trailing);
}

void GorillaChunkWriter::writeBits(std::uint64_t value, int bits)
{
    if (bits == 0)
        return;
    const std::size_t needed = (std::size_t(m_bitCount) + bits + 7) / 8;
    if (needed > m_bytes.size()) {
        // Grow in small steps rather than doubling: the open chunk's spare capacity is memory we account for.
        if (needed > m_bytes.capacity())
            m_bytes.reserve(std::max(needed, m_bytes.capacity() + std::max<std::size_t>(32, m_bytes.capacity() / 4)));
        m_bytes.resize(needed, 0);
    }
    while (bits > 0) {
        const int used = int(m_bitCount & 7);
        const int space = 8 - used;
        const int take = std::min(space, bits);
        const auto piece = std::uint8_t((value >> (bits - take)) & ((1u << take) - 1));
        m_bytes[m_bitCount >> 3] |= std::uint8_t(piece << (space - take));
        bits -= take;
        m_bitCount += quint32(take);
    }
}

GorillaChunkReader GorillaChunkWriter::reader() const
{
    return GorillaChunkReader(m_bytes.data(), m_bitCount, m_count, m_columns, m_firstTs);
}

GorillaChunk GorillaChunkWriter::seal()
{
    GorillaChunk chunk;
    if (m_count > 0) {
        const std::size_t bytes = (std::size_t(m_bitCount) + 7) / 8;
        chunk.m_bits = std::make_unique_for_overwrite<std::uint8_t[]>(bytes);
        std::memcpy(chunk.m_bits.get(), m_bytes.data(), bytes);
        chunk.m_firstTs = m_firstTs;
        chunk.m_spanMs = quint32(m_lastTs - m_firstTs);
        chunk.m_bitCount = m_bitCount;
        chunk.m_count = m_count;
        chunk.m_columns = m_columns;
    }
    // Keep the buffer's capacity: the next chunk of this series will need about as much.
    m_bytes.clear();
    m_bitCount = 0;
    m_count = 0;
    m_firstTs = m_lastTs = m_lastDelta = 0;
    return chunk;
}

// ---------------------------------------------------------------------------------------------------------------
// GorillaChunkReader

GorillaChunkReader::GorillaChunkReader(
    const std::uint8_t* bits, quint32 bitCount, int count, int columns, qint64 firstTs)
    : m_bits(bits)
    , m_bitCount(bitCount)
    , m_count(count)
    , m_columns(std::clamp(columns, 1, GorillaChunk::kMaxColumns))
    , m_ts(firstTs)
{ }

double GorillaChunkReader::value(int column) const
{
    return std::bit_cast<double>(m_values[column]);
}

bool GorillaChunkReader::next()
{
    if (m_index >= m_count || m_overrun)
        return false;
    if (m_index == 0) {
        for (int c = 0; c < m_columns; ++c) {
            m_values[c] = readBits(64);
            m_leading[c] = 0xff;
        }
    } else {
        m_delta += readDeltaOfDelta();
        m_ts += m_delta;
        for (int c = 0; c < m_columns; ++c)
            m_values[c] = readValue(c);
    }
    if (m_overrun)
        return false;
    ++m_index;
    return true;
}

std::uint64_t GorillaChunkReader::readBits(int bits)
{
    if (m_pos + quint32(bits) > m_bitCount) {
        m_overrun = true;
        m_pos = m_bitCount;
        return 0;
    }
    // Fast path: one unaligned big-endian load covers any field up to 57 bits when 8 bytes remain in the buffer.
    const quint32 byte = m_pos >> 3;
    const int shift = int(m_pos & 7);
    if (bits <= 57 && std::size_t(byte) + 8 <= (std::size_t(m_bitCount) + 7) / 8) {
        std::uint64_t word;
        std::memcpy(&word, m_bits + byte, 8);
        if constexpr (std::endian::native == std::endian::little)
            word = __builtin_bswap64(word);
        m_pos += quint32(bits);
        return bits == 0 ? 0 : (word << shift) >> (64 - bits);
    }
    std::uint64_t out = 0;
    while (bits > 0) {
        const int used = int(m_pos & 7);
        const int avail = 8 - used;
        const int take = std::min(avail, bits);
        const unsigned piece = (unsigned(m_bits[m_pos >> 3]) >> (avail - take)) & ((1u << take) - 1);
        out = (out << take) | piece;
        bits -= take;
        m_pos += quint32(take);
    }
    return out;
}

qint64 GorillaChunkReader::readDeltaOfDelta()
{
    if (readBits(1) == 0)
        return 0;
    if (readBits(1) == 0)
        return qint64(readBits(7)) - bias(7);
    if (readBits(1) == 0)
        return qint64(readBits(9)) - bias(9);
    if (readBits(1) == 0)
        return qint64(readBits(12)) - bias(12);
    return qint64(readBits(32)) - bias(32);
}

std::uint64_t GorillaChunkReader::readValue(int column)
{
    if (readBits(1) == 0)
        return m_values[column];
    std::uint64_t x = 0;
    if (readBits(1) == 0) {
        if (m_leading[column] == 0xff) { // a window reuse before any window: not a stream we wrote
            m_overrun = true;
            return 0;
        }
        const int leading = m_leading[column];
        const int trailing = m_trailing[column];
        x = readBits(64 - leading - trailing) << trailing;
    } else {
        const int leading = int(readBits(5));
        const int meaningful = int(readBits(6)) + 1;
        const int trailing = 64 - leading - meaningful;
        if (trailing < 0) {
            m_overrun = true;
            return 0;
        }
        x = readBits(meaningful) << trailing;
        m_leading[column] = quint8(leading);
        m_trailing[column] = quint8(trailing);
    }
    return m_values[column] ^ x;
}

} // namespace pw
