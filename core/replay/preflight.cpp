#include "replay/preflight.h"

#include <QJsonObject>

namespace pw {

namespace {

QString listOf(const QStringList& items, int shown = 10)
{
    QString text = items.mid(0, shown).join(QStringLiteral(", "));
    if (items.size() > shown)
        text += QStringLiteral(" and %1 more").arg(items.size() - shown);
    return text;
}

} // namespace

bool groupExists(const KafkaAdmin::GroupDescription& group, size_t committedOffsets)
{
    return committedOffsets > 0 || (!group.state.isEmpty() && group.state != QLatin1String("Dead"));
}

PreflightCheck consumerStoppedCheck(const KafkaAdmin::GroupDescription& group)
{
    PreflightCheck check {QStringLiteral("consumer-stopped"), false, {}};
    const bool empty = group.members.empty()
        && (group.state == QLatin1String("Empty") || group.state == QLatin1String("Dead") || group.simple);
    if (empty) {
        check.passed = true;
        check.sentence = QStringLiteral("group %1 is %2: no consumer is in it")
                             .arg(group.groupId, group.state.isEmpty() ? QStringLiteral("Empty") : group.state);
        return check;
    }
    QStringList members;
    for (const auto& m : group.members)
        members << QStringLiteral("%1 on %2").arg(m.clientId.isEmpty() ? m.memberId : m.clientId, m.host);
    check.sentence = members.isEmpty()
        ? QStringLiteral("group %1 is %2, not Empty: stop its consumers first").arg(group.groupId, group.state)
        : QStringLiteral("group %1 is %2 with %3 member(s): %4 — stop them first (a commit to a group with members "
                         "is refused and they would overwrite it)")
              .arg(group.groupId, group.state)
              .arg(group.members.size())
              .arg(listOf(members));
    return check;
}

PreflightResult runPreflight(const PreflightInputs& inputs, const ReplayPlan& plan)
{
    PreflightResult result;
    result.plan = plan;
    auto add = [&](const char* name, bool passed, QString sentence) {
        result.checks.push_back({QString::fromLatin1(name), passed, std::move(sentence)});
    };

    add("group-exists", inputs.groupExists,
        inputs.groupExists
            ? QStringLiteral("group %1 exists (%2)")
                  .arg(plan.group, inputs.group.state.isEmpty() ? QStringLiteral("offsets only") : inputs.group.state)
            : QStringLiteral("group %1 does not exist on the cluster: check its name (pathwatch groups "
                             "lists them)")
                  .arg(plan.group));

    QStringList missing;
    for (const auto& p : inputs.partitions)
        if (!p.exists)
            missing << (p.partition < 0 ? QStringLiteral("topic %1").arg(p.topic)
                                        : QStringLiteral("%1 [%2]").arg(p.topic).arg(p.partition));
    if (!missing.isEmpty())
        add("partitions-exist", false,
            QStringLiteral("%1 do(es) not exist on the cluster: %2").arg(missing.size()).arg(listOf(missing)));
    else if (plan.partitions.empty())
        add("partitions-exist", false,
            QStringLiteral("the replay touches no partition: the group has no committed "
                           "offsets in the scope (name them with --topic)"));
    else
        add("partitions-exist", true,
            QStringLiteral("all %1 partition(s) of the plan exist").arg(plan.partitions.size()));

    QStringList below;
    for (const auto& p : plan.partitions)
        if (p.recordsLost > 0)
            below << QStringLiteral("%1 [%2] target %3 < log start %4")
                         .arg(p.topic)
                         .arg(p.partition)
                         .arg(p.target)
                         .arg(p.logStart);
    if (below.isEmpty()) {
        add("log-start", true, QStringLiteral("every target is at or after its partition's log start"));
    } else if (inputs.allowClamp) {
        result.plan = clampedToLogStart(plan);
        result.clampedRecordsLost = result.plan.totalLost;
        add("log-start", true,
            QStringLiteral("%1 target(s) below the log start were clamped to the earliest offset (--allow-clamp): "
                           "%2 record(s) already deleted by retention will not be replayed (%3)")
                .arg(below.size())
                .arg(result.clampedRecordsLost)
                .arg(listOf(below, 5)));
    } else {
        add("log-start", false,
            QStringLiteral("%1 target(s) are below the log start, so %2 record(s) are already deleted by retention: "
                           "%3 — use --allow-clamp to start from the earliest offset instead")
                .arg(below.size())
                .arg(plan.totalLost)
                .arg(listOf(below, 5)));
    }

    if (!result.plan.partitions.empty() && result.plan.isNoOp())
        add("not-no-op", false,
            QStringLiteral("nothing to do: every target equals the committed offset (%1 partition(s))")
                .arg(result.plan.partitions.size()));
    else
        add("not-no-op", true,
            QStringLiteral("%1 partition(s) move")
                .arg(std::count_if(result.plan.partitions.begin(), result.plan.partitions.end(),
                    [](const auto& p) { return p.target != p.committed; })));

    PreflightCheck stopped = consumerStoppedCheck(inputs.group);
    result.checks.push_back(stopped);

    if (inputs.flink) {
        const FlinkJobCheck& f = *inputs.flink;
        const QString job = f.jobName.isEmpty() ? f.jobId : QStringLiteral("%1 (%2)").arg(f.jobName, f.jobId);
        if (f.state.isEmpty())
            add("flink-job-stopped", false,
                QStringLiteral("the state of Flink job %1 is unknown (%2): it must be shown stopped")
                    .arg(job, f.stateError));
        else if (f.state == QLatin1String("RUNNING") || f.state == QLatin1String("RESTARTING")
            || f.state == QLatin1String("CREATED") || f.state == QLatin1String("INITIALIZING"))
            add("flink-job-stopped", false,
                QStringLiteral("Flink job %1 is %2: it restores its offsets from its own state, so stop it with a "
                               "savepoint first")
                    .arg(job, f.state));
        else if (f.recentOffsetCommits)
            add("flink-job-stopped", false,
                QStringLiteral("Flink job %1 is %2, but the ledger shows group %3 committing offsets in its last %4 "
                               "poll(s): something still consumes it")
                    .arg(job, f.state, plan.group)
                    .arg(f.polledCommits));
        else if (!f.stoppedWithSavepoint.isEmpty())
            add("flink-job-stopped", true,
                QStringLiteral("Flink job %1 is %2: this replay stopped it with savepoint %3")
                    .arg(job, f.state, f.stoppedWithSavepoint));
        else
            add("flink-job-stopped", true,
                QStringLiteral("Flink job %1 is %2 and the group committed nothing in the last %3 poll(s)")
                    .arg(job, f.state)
                    .arg(f.polledCommits));
    }

    result.passed = std::all_of(result.checks.begin(), result.checks.end(), [](const auto& c) { return c.passed; });
    return result;
}

QString PreflightResult::refusal() const
{
    for (const auto& c : checks)
        if (!c.passed)
            return c.sentence;
    return {};
}

QJsonArray PreflightResult::toJson() const
{
    QJsonArray array;
    for (const auto& c : checks)
        array.append(QJsonObject {{QStringLiteral("check"), c.name}, {QStringLiteral("passed"), c.passed},
            {QStringLiteral("sentence"), c.sentence}});
    return array;
}

} // namespace pw
