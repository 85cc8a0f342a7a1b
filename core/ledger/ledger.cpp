#include "ledger/ledger.h"

#include "model/sample.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

Q_LOGGING_CATEGORY(lcLedger, "pathwatch.ledger", QtWarningMsg)

namespace pw {

namespace {

constexpr int kSchemaVersion = 1;
// Offsets rows are packed per partition and hour once the hour is over: a day of 5 s polls stays far below what one
// SQLite row per poll costs (about 35 bytes, 600 KB per partition per day).
constexpr qint64 kChunkSpanMs = 3600LL * 1000;
// Thinned offsets keep the first row of each bucket (plus every row around a committed offset that went back).
constexpr qint64 kThinBucketMs = 10LL * 60 * 1000;
// A consume rate is measured over at least this much time: Flink commits once per checkpoint, so shorter windows
// see a whole checkpoint's worth of records land at once.
constexpr qint64 kRateWindowMs = 60LL * 1000;
constexpr size_t kMaxQueuedTasks = 10000;
constexpr char kChunkFormat = 1;

std::atomic<quint64> g_connectionCounter {0};

/// Qt binds a null QString as SQL NULL; every text column of the ledger is NOT NULL, an empty string is meant.
QVariant text(const QString& s)
{
    return s.isNull() ? QVariant(QString::fromLatin1("")) : QVariant(s);
}

QString sqlText(const QSqlError& e)
{
    QString text = e.databaseText().isEmpty() ? e.text() : e.databaseText();
    return text.trimmed();
}

/// One connection of the calling thread: Qt Sql connections belong to the thread that opened them, so every thread
/// (the writer, each reader, each audit append) gets its own, removed when this goes out of scope.
class Connection
{
public:
    Connection(const QString& file, qint64 busyTimeoutMs)
        : m_name(QStringLiteral("pw-ledger-%1").arg(++g_connectionCounter))
    {
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        m_db.setDatabaseName(file);
        m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(busyTimeoutMs));
    }
    ~Connection()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    QSqlDatabase& db() { return m_db; }

private:
    QString m_name;
    QSqlDatabase m_db;
};

// --- packed offsets --------------------------------------------------------------------------------------------

struct PackedRow
{
    qint64 atMs = 0;
    qint64 committed = -1;
    qint64 high = -1;
    qint64 logStart = -1;
    bool operator==(const PackedRow&) const = default;
};

quint64 zigzag(qint64 v)
{
    return (quint64(v) << 1) ^ quint64(v >> 63);
}
qint64 unzigzag(quint64 v)
{
    return qint64(v >> 1) ^ -qint64(v & 1);
}
void putVarint(QByteArray& out, quint64 v)
{
    while (v >= 0x80) {
        out.append(char(v | 0x80));
        v >>= 7;
    }
    out.append(char(v));
}
bool getVarint(const char*& p, const char* end, quint64& v)
{
    v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        const auto byte = quint8(*p++);
        v |= quint64(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

/// Column by column, each value as the zig-zag varint of its delta of delta (times and offsets grow steadily, so
/// those are small), then zlib: about 2-3 bytes per row.
QByteArray encodeChunk(const std::vector<PackedRow>& rows)
{
    QByteArray raw;
    raw.reserve(int(rows.size()) * 8 + 8);
    raw.append(kChunkFormat);
    putVarint(raw, rows.size());
    auto column = [&](auto field, bool deltaOfDelta) {
        qint64 previous = 0;
        qint64 previousDelta = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            const qint64 v = rows[i].*field;
            if (i == 0) {
                putVarint(raw, zigzag(v));
            } else {
                const qint64 delta = v - previous;
                putVarint(raw, zigzag(deltaOfDelta ? delta - previousDelta : delta));
                previousDelta = delta;
            }
            previous = v;
        }
    };
    column(&PackedRow::atMs, true);
    column(&PackedRow::committed, true);
    column(&PackedRow::high, true);
    column(&PackedRow::logStart, false);
    return qCompress(raw, 9);
}

std::optional<std::vector<PackedRow>> decodeChunk(const QByteArray& blob)
{
    const QByteArray raw = qUncompress(blob);
    if (raw.isEmpty() || raw.at(0) != kChunkFormat)
        return std::nullopt;
    const char* p = raw.constData() + 1;
    const char* end = raw.constData() + raw.size();
    quint64 count = 0;
    if (!getVarint(p, end, count) || count > quint64(raw.size()))
        return std::nullopt;
    std::vector<PackedRow> rows(count);
    auto column = [&](auto field, bool deltaOfDelta) {
        qint64 previous = 0;
        qint64 previousDelta = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            quint64 v = 0;
            if (!getVarint(p, end, v))
                return false;
            if (i == 0) {
                previous = unzigzag(v);
            } else {
                const qint64 delta = deltaOfDelta ? previousDelta + unzigzag(v) : unzigzag(v);
                previous += delta;
                previousDelta = delta;
            }
            rows[i].*field = previous;
        }
        return true;
    };
    if (!column(&PackedRow::atMs, true) || !column(&PackedRow::committed, true) || !column(&PackedRow::high, true)
        || !column(&PackedRow::logStart, false))
        return std::nullopt;
    return rows;
}

/// Thinning keeps the first row of each bucket, the last row, and both rows around every committed offset that went
/// back (a reset or a replay: exactly the positions a later recovery may want).
std::vector<PackedRow> thinRows(const std::vector<PackedRow>& rows)
{
    std::vector<bool> keep(rows.size(), false);
    qint64 bucket = std::numeric_limits<qint64>::min();
    for (size_t i = 0; i < rows.size(); ++i) {
        const qint64 b = rows[i].atMs / kThinBucketMs;
        if (b != bucket) {
            keep[i] = true;
            bucket = b;
        }
        if (i > 0 && rows[i].committed < rows[i - 1].committed) {
            keep[i] = true;
            keep[i - 1] = true;
        }
    }
    if (!rows.empty())
        keep.back() = true;
    std::vector<PackedRow> out;
    for (size_t i = 0; i < rows.size(); ++i)
        if (keep[i])
            out.push_back(rows[i]);
    return out;
}

// --- schema ----------------------------------------------------------------------------------------------------

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)",
    // One row per partition a group was seen on: the offsets tables refer to it by id to stay small.
    "CREATE TABLE IF NOT EXISTS offset_series(id INTEGER PRIMARY KEY, source_id TEXT NOT NULL, cluster_id TEXT NOT "
    "NULL, group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, UNIQUE(source_id, group_id, "
    "topic, partition, cluster_id))",
    // Rows of the current hour, one per poll that changed something (or a minute after the last one).
    "CREATE TABLE IF NOT EXISTS offset_rows(series_id INTEGER NOT NULL, at_ms INTEGER NOT NULL, committed INTEGER NOT "
    "NULL, high INTEGER NOT NULL, log_start INTEGER NOT NULL, PRIMARY KEY(series_id, at_ms)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS offset_rows_at ON offset_rows(at_ms)",
    // Older rows, packed per partition and hour (see encodeChunk).
    "CREATE TABLE IF NOT EXISTS offset_chunks(id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, start_ms INTEGER "
    "NOT NULL, end_ms INTEGER NOT NULL, row_count INTEGER NOT NULL, thinned INTEGER NOT NULL DEFAULT 0, data BLOB NOT "
    "NULL)",
    "CREATE INDEX IF NOT EXISTS offset_chunks_series ON offset_chunks(series_id, start_ms)",
    "CREATE INDEX IF NOT EXISTS offset_chunks_end ON offset_chunks(end_ms)",
    "CREATE VIEW IF NOT EXISTS offsets_recent AS SELECT s.source_id, s.cluster_id, s.group_id AS \"group\", s.topic, "
    "s.partition, r.committed, r.high, r.log_start, r.at_ms FROM offset_rows r JOIN offset_series s ON s.id = "
    "r.series_id",
    "CREATE TABLE IF NOT EXISTS group_rates(source_id TEXT NOT NULL, group_id TEXT NOT NULL, best_rate REAL NOT NULL, "
    "at_ms INTEGER NOT NULL, PRIMARY KEY(source_id, group_id))",
    "CREATE TABLE IF NOT EXISTS checkpoints(source_id TEXT NOT NULL, job_id TEXT NOT NULL, job_name TEXT NOT NULL, "
    "checkpoint_id INTEGER NOT NULL, status TEXT NOT NULL, savepoint INTEGER NOT NULL, trigger_ms INTEGER NOT NULL, "
    "completion_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL, size_bytes INTEGER NOT NULL, external_path TEXT NOT "
    "NULL, observed_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL, PRIMARY KEY(source_id, job_id, checkpoint_id))",
    "CREATE INDEX IF NOT EXISTS checkpoints_ended ON checkpoints(source_id, job_id, ended_ms)",
    "CREATE TABLE IF NOT EXISTS transitions(id INTEGER PRIMARY KEY, subject TEXT NOT NULL, subject_id TEXT NOT NULL, "
    "stage_id TEXT NOT NULL, labels TEXT NOT NULL, from_severity TEXT NOT NULL, to_severity TEXT NOT NULL, value REAL, "
    "unit TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS transitions_at ON transitions(at_ms)",
    "CREATE TABLE IF NOT EXISTS incidents(id INTEGER PRIMARY KEY AUTOINCREMENT, stage_id TEXT NOT NULL, start_ms "
    "INTEGER NOT NULL, end_ms INTEGER NOT NULL DEFAULT 0, worst TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS incidents_open ON incidents(stage_id, end_ms)",
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, actor TEXT NOT "
    "NULL, source_id TEXT NOT NULL, cluster_id TEXT NOT NULL, group_id TEXT NOT NULL, target TEXT NOT NULL, reason "
    "TEXT NOT NULL, plan_hash TEXT NOT NULL, outcome TEXT NOT NULL, details TEXT NOT NULL, undo_of INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS verifications(id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, kind TEXT "
    "NOT NULL, name TEXT NOT NULL, passed INTEGER NOT NULL, summary TEXT NOT NULL, matched INTEGER NOT NULL, "
    "mismatched INTEGER NOT NULL, missing INTEGER NOT NULL, unexpected INTEGER NOT NULL, audit_id INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS verifications_kind ON verifications(kind, at_ms)",
    // Append-only, enforced by the file itself so no tool that opens it can rewrite history.
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is "
    "append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_rewrite BEFORE UPDATE OF id, at_ms, actor, source_id, cluster_id, "
    "group_id, target, reason, plan_hash, undo_of ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: "
    "only the outcome and details of an entry may change'); END",
};

