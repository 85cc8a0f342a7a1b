#pragma once

#include "model/error.h"

#include <QString>

#include <memory>
#include <vector>

namespace prometheus {
class Registry;
}

namespace pw::test {

/// A prometheus-cpp pull exposer on 127.0.0.1 and a free port that plays the sink and the object store of a metrics
/// pipeline for scrape tests:
///   sink_commit_duration_seconds              histogram, buckets sinkCommitBuckets(), label bucket="marts"
///   object_store_requests_total{op,result}    counter; op in put|get|list, result in ok|error (all created at 0)
/// Further metrics can be added through registry(). Thread-safe: observe/add from any thread while it is scraped.
class TestExporter
{
public:
    TestExporter();
    ~TestExporter();
    TestExporter(const TestExporter&) = delete;
    TestExporter& operator=(const TestExporter&) = delete;

    /// Starts the exposer; fails with the reason when it cannot listen.
    Result<void> start();

    quint16 port() const;
    QString address() const; // "127.0.0.1:<port>", a Prometheus static target
    QString metricsUrl() const; // "http://127.0.0.1:<port>/metrics"

    void observeSinkCommit(double seconds);
    void addObjectStoreRequests(const QString& op, const QString& result, double count = 1);

    double objectStoreRequests(const QString& op, const QString& result) const; // the counter's current value
    quint64 sinkCommitCount() const;
    double sinkCommitSum() const;

    static std::vector<double> sinkCommitBuckets(); // upper bounds in seconds, +Inf implied
    static QStringList objectStoreOps();
    static QStringList objectStoreResults();

    std::shared_ptr<prometheus::Registry> registry() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace pw::test
