// Guided recovery of a Flink-like job end to end, through the product's own commands: `pathwatch headless` runs the
// embedded demo (its job assigns partitions, restores from its own state and serves Flink's REST API), and
// `pathwatch replay` refuses while the job runs, stops it with a savepoint, resets the group, starts the job again
// from the group's offsets, records every step in the audit log, and undoes it from the savepoint.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
    QString text() const { return out + err; }
};

Run run(const QStringList& args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch"), args);
    if (!p.waitForFinished(timeoutMs))
        p.kill();
    return Run {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
        QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QJsonObject flinkJobs(const QString& restUrl)
{
    QProcess c;
    c.start(QStringLiteral("curl"),
        {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("10"),
            restUrl + QStringLiteral("/jobs/overview")});
    c.waitForFinished(15000);
    return QJsonDocument::fromJson(c.readAllStandardOutput()).object();
}

QString jobState(const QString& restUrl, const QString& jobId)
{
    for (const QJsonValue& j : flinkJobs(restUrl).value(QStringLiteral("jobs")).toArray())
        if (j.toObject().value(QStringLiteral("jid")).toString() == jobId)
            return j.toObject().value(QStringLiteral("state")).toString();
    return {};
}

QJsonObject lastAudit(const QString& dataDir)
{
    const Run audit = run({QStringLiteral("audit"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")});
    const QStringList lines = audit.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    return lines.isEmpty() ? QJsonObject {} : QJsonDocument::fromJson(lines.last().toUtf8()).object();
}

} // namespace

class TestFlinkRecovery : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void recoversAFlinkJobAndUndoesIt()
    {
        const QString dataDir = m_dir.filePath(QStringLiteral("data"));
        QProcess headless;
        auto stopHeadless = qScopeGuard([&] {
            ::kill(pid_t(headless.processId()), SIGTERM);
            if (!headless.waitForFinished(20000))
                headless.kill();
        });
        headless.start(QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch"),
            {QStringLiteral("headless"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:%1").arg(freePort())});
        QVERIFY(headless.waitForStarted());
        QElapsedTimer t;
        t.start();
        while (
            t.elapsed() < 90000 && run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir}).exitCode != 0)
            QTest::qWait(1000);
        const Run healthy = run({QStringLiteral("status"), QStringLiteral("--data-dir"), dataDir});
        QVERIFY2(
            healthy.exitCode == 0, qPrintable(healthy.text() + QString::fromUtf8(headless.readAllStandardError())));
        const QString config = QDir(dataDir).filePath(QStringLiteral("embedded-demo.yaml"));
        const QString restUrl = [&] {
            QFile f(config);
            f.open(QIODevice::ReadOnly);
            for (const QByteArray& line : f.readAll().split('\n'))
                if (line.trimmed().startsWith("url: \"http://127.0.0.1:") && !line.contains("/metrics"))
                    return QString::fromUtf8(line.trimmed().mid(6).chopped(1));
            return QString();
        }();
        QVERIFY2(!restUrl.isEmpty(), "no Flink REST url in the generated config");
        const QStringList base {QStringLiteral("replay"), QStringLiteral("--config"), config,
            QStringLiteral("--data-dir"), dataDir, QStringLiteral("--group"), QStringLiteral("demo-aggregate"),
            QStringLiteral("--shift-by"), QStringLiteral("-100")};

        // The job runs: its group shows Empty (it assigns its partitions), yet resetting it now would do nothing.
        const Run refused
            = run(base + QStringList {QStringLiteral("--execute"), QStringLiteral("--reason"), QStringLiteral("test")});
        QCOMPARE(refused.exitCode, 5);
        QVERIFY2(refused.out.contains(QStringLiteral("ok    consumer-stopped: group demo-aggregate is Empty")),
            qPrintable(refused.text()));
        QVERIFY2(refused.out.contains(QStringLiteral("FAIL  flink-job-stopped"))
                && refused.out.contains(QStringLiteral("is RUNNING")),
            qPrintable(refused.text()));

        const Run dryRun = run(base + QStringList {QStringLiteral("--stop-job"), QStringLiteral("--start-job")});
        QCOMPARE(dryRun.exitCode, 0);
        QVERIFY2(dryRun.out.contains(QStringLiteral("is stopped with a savepoint first")), qPrintable(dryRun.text()));

        // Stop with savepoint → reset → verify → start without state from the group's offsets, all audited.
        const Run recovered = run(base
            + QStringList {QStringLiteral("--stop-job"), QStringLiteral("--start-job"), QStringLiteral("--execute"),
                QStringLiteral("--reason"), QStringLiteral("rehearsal")});
        QVERIFY2(recovered.exitCode == 0, qPrintable(recovered.text()));
        QVERIFY2(recovered.out.contains(QStringLiteral("executed-verified")), qPrintable(recovered.text()));
        const QJsonObject entry = lastAudit(dataDir);
        QCOMPARE(entry.value(QStringLiteral("outcome")).toString(), QStringLiteral("executed-verified"));
        QCOMPARE(entry.value(QStringLiteral("reason")).toString(), QStringLiteral("rehearsal"));
        const QJsonObject details = entry.value(QStringLiteral("details")).toObject();
        const QJsonObject flink = details.value(QStringLiteral("flink")).toObject();
        const QString stoppedJob = flink.value(QStringLiteral("stopped_job")).toString();
        const QString savepoint = flink.value(QStringLiteral("savepoint")).toString();
        const QString startedJob = flink.value(QStringLiteral("started_job")).toString();
        QVERIFY2(savepoint.startsWith(QStringLiteral("file:")), QJsonDocument(entry).toJson().constData());
        QVERIFY(QFileInfo::exists(savepoint.mid(5) + QStringLiteral("/_metadata")));
        QCOMPARE(jobState(restUrl, stoppedJob), QStringLiteral("FINISHED"));
        QCOMPARE(jobState(restUrl, startedJob), QStringLiteral("RUNNING"));
        for (const QJsonValue& p : details.value(QStringLiteral("partitions")).toArray()) {
            const QJsonObject o = p.toObject();
            QCOMPARE(o.value(QStringLiteral("after")).toInteger(), o.value(QStringLiteral("before")).toInteger() - 100);
            QVERIFY(o.value(QStringLiteral("verified")).toBool());
        }

        // Undo: the new job is stopped the same way, the offsets go back, and the job restarts from the savepoint the
        // replay took — its state and offsets as they were before.
        const QString id = QString::number(entry.value(QStringLiteral("id")).toInteger());
        const Run undone
            = run({QStringLiteral("replay"), QStringLiteral("--config"), config, QStringLiteral("--data-dir"), dataDir,
                QStringLiteral("--undo"), id, QStringLiteral("--stop-job"), QStringLiteral("--start-job"),
                QStringLiteral("--execute"), QStringLiteral("--reason"), QStringLiteral("undo the rehearsal")});
        QVERIFY2(undone.exitCode == 0, qPrintable(undone.text()));
        const QJsonObject undoEntry = lastAudit(dataDir);
        QCOMPARE(undoEntry.value(QStringLiteral("undo_of")).toInteger(), entry.value(QStringLiteral("id")).toInteger());
        const QJsonObject undoFlink
            = undoEntry.value(QStringLiteral("details")).toObject().value(QStringLiteral("flink")).toObject();
        QCOMPARE(undoFlink.value(QStringLiteral("stopped_job")).toString(), startedJob);
        QCOMPARE(undoFlink.value(QStringLiteral("started_from")).toString(), savepoint);
        QCOMPARE(
            jobState(restUrl, undoFlink.value(QStringLiteral("started_job")).toString()), QStringLiteral("RUNNING"));

        // A group marked production needs its name typed again.
        QFile f(config);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray yaml = f.readAll();
        f.close();
        yaml.replace("production: false", "production: true");
        const QString production = m_dir.filePath(QStringLiteral("production.yaml"));
        QFile p(production);
        QVERIFY(p.open(QIODevice::WriteOnly));
        p.write(yaml);
        p.close();
        QStringList productionArgs = base;
        productionArgs[2] = production;
        const Run unconfirmed = run(productionArgs
            + QStringList {QStringLiteral("--execute"), QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(unconfirmed.exitCode, 4);
        QVERIFY2(unconfirmed.err.contains(QStringLiteral("--confirm demo-aggregate")), qPrintable(unconfirmed.text()));
    }
};

QTEST_GUILESS_MAIN(TestFlinkRecovery)
#include "tst_flinkrecovery.moc"
