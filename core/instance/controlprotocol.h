#pragma once

#include "model/error.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace pw {

/// The control socket speaks one JSON object per line each way. A request names a `command` ("status", "ping",
/// "fault", ...) plus the command's own fields; an answer has `ok` (true/false) and, when false, `error`.
struct ControlRequest
{
    QString command;
    QJsonObject fields; // the whole request object
};

/// Longest request line accepted; anything longer is refused and the connection closed.
inline constexpr qsizetype kMaxControlRequestBytes = 64 * 1024;

/// Parses one request line (without its newline). Bad input — not JSON, not an object, no or a non-string
/// `command`, a command name that is not [a-z-]{1,32}, too long — is an Error::Code::Parse saying which.
Result<ControlRequest> parseControlRequest(const QByteArray& line);

/// {"ok": false, "error": message}
QJsonObject controlError(const QString& message);

} // namespace pw
