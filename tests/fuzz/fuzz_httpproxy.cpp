// Feeds arbitrary text to the proxy URL and NO_PROXY parsers (they read the environment and `proxy:`): never a crash,
// an error never quotes what came before '@' (credentials), and a parsed proxy has a host and a valid port.
// Input: the first line is a proxy URL, the second a NO_PROXY list, the third a host to match against it.
#include "sources/httpproxy.h"

#include <QStringList>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size));
    const QStringList lines = text.split(QLatin1Char('\n'));
    const QString proxyText = lines.value(0);
    const auto proxy = pw::parseHttpProxy(proxyText);
    if (proxy) {
        if (proxy->host.empty() || proxy->port < 1 || proxy->port > 65535)
            std::abort();
        if (proxy->hasCredentials() && !proxy->shown().startsWith(QLatin1String("***@")))
            std::abort();
        (void)proxy->authorization();
        (void)proxy->key();
    } else {
        // The credentials are what lies between "://" (or the start) and the last '@' after it; an '@' before
        // "://" is part of a (bad) scheme, and what follows it is the host, which an error may name.
        const qsizetype at = proxyText.lastIndexOf(QLatin1Char('@'));
        const qsizetype schemeEnd = proxyText.indexOf(QLatin1String("://"));
        const qsizetype userStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        const QString secret = at > userStart ? proxyText.mid(userStart, at - userStart) : QString();
        // Only credentials long enough not to appear by chance in the sentence itself are checked.
        // ... and only when the same text is not also part of the host or the scheme, which an error may quote.
        if (secret.size() >= 12 && !proxyText.mid(at).contains(secret)
            && !proxyText.left(userStart).contains(secret, Qt::CaseInsensitive)
            && proxy.error().message.contains(secret))
            std::abort();
    }
    const pw::NoProxyList list = pw::NoProxyList::parse(lines.value(1));
    const QString host = lines.value(2);
    (void)list.matches(host, 443);
    (void)list.matches(host, -1);
    if (pw::NoProxyList::parse(QStringLiteral("*")).matches(host, 80) != true)
        std::abort();
    return 0;
}
