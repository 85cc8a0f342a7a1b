#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pw::broker {

/// Reads Kafka protocol primitives (big-endian) from a byte span. Never throws and never reads past the end: the
/// first error sets failed() and every later read returns 0/empty, so a decoder can read a whole message and check
/// once. Not thread-safe; the span must outlive the reader.
class WireReader
{
public:
    explicit WireReader(std::span<const uint8_t> data);

    int8_t i8();
    int16_t i16();
    int32_t i32();
    int64_t i64();
    uint32_t u32();
    bool boolean();
    double f64();
    int32_t varint(); // zig-zag
    int64_t varlong(); // zig-zag
    uint32_t uvarint();

    std::optional<std::string> nullableString(); // int16 length, -1 = null
    std::string string();
    std::optional<std::string> compactNullableString(); // uvarint length+1, 0 = null
    std::string compactString();
    std::optional<std::vector<uint8_t>> nullableBytes(); // int32 length, -1 = null
    std::span<const uint8_t> bytesView(); // int32 length; null reads as empty
    std::optional<std::vector<uint8_t>> compactNullableBytes();
    std::span<const uint8_t> compactBytesView(); // uvarint length+1; null reads as empty

    /// Array length (int32, or uvarint-1 when flexible); -1 = null. Each element takes at least one byte, so a
    /// length larger than the remaining bytes is rejected here: an absurd count never reaches a reserve().
    int32_t arrayLength(bool flexible);
    void skipTaggedFields(); // flexible versions: count, then (tag, size, bytes) each
    std::string uuid(); // 16 raw bytes
    std::span<const uint8_t> raw(size_t n);

    size_t remaining() const { return m_data.size() - m_pos; }
    size_t position() const { return m_pos; }
    bool failed() const { return m_failed; }
    const std::string& error() const { return m_error; }
    void fail(std::string message);

private:
    bool need(size_t n);

    std::span<const uint8_t> m_data;
    size_t m_pos = 0;
    bool m_failed = false;
    std::string m_error;
};

/// Appends Kafka protocol primitives (big-endian) to a growing buffer. Not thread-safe.
class WireWriter
{
public:
    void i8(int8_t v);
    void i16(int16_t v);
    void i32(int32_t v);
    void i64(int64_t v);
    void u32(uint32_t v);
    void boolean(bool v);
    void f64(double v);
    void varint(int32_t v);
    void varlong(int64_t v);
    void uvarint(uint32_t v);

    void string(std::string_view s);
    void nullableString(const std::optional<std::string>& s);
    void compactString(std::string_view s);
    void compactNullableString(const std::optional<std::string>& s);
    void bytes(std::span<const uint8_t> b); // int32 length
    void nullableBytes(const std::optional<std::vector<uint8_t>>& b);
    void nullBytes(); // int32 -1
    void compactBytes(std::span<const uint8_t> b);
    void compactNullableBytes(const std::optional<std::vector<uint8_t>>& b);
    void arrayLength(int32_t n, bool flexible); // -1 = null
    void emptyTaggedFields();
    void uuid(std::string_view raw16); // 16 bytes; zero-filled when shorter
    void raw(std::span<const uint8_t> b);

    /// Writes strings/arrays in the compact form when flexible, the classic form otherwise.
    void str(std::string_view s, bool flexible) { flexible ? compactString(s) : string(s); }
    void nstr(const std::optional<std::string>& s, bool flexible)
    {
        flexible ? compactNullableString(s) : nullableString(s);
    }
    void tags(bool flexible)
    {
        if (flexible)
            emptyTaggedFields();
    }

    size_t size() const { return m_buf.size(); }
    std::vector<uint8_t>& buffer() { return m_buf; }
    std::vector<uint8_t> take() { return std::move(m_buf); }
    void patchI32(size_t at, int32_t v);

private:
    std::vector<uint8_t> m_buf;
};

enum class ApiKey : int16_t
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    DescribeGroups = 15,
    ListGroups = 16,
    ApiVersions = 18,
    CreateTopics = 19,
    DeleteTopics = 20,
    DeleteRecords = 21,
    InitProducerId = 22,
    DescribeConfigs = 32,
    SaslHandshake = 17,
    SaslAuthenticate = 36,
    CreatePartitions = 37,
    DeleteGroups = 42,
    OffsetDelete = 47,
};

/// One advertised API: key and inclusive version range.
struct ApiRange
{
    int16_t apiKey;
    int16_t minVersion;
    int16_t maxVersion;
};

/// What a handler knows about the request it serves (the decoded request header plus the connection).
struct RequestContext
{
    int16_t apiKey = 0;
    int16_t apiVersion = 0;
    int32_t correlationId = 0;
    std::string clientId;
    std::string clientAddress;
    uint64_t connectionId = 0;
    bool flexible = false; // request header v2 / response header v1
    std::string principal = "ANONYMOUS"; // "User:NAME" once the connection authenticated with SASL
};

/// Bytes of an open file (a log segment) to send as they are: the server hands them to sendfile(2), so they go from
/// the page cache to the socket without passing through the broker. `owner` keeps the descriptor open until sent.
struct FileRegion
{
    std::shared_ptr<const void> owner;
    int fd = -1;
    int64_t position = 0;
    size_t length = 0;
};

struct ResponsePiece
{
    std::vector<uint8_t> bytes;
    std::optional<FileRegion> file; // when set, the piece is these file bytes and `bytes` is empty
    size_t size() const { return file ? file->length : bytes.size(); }
};

/// A response body as pieces sent back to back, so that large record sets go out without being copied into one
/// buffer first. Most responses are one piece of bytes.
struct ResponseBody
{
    ResponseBody() = default;
    ResponseBody(std::vector<uint8_t> bytes) // NOLINT: implicit on purpose, most handlers answer with one buffer
    {
        pieces.push_back(ResponsePiece {std::move(bytes), std::nullopt});
    }
    size_t size() const;
    /// Every piece in one buffer (file regions read with pread); empty if a region cannot be read whole.
    std::vector<uint8_t> joined() const;
    std::vector<ResponsePiece> pieces;
};

/// Delivers the body of the response (what follows the response header). The server writes the header: the
/// correlation id, plus an empty tagged-field section when the response is flexible (except ApiVersions, whose
/// response header is always v0). May be called from any thread, once, possibly long after the handler returned.
using Respond = std::function<void(ResponseBody responseBody)>;

} // namespace pw::broker
