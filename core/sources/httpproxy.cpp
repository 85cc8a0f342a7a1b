#include "sources/httpproxy.h"

#include <QRegularExpression>

#include <QUrl>

#include <boost/asio/ip/address.hpp>

namespace pw {

namespace {

std::optional<std::vector<quint8>> addressBytes(QStringView text)
{
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(text.toString().toStdString(), ec);
    if (ec)
        return std::nullopt;
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        return std::vector<quint8>(bytes.begin(), bytes.end());
    }
    const auto v6 = address.to_v6();
    // An IPv4-mapped address is the IPv4 address for matching purposes.
    if (v6.is_v4_mapped()) {
        const auto bytes = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_bytes();
        return std::vector<quint8>(bytes.begin(), bytes.end());
    }
    const auto bytes = v6.to_bytes();
    return std::vector<quint8>(bytes.begin(), bytes.end());
}

bool prefixMatches(const std::vector<quint8>& a, const std::vector<quint8>& b, int bits)
{
    if (a.size() != b.size())
        return false;
    if (bits < 0)
        return a == b;
    const int fullBytes = bits / 8;
    for (int i = 0; i < fullBytes; ++i)
        if (a[size_t(i)] != b[size_t(i)])
            return false;
    const int rest = bits % 8;
    if (rest == 0)
        return true;
    const auto mask = quint8(0xff << (8 - rest));
    return (a[size_t(fullBytes)] & mask) == (b[size_t(fullBytes)] & mask);
}

std::optional<int> portOf(QStringView text)
{
    bool ok = false;
    const int port = text.toInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return std::nullopt;
    return port;
}

QString lowerName(QStringView text)
{
    QString name = text.toString().toLower();
    while (name.startsWith(u'.'))
        name.remove(0, 1);
    while (name.endsWith(u'.'))
        name.chop(1);
    return name;
}

} // namespace

QByteArray HttpProxy::authorization() const
{
    return "Basic " + (user + QLatin1Char(':') + password).toUtf8().toBase64();
}

QString HttpProxy::shown() const
{
    const QString h = QString::fromStdString(host);
    const QString hostPart = h.contains(u':') ? QLatin1Char('[') + h + QLatin1Char(']') : h;
    return (hasCredentials() ? QStringLiteral("***@") : QString()) + hostPart + QLatin1Char(':')
        + QString::number(port);
}

std::string HttpProxy::key() const
{
    // The credentials are part of the key only as a hash: keys end up in no log, but need not hold secrets either.
    const size_t credentials = std::hash<std::string> {}(QString(user + QLatin1Char('\n') + password).toStdString());
    return host + ':' + std::to_string(port) + (hasCredentials() ? '#' + std::to_string(credentials) : std::string());
}

Result<HttpProxy> parseHttpProxy(QStringView input)
{
    const QString text = input.trimmed().toString();
    const qsizetype schemeEnd = text.indexOf(QLatin1String("://"));
    const QString scheme = schemeEnd < 0 ? QStringLiteral("http") : text.left(schemeEnd).toLower();
    const QString withScheme = schemeEnd < 0 ? QStringLiteral("http://") + text : text;
    const QUrl url(withScheme, QUrl::StrictMode);
    // A scheme is named only when it looks like one (RFC 3986: a letter, then letters, digits, '+', '-', '.'); any
    // other text before "://" (a pasted secret?) is never echoed.
    static const QRegularExpression plausibleScheme(QStringLiteral("^[a-z][a-z0-9+.-]{0,19}$"));
    const bool schemeShown = schemeEnd < 0 || plausibleScheme.match(scheme).hasMatch();
    // What an error may quote: the text without anything before '@', nor a scheme that does not look like one.
    const qsizetype lastAt = text.lastIndexOf(u'@');
    const qsizetype at = lastAt > schemeEnd ? lastAt : -1; // an '@' before "://" is part of the (masked) scheme
    const QString schemePart = schemeEnd < 0
        ? QString()
        : (schemeShown ? text.left(schemeEnd) : QStringLiteral("***")) + QStringLiteral("://");
    const QString shown = at < 0 ? QString(schemePart + text.mid(schemeEnd < 0 ? 0 : schemeEnd + 3))
                                 : QString(schemePart + QStringLiteral("***") + text.mid(at));
    if (scheme == QLatin1String("https"))
        return fail(Error::Code::Config,
            QStringLiteral("proxy '%1': proxies reached over TLS (https://) are not supported; use http://HOST:PORT (a "
                           "CONNECT tunnel still encrypts https:// requests end to end)")
                .arg(shown));
    if (scheme.startsWith(QLatin1String("socks")))
        return fail(Error::Code::Config,
            QStringLiteral("proxy '%1': SOCKS proxies are not supported; use an HTTP proxy (http://HOST:PORT)")
                .arg(shown));
    if (scheme != QLatin1String("http") && schemeShown)
        return fail(Error::Code::Config,
            QStringLiteral("proxy '%1': unsupported scheme '%2'; use http://HOST:PORT").arg(shown, scheme));
    if (scheme != QLatin1String("http"))
        return fail(Error::Code::Config, QStringLiteral("proxy '%1' is not a URL like http://HOST:PORT").arg(shown));
    if (text.isEmpty() || !url.isValid() || url.host().isEmpty())
        return fail(Error::Code::Config, QStringLiteral("proxy '%1' is not a URL like http://HOST:PORT").arg(shown));
    const int port = url.port(1080);
    if (port < 1 || port > 65535)
        return fail(Error::Code::Config, QStringLiteral("proxy '%1' has an invalid port").arg(shown));

    HttpProxy proxy;
    proxy.host = url.host(QUrl::FullyEncoded).toStdString();
    if (proxy.host.size() > 2 && proxy.host.front() == '[')
        proxy.host = proxy.host.substr(1, proxy.host.size() - 2);
    proxy.port = port;
    proxy.user = url.userName(QUrl::FullyDecoded);
    proxy.password = url.password(QUrl::FullyDecoded);
    return proxy;
}

