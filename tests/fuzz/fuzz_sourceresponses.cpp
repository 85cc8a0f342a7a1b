// Feeds arbitrary bytes as the body of every JSON answer a source interprets: a Prometheus query result, a Flink
// /jobs/overview and /jobs/:id/checkpoints, and a dashboard API read through a JSON pointer. Each must yield samples or
// an error with a sentence, never crash; a freshness is never negative.
#include "sources/flinksource.h"
#include "sources/httpjsonsource.h"
#include "sources/promqlsource.h"

#include <QByteArray>

#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace {

pw::SignalConfig signal(pw::SignalKind kind, const QString& pointer = {})
{
    pw::SignalConfig s;
    s.id = QStringLiteral("stage/signal");
    s.kind = kind;
    s.params[QStringLiteral("pointer")] = pointer;
    s.params[QStringLiteral("window")] = QStringLiteral("10m");
    return s;
}

void requireSentence(const pw::Error& e)
{
    if (e.message.isEmpty())
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    const QByteArray body(reinterpret_cast<const char*>(data), qsizetype(size));
    const qint64 now = 1'795'000'000'000;

    for (int status : {200, 400, 503}) {
        auto samples = pw::PromqlSource::parseResponse(status, body, QStringLiteral("sink/p99"));
        if (!samples)
            requireSentence(samples.error());
    }

    auto job = pw::FlinkSource::selectJob(body, {}, QStringLiteral("aggregate-job"));
    if (!job)
        requireSentence(job.error());
    const pw::FlinkSource::JobRef ref {
        QStringLiteral("a1"), QStringLiteral("aggregate-job"), QStringLiteral("RUNNING"), now - 60'000};
    const auto result = pw::FlinkSource::interpret(ref, body,
        {signal(pw::SignalKind::CheckpointAge), signal(pw::SignalKind::CheckpointDuration),
            signal(pw::SignalKind::FailedCheckpoints), signal(pw::SignalKind::JobState)},
        now);
    for (const auto& [id, error] : result.signalErrors)
        requireSentence(error);

    for (const char* pointer : {"/data/0/ts", "/ts", ""}) {
        auto age = pw::HttpJsonSource::interpret(
            body, signal(pw::SignalKind::DashboardFreshness, QString::fromLatin1(pointer)), now);
        if (!age)
            requireSentence(age.error());
        else if (!(*age >= 0.0))
            std::abort();
    }
    return 0;
}
