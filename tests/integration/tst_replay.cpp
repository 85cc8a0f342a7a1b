// Replay against the embedded broker with real consumer groups (kafka-python members, librdkafka records with known
// timestamps) and a real ledger: each refusal, each target kind with exact offsets, execute and read back, the audit
// log, undo, the CSV round trip, a broker that dies mid-way, and the `pathwatch replay` command itself.
#include "broker/broker.h"
#include "instance/exitcodes.h"
#include "ledger/ledger.h"
#include "replay/offsetscsv.h"
#include "replay/replayexecutor.h"
#include "replay/replaypreview.h"
#include "sources/kafkaadmin.h"
#include "waitfor.h"

#include <librdkafka/rdkafka.h>

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using pw::KafkaAdmin;
using pw::ReplayTarget;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kOrders = QStringLiteral("orders"); // 3 partitions, 10 records each
const QString kBilling = QStringLiteral("billing"); // committed 8, 9, 10 by a kafka-python member that left
const QString kSource = QStringLiteral("kafka-main");

QString scriptPath()
{
    return QStringLiteral(PATHWATCH_SOURCE_DIR "/tests/integration/scripts/replay_groups.py");
}

QString pathwatchBinary()
{
    return QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch");
}

QJsonObject lastJsonLine(const QByteArray& output)
{
    const auto lines = output.trimmed().split('\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const auto doc = QJsonDocument::fromJson(it->trimmed());
        if (doc.isObject())
            return doc.object();
    }
    return {};
}

std::vector<int64_t> targetsOf(const pw::ReplayPlan& plan)
{
    std::vector<int64_t> out;
    for (const auto& p : plan.partitions)
        out.push_back(p.target);
    return out;
}

} // namespace

