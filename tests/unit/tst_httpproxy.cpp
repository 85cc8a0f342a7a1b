#include "sources/httpproxy.h"

#include <QTest>

using namespace pw;

class TestHttpProxy : public QObject
{
    Q_OBJECT

private slots:
    void parsesProxyUrls_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("shown");
        QTest::newRow("plain") << "http://proxy.corp:3128"
                               << "proxy.corp" << 3128 << ""
                               << ""
                               << "proxy.corp:3128";
        QTest::newRow("no scheme, curl default port") << "proxy.corp"
                                                      << "proxy.corp" << 1080 << ""
                                                      << ""
                                                      << "proxy.corp:1080";
        QTest::newRow("credentials, percent-encoded") << "http://alice:p%40ss%3Aw@10.0.0.1:8080/"
                                                      << "10.0.0.1" << 8080 << "alice"
                                                      << "p@ss:w"
                                                      << "***@10.0.0.1:8080";
        QTest::newRow("IPv6") << "http://[::1]:3128"
                              << "::1" << 3128 << ""
                              << ""
                              << "[::1]:3128";
        QTest::newRow("upper-case scheme") << "HTTP://Proxy:1"
                                           << "proxy" << 1 << ""
                                           << ""
                                           << "proxy:1";
    }

    void parsesProxyUrls()
    {
        QFETCH(QString, text);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(QString, shown);
        auto proxy = parseHttpProxy(text);
        QVERIFY2(proxy.has_value(), qPrintable(proxy ? QString() : proxy.error().message));
        QCOMPARE(QString::fromStdString(proxy->host), host);
        QCOMPARE(proxy->port, port);
        QCOMPARE(proxy->user, user);
        QCOMPARE(proxy->password, password);
        QCOMPARE(proxy->shown(), shown);
        if (!user.isEmpty())
            QCOMPARE(proxy->authorization(), "Basic " + (user + QLatin1Char(':') + password).toUtf8().toBase64());
    }

    void refusesProxyUrlsWithoutShowingCredentials_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("https proxy") << "https://bob:hunter2@proxy:443"
                                     << "not supported";
        QTest::newRow("socks") << "socks5://bob:hunter2@proxy:1080"
                               << "SOCKS proxies are not supported";
        QTest::newRow("ftp") << "ftp://bob:hunter2@proxy"
                             << "unsupported scheme";
        QTest::newRow("port") << "http://bob:hunter2@proxy:99999"
                              << "";
        QTest::newRow("empty") << ""
                               << "is not a URL";
        QTest::newRow("no host") << "http://bob:hunter2@:8080"
                                 << "";
        QTest::newRow("credentials before the scheme") << "Bob:hunter2://bob:hunter2@proxy:8080"
                                                       << "is not a URL";
    }

    void refusesProxyUrlsWithoutShowingCredentials()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        auto proxy = parseHttpProxy(text);
        QVERIFY(!proxy.has_value());
        QCOMPARE(proxy.error().code, Error::Code::Config);
        QVERIFY2(proxy.error().message.contains(expected), qPrintable(proxy.error().message));
        QVERIFY2(!proxy.error().message.contains(QLatin1String("hunter2")), qPrintable(proxy.error().message));
        QVERIFY2(!proxy.error().message.contains(QLatin1String("bob")), qPrintable(proxy.error().message));
    }

    void noProxyFollowsCurl_data()
    {
        QTest::addColumn<QString>("noProxy");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<bool>("direct");
        QTest::newRow("empty") << ""
                               << "example.com" << 80 << false;
        QTest::newRow("star") << "*"
                              << "anything.example" << 443 << true;
        QTest::newRow("star in a list is not a wildcard") << "foo,*.example.com"
                                                          << "a.example.com" << 80 << false;
        QTest::newRow("exact name") << "example.com"
                                    << "example.com" << 80 << true;
        QTest::newRow("name covers subdomains") << "example.com"
                                                << "www.example.com" << 80 << true;
        QTest::newRow("leading dot covers the domain too") << ".example.com"
                                                           << "example.com" << 80 << true;
        QTest::newRow("leading dot, subdomain") << ".example.com"
                                                << "a.b.example.com" << 80 << true;
        QTest::newRow("suffix is not a domain") << "example.com"
                                                << "notexample.com" << 80 << false;
        QTest::newRow("case-insensitive") << "Example.COM"
                                          << "WWW.example.com" << 80 << true;
        QTest::newRow("trailing dot") << "example.com."
                                      << "www.example.com." << 80 << true;
        QTest::newRow("list with spaces") << " foo.org , example.com"
                                          << "example.com" << 80 << true;
        QTest::newRow("space separated") << "foo.org example.com"
                                         << "example.com" << 80 << true;
        QTest::newRow("other entry") << "foo.org,bar.org"
                                     << "example.com" << 80 << false;
        QTest::newRow("IPv4 exact") << "10.1.2.3"
                                    << "10.1.2.3" << 80 << true;
        QTest::newRow("IPv4 other") << "10.1.2.3"
                                    << "10.1.2.4" << 80 << false;
        QTest::newRow("IPv4 CIDR in") << "10.0.0.0/8"
                                      << "10.200.3.4" << 80 << true;
        QTest::newRow("IPv4 CIDR out") << "10.0.0.0/8"
                                       << "11.0.0.1" << 80 << false;
        QTest::newRow("IPv4 /0") << "0.0.0.0/0"
                                 << "192.0.2.1" << 80 << true;
        QTest::newRow("IPv4 /20 edge in") << "192.168.16.0/20"
                                          << "192.168.31.255" << 80 << true;
        QTest::newRow("IPv4 /20 edge out") << "192.168.16.0/20"
                                           << "192.168.32.0" << 80 << false;
        QTest::newRow("CIDR does not match names") << "10.0.0.0/8"
                                                   << "ten.example" << 80 << false;
        QTest::newRow("IPv6 exact") << "::1"
                                    << "::1" << 80 << true;
        QTest::newRow("IPv6 bracketed host") << "::1"
                                             << "[::1]" << 80 << true;
        QTest::newRow("IPv6 CIDR") << "fd00::/8"
                                   << "fd12:3456::1" << 80 << true;
        QTest::newRow("IPv6 CIDR out") << "fd00::/8"
                                       << "fe80::1" << 80 << false;
        QTest::newRow("IPv6 bracketed with port") << "[::1]:8080"
                                                  << "::1" << 8080 << true;
        QTest::newRow("IPv6 bracketed other port") << "[::1]:8080"
                                                   << "::1" << 9090 << false;
        QTest::newRow("name with port") << "example.com:8443"
                                        << "example.com" << 8443 << true;
        QTest::newRow("name with other port") << "example.com:8443"
                                              << "example.com" << 443 << false;
        QTest::newRow("IP with port") << "127.0.0.1:9090"
                                      << "127.0.0.1" << 9090 << true;
        QTest::newRow("garbage skipped") << "a:b:c:, [oops, 1.2.3.4/99, example.com"
                                         << "example.com" << 80 << true;
        QTest::newRow("prefix on a name skipped") << "example.com/8"
                                                  << "example.com" << 80 << false;
        QTest::newRow("localhost is just a name") << "localhost"
                                                  << "127.0.0.1" << 80 << false;
    }

    void noProxyFollowsCurl()
    {
        QFETCH(QString, noProxy);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(bool, direct);
        QCOMPARE(NoProxyList::parse(noProxy).matches(host, port), direct);
    }

    void proxyForPicksBySchemeAndNoProxy()
    {
        const ProxyEnvironment env {QStringLiteral("http://plain:1"), QStringLiteral("http://secure:2"),
            QStringLiteral("internal.example,10.0.0.0/8")};
        auto http = proxyFor(false, u"metrics.example", 80, {}, env);
        QVERIFY(http && *http);
        QCOMPARE((*http)->host, std::string("plain"));
        auto https = proxyFor(true, u"metrics.example", 443, {}, env);
        QVERIFY(https && *https);
        QCOMPARE((*https)->host, std::string("secure"));
        auto bypass = proxyFor(true, u"prom.internal.example", 443, {}, env);
        QVERIFY(bypass && !*bypass);
        auto byAddress = proxyFor(false, u"10.1.1.1", 80, {}, env);
        QVERIFY(byAddress && !*byAddress);
        // The source's own proxy is meant for it: NO_PROXY does not apply.
        auto own = proxyFor(false, u"10.1.1.1", 80, QStringLiteral("http://own:3"), env);
        QVERIFY(own && *own);
        QCOMPARE((*own)->host, std::string("own"));
        auto none = proxyFor(false, u"metrics.example", 80, {}, ProxyEnvironment {});
        QVERIFY(none && !*none);
        auto broken = proxyFor(
            false, u"metrics.example", 80, {}, ProxyEnvironment {QStringLiteral("socks5://u:pw@x:1"), {}, {}});
        QVERIFY(!broken);
        QVERIFY2(broken.error().message.contains(QLatin1String("http_proxy/HTTP_PROXY")),
            qPrintable(broken.error().message));
        QVERIFY(!broken.error().message.contains(QLatin1String("pw@")));
    }

    void environmentLowerCaseWins()
    {
        qputenv("HTTP_PROXY", "http://upper:1");
        qputenv("http_proxy", "http://lower:2");
        qputenv("HTTPS_PROXY", "http://upper-secure:3");
        qunsetenv("https_proxy");
        qputenv("NO_PROXY", "upper.example");
        qputenv("no_proxy", "");
        const ProxyEnvironment env = ProxyEnvironment::fromProcess();
        QCOMPARE(env.httpProxy, QStringLiteral("http://lower:2"));
        QCOMPARE(env.httpsProxy, QStringLiteral("http://upper-secure:3"));
        QCOMPARE(env.noProxy, QString()); // set, though empty: it wins
        for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "NO_PROXY", "no_proxy"})
            qunsetenv(name);
    }
};

QTEST_GUILESS_MAIN(TestHttpProxy)
#include "tst_httpproxy.moc"
