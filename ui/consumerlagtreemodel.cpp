#include "consumerlagtreemodel.h"

#include "eval/lagevaluator.h"
#include "presentation/format.h"
#include "statusstyle.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QHash>
#include <QPalette>
#include <QRegularExpression>

#include <algorithm>
#include <limits>
#include <map>

namespace pw {

struct ConsumerLagTreeModel::Node
{
    Node* parent = nullptr;
    int row = 0;
    Level level = Level::Group;
    QString key;
    QString name;
    QString sourceId;
    QString group;
    QString topic;
    int partition = -1;
    Values values;
    std::vector<std::unique_ptr<Node>> children;
};

struct ConsumerLagTreeModel::Incoming
{
    QString key;
    Level level = Level::Group;
    QString name;
    QString sourceId;
    QString group;
    QString topic;
    int partition = -1;
    Values values;
    std::vector<Incoming> children;
};

namespace {

constexpr double kUnknownSorts = -std::numeric_limits<double>::infinity();

QVariant optionalNumber(const std::optional<double>& v)
{
    return v ? QVariant(*v) : QVariant(kUnknownSorts);
}

// Data age and replay headroom of one source's topics, per partition and for the whole topic.
struct TopicFigures
{
    QHash<int, double> dataAge;
    QHash<int, double> headroom;
    std::optional<double> topicDataAge;
    std::optional<double> topicHeadroom;
};

QString labelValue(const Labels& labels, QLatin1String name)
{
    for (const auto& [k, v] : labels)
        if (k == name)
            return v;
    return {};
}

void minInto(std::optional<double>& into, std::optional<double> v)
{
    if (v && (!into || *v < *into))
        into = v;
}

void maxInto(std::optional<double>& into, std::optional<double> v)
{
    if (v && (!into || *v > *into))
        into = v;
}

// Verdict, severity, totals, rates and catch-up of a set of partitions, as LagEvaluator sums up a group.
ConsumerLagTreeModel::Values summaryValues(const GroupLag& g, bool stale)
{
    ConsumerLagTreeModel::Values v;
    v.verdict = g.verdict;
    if (g.worstPartition >= 0 && size_t(g.worstPartition) < g.partitions.size())
        v.rewindExplained = g.partitions[size_t(g.worstPartition)].rewindExplained;
    v.severity = stale ? Severity::Stale : lagVerdictSeverity(g.verdict, v.rewindExplained);
    v.stale = stale;
    v.lag = g.totalLag;
    v.timeLagSeconds = g.maxTimeLagSeconds;
    v.timeLagBasis = g.timeLagBasis;
    v.consumeRate = g.consumeRate;
    v.produceRate = g.produceRate;
    v.catchUpSeconds = g.catchUpSeconds;
    v.fallingBehindRate = g.fallingBehindRate;
    return v;
}

QString partitionDetail(const ConsumerLagTreeModel::Values& v)
{
    QString text = QObject::tr("committed offset %1, end offset %2, log start %3")
                       .arg(v.committedOffset >= 0 ? QString::number(v.committedOffset) : QObject::tr("none"))
                       .arg(v.highWatermark)
                       .arg(v.logStartOffset);
    if (v.lastCommitMs > 0)
        text += QObject::tr("; last commit %1")
                    .arg(QDateTime::fromMSecsSinceEpoch(v.lastCommitMs).toString(QStringLiteral("MMM d HH:mm:ss")));
    text += QObject::tr("; judged over %1 polls").arg(v.windowPolls);
    return text;
}

} // namespace

ConsumerLagTreeModel::ConsumerLagTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{ }

ConsumerLagTreeModel::~ConsumerLagTreeModel() = default;

int ConsumerLagTreeModel::groupCount() const
{
    return int(m_root->children.size());
}

void ConsumerLagTreeModel::setSourceIds(const QSet<QString>& sourceIds)
{
    m_sourceIds = sourceIds;
}

void ConsumerLagTreeModel::setSnapshot(const SnapshotPtr& snapshot)
{
    std::vector<Incoming> groups;
    int partitions = 0;
    if (snapshot) {
        auto wanted
            = [this](const QString& sourceId) { return m_sourceIds.isEmpty() || m_sourceIds.contains(sourceId); };
        QHash<QString, TopicFigures> figures; // by source id + '\n' + topic
        for (const SignalState& s : snapshot->signalStates) {
            if ((s.kind != SignalKind::DataAge && s.kind != SignalKind::ReplayHeadroom) || !s.hasValue
                || !wanted(s.sourceId))
                continue;
            const QString topic = labelValue(s.labels, QLatin1String("topic"));
            if (topic.isEmpty())
                continue;
            TopicFigures& f = figures[s.sourceId + QLatin1Char('\n') + topic];
            const QString partition = labelValue(s.labels, QLatin1String("partition"));
            const bool age = s.kind == SignalKind::DataAge;
            if (partition.isEmpty())
                (age ? f.topicDataAge : f.topicHeadroom) = s.value;
            else
                (age ? f.dataAge : f.headroom).insert(partition.toInt(), s.value);
        }
        auto figuresFor = [&](const QString& sourceId, const QString& topic, int partition, Values& v) {
            const auto it = figures.constFind(sourceId + QLatin1Char('\n') + topic);
            if (it == figures.cend())
                return;
            const auto age = it->dataAge.constFind(partition);
            v.dataAgeSeconds = age != it->dataAge.cend() ? std::optional<double>(*age) : it->topicDataAge;
            const auto room = it->headroom.constFind(partition);
            v.replayHeadroomSeconds = room != it->headroom.cend() ? std::optional<double>(*room) : it->topicHeadroom;
        };
        auto sourceStale = [&](const QString& sourceId) {
            const SourceHealth* h = snapshot->findSource(sourceId);
            return h && !h->up && h->lastAttemptMs > 0;
        };

        QSet<QString> reported;
        for (const LagReportPtr& report : snapshot->consumerLag) {
            if (!report || !wanted(report->sourceId))
                continue;
            reported.insert(report->sourceId);
            const bool stale = sourceStale(report->sourceId);
            for (const GroupLag& g : report->groups) {
                Incoming group;
                group.level = Level::Group;
                group.sourceId = report->sourceId;
                group.group = g.group;
                group.name = g.group;
                group.key = report->sourceId + QLatin1Char('\n') + g.group;
                group.values = summaryValues(g, stale);
                group.values.deleted = g.deleted;
                QStringList detail;
                if (g.deleted)
                    detail << tr("No longer listed by the cluster; dropped soon.");
                if (!g.state.isEmpty())
                    detail << tr("Group state: %1").arg(g.state);
                if (g.verdict != LagVerdict::Ok && g.verdict != LagVerdict::Pending)
                    detail << lagVerdictReason(g);
                if (!g.commitTimesKnown && !report->commitTimesError.isEmpty())
                    detail << tr("Commit times not known (%1): STALLED and STOPPED read NOT_ADVANCING.")
                                  .arg(report->commitTimesError);
                if (!g.error.isEmpty())
                    detail << tr("Last poll: %1").arg(g.error);
                if (stale)
                    detail << tr("Source %1 cannot be read: these are its last values.").arg(report->sourceId);
                group.values.detail = detail.join(QLatin1Char('\n'));

                // Topics in name order, partitions in number order.
                std::map<QString, std::vector<const PartitionLag*>> byTopic;
                for (const PartitionLag& p : g.partitions)
                    byTopic[p.topic].push_back(&p);
                for (auto& [topicName, parts] : byTopic) {
                    std::sort(parts.begin(), parts.end(),
                        [](const PartitionLag* a, const PartitionLag* b) { return a->partition < b->partition; });
                    Incoming topic;
                    topic.level = Level::Topic;
                    topic.sourceId = report->sourceId;
                    topic.group = g.group;
                    topic.topic = topicName;
                    topic.name = topicName;
                    topic.key = topicName;
                    GroupLag subset;
                    subset.partitions.reserve(parts.size());
                    for (const PartitionLag* p : parts)
                        subset.partitions.push_back(*p);
                    LagEvaluator::summarizeGroup(subset);
                    topic.values = summaryValues(subset, stale);
                    topic.children.reserve(parts.size());
                    for (const PartitionLag* p : parts) {
                        Incoming part;
                        part.level = Level::Partition;
                        part.sourceId = report->sourceId;
                        part.group = g.group;
                        part.topic = topicName;
                        part.partition = p->partition;
                        part.name = QString::number(p->partition);
                        part.key = part.name;
                        Values& v = part.values;
                        v.verdict = p->verdict;
                        v.rewindExplained = p->rewindExplained;
                        v.stale = stale;
                        v.severity = stale ? Severity::Stale : lagVerdictSeverity(p->verdict, p->rewindExplained);
                        v.lag = p->lag;
                        v.timeLagSeconds = p->timeLagSeconds;
                        v.timeLagBasis = p->timeLagBasis;
                        v.consumeRate = p->consumeRate;
                        v.produceRate = p->produceRate;
                        const double net = p->consumeRate - p->produceRate;
                        if (p->lag == 0)
                            v.catchUpSeconds = 0.0;
                        else if (net > 0)
                            v.catchUpSeconds = double(p->lag) / net;
                        else
                            v.fallingBehindRate = -net;
                        v.committedOffset = p->committedOffset;
                        v.highWatermark = p->highWatermark;
                        v.logStartOffset = p->logStartOffset;
                        v.lastCommitMs = p->lastCommitMs;
                        v.windowPolls = p->windowPolls;
                        figuresFor(report->sourceId, topicName, p->partition, v);
                        minInto(topic.values.dataAgeSeconds, v.dataAgeSeconds);
                        minInto(topic.values.replayHeadroomSeconds, v.replayHeadroomSeconds);
                        topic.children.push_back(std::move(part));
                        ++partitions;
                    }
                    // The group's data age is that of its stalest topic; its headroom the shortest.
                    maxInto(group.values.dataAgeSeconds, topic.values.dataAgeSeconds);
                    minInto(group.values.replayHeadroomSeconds, topic.values.replayHeadroomSeconds);
                    group.children.push_back(std::move(topic));
                }
                groups.push_back(std::move(group));
            }
        }

        // Sources that watch single groups through signals: the tree from consumer_lag and time_lag series.
        std::map<QString, Incoming> fromSignals; // by key
        auto groupFromSignal = [&](const SignalState& s, const QString& groupName) -> Incoming& {
            const QString key = s.sourceId + QLatin1Char('\n') + groupName;
            auto [it, added] = fromSignals.try_emplace(key);
            if (added) {
                it->second.key = key;
                it->second.level = Level::Group;
                it->second.sourceId = s.sourceId;
                it->second.group = groupName;
                it->second.name = groupName;
                it->second.values.severity = Severity::Ok;
            }
            return it->second;
        };
        for (const SignalState& s : snapshot->signalStates) {
            if ((s.kind != SignalKind::ConsumerLag && s.kind != SignalKind::TimeLag) || !wanted(s.sourceId)
                || reported.contains(s.sourceId))
                continue;
            const QString groupName = labelValue(s.labels, QLatin1String("group"));
            if (groupName.isEmpty())
                continue;
            Incoming& group = groupFromSignal(s, groupName);
            Values& gv = group.values;
            gv.severity = worse(gv.severity, s.severity);
            if (!s.reason.isEmpty() && s.severity != Severity::Ok)
                gv.detail = s.reason;
            gv.stale = gv.stale || s.severity == Severity::Stale;
            if (!s.hasValue)
                continue;
            const QString topicName = labelValue(s.labels, QLatin1String("topic"));
            const QString partition = labelValue(s.labels, QLatin1String("partition"));
            if (s.kind == SignalKind::TimeLag) {
                if (partition.isEmpty())
                    maxInto(gv.timeLagSeconds, s.value);
                continue;
            }
            if (topicName.isEmpty() || partition.isEmpty()) {
                if (partition.isEmpty() && topicName.isEmpty())
                    gv.lag = int64_t(s.value);
                continue;
            }
            auto topicIt = std::find_if(
                group.children.begin(), group.children.end(), [&](const Incoming& t) { return t.key == topicName; });
            if (topicIt == group.children.end()) {
                Incoming topic;
                topic.level = Level::Topic;
                topic.sourceId = s.sourceId;
                topic.group = groupName;
                topic.topic = topicName;
                topic.name = topicName;
                topic.key = topicName;
                topic.values.severity = Severity::Ok;
                group.children.push_back(std::move(topic));
                topicIt = std::prev(group.children.end());
            }
            Incoming part;
            part.level = Level::Partition;
            part.sourceId = s.sourceId;
            part.group = groupName;
            part.topic = topicName;
            part.partition = partition.toInt();
            part.name = QString::number(part.partition);
            part.key = part.name;
            part.values.severity = s.severity;
            part.values.stale = s.severity == Severity::Stale;
            part.values.lag = int64_t(s.value);
            part.values.detail = s.reason;
            figuresFor(s.sourceId, topicName, part.partition, part.values);
            Values& tv = topicIt->values;
            tv.severity = worse(tv.severity, s.severity);
            tv.stale = tv.stale || part.values.stale;
            tv.lag = tv.lag.value_or(0) + *part.values.lag;
            minInto(tv.dataAgeSeconds, part.values.dataAgeSeconds);
            minInto(tv.replayHeadroomSeconds, part.values.replayHeadroomSeconds);
            topicIt->children.push_back(std::move(part));
            ++partitions;
        }
        for (auto& [key, group] : fromSignals) {
            std::sort(group.children.begin(), group.children.end(),
                [](const Incoming& a, const Incoming& b) { return a.key < b.key; });
            int64_t total = 0;
            for (Incoming& topic : group.children) {
                std::sort(topic.children.begin(), topic.children.end(),
                    [](const Incoming& a, const Incoming& b) { return a.partition < b.partition; });
                total += topic.values.lag.value_or(0);
                maxInto(group.values.dataAgeSeconds, topic.values.dataAgeSeconds);
                minInto(group.values.replayHeadroomSeconds, topic.values.replayHeadroomSeconds);
            }
            if (!group.children.empty())
                group.values.lag = total;
            groups.push_back(std::move(group));
        }
    }
    m_partitionCount = partitions;
    syncChildren(m_root.get(), {}, groups);
}

std::unique_ptr<ConsumerLagTreeModel::Node> ConsumerLagTreeModel::buildNode(Node* parent, int row, Incoming& in)
{
    auto node = std::make_unique<Node>();
    node->parent = parent;
    node->row = row;
    node->level = in.level;
    node->key = std::move(in.key);
    node->name = std::move(in.name);
    node->sourceId = std::move(in.sourceId);
    node->group = std::move(in.group);
    node->topic = std::move(in.topic);
    node->partition = in.partition;
    node->values = std::move(in.values);
    node->children.reserve(in.children.size());
    for (int i = 0; i < int(in.children.size()); ++i)
        node->children.push_back(buildNode(node.get(), i, in.children[size_t(i)]));
    return node;
}

void ConsumerLagTreeModel::syncChildren(Node* parent, const QModelIndex& parentIndex, std::vector<Incoming>& incoming)
{
    auto& children = parent->children;
    // The common case: the same keys in the same order (nothing appeared or went away) needs no hash at all.
    bool sameKeys = children.size() == incoming.size();
    for (size_t i = 0; sameKeys && i < children.size(); ++i)
        sameKeys = children[i]->key == incoming[i].key;
    std::vector<int> match(children.size(), -1); // incoming index of each kept child
    std::vector<bool> used(incoming.size(), false);
    if (sameKeys) {
        for (size_t i = 0; i < children.size(); ++i) {
            match[i] = int(i);
            used[i] = true;
        }
    } else {
        QHash<QString, int> incomingIndex;
        incomingIndex.reserve(qsizetype(incoming.size()));
        for (int j = 0; j < int(incoming.size()); ++j)
            if (!incomingIndex.contains(incoming[size_t(j)].key))
                incomingIndex.insert(incoming[size_t(j)].key, j);
        for (size_t i = 0; i < children.size(); ++i) {
            const auto it = incomingIndex.constFind(children[i]->key);
            if (it != incomingIndex.cend() && !used[size_t(*it)]) {
                match[i] = *it;
                used[size_t(*it)] = true;
            }
        }
        // Remove runs of children that are gone, from the back so earlier rows keep their numbers.
        for (int i = int(children.size()) - 1; i >= 0;) {
            if (match[size_t(i)] >= 0) {
                --i;
                continue;
            }
            int first = i;
            while (first > 0 && match[size_t(first - 1)] < 0)
                --first;
            beginRemoveRows(parentIndex, first, i);
            children.erase(children.begin() + first, children.begin() + i + 1);
            match.erase(match.begin() + first, match.begin() + i + 1);
            // Rows are renumbered before the views hear of the removal: they ask for parents right away.
            for (int r = first; r < int(children.size()); ++r)
                children[size_t(r)]->row = r;
            endRemoveRows();
            i = first - 1;
        }
    }

    // Update kept children in place: one dataChanged per run of changed rows, over the changed columns only, so a
    // proxy sorted on an unchanged column does not re-sort.
    auto changedColumns = [](const Values& a, const Values& b) -> std::pair<int, int> {
        int first = NUM_COLUMNS;
        int last = -1;
        auto mark = [&](bool differs, int from, int to) {
            if (differs) {
                first = std::min(first, from);
                last = std::max(last, to);
            }
        };
        mark(a.detail != b.detail || a.deleted != b.deleted, NameColumn, NameColumn);
        mark(a.verdict != b.verdict || a.severity != b.severity || a.rewindExplained != b.rewindExplained
                || a.deleted != b.deleted,
            StatusColumn, StatusColumn);
        mark(a.stale != b.stale, OffsetLagColumn, CatchUpColumn); // kept values are greyed
        mark(a.lag != b.lag, OffsetLagColumn, OffsetLagColumn);
        mark(a.timeLagSeconds != b.timeLagSeconds || a.timeLagBasis != b.timeLagBasis, TimeLagColumn, TimeLagColumn);
        mark(a.dataAgeSeconds != b.dataAgeSeconds, DataAgeColumn, DataAgeColumn);
        mark(a.replayHeadroomSeconds != b.replayHeadroomSeconds, ReplayHeadroomColumn, ReplayHeadroomColumn);
        mark(a.consumeRate != b.consumeRate, ConsumeRateColumn, ConsumeRateColumn);
        mark(a.produceRate != b.produceRate, ProduceRateColumn, ProduceRateColumn);
        mark(a.catchUpSeconds != b.catchUpSeconds || a.fallingBehindRate != b.fallingBehindRate || a.lag != b.lag,
            CatchUpColumn, CatchUpColumn);
        return last < 0 ? std::pair {-1, -1} : std::pair {first, last};
    };
    int runStart = -1;
    int runFirst = 0;
    int runLast = 0;
    auto flush = [&](int end) {
        if (runStart >= 0)
            Q_EMIT dataChanged(index(runStart, runFirst, parentIndex), index(end, runLast, parentIndex));
        runStart = -1;
    };
    for (int i = 0; i < int(children.size()); ++i) {
        Node& child = *children[size_t(i)];
        Incoming& in = incoming[size_t(match[size_t(i)])];
        const auto [first, last] = changedColumns(child.values, in.values);
        child.values = std::move(in.values); // also what only a tooltip shows
        if (first < 0) {
            flush(i - 1);
            continue;
        }
        if (runStart < 0) {
            runStart = i;
            runFirst = first;
            runLast = last;
        } else {
            runFirst = std::min(runFirst, first);
            runLast = std::max(runLast, last);
        }
    }
    flush(int(children.size()) - 1);
    for (int i = 0; i < int(children.size()); ++i) {
        Node& child = *children[size_t(i)];
        Incoming& in = incoming[size_t(match[size_t(i)])];
        if (!child.children.empty() || !in.children.empty())
            syncChildren(&child, createIndex(i, 0, &child), in.children);
    }

    int added = 0;
    for (size_t j = 0; j < incoming.size(); ++j)
        added += used[j] ? 0 : 1;
    if (added > 0) {
        const int first = int(children.size());
        beginInsertRows(parentIndex, first, first + added - 1);
        for (size_t j = 0; j < incoming.size(); ++j)
            if (!used[j])
                children.push_back(buildNode(parent, int(children.size()), incoming[j]));
        endInsertRows();
    }
}

ConsumerLagTreeModel::Node* ConsumerLagTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : m_root.get();
}

