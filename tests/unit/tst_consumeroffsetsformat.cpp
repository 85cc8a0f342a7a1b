#include "broker/consumeroffsetsformat.h"

#include <QTest>

using namespace pw::broker;

namespace {

std::vector<uint8_t> hex(const char* text)
{
    const QByteArray bytes = QByteArray::fromHex(QByteArray(text));
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

QByteArray toHex(const std::vector<uint8_t>& bytes)
{
    return QByteArray(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size())).toHex();
}

} // namespace

class TestConsumerOffsetsFormat : public QObject
{
    Q_OBJECT

private slots:
    void offsetCommitKeyKnownBytes()
    {
        // version 1, group "g", topic "t", partition 1
        const auto bytes = encodeOffsetCommitKey({"g", "t", 1});
        QCOMPARE(toHex(bytes),
            QByteArray("0001000167000174"
                       "00000001"));
        const auto decoded = decodeConsumerOffsetsKey(bytes);
        QVERIFY(decoded);
        QVERIFY(std::holds_alternative<OffsetCommitKey>(*decoded));
        QCOMPARE(std::get<OffsetCommitKey>(*decoded), (OffsetCommitKey {"g", "t", 1}));
        // Version 0 keys have the same layout and decode to the same key.
        const auto v0 = decodeConsumerOffsetsKey(hex("0000000167000174"
                                                     "00000001"));
        QVERIFY(v0 && std::get<OffsetCommitKey>(*v0) == (OffsetCommitKey {"g", "t", 1}));
    }

    void groupMetadataKeyKnownBytes()
    {
        const auto bytes = encodeGroupMetadataKey({"grp"});
        QCOMPARE(toHex(bytes), QByteArray("00020003677270"));
        const auto decoded = decodeConsumerOffsetsKey(bytes);
        QVERIFY(decoded && std::holds_alternative<GroupMetadataKey>(*decoded));
        QCOMPARE(std::get<GroupMetadataKey>(*decoded).group, std::string("grp"));
    }

