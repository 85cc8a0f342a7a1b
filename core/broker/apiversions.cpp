#include "broker/apiversions.h"

#include <algorithm>

namespace pw::broker {

ApiVersionTable::ApiVersionTable()
    : m_ranges {
        {int16_t(ApiKey::Produce), 3, 7},
        {int16_t(ApiKey::Fetch), 0, 11},
        {int16_t(ApiKey::ListOffsets), 0, 5},
        {int16_t(ApiKey::Metadata), 0, 8},
        {int16_t(ApiKey::ApiVersions), 0, 3},
        {int16_t(ApiKey::CreateTopics), 0, 4},
        {int16_t(ApiKey::DeleteTopics), 0, 3},
        {int16_t(ApiKey::CreatePartitions), 0, 1},
        {int16_t(ApiKey::DeleteRecords), 0, 1},
        {int16_t(ApiKey::InitProducerId), 0, 4},
        {int16_t(ApiKey::DescribeConfigs), 0, 4},
    }
{ }

void ApiVersionTable::merge(const std::vector<ApiRange>& ranges)
{
    for (const ApiRange& r : ranges) {
        auto it
            = std::find_if(m_ranges.begin(), m_ranges.end(), [&](const ApiRange& x) { return x.apiKey == r.apiKey; });
        if (it != m_ranges.end())
            *it = r;
        else
            m_ranges.push_back(r);
    }
    std::sort(
        m_ranges.begin(), m_ranges.end(), [](const ApiRange& a, const ApiRange& b) { return a.apiKey < b.apiKey; });
}

std::optional<ApiRange> ApiVersionTable::range(int16_t apiKey) const
{
    for (const ApiRange& r : m_ranges)
        if (r.apiKey == apiKey)
            return r;
    return std::nullopt;
}

bool ApiVersionTable::supports(int16_t apiKey, int16_t version) const
{
    auto r = range(apiKey);
    return r && version >= r->minVersion && version <= r->maxVersion;
}

int16_t ApiVersionTable::flexibleFrom(int16_t apiKey)
{
    switch (static_cast<ApiKey>(apiKey)) {
    case ApiKey::Produce:
        return 9;
    case ApiKey::Fetch:
        return 12;
    case ApiKey::ListOffsets:
        return 6;
    case ApiKey::Metadata:
        return 9;
    case ApiKey::OffsetCommit:
        return 8;
    case ApiKey::OffsetFetch:
        return 6;
    case ApiKey::FindCoordinator:
        return 3;
    case ApiKey::JoinGroup:
        return 6;
    case ApiKey::Heartbeat:
        return 4;
    case ApiKey::LeaveGroup:
        return 4;
    case ApiKey::SyncGroup:
        return 4;
    case ApiKey::DescribeGroups:
        return 5;
    case ApiKey::ListGroups:
        return 3;
    case ApiKey::ApiVersions:
        return 3;
    case ApiKey::CreateTopics:
        return 5;
    case ApiKey::DeleteTopics:
        return 4;
    case ApiKey::DeleteRecords:
        return 2;
    case ApiKey::InitProducerId:
        return 2;
    case ApiKey::DescribeConfigs:
        return 4;
    case ApiKey::DeleteGroups:
        return 2;
    case ApiKey::OffsetDelete:
        return -1;
    case ApiKey::SaslHandshake:
        return -1;
    case ApiKey::SaslAuthenticate:
        return 2;
    case ApiKey::CreatePartitions:
        return 2;
    }
    return -1;
}

bool ApiVersionTable::isFlexible(int16_t apiKey, int16_t version)
{
    int16_t from = flexibleFrom(apiKey);
    return from >= 0 && version >= from;
}

std::vector<uint8_t> ApiVersionTable::apiVersionsResponse(int16_t version, int16_t error) const
{
    const bool flexible = version >= 3;
    WireWriter w;
    w.i16(error);
    w.arrayLength(int32_t(m_ranges.size()), flexible);
    for (const ApiRange& r : m_ranges) {
        w.i16(r.apiKey);
        w.i16(r.minVersion);
        w.i16(r.maxVersion);
        w.tags(flexible);
    }
    if (version >= 1)
        w.i32(0); // throttle_time_ms
    w.tags(flexible);
    return w.take();
}

} // namespace pw::broker
