#include "model/error.h"

namespace pw {

QString Error::toString() const
{
    QString out;
    if (!file.isEmpty()) {
        out += file;
        if (line > 0) {
            out += QLatin1Char(':') + QString::number(line);
            if (column > 0)
                out += QLatin1Char(':') + QString::number(column);
        }
        out += QStringLiteral(": ");
    } else if (!source.isEmpty()) {
        out += source + QStringLiteral(": ");
    }
    out += message;
    if (!hint.isEmpty())
        out += QStringLiteral(" (") + hint + QLatin1Char(')');
    return out;
}

QString errorCodeName(Error::Code code)
{
    switch (code) {
    case Error::Code::Generic:
        return QStringLiteral("error");
    case Error::Code::Config:
        return QStringLiteral("config");
    case Error::Code::Io:
        return QStringLiteral("io");
    case Error::Code::Network:
        return QStringLiteral("network");
    case Error::Code::Timeout:
        return QStringLiteral("timeout");
    case Error::Code::Http:
        return QStringLiteral("http");
    case Error::Code::Tls:
        return QStringLiteral("tls");
    case Error::Code::Parse:
        return QStringLiteral("parse");
    case Error::Code::TooLarge:
        return QStringLiteral("too-large");
    case Error::Code::Protocol:
        return QStringLiteral("protocol");
    case Error::Code::NotFound:
        return QStringLiteral("not-found");
    case Error::Code::Refused:
        return QStringLiteral("refused");
    case Error::Code::Cancelled:
        return QStringLiteral("cancelled");
    case Error::Code::NoDataYet:
        return QStringLiteral("no-data-yet");
    case Error::Code::AddressInUse:
        return QStringLiteral("address-in-use");
    }
    return QStringLiteral("error");
}

} // namespace pw
