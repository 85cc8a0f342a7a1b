#include "sources/scrapesource.h"

#include "sources/expositionparser.h"
#include "sources/histogramquantile.h"
#include "sources/httpclient.h"

#include <QRegularExpression>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>

namespace pw {

namespace {

enum class Aggregate
{
    Sum,
    Max,
    None,
};

struct Matcher
{
    enum class Op
    {
        Equal,
        NotEqual,
        Regex,
        NotRegex,
    };
    std::string name;
    Op op = Op::Equal;
    std::string value;
    QRegularExpression regex;

    bool matches(std::string_view actual) const
    {
        switch (op) {
        case Op::Equal:
            return actual == value;
        case Op::NotEqual:
            return actual != value;
        case Op::Regex:
        case Op::NotRegex: {
            const bool m = regex.match(QString::fromUtf8(actual.data(), qsizetype(actual.size()))).hasMatch();
            return op == Op::Regex ? m : !m;
        }
        }
        return false;
    }
};

struct Spec
{
    QString signalId;
    std::string metric;
    std::vector<Matcher> matchers;
    double quantile = 0.99;
    qint64 windowMs = 60'000;
    Aggregate aggregate = Aggregate::Sum;
};

/// What one scrape holds for one series of a signal.
struct SeriesData
{
    Labels labels;
    double value = std::numeric_limits<double>::quiet_NaN();
    bool hasValue = false;
    std::vector<HistogramBucket> buckets;
};

struct Collected
{
    MetricType type = MetricType::Unknown;
    std::map<std::string, SeriesData> series;
};

struct CounterState
{
    double value = 0;
    qint64 timeMs = 0;
};

struct HistogramSnapshot
{
    qint64 timeMs = 0;
    std::vector<HistogramBucket> buckets; // sorted by bound, cumulative counts
};

struct SignalState
{
    std::map<std::string, std::deque<CounterState>> counters;
    std::map<std::string, std::deque<HistogramSnapshot>> histograms;
};

Error signalError(Error::Code code, QString message)
{
    Error e = Error::make(code, std::move(message));
    return e;
}

/// Collects the samples each signal selects; everything stays provisional until the parse succeeds.
class Collector : public ExpositionHandler
{
public:
    explicit Collector(const std::vector<Spec>& specs)
        : m_specs(specs)
        , m_collected(specs.size())
    { }

    std::vector<Collected>& collected() { return m_collected; }

    void sample(const ExpositionSample& s) override
    {
        for (std::size_t i = 0; i < m_specs.size(); ++i) {
            const Spec& spec = m_specs[i];
            if (s.familyName != spec.metric && s.name != spec.metric)
                continue;
            if (!take(s))
                continue;
            if (!matches(spec, s))
                continue;
            Collected& c = m_collected[i];
            c.type = s.type;
            if (s.type == MetricType::Summary && !(s.bound == spec.quantile))
                continue;
            SeriesData& series = seriesFor(c, s);
            if (s.type == MetricType::Histogram || s.type == MetricType::GaugeHistogram) {
                series.buckets.push_back(HistogramBucket {s.bound, s.value});
            } else {
                series.value = s.value;
                series.hasValue = true;
            }
        }
    }

private:
    /// Which samples of a family carry the signal: buckets of histograms, the _total of counters, the quantile
    /// samples of summaries, the plain samples of the rest.
    static bool take(const ExpositionSample& s)
    {
        switch (s.type) {
        case MetricType::Histogram:
        case MetricType::GaugeHistogram:
            return s.suffix == SampleSuffix::Bucket && !std::isnan(s.bound);
        case MetricType::Counter:
            return s.suffix == SampleSuffix::Total || s.suffix == SampleSuffix::None;
        case MetricType::Summary:
            return s.suffix == SampleSuffix::None && !std::isnan(s.bound);
        default:
            return s.suffix == SampleSuffix::None || s.suffix == SampleSuffix::Info;
        }
    }

