#pragma once

#include "model/error.h"
#include "model/snapshot.h"

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

    /// Binds `host:port` (port 0 = any free port). Loopback unless the caller asks otherwise.
    Result<void> listen(const QString& hostPort);
    quint16 port() const;

    /// The exposition text for one snapshot (what a scrape of that snapshot returns).
    static QByteArray render(const Snapshot& snapshot);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace pw
