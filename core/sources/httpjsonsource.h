#pragma once

#include "sources/source.h"

namespace pw {

/// Freshness from a dashboard's data API: GET the source URL (or the signal's `url`), read a timestamp at a JSON
/// pointer (RFC 6901, e.g. `/data/0/ts`), as epoch seconds/millis or RFC 3339 (`time_format`), and report now − it
/// in seconds. Async on the engine's io threads; `interpret` is the pure part, for tests.
class HttpJsonSource : public Source
{
public:
    static Result<std::unique_ptr<Source>> create(
        const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);
    void poll(PollContext& context, std::function<void(PollResult)> done) override;

    /// Resolves an RFC 6901 pointer in a JSON document body.
    static Result<QVariant> resolvePointer(const QByteArray& body, const QString& pointer);
    static Result<double> interpret(const QByteArray& body, const SignalConfig& signal, qint64 nowMs);

private:
    using Source::Source;
};

} // namespace pw
