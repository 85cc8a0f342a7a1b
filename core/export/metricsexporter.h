#pragma once

#include "model/error.h"
#include "model/snapshot.h"
#include "readiness/readiness.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

namespace pw {

/// Serves the unified signals on `/metrics` (prometheus-cpp pull Exposer). Each scrape renders the newest Snapshot
/// from `snapshotProvider`, so the exporter holds no state of its own. Thread-safe: scrapes run on the exposer's
/// threads and only call the provider, which must be thread-safe (Engine::latestSnapshot is).
class MetricsExporter
{
public:
    explicit MetricsExporter(std::function<SnapshotPtr()> snapshotProvider);
    ~MetricsExporter();
    MetricsExporter(const MetricsExporter&) = delete;
    MetricsExporter& operator=(const MetricsExporter&) = delete;

    using ReadinessProvider = std::function<std::shared_ptr<const ReadinessReport>()>;
    /// Adds `pathwatch_readiness_layer_status{layer}` from the provider's newest report (none while it returns
    /// null). Call before listen(); the provider must be thread-safe.
    void setReadinessProvider(ReadinessProvider provider);

    /// Binds `host:port` (port 0 = any free port). Loopback unless the caller asks otherwise.
    Result<void> listen(const QString& hostPort);
    quint16 port() const;

    /// The exposition text for one snapshot (what a scrape of that snapshot returns).
    static QByteArray render(const Snapshot& snapshot, const ReadinessReport* readiness = nullptr);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace pw
