#include "postgresserver.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QUuid>

#include <unistd.h>

namespace pw::test {

namespace {
const QString kBin = QStringLiteral("/usr/lib/postgresql/15/bin/");

bool runAsPostgres(const QStringList& command, QString* output, int timeoutMs = 60000)
{
    QProcess p;
    QStringList args {QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--")};
    args += command;
    const bool root = ::geteuid() == 0;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (root)
        p.start(QStringLiteral("runuser"), args);
    else
        p.start(command.front(), command.mid(1));
    if (!p.waitForStarted(10000)) {
        *output = QStringLiteral("cannot start %1").arg(command.front());
        return false;
    }
    p.waitForFinished(timeoutMs);
    *output = QString::fromLocal8Bit(p.readAll());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}
} // namespace

PostgresServer::PostgresServer() = default;

PostgresServer::~PostgresServer()
{
    stop();
}

QString PostgresServer::start()
{
    if (!QFile::exists(kBin + QStringLiteral("initdb")))
        return QStringLiteral("PostgreSQL 15 is not installed (%1initdb missing): run installers/deps.sh test")
            .arg(kBin);
    m_dir = QDir::tempPath() + QStringLiteral("/pathwatch-pg-") + QUuid::createUuid().toString(QUuid::Id128);
    QDir().mkpath(m_dir);
    if (::geteuid() == 0) {
        QProcess::execute(QStringLiteral("chown"), {QStringLiteral("postgres:postgres"), m_dir});
    }
    QString output;
    if (!runAsPostgres(
            {kBin + QStringLiteral("initdb"), QStringLiteral("-D"), m_dir + QStringLiteral("/data"),
                QStringLiteral("-A"), QStringLiteral("trust"), QStringLiteral("-U"), QStringLiteral("postgres"),
                QStringLiteral("--no-sync"), QStringLiteral("-E"), QStringLiteral("UTF8")},
            &output))
        return QStringLiteral("initdb failed: ") + output;
    for (int attempt = 0; attempt < 5 && !m_running; ++attempt) {
        m_port = freePort();
        const QString options = QStringLiteral("-c listen_addresses=127.0.0.1 -c port=%1 -c unix_socket_directories=%2 "
                                               "-c fsync=off -c TimeZone=UTC")
                                    .arg(m_port)
                                    .arg(m_dir);
        if (runAsPostgres(
                {kBin + QStringLiteral("pg_ctl"), QStringLiteral("-D"), m_dir + QStringLiteral("/data"),
                    QStringLiteral("-o"), options, QStringLiteral("-l"), m_dir + QStringLiteral("/log"),
                    QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")},
                &output))
            m_running = true;
    }
    if (!m_running) {
        QFile log(m_dir + QStringLiteral("/log"));
        log.open(QIODevice::ReadOnly);
        return QStringLiteral("pg_ctl start failed: %1\n%2").arg(output, QString::fromLocal8Bit(log.readAll()));
    }
    return {};
}

void PostgresServer::stop()
{
    if (m_running) {
        QString output;
        runAsPostgres(
            {kBin + QStringLiteral("pg_ctl"), QStringLiteral("-D"), m_dir + QStringLiteral("/data"),
                QStringLiteral("-m"), QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("stop")},
            &output);
        m_running = false;
    }
    if (!m_dir.isEmpty()) {
        QDir(m_dir).removeRecursively();
        m_dir.clear();
    }
}

QString PostgresServer::psql(const QString& sql, const QString& database, bool* ok) const
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("psql"),
        {QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_port),
            QStringLiteral("-U"), QStringLiteral("postgres"), QStringLiteral("-d"), database, QStringLiteral("-v"),
            QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-Atc"), sql});
    p.waitForFinished(60000);
    const bool success = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (ok)
        *ok = success;
    return QString::fromLocal8Bit(p.readAll()).trimmed();
}

} // namespace pw::test
