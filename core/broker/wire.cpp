#include "broker/wire.h"

#include <bit>
#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace pw::broker {

WireReader::WireReader(std::span<const uint8_t> data)
    : m_data(data)
{ }

void WireReader::fail(std::string message)
{
    if (!m_failed) {
        m_failed = true;
        m_error = std::move(message);
    }
    m_pos = m_data.size();
}

bool WireReader::need(size_t n)
{
    if (m_failed)
        return false;
    if (remaining() < n) {
        fail("truncated input: need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
        return false;
    }
    return true;
}

int8_t WireReader::i8()
{
    if (!need(1))
        return 0;
    return static_cast<int8_t>(m_data[m_pos++]);
}

int16_t WireReader::i16()
{
    if (!need(2))
        return 0;
    uint16_t v = uint16_t(m_data[m_pos]) << 8 | m_data[m_pos + 1];
    m_pos += 2;
    return static_cast<int16_t>(v);
}

uint32_t WireReader::u32()
{
    if (!need(4))
        return 0;
    uint32_t v = uint32_t(m_data[m_pos]) << 24 | uint32_t(m_data[m_pos + 1]) << 16 | uint32_t(m_data[m_pos + 2]) << 8
        | m_data[m_pos + 3];
    m_pos += 4;
    return v;
}

int32_t WireReader::i32()
{
    return static_cast<int32_t>(u32());
}

int64_t WireReader::i64()
{
    if (!need(8))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v = v << 8 | m_data[m_pos + i];
    m_pos += 8;
    return static_cast<int64_t>(v);
}

bool WireReader::boolean()
{
    return i8() != 0;
}

double WireReader::f64()
{
    return std::bit_cast<double>(i64());
}

namespace {

// Reads an unsigned LEB128 value of at most maxBytes bytes; 0 after a failed read.
template<typename U>
U readUnsignedVarint(WireReader& in, int maxBytes, const char* tooLong)
{
    U v = 0;
    for (int shift = 0; shift < 7 * maxBytes; shift += 7) {
        const auto b = in.raw(1);
        if (b.empty())
            return 0;
        v |= U(b[0] & 0x7f) << shift;
        if (!(b[0] & 0x80))
            return v;
    }
    in.fail(tooLong);
    return 0;
}

template<typename U>
void writeUnsignedVarint(std::vector<uint8_t>& buf, U v)
{
    while (v >= 0x80) {
        buf.push_back(uint8_t(v | 0x80));
        v >>= 7;
    }
    buf.push_back(uint8_t(v));
}

} // namespace

uint32_t WireReader::uvarint()
{
    return readUnsignedVarint<uint32_t>(*this, 5, "varint longer than 5 bytes");
}

int32_t WireReader::varint()
{
    uint32_t z = uvarint();
    return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
}

int64_t WireReader::varlong()
{
    const auto v = readUnsignedVarint<uint64_t>(*this, 10, "varlong longer than 10 bytes");
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

std::span<const uint8_t> WireReader::raw(size_t n)
{
    if (!need(n))
        return {};
    auto s = m_data.subspan(m_pos, n);
    m_pos += n;
    return s;
}

namespace {

// The length of a classic nullable string/bytes field, already read; std::nullopt for null (-1) or a failed read.
std::optional<size_t> nullableLength(WireReader& in, int32_t len, const char* negativeError)
{
    if (in.failed())
        return std::nullopt;
    if (len < -1) {
        in.fail(negativeError);
        return std::nullopt;
    }
    if (len == -1)
        return std::nullopt;
    return size_t(len);
}

// The length of a compact nullable field (stored as length + 1, 0 = null); std::nullopt for null or a failed read.
std::optional<size_t> compactNullableLength(WireReader& in)
{
    const uint32_t len = in.uvarint();
    if (in.failed() || len == 0)
        return std::nullopt;
    return size_t(len - 1);
}

// The next `*len` bytes copied into a T (string or byte vector); std::nullopt for null or when they are cut short.
template<typename T>
std::optional<T> copyBytes(WireReader& in, std::optional<size_t> len)
{
    if (!len)
        return std::nullopt;
    const auto s = in.raw(*len);
    if (in.failed())
        return std::nullopt;
    return T(s.begin(), s.end());
}

} // namespace

std::optional<std::string> WireReader::nullableString()
{
    const auto len = nullableLength(*this, i16(), "negative string length");
    if (!len)
        return std::nullopt;
    auto s = raw(*len);
    return std::string(s.begin(), s.end());
}

std::string WireReader::string()
{
    auto s = nullableString();
    return s ? std::move(*s) : std::string();
}

std::optional<std::string> WireReader::compactNullableString()
{
    return copyBytes<std::string>(*this, compactNullableLength(*this));
}

std::string WireReader::compactString()
{
    auto s = compactNullableString();
    return s ? std::move(*s) : std::string();
}

std::optional<std::vector<uint8_t>> WireReader::nullableBytes()
{
    return copyBytes<std::vector<uint8_t>>(*this, nullableLength(*this, i32(), "negative bytes length"));
}

std::span<const uint8_t> WireReader::bytesView()
{
    const auto len = nullableLength(*this, i32(), "negative bytes length");
    return len ? raw(*len) : std::span<const uint8_t>();
}

std::optional<std::vector<uint8_t>> WireReader::compactNullableBytes()
{
    return copyBytes<std::vector<uint8_t>>(*this, compactNullableLength(*this));
}

std::span<const uint8_t> WireReader::compactBytesView()
{
    const auto len = compactNullableLength(*this);
    return len ? raw(*len) : std::span<const uint8_t>();
}

int32_t WireReader::arrayLength(bool flexible)
{
    int64_t n;
    if (flexible) {
        uint32_t len = uvarint();
        if (m_failed)
            return 0;
        n = int64_t(len) - 1;
    } else {
        n = i32();
        if (m_failed)
            return 0;
        if (n < -1) {
            fail("negative array length");
            return 0;
        }
    }
    if (n > int64_t(remaining())) {
        fail("array length " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) + " bytes left");
        return 0;
    }
    return static_cast<int32_t>(n);
}

void WireReader::skipTaggedFields()
{
    uint32_t count = uvarint();
    if (count > remaining()) {
        fail("tagged field count exceeds the input");
        return;
    }
    for (uint32_t i = 0; i < count && !m_failed; ++i) {
        uvarint(); // tag
        uint32_t size = uvarint();
        raw(size);
    }
}

std::string WireReader::uuid()
{
    auto s = raw(16);
    if (m_failed)
        return std::string(16, '\0');
    return std::string(s.begin(), s.end());
}

// ---------------------------------------------------------------------------------------------------------------

void WireWriter::i8(int8_t v)
{
    m_buf.push_back(static_cast<uint8_t>(v));
}

void WireWriter::i16(int16_t v)
{
    auto u = static_cast<uint16_t>(v);
    m_buf.push_back(uint8_t(u >> 8));
    m_buf.push_back(uint8_t(u));
}

void WireWriter::u32(uint32_t v)
{
    uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    m_buf.insert(m_buf.end(), b, b + 4);
}

void WireWriter::i32(int32_t v)
{
    u32(static_cast<uint32_t>(v));
}

void WireWriter::i64(int64_t v)
{
    auto u = static_cast<uint64_t>(v);
    uint8_t b[8];
    for (int i = 0; i < 8; ++i)
        b[i] = uint8_t(u >> (56 - 8 * i));
    m_buf.insert(m_buf.end(), b, b + 8);
}

void WireWriter::boolean(bool v)
{
    m_buf.push_back(v ? 1 : 0);
}

void WireWriter::f64(double v)
{
    i64(std::bit_cast<int64_t>(v));
}

void WireWriter::uvarint(uint32_t v)
{
    writeUnsignedVarint(m_buf, v);
}

void WireWriter::varint(int32_t v)
{
    uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void WireWriter::varlong(int64_t v)
{
    writeUnsignedVarint(m_buf, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void WireWriter::raw(std::span<const uint8_t> b)
{
    m_buf.insert(m_buf.end(), b.begin(), b.end());
}

static std::span<const uint8_t> asBytes(std::string_view s)
{
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void WireWriter::string(std::string_view s)
{
    i16(static_cast<int16_t>(s.size()));
    raw(asBytes(s));
}

void WireWriter::nullableString(const std::optional<std::string>& s)
{
    if (!s)
        i16(-1);
    else
        string(*s);
}

void WireWriter::compactString(std::string_view s)
{
    uvarint(static_cast<uint32_t>(s.size() + 1));
    raw(asBytes(s));
}

void WireWriter::compactNullableString(const std::optional<std::string>& s)
{
    if (!s)
        uvarint(0);
    else
        compactString(*s);
}

void WireWriter::bytes(std::span<const uint8_t> b)
{
    i32(static_cast<int32_t>(b.size()));
    raw(b);
}

void WireWriter::nullableBytes(const std::optional<std::vector<uint8_t>>& b)
{
    if (!b)
        i32(-1);
    else
        bytes(*b);
}

void WireWriter::nullBytes()
{
    i32(-1);
}

void WireWriter::compactBytes(std::span<const uint8_t> b)
{
    uvarint(static_cast<uint32_t>(b.size() + 1));
    raw(b);
}

void WireWriter::compactNullableBytes(const std::optional<std::vector<uint8_t>>& b)
{
    if (!b)
        uvarint(0);
    else
        compactBytes(*b);
}

void WireWriter::arrayLength(int32_t n, bool flexible)
{
    if (flexible)
        uvarint(static_cast<uint32_t>(n + 1));
    else
        i32(n);
}

void WireWriter::emptyTaggedFields()
{
    uvarint(0);
}

void WireWriter::uuid(std::string_view raw16)
{
    uint8_t b[16] = {};
    std::memcpy(b, raw16.data(), std::min<size_t>(16, raw16.size()));
    raw(b);
}

void WireWriter::patchI32(size_t at, int32_t v)
{
    auto u = static_cast<uint32_t>(v);
    m_buf[at] = uint8_t(u >> 24);
    m_buf[at + 1] = uint8_t(u >> 16);
    m_buf[at + 2] = uint8_t(u >> 8);
    m_buf[at + 3] = uint8_t(u);
}

size_t ResponseBody::size() const
{
    size_t total = 0;
    for (const auto& piece : pieces)
        total += piece.size();
    return total;
}

std::vector<uint8_t> ResponseBody::joined() const
{
    std::vector<uint8_t> out;
    out.reserve(size());
    for (const auto& piece : pieces) {
        if (!piece.file) {
            out.insert(out.end(), piece.bytes.begin(), piece.bytes.end());
            continue;
        }
        const size_t at = out.size();
        out.resize(at + piece.file->length);
        size_t done = 0;
        while (done < piece.file->length) {
            const ssize_t n = ::pread(piece.file->fd, out.data() + at + done, piece.file->length - done,
                off_t(piece.file->position + int64_t(done)));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return {};
            done += size_t(n);
        }
    }
    return out;
}

} // namespace pw::broker
