#include "model/gorillachunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
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

// XOR coding of one value against the previous value of its column (the paper's scheme); `write(value, bits)`.
struct XorState
{
    std::uint64_t previous = 0;
    quint8 leading = 0xff; // 0xff: no window yet
    quint8 trailing = 0;
};

template<class Write>
void writeXorValue(XorState& state, std::uint64_t bits, Write&& write)
{
    const std::uint64_t x = bits ^ state.previous;
    state.previous = bits;
    if (x == 0) {
        write(0b0, 1);
        return;
    }
    // Leading zeros are capped at 31 because the paper stores them in 5 bits.
    const int leading = std::min(std::countl_zero(x), 31);
    const int trailing = std::countr_zero(x);
    if (state.leading != 0xff && leading >= state.leading && trailing >= state.trailing) {
        write(0b10, 2);
        write(x >> state.trailing, 64 - state.leading - state.trailing);
        return;
    }
    const int meaningful = 64 - leading - trailing; // 1..64, stored as length-1 in 6 bits
    write(0b11, 2);
    write(std::uint64_t(leading), 5);
    write(std::uint64_t(meaningful - 1), 6);
    write(x >> trailing, meaningful);
    state.leading = quint8(leading);
    state.trailing = quint8(trailing);
}

// ---- Packed encoding (see GorillaChunk) -------------------------------------------------------------------------

enum Predictor : int
{
    Grid = 0, // first + i * base
    Delta = 1, // previous + base
    DeltaOfDelta = 2, // previous + previous interval (the first interval is base)
};

enum ResidualCode : int
{
    FixedWidth = 0, // every residual in `width` bits
    TwoWidths = 1, // flag bit, then `narrowWidth` or `width` bits
    Sparse = 2, // (gap, value) pairs of the non-zero residuals in the header; nothing per row
};

constexpr int kMaxScale = 15;
constexpr quint8 kXorColumn = 0xff;
constexpr double kPow10[kMaxScale + 1]
    = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr double kMaxExactInteger = 9007199254740992.0; // 2^53
// Grid prediction multiplies the step by the row index: a bound that keeps first + i * step far from overflow.
constexpr qint64 kMaxGridStep = qint64(1) << 40;

std::uint64_t zigzag(qint64 v)
{
    return (std::uint64_t(v) << 1) ^ std::uint64_t(v >> 63);
}

qint64 unzigzag(std::uint64_t u)
{
    return qint64(u >> 1) ^ -qint64(u & 1);
}

int widthOf(std::uint64_t u)
{
    return u == 0 ? 0 : 64 - std::countl_zero(u);
}

// A signed number in the header: 7 bits of width, then the zigzag-coded value.
int signedBits(qint64 v)
{
    return 7 + widthOf(zigzag(v));
}

// Wrapping arithmetic: a decoder fed damaged bits must not hit signed-overflow UB.
qint64 wrapAdd(qint64 a, qint64 b)
{
    return qint64(std::uint64_t(a) + std::uint64_t(b));
}

qint64 wrapMul(qint64 a, qint64 b)
{
    return qint64(std::uint64_t(a) * std::uint64_t(b));
}

class BitSink
{
public:
    explicit BitSink(quint32 expectedBits) { m_bytes.reserve((expectedBits + 7) / 8 + 8); }

