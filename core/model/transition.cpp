#include "model/transition.h"

#include "model/snapshot.h"

#include <map>

namespace pw {

QString Transition::seriesKey() const
{
    return transitionSubjectName(subject) + QLatin1Char(' ') + id + labelsToString(labels);
}

QString transitionSubjectName(Transition::Subject subject)
{
    switch (subject) {
    case Transition::Subject::Signal:
        return QStringLiteral("signal");
    case Transition::Subject::Stage:
        return QStringLiteral("stage");
    case Transition::Subject::Source:
        return QStringLiteral("source");
    }
    return {};
}

std::vector<Transition> diffSnapshots(const Snapshot* before, const Snapshot& after)
{
    std::vector<Transition> changes;
    std::map<QString, Severity> previousSignals;
    std::map<QString, Severity> previousStages;
    std::map<QString, Severity> previousSources;
    if (before) {
        for (const auto& s : before->signalStates)
            previousSignals[s.signalId + labelsToString(s.labels)] = s.severity;
        for (const auto& s : before->stages)
            previousStages[s.stageId] = s.severity;
        for (const auto& s : before->sources)
            previousSources[s.sourceId] = s.severity;
    }
    auto previous = [](const std::map<QString, Severity>& map, const QString& key) {
        auto it = map.find(key);
        return it == map.end() ? Severity::Unknown : it->second;
    };
    for (const auto& s : after.signalStates) {
        const Severity from = previous(previousSignals, s.signalId + labelsToString(s.labels));
        if (from == s.severity)
            continue;
        Transition t;
        t.subject = Transition::Subject::Signal;
        t.id = s.signalId;
        t.stageId = s.stageId;
        t.labels = s.labels;
        t.from = from;
        t.to = s.severity;
        if (s.hasValue)
            t.value = s.value;
        t.unit = s.unit;
        t.reason = s.reason;
        t.atMs = after.takenMs;
        changes.push_back(std::move(t));
    }
    for (const auto& s : after.stages) {
        const Severity from = previous(previousStages, s.stageId);
        if (from == s.severity)
            continue;
        Transition t;
        t.subject = Transition::Subject::Stage;
        t.id = s.stageId;
        t.stageId = s.stageId;
        t.from = from;
        t.to = s.severity;
        t.reason = s.reason;
        t.atMs = after.takenMs;
        changes.push_back(std::move(t));
    }
    for (const auto& s : after.sources) {
        const Severity from = previous(previousSources, s.sourceId);
        if (from == s.severity)
            continue;
        Transition t;
        t.subject = Transition::Subject::Source;
        t.id = s.sourceId;
        t.from = from;
        t.to = s.severity;
        t.reason = s.error;
        t.atMs = after.takenMs;
        changes.push_back(std::move(t));
    }
    return changes;
}

} // namespace pw
