// The embedded demo starts as not ready — no rehearsal, no savepoint, a replication factor of 1 on one broker — and
// one `pathwatch rehearse` turns the rehearsal rows green, while storage stays as it is. Also: /metrics carries a
// status per layer, judged by the running instance.
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString kBinary = QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch");

struct Readiness
{
    int exitCode = -1;
    QJsonObject json;
    QString text;

    QJsonObject layer(const QString& id) const
    {
        for (const auto& l : json.value(QStringLiteral("layers")).toArray())
            if (l.toObject().value(QStringLiteral("layer")).toString() == id)
                return l.toObject();
        return {};
    }
    QString verdict(const QString& id) const { return layer(id).value(QStringLiteral("verdict")).toString(); }
    /// The verdict of the first finding of a layer whose evidence contains `text`, or empty.
    QString finding(const QString& id, const QString& text) const
    {
        for (const auto& f : layer(id).value(QStringLiteral("findings")).toArray())
            if (f.toObject().value(QStringLiteral("evidence")).toString().contains(text))
                return f.toObject().value(QStringLiteral("verdict")).toString();
        return {};
    }
};

Readiness readiness(const QString& dataDir)
{
    QProcess p;
    p.start(kBinary, {QStringLiteral("readiness"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")});
    if (!p.waitForFinished(60000))
        p.kill();
    Readiness r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.text = QString::fromUtf8(p.readAllStandardOutput()) + QString::fromUtf8(p.readAllStandardError());
    r.json = QJsonDocument::fromJson(r.text.toUtf8()).object();
    return r;
}

/// Polls until `done` holds for a fresh judgement, or the time is up; returns the last one.
Readiness readinessWhen(const QString& dataDir, const std::function<bool(const Readiness&)>& done, int timeoutS)
{
    Readiness r;
    for (int waited = 0; waited < timeoutS; waited += 2) {
        r = readiness(dataDir);
        if (done(r))
            break;
        QTest::qWait(2000);
    }
    return r;
}

} // namespace

class TestReadinessDemo : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_headless;
    QString m_headlessLog;

    QString dataDir() const { return m_dir.filePath(QStringLiteral("data")); }

    /// The embedded demo, headless, /metrics on a free port; returns that port (0 when it did not come up).
    int startHeadless()
    {
        m_headless = std::make_unique<QProcess>();
        m_headless->setProcessChannelMode(QProcess::MergedChannels);
        m_headless->start(kBinary,
            {QStringLiteral("headless"), QStringLiteral("--data-dir"), dataDir(), QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:0")});
        const QRegularExpression serving(QStringLiteral("serving /metrics on port (\\d+)"));
        for (int i = 0; i < 120; ++i) {
            m_headless->waitForReadyRead(500);
            m_headlessLog += QString::fromUtf8(m_headless->readAll());
            const auto match = serving.match(m_headlessLog);
            if (match.hasMatch())
                return match.captured(1).toInt();
            if (m_headless->state() == QProcess::NotRunning)
                break;
        }
        return 0;
    }

    void stopHeadless()
    {
        if (!m_headless)
            return;
        m_headless->terminate();
        if (!m_headless->waitForFinished(60000))
            m_headless->kill();
        m_headless.reset();
    }

    QString scrape(int port)
    {
        QNetworkAccessManager network;
        QNetworkReply* reply
            = network.get(QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(port))));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        finished.wait(10000);
        const QString body = QString::fromUtf8(reply->readAll());
        reply->deleteLater();
        return body;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void notReadyBeforeARehearsal()
    {
        const int port = startHeadless();
        QVERIFY2(port > 0, qPrintable(m_headlessLog));
        // Until the job's first checkpoint reaches the ledger, the stream layer has nothing to judge.
        const Readiness r = readinessWhen(
            dataDir(),
            [](const Readiness& r) {
                return !r.finding(QStringLiteral("stream_compute"), QStringLiteral("completed")).isEmpty();
            },
            120);
        QVERIFY2(
            !r.finding(QStringLiteral("stream_compute"), QStringLiteral("completed")).isEmpty(), qPrintable(r.text));
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.verdict(QStringLiteral("kafka_source")), QStringLiteral("FAIL"));
        QCOMPARE(r.finding(QStringLiteral("kafka_source"), QStringLiteral("no replay rehearsal has been run")),
            QStringLiteral("FAIL"));
        QCOMPARE(r.finding(QStringLiteral("kafka_source"), QStringLiteral("≥ recovery window 30m on topic events")),
            QStringLiteral("PASS"));
        QCOMPARE(r.finding(QStringLiteral("stream_compute"), QStringLiteral("no savepoint is known")),
            QStringLiteral("FAIL"));
        QCOMPARE(r.verdict(QStringLiteral("serving_store")), QStringLiteral("PASS"));
        QCOMPARE(
            r.finding(QStringLiteral("storage"), QStringLiteral("replication factor 1 on topic events (1 broker(s))")),
            QStringLiteral("FAIL"));
        QCOMPARE(r.finding(QStringLiteral("storage"), QStringLiteral("unclean leader election is off")),
            QStringLiteral("PASS"));
        QCOMPARE(r.verdict(QStringLiteral("governance")), QStringLiteral("WARN"));
        QCOMPARE(r.verdict(QStringLiteral("migration")), QStringLiteral("WARN"));

        // The running instance judges the same evidence for /metrics.
        QString metrics;
        for (int i = 0; i < 30 && !metrics.contains(QStringLiteral("pathwatch_readiness_layer_status")); ++i) {
            metrics = scrape(port);
            QTest::qWait(1000);
        }
        QVERIFY2(metrics.contains(QStringLiteral("pathwatch_readiness_layer_status{layer=\"storage\"} 2")),
            qPrintable(metrics));
        QVERIFY2(metrics.contains(QStringLiteral("pathwatch_readiness_layer_status{layer=\"serving_store\"} 0")),
            qPrintable(metrics));
        stopHeadless();
    }

    void aRehearsalTurnsTheRehearsalRowsGreen()
    {
        QProcess rehearse;
        rehearse.setProcessChannelMode(QProcess::MergedChannels);
        rehearse.start(kBinary, {QStringLiteral("rehearse"), QStringLiteral("--data-dir"), dataDir()});
        QVERIFY(rehearse.waitForFinished(420000));
        const QString log = QString::fromUtf8(rehearse.readAll());
        QVERIFY2(rehearse.exitCode() == 0, qPrintable(log));

        // Without a running demo the broker is gone, but the ledger already says the rehearsal passed.
        const Readiness offline = readiness(dataDir());
        QCOMPARE(offline.finding(QStringLiteral("kafka_source"), QStringLiteral("replay rehearsal passed")),
            QStringLiteral("PASS"));

        const int port = startHeadless();
        QVERIFY2(port > 0, qPrintable(m_headlessLog));
        const Readiness r = readinessWhen(
            dataDir(),
            [](const Readiness& r) {
                return r.verdict(QStringLiteral("stream_compute")) == QLatin1String("PASS")
                    && r.verdict(QStringLiteral("kafka_source")) == QLatin1String("PASS");
            },
            120);
        stopHeadless();
        QCOMPARE(r.verdict(QStringLiteral("kafka_source")), QStringLiteral("PASS"));
        QCOMPARE(r.finding(QStringLiteral("kafka_source"), QStringLiteral("replay rehearsal passed")),
            QStringLiteral("PASS"));
        QCOMPARE(r.verdict(QStringLiteral("stream_compute")), QStringLiteral("PASS"));
        QCOMPARE(
            r.finding(QStringLiteral("stream_compute"), QStringLiteral("savepoint taken")), QStringLiteral("PASS"));
        QCOMPARE(r.finding(QStringLiteral("stream_compute"), QStringLiteral("restart rehearsal passed")),
            QStringLiteral("PASS"));
        QCOMPARE(r.verdict(QStringLiteral("governance")), QStringLiteral("PASS"));
        // What a rehearsal cannot change stays: one broker, one replica.
        QCOMPARE(r.verdict(QStringLiteral("storage")), QStringLiteral("FAIL"));
        QCOMPARE(r.verdict(QStringLiteral("migration")), QStringLiteral("WARN"));
        QCOMPARE(r.exitCode, 2);
    }

    void usageErrors()
    {
        QProcess p;
        p.start(kBinary,
            {QStringLiteral("readiness"), QStringLiteral("--json"), QStringLiteral("--markdown"),
                QStringLiteral("--data-dir"), dataDir()});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 4);
        p.start(kBinary,
            {QStringLiteral("readiness"), QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("none"))});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 4);
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(QStringLiteral("no embedded demo config")));
    }

    void cleanupTestCase() { stopHeadless(); }
};

QTEST_GUILESS_MAIN(TestReadinessDemo)
#include "tst_readinessdemo.moc"
