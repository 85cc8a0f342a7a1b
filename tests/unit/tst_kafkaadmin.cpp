// KafkaAdmin without a broker: configuration errors and an unreachable cluster come back as pw::Error values
// (the calls against a real broker are in tests/integration/tst_brokergroups.cpp).
#include "sources/kafkaadmin.h"

#include <QTcpServer>
#include <QTest>

using pw::KafkaAdmin;

class TestKafkaAdmin : public QObject
{
    Q_OBJECT

private:
    // A loopback port nothing listens on.
    static quint16 closedPort()
    {
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost, 0))
            return 0;
        return server.serverPort();
    }

private slots:
    void unknownPropertyIsAConfigError()
    {
        pw::KafkaAdminConfig config;
        config.bootstrapServers = QStringLiteral("127.0.0.1:1");
        config.properties.emplace_back(QStringLiteral("no.such.property"), QStringLiteral("x"));
        auto admin = KafkaAdmin::create(config);
        QVERIFY(!admin);
        QCOMPARE(admin.error().code, pw::Error::Code::Config);
        QVERIFY(admin.error().message.contains(QStringLiteral("no.such.property")));
    }

    void unreachableClusterFailsEveryCall()
    {
        const quint16 port = closedPort();
        QVERIFY(port != 0);
        pw::KafkaAdminConfig config;
        config.bootstrapServers = QStringLiteral("127.0.0.1:%1").arg(port);
        config.timeout = std::chrono::milliseconds(1500);
        auto admin = KafkaAdmin::create(config);
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().toString()));
        auto& a = **admin;
        QVERIFY(!a.listGroups());
        QVERIFY(!a.describeGroup(QStringLiteral("g")));
        QVERIFY(!a.listGroupOffsets(QStringLiteral("g")));
        QVERIFY(!a.alterGroupOffsets(QStringLiteral("g"), {{QStringLiteral("t"), 0, 1, {}}}));
        QVERIFY(!a.deleteRecords(QStringLiteral("t"), 0, 1));
        QVERIFY(!a.watermarks(QStringLiteral("t"), 0));
        QVERIFY(!a.offsetsForTimes(QStringLiteral("t"), {{0, 1000}}));
        auto topics = a.listTopics();
        QVERIFY(!topics);
        QVERIFY(!topics.error().message.isEmpty());
        // Nothing to alter is not an error and needs no broker.
        QVERIFY(a.alterGroupOffsets(QStringLiteral("g"), {}));
    }
};

QTEST_GUILESS_MAIN(TestKafkaAdmin)
#include "tst_kafkaadmin.moc"
