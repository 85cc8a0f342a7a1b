#include "readiness/readinessmonitor.h"

#include "readiness/evidencecollector.h"

#include <QDateTime>

namespace pw {

ReadinessMonitor::ReadinessMonitor(
    PipelineConfig config, std::shared_ptr<Ledger> ledger, QString ledgerError, std::function<void(ReportPtr)> onReport)
    : m_config(std::move(config))
    , m_ledger(std::move(ledger))
    , m_ledgerError(std::move(ledgerError))
    , m_onReport(std::move(onReport))
{
    m_thread = std::thread([this] { run(); });
}

ReadinessMonitor::~ReadinessMonitor()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

ReadinessMonitor::ReportPtr ReadinessMonitor::latest() const
{
    std::lock_guard lock(m_mutex);
    return m_latest;
}

void ReadinessMonitor::setConfig(PipelineConfig config)
{
    {
        std::lock_guard lock(m_mutex);
        m_config = std::move(config);
        m_refresh = true;
    }
    m_wake.notify_all();
}

void ReadinessMonitor::refreshNow()
{
    {
        std::lock_guard lock(m_mutex);
        m_refresh = true;
    }
    m_wake.notify_all();
}

void ReadinessMonitor::run()
{
    std::unique_lock lock(m_mutex);
    int judged = 0;
    while (!m_stopping) {
        // The first judgement comes before the engine's first polls have reached the ledger (no checkpoint yet),
        // so the second one follows soon rather than a whole refresh later.
        const qint64 waitMs
            = judged == 1 ? std::min<qint64>(30000, m_config.readiness.refreshMs) : m_config.readiness.refreshMs;
        m_wake.wait_for(lock, std::chrono::milliseconds(waitMs), [this] { return m_stopping || m_refresh; });
        ++judged;
        if (m_stopping)
            break;
        m_refresh = false;
        const PipelineConfig config = m_config;
        lock.unlock();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        // Short Kafka timeouts: a stop must not wait long for a judgement nobody will read.
        const ReadinessEvidence evidence
            = collectReadinessEvidence(config, m_ledger.get(), m_ledgerError, now, std::chrono::milliseconds(5000));
        auto report = std::make_shared<const ReadinessReport>(judgeReadiness(evidence, now));
        lock.lock();
        m_latest = report;
        if (m_onReport) {
            lock.unlock();
            m_onReport(report);
            lock.lock();
        }
    }
}

} // namespace pw
