#include "export/metricsexporter.h"

#include "instance/listenprobe.h"

#include "pathwatch/version.h"

#include <algorithm>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <QRegularExpression>
#include <QSet>

#include <sstream>

namespace pw {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Our own label names on signal series; a source label with one of these names is renamed exported_<name>.
const QSet<QString>& reservedLabels()
{
    static const QSet<QString> names {
        QStringLiteral("stage"), QStringLiteral("signal"), QStringLiteral("kind"), QStringLiteral("source")};
    return names;
}

std::string sanitizeLabelName(const QString& name)
{
    std::string out;
    out.reserve(size_t(name.size()));
    for (QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || (u >= '0' && u <= '9');
        out.push_back(ok ? char(u) : '_');
    }
    if (out.empty() || (out[0] >= '0' && out[0] <= '9'))
        out.insert(out.begin(), '_');
    return out;
}

std::vector<ClientMetric::Label> signalLabels(const SignalState& s)
{
    std::vector<ClientMetric::Label> labels;
    labels.push_back({"stage", s.stageId.toStdString()});
    labels.push_back({"signal", s.name.toStdString()});
    labels.push_back({"kind", signalKindName(s.kind).toStdString()});
    labels.push_back({"source", s.sourceId.toStdString()});
    for (const auto& [name, value] : s.labels) {
        if (name == QLatin1String("__name__"))
            continue;
        std::string exported = sanitizeLabelName(name);
        if (exported.starts_with("__"))
            continue; // reserved for Prometheus' own use
        if (reservedLabels().contains(name))
            exported = "exported_" + exported;
        labels.push_back({exported, value.toStdString()});
    }
    return labels;
}

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double value)
{
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    return m;
}

MetricFamily family(const char* name, const char* help)
{
    MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = MetricType::Gauge;
    return f;
}

std::vector<MetricFamily> collect(const Snapshot& snapshot, const ReadinessReport* readiness)
{
    MetricFamily value = family("pathwatch_signal_value", "Current value of a signal; absent while STALE or UNKNOWN");
    MetricFamily status
        = family("pathwatch_signal_status", "Signal severity: 0 OK, 1 WARN, 2 CRIT, 3 STALE, 4 UNKNOWN");
    MetricFamily updated = family("pathwatch_signal_last_update_timestamp_seconds",
        "When the signal's last good value was observed (Unix seconds)");
    MetricFamily stage = family("pathwatch_stage_status", "Stage severity (worst of its signals)");
    MetricFamily up = family("pathwatch_source_up", "1 when the last poll of the source succeeded");
    MetricFamily lastSuccess = family(
        "pathwatch_source_last_success_timestamp_seconds", "When the source was last read successfully (Unix seconds)");
    MetricFamily build = family("pathwatch_build_info", "Pathwatch version and revision");
    MetricFamily dataAge = family("pathwatch_stage_data_age_seconds",
        "Age of the newest data seen at the hop (the freshest of its age signals); absent when not known");
    MetricFamily dataStop = family("pathwatch_stage_data_stops_here",
        "1 at the first hop whose data is much older than the hop before it: where data stops moving");
    MetricFamily degraded = family("pathwatch_data_dir_degraded",
        "1 while a part of the data dir (the recovery ledger, the saved history) cannot be written; monitoring goes "
        "on");

    for (const auto& s : snapshot.signalStates) {
        auto labels = signalLabels(s);
        const bool fresh = s.hasValue && s.severity != Severity::Stale && s.severity != Severity::Unknown;
        if (fresh)
            value.metric.push_back(gauge(labels, s.value));
        status.metric.push_back(gauge(labels, double(static_cast<int>(s.severity))));
        if (s.hasValue)
            updated.metric.push_back(gauge(labels, double(s.valueTimestampMs) / 1000.0));
    }
    for (const auto& st : snapshot.stages) {
        const std::vector<ClientMetric::Label> labels {{"stage", st.stageId.toStdString()}};
        stage.metric.push_back(gauge(labels, double(static_cast<int>(st.severity))));
        if (st.dataAgeSeconds)
            dataAge.metric.push_back(gauge(labels, *st.dataAgeSeconds));
        dataStop.metric.push_back(gauge(labels, st.stageId == snapshot.dataStopStageId ? 1.0 : 0.0));
    }
    for (const auto& src : snapshot.sources) {
        std::vector<ClientMetric::Label> labels {
            {"source", src.sourceId.toStdString()}, {"kind", src.kind.toStdString()}};
        up.metric.push_back(gauge(labels, src.up ? 1.0 : 0.0));
        if (src.lastSuccessMs > 0)
            lastSuccess.metric.push_back(gauge(labels, double(src.lastSuccessMs) / 1000.0));
    }
    build.metric.push_back(gauge({{"version", kVersion}, {"revision", kRevision}}, 1.0));
    for (const char* part : {"ledger", "history"}) {
        const bool isDegraded = std::ranges::any_of(
            snapshot.degraded, [&](const DegradedPart& d) { return d.part == QLatin1String(part); });
        degraded.metric.push_back(gauge({{"part", part}}, isDegraded ? 1.0 : 0.0));
    }

    std::vector<MetricFamily> families;
    for (auto* f : {&value, &status, &updated, &stage, &dataAge, &dataStop, &up, &lastSuccess, &build, &degraded})
        families.push_back(std::move(*f));
    if (readiness) {
        MetricFamily layer = family("pathwatch_readiness_layer_status",
            "Production readiness of a layer: 0 PASS, 1 WARN, 2 FAIL, 3 UNKNOWN (evidence missing)");
        for (const LayerReadiness& l : readiness->layers)
            layer.metric.push_back(
                gauge({{"layer", readinessLayerId(l.layer).toStdString()}}, double(static_cast<int>(l.verdict))));
        MetricFamily judged = family(
            "pathwatch_readiness_evaluated_timestamp_seconds", "When readiness was last judged (Unix seconds)");
        judged.metric.push_back(gauge({}, double(readiness->atMs) / 1000.0));
        families.push_back(std::move(layer));
        families.push_back(std::move(judged));
    }
    return families;
}