    void write(std::uint64_t value, int bits)
    {
        if (bits == 0)
            return;
        const std::size_t needed = (std::size_t(m_bitCount) + bits + 7) / 8;
        if (needed > m_bytes.size())
            m_bytes.resize(needed, 0);
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

    void writeSigned(qint64 v)
    {
        const std::uint64_t u = zigzag(v);
        const int width = widthOf(u);
        write(std::uint64_t(width), 7);
        write(u, width);
    }

    quint32 bitCount() const { return m_bitCount; }
    const std::vector<std::uint8_t>& bytes() const { return m_bytes; }

private:
    std::vector<std::uint8_t> m_bytes;
    quint32 m_bitCount = 0;
};

struct CodePlan
{
    int code = FixedWidth;
    int narrowWidth = 0;
    int width = 0;
    int gapWidth = 0;
    int nonZero = 0;
    quint64 bits = 0; // code header (sparse: with its pairs) + per-row bits
};

// The cheapest of the three residual codes, by exact size.
CodePlan planCode(std::span<const qint64> residuals)
{
    int histogram[65] = {};
    int width = 0;
    int nonZero = 0;
    int gapWidth = 0;
    int sparseWidth = 0;
    qsizetype lastNonZero = -1;
    for (qsizetype i = 0; i < qsizetype(residuals.size()); ++i) {
        const std::uint64_t u = zigzag(residuals[std::size_t(i)]);
        const int w = widthOf(u);
        ++histogram[w];
        width = std::max(width, w);
        if (u != 0) {
            ++nonZero;
            gapWidth = std::max(gapWidth, widthOf(std::uint64_t(i - lastNonZero - 1)));
            sparseWidth = std::max(sparseWidth, widthOf(u - 1));
            lastNonZero = i;
        }
    }
    const quint64 rows = residuals.size();
    CodePlan best;
    best.code = FixedWidth;
    best.width = width;
    best.bits = 2 + 7 + rows * quint64(width);

    quint64 narrowOrLess = 0;
    for (int narrow = 0; narrow < width; ++narrow) {
        narrowOrLess += quint64(histogram[narrow]);
        const quint64 bits = 2 + 7 + 7 + rows + narrowOrLess * quint64(narrow) + (rows - narrowOrLess) * quint64(width);
        if (bits < best.bits)
            best = CodePlan {TwoWidths, narrow, width, 0, 0, bits};
    }
    if (rows < 65536) {
        const quint64 bits = 2 + 16 + 5 + 7 + quint64(nonZero) * quint64(gapWidth + sparseWidth);
        if (bits < best.bits)
            best = CodePlan {Sparse, 0, sparseWidth, gapWidth, nonZero, bits};
    }
    return best;
}

struct IntPlan
{
    int predictor = Delta;
    qint64 base = 0;
    CodePlan code;
    quint64 bits = 0; // predictor, base, code and rows
};

void residualsOf(std::span<const qint64> n, int predictor, qint64 base, std::vector<qint64>& out)
{
    out.clear();
    qint64 interval = base;
    for (std::size_t i = 1; i < n.size(); ++i) {
        switch (predictor) {
        case Grid:
            out.push_back((n[i] - n[0]) - qint64(i) * base);
            break;
        case Delta:
            out.push_back(n[i] - n[i - 1] - base);
            break;
        default: {
            const qint64 d = n[i] - n[i - 1];
            out.push_back(d - interval);
            interval = d;
            break;
        }
        }
    }
}

// Integers (timestamps, or values scaled to integers) need |n| <= 2^53 or a span that keeps intervals small, so
// no difference below overflows. `residuals` receives the chosen plan's residuals.
IntPlan planInts(std::span<const qint64> n, std::vector<qint64>& scratch, std::vector<qint64>& residuals)
{
    scratch.clear();
    for (std::size_t i = 1; i < n.size(); ++i)
        scratch.push_back(n[i] - n[i - 1]);
    const qint64 firstInterval = scratch.empty() ? 0 : scratch.front();
    qint64 typical = 0;
    if (!scratch.empty()) {
        auto middle = scratch.begin() + qsizetype(scratch.size() / 2);
        std::nth_element(scratch.begin(), middle, scratch.end());
        typical = *middle;
    }

    IntPlan best;
    best.bits = std::numeric_limits<quint64>::max();
    std::vector<qint64> candidate;
    candidate.reserve(n.size());
    auto consider = [&](int predictor, qint64 base) {
        residualsOf(n, predictor, base, candidate);
        const CodePlan code = planCode(candidate);
        const quint64 bits = 2 + quint64(signedBits(base)) + code.bits;
        if (bits < best.bits) {
            best = IntPlan {predictor, base, code, bits};
            residuals.swap(candidate);
        }
    };
    if (typical >= -kMaxGridStep && typical <= kMaxGridStep)
        consider(Grid, typical);
    consider(Delta, typical);
    consider(DeltaOfDelta, firstInterval);
    return best;
}

// The smallest k for which every value is exactly n / 10^k with |n| <= 2^53, or -1. Checked by decoding, so the
// packed form restores the very same bits.
int decimalScale(std::span<const std::uint64_t> values, std::vector<qint64>& out)
{
    out.resize(values.size());
    for (int k = 0; k <= kMaxScale; ++k) {
        const double scale = kPow10[k];
        bool exact = true;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double scaled = std::bit_cast<double>(values[i]) * scale;
            if (!(std::fabs(scaled) <= kMaxExactInteger)) // NaN and Inf fail here too
                return -1;
            const auto n = qint64(std::nearbyint(scaled));
            if (std::bit_cast<std::uint64_t>(double(n) / scale) != values[i]) {
                exact = false;
                break;
            }
            out[i] = n;
        }
        if (exact)
            return k;
    }
    return -1;
}

