#include "consumeroffsetsformat.h"

#include <algorithm>
#include <bit>

namespace pw::broker {

namespace {

// A minimal big-endian writer/reader for the classic (non-flexible) schemas used here; kept local so the format
// has no dependency on the request codec and can be fuzzed on its own.
class Out
{
public:
    void i16(int16_t v) { put(static_cast<uint64_t>(static_cast<uint16_t>(v)), 2); }
    void i32(int32_t v) { put(static_cast<uint64_t>(static_cast<uint32_t>(v)), 4); }
    void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
    void string(std::string_view s)
    {
        i16(static_cast<int16_t>(s.size()));
        m_bytes.insert(m_bytes.end(), s.begin(), s.end());
    }
    void nullableString(const std::optional<std::string>& s)
    {
        if (!s)
            i16(-1);
        else
            string(*s);
    }
    void bytes(std::span<const uint8_t> b)
    {
        i32(static_cast<int32_t>(b.size()));
        m_bytes.insert(m_bytes.end(), b.begin(), b.end());
    }
    std::vector<uint8_t> take() { return std::move(m_bytes); }

private:
    void put(uint64_t v, int n)
    {
        for (int i = n - 1; i >= 0; --i)
            m_bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::vector<uint8_t> m_bytes;
};

class In
{
public:
    explicit In(std::span<const uint8_t> b)
        : m_bytes(b)
    { }
    bool ok() const { return m_ok; }
    bool atEnd() const { return m_pos == m_bytes.size(); }
    int16_t i16() { return static_cast<int16_t>(get(2)); }
    int32_t i32() { return static_cast<int32_t>(get(4)); }
    int64_t i64() { return static_cast<int64_t>(get(8)); }
    std::optional<std::string> nullableString()
    {
        const int16_t n = i16();
        if (!m_ok || n < 0)
            return std::nullopt;
        if (!need(static_cast<size_t>(n)))
            return std::nullopt;
        std::string s(reinterpret_cast<const char*>(m_bytes.data() + m_pos), static_cast<size_t>(n));
        m_pos += static_cast<size_t>(n);
        return s;
    }
    std::string string()
    {
        auto s = nullableString();
        if (!s)
            m_ok = false;
        return s.value_or(std::string());
    }
    std::vector<uint8_t> bytes()
    {
        const int32_t n = i32();
        if (!m_ok || n < 0)
            return {};
        if (!need(static_cast<size_t>(n)))
            return {};
        std::vector<uint8_t> b(m_bytes.begin() + static_cast<std::ptrdiff_t>(m_pos),
            m_bytes.begin() + static_cast<std::ptrdiff_t>(m_pos + static_cast<size_t>(n)));
        m_pos += static_cast<size_t>(n);
        return b;
    }
    // An array count that cannot exceed what is left (each element is at least `minElement` bytes).
    int32_t count(size_t minElement)
    {
        const int32_t n = i32();
        if (!m_ok)
            return 0;
        if (n < 0)
            return n;
        if (static_cast<size_t>(n) * minElement > m_bytes.size() - m_pos) {
            m_ok = false;
            return 0;
        }
        return n;
    }

private:
    bool need(size_t n)
    {
        if (!m_ok || m_bytes.size() - m_pos < n) {
            m_ok = false;
            return false;
        }
        return true;
    }
    uint64_t get(int n)
    {
        if (!need(static_cast<size_t>(n)))
            return 0;
        uint64_t v = 0;
        for (int i = 0; i < n; ++i)
            v = (v << 8) | m_bytes[m_pos++];
        return v;
    }
    std::span<const uint8_t> m_bytes;
    size_t m_pos = 0;
    bool m_ok = true;
};

} // namespace

std::vector<uint8_t> encodeOffsetCommitKey(const OffsetCommitKey& key, int16_t version)
{
    Out out;
    out.i16(version == 0 ? 0 : 1);
    out.string(key.group);
    out.string(key.topic);
    out.i32(key.partition);
    return out.take();
}

std::vector<uint8_t> encodeGroupMetadataKey(const GroupMetadataKey& key)
{
    Out out;
    out.i16(kGroupMetadataKeyVersion);
    out.string(key.group);
    return out.take();
}

std::vector<uint8_t> encodeOffsetCommitValue(const OffsetCommitValue& value, int16_t version)
{
    version = std::clamp<int16_t>(version, 0, 3);
    Out out;
    out.i16(version);
    out.i64(value.offset);
    if (version >= 3)
        out.i32(value.leaderEpoch);
    out.string(value.metadata);
    out.i64(value.commitTimestampMs);
    if (version == 1)
        out.i64(value.expireTimestampMs);
    return out.take();
}

std::vector<uint8_t> encodeGroupMetadataValue(const GroupMetadataValue& value, int16_t version)
{
    version = std::clamp<int16_t>(version, 0, 3);
    Out out;
    out.i16(version);
    out.string(value.protocolType);
    out.i32(value.generation);
    out.nullableString(value.protocol);
    out.nullableString(value.leader);
    if (version >= 2)
        out.i64(value.currentStateTimestampMs);
    out.i32(static_cast<int32_t>(value.members.size()));
    for (const auto& m : value.members) {
        out.string(m.memberId);
        if (version >= 3)
            out.nullableString(m.groupInstanceId);
        out.string(m.clientId);
        out.string(m.clientHost);
        if (version >= 1)
            out.i32(m.rebalanceTimeoutMs);
        out.i32(m.sessionTimeoutMs);
        out.bytes(m.subscription);
        out.bytes(m.assignment);
    }
    return out.take();
}

std::optional<ConsumerOffsetsKey> decodeConsumerOffsetsKey(std::span<const uint8_t> bytes)
{
    In in(bytes);
    const int16_t version = in.i16();
    if (!in.ok())
        return std::nullopt;
    if (version == 0 || version == 1) {
        OffsetCommitKey key;
        key.group = in.string();
        key.topic = in.string();
        key.partition = in.i32();
        if (!in.ok() || !in.atEnd())
            return std::nullopt;
        return key;
    }
    if (version == 2) {
        GroupMetadataKey key;
        key.group = in.string();
        if (!in.ok() || !in.atEnd())
            return std::nullopt;
        return key;
    }
    return std::nullopt;
}

std::optional<OffsetCommitValue> decodeOffsetCommitValue(std::span<const uint8_t> bytes)
{
    In in(bytes);
    const int16_t version = in.i16();
    if (!in.ok() || version < 0 || version > 3)
        return std::nullopt;
    OffsetCommitValue v;
    v.offset = in.i64();
    if (version >= 3)
        v.leaderEpoch = in.i32();
    v.metadata = in.string();
    v.commitTimestampMs = in.i64();
    if (version == 1)
        v.expireTimestampMs = in.i64();
    if (!in.ok() || !in.atEnd())
        return std::nullopt;
    return v;
}

std::optional<GroupMetadataValue> decodeGroupMetadataValue(std::span<const uint8_t> bytes)
{
    In in(bytes);
    const int16_t version = in.i16();
    if (!in.ok() || version < 0 || version > 3)
        return std::nullopt;
    GroupMetadataValue v;
    v.protocolType = in.string();
    v.generation = in.i32();
    v.protocol = in.nullableString();
    v.leader = in.nullableString();
    if (version >= 2)
        v.currentStateTimestampMs = in.i64();
    // Smallest member: three empty strings, two int32 and two empty byte arrays.
    const int32_t n = in.count(6 + 4 + 8);
    if (!in.ok() || n < 0)
        return std::nullopt;
    v.members.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i < n && in.ok(); ++i) {
        GroupMemberRecord m;
        m.memberId = in.string();
        if (version >= 3)
            m.groupInstanceId = in.nullableString();
        m.clientId = in.string();
        m.clientHost = in.string();
        if (version >= 1)
            m.rebalanceTimeoutMs = in.i32();
        m.sessionTimeoutMs = in.i32();
        m.subscription = in.bytes();
        m.assignment = in.bytes();
        v.members.push_back(std::move(m));
    }
    if (!in.ok() || !in.atEnd())
        return std::nullopt;
    return v;
}

int32_t offsetsPartitionFor(std::string_view group, int32_t partitionCount)
{
    if (partitionCount <= 1)
        return 0;
    // Java hashes UTF-16 code units; decode UTF-8 to code points first so non-ASCII ids land where Kafka puts them.
    uint32_t h = 0;
    auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
    for (size_t i = 0; i < group.size();) {
        const auto c = static_cast<uint8_t>(group[i]);
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xF0 && i + 3 < group.size()) {
            cp = ((c & 0x07u) << 18) | ((static_cast<uint8_t>(group[i + 1]) & 0x3Fu) << 12)
                | ((static_cast<uint8_t>(group[i + 2]) & 0x3Fu) << 6) | (static_cast<uint8_t>(group[i + 3]) & 0x3Fu);
            len = 4;
        } else if (c >= 0xE0 && i + 2 < group.size()) {
            cp = ((c & 0x0Fu) << 12) | ((static_cast<uint8_t>(group[i + 1]) & 0x3Fu) << 6)
                | (static_cast<uint8_t>(group[i + 2]) & 0x3Fu);
            len = 3;
        } else if (c >= 0xC0 && i + 1 < group.size()) {
            cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(group[i + 1]) & 0x3Fu);
            len = 2;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            add(0xD800 + (cp >> 10));
            add(0xDC00 + (cp & 0x3FF));
        } else {
            add(cp);
        }
        i += len;
    }
    return static_cast<int32_t>((h & 0x7fffffffu) % static_cast<uint32_t>(partitionCount));
}

std::optional<std::vector<std::string>> consumerSubscriptionTopics(std::span<const uint8_t> subscription)
{
    In in(subscription);
    const int16_t version = in.i16();
    if (!in.ok() || version < 0)
        return std::nullopt;
    const int32_t n = in.count(2);
    if (!in.ok() || n < 0)
        return std::nullopt;
    std::vector<std::string> topics;
    for (int32_t i = 0; i < n; ++i) {
        auto t = in.string();
        if (!in.ok())
            return std::nullopt;
        topics.push_back(std::move(t));
    }
    return topics;
}

} // namespace pw::broker
