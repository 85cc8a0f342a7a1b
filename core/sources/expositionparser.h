#pragma once

#include "model/error.h"

#include <QtGlobal>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pw {

/// The two text encodings a Prometheus target may answer with.
enum class ExpositionFormat
{
    PrometheusText, // text/plain; version=0.0.4
    OpenMetrics, // application/openmetrics-text; version=1.0.0
};

/// Picks the parser for a Content-Type header value; nullopt for anything we cannot read (HTML error pages, JSON,
/// protobuf, an empty header).
std::optional<ExpositionFormat> expositionFormatFromContentType(std::string_view contentType);

/// The Accept header a scrape sends: OpenMetrics preferred, the 0.0.4 text format as fallback.
inline constexpr std::string_view scrapeAcceptHeader
    = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

enum class MetricType : quint8
{
    Unknown, // "untyped" in the text format, "unknown" in OpenMetrics, or no TYPE line at all
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
};

std::string_view metricTypeName(MetricType type); // as OpenMetrics spells it

/// How a sample's name relates to its family's name (`foo_bucket` is family `foo`, suffix Bucket).
enum class SampleSuffix : quint8
{
    None,
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    GCount,
    GSum,
    Info,
};

std::string_view sampleSuffixText(SampleSuffix suffix); // "_bucket", "" for None

/// One label of a sample. Views point into the parsed buffer or the parser's scratch space (escaped values) and are
/// valid only during the handler call. `nameId` is the interned id of the name: stable for the parser's lifetime.
struct ExpositionLabel
{
    std::string_view name;
    std::string_view value;
    quint32 nameId = 0;
};

struct ExpositionExemplar
{
    std::span<const ExpositionLabel> labels;
    double value = 0.0;
    std::optional<double> timestampSeconds;
};

/// One sample line, handed to the handler while parsing. Nothing in it is owned; copy what you keep.
struct ExpositionSample
{
    std::string_view name; // as written: foo_bucket
    std::string_view familyName; // foo
    MetricType type = MetricType::Unknown; // the family's type
    SampleSuffix suffix = SampleSuffix::None;
    std::span<const ExpositionLabel> labels; // in the order written, `le`/`quantile` included
    double value = 0.0;
    /// The parsed `le` of a bucket or `quantile` of a summary quantile; NaN otherwise.
    double bound = 0.0;
    std::optional<qint64> timestampMs; // text: integer ms; OpenMetrics: float seconds converted to ms
    const ExpositionExemplar* exemplar = nullptr; // OpenMetrics only
    int line = 0;
};

/// Receives what the parser finds. Samples arrive before the parse has finished, so a later malformed line can still
/// reject the exposition: keep what you collect provisional until `parse()` returns success.
class ExpositionHandler
{
public:
    virtual ~ExpositionHandler() = default;
    virtual void typeLine(std::string_view family, MetricType type)
    {
        Q_UNUSED(family);
        Q_UNUSED(type);
    }
    virtual void helpLine(std::string_view family, std::string_view text) // unescaped
    {
        Q_UNUSED(family);
        Q_UNUSED(text);
    }
    virtual void unitLine(std::string_view family, std::string_view unit)
    {
        Q_UNUSED(family);
        Q_UNUSED(unit);
    }
    virtual void sample(const ExpositionSample& sample) = 0;
};

struct ExpositionStats
{
    qint64 lines = 0;
    qint64 samples = 0;
    qint64 families = 0;
};

/// Single-pass parser over a byte buffer for the Prometheus text format 0.0.4 and OpenMetrics 1.0.
///
/// Hot path: no allocation per sample once warmed up. Label names are interned (ids stable across parses of the same
/// parser), label values are views into the buffer unless they contain escapes, numbers use std::from_chars. NaN and
/// ±Inf are accepted in any letter case (`Nan`, `+inf`, `-Infinity`).
///
/// Rejection policy: an exposition with ANY malformed line is rejected as a whole, for both formats. This is what
/// Prometheus does for the text format (the whole scrape fails), and what the OpenMetrics spec requires ("an invalid
/// exposition MUST be rejected"). The error names the 1-based line and column (in bytes) and what was expected.
/// Text format rules follow github.com/prometheus/common/expfmt (the reference parser): any blanks/tabs between
/// tokens, trailing comma in label sets, comments other than HELP/TYPE ignored, HELP escapes `\\` and `\n`, label
/// value escapes `\\`, `\"` and `\n` (anything else is an error), the last line must end in a line feed (a missing
/// one means a truncated body), one TYPE and one HELP per family and TYPE before the family's samples.
/// OpenMetrics rules follow its ABNF: single spaces, no blank lines, only TYPE/HELP/UNIT/EOF comments, `# EOF`
/// required and nothing after it, float-second timestamps, exemplars only on counter `_total` and bucket samples
/// (at most 128 characters of labels), counter samples need `_total`/`_created`, buckets need `le`, UNIT must be a
/// suffix of the family name, metadata before samples, families not interleaved.
/// Not checked (semantic, needs per-series state): bucket order and the +Inf bucket's presence, `_count` equal to
/// the +Inf bucket, label sets of one metric being contiguous.
///
/// Not thread-safe; use one parser per thread. Reuse it across scrapes: its tables are kept.
class ExpositionParser
{
public:
    ExpositionParser();
    ~ExpositionParser();
    ExpositionParser(const ExpositionParser&) = delete;
    ExpositionParser& operator=(const ExpositionParser&) = delete;