QString severityText(Severity s)
{
    return severityName(s);
}
Severity severityFrom(const QString& text)
{
    return severityFromName(text).value_or(Severity::Unknown);
}

QString labelsJson(const Labels& labels)
{
    QJsonArray array;
    for (const auto& [name, value] : labels)
        array.append(QJsonArray {name, value});
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}
Labels labelsFromJson(const QString& text)
{
    Labels labels;
    for (const QJsonValue& v : QJsonDocument::fromJson(text.toUtf8()).array()) {
        const QJsonArray pair = v.toArray();
        labels.emplace_back(pair.at(0).toString(), pair.at(1).toString());
    }
    return labels;
}

Transition::Subject subjectFrom(const QString& text)
{
    if (text == QLatin1String("stage"))
        return Transition::Subject::Stage;
    if (text == QLatin1String("source"))
        return Transition::Subject::Source;
    return Transition::Subject::Signal;
}

qint64 checkpointEndedMs(const CheckpointObservation& c)
{
    return c.completionMs > 0 ? c.completionMs : c.triggerMs + c.durationMs;
}

struct SeriesKey
{
    QString sourceId;
    QString clusterId;
    QString group;
    QString topic;
    int32_t partition = 0;
    bool operator<(const SeriesKey& o) const
    {
        return std::tie(sourceId, clusterId, group, topic, partition)
            < std::tie(o.sourceId, o.clusterId, o.group, o.topic, o.partition);
    }
};

struct SeriesInfo
{
    qint64 id = 0;
    QString clusterId;
    QString group;
    QString topic;
    int32_t partition = 0;
};

struct RateState
{
    double cumulative = 0; // records consumed since this process started watching the group
    std::deque<std::pair<qint64, double>> points; // (time, cumulative), the last kRateWindowMs and one before
    double best = -1; // -1: not read from the file yet
};

} // namespace

struct Ledger::Private
{
    QString file;
    Options options;

    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable idle;
    std::deque<std::function<void()>> tasks;
    quint64 enqueued = 0;
    quint64 completed = 0;
    bool stopping = false;
    QString degraded;
    qint64 degradedSinceMs = 0; // wall clock, for the status document
    std::thread writer;

    // Writer thread only.
    std::unique_ptr<Connection> writerConnection;
    std::map<SeriesKey, qint64> seriesIds;
    std::map<qint64, PackedRow> lastRows; // the last row written of each series
    std::map<std::pair<QString, QString>, RateState> rates;
    qint64 lastMaintenanceMs = 0;

    qint64 now() const { return options.clock ? options.clock() : nowMs(); }

    Error ioError(const QString& what, const QString& why) const
    {
        Error e = Error::make(Error::Code::Io, QStringLiteral("%1 %2: %3").arg(what, file, why));
        e.file = file;
        return e;
    }
    Error queryError(const QSqlQuery& q) const
    {
        return ioError(QStringLiteral("cannot read the ledger"), sqlText(q.lastError()));
    }

    // Logged once on entering the degraded state and once on leaving it: a full disk fails every poll, and a line
    // per poll would bury everything else.
    void setDegraded(const QString& why)
    {
        std::lock_guard lock(mutex);
        setDegradedLocked(why);
    }
    void setDegradedLocked(const QString& why)
    {
        if (degraded.isEmpty()) {
            qCWarning(lcLedger).noquote()
                << QStringLiteral("the recovery ledger is degraded (monitoring goes on): %1").arg(why);
            degradedSinceMs = nowMs();
        }
        degraded = why;
    }
    void clearDegraded()
    {
        std::lock_guard lock(mutex);
        if (degraded.isEmpty())
            return;
        qCWarning(lcLedger).noquote() << QStringLiteral(
            "the recovery ledger %1 is written again (it was degraded for %2 s: %3)")
                                             .arg(file)
                                             .arg((nowMs() - degradedSinceMs) / 1000)
                                             .arg(degraded);
        degraded.clear();
        degradedSinceMs = 0;
    }

    void enqueue(std::function<void()> task)
    {
        {
            std::lock_guard lock(mutex);
            if (tasks.size() >= kMaxQueuedTasks) {
                setDegradedLocked(QStringLiteral("the ledger %1 cannot keep up: writes are being dropped").arg(file));
                return;
            }
            tasks.push_back(std::move(task));
            ++enqueued;
        }
        wake.notify_one();
    }

