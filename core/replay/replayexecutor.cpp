#include "replay/replayexecutor.h"

#include <pwd.h>
#include <unistd.h>

#include "instance/exitcodes.h"
#include "sources/kafkaadmin.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSysInfo>

#include <map>

namespace pw {

namespace {

const char* stateJson(PartitionOutcome::State s)
{
    switch (s) {
    case PartitionOutcome::State::NotAttempted:
        return "not-attempted";
    case PartitionOutcome::State::Applied:
        return "applied";
    case PartitionOutcome::State::Unknown:
        return "unknown";
    }
    return "";
}

} // namespace

QByteArray partitionOutcomesJson(const std::vector<PartitionOutcome>& partitions)
{
    // Written by hand: QJsonObject per partition costs more than the alteration itself at 10,000 partitions.
    QByteArray out;
    out.reserve(qsizetype(partitions.size()) * 110);
    out += '[';
    QString lastTopic;
    QByteArray topicJson;
    for (size_t i = 0; i < partitions.size(); ++i) {
        const PartitionOutcome& p = partitions[i];
        if (i == 0 || p.topic != lastTopic) {
            lastTopic = p.topic;
            const QByteArray wrapped = QJsonDocument(QJsonArray {p.topic}).toJson(QJsonDocument::Compact);
            topicJson = wrapped.mid(1, wrapped.size() - 2); // the escaped string without the array's brackets
        }
        if (i > 0)
            out += ',';
        // Appended piece by piece: no temporary string per partition.
        out += "{\"topic\":";
        out += topicJson;
        out += ",\"partition\":";
        out += QByteArray::number(p.partition);
        out += ",\"before\":";
        out += QByteArray::number(p.before);
        out += ",\"target\":";
        out += QByteArray::number(p.target);
        out += ",\"after\":";
        out += QByteArray::number(p.after);
        out += ",\"state\":\"";
        out += stateJson(p.state);
        out += "\",\"verified\":";
        out += p.verified ? "true}" : "false}";
    }
    out += ']';
    return out;
}

QJsonObject ExecutionReport::toJson() const
{
    const QJsonArray parts = QJsonDocument::fromJson(partitionOutcomesJson(partitions)).array();
    return QJsonObject {
        {QStringLiteral("outcome"), outcome},
        {QStringLiteral("error"), error},
        {QStringLiteral("batches"), batches},
        {QStringLiteral("batches_done"), batchesDone},
        {QStringLiteral("recheck"), recheck.sentence},
        {QStringLiteral("partitions"), parts},
    };
}

int ExecutionReport::exitCode() const
{
    if (outcome == QLatin1String("executed-verified"))
        return kExitOk;
    if (outcome == QLatin1String("refused"))
        return kExitRefused;
    return kExitFailed;
}

ExecutionReport executeReplayPlan(KafkaAdmin& admin, const ReplayPlan& plan, const ExecuteOptions& options)
{
    ReplayPhaseTimes* timings = options.timings;
    ExecutionReport report;
    for (const auto& p : plan.partitions)
        report.partitions.push_back(
            {p.topic, p.partition, p.committed, p.target, -1, PartitionOutcome::State::NotAttempted, false});

    // A consumer that came back since the preview would be refused by Kafka, or worse, commit over the reset.
    Result<KafkaAdmin::GroupDescription> group;
    {
        ReplayPhaseTimer t(timings, "describe group again");
        group = admin.describeGroup(plan.group);
    }
    if (!group) {
        report.outcome = QStringLiteral("failed");
        report.error = QStringLiteral("could not check the group again before executing: %1 — nothing was changed")
                           .arg(group.error().toString());
        return report;
    }
    report.recheck = consumerStoppedCheck(*group);
    if (!report.recheck.passed) {
        report.outcome = QStringLiteral("refused");
        report.error = report.recheck.sentence + QStringLiteral(" — nothing was changed");
        return report;
    }

    const int batchSize = std::max(1, options.batchSize);
    const qint64 total = qint64(plan.partitions.size());
    report.batches = int((total + batchSize - 1) / batchSize);
    bool cancelled = false;
    bool batchFailed = false;
    for (qint64 start = 0; start < total; start += batchSize) {
        if (options.cancelRequested && options.cancelRequested()) {
            cancelled = true;
            break;
        }
        const qint64 end = std::min<qint64>(start + batchSize, total);
        std::vector<KafkaAdmin::PartitionOffset> batch, deletions;
        batch.reserve(size_t(end - start));
        for (qint64 i = start; i < end; ++i) {
            const auto& p = plan.partitions[size_t(i)];
            // A target of -1 is "no committed offset" (undoing a replay that gave the partition one): OffsetDelete.
            (p.target < 0 ? deletions : batch).push_back({p.topic, p.partition, p.target, {}});
        }
        Result<void> altered;
        {
            ReplayPhaseTimer t(timings, "alter offsets");
            altered = admin.alterGroupOffsets(plan.group, batch);
            if (altered && !deletions.empty())
                altered = admin.deleteGroupOffsets(plan.group, deletions);
        }
        for (qint64 i = start; i < end; ++i)
            report.partitions[size_t(i)].state
                = altered ? PartitionOutcome::State::Applied : PartitionOutcome::State::Unknown;
        if (!altered) {
            batchFailed = true;
            report.error = QStringLiteral("batch %1 of %2 failed: %3")
                               .arg(report.batchesDone + 1)
                               .arg(report.batches)
                               .arg(altered.error().toString());
            if (altered.error().code == Error::Code::Refused)
                report.error += QStringLiteral(" (a consumer joined the group)");
            break;
        }
        ++report.batchesDone;
        if (options.progress)
            options.progress(end, total);
    }

    // Read back whatever happened, also after a failure: the audit must say exactly what changed.
    std::vector<KafkaAdmin::TopicPartition> planned;
    planned.reserve(plan.partitions.size());
    for (const auto& p : plan.partitions)
        planned.push_back({p.topic, p.partition});
    Result<std::vector<KafkaAdmin::PartitionOffset>> readBack;
    {
        ReplayPhaseTimer t(timings, "read back");
        readBack = admin.listGroupOffsets(plan.group, planned);
    }
    ReplayPhaseTimer compareTimer(timings, "compare");
    int verified = 0, applied = 0, unknown = 0, changed = 0;
    if (readBack) {
        TopicPartitionMap<int64_t> now;
        for (const auto& o : *readBack)
            now[{o.topic, o.partition}] = o.offset;
        for (auto& p : report.partitions) {
            const auto it = now.find({p.topic, p.partition});
            p.after = it != now.end() ? it->second : -1;
            const int64_t expected = p.state == PartitionOutcome::State::Applied ? p.target : p.before;
            if (p.state == PartitionOutcome::State::Unknown)
                p.verified = p.after == p.target || p.after == p.before; // says which one it is
            else
                p.verified = p.after == expected;
            if (p.after != p.before)
                ++changed;
        }
    }
    for (const auto& p : report.partitions) {
        verified += p.verified;
        applied += p.state == PartitionOutcome::State::Applied;
        unknown += p.state == PartitionOutcome::State::Unknown;
    }
    const QString readBackError = readBack
        ? QString()
        : QStringLiteral("the offsets could not be read back: %1").arg(readBack.error().toString());

    if (!batchFailed && !cancelled) {
        if (readBack && verified == int(total)) {
            report.outcome = QStringLiteral("executed-verified");
        } else {
            report.outcome = QStringLiteral("not-verified");
            report.error = readBack ? QStringLiteral("%1 of %2 partition(s) read back a different offset than the "
                                                     "target")
                                          .arg(total - verified)
                                          .arg(total)
                                    : readBackError;
        }
        return report;
    }
    const QString state = readBack
        ? QStringLiteral("%1 partition(s) changed, %2 read back as expected").arg(changed).arg(verified)
        : QStringLiteral("%1 partition(s) acknowledged, %2 may have changed, none could be verified (%3)")
              .arg(applied)
              .arg(unknown)
              .arg(readBackError);
    if (cancelled) {
        report.outcome = applied > 0 ? QStringLiteral("partly-applied") : QStringLiteral("cancelled");
        report.error = QStringLiteral("cancelled after %1 of %2 batches: %3")
                           .arg(report.batchesDone)
                           .arg(report.batches)
                           .arg(state);
    } else {
        const bool nothingChanged = readBack && changed == 0;
        report.outcome = nothingChanged ? QStringLiteral("failed") : QStringLiteral("partly-applied");
        report.error += QStringLiteral("; ") + state;
    }
    return report;
}

QString replayActor()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("LOGNAME");
    if (user.isEmpty()) // services and CI runners often set neither
        if (const passwd* account = ::getpwuid(::geteuid()))
            user = QString::fromLocal8Bit(account->pw_name);
    if (user.isEmpty())
        user = QStringLiteral("uid%1").arg(::geteuid());
    return user + u'@' + QSysInfo::machineHostName();
}

} // namespace pw