    /// Errors have code Parse, `line`/`column` set and a message naming what was expected.
    Result<ExpositionStats> parse(std::string_view data, ExpositionFormat format, ExpositionHandler& handler);

    static constexpr quint32 leNameId = 0; // interned before anything else
    static constexpr quint32 quantileNameId = 1;

    /// Interned id of a label name, or nullopt if the parser has never seen it.
    std::optional<quint32> labelNameId(std::string_view name) const;
    std::string_view labelName(quint32 id) const;
    std::size_t internedLabelNames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// ---- A family model on top, for callers that want whole families rather than a stream of samples ----

/// One sample of a metric inside a family (`foo_bucket{le="0.5"} 3` → suffix Bucket, bound 0.5, value 3).
struct ExpositionPoint
{
    SampleSuffix suffix = SampleSuffix::None;
    double bound = 0.0; // le or quantile, NaN otherwise
    double value = 0.0;
    std::optional<qint64> timestampMs;
};

/// One metric of a family: a label set (sorted by name, without `le`/`quantile`) and its samples.
struct ExpositionMetric
{
    std::vector<std::pair<std::string, std::string>> labels;
    std::vector<ExpositionPoint> points;

    std::string_view label(std::string_view name) const; // "" when absent
};

struct ExpositionFamily
{
    std::string name;
    MetricType type = MetricType::Unknown;
    std::string help;
    std::string unit;
    std::vector<ExpositionMetric> metrics;
};

/// The families of one exposition, in order of first appearance.
struct ExpositionFamilies
{
    std::vector<ExpositionFamily> families;

    const ExpositionFamily* find(std::string_view name) const;
};

/// The identity of a sample's series: its labels sorted by name, without `le` (histogram buckets) or `quantile`
/// (summary quantiles). The key is unambiguous for any label values: a name (which cannot hold NUL) ends with NUL,
/// a value has each NUL written as NUL 0xFF and ends with NUL, so keys compare like the label lists they encode.
/// Reuses its buffers, so building keys does not allocate once they have grown. Not thread-safe.
class SeriesKeyBuilder
{
public:
    /// Builds the key of `sample`; the result and labels() stay valid until the next build().
    const std::string& build(const ExpositionSample& sample);

    /// The labels that make up the last key, sorted by name; they point into that sample.
    std::span<const ExpositionLabel* const> labels() const { return m_sorted; }

private:
    std::string m_key;
    std::vector<const ExpositionLabel*> m_sorted;
};

/// Builds ExpositionFamilies while parsing; groups samples by label set. With a filter, only families for which it
/// returns true are kept (the rest are parsed and validated but not copied). Not thread-safe.
class ExpositionFamilyBuilder : public ExpositionHandler
{
public:
    explicit ExpositionFamilyBuilder(std::function<bool(std::string_view family)> filter = {});

    void typeLine(std::string_view family, MetricType type) override;
    void helpLine(std::string_view family, std::string_view text) override;
    void unitLine(std::string_view family, std::string_view unit) override;
    void sample(const ExpositionSample& sample) override;

    ExpositionFamilies take();

private:
    struct StringHash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view> {}(s); }
    };
    ExpositionFamily* family(std::string_view name, bool create);

    std::function<bool(std::string_view)> m_filter;
    ExpositionFamilies m_result;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> m_familyIndex;
    // per family: label-set key → metric index
    std::vector<std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>>> m_metricIndex;
    SeriesKeyBuilder m_seriesKey;
};

/// Parses a whole exposition into families (convenience over ExpositionParser + ExpositionFamilyBuilder).
Result<ExpositionFamilies> parseExpositionFamilies(
    std::string_view data, ExpositionFormat format, std::function<bool(std::string_view family)> filter = {});

} // namespace pw
