#pragma once

#include "broker/wire.h"

#include <cstdint>
#include <optional>
#include <string>

namespace pw::broker {

/// The request header: v1 (key, version, correlation id, nullable client id) or v2 (v1 + tagged fields) for
/// flexible requests. Plain value type.
struct RequestHeader
{
    int16_t apiKey = 0;
    int16_t apiVersion = 0;
    int32_t correlationId = 0;
    std::string clientId;
    bool flexible = false;

    /// Reads the fixed part (key, version, correlation id, client id); `flexible` decides whether tagged fields
    /// follow, which only the caller knows (it depends on key and version). nullopt when the frame is too short.
    static std::optional<RequestHeader> parse(WireReader& r, bool (*isFlexible)(int16_t key, int16_t version));
};

/// Writes the response header for a response body: correlation id, plus an empty tagged-field section for flexible
/// responses other than ApiVersions (whose response header is always v0). Includes the 4-byte size prefix.
std::vector<uint8_t> frameResponse(int32_t correlationId, bool flexibleHeader, std::span<const uint8_t> body);

} // namespace pw::broker
