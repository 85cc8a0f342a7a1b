#include "model/consumerlag.h"

#include <array>
#include <utility>

namespace pw {

namespace {

constexpr std::array kVerdictNames {std::pair {LagVerdict::Ok, "OK"}, std::pair {LagVerdict::Lagging, "LAGGING"},
    std::pair {LagVerdict::Stalled, "STALLED"}, std::pair {LagVerdict::Stopped, "STOPPED"},
    std::pair {LagVerdict::Rewound, "REWOUND"}, std::pair {LagVerdict::NotAdvancing, "NOT_ADVANCING"},
    std::pair {LagVerdict::Pending, "PENDING"}};

constexpr std::array kBasisNames {std::pair {TimeLagBasis::None, "none"},
    std::pair {TimeLagBasis::CaughtUp, "caught-up"}, std::pair {TimeLagBasis::WatermarkHistory, "watermark-history"},
    std::pair {TimeLagBasis::LogAppendTime, "log-append-time"}, std::pair {TimeLagBasis::CreateTime, "create-time"}};

} // namespace

Severity lagVerdictSeverity(LagVerdict verdict, bool rewindExplained)
{
    switch (verdict) {
    case LagVerdict::Ok:
        return Severity::Ok;
    case LagVerdict::Lagging:
        return Severity::Warn;
    case LagVerdict::Stalled:
    case LagVerdict::Stopped:
    case LagVerdict::NotAdvancing:
        return Severity::Crit;
    case LagVerdict::Rewound:
        return rewindExplained ? Severity::Ok : Severity::Warn;
    case LagVerdict::Pending:
        return Severity::Unknown;
    }
    return Severity::Unknown;
}

QString lagVerdictName(LagVerdict verdict)
{
    for (const auto& [v, name] : kVerdictNames)
        if (v == verdict)
            return QString::fromLatin1(name);
    return QStringLiteral("PENDING");
}

std::optional<LagVerdict> lagVerdictFromName(QStringView name)
{
    for (const auto& [v, n] : kVerdictNames)
        if (name == QLatin1String(n))
            return v;
    return std::nullopt;
}

QString timeLagBasisName(TimeLagBasis basis)
{
    for (const auto& [b, name] : kBasisNames)
        if (b == basis)
            return QString::fromLatin1(name);
    return QStringLiteral("none");
}

std::optional<TimeLagBasis> timeLagBasisFromName(QStringView name)
{
    for (const auto& [b, n] : kBasisNames)
        if (name == QLatin1String(n))
            return b;
    return std::nullopt;
}

} // namespace pw
