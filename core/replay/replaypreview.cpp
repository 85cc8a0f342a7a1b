#include "replay/replaypreview.h"

#include "ledger/ledger.h"
#include "sources/kafkaadmin.h"

#include <map>
#include <set>

namespace pw {

Result<void> fillRecentCommits(
    Ledger& ledger, const QString& sourceId, const QString& group, qint64 nowMs, int polls, FlinkJobCheck& check)
{
    // The ledger writes a row when a value changes and once a minute otherwise, so the last `polls` rows of a
    // partition reach back at most `polls` minutes.
    auto rows = ledger.offsetHistory(sourceId, group, nowMs - qint64(polls) * 60 * 1000, nowMs);
    if (!rows)
        return std::unexpected(rows.error());
    TopicPartitionMap<std::vector<int64_t>> byPartition;
    for (const auto& r : *rows)
        byPartition[{r.topic, r.partition}].push_back(r.committedOffset);
    check.recentOffsetCommits = false;
    int seen = 0;
    for (auto& [key, offsets] : byPartition) {
        if (offsets.size() > size_t(polls))
            offsets.erase(offsets.begin(), offsets.end() - polls);
        seen = std::max(seen, int(offsets.size()));
        for (size_t i = 1; i < offsets.size(); ++i)
            check.recentOffsetCommits = check.recentOffsetCommits || offsets[i] != offsets[i - 1];
    }
    check.polledCommits = seen;
    return {};
}

Result<ReplayPreview> previewReplay(KafkaAdmin& admin, Ledger* ledger, const ReplayRequest& request)
{
    const QString& group = request.context.group;
    ReplayPhaseTimes* timings = request.timings;
    ReplayPreview preview;
    Result<KafkaAdmin::GroupDescription> description;
    {
        ReplayPhaseTimer t(timings, "describe group");
        description = admin.describeGroup(group);
    }
    if (!description)
        return std::unexpected(description.error());
    preview.group = *description;
    Result<std::vector<KafkaAdmin::TopicInfo>> topics;
    {
        ReplayPhaseTimer t(timings, "topic metadata");
        topics = admin.listTopics();
    }
    if (!topics)
        return std::unexpected(topics.error());
    Result<std::vector<KafkaAdmin::PartitionOffset>> committed;
    {
        // Kafka keeps committed offsets only for partitions that exist, so asking by the cluster's partitions finds
        // the same ones as a listing of everything, without its cost in librdkafka at thousands of partitions.
        ReplayPhaseTimer t(timings, "group offsets");
        committed = admin.listGroupOffsetsAmong(group, *topics);
    }
    if (!committed)
        return std::unexpected(committed.error());

    std::vector<ScopePartition> partitions;
    {
        ReplayPhaseTimer t(timings, "scope");
        partitions = scopePartitions(request.scope, request.target, *committed, *topics);
    }
    std::map<QString, int32_t> counts;
    for (const auto& t : *topics)
        counts[t.name] = t.partitions;
    std::set<QString> scopeTopics;
    for (const auto& p : partitions)
        if (p.exists)
            scopeTopics.insert(p.topic);
    {
        ReplayPhaseTimer t(timings, "watermarks");
        for (const QString& topic : scopeTopics) {
            auto marks = admin.topicWatermarks(topic, counts.at(topic));
            if (!marks)
                return std::unexpected(marks.error());
            for (auto& p : partitions) {
                if (p.exists && p.topic == topic) {
                    p.logStart = (*marks)[size_t(p.partition)].low;
                    p.highWatermark = (*marks)[size_t(p.partition)].high;
                }
            }
        }
    }

    ReplayPlanInputs inputs;
    inputs.group = group;
    inputs.target = request.target.text;
    inputs.partitions = partitions;
    {
        ReplayPhaseTimer t(timings, "resolve target");
        auto targets = resolveReplayTarget(request.target, request.context, partitions, admin, ledger);
        if (!targets)
            return std::unexpected(targets.error());
        inputs.targets = std::move(*targets);
    }
    if (ledger) {
        ReplayPhaseTimer t(timings, "ledger consume rate");
        if (auto rate = ledger->bestConsumeRate(request.context.sourceId, group))
            inputs.consumeRate = *rate;
    }
    ReplayPlan plan;
    {
        ReplayPhaseTimer t(timings, "plan");
        plan = buildReplayPlan(inputs);
    }

    ReplayPhaseTimer t(timings, "preflight");
    PreflightInputs checks;
    checks.groupExists = groupExists(preview.group, committed->size());
    checks.group = preview.group;
    checks.partitions = std::move(partitions);
    checks.allowClamp = request.allowClamp;
    checks.flink = request.flink;
    preview.preflight = runPreflight(checks, plan);
    preview.plan = preview.preflight.plan;
    return preview;
}

} // namespace pw
