#pragma once

// Builds realistic Snapshots for the UI tests: the five hops of a metrics path with their usual signals and sources.

#include "model/snapshot.h"

#include <QStringList>

#include <memory>

namespace pw::test {

/// The state of the demo path at `nowMs`; `servingDown` makes the SQL source fail so Serving turns STALE.
inline std::shared_ptr<Snapshot> makePathSnapshot(qint64 nowMs, quint64 sequence = 1, bool servingDown = false)
{
    auto snap = std::make_shared<Snapshot>();
    snap->sequence = sequence;
    snap->takenMs = nowMs - 2000;
    snap->pipelineName = QStringLiteral("orders-mart");

    auto addSignal = [&](const QString& stage, const QString& name, SignalKind kind, Labels labels, double value,
                         qint64 ageMs, Severity sev, const QString& reason, const QString& source) {
        SignalState s;
        s.signalId = stage + QLatin1Char('/') + name;
        s.stageId = stage;
        s.name = name;
        s.kind = kind;
        s.unit = signalKindDefaultUnit(kind);
        s.labels = std::move(labels);
        s.sourceId = source;
        s.hasValue = true;
        s.value = value;
        s.valueTimestampMs = nowMs - ageMs;
        s.severity = sev;
        s.reason = reason;
        snap->signalStates.push_back(s);
        return int(snap->signalStates.size()) - 1;
    };
    const auto ok = Severity::Ok;
    const QString group = QStringLiteral("orders-agg");
    const QString topic = QStringLiteral("orders");

    StageState source {QStringLiteral("source"), QStringLiteral("Source log")};
    source.headlineSignal = addSignal(source.stageId, QStringLiteral("time_lag"), SignalKind::TimeLag,
        {{QStringLiteral("group"), group}}, 1.8, 12000, ok, {}, QStringLiteral("kafka"));
    for (int p = 0; p < 4; ++p)
        addSignal(source.stageId, QStringLiteral("consumer_lag"), SignalKind::ConsumerLag,
            {{QStringLiteral("group"), group}, {QStringLiteral("partition"), QString::number(p)},
                {QStringLiteral("topic"), topic}},
            310.0 + 17 * p, 12000, ok, {}, QStringLiteral("kafka"));
    addSignal(source.stageId, QStringLiteral("replay_headroom"), SignalKind::ReplayHeadroom,
        {{QStringLiteral("topic"), topic}}, 5.6 * 86400, 12000, ok, {}, QStringLiteral("kafka"));

    StageState compute {QStringLiteral("compute"), QStringLiteral("Compute")};
    compute.headlineSignal = addSignal(compute.stageId, QStringLiteral("checkpoint_age"), SignalKind::CheckpointAge,
        {{QStringLiteral("job"), QStringLiteral("orders-aggregate")}}, 94, 4000, Severity::Warn,
        QStringLiteral("94 ≥ warn 60"), QStringLiteral("flink"));
    addSignal(compute.stageId, QStringLiteral("failed_checkpoints"), SignalKind::FailedCheckpoints,
        {{QStringLiteral("job"), QStringLiteral("orders-aggregate")}}, 0, 4000, ok, {}, QStringLiteral("flink"));

    StageState sink {QStringLiteral("sink"), QStringLiteral("Sink")};
    sink.headlineSignal = addSignal(sink.stageId, QStringLiteral("commit_latency_p99"), SignalKind::SinkCommitLatency,
        {{QStringLiteral("quantile"), QStringLiteral("0.99")}}, 7.24, 6000, Severity::Crit,
        QStringLiteral("7.24 ≥ crit 5"), QStringLiteral("prometheus"));
    addSignal(sink.stageId, QStringLiteral("commit_latency_p50"), SignalKind::SinkCommitLatency,
        {{QStringLiteral("quantile"), QStringLiteral("0.5")}}, 0.41, 6000, ok, {}, QStringLiteral("prometheus"));

    StageState storage {QStringLiteral("storage"), QStringLiteral("Storage")};
    storage.headlineSignal = addSignal(storage.stageId, QStringLiteral("put_errors"), SignalKind::ObjectStorageErrors,
        {{QStringLiteral("bucket"), QStringLiteral("mart-aggregates")}}, 0.02, 6000, ok, {},
        QStringLiteral("prometheus"));
    addSignal(storage.stageId, QStringLiteral("error_ratio"), SignalKind::ObjectStorageErrorRatio,
        {{QStringLiteral("bucket"), QStringLiteral("mart-aggregates")}}, 0.0004, 6000, ok, {},
        QStringLiteral("prometheus"));

    StageState serving {QStringLiteral("serving"), QStringLiteral("Serving")};
    const QString servingError = QStringLiteral("serving-db: connection refused (127.0.0.1:5432)");
    serving.headlineSignal
        = addSignal(serving.stageId, QStringLiteral("dashboard_freshness"), SignalKind::DashboardFreshness,
            {{QStringLiteral("table"), QStringLiteral("orders_by_minute")}}, 3.1, servingDown ? 134000 : 3000,
            servingDown ? Severity::Stale : ok, servingDown ? servingError : QString(), QStringLiteral("serving-db"));

    snap->overall = Severity::Ok;
    for (StageState* st : {&source, &compute, &sink, &storage, &serving}) {
        // The stage shows its worst signal and that signal's reason, as the engine's roll-up does.
        const SignalState* worst = nullptr;
        for (int i = 0; i < int(snap->signalStates.size()); ++i) {
            const SignalState& s = snap->signalStates[size_t(i)];
            if (s.stageId != st->stageId)
                continue;
            st->signalIndexes.push_back(i);
            if (!worst || severityRank(s.severity) > severityRank(worst->severity))
                worst = &s;
        }
        st->severity = worst ? worst->severity : Severity::Unknown;
        st->reason = worst ? worst->reason : QString();
        snap->stages.push_back(*st);
        snap->overall = worse(snap->overall, st->severity);
    }

    auto addSource = [&](const QString& id, const QString& kind, const QString& endpoint, bool up, qint64 lastOkAgo,
                         quint64 polls, quint64 failures, const QString& error) {
        SourceHealth h;
        h.sourceId = id;
        h.kind = kind;
        h.endpoint = endpoint;
        h.up = up;
        h.severity = up ? Severity::Ok : Severity::Stale;
        h.lastAttemptMs = nowMs - 1500;
        h.lastSuccessMs = nowMs - lastOkAgo;
        h.lastPollSeconds = 0.012;
        h.polls = polls;
        h.failures = failures;
        h.error = error;
        snap->sources.push_back(h);
    };
    addSource(
        QStringLiteral("kafka"), QStringLiteral("kafka"), QStringLiteral("127.0.0.1:9092"), true, 12000, 1412, 0, {});
    addSource(QStringLiteral("flink"), QStringLiteral("flink"), QStringLiteral("http://127.0.0.1:8081"), true, 4000,
        1410, 2, {});
    addSource(QStringLiteral("prometheus"), QStringLiteral("promql"), QStringLiteral("http://127.0.0.1:9090"), true,
        6000, 1409, 0, {});
    addSource(QStringLiteral("serving-db"), QStringLiteral("sql"), QStringLiteral("postgresql://127.0.0.1:5432/mart"),
        !servingDown, servingDown ? 134000 : 3000, 1411, servingDown ? 27 : 0, servingDown ? servingError : QString());
    return snap;
}

} // namespace pw::test
