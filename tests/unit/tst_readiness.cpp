// The readiness judgement: a mart with every piece of evidence passes every layer; taking one piece away (or making
// it old, failed or unreadable) moves exactly the layer that depends on it, with a sentence that says why.
#include "presentation/readinesstext.h"
#include "readiness/readiness.h"

#include <QJsonArray>
#include <QTest>

using namespace pw;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;
constexpr qint64 kMinute = 60'000;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kDay = 24 * kHour;

WatchedSignal signal(const char* id, SignalKind kind, bool thresholds = true)
{
    const QString full = QString::fromLatin1(id);
    return WatchedSignal {full, full.section(QLatin1Char('/'), 0, 0), full.section(QLatin1Char('/'), 1), kind,
        QStringLiteral("x"), thresholds};
}

/// Everything a production-ready mart shows.
ReadinessEvidence readyMart()
{
    ReadinessEvidence e;
    e.collectedMs = kNow;
    e.recoveryWindowMs = 6 * kHour;
    e.watchedSignals = {signal("source_log/consumer_lag", SignalKind::ConsumerLag),
        signal("compute/checkpoint_age", SignalKind::CheckpointAge),
        signal("serving/freshness", SignalKind::DashboardFreshness),
        signal("serving/completeness", SignalKind::Custom)};
    RecoveryConfig recovery;
    recovery.group = QStringLiteral("aggregate");
    recovery.kafkaSourceId = QStringLiteral("kafka");
    e.recoveries = {recovery};
    ReconcileConfig reconcile;
    reconcile.name = QStringLiteral("dual-run");
    e.reconcileEntries = {reconcile};
    e.watchesStreamJob = true;

    TopicEvidence t;
    t.sourceId = QStringLiteral("kafka");
    t.topic = QStringLiteral("events");
    t.retentionMs = 7 * kDay;
    t.retentionBytes = -1;
    t.minInsyncReplicas = 2;
    t.uncleanLeaderElection = false;
    t.cleanupPolicy = QStringLiteral("delete");
    t.replicationFactor = 3;
    t.brokers = 3;
    e.topics = {t};

    LedgerCheckpointRow checkpoint;
    checkpoint.checkpoint.jobName = QStringLiteral("aggregate");
    checkpoint.checkpoint.checkpointId = 42;
    checkpoint.checkpoint.status = QStringLiteral("COMPLETED");
    checkpoint.checkpoint.triggerMs = kNow - kMinute - 1000;
    checkpoint.checkpoint.completionMs = kNow - kMinute;
    LedgerCheckpointRow savepoint = checkpoint;
    savepoint.checkpoint.checkpointId = 7;
    savepoint.checkpoint.savepoint = true;
    savepoint.checkpoint.completionMs = kNow - kDay;
    savepoint.checkpoint.externalPath = QStringLiteral("file:///savepoints/sp-7");
    e.checkpoints = {checkpoint, savepoint};

    AuditEntry audit;
    audit.id = 1;
    audit.atMs = kNow - 2 * kDay;
    audit.actor = QStringLiteral("sre@host");
    audit.group = QStringLiteral("aggregate");
    audit.reason = QStringLiteral("rehearsal of fault stop-job");
    audit.outcome = QStringLiteral("executed-verified");
    e.audits = {audit};

    VerificationRecord rehearsal;
    rehearsal.kind = VerificationRecord::Kind::Rehearsal;
    rehearsal.atMs = kNow - 3 * kDay;
    rehearsal.name = QStringLiteral("stop-job");
    rehearsal.passed = true;
    rehearsal.summary = QStringLiteral("12 windows match");
    e.rehearsals = {rehearsal};
    VerificationRecord reconciliation;
    reconciliation.kind = VerificationRecord::Kind::Reconciliation;
    reconciliation.atMs = kNow - kHour;
    reconciliation.name = QStringLiteral("dual-run");
    reconciliation.passed = true;
    reconciliation.summary = QStringLiteral("60 windows: 60 matched");
    e.reconciliations = {reconciliation};
    return e;
}