    void run()
    {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [&] { return stopping || !tasks.empty(); });
                if (tasks.empty())
                    break;
                task = std::move(tasks.front());
                tasks.pop_front();
            }
            task();
            {
                std::lock_guard lock(mutex);
                ++completed;
            }
            idle.notify_all();
        }
        // Connections belong to this thread: close it here.
        writerConnection.reset();
    }

    QSqlDatabase* writerDb()
    {
        if (writerConnection)
            return &writerConnection->db();
        auto connection = std::make_unique<Connection>(file, options.busyTimeoutMs);
        if (!connection->db().open()) {
            setDegraded(QStringLiteral("cannot open the ledger %1 for writing: %2")
                            .arg(file, sqlText(connection->db().lastError())));
            return nullptr;
        }
        QSqlQuery q(connection->db());
        // WAL keeps a committed poll through a crash of the process; NORMAL skips the fsync per commit, which only
        // a power cut could make matter.
        q.exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
        writerConnection = std::move(connection);
        lastMaintenanceMs = now();
        return &writerConnection->db();
    }

    bool writeFailed(QSqlDatabase& db, const QString& what, const QSqlError& error)
    {
        db.rollback();
        setDegraded(QStringLiteral("cannot write %1 to the ledger %2: %3").arg(what, file, sqlText(error)));
        return false;
    }

    std::optional<qint64> seriesId(QSqlDatabase& db, const SeriesKey& key, std::map<SeriesKey, qint64>& added)
    {
        if (auto it = seriesIds.find(key); it != seriesIds.end())
            return it->second;
        if (auto it = added.find(key); it != added.end())
            return it->second;
        QSqlQuery q(db);
        q.prepare(QStringLiteral("INSERT OR IGNORE INTO offset_series(source_id, cluster_id, group_id, topic, "
                                 "partition) VALUES(?, ?, ?, ?, ?)"));
        q.addBindValue(text(key.sourceId));
        q.addBindValue(text(key.clusterId));
        q.addBindValue(text(key.group));
        q.addBindValue(text(key.topic));
        q.addBindValue(key.partition);
        if (!q.exec())
            return std::nullopt;
        q.prepare(QStringLiteral("SELECT id FROM offset_series WHERE source_id = ? AND cluster_id = ? AND group_id = ? "
                                 "AND topic = ? AND partition = ?"));
        q.addBindValue(text(key.sourceId));
        q.addBindValue(text(key.clusterId));
        q.addBindValue(text(key.group));
        q.addBindValue(text(key.topic));
        q.addBindValue(key.partition);
        if (!q.exec() || !q.next())
            return std::nullopt;
        const qint64 id = q.value(0).toLongLong();
        added.emplace(key, id);
        return id;
    }

    void writePoll(const QString& sourceId, const QString& clusterId, const std::vector<OffsetObservation>& offsets,
        const std::vector<CheckpointObservation>& checkpoints)
    {
        QSqlDatabase* dbp = writerDb();
        if (!dbp)
            return;
        QSqlDatabase& db = *dbp;
        const QString what = QStringLiteral("a poll of %1").arg(sourceId);
        if (!db.transaction()) {
            setDegraded(
                QStringLiteral("cannot write %1 to the ledger %2: %3").arg(what, file, sqlText(db.lastError())));
            return;
        }
        std::map<SeriesKey, qint64> addedSeries;
        std::map<qint64, PackedRow> written;
        struct GroupPoll
        {
            qint64 atMs = 0;
            double consumed = 0;
        };
        std::map<QString, GroupPoll> groupPolls;
        const qint64 fallbackMs = now();

        QSqlQuery insert(db);
        insert.prepare(
            QStringLiteral("INSERT OR REPLACE INTO offset_rows(series_id, at_ms, committed, high, log_start) VALUES(?, "
                           "?, ?, ?, ?)"));
        for (const OffsetObservation& o : offsets) {
            const auto id = seriesId(db, SeriesKey {sourceId, clusterId, o.group, o.topic, o.partition}, addedSeries);
            if (!id) {
                writeFailed(db, what, db.lastError());
                return;
            }
            const PackedRow row {
                o.observedMs > 0 ? o.observedMs : fallbackMs, o.committedOffset, o.highWatermark, o.logStartOffset};
            const auto last = lastRows.find(*id);
            const bool hasLast = last != lastRows.end();
            GroupPoll& gp = groupPolls[o.group];
            gp.atMs = std::max(gp.atMs, row.atMs);
            if (hasLast && last->second.committed >= 0 && row.committed >= last->second.committed)
                gp.consumed += double(row.committed - last->second.committed);
            if (hasLast && row.atMs < last->second.atMs)
                continue; // an answer older than what is stored (a clock that went back): keep the newer row
            const bool changed = !hasLast || last->second.committed != row.committed || last->second.high != row.high
                || last->second.logStart != row.logStart;
            if (!changed && row.atMs - last->second.atMs < options.minRowIntervalMs)
                continue;
            insert.addBindValue(*id);
            insert.addBindValue(row.atMs);
            insert.addBindValue(row.committed);
            insert.addBindValue(row.high);
            insert.addBindValue(row.logStart);
            if (!insert.exec()) {
                writeFailed(db, what, insert.lastError());
                return;
            }
            written[*id] = row;
        }

        std::map<std::pair<QString, QString>, RateState> newRates;
        QSqlQuery rate(db);
        for (const auto& [group, gp] : groupPolls) {
            const auto key = std::pair(sourceId, group);
            RateState state = rates.contains(key) ? rates[key] : RateState {};
            if (state.best < 0) {
                rate.prepare(QStringLiteral("SELECT best_rate FROM group_rates WHERE source_id = ? AND group_id = ?"));
                rate.addBindValue(text(sourceId));
                rate.addBindValue(text(group));
                if (!rate.exec()) {
                    writeFailed(db, what, rate.lastError());
                    return;
                }
                state.best = rate.next() ? rate.value(0).toDouble() : 0.0;
            }
            state.cumulative += gp.consumed;
            state.points.emplace_back(gp.atMs, state.cumulative);
            // Keep the newest point at least a window before the latest one, and everything after it.
            while (state.points.size() > 2 && state.points.back().first - state.points[1].first >= kRateWindowMs)
                state.points.pop_front();
            const auto& [firstMs, firstCount] = state.points.front();
            const qint64 spanMs = state.points.back().first - firstMs;
            if (spanMs >= kRateWindowMs) {
                const double r = (state.points.back().second - firstCount) * 1000.0 / double(spanMs);
                if (r > state.best) {
                    state.best = r;
                    rate.prepare(QStringLiteral("INSERT INTO group_rates(source_id, group_id, best_rate, at_ms) "
                                                "VALUES(?, ?, ?, ?) ON CONFLICT(source_id, group_id) DO UPDATE SET "
                                                "best_rate = excluded.best_rate, at_ms = excluded.at_ms"));
                    rate.addBindValue(text(sourceId));
                    rate.addBindValue(text(group));
                    rate.addBindValue(r);
                    rate.addBindValue(gp.atMs);
                    if (!rate.exec()) {
                        writeFailed(db, what, rate.lastError());
                        return;
                    }
                }
            }
            newRates[key] = std::move(state);
        }

        if (!checkpoints.empty()) {
            QSqlQuery upsert(db);
            upsert.prepare(QStringLiteral(
                "INSERT INTO checkpoints(source_id, job_id, job_name, checkpoint_id, status, savepoint, trigger_ms, "
                "completion_ms, duration_ms, size_bytes, external_path, observed_ms, ended_ms) VALUES(?, ?, ?, ?, ?, "
                "?, "
                "?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_id, job_id, checkpoint_id) DO UPDATE SET job_name = "
                "excluded.job_name, status = excluded.status, savepoint = excluded.savepoint, trigger_ms = "
                "excluded.trigger_ms, completion_ms = excluded.completion_ms, duration_ms = excluded.duration_ms, "
                "size_bytes = excluded.size_bytes, external_path = excluded.external_path, ended_ms = "
                "excluded.ended_ms WHERE status IS NOT excluded.status OR completion_ms IS NOT excluded.completion_ms "
                "OR duration_ms IS NOT excluded.duration_ms OR size_bytes IS NOT excluded.size_bytes OR external_path "
                "IS NOT excluded.external_path OR savepoint IS NOT excluded.savepoint"));
            for (const CheckpointObservation& c : checkpoints) {
                upsert.addBindValue(text(sourceId));
                upsert.addBindValue(text(c.jobId));
                upsert.addBindValue(text(c.jobName));
                upsert.addBindValue(c.checkpointId);
                upsert.addBindValue(text(c.status));
                upsert.addBindValue(c.savepoint ? 1 : 0);
                upsert.addBindValue(c.triggerMs);
                upsert.addBindValue(c.completionMs);
                upsert.addBindValue(c.durationMs);
                upsert.addBindValue(c.sizeBytes);
                upsert.addBindValue(text(c.externalPath));
                upsert.addBindValue(c.observedMs > 0 ? c.observedMs : fallbackMs);
                upsert.addBindValue(checkpointEndedMs(c));
                if (!upsert.exec()) {
                    writeFailed(db, what, upsert.lastError());
                    return;
                }
            }
        }

        if (!db.commit()) {
            writeFailed(db, what, db.lastError());
            return;
        }
        // Only what is on disk counts as written: a failed poll must not hide the next poll's changes.
        seriesIds.merge(addedSeries);
        for (auto& [id, row] : written)
            lastRows[id] = row;
        for (auto& [key, state] : newRates)
            rates[key] = std::move(state);
        clearDegraded();
        maybeMaintain();
    }

    void writeTransitions(const std::vector<Transition>& transitions)
    {
        QSqlDatabase* dbp = writerDb();
        if (!dbp)
            return;
        QSqlDatabase& db = *dbp;
        const QString what = QStringLiteral("severity transitions");
        if (!db.transaction()) {
            setDegraded(
                QStringLiteral("cannot write %1 to the ledger %2: %3").arg(what, file, sqlText(db.lastError())));
            return;
        }
        QSqlQuery insert(db);
        insert.prepare(QStringLiteral("INSERT INTO transitions(subject, subject_id, stage_id, labels, from_severity, "
                                      "to_severity, value, unit, reason, at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        QSqlQuery q(db);
        for (const Transition& t : transitions) {
            insert.addBindValue(text(transitionSubjectName(t.subject)));
            insert.addBindValue(text(t.id));
            insert.addBindValue(text(t.stageId));
            insert.addBindValue(labelsJson(t.labels));
            insert.addBindValue(severityText(t.from));
            insert.addBindValue(severityText(t.to));
            insert.addBindValue(t.value ? QVariant(*t.value) : QVariant(QMetaType::fromType<double>()));
            insert.addBindValue(text(t.unit));
            insert.addBindValue(text(t.reason));
            insert.addBindValue(t.atMs);
            if (!insert.exec()) {
                writeFailed(db, what, insert.lastError());
                return;
            }
            if (t.subject != Transition::Subject::Stage)
                continue;
            const QString stage = t.stageId.isEmpty() ? t.id : t.stageId;
            q.prepare(QStringLiteral("SELECT id, worst FROM incidents WHERE stage_id = ? AND end_ms = 0 ORDER BY id "
                                     "DESC LIMIT 1"));
            q.addBindValue(text(stage));
            if (!q.exec()) {
                writeFailed(db, what, q.lastError());
                return;
            }
            const bool open = q.next();
            const qint64 openId = open ? q.value(0).toLongLong() : 0;
            const Severity openWorst = open ? severityFrom(q.value(1).toString()) : Severity::Unknown;
            q.finish();
            const bool bad = t.to == Severity::Warn || t.to == Severity::Crit || t.to == Severity::Stale;
            if (bad && !open) {
                q.prepare(QStringLiteral(
                    "INSERT INTO incidents(stage_id, start_ms, end_ms, worst, reason) VALUES(?, ?, 0, ?, ?)"));
                q.addBindValue(text(stage));
                q.addBindValue(t.atMs);
                q.addBindValue(severityText(t.to));
                q.addBindValue(text(t.reason));
            } else if (bad && worse(openWorst, t.to) != openWorst) {
                q.prepare(QStringLiteral("UPDATE incidents SET worst = ? WHERE id = ?"));
                q.addBindValue(severityText(t.to));
                q.addBindValue(openId);
            } else if (t.to == Severity::Ok && open) {
                q.prepare(QStringLiteral("UPDATE incidents SET end_ms = ? WHERE id = ?"));
                q.addBindValue(std::max(t.atMs, qint64(1)));
                q.addBindValue(openId);
            } else {
                continue;
            }
            if (!q.exec()) {
                writeFailed(db, what, q.lastError());
                return;
            }
        }
        if (!db.commit()) {
            writeFailed(db, what, db.lastError());
            return;
        }
        clearDegraded();
    }

    void maybeMaintain()
    {
        if (now() - lastMaintenanceMs >= options.maintenanceIntervalMs)
            maintain();
    }

    /// Packs finished hours, thins old chunks, applies retention and the size cap. Each step is its own
    /// transaction, so a failure leaves every row where it was.
    void maintain()
    {
        QSqlDatabase* dbp = writerDb();
        if (!dbp)
            return;
        QSqlDatabase& db = *dbp;
        const qint64 t = now();
        lastMaintenanceMs = t;
        // Each work function answers the SQLite error that stopped it, empty when it went through.
        auto step = [&](const QString& what, const std::function<QString(QSqlQuery&)>& work) {
            if (!db.transaction()) {
                setDegraded(QStringLiteral("ledger maintenance (%1) of %2 failed: %3")
                                .arg(what, file, sqlText(db.lastError())));
                return;
            }
            QString why;
            {
                QSqlQuery q(db);
                why = work(q);
            }
            if (why.isEmpty() && !db.commit())
                why = sqlText(db.lastError());
            if (!why.isEmpty()) {
                db.rollback();
                setDegraded(QStringLiteral("ledger maintenance (%1) of %2 failed: %3").arg(what, file, why));
            }
        };

        const qint64 cutoff = (t / kChunkSpanMs) * kChunkSpanMs;
        step(QStringLiteral("packing offsets"), [&](QSqlQuery& q) { return compact(db, q, cutoff); });
        step(QStringLiteral("thinning offsets"), [&](QSqlQuery& q) { return thin(db, q, t - options.thinAfterMs); });
        step(QStringLiteral("retention"), [&](QSqlQuery& q) { return expire(q, t - options.retentionMs); });
        capSize();
        QSqlQuery q(db);
        q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
    }

    QString compact(QSqlDatabase& db, QSqlQuery& q, qint64 cutoff)
    {
        q.setForwardOnly(true);
        // Hour by hour, so the chunks of one hour sit together in the file and the size cap, which deletes the
        // oldest first, frees whole pages.
        q.prepare(QStringLiteral("SELECT series_id, at_ms, committed, high, log_start FROM offset_rows WHERE at_ms < ? "
                                 "ORDER BY at_ms / ?, series_id, at_ms"));
        q.addBindValue(cutoff);
        q.addBindValue(kChunkSpanMs);
        if (!q.exec())
            return sqlText(q.lastError());
        QSqlQuery insert(db);
        insert.prepare(QStringLiteral(
            "INSERT INTO offset_chunks(series_id, start_ms, end_ms, row_count, data) VALUES(?, ?, ?, ?, ?)"));
        std::vector<PackedRow> rows;
        qint64 series = -1;
        qint64 hour = 0;
        auto flushChunk = [&] {
            if (rows.empty())
                return true;
            insert.addBindValue(series);
            insert.addBindValue(rows.front().atMs);
            insert.addBindValue(rows.back().atMs);
            insert.addBindValue(qint64(rows.size()));
            insert.addBindValue(encodeChunk(rows));
            rows.clear();
            return insert.exec();
        };
        while (q.next()) {
            const qint64 s = q.value(0).toLongLong();
            const PackedRow row {
                q.value(1).toLongLong(), q.value(2).toLongLong(), q.value(3).toLongLong(), q.value(4).toLongLong()};
            if (s != series || row.atMs / kChunkSpanMs != hour) {
                if (!flushChunk())
                    return sqlText(insert.lastError());
                series = s;
                hour = row.atMs / kChunkSpanMs;
            }
            rows.push_back(row);
        }
        if (!flushChunk())
            return sqlText(insert.lastError());
        q.finish();
        q.prepare(QStringLiteral("DELETE FROM offset_rows WHERE at_ms < ?"));
        q.addBindValue(cutoff);
        return q.exec() ? QString() : sqlText(q.lastError());
    }

    QString thin(QSqlDatabase& db, QSqlQuery& q, qint64 before)
    {
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT id, data FROM offset_chunks WHERE thinned = 0 AND end_ms < ?"));
        q.addBindValue(before);
        if (!q.exec())
            return sqlText(q.lastError());
        std::vector<std::pair<qint64, QByteArray>> chunks;
        while (q.next())
            chunks.emplace_back(q.value(0).toLongLong(), q.value(1).toByteArray());
        q.finish();
        QSqlQuery update(db);
        update.prepare(QStringLiteral("UPDATE offset_chunks SET thinned = 1, row_count = ?, data = ?, start_ms = ?, "
                                      "end_ms = ? WHERE id = ?"));
        for (const auto& [id, data] : chunks) {
            const auto rows = decodeChunk(data);
            if (!rows || rows->empty()) {
                qCWarning(lcLedger) << "offsets chunk" << id << "of" << file << "cannot be decoded; left as it is";
                continue;
            }
            const auto kept = thinRows(*rows);
            update.addBindValue(qint64(kept.size()));
            update.addBindValue(encodeChunk(kept));
            update.addBindValue(kept.front().atMs);
            update.addBindValue(kept.back().atMs);
            update.addBindValue(id);
            if (!update.exec())
                return sqlText(update.lastError());
        }
        return {};
    }

    QString expire(QSqlQuery& q, qint64 before)
    {
        const char* const statements[] = {
            "DELETE FROM offset_chunks WHERE end_ms < ?",
            "DELETE FROM offset_rows WHERE at_ms < ?",
            "DELETE FROM checkpoints WHERE ended_ms < ? AND status <> 'IN_PROGRESS'",
            "DELETE FROM transitions WHERE at_ms < ?",
            "DELETE FROM incidents WHERE end_ms > 0 AND end_ms < ?",
        };
        for (const char* sql : statements) {
            q.prepare(QString::fromLatin1(sql));
            q.addBindValue(before);
            if (!q.exec())
                return sqlText(q.lastError());
        }
        return {};
    }

    std::optional<qint64> pragma(QSqlDatabase& db, const char* name)
    {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA ") + QLatin1String(name)) || !q.next())
            return std::nullopt;
        return q.value(0).toLongLong();
    }

    qint64 usedBytes(QSqlDatabase& db)
    {
        const auto pages = pragma(db, "page_count");
        const auto free = pragma(db, "freelist_count");
        const auto size = pragma(db, "page_size");
        if (!pages || !free || !size)
            return 0;
        return (*pages - *free) * *size;
    }

    /// Over `max_bytes`: the oldest offsets go first (they are the least likely replay targets), then old
    /// transitions and checkpoints. The audit log is never cut.
    void capSize()
    {
        QSqlDatabase& db = writerConnection->db();
        for (int round = 0; round < 64; ++round) {
            const qint64 used = usedBytes(db);
            if (used <= options.maxBytes)
                break;
            // Aim a tenth below the cap, so this does not run again at the next maintenance.
            const double excess = double(used - options.maxBytes * 9 / 10) / double(used);
            bool removed = false;
            for (const char* table : {"offset_chunks", "offset_rows", "transitions", "checkpoints"}) {
                const QString t = QLatin1String(table);
                const QString order = t == QLatin1String("offset_chunks") ? QStringLiteral("end_ms")
                    : t == QLatin1String("checkpoints")                   ? QStringLiteral("ended_ms")
                                                                          : QStringLiteral("at_ms");
                QSqlQuery q(db);
                if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM ") + t) || !q.next())
                    continue;
                const qint64 count = q.value(0).toLongLong();
                if (count == 0)
                    continue;
                const qint64 n = std::clamp<qint64>(qint64(double(count) * excess) + 1, 1, count);
                const QString rowKey = t == QLatin1String("offset_rows") ? QStringLiteral("(series_id, at_ms)")
                                                                         : QStringLiteral("rowid");
                const QString select = t == QLatin1String("offset_rows")
                    ? QStringLiteral("SELECT series_id, at_ms FROM offset_rows ORDER BY at_ms LIMIT %1").arg(n)
                    : QStringLiteral("SELECT rowid FROM %1 ORDER BY %2 LIMIT %3").arg(t, order).arg(n);
                if (!q.exec(QStringLiteral("DELETE FROM %1 WHERE %2 IN (%3)").arg(t, rowKey, select))) {
                    setDegraded(QStringLiteral("cannot cut the ledger %1 to its size limit: %2")
                                    .arg(file, sqlText(q.lastError())));
                    return;
                }
                removed = true;
                qCInfo(lcLedger) << "ledger over max_bytes:" << n << "oldest rows of" << t << "deleted";
                break;
            }
            if (!removed)
                break;
        }
        // Give freed pages back to the file system when a good part of the file is free. Qt runs this pragma one
        // step (one page) per exec, so it is repeated, in one transaction.
        const auto pages = pragma(db, "page_count");
        const auto free = pragma(db, "freelist_count");
        if (pages && free && *free > 64 && *free * 4 > *pages && db.transaction()) {
            {
                QSqlQuery q(db);
                for (qint64 i = 0; i < *free; ++i)
                    if (!q.exec(QStringLiteral("PRAGMA incremental_vacuum(1)")))
                        break;
            }
            if (!db.commit())
                db.rollback();
        }
    }

    // --- reads ---

    Result<std::unique_ptr<Connection>> reader() const
    {
        auto connection = std::make_unique<Connection>(file, options.busyTimeoutMs);
        if (!connection->db().open())
            return std::unexpected(
                ioError(QStringLiteral("cannot open the ledger"), sqlText(connection->db().lastError())));
        return connection;
    }

    // For each partition of the series whose `column` is `value`, the newest row at or before `atMs`; NotFound when
    // the ledger holds none ("does not cover T").
    Result<std::vector<LedgerOffsetRow>> newestRowsAt(
        const QString& sourceId, const QString& column, const QString& value, const QString& what, qint64 atMs) const
    {
        auto connection = reader();
        if (!connection)
            return std::unexpected(connection.error());
        QSqlDatabase& db = (*connection)->db();
        auto all = series(db, sourceId, column, value);
        if (!all)
            return std::unexpected(all.error());
        auto rows = newestPerPartition(db, sourceId, *all, atMs);
        if (!rows)
            return rows;
        if (rows->empty())
            return fail(Error::Code::NotFound,
                QStringLiteral(
                    "the ledger does not cover %1: it holds no offsets of %2 %3 of source %4 at or before it")
                    .arg(QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC).toString(Qt::ISODateWithMs), what, value,
                        sourceId));
        return rows;
    }

    Result<std::vector<SeriesInfo>> series(
        QSqlDatabase& db, const QString& sourceId, const QString& column, const QString& value) const
    {
        QSqlQuery q(db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT id, cluster_id, group_id, topic, partition FROM offset_series WHERE "
                                 "source_id = ? AND %1 = ? ORDER BY topic, partition, group_id")
                      .arg(column));
        q.addBindValue(text(sourceId));
        q.addBindValue(value);
        if (!q.exec())
            return std::unexpected(queryError(q));
        std::vector<SeriesInfo> out;
        while (q.next())
            out.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                q.value(4).toInt()});
        return out;
    }

    /// Rows of one series between two times (inclusive), oldest first: packed hours and the current one.
    Result<std::vector<PackedRow>> rowsOf(QSqlDatabase& db, qint64 seriesId, qint64 fromMs, qint64 toMs) const
    {
        std::vector<PackedRow> out;
        QSqlQuery q(db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT data FROM offset_chunks WHERE series_id = ? AND start_ms <= ? AND end_ms >= ? "
                                 "ORDER BY start_ms"));
        q.addBindValue(seriesId);
        q.addBindValue(toMs);
        q.addBindValue(fromMs);
        if (!q.exec())
            return std::unexpected(queryError(q));
        while (q.next()) {
            const auto rows = decodeChunk(q.value(0).toByteArray());
            if (!rows)
                return std::unexpected(
                    ioError(QStringLiteral("the ledger"), QStringLiteral("a packed offsets row is corrupt")));
            for (const PackedRow& r : *rows)
                if (r.atMs >= fromMs && r.atMs <= toMs)
                    out.push_back(r);
        }
        q.prepare(QStringLiteral("SELECT at_ms, committed, high, log_start FROM offset_rows WHERE series_id = ? AND "
                                 "at_ms BETWEEN ? AND ? ORDER BY at_ms"));
        q.addBindValue(seriesId);
        q.addBindValue(fromMs);
        q.addBindValue(toMs);
        if (!q.exec())
            return std::unexpected(queryError(q));
        while (q.next())
            out.push_back(
                {q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toLongLong(), q.value(3).toLongLong()});
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.atMs < b.atMs; });
        return out;
    }

    Result<std::optional<PackedRow>> newestAtOrBefore(QSqlDatabase& db, qint64 seriesId, qint64 atMs) const
    {
        std::optional<PackedRow> best;
        QSqlQuery q(db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT at_ms, committed, high, log_start FROM offset_rows WHERE series_id = ? AND "
                                 "at_ms <= ? ORDER BY at_ms DESC LIMIT 1"));
        q.addBindValue(seriesId);
        q.addBindValue(atMs);
        if (!q.exec())
            return std::unexpected(queryError(q));
        if (q.next())
            best = PackedRow {
                q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toLongLong(), q.value(3).toLongLong()};
        q.prepare(QStringLiteral("SELECT data FROM offset_chunks WHERE series_id = ? AND start_ms <= ? ORDER BY "
                                 "start_ms DESC LIMIT 1"));
        q.addBindValue(seriesId);
        q.addBindValue(atMs);
        if (!q.exec())
            return std::unexpected(queryError(q));
        if (q.next()) {
            const auto rows = decodeChunk(q.value(0).toByteArray());
            if (!rows)
                return std::unexpected(
                    ioError(QStringLiteral("the ledger"), QStringLiteral("a packed offsets row is corrupt")));
            for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
                if (it->atMs <= atMs) {
                    if (!best || it->atMs > best->atMs)
                        best = *it;
                    break;
                }
            }
        }
        return best;
    }

    /// The newest row at or before `atMs` of each series; when several clusters answered under one source id, only
    /// the cluster of the newest row counts (two clusters' offsets never mix in one answer).
    Result<std::vector<LedgerOffsetRow>> newestPerPartition(
        QSqlDatabase& db, const QString& sourceId, const std::vector<SeriesInfo>& all, qint64 atMs) const
    {
        std::map<std::pair<QString, int32_t>, LedgerOffsetRow> perPartition;
        QString newestCluster;
        qint64 newestMs = std::numeric_limits<qint64>::min();
        std::vector<std::pair<SeriesInfo, PackedRow>> found;
        for (const SeriesInfo& s : all) {
            auto row = newestAtOrBefore(db, s.id, atMs);
            if (!row)
                return std::unexpected(row.error());
            if (!*row)
                continue;
            if ((*row)->atMs > newestMs) {
                newestMs = (*row)->atMs;
                newestCluster = s.clusterId;
            }
            found.emplace_back(s, **row);
        }
        for (const auto& [s, r] : found) {
            if (s.clusterId != newestCluster)
                continue;
            auto& slot = perPartition[{s.topic, s.partition}];
            if (slot.atMs >= r.atMs && !slot.sourceId.isEmpty())
                continue;
            slot = LedgerOffsetRow {
                sourceId, s.clusterId, s.group, s.topic, s.partition, r.committed, r.high, r.logStart, r.atMs};
        }
        std::vector<LedgerOffsetRow> out;
        for (auto& [key, row] : perPartition)
            out.push_back(std::move(row));
        return out;
    }
};

