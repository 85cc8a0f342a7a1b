#pragma once

#include "config/config.h"
#include "demo/demopipeline.h"
#include "model/error.h"

#include <QString>

#include <memory>

class QLockFile;

namespace pw::demo {

/// Embedded mode, what Pathwatch runs without a config: the demo pipeline under a data directory, plus the config
/// that watches it (written next to the data as embedded-demo.yaml, so it can be read and copied).
class EmbeddedMode
{
public:
    /// ~/.local/share/Pathwatch/pathwatch/embedded (the platform's application data location).
    static QString defaultDataDir();

    /// Starts the demo under `dataDir` and loads its config. Blocking (binds ports, opens files): call it off the
    /// GUI thread. Refused while another Pathwatch runs the demo from the same directory (a lock file), so two
    /// brokers never write one log.
    /// The config that watches it is written to `configPath` (default: embedded-demo.yaml in `dataDir`).
    static Result<std::unique_ptr<EmbeddedMode>> start(
        const QString& dataDir, DemoOptions options = {}, const QString& configPath = {});
    ~EmbeddedMode();
    EmbeddedMode(const EmbeddedMode&) = delete;
    EmbeddedMode& operator=(const EmbeddedMode&) = delete;

    DemoPipeline& pipeline() { return *m_pipeline; }
    const PipelineConfig& config() const { return m_config; }
    QString configPath() const { return m_configPath; }
    QString dataDir() const { return m_dataDir; }
    /// One line for a header or a log: what runs where.
    QString summary() const;
    /// Every endpoint, one per line.
    QString details() const;
    /// Stops the pipeline (also done by the destructor).
    void stop();

private:
    EmbeddedMode() = default;

    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<DemoPipeline> m_pipeline;
    PipelineConfig m_config;
    QString m_configPath;
    QString m_dataDir;
};

} // namespace pw::demo
