#include "instance/listenprobe.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pw {

Result<void> checkListenAddressFree(const QString& hostText, quint16 port)
{
    if (port == 0)
        return {};
    QString host = hostText;
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const QByteArray portText = QByteArray::number(port);
    if (::getaddrinfo(host.isEmpty() ? nullptr : host.toUtf8().constData(), portText.constData(), &hints, &found) != 0)
        return fail(Error::Code::Config, QStringLiteral("cannot resolve the listen host `%1`").arg(hostText));
    const QString display = hostText + QLatin1Char(':') + QString::number(port);
    Result<void> result;
    for (addrinfo* a = found; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); // as servers do: TIME_WAIT is not "in use"
        const int bound = ::bind(fd, a->ai_addr, a->ai_addrlen);
        const int error = errno;
        ::close(fd);
        if (bound == 0)
            continue;
        if (error == EADDRINUSE)
            result = fail(Error::Code::AddressInUse, QStringLiteral("%1 is already in use").arg(display));
        else if (error == EADDRNOTAVAIL)
            result = fail(Error::Code::Config, QStringLiteral("%1 is not an address of this machine").arg(display));
        else if (error == EACCES)
            result = fail(Error::Code::Config,
                QStringLiteral("%1: permission denied (ports below 1024 need privileges)").arg(display));
        break;
    }
    ::freeaddrinfo(found);
    return result;
}

} // namespace pw