Ledger::Ledger()
    : d(std::make_unique<Private>())
{ }

Ledger::~Ledger()
{
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    if (d->writer.joinable())
        d->writer.join();
}

namespace {

QString describeOpenFailure(const QString& file, const QString& sqlite)
{
    const QString lower = sqlite.toLower();
    if (lower.contains(QLatin1String("not a database")) || lower.contains(QLatin1String("malformed"))
        || lower.contains(QLatin1String("corrupt")))
        return QStringLiteral("the ledger %1 is corrupt or not a SQLite database (%2); it was left untouched: move it "
                              "away to start a new ledger")
            .arg(file, sqlite);
    if (lower.contains(QLatin1String("locked")) || lower.contains(QLatin1String("busy")))
        return QStringLiteral("the ledger %1 is locked by another process (%2); try again when it is done")
            .arg(file, sqlite);
    if (lower.contains(QLatin1String("full")))
        return QStringLiteral("the disk holding the ledger %1 is full (%2)").arg(file, sqlite);
    if (lower.contains(QLatin1String("readonly")) || lower.contains(QLatin1String("read-only"))
        || lower.contains(QLatin1String("unable to open")))
        return QStringLiteral("cannot open the ledger %1 for writing (%2): the file or its directory is not writable")
            .arg(file, sqlite);
    return QStringLiteral("cannot open the ledger %1: %2").arg(file, sqlite);
}

} // namespace

