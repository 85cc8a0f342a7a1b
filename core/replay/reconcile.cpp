#include "replay/reconcile.h"

#include <librdkafka/rdkafka.h>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

#include <atomic>
#include <chrono>
#include <cmath>

namespace pw {

namespace {

bool totalsMatch(double a, double b)
{
    const double scale = std::max(std::fabs(a), std::fabs(b));
    return std::fabs(a - b) <= std::max(1e-6, scale * 1e-9);
}

QJsonObject windowJson(const WindowId& id)
{
    return QJsonObject {{QStringLiteral("minute"), minuteText(id.first)},
        {QStringLiteral("minute_ts"), qint64(id.first)}, {QStringLiteral("key"), id.second}};
}

QJsonObject valueJson(const WindowValue& v)
{
    return QJsonObject {{QStringLiteral("events"), qint64(v.events)}, {QStringLiteral("total"), v.total}};
}

QString valueText(const WindowValue& v)
{
    return QStringLiteral("%1 events, total %2").arg(v.events).arg(v.total, 0, 'f', 3);
}

std::int64_t minuteOf(std::int64_t ms)
{
    return (ms >= 0 ? ms / 60000 : (ms - 59999) / 60000) * 60;
}

struct KafkaHandle
{
    rd_kafka_t* rk = nullptr;
    ~KafkaHandle()
    {
        if (rk) {
            rd_kafka_consumer_close(rk);
            rd_kafka_destroy(rk);
        }
    }
};

void quietLog(const rd_kafka_t*, int, const char*, const char*) { }

} // namespace

QString minuteText(std::int64_t minute)
{
    return QDateTime::fromSecsSinceEpoch(minute, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm"))
        + QLatin1Char('Z');
}

ReconcileReport compareWindows(
    const WindowTable& expected, const WindowTable& found, std::int64_t fromMinute, std::int64_t toMinute)
{
    ReconcileReport report;
    report.fromMinute = fromMinute;
    report.toMinute = toMinute;
    auto inRange = [&](const WindowId& id) { return id.first >= fromMinute && id.first < toMinute; };
    for (const auto& [id, want] : expected) {
        if (!inRange(id))
            continue;
        const auto it = found.find(id);
        if (it == found.end())
            report.missing.push_back({id, want});
        else if (it->second.events != want.events || !totalsMatch(it->second.total, want.total))
            report.mismatched.push_back({id, want, it->second});
        else
            ++report.matched;
    }
    for (const auto& [id, have] : found)
        if (inRange(id) && !expected.contains(id))
            report.unexpected.emplace_back(id, have);
    return report;
}

QJsonObject ReconcileReport::toJson() const
{
    QJsonArray mismatches;
    for (const auto& m : mismatched) {
        QJsonObject o = windowJson(m.window);
        o.insert(QStringLiteral("expected"), valueJson(m.expected));
        o.insert(QStringLiteral("found"), valueJson(m.found));
        mismatches.append(o);
    }
    QJsonArray absent;
    for (const auto& m : missing) {
        QJsonObject o = windowJson(m.window);
        o.insert(QStringLiteral("expected"), valueJson(m.expected));
        absent.append(o);
    }
    QJsonArray extra;
    for (const auto& [id, value] : unexpected) {
        QJsonObject o = windowJson(id);
        o.insert(QStringLiteral("found"), valueJson(value));
        extra.append(o);
    }
    return QJsonObject {{QStringLiteral("from"), minuteText(fromMinute)}, {QStringLiteral("to"), minuteText(toMinute)},
        {QStringLiteral("records_read"), qint64(recordsRead)}, {QStringLiteral("windows"), windows()},
        {QStringLiteral("matched"), matched}, {QStringLiteral("mismatched"), mismatches},
        {QStringLiteral("missing"), absent}, {QStringLiteral("unexpected"), extra}, {QStringLiteral("clean"), clean()}};
}

QString ReconcileReport::toText(int limit) const
{
    QString text = QStringLiteral(
        "Reconciliation of the minutes from %1 up to %2 (exclusive; %3 records): %4 windows, %5 matched, %6 "
        "mismatched, %7 missing, %8 unexpected\n")
                       .arg(minuteText(fromMinute), minuteText(toMinute))
                       .arg(recordsRead)
                       .arg(windows())
                       .arg(matched)
                       .arg(mismatched.size())
                       .arg(missing.size())
                       .arg(unexpected.size());
    auto more = [&](std::size_t count) {
        if (count > std::size_t(limit))
            text += QStringLiteral("  … and %1 more\n").arg(count - std::size_t(limit));
    };
    for (std::size_t i = 0; i < mismatched.size() && i < std::size_t(limit); ++i)
        text += QStringLiteral("  mismatched %1 %2: expected %3, found %4\n")
                    .arg(minuteText(mismatched[i].window.first), mismatched[i].window.second,
                        valueText(mismatched[i].expected), valueText(mismatched[i].found));
    more(mismatched.size());
    for (std::size_t i = 0; i < missing.size() && i < std::size_t(limit); ++i)
        text += QStringLiteral("  missing %1 %2: expected %3\n")
                    .arg(minuteText(missing[i].window.first), missing[i].window.second, valueText(missing[i].expected));
    more(missing.size());
    for (std::size_t i = 0; i < unexpected.size() && i < std::size_t(limit); ++i)
        text += QStringLiteral("  unexpected %1 %2: found %3\n")
                    .arg(minuteText(unexpected[i].first.first), unexpected[i].first.second,
                        valueText(unexpected[i].second));
    more(unexpected.size());
    return text;
}

Result<WindowTable> recomputeWindowsFromTopic(const QString& bootstrapServers, const QString& topic,
    std::int64_t fromMinute, std::int64_t toMinute, std::int64_t* recordsRead, int timeoutMs)
{
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::string group = "pathwatch-reconcile-" + QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
    const std::pair<const char*, std::string> properties[] = {
        {"bootstrap.servers", bootstrapServers.toStdString()},
        {"client.id", "pathwatch-reconcile"},
        // Required by the consumer API; never joined (partitions are assigned) and never committed to.
        {"group.id", group},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"allow.auto.create.topics", "false"},
    };
    for (const auto& [name, value] : properties)
        if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return fail(Error::Code::Config, QStringLiteral("reconcile: %1").arg(QString::fromUtf8(errstr)));
        }
    rd_kafka_conf_set_log_cb(conf, quietLog);
    KafkaHandle handle;
    handle.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!handle.rk) {
        rd_kafka_conf_destroy(conf);
        return fail(Error::Code::Generic, QStringLiteral("reconcile: %1").arg(QString::fromUtf8(errstr)));
    }
    rd_kafka_t* rk = handle.rk;
    rd_kafka_poll_set_consumer(rk);

    const std::string topicName = topic.toStdString();
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topicName.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, std::min(timeoutMs, 15000));
    std::vector<std::int32_t> partitions;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int t = 0; t < metadata->topic_cnt; ++t) {
            if (metadata->topics[t].err != RD_KAFKA_RESP_ERR_NO_ERROR)
                err = metadata->topics[t].err;
            for (int p = 0; p < metadata->topics[t].partition_cnt; ++p)
                partitions.push_back(metadata->topics[t].partitions[p].id);
        }
        rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || partitions.empty())
        return fail(Error::Code::Protocol,
            QStringLiteral("reconcile: cannot read the partitions of %1: %2")
                .arg(topic,
                    err != RD_KAFKA_RESP_ERR_NO_ERROR ? QString::fromUtf8(rd_kafka_err2str(err))
                                                      : QStringLiteral("it has none")));

    // Read up to the end of the log as it is now: what comes later belongs to minutes not compared yet.
    std::map<std::int32_t, std::int64_t> end;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(partitions.size()));
    for (std::int32_t p : partitions) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        err = rd_kafka_query_watermark_offsets(rk, topicName.c_str(), p, &low, &high, std::min(timeoutMs, 15000));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_topic_partition_list_destroy(list);
            return fail(Error::Code::Protocol,
                QStringLiteral("reconcile: cannot read the watermarks of %1/%2: %3")
                    .arg(topic)
                    .arg(p)
                    .arg(QString::fromUtf8(rd_kafka_err2str(err))));
        }
        if (high > low) {
            end[p] = high;
            rd_kafka_topic_partition_list_add(list, topicName.c_str(), p)->offset = low;
        }
    }
    err = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(Error::Code::Protocol,
            QStringLiteral("reconcile: cannot assign %1: %2").arg(topic, QString::fromUtf8(rd_kafka_err2str(err))));

    WindowTable windows;
    std::int64_t counted = 0;
    constexpr double kYear2100Ms = 4102444800000.0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!end.empty()) {
        if (std::chrono::steady_clock::now() > deadline)
            return fail(Error::Code::Timeout,
                QStringLiteral("reconcile: reading %1 took longer than %2 s").arg(topic).arg(timeoutMs / 1000));
        rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 200);
        if (!message)
            continue;
        const std::int32_t partition = message->partition;
        const auto it = end.find(partition);
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (it != end.end() && message->offset >= it->second)
                end.erase(it);
        } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && it != end.end() && message->offset < it->second) {
            const QJsonObject event = QJsonDocument::fromJson(
                QByteArray::fromRawData(static_cast<const char*>(message->payload), qsizetype(message->len)))
                                          .object();
            const double eventTs = event.value(QStringLiteral("ts")).toDouble(-1);
            const std::int64_t ts = eventTs >= 0 && eventTs < kYear2100Ms
                ? std::int64_t(eventTs)
                : rd_kafka_message_timestamp(message, nullptr);
            const QString key = event.value(QStringLiteral("key")).toString();
            const std::int64_t minute = minuteOf(ts);
            if (ts >= 0 && !key.isEmpty() && key.size() <= 256 && minute >= fromMinute && minute < toMinute) {
                WindowValue& value = windows[{minute, key}];
                value.events += 1;
                value.total += event.value(QStringLiteral("value")).toDouble();
                ++counted;
            }
            if (message->offset + 1 >= it->second)
                end.erase(it);
        } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            const QString why = QString::fromUtf8(rd_kafka_message_errstr(message));
            const bool fatal = message->err != RD_KAFKA_RESP_ERR__TRANSPORT;
            rd_kafka_message_destroy(message);
            if (fatal)
                return fail(Error::Code::Protocol, QStringLiteral("reconcile: reading %1 failed: %2").arg(topic, why));
            continue;
        }
        rd_kafka_message_destroy(message);
    }
    if (recordsRead)
        *recordsRead = counted;
    return windows;
}

