#include "sources/sqlfreshnesssource.h"

#include "sources/freshness.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThread>

#include <atomic>
#include <cmath>

namespace pw {

namespace {
QString opt(const SourceConfig& c, const char* key, const QString& fallback = {})
{
    const QVariant v = c.options.value(QString::fromLatin1(key));
    return v.isValid() ? v.toString() : fallback;
}

QString sqlErrorText(const QSqlError& e)
{
    QString text = e.databaseText().trimmed();
    if (text.isEmpty())
        text = e.driverText().trimmed();
    if (text.isEmpty())
        text = e.text().trimmed();
    return text;
}
} // namespace

SqlFreshnessSource::SqlFreshnessSource(SourceConfig config, std::vector<SignalConfig> signalConfigs)
    : Source(std::move(config), std::move(signalConfigs))
{
    m_driver = opt(m_config, "driver", QStringLiteral("QSQLITE")).toUpper();
    m_zone = opt(m_config, "timestamp_timezone", QStringLiteral("UTC"));
}

Result<std::unique_ptr<Source>> SqlFreshnessSource::create(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    const QString driver = opt(config, "driver", QStringLiteral("QSQLITE")).toUpper();
    if (driver != QLatin1String("QPSQL") && driver != QLatin1String("QSQLITE")) {
        Error e = Error::make(
            Error::Code::Config, QStringLiteral("unsupported SQL driver `%1`: use QPSQL or QSQLITE").arg(driver));
        e.source = config.id;
        return std::unexpected(e);
    }
    if (!QSqlDatabase::isDriverAvailable(driver)) {
        Error e = Error::make(Error::Code::Config,
            QStringLiteral("the Qt SQL driver %1 is not installed (Debian: %2)")
                .arg(driver,
                    driver == QLatin1String("QPSQL") ? QStringLiteral("libqt6sql6-psql")
                                                     : QStringLiteral("libqt6sql6-sqlite")));
        e.source = config.id;
        return std::unexpected(e);
    }
    for (const auto& s : signalConfigs) {
        if (s.params.value(QStringLiteral("sql")).toString().trimmed().isEmpty()) {
            Error e = Error::make(Error::Code::Config, QStringLiteral("signal %1 needs `sql`").arg(s.id));
            e.source = config.id;
            return std::unexpected(e);
        }
    }
    return std::unique_ptr<Source>(new SqlFreshnessSource(config, signalConfigs));
}

QString SqlFreshnessSource::endpoint() const
{
    if (m_driver == QLatin1String("QSQLITE"))
        return QStringLiteral("sqlite:%1").arg(opt(m_config, "database"));
    QString user = opt(m_config, "user");
    return QStringLiteral("postgresql://%1%2:%3/%4")
        .arg(user.isEmpty() ? QString() : user + QLatin1Char('@'), opt(m_config, "host", QStringLiteral("localhost")),
            opt(m_config, "port", QStringLiteral("5432")), opt(m_config, "database"));
}

void SqlFreshnessSource::poll(PollContext& context, std::function<void(PollResult)> done)
{
    if (!context.runBlocking) {
        done(pollBlocking());
        return;
    }
    context.runBlocking([this, done = std::move(done)] { done(pollBlocking()); });
}

PollResult SqlFreshnessSource::pollBlocking()
{
    PollResult result;
    // Connection names are process-wide in QtSql: a process-wide counter keeps two engines (or anything else in the
    // process that opens databases) from ever sharing or replacing one of ours.
    static std::atomic<quint64> connectionCounter {0};
    const QString connectionName
        = QStringLiteral("pathwatch.sql-source/%1/%2").arg(m_config.id).arg(connectionCounter.fetch_add(1));
    const int timeoutSeconds = std::max<int>(1, int((m_config.timeoutMs + 999) / 1000));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(m_driver, connectionName);
        db.setDatabaseName(opt(m_config, "database"));
        if (m_driver == QLatin1String("QPSQL")) {
            db.setHostName(opt(m_config, "host", QStringLiteral("localhost")));
            db.setPort(opt(m_config, "port", QStringLiteral("5432")).toInt());
            db.setUserName(opt(m_config, "user"));
            db.setPassword(opt(m_config, "password"));
            // libpq: bound the connect; the statement timeout is set per transaction below.
            db.setConnectOptions(QStringLiteral("connect_timeout=%1;application_name=pathwatch").arg(timeoutSeconds));
        } else {
            db.setConnectOptions(
                QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=%1").arg(m_config.timeoutMs));
        }
        if (!db.open()) {
            result.error = Error::make(Error::Code::Network,
                QStringLiteral("cannot connect to %1: %2").arg(endpoint(), sqlErrorText(db.lastError())));
        } else {
            QSqlQuery setup(db);
            if (m_driver == QLatin1String("QPSQL")) {
                if (!setup.exec(QStringLiteral("BEGIN READ ONLY"))
                    || !setup.exec(QStringLiteral("SET LOCAL statement_timeout = %1").arg(m_config.timeoutMs))) {
                    result.error = Error::make(Error::Code::Generic,
                        QStringLiteral("cannot start a read-only "
                                       "transaction: %1")
                            .arg(sqlErrorText(setup.lastError())));
                }
            } else {
                setup.exec(QStringLiteral("BEGIN"));
            }
            if (!result.error) {
                for (const auto& signal : m_signals) {
                    QSqlQuery query(db);
                    query.setForwardOnly(true);
                    const QString sql = signal.params.value(QStringLiteral("sql")).toString();
                    if (!query.exec(sql)) {
                        result.signalErrors.emplace_back(signal.id,
                            Error::make(Error::Code::Generic,
                                QStringLiteral("query failed: %1").arg(sqlErrorText(query.lastError()))));
                        if (m_driver == QLatin1String("QPSQL")) {
                            // A failed statement aborts the transaction; start a new one for the next signal.
                            setup.exec(QStringLiteral("ROLLBACK"));
                            setup.exec(QStringLiteral("BEGIN READ ONLY"));
                            setup.exec(QStringLiteral("SET LOCAL statement_timeout = %1").arg(m_config.timeoutMs));
                        }
                        continue;
                    }
                    if (!query.next()) {
                        result.signalErrors.emplace_back(
                            signal.id, Error::make(Error::Code::Parse, QStringLiteral("query returned no rows")));
                        continue;
                    }
                    const QVariant value = query.value(0);
                    if (signal.kind == SignalKind::Custom) {
                        // A custom signal is the number itself (a count, a ratio), not a timestamp to age.
                        bool isNumber = false;
                        const double number = value.toDouble(&isNumber);
                        if (!isNumber || !std::isfinite(number)) {
                            result.signalErrors.emplace_back(
                                signal.id, Error::make(Error::Code::Parse, QStringLiteral("query returned no number")));
                            continue;
                        }
                        result.samples.push_back(Sample {signal.id, {}, nowMs(), number});
                        continue;
                    }
                    const auto format
                        = timeFormatFromName(signal.params.value(QStringLiteral("time_format")).toString());
                    auto ts = timestampToMs(value, format.value_or(TimeFormat::Auto), m_zone);
                    if (!ts) {
                        result.signalErrors.emplace_back(signal.id, ts.error());
                        continue;
                    }
                    const qint64 now = nowMs();
                    auto age = freshnessSeconds(*ts, now);
                    if (!age) {
                        result.signalErrors.emplace_back(signal.id, age.error());
                        continue;
                    }
                    result.samples.push_back(Sample {signal.id, {}, now, *age});
                }
                setup.exec(QStringLiteral("ROLLBACK"));
            }
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connectionName);
    return result;
}

} // namespace pw
