#include "pollresults.h"
#include "postgresserver.h"
#include "sources/sqlfreshnesssource.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

namespace {

SignalConfig signal(const QString& name, const QString& sql)
{
    SignalConfig s;
    s.stageId = QStringLiteral("serving");
    s.name = name;
    s.id = QStringLiteral("serving/") + name;
    s.kind = SignalKind::DashboardFreshness;
    s.sourceId = QStringLiteral("db");
    s.params[QStringLiteral("sql")] = sql;
    return s;
}

const Sample* find(const PollResult& r, const QString& name)
{
    return pw::test::sampleFor(r, QStringLiteral("serving/") + name);
}

QString errorFor(const PollResult& r, const QString& name)
{
    const QString message = pw::test::signalErrorFor(r, QStringLiteral("serving/") + name);
    return message.isEmpty() ? QStringLiteral("<no error>") : message;
}

} // namespace

class TestSqlFreshness : public QObject
{
    Q_OBJECT

    test::PostgresServer m_pg;

    std::unique_ptr<SqlFreshnessSource> postgresSource(
        std::vector<SignalConfig> signals_, qint64 timeoutMs = 3000, quint16 port = 0)
    {
        SourceConfig c;
        c.id = QStringLiteral("db");
        c.kind = QStringLiteral("sql");
        c.timeoutMs = timeoutMs;
        c.options[QStringLiteral("driver")] = QStringLiteral("QPSQL");
        c.options[QStringLiteral("host")] = QStringLiteral("127.0.0.1");
        c.options[QStringLiteral("port")] = QString::number(port ? port : m_pg.port());
        c.options[QStringLiteral("database")] = QStringLiteral("marts");
        c.options[QStringLiteral("user")] = QStringLiteral("reader");
        c.options[QStringLiteral("password")] = QStringLiteral("s3cret-value");
        auto s = SqlFreshnessSource::create(c, signals_);
        if (!s)
            qFatal("%s", qPrintable(s.error().toString()));
        return std::unique_ptr<SqlFreshnessSource>(static_cast<SqlFreshnessSource*>(s->release()));
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString error = m_pg.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        bool ok = false;
        m_pg.psql(QStringLiteral("create database marts"), QStringLiteral("postgres"), &ok);
        QVERIFY(ok);
        m_pg.psql(QStringLiteral(
                      "create role reader login password 's3cret-value';"
                      "create schema serving;"
                      "create table serving.hourly(ts timestamp without time zone, v double precision);"
                      "insert into serving.hourly values ((now() at time zone 'utc') - interval '30 seconds', 1);"
                      "create table serving.zoned(ts timestamptz);"
                      "insert into serving.zoned values (now() - interval '2 minutes');"
                      "create table serving.empty(ts timestamp);"
                      "create table serving.future(ts timestamptz);"
                      "insert into serving.future values (now() + interval '1 hour');"
                      "create table serving.epoch(ts bigint);"
                      "insert into serving.epoch values (extract(epoch from now())::bigint - 600);"
                      "grant usage on schema serving to reader; grant select, insert on all tables in schema serving "
                      "to reader;"),
            QStringLiteral("marts"), &ok);
        QVERIFY(ok);
    }

    void postgresFreshness()
    {
        auto source
            = postgresSource({signal(QStringLiteral("naive"), QStringLiteral("select max(ts) from serving.hourly")),
                signal(QStringLiteral("zoned"), QStringLiteral("select max(ts) from serving.zoned")),
                signal(QStringLiteral("epoch"), QStringLiteral("select max(ts) from serving.epoch"))});
        auto r = source->pollBlocking();
        QVERIFY2(!r.error, r.error ? qPrintable(r.error->toString()) : "");
        QVERIFY2(
            r.signalErrors.empty(), r.signalErrors.empty() ? "" : qPrintable(r.signalErrors.front().second.message));
        // A timestamp without time zone is read as UTC: 30 s old, not off by the machine's UTC offset.
        QVERIFY2(find(r, QStringLiteral("naive"))->value >= 29.0 && find(r, QStringLiteral("naive"))->value < 60.0,
            qPrintable(QString::number(find(r, QStringLiteral("naive"))->value)));
        QVERIFY(find(r, QStringLiteral("zoned"))->value >= 119.0 && find(r, QStringLiteral("zoned"))->value < 150.0);
        QVERIFY(find(r, QStringLiteral("epoch"))->value >= 599.0 && find(r, QStringLiteral("epoch"))->value < 630.0);
    }

