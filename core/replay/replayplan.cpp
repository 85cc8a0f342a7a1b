#include "replay/replayplan.h"

#include <QCryptographicHash>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <map>

namespace pw {

namespace {

void computeCounts(PartitionPlan& p)
{
    if (p.target < 0) {
        // No committed offset (the undo of a replay that gave the partition its first one): where the consumer
        // starts is its auto.offset.reset's choice, so nothing can be counted.
        p.recordsLost = p.recordsToReplay = p.recordsToSkip = p.recordsToCatchUp = 0;
        return;
    }
    const int64_t effective = std::max(p.target, p.logStart);
    p.recordsLost = p.logStart >= 0 && p.target < p.logStart ? p.logStart - p.target : 0;
    if (p.committed >= 0) {
        const int64_t readUpTo = std::min(p.committed, p.highWatermark);
        p.recordsToReplay = std::max<int64_t>(0, readUpTo - effective);
        p.recordsToSkip = std::max<int64_t>(0, p.target - std::max(p.committed, p.logStart));
    } else {
        p.recordsToReplay = 0;
        p.recordsToSkip = 0;
    }
    p.recordsToCatchUp = std::max<int64_t>(0, p.highWatermark - effective);
}

void computeTotals(ReplayPlan& plan)
{
    plan.totalToReplay = plan.totalToSkip = plan.totalLost = plan.totalToCatchUp = 0;
    for (const auto& p : plan.partitions) {
        plan.totalToReplay += p.recordsToReplay;
        plan.totalToSkip += p.recordsToSkip;
        plan.totalLost += p.recordsLost;
        plan.totalToCatchUp += p.recordsToCatchUp;
    }
    const bool haveRate = plan.consumeRate && *plan.consumeRate > 0 && std::isfinite(*plan.consumeRate);
    const double perPartition = haveRate ? *plan.consumeRate / double(std::max<size_t>(plan.partitions.size(), 1)) : 0;
    for (auto& p : plan.partitions)
        p.etaSeconds = haveRate ? std::optional<double>(double(p.recordsToCatchUp) / perPartition) : std::nullopt;
    plan.etaSeconds = haveRate ? std::optional<double>(double(plan.totalToCatchUp) / *plan.consumeRate) : std::nullopt;
    plan.hash
        = QString::fromLatin1(QCryptographicHash::hash(canonicalPlanText(plan), QCryptographicHash::Sha256).toHex());
}

QJsonValue optionalNumber(std::optional<double> v)
{
    return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
}

} // namespace

bool ReplayPlan::isNoOp() const
{
    return std::all_of(partitions.begin(), partitions.end(), [](const auto& p) { return p.target == p.committed; });
}

QByteArray canonicalPlanText(const ReplayPlan& plan)
{
    QByteArray text = plan.group.toUtf8() + '\n';
    text.reserve(text.size() + qsizetype(plan.partitions.size()) * 48);
    QString lastTopic;
    QByteArray topic;
    for (const auto& p : plan.partitions) {
        if (topic.isNull() || p.topic != lastTopic) {
            lastTopic = p.topic;
            topic = p.topic.toUtf8();
        }
        text += topic;
        text += ',';
        text += QByteArray::number(p.partition);
        text += ',';
        text += QByteArray::number(p.committed);
        text += ',';
        text += QByteArray::number(p.target);
        text += '\n';
    }
    return text;
}

ReplayPlan buildReplayPlan(const ReplayPlanInputs& inputs)
{
    ReplayPlan plan;
    plan.group = inputs.group;
    plan.target = inputs.target;
    plan.consumeRate = inputs.consumeRate;
    TopicPartitionMap<const ScopePartition*> known;
    for (const auto& p : inputs.partitions)
        if (p.exists)
            known[{p.topic, p.partition}] = &p;
    for (const auto& t : inputs.targets) {
        const auto it = known.find({t.topic, t.partition});
        if (it == known.end())
            continue;
        PartitionPlan p;
        p.topic = t.topic;
        p.partition = t.partition;
        p.committed = it->second->committed;
        p.logStart = it->second->logStart;
        p.highWatermark = it->second->highWatermark;
        p.target = t.offset;
        computeCounts(p);
        plan.partitions.push_back(std::move(p));
    }
    std::sort(plan.partitions.begin(), plan.partitions.end(), [](const auto& a, const auto& b) {
        return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
    });
    computeTotals(plan);
    return plan;
}

ReplayPlan clampedToLogStart(const ReplayPlan& plan)
{
    ReplayPlan clamped = plan;
    for (auto& p : clamped.partitions) {
        if (p.target >= 0 && p.logStart >= 0 && p.target < p.logStart) {
            const int64_t lost = p.logStart - p.target;
            p.target = p.logStart;
            computeCounts(p);
            p.recordsLost = lost; // still lost: clamping only acknowledges it
        }
    }
    computeTotals(clamped);
    return clamped;
}

QString formatEta(std::optional<double> seconds)
{
    if (!seconds || !std::isfinite(*seconds))
        return QStringLiteral("unknown");
    const qint64 s = qint64(std::ceil(*seconds));
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QJsonObject ReplayPlan::toJsonSummary() const
{
    return QJsonObject {
        {QStringLiteral("group"), group},
        {QStringLiteral("target"), target},
        {QStringLiteral("partition_count"), qint64(partitions.size())},
        {QStringLiteral("total_to_replay"), qint64(totalToReplay)},
        {QStringLiteral("total_to_skip"), qint64(totalToSkip)},
        {QStringLiteral("total_lost"), qint64(totalLost)},
        {QStringLiteral("total_to_catch_up"), qint64(totalToCatchUp)},
        {QStringLiteral("consume_rate"), optionalNumber(consumeRate)},
        {QStringLiteral("eta_seconds"), optionalNumber(etaSeconds)},
        {QStringLiteral("hash"), hash},
    };
}

QJsonObject ReplayPlan::toJson() const
{
    QJsonArray parts;
    for (const auto& p : partitions) {
        parts.append(QJsonObject {
            {QStringLiteral("topic"), p.topic},
            {QStringLiteral("partition"), p.partition},
            {QStringLiteral("committed"), qint64(p.committed)},
            {QStringLiteral("target"), qint64(p.target)},
            {QStringLiteral("log_start"), qint64(p.logStart)},
            {QStringLiteral("high_watermark"), qint64(p.highWatermark)},
            {QStringLiteral("records_to_replay"), qint64(p.recordsToReplay)},
            {QStringLiteral("records_to_skip"), qint64(p.recordsToSkip)},
            {QStringLiteral("records_lost"), qint64(p.recordsLost)},
            {QStringLiteral("records_to_catch_up"), qint64(p.recordsToCatchUp)},
            {QStringLiteral("eta_seconds"), optionalNumber(p.etaSeconds)},
        });
    }
    return QJsonObject {
        {QStringLiteral("group"), group},
        {QStringLiteral("target"), target},
        {QStringLiteral("partitions"), parts},
        {QStringLiteral("total_to_replay"), qint64(totalToReplay)},
        {QStringLiteral("total_to_skip"), qint64(totalToSkip)},
        {QStringLiteral("total_lost"), qint64(totalLost)},
        {QStringLiteral("total_to_catch_up"), qint64(totalToCatchUp)},
        {QStringLiteral("consume_rate"), optionalNumber(consumeRate)},
        {QStringLiteral("eta_seconds"), optionalNumber(etaSeconds)},
        {QStringLiteral("eta"), formatEta(etaSeconds)},
        {QStringLiteral("hash"), hash},
    };
}

QList<QStringList> planTableRows(const ReplayPlan& plan)
{
    auto offset = [](int64_t v) { return v < 0 ? QStringLiteral("—") : QString::number(v); };
    QList<QStringList> rows;
    rows << QStringList {QStringLiteral("TOPIC"), QStringLiteral("PARTITION"), QStringLiteral("NOW"),
        QStringLiteral("TARGET"), QStringLiteral("RECORDS"), QStringLiteral("LOST TO RETENTION"),
        QStringLiteral("ETA")};
    for (const auto& p : plan.partitions) {
        const QString records
            = p.recordsToSkip > 0 ? QStringLiteral("skip %1").arg(p.recordsToSkip) : QString::number(p.recordsToReplay);
        rows << QStringList {p.topic, QString::number(p.partition), offset(p.committed), offset(p.target), records,
            QString::number(p.recordsLost), formatEta(p.etaSeconds)};
    }
    const QString totalRecords = plan.totalToSkip > 0 && plan.totalToReplay == 0
        ? QStringLiteral("skip %1").arg(plan.totalToSkip)
        : QString::number(plan.totalToReplay);
    rows << QStringList {QStringLiteral("TOTAL"), QString::number(plan.partitions.size()), QString(), QString(),
        totalRecords, QString::number(plan.totalLost), formatEta(plan.etaSeconds)};
    return rows;
}

} // namespace pw
