#include "prometheusserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTcpServer>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

namespace pw::test {

namespace {
quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QByteArray httpGet(const QString& url)
{
    QProcess curl;
    curl.start(
        QStringLiteral("curl"), {QStringLiteral("-gsS"), QStringLiteral("--max-time"), QStringLiteral("10"), url});
    curl.waitForFinished(15000);
    return curl.readAllStandardOutput();
}
} // namespace

PrometheusServer::PrometheusServer() = default;

PrometheusServer::~PrometheusServer()
{
    stop();
}

QString PrometheusServer::start(const QStringList& targets)
{
    const QString binary = QStandardPaths::findExecutable(QStringLiteral("prometheus"));
    if (binary.isEmpty())
        return QStringLiteral("`prometheus` not found: install the Debian package (installers/deps.sh test)");
    if (QStandardPaths::findExecutable(QStringLiteral("curl")).isEmpty())
        return QStringLiteral("`curl` not found: install it (installers/deps.sh test)");
    m_dir = std::make_unique<QTemporaryDir>();
    QStringList quoted;
    for (const auto& t : targets)
        quoted << QStringLiteral("'%1'").arg(t);
    QFile config(m_dir->filePath(QStringLiteral("prometheus.yml")));
    config.open(QIODevice::WriteOnly);
    config.write(QStringLiteral("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
                                "  - job_name: pipeline\n    static_configs:\n      - targets: [%1]\n")
                     .arg(quoted.join(QStringLiteral(", ")))
                     .toUtf8());
    config.close();
    for (int attempt = 0; attempt < 3; ++attempt) {
        m_port = freePort();
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setStandardOutputFile(m_dir->filePath(QStringLiteral("prometheus.log")));
        m_process->start(binary,
            {QStringLiteral("--config.file=") + config.fileName(),
                QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(m_port),
                QStringLiteral("--storage.tsdb.path=") + m_dir->filePath(QStringLiteral("tsdb"))});
        if (!m_process->waitForStarted(10000))
            return QStringLiteral("cannot start prometheus");
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 30000 && m_process->state() == QProcess::Running) {
            if (httpGet(url() + QStringLiteral("/-/ready")).contains("Ready"))
                return {};
            QThread::msleep(200);
        }
        stop();
    }
    QFile log(m_dir->filePath(QStringLiteral("prometheus.log")));
    log.open(QIODevice::ReadOnly);
    return QStringLiteral("prometheus did not become ready:\n") + QString::fromLocal8Bit(log.readAll().right(2000));
}

void PrometheusServer::stop()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
}

QByteArray PrometheusServer::query(const QString& promql) const
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("query"), promql);
    QUrl u(url() + QStringLiteral("/api/v1/query"));
    u.setQuery(q);
    return httpGet(QString::fromLatin1(u.toEncoded()));
}

bool PrometheusServer::waitForScrapes(int scrapes, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        const QJsonObject root
            = QJsonDocument::fromJson(query(QStringLiteral("min(count_over_time(up[1m])) and min(up) == 1"))).object();
        const QJsonArray result
            = root.value(QStringLiteral("data")).toObject().value(QStringLiteral("result")).toArray();
        if (!result.isEmpty()) {
            const double n
                = result.first().toObject().value(QStringLiteral("value")).toArray().at(1).toString().toDouble();
            if (n >= scrapes)
                return true;
        }
        QThread::msleep(250);
    }
    return false;
}

} // namespace pw::test
