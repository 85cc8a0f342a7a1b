#include "replay/sqlreconcile.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>

#include <atomic>
#include <cmath>

namespace pw {

namespace {

QString option(const SourceConfig& source, const char* key, const QString& fallback = {})
{
    const QString v = source.options.value(QString::fromLatin1(key)).toString();
    return v.isEmpty() ? fallback : v;
}

QString endpoint(const SourceConfig& source)
{
    if (option(source, "driver") == QLatin1String("QSQLITE"))
        return QStringLiteral("sqlite:%1").arg(option(source, "database"));
    return QStringLiteral("postgresql://%1:%2/%3")
        .arg(option(source, "host", QStringLiteral("localhost")), option(source, "port", QStringLiteral("5432")),
            option(source, "database"));
}

QString sqlText(const QSqlError& e)
{
    const QString text = e.text().trimmed();
    return text.isEmpty() ? QStringLiteral("unknown error") : text;
}

std::optional<std::int64_t> minuteOf(const QVariant& v)
{
    if (v.isNull())
        return std::nullopt;
    if (v.metaType().id() == QMetaType::QDateTime || v.metaType().id() == QMetaType::QDate) {
        const QDateTime t = v.toDateTime();
        if (!t.isValid())
            return std::nullopt;
        const std::int64_t s = t.toSecsSinceEpoch();
        return s - ((s % 60) + 60) % 60;
    }
    bool ok = false;
    double seconds = v.toDouble(&ok);
    if (!ok || !std::isfinite(seconds)) {
        const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (!t.isValid())
            return std::nullopt;
        seconds = double(t.toSecsSinceEpoch());
    }
    if (seconds > 1e11) // milliseconds
        seconds /= 1000.0;
    const auto s = std::int64_t(std::floor(seconds));
    return s - ((s % 60) + 60) % 60;
}

} // namespace

Result<WindowTable> readSqlWindows(
    const SourceConfig& source, const QString& query, std::int64_t fromMinute, std::int64_t toMinute)
{
    static std::atomic<quint64> counter {0};
    const QString name = QStringLiteral("pathwatch.reconcile/%1/%2").arg(source.id).arg(counter.fetch_add(1));
    const QString driver = option(source, "driver");
    const int timeoutSeconds = std::max<int>(1, int((source.timeoutMs + 999) / 1000));
    Result<WindowTable> out = WindowTable {};
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(driver, name);
        db.setDatabaseName(option(source, "database"));
        if (driver == QLatin1String("QPSQL")) {
            db.setHostName(option(source, "host", QStringLiteral("localhost")));
            db.setPort(option(source, "port", QStringLiteral("5432")).toInt());
            db.setUserName(option(source, "user"));
            db.setPassword(option(source, "password"));
            db.setConnectOptions(QStringLiteral("connect_timeout=%1;application_name=pathwatch").arg(timeoutSeconds));
        } else {
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=%1").arg(source.timeoutMs));
        }
        auto failWith = [&](Error::Code code, const QString& message) {
            Error e = Error::make(code, message);
            e.source = source.id;
            out = std::unexpected(e);
        };
        if (!db.open()) {
            failWith(Error::Code::Network,
                QStringLiteral("cannot connect to %1 (source %2): %3")
                    .arg(endpoint(source), source.id, sqlText(db.lastError())));
        } else {
            QSqlQuery q(db);
            q.setForwardOnly(true);
            if (driver == QLatin1String("QPSQL"))
                // A reconciliation only reads, and a slow query must not hold the command forever.
                q.exec(QStringLiteral("SET default_transaction_read_only = on"));
            const bool bound = query.contains(QLatin1String(":from")) || query.contains(QLatin1String(":to"));
            bool ran = false;
            if (bound) {
                ran = q.prepare(query);
                if (ran) {
                    if (query.contains(QLatin1String(":from")))
                        q.bindValue(QStringLiteral(":from"), qint64(fromMinute));
                    if (query.contains(QLatin1String(":to")))
                        q.bindValue(QStringLiteral(":to"), qint64(toMinute));
                    ran = q.exec();
                }
            } else {
                ran = q.exec(query);
            }
            if (!ran) {
                failWith(Error::Code::Generic,
                    QStringLiteral("the query of source %1 failed: %2").arg(source.id, sqlText(q.lastError())));
            } else if (q.record().count() < 4) {
                failWith(Error::Code::Parse,
                    QStringLiteral("the query of source %1 yields %2 column(s); a reconciliation needs 4: minute, key, "
                                   "events, total")
                        .arg(source.id)
                        .arg(q.record().count()));
            } else {
                WindowTable table;
                int row = 0;
                while (q.next()) {
                    ++row;
                    const auto minute = minuteOf(q.value(0));
                    bool eventsOk = false, totalOk = false;
                    const qint64 events = q.value(2).toLongLong(&eventsOk);
                    const double total = q.value(3).toDouble(&totalOk);
                    if (!minute || !eventsOk || !totalOk) {
                        failWith(Error::Code::Parse,
                            QStringLiteral("row %1 of the query of source %2 is not (minute, key, events, total): "
                                           "(%3, %4, %5, %6)")
                                .arg(row)
                                .arg(source.id, q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                                    q.value(3).toString()));
                        break;
                    }
                    if (*minute < fromMinute || *minute >= toMinute)
                        continue;
                    WindowValue& v = table[WindowId {*minute, q.value(1).toString()}];
                    v.events += events;
                    v.total += total;
                }
                if (out)
                    out = std::move(table);
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return out;
}

Result<ReconcileReport> reconcileSqlStores(
    const PipelineConfig& config, const ReconcileConfig& entry, std::int64_t fromMinute, std::int64_t toMinute)
{
    const SourceConfig* truth = config.findSource(entry.truthSourceId);
    const SourceConfig* serving = config.findSource(entry.servingSourceId);
    if (!truth || !serving)
        return fail(Error::Code::Config,
            QStringLiteral("reconcile %1 names a source the config does not have").arg(entry.name));
    auto expected = readSqlWindows(*truth, entry.truthQuery, fromMinute, toMinute);
    if (!expected)
        return std::unexpected(expected.error());
    auto found = readSqlWindows(*serving, entry.servingQuery, fromMinute, toMinute);
    if (!found)
        return std::unexpected(found.error());
    ReconcileReport report = compareWindows(*expected, *found, fromMinute, toMinute);
    for (const auto& [window, value] : *expected)
        report.recordsRead += value.events;
    return report;
}

} // namespace pw
