// Feeds arbitrary bytes to the demo job's checkpoint decoder, as a damaged checkpoint or savepoint file would: it
// returns a snapshot or a Parse error, never crashes, and what it accepts encodes back to the same bytes.
#include "demo/jobcheckpoint.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    const auto snapshot = pw::demo::decodeSnapshot(bytes);
    if (!snapshot) {
        if (snapshot.error().code != pw::Error::Code::Parse)
            std::abort();
        return 0;
    }
    const auto again = pw::demo::decodeSnapshot(pw::demo::encodeSnapshot(*snapshot));
    if (!again || !(*again == *snapshot))
        std::abort();
    return 0;
}