Result<std::unique_ptr<Ledger>> Ledger::open(const QString& path, Options options)
{
    QString file = path;
    if (QFileInfo(path).isDir())
        file = QDir(path).filePath(QStringLiteral("ledger.sqlite"));
    file = QFileInfo(file).absoluteFilePath();
    auto ioFail = [&](const QString& message) {
        Error e = Error::make(Error::Code::Io, message);
        e.file = file;
        return std::unexpected(e);
    };
    const QFileInfo info(file);
    const QFileInfo dir(info.absolutePath());
    if (!dir.isDir())
        return ioFail(QStringLiteral("cannot create the ledger %1: the directory %2 does not exist")
                          .arg(file, info.absolutePath()));
    if (info.exists() && !info.isFile())
        return ioFail(QStringLiteral("the ledger %1 exists but is not a file").arg(file));
    // Checked before SQLite tries: its own answer is "unable to open database file" in every case.
    if (!dir.isWritable())
        return ioFail(QStringLiteral("cannot open the ledger %1: its directory %2 is not writable (the ledger needs "
                                     "to create its journal files there)")
                          .arg(file, info.absolutePath()));
    if (info.exists() && (!info.isReadable() || !info.isWritable()))
        return ioFail(QStringLiteral("cannot open the ledger %1: the file is not readable and writable").arg(file));

    std::unique_ptr<Ledger> ledger(new Ledger());
    ledger->d->file = file;
    ledger->d->options = std::move(options);
    {
        Connection connection(file, ledger->d->options.busyTimeoutMs);
        QSqlDatabase& db = connection.db();
        if (!db.open())
            return ioFail(describeOpenFailure(file, sqlText(db.lastError())));
        QSqlQuery q(db);
        auto failed = [&](const QSqlError& e) { return ioFail(describeOpenFailure(file, sqlText(e))); };
        // Reading the schema is what tells a file that is not a database (SQLite opens lazily).
        if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master")) || !q.next())
            return failed(q.lastError());
        const bool fresh = q.value(0).toLongLong() == 0;
        q.finish();
        // Only an empty file may change its vacuum mode; it lets maintenance return freed pages to the disk.
        if (fresh && !q.exec(QStringLiteral("PRAGMA auto_vacuum=INCREMENTAL")))
            return failed(q.lastError());
        if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !q.next())
            return failed(q.lastError());
        if (q.value(0).toString().toLower() != QLatin1String("wal"))
            return ioFail(QStringLiteral("the ledger %1 cannot use write-ahead logging (journal mode stays %2); is "
                                         "it on a network file system?")
                              .arg(file, q.value(0).toString()));
        q.finish();
        // A thorough check reads every page; only worth it while that is quick.
        if (!fresh && info.size() < 64LL * 1024 * 1024) {
            if (!q.exec(QStringLiteral("PRAGMA quick_check(1)")) || !q.next())
                return failed(q.lastError());
            if (q.value(0).toString() != QLatin1String("ok"))
                return ioFail(describeOpenFailure(file, QStringLiteral("integrity check: ") + q.value(0).toString()));
            q.finish();
        }
        if (!db.transaction())
            return failed(db.lastError());
        for (const char* sql : kSchema) {
            if (!q.exec(QString::fromLatin1(sql))) {
                const QSqlError e = q.lastError();
                db.rollback();
                return failed(e);
            }
        }
        if (!q.exec(QStringLiteral("SELECT MAX(version) FROM schema_version")) || !q.next()) {
            const QSqlError e = q.lastError();
            db.rollback();
            return failed(e);
        }
        const int version = q.value(0).isNull() ? 0 : q.value(0).toInt();
        q.finish();
        if (version > kSchemaVersion) {
            db.rollback();
            return ioFail(QStringLiteral("the ledger %1 was written by a newer Pathwatch (schema %2, this one knows "
                                         "%3); it was left untouched")
                              .arg(file)
                              .arg(version)
                              .arg(kSchemaVersion));
        }
        if (version == 0
            && !q.exec(QStringLiteral("INSERT INTO schema_version(version) VALUES(%1)").arg(kSchemaVersion))) {
            const QSqlError e = q.lastError();
            db.rollback();
            return failed(e);
        }
        if (!db.commit())
            return failed(db.lastError());
    }
    Private* p = ledger->d.get();
    p->writer = std::thread([p] { p->run(); });
    return ledger;
}

