#include "instance/controlprotocol.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace pw {

Result<ControlRequest> parseControlRequest(const QByteArray& line)
{
    if (line.size() > kMaxControlRequestBytes)
        return fail(Error::Code::TooLarge,
            QStringLiteral("request of %1 bytes is over the %2-byte limit")
                .arg(line.size())
                .arg(kMaxControlRequestBytes));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError)
        return fail(Error::Code::Parse,
            QStringLiteral("request is not JSON: %1 at byte %2").arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return fail(Error::Code::Parse, QStringLiteral("request must be a JSON object"));
    ControlRequest request;
    request.fields = doc.object();
    const QJsonValue command = request.fields.value(QStringLiteral("command"));
    if (!command.isString())
        return fail(Error::Code::Parse, QStringLiteral("request has no string `command`"));
    request.command = command.toString();
    const bool wellFormed = !request.command.isEmpty() && request.command.size() <= 32
        && std::all_of(request.command.begin(), request.command.end(),
            [](QChar c) { return (c >= u'a' && c <= u'z') || c == u'-'; });
    if (!wellFormed)
        return fail(Error::Code::Parse, QStringLiteral("`command` must be 1–32 of a–z and -"));
    return request;
}

QJsonObject controlError(const QString& message)
{
    return QJsonObject {{QStringLiteral("ok"), false}, {QStringLiteral("error"), message}};
}

} // namespace pw
