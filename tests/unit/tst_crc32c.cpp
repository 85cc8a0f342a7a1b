#include "broker/crc32c.h"

#include <QTest>

#include <random>
#include <string_view>
#include <vector>

using pw::broker::crc32c;
using pw::broker::crc32cPortable;

namespace {
std::span<const uint8_t> bytesOf(std::string_view s)
{
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
} // namespace

class TestCrc32c : public QObject
{
    Q_OBJECT
private slots:
    void knownVectors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<uint>("expected");
        QTest::newRow("empty") << QByteArray() << 0x00000000u;
        QTest::newRow("123456789") << QByteArray("123456789") << 0xE3069283u;
        // RFC 3720 (iSCSI) appendix B.4 test patterns.
        QTest::newRow("32 zeros") << QByteArray(32, '\0') << 0x8A9136AAu;
        QTest::newRow("32 ones") << QByteArray(32, '\xFF') << 0x62A8AB43u;
        QByteArray ascending, descending;
        for (int i = 0; i < 32; ++i) {
            ascending.append(char(i));
            descending.append(char(31 - i));
        }
        QTest::newRow("ascending") << ascending << 0x46DD794Eu;
        QTest::newRow("descending") << descending << 0x113FDB5Cu;
    }
    void knownVectors()
    {
        QFETCH(QByteArray, input);
        QFETCH(uint, expected);
        const std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(input.constData()), size_t(input.size()));
        QCOMPARE(crc32c(data), expected);
        QCOMPARE(crc32cPortable(data), expected);
    }

    void incrementalEqualsWhole()
    {
        std::mt19937 rng(7);
        std::vector<uint8_t> data(10007);
        for (auto& b : data)
            b = uint8_t(rng());
        const uint32_t whole = crc32c(data);
        QCOMPARE(crc32cPortable(data), whole);
        for (size_t split : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(4096), size_t(10006)}) {
            const std::span<const uint8_t> all(data);
            QCOMPARE(crc32c(all.subspan(split), crc32c(all.first(split))), whole);
            QCOMPARE(crc32cPortable(all.subspan(split), crc32cPortable(all.first(split))), whole);
        }
    }

    void hardwareMatchesPortableOnEveryLengthAndAlignment()
    {
        std::vector<uint8_t> data(300);
        for (size_t i = 0; i < data.size(); ++i)
            data[i] = uint8_t(i * 31 + 7);
        const std::span<const uint8_t> all(data);
        for (size_t start = 0; start < 9; ++start) {
            for (size_t len = 0; len + start <= data.size(); len += 13)
                QCOMPARE(crc32c(all.subspan(start, len)), crc32cPortable(all.subspan(start, len)));
        }
    }

    void hardwareMatchesPortableAcrossBlockBoundaries()
    {
        // Long inputs take the interleaved path (blocks of 3 x 8 KiB, then 3 x 256 bytes); check the lengths
        // around each switch-over and an unaligned start.
        std::mt19937 rng(11);
        std::vector<uint8_t> data(3 * 8192 * 3 + 3 * 256 * 2 + 64);
        for (auto& b : data)
            b = uint8_t(rng());
        const std::span<const uint8_t> all(data);
        for (size_t base : {size_t(3 * 256), size_t(3 * 8192), size_t(2 * 3 * 8192), size_t(3 * 8192 + 3 * 256)}) {
            for (size_t len = base - 9; len <= base + 9; ++len) {
                for (size_t start : {size_t(0), size_t(3)})
                    QCOMPARE(crc32c(all.subspan(start, len)), crc32cPortable(all.subspan(start, len)));
            }
        }
        QCOMPARE(crc32c(all), crc32cPortable(all));
        QCOMPARE(crc32c(all.subspan(5000), crc32c(all.first(5000))), crc32cPortable(all));
    }

    void differsFromZlibCrc32()
    {
        // CRC-32 (zlib) of "123456789" is 0xCBF43926; Kafka v2 batches must use Castagnoli.
        QVERIFY(crc32c(bytesOf("123456789")) != 0xCBF43926u);
    }
};

QTEST_GUILESS_MAIN(TestCrc32c)
#include "tst_crc32c.moc"
