#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace pw::test {

/// A real `prometheus` server (Debian package) on 127.0.0.1 and a free port with a temporary TSDB, scraping the
/// given static targets every second. Stopped on destruction.
class PrometheusServer
{
public:
    PrometheusServer();
    ~PrometheusServer();

    /// Empty on success, else why not (binary missing, did not become ready: its log is included).
    QString start(const QStringList& targets);
    void stop();
    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    /// Waits until every target has been scraped at least `scrapes` times successfully (up == 1 and enough samples).
    bool waitForScrapes(int scrapes, int timeoutMs = 60000);
    /// Runs an instant query through the HTTP API and returns the raw JSON body.
    QByteArray query(const QString& promql) const;

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

} // namespace pw::test
