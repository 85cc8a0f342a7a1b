#include "broker/apiversions.h"
#include "broker/requestheader.h"
#include "broker/wire.h"

#include <QTest>

#include <limits>

using namespace pw::broker;

class TestWire : public QObject
{
    Q_OBJECT

private slots:
    void fixedWidthRoundTrip()
    {
        WireWriter w;
        w.i8(-5);
        w.i16(-12345);
        w.i32(std::numeric_limits<int32_t>::min());
        w.i64(0x0102030405060708LL);
        w.u32(0xdeadbeef);
        w.boolean(true);
        w.f64(3.25);
        QCOMPARE(w.size(), size_t(1 + 2 + 4 + 8 + 4 + 1 + 8));
        // Big-endian on the wire.
        QCOMPARE(w.buffer()[7], uint8_t(0x01));
        QCOMPARE(w.buffer()[14], uint8_t(0x08));
        WireReader r(w.buffer());
        QCOMPARE(r.i8(), int8_t(-5));
        QCOMPARE(r.i16(), int16_t(-12345));
        QCOMPARE(r.i32(), std::numeric_limits<int32_t>::min());
        QCOMPARE(r.i64(), 0x0102030405060708LL);
        QCOMPARE(r.u32(), 0xdeadbeefu);
        QCOMPARE(r.boolean(), true);
        QCOMPARE(r.f64(), 3.25);
        QCOMPARE(r.remaining(), size_t(0));
        QVERIFY(!r.failed());
    }

    void varints_data()
    {
        QTest::addColumn<qint64>("value");
        QTest::addColumn<int>("encodedSize");
        QTest::newRow("0") << qint64(0) << 1;
        QTest::newRow("-1") << qint64(-1) << 1;
        QTest::newRow("63") << qint64(63) << 1;
        QTest::newRow("-64") << qint64(-64) << 1;
        QTest::newRow("64") << qint64(64) << 2;
        QTest::newRow("300") << qint64(300) << 2;
        QTest::newRow("int32 max") << qint64(std::numeric_limits<int32_t>::max()) << 5;
        QTest::newRow("int32 min") << qint64(std::numeric_limits<int32_t>::min()) << 5;
    }
    void varints()
    {
        QFETCH(qint64, value);
        QFETCH(int, encodedSize);
        WireWriter w;
        w.varint(int32_t(value));
        QCOMPARE(int(w.size()), encodedSize);
        w.varlong(value);
        w.varlong(std::numeric_limits<int64_t>::min());
        WireReader r(w.buffer());
        QCOMPARE(qint64(r.varint()), value);
        QCOMPARE(qint64(r.varlong()), value);
        QCOMPARE(r.varlong(), std::numeric_limits<int64_t>::min());
        QVERIFY(!r.failed());
    }

    void zigzagKnownEncoding()
    {
        // Kafka's examples: 1 -> 0x02, -1 -> 0x01, 300 (unsigned) -> ac 02.
        WireWriter w;
        w.varint(1);
        w.varint(-1);
        w.uvarint(300);
        const std::vector<uint8_t> expected {0x02, 0x01, 0xac, 0x02};
        QCOMPARE(w.buffer(), expected);
    }

    void overlongVarintFails()
    {
        const std::vector<uint8_t> bytes(6, 0xff);
        WireReader r(bytes);
        r.uvarint();
        QVERIFY(r.failed());
    }

    void stringsAndBytes()
    {
        WireWriter w;
        w.string("hello");
        w.nullableString(std::nullopt);
        w.compactString("ü");
        w.compactNullableString(std::nullopt);
        const std::vector<uint8_t> payload {1, 2, 3};
        w.bytes(payload);
        w.nullBytes();
        w.compactBytes(payload);
        w.compactNullableBytes(std::nullopt);
        w.uuid(std::string(16, 'x'));
        w.emptyTaggedFields();
        WireReader r(w.buffer());
        QCOMPARE(r.string(), std::string("hello"));
        QVERIFY(!r.nullableString().has_value());
        QCOMPARE(r.compactString(), std::string("ü"));
        QVERIFY(!r.compactNullableString().has_value());
        auto view = r.bytesView();
        QCOMPARE(std::vector<uint8_t>(view.begin(), view.end()), payload);
        QVERIFY(!r.nullableBytes().has_value());
        QCOMPARE(*r.compactNullableBytes(), payload);
        QVERIFY(!r.compactNullableBytes().has_value());
        QCOMPARE(r.uuid(), std::string(16, 'x'));
        r.skipTaggedFields();
        QVERIFY(!r.failed());
        QCOMPARE(r.remaining(), size_t(0));
    }

    void arrays()
    {
        WireWriter w;
        w.arrayLength(2, false);
        w.i8(1);
        w.i8(2);
        w.arrayLength(-1, false);
        w.arrayLength(1, true);
        w.i8(3);
        w.arrayLength(-1, true);
        WireReader r(w.buffer());
        QCOMPARE(r.arrayLength(false), 2);
        r.i8();
        r.i8();
        QCOMPARE(r.arrayLength(false), -1);
        QCOMPARE(r.arrayLength(true), 1);
        r.i8();
        QCOMPARE(r.arrayLength(true), -1);
        QVERIFY(!r.failed());
    }

    void taggedFieldsAreSkipped()
    {
        WireWriter w;
        w.uvarint(2); // two tagged fields
        w.uvarint(0);
        w.uvarint(3);
        w.raw(std::vector<uint8_t> {9, 9, 9});
        w.uvarint(7);
        w.uvarint(0);
        w.i32(42);
        WireReader r(w.buffer());
        r.skipTaggedFields();
        QCOMPARE(r.i32(), 42);
        QVERIFY(!r.failed());
    }

