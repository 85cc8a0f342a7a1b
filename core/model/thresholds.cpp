#include "model/thresholds.h"

#include <cmath>

namespace pw {

namespace {
bool beyond(const Thresholds& t, double value, double limit)
{
    return t.direction == Thresholds::Direction::HigherIsWorse ? value >= limit : value <= limit;
}

// Still beyond the limit once hysteresis is taken into account (used to decide whether to stay at a level).
bool stillBeyond(const Thresholds& t, double value, double limit)
{
    return t.direction == Thresholds::Direction::HigherIsWorse ? value > limit - t.hysteresis
                                                               : value < limit + t.hysteresis;
}
} // namespace

Severity Thresholds::classify(double value) const
{
    if (std::isnan(value))
        return Severity::Unknown;
    if (crit && beyond(*this, value, *crit))
        return Severity::Crit;
    if (warn && beyond(*this, value, *warn))
        return Severity::Warn;
    return Severity::Ok;
}

Severity ThresholdTracker::update(const Thresholds& t, double value, qint64 nowMs)
{
    Severity raw = t.classify(value);
    // Hysteresis: stay at the current level while the value has not moved back past limit ∓ hysteresis.
    if (severityRank(raw) < severityRank(m_reported)) {
        if (m_reported == Severity::Crit && t.crit && stillBeyond(t, value, *t.crit))
            raw = Severity::Crit;
        else if ((m_reported == Severity::Crit || m_reported == Severity::Warn) && t.warn
            && stillBeyond(t, value, *t.warn) && raw == Severity::Ok)
            raw = Severity::Warn;
    }

    auto describe = [&](Severity s) {
        ThresholdBreach b;
        b.level = s;
        b.value = value;
        b.direction = t.direction;
        if (s == Severity::Crit)
            b.limit = t.crit;
        else if (s == Severity::Warn)
            b.limit = t.warn;
        return b;
    };

    if (raw == m_reported) {
        m_pending.reset();
        m_breach = describe(raw);
        return m_reported;
    }
    // Getting better is reported at once; getting worse must hold for minDurationMs.
    const bool worsening = severityRank(raw) > severityRank(m_reported) && m_reported != Severity::Unknown;
    if (!worsening || t.minDurationMs <= 0) {
        m_reported = raw;
        m_pending.reset();
        m_breach = describe(raw);
        return m_reported;
    }
    if (!m_pending || *m_pending != raw) {
        m_pending = raw;
        m_pendingSinceMs = nowMs;
    }
    if (nowMs - m_pendingSinceMs >= t.minDurationMs) {
        m_reported = raw;
        m_pending.reset();
        m_breach = describe(raw);
    }
    return m_reported;
}

} // namespace pw
