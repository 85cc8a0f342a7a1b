#include "testexporter.h"

#include <QStringList>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>

namespace pw::test {

struct TestExporter::Impl
{
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<prometheus::Exposer> exposer;
    quint16 port = 0;
    prometheus::Histogram* sinkCommit = nullptr;
    std::map<std::pair<QString, QString>, prometheus::Counter*> objectStore;
    mutable std::mutex mutex; // count and sum of the histogram, which prometheus-cpp does not expose cheaply
    quint64 sinkCount = 0;
    double sinkSum = 0;
};

TestExporter::TestExporter()
    : m_impl(std::make_unique<Impl>())
{
    auto& histogram = prometheus::BuildHistogram()
                          .Name("sink_commit_duration_seconds")
                          .Help("Time the sink takes to commit one batch to object storage")
                          .Register(*m_impl->registry);
    m_impl->sinkCommit = &histogram.Add({{"bucket", "marts"}}, sinkCommitBuckets());
    auto& counter = prometheus::BuildCounter()
                        .Name("object_store_requests_total")
                        .Help("Requests to the object store by operation and result")
                        .Register(*m_impl->registry);
    for (const QString& op : objectStoreOps())
        for (const QString& result : objectStoreResults())
            m_impl->objectStore[{op, result}]
                = &counter.Add({{"op", op.toStdString()}, {"result", result.toStdString()}});
}

TestExporter::~TestExporter() = default;

Result<void> TestExporter::start()
{
    if (m_impl->exposer)
        return {};
    try {
        // Port 0: civetweb binds an ephemeral port, which GetListeningPorts() reports.
        m_impl->exposer = std::make_unique<prometheus::Exposer>("127.0.0.1:0");
    } catch (const std::exception& e) {
        return fail(
            Error::Code::Io, QStringLiteral("test exporter cannot listen: %1").arg(QString::fromUtf8(e.what())));
    }
    m_impl->exposer->RegisterCollectable(m_impl->registry);
    const auto ports = m_impl->exposer->GetListeningPorts();
    if (ports.empty() || ports.front() <= 0)
        return fail(Error::Code::Io, QStringLiteral("test exporter did not report its port"));
    m_impl->port = quint16(ports.front());
    return {};
}

quint16 TestExporter::port() const
{
    return m_impl->port;
}

QString TestExporter::address() const
{
    return QStringLiteral("127.0.0.1:%1").arg(m_impl->port);
}

QString TestExporter::metricsUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1/metrics").arg(m_impl->port);
}

void TestExporter::observeSinkCommit(double seconds)
{
    std::lock_guard lock(m_impl->mutex);
    m_impl->sinkCommit->Observe(seconds);
    ++m_impl->sinkCount;
    m_impl->sinkSum += seconds;
}

void TestExporter::addObjectStoreRequests(const QString& op, const QString& result, double count)
{
    auto it = m_impl->objectStore.find({op, result});
    Q_ASSERT_X(it != m_impl->objectStore.end(), "TestExporter", "unknown op/result");
    if (it != m_impl->objectStore.end())
        it->second->Increment(count);
}

double TestExporter::objectStoreRequests(const QString& op, const QString& result) const
{
    auto it = m_impl->objectStore.find({op, result});
    return it == m_impl->objectStore.end() ? 0.0 : it->second->Value();
}

quint64 TestExporter::sinkCommitCount() const
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->sinkCount;
}

double TestExporter::sinkCommitSum() const
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->sinkSum;
}

std::vector<double> TestExporter::sinkCommitBuckets()
{
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

QStringList TestExporter::objectStoreOps()
{
    return {QStringLiteral("put"), QStringLiteral("get"), QStringLiteral("list")};
}

QStringList TestExporter::objectStoreResults()
{
    return {QStringLiteral("ok"), QStringLiteral("error")};
}

std::shared_ptr<prometheus::Registry> TestExporter::registry() const
{
    return m_impl->registry;
}

} // namespace pw::test
