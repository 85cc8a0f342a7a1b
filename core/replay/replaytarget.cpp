#include "replay/replaytarget.h"

#include <QDateTime>
#include <QRegularExpression>

#include <algorithm>
#include <map>
#include <set>

namespace pw {

namespace {

std::unexpected<Error> usage(const QString& message)
{
    return fail(Error::Code::Config, message);
}

QString describeTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

} // namespace

Result<qint64> parseReplayTime(const QString& text, qint64 nowMs)
{
    const QString t = text.trimmed();
    static const QRegularExpression relative(QStringLiteral("^-((?:\\d+[smhd])+)$"));
    static const QRegularExpression relativePart(QStringLiteral("(\\d+)([smhd])"));
    qint64 atMs = 0;
    if (const auto m = relative.match(t); m.hasMatch()) {
        qint64 back = 0;
        for (auto it = relativePart.globalMatch(m.captured(1)); it.hasNext();) {
            const auto part = it.next();
            bool ok = false;
            const qint64 n = part.captured(1).toLongLong(&ok);
            const QChar unit = part.captured(2).front();
            const qint64 scale = unit == u's' ? 1000 : unit == u'm' ? 60000 : unit == u'h' ? 3600000 : 86400000;
            if (!ok || n > (qint64(1) << 40) / scale)
                return usage(QStringLiteral("the relative time \"%1\" is too far back").arg(t));
            back += n * scale;
        }
        atMs = nowMs - back;
    } else {
        // RFC 3339 needs a zone ("Z" or "+01:00"): a bare local time would depend on the machine running the replay.
        static const QRegularExpression rfc3339(
            QStringLiteral("^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$"));
        if (!rfc3339.match(t).hasMatch())
            return usage(QStringLiteral("\"%1\" is not a time: use RFC 3339 (2026-12-07T06:00:00Z, "
                                        "2026-12-07T07:00:00+01:00) or a relative time (-30m, -2h, -1d, -1h30m)")
                             .arg(t));
        QString iso = t;
        iso[10] = u'T';
        if (iso.endsWith(u'z'))
            iso.back() = u'Z';
        // Qt reads at most milliseconds.
        static const QRegularExpression longFraction(QStringLiteral("(\\.\\d{3})\\d+"));
        iso.replace(longFraction, QStringLiteral("\\1"));
        const QDateTime dt = QDateTime::fromString(iso, Qt::ISODateWithMs);
        if (!dt.isValid())
            return usage(QStringLiteral("\"%1\" is not a valid date and time").arg(t));
        atMs = dt.toMSecsSinceEpoch();
    }
    if (atMs > nowMs)
        return usage(QStringLiteral("%1 (%2) is in the future: a replay can only go back to a time that has passed")
                         .arg(t, describeTime(atMs)));
    return atMs;
}

Result<ReplayTarget> parseReplayTarget(const ReplayTargetOptions& o, qint64 nowMs)
{
    QStringList given;
    if (o.toDatetime)
        given << QStringLiteral("--to-datetime");
    if (o.toPositionAt)
        given << QStringLiteral("--to-position-at");
    if (o.toLastTrusted)
        given << QStringLiteral("--to-last-trusted");
    if (o.toCheckpoint)
        given << QStringLiteral("--to-checkpoint");
    if (o.toEarliest)
        given << QStringLiteral("--to-earliest");
    if (o.toLatest)
        given << QStringLiteral("--to-latest");
    if (o.shiftBy)
        given << QStringLiteral("--shift-by");
    if (o.toOffset)
        given << QStringLiteral("--to-offset");
    if (o.fromFile)
        given << QStringLiteral("--from-file");
    if (given.isEmpty())
        return usage(QStringLiteral("no target: give one of --to-datetime T, --to-position-at T, --to-last-trusted, "
                                    "--to-checkpoint [ID], --to-earliest, --to-latest, --shift-by N, --to-offset N, "
                                    "--from-file CSV"));
    if (given.size() > 1)
        return usage(
            QStringLiteral("more than one target (%1): give exactly one").arg(given.join(QStringLiteral(", "))));
    if (o.incident && !o.toLastTrusted)
        return usage(QStringLiteral("--incident only goes with --to-last-trusted"));
    if (o.checkpointId && !o.toCheckpoint)
        return usage(QStringLiteral("a checkpoint id only goes with --to-checkpoint"));

    ReplayTarget target;
    auto positiveId = [](const QString& text, const QString& what) -> Result<qint64> {
        bool ok = false;
        const qint64 id = text.trimmed().toLongLong(&ok);
        if (!ok || id <= 0)
            return usage(QStringLiteral("%1 \"%2\" is not a positive integer").arg(what, text));
        return id;
    };
    auto integer = [](const QString& text, const QString& what, bool allowNegative) -> Result<int64_t> {
        bool ok = false;
        QString t = text.trimmed();
        if (t.startsWith(u'+'))
            t.remove(0, 1);
        const qint64 v = t.toLongLong(&ok);
        if (!ok || (!allowNegative && v < 0))
            return usage(
                QStringLiteral("%1 \"%2\" is not %3")
                    .arg(what, text,
                        allowNegative ? QStringLiteral("an integer") : QStringLiteral("a non-negative integer")));
        return v;
    };

    if (o.toDatetime || o.toPositionAt) {
        const QString& text = o.toDatetime ? *o.toDatetime : *o.toPositionAt;
        auto at = parseReplayTime(text, nowMs);
        if (!at)
            return std::unexpected(at.error());
        target.kind = o.toDatetime ? ReplayTarget::Kind::Datetime : ReplayTarget::Kind::PositionAt;
        target.timeMs = *at;
        target.text = given.front() + u' ' + text.trimmed();
    } else if (o.toLastTrusted) {
        target.kind = ReplayTarget::Kind::LastTrusted;
        target.text = given.front();
        if (o.incident) {
            auto id = positiveId(*o.incident, QStringLiteral("the incident id"));
            if (!id)
                return std::unexpected(id.error());
            target.incidentId = *id;
            target.text += QStringLiteral(" --incident %1").arg(*id);
        }
    } else if (o.toCheckpoint) {
        target.kind = ReplayTarget::Kind::Checkpoint;
        target.text = given.front();
        if (o.checkpointId) {
            auto id = positiveId(*o.checkpointId, QStringLiteral("the checkpoint id"));
            if (!id)
                return std::unexpected(id.error());
            target.checkpointId = *id;
            target.text += QStringLiteral(" %1").arg(*id);
        }
    } else if (o.toEarliest) {
        target.kind = ReplayTarget::Kind::Earliest;
        target.text = given.front();
    } else if (o.toLatest) {
        target.kind = ReplayTarget::Kind::Latest;
        target.text = given.front();
    } else if (o.shiftBy) {
        auto v = integer(*o.shiftBy, QStringLiteral("--shift-by"), true);
        if (!v)
            return std::unexpected(v.error());
        target.kind = ReplayTarget::Kind::ShiftBy;
        target.value = *v;
        target.text = given.front() + u' ' + QString::number(*v);
    } else if (o.toOffset) {
        auto v = integer(*o.toOffset, QStringLiteral("--to-offset"), false);
        if (!v)
            return std::unexpected(v.error());
        target.kind = ReplayTarget::Kind::Offset;
        target.value = *v;
        target.text = given.front() + u' ' + QString::number(*v);
    } else {
        auto rows = readOffsetsCsvFile(*o.fromFile);
        if (!rows)
            return std::unexpected(rows.error());
        if (rows->empty())
            return usage(QStringLiteral("%1 lists no partition").arg(*o.fromFile));
        target.kind = ReplayTarget::Kind::FromFile;
        target.file = *o.fromFile;
        target.fileRows = std::move(*rows);
        target.text = given.front() + u' ' + *o.fromFile;
    }
    return target;
}

bool ReplayScope::contains(const QString& topic, int32_t partition) const
{
    if (topics.empty())
        return true;
    for (const auto& t : topics)
        if (t.topic == topic
            && (t.partitions.empty()
                || std::find(t.partitions.begin(), t.partitions.end(), partition) != t.partitions.end()))
            return true;
    return false;
}

Result<ReplayScope> parseReplayScope(const QStringList& values)
{
    ReplayScope scope;
    for (const QString& value : values) {
        const qsizetype colon = value.indexOf(u':');
        ReplayScope::Topic t;
        t.topic = (colon < 0 ? value : value.left(colon)).trimmed();
        if (!isValidTopicName(t.topic))
            return usage(QStringLiteral("--topic %1: \"%2\" is not a valid topic name").arg(value, t.topic));
        if (colon >= 0) {
            const QStringList parts = value.mid(colon + 1).split(u',');
            for (const QString& p : parts) {
                bool ok = false;
                const int n = p.trimmed().toInt(&ok);
                if (!ok || n < 0)
                    return usage(QStringLiteral("--topic %1: \"%2\" is not a partition number").arg(value, p));
                if (std::find(t.partitions.begin(), t.partitions.end(), n) == t.partitions.end())
                    t.partitions.push_back(n);
            }
            std::sort(t.partitions.begin(), t.partitions.end());
        }
        auto same
            = std::find_if(scope.topics.begin(), scope.topics.end(), [&](const auto& x) { return x.topic == t.topic; });
        if (same != scope.topics.end())
            return usage(QStringLiteral("--topic %1 is given twice").arg(t.topic));
        scope.topics.push_back(std::move(t));
    }
    return scope;
}

std::vector<ScopePartition> scopePartitions(const ReplayScope& scope, const ReplayTarget& target,
    const std::vector<KafkaAdmin::PartitionOffset>& committed, const std::vector<KafkaAdmin::TopicInfo>& topics)
{
    std::map<QString, int32_t> partitionCounts;
    for (const auto& t : topics)
        partitionCounts[t.name] = t.partitions;
    TopicPartitionMap<int64_t> committedBy;
    for (const auto& o : committed)
        committedBy[{o.topic, o.partition}] = o.offset;
    TopicPartitionMap<ScopePartition> out;
    auto add = [&](const QString& topic, int32_t partition) {
        ScopePartition p;
        p.topic = topic;
        p.partition = partition;
        const auto count = partitionCounts.find(topic);
        p.exists = count != partitionCounts.end() && partition >= 0 && partition < count->second;
        if (const auto c = committedBy.find({topic, partition}); c != committedBy.end())
            p.committed = c->second;
        out.emplace(std::make_pair(topic, partition), p);
    };
    if (target.kind == ReplayTarget::Kind::FromFile) {
        for (const auto& row : target.fileRows)
            if (scope.contains(row.topic, row.partition))
                add(row.topic, row.partition);
    } else if (scope.wholeGroup()) {
        for (const auto& o : committed)
            add(o.topic, o.partition);
    } else {
        for (const auto& t : scope.topics) {
            if (!t.partitions.empty()) {
                for (const int32_t p : t.partitions)
                    add(t.topic, p);
            } else if (const auto count = partitionCounts.find(t.topic); count != partitionCounts.end()) {
                for (int32_t p = 0; p < count->second; ++p)
                    add(t.topic, p);
            } else {
                add(t.topic, -1);
            }
        }
    }
    std::vector<ScopePartition> result;
    result.reserve(out.size());
    for (auto& [key, p] : out)
        result.push_back(std::move(p));
    return result;
}

Result<std::vector<PartitionTarget>> resolveLocalTarget(
    const ReplayTarget& target, const std::vector<ScopePartition>& partitions)
{
    TopicPartitionMap<int64_t> fileOffsets;
    for (const auto& row : target.fileRows)
        fileOffsets[{row.topic, row.partition}] = row.offset;
    std::vector<PartitionTarget> out;
    for (const auto& p : partitions) {
        if (!p.exists)
            continue;
        PartitionTarget t {p.topic, p.partition, -1};
        switch (target.kind) {
        case ReplayTarget::Kind::Earliest:
            t.offset = p.logStart;
            break;
        case ReplayTarget::Kind::Latest:
            t.offset = p.highWatermark;
            break;
        case ReplayTarget::Kind::ShiftBy: {
            // A partition without a committed offset shifts from where a new consumer starts: the log start.
            const int64_t from = p.committed >= 0 ? p.committed : p.logStart;
            t.offset = std::min(std::max<int64_t>(from + target.value, 0), p.highWatermark);
            break;
        }
        case ReplayTarget::Kind::Offset:
            t.offset = std::min(target.value, p.highWatermark);
            break;
        case ReplayTarget::Kind::FromFile:
            t.offset = std::min(fileOffsets.at({p.topic, p.partition}), p.highWatermark);
            break;
        default:
            return fail(Error::Code::Generic, QStringLiteral("%1 needs Kafka or the ledger").arg(target.text));
        }
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace pw