    void truncatedInput_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("i32") << 0;
        QTest::newRow("i64") << 1;
        QTest::newRow("string") << 2;
        QTest::newRow("bytes") << 3;
        QTest::newRow("compact string") << 4;
        QTest::newRow("tagged field") << 5;
    }
    void truncatedInput()
    {
        QFETCH(int, kind);
        WireWriter w;
        switch (kind) {
        case 0:
            w.i16(1);
            break;
        case 1:
            w.i32(1);
            break;
        case 2:
            w.i16(10);
            w.raw(std::vector<uint8_t> {'a', 'b'});
            break;
        case 3:
            w.i32(100);
            w.i8(1);
            break;
        case 4:
            w.uvarint(50);
            break;
        case 5:
            w.uvarint(1);
            w.uvarint(0);
            w.uvarint(10);
            break;
        }
        WireReader r(w.buffer());
        switch (kind) {
        case 0:
            QCOMPARE(r.i32(), 0);
            break;
        case 1:
            QCOMPARE(r.i64(), 0);
            break;
        case 2:
            QCOMPARE(r.string(), std::string());
            break;
        case 3:
            QVERIFY(r.bytesView().empty());
            break;
        case 4:
            QCOMPARE(r.compactString(), std::string());
            break;
        case 5:
            r.skipTaggedFields();
            break;
        }
        QVERIFY(r.failed());
        QVERIFY(!r.error().empty());
        // Once failed, every read returns zero and nothing moves.
        QCOMPARE(r.i32(), 0);
        QCOMPARE(r.remaining(), size_t(0));
    }

    void absurdArrayLengths()
    {
        WireWriter w;
        w.i32(std::numeric_limits<int32_t>::max());
        w.i32(0);
        WireReader r(w.buffer());
        QCOMPARE(r.arrayLength(false), 0);
        QVERIFY(r.failed());

        WireWriter c;
        c.uvarint(0xffffffffu);
        WireReader rc(c.buffer());
        rc.arrayLength(true);
        QVERIFY(rc.failed());

        WireWriter n;
        n.i32(-7);
        WireReader rn(n.buffer());
        rn.arrayLength(false);
        QVERIFY(rn.failed());
    }

    void requestHeader()
    {
        WireWriter w;
        w.i16(18);
        w.i16(3);
        w.i32(77);
        w.nullableString(std::string("kcat"));
        w.emptyTaggedFields();
        w.compactString("librdkafka");
        WireReader r(w.buffer());
        auto h = RequestHeader::parse(r, &ApiVersionTable::isFlexible);
        QVERIFY(h.has_value());
        QCOMPARE(h->apiKey, int16_t(18));
        QCOMPARE(h->apiVersion, int16_t(3));
        QCOMPARE(h->correlationId, 77);
        QCOMPARE(h->clientId, std::string("kcat"));
        QVERIFY(h->flexible);
        QCOMPARE(r.compactString(), std::string("librdkafka"));

        WireWriter v1;
        v1.i16(3);
        v1.i16(4);
        v1.i32(1);
        v1.nullableString(std::nullopt);
        WireReader r1(v1.buffer());
        auto h1 = RequestHeader::parse(r1, &ApiVersionTable::isFlexible);
        QVERIFY(h1.has_value());
        QVERIFY(!h1->flexible);
        QCOMPARE(h1->clientId, std::string());

        const std::vector<uint8_t> tooShort {0, 18, 0};
        WireReader rs(tooShort);
        QVERIFY(!RequestHeader::parse(rs, &ApiVersionTable::isFlexible).has_value());
    }

    void responseFrame()
    {
        const std::vector<uint8_t> body {1, 2, 3};
        auto plain = frameResponse(9, false, body);
        const std::vector<uint8_t> expected {0, 0, 0, 7, 0, 0, 0, 9, 1, 2, 3};
        QCOMPARE(plain, expected);
        auto flexible = frameResponse(9, true, body);
        QCOMPARE(flexible.size(), size_t(12));
        QCOMPARE(flexible[3], uint8_t(8));
        QCOMPARE(flexible[8], uint8_t(0)); // empty tagged fields
    }

    void apiVersionsTable()
    {
        ApiVersionTable table;
        QVERIFY(table.supports(int16_t(ApiKey::Produce), 7));
        QVERIFY(!table.supports(int16_t(ApiKey::Produce), 2));
        QVERIFY(table.supports(int16_t(ApiKey::Fetch), 0));
        QVERIFY(!table.supports(int16_t(ApiKey::JoinGroup), 0));
        table.merge({{int16_t(ApiKey::JoinGroup), 0, 5}});
        QVERIFY(table.supports(int16_t(ApiKey::JoinGroup), 5));

        // v0 answer: error, int32 array of (key, min, max), nothing else.
        auto v0 = table.apiVersionsResponse(0, 35);
        WireReader r(v0);
        QCOMPARE(r.i16(), int16_t(35));
        const int32_t n = r.arrayLength(false);
        QCOMPARE(size_t(n), table.ranges().size());
        for (int32_t i = 0; i < n; ++i) {
            r.i16();
            r.i16();
            r.i16();
        }
        QCOMPARE(r.remaining(), size_t(0));

        auto v3 = table.apiVersionsResponse(3, 0);
        WireReader r3(v3);
        QCOMPARE(r3.i16(), int16_t(0));
        const int32_t n3 = r3.arrayLength(true);
        QCOMPARE(size_t(n3), table.ranges().size());
        for (int32_t i = 0; i < n3; ++i) {
            r3.i16();
            r3.i16();
            r3.i16();
            r3.skipTaggedFields();
        }
        QCOMPARE(r3.i32(), 0);
        r3.skipTaggedFields();
        QVERIFY(!r3.failed());
        QCOMPARE(r3.remaining(), size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestWire)
#include "tst_wire.moc"
