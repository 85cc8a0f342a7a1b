#include "presentation/stagenotification.h"

#include "presentation/format.h"

#include <QCoreApplication>

namespace pw {

namespace {

bool isBad(Severity s)
{
    return s == Severity::Warn || s == Severity::Crit || s == Severity::Stale;
}

QString tr(const char* text)
{
    return QCoreApplication::translate("pw::DesktopNotifier", text);
}

} // namespace

StageNotification stageNotificationFor(const Transition& t, const QString& stageTitle)
{
    StageNotification n;
    if (t.subject != Transition::Subject::Stage)
        return n;
    n.stageId = t.stageId.isEmpty() ? t.id : t.stageId;
    n.stageTitle = stageTitle.isEmpty() ? t.id : stageTitle;
    if (isBad(t.to) && t.to != t.from) {
        n.summary = tr("%1 is %2").arg(n.stageTitle, severityName(t.to));
        n.body = t.reason.isEmpty() ? tr("was %1").arg(severityName(t.from))
                                    : tr("%1 (was %2)").arg(t.reason, severityName(t.from));
        n.urgent = t.to == Severity::Crit || t.to == Severity::Stale;
    } else if (t.to == Severity::Ok && isBad(t.from)) {
        n.summary = tr("%1 resolved").arg(n.stageTitle);
        n.body = tr("OK again (was %1)").arg(severityName(t.from));
        n.resolved = true;
    }
    return n;
}

StageNotification stageNotificationFor(const Transition& t, const Snapshot* snapshot)
{
    QString title;
    if (snapshot)
        for (const auto& s : snapshot->stages)
            if (s.stageId == t.id)
                title = s.title;
    return stageNotificationFor(t, title);
}

const SignalState* worstSignalOfStage(const Snapshot& snapshot, const QString& stageId)
{
    for (const auto& stage : snapshot.stages) {
        if (stage.stageId != stageId)
            continue;
        auto at = [&](int index) -> const SignalState* {
            return index >= 0 && size_t(index) < snapshot.signalStates.size() ? &snapshot.signalStates[size_t(index)]
                                                                              : nullptr;
        };
        // The stage's severity is that of its worst signal: the first one in that state is the one to name.
        for (int index : stage.signalIndexes)
            if (const SignalState* s = at(index); s && s->severity == stage.severity)
                return s;
        return at(stage.headlineSignal);
    }
    return nullptr;
}

} // namespace pw
