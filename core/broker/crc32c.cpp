#include "broker/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define PW_CRC32C_X86 1
#endif

namespace pw::broker {

namespace {

constexpr uint32_t Polynomial = 0x82F63B78u; // reflected Castagnoli

// Slicing-by-8 tables: the software path still has to be quick on CPUs without SSE4.2 (and under valgrind).
constexpr std::array<std::array<uint32_t, 256>, 8> makeTables()
{
    std::array<std::array<uint32_t, 256>, 8> t {};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ Polynomial : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
        for (size_t s = 1; s < 8; ++s)
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
    return t;
}

constexpr auto Tables = makeTables();

uint32_t crcSoftware(const uint8_t* p, size_t n, uint32_t crc)
{
    while (n >= 8) {
        uint32_t lo, hi;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + 4, 4);
        if constexpr (std::endian::native == std::endian::big) {
            lo = __builtin_bswap32(lo);
            hi = __builtin_bswap32(hi);
        }
        lo ^= crc;
        crc = Tables[7][lo & 0xFF] ^ Tables[6][(lo >> 8) & 0xFF] ^ Tables[5][(lo >> 16) & 0xFF] ^ Tables[4][lo >> 24]
            ^ Tables[3][hi & 0xFF] ^ Tables[2][(hi >> 8) & 0xFF] ^ Tables[1][(hi >> 16) & 0xFF] ^ Tables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ Tables[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#ifdef PW_CRC32C_X86
// The crc32 instruction has a latency of three cycles but a throughput of one, so one dependent chain uses a third
// of what the CPU can do. Three chains over adjacent blocks run in parallel and are joined by shifting the earlier
// CRC over the length of the later blocks (a linear map on the 32-bit register, applied as four table lookups).
// Record batches are around a megabyte, so this is most of the broker's CPU time per produced byte after the copies.
constexpr size_t LongBlock = 8192; // both powers of two, as zerosOperator() requires
constexpr size_t ShortBlock = 256;

using Gf2Matrix = std::array<uint32_t, 32>;

constexpr uint32_t gf2Times(const Gf2Matrix& mat, uint32_t vec)
{
    uint32_t sum = 0;
    for (size_t i = 0; vec; ++i, vec >>= 1)
        if (vec & 1)
            sum ^= mat[i];
    return sum;
}

constexpr Gf2Matrix gf2Square(const Gf2Matrix& mat)
{
    Gf2Matrix square {};
    for (size_t n = 0; n < 32; ++n)
        square[n] = gf2Times(mat, mat[n]);
    return square;
}

// The operator that feeds `bytes` zero bytes through the (unconditioned) CRC register; `bytes` a power of two.
constexpr Gf2Matrix zerosOperator(size_t bytes)
{
    Gf2Matrix op {}; // one zero bit
    op[0] = Polynomial;
    for (size_t n = 1; n < 32; ++n)
        op[n] = uint32_t(1) << (n - 1);
    for (int i = 0; i < 3; ++i) // one zero byte
        op = gf2Square(op);
    for (; bytes > 1; bytes >>= 1)
        op = gf2Square(op);
    return op;
}

using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTable makeShiftTable(size_t bytes)
{
    const Gf2Matrix op = zerosOperator(bytes);
    ShiftTable t {};
    for (uint32_t n = 0; n < 256; ++n)
        for (size_t k = 0; k < 4; ++k)
            t[k][n] = gf2Times(op, n << (8 * k));
    return t;
}

constexpr ShiftTable LongShift = makeShiftTable(LongBlock);
constexpr ShiftTable ShortShift = makeShiftTable(ShortBlock);

inline uint32_t shift(const ShiftTable& t, uint64_t crc)
{
    return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][(crc >> 24) & 0xFF];
}

#if defined(__x86_64__)
template<size_t Block>
__attribute__((target("sse4.2"))) inline void crcThreeWay(
    const uint8_t*& p, size_t& n, uint64_t& c0, const ShiftTable& table)
{
    while (n >= 3 * Block) {
        uint64_t c1 = 0, c2 = 0;
        for (const uint8_t* end = p + Block; p < end; p += 8) {
            uint64_t v0, v1, v2;
            std::memcpy(&v0, p, 8);
            std::memcpy(&v1, p + Block, 8);
            std::memcpy(&v2, p + 2 * Block, 8);
            c0 = _mm_crc32_u64(c0, v0);
            c1 = _mm_crc32_u64(c1, v1);
            c2 = _mm_crc32_u64(c2, v2);
        }
        c0 = shift(table, c0) ^ c1;
        c0 = shift(table, c0) ^ c2;
        p += 2 * Block;
        n -= 3 * Block;
    }
}
#endif

__attribute__((target("sse4.2"))) uint32_t crcHardware(const uint8_t* p, size_t n, uint32_t crc)
{
#if defined(__x86_64__)
    uint64_t c = crc;
    crcThreeWay<LongBlock>(p, n, c, LongShift);
    crcThreeWay<ShortBlock>(p, n, c, ShortShift);
    while (n >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    crc = static_cast<uint32_t>(c);
#endif
    while (n--)
        crc = _mm_crc32_u8(crc, *p++);
    return crc;
}

bool hasHardware()
{
    static const bool has = __builtin_cpu_supports("sse4.2");
    return has;
}
#endif

} // namespace

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc)
{
    crc = ~crc;
#ifdef PW_CRC32C_X86
    if (hasHardware())
        return ~crcHardware(data.data(), data.size(), crc);
#endif
    return ~crcSoftware(data.data(), data.size(), crc);
}

uint32_t crc32cPortable(std::span<const uint8_t> data, uint32_t crc)
{
    return ~crcSoftware(data.data(), data.size(), ~crc);
}

} // namespace pw::broker