quint64 xorBits(std::span<const std::uint64_t> values)
{
    quint64 bits = 64;
    XorState state {values.front(), 0xff, 0};
    for (std::size_t i = 1; i < values.size(); ++i)
        writeXorValue(state, values[i], [&bits](std::uint64_t, int n) { bits += quint64(n); });
    return bits;
}

void writeIntHeader(BitSink& sink, const IntPlan& plan, std::span<const qint64> residuals)
{
    sink.write(std::uint64_t(plan.predictor), 2);
    sink.writeSigned(plan.base);
    sink.write(std::uint64_t(plan.code.code), 2);
    switch (plan.code.code) {
    case FixedWidth:
        sink.write(std::uint64_t(plan.code.width), 7);
        break;
    case TwoWidths:
        sink.write(std::uint64_t(plan.code.narrowWidth), 7);
        sink.write(std::uint64_t(plan.code.width), 7);
        break;
    default: {
        sink.write(std::uint64_t(plan.code.nonZero), 16);
        sink.write(std::uint64_t(plan.code.gapWidth), 5);
        sink.write(std::uint64_t(plan.code.width), 7);
        qsizetype last = -1;
        for (qsizetype i = 0; i < qsizetype(residuals.size()); ++i) {
            const std::uint64_t u = zigzag(residuals[std::size_t(i)]);
            if (u == 0)
                continue;
            sink.write(std::uint64_t(i - last - 1), plan.code.gapWidth);
            sink.write(u - 1, plan.code.width);
            last = i;
        }
        break;
    }
    }
}

void writeResidual(BitSink& sink, const CodePlan& code, qint64 residual)
{
    const std::uint64_t u = zigzag(residual);
    if (code.code == FixedWidth) {
        sink.write(u, code.width);
    } else if (code.code == TwoWidths) {
        const bool wide = widthOf(u) > code.narrowWidth;
        sink.write(wide ? 1 : 0, 1);
        sink.write(u, wide ? code.width : code.narrowWidth);
    }
}

// Per-thread scratch for sealing, so that sealing allocates only the chunk it returns.
struct PackScratch
{
    std::vector<qint64> timestamps;
    std::vector<std::uint64_t> values[GorillaChunk::kMaxColumns];
    std::vector<qint64> integers[GorillaChunk::kMaxColumns];
    std::vector<qint64> residuals[GorillaChunk::kMaxColumns + 1];
    std::vector<qint64> intervals;
};

} // namespace

// ---------------------------------------------------------------------------------------------------------------
// GorillaChunk

GorillaChunkReader GorillaChunk::reader() const
{
    return GorillaChunkReader(m_bits.get(), m_bitCount, m_count, m_columns, m_firstTs, m_encoding);
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
    XorState xorState {state.previous, state.leading, state.trailing};
    writeXorValue(xorState, bits, [this](std::uint64_t value, int n) { writeBits(value, n); });
    state = ColumnState {xorState.previous, xorState.leading, xorState.trailing};
}

