// Value syntax shared by the loader and by whoever shows a config: durations and secret-free descriptions.
#include "config/config.h"
#include "config/schema.h"
#include "sources/httpproxy.h"

#include <QUrl>
#include <QUrlQuery>

#include <cmath>

namespace pw {

namespace {
constexpr qint64 kMaxDurationMs = 100LL * 365 * 24 * 3600 * 1000; // far beyond any sane window, far below overflow

std::unexpected<Error> durationError(QStringView text)
{
    QString shown = text.left(40).toString();
    if (text.size() > 40)
        shown += QStringLiteral("…");
    Error e = Error::make(Error::Code::Parse,
        text.trimmed().isEmpty() ? QStringLiteral("expected a duration like 5s, got an empty value")
                                 : QStringLiteral("expected a duration like 5s, got `%1`").arg(shown));
    e.hint = QStringLiteral("use a number with ms, s, m, h, d or w (250ms, 5s, 2m, 6h, 1d, 1h30m); a bare number means "
                            "seconds");
    return std::unexpected(std::move(e));
}

std::optional<qint64> unitMs(QStringView unit)
{
    if (unit == u"ms")
        return 1;
    if (unit == u"s")
        return 1000;
    if (unit == u"m")
        return 60'000;
    if (unit == u"h")
        return 3'600'000;
    if (unit == u"d")
        return 86'400'000;
    if (unit == u"w")
        return 7LL * 86'400'000;
    return std::nullopt;
}

bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

QString redactedHeaderList(const std::vector<std::pair<QString, QString>>& headers)
{
    QStringList parts;
    for (const auto& [name, value] : headers)
        parts << name + QStringLiteral(": ***");
    return parts.join(QStringLiteral(", "));
}
} // namespace

Result<qint64> parseDurationMs(QStringView text)
{
    const QStringView t = text.trimmed();
    if (t.isEmpty() || t.size() > 64)
        return durationError(text);

    // A bare number is seconds (YAML users write `timeout: 3`).
    bool isNumber = false;
    const double seconds = t.toDouble(&isNumber);
    if (isNumber) {
        if (!std::isfinite(seconds) || seconds < 0 || seconds * 1000.0 > double(kMaxDurationMs))
            return durationError(text);
        return qint64(std::llround(seconds * 1000.0));
    }

    // One or more <number><unit> parts: 1h30m, 1.5s, 250ms.
    double totalMs = 0;
    qsizetype i = 0;
    while (i < t.size()) {
        const qsizetype numberStart = i;
        while (i < t.size() && (isDigit(t[i]) || t[i] == u'.'))
            ++i;
        if (i == numberStart)
            return durationError(text);
        bool ok = false;
        const double value = t.mid(numberStart, i - numberStart).toDouble(&ok);
        if (!ok)
            return durationError(text);
        const qsizetype unitStart = i;
        while (i < t.size() && t[i].isLetter())
            ++i;
        const auto factor = unitMs(t.mid(unitStart, i - unitStart));
        if (!factor)
            return durationError(text);
        totalMs += value * double(*factor);
        if (totalMs > double(kMaxDurationMs))
            return durationError(text);
    }
    return qint64(std::llround(totalMs));
}

QString formatDurationMs(qint64 ms)
{
    if (ms == 0)
        return QStringLiteral("0s");
    const QString sign = ms < 0 ? QStringLiteral("-") : QString();
    const qint64 a = ms < 0 ? -ms : ms;
    struct Unit
    {
        qint64 ms;
        const char* suffix;
    };
    static constexpr Unit units[] = {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
    for (const Unit& u : units)
        if (a % u.ms == 0)
            return sign + QString::number(a / u.ms) + QLatin1String(u.suffix);
    return sign + QString::number(a) + QStringLiteral("ms");
}

bool isSecretPropertyName(QStringView name)
{
    static const char* const words[] = {"password", "passwd", "secret", "key", "token", "credential"};
    for (const char* w : words)
        if (name.contains(QLatin1String(w), Qt::CaseInsensitive))
            return true;
    // librdkafka's OAUTHBEARER config string carries client secrets inline.
    return name.contains(QLatin1String("oauthbearer.config"), Qt::CaseInsensitive);
}

QString redactedUrl(const QString& url)
{
    QUrl u(url);
    if (!u.isValid() || u.host().isEmpty()) {
        // Still never show what may be user info: keep only what precedes an '@'.
        const qsizetype at = url.indexOf(u'@');
        return at < 0 ? url : QStringLiteral("***@") + url.mid(at + 1);
    }
    u.setUserInfo(QString());
    if (u.hasQuery()) {
        QUrlQuery query(u);
        const auto items = query.queryItems(QUrl::FullyEncoded);
        QUrlQuery cleaned;
        for (const auto& [name, value] : items) {
            const QString lower = name.toLower();
            const bool secret = isSecretPropertyName(lower) || lower.contains(QLatin1String("auth"))
                || lower.contains(QLatin1String("sig")) || lower == QLatin1String("pwd");
            cleaned.addQueryItem(name, secret ? QStringLiteral("***") : value);
        }
        u.setQuery(cleaned);
    }
    return u.toString(QUrl::FullyEncoded);
}

QString redactedSourceDescription(const SourceConfig& source)
{
    QString out = source.id + QStringLiteral(" (") + source.kind + QStringLiteral(")");
    QStringList extras;
    extras << QStringLiteral("every %1, timeout %2")
                  .arg(formatDurationMs(source.intervalMs), formatDurationMs(source.timeoutMs));

    if (schema::isHttpKind(source.kind)) {
        out += QLatin1Char(' ') + redactedUrl(source.http.url);
        if (!source.http.bearerToken.isEmpty())
            extras << QStringLiteral("bearer token ***");
        if (!source.http.basicUser.isEmpty() || !source.http.basicPassword.isEmpty())
            extras << QStringLiteral("basic auth %1:***").arg(source.http.basicUser);
        if (!source.http.headers.empty())
            extras << QStringLiteral("header ") + redactedHeaderList(source.http.headers);
        if (!source.http.caFile.isEmpty())
            extras << QStringLiteral("CA file ") + source.http.caFile;
        if (source.http.insecureSkipVerify)
            extras << QStringLiteral("TLS verification OFF");
        if (!source.http.proxy.isEmpty()) {
            const auto proxy = parseHttpProxy(source.http.proxy);
            extras << QStringLiteral("proxy ") + (proxy ? proxy->shown() : QStringLiteral("***"));
        }
        if (source.http.maxBodyBytes > 0)
            extras << QStringLiteral("body cap %1 MiB")
                          .arg(QString::number(double(source.http.maxBodyBytes) / 1048576.0, 'g', 4));
    } else if (source.kind == QLatin1String("sql")) {
        const QVariantMap& o = source.options;
        QString target = o.value(QStringLiteral("driver")).toString() + QLatin1Char(' ');
        const QString user = o.value(QStringLiteral("user")).toString();
        const QString host = o.value(QStringLiteral("host")).toString();
        const QString port = o.value(QStringLiteral("port")).toString();
        if (!user.isEmpty())
            target += user + QLatin1Char('@');
        if (!host.isEmpty())
            target += host + (port.isEmpty() ? QString() : QLatin1Char(':') + port) + QLatin1Char('/');
        target += o.value(QStringLiteral("database")).toString();
        out += QLatin1Char(' ') + target;
        if (!o.value(QStringLiteral("password")).toString().isEmpty())
            extras << QStringLiteral("password ***");
    } else if (source.kind == QLatin1String("kafka")) {
        out += QLatin1Char(' ') + source.options.value(QStringLiteral("bootstrap_servers")).toString();
        const QVariantMap props = source.options.value(QStringLiteral("properties")).toMap();
        QStringList shown;
        for (auto it = props.cbegin(); it != props.cend(); ++it)
            shown << it.key() + QLatin1Char('=')
                    + (isSecretPropertyName(it.key()) ? QStringLiteral("***") : it.value().toString());
        if (!shown.isEmpty())
            extras << QStringLiteral("properties ") + shown.join(QStringLiteral(", "));
    }
    return out + QLatin1Char(' ') + extras.join(QStringLiteral(", "));
}

} // namespace pw
