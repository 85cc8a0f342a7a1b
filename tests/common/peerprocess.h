#pragma once

// Small helpers for tests that start real peers (ZooKeeper, Burrow, Python clients) as processes on loopback.
// Header-only; the test links Qt6::Network.

#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>

#include <chrono>
#include <thread>

namespace pw::test {

inline quint16 freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

/// True once something accepts connections on 127.0.0.1:`port`.
inline bool waitForPort(quint16 port, int timeoutMs)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (socket.waitForConnected(500))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

/// True once ZooKeeper on 127.0.0.1:`port` serves requests: it binds its port before it has loaded its database, and
/// a client (Burrow) that connects in between is refused and exits. `srvr` is the one four-letter word ZooKeeper
/// 3.8 allows by default; it answers "Mode: standalone" only when serving.
inline bool waitForZooKeeper(quint16 port, int timeoutMs)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (socket.waitForConnected(500)) {
            socket.write("srvr");
            QByteArray answer;
            while (socket.waitForReadyRead(2000))
                answer += socket.readAll();
            if (answer.contains("Mode:"))
                return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

inline bool writeTextFile(const QString& path, const QString& text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(text.toUtf8()) == text.toUtf8().size();
}

/// SIGTERM, then SIGKILL after 5 s.
inline void stopProcess(QProcess& p)
{
    if (p.state() == QProcess::NotRunning)
        return;
    p.terminate();
    if (!p.waitForFinished(5000)) {
        p.kill();
        p.waitForFinished(5000);
    }
}

} // namespace pw::test