/// Takes one piece of evidence away, by name.
void change(ReadinessEvidence& e, const QString& what)
{
    TopicEvidence& topic = e.topics.front();
    if (what == QLatin1String("no rehearsal"))
        e.rehearsals.clear();
    else if (what == QLatin1String("old rehearsal"))
        e.rehearsals.front().atMs = kNow - 40 * kDay;
    else if (what == QLatin1String("latest rehearsal failed")) {
        VerificationRecord failed = e.rehearsals.front();
        failed.atMs = kNow - kHour;
        failed.passed = false;
        failed.summary = QStringLiteral("the serving table is not right");
        e.rehearsals.insert(e.rehearsals.begin(), failed);
    } else if (what == QLatin1String("short retention"))
        topic.retentionMs = 4 * kHour;
    else if (what == QLatin1String("retention bytes"))
        topic.retentionBytes = 1LL << 30;
    else if (what == QLatin1String("compacted"))
        topic.cleanupPolicy = QStringLiteral("compact");
    else if (what == QLatin1String("topic unreadable"))
        e.topics = {TopicEvidence {QStringLiteral("kafka"), QStringLiteral("events"),
            QStringLiteral("Broker: Topic authorization failed"), {}, {}, {}, {}, {}, 0, 0}};
    else if (what == QLatin1String("no topic"))
        e.topics.clear();
    else if (what == QLatin1String("no lag signal"))
        e.watchedSignals.erase(e.watchedSignals.begin());
    else if (what == QLatin1String("lag without thresholds"))
        e.watchedSignals.front().hasThresholds = false;
    else if (what == QLatin1String("no recovery entry"))
        e.recoveries.clear();
    else if (what == QLatin1String("no stream job"))
        e.watchesStreamJob = false;
    else if (what == QLatin1String("no checkpoint"))
        e.checkpoints.erase(e.checkpoints.begin());
    else if (what == QLatin1String("old checkpoint"))
        e.checkpoints.front().checkpoint.completionMs = kNow - kHour;
    else if (what == QLatin1String("no savepoint"))
        e.checkpoints.pop_back();
    else if (what == QLatin1String("savepoint in the audit log only")) {
        e.checkpoints.pop_back();
        e.audits.front().details = R"({"flink":{"savepoint":"file:///savepoints/sp-9"}})";
    } else if (what == QLatin1String("no freshness signal"))
        e.watchedSignals.erase(e.watchedSignals.begin() + 2);
    else if (what == QLatin1String("no completeness signal"))
        e.watchedSignals.pop_back();
    else if (what == QLatin1String("replication factor 1")) {
        topic.replicationFactor = 1;
        topic.brokers = 1;
    } else if (what == QLatin1String("shared storage declared")) {
        topic.replicationFactor = 1;
        e.settings.sharedStorage = true;
    } else if (what == QLatin1String("min isr 1"))
        topic.minInsyncReplicas = 1;
    else if (what == QLatin1String("min isr equals replicas"))
        topic.minInsyncReplicas = 3;
    else if (what == QLatin1String("unclean election"))
        topic.uncleanLeaderElection = true;
    else if (what == QLatin1String("no audit"))
        e.audits.clear();
    else if (what == QLatin1String("audit without reason"))
        e.audits.front().reason.clear();
    else if (what == QLatin1String("ledger unreadable"))
        e.ledgerError = QStringLiteral("the ledger is locked by another process");
    else if (what == QLatin1String("no reconcile configured"))
        e.reconcileEntries.clear();
    else if (what == QLatin1String("reconcile never run"))
        e.reconciliations.clear();
    else if (what == QLatin1String("reconcile failed")) {
        e.reconciliations.front().passed = false;
        e.reconciliations.front().summary = QStringLiteral("60 windows: 58 matched, 2 missing");
    } else if (what == QLatin1String("reconcile stale"))
        e.reconciliations.front().atMs = kNow - 8 * kDay;
    else
        QFAIL(qPrintable(QStringLiteral("unknown change ") + what));
}

const ReadinessFinding* findingContaining(const LayerReadiness& layer, const QString& text)
{
    for (const ReadinessFinding& f : layer.findings)
        if (f.evidence.contains(text))
            return &f;
    return nullptr;
}

QString dump(const ReadinessReport& r)
{
    return readinessText(r);
}

} // namespace