QModelIndex ConsumerLagTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= NUM_COLUMNS || row < 0 || (parent.isValid() && parent.column() != 0))
        return {};
    const Node* p = nodeOf(parent);
    if (row >= int(p->children.size()))
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex ConsumerLagTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const Node* p = static_cast<Node*>(child.internalPointer())->parent;
    if (!p || p == m_root.get())
        return {};
    return createIndex(p->row, 0, const_cast<Node*>(p));
}

int ConsumerLagTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int ConsumerLagTreeModel::columnCount(const QModelIndex&) const
{
    return NUM_COLUMNS;
}

bool ConsumerLagTreeModel::hasChildren(const QModelIndex& parent) const
{
    return rowCount(parent) > 0;
}

QVariant ConsumerLagTreeModel::displayData(const Node& node, int column) const
{
    const Values& v = node.values;
    switch (column) {
    case NameColumn:
        return node.level == Level::Partition ? tr("partition %1").arg(node.partition)
            : node.values.deleted             ? tr("%1 (deleted)").arg(node.name)
                                              : node.name;
    case StatusColumn: {
        if (v.deleted)
            return QStringLiteral("DELETED");
        if (v.stale)
            return severityName(Severity::Stale);
        if (!v.verdict)
            return severityName(v.severity);
        QString word = lagVerdictName(*v.verdict).replace(QLatin1Char('_'), QLatin1Char(' '));
        if (*v.verdict == LagVerdict::Rewound && v.rewindExplained)
            word += tr(" (replay)");
        return word;
    }
    case OffsetLagColumn:
        return v.lag ? formatValue(double(*v.lag), QStringLiteral("records")) : QStringLiteral("—");
    case TimeLagColumn:
        if (!v.timeLagSeconds)
            return QStringLiteral("—");
        // A time from the producer's clock is a weaker answer than the broker's: say so where it is read.
        return v.timeLagBasis == TimeLagBasis::CreateTime
            ? tr("%1 (create time)").arg(formatValue(*v.timeLagSeconds, QStringLiteral("s")))
            : formatValue(*v.timeLagSeconds, QStringLiteral("s"));
    case DataAgeColumn:
        return v.dataAgeSeconds ? formatValue(*v.dataAgeSeconds, QStringLiteral("s")) : QStringLiteral("—");
    case ReplayHeadroomColumn:
        return v.replayHeadroomSeconds ? formatValue(*v.replayHeadroomSeconds, QStringLiteral("s"))
                                       : QStringLiteral("—");
    case ConsumeRateColumn:
        return v.consumeRate ? formatValue(*v.consumeRate, QStringLiteral("rec/s")) : QStringLiteral("—");
    case ProduceRateColumn:
        return v.produceRate ? formatValue(*v.produceRate, QStringLiteral("rec/s")) : QStringLiteral("—");
    case CatchUpColumn: {
        if (!v.lag || (!v.consumeRate && *v.lag != 0))
            return QStringLiteral("—");
        GroupLag g;
        g.totalLag = *v.lag;
        g.catchUpSeconds = v.catchUpSeconds;
        g.fallingBehindRate = v.fallingBehindRate;
        return catchUpSentence(g);
    }
    }
    return {};
}

