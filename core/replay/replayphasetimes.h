#pragma once

#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

namespace pw {

/// Wall time spent in each step of a replay (describe, offsets, watermarks, plan, alter, read-back, audit...), filled
/// in when a caller asks for it: the benchmark's breakdown. Plain value; not thread-safe.
struct ReplayPhaseTimes
{
    std::vector<std::pair<const char*, double>> seconds; // in the order first seen; a step run again adds up

    void add(const char* phase, double elapsed)
    {
        for (auto& [name, total] : seconds)
            if (std::strcmp(name, phase) == 0) {
                total += elapsed;
                return;
            }
        seconds.emplace_back(phase, elapsed);
    }
};

/// Adds the time from its construction to its destruction to `times` (when not null) under `phase`.
class ReplayPhaseTimer
{
public:
    ReplayPhaseTimer(ReplayPhaseTimes* times, const char* phase)
        : m_times(times)
        , m_phase(phase)
        , m_start(std::chrono::steady_clock::now())
    { }
    ~ReplayPhaseTimer()
    {
        if (m_times)
            m_times->add(m_phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count());
    }
    ReplayPhaseTimer(const ReplayPhaseTimer&) = delete;
    ReplayPhaseTimer& operator=(const ReplayPhaseTimer&) = delete;

private:
    ReplayPhaseTimes* m_times;
    const char* m_phase;
    std::chrono::steady_clock::time_point m_start;
};

} // namespace pw