NoProxyList NoProxyList::parse(QStringView text)
{
    NoProxyList list;
    const QString normalised = text.toString().replace(u' ', u',').replace(u'\t', u',');
    for (const QString& raw : normalised.split(u',', Qt::SkipEmptyParts)) {
        QStringView item = QStringView(raw).trimmed();
        if (item.isEmpty())
            continue;
        if (item == u"*") {
            list.m_all = true;
            continue;
        }
        Entry entry;
        QStringView hostPart = item;
        if (item.startsWith(u'[')) {
            const qsizetype close = item.indexOf(u']');
            if (close < 0)
                continue;
            hostPart = item.mid(1, close - 1);
            const QStringView after = item.mid(close + 1);
            if (after.startsWith(u':')) {
                const auto port = portOf(after.mid(1));
                if (!port)
                    continue;
                entry.port = *port;
            } else if (after.startsWith(u'/')) {
                hostPart = item.mid(1, close - 1);
                bool ok = false;
                entry.prefixBits = after.mid(1).toInt(&ok);
                if (!ok)
                    continue;
            } else if (!after.isEmpty()) {
                continue;
            }
        } else if (item.count(u':') == 1) {
            // One colon: host:port. More colons: an IPv6 address (with or without /prefix).
            const qsizetype colon = item.indexOf(u':');
            const auto port = portOf(item.mid(colon + 1));
            if (!port)
                continue;
            entry.port = *port;
            hostPart = item.left(colon);
        }
        if (const qsizetype slash = hostPart.indexOf(u'/'); slash >= 0) {
            bool ok = false;
            entry.prefixBits = hostPart.mid(slash + 1).toInt(&ok);
            if (!ok)
                continue;
            hostPart = hostPart.left(slash);
        }
        if (auto bytes = addressBytes(hostPart)) {
            entry.address = std::move(*bytes);
            if (entry.prefixBits > int(entry.address.size()) * 8 || entry.prefixBits < -1)
                continue;
        } else {
            if (entry.prefixBits >= 0)
                continue; // a prefix on a name means nothing
            entry.name = lowerName(hostPart);
            if (entry.name.isEmpty())
                continue;
        }
        list.m_entries.push_back(std::move(entry));
    }
    return list;
}

bool NoProxyList::matches(QStringView hostView, int port) const
{
    if (m_all)
        return true;
    QStringView host = hostView;
    if (host.size() > 2 && host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    const auto address = addressBytes(host);
    const QString name = lowerName(host);
    for (const Entry& e : m_entries) {
        if (e.port >= 0 && e.port != port)
            continue;
        if (!e.address.empty()) {
            if (address && prefixMatches(*address, e.address, e.prefixBits))
                return true;
            continue;
        }
        if (name == e.name
            || (name.size() > e.name.size() && name.endsWith(e.name)
                && name.at(name.size() - e.name.size() - 1) == u'.'))
            return true;
    }
    return false;
}

ProxyEnvironment ProxyEnvironment::fromProcess()
{
    auto read = [](const char* lower, const char* upper) {
        // An empty lower-case variable still wins: it is how one turns a proxy off for one command.
        if (qEnvironmentVariableIsSet(lower))
            return qEnvironmentVariable(lower);
        return qEnvironmentVariable(upper);
    };
    return {read("http_proxy", "HTTP_PROXY"), read("https_proxy", "HTTPS_PROXY"), read("no_proxy", "NO_PROXY")};
}

Result<std::optional<HttpProxy>> proxyFor(
    bool tls, QStringView host, int port, const QString& configured, const ProxyEnvironment& environment)
{
    if (!configured.trimmed().isEmpty()) {
        auto proxy = parseHttpProxy(configured);
        if (!proxy)
            return std::unexpected(proxy.error());
        return std::optional<HttpProxy>(std::move(*proxy));
    }
    const QString& fromEnvironment = tls ? environment.httpsProxy : environment.httpProxy;
    if (fromEnvironment.trimmed().isEmpty())
        return std::optional<HttpProxy>();
    if (NoProxyList::parse(environment.noProxy).matches(host, port))
        return std::optional<HttpProxy>();
    auto proxy = parseHttpProxy(fromEnvironment);
    if (!proxy) {
        Error e = proxy.error();
        e.message = QStringLiteral("%1 (from the environment variable %2)")
                        .arg(e.message,
                            tls ? QStringLiteral("https_proxy/HTTPS_PROXY") : QStringLiteral("http_proxy/HTTP_PROXY"));
        return std::unexpected(e);
    }
    return std::optional<HttpProxy>(std::move(*proxy));
}

} // namespace pw