QVariant ConsumerLagTreeModel::sortData(const Node& node, int column) const
{
    const Values& v = node.values;
    switch (column) {
    case NameColumn:
        return node.level == Level::Partition ? QVariant(node.partition) : QVariant(node.name);
    case StatusColumn:
        // Worst first when sorted descending. The rank alone, so a lag that moves does not re-sort the tree.
        return severityRank(v.deleted ? Severity::Unknown : v.severity);
    case OffsetLagColumn:
        return v.lag ? QVariant(double(*v.lag)) : QVariant(kUnknownSorts);
    case TimeLagColumn:
        return optionalNumber(v.timeLagSeconds);
    case DataAgeColumn:
        return optionalNumber(v.dataAgeSeconds);
    case ReplayHeadroomColumn:
        return optionalNumber(v.replayHeadroomSeconds);
    case ConsumeRateColumn:
        return optionalNumber(v.consumeRate);
    case ProduceRateColumn:
        return optionalNumber(v.produceRate);
    case CatchUpColumn:
        // Caught up first, then by time to catch up, then falling behind (the faster, the later).
        if (!v.lag)
            return kUnknownSorts;
        if (v.catchUpSeconds)
            return *v.catchUpSeconds;
        return 1e12 + v.fallingBehindRate;
    }
    return {};
}

