#pragma once

#include "model/severity.h"

#include <QString>

#include <optional>

namespace pw {

/// WARN/CRIT limits of one signal. `hysteresis` is the distance (in the signal's unit) a value must move back past a
/// limit before the severity drops; `minDurationMs` is how long a worse level must hold before it is reported.
struct Thresholds
{
    enum class Direction
    {
        HigherIsWorse, // lag, age, latency, errors
        LowerIsWorse, // replay headroom
    };
    std::optional<double> warn;
    std::optional<double> crit;
    Direction direction = Direction::HigherIsWorse;
    double hysteresis = 0.0;
    qint64 minDurationMs = 0;

    bool isEmpty() const { return !warn && !crit; }
    /// The level the value alone maps to, with no memory.
    Severity classify(double value) const;
};

/// Why a value is at its reported level: the value and the limit it crossed (structured; presentation/ words it).
struct ThresholdBreach
{
    Severity level = Severity::Unknown;
    double value = 0.0;
    std::optional<double> limit; // the warn or crit limit crossed; none when OK
    Thresholds::Direction direction = Thresholds::Direction::HigherIsWorse;
};

/// Per-series memory for hysteresis and minimum duration. Not thread-safe; one per series, owned by the engine.
class ThresholdTracker
{
public:
    /// Feed one fresh value observed at `nowMs`; returns the severity to report (see breach() for why).
    Severity update(const Thresholds& t, double value, qint64 nowMs);
    Severity current() const { return m_reported; }
    const ThresholdBreach& breach() const { return m_breach; }

private:
    Severity m_reported = Severity::Unknown;
    std::optional<Severity> m_pending;
    qint64 m_pendingSinceMs = 0;
    ThresholdBreach m_breach;
};

} // namespace pw
