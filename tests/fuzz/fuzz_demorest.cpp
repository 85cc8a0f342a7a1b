// Feeds arbitrary bytes as one HTTP request to the demo job's Flink-compatible REST API (with a job control that
// accepts every stop and jar run). Every request gets an
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

// Accepts every stop and run it is asked for, without touching the board, so each input is judged alone.
class AcceptingControl : public pw::demo::JobControl
{
public:
    pw::Result<QString> stopWithSavepoint(const StopRequest& request) override
    {
        if (request.targetDirectory.size() > 4096)
            return pw::fail(pw::Error::Code::Config, QStringLiteral("target directory too long"));
        return QStringLiteral("trigger-1");
    }
    pw::Result<QString> runJar(const RunRequest& request) override
    {
        if (request.jarId != QLatin1String("demo.jar"))
            return pw::fail(pw::Error::Code::NotFound, QStringLiteral("Jar file %1 does not exist").arg(request.jarId));
        return QStringLiteral("fedcba9876543210fedcba9876543210");
    }
    std::vector<pw::demo::JarInfo> jars() const override
    {
        return {{QStringLiteral("demo.jar"), QStringLiteral("demo.jar"), QStringLiteral("demo.Main"), 1}};
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static AcceptingControl control;
    const auto answer = pw::demo::FlinkRestServer::answer(
        std::string_view(reinterpret_cast<const char*>(data), size), board(), &control);
    if (answer.status < 200 || answer.status >= 500)
        std::abort();
    if (QJsonDocument::fromJson(answer.body).isNull())
        std::abort();
    return 0;
}
