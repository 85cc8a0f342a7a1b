// Feeds arbitrary bytes to the config loader: it must return a config or an error with a position, never crash,
// hang or recurse without bound (YAML aliases can form cycles).
#include "config/config.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const QByteArray yaml(reinterpret_cast<const char*>(data), qsizetype(size));
    const auto result = pw::loadConfigText(yaml, QStringLiteral("fuzz.yaml"));
    if (result) {
        // Everything a loaded config promises: lookups work and descriptions can be built.
        for (const auto& [id, source] : result->sources) {
            if (result->findSource(id) != &source)
                std::abort();
            (void)pw::redactedSourceDescription(source);
        }
        for (const auto& stage : result->stages)
            for (const auto& signal : stage.signalConfigs)
                if (result->findSignal(signal.id) == nullptr)
                    std::abort();
    } else if (result.error().toString().isEmpty()) {
        std::abort();
    }
    return 0;
}
