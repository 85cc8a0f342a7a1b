// The dual-run reconciliation of a `reconcile:` entry: a source of truth in a real PostgreSQL (started by the test)
// against serving stores in SQLite, window by window; and `pathwatch reconcile`, whose exit code says whether they
// match and whose result lands in the ledger for readiness's migration layer.
#include "config/config.h"
#include "ledger/ledger.h"
#include "postgresserver.h"
#include "replay/sqlreconcile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

namespace {

constexpr std::int64_t kBase = 1'800'000'000; // a whole minute (Unix seconds)

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run pathwatch(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch"), args);
    if (!p.waitForFinished(120000))
        p.kill();
    return Run {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
        QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

bool writeServing(const QString& path, const QStringList& inserts)
{
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("serving"));
        db.setDatabaseName(path);
        ok = db.open();
        QSqlQuery q(db);
        ok = ok
            && q.exec(QStringLiteral("create table aggregates(minute_ts integer, key text, events integer, total real, "
                                     "primary key(minute_ts, "
                                     "key))"));
        for (const QString& sql : inserts)
            ok = ok && q.exec(sql);
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("serving"));
    return ok;
}

QString row(std::int64_t minute, const char* key, int events, double total)
{
    return QStringLiteral("insert into aggregates values(%1, '%2', %3, %4)")
        .arg(minute)
        .arg(QString::fromLatin1(key))
        .arg(events)
        .arg(total, 0, 'f', 2);
}

} // namespace

class TestSqlReconcile : public QObject
{
    Q_OBJECT

    test::PostgresServer m_pg;
    QTemporaryDir m_dir;
    QString m_configPath;
    PipelineConfig m_config;

