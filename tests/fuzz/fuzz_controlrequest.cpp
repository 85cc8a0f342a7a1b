// Feeds arbitrary bytes to both ends of the control socket: the instance's request parser must answer with a
// request or an error sentence, and the client's reader of a status answer must give a snapshot or an error —
// never crash or hang.
#include "instance/controlprotocol.h"
#include "presentation/snapshotjson.h"
#include "presentation/statusreport.h"

#include <QByteArray>
#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 128 * 1024)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    const auto request = pw::parseControlRequest(bytes);
    if (request) {
        if (request->command.isEmpty() || request->command.size() > 32)
            std::abort();
    } else if (request.error().message.isEmpty()) {
        std::abort();
    }
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    if (doc.isObject()) {
        if (auto snapshot = pw::snapshotFromJson(doc.object())) {
            // Whatever was accepted must render and round-trip.
            (void)pw::statusReport(**snapshot, QStringLiteral("fuzz"));
            if (!pw::snapshotFromJson(pw::snapshotToJson(**snapshot, QStringLiteral("fuzz"))))
                std::abort();
        }
    }
    return 0;
}
