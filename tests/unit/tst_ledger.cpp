#include "ledger/ledger.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace pw;

namespace {

// 2024-01-01T00:00:00Z: every time in these tests is injected, so the answers are exact.
constexpr qint64 kT0 = 1704067200000;
constexpr qint64 kMinute = 60 * 1000;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kDay = 24 * kHour;

OffsetObservation obs(const QString& group, const QString& topic, int32_t partition, int64_t committed, int64_t high,
    int64_t logStart, qint64 atMs)
{
    return OffsetObservation {group, topic, partition, committed, high, logStart, atMs};
}

/// A clock the test moves by hand.
struct Clock
{
    std::shared_ptr<std::atomic<qint64>> now = std::make_shared<std::atomic<qint64>>(kT0);
    std::function<qint64()> function() const
    {
        return [n = now] { return n->load(); };
    }
    void set(qint64 t) { now->store(t); }
};

Transition stageTransition(const QString& stage, Severity from, Severity to, qint64 atMs, const QString& reason = {})
{
    Transition t;
    t.subject = Transition::Subject::Stage;
    t.id = stage;
    t.stageId = stage;
    t.from = from;
    t.to = to;
    t.reason = reason;
    t.atMs = atMs;
    return t;
}

QStringList dump(const std::vector<LedgerOffsetRow>& rows)
{
    QStringList out;
    for (const auto& r : rows)
        out << QStringLiteral("%1 %2[%3] c=%4 h=%5 l=%6 +%7s")
                   .arg(r.group, r.topic)
                   .arg(r.partition)
                   .arg(r.committedOffset)
                   .arg(r.highWatermark)
                   .arg(r.logStartOffset)
                   .arg((r.atMs - kT0) / 1000);
    return out;
}

int appendAuditChild(const QString& path, int count)
{
    auto ledger = Ledger::open(path);
    if (!ledger) {
        fprintf(stderr, "%s\n", qPrintable(ledger.error().toString()));
        return 2;
    }
    for (int i = 0; i < count; ++i) {
        AuditEntry e;
        e.actor = QStringLiteral("child@host");
        e.group = QStringLiteral("orders");
        e.target = QStringLiteral("--to-offset %1").arg(i);
        e.reason = QStringLiteral("from another process");
        e.outcome = QStringLiteral("executed-verified");
        e.details = QByteArrayLiteral("{}");
        auto id = (*ledger)->appendAudit(e);
        if (!id) {
            fprintf(stderr, "%s\n", qPrintable(id.error().toString()));
            return 3;
        }
    }
    return 0;
}

} // namespace

