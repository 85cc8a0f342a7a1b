#pragma once

#include "model/error.h"

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <optional>
#include <string>
#include <vector>

namespace pw {

/// An HTTP proxy as `proxy:` or HTTP(S)_PROXY name it: `[http://][user[:password]@]host[:port]` (port 1080 by
/// default, like curl; user and password percent-decoded). The credentials are secrets: `shown()` never has them.
/// Plain value type.
struct HttpProxy
{
    std::string host; // without IPv6 brackets
    int port = 1080;
    QString user; // secret
    QString password; // secret

    bool hasCredentials() const { return !user.isEmpty() || !password.isEmpty(); }
    /// `Basic base64(user:password)` for the Proxy-Authorization header.
    QByteArray authorization() const;
    /// `host:port` (IPv6 bracketed) as shown in errors, with `***@` in front when it carries credentials.
    QString shown() const;
    /// What keeps connections through different proxies (or credentials) apart.
    std::string key() const;
};

/// Parses a proxy URL; errors never quote credentials. An `https://` (TLS to the proxy) or `socks*://` proxy is
/// refused with a sentence that says so.
Result<HttpProxy> parseHttpProxy(QStringView text);

/// curl's NO_PROXY: a list of hosts separated by commas (or spaces); `*` alone matches every host; `example.com` and
/// `.example.com` both match example.com and every name under it; an IP address or CIDR block (`10.0.0.0/8`,
/// `fd00::/8`) matches addresses in it; `host:port` (or `[v6]:port`) only that port. Case-insensitive; a trailing dot
/// of a name is ignored. Entries that cannot be understood are skipped. Plain value type.
class NoProxyList
{
public:
    static NoProxyList parse(QStringView text);
    /// True when a request to this host (name or address literal, without brackets) and port goes direct.
    bool matches(QStringView host, int port) const;
    bool isEmpty() const { return m_entries.empty() && !m_all; }

private:
    struct Entry
    {
        QString name; // lower case, no leading or trailing dot; empty for an address entry
        std::vector<quint8> address; // 4 or 16 bytes for an address entry
        int prefixBits = -1; // CIDR prefix; -1 = the whole address
        int port = -1; // -1 = any port
    };
    std::vector<Entry> m_entries;
    bool m_all = false;
};

/// The proxy settings of the environment, lower-case names first as curl reads them: `http_proxy`/`HTTP_PROXY` for
/// http:// URLs, `https_proxy`/`HTTPS_PROXY` for https:// URLs, `no_proxy`/`NO_PROXY` for the exceptions.
struct ProxyEnvironment
{
    QString httpProxy;
    QString httpsProxy;
    QString noProxy;

    static ProxyEnvironment fromProcess();
};

/// The proxy a request to `host:port` goes through: the source's own `configured` proxy when set (it is meant for this
/// source, NO_PROXY does not apply), else the environment's proxy for the scheme unless NO_PROXY names the host;
/// nullopt = direct. A proxy URL that cannot be parsed is an error (Code::Config) naming where it came from.
Result<std::optional<HttpProxy>> proxyFor(
    bool tls, QStringView host, int port, const QString& configured, const ProxyEnvironment& environment);

} // namespace pw
