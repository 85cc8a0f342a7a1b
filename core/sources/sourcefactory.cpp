#include "sources/source.h"

#include "sources/flinksource.h"
#include "sources/httpjsonsource.h"
#include "sources/kafkasource.h"
#include "sources/promqlsource.h"
#include "sources/scrapesource.h"
#include "sources/sqlfreshnesssource.h"

#include <QStringList>

#include <array>

namespace pw {

namespace {

using Factory = Result<std::unique_ptr<Source>> (*)(const SourceConfig&, const std::vector<SignalConfig>&);

struct Registration
{
    const char* kind;
    Factory create;
};

// One line per source kind.
constexpr std::array kRegistry {
    Registration {"promql", &PromqlSource::create},
    Registration {"flink", &FlinkSource::create},
    Registration {"sql", &SqlFreshnessSource::create},
    Registration {"http_json", &HttpJsonSource::create},
    Registration {"scrape", &ScrapeSource::create},
    Registration {"kafka", &KafkaSource::create},
};

} // namespace

Result<std::unique_ptr<Source>> createSource(const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    for (const Registration& r : kRegistry) {
        if (config.kind == QLatin1String(r.kind)) {
            auto source = r.create(config, signalConfigs);
            if (!source && source.error().source.isEmpty())
                source.error().source = config.id;
            return source;
        }
    }
    QStringList kinds;
    for (const Registration& r : kRegistry)
        kinds << QString::fromLatin1(r.kind);
    Error e = Error::make(Error::Code::Config, QStringLiteral("unknown source kind '%1'").arg(config.kind));
    e.source = config.id;
    e.line = config.line;
    e.hint = QStringLiteral("valid kinds: %1").arg(kinds.join(QStringLiteral(", ")));
    return std::unexpected(e);
}

} // namespace pw
