#pragma once

#include "broker/wire.h"

#include <optional>
#include <vector>

namespace pw::broker {

/// The ApiVersions table the broker advertises: the data-plane APIs served by RequestHandlers plus whatever the group
/// coordinator adds. Also knows from which version each API is "flexible" (compact types, tagged fields, request
/// header v2). Immutable after construction; thread-safe to read.
class ApiVersionTable
{
public:
    /// The data-plane ranges only.
    ApiVersionTable();
    /// Adds (or replaces) ranges, e.g. GroupCoordinator::supportedApis().
    void merge(const std::vector<ApiRange>& ranges);

    const std::vector<ApiRange>& ranges() const { return m_ranges; }
    bool supports(int16_t apiKey, int16_t version) const;
    std::optional<ApiRange> range(int16_t apiKey) const;

    /// First flexible version of a key as Kafka defines it (-1: never flexible / unknown key).
    static int16_t flexibleFrom(int16_t apiKey);
    static bool isFlexible(int16_t apiKey, int16_t version);

    /// The ApiVersions response body for `version` with `error` (0–3; v3 is flexible).
    std::vector<uint8_t> apiVersionsResponse(int16_t version, int16_t error) const;

private:
    std::vector<ApiRange> m_ranges;
};

} // namespace pw::broker
