#pragma once

#include "model/error.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace pw {

/// One window of a keyed one-minute aggregate: its minute (start, Unix seconds) and its key.
using WindowId = std::pair<std::int64_t, QString>;

struct WindowValue
{
    std::int64_t events = 0;
    double total = 0;
};

/// Windows and their values, ordered by minute then key.
using WindowTable = std::map<WindowId, WindowValue>;

/// Whether the serving store holds exactly what the source log says, window by window, over a time range.
struct ReconcileReport
{
    std::int64_t fromMinute = 0; // first minute compared (Unix seconds)
    std::int64_t toMinute = 0; // minutes before this one (exclusive)
    std::int64_t recordsRead = 0; // records of the log that fell in the range
    int matched = 0;
    struct Mismatch
    {
        WindowId window;
        WindowValue expected;
        WindowValue found;
    };
    std::vector<Mismatch> mismatched;
    struct Missing
    {
        WindowId window;
        WindowValue expected;
    };
    std::vector<Missing> missing; // in the log, not in the serving store
    std::vector<std::pair<WindowId, WindowValue>> unexpected; // in the serving store, not in the log

    int windows() const { return matched + int(mismatched.size()) + int(missing.size()) + int(unexpected.size()); }
    /// True when every window matched (nothing mismatched, missing or unexpected).
    bool clean() const { return mismatched.empty() && missing.empty() && unexpected.empty(); }
    QJsonObject toJson() const;
    /// A summary line, then one line per window that is not right (at most `limit` of each kind).
    QString toText(int limit = 50) const;
};

/// Compares the windows of minutes in [fromMinute, toMinute) of both tables. Totals are sums of floating-point values
/// added in another order, so they match within a relative 1e-9 (or 1e-6 absolute).
ReconcileReport compareWindows(
    const WindowTable& expected, const WindowTable& found, std::int64_t fromMinute, std::int64_t toMinute);

/// Recomputes the windows from the topic itself: reads every partition from its log start to its high watermark as
/// it is now (a consumer that assigns partitions and never commits), takes each record's event as the demo encodes it
/// — JSON {"ts": ms, "key": "...", "value": n}, the record's own timestamp when `ts` is missing or implausible — and
/// counts the events and sums the values per key per minute. Only minutes in [fromMinute, toMinute) are kept;
/// `recordsRead` counts the records that fell in them.
Result<WindowTable> recomputeWindowsFromTopic(const QString& bootstrapServers, const QString& topic,
    std::int64_t fromMinute, std::int64_t toMinute, std::int64_t* recordsRead = nullptr, int timeoutMs = 60000);

/// The serving table's windows of minutes in [fromMinute, toMinute): `aggregates(minute_ts, key, events, total)` in a
/// SQLite file, opened read-only.
Result<WindowTable> readServingWindows(const QString& databasePath, std::int64_t fromMinute, std::int64_t toMinute);

/// The newest minute the serving table holds, or -1 when it is empty.
Result<std::int64_t> newestServingMinute(const QString& databasePath);

/// The newest minute the sink's manifest (`sink_manifest`, the embedded demo's) says was committed after `afterSeconds`
/// (Unix seconds), or -1 when none was.
Result<std::int64_t> newestMinuteCommittedAfter(const QString& databasePath, std::int64_t afterSeconds);

/// recomputeWindowsFromTopic and readServingWindows, compared.
Result<ReconcileReport> reconcileServingTable(const QString& bootstrapServers, const QString& topic,
    const QString& databasePath, std::int64_t fromMinute, std::int64_t toMinute);

/// "2026-12-07T07:03Z".
QString minuteText(std::int64_t minute);

} // namespace pw