QString Ledger::path() const
{
    return d->file;
}

QString Ledger::degradedReason() const
{
    std::lock_guard lock(d->mutex);
    return d->degraded;
}

qint64 Ledger::degradedSinceMs() const
{
    std::lock_guard lock(d->mutex);
    return d->degradedSinceMs;
}

void Ledger::recordPoll(const QString& sourceId, const QString& clusterId,
    const std::vector<OffsetObservation>& offsets, const std::vector<CheckpointObservation>& checkpoints)
{
    if (offsets.empty() && checkpoints.empty())
        return;
    Private* p = d.get();
    p->enqueue(
        [p, sourceId, clusterId, offsets, checkpoints] { p->writePoll(sourceId, clusterId, offsets, checkpoints); });
}

void Ledger::recordTransitions(const std::vector<Transition>& transitions)
{
    if (transitions.empty())
        return;
    Private* p = d.get();
    p->enqueue([p, transitions] { p->writeTransitions(transitions); });
}

void Ledger::runMaintenance()
{
    Private* p = d.get();
    p->enqueue([p] { p->maintain(); });
}

void Ledger::flush()
{
    std::unique_lock lock(d->mutex);
    const quint64 target = d->enqueued;
    d->idle.wait(lock, [&] { return d->completed >= target; });
}

