#pragma once

#include "sources/source.h"

#include <QByteArray>

#include <memory>
#include <vector>

namespace pw {

/// Reads a target's /metrics directly (no Prometheus server): GET with
/// `Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5`, the body capped at
/// `max_body_bytes` decompressed (default 64 MiB), parsed by ExpositionParser as the Content-Type says (a missing or
/// unknown one as the source's `fallback_format` option says, else refused).
///
/// Each signal selects series with params `metric` (family or sample name) and `matchers` (label → value; a value
/// may start with `=~` or `!~` for a fully anchored regex, `!=` for inequality, `=` or nothing for equality; a missing
/// label counts as ""). What the family's type makes of them:
///   counter   → per-second rate between consecutive scrapes, a decrease counts as a reset (as rate() does)
///   histogram → `quantile` (default 0.99) over `window` (default 1m) from bucket deltas, exactly
///               histogram_quantile(q, rate(x_bucket[window])) without rate()'s edge extrapolation
///   summary   → the exposed quantile equal to `quantile`
///   gauge, unknown, info, stateset → the value
/// `aggregate`: sum (default; for histograms: sum by (le) before the quantile), max, or none (one sample per series,
/// labelled with the series' labels minus le/quantile). A rate or quantile needs two scrapes: the first poll yields no
/// sample for those signals. No matching series → that signal's error, the rest of the poll stands. A wrong
/// Content-Type, an HTTP error, an over-cap or truncated body, or any malformed line (named by line:column) fails the
/// whole poll: a partly parsed scrape is never used.
///
/// Thread-safety: poll() follows Source's contract; its state (previous counter values, bucket history, the
/// warmed-up parser) is guarded by a mutex, so a late answer after an engine timeout cannot race the next poll.
class ScrapeSource : public Source
{
public:
    static constexpr qint64 kDefaultMaxBodyBytes = 64LL * 1024 * 1024;

    /// Validates the URL and every signal's params; errors name the signal.
    static Result<std::unique_ptr<Source>> create(
        const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);
    ~ScrapeSource() override;

    void poll(PollContext& context, std::function<void(PollResult)> done) override;

    /// Interprets one scrape answer taken at `nowMs` and advances the state (what poll() does with the response).
    PollResult ingest(const QByteArray& contentType, const QByteArray& body, qint64 nowMs);

private:
    struct Impl;
    ScrapeSource(SourceConfig config, std::vector<SignalConfig> signalConfigs, std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> m_impl;
};

} // namespace pw