namespace {

template<typename Body>
auto withServingDatabase(const QString& databasePath, Body body) -> decltype(body(std::declval<QSqlDatabase&>()))
{
    static std::atomic<quint64> serial {0};
    const QString name = QStringLiteral("pathwatch.reconcile/%1").arg(serial.fetch_add(1));
    decltype(body(std::declval<QSqlDatabase&>())) result
        = fail(Error::Code::Io, QStringLiteral("cannot open the serving database %1").arg(databasePath));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(databasePath);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        if (db.open())
            result = body(db);
        else
            result = fail(Error::Code::Io,
                QStringLiteral("cannot open the serving database %1: %2").arg(databasePath, db.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return result;
}

} // namespace

Result<WindowTable> readServingWindows(const QString& databasePath, std::int64_t fromMinute, std::int64_t toMinute)
{
    return withServingDatabase(databasePath, [&](QSqlDatabase& db) -> Result<WindowTable> {
        QSqlQuery q(db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral(
            "SELECT minute_ts, key, events, total FROM aggregates WHERE minute_ts >= ? AND minute_ts < ?"));
        q.addBindValue(qint64(fromMinute));
        q.addBindValue(qint64(toMinute));
        if (!q.exec())
            return fail(Error::Code::Io, QStringLiteral("serving table: %1").arg(q.lastError().text()));
        WindowTable windows;
        while (q.next())
            windows[{q.value(0).toLongLong(), q.value(1).toString()}]
                = WindowValue {q.value(2).toLongLong(), q.value(3).toDouble()};
        return windows;
    });
}

Result<std::int64_t> newestServingMinute(const QString& databasePath)
{
    return withServingDatabase(databasePath, [&](QSqlDatabase& db) -> Result<std::int64_t> {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT max(minute_ts) FROM aggregates")) || !q.next())
            return fail(Error::Code::Io, QStringLiteral("serving table: %1").arg(q.lastError().text()));
        return q.value(0).isNull() ? std::int64_t(-1) : std::int64_t(q.value(0).toLongLong());
    });
}

Result<std::int64_t> newestMinuteCommittedAfter(const QString& databasePath, std::int64_t afterSeconds)
{
    return withServingDatabase(databasePath, [&](QSqlDatabase& db) -> Result<std::int64_t> {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT max(minute_ts) FROM sink_manifest WHERE committed_at > ?"));
        q.addBindValue(qint64(afterSeconds));
        if (!q.exec() || !q.next())
            return fail(Error::Code::Io, QStringLiteral("sink manifest: %1").arg(q.lastError().text()));
        return q.value(0).isNull() ? std::int64_t(-1) : std::int64_t(q.value(0).toLongLong());
    });
}

Result<ReconcileReport> reconcileServingTable(const QString& bootstrapServers, const QString& topic,
    const QString& databasePath, std::int64_t fromMinute, std::int64_t toMinute)
{
    std::int64_t records = 0;
    auto expected = recomputeWindowsFromTopic(bootstrapServers, topic, fromMinute, toMinute, &records);
    if (!expected)
        return std::unexpected(expected.error());
    auto found = readServingWindows(databasePath, fromMinute, toMinute);
    if (!found)
        return std::unexpected(found.error());
    ReconcileReport report = compareWindows(*expected, *found, fromMinute, toMinute);
    report.recordsRead = records;
    return report;
}

} // namespace pw
