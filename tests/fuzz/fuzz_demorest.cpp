// Feeds arbitrary bytes as one HTTP request to the demo job's Flink-compatible REST API. Every request gets an
// answer — a 2xx or 4xx status with a JSON body — and never a crash; only a request the parser accepts can succeed.
#include "demo/flinkrestserver.h"
#include "demo/jobstatusboard.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

const pw::demo::JobStatusBoard& board()
{
    static const auto* b = [] {
        auto* board = new pw::demo::JobStatusBoard(
            QStringLiteral("0123456789abcdef0123456789abcdef"), QStringLiteral("demo-aggregate"));
        board->setState(QStringLiteral("RUNNING"), 1'790'000'000'000);
        for (int id = 1; id <= 12; ++id) {
            board->checkpointTriggered(id, 1'790'000'000'000 + id * 10'000);
            if (id % 5 == 0)
                board->checkpointFailed(id, 1'790'000'000'500 + id * 10'000, QStringLiteral("object store refused"));
            else if (id < 12)
                board->checkpointCompleted(id, 1'790'000'000'250 + id * 10'000, 4096 * id);
        }
        return board;
    }();
    return *b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto answer
        = pw::demo::FlinkRestServer::answer(std::string_view(reinterpret_cast<const char*>(data), size), board());
    if (answer.status < 200 || answer.status >= 500)
        std::abort();
    if (QJsonDocument::fromJson(answer.body).isNull())
        std::abort();
    return 0;
}