class TestLedger : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    Clock m_clock;

    Ledger::Options options() const
    {
        Ledger::Options o;
        o.clock = m_clock.function();
        o.maintenanceIntervalMs = std::numeric_limits<qint64>::max() / 2; // only when the test asks
        return o;
    }

    std::unique_ptr<Ledger> open(const QString& name, Ledger::Options o)
    {
        auto ledger = Ledger::open(m_dir.filePath(name), std::move(o));
        if (!ledger)
            qFatal("%s", qPrintable(ledger.error().toString()));
        return std::move(*ledger);
    }
    std::unique_ptr<Ledger> open(const QString& name) { return open(name, options()); }

    /// One poll every 5 s for `seconds`: partition 0 consumes 50 records a poll; partition 1 never changes.
    static void steadyPolls(Ledger& ledger, qint64 fromMs, int seconds, int64_t startOffset = 1000)
    {
        for (int s = 0; s < seconds; s += 5) {
            const qint64 at = fromMs + s * 1000LL;
            const int64_t c0 = startOffset + s / 5 * 50;
            ledger.recordPoll(QStringLiteral("kafka"), QStringLiteral("cluster-a"),
                {obs(QStringLiteral("orders"), QStringLiteral("events"), 0, c0, c0 + 10, 0, at),
                    obs(QStringLiteral("orders"), QStringLiteral("events"), 1, 7, 7, 0, at)},
                {});
        }
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void init() { m_clock.set(kT0); }

    void changedRowsPlusOnePerMinute()
    {
        auto ledger = open(QStringLiteral("change.sqlite"));
        // Partition 0 changes at +10 s only; partition 1 every poll for the first 15 s.
        for (int s = 0; s <= 150; s += 5) {
            const qint64 at = kT0 + s * 1000LL;
            ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("cluster-a"),
                {obs(QStringLiteral("g"), QStringLiteral("t"), 0, s >= 10 ? 20 : 10, 30, 0, at),
                    obs(QStringLiteral("g"), QStringLiteral("t"), 1, std::min(s, 15), 100, 0, at)},
                {});
        }
        ledger->flush();
        QVERIFY2(ledger->degradedReason().isEmpty(), qPrintable(ledger->degradedReason()));
        auto rows = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("g"), 0, kT0 + kDay);
        QVERIFY(rows);
        const QStringList expected {
            QStringLiteral("g t[0] c=10 h=30 l=0 +0s"),
            QStringLiteral("g t[1] c=0 h=100 l=0 +0s"),
            QStringLiteral("g t[1] c=5 h=100 l=0 +5s"),
            QStringLiteral("g t[0] c=20 h=30 l=0 +10s"),
            QStringLiteral("g t[1] c=10 h=100 l=0 +10s"),
            QStringLiteral("g t[1] c=15 h=100 l=0 +15s"),
            QStringLiteral("g t[0] c=20 h=30 l=0 +70s"), // unchanged: one a minute after the last row
            QStringLiteral("g t[1] c=15 h=100 l=0 +75s"),
            QStringLiteral("g t[0] c=20 h=30 l=0 +130s"),
            QStringLiteral("g t[1] c=15 h=100 l=0 +135s"),
        };
        QCOMPARE(dump(*rows), expected);
        QCOMPARE(rows->front().clusterId, QStringLiteral("cluster-a"));
        QCOMPARE(rows->front().sourceId, QStringLiteral("kafka"));
    }

    void offsetQueries()
    {
        auto ledger = open(QStringLiteral("queries.sqlite"));
        steadyPolls(*ledger, kT0, 300); // 5 minutes
        // Another group on the same topic, with a newer high watermark at +302 s.
        ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("cluster-a"),
            {obs(QStringLiteral("audit"), QStringLiteral("events"), 0, 5, 4000, 0, kT0 + 302000)}, {});
        ledger->flush();

        auto at = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 12000);
        QVERIFY2(at, at ? "" : qPrintable(at.error().toString()));
        QCOMPARE(dump(*at),
            QStringList({QStringLiteral("orders events[0] c=1100 h=1110 l=0 +10s"),
                QStringLiteral("orders events[1] c=7 h=7 l=0 +0s")}));

        auto before = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 - 1);
        QVERIFY(!before);
        QCOMPARE(before.error().code, Error::Code::NotFound);
        QVERIFY2(before.error().message.contains(QLatin1String("does not cover 2023-12-31T23:59:59.999Z")),
            qPrintable(before.error().message));
        auto unknown = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("nobody"), kT0 + kDay);
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().code, Error::Code::NotFound);

        auto high = ledger->highWatermarksAt(QStringLiteral("kafka"), QStringLiteral("events"), kT0 + kDay);
        QVERIFY(high);
        QCOMPARE(dump(*high),
            QStringList({QStringLiteral("audit events[0] c=5 h=4000 l=0 +302s"),
                QStringLiteral("orders events[1] c=7 h=7 l=0 +240s")}));

        auto history
            = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 5000, kT0 + 15000);
        QVERIFY(history);
        QCOMPARE(dump(*history),
            QStringList({QStringLiteral("orders events[0] c=1050 h=1060 l=0 +5s"),
                QStringLiteral("orders events[0] c=1100 h=1110 l=0 +10s"),
                QStringLiteral("orders events[0] c=1150 h=1160 l=0 +15s")}));

        // 50 records every 5 s on partition 0, nothing on partition 1: 10 records/s.
        auto rate = ledger->bestConsumeRate(QStringLiteral("kafka"), QStringLiteral("orders"));
        QVERIFY(rate);
        QVERIFY(rate->has_value());
        QCOMPARE(**rate, 10.0);
        auto noRate = ledger->bestConsumeRate(QStringLiteral("kafka"), QStringLiteral("audit"));
        QVERIFY(noRate);
        QVERIFY(!noRate->has_value());
    }

    void clusterIdsNeverMix()
    {
        auto ledger = open(QStringLiteral("clusters.sqlite"));
        ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("old-cluster"),
            {obs(QStringLiteral("g"), QStringLiteral("t"), 0, 500, 600, 0, kT0),
                obs(QStringLiteral("g"), QStringLiteral("t"), 1, 500, 600, 0, kT0)},
            {});
        ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("new-cluster"),
            {obs(QStringLiteral("g"), QStringLiteral("t"), 0, 3, 4, 0, kT0 + 5000)}, {});
        ledger->flush();
        auto at = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("g"), kT0 + 5000);
        QVERIFY(at);
        QCOMPARE(dump(*at), QStringList({QStringLiteral("g t[0] c=3 h=4 l=0 +5s")}));
        QCOMPARE(at->front().clusterId, QStringLiteral("new-cluster"));
        auto earlier = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("g"), kT0 + 4999);
        QVERIFY(earlier);
        QCOMPARE(earlier->size(), size_t(2));
        QCOMPARE(earlier->front().clusterId, QStringLiteral("old-cluster"));
    }

    void checkpoints()
    {
        auto ledger = open(QStringLiteral("checkpoints.sqlite"));
        auto cp = [](qint64 id, const char* status, qint64 trigger, qint64 completion, qint64 duration) {
            CheckpointObservation c;
            c.jobId = QStringLiteral("job1");
            c.jobName = QStringLiteral("aggregate");
            c.checkpointId = id;
            c.status = QString::fromLatin1(status);
            c.triggerMs = trigger;
            c.completionMs = completion;
            c.durationMs = duration;
            c.sizeBytes = id * 100;
            c.externalPath = completion ? QStringLiteral("file:/cp/chk-%1").arg(id) : QString();
            c.observedMs = trigger + 1;
            return c;
        };
        ledger->recordPoll(QStringLiteral("flink"), {}, {},
            {cp(1, "COMPLETED", kT0, kT0 + 1000, 1000), cp(2, "FAILED", kT0 + 60000, 0, 5000),
                cp(3, "IN_PROGRESS", kT0 + 120000, 0, 0)});
        // The next poll sees checkpoint 3 completed: the same row, updated.
        ledger->recordPoll(QStringLiteral("flink"), {}, {},
            {cp(3, "COMPLETED", kT0 + 120000, kT0 + 121500, 1500), cp(4, "IN_PROGRESS", kT0 + 180000, 0, 0)});
        ledger->flush();

        auto all = ledger->checkpointsBefore(QStringLiteral("flink"), QStringLiteral("job1"), kT0 + kDay, 10);
        QVERIFY(all);
        QStringList ids;
        for (const auto& r : *all)
            ids << QStringLiteral("%1:%2").arg(r.checkpoint.checkpointId).arg(r.checkpoint.status);
        QCOMPARE(ids,
            QStringList({QStringLiteral("3:COMPLETED"), QStringLiteral("2:FAILED"), QStringLiteral("1:COMPLETED")}));
        auto beforeThird = ledger->checkpointsBefore(QStringLiteral("flink"), QStringLiteral("job1"), kT0 + 121500, 1);
        QVERIFY(beforeThird);
        QCOMPARE(beforeThird->size(), size_t(1));
        QCOMPARE(beforeThird->front().checkpoint.checkpointId, qint64(2));

        auto third = ledger->checkpoint(QStringLiteral("flink"), QStringLiteral("job1"), 3);
        QVERIFY(third && third->has_value());
        const CheckpointObservation& c = (*third)->checkpoint;
        QCOMPARE(c.status, QStringLiteral("COMPLETED"));
        QCOMPARE(c.completionMs, kT0 + 121500);
        QCOMPARE(c.durationMs, qint64(1500));
        QCOMPARE(c.sizeBytes, qint64(300));
        QCOMPARE(c.externalPath, QStringLiteral("file:/cp/chk-3"));
        QCOMPARE(c.jobName, QStringLiteral("aggregate"));
        QCOMPARE(c.triggerMs, kT0 + 120000);
        auto missing = ledger->checkpoint(QStringLiteral("flink"), QStringLiteral("job1"), 99);
        QVERIFY(missing && !missing->has_value());
    }

    void incidents()
    {
        auto ledger = open(QStringLiteral("incidents.sqlite"));
        ledger->recordTransitions({stageTransition(QStringLiteral("sink"), Severity::Unknown, Severity::Ok, kT0),
            stageTransition(QStringLiteral("compute"), Severity::Unknown, Severity::Ok, kT0)});
        ledger->recordTransitions({stageTransition(
            QStringLiteral("sink"), Severity::Ok, Severity::Warn, kT0 + 1000, QStringLiteral("slow"))});
        ledger->recordTransitions(
            {stageTransition(QStringLiteral("sink"), Severity::Warn, Severity::Crit, kT0 + 2000)});
        ledger->recordTransitions({stageTransition(QStringLiteral("sink"), Severity::Crit, Severity::Warn, kT0 + 3000),
            stageTransition(
                QStringLiteral("compute"), Severity::Ok, Severity::Stale, kT0 + 3000, QStringLiteral("down"))});
        ledger->recordTransitions({stageTransition(QStringLiteral("sink"), Severity::Warn, Severity::Ok, kT0 + 4000)});
        ledger->recordTransitions({stageTransition(
            QStringLiteral("sink"), Severity::Ok, Severity::Warn, kT0 + 5000, QStringLiteral("again"))});
        ledger->flush();

        auto list = ledger->incidents(0, kT0 + kDay);
        QVERIFY(list);
        QStringList seen;
        for (const Incident& i : *list)
            seen << QStringLiteral("%1 %2 %3-%4 %5 %6")
                        .arg(i.id)
                        .arg(i.stageId)
                        .arg(i.startMs - kT0)
                        .arg(i.endMs ? i.endMs - kT0 : -1)
                        .arg(severityName(i.worst), i.reason);
        QCOMPARE(seen,
            QStringList({QStringLiteral("1 sink 1000-4000 CRIT slow"), QStringLiteral("2 compute 3000--1 STALE down"),
                QStringLiteral("3 sink 5000--1 WARN again")}));

        auto window = ledger->incidents(kT0 + 4500, kT0 + 4600);
        QVERIFY(window);
        QCOMPARE(window->size(), size_t(1)); // only the open compute incident overlaps
        QCOMPARE(window->front().stageId, QStringLiteral("compute"));

        auto one = ledger->incident(1);
        QVERIFY(one && one->has_value());
        QCOMPARE((*one)->startMs, kT0 + 1000);
        auto newest = ledger->newestOpenIncident({});
        QVERIFY(newest && newest->has_value());
        QCOMPARE((*newest)->id, qint64(3));
        auto ofCompute = ledger->newestOpenIncident({QStringLiteral("compute"), QStringLiteral("serving")});
        QVERIFY(ofCompute && ofCompute->has_value());
        QCOMPARE((*ofCompute)->id, qint64(2));
        auto ofServing = ledger->newestOpenIncident({QStringLiteral("serving")});
        QVERIFY(ofServing && !ofServing->has_value());
    }

    void transitionsRoundTrip()
    {
        auto ledger = open(QStringLiteral("transitions.sqlite"));
        Transition signal;
        signal.subject = Transition::Subject::Signal;
        signal.id = QStringLiteral("sink/p99");
        signal.stageId = QStringLiteral("sink");
        signal.labels
            = {{QStringLiteral("quantile"), QStringLiteral("0.99")}, {QStringLiteral("topic"), QStringLiteral("a\"b")}};
        signal.from = Severity::Ok;
        signal.to = Severity::Crit;
        signal.value = 7.25;
        signal.unit = QStringLiteral("s");
        signal.reason = QStringLiteral("7.25 s ≥ crit 5.00 s");
        signal.atMs = kT0 + 10;
        Transition source;
        source.subject = Transition::Subject::Source;
        source.id = QStringLiteral("prom");
        source.from = Severity::Unknown;
        source.to = Severity::Stale;
        source.reason = QStringLiteral("connection refused");
        source.atMs = kT0 + 20;
        ledger->recordTransitions({signal, source});
        ledger->flush();
        auto back = ledger->transitions(kT0, kT0 + 20);
        QVERIFY(back);
        QCOMPARE(back->size(), size_t(2));
        const Transition& a = (*back)[0];
        QCOMPARE(a.subject, Transition::Subject::Signal);
        QCOMPARE(a.id, signal.id);
        QCOMPARE(a.stageId, signal.stageId);
        QCOMPARE(a.labels, signal.labels);
        QCOMPARE(a.from, Severity::Ok);
        QCOMPARE(a.to, Severity::Crit);
        QCOMPARE(a.value, std::optional<double>(7.25));
        QCOMPARE(a.unit, signal.unit);
        QCOMPARE(a.reason, signal.reason);
        QCOMPARE(a.atMs, signal.atMs);
        const Transition& b = (*back)[1];
        QCOMPARE(b.subject, Transition::Subject::Source);
        QVERIFY(!b.value);
        QVERIFY(b.labels.empty());
        QCOMPARE(b.to, Severity::Stale);
        auto none = ledger->transitions(kT0 + 21, kT0 + kDay);
        QVERIFY(none && none->empty());
    }

    void packingKeepsAnswers()
    {
        auto ledger = open(QStringLiteral("packing.sqlite"));
        steadyPolls(*ledger, kT0, 2 * 3600); // two hours
        ledger->flush();
        auto before = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("orders"), 0, kT0 + kDay);
        auto atBefore
            = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 3600 * 1000 + 2500);
        QVERIFY(before && atBefore);
        m_clock.set(kT0 + 2 * kHour + 1000); // both hours are over: they get packed
        ledger->runMaintenance();
        ledger->flush();
        QVERIFY2(ledger->degradedReason().isEmpty(), qPrintable(ledger->degradedReason()));
        auto after = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("orders"), 0, kT0 + kDay);
        auto atAfter
            = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 3600 * 1000 + 2500);
        QVERIFY(after && atAfter);
        QCOMPARE(dump(*after), dump(*before));
        QCOMPARE(dump(*atAfter), dump(*atBefore));
        QCOMPARE(dump(*atAfter).front(), QStringLiteral("orders events[0] c=37000 h=37010 l=0 +3600s"));
        QCOMPARE(rowCount(ledger->path(), "offset_rows"), 0);
        QCOMPARE(rowCount(ledger->path(), "offset_chunks"), 4); // two partitions, two hours
    }

    void thinningAndRetention()
    {
        Ledger::Options o = options();
        o.retentionMs = 3 * kDay;
        auto ledger = open(QStringLiteral("thin.sqlite"), o);
        // An hour of polls in which partition 0's committed offset goes back once (a replay).
        for (int s = 0; s < 3600; s += 5) {
            const qint64 at = kT0 + s * 1000LL;
            const int64_t c = s < 1800 ? 1000 + s : 500 + s;
            ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("c"),
                {obs(QStringLiteral("orders"), QStringLiteral("events"), 0, c, 5000 + s, 0, at)}, {});
        }
        // A poll two days later (it has its own chunk, newer than the thinning age).
        ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("c"),
            {obs(QStringLiteral("orders"), QStringLiteral("events"), 0, 9000, 9000, 0, kT0 + 2 * kDay)}, {});
        ledger->flush();
        m_clock.set(kT0 + 2 * kDay + kHour);
        ledger->runMaintenance();
        ledger->flush();
        QVERIFY2(ledger->degradedReason().isEmpty(), qPrintable(ledger->degradedReason()));
        auto rows = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("orders"), 0, kT0 + kDay);
        QVERIFY(rows);
        // One row per 10 minutes, the two rows around the backwards step, and the hour's last row.
        QCOMPARE(dump(*rows),
            QStringList({QStringLiteral("orders events[0] c=1000 h=5000 l=0 +0s"),
                QStringLiteral("orders events[0] c=1600 h=5600 l=0 +600s"),
                QStringLiteral("orders events[0] c=2200 h=6200 l=0 +1200s"),
                QStringLiteral("orders events[0] c=2795 h=6795 l=0 +1795s"),
                QStringLiteral("orders events[0] c=2300 h=6800 l=0 +1800s"),
                QStringLiteral("orders events[0] c=2900 h=7400 l=0 +2400s"),
                QStringLiteral("orders events[0] c=3500 h=8000 l=0 +3000s"),
                QStringLiteral("orders events[0] c=4095 h=8595 l=0 +3595s")}));
        auto newest = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 3 * kDay);
        QVERIFY(newest);
        QCOMPARE(newest->front().committedOffset, int64_t(9000));

        // Past the retention, the old hour goes; the newer poll stays.
        m_clock.set(kT0 + 3 * kDay + 2 * kHour);
        ledger->runMaintenance();
        ledger->flush();
        auto old = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + kDay);
        QVERIFY(!old);
        QCOMPARE(old.error().code, Error::Code::NotFound);
        auto kept = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 3 * kDay);
        QVERIFY(kept);
        QCOMPARE(kept->front().committedOffset, int64_t(9000));
    }

    void sizeCap()
    {
        Ledger::Options o = options();
        o.maxBytes = 256 * 1024;
        auto ledger = open(QStringLiteral("cap.sqlite"), o);
        // 200 partitions, six hours of irregularly growing offsets: several MB unpacked, over the cap packed too.
        quint32 noise = 12345;
        auto next = [&noise] { return (noise = noise * 1664525u + 1013904223u) >> 26; };
        std::vector<int64_t> committed(200, 1000);
        for (int s = 0; s < 6 * 3600; s += 30) {
            std::vector<OffsetObservation> poll;
            for (int p = 0; p < 200; ++p) {
                committed[size_t(p)] += next();
                poll.push_back(obs(QStringLiteral("g"), QStringLiteral("t"), p, committed[size_t(p)],
                    committed[size_t(p)] + next(), 0, kT0 + s * 1000LL));
            }
            ledger->recordPoll(QStringLiteral("kafka"), QStringLiteral("c"), poll, {});
        }
        ledger->flush();
        m_clock.set(kT0 + 6 * kHour + 1000);
        ledger->runMaintenance();
        ledger->flush();
        QVERIFY2(ledger->degradedReason().isEmpty(), qPrintable(ledger->degradedReason()));
        QVERIFY2(ledger->sizeBytes() <= o.maxBytes, qPrintable(QString::number(ledger->sizeBytes())));
        // The newest hour is still there, the oldest is gone.
        auto newest = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("g"), kT0 + 6 * kHour);
        QVERIFY(newest);
        QCOMPARE(newest->size(), size_t(200));
        QCOMPARE(newest->front().atMs, kT0 + 6 * kHour - 30000);
        auto oldest = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("g"), kT0 + 10000);
        QVERIFY(!oldest);
        QVERIFY2(ledger->sizeBytes() > o.maxBytes / 2, qPrintable(QString::number(ledger->sizeBytes())));
    }

    void reopenKeepsEverything()
    {
        const QString name = QStringLiteral("reopen.sqlite");
        {
            auto ledger = open(name);
            steadyPolls(*ledger, kT0, 60);
            ledger->recordTransitions(
                {stageTransition(QStringLiteral("sink"), Severity::Ok, Severity::Crit, kT0 + 1, QStringLiteral("x"))});
            AuditEntry e;
            e.actor = QStringLiteral("me@here");
            e.group = QStringLiteral("orders");
            e.outcome = QStringLiteral("refused");
            auto appended = ledger->appendAudit(e);
            QVERIFY2(appended, appended ? "" : qPrintable(appended.error().toString()));
            // Destroyed without flush(): queued writes still land.
        }
        auto ledger = open(name);
        auto rows = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("orders"), 0, kT0 + kDay);
        QVERIFY(rows);
        QCOMPARE(rows->size(), size_t(12 + 1)); // partition 0 every poll, partition 1 once
        auto incident = ledger->newestOpenIncident({});
        QVERIFY(incident && incident->has_value());
        auto audit = ledger->auditEntries();
        QVERIFY(audit);
        QCOMPARE(audit->size(), size_t(1));
        // After a restart the change-only memory is empty: the first poll writes a row, then changes only.
        steadyPolls(*ledger, kT0 + 60000, 10, 1600);
        ledger->flush();
        rows = ledger->offsetHistory(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 60000, kT0 + kDay);
        QVERIFY(rows);
        QCOMPARE(dump(*rows),
            QStringList({QStringLiteral("orders events[0] c=1600 h=1610 l=0 +60s"),
                QStringLiteral("orders events[1] c=7 h=7 l=0 +60s"),
                QStringLiteral("orders events[0] c=1650 h=1660 l=0 +65s")}));
    }

    void audit()
    {
        auto ledger = open(QStringLiteral("audit.sqlite"));
        AuditEntry e;
        e.atMs = kT0;
        e.actor = QStringLiteral("ops@box");
        e.sourceId = QStringLiteral("kafka");
        e.clusterId = QStringLiteral("c1");
        e.group = QStringLiteral("orders");
        e.target = QStringLiteral("--to-last-trusted --incident 3");
        e.reason = QStringLiteral("sink double counted");
        e.planHash = QStringLiteral("abc123");
        e.outcome = QStringLiteral("started");
        e.details = QByteArrayLiteral(R"({"partitions":[]})");
        auto id = ledger->appendAudit(e);
        QVERIFY(id);
        e.atMs = kT0 + 1000;
        e.undoOf = *id;
        auto undo = ledger->appendAudit(e);
        QVERIFY(undo);
        QCOMPARE(*undo, *id + 1);
        QVERIFY(ledger->updateAuditOutcome(*id, QStringLiteral("executed-verified"), QByteArrayLiteral(R"({"ok":1})")));
        auto missing = ledger->updateAuditOutcome(999, QStringLiteral("x"), {});
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, Error::Code::NotFound);

        auto first = ledger->auditEntry(*id);
        QVERIFY(first && first->has_value());
        const AuditEntry& f = **first;
        QCOMPARE(f.outcome, QStringLiteral("executed-verified"));
        QCOMPARE(f.details, QByteArrayLiteral(R"({"ok":1})"));
        QCOMPARE(f.actor, e.actor);
        QCOMPARE(f.target, e.target);
        QCOMPARE(f.reason, e.reason);
        QCOMPARE(f.planHash, e.planHash);
        QCOMPARE(f.clusterId, e.clusterId);
        QCOMPARE(f.atMs, kT0);
        QCOMPARE(f.undoOf, qint64(0));
        auto entries = ledger->auditEntries(kT0 + 1, 0);
        QVERIFY(entries);
        QCOMPARE(entries->size(), size_t(1));
        QCOMPARE(entries->front().undoOf, *id);

        // The file refuses to rewrite or delete history, whoever opens it.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw-audit"));
            db.setDatabaseName(ledger->path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(!q.exec(QStringLiteral("UPDATE audit SET actor = 'someone else'")));
            QVERIFY(q.lastError().text().contains(QLatin1String("append-only")));
            QVERIFY(!q.exec(QStringLiteral("DELETE FROM audit")));
            QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM audit")) && q.next());
            QCOMPARE(q.value(0).toInt(), 2);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("raw-audit"));
    }

    void auditFromAnotherProcessWhileWriting()
    {
        auto ledger = open(QStringLiteral("shared.sqlite"));
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(),
            {QStringLiteral("--append-audit"), ledger->path(), QStringLiteral("50")});
        QVERIFY(child.waitForStarted());
        int polls = 0;
        // Keep the engine side writing for as long as the other process appends.
        while (child.state() != QProcess::NotRunning || polls < 20) {
            steadyPolls(*ledger, kT0 + polls * 5000LL, 5, 1000 + polls * 50);
            ledger->flush();
            ++polls;
            child.waitForFinished(1);
        }
        QCOMPARE(child.exitStatus(), QProcess::NormalExit);
        QCOMPARE(child.exitCode(), 0);
        QVERIFY2(ledger->degradedReason().isEmpty(), qPrintable(ledger->degradedReason()));
        auto entries = ledger->auditEntries();
        QVERIFY(entries);
        QCOMPARE(entries->size(), size_t(50));
        QCOMPARE(entries->back().actor, QStringLiteral("child@host"));
        QCOMPARE(entries->back().target, QStringLiteral("--to-offset 49"));
        auto at = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + kDay);
        QVERIFY(at);
        QCOMPARE(at->front().committedOffset, int64_t(1000 + (polls - 1) * 50));
    }

    void concurrentReads()
    {
        auto ledger = open(QStringLiteral("concurrent.sqlite"));
        steadyPolls(*ledger, kT0, 600);
        ledger->flush();
        std::atomic<int> failures {0};
        std::atomic<int> answers {0};
        std::atomic<bool> writing {true};
        std::vector<std::thread> readers;
        for (int r = 0; r < 4; ++r)
            readers.emplace_back([&] {
                for (int i = 0; i < 50; ++i) {
                    auto rows
                        = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + 300000);
                    if (!rows || rows->size() != 2 || (*rows)[0].committedOffset != 1000 + 60 * 50)
                        ++failures;
                    else
                        ++answers;
                }
            });
        std::thread writer([&] {
            steadyPolls(*ledger, kT0 + 600000, 600, 5000);
            ledger->flush();
            writing = false;
        });
        for (auto& t : readers)
            t.join();
        writer.join();
        QCOMPARE(failures.load(), 0);
        QCOMPARE(answers.load(), 200);
        QVERIFY(ledger->degradedReason().isEmpty());
    }

    void corruptFileIsReportedAndKept()
    {
        const QString path = m_dir.filePath(QStringLiteral("corrupt.sqlite"));
        QByteArray garbage;
        for (int i = 0; i < 8192; ++i)
            garbage.append(char((i * 7919) % 251));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(garbage);
        }
        auto ledger = Ledger::open(path);
        QVERIFY(!ledger);
        QCOMPARE(ledger.error().code, Error::Code::Io);
        QVERIFY2(ledger.error().message.contains(QLatin1String("corrupt or not a SQLite database")),
            qPrintable(ledger.error().message));
        QVERIFY(ledger.error().message.contains(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), garbage);
    }

    void unwritableDirectory()
    {
        // Root ignores permission bits; a directory of /proc refuses new files to everyone.
        QTemporaryDir dir;
        QString path = dir.filePath(QStringLiteral("ro"));
        QVERIFY(QDir().mkpath(path));
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::ExeOwner);
        if (QFileInfo(path).isWritable())
            path = QStringLiteral("/proc/self");
        auto ledger = Ledger::open(path);
        QVERIFY(!ledger);
        QCOMPARE(ledger.error().code, Error::Code::Io);
        QVERIFY2(ledger.error().message.contains(QLatin1String("not writable")), qPrintable(ledger.error().message));
        QFile::setPermissions(dir.filePath(QStringLiteral("ro")),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

        auto missing = Ledger::open(m_dir.filePath(QStringLiteral("no/such/dir/ledger.sqlite")));
        QVERIFY(!missing);
        QVERIFY(missing.error().message.contains(QLatin1String("does not exist")));
    }

    void lockedFile()
    {
        const QString name = QStringLiteral("locked.sqlite");
        Ledger::Options o = options();
        o.busyTimeoutMs = 100;
        auto ledger = open(name, o);
        steadyPolls(*ledger, kT0, 10);
        ledger->flush();
        {
            // Another process holds the write lock: writes fail and say so, nothing crashes, reads go on.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("locker"));
            db.setDatabaseName(ledger->path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("BEGIN IMMEDIATE")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_version(version) VALUES(1)")));
            steadyPolls(*ledger, kT0 + 10000, 10, 9000);
            ledger->flush();
            QVERIFY2(ledger->degradedReason().contains(QLatin1String("locked")), qPrintable(ledger->degradedReason()));
            auto rows = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + kDay);
            QVERIFY(rows);
            QCOMPARE(rows->front().committedOffset, int64_t(1050));
            AuditEntry e;
            e.actor = QStringLiteral("x");
            auto audit = ledger->appendAudit(e);
            QVERIFY(!audit);
            QVERIFY2(audit.error().message.contains(QLatin1String("locked")), qPrintable(audit.error().message));
            QVERIFY(q.exec(QStringLiteral("ROLLBACK")));

            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("locker"));
        {
            // Exclusive locking mode keeps even readers out: opening then says who is in the way.
            const QString other = m_dir.filePath(QStringLiteral("exclusive.sqlite"));
            QVERIFY(Ledger::open(other, o));
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("locker"));
            db.setDatabaseName(other);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA locking_mode=EXCLUSIVE")));
            QVERIFY2(q.exec(QStringLiteral("BEGIN EXCLUSIVE")), qPrintable(q.lastError().text()));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_version(version) VALUES(1)")));
            QVERIFY(q.exec(QStringLiteral("COMMIT")));
            auto second = Ledger::open(other, o);
            QVERIFY(!second);
            QVERIFY2(second.error().message.contains(QLatin1String("locked by another process")),
                qPrintable(second.error().message));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("locker"));
        // Released: the next poll is written and the ledger is no longer degraded.
        steadyPolls(*ledger, kT0 + 20000, 5, 2000);
        ledger->flush();
        QVERIFY2(ledger->degradedReason().isEmpty(), qPrintable(ledger->degradedReason()));
        auto rows = ledger->committedOffsetsAt(QStringLiteral("kafka"), QStringLiteral("orders"), kT0 + kDay);
        QVERIFY(rows);
        QCOMPARE(rows->front().committedOffset, int64_t(2000));
    }

    void openAsDirectory()
    {
        QTemporaryDir dir;
        auto ledger = Ledger::open(dir.path());
        QVERIFY(ledger);
        QCOMPARE((*ledger)->path(), QDir(dir.path()).filePath(QStringLiteral("ledger.sqlite")));
        QVERIFY(QFileInfo::exists((*ledger)->path()));
    }

private:
    static int rowCount(const QString& path, const char* table)
    {
        int n = -1;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("count"));
            db.setDatabaseName(path);
            if (db.open()) {
                QSqlQuery q(db);
                if (q.exec(QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table)) && q.next())
                    n = q.value(0).toInt();
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("count"));
        return n;
    }
};

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    // The second process of auditFromAnotherProcessWhileWriting.
    if (argc == 4 && qstrcmp(argv[1], "--append-audit") == 0)
        return appendAuditChild(QString::fromLocal8Bit(argv[2]), atoi(argv[3]));
    TestLedger test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ledger.moc"
