// Feeds arbitrary bytes to the offsets CSV parser: it must accept or reject with a line and column inside the input,
// never crash, and what it accepts must survive a round trip through the writer unchanged.
#include "replay/offsetscsv.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    const QByteArray text(reinterpret_cast<const char*>(data), qsizetype(size));
    const auto rows = pw::parseOffsetsCsv(text, QStringLiteral("fuzz.csv"));
    if (rows) {
        for (const auto& row : *rows)
            if (!pw::isValidTopicName(row.topic) || row.partition < 0 || row.offset < 0)
                std::abort();
        const auto again = pw::parseOffsetsCsv(pw::formatOffsetsCsv(*rows));
        if (!again || *again != *rows)
            std::abort();
    } else {
        const pw::Error& e = rows.error();
        const qsizetype lines = text.count('\n') + 1;
        if (e.line < 1 || e.line > lines || e.column < 1 || e.message.isEmpty() || e.file != QLatin1String("fuzz.csv"))
            std::abort();
    }
    return 0;
}
