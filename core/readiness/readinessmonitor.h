#pragma once

#include "config/config.h"
#include "readiness/readiness.h"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace pw {

class Ledger;

/// Judges readiness again every `readiness.refresh` (and on refreshNow()) on its own thread, so the topic configs
/// and the ledger are read off the GUI thread and off the engine's threads, and keeps the newest report for
/// `/metrics` and the console's page. Thread-safe: every method may be called from any thread; `onReport` is called
/// on the monitor's thread.
class ReadinessMonitor
{
public:
    using ReportPtr = std::shared_ptr<const ReadinessReport>;
    ReadinessMonitor(PipelineConfig config, std::shared_ptr<Ledger> ledger, QString ledgerError,
        std::function<void(ReportPtr)> onReport = {});
    ~ReadinessMonitor();
    ReadinessMonitor(const ReadinessMonitor&) = delete;
    ReadinessMonitor& operator=(const ReadinessMonitor&) = delete;

    /// The newest report, null before the first one.
    ReportPtr latest() const;
    /// A new config (after a reload): judged again at once.
    void setConfig(PipelineConfig config);
    void refreshNow();

private:
    void run();

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    PipelineConfig m_config;
    std::shared_ptr<Ledger> m_ledger;
    QString m_ledgerError;
    std::function<void(ReportPtr)> m_onReport;
    ReportPtr m_latest;
    bool m_refresh = true;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace pw