class SnapshotCollectable : public prometheus::Collectable
{
public:
    explicit SnapshotCollectable(std::function<SnapshotPtr()> provider)
        : m_provider(std::move(provider))
    { }
    std::vector<MetricFamily> Collect() const override
    {
        SnapshotPtr snapshot = m_provider();
        const std::shared_ptr<const ReadinessReport> readiness = m_readinessProvider ? m_readinessProvider() : nullptr;
        return collect(snapshot ? *snapshot : Snapshot {}, readiness.get());
    }
    MetricsExporter::ReadinessProvider m_readinessProvider; // set before the exposer serves

private:
    std::function<SnapshotPtr()> m_provider;
};

} // namespace

struct MetricsExporter::Impl
{
    std::shared_ptr<SnapshotCollectable> collectable;
    std::unique_ptr<prometheus::Exposer> exposer;
};

MetricsExporter::MetricsExporter(std::function<SnapshotPtr()> snapshotProvider)
    : d(std::make_unique<Impl>())
{
    d->collectable = std::make_shared<SnapshotCollectable>(std::move(snapshotProvider));
}

MetricsExporter::~MetricsExporter() = default;

void MetricsExporter::setReadinessProvider(ReadinessProvider provider)
{
    d->collectable->m_readinessProvider = std::move(provider);
}

Result<void> MetricsExporter::listen(const QString& hostPort)
{
    static const QRegularExpression form(QStringLiteral("^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.\\-]+):(\\d{1,5})$"));
    const auto match = form.match(hostPort);
    if (!match.hasMatch() || match.captured(2).toInt() > 65535)
        return fail(Error::Code::Config,
            QStringLiteral("listen address `%1` is not HOST:PORT (e.g. 127.0.0.1:9464)").arg(hostPort));
    // civetweb only says "null context" when the port is taken; find out first so the error says what happened.
    if (auto free = checkListenAddressFree(match.captured(1), quint16(match.captured(2).toInt())); !free)
        return std::unexpected(free.error());
    try {
        // civetweb's "listening_ports" uses host:port; 0 lets the OS pick a free port.
        d->exposer = std::make_unique<prometheus::Exposer>(hostPort.toStdString(), 2);
        d->exposer->RegisterCollectable(d->collectable);
    } catch (const std::exception& e) {
        d->exposer.reset();
        return fail(
            Error::Code::Network, QStringLiteral("cannot listen on %1: %2").arg(hostPort, QString::fromUtf8(e.what())));
    }
    return {};
}

quint16 MetricsExporter::port() const
{
    if (!d->exposer)
        return 0;
    const auto ports = d->exposer->GetListeningPorts();
    return ports.empty() ? 0 : quint16(ports.front());
}

QByteArray MetricsExporter::render(const Snapshot& snapshot, const ReadinessReport* readiness)
{
    std::ostringstream out;
    prometheus::TextSerializer serializer;
    serializer.Serialize(out, collect(snapshot, readiness));
    return QByteArray::fromStdString(out.str());
}

} // namespace pw
