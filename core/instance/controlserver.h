#pragma once

#include "instance/controlprotocol.h"
#include "model/error.h"

#include <QJsonObject>
#include <QString>

#include <functional>
#include <memory>

namespace pw {

/// The control socket of a running instance (`control.sock` in its data dir, owner-only): `status`, `fault` and
/// the recovery commands of other processes reach the engine through it. One JSON request per line, one answer per
/// line; a malformed request gets an error answer and the connection is closed; other clients are unaffected.
///
/// Thread-safety: handlers run on the server's own thread, one request at a time, so they must only touch
/// thread-safe state (Engine::latestSnapshot is); a handler may block (a fault toggle waits for the job).
class ControlServer
{
public:
    using Handler = std::function<QJsonObject(const ControlRequest&)>;

    ControlServer();
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    /// Registers a command before listen(). "ping" is built in.
    void handle(const QString& command, Handler handler);
    /// Binds `path` (a socket left by a killed instance is replaced: the caller holds the data dir's lock, so no
    /// live instance owns it), makes it owner-only and starts serving.
    Result<void> listen(const QString& path);
    QString path() const;
    /// Stops serving and removes the socket file.
    void close();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

/// Sends one request to the instance at `path` and waits up to `timeoutMs` for its answer. No instance there
/// (no socket, connection refused) is Error::Code::Refused; a timeout or garbled answer is its own error.
Result<QJsonObject> controlRequest(const QString& path, const QJsonObject& request, int timeoutMs = 5000);

} // namespace pw
