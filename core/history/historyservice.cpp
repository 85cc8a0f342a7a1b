#include "history/historyservice.h"

#include "model/seriesstore.h"

namespace pw {

HistoryService::HistoryService(std::shared_ptr<const SeriesStore> store, QObject* parent)
    : QObject(parent)
    , m_store(std::move(store))
{
    qRegisterMetaType<pw::HistoryResultPtr>();
    m_pool.setMaxThreadCount(1); // queries of one window come in order; one thread keeps them so
    m_pool.setExpiryTimeout(30000);
}

HistoryService::~HistoryService()
{
    m_pool.clear();
    m_pool.waitForDone();
}

quint64 HistoryService::request(std::vector<HistoryRequest> requests)
{
    const quint64 token = m_nextToken.fetch_add(1);
    m_pool.start([this, token, requests = std::move(requests)] { Q_EMIT resultReady(run(requests, token)); });
    return token;
}

HistoryResultPtr HistoryService::run(const std::vector<HistoryRequest>& requests, quint64 token) const
{
    auto result = std::make_shared<HistoryResult>();
    result->token = token;
    result->series.reserve(requests.size());
    for (const auto& r : requests)
        result->series.push_back(History::query(*m_store, r));
    return result;
}

void HistoryService::waitForDone()
{
    m_pool.waitForDone();
}

} // namespace pw