class TestReplay : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<pw::broker::Broker> m_broker;
    std::unique_ptr<KafkaAdmin> m_admin;
    std::unique_ptr<pw::Ledger> m_ledger;
    qint64 m_t0 = 0; // timestamp of record 0 of every partition of orders; record i is at t0 + i s
    qint64 m_ledgerT1 = 0;
    qint64 m_ledgerT2 = 0;

    QString bootstrap() const { return QString::fromStdString(m_broker->bootstrapServers()); }
    QString dataDir() const { return m_dir.filePath(QStringLiteral("data")); }

    void produce(const QString& topic, int32_t partition, const std::vector<qint64>& timestamps)
    {
        char errstr[512] = {0};
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", m_broker->bootstrapServers().c_str(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof errstr);
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        QVERIFY2(producer, errstr);
        const QByteArray name = topic.toUtf8();
        for (qint64 ts : timestamps) {
            const QByteArray value = QByteArray::number(ts);
            QCOMPARE(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(name.constData()), RD_KAFKA_V_PARTITION(partition),
                         RD_KAFKA_V_VALUE(const_cast<char*>(value.constData()), size_t(value.size())),
                         RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        QCOMPARE(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(producer);
    }

    bool runScript(const QStringList& args, QJsonObject* result = nullptr)
    {
        QProcess py;
        py.start(kPython, QStringList {scriptPath()} + args);
        if (!py.waitForFinished(120000)) {
            qWarning() << "script did not finish" << args;
            return false;
        }
        const QJsonObject last = lastJsonLine(py.readAllStandardOutput());
        if (py.exitCode() != 0) {
            qWarning().noquote() << "script failed:" << last << py.readAllStandardError().right(3000);
            return false;
        }
        if (result)
            *result = last;
        return true;
    }

    std::map<std::pair<QString, int32_t>, int64_t> committed(const QString& group)
    {
        std::map<std::pair<QString, int32_t>, int64_t> m;
        auto offsets = m_admin->listGroupOffsets(group);
        if (!offsets)
            qWarning() << offsets.error().toString();
        else
            for (const auto& o : *offsets)
                m[{o.topic, o.partition}] = o.offset;
        return m;
    }

    pw::ReplayRequest request(const QString& group, ReplayTarget target)
    {
        pw::ReplayRequest r;
        r.context.sourceId = kSource;
        r.context.group = group;
        r.context.nowMs = QDateTime::currentMSecsSinceEpoch();
        r.target = std::move(target);
        return r;
    }

    ReplayTarget kind(ReplayTarget::Kind k, int64_t value = 0)
    {
        ReplayTarget t;
        t.kind = k;
        t.value = value;
        t.text = QStringLiteral("test");
        return t;
    }

    pw::Result<pw::ReplayPreview> preview(const pw::ReplayRequest& r)
    {
        return pw::previewReplay(*m_admin, m_ledger.get(), r);
    }

    QStringList failedChecks(const pw::ReplayPreview& p)
    {
        QStringList out;
        for (const auto& c : p.preflight.checks)
            if (!c.passed)
                out << c.name;
        return out;
    }

    void commitWithAdmin(
        const QString& group, const QString& topic, const std::vector<std::pair<int32_t, int64_t>>& offsets)
    {
        std::vector<KafkaAdmin::PartitionOffset> list;
        for (const auto& [p, o] : offsets)
            list.push_back({topic, p, o, {}});
        auto altered = m_admin->alterGroupOffsets(group, list);
        QVERIFY2(altered, qPrintable(altered ? QString() : altered.error().toString()));
    }

    int runPathwatch(const QStringList& args, QByteArray* output = nullptr, QByteArray* errors = nullptr,
        const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(pathwatchBinary(), args);
        if (!p.waitForFinished(120000))
            return -1;
        const QByteArray out = p.readAllStandardOutput();
        const QByteArray err = p.readAllStandardError();
        if (output)
            *output = out;
        if (errors)
            *errors = err;
        qInfo().noquote() << "pathwatch" << args.join(u' ') << "->" << p.exitCode() << "\n"
                          << out.right(3000) << err.right(2000);
        return p.exitCode();
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(QFileInfo::exists(kPython), "/usr/bin/python3 is missing (Debian package python3)");
        QVERIFY(m_dir.isValid());
        pw::broker::BrokerOptions options;
        options.dataDir = m_dir.filePath(QStringLiteral("broker")).toStdString();
        options.listenPort = 0;
        options.defaultPartitions = 3;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        QVERIFY2(broker, qPrintable(broker ? QString() : broker.error().toString()));
        m_broker = std::move(*broker);
        pw::KafkaAdminConfig config;
        config.bootstrapServers = bootstrap();
        config.timeout = std::chrono::milliseconds(15000);
        auto admin = KafkaAdmin::create(config);
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().toString()));
        m_admin = std::move(*admin);
        QVERIFY(QDir().mkpath(dataDir()));
        auto ledger = pw::Ledger::open(QDir(dataDir()).filePath(QStringLiteral("ledger.sqlite")));
        QVERIFY2(ledger, qPrintable(ledger ? QString() : ledger.error().toString()));
        m_ledger = std::move(*ledger);

        QVERIFY(m_admin->createTopic(kOrders, 3));
        m_t0 = (QDateTime::currentMSecsSinceEpoch() / 1000 - 3600) * 1000;
        std::vector<qint64> stamps;
        for (int i = 0; i < 10; ++i)
            stamps.push_back(m_t0 + i * 1000);
        for (int32_t p = 0; p < 3; ++p)
            produce(kOrders, p, stamps);
        // A real group: a kafka-python member commits 8, 9, 10 and leaves, so the group is Empty.
        QVERIFY(runScript(
            {QStringLiteral("commit"), QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), kOrders,
                QStringLiteral("--group"), kBilling, QStringLiteral("--offsets"), QStringLiteral("0=8,1=9,2=10")}));
        QVERIFY(pw::test::waitFor(
            [&] {
                auto d = m_admin->describeGroup(kBilling);
                return d && d->state == QLatin1String("Empty");
            },
            20000));

        // The ledger saw the group at 3, 3, 3 at T1, at 4, 4, 4 just after checkpoint 5, and at 6, 6, 6 at T2.
        m_ledgerT1 = m_t0 + 600000;
        m_ledgerT2 = m_t0 + 1200000;
        auto rows = [&](int64_t offset, qint64 at) {
            std::vector<pw::OffsetObservation> obs;
            for (int32_t p = 0; p < 3; ++p)
                obs.push_back({kBilling, kOrders, p, offset, 10, 0, at});
            return obs;
        };
        auto checkpoint = [&](qint64 id, qint64 completed) {
            pw::CheckpointObservation c;
            c.jobId = QStringLiteral("job-1");
            c.checkpointId = id;
            c.status = QStringLiteral("COMPLETED");
            c.triggerMs = completed - 50;
            c.completionMs = completed;
            c.observedMs = completed;
            return c;
        };
        m_ledger->recordPoll(kSource, QStringLiteral("cluster"), rows(3, m_ledgerT1), {});
        m_ledger->recordPoll(QStringLiteral("flink"), {}, {}, {checkpoint(5, m_ledgerT1 + 100)});
        m_ledger->recordPoll(kSource, QStringLiteral("cluster"), rows(4, m_ledgerT1 + 200), {});
        m_ledger->recordPoll(kSource, QStringLiteral("cluster"), rows(6, m_ledgerT2), {});
        m_ledger->recordPoll(QStringLiteral("flink"), {}, {}, {checkpoint(6, m_ledgerT2 + 100)});
        // An incident of the compute stage opens at T2 + 1 s: the last trusted position is the T2 row.
        pw::Transition t;
        t.subject = pw::Transition::Subject::Stage;
        t.id = QStringLiteral("compute");
        t.stageId = QStringLiteral("compute");
        t.from = pw::Severity::Ok;
        t.to = pw::Severity::Crit;
        t.reason = QStringLiteral("job stopped");
        t.atMs = m_ledgerT2 + 1000;
        m_ledger->recordTransitions({t});
        m_ledger->flush();
        QVERIFY2(m_ledger->degradedReason().isEmpty(), qPrintable(m_ledger->degradedReason()));
    }

    void cleanupTestCase()
    {
        m_ledger.reset();
        if (m_broker)
            m_broker->stop();
    }

    void eachTargetKindGivesExactOffsets_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<std::vector<int64_t>>("expected");
        QTest::addRow("earliest") << 0 << std::vector<int64_t> {0, 0, 0};
        QTest::addRow("latest") << 1 << std::vector<int64_t> {10, 10, 10};
        QTest::addRow("shift-by -3") << 2 << std::vector<int64_t> {5, 6, 7};
        QTest::addRow("to-offset 2") << 3 << std::vector<int64_t> {2, 2, 2};
        QTest::addRow("to-datetime t0+3.5s") << 4 << std::vector<int64_t> {4, 4, 4};
        QTest::addRow("to-position-at T1+0.15s") << 5 << std::vector<int64_t> {3, 3, 3};
        QTest::addRow("to-last-trusted") << 6 << std::vector<int64_t> {6, 6, 6};
        QTest::addRow("to-checkpoint 5") << 7 << std::vector<int64_t> {4, 4, 4};
        QTest::addRow("from-file") << 8 << std::vector<int64_t> {1, 7, 3};
        QTest::addRow("to-datetime after the last record") << 9 << std::vector<int64_t> {10, 10, 10};
        QTest::addRow("to-last-trusted --incident") << 10 << std::vector<int64_t> {6, 6, 6};
    }

    void eachTargetKindGivesExactOffsets()
    {
        QFETCH(int, which);
        QFETCH(std::vector<int64_t>, expected);
        ReplayTarget t;
        auto r = request(kBilling, {});
        switch (which) {
        case 0:
            t = kind(ReplayTarget::Kind::Earliest);
            break;
        case 1:
            t = kind(ReplayTarget::Kind::Latest);
            break;
        case 2:
            t = kind(ReplayTarget::Kind::ShiftBy, -3);
            break;
        case 3:
            t = kind(ReplayTarget::Kind::Offset, 2);
            break;
        case 4:
            t = kind(ReplayTarget::Kind::Datetime);
            t.timeMs = m_t0 + 3500;
            break;
        case 5:
            t = kind(ReplayTarget::Kind::PositionAt);
            t.timeMs = m_ledgerT1 + 150;
            break;
        case 6:
            t = kind(ReplayTarget::Kind::LastTrusted);
            break;
        case 7:
            t = kind(ReplayTarget::Kind::Checkpoint);
            t.checkpointId = 5;
            r.context.flinkSourceId = QStringLiteral("flink");
            r.context.jobId = QStringLiteral("job-1");
            break;
        case 8:
            t = kind(ReplayTarget::Kind::FromFile);
            t.fileRows = {{kOrders, 2, 3}, {kOrders, 0, 1}, {kOrders, 1, 7}};
            break;
        case 9:
            t = kind(ReplayTarget::Kind::Datetime);
            t.timeMs = m_t0 + 60000;
            break;
        case 10: {
            auto open = m_ledger->newestOpenIncident({});
            QVERIFY(open && *open);
            t = kind(ReplayTarget::Kind::LastTrusted);
            t.incidentId = (*open)->id;
            break;
        }
        default:
            QFAIL("no such case");
        }
        r.target = t;
        auto p = preview(r);
        QVERIFY2(p, qPrintable(p ? QString() : p.error().toString()));
        QCOMPARE(targetsOf(p->plan), expected);
        QVERIFY2(p->preflight.passed, qPrintable(p->preflight.refusal()));
        QCOMPARE(p->plan.partitions[0].committed, 8);
        QCOMPARE(p->plan.partitions[2].committed, 10);
    }

    void ledgerTargetsRefusedWhereNotCovered()
    {
        auto r = request(kBilling, kind(ReplayTarget::Kind::PositionAt));
        r.target.timeMs = m_ledgerT1 - 1;
        auto p = preview(r);
        QVERIFY(!p);
        QCOMPARE(p.error().code, pw::Error::Code::Refused);
        QVERIFY2(p.error().message.contains(QStringLiteral("does not cover")), qPrintable(p.error().message));

        // Checkpoint 6 is the newest; the ledger has no row of the group after it.
        r = request(kBilling, kind(ReplayTarget::Kind::Checkpoint));
        r.context.flinkSourceId = QStringLiteral("flink");
        r.context.jobId = QStringLiteral("job-1");
        p = preview(r);
        QVERIFY(!p);
        QCOMPARE(p.error().code, pw::Error::Code::Refused);
        QVERIFY2(p.error().message.contains(QStringLiteral("no offsets row")), qPrintable(p.error().message));

        r.target.checkpointId = 99;
        p = preview(r);
        QVERIFY(!p);
        QVERIFY2(
            p.error().message.contains(QStringLiteral("no completed checkpoint 99")), qPrintable(p.error().message));

        p = pw::previewReplay(*m_admin, nullptr, request(kBilling, kind(ReplayTarget::Kind::LastTrusted)));
        QVERIFY(!p);
        QCOMPARE(p.error().code, pw::Error::Code::Refused);
    }

    void refusesMissingPartitionAndUnknownGroup()
    {
        auto r = request(kBilling, kind(ReplayTarget::Kind::Earliest));
        r.scope = *pw::parseReplayScope({QStringLiteral("orders:1,7"), QStringLiteral("nope")});
        auto p = preview(r);
        QVERIFY(p);
        QCOMPARE(failedChecks(*p), QStringList {QStringLiteral("partitions-exist")});
        QVERIFY2(p->preflight.refusal().contains(QStringLiteral("topic nope, orders [7]")),
            qPrintable(p->preflight.refusal()));

        p = preview(request(QStringLiteral("no-such-group"), kind(ReplayTarget::Kind::Earliest)));
        QVERIFY(p);
        QVERIFY(failedChecks(*p).contains(QStringLiteral("group-exists")));
    }

    void refusesNoOp()
    {
        auto r = request(kBilling, kind(ReplayTarget::Kind::Offset, 9));
        r.scope = *pw::parseReplayScope({QStringLiteral("orders:1")});
        auto p = preview(r);
        QVERIFY(p);
        QCOMPARE(failedChecks(*p), QStringList {QStringLiteral("not-no-op")});
    }

    void refusesBelowLogStartUnlessClamped()
    {
        const QString topic = QStringLiteral("retained");
        const QString group = QStringLiteral("retained-reader");
        QVERIFY(m_admin->createTopic(topic, 1));
        std::vector<qint64> stamps;
        for (int i = 0; i < 10; ++i)
            stamps.push_back(m_t0 + i);
        produce(topic, 0, stamps);
        commitWithAdmin(group, topic, {{0, 10}});
        auto low = m_admin->deleteRecords(topic, 0, 4);
        QVERIFY2(low, qPrintable(low ? QString() : low.error().toString()));
        QCOMPARE(*low, 4);

        auto r = request(group, kind(ReplayTarget::Kind::Offset, 2));
        auto p = preview(r);
        QVERIFY(p);
        QCOMPARE(failedChecks(*p), QStringList {QStringLiteral("log-start")});
        QCOMPARE(p->plan.partitions[0].recordsLost, 2);
        QVERIFY2(p->preflight.refusal().contains(QStringLiteral("2 record(s) are already deleted by retention")),
            qPrintable(p->preflight.refusal()));

        r.allowClamp = true;
        p = preview(r);
        QVERIFY(p);
        QVERIFY(p->preflight.passed);
        QCOMPARE(p->plan.partitions[0].target, 4);
        QCOMPARE(p->preflight.clampedRecordsLost, 2);
        QCOMPARE(p->plan.partitions[0].recordsToReplay, 6);
    }

    void refusesSubscribedGroupNamingItsMembersAndAConsumerThatCameBack()
    {
        const QString group = QStringLiteral("billing-live");
        commitWithAdmin(group, kOrders, {{0, 5}, {1, 5}, {2, 5}});
        // Previewed while the group is empty: it passes.
        auto before = preview(request(group, kind(ReplayTarget::Kind::Earliest)));
        QVERIFY(before && before->preflight.passed);

        QProcess holder;
        holder.start(kPython,
            {scriptPath(), QStringLiteral("hold"), QStringLiteral("--bootstrap"), bootstrap(),
                QStringLiteral("--topic"), kOrders, QStringLiteral("--group"), group, QStringLiteral("--client-id"),
                QStringLiteral("replay-holder")});
        QVERIFY(holder.waitForStarted());
        QVERIFY2(pw::test::waitFor(
                     [&] {
                         holder.waitForReadyRead(100);
                         return holder.peek(4096).contains("joined");
                     },
                     60000),
            holder.readAllStandardError().constData());

        auto during = preview(request(group, kind(ReplayTarget::Kind::Earliest)));
        QVERIFY(during);
        QCOMPARE(failedChecks(*during), QStringList {QStringLiteral("consumer-stopped")});
        const QString refusal = during->preflight.refusal();
        QVERIFY2(refusal.contains(QStringLiteral("Stable with 1 member(s): replay-holder on ")), qPrintable(refusal));

        // The plan made while it was empty, executed now that a consumer came back: refused, nothing changed.
        const auto report = pw::executeReplayPlan(*m_admin, before->plan);
        QCOMPARE(report.outcome, QStringLiteral("refused"));
        QCOMPARE(report.exitCode(), int(pw::kExitRefused));
        QVERIFY(report.error.contains(QStringLiteral("replay-holder")));
        QVERIFY(report.error.contains(QStringLiteral("nothing was changed")));
        QCOMPARE(committed(group)[std::make_pair(kOrders, 0)], 5);

        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished(30000));
    }

    void executesVerifiesAuditsAndUndoes()
    {
        const QString group = QStringLiteral("billing-exec");
        commitWithAdmin(group, kOrders, {{0, 8}, {1, 9}, {2, 10}});
        auto p = preview(request(group, kind(ReplayTarget::Kind::Offset, 2)));
        QVERIFY(p && p->preflight.passed);

        pw::AuditEntry entry;
        entry.actor = pw::replayActor();
        entry.sourceId = kSource;
        entry.reason = QStringLiteral("rebuild after the job stopped");
        std::vector<std::pair<qint64, qint64>> progress;
        pw::ExecuteOptions options;
        options.batchSize = 2;
        options.progress = [&](qint64 done, qint64 total) { progress.emplace_back(done, total); };
        auto executed = pw::executeAudited(*m_admin, *m_ledger, entry, p->plan, p->preflight, options);
        QVERIFY2(executed, qPrintable(executed ? QString() : executed.error().toString()));
        QCOMPARE(executed->report.outcome, QStringLiteral("executed-verified"));
        QCOMPARE(executed->report.batches, 2);
        QCOMPARE(progress, (std::vector<std::pair<qint64, qint64>> {{2, 3}, {3, 3}}));
        const auto now = committed(group);
        for (int32_t part = 0; part < 3; ++part)
            QCOMPARE(now.at({kOrders, part}), 2);
        for (const auto& po : executed->report.partitions) {
            QVERIFY(po.verified);
            QCOMPARE(po.after, 2);
        }

        auto stored = m_ledger->auditEntry(executed->auditId);
        QVERIFY(stored && *stored);
        QCOMPARE((*stored)->outcome, QStringLiteral("executed-verified"));
        QCOMPARE((*stored)->planHash, p->plan.hash);
        QCOMPARE((*stored)->reason, entry.reason);
        QCOMPARE((*stored)->group, group);
        const QJsonArray parts
            = QJsonDocument::fromJson((*stored)->details).object().value(QStringLiteral("partitions")).toArray();
        QCOMPARE(parts.size(), 3);
        QCOMPARE(parts[1].toObject().value(QStringLiteral("before")).toInteger(), 9);
        QCOMPARE(parts[1].toObject().value(QStringLiteral("after")).toInteger(), 2);
        QCOMPARE(parts[1].toObject().value(QStringLiteral("verified")).toBool(), true);

        // Undo: the before offsets, through the same preflight, recorded with undoOf.
        auto undo = pw::undoTargets(**stored);
        QVERIFY(undo);
        auto r = request(group, kind(ReplayTarget::Kind::FromFile));
        for (const auto& t : *undo)
            r.target.fileRows.push_back({t.topic, t.partition, t.offset});
        auto back = preview(r);
        QVERIFY(back && back->preflight.passed);
        QCOMPARE(targetsOf(back->plan), (std::vector<int64_t> {8, 9, 10}));
        entry.undoOf = executed->auditId;
        auto undone = pw::executeAudited(*m_admin, *m_ledger, entry, back->plan, back->preflight);
        QVERIFY(undone);
        QCOMPARE(undone->report.outcome, QStringLiteral("executed-verified"));
        QCOMPARE(committed(group).at({kOrders, 1}), 9);
        auto undoEntry = m_ledger->auditEntry(undone->auditId);
        QVERIFY(undoEntry && *undoEntry);
        QCOMPARE((*undoEntry)->undoOf, executed->auditId);
    }

    void undoRestoresNoCommittedOffset()
    {
        // The group had committed only partition 0; the replay gives partitions 1 and 2 their first offsets.
        const QString group = QStringLiteral("billing-first-commit");
        commitWithAdmin(group, kOrders, {{0, 8}});
        auto r = request(group, kind(ReplayTarget::Kind::Offset, 2));
        r.scope = *pw::parseReplayScope({QStringLiteral("orders")});
        auto p = preview(r);
        QVERIFY(p && p->preflight.passed);
        pw::AuditEntry entry;
        entry.actor = pw::replayActor();
        entry.sourceId = kSource;
        entry.reason = QStringLiteral("first commit");
        auto executed = pw::executeAudited(*m_admin, *m_ledger, entry, p->plan, p->preflight);
        QVERIFY(executed);
        QCOMPARE(executed->report.outcome, QStringLiteral("executed-verified"));
        QCOMPARE(committed(group).size(), size_t(3));

        // Undo: partition 0 back to 8, partitions 1 and 2 to no committed offset at all (OffsetDelete).
        auto stored = m_ledger->auditEntry(executed->auditId);
        QVERIFY(stored && *stored);
        auto undo = pw::undoTargets(**stored);
        QVERIFY(undo);
        auto back = request(group, kind(ReplayTarget::Kind::FromFile));
        for (const auto& t : *undo)
            back.target.fileRows.push_back({t.topic, t.partition, t.offset});
        auto plan = preview(back);
        QVERIFY2(plan && plan->preflight.passed, plan ? qPrintable(plan->preflight.refusal()) : "no preview");
        QCOMPARE(targetsOf(plan->plan), (std::vector<int64_t> {8, -1, -1}));
        entry.undoOf = executed->auditId;
        auto undone = pw::executeAudited(*m_admin, *m_ledger, entry, plan->plan, plan->preflight);
        QVERIFY(undone);
        QCOMPARE(undone->report.outcome, QStringLiteral("executed-verified"));
        const auto now = committed(group);
        QCOMPARE(now.size(), size_t(1));
        QCOMPARE(now.at({kOrders, 0}), 8);
    }

    void flinkJobCheckFromTheLedger()
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto poll = [&](const QString& group, int64_t offset, qint64 at) {
            m_ledger->recordPoll(kSource, QStringLiteral("cluster"), {{group, kOrders, 0, offset, 10, 0, at}}, {});
        };
        poll(QStringLiteral("flink-moving"), 3, now - 30000);
        poll(QStringLiteral("flink-moving"), 5, now - 20000);
        poll(QStringLiteral("flink-still"), 5, now - 30000);
        m_ledger->flush();

        pw::FlinkJobCheck moving {
            QStringLiteral("job-1"), QStringLiteral("aggregate"), QStringLiteral("FINISHED"), {}, false, 0};
        QVERIFY(pw::fillRecentCommits(*m_ledger, kSource, QStringLiteral("flink-moving"), now, 3, moving));
        QVERIFY(moving.recentOffsetCommits);
        QCOMPARE(moving.polledCommits, 2);
        pw::FlinkJobCheck still = moving;
        QVERIFY(pw::fillRecentCommits(*m_ledger, kSource, QStringLiteral("flink-still"), now, 3, still));
        QVERIFY(!still.recentOffsetCommits);

        // The check in a preview: a stopped job whose group still commits is refused, a quiet one passes.
        auto r = request(kBilling, kind(ReplayTarget::Kind::Earliest));
        r.flink = moving;
        auto p = preview(r);
        QVERIFY(p);
        QCOMPARE(failedChecks(*p), QStringList {QStringLiteral("flink-job-stopped")});
        r.flink = still;
        p = preview(r);
        QVERIFY(p && p->preflight.passed);
        r.flink->state = QStringLiteral("RUNNING");
        p = preview(r);
        QVERIFY(p);
        QVERIFY2(p->preflight.refusal().contains(QStringLiteral("is RUNNING")), qPrintable(p->preflight.refusal()));
    }

    void csvRoundTrip()
    {
        auto p = preview(request(kBilling, kind(ReplayTarget::Kind::ShiftBy, -3)));
        QVERIFY(p);
        std::vector<pw::OffsetsCsvRow> rows;
        for (const auto& part : p->plan.partitions)
            rows.push_back({part.topic, part.partition, part.target});
        const QString path = m_dir.filePath(QStringLiteral("plan.csv"));
        QVERIFY(pw::writeOffsetsCsvFile(path, rows));
        pw::ReplayTargetOptions o;
        o.fromFile = path;
        auto target = pw::parseReplayTarget(o, QDateTime::currentMSecsSinceEpoch());
        QVERIFY(target);
        auto again = preview(request(kBilling, *target));
        QVERIFY(again);
        QCOMPARE(targetsOf(again->plan), targetsOf(p->plan));
        QCOMPARE(again->plan.hash, p->plan.hash);
    }

    void brokerDyingMidwayIsReportedExactly()
    {
        QTemporaryDir dir;
        pw::broker::BrokerOptions options;
        options.dataDir = dir.path().toStdString();
        options.listenPort = 0;
        options.threads = 2;
        auto broker = pw::broker::Broker::start(options);
        QVERIFY(broker);
        pw::KafkaAdminConfig config;
        config.bootstrapServers = QString::fromStdString((*broker)->bootstrapServers());
        config.timeout = std::chrono::milliseconds(3000);
        auto admin = KafkaAdmin::create(config);
        QVERIFY(admin);
        QVERIFY((*admin)->createTopic(QStringLiteral("t"), 4));
        std::vector<KafkaAdmin::PartitionOffset> initial;
        for (int32_t p = 0; p < 4; ++p)
            initial.push_back({QStringLiteral("t"), p, 0, {}});
        QVERIFY((*admin)->alterGroupOffsets(QStringLiteral("g"), initial));
        pw::ReplayPlan plan;
        plan.group = QStringLiteral("g");
        for (int32_t p = 0; p < 4; ++p) {
            pw::PartitionPlan pp;
            pp.topic = QStringLiteral("t");
            pp.partition = p;
            pp.committed = 0;
            pp.target = 0; // the topic is empty: 0 is the only offset, so "changed" shows in the before/after only
            plan.partitions.push_back(pp);
        }
        pw::ExecuteOptions exec;
        exec.batchSize = 2;
        exec.progress = [&](qint64, qint64) { (*broker)->stop(); };
        const auto report = pw::executeReplayPlan(**admin, plan, exec);
        QCOMPARE(report.outcome, QStringLiteral("partly-applied"));
        QCOMPARE(report.exitCode(), int(pw::kExitFailed));
        QCOMPARE(report.batchesDone, 1);
        QCOMPARE(int(report.partitions[0].state), int(pw::PartitionOutcome::State::Applied));
        QCOMPARE(int(report.partitions[2].state), int(pw::PartitionOutcome::State::Unknown));
        QVERIFY(!report.partitions[0].verified);
        QVERIFY2(report.error.contains(QStringLiteral("batch 2 of 2 failed")), qPrintable(report.error));
        QVERIFY2(report.error.contains(QStringLiteral("2 partition(s) acknowledged, 2 may have changed, none could be "
                                                      "verified")),
            qPrintable(report.error));
    }

    void commandLine()
    {
        QVERIFY2(QFileInfo::exists(pathwatchBinary()), "build the pathwatch target first");
        m_ledger.reset(); // the command opens the same ledger
        const QStringList common {QStringLiteral("replay"), QStringLiteral("--bootstrap"), bootstrap(),
            QStringLiteral("--source"), kSource, QStringLiteral("--data-dir"), dataDir()};
        const QString group = QStringLiteral("billing-cli");
        commitWithAdmin(group, kOrders, {{0, 8}, {1, 9}, {2, 10}});

        QByteArray out;
        QCOMPARE(runPathwatch(
                     common + QStringList {QStringLiteral("--group"), group, QStringLiteral("--to-earliest")}, &out),
            0);
        QVERIFY(out.contains("Dry run: nothing was changed"));
        QVERIFY(out.contains("LOST TO RETENTION"));
        QCOMPARE(committed(group).at({kOrders, 0}), 8);

        // Usage errors: no group, --execute without --reason, a time in the future, a malformed CSV.
        QCOMPARE(runPathwatch(common + QStringList {QStringLiteral("--to-earliest")}), int(pw::kExitConfigError));
        QCOMPARE(runPathwatch(common
                     + QStringList {QStringLiteral("--group"), group, QStringLiteral("--to-earliest"),
                         QStringLiteral("--execute")}),
            int(pw::kExitConfigError));
        QByteArray err;
        QCOMPARE(runPathwatch(common
                         + QStringList {QStringLiteral("--group"), group, QStringLiteral("--to-datetime"),
                             QStringLiteral("2999-01-01T00:00:00Z")},
                     nullptr, &err),
            int(pw::kExitConfigError));
        QVERIFY(err.contains("in the future"));
        const QString bad = m_dir.filePath(QStringLiteral("bad.csv"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("orders,0,1\norders,x,2\n");
        f.close();
        QCOMPARE(
            runPathwatch(common + QStringList {QStringLiteral("--group"), group, QStringLiteral("--from-file"), bad},
                nullptr, &err),
            int(pw::kExitConfigError));
        QVERIFY2(err.contains("bad.csv:2:8:"), err.constData());

        // The cluster named by a config's kafka source (the example config, its bootstrap from the environment).
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PATHWATCH_KAFKA_BOOTSTRAP"), bootstrap());
        env.insert(QStringLiteral("PATHWATCH_KAFKA_GROUP"), group);
        env.insert(QStringLiteral("PATHWATCH_KAFKA_TOPIC"), kOrders);
        const QString example = QStringLiteral(PATHWATCH_SOURCE_DIR "/resources/examples/kafka.yaml");
        QCOMPARE(runPathwatch({QStringLiteral("replay"), QStringLiteral("--config"), example,
                                  QStringLiteral("--data-dir"), dataDir(), QStringLiteral("--group"), group,
                                  QStringLiteral("--to-offset"), QStringLiteral("1"), QStringLiteral("--json")},
                     &out, nullptr, env),
            0);
        QCOMPARE(lastJsonLine(out)
                     .value(QStringLiteral("plan"))
                     .toObject()
                     .value(QStringLiteral("total_to_replay"))
                     .toInteger(),
            7 + 8 + 9);
        QCOMPARE(runPathwatch({QStringLiteral("groups"), QStringLiteral("--config"), example}, &out, nullptr, env), 0);
        QVERIFY(out.contains("billing-cli"));
        QCOMPARE(
            runPathwatch({QStringLiteral("replay"), QStringLiteral("--config"), example, QStringLiteral("--bootstrap"),
                             bootstrap(), QStringLiteral("--group"), group, QStringLiteral("--to-latest")},
                nullptr, nullptr, env),
            int(pw::kExitConfigError));

        // A data dir that cannot be used: a preview of a target that needs no ledger goes on, an execution does not.
        const QString notADir = m_dir.filePath(QStringLiteral("not-a-dir"));
        QFile file(notADir);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        QStringList elsewhere = common;
        elsewhere[elsewhere.indexOf(dataDir())] = notADir;
        QCOMPARE(
            runPathwatch(elsewhere + QStringList {QStringLiteral("--group"), group, QStringLiteral("--to-earliest")},
                nullptr, &err),
            0);
        QVERIFY(err.contains("no ETA"));
        QCOMPARE(runPathwatch(elsewhere
                         + QStringList {QStringLiteral("--group"), group, QStringLiteral("--to-earliest"),
                             QStringLiteral("--execute"), QStringLiteral("--reason"), QStringLiteral("x")},
                     nullptr, &err),
            int(pw::kExitDataDir));
        QVERIFY(err.contains("the recovery ledger cannot be used"));
        QCOMPARE(committed(group).at({kOrders, 0}), 8);

        // Refused: a no-op, with JSON output.
        QCOMPARE(runPathwatch(common
                         + QStringList {QStringLiteral("--group"), group, QStringLiteral("--topic"),
                             QStringLiteral("orders:0"), QStringLiteral("--to-offset"), QStringLiteral("8"),
                             QStringLiteral("--json")},
                     &out),
            int(pw::kExitRefused));
        QCOMPARE(lastJsonLine(out).value(QStringLiteral("passed")).toBool(true), false);

        // Execute with export, then audit and undo.
        const QString exported = m_dir.filePath(QStringLiteral("exported.csv"));
        QCOMPARE(runPathwatch(common
                         + QStringList {QStringLiteral("--group"), group, QStringLiteral("--shift-by"),
                             QStringLiteral("-5"), QStringLiteral("--execute"), QStringLiteral("--reason"),
                             QStringLiteral("command-line test"), QStringLiteral("--export"), exported},
                     &out),
            0);
        QVERIFY(out.contains("executed-verified"));
        QCOMPARE(committed(group).at({kOrders, 2}), 5);
        auto rows = pw::readOffsetsCsvFile(exported);
        QVERIFY(rows);
        QCOMPARE(pw::formatOffsetsCsv(*rows), QByteArray("orders,0,3\norders,1,4\norders,2,5\n"));

        QCOMPARE(
            runPathwatch(
                {QStringLiteral("audit"), QStringLiteral("--data-dir"), dataDir(), QStringLiteral("--json")}, &out),
            0);
        const QJsonObject last = lastJsonLine(out);
        QCOMPARE(last.value(QStringLiteral("group")).toString(), group);
        QCOMPARE(last.value(QStringLiteral("outcome")).toString(), QStringLiteral("executed-verified"));
        QCOMPARE(last.value(QStringLiteral("reason")).toString(), QStringLiteral("command-line test"));
        QVERIFY(last.value(QStringLiteral("actor")).toString().contains(u'@'));
        const qint64 id = last.value(QStringLiteral("id")).toInteger();
        QVERIFY(id > 0);

        QCOMPARE(
            runPathwatch({QStringLiteral("replay"), QStringLiteral("--bootstrap"), bootstrap(),
                             QStringLiteral("--data-dir"), dataDir(), QStringLiteral("--undo"), QString::number(id),
                             QStringLiteral("--execute"), QStringLiteral("--reason"), QStringLiteral("undo the test")},
                &out),
            0);
        QCOMPARE(committed(group).at({kOrders, 2}), 10);
        QCOMPARE(
            runPathwatch(
                {QStringLiteral("audit"), QStringLiteral("--data-dir"), dataDir(), QStringLiteral("--json")}, &out),
            0);
        QCOMPARE(lastJsonLine(out).value(QStringLiteral("undo_of")).toInteger(), id);

        // Refused: an active group, its member named.
        QProcess holder;
        holder.start(kPython,
            {scriptPath(), QStringLiteral("hold"), QStringLiteral("--bootstrap"), bootstrap(),
                QStringLiteral("--topic"), kOrders, QStringLiteral("--group"), group, QStringLiteral("--client-id"),
                QStringLiteral("cli-holder")});
        QVERIFY(holder.waitForStarted());
        QVERIFY(pw::test::waitFor(
            [&] {
                holder.waitForReadyRead(100);
                return holder.peek(4096).contains("joined");
            },
            60000));
        QCOMPARE(runPathwatch(
                     common + QStringList {QStringLiteral("--group"), group, QStringLiteral("--to-earliest")}, &out),
            int(pw::kExitRefused));
        QVERIFY(out.contains("cli-holder on "));

        QCOMPARE(
            runPathwatch(
                {QStringLiteral("groups"), QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--json")}, &out),
            0);
        bool sawLive = false;
        for (const auto& line : out.trimmed().split('\n')) {
            const QJsonObject g = QJsonDocument::fromJson(line).object();
            if (g.value(QStringLiteral("group")).toString() == group) {
                sawLive = true;
                QCOMPARE(g.value(QStringLiteral("state")).toString(), QStringLiteral("Stable"));
                QCOMPARE(g.value(QStringLiteral("members")).toArray().size(), 1);
                QCOMPARE(g.value(QStringLiteral("lag")).toInteger(), 3); // 10-8 + 10-9 + 10-10
            }
        }
        QVERIFY(sawLive);
        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished(30000));
    }
};

QTEST_GUILESS_MAIN(TestReplay)
#include "tst_replay.moc"
