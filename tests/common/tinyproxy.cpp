#include "tinyproxy.h"

#include "testhttpserver.h"

#include <QFile>
#include <QProcess>
#include <QTcpSocket>
#include <QThread>

namespace pw::test {

TinyProxy::TinyProxy(Options options)
    : m_options(std::move(options))
{ }

TinyProxy::~TinyProxy()
{
    stop();
}

QString TinyProxy::url() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_port);
}

QByteArray TinyProxy::log() const
{
    QFile file(m_dir.filePath(QStringLiteral("tinyproxy.log")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

Result<void> TinyProxy::start()
{
    const QString binary = QStringLiteral("/usr/bin/tinyproxy");
    if (!QFile::exists(binary))
        return fail(Error::Code::NotFound, QStringLiteral("%1 is missing (apt-get install tinyproxy)").arg(binary));
    if (!m_dir.isValid())
        return fail(Error::Code::Io, QStringLiteral("cannot create a temporary directory for tinyproxy"));
    m_port = unusedTcpPort();
    QByteArray conf = "Port " + QByteArray::number(m_port) + "\nListen 127.0.0.1\nTimeout 30\nLogFile \""
        + m_dir.filePath(QStringLiteral("tinyproxy.log")).toUtf8()
        + "\"\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\n";
    for (quint16 p : m_options.connectPorts)
        conf += "ConnectPort " + QByteArray::number(p) + '\n';
    if (m_options.connectPorts.empty())
        conf += "ConnectPort 1\n"; // without any ConnectPort line tinyproxy allows CONNECT to every port
    if (!m_options.user.isEmpty())
        conf += "BasicAuth " + m_options.user.toUtf8() + ' ' + m_options.password.toUtf8() + '\n';
    const QString confPath = m_dir.filePath(QStringLiteral("tinyproxy.conf"));
    QFile file(confPath);
    if (!file.open(QIODevice::WriteOnly) || file.write(conf) != conf.size())
        return fail(Error::Code::Io, QStringLiteral("cannot write %1").arg(confPath));
    file.close();

    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->start(binary, {QStringLiteral("-d"), QStringLiteral("-c"), confPath});
    if (!m_process->waitForStarted(10000))
        return fail(Error::Code::Generic, QStringLiteral("tinyproxy did not start: %1").arg(m_process->errorString()));
    for (int i = 0; i < 200; ++i) {
        if (m_process->state() != QProcess::Running)
            return fail(Error::Code::Generic,
                QStringLiteral("tinyproxy exited: %1").arg(QString::fromLocal8Bit(m_process->readAll())));
        QTcpSocket probe;
        probe.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (probe.waitForConnected(100))
            return {};
        QThread::msleep(25);
    }
    return fail(Error::Code::Timeout, QStringLiteral("tinyproxy does not accept connections on port %1").arg(m_port));
}

void TinyProxy::stop()
{
    if (!m_process)
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(5000)) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

} // namespace pw::test