void GorillaChunkWriter::writeBits(std::uint64_t value, int bits)
{
    while (bits > 0) {
        const int used = int(m_bitCount & 7);
        if (used == 0) {
            // Grow in small steps rather than doubling: the open chunk's spare capacity is memory we account for.
            if (m_bytes.size() == m_bytes.capacity())
                m_bytes.reserve(m_bytes.capacity() + std::max<std::size_t>(32, m_bytes.capacity() / 4));
            m_bytes.push_back(0);
        }
        const int space = 8 - used;
        const int take = std::min(space, bits);
        const auto piece = std::uint8_t((value >> (bits - take)) & ((1u << take) - 1));
        m_bytes.back() |= std::uint8_t(piece << (space - take));
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
        pack(chunk);
    }
    // Keep the buffer's capacity: the next chunk of this series will need about as much.
    m_bytes.clear();
    m_bitCount = 0;
    m_count = 0;
    m_firstTs = m_lastTs = m_lastDelta = 0;
    return chunk;
}

bool GorillaChunkWriter::pack(GorillaChunk& chunk) const
{
    const int rows = m_count;
    if (rows < 2)
        return false;
    thread_local PackScratch scratch;
    scratch.timestamps.clear();
    for (int c = 0; c < m_columns; ++c)
        scratch.values[c].clear();
    for (GorillaChunkReader it = reader(); it.next();) {
        scratch.timestamps.push_back(it.timestamp());
        for (int c = 0; c < m_columns; ++c)
            scratch.values[c].push_back(it.valueBits(c));
    }
    if (int(scratch.timestamps.size()) != rows)
        return false;

    const IntPlan timestamps = planInts(scratch.timestamps, scratch.intervals, scratch.residuals[0]);
    quint64 total = timestamps.bits;
    quint8 scales[GorillaChunk::kMaxColumns];
    IntPlan columns[GorillaChunk::kMaxColumns];
    for (int c = 0; c < m_columns; ++c) {
        const std::span<const std::uint64_t> values = scratch.values[c];
        const quint64 asXor = 1 + xorBits(values);
        scales[c] = kXorColumn;
        quint64 bits = asXor;
        const int scale = decimalScale(values, scratch.integers[c]);
        if (scale >= 0) {
            columns[c] = planInts(scratch.integers[c], scratch.intervals, scratch.residuals[c + 1]);
            const quint64 asIntegers = 1 + 4 + quint64(signedBits(scratch.integers[c].front())) + columns[c].bits;
            if (asIntegers < asXor) {
                scales[c] = quint8(scale);
                bits = asIntegers;
            }
        }
        total += bits;
        if (total >= m_bitCount)
            return false;
    }

    BitSink sink {quint32(total)};
    writeIntHeader(sink, timestamps, scratch.residuals[0]);
    XorState xorStates[GorillaChunk::kMaxColumns];
    for (int c = 0; c < m_columns; ++c) {
        if (scales[c] == kXorColumn) {
            sink.write(0, 1);
            sink.write(scratch.values[c].front(), 64);
            xorStates[c] = XorState {scratch.values[c].front(), 0xff, 0};
        } else {
            sink.write(1, 1);
            sink.write(scales[c], 4);
            sink.writeSigned(scratch.integers[c].front());
            writeIntHeader(sink, columns[c], scratch.residuals[c + 1]);
        }
    }
    auto write = [&sink](std::uint64_t value, int n) { sink.write(value, n); };
    for (int row = 1; row < rows; ++row) {
        const auto r = std::size_t(row - 1);
        writeResidual(sink, timestamps.code, scratch.residuals[0][r]);
        for (int c = 0; c < m_columns; ++c) {
            if (scales[c] == kXorColumn)
                writeXorValue(xorStates[c], scratch.values[c][std::size_t(row)], write);
            else
                writeResidual(sink, columns[c].code, scratch.residuals[c + 1][r]);
        }
    }
    Q_ASSERT(sink.bitCount() == total);

    const std::size_t bytes = (std::size_t(sink.bitCount()) + 7) / 8;
    chunk.m_bits = std::make_unique_for_overwrite<std::uint8_t[]>(bytes);
    std::memcpy(chunk.m_bits.get(), sink.bytes().data(), bytes);
    chunk.m_bitCount = sink.bitCount();
    chunk.m_encoding = ChunkEncoding::Packed;
    return true;
}

