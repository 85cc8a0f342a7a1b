#pragma once

#include "sources/source.h"

#include <optional>

namespace pw::test {

/// The sample of `signalId` in a poll result — with exactly `labels` when they are given — or null.
inline const Sample* sampleFor(
    const PollResult& result, const QString& signalId, const std::optional<Labels>& labels = std::nullopt)
{
    for (const Sample& s : result.samples)
        if (s.signalId == signalId && (!labels || s.labels == *labels))
            return &s;
    return nullptr;
}

/// The message of the per-signal error of `signalId`, or an empty string.
inline QString signalErrorFor(const PollResult& result, const QString& signalId)
{
    for (const auto& [id, error] : result.signalErrors)
        if (id == signalId)
            return error.message;
    return {};
}

} // namespace pw::test
