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

/// Per-series memory for hysteresis and minimum duration. Not thread-safe; one per series, owned by the engine.
class ThresholdTracker
{
public:
    /// Feed one fresh value observed at `nowMs`; returns the severity to report and a reason ("7.20 s ≥ crit 5.00 s"),
    /// with numbers written in `unit` (see formatValue).
    Severity update(const Thresholds& t, double value, qint64 nowMs, const QString& unit = {});
    Severity current() const { return m_reported; }
    QString reason() const { return m_reason; }

private:
    Severity m_reported = Severity::Unknown;
    std::optional<Severity> m_pending;
    qint64 m_pendingSinceMs = 0;
    QString m_reason;
};

/// "1.25 s", "3,400 messages", "2.0 %"; unit "state" (job state 0/1/2) gives "running", "(re)starting",
/// "failed or stopped".
QString formatValue(double value, const QString& unit);
/// formatValue with large counts shortened to three significant digits ("123 M messages", "12.3 k errors/s") for
/// places with little room, such as a tile's headline.
QString formatValueShort(double value, const QString& unit);

} // namespace pw
