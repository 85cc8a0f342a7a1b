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
__attribute__((target("sse4.2"))) uint32_t crcHardware(const uint8_t* p, size_t n, uint32_t crc)
{
#if defined(__x86_64__)
    uint64_t c = crc;
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
