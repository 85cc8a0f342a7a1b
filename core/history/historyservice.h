#pragma once

#include "history/history.h"

#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <memory>
#include <vector>

namespace pw {

/// The answer to one HistoryService::request(): one HistorySeries per request, in order.
struct HistoryResult
{
    quint64 token = 0;
    std::vector<HistorySeries> series;
};
using HistoryResultPtr = std::shared_ptr<const HistoryResult>;

/// Runs history queries (with decimation) on a pool thread of its own, so the GUI thread never waits on the store
/// or the engine. request() returns at once with a token; resultReady carries it back.
///
/// Thread-safety: request() from any thread; resultReady is emitted on a pool thread, so connect it with a receiver
/// (queued to the receiver's thread). Receivers drop results whose token is older than their latest request.
class HistoryService : public QObject
{
    Q_OBJECT
public:
    explicit HistoryService(std::shared_ptr<const SeriesStore> store, QObject* parent = nullptr);
    ~HistoryService() override;

    quint64 request(std::vector<HistoryRequest> requests);
    /// Synchronous, for tests and benchmarks: the same work on the calling thread.
    HistoryResultPtr run(const std::vector<HistoryRequest>& requests, quint64 token = 0) const;
    std::shared_ptr<const SeriesStore> store() const { return m_store; }
    /// Waits for queued queries (tests, shutdown).
    void waitForDone();

Q_SIGNALS:
    void resultReady(pw::HistoryResultPtr result);

private:
    std::shared_ptr<const SeriesStore> m_store;
    QThreadPool m_pool;
    std::atomic<quint64> m_nextToken {1};
};

} // namespace pw

Q_DECLARE_METATYPE(pw::HistoryResultPtr)
