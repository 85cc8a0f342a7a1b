#include "broker/requestheader.h"

namespace pw::broker {

std::optional<RequestHeader> RequestHeader::parse(WireReader& r, bool (*isFlexible)(int16_t, int16_t))
{
    RequestHeader h;
    h.apiKey = r.i16();
    h.apiVersion = r.i16();
    h.correlationId = r.i32();
    // The client id stays a classic nullable string even in header v2.
    h.clientId = r.nullableString().value_or(std::string());
    if (r.failed())
        return std::nullopt;
    h.flexible = isFlexible(h.apiKey, h.apiVersion);
    if (h.flexible) {
        // A client probing an ApiVersions version newer than we know may use either header layout; it only needs
        // the correlation id back, so a header without tagged fields is accepted for it.
        WireReader probe = r;
        probe.skipTaggedFields();
        if (!probe.failed())
            r = probe;
        else if (h.apiKey != 18)
            return std::nullopt;
    }
    return h;
}

std::vector<uint8_t> frameResponse(int32_t correlationId, bool flexibleHeader, std::span<const uint8_t> body)
{
    WireWriter w;
    const size_t headerSize = flexibleHeader ? 5 : 4;
    w.buffer().reserve(4 + headerSize + body.size());
    w.i32(int32_t(headerSize + body.size()));
    w.i32(correlationId);
    if (flexibleHeader)
        w.emptyTaggedFields();
    w.raw(body);
    return w.take();
}

} // namespace pw::broker
