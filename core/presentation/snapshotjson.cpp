#include "presentation/snapshotjson.h"

#include "presentation/format.h"

#include <QDateTime>
#include <QJsonArray>

#include <cmath>

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
    return root;
}

Result<SnapshotPtr> snapshotFromJson(const QJsonObject& root)
{
    if (root.value(QStringLiteral("schema")).toString() != QLatin1String("pathwatch.status/1"))
        return fail(Error::Code::Parse, QStringLiteral("not a pathwatch.status/1 document"));
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->pipelineName = root.value(QStringLiteral("pipeline")).toString();
    snapshot->takenMs = qint64(root.value(QStringLiteral("taken_ms")).toDouble());
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
        s.valueTimestampMs = qint64(o.value(QStringLiteral("observed_ms")).toDouble());
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
        h.lastAttemptMs = qint64(o.value(QStringLiteral("last_attempt_ms")).toDouble());
        h.lastSuccessMs = qint64(o.value(QStringLiteral("last_success_ms")).toDouble());
        h.lastPollSeconds = o.value(QStringLiteral("poll_seconds")).toDouble();
        h.polls = quint64(o.value(QStringLiteral("polls")).toDouble());
        h.failures = quint64(o.value(QStringLiteral("failures")).toDouble());
        h.error = o.value(QStringLiteral("error")).toString();
        snapshot->sources.push_back(std::move(h));
    }
    return SnapshotPtr(std::move(snapshot));
}

} // namespace pw
