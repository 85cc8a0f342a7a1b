#pragma once

#include "sources/source.h"

#include <atomic>
#include <functional>
#include <mutex>

namespace pw::test {

/// A source whose answers the test scripts: values, errors, or never answering (a hung endpoint).
class FakeSource : public Source
{
public:
    enum class Mode
    {
        Values,
        Fail,
        Hang,
        NoDataYet, // read fine, nothing there yet (an empty table)
    };

    struct Script
    {
        std::mutex mutex;
        Mode mode = Mode::Values;
        double value = 1.0;
        Labels labels;
        QString error = QStringLiteral("connection refused");
        std::atomic<int> polls {0};
        int silentPolls = 0; // the first N polls answer with neither samples nor errors (a rate needs two scrapes)
        std::atomic<int> concurrent {0};
        std::atomic<int> maxConcurrent {0};
        std::vector<std::function<void(PollResult)>> parked; // callbacks of hung polls
        // Raw observations every answering poll carries (stamped with the poll's time), as a kafka source's do.
        QString clusterId;
        std::vector<OffsetObservation> offsets;
        LagReportPtr lag; // as a kafka source watching `groups` reports
    };

    FakeSource(SourceConfig config, std::vector<SignalConfig> signalConfigs, std::shared_ptr<Script> script)
        : Source(std::move(config), std::move(signalConfigs))
        , m_script(std::move(script))
    { }

    void poll(PollContext&, std::function<void(PollResult)> done) override
    {
        ++m_script->polls;
        const int now = ++m_script->concurrent;
        int seen = m_script->maxConcurrent.load();
        while (now > seen && !m_script->maxConcurrent.compare_exchange_weak(seen, now)) { }
        std::lock_guard lock(m_script->mutex);
        // A raw pointer: a parked callback lives inside the script, and owning the script from there would be a cycle.
        auto finish = [script = m_script.get(), done = std::move(done)](PollResult r) {
            --script->concurrent;
            done(std::move(r));
        };
        PollResult result;
        switch (m_script->mode) {
        case Mode::Values:
            if (m_script->silentPolls > 0) {
                --m_script->silentPolls;
                finish(std::move(result));
                break;
            }
            for (const auto& s : signalConfigs())
                result.samples.push_back(Sample {s.id, m_script->labels, nowMs(), m_script->value});
            result.clusterId = m_script->clusterId;
            result.offsets = m_script->offsets;
            result.lag = m_script->lag;
            for (auto& o : result.offsets)
                o.observedMs = nowMs();
            finish(std::move(result));
            break;
        case Mode::Fail:
            result.error = Error::make(Error::Code::Network, m_script->error);
            finish(std::move(result));
            break;
        case Mode::NoDataYet:
            for (const auto& s : signalConfigs())
                result.signalErrors.emplace_back(s.id, Error::make(Error::Code::NoDataYet, m_script->error));
            finish(std::move(result));
            break;
        case Mode::Hang:
            m_script->parked.push_back(std::move(finish));
            break;
        }
    }

private:
    std::shared_ptr<Script> m_script;
};

/// A config of `stages` stages with one signal each, every signal on its own fake source.
inline PipelineConfig fakePipeline(int stages, qint64 intervalMs = 50, qint64 timeoutMs = 100)
{
    PipelineConfig config;
    config.name = QStringLiteral("test-pipeline");
    const char* ids[] = {"source_log", "compute", "sink", "storage", "serving"};
    for (int i = 0; i < stages; ++i) {
        StageConfig stage;
        stage.id = QString::fromLatin1(ids[i % 5]);
        stage.title = stage.id;
        SignalConfig signal;
        signal.stageId = stage.id;
        signal.name = QStringLiteral("value");
        signal.id = stage.id + QStringLiteral("/value");
        signal.kind = SignalKind::SinkCommitLatency;
        signal.sourceId = QStringLiteral("src%1").arg(i);
        signal.thresholds.warn = 2.0;
        signal.thresholds.crit = 5.0;
        stage.signalConfigs.push_back(signal);
        config.stages.push_back(stage);
        SourceConfig source;
        source.id = signal.sourceId;
        source.kind = QStringLiteral("fake");
        source.intervalMs = intervalMs;
        source.timeoutMs = timeoutMs;
        config.sources[source.id] = source;
    }
    return config;
}

} // namespace pw::test
