#pragma once

#include "config/config.h"
#include "replay/reconcile.h"

namespace pw {

/// The windows one `reconcile:` query yields from a `sql` source (QSQLITE or QPSQL, read-only): each row is
/// (minute, key, events, total), the minute as Unix seconds or a timestamp, floored to its minute. `:from` and `:to`
/// (Unix seconds) are bound when the query names them; rows outside [fromMinute, toMinute) are dropped either way.
/// Two rows of one window are added up. Blocking; thread-safe (each call opens its own connection).
Result<WindowTable> readSqlWindows(
    const SourceConfig& source, const QString& query, std::int64_t fromMinute, std::int64_t toMinute);

/// The dual-run comparison of a `reconcile:` entry: the truth query's windows are expected, the serving query's are
/// found, compared as compareWindows does (recordsRead counts the events of the truth).
Result<ReconcileReport> reconcileSqlStores(
    const PipelineConfig& config, const ReconcileConfig& entry, std::int64_t fromMinute, std::int64_t toMinute);

} // namespace pw