QVariant ConsumerLagTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const Node& node = *static_cast<Node*>(index.internalPointer());
    const Values& v = node.values;
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayData(node, column);
    case SortRole:
        return sortData(node, column);
    case SeverityRole:
        return int(v.deleted ? Severity::Unknown : v.severity);
    case LevelRole:
        return int(node.level);
    case GroupRole:
        return node.group;
    case TopicRole:
        return node.topic;
    case PartitionRole:
        return node.partition;
    case SourceIdRole:
        return node.sourceId;
    case Qt::ToolTipRole:
        switch (column) {
        case NameColumn:
        case StatusColumn:
            if (node.level == Level::Partition && v.highWatermark >= 0)
                return v.detail.isEmpty() ? partitionDetail(v) : v.detail + QLatin1Char('\n') + partitionDetail(v);
            return v.detail.isEmpty() ? QVariant() : QVariant(v.detail);
        case TimeLagColumn:
            return timeLagText(v.timeLagSeconds, v.timeLagBasis);
        case CatchUpColumn:
            return displayData(node, column);
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (column == NameColumn || column == CatchUpColumn)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        if (column == StatusColumn)
            return QVariant::fromValue(Qt::AlignCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // The last values of an unreadable source must not look current.
        if (column != NameColumn && column != StatusColumn && (v.stale || v.deleted))
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        if (column == CatchUpColumn && v.fallingBehindRate > 0 && v.lag && *v.lag > 0)
            return StatusStyle::color(Severity::Warn);
        return {};
    default:
        return {};
    }
}

