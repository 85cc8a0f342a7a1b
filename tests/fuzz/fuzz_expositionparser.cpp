// Feeds arbitrary bytes to the exposition parser in both formats: it must accept or reject with a position inside the
// input, never crash or read out of bounds, and the family model must agree with the sample stream.
#include "sources/expositionparser.h"

#include <QByteArray>

#include <cstdint>
#include <cstdlib>

namespace {

class CheckingHandler : public pw::ExpositionHandler
{
public:
    long samples = 0;
    void sample(const pw::ExpositionSample& s) override
    {
        ++samples;
        if (s.name.empty() || s.familyName.empty() || s.line < 1)
            std::abort();
        for (const auto& l : s.labels) {
            if (l.name.empty())
                std::abort();
        }
        if (s.exemplar && s.exemplar->labels.size() > 128)
            std::abort();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    static pw::ExpositionParser parser; // reused, as a scrape source does: state must not leak between inputs
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    long lines = 1;
    for (const char c : text)
        lines += c == '\n';
    for (const auto format : {pw::ExpositionFormat::PrometheusText, pw::ExpositionFormat::OpenMetrics}) {
        CheckingHandler handler;
        const auto result = parser.parse(text, format, handler);
        if (result) {
            if (result->samples != handler.samples)
                std::abort();
            auto families = pw::parseExpositionFamilies(text, format);
            if (!families)
                std::abort(); // same input, fresh parser: must agree
            long points = 0;
            for (const auto& f : families->families)
                for (const auto& m : f.metrics)
                    points += static_cast<long>(m.points.size());
            if (points != handler.samples)
                std::abort();
        } else {
            const pw::Error& e = result.error();
            if (e.line < 1 || e.line > lines + 1 || e.column < 1 || e.message.isEmpty())
                std::abort();
        }
    }
    return 0;
}
