#include "engine/transitionlog.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace pw;

namespace {

Transition signalChange(Severity from, Severity to, double value, qint64 atMs)
{
    Transition t;
    t.subject = Transition::Subject::Signal;
    t.id = QStringLiteral("sink/p99");
    t.stageId = QStringLiteral("sink");
    t.labels = {{QStringLiteral("quantile"), QStringLiteral("0.99")}};
    t.from = from;
    t.to = to;
    t.value = value;
    t.unit = QStringLiteral("s");
    t.reason = to == Severity::Crit ? QStringLiteral("7.20 s ≥ crit 5.00 s") : QString();
    t.atMs = atMs;
    return t;
}

} // namespace

class TestTransitionLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void textLineSaysWhatAndWhy()
    {
        QList<QByteArray> lines;
        TransitionLog::Options options;
        TransitionLog log(options, [&](const QByteArray& line) { lines << line; });
        Transition source;
        source.subject = Transition::Subject::Source;
        source.id = QStringLiteral("prom");
        source.from = Severity::Ok;
        source.to = Severity::Stale;
        source.reason = QStringLiteral("connection refused");
        source.atMs = 1'700'000'000'000;
        log.transitions({signalChange(Severity::Ok, Severity::Crit, 7.2, 1'700'000'000'000), source}, nullptr);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0],
            QByteArray(
                "2023-11-14T22:13:20.000Z pathwatch: signal sink/p99{quantile=\"0.99\"} OK → CRIT (value 7.20 s): "
                "7.20 s ≥ crit 5.00 s\n"));
        QCOMPARE(
            lines[1], QByteArray("2023-11-14T22:13:20.000Z pathwatch: source prom OK → STALE: connection refused\n"));
    }

    void journaldGetsPriorities()
    {
        QList<QByteArray> lines;
        TransitionLog::Options options;
        options.journalPrefix = true;
        options.timestamps = false;
        TransitionLog log(options, [&](const QByteArray& line) { lines << line; });
        log.transitions({signalChange(Severity::Ok, Severity::Crit, 7.2, 1000),
                            signalChange(Severity::Crit, Severity::Ok, 1, 2000)},
            nullptr);
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines[0].startsWith("<3>pathwatch: signal"), lines[0].constData());
        QVERIFY2(lines[1].startsWith("<6>pathwatch: signal"), lines[1].constData());
    }

    void jsonLinesForShippers()
    {
        QList<QByteArray> lines;
        TransitionLog::Options options;
        options.format = TransitionLog::Format::Json;
        TransitionLog log(options, [&](const QByteArray& line) { lines << line; });
        log.transitions({signalChange(Severity::Ok, Severity::Crit, 7.2, 1'700'000'000'000)}, nullptr);
        QCOMPARE(lines.size(), 1);
        QVERIFY(lines[0].endsWith('\n'));
        const QJsonObject o = QJsonDocument::fromJson(lines[0]).object();
        QCOMPARE(o.value(QStringLiteral("event")).toString(), QStringLiteral("transition"));
        QCOMPARE(o.value(QStringLiteral("level")).toString(), QStringLiteral("error"));
        QCOMPARE(o.value(QStringLiteral("subject")).toString(), QStringLiteral("signal"));
        QCOMPARE(o.value(QStringLiteral("id")).toString(), QStringLiteral("sink/p99"));
        QCOMPARE(o.value(QStringLiteral("from")).toString(), QStringLiteral("OK"));
        QCOMPARE(o.value(QStringLiteral("to")).toString(), QStringLiteral("CRIT"));
        QCOMPARE(o.value(QStringLiteral("value")).toDouble(), 7.2);
        QCOMPARE(o.value(QStringLiteral("value_text")).toString(), QStringLiteral("7.20 s"));
        QCOMPARE(o.value(QStringLiteral("labels")).toObject().value(QStringLiteral("quantile")).toString(),
            QStringLiteral("0.99"));
        QCOMPARE(o.value(QStringLiteral("time")).toString(), QStringLiteral("2023-11-14T22:13:20.000Z"));
    }

    // A flapping series is held to `burst` lines per window; the next admitted line counts what was held back.
    void rateLimitedPerSeries()
    {
        QList<QByteArray> lines;
        TransitionLog::Options options;
        options.burst = 2;
        options.windowMs = 60'000;
        TransitionLog log(options, [&](const QByteArray& line) { lines << line; });
        for (int i = 0; i < 6; ++i)
            log.transitions({signalChange(i % 2 ? Severity::Crit : Severity::Ok, i % 2 ? Severity::Ok : Severity::Crit,
                                1, 1000 + i)},
                nullptr);
        Transition other = signalChange(Severity::Ok, Severity::Warn, 3, 2000);
        other.id = QStringLiteral("sink/p50");
        log.transitions({other}, nullptr); // another series has its own budget
        QCOMPARE(lines.size(), 3);
        log.transitions({signalChange(Severity::Ok, Severity::Crit, 9, 70'000)}, nullptr);
        QCOMPARE(lines.size(), 4);
        QVERIFY2(lines[3].contains("[4 earlier changes of this series not logged]"), lines[3].constData());
    }

    void startUpOkIsNotNewsButWhereDataStopsIs()
    {
        QList<QByteArray> lines;
        TransitionLog log(TransitionLog::Options {}, [&](const QByteArray& line) { lines << line; });
        auto snapshot = std::make_shared<Snapshot>();
        snapshot->takenMs = 5000;
        StageState compute;
        compute.stageId = QStringLiteral("compute");
        compute.title = QStringLiteral("Compute");
        compute.dataAgeSeconds = 2;
        StageState sink;
        sink.stageId = QStringLiteral("sink");
        sink.title = QStringLiteral("Sink");
        sink.dataAgeSeconds = 900;
        snapshot->stages = {compute, sink};
        snapshot->dataStopStageId = QStringLiteral("sink");
        snapshot->dataStopAfterStageId = QStringLiteral("compute");
        log.transitions({signalChange(Severity::Unknown, Severity::Ok, 1, 5000)}, snapshot);
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains(
                     "data stops moving between Compute and Sink: newest data 15.0 min old there, 2.00 s before it"),
            lines[0].constData());
        log.transitions({}, snapshot); // unchanged: not repeated
        QCOMPARE(lines.size(), 1);
        auto moving = std::make_shared<Snapshot>(*snapshot);
        moving->dataStopStageId.clear();
        log.transitions({}, moving);
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines[1].contains("data moves along the whole path again"));
    }
};

QTEST_GUILESS_MAIN(TestTransitionLog)
#include "tst_transitionlog.moc"
