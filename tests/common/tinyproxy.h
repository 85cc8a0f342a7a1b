#pragma once

#include "model/error.h"

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <vector>

class QProcess;

namespace pw::test {

/// Debian's tinyproxy (`/usr/bin/tinyproxy -d -c CONF`) on 127.0.0.1 and a free port, for tests that need a real
/// HTTP proxy: absolute-form GETs, CONNECT to the listed ports, optional Basic proxy auth. Its log is kept so a test
/// can prove a request went through it. Stopped (and waited for) on destruction. Not thread-safe.
class TinyProxy
{
public:
    struct Options
    {
        std::vector<quint16> connectPorts; // CONNECT is allowed to these ports only
        QString user; // when set, the proxy asks for Basic auth (407 without it)
        QString password;
    };

    explicit TinyProxy(Options options);
    ~TinyProxy();
    TinyProxy(const TinyProxy&) = delete;
    TinyProxy& operator=(const TinyProxy&) = delete;

    /// Starts it and waits until it accepts connections; a missing binary fails loudly.
    Result<void> start();
    void stop();

    quint16 port() const { return m_port; }
    QString url() const; // http://127.0.0.1:<port>
    QByteArray log() const; // what it logged so far (LogLevel Info: one CONNECT line per request)

private:
    Options m_options;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

} // namespace pw::test
