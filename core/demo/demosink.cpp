#include "demo/demosink.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <fstream>
#include <random>
#include <vector>

namespace pw::demo {

namespace {

namespace fs = std::filesystem;

QString pathText(const fs::path& path)
{
    return QString::fromStdString(path.string());
}

// "2026-11-26T12:03Z": sorts like the time it names, and a partition reader can parse it back.
QString isoMinute(std::int64_t minuteTs)
{
    return QDateTime::fromSecsSinceEpoch(minuteTs, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm"))
        + QLatin1Char('Z');
}

std::string listenAddress(const std::string& host, std::uint16_t port)
{
    const bool ipv6 = host.find(':') != std::string::npos && !host.starts_with('[');
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

double nowSeconds()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace

struct DemoSink::Private
{
    Options options;
    QString connectionName;
    std::mt19937 random {std::random_device {}()};

    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<prometheus::Exposer> exposer;
    prometheus::Histogram* commitDuration = nullptr;
    prometheus::Counter* putRequests = nullptr;
    prometheus::Counter* putErrors = nullptr;
    prometheus::Gauge* lastCommit = nullptr;

    Result<void> openDatabase();
    Result<void> listen();
    Result<fs::path> put(const fs::path& relative, const QByteArray& payload, bool fail);
    Result<void> replaceMinutes(const Aggregates& rows, std::int64_t checkpointId, bool partial);
};

Result<void> DemoSink::Private::openDatabase()
{
    static std::atomic<int> serial {0};
    // A name of its own, so the console's sql source (or a second demo) never shares this connection.
    connectionName = QStringLiteral("pathwatch.demo-sink/%1").arg(++serial);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
    db.setDatabaseName(pathText(options.database));
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return fail(Error::Code::Io,
            QStringLiteral("cannot open the serving database %1: %2")
                .arg(pathText(options.database), db.lastError().text()));
    QSqlQuery q(db);
    // WAL lets readers (the console's sql source, a dashboard) read while the sink writes.
    const char* statements[] = {
        "PRAGMA journal_mode=WAL",
        "CREATE TABLE IF NOT EXISTS aggregates(minute_ts INTEGER NOT NULL, key TEXT NOT NULL, events INTEGER NOT NULL, "
        "total REAL NOT NULL, loaded_at INTEGER NOT NULL, PRIMARY KEY(minute_ts, key))",
        // What each commit meant to load: the serving table should hold exactly `rows` rows of each minute.
        "CREATE TABLE IF NOT EXISTS sink_manifest(minute_ts INTEGER PRIMARY KEY, rows INTEGER NOT NULL, "
        "checkpoint INTEGER NOT NULL, committed_at INTEGER NOT NULL)",
    };
    for (const char* sql : statements)
        if (!q.exec(QString::fromLatin1(sql)))
            return fail(Error::Code::Io,
                QStringLiteral("cannot prepare the serving table in %1: %2")
                    .arg(pathText(options.database), q.lastError().text()));
    return {};
}

Result<void> DemoSink::Private::listen()
{
    auto& commits = prometheus::BuildHistogram()
                        .Name("demo_sink_commit_duration_seconds")
                        .Help("Time the demo sink took to commit a checkpoint (objects and serving table)")
                        .Register(*registry);
    commitDuration = &commits.Add(
        {}, prometheus::Histogram::BucketBoundaries {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    putRequests = &prometheus::BuildCounter()
                       .Name("demo_object_store_requests_total")
                       .Help("Requests the demo sink made to the object store")
                       .Register(*registry)
                       .Add({{"operation", "put"}});
    putErrors = &prometheus::BuildCounter()
                     .Name("demo_object_store_errors_total")
                     .Help("Object-store requests of the demo sink that failed")
                     .Register(*registry)
                     .Add({{"operation", "put"}});
    lastCommit = &prometheus::BuildGauge()
                      .Name("demo_sink_last_commit_timestamp_seconds")
                      .Help("When the demo sink last committed a checkpoint (Unix seconds)")
                      .Register(*registry)
                      .Add({});

    std::string lastError;
    for (std::uint16_t port : {options.metricsPort, std::uint16_t(0)}) {
        const std::string address = listenAddress(options.metricsHost, port);
        try {
            exposer = std::make_unique<prometheus::Exposer>(address, 2);
            exposer->RegisterCollectable(registry);
            return {};
        } catch (const std::exception& e) {
            exposer.reset();
            lastError = address + ": " + e.what();
        }
        if (port == 0)
            break;
    }
    return fail(Error::Code::Network,
        QStringLiteral("the demo sink cannot serve its metrics on %1").arg(QString::fromStdString(lastError)));
}

Result<fs::path> DemoSink::Private::put(const fs::path& relative, const QByteArray& payload, bool fail)
{
    putRequests->Increment();
    const fs::path target = options.objectStore / relative;
    auto failed = [&](const QString& why) {
        putErrors->Increment();
        return pw::fail(Error::Code::Io, QStringLiteral("object store put %1 failed: %2").arg(pathText(relative), why));
    };
    if (fail)
        return failed(QStringLiteral("503 Slow Down (object-store errors drill)"));

    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
        return failed(QString::fromStdString(ec.message()));
    // Written under a hidden name and renamed, so a reader listing the partition never sees half an object.
    const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out.write(payload.constData(), payload.size());
        out.close();
        if (!out) {
            fs::remove(temp, ec);
            return failed(QStringLiteral("cannot write %1").arg(pathText(temp)));
        }
    }
    fs::rename(temp, target, ec);
    if (ec) {
        fs::remove(temp, ec);
        return failed(QString::fromStdString(ec.message()));
    }
    return target;
}

Result<void> DemoSink::Private::replaceMinutes(const Aggregates& rows, std::int64_t checkpointId, bool partial)
{
    QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    if (!db.transaction())
        return fail(Error::Code::Io, QStringLiteral("serving table: %1").arg(db.lastError().text()));
    QSqlQuery clear(db);
    QSqlQuery insert(db);
    QSqlQuery manifest(db);
    manifest.prepare(QStringLiteral(
        "INSERT OR REPLACE INTO sink_manifest(minute_ts, rows, checkpoint, committed_at) VALUES(?, ?, ?, ?)"));
    // A minute arrives whole (every key the job counted in it), so it replaces the minute's rows: a minute emitted
    // again — a late event, a restore, a replay — ends up counted once.
    clear.prepare(QStringLiteral("DELETE FROM aggregates WHERE minute_ts = ?"));
    insert.prepare(
        QStringLiteral("INSERT INTO aggregates(minute_ts, key, events, total, loaded_at) VALUES(?, ?, ?, ?, ?)"));
    const qint64 loadedAt = QDateTime::currentSecsSinceEpoch();
    auto failed = [&db](const QSqlQuery& q) {
        const QString why = q.lastError().text();
        db.rollback();
        return fail(Error::Code::Io, QStringLiteral("serving table write failed: %1").arg(why));
    };
    std::int64_t minute = -1;
    int keyIndex = 0;
    for (const auto& [id, agg] : rows) {
        if (id.first != minute) {
            minute = id.first;
            keyIndex = 0;
            clear.addBindValue(qint64(minute));
            if (!clear.exec())
                return failed(clear);
            const auto keys = std::distance(
                rows.lower_bound({minute, std::string()}), rows.lower_bound({minute + 1, std::string()}));
            manifest.addBindValue(qint64(minute));
            manifest.addBindValue(qint64(keys));
            manifest.addBindValue(qint64(checkpointId));
            manifest.addBindValue(loadedAt);
            if (!manifest.exec())
                return failed(manifest);
        }
        if (partial && keyIndex++ % 2 == 1)
            continue; // lost on the way: the partial-writes fault
        insert.addBindValue(qint64(id.first));
        insert.addBindValue(QString::fromStdString(id.second));
        insert.addBindValue(qint64(agg.events));
        insert.addBindValue(agg.total);
        insert.addBindValue(loadedAt);
        if (!insert.exec())
            return failed(insert);
    }
    if (!db.commit()) {
        const QString why = db.lastError().text();
        db.rollback();
        return fail(Error::Code::Io, QStringLiteral("serving table commit failed: %1").arg(why));
    }
    return {};
}

DemoSink::DemoSink()
    : d(std::make_unique<Private>())
{ }

DemoSink::~DemoSink()
{
    d->exposer.reset();
    if (!d->connectionName.isEmpty()) {
        QSqlDatabase::database(d->connectionName, false).close();
        QSqlDatabase::removeDatabase(d->connectionName);
    }
}

Result<std::unique_ptr<DemoSink>> DemoSink::open(const Options& options)
{
    std::unique_ptr<DemoSink> sink(new DemoSink);
    sink->d->options = options;
    std::error_code ec;
    fs::create_directories(options.objectStore, ec);
    if (ec)
        return fail(Error::Code::Io,
            QStringLiteral("cannot create the object store %1: %2")
                .arg(pathText(options.objectStore), QString::fromStdString(ec.message())));
    if (auto db = sink->d->openDatabase(); !db)
        return std::unexpected(db.error());
    if (auto listening = sink->d->listen(); !listening)
        return std::unexpected(listening.error());
    return sink;
}

std::uint16_t DemoSink::metricsPort() const
{
    if (!d->exposer)
        return 0;
    const auto ports = d->exposer->GetListeningPorts();
    return ports.empty() ? 0 : std::uint16_t(ports.front());
}

Result<std::int64_t> DemoSink::commit(std::int64_t checkpointId, const Aggregates& rows, const Aggregates& openRows)
{
    const auto started = std::chrono::steady_clock::now();
    auto observe = [&] {
        d->commitDuration->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };

    if (m_slow) {
        const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(2000, 4000)(d->random));
        if (!d->options.pause(delay)) {
            observe();
            return fail(
                Error::Code::Cancelled, QStringLiteral("the sink commit was cut short: the pipeline is stopping"));
        }
    }

    std::vector<fs::path> written;
    auto rollback = [&] {
        std::error_code ec;
        for (const auto& path : written)
            fs::remove(path, ec);
    };
    std::int64_t bytes = 0;
    const std::string part = "part-" + std::to_string(checkpointId) + ".json";
    // One object per minute: {"minute", "minute_ts", "checkpoint", "rows": [{"key", "events", "total"}]}.
    auto minuteObject = [checkpointId](Aggregates::const_iterator& it, Aggregates::const_iterator end) {
        const std::int64_t minute = it->first.first;
        QJsonArray keys;
        for (; it != end && it->first.first == minute; ++it)
            keys.append(QJsonObject {{QStringLiteral("key"), QString::fromStdString(it->first.second)},
                {QStringLiteral("events"), qint64(it->second.events)}, {QStringLiteral("total"), it->second.total}});
        return QJsonObject {{QStringLiteral("minute"), isoMinute(minute)},
            {QStringLiteral("minute_ts"), qint64(minute)}, {QStringLiteral("checkpoint"), qint64(checkpointId)},
            {QStringLiteral("rows"), keys}};
    };
    auto injectError = [&] { return m_putErrors && std::uniform_real_distribution<double>(0, 1)(d->random) < 0.8; };
    for (auto it = rows.begin(); it != rows.end();) {
        const QJsonObject object = minuteObject(it, rows.end());
        const QByteArray payload = QJsonDocument(object).toJson(QJsonDocument::Compact);
        const std::string minuteDir = "minute=" + object.value(QStringLiteral("minute")).toString().toStdString();
        auto stored = d->put(fs::path("mart-aggregates") / minuteDir / part, payload, injectError());
        if (!stored) {
            rollback();
            observe();
            return std::unexpected(stored.error());
        }
        written.push_back(*stored);
        bytes += payload.size();
    }
    // Like a streaming file sink's in-progress file: the minutes still open are written at every checkpoint (one
    // object, replaced each time), so the object store is in use every checkpoint, not only when a minute closes.
    if (!openRows.empty()) {
        QJsonArray minutes;
        for (auto it = openRows.begin(); it != openRows.end();)
            minutes.append(minuteObject(it, openRows.end()));
        const QByteArray payload = QJsonDocument(
            QJsonObject {{QStringLiteral("checkpoint"), qint64(checkpointId)},
                {QStringLiteral("open_minutes"),
                    minutes}}).toJson(QJsonDocument::Compact);
        auto stored
            = d->put(fs::path("mart-aggregates") / "_in-progress" / "open-minutes.json", payload, injectError());
        if (!stored) {
            rollback();
            observe();
            return std::unexpected(stored.error());
        }
        bytes += payload.size();
    }

    if (auto loaded = d->replaceMinutes(rows, checkpointId, m_partialWrites); !loaded) {
        rollback();
        observe();
        return std::unexpected(loaded.error());
    }
    // The new part holds the whole minute: the parts it supersedes go, so a reader of the store counts it once.
    for (const fs::path& path : written) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(path.parent_path(), ec)) {
            const std::string name = entry.path().filename().string();
            if (entry.path() != path && name.starts_with("part-") && name.ends_with(".json"))
                fs::remove(entry.path(), ec);
        }
    }
    observe();
    d->lastCommit->Set(nowSeconds());
    return bytes;
}

} // namespace pw::demo
