#pragma once

#include <cstdint>
#include <span>

namespace pw::broker {

/// CRC-32C (Castagnoli), as Kafka uses for record batch v2. Uses SSE4.2 when the CPU has it, a table otherwise.
/// `crc` continues a previous result (pass the value returned for the preceding bytes). Thread-safe.
uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc = 0);
/// The table-driven implementation only (what crc32c() uses without SSE4.2); exposed so tests compare both.
uint32_t crc32cPortable(std::span<const uint8_t> data, uint32_t crc = 0);

} // namespace pw::broker
