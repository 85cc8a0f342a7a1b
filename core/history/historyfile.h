#pragma once

#include "model/error.h"

#include <QString>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace pw {

class SeriesStore;

/// History that survives a restart: `history.bin` in the data dir, written whole (atomically, QSaveFile) every few
/// minutes and at stop, read back into the store at start. It keeps the raw hour as it is (gaps included) and, before
/// it, each minute bucket whole (min, max, mean, count), so charts after a restart look as they did before. Files of
/// the first version (one mean per minute) are still read. A crash loses at most one interval.
///
/// Thread-safety: save() and load() may run on any thread (the store is thread-safe); start()/stop() from one thread.
class HistoryFile
{
public:
    HistoryFile(QString path, std::shared_ptr<SeriesStore> store);
    ~HistoryFile();

    /// Appends what the file holds to the store; a missing file is fine (nothing to load). Returns series loaded.
    Result<int> load();
    Result<void> save() const;

    /// Saves every `intervalMs` on a thread of its own until stop(), which saves once more.
    void start(qint64 intervalMs);
    void stop();

    QString path() const { return m_path; }
    /// Empty while saves succeed; else why the latest one failed (a full disk...). The history in memory goes on,
    /// and the next save that succeeds clears it. Entering and leaving this state are logged once each.
    QString degradedReason() const;
    /// When saving began to fail (ms since the epoch), 0 while it does not.
    qint64 degradedSinceMs() const;

private:
    Result<void> write() const;
    void noteSaved(const Result<void>& saved) const;

    QString m_path;
    std::shared_ptr<SeriesStore> m_store;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    mutable std::mutex m_stateMutex;
    mutable QString m_degraded;
    mutable qint64 m_degradedSinceMs = 0;
};

} // namespace pw