class TestReadiness : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readyMartPassesEveryLayer()
    {
        const ReadinessReport r = judgeReadiness(readyMart(), kNow);
        QCOMPARE(int(r.layers.size()), kReadinessLayerCount);
        for (const LayerReadiness& l : r.layers)
            QVERIFY2(l.verdict == ReadinessVerdict::Pass, qPrintable(dump(r)));
        QCOMPARE(r.exitCode(), 0);
        const ReadinessFinding* rehearsal
            = findingContaining(*r.layer(ReadinessLayer::KafkaSource), QStringLiteral("replay rehearsal passed"));
        QVERIFY(rehearsal);
        QCOMPARE(rehearsal->evidenceMs, kNow - 3 * kDay);
        QVERIFY2(rehearsal->evidence.contains(QStringLiteral("3.0 d ago")), qPrintable(rehearsal->evidence));
        QVERIFY(rehearsal->fix.isEmpty());
    }

    void missingEvidence_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<ReadinessLayer>("layer");
        QTest::addColumn<ReadinessVerdict>("verdict");
        QTest::addColumn<QString>("evidence");
        QTest::addColumn<QString>("fix");
        using L = ReadinessLayer;
        using V = ReadinessVerdict;
        auto row = [](const char* change, L layer, V verdict, const char* evidence, const char* fix) {
            QTest::newRow(change) << QString::fromLatin1(change) << layer << verdict << QString::fromUtf8(evidence)
                                  << QString::fromUtf8(fix);
        };
        row("no rehearsal", L::KafkaSource, V::Fail, "no replay rehearsal has been run", "pathwatch rehearse");
        row("old rehearsal", L::KafkaSource, V::Warn, "longer ago than 30d", "again");
        row("latest rehearsal failed", L::KafkaSource, V::Warn, "the latest rehearsal failed", "rehearse again");
        row("short retention", L::KafkaSource, V::Fail, "retention 4h < recovery window 6h on topic events",
            "retention.ms=21600000");
        row("retention bytes", L::KafkaSource, V::Warn, "retention.bytes 1.0 GiB on topic events", "replay_headroom");
        row("compacted", L::KafkaSource, V::Warn, "topic events is compacted", "cleanup.policy=delete");
        row("topic unreadable", L::KafkaSource, V::Unknown,
            "retention of topic events is not known: Broker: Topic "
            "authorization failed",
            "DescribeConfigs");
        row("no topic", L::Storage, V::Unknown, "replication is not known", "readiness");
        row("no lag signal", L::KafkaSource, V::Fail, "no lag signal is watched", "consumer_lag");
        row("lag without thresholds", L::KafkaSource, V::Warn, "has no thresholds, so it never alerts", "thresholds");
        row("no recovery entry", L::KafkaSource, V::Fail, "no `recovery:` entry", "recovery:");
        row("no stream job", L::StreamCompute, V::Unknown, "no stream job is watched", "flink source");
        row("no checkpoint", L::StreamCompute, V::Fail, "no completed checkpoint in the ledger", "checkpoint");
        row("old checkpoint", L::StreamCompute, V::Warn, "checkpoint 42 of job aggregate completed 60.0 min ago",
            "within 10m");
        row("no savepoint", L::StreamCompute, V::Fail, "no savepoint is known", "savepoints");
        row("savepoint in the audit log only", L::StreamCompute, V::Pass,
            "savepoint taken 2.0 d ago "
            "(file:///savepoints/sp-9)",
            "");
        row("no freshness signal", L::ServingStore, V::Fail, "no freshness signal is watched", "dashboard_freshness");
        row("no completeness signal", L::ServingStore, V::Fail, "no completeness signal is watched",
            "completeness_signals");
        row("replication factor 1", L::Storage, V::Fail, "replication factor 1 on topic events (1 broker(s)) < 3",
            "storage: shared");
        row("shared storage declared", L::Storage, V::Pass, "shared/tiered storage is declared", "");
        row("min isr 1", L::Storage, V::Fail, "min.insync.replicas 1 on topic events < 2", "min.insync.replicas=2");
        row("min isr equals replicas", L::Storage, V::Warn, "leaves no replica to lose", "one below");
        row("unclean election", L::Storage, V::Fail, "unclean leader election is on for topic events",
            "unclean.leader.election.enable=false");
        row("no audit", L::Governance, V::Warn, "no recovery in the audit log in the last 30d", "--reason");
        row("audit without reason", L::Governance, V::Fail,
            "audit entry 1 (2.0 d ago, group aggregate) does not say "
            "why",
            "--reason");
        row("ledger unreadable", L::Governance, V::Unknown, "the audit log cannot be read: the ledger is locked",
            "data dir");
        row("no reconcile configured", L::Migration, V::Warn, "no reconciliation is configured", "reconcile:");
        row("reconcile never run", L::Migration, V::Unknown, "reconciliation dual-run is configured but has never run",
            "pathwatch reconcile --name dual-run");
        row("reconcile failed", L::Migration, V::Fail,
            "reconciliation dual-run failed 60.0 min ago: 60 windows: 58 "
            "matched, 2 missing",
            "pathwatch reconcile");
        row("reconcile stale", L::Migration, V::Warn, "longer ago than 7d", "again");
    }

    void missingEvidence()
    {
        QFETCH(QString, change);
        QFETCH(ReadinessLayer, layer);
        QFETCH(ReadinessVerdict, verdict);
        QFETCH(QString, evidence);
        QFETCH(QString, fix);
        ReadinessEvidence e = readyMart();
        ::change(e, change);
        const ReadinessReport r = judgeReadiness(e, kNow);
        const LayerReadiness* l = r.layer(layer);
        QVERIFY(l);
        QVERIFY2(l->verdict == verdict,
            qPrintable(QStringLiteral("%1 is %2, expected %3\n%4")
                           .arg(readinessLayerId(layer), readinessVerdictName(l->verdict),
                               readinessVerdictName(verdict), dump(r))));
        const ReadinessFinding* f = findingContaining(*l, evidence);
        QVERIFY2(f, qPrintable(QStringLiteral("no finding says \"%1\"\n%2").arg(evidence, dump(r))));
        QCOMPARE(f->verdict, verdict);
        if (fix.isEmpty())
            QVERIFY(f->fix.isEmpty());
        else
            QVERIFY2(f->fix.contains(fix), qPrintable(f->fix));
        // Only the layers that depend on the evidence move.
        for (const LayerReadiness& other : r.layers)
            if (other.layer != layer && change != QLatin1String("no rehearsal")
                && change != QLatin1String("topic unreadable") && change != QLatin1String("no topic")
                && change != QLatin1String("ledger unreadable") && change != QLatin1String("old rehearsal")
                && change != QLatin1String("latest rehearsal failed"))
                QVERIFY2(other.verdict == ReadinessVerdict::Pass, qPrintable(dump(r)));
    }

    void exitCodeRanksFailOverUnknownOverWarn()
    {
        ReadinessEvidence e = readyMart();
        change(e, QStringLiteral("no reconcile configured"));
        QCOMPARE(judgeReadiness(e, kNow).exitCode(), 1);
        change(e, QStringLiteral("no stream job"));
        QCOMPARE(judgeReadiness(e, kNow).exitCode(), 3);
        change(e, QStringLiteral("replication factor 1"));
        const ReadinessReport r = judgeReadiness(e, kNow);
        QCOMPARE(r.exitCode(), 2);
        QCOMPARE(r.overall(), ReadinessVerdict::Fail);
    }

    void aRehearsalTurnsTheRehearsalRowsGreen()
    {
        ReadinessEvidence e = readyMart();
        change(e, QStringLiteral("no rehearsal"));
        ReadinessReport before = judgeReadiness(e, kNow);
        QCOMPARE(before.layer(ReadinessLayer::KafkaSource)->verdict, ReadinessVerdict::Fail);
        QCOMPARE(before.layer(ReadinessLayer::StreamCompute)->verdict, ReadinessVerdict::Fail);
        e.rehearsals = readyMart().rehearsals;
        const ReadinessReport after = judgeReadiness(e, kNow);
        QCOMPARE(after.layer(ReadinessLayer::KafkaSource)->verdict, ReadinessVerdict::Pass);
        QCOMPARE(after.layer(ReadinessLayer::StreamCompute)->verdict, ReadinessVerdict::Pass);
    }

    void renderings()
    {
        ReadinessEvidence e = readyMart();
        change(e, QStringLiteral("replication factor 1"));
        const ReadinessReport r = judgeReadiness(e, kNow);
        const QString md = readinessMarkdown(r);
        QVERIFY2(md.startsWith(QStringLiteral("# Readiness: FAIL\n")), qPrintable(md));
        QVERIFY2(md.contains(QStringLiteral("| Storage | **FAIL** | Can retained history survive a broker "
                                            "replacement? |")),
            qPrintable(md));
        QVERIFY2(
            md.contains(QStringLiteral("| FAIL | replication factor 1 on topic events (1 broker(s)) < 3 | 0 ms ago |")),
            qPrintable(md));
        const QJsonObject json = readinessJson(r);
        QCOMPARE(json.value(QStringLiteral("overall")).toString(), QStringLiteral("FAIL"));
        QCOMPARE(json.value(QStringLiteral("exit_code")).toInt(), 2);
        const QJsonArray layers = json.value(QStringLiteral("layers")).toArray();
        QCOMPARE(layers.size(), kReadinessLayerCount);
        QCOMPARE(layers.at(3).toObject().value(QStringLiteral("layer")).toString(), QStringLiteral("storage"));
        QCOMPARE(layers.at(3).toObject().value(QStringLiteral("status")).toInt(), 2);
        const QJsonObject rehearsal
            = layers.at(0).toObject().value(QStringLiteral("findings")).toArray().last().toObject();
        QCOMPARE(rehearsal.value(QStringLiteral("age_s")).toDouble(), 3.0 * 24 * 3600);
    }
};

QTEST_GUILESS_MAIN(TestReadiness)
#include "tst_readiness.moc"