    static bool matches(const Spec& spec, const ExpositionSample& s)
    {
        for (const Matcher& m : spec.matchers) {
            std::string_view actual;
            for (const auto& l : s.labels) {
                if (l.name == m.name) {
                    actual = l.value;
                    break;
                }
            }
            if (!m.matches(actual))
                return false;
        }
        return true;
    }

    SeriesData& seriesFor(Collected& c, const ExpositionSample& s)
    {
        auto [it, inserted] = c.series.try_emplace(m_seriesKey.build(s));
        if (inserted) {
            for (const auto* l : m_seriesKey.labels())
                it->second.labels.emplace_back(QString::fromUtf8(l->name.data(), qsizetype(l->name.size())),
                    QString::fromUtf8(l->value.data(), qsizetype(l->value.size())));
        }
        return it->second;
    }

    const std::vector<Spec>& m_specs;
    std::vector<Collected> m_collected;
    SeriesKeyBuilder m_seriesKey;
};

QString describeSelector(const Spec& spec)
{
    QString out = QString::fromStdString(spec.metric);
    if (spec.matchers.empty())
        return out;
    QStringList parts;
    for (const Matcher& m : spec.matchers) {
        const char* op = m.op == Matcher::Op::Equal ? "="
            : m.op == Matcher::Op::NotEqual         ? "!="
            : m.op == Matcher::Op::Regex            ? "=~"
                                                    : "!~";
        parts << QString::fromStdString(m.name) + QLatin1String(op) + QLatin1Char('"') + QString::fromStdString(m.value)
                + QLatin1Char('"');
    }
    return out + QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

double aggregateValues(const std::vector<double>& values, Aggregate how)
{
    if (how == Aggregate::Max) {
        double best = std::numeric_limits<double>::quiet_NaN();
        for (double v : values)
            best = std::isnan(best) ? v : std::fmax(best, v);
        return best;
    }
    double sum = 0;
    for (double v : values)
        sum += v;
    return sum;
}

} // namespace

struct ScrapeSource::Impl
{
    QString sourceId;
    std::vector<Spec> specs;
    std::optional<ExpositionFormat> fallback; // `fallback_format`

    std::mutex mutex; // guards everything below
    ExpositionParser parser;
    std::vector<SignalState> states;

    PollResult ingest(const QByteArray& contentType, const QByteArray& body, qint64 nowMs)
    {
        std::lock_guard lock(mutex);
        PollResult result;
        auto fail = [&](Error e) {
            e.source = sourceId;
            result.error = std::move(e);
            return result;
        };
        auto format = expositionFormatFromContentType(std::string_view(contentType.constData(), contentType.size()));
        // As Prometheus 3's fallback_scrape_protocol: a missing or unknown Content-Type is parsed as configured.
        if (!format)
            format = fallback;
        if (!format) {
            Error e = Error::make(Error::Code::Protocol,
                QStringLiteral("unexpected Content-Type '%1'; a metrics endpoint answers text/plain; "
                               "version=0.0.4 or application/openmetrics-text; if this target is right and only its "
                               "Content-Type is wrong, set `fallback_format: text` (or `openmetrics`) on the source")
                    .arg(contentType.trimmed().isEmpty() ? QStringLiteral("(none)")
                                                         : QString::fromLatin1(contentType.left(100))));
            e.hint = QStringLiteral("check that the URL is the target's /metrics endpoint");
            return fail(e);
        }
        Collector collector(specs);
        const auto parsed = parser.parse(std::string_view(body.constData(), body.size()), *format, collector);
        if (!parsed) {
            Error e = parsed.error();
            e.message = QStringLiteral("malformed %1 exposition at line %2, column %3: %4; the whole scrape is "
                                       "rejected")
                            .arg(*format == ExpositionFormat::OpenMetrics ? QStringLiteral("OpenMetrics")
                                                                          : QStringLiteral("text format"))
                            .arg(e.line)
                            .arg(e.column)
                            .arg(e.message);
            return fail(e);
        }
        for (std::size_t i = 0; i < specs.size(); ++i)
            evaluate(specs[i], states[i], collector.collected()[i], nowMs, result);
        return result;
    }