    void badResultsAreNamed()
    {
        auto source
            = postgresSource({signal(QStringLiteral("null"), QStringLiteral("select max(ts) from serving.empty")),
                signal(QStringLiteral("string"), QStringLiteral("select 'not a time'")),
                signal(QStringLiteral("missing"), QStringLiteral("select max(ts) from serving.nope")),
                signal(QStringLiteral("future"), QStringLiteral("select max(ts) from serving.future")),
                signal(QStringLiteral("write"),
                    QStringLiteral("insert into serving.hourly values (now(), 2) returning ts")),
                signal(QStringLiteral("fine"), QStringLiteral("select max(ts) from serving.hourly"))});
        auto r = source->pollBlocking();
        QVERIFY(!r.error);
        QVERIFY2(errorFor(r, QStringLiteral("null")).contains(QStringLiteral("NULL")),
            qPrintable(errorFor(r, QStringLiteral("null"))));
        QVERIFY(errorFor(r, QStringLiteral("string")).contains(QStringLiteral("not a timestamp")));
        QVERIFY2(errorFor(r, QStringLiteral("missing")).contains(QStringLiteral("serving.nope")),
            qPrintable(errorFor(r, QStringLiteral("missing"))));
        QVERIFY2(errorFor(r, QStringLiteral("future")).contains(QStringLiteral("clock skew")),
            qPrintable(errorFor(r, QStringLiteral("future"))));
        QVERIFY2(errorFor(r, QStringLiteral("write")).contains(QStringLiteral("read-only")),
            qPrintable(errorFor(r, QStringLiteral("write"))));
        // A failing statement does not spoil the ones after it.
        QVERIFY(find(r, QStringLiteral("fine")));
        bool ok = false;
        QCOMPARE(m_pg.psql(QStringLiteral("select count(*) from serving.hourly"), QStringLiteral("marts"), &ok),
            QStringLiteral("1"));
    }

    void statementTimeout()
    {
        auto source
            = postgresSource({signal(QStringLiteral("slow"), QStringLiteral("select now() from pg_sleep(10)"))}, 1000);
        QElapsedTimer t;
        t.start();
        auto r = source->pollBlocking();
        QVERIFY(t.elapsed() < 8000);
        QVERIFY2(errorFor(r, QStringLiteral("slow")).contains(QStringLiteral("statement timeout")),
            qPrintable(errorFor(r, QStringLiteral("slow"))));
    }

    void refusedConnectionNamesEndpointNotPassword()
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        const quint16 closed = probe.serverPort();
        probe.close();
        auto source = postgresSource({signal(QStringLiteral("x"), QStringLiteral("select now()"))}, 2000, closed);
        auto r = source->pollBlocking();
        QVERIFY(r.error);
        QVERIFY2(r.error->message.contains(QStringLiteral("cannot connect to postgresql://reader@127.0.0.1:")),
            qPrintable(r.error->message));
        QVERIFY(!r.error->message.contains(QStringLiteral("s3cret-value")));
    }

    void sqliteFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("serving.db"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("setup"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("create table t(ts text, e integer)")));
            const QString iso
                = QDateTime::currentDateTimeUtc().addSecs(-90).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
            QVERIFY(q.exec(QStringLiteral("insert into t values ('%1', %2)")
                               .arg(iso)
                               .arg(QDateTime::currentMSecsSinceEpoch() - 15000)));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("setup"));
        SourceConfig c;
        c.id = QStringLiteral("db");
        c.kind = QStringLiteral("sql");
        c.options[QStringLiteral("driver")] = QStringLiteral("QSQLITE");
        c.options[QStringLiteral("database")] = path;
        auto created = SqlFreshnessSource::create(c,
            {signal(QStringLiteral("text"), QStringLiteral("select max(ts) from t")),
                signal(QStringLiteral("millis"), QStringLiteral("select max(e) from t")),
                signal(QStringLiteral("write"), QStringLiteral("insert into t values ('x', 1)"))});
        QVERIFY(created);
        auto* source = static_cast<SqlFreshnessSource*>(created->get());
        auto r = source->pollBlocking();
        QVERIFY(!r.error);
        QVERIFY(find(r, QStringLiteral("text"))->value >= 89.0 && find(r, QStringLiteral("text"))->value < 120.0);
        QVERIFY(find(r, QStringLiteral("millis"))->value >= 14.0 && find(r, QStringLiteral("millis"))->value < 45.0);
        QVERIFY2(errorFor(r, QStringLiteral("write")).contains(QStringLiteral("readonly"))
                || errorFor(r, QStringLiteral("write")).contains(QStringLiteral("read-only")),
            qPrintable(errorFor(r, QStringLiteral("write"))));
    }

    void unknownDriverIsAConfigError()
    {
        SourceConfig c;
        c.id = QStringLiteral("db");
        c.options[QStringLiteral("driver")] = QStringLiteral("QMYSQL");
        auto r = SqlFreshnessSource::create(c, {signal(QStringLiteral("x"), QStringLiteral("select 1"))});
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QStringLiteral("QPSQL or QSQLITE")));
    }
};

QTEST_GUILESS_MAIN(TestSqlFreshness)
#include "tst_sqlfreshness.moc"