    const ReconcileConfig& entry(const char* name) const
    {
        for (const ReconcileConfig& r : m_config.reconcile)
            if (r.name == QLatin1String(name))
                return r;
        qFatal("no reconcile entry %s", name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString error = m_pg.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        bool ok = false;
        m_pg.psql(QStringLiteral("create database marts"), QStringLiteral("postgres"), &ok);
        QVERIFY(ok);
        // The source of truth keeps real timestamps; the serving store keeps Unix seconds: the minute is the key.
        m_pg.psql(QStringLiteral("create table truth(minute timestamptz, key text, events bigint, total double "
                                 "precision);"
                                 "insert into truth select to_timestamp(%1 + m * 60), k, 10 + m, (10 + m) * 1.5 from "
                                 "generate_series(0, 2) m, unnest(array['eu', 'us']) k;"
                                 "insert into truth values (to_timestamp(%2), 'eu', 99, 1.0);")
                      .arg(kBase)
                      .arg(kBase + 3600),
            QStringLiteral("marts"), &ok);
        QVERIFY(ok);

        QStringList same;
        for (int m = 0; m <= 2; ++m)
            for (const char* k : {"eu", "us"})
                same << row(kBase + m * 60, k, 10 + m, (10 + m) * 1.5);
        QVERIFY(writeServing(m_dir.filePath(QStringLiteral("clean.db")), same));
        QStringList drift = same;
        drift[1] = row(kBase, "us", 10, 15.5); // a wrong total
        drift.removeAt(4); // minute 2, eu never arrived
        drift << row(kBase + 120, "apac", 1, 1.0); // a window the truth does not have
        QVERIFY(writeServing(m_dir.filePath(QStringLiteral("drift.db")), drift));

        const QByteArray yaml = QStringLiteral(
            "sources:\n"
            "  warehouse: {kind: sql, driver: QPSQL, host: 127.0.0.1, port: %1, user: postgres, database: marts}\n"
            "  clean: {kind: sql, driver: QSQLITE, database: clean.db}\n"
            "  drift: {kind: sql, driver: QSQLITE, database: drift.db}\n"
            "  gone: {kind: sql, driver: QPSQL, host: 127.0.0.1, port: 1, user: postgres, database: marts, timeout: "
            "2s}\n"
            "stages:\n"
            "  - id: serving\n"
            "    signals:\n"
            "      - {kind: dashboard_freshness, source: clean, sql: 'select max(minute_ts) from aggregates'}\n"
            "reconcile:\n"
            "  - name: clean\n"
            "    truth_source: warehouse\n"
            "    truth_query: select minute, key, events, total from truth where minute >= to_timestamp(:from) and "
            "minute < to_timestamp(:to)\n"
            "    serving_source: clean\n"
            "    serving_query: select minute_ts, key, events, total from aggregates\n"
            "  - name: drift\n"
            "    truth_source: warehouse\n"
            "    truth_query: select minute, key, events, total from truth\n"
            "    serving_source: drift\n"
            "    serving_query: select minute_ts, key, events, total from aggregates where minute_ts >= :from\n"
            "  - name: unreachable\n"
            "    truth_source: gone\n"
            "    truth_query: select 1, 'k', 1, 1\n"
            "    serving_source: clean\n"
            "    serving_query: select minute_ts, key, events, total from aggregates\n"
            "  - name: three-columns\n"
            "    truth_source: warehouse\n"
            "    truth_query: select minute, key, events from truth\n"
            "    serving_source: clean\n"
            "    serving_query: select minute_ts, key, events, total from aggregates\n")
                                    .arg(m_pg.port())
                                    .toUtf8();
        m_configPath = m_dir.filePath(QStringLiteral("reconcile.yaml"));
        QFile f(m_configPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(yaml);
        f.close();
        auto config = loadConfigFile(m_configPath);
        QVERIFY2(config, qPrintable(config ? QString() : config.error().toString()));
        m_config = *config;
    }

    void matchingStores()
    {
        auto report = reconcileSqlStores(m_config, entry("clean"), kBase, kBase + 180);
        QVERIFY2(report, qPrintable(report ? QString() : report.error().toString()));
        QVERIFY2(report->clean(), qPrintable(report->toText()));
        QCOMPARE(report->matched, 6);
        QCOMPARE(report->recordsRead, 10 + 10 + 11 + 11 + 12 + 12);
    }

    void driftingStoresListEachWindow()
    {
        auto report = reconcileSqlStores(m_config, entry("drift"), kBase, kBase + 180);
        QVERIFY2(report, qPrintable(report ? QString() : report.error().toString()));
        QCOMPARE(report->matched, 4);
        QCOMPARE(int(report->mismatched.size()), 1);
        QCOMPARE(report->mismatched[0].window, (WindowId {kBase, QStringLiteral("us")}));
        QCOMPARE(report->mismatched[0].expected.total, 15.0);
        QCOMPARE(report->mismatched[0].found.total, 15.5);
        QCOMPARE(int(report->missing.size()), 1);
        QCOMPARE(report->missing[0].window, (WindowId {kBase + 120, QStringLiteral("eu")}));
        QCOMPARE(int(report->unexpected.size()), 1);
        QCOMPARE(report->unexpected[0].first, (WindowId {kBase + 120, QStringLiteral("apac")}));
        // The truth's row an hour later is outside the range, filtered even though the query does not bind :to.
        QCOMPARE(report->windows(), 7);
    }

    void unreadableStoresAreErrors()
    {
        auto gone = reconcileSqlStores(m_config, entry("unreachable"), kBase, kBase + 180);
        QVERIFY(!gone);
        QVERIFY2(gone.error().message.contains(QStringLiteral("cannot connect to postgresql://127.0.0.1:1/marts")),
            qPrintable(gone.error().toString()));
        auto narrow = reconcileSqlStores(m_config, entry("three-columns"), kBase, kBase + 180);
        QVERIFY(!narrow);
        QVERIFY2(narrow.error().message.contains(QStringLiteral("yields 3 column(s)")),
            qPrintable(narrow.error().toString()));
    }

    void commandExitCodesAndLedger()
    {
        const QString dataDir = m_dir.filePath(QStringLiteral("data"));
        const QStringList common {QStringLiteral("reconcile"), QStringLiteral("--config"), m_configPath,
            QStringLiteral("--data-dir"), dataDir, QStringLiteral("--from"), QString::number(kBase),
            QStringLiteral("--to"), QStringLiteral("2027-01-15T08:03:00Z")};
        const Run clean = pathwatch(common + QStringList {QStringLiteral("--name"), QStringLiteral("clean")});
        QVERIFY2(clean.exitCode == 0, qPrintable(clean.out + clean.err));
        QVERIFY2(clean.out.contains(QStringLiteral("6 windows, 6 matched, 0 mismatched, 0 missing, 0 unexpected")),
            qPrintable(clean.out));
        const Run drift = pathwatch(common
            + QStringList {QStringLiteral("--name"), QStringLiteral("drift"), QStringLiteral("--to"),
                QString::number(kBase + 180)});
        QCOMPARE(drift.exitCode, 6);
        QVERIFY2(drift.out.contains(QStringLiteral("missing 2027-01-15T08:02Z eu")), qPrintable(drift.out));
        QVERIFY2(drift.out.contains(QStringLiteral("unexpected 2027-01-15T08:02Z apac")), qPrintable(drift.out));
        const Run gone = pathwatch(common + QStringList {QStringLiteral("--name"), QStringLiteral("unreachable")});
        QCOMPARE(gone.exitCode, 6);
        QVERIFY2(gone.err.contains(QStringLiteral("cannot connect")), qPrintable(gone.err));
        const Run usage = pathwatch({QStringLiteral("reconcile"), QStringLiteral("--config"), m_configPath,
            QStringLiteral("--data-dir"), dataDir, QStringLiteral("--from"), QStringLiteral("yesterday")});
        QCOMPARE(usage.exitCode, 4);
        const Run unknown = pathwatch({QStringLiteral("reconcile"), QStringLiteral("--config"), m_configPath,
            QStringLiteral("--data-dir"), dataDir, QStringLiteral("--name"), QStringLiteral("nope")});
        QCOMPARE(unknown.exitCode, 4);

        auto ledger = Ledger::open(dataDir);
        QVERIFY(ledger);
        auto records = (*ledger)->verifications(VerificationRecord::Kind::Reconciliation);
        QVERIFY(records);
        QCOMPARE(int(records->size()), 3); // newest first
        QCOMPARE((*records)[2].name, QStringLiteral("clean"));
        QVERIFY((*records)[2].passed);
        QCOMPARE((*records)[2].matched, 6);
        QCOMPARE((*records)[1].name, QStringLiteral("drift"));
        QVERIFY(!(*records)[1].passed);
        QCOMPARE((*records)[1].missing, 1);
        QCOMPARE((*records)[1].mismatched, 1);
        QVERIFY(!(*records)[0].passed);
        QVERIFY2(
            (*records)[0].summary.contains(QStringLiteral("could not compare")), qPrintable((*records)[0].summary));

        // Readiness's migration layer reads them: two failed, one never ran.
        const Run readiness = pathwatch({QStringLiteral("readiness"), QStringLiteral("--config"), m_configPath,
            QStringLiteral("--data-dir"), dataDir, QStringLiteral("--json")});
        QCOMPARE(readiness.exitCode, 2);
        const QJsonObject json = QJsonDocument::fromJson(readiness.out.toUtf8()).object();
        const QJsonObject migration = json.value(QStringLiteral("layers")).toArray().at(5).toObject();
        QCOMPARE(migration.value(QStringLiteral("layer")).toString(), QStringLiteral("migration"));
        QCOMPARE(migration.value(QStringLiteral("verdict")).toString(), QStringLiteral("FAIL"));
        const QJsonArray findings = migration.value(QStringLiteral("findings")).toArray();
        QCOMPARE(findings.size(), 4);
        QCOMPARE(findings.at(0).toObject().value(QStringLiteral("verdict")).toString(), QStringLiteral("PASS"));
        QCOMPARE(findings.at(1).toObject().value(QStringLiteral("verdict")).toString(), QStringLiteral("FAIL"));
        QCOMPARE(findings.at(3).toObject().value(QStringLiteral("verdict")).toString(), QStringLiteral("UNKNOWN"));
    }

    void cleanupTestCase() { m_pg.stop(); }
};

QTEST_GUILESS_MAIN(TestSqlReconcile)
#include "tst_sqlreconcile.moc"