    void publish(const Spec& spec, const std::vector<std::pair<const Labels*, double>>& perSeries, qint64 nowMs,
        PollResult& result)
    {
        if (perSeries.empty())
            return;
        if (spec.aggregate == Aggregate::None) {
            for (const auto& [labels, value] : perSeries)
                result.samples.push_back(Sample {spec.signalId, *labels, nowMs, value});
            return;
        }
        std::vector<double> values;
        values.reserve(perSeries.size());
        for (const auto& p : perSeries)
            values.push_back(p.second);
        result.samples.push_back(Sample {spec.signalId, {}, nowMs, aggregateValues(values, spec.aggregate)});
    }

    void evaluate(const Spec& spec, SignalState& state, Collected& collected, qint64 nowMs, PollResult& result)
    {
        if (collected.series.empty() && collected.type == MetricType::Summary) {
            result.signalErrors.emplace_back(spec.signalId,
                signalError(Error::Code::NotFound,
                    QStringLiteral("no sample of %1 with quantile %2 in the scrape")
                        .arg(describeSelector(spec))
                        .arg(spec.quantile)));
            return;
        }
        if (collected.series.empty()) {
            state = {};
            result.signalErrors.emplace_back(spec.signalId,
                signalError(Error::Code::NotFound,
                    QStringLiteral("no series of %1 in the scrape").arg(describeSelector(spec))));
            return;
        }
        std::vector<std::pair<const Labels*, double>> perSeries;
        switch (collected.type) {
        case MetricType::Counter: {
            // rate(x[window]): the increase over the scrapes in (now - window, now] per second of their span, so an
            // error counted once stays visible for the window instead of for one scrape interval. When the scrape
            // interval is longer than the window, the last two scrapes are used.
            std::map<std::string, std::deque<CounterState>> next;
            std::vector<double> values;
            for (auto& [key, series] : collected.series) {
                if (!series.hasValue)
                    continue;
                auto history = std::move(state.counters[key]);
                if (!history.empty() && nowMs <= history.back().timeMs)
                    history.clear(); // the clock went back: start again rather than divide by a negative span
                history.push_back(CounterState {series.value, nowMs});
                while (history.size() > 2 && history.front().timeMs <= nowMs - spec.windowMs)
                    history.pop_front();
                if (history.size() >= 2) {
                    values.clear();
                    for (const CounterState& c : history)
                        values.push_back(c.value);
                    const double seconds = double(nowMs - history.front().timeMs) / 1000.0;
                    perSeries.emplace_back(&series.labels, counterIncrease(values) / seconds);
                }
                next[key] = std::move(history);
            }
            state.counters = std::move(next);
            publish(spec, perSeries, nowMs, result);
            return;
        }
        case MetricType::Histogram:
        case MetricType::GaugeHistogram: {
            std::map<std::string, std::deque<HistogramSnapshot>> next;
            std::vector<HistogramBucket> merged;
            bool any = false;
            for (auto& [key, series] : collected.series) {
                std::sort(series.buckets.begin(), series.buckets.end(),
                    [](const auto& a, const auto& b) { return a.upperBound < b.upperBound; });
                auto history = std::move(state.histograms[key]);
                history.push_back(HistogramSnapshot {nowMs, series.buckets});
                // The range (now - window, now], as a range selector takes it.
                while (!history.empty() && history.front().timeMs <= nowMs - spec.windowMs)
                    history.pop_front();
                if (history.size() >= 2) {
                    std::vector<HistogramBucket> increases;
                    std::vector<double> counts;
                    for (const HistogramBucket& b : series.buckets) {
                        counts.clear();
                        for (const HistogramSnapshot& snap : history) {
                            const auto it = std::find_if(snap.buckets.begin(), snap.buckets.end(),
                                [&](const auto& x) { return x.upperBound == b.upperBound; });
                            if (it != snap.buckets.end())
                                counts.push_back(it->count);
                        }
                        increases.push_back(HistogramBucket {b.upperBound, counterIncrease(counts)});
                    }
                    any = true;
                    if (spec.aggregate == Aggregate::Sum)
                        merged.insert(merged.end(), increases.begin(), increases.end());
                    else
                        perSeries.emplace_back(&series.labels, histogramQuantile(spec.quantile, increases));
                }
                next[key] = std::move(history);
            }
            state.histograms = std::move(next);
            if (!any)
                return; // needs a second scrape inside the window
            if (spec.aggregate == Aggregate::Sum) {
                // histogram_quantile(q, sum by (le) (rate(x_bucket[w]))): equal bounds of all series are merged.
                result.samples.push_back(
                    Sample {spec.signalId, {}, nowMs, histogramQuantile(spec.quantile, std::move(merged))});
                return;
            }
            publish(spec, perSeries, nowMs, result);
            return;
        }
        default:
            for (auto& [key, series] : collected.series) {
                if (series.hasValue)
                    perSeries.emplace_back(&series.labels, series.value);
            }
            if (perSeries.empty()) {
                result.signalErrors.emplace_back(spec.signalId,
                    signalError(Error::Code::NotFound,
                        QStringLiteral("no sample of %1 with quantile %2 in the scrape")
                            .arg(describeSelector(spec))
                            .arg(spec.quantile)));
                return;
            }
            publish(spec, perSeries, nowMs, result);
            return;
        }
    }
};

ScrapeSource::ScrapeSource(SourceConfig config, std::vector<SignalConfig> signalConfigs, std::shared_ptr<Impl> impl)
    : Source(std::move(config), std::move(signalConfigs))
    , m_impl(std::move(impl))
{ }

ScrapeSource::~ScrapeSource() = default;

Result<std::unique_ptr<Source>> ScrapeSource::create(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    auto configError = [&](QString message, const SignalConfig* signal) {
        Error e = Error::make(Error::Code::Config, std::move(message));
        e.source = config.id;
        e.line = signal ? signal->line : config.line;
        return std::unexpected<Error>(std::move(e));
    };
    const QUrl url(config.http.url);
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        || url.host().isEmpty())
        return configError(QStringLiteral("scrape source needs a full http:// or https:// URL of the target's "
                                          "metrics endpoint, got '%1'")
                               .arg(config.http.url),
            nullptr);
    auto impl = std::make_shared<Impl>();
    impl->sourceId = config.id;
    const QString fallback = config.options.value(QStringLiteral("fallback_format")).toString();
    if (fallback == QLatin1String("text"))
        impl->fallback = ExpositionFormat::PrometheusText;
    else if (fallback == QLatin1String("openmetrics"))
        impl->fallback = ExpositionFormat::OpenMetrics;
    else if (!fallback.isEmpty())
        return configError(
            QStringLiteral("`fallback_format` must be text or openmetrics, got '%1'").arg(fallback.left(40)), nullptr);
    for (const SignalConfig& signal : signalConfigs) {
        Spec spec;
        spec.signalId = signal.id;
        const QString metric = signal.params.value(QStringLiteral("metric")).toString().trimmed();
        static const QRegularExpression metricName(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
        if (!metricName.match(metric).hasMatch())
            return configError(QStringLiteral("signal %1 needs a `metric` (a Prometheus metric name), got '%2'")
                                   .arg(signal.id, metric),
                &signal);
        spec.metric = metric.toStdString();
        const QVariantMap matchers = signal.params.value(QStringLiteral("matchers")).toMap();
        for (auto it = matchers.begin(); it != matchers.end(); ++it) {
            Matcher m;
            m.name = it.key().toStdString();
            QString v = it.value().toString();
            if (v.startsWith(QLatin1String("=~"))) {
                m.op = Matcher::Op::Regex;
                v = v.mid(2);
            } else if (v.startsWith(QLatin1String("!~"))) {
                m.op = Matcher::Op::NotRegex;
                v = v.mid(2);
            } else if (v.startsWith(QLatin1String("!="))) {
                m.op = Matcher::Op::NotEqual;
                v = v.mid(2);
            } else if (v.startsWith(QLatin1Char('='))) {
                v = v.mid(1);
            }
            m.value = v.toStdString();
            if (m.op == Matcher::Op::Regex || m.op == Matcher::Op::NotRegex) {
                m.regex = QRegularExpression(QRegularExpression::anchoredPattern(v));
                if (!m.regex.isValid())
                    return configError(QStringLiteral("signal %1: invalid regular expression for label %2: %3")
                                           .arg(signal.id, it.key(), m.regex.errorString()),
                        &signal);
            }
            spec.matchers.push_back(std::move(m));
        }
        if (signal.params.contains(QStringLiteral("quantile"))) {
            bool ok = false;
            spec.quantile = signal.params.value(QStringLiteral("quantile")).toString().toDouble(&ok);
            if (!ok || !(spec.quantile >= 0 && spec.quantile <= 1))
                return configError(
                    QStringLiteral("signal %1: `quantile` must be a number between 0 and 1").arg(signal.id), &signal);
        }
        if (signal.params.contains(QStringLiteral("window_ms"))) {
            spec.windowMs = signal.params.value(QStringLiteral("window_ms")).toLongLong();
        } else if (signal.params.contains(QStringLiteral("window"))) {
            const auto ms = parseDurationMs(signal.params.value(QStringLiteral("window")).toString());
            if (!ms)
                return configError(
                    QStringLiteral("signal %1: invalid `window`: %2").arg(signal.id, ms.error().message), &signal);
            spec.windowMs = *ms;
        }
        if (spec.windowMs <= 0)
            return configError(QStringLiteral("signal %1: `window` must be positive").arg(signal.id), &signal);
        const QString aggregate = signal.params.value(QStringLiteral("aggregate"), QStringLiteral("sum")).toString();
        if (aggregate == QLatin1String("sum"))
            spec.aggregate = Aggregate::Sum;
        else if (aggregate == QLatin1String("max"))
            spec.aggregate = Aggregate::Max;
        else if (aggregate == QLatin1String("none"))
            spec.aggregate = Aggregate::None;
        else
            return configError(
                QStringLiteral("signal %1: `aggregate` must be sum, max or none, got '%2'").arg(signal.id, aggregate),
                &signal);
        impl->specs.push_back(std::move(spec));
    }
    impl->states.resize(impl->specs.size());
    return std::unique_ptr<Source>(new ScrapeSource(config, signalConfigs, std::move(impl)));
}

void ScrapeSource::poll(PollContext& context, std::function<void(PollResult)> done)
{
    if (!context.http) {
        PollResult r;
        r.error = Error::make(Error::Code::Generic, QStringLiteral("no HTTP client available to scrape"));
        r.error->source = id();
        done(std::move(r));
        return;
    }
    HttpRequest request;
    request.url = m_config.http.url;
    request.options = m_config.http;
    request.accept = QByteArray(scrapeAcceptHeader.data(), qsizetype(scrapeAcceptHeader.size()));
    request.timeoutMs = m_config.timeoutMs;
    request.defaultMaxBodyBytes = kDefaultMaxBodyBytes;
    // The state outlives this source object if the engine drops it while a request is in flight.
    context.http->get(std::move(request), [impl = m_impl, done = std::move(done)](Result<HttpResponse> response) {
        PollResult r;
        if (!response) {
            r.error = response.error();
            r.error->source = impl->sourceId;
            done(std::move(r));
            return;
        }
        if (response->status != 200) {
            r.error = Error::make(
                Error::Code::Http, QStringLiteral("HTTP %1 from the metrics endpoint").arg(response->status));
            r.error->source = impl->sourceId;
            done(std::move(r));
            return;
        }
        done(impl->ingest(response->contentType, response->body, nowMs()));
    });
}

PollResult ScrapeSource::ingest(const QByteArray& contentType, const QByteArray& body, qint64 nowMs)
{
    return m_impl->ingest(contentType, body, nowMs);
}

} // namespace pw
