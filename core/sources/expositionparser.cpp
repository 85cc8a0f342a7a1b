#include "sources/expositionparser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>

namespace pw {

namespace {

enum CharClass : quint8
{
    MetricStart = 1,
    MetricCont = 2,
    LabelStart = 4,
    LabelCont = 8,
};

struct CharTable
{
    quint8 bits[256] = {};
    constexpr CharTable()
    {
        for (int c = 0; c < 256; ++c) {
            const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            const bool digit = c >= '0' && c <= '9';
            quint8 b = 0;
            if (alpha || c == '_')
                b |= MetricStart | MetricCont | LabelStart | LabelCont;
            if (c == ':')
                b |= MetricStart | MetricCont;
            if (digit)
                b |= MetricCont | LabelCont;
            bits[c] = b;
        }
    }
};
constexpr CharTable charTable;

inline bool is(char c, CharClass cls)
{
    return charTable.bits[static_cast<unsigned char>(c)] & cls;
}
inline bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

inline const char* skipBlanks(const char* p, const char* eol)
{
    while (p < eol && isBlank(*p))
        ++p;
    return p;
}

bool equalsNoCase(const char* s, std::size_t n, std::string_view lower)
{
    if (n != lower.size())
        return false;
    for (std::size_t i = 0; i < n; ++i) {
        if ((s[i] | 0x20) != lower[i])
            return false;
    }
    return true;
}

/// Prometheus/OpenMetrics number: decimal float, or ±Inf/±Infinity, or NaN, in any letter case (prometheus-cpp
/// writes `Nan`). Hex floats and digit separators are rejected, as expfmt does.
bool parseFloat(const char* b, const char* e, double& out, bool allowSpecial = true)
{
    if (b == e)
        return false;
    const char* s = b;
    bool negative = false;
    if (*s == '+' || *s == '-') {
        negative = *s == '-';
        if (++s == e)
            return false;
    }
    const char lower = static_cast<char>(*s | 0x20);
    if (lower == 'i') {
        const auto n = static_cast<std::size_t>(e - s);
        if (!allowSpecial || !(equalsNoCase(s, n, "inf") || equalsNoCase(s, n, "infinity")))
            return false;
        out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        return true;
    }
    if (lower == 'n') {
        if (!allowSpecial || s != b || !equalsNoCase(s, static_cast<std::size_t>(e - s), "nan"))
            return false;
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    if (!((*s >= '0' && *s <= '9') || *s == '.'))
        return false;
    const auto r = std::from_chars(s, e, out, std::chars_format::general);
    if (r.ptr != e)
        return false;
    if (r.ec == std::errc::result_out_of_range) {
        // Overflow is an error (as strconv.ParseFloat says); underflow is a tiny number, i.e. zero or a
        // denormal. from_chars does not tell which, strtod does.
        char copy[128];
        const auto n = static_cast<std::size_t>(e - s);
        if (n >= sizeof copy)
            return false;
        std::memcpy(copy, s, n);
        copy[n] = '\0';
        const double v = std::strtod(copy, nullptr);
        if (std::isinf(v))
            return false;
        out = v;
    } else if (r.ec != std::errc()) {
        return false;
    }
    if (negative)
        out = -out;
    return true;
}

bool parseInt64(const char* b, const char* e, qint64& out)
{
    const char* s = b;
    if (s < e && *s == '+')
        ++s;
    if (s == e || !((*s >= '0' && *s <= '9') || (*s == '-' && s == b && s + 1 < e && s[1] >= '0' && s[1] <= '9')))
        return false;
    long long v = 0;
    const auto r = std::from_chars(s, e, v);
    if (r.ec != std::errc() || r.ptr != e)
        return false;
    out = v;
    return true;
}

bool validUtf8(const unsigned char* s, const unsigned char* e)
{
    while (s < e) {
        const unsigned char c = *s;
        if (c < 0x80) {
            ++s;
            continue;
        }
        int n = 0;
        char32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (e - s <= n)
            return false;
        for (int i = 1; i <= n; ++i) {
            if ((s[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        s += n + 1;
    }
    return true;
}

std::size_t utf8Length(std::string_view s)
{
    std::size_t n = 0;
    for (const char c : s)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::string describe(const char* p, const char* eol)
{
    if (p >= eol)
        return "end of line";
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x7F)
        return fmt::format("'{}'", static_cast<char>(c));
    return fmt::format("byte 0x{:02x}", c);
}

std::string token(const char* b, const char* e)
{
    constexpr std::ptrdiff_t maxShown = 40;
    std::string out(b, static_cast<std::size_t>(std::min(e - b, maxShown)));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F)
            c = '?';
    }
    if (e - b > maxShown)
        out += "...";
    return "'" + out + "'";
}

std::optional<MetricType> textType(const char* b, const char* e)
{
    const auto n = static_cast<std::size_t>(e - b);
    // expfmt upper-cases the type before the lookup, so the text format accepts any letter case.
    if (equalsNoCase(b, n, "counter"))
        return MetricType::Counter;
    if (equalsNoCase(b, n, "gauge"))
        return MetricType::Gauge;
    if (equalsNoCase(b, n, "histogram"))
        return MetricType::Histogram;
    if (equalsNoCase(b, n, "summary"))
        return MetricType::Summary;
    if (equalsNoCase(b, n, "untyped"))
        return MetricType::Unknown;
    return std::nullopt;
}

std::optional<MetricType> openMetricsType(std::string_view t)
{
    if (t == "counter")
        return MetricType::Counter;
    if (t == "gauge")
        return MetricType::Gauge;
    if (t == "histogram")
        return MetricType::Histogram;
    if (t == "gaugehistogram")
        return MetricType::GaugeHistogram;
    if (t == "summary")
        return MetricType::Summary;
    if (t == "info")
        return MetricType::Info;
    if (t == "stateset")
        return MetricType::StateSet;
    if (t == "unknown")
        return MetricType::Unknown;
    return std::nullopt;
}

std::optional<SampleSuffix> suffixFromText(std::string_view s)
{
    if (s == "_total")
        return SampleSuffix::Total;
    if (s == "_created")
        return SampleSuffix::Created;
    if (s == "_bucket")
        return SampleSuffix::Bucket;
    if (s == "_count")
        return SampleSuffix::Count;
    if (s == "_sum")
        return SampleSuffix::Sum;
    if (s == "_gcount")
        return SampleSuffix::GCount;
    if (s == "_gsum")
        return SampleSuffix::GSum;
    if (s == "_info")
        return SampleSuffix::Info;
    return std::nullopt;
}

bool suffixAllowed(MetricType type, SampleSuffix suffix, bool openMetrics)
{
    using S = SampleSuffix;
    if (!openMetrics) {
        switch (type) {
        case MetricType::Histogram:
            return suffix == S::None || suffix == S::Bucket || suffix == S::Count || suffix == S::Sum;
        case MetricType::Summary:
            return suffix == S::None || suffix == S::Count || suffix == S::Sum;
        default:
            return suffix == S::None;
        }
    }
    switch (type) {
    case MetricType::Counter:
        return suffix == S::Total || suffix == S::Created;
    case MetricType::Histogram:
        return suffix == S::Bucket || suffix == S::Count || suffix == S::Sum || suffix == S::Created;
    case MetricType::GaugeHistogram:
        return suffix == S::Bucket || suffix == S::GCount || suffix == S::GSum;
    case MetricType::Summary:
        return suffix == S::None || suffix == S::Count || suffix == S::Sum || suffix == S::Created;
    case MetricType::Info:
        return suffix == S::Info;
    case MetricType::Gauge:
    case MetricType::StateSet:
    case MetricType::Unknown:
        return suffix == S::None;
    }
    return false;
}

std::string_view expectedSuffixes(MetricType type)
{
    switch (type) {
    case MetricType::Counter:
        return "_total or _created";
    case MetricType::Histogram:
        return "_bucket, _count, _sum or _created";
    case MetricType::GaugeHistogram:
        return "_bucket, _gcount or _gsum";
    case MetricType::Info:
        return "_info";
    default:
        return "no suffix";
    }
}

constexpr std::string_view allSuffixes[]
    = {"_total", "_created", "_bucket", "_count", "_sum", "_gcount", "_gsum", "_info"};

} // namespace

std::string_view metricTypeName(MetricType type)
{
    switch (type) {
    case MetricType::Unknown:
        return "unknown";
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Histogram:
        return "histogram";
    case MetricType::GaugeHistogram:
        return "gaugehistogram";
    case MetricType::Summary:
        return "summary";
    case MetricType::Info:
        return "info";
    case MetricType::StateSet:
        return "stateset";
    }
    return "unknown";
}

std::string_view sampleSuffixText(SampleSuffix suffix)
{
    switch (suffix) {
    case SampleSuffix::None:
        return "";
    case SampleSuffix::Total:
        return "_total";
    case SampleSuffix::Created:
        return "_created";
    case SampleSuffix::Bucket:
        return "_bucket";
    case SampleSuffix::Count:
        return "_count";
    case SampleSuffix::Sum:
        return "_sum";
    case SampleSuffix::GCount:
        return "_gcount";
    case SampleSuffix::GSum:
        return "_gsum";
    case SampleSuffix::Info:
        return "_info";
    }
    return "";
}

std::optional<ExpositionFormat> expositionFormatFromContentType(std::string_view contentType)
{
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.remove_suffix(1);
        return s;
    };
    auto lowerEquals
        = [](std::string_view a, std::string_view lower) { return equalsNoCase(a.data(), a.size(), lower); };
    const auto semi = contentType.find(';');
    const std::string_view media = trim(contentType.substr(0, semi));
    std::string_view version;
    for (auto rest = semi == std::string_view::npos ? std::string_view {} : contentType.substr(semi + 1);
         !rest.empty();) {
        const auto next = rest.find(';');
        const std::string_view param = trim(rest.substr(0, next));
        rest = next == std::string_view::npos ? std::string_view {} : rest.substr(next + 1);
        const auto eq = param.find('=');
        if (eq != std::string_view::npos && lowerEquals(trim(param.substr(0, eq)), "version")) {
            version = trim(param.substr(eq + 1));
            if (version.size() >= 2 && version.front() == '"' && version.back() == '"')
                version = version.substr(1, version.size() - 2);
        }
    }
    if (lowerEquals(media, "application/openmetrics-text"))
        return (version.empty() || version.starts_with("1.0") || version == "0.0.1")
            ? std::optional(ExpositionFormat::OpenMetrics)
            : std::nullopt;
    // A missing version means the newest text format, which for us is 0.0.4; later versions quote UTF-8 names,
    // which this parser does not read.
    if (lowerEquals(media, "text/plain"))
        return (version.empty() || version == "0.0.4") ? std::optional(ExpositionFormat::PrometheusText) : std::nullopt;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------------------

struct ExpositionParser::Impl
{
    struct Family
    {
        std::string name;
        quint32 generation = 0;
        MetricType type = MetricType::Unknown;
        bool typed = false;
        bool helped = false;
        bool united = false;
        bool sampled = false;
        bool closed = false;
    };

    struct Fixup
    {
        bool exemplar;
        quint32 index;
        quint32 offset;
        quint32 length;
    };

    // Interned label names. A deque keeps each std::string (and so its SSO buffer) in place as it grows.
    std::deque<std::string> names;
    std::vector<quint32> table; // open addressing, id + 1, 0 = empty
    std::vector<quint32> seenStamp; // per id: the label set it was last seen in (duplicate check)
    quint32 stamp = 0;
    std::vector<quint32> positionCache; // id of the name last seen at each label position

    std::deque<Family> families; // stable names: the map keys view them
    std::unordered_map<std::string_view, quint32> familyIndex;
    quint32 generation = 0;
    int current = -1;

    std::vector<ExpositionLabel> labels;
    std::vector<ExpositionLabel> exemplarLabels;
    std::vector<const char*> valuePositions; // where each label value starts in the buffer, for errors
    std::vector<Fixup> fixups;
    std::string scratch;
    ExpositionExemplar exemplar;

    const char* lineStart = nullptr;
    int line = 0;
    bool om = false;
    bool sawEof = false;
    ExpositionStats stats;
    ExpositionHandler* handler = nullptr;

    int errorLine = 0;
    int errorColumn = 0;
    std::string errorMessage;

    Impl()
    {
        table.assign(256, 0);
        intern("le");
        intern("quantile");
        intern("__name__");
        scratch.reserve(256);
        labels.reserve(32);
        exemplarLabels.reserve(8);
        valuePositions.reserve(32);
        fixups.reserve(8);
    }

    static constexpr quint32 reservedNameId = 2;

    bool fail(const char* at, std::string message)
    {
        errorLine = line;
        errorColumn = static_cast<int>(at - lineStart) + 1;
        errorMessage = std::move(message);
        return false;
    }

    static quint64 hash(std::string_view s)
    {
        quint64 h = 1469598103934665603ULL;
        for (const char c : s) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ULL;
        }
        return h;
    }

    quint32 intern(std::string_view name)
    {
        const std::size_t mask = table.size() - 1;
        for (std::size_t i = hash(name) & mask;; i = (i + 1) & mask) {
            const quint32 slot = table[i];
            if (slot == 0)
                break;
            if (names[slot - 1] == name)
                return slot - 1;
        }
        const auto id = static_cast<quint32>(names.size());
        names.emplace_back(name);
        seenStamp.push_back(0);
        if (names.size() * 2 > table.size()) {
            std::vector<quint32> bigger(table.size() * 2, 0);
            const std::size_t m = bigger.size() - 1;
            for (quint32 n = 0; n < names.size(); ++n) {
                std::size_t i = hash(names[n]) & m;
                while (bigger[i] != 0)
                    i = (i + 1) & m;
                bigger[i] = n + 1;
            }
            table = std::move(bigger);
        } else {
            std::size_t i = hash(name) & mask;
            while (table[i] != 0)
                i = (i + 1) & mask;
            table[i] = id + 1;
        }
        return id;
    }

    std::optional<quint32> find(std::string_view name) const
    {
        const std::size_t mask = table.size() - 1;
        for (std::size_t i = hash(name) & mask;; i = (i + 1) & mask) {
            const quint32 slot = table[i];
            if (slot == 0)
                return std::nullopt;
            if (names[slot - 1] == name)
                return slot - 1;
        }
    }

    // Exposers write the same label names in the same order on every line, so the name at a position is almost
    // always the one seen there last: one compare instead of a hash lookup.
    quint32 internAt(std::string_view name, std::size_t position)
    {
        if (position < positionCache.size()) {
            const quint32 id = positionCache[position];
            if (names[id] == name)
                return id;
        } else {
            positionCache.resize(position + 1, 0);
        }
        const quint32 id = intern(name);
        positionCache[position] = id;
        return id;
    }

    void nextStamp()
    {
        if (++stamp == 0) {
            std::fill(seenStamp.begin(), seenStamp.end(), 0);
            stamp = 1;
        }
    }

    // ---- families ----

    /// The family of this name seen in the current parse, or -1.
    int seenFamily(std::string_view name) const
    {
        const auto it = familyIndex.find(name);
        if (it == familyIndex.end() || families[it->second].generation != generation)
            return -1;
        return static_cast<int>(it->second);
    }

    int createFamily(std::string_view name)
    {
        quint32 index;
        const auto it = familyIndex.find(name);
        if (it != familyIndex.end()) {
            index = it->second;
        } else {
            index = static_cast<quint32>(families.size());
            families.emplace_back();
            families.back().name.assign(name);
            familyIndex.emplace(families.back().name, index);
        }
        Family& f = families[index];
        f.generation = generation;
        f.type = MetricType::Unknown;
        f.typed = f.helped = f.united = f.sampled = f.closed = false;
        ++stats.families;
        return static_cast<int>(index);
    }

    void switchTo(int index)
    {
        if (index == current)
            return;
        if (current >= 0)
            families[current].closed = true;
        current = index;
    }

    /// Family for a descriptor line (TYPE/HELP/UNIT), created when new.
    bool descriptorFamily(std::string_view name, const char* at, int& index)
    {
        index = seenFamily(name);
        if (index < 0) {
            index = createFamily(name);
        } else if (om) {
            const Family& f = families[index];
            if (f.closed)
                return fail(at,
                    fmt::format("metadata for metric family '{}' after other families; OpenMetrics "
                                "forbids interleaving",
                        name));
            if (f.sampled)
                return fail(at, fmt::format("metadata for metric family '{}' after its samples", name));
        }
        switchTo(index);
        return true;
    }

    /// The family a sample name belongs to, and its suffix.
    bool sampleFamily(std::string_view name, const char* at, int& index, SampleSuffix& suffix)
    {
        if (current >= 0) {
            const Family& f = families[current];
            if (name.size() >= f.name.size() && std::memcmp(name.data(), f.name.data(), f.name.size()) == 0) {
                const std::string_view rest = name.substr(f.name.size());
                if (rest.empty()) {
                    if (suffixAllowed(f.type, SampleSuffix::None, om)) {
                        index = current;
                        suffix = SampleSuffix::None;
                        return true;
                    }
                    return fail(at,
                        fmt::format("expected a sample name of {} family '{}' to end in {}", metricTypeName(f.type),
                            f.name, expectedSuffixes(f.type)));
                }
                if (const auto s = suffixFromText(rest); s && suffixAllowed(f.type, *s, om)) {
                    index = current;
                    suffix = *s;
                    return true;
                }
            }
        }
        index = seenFamily(name);
        suffix = SampleSuffix::None;
        if (index >= 0 && !suffixAllowed(families[index].type, SampleSuffix::None, om)) {
            const Family& f = families[index];
            return fail(at,
                fmt::format("expected a sample name of {} family '{}' to end in {}", metricTypeName(f.type), f.name,
                    expectedSuffixes(f.type)));
        }
        if (index < 0) {
            for (const std::string_view s : allSuffixes) {
                if (name.size() <= s.size() || !name.ends_with(s))
                    continue;
                const int base = seenFamily(name.substr(0, name.size() - s.size()));
                const SampleSuffix candidate = *suffixFromText(s);
                if (base >= 0 && families[base].typed && suffixAllowed(families[base].type, candidate, om)) {
                    index = base;
                    suffix = candidate;
                    break;
                }
            }
        }
        if (index < 0) {
            index = createFamily(name);
        } else if (om && index != current && families[index].closed) {
            return fail(at,
                fmt::format("samples of metric family '{}' appear again after other families; OpenMetrics "
                            "forbids interleaving",
                    families[index].name));
        }
        switchTo(index);
        return true;
    }

    // ---- lines ----

    /// Parses `{...}` starting at p (which points at '{'); p ends after '}'.
    bool parseLabels(const char*& p, const char* eol, bool forExemplar)
    {
        auto& out = forExemplar ? exemplarLabels : labels;
        nextStamp();
        ++p; // '{'
        bool expectName = true; // after '{' or ','
        bool afterComma = false;
        for (;;) {
            if (!om)
                p = skipBlanks(p, eol);
            if (p >= eol)
                return fail(p, "expected a label name or '}'");
            if (*p == '}') {
                if (om && afterComma)
                    return fail(p, "expected a label name after ',' (OpenMetrics allows no trailing comma)");
                ++p;
                return true;
            }
            if (!expectName)
                return fail(p, fmt::format("expected ',' or '}}' after the label value, found {}", describe(p, eol)));
            const char* nameStart = p;
            if (!is(*p, LabelStart))
                return fail(p, fmt::format("expected a label name or '}}', found {}", describe(p, eol)));
            ++p;
            while (p < eol && is(*p, LabelCont))
                ++p;
            const std::string_view name(nameStart, static_cast<std::size_t>(p - nameStart));
            const quint32 id = forExemplar ? intern(name) : internAt(name, out.size());
            if (id == reservedNameId)
                return fail(nameStart, "label name '__name__' is reserved");
            if (seenStamp[id] == stamp)
                return fail(nameStart, fmt::format("duplicate label name '{}'", name));
            seenStamp[id] = stamp;
            if (!om)
                p = skipBlanks(p, eol);
            if (p >= eol || *p != '=')
                return fail(p, fmt::format("expected '=' after label name '{}', found {}", name, describe(p, eol)));
            ++p;
            if (!om)
                p = skipBlanks(p, eol);
            if (p >= eol || *p != '"')
                return fail(
                    p, fmt::format("expected '\"' to start the value of label '{}', found {}", name, describe(p, eol)));
            ++p;
            const char* valueStart = p;
            unsigned char high = 0;
            while (p < eol && *p != '"' && *p != '\\') {
                high |= static_cast<unsigned char>(*p);
                ++p;
            }
            std::string_view value(valueStart, static_cast<std::size_t>(p - valueStart));
            if (p < eol && *p == '\\') {
                // Escaped value: unescape into scratch; the view is patched once the line is complete because
                // scratch may still grow.
                const auto offset = static_cast<quint32>(scratch.size());
                scratch.append(valueStart, static_cast<std::size_t>(p - valueStart));
                while (p < eol && *p != '"') {
                    if (*p == '\\') {
                        const char* esc = p++;
                        if (p >= eol)
                            return fail(esc, "expected an escape character after '\\'");
                        switch (*p) {
                        case '\\':
                            scratch.push_back('\\');
                            break;
                        case '"':
                            scratch.push_back('"');
                            break;
                        case 'n':
                            scratch.push_back('\n');
                            break;
                        default:
                            return fail(esc,
                                fmt::format("invalid escape sequence '\\{}' in label value (expected "
                                            "\\\\, \\\" or \\n)",
                                    *p));
                        }
                        ++p;
                    } else {
                        high |= static_cast<unsigned char>(*p);
                        scratch.push_back(*p++);
                    }
                }
                fixups.push_back(Fixup {forExemplar, static_cast<quint32>(out.size()), offset,
                    static_cast<quint32>(scratch.size() - offset)});
                value = {};
            }
            if (p >= eol)
                return fail(p,
                    fmt::format("expected '\"' to close the value of label '{}' (label values cannot "
                                "span lines)",
                        name));
            if ((high & 0x80)
                && !validUtf8(
                    reinterpret_cast<const unsigned char*>(valueStart), reinterpret_cast<const unsigned char*>(p)))
                return fail(valueStart, fmt::format("invalid UTF-8 in the value of label '{}'", name));
            ++p; // closing quote
            out.push_back(ExpositionLabel {name, value, id});
            if (!forExemplar)
                valuePositions.push_back(valueStart);
            if (!om)
                p = skipBlanks(p, eol);
            if (p < eol && *p == ',') {
                ++p;
                expectName = true;
                afterComma = true;
            } else {
                expectName = false;
                afterComma = false;
            }
        }
    }

    void applyFixups()
    {
        for (const Fixup& f : fixups) {
            auto& target = f.exemplar ? exemplarLabels[f.index] : labels[f.index];
            target.value = std::string_view(scratch.data() + f.offset, f.length);
        }
    }

    const char* tokenEnd(const char* p, const char* eol) const
    {
        if (om) {
            while (p < eol && *p != ' ')
                ++p;
        } else {
            while (p < eol && !isBlank(*p))
                ++p;
        }
        return p;
    }

    bool parseOmTimestamp(const char* b, const char* e, qint64& ms)
    {
        double seconds = 0;
        if (!parseFloat(b, e, seconds, false))
            return fail(b, fmt::format("expected a timestamp in seconds, found {}", token(b, e)));
        const double v = seconds * 1000.0;
        if (!(std::fabs(v) < 9.2e18))
            return fail(b, fmt::format("timestamp {} is out of range", token(b, e)));
        ms = std::llround(v);
        return true;
    }

    bool parseSample(const char* p, const char* eol)
    {
        const char* nameStart = p;
        if (!is(*p, MetricStart))
            return fail(p,
                fmt::format(
                    fmt::runtime(om ? "expected a metric name or '#', found {}" : "expected a metric name, found {}"),
                    describe(p, eol)));
        ++p;
        while (p < eol && is(*p, MetricCont))
            ++p;
        const std::string_view name(nameStart, static_cast<std::size_t>(p - nameStart));

        int familyIndex = -1;
        SampleSuffix suffix = SampleSuffix::None;
        if (!sampleFamily(name, nameStart, familyIndex, suffix))
            return false;
        Family& family = families[familyIndex];
        family.sampled = true;

        labels.clear();
        valuePositions.clear();
        fixups.clear();
        scratch.clear();
        bool hadLabels = false;
        const char* afterName = p;
        if (!om)
            p = skipBlanks(p, eol); // expfmt allows blanks between the name and '{'
        if (p < eol && *p == '{') {
            if (!parseLabels(p, eol, false))
                return false;
            hadLabels = true;
        }
        if (om) {
            if (p >= eol || *p != ' ')
                return fail(p,
                    fmt::format(fmt::runtime(hadLabels ? "expected ' ' after '}}', found {}"
                                                       : "expected ' ' or '{{' after the metric name, found {}"),
                        describe(p, eol)));
            ++p;
        } else {
            if (!hadLabels && afterName < eol && !isBlank(*afterName))
                return fail(afterName,
                    fmt::format("expected a blank or '{{' after the metric name, found {}", describe(afterName, eol)));
            p = skipBlanks(p, eol);
        }
        if (p >= eol)
            return fail(p, "expected a sample value");
        const char* valueStart = p;
        p = tokenEnd(p, eol);
        double value = 0;
        if (!parseFloat(valueStart, p, value))
            return fail(valueStart, fmt::format("expected a float sample value, found {}", token(valueStart, p)));

        std::optional<qint64> timestamp;
        const ExpositionExemplar* exemplarPtr = nullptr;
        if (om) {
            const char* hashAt = nullptr;
            if (p < eol) {
                ++p; // ' '
                if (p >= eol)
                    return fail(p, "expected a timestamp or '#' after ' '");
                if (*p != '#') {
                    const char* tsStart = p;
                    p = tokenEnd(p, eol);
                    qint64 ms = 0;
                    if (!parseOmTimestamp(tsStart, p, ms))
                        return false;
                    timestamp = ms;
                    if (p < eol) {
                        ++p;
                        if (p >= eol || *p != '#')
                            return fail(
                                p, fmt::format("expected '#' to start an exemplar, found {}", describe(p, eol)));
                    }
                }
                if (p < eol) {
                    hashAt = p;
                    if (!parseExemplar(p, eol))
                        return false;
                    exemplarPtr = &exemplar;
                }
            }
            if (hashAt) {
                const bool allowed = (family.type == MetricType::Counter && suffix == SampleSuffix::Total)
                    || ((family.type == MetricType::Histogram || family.type == MetricType::GaugeHistogram)
                        && suffix == SampleSuffix::Bucket);
                if (!allowed)
                    return fail(hashAt, "exemplars are only allowed on counter _total and histogram _bucket samples");
            }
        } else {
            p = skipBlanks(p, eol);
            if (p < eol) {
                const char* tsStart = p;
                p = tokenEnd(p, eol);
                qint64 ms = 0;
                if (!parseInt64(tsStart, p, ms))
                    return fail(tsStart,
                        fmt::format("expected an integer timestamp in milliseconds, found {}", token(tsStart, p)));
                timestamp = ms;
                p = skipBlanks(p, eol);
                if (p < eol)
                    return fail(p, fmt::format("expected end of line after the timestamp, found {}", describe(p, eol)));
            }
        }
        applyFixups();

        double bound = std::numeric_limits<double>::quiet_NaN();
        const bool bucket = suffix == SampleSuffix::Bucket
            && (family.type == MetricType::Histogram || family.type == MetricType::GaugeHistogram);
        const bool quantile = suffix == SampleSuffix::None && family.type == MetricType::Summary;
        if (bucket || quantile) {
            const quint32 wanted = bucket ? leNameId : quantileNameId;
            std::size_t i = 0;
            while (i < labels.size() && labels[i].nameId != wanted)
                ++i;
            if (i == labels.size()) {
                if (om)
                    return fail(bucket ? nameStart + name.size() : nameStart + name.size(),
                        fmt::format("expected a '{}' label on {} sample '{}'", bucket ? "le" : "quantile",
                            metricTypeName(family.type), name));
            } else {
                const std::string_view v = labels[i].value;
                if (!parseFloat(v.data(), v.data() + v.size(), bound))
                    return fail(valuePositions[i],
                        fmt::format("expected a float in label '{}', found {}", bucket ? "le" : "quantile",
                            token(v.data(), v.data() + v.size())));
            }
        }

        ExpositionSample sample;
        sample.name = name;
        sample.familyName = family.name;
        sample.type = family.type;
        sample.suffix = suffix;
        sample.labels = labels;
        sample.value = value;
        sample.bound = bound;
        sample.timestampMs = timestamp;
        sample.exemplar = exemplarPtr;
        sample.line = line;
        ++stats.samples;
        handler->sample(sample);
        return true;
    }

    /// p points at '#' of " # {labels} value [timestamp]".
    bool parseExemplar(const char*& p, const char* eol)
    {
        exemplarLabels.clear();
        ++p;
        if (p >= eol || *p != ' ')
            return fail(p, fmt::format("expected ' ' after '#' of an exemplar, found {}", describe(p, eol)));
        ++p;
        if (p >= eol || *p != '{')
            return fail(p, fmt::format("expected '{{' to start the exemplar's labels, found {}", describe(p, eol)));
        const char* labelsStart = p;
        if (!parseLabels(p, eol, true))
            return false;
        std::size_t chars = 0;
        for (std::size_t i = 0; i < exemplarLabels.size(); ++i) {
            chars += utf8Length(exemplarLabels[i].name);
            // escaped values are still in scratch; count them there
            bool fixed = false;
            for (const Fixup& f : fixups) {
                if (f.exemplar && f.index == i) {
                    chars += utf8Length(std::string_view(scratch.data() + f.offset, f.length));
                    fixed = true;
                }
            }
            if (!fixed)
                chars += utf8Length(exemplarLabels[i].value);
        }
        if (chars > 128)
            return fail(labelsStart, fmt::format("exemplar labels have {} characters, at most 128 are allowed", chars));
        if (p >= eol || *p != ' ')
            return fail(p, fmt::format("expected ' ' and the exemplar value, found {}", describe(p, eol)));
        ++p;
        const char* valueStart = p;
        p = tokenEnd(p, eol);
        if (!parseFloat(valueStart, p, exemplar.value))
            return fail(valueStart, fmt::format("expected a float exemplar value, found {}", token(valueStart, p)));
        exemplar.timestampSeconds.reset();
        if (p < eol) {
            ++p;
            const char* tsStart = p;
            p = tokenEnd(p, eol);
            double seconds = 0;
            if (!parseFloat(tsStart, p, seconds, false))
                return fail(
                    tsStart, fmt::format("expected an exemplar timestamp in seconds, found {}", token(tsStart, p)));
            exemplar.timestampSeconds = seconds;
            if (p < eol)
                return fail(p, fmt::format("expected end of line after the exemplar, found {}", describe(p, eol)));
        }
        exemplar.labels = exemplarLabels;
        return true;
    }

    /// HELP text: `\\` and `\n` in both formats, `\"` in OpenMetrics too. Result in scratch.
    bool unescapeHelp(const char* p, const char* eol)
    {
        scratch.clear();
        unsigned char high = 0;
        const char* start = p;
        while (p < eol) {
            if (*p != '\\') {
                high |= static_cast<unsigned char>(*p);
                scratch.push_back(*p++);
                continue;
            }
            const char* esc = p++;
            if (p < eol && *p == '\\')
                scratch.push_back('\\');
            else if (p < eol && *p == 'n')
                scratch.push_back('\n');
            else if (om && p < eol && *p == '"')
                scratch.push_back('"');
            else
                return fail(esc,
                    om ? "invalid escape sequence in HELP (expected \\\\, \\\" or \\n)"
                       : "invalid escape sequence in HELP (expected \\\\ or \\n)");
            ++p;
        }
        if ((high & 0x80)
            && !validUtf8(reinterpret_cast<const unsigned char*>(start), reinterpret_cast<const unsigned char*>(eol)))
            return fail(start, "invalid UTF-8 in HELP text");
        return true;
    }

    bool parseTextComment(const char* p, const char* eol)
    {
        p = skipBlanks(p + 1, eol);
        const char* keywordStart = p;
        while (p < eol && !isBlank(*p))
            ++p;
        const std::string_view keyword(keywordStart, static_cast<std::size_t>(p - keywordStart));
        if (keyword != "HELP" && keyword != "TYPE")
            return true; // a plain comment
        p = skipBlanks(p, eol);
        if (p == eol)
            return true; // expfmt tolerates a bare "# HELP"
        const char* nameStart = p;
        if (!is(*p, MetricStart))
            return fail(p, fmt::format("expected a metric name after '# {}', found {}", keyword, describe(p, eol)));
        while (p < eol && is(*p, MetricCont))
            ++p;
        const std::string_view name(nameStart, static_cast<std::size_t>(p - nameStart));
        if (p == eol)
            return true;
        if (!isBlank(*p))
            return fail(p,
                fmt::format("expected a blank after the metric name in '# {}', found {}", keyword, describe(p, eol)));
        p = skipBlanks(p, eol);
        int index = -1;
        if (!descriptorFamily(name, nameStart, index))
            return false;
        Family& f = families[index];
        if (keyword == "HELP") {
            if (f.helped)
                return fail(nameStart, fmt::format("second HELP line for metric name '{}'", name));
            f.helped = true;
            if (!unescapeHelp(p, eol))
                return false;
            handler->helpLine(f.name, scratch);
            return true;
        }
        if (p == eol)
            return true;
        const char* typeEnd = eol;
        while (typeEnd > p && isBlank(typeEnd[-1]))
            --typeEnd;
        const auto type = textType(p, typeEnd);
        if (!type)
            return fail(p,
                fmt::format("expected a metric type (counter, gauge, histogram, summary or untyped), "
                            "found {}",
                    token(p, typeEnd)));
        if (f.typed || f.sampled)
            return fail(
                nameStart, fmt::format("second TYPE line for metric name '{}', or TYPE after its samples", name));
        f.typed = true;
        f.type = *type;
        handler->typeLine(f.name, *type);
        return true;
    }

    bool parseOmDescriptor(const char* p, const char* eol)
    {
        if (eol - p == 5 && std::memcmp(p, "# EOF", 5) == 0) {
            sawEof = true;
            return true;
        }
        ++p;
        if (p >= eol || *p != ' ')
            return fail(p, fmt::format("expected ' ' after '#', found {}", describe(p, eol)));
        ++p;
        const char* keywordStart = p;
        while (p < eol && *p != ' ')
            ++p;
        const std::string_view keyword(keywordStart, static_cast<std::size_t>(p - keywordStart));
        if (keyword == "EOF")
            return fail(p, "expected end of line after '# EOF'");
        if (keyword != "TYPE" && keyword != "HELP" && keyword != "UNIT")
            return fail(keywordStart,
                fmt::format("expected TYPE, HELP, UNIT or EOF after '# ', found {} "
                            "(OpenMetrics has no free-form comments)",
                    token(keywordStart, p)));
        if (p >= eol)
            return fail(p, fmt::format("expected ' ' and a metric name after '# {}'", keyword));
        ++p;
        const char* nameStart = p;
        if (p >= eol || !is(*p, MetricStart))
            return fail(p, fmt::format("expected a metric name after '# {}', found {}", keyword, describe(p, eol)));
        while (p < eol && is(*p, MetricCont))
            ++p;
        const std::string_view name(nameStart, static_cast<std::size_t>(p - nameStart));
        if (p >= eol || *p != ' ')
            return fail(
                p, fmt::format("expected ' ' after the metric name in '# {}', found {}", keyword, describe(p, eol)));
        ++p;
        int index = -1;
        if (!descriptorFamily(name, nameStart, index))
            return false;
        Family& f = families[index];
        if (keyword == "TYPE") {
            const auto type = openMetricsType(std::string_view(p, static_cast<std::size_t>(eol - p)));
            if (!type)
                return fail(p,
                    fmt::format("expected a metric type (counter, gauge, histogram, gaugehistogram, "
                                "summary, info, stateset or unknown), found {}",
                        token(p, eol)));
            if (f.typed)
                return fail(nameStart, fmt::format("second TYPE line for metric family '{}'", name));
            f.typed = true;
            f.type = *type;
            handler->typeLine(f.name, *type);
        } else if (keyword == "HELP") {
            if (f.helped)
                return fail(nameStart, fmt::format("second HELP line for metric family '{}'", name));
            f.helped = true;
            if (!unescapeHelp(p, eol))
                return false;
            handler->helpLine(f.name, scratch);
        } else {
            if (f.united)
                return fail(nameStart, fmt::format("second UNIT line for metric family '{}'", name));
            f.united = true;
            const char* unitStart = p;
            while (p < eol && is(*p, MetricCont))
                ++p;
            if (p < eol)
                return fail(
                    p, fmt::format("expected a unit made of metric name characters, found {}", describe(p, eol)));
            const std::string_view unit(unitStart, static_cast<std::size_t>(eol - unitStart));
            if (!unit.empty()
                && !(name.size() > unit.size() + 1 && name.ends_with(unit)
                    && name[name.size() - unit.size() - 1] == '_'))
                return fail(unitStart,
                    fmt::format("the unit '{}' must be a suffix of the metric family name '{}'", unit, name));
            handler->unitLine(f.name, unit);
        }
        return true;
    }

    Result<ExpositionStats> run(std::string_view data)
    {
        const char* p = data.data();
        const char* end = p + data.size();
        while (p < end) {
            ++line;
            lineStart = p;
            const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            const bool hasLf = eol != nullptr;
            if (!eol)
                eol = end;
            bool ok = true;
            if (om) {
                if (p == eol)
                    ok = fail(p, "unexpected empty line (OpenMetrics allows none)");
                else if (*p == '#')
                    ok = parseOmDescriptor(p, eol);
                else
                    ok = parseSample(p, eol);
                if (ok && sawEof) {
                    p = hasLf ? eol + 1 : eol;
                    if (p < end) {
                        ++line;
                        lineStart = p;
                        ok = fail(p, "expected nothing after '# EOF'");
                    }
                    if (!ok)
                        return error();
                    break;
                }
                if (ok && !hasLf)
                    ok = fail(eol, "expected a line feed; the body ends mid-line (truncated?)");
            } else {
                const char* q = skipBlanks(p, eol);
                if (q == eol) {
                    // blank line
                } else if (*q == '#') {
                    ok = parseTextComment(q, eol);
                } else {
                    ok = parseSample(q, eol);
                }
                if (ok && !hasLf && q != eol)
                    ok = fail(eol,
                        "expected a line feed at the end of the last line; the body ends mid-line "
                        "(truncated?)");
            }
            if (!ok)
                return error();
            ++stats.lines;
            p = hasLf ? eol + 1 : eol;
        }
        if (om && !sawEof) {
            ++line;
            lineStart = end;
            fail(end, "expected '# EOF' as the last line of an OpenMetrics exposition (truncated?)");
            return error();
        }
        return stats;
    }

    std::unexpected<Error> error() const
    {
        Error e = Error::make(Error::Code::Parse, QString::fromStdString(errorMessage));
        e.line = errorLine;
        e.column = errorColumn;
        return std::unexpected<Error>(std::move(e));
    }
};

ExpositionParser::ExpositionParser()
    : m_impl(std::make_unique<Impl>())
{ }

ExpositionParser::~ExpositionParser() = default;

Result<ExpositionStats> ExpositionParser::parse(
    std::string_view data, ExpositionFormat format, ExpositionHandler& handler)
{
    Impl& d = *m_impl;
    ++d.generation;
    d.current = -1;
    d.line = 0;
    d.lineStart = data.data();
    d.om = format == ExpositionFormat::OpenMetrics;
    d.sawEof = false;
    // Families are kept between parses so a steady scrape allocates nothing; a target whose family names keep
    // changing would grow the table forever, so it is dropped when it holds far more than the last parse used.
    if (d.families.size() > 2 * static_cast<std::size_t>(d.stats.families) + 1024) {
        d.familyIndex.clear();
        d.families.clear();
    }
    d.stats = {};
    d.handler = &handler;
    auto result = d.run(data);
    d.handler = nullptr;
    return result;
}

std::optional<quint32> ExpositionParser::labelNameId(std::string_view name) const
{
    return m_impl->find(name);
}

std::string_view ExpositionParser::labelName(quint32 id) const
{
    return id < m_impl->names.size() ? std::string_view(m_impl->names[id]) : std::string_view {};
}

std::size_t ExpositionParser::internedLabelNames() const
{
    return m_impl->names.size();
}

// ---------------------------------------------------------------------------------------------------------------------

std::string_view ExpositionMetric::label(std::string_view name) const
{
    for (const auto& [n, v] : labels) {
        if (n == name)
            return v;
    }
    return {};
}

const ExpositionFamily* ExpositionFamilies::find(std::string_view name) const
{
    for (const auto& f : families) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

ExpositionFamilyBuilder::ExpositionFamilyBuilder(std::function<bool(std::string_view family)> filter)
    : m_filter(std::move(filter))
{ }

ExpositionFamily* ExpositionFamilyBuilder::family(std::string_view name, bool create)
{
    if (const auto it = m_familyIndex.find(name); it != m_familyIndex.end())
        return &m_result.families[it->second];
    if (!create || (m_filter && !m_filter(name)))
        return nullptr;
    m_familyIndex.emplace(std::string(name), m_result.families.size());
    m_result.families.emplace_back();
    m_result.families.back().name.assign(name);
    m_metricIndex.emplace_back();
    return &m_result.families.back();
}

void ExpositionFamilyBuilder::typeLine(std::string_view name, MetricType type)
{
    if (auto* f = family(name, true))
        f->type = type;
}

void ExpositionFamilyBuilder::helpLine(std::string_view name, std::string_view text)
{
    if (auto* f = family(name, true))
        f->help.assign(text);
}

void ExpositionFamilyBuilder::unitLine(std::string_view name, std::string_view unit)
{
    if (auto* f = family(name, true))
        f->unit.assign(unit);
}

const std::string& SeriesKeyBuilder::build(const ExpositionSample& s)
{
    const bool bucketLike = s.type == MetricType::Histogram || s.type == MetricType::GaugeHistogram;
    const bool summary = s.type == MetricType::Summary;
    m_sorted.clear();
    for (const auto& l : s.labels) {
        if ((bucketLike && l.nameId == ExpositionParser::leNameId)
            || (summary && l.nameId == ExpositionParser::quantileNameId))
            continue;
        m_sorted.push_back(&l);
    }
    std::sort(m_sorted.begin(), m_sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
    m_key.clear();
    for (const auto* l : m_sorted) {
        m_key.append(l->name);
        m_key.push_back('\0');
        // Label values may hold raw NUL bytes; escaping them keeps two different label sets from sharing a key.
        std::string_view rest = l->value;
        for (auto nul = rest.find('\0'); nul != std::string_view::npos; nul = rest.find('\0')) {
            m_key.append(rest.substr(0, nul + 1));
            m_key.push_back('\xff');
            rest.remove_prefix(nul + 1);
        }
        m_key.append(rest);
        m_key.push_back('\0');
    }
    return m_key;
}

void ExpositionFamilyBuilder::sample(const ExpositionSample& s)
{
    ExpositionFamily* f = family(s.familyName, true);
    if (!f)
        return;
    f->type = s.type;
    const auto familyIndex = static_cast<std::size_t>(f - m_result.families.data());
    const std::string& key = m_seriesKey.build(s);
    auto& index = m_metricIndex[familyIndex];
    std::size_t metric;
    if (const auto it = index.find(std::string_view(key)); it != index.end()) {
        metric = it->second;
    } else {
        metric = f->metrics.size();
        index.emplace(key, metric);
        auto& m = f->metrics.emplace_back();
        m.labels.reserve(m_seriesKey.labels().size());
        for (const auto* l : m_seriesKey.labels())
            m.labels.emplace_back(std::string(l->name), std::string(l->value));
    }
    f->metrics[metric].points.push_back(ExpositionPoint {s.suffix, s.bound, s.value, s.timestampMs});
}

ExpositionFamilies ExpositionFamilyBuilder::take()
{
    m_familyIndex.clear();
    m_metricIndex.clear();
    return std::exchange(m_result, {});
}

Result<ExpositionFamilies> parseExpositionFamilies(
    std::string_view data, ExpositionFormat format, std::function<bool(std::string_view family)> filter)
{
    ExpositionParser parser;
    ExpositionFamilyBuilder builder(std::move(filter));
    if (auto r = parser.parse(data, format, builder); !r)
        return std::unexpected(r.error());
    return builder.take();
}

} // namespace pw