    void offsetCommitValueVersions_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<QByteArray>("expected");
        // offset 42, epoch 7 (v3 only), metadata "m", commit 1000, expire 2000 (v1 only)
        QTest::newRow("v0") << 0
                            << QByteArray("0000"
                                          "000000000000002a"
                                          "00016d"
                                          "00000000000003e8");
        QTest::newRow("v1") << 1
                            << QByteArray("0001"
                                          "000000000000002a"
                                          "00016d"
                                          "00000000000003e8"
                                          "00000000000007d0");
        QTest::newRow("v2") << 2
                            << QByteArray("0002"
                                          "000000000000002a"
                                          "00016d"
                                          "00000000000003e8");
        QTest::newRow("v3") << 3
                            << QByteArray("0003"
                                          "000000000000002a"
                                          "00000007"
                                          "00016d"
                                          "00000000000003e8");
    }

    void offsetCommitValueVersions()
    {
        QFETCH(int, version);
        QFETCH(QByteArray, expected);
        const OffsetCommitValue value {42, 7, "m", 1000, 2000};
        const auto bytes = encodeOffsetCommitValue(value, static_cast<int16_t>(version));
        QCOMPARE(toHex(bytes), expected);
        const auto decoded = decodeOffsetCommitValue(bytes);
        QVERIFY(decoded);
        QCOMPARE(decoded->offset, 42);
        QCOMPARE(decoded->metadata, std::string("m"));
        QCOMPARE(decoded->commitTimestampMs, 1000);
        QCOMPARE(decoded->leaderEpoch, version >= 3 ? 7 : -1);
        QCOMPARE(decoded->expireTimestampMs, version == 1 ? 2000 : -1);
    }

    void groupMetadataValueRoundTrip_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v0") << 0;
        QTest::newRow("v1") << 1;
        QTest::newRow("v2") << 2;
        QTest::newRow("v3") << 3;
    }

    void groupMetadataValueRoundTrip()
    {
        QFETCH(int, version);
        GroupMetadataValue value;
        value.protocolType = "consumer";
        value.generation = 5;
        value.protocol = "range";
        value.leader = "m1";
        value.currentStateTimestampMs = 123456;
        value.members.push_back({"m1", std::string("inst"), "client", "/127.0.0.1", 30000, 10000, {1, 2}, {3}});
        value.members.push_back({"m2", std::nullopt, "client", "/127.0.0.1", 30000, 10000, {}, {}});
        const auto bytes = encodeGroupMetadataValue(value, static_cast<int16_t>(version));
        const auto decoded = decodeGroupMetadataValue(bytes);
        QVERIFY(decoded);
        GroupMetadataValue expected = value;
        if (version < 2)
            expected.currentStateTimestampMs = -1;
        for (auto& m : expected.members) {
            if (version < 3)
                m.groupInstanceId.reset();
            if (version < 1)
                m.rebalanceTimeoutMs = 0;
        }
        QVERIFY(*decoded == expected);
    }

    void groupMetadataValueKnownBytes()
    {
        GroupMetadataValue value;
        value.protocolType = "c";
        value.generation = 1;
        value.protocol = std::nullopt;
        value.leader = "l";
        value.members.push_back({"l", std::nullopt, "i", "h", 5, 6, {0xAA}, {}});
        QCOMPARE(toHex(encodeGroupMetadataValue(value, 1)),
            QByteArray("0001"
                       "000163"
                       "00000001"
                       "ffff"
                       "00016c"
                       "00000001"
                       "00016c"
                       "000169"
                       "000168"
                       "00000005"
                       "00000006"
                       "00000001aa"
                       "00000000"));
    }

    void rejectsMalformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("empty") << QByteArray("");
        QTest::newRow("unknown key version") << QByteArray("0003000167");
        QTest::newRow("truncated key") << QByteArray("00010001670001");
        QTest::newRow("trailing bytes") << QByteArray("000200016700");
        QTest::newRow("negative string") << QByteArray("0002ffff");
    }

    void rejectsMalformed()
    {
        QFETCH(QByteArray, bytes);
        const auto raw = hex(bytes.constData());
        QVERIFY(!decodeConsumerOffsetsKey(raw));
        QVERIFY(!decodeOffsetCommitValue(raw));
        QVERIFY(!decodeGroupMetadataValue(raw));
    }

    void absurdMemberCountIsRejected()
    {
        // A member count of 2^31-1 with no bytes behind it must fail rather than allocate.
        QVERIFY(!decodeGroupMetadataValue(hex("0001"
                                              "000163"
                                              "00000001"
                                              "ffff"
                                              "ffff"
                                              "7fffffff")));
    }

    void partitionPlacementMatchesJavaHash()
    {
        // "hello".hashCode() == 99162322 in Java.
        QCOMPARE(offsetsPartitionFor("hello", 50), 99162322 % 50);
        QCOMPARE(offsetsPartitionFor("hello", 1), 0);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE: the sign bit is cleared, giving 0.
        QCOMPARE(offsetsPartitionFor("polygenelubricants", 7), 0);
        // "é" is one UTF-16 unit 0xE9.
        QCOMPARE(offsetsPartitionFor("\xc3\xa9", 1000), 0xE9 % 1000);
    }

    void consumerSubscription()
    {
        // version 1, topics ["a", "bc"], user data null, owned partitions empty
        const auto topics = consumerSubscriptionTopics(hex("0001"
                                                           "00000002"
                                                           "000161"
                                                           "00026263"
                                                           "ffffffff"
                                                           "00000000"));
        QVERIFY(topics);
        QCOMPARE(topics->size(), size_t(2));
        QCOMPARE(topics->at(1), std::string("bc"));
        QVERIFY(!consumerSubscriptionTopics(hex("0001"
                                                "00000005"
                                                "0001")));
    }
};

QTEST_GUILESS_MAIN(TestConsumerOffsetsFormat)
#include "tst_consumeroffsetsformat.moc"
