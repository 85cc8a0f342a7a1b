#include "presentation/snapshotjson.h"

#include "presentation/format.h"

#include <QDateTime>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <map>

namespace pw {

namespace {

QJsonValue optionalNumber(bool has, double value)
{
    return has && std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

Result<Severity> severityField(const QJsonObject& o, const char* key)
{
    const auto severity = severityFromName(o.value(QLatin1String(key)).toString());
    if (!severity)
        return fail(Error::Code::Parse,
            QStringLiteral("`%1` is not a status (OK, WARN, CRIT, STALE, UNKNOWN)").arg(QLatin1String(key)));
    return *severity;
}

} // namespace

QStringList unjudgedSignals(const Snapshot& snapshot)
{
    QStringList list;
    for (const auto& s : snapshot.signalStates)
        if (s.severity == Severity::Unknown)
            list << seriesName(s.signalId, s.labels) + QStringLiteral(": ")
                    + (s.reason.isEmpty() ? QStringLiteral("no data yet") : s.reason);
    return list;
}

QJsonObject snapshotToJson(const Snapshot& snapshot, const QString& origin)
{
    QJsonObject root;
    root[QStringLiteral("schema")] = QStringLiteral("pathwatch.status/1");
    root[QStringLiteral("origin")] = origin;
    root[QStringLiteral("pipeline")] = snapshot.pipelineName;
    root[QStringLiteral("taken")]
        = QDateTime::fromMSecsSinceEpoch(snapshot.takenMs, Qt::UTC).toString(Qt::ISODateWithMs);
    root[QStringLiteral("taken_ms")] = double(snapshot.takenMs);
    root[QStringLiteral("status")] = severityName(snapshot.overall);
    root[QStringLiteral("exit_code")] = severityExitCode(snapshot.overall);
    if (snapshot.dataStopStageId.isEmpty()) {
        root[QStringLiteral("data_stops_moving")] = QJsonValue(QJsonValue::Null);
    } else {
        root[QStringLiteral("data_stops_moving")] = QJsonObject {
            {QStringLiteral("stage"), snapshot.dataStopStageId},
            {QStringLiteral("after"), snapshot.dataStopAfterStageId},
            {QStringLiteral("sentence"), dataStopSentence(snapshot)},
        };
    }
    QJsonArray stages;
    for (const auto& st : snapshot.stages) {
        stages.append(QJsonObject {
            {QStringLiteral("id"), st.stageId},
            {QStringLiteral("title"), st.title},
            {QStringLiteral("status"), severityName(st.severity)},
            {QStringLiteral("reason"), st.reason},
            {QStringLiteral("data_age_seconds"),
                optionalNumber(st.dataAgeSeconds.has_value(), st.dataAgeSeconds.value_or(0))},
        });
    }
    root[QStringLiteral("stages")] = stages;
    QJsonArray signalArray;
    for (const auto& s : snapshot.signalStates) {
        QJsonObject labels;
        for (const auto& [k, v] : s.labels)
            labels[k] = v;
        signalArray.append(QJsonObject {
            {QStringLiteral("id"), s.signalId},
            {QStringLiteral("stage"), s.stageId},
            {QStringLiteral("name"), s.name},
            {QStringLiteral("kind"), signalKindName(s.kind)},
            {QStringLiteral("unit"), s.unit},
            {QStringLiteral("labels"), labels},
            {QStringLiteral("source"), s.sourceId},
            {QStringLiteral("status"), severityName(s.severity)},
            {QStringLiteral("value"), optionalNumber(s.hasValue, s.value)},
            {QStringLiteral("value_text"), s.hasValue ? formatValue(s.value, s.unit) : QString()},
            {QStringLiteral("observed_ms"), double(s.valueTimestampMs)},
            {QStringLiteral("reason"), s.reason},
        });
    }
    root[QStringLiteral("signals")] = signalArray;
    QJsonArray sources;
    for (const auto& src : snapshot.sources) {
        sources.append(QJsonObject {
            {QStringLiteral("id"), src.sourceId},
            {QStringLiteral("kind"), src.kind},
            {QStringLiteral("endpoint"), src.endpoint},
            {QStringLiteral("status"), severityName(src.severity)},
            {QStringLiteral("up"), src.up},
            {QStringLiteral("last_attempt_ms"), double(src.lastAttemptMs)},
            {QStringLiteral("last_success_ms"), double(src.lastSuccessMs)},
            {QStringLiteral("poll_seconds"), src.lastPollSeconds},
            {QStringLiteral("polls"), double(src.polls)},
            {QStringLiteral("failures"), double(src.failures)},
            {QStringLiteral("error"), src.error},
        });
    }
    root[QStringLiteral("sources")] = sources;
    root[QStringLiteral("unjudged")] = QJsonArray::fromStringList(unjudgedSignals(snapshot));
    // Consumer groups, each with its worst partition only: the document stays small with thousands of groups.
    QJsonArray groups;
    for (const auto& report : snapshot.consumerLag) {
        if (!report)
            continue;
        for (const GroupLag& g : report->groups) {
            QJsonObject o {
                {QStringLiteral("source"), report->sourceId},
                {QStringLiteral("group"), g.group},
                {QStringLiteral("state"), g.state},
                {QStringLiteral("deleted"), g.deleted},
                {QStringLiteral("verdict"), lagVerdictName(g.verdict)},
                {QStringLiteral("status"), severityName(g.severity)},
                {QStringLiteral("commit_times_known"), g.commitTimesKnown},
                {QStringLiteral("lag"), double(g.totalLag)},
                {QStringLiteral("time_lag_seconds"),
                    optionalNumber(g.maxTimeLagSeconds.has_value(), g.maxTimeLagSeconds.value_or(0))},
                {QStringLiteral("time_lag_basis"), timeLagBasisName(g.timeLagBasis)},
                {QStringLiteral("consume_rate"), g.consumeRate},
                {QStringLiteral("produce_rate"), g.produceRate},
                {QStringLiteral("catch_up_seconds"),
                    optionalNumber(g.catchUpSeconds.has_value(), g.catchUpSeconds.value_or(0))},
                {QStringLiteral("falling_behind_rate"), g.fallingBehindRate},
                {QStringLiteral("eta"), catchUpSentence(g)},
                {QStringLiteral("reason"), lagVerdictReason(g)},
                {QStringLiteral("partitions"), double(g.partitions.size())},
                {QStringLiteral("observed_ms"), double(g.observedMs)},
                {QStringLiteral("error"), g.error},
            };
            if (g.worstPartition >= 0 && size_t(g.worstPartition) < g.partitions.size()) {
                const PartitionLag& p = g.partitions[size_t(g.worstPartition)];
                o[QStringLiteral("worst")] = QJsonObject {
                    {QStringLiteral("topic"), p.topic},
                    {QStringLiteral("partition"), p.partition},
                    {QStringLiteral("verdict"), lagVerdictName(p.verdict)},
                    {QStringLiteral("rewind_explained"), p.rewindExplained},
                    {QStringLiteral("committed_offset"), double(p.committedOffset)},
                    {QStringLiteral("high_watermark"), double(p.highWatermark)},
                    {QStringLiteral("log_start_offset"), double(p.logStartOffset)},
                    {QStringLiteral("lag"), double(p.lag)},
                    {QStringLiteral("time_lag_seconds"),
                        optionalNumber(p.timeLagSeconds.has_value(), p.timeLagSeconds.value_or(0))},
                    {QStringLiteral("time_lag_basis"), timeLagBasisName(p.timeLagBasis)},
                    {QStringLiteral("last_commit_ms"), double(p.lastCommitMs)},
                    {QStringLiteral("window_polls"), p.windowPolls},
                };
            }
            groups.append(o);
        }
    }
    root[QStringLiteral("consumer_groups")] = groups;
    return root;
}

Result<SnapshotPtr> snapshotFromJson(const QJsonObject& root)
{
    if (root.value(QStringLiteral("schema")).toString() != QLatin1String("pathwatch.status/1"))
        return fail(Error::Code::Parse, QStringLiteral("not a pathwatch.status/1 document"));
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->pipelineName = root.value(QStringLiteral("pipeline")).toString();
    snapshot->takenMs = root.value(QStringLiteral("taken_ms")).toInteger();
    auto overall = severityField(root, "status");
    if (!overall)
        return std::unexpected(overall.error());
    snapshot->overall = *overall;
    if (root.value(QStringLiteral("data_stops_moving")).isObject()) {
        const QJsonObject stop = root.value(QStringLiteral("data_stops_moving")).toObject();
        snapshot->dataStopStageId = stop.value(QStringLiteral("stage")).toString();
        snapshot->dataStopAfterStageId = stop.value(QStringLiteral("after")).toString();
    }
    for (const QJsonValue& v : root.value(QStringLiteral("stages")).toArray()) {
        const QJsonObject o = v.toObject();
        StageState st;
        st.stageId = o.value(QStringLiteral("id")).toString();
        st.title = o.value(QStringLiteral("title")).toString();
        auto severity = severityField(o, "status");
        if (!severity)
            return std::unexpected(severity.error());
        st.severity = *severity;
        st.reason = o.value(QStringLiteral("reason")).toString();
        if (o.value(QStringLiteral("data_age_seconds")).isDouble())
            st.dataAgeSeconds = o.value(QStringLiteral("data_age_seconds")).toDouble();
        snapshot->stages.push_back(std::move(st));
    }
    for (const QJsonValue& v : root.value(QStringLiteral("signals")).toArray()) {
        const QJsonObject o = v.toObject();
        SignalState s;
        s.signalId = o.value(QStringLiteral("id")).toString();
        s.stageId = o.value(QStringLiteral("stage")).toString();
        s.name = o.value(QStringLiteral("name")).toString();
        s.kind = signalKindFromName(o.value(QStringLiteral("kind")).toString()).value_or(SignalKind::Custom);
        s.unit = o.value(QStringLiteral("unit")).toString();
        const QJsonObject labels = o.value(QStringLiteral("labels")).toObject();
        for (auto it = labels.begin(); it != labels.end(); ++it)
            s.labels.emplace_back(it.key(), it.value().toString());
        normalizeLabels(s.labels);
        s.sourceId = o.value(QStringLiteral("source")).toString();
        auto severity = severityField(o, "status");
        if (!severity)
            return std::unexpected(severity.error());
        s.severity = *severity;
        s.hasValue = o.value(QStringLiteral("value")).isDouble();
        s.value = o.value(QStringLiteral("value")).toDouble();
        s.valueTimestampMs = o.value(QStringLiteral("observed_ms")).toInteger();
        s.reason = o.value(QStringLiteral("reason")).toString();
        snapshot->signalStates.push_back(std::move(s));
        const int index = int(snapshot->signalStates.size()) - 1;
        for (auto& st : snapshot->stages)
            if (st.stageId == snapshot->signalStates.back().stageId)
                st.signalIndexes.push_back(index);
    }
    for (const QJsonValue& v : root.value(QStringLiteral("sources")).toArray()) {
        const QJsonObject o = v.toObject();
        SourceHealth h;
        h.sourceId = o.value(QStringLiteral("id")).toString();
        h.kind = o.value(QStringLiteral("kind")).toString();
        h.endpoint = o.value(QStringLiteral("endpoint")).toString();
        auto severity = severityField(o, "status");
        if (!severity)
            return std::unexpected(severity.error());
        h.severity = *severity;
        h.up = o.value(QStringLiteral("up")).toBool();
        h.lastAttemptMs = o.value(QStringLiteral("last_attempt_ms")).toInteger();
        h.lastSuccessMs = o.value(QStringLiteral("last_success_ms")).toInteger();
        h.lastPollSeconds = o.value(QStringLiteral("poll_seconds")).toDouble();
        h.polls = quint64(std::max<qint64>(0, o.value(QStringLiteral("polls")).toInteger()));
        h.failures = quint64(std::max<qint64>(0, o.value(QStringLiteral("failures")).toInteger()));
        h.error = o.value(QStringLiteral("error")).toString();
        snapshot->sources.push_back(std::move(h));
    }
    std::map<QString, std::shared_ptr<LagReport>> reports;
    for (const QJsonValue& v : root.value(QStringLiteral("consumer_groups")).toArray()) {
        const QJsonObject o = v.toObject();
        auto& report = reports[o.value(QStringLiteral("source")).toString()];
        if (!report) {
            report = std::make_shared<LagReport>();
            report->sourceId = o.value(QStringLiteral("source")).toString();
            report->takenMs = snapshot->takenMs;
        }
        GroupLag g;
        g.group = o.value(QStringLiteral("group")).toString();
        g.state = o.value(QStringLiteral("state")).toString();
        g.deleted = o.value(QStringLiteral("deleted")).toBool();
        g.verdict = lagVerdictFromName(o.value(QStringLiteral("verdict")).toString()).value_or(LagVerdict::Pending);
        g.severity = severityFromName(o.value(QStringLiteral("status")).toString()).value_or(Severity::Unknown);
        g.commitTimesKnown = o.value(QStringLiteral("commit_times_known")).toBool();
        g.totalLag = o.value(QStringLiteral("lag")).toInteger();
        if (o.value(QStringLiteral("time_lag_seconds")).isDouble())
            g.maxTimeLagSeconds = o.value(QStringLiteral("time_lag_seconds")).toDouble();
        g.timeLagBasis
            = timeLagBasisFromName(o.value(QStringLiteral("time_lag_basis")).toString()).value_or(TimeLagBasis::None);
        g.consumeRate = o.value(QStringLiteral("consume_rate")).toDouble();
        g.produceRate = o.value(QStringLiteral("produce_rate")).toDouble();
        if (o.value(QStringLiteral("catch_up_seconds")).isDouble())
            g.catchUpSeconds = o.value(QStringLiteral("catch_up_seconds")).toDouble();
        g.fallingBehindRate = o.value(QStringLiteral("falling_behind_rate")).toDouble();
        g.observedMs = o.value(QStringLiteral("observed_ms")).toInteger();
        g.error = o.value(QStringLiteral("error")).toString();
        if (o.value(QStringLiteral("worst")).isObject()) {
            const QJsonObject w = o.value(QStringLiteral("worst")).toObject();
            PartitionLag p;
            p.topic = w.value(QStringLiteral("topic")).toString();
            p.partition = w.value(QStringLiteral("partition")).toInt();
            p.verdict = lagVerdictFromName(w.value(QStringLiteral("verdict")).toString()).value_or(LagVerdict::Pending);
            p.rewindExplained = w.value(QStringLiteral("rewind_explained")).toBool();
            p.committedOffset = w.value(QStringLiteral("committed_offset")).toInteger();
            p.highWatermark = w.value(QStringLiteral("high_watermark")).toInteger();
            p.logStartOffset = w.value(QStringLiteral("log_start_offset")).toInteger();
            p.lag = w.value(QStringLiteral("lag")).toInteger();
            if (w.value(QStringLiteral("time_lag_seconds")).isDouble())
                p.timeLagSeconds = w.value(QStringLiteral("time_lag_seconds")).toDouble();
            p.timeLagBasis = timeLagBasisFromName(w.value(QStringLiteral("time_lag_basis")).toString())
                                 .value_or(TimeLagBasis::None);
            p.lastCommitMs = w.value(QStringLiteral("last_commit_ms")).toInteger();
            p.windowPolls = w.value(QStringLiteral("window_polls")).toInt();
            g.partitions.push_back(std::move(p));
            g.worstPartition = 0;
        }
        report->groups.push_back(std::move(g));
    }
    for (auto& [id, report] : reports)
        snapshot->consumerLag.push_back(std::move(report));
    return SnapshotPtr(std::move(snapshot));
}

} // namespace pw