Result<std::vector<LedgerOffsetRow>> Ledger::committedOffsetsAt(
    const QString& sourceId, const QString& group, qint64 atMs)
{
    return d->newestRowsAt(sourceId, QStringLiteral("group_id"), group, QStringLiteral("group"), atMs);
}

Result<std::vector<LedgerOffsetRow>> Ledger::highWatermarksAt(
    const QString& sourceId, const QString& topic, qint64 atMs)
{
    return d->newestRowsAt(sourceId, QStringLiteral("topic"), topic, QStringLiteral("topic"), atMs);
}

Result<std::vector<LedgerOffsetRow>> Ledger::offsetHistory(
    const QString& sourceId, const QString& group, qint64 fromMs, qint64 toMs)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlDatabase& db = (*connection)->db();
    auto all = d->series(db, sourceId, QStringLiteral("group_id"), group);
    if (!all)
        return std::unexpected(all.error());
    std::vector<LedgerOffsetRow> out;
    for (const SeriesInfo& s : *all) {
        auto rows = d->rowsOf(db, s.id, fromMs, toMs);
        if (!rows)
            return std::unexpected(rows.error());
        for (const PackedRow& r : *rows)
            out.push_back(LedgerOffsetRow {
                sourceId, s.clusterId, s.group, s.topic, s.partition, r.committed, r.high, r.logStart, r.atMs});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.atMs, a.topic, a.partition) < std::tie(b.atMs, b.topic, b.partition);
    });
    return out;
}

Result<std::optional<double>> Ledger::bestConsumeRate(const QString& sourceId, const QString& group)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.prepare(QStringLiteral("SELECT best_rate FROM group_rates WHERE source_id = ? AND group_id = ?"));
    q.addBindValue(text(sourceId));
    q.addBindValue(text(group));
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    if (!q.next() || q.value(0).toDouble() <= 0)
        return std::optional<double> {};
    return std::optional<double>(q.value(0).toDouble());
}

namespace {

LedgerCheckpointRow checkpointRow(const QSqlQuery& q)
{
    LedgerCheckpointRow row;
    row.sourceId = q.value(0).toString();
    CheckpointObservation& c = row.checkpoint;
    c.jobId = q.value(1).toString();
    c.jobName = q.value(2).toString();
    c.checkpointId = q.value(3).toLongLong();
    c.status = q.value(4).toString();
    c.savepoint = q.value(5).toInt() != 0;
    c.triggerMs = q.value(6).toLongLong();
    c.completionMs = q.value(7).toLongLong();
    c.durationMs = q.value(8).toLongLong();
    c.sizeBytes = q.value(9).toLongLong();
    c.externalPath = q.value(10).toString();
    c.observedMs = q.value(11).toLongLong();
    return row;
}

const char* const kCheckpointColumns = "source_id, job_id, job_name, checkpoint_id, status, savepoint, trigger_ms, "
                                       "completion_ms, duration_ms, size_bytes, external_path, observed_ms";

Incident incidentRow(const QSqlQuery& q)
{
    return Incident {q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toLongLong(), q.value(3).toLongLong(),
        severityFrom(q.value(4).toString()), q.value(5).toString()};
}

const char* const kIncidentColumns = "id, stage_id, start_ms, end_ms, worst, reason";

AuditEntry auditRow(const QSqlQuery& q)
{
    AuditEntry e;
    e.id = q.value(0).toLongLong();
    e.atMs = q.value(1).toLongLong();
    e.actor = q.value(2).toString();
    e.sourceId = q.value(3).toString();
    e.clusterId = q.value(4).toString();
    e.group = q.value(5).toString();
    e.target = q.value(6).toString();
    e.reason = q.value(7).toString();
    e.planHash = q.value(8).toString();
    e.outcome = q.value(9).toString();
    e.details = q.value(10).toString().toUtf8();
    e.undoOf = q.value(11).toLongLong();
    return e;
}

const char* const kAuditColumns
    = "id, at_ms, actor, source_id, cluster_id, group_id, target, reason, plan_hash, outcome, details, undo_of";

} // namespace

Result<std::vector<LedgerCheckpointRow>> Ledger::checkpointsBefore(
    const QString& sourceId, const QString& jobId, qint64 atMs, int limit)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM checkpoints WHERE source_id = ? AND job_id = ? AND status IN "
                             "('COMPLETED', 'FAILED') AND ended_ms < ? ORDER BY ended_ms DESC, checkpoint_id DESC "
                             "LIMIT ?")
                  .arg(QLatin1String(kCheckpointColumns)));
    q.addBindValue(text(sourceId));
    q.addBindValue(jobId);
    q.addBindValue(atMs);
    q.addBindValue(std::max(limit, 0));
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    std::vector<LedgerCheckpointRow> out;
    while (q.next())
        out.push_back(checkpointRow(q));
    return out;
}

Result<std::vector<LedgerCheckpointRow>> Ledger::checkpointsSince(qint64 fromMs, int limit, bool savepointsOnly)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.setForwardOnly(true);
    q.prepare(
        QStringLiteral("SELECT %1 FROM checkpoints WHERE status IN ('COMPLETED', 'FAILED') AND ended_ms >= ? %2 "
                       "ORDER BY ended_ms DESC, checkpoint_id DESC LIMIT ?")
            .arg(QLatin1String(kCheckpointColumns), savepointsOnly ? QStringLiteral("AND savepoint = 1") : QString()));
    q.addBindValue(fromMs);
    q.addBindValue(std::max(limit, 0));
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    std::vector<LedgerCheckpointRow> out;
    while (q.next())
        out.push_back(checkpointRow(q));
    return out;
}

Result<std::optional<LedgerCheckpointRow>> Ledger::checkpoint(const QString& sourceId, const QString& jobId, qint64 id)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.prepare(QStringLiteral("SELECT %1 FROM checkpoints WHERE source_id = ? AND job_id = ? AND checkpoint_id = ?")
                  .arg(QLatin1String(kCheckpointColumns)));
    q.addBindValue(text(sourceId));
    q.addBindValue(jobId);
    q.addBindValue(id);
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    if (!q.next())
        return std::optional<LedgerCheckpointRow> {};
    return std::optional<LedgerCheckpointRow>(checkpointRow(q));
}

Result<std::vector<Incident>> Ledger::incidents(qint64 fromMs, qint64 toMs)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM incidents WHERE start_ms <= ? AND (end_ms = 0 OR end_ms >= ?) ORDER BY "
                             "start_ms, id")
                  .arg(QLatin1String(kIncidentColumns)));
    q.addBindValue(toMs);
    q.addBindValue(fromMs);
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    std::vector<Incident> out;
    while (q.next())
        out.push_back(incidentRow(q));
    return out;
}