QVariant ConsumerLagTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= NUM_COLUMNS)
        return QAbstractItemModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Group / topic / partition");
        case StatusColumn:
            return tr("Verdict");
        case OffsetLagColumn:
            return tr("Offset lag");
        case TimeLagColumn:
            return tr("Time lag");
        case DataAgeColumn:
            return tr("Data age");
        case ReplayHeadroomColumn:
            return tr("Replay headroom");
        case ConsumeRateColumn:
            return tr("Consumed");
        case ProduceRateColumn:
            return tr("Produced");
        case CatchUpColumn:
            return tr("Catch-up");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case TimeLagColumn:
            return tr("Seconds behind: now − when the record at the committed offset was appended");
        case DataAgeColumn:
            return tr("Age of the newest record (a topic: its newest partition; a group: its stalest topic)");
        case ReplayHeadroomColumn:
            return tr("Retained data beyond the recovery window (a topic or group: the shortest)");
        case CatchUpColumn:
            return tr("When the lag reaches 0 at the current rates, or how fast it grows");
        default:
            return {};
        }
    }
    return QAbstractItemModel::headerData(section, orientation, role);
}

ConsumerLagFilterModel::ConsumerLagFilterModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(ConsumerLagTreeModel::SortRole);
    setRecursiveFilteringEnabled(true);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

bool ConsumerLagFilterModel::setPattern(const QString& pattern)
{
    QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
    const bool valid = re.isValid();
    setFilterRegularExpression(valid ? re : QRegularExpression());
    return valid;
}

bool ConsumerLagFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QRegularExpression& re = filterRegularExpression();
    if (re.pattern().isEmpty())
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    // A partition is shown with its topic: it matches what its topic or group matches.
    return re.match(index.data(ConsumerLagTreeModel::GroupRole).toString()).hasMatch()
        || re.match(index.data(ConsumerLagTreeModel::TopicRole).toString()).hasMatch();
}

} // namespace pw
