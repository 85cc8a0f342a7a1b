#pragma once

#include "sources/source.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <vector>

namespace pw {

/// Instant queries against a Prometheus-compatible server (`GET <url>/api/v1/query`), one per signal (the signal's
/// `query` param), run concurrently through the shared HttpClient. Vector results yield one Sample per series (its
/// labels minus `__name__`), scalar results one unlabelled Sample; timestamps come from the result.
/// Thread-safety: `poll` follows Source's contract (never twice at once); the static helpers are pure and reentrant.
class PromqlSource : public Source
{
public:
    static constexpr int kMaxConcurrentQueries = 8;

    /// Validates the config (base URL, a `query` for every signal); errors name the source and the signal.
    static Result<std::unique_ptr<Source>> create(
        const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);

    QString endpoint() const override;
    void poll(PollContext& context, std::function<void(PollResult)> done) override;

    /// `<base>/api/v1/query?query=<percent-encoded>&time=<seconds with ms>`; '+' and '&' in the query are encoded.
    static QString queryUrl(const QString& baseUrl, const QString& query, qint64 timeMs);

    /// Interprets one answer of /api/v1/query. `httpStatus` lets Prometheus' own error JSON (HTTP 400/422/503) be
    /// reported with its errorType and text; a non-2xx answer without that JSON is "HTTP <status>".
    static Result<std::vector<Sample>> parseResponse(int httpStatus, const QByteArray& body, const QString& signalId);

private:
    using Source::Source;
};

} // namespace pw