Result<std::optional<Incident>> Ledger::incident(qint64 id)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.prepare(QStringLiteral("SELECT %1 FROM incidents WHERE id = ?").arg(QLatin1String(kIncidentColumns)));
    q.addBindValue(id);
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    if (!q.next())
        return std::optional<Incident> {};
    return std::optional<Incident>(incidentRow(q));
}

Result<std::optional<Incident>> Ledger::newestOpenIncident(const std::vector<QString>& stageIds)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    QString where = QStringLiteral("end_ms = 0");
    if (!stageIds.empty()) {
        QStringList marks;
        for (size_t i = 0; i < stageIds.size(); ++i)
            marks << QStringLiteral("?");
        where += QStringLiteral(" AND stage_id IN (%1)").arg(marks.join(QLatin1Char(',')));
    }
    q.prepare(QStringLiteral("SELECT %1 FROM incidents WHERE %2 ORDER BY start_ms DESC, id DESC LIMIT 1")
                  .arg(QLatin1String(kIncidentColumns), where));
    for (const QString& s : stageIds)
        q.addBindValue(text(s));
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    if (!q.next())
        return std::optional<Incident> {};
    return std::optional<Incident>(incidentRow(q));
}

Result<std::vector<Transition>> Ledger::transitions(qint64 fromMs, qint64 toMs)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT subject, subject_id, stage_id, labels, from_severity, to_severity, value, unit, "
                             "reason, at_ms FROM transitions WHERE at_ms BETWEEN ? AND ? ORDER BY at_ms, id"));
    q.addBindValue(fromMs);
    q.addBindValue(toMs);
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    std::vector<Transition> out;
    while (q.next()) {
        Transition t;
        t.subject = subjectFrom(q.value(0).toString());
        t.id = q.value(1).toString();
        t.stageId = q.value(2).toString();
        t.labels = labelsFromJson(q.value(3).toString());
        t.from = severityFrom(q.value(4).toString());
        t.to = severityFrom(q.value(5).toString());
        if (!q.value(6).isNull())
            t.value = q.value(6).toDouble();
        t.unit = q.value(7).toString();
        t.reason = q.value(8).toString();
        t.atMs = q.value(9).toLongLong();
        out.push_back(std::move(t));
    }
    return out;
}

Result<qint64> Ledger::appendAudit(const AuditEntry& entry)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlDatabase& db = (*connection)->db();
    QSqlQuery q(db);
    // The entry must be on disk before the recovery it describes goes on, power cut or not.
    q.exec(QStringLiteral("PRAGMA synchronous=FULL"));
    q.prepare(QStringLiteral("INSERT INTO audit(at_ms, actor, source_id, cluster_id, group_id, target, reason, "
                             "plan_hash, outcome, details, undo_of) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(entry.atMs > 0 ? entry.atMs : nowMs());
    q.addBindValue(text(entry.actor));
    q.addBindValue(text(entry.sourceId));
    q.addBindValue(text(entry.clusterId));
    q.addBindValue(text(entry.group));
    q.addBindValue(text(entry.target));
    q.addBindValue(text(entry.reason));
    q.addBindValue(text(entry.planHash));
    q.addBindValue(text(entry.outcome));
    q.addBindValue(text(QString::fromUtf8(entry.details)));
    q.addBindValue(entry.undoOf);
    if (!q.exec())
        return std::unexpected(
            d->ioError(QStringLiteral("cannot append to the audit log of the ledger"), sqlText(q.lastError())));
    const QVariant id = q.lastInsertId();
    if (!id.isValid())
        return std::unexpected(
            d->ioError(QStringLiteral("cannot append to the audit log of the ledger"), QStringLiteral("no row id")));
    return id.toLongLong();
}

Result<void> Ledger::updateAuditOutcome(qint64 id, const QString& outcome, const QByteArray& details)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.exec(QStringLiteral("PRAGMA synchronous=FULL"));
    q.prepare(QStringLiteral("UPDATE audit SET outcome = ?, details = ? WHERE id = ?"));
    q.addBindValue(text(outcome));
    q.addBindValue(text(QString::fromUtf8(details)));
    q.addBindValue(id);
    if (!q.exec())
        return std::unexpected(
            d->ioError(QStringLiteral("cannot update the audit log of the ledger"), sqlText(q.lastError())));
    if (q.numRowsAffected() != 1)
        return fail(Error::Code::NotFound, QStringLiteral("the audit log has no entry %1").arg(id));
    return {};
}

Result<std::vector<AuditEntry>> Ledger::auditEntries(qint64 fromMs, qint64 toMs)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM audit WHERE at_ms >= ? AND at_ms <= ? ORDER BY id")
                  .arg(QLatin1String(kAuditColumns)));
    q.addBindValue(fromMs);
    q.addBindValue(toMs > 0 ? toMs : std::numeric_limits<qint64>::max());
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    std::vector<AuditEntry> out;
    while (q.next())
        out.push_back(auditRow(q));
    return out;
}

Result<std::optional<AuditEntry>> Ledger::auditEntry(qint64 id)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.prepare(QStringLiteral("SELECT %1 FROM audit WHERE id = ?").arg(QLatin1String(kAuditColumns)));
    q.addBindValue(id);
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    if (!q.next())
        return std::optional<AuditEntry> {};
    return std::optional<AuditEntry>(auditRow(q));
}

namespace {

QString verificationKindText(VerificationRecord::Kind kind)
{
    return kind == VerificationRecord::Kind::Rehearsal ? QStringLiteral("rehearsal") : QStringLiteral("reconciliation");
}

} // namespace

Result<qint64> Ledger::appendVerification(const VerificationRecord& record)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.exec(QStringLiteral("PRAGMA synchronous=FULL"));
    q.prepare(QStringLiteral("INSERT INTO verifications(at_ms, kind, name, passed, summary, matched, mismatched, "
                             "missing, unexpected, audit_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(record.atMs > 0 ? record.atMs : nowMs());
    q.addBindValue(verificationKindText(record.kind));
    q.addBindValue(text(record.name));
    q.addBindValue(record.passed ? 1 : 0);
    q.addBindValue(text(record.summary));
    q.addBindValue(record.matched);
    q.addBindValue(record.mismatched);
    q.addBindValue(record.missing);
    q.addBindValue(record.unexpected);
    q.addBindValue(record.auditId);
    if (!q.exec())
        return std::unexpected(
            d->ioError(QStringLiteral("cannot record the verification in the ledger"), sqlText(q.lastError())));
    return q.lastInsertId().toLongLong();
}

Result<std::vector<VerificationRecord>> Ledger::verifications(VerificationRecord::Kind kind, int limit)
{
    auto connection = d->reader();
    if (!connection)
        return std::unexpected(connection.error());
    QSqlQuery q((*connection)->db());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, at_ms, name, passed, summary, matched, mismatched, missing, unexpected, "
                             "audit_id FROM verifications WHERE kind = ? ORDER BY at_ms DESC, id DESC LIMIT ?"));
    q.addBindValue(verificationKindText(kind));
    q.addBindValue(std::max(limit, 0));
    if (!q.exec())
        return std::unexpected(d->queryError(q));
    std::vector<VerificationRecord> out;
    while (q.next()) {
        VerificationRecord r;
        r.kind = kind;
        r.id = q.value(0).toLongLong();
        r.atMs = q.value(1).toLongLong();
        r.name = q.value(2).toString();
        r.passed = q.value(3).toInt() != 0;
        r.summary = q.value(4).toString();
        r.matched = q.value(5).toInt();
        r.mismatched = q.value(6).toInt();
        r.missing = q.value(7).toInt();
        r.unexpected = q.value(8).toInt();
        r.auditId = q.value(9).toLongLong();
        out.push_back(std::move(r));
    }
    return out;
}

qint64 Ledger::sizeBytes() const
{
    qint64 total = 0;
    for (const QString& suffix : {QString(), QStringLiteral("-wal")}) {
        const QFileInfo info(d->file + suffix);
        if (info.exists())
            total += info.size();
    }
    return total;
}

} // namespace pw