// ---------------------------------------------------------------------------------------------------------------
// GorillaChunkReader

GorillaChunkReader::GorillaChunkReader(
    const std::uint8_t* bits, quint32 bitCount, int count, int columns, qint64 firstTs, ChunkEncoding encoding)
    : m_bits(bits)
    , m_bitCount(bitCount)
    , m_count(count)
    , m_columns(std::clamp(columns, 1, GorillaChunk::kMaxColumns))
    , m_packed(encoding == ChunkEncoding::Packed)
    , m_ts(firstTs)
{ }

bool GorillaChunkReader::next()
{
    return advance();
}

inline bool GorillaChunkReader::advance()
{
    if (m_index >= m_count || m_overrun)
        return false;
    if (m_packed) {
        if (m_index == 0) {
            if (!readPackedHeader())
                m_overrun = true;
        } else {
            m_ts = nextInt(m_tsStream, m_index);
            for (int c = 0; c < m_columns; ++c) {
                if (m_columnScale[c] == kXorColumn)
                    m_values[c] = readValue(c);
                else
                    m_values[c] = std::bit_cast<std::uint64_t>(
                        double(nextInt(m_columnStreams[c], m_index)) / kPow10[m_columnScale[c]]);
            }
        }
    } else if (m_index == 0) {
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

void GorillaChunkReader::appendRows(qint64 fromMs, qint64 toMs, std::vector<GorillaPoint>& out)
{
    while (advance()) {
        if (m_ts < fromMs)
            continue;
        if (m_ts > toMs)
            break;
        out.push_back(GorillaPoint {m_ts, std::bit_cast<double>(m_values[0])});
    }
}

std::uint64_t GorillaChunkReader::readBitsSlow(quint32& pos, int bits)
{
    if (bits < 0 || bits > 64 || pos + quint32(bits) > m_bitCount) {
        m_overrun = true;
        pos = m_bitCount;
        return 0;
    }
    std::uint64_t out = 0;
    while (bits > 0) {
        const int used = int(pos & 7);
        const int avail = 8 - used;
        const int take = std::min(avail, bits);
        const unsigned piece = (unsigned(m_bits[pos >> 3]) >> (avail - take)) & ((1u << take) - 1);
        out = (out << take) | piece;
        bits -= take;
        pos += quint32(take);
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

inline std::uint64_t GorillaChunkReader::readValue(int column)
{
    // Fast path: the control bits and a new window's header come from one load (57 bits are always there), so a
    // value costs one or two reads instead of up to five. The slow path below does the same bit by bit near the end.
    if (const quint32 byte = m_pos >> 3;
        std::size_t(byte) + 8 <= (std::size_t(m_bitCount) + 7) / 8 && m_pos + 13 <= m_bitCount) {
        std::uint64_t word;
        std::memcpy(&word, m_bits + byte, 8);
        if constexpr (std::endian::native == std::endian::little)
            word = __builtin_bswap64(word);
        word <<= (m_pos & 7);
        if ((word >> 63) == 0) {
            m_pos += 1;
            return m_values[column];
        }
        if (((word >> 62) & 1) == 0) {
            m_pos += 2;
            if (m_leading[column] == 0xff) { // a window reuse before any window: not a stream we wrote
                m_overrun = true;
                return 0;
            }
            const int leading = m_leading[column];
            const int trailing = m_trailing[column];
            return m_values[column] ^ (readBits(64 - leading - trailing) << trailing);
        }
        const int leading = int((word >> 57) & 31);
        const int meaningful = int((word >> 51) & 63) + 1;
        m_pos += 13;
        const int trailing = 64 - leading - meaningful;
        if (trailing < 0) {
            m_overrun = true;
            return 0;
        }
        const std::uint64_t x = readBits(meaningful) << trailing;
        m_leading[column] = quint8(leading);
        m_trailing[column] = quint8(trailing);
        return m_values[column] ^ x;
    }
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

qint64 GorillaChunkReader::readSigned()
{
    const int width = int(readBits(7));
    if (width > 64) {
        m_overrun = true;
        return 0;
    }
    return unzigzag(readBits(width));
}

bool GorillaChunkReader::readIntStream(IntStream& stream)
{
    stream.order = quint8(readBits(2));
    stream.base = readSigned();
    stream.delta = stream.base;
    stream.code = quint8(readBits(2));
    switch (stream.code) {
    case FixedWidth:
        stream.width = quint8(readBits(7));
        break;
    case TwoWidths:
        stream.narrowWidth = quint8(readBits(7));
        stream.width = quint8(readBits(7));
        break;
    case Sparse: {
        stream.sideLeft = qint32(readBits(16));
        stream.gapWidth = quint8(readBits(5));
        stream.width = quint8(readBits(7));
        if (stream.gapWidth > 32 || stream.width > 64)
            return false;
        stream.sideCursor = m_pos;
        const quint64 pairs = quint64(stream.sideLeft) * (stream.gapWidth + stream.width);
        if (quint64(m_pos) + pairs > m_bitCount)
            return false;
        m_pos += quint32(pairs);
        stream.nextNonZero = -1;
        if (stream.sideLeft > 0) {
            stream.nextNonZero = qint32(readBitsAt(stream.sideCursor, stream.gapWidth));
            stream.nextValue = readBitsAt(stream.sideCursor, stream.width) + 1;
            --stream.sideLeft;
        }
        break;
    }
    default:
        return false;
    }
    return stream.order <= DeltaOfDelta && stream.narrowWidth <= 64 && stream.width <= 64 && !m_overrun;
}

bool GorillaChunkReader::readPackedHeader()
{
    m_tsStream = IntStream {};
    m_tsStream.first = m_tsStream.previous = m_ts;
    if (!readIntStream(m_tsStream))
        return false;
    for (int c = 0; c < m_columns; ++c) {
        if (readBits(1) == 0) {
            m_columnScale[c] = kXorColumn;
            m_values[c] = readBits(64);
            m_leading[c] = 0xff;
            continue;
        }
        const int scale = int(readBits(4));
        IntStream& stream = m_columnStreams[c];
        stream = IntStream {};
        stream.first = stream.previous = readSigned();
        if (!readIntStream(stream))
            return false;
        m_columnScale[c] = quint8(scale);
        m_values[c] = std::bit_cast<std::uint64_t>(double(stream.first) / kPow10[scale]);
    }
    return !m_overrun;
}

// The integer of row `row` (>= 1) of a packed stream.
inline qint64 GorillaChunkReader::nextInt(IntStream& stream, int row)
{
    std::uint64_t u = 0;
    switch (stream.code) {
    case FixedWidth:
        u = readBits(stream.width);
        break;
    case TwoWidths:
        u = readBits(1) ? readBits(stream.width) : readBits(stream.narrowWidth);
        break;
    default:
        if (row - 1 == stream.nextNonZero) {
            u = stream.nextValue;
            if (stream.sideLeft > 0) {
                stream.nextNonZero += 1 + qint32(readBitsAt(stream.sideCursor, stream.gapWidth));
                stream.nextValue = readBitsAt(stream.sideCursor, stream.width) + 1;
                --stream.sideLeft;
            } else {
                stream.nextNonZero = -1;
            }
        }
        break;
    }
    const qint64 residual = unzigzag(u);
    qint64 n = 0;
    switch (stream.order) {
    case Grid:
        n = wrapAdd(wrapAdd(stream.first, wrapMul(row, stream.base)), residual);
        break;
    case Delta:
        n = wrapAdd(wrapAdd(stream.previous, stream.base), residual);
        break;
    default:
        stream.delta = wrapAdd(stream.delta, residual);
        n = wrapAdd(stream.previous, stream.delta);
        break;
    }
    stream.previous = n;
    return n;
}

} // namespace pw
