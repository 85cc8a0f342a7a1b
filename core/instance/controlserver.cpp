#include "instance/controlserver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QScopeGuard>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

Q_LOGGING_CATEGORY(lcControl, "pathwatch.control", QtWarningMsg)

namespace pw {

namespace {

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

Result<sockaddr_un> socketAddress(const QString& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray encoded = QFile::encodeName(path);
    if (encoded.size() >= qsizetype(sizeof(address.sun_path)))
        return fail(Error::Code::Io,
            QStringLiteral("socket path %1 is longer than %2 bytes").arg(path).arg(sizeof(address.sun_path) - 1));
    std::memcpy(address.sun_path, encoded.constData(), size_t(encoded.size()));
    return address;
}

QByteArray answerLine(const QJsonObject& answer)
{
    return QJsonDocument(answer).toJson(QJsonDocument::Compact) + '\n';
}

struct Connection
{
    int fd = -1;
    QByteArray in;
    QByteArray out;
    bool closeAfterWrite = false;
};

} // namespace

struct ControlServer::Private
{
    std::map<QString, Handler> handlers;
    QString path;
    int listenFd = -1;
    int wakePipe[2] = {-1, -1};
    std::thread thread;
    std::atomic<bool> stopping {false};

    void run();
    void serve(Connection& c);
};

ControlServer::ControlServer()
    : d(std::make_unique<Private>())
{
    handle(QStringLiteral("ping"), [](const ControlRequest&) {
        return QJsonObject {{QStringLiteral("ok"), true}, {QStringLiteral("pid"), double(::getpid())}};
    });
}

ControlServer::~ControlServer()
{
    close();
}

void ControlServer::handle(const QString& command, Handler handler)
{
    d->handlers[command] = std::move(handler);
}

QString ControlServer::path() const
{
    return d->path;
}

Result<void> ControlServer::listen(const QString& path)
{
    auto address = socketAddress(path);
    if (!address)
        return std::unexpected(address.error());
    const QString parent = QFileInfo(path).absolutePath();
    if (!QFileInfo::exists(parent)) {
        QDir().mkpath(parent);
        ::chmod(QFile::encodeName(parent).constData(), S_IRWXU);
    }
    const QByteArray encoded = QFile::encodeName(path);
    ::unlink(encoded.constData()); // left by an instance that was killed: we hold the data dir's lock
    d->listenFd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (d->listenFd < 0)
        return fail(Error::Code::Io, QStringLiteral("cannot create the control socket: %1").arg(errnoText(errno)));
    // Owner-only from the start: the mode of a Unix socket file comes from the umask at bind time. fchmod before
    // bind is not honoured on Linux, so narrow the umask around bind and restore it at once.
    const mode_t previous = ::umask(0177);
    const int bound = ::bind(d->listenFd, reinterpret_cast<const sockaddr*>(&*address), sizeof(*address));
    const int bindError = errno;
    ::umask(previous);
    if (bound != 0 || ::listen(d->listenFd, 16) != 0) {
        const int error = bound != 0 ? bindError : errno;
        ::close(d->listenFd);
        d->listenFd = -1;
        return fail(
            Error::Code::Io, QStringLiteral("cannot listen on the control socket %1: %2").arg(path, errnoText(error)));
    }
    ::chmod(encoded.constData(), S_IRUSR | S_IWUSR);
    if (::pipe2(d->wakePipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        ::close(d->listenFd);
        d->listenFd = -1;
        return fail(Error::Code::Io, QStringLiteral("cannot create a pipe: %1").arg(errnoText(errno)));
    }
    d->path = path;
    d->stopping = false;
    d->thread = std::thread([this] { d->run(); });
    return {};
}

void ControlServer::close()
{
    if (!d->thread.joinable())
        return;
    d->stopping = true;
    const char byte = 1;
    [[maybe_unused]] auto written = ::write(d->wakePipe[1], &byte, 1);
    d->thread.join();
    ::close(d->listenFd);
    ::close(d->wakePipe[0]);
    ::close(d->wakePipe[1]);
    d->listenFd = d->wakePipe[0] = d->wakePipe[1] = -1;
    ::unlink(QFile::encodeName(d->path).constData());
}

void ControlServer::Private::serve(Connection& c)
{
    qsizetype newline;
    while (!c.closeAfterWrite && (newline = c.in.indexOf('\n')) >= 0) {
        const QByteArray line = c.in.left(newline);
        c.in.remove(0, newline + 1);
        auto request = parseControlRequest(line);
        QJsonObject answer;
        if (!request) {
            answer = controlError(request.error().message);
            c.closeAfterWrite = true; // a client that sends garbage gets one answer, then the door
        } else if (auto it = handlers.find(request->command); it == handlers.end()) {
            answer = controlError(QStringLiteral("unknown command `%1`").arg(request->command));
        } else {
            try {
                answer = it->second(*request);
            } catch (const std::exception& e) {
                answer
                    = controlError(QStringLiteral("%1 failed: %2").arg(request->command, QString::fromUtf8(e.what())));
            }
        }
        c.out += answerLine(answer);
    }
    if (c.in.size() > kMaxControlRequestBytes) {
        c.out
            += answerLine(controlError(QStringLiteral("request over the %1-byte limit").arg(kMaxControlRequestBytes)));
        c.in.clear();
        c.closeAfterWrite = true;
    }
}

void ControlServer::Private::run()
{
    std::vector<Connection> connections;
    while (!stopping) {
        std::vector<pollfd> fds;
        fds.push_back({wakePipe[0], POLLIN, 0});
        fds.push_back({listenFd, POLLIN, 0});
        for (const auto& c : connections)
            fds.push_back({c.fd, short(c.out.isEmpty() ? POLLIN : POLLOUT), 0});
        if (::poll(fds.data(), nfds_t(fds.size()), 1000) < 0 && errno != EINTR)
            break;
        if (stopping)
            break;
        if (fds[1].revents & POLLIN) {
            const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0 && connections.size() < 64)
                connections.push_back(Connection {fd, {}, {}, false});
            else if (fd >= 0)
                ::close(fd);
        }
        for (size_t i = 0; i < connections.size(); ++i) {
            Connection& c = connections[i];
            const short revents = fds[i + 2].revents;
            bool drop = false;
            if (revents & (POLLIN | POLLHUP | POLLERR)) {
                char buffer[4096];
                const ssize_t n = ::read(c.fd, buffer, sizeof buffer);
                if (n > 0) {
                    c.in.append(buffer, n);
                    serve(c);
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    drop = c.out.isEmpty() || n < 0;
                    if (n == 0 && !c.in.isEmpty()) { // a last request without its newline
                        c.in += '\n';
                        serve(c);
                        c.closeAfterWrite = true;
                    } else if (n == 0) {
                        drop = true;
                    }
                }
            }
            if (!drop && (revents & POLLOUT) && !c.out.isEmpty()) {
                const ssize_t n = ::send(c.fd, c.out.constData(), size_t(c.out.size()), MSG_NOSIGNAL);
                if (n > 0)
                    c.out.remove(0, n);
                else if (n < 0 && errno != EAGAIN && errno != EINTR)
                    drop = true;
                if (c.out.isEmpty() && c.closeAfterWrite)
                    drop = true;
            }
            if (drop)
                c.fd = -(c.fd + 1); // marked; closed below
        }
        for (auto it = connections.begin(); it != connections.end();) {
            if (it->fd < 0) {
                ::close(-(it->fd + 1));
                it = connections.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto& c : connections)
        ::close(c.fd);
}

Result<QJsonObject> controlRequest(const QString& path, const QJsonObject& request, int timeoutMs)
{
    auto address = socketAddress(path);
    if (!address)
        return std::unexpected(address.error());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(Error::Code::Io, QStringLiteral("cannot create a socket: %1").arg(errnoText(errno)));
    auto closeFd = qScopeGuard([fd] { ::close(fd); });
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0) {
        const int error = errno;
        if (error == ENOENT || error == ECONNREFUSED)
            return fail(Error::Code::Refused, QStringLiteral("no Pathwatch instance answers on %1").arg(path));
        return fail(Error::Code::Io, QStringLiteral("cannot connect to %1: %2").arg(path, errnoText(error)));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    auto remainingMs = [&] {
        return int(std::max<qint64>(0,
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                .count()));
    };
    QByteArray out = answerLine(request);
    while (!out.isEmpty()) {
        pollfd p {fd, POLLOUT, 0};
        if (::poll(&p, 1, remainingMs()) <= 0)
            return fail(Error::Code::Timeout,
                QStringLiteral("the instance on %1 did not take the request within %2 ms").arg(path).arg(timeoutMs));
        const ssize_t n = ::send(fd, out.constData(), size_t(out.size()), MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return fail(Error::Code::Io, QStringLiteral("cannot send to %1: %2").arg(path, errnoText(errno)));
        if (n > 0)
            out.remove(0, n);
    }
    QByteArray in;
    while (!in.contains('\n')) {
        pollfd p {fd, POLLIN, 0};
        if (::poll(&p, 1, remainingMs()) <= 0)
            return fail(Error::Code::Timeout,
                QStringLiteral("no answer from the instance on %1 within %2 ms").arg(path).arg(timeoutMs));
        char buffer[65536];
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n == 0)
            break;
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return fail(Error::Code::Io, QStringLiteral("cannot read from %1: %2").arg(path, errnoText(errno)));
        if (n > 0)
            in.append(buffer, n);
        if (in.size() > 256 * 1024 * 1024)
            return fail(Error::Code::TooLarge, QStringLiteral("answer from %1 is too large").arg(path));
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(in.left(in.indexOf('\n')), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return fail(Error::Code::Protocol,
            QStringLiteral("the instance on %1 gave an answer that is not a JSON object").arg(path));
    return doc.object();
}

} // namespace pw
