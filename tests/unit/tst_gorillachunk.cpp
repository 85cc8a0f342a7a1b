#include "model/gorillachunk.h"

#include <QTest>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using pw::GorillaChunk;
using pw::GorillaChunkReader;
using pw::GorillaChunkWriter;

namespace {

struct Row
{
    qint64 ts;
    double value;
};

// Feeds rows through writers (sealing and starting a new chunk when one is full), then decodes everything and
// compares bit patterns, so NaN payloads and -0.0 count.
void roundTrip(const std::vector<Row>& rows, int* chunksOut = nullptr, std::size_t* payloadOut = nullptr)
{
    std::vector<GorillaChunk> chunks;
    GorillaChunkWriter writer;
    for (const Row& r : rows) {
        auto result = writer.append(r.ts, r.value);
        if (result == GorillaChunkWriter::AppendResult::Full) {
            chunks.push_back(writer.seal());
            result = writer.append(r.ts, r.value);
        }
        QCOMPARE(result, GorillaChunkWriter::AppendResult::Appended);
    }
    // The open writer must read back the same as a sealed chunk.
    std::vector<Row> openRows;
    for (GorillaChunkReader it = writer.reader(); it.next();)
        openRows.push_back({it.timestamp(), it.value()});
    chunks.push_back(writer.seal());

    std::size_t index = 0;
    std::size_t payload = 0;
    for (const GorillaChunk& chunk : chunks) {
        QVERIFY(chunk.count() <= GorillaChunk::kDefaultMaxSamples);
        QVERIFY(chunk.lastTimestamp() - chunk.firstTimestamp() <= GorillaChunk::kDefaultMaxSpanMs);
        payload += chunk.payloadBytes();
        int n = 0;
        for (GorillaChunkReader it = chunk.reader(); it.next(); ++n, ++index) {
            QVERIFY(index < rows.size());
            QCOMPARE(it.timestamp(), rows[index].ts);
            QCOMPARE(it.valueBits(), std::bit_cast<std::uint64_t>(rows[index].value));
        }
        QCOMPARE(n, chunk.count());
    }
    QCOMPARE(index, rows.size());
    const std::size_t tail = openRows.size();
    for (std::size_t i = 0; i < tail; ++i) {
        QCOMPARE(openRows[i].ts, rows[rows.size() - tail + i].ts);
        QCOMPARE(std::bit_cast<std::uint64_t>(openRows[i].value),
            std::bit_cast<std::uint64_t>(rows[rows.size() - tail + i].value));
    }
    if (chunksOut)
        *chunksOut = int(chunks.size());
    if (payloadOut)
        *payloadOut = payload;
}

double nanWithPayload(std::uint64_t payload, bool negative)
{
    const std::uint64_t bits
        = (negative ? 0xfff0000000000000ull : 0x7ff0000000000000ull) | (payload & 0xfffffffffffffull);
    return std::bit_cast<double>(bits);
}

} // namespace

class TestGorillaChunk : public QObject
{
    Q_OBJECT

private slots:
    void roundTripSeries_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addRow("random walk") << QStringLiteral("walk");
        QTest::addRow("constant") << QStringLiteral("constant");
        QTest::addRow("counter") << QStringLiteral("counter");
        QTest::addRow("special values") << QStringLiteral("special");
        QTest::addRow("random bits") << QStringLiteral("bits");
        QTest::addRow("jittered timestamps") << QStringLiteral("jitter");
        QTest::addRow("every timestamp bucket") << QStringLiteral("dodbuckets");
    }

    void roundTripSeries()
    {
        QFETCH(QString, kind);
        std::mt19937_64 rng(42);
        std::normal_distribution<double> noise(0.0, 1.0);
        std::vector<Row> rows;
        qint64 ts = 1'700'000'000'000;
        double walk = 100.0;
        double counter = 1e9;
        for (int i = 0; i < 1000; ++i) {
            double v = 0.0;
            qint64 step = 5000;
            if (kind == u"walk") {
                walk += noise(rng);
                v = walk;
            } else if (kind == u"constant") {
                v = 42.5;
            } else if (kind == u"counter") {
                counter += double(rng() % 10000);
                v = counter;
            } else if (kind == u"special") {
                const double specials[] = {std::numeric_limits<double>::quiet_NaN(), nanWithPayload(0x1234567, false),
                    nanWithPayload(0x8000000000001ull, true), std::numeric_limits<double>::signaling_NaN(),
                    std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), -0.0, 0.0,
                    std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
                    std::numeric_limits<double>::lowest(), 1.0};
                v = specials[rng() % std::size(specials)];
            } else if (kind == u"bits") {
                v = std::bit_cast<double>(rng());
            } else if (kind == u"jitter") {
                v = double(i % 7);
                step = 5000 + qint64(rng() % 400) - 200;
            } else if (kind == u"dodbuckets") {
                // Walk through every bucket of the delta-of-delta coding, including its edges.
                const qint64 dods[] = {0, 1, -1, 64, -63, 65, -64, 256, -255, 257, -256, 2048, -2047, 2049, -2048,
                    100000, -100000, 3'000'000};
                step = 5000 + dods[i % std::size(dods)];
                v = double(i);
            }
            rows.push_back({ts, v});
            ts += std::max<qint64>(step, 0);
        }
        roundTrip(rows);
    }

    void duplicateTimestampsAreKept()
    {
        std::vector<Row> rows;
        for (int i = 0; i < 50; ++i)
            rows.push_back({1000 + (i / 3) * 10, double(i)});
        roundTrip(rows);
    }

    void negativeAndZeroTimestamps()
    {
        std::vector<Row> rows;
        for (int i = 0; i < 300; ++i)
            rows.push_back({-1'000'000 + i * 7919, std::sin(i)});
        roundTrip(rows);
    }

    void olderTimestampIsRefused()
    {
        GorillaChunkWriter writer;
        QCOMPARE(writer.append(1000, 1.0), GorillaChunkWriter::AppendResult::Appended);
        QCOMPARE(writer.append(2000, 2.0), GorillaChunkWriter::AppendResult::Appended);
        QCOMPARE(writer.append(1999, 3.0), GorillaChunkWriter::AppendResult::OutOfOrder);
        QCOMPARE(writer.count(), 2);
        GorillaChunk chunk = writer.seal();
        GorillaChunkReader it = chunk.reader();
        QVERIFY(it.next());
        QVERIFY(it.next());
        QCOMPARE(it.timestamp(), 2000);
        QCOMPARE(it.value(), 2.0);
        QVERIFY(!it.next());
    }

    void chunkLimits()
    {
        GorillaChunkWriter writer;
        for (int i = 0; i < GorillaChunk::kDefaultMaxSamples; ++i)
            QCOMPARE(writer.append(i * 5000, 1.0), GorillaChunkWriter::AppendResult::Appended);
        QCOMPARE(writer.append(10'000'000, 1.0), GorillaChunkWriter::AppendResult::Full);

        GorillaChunkWriter slow;
        QCOMPARE(slow.append(0, 1.0), GorillaChunkWriter::AppendResult::Appended);
        QCOMPARE(slow.append(GorillaChunk::kDefaultMaxSpanMs, 1.0), GorillaChunkWriter::AppendResult::Appended);
        QCOMPARE(slow.append(GorillaChunk::kDefaultMaxSpanMs + 1, 1.0), GorillaChunkWriter::AppendResult::Full);
        QCOMPARE(slow.count(), 2);
    }

    void sealedChunkIsIndependentOfWriter()
    {
        GorillaChunkWriter writer;
        for (int i = 0; i < 10; ++i)
            writer.append(i * 1000, i * 1.5);
        const GorillaChunk first = writer.seal();
        QVERIFY(writer.isEmpty());
        for (int i = 0; i < 10; ++i)
            writer.append(100000 + i * 1000, -i * 1.5);
        int n = 0;
        for (GorillaChunkReader it = first.reader(); it.next(); ++n)
            QCOMPARE(it.value(), n * 1.5);
        QCOMPARE(n, 10);
        QCOMPARE(first.lastTimestamp(), 9000);
    }

    void multipleColumns()
    {
        GorillaChunkWriter writer(4, 60, 3'600'000);
        std::mt19937_64 rng(7);
        std::vector<std::array<double, 4>> expected;
        for (int i = 0; i < 60; ++i) {
            std::array<double, 4> row {double(rng() % 100), double(rng() % 1000) / 7.0, i % 5 == 0 ? -0.0 : 1e300,
                i % 9 == 0 ? std::numeric_limits<double>::quiet_NaN() : 12.0};
            expected.push_back(row);
            QCOMPARE(writer.append(qint64(i) * 60000, std::span<const double>(row)),
                GorillaChunkWriter::AppendResult::Appended);
        }
        QCOMPARE(writer.append(60 * 60000, std::span<const double>(expected.front())),
            GorillaChunkWriter::AppendResult::Full);
        const GorillaChunk chunk = writer.seal();
        QCOMPARE(chunk.columns(), 4);
        int i = 0;
        for (GorillaChunkReader it = chunk.reader(); it.next(); ++i) {
            QCOMPARE(it.timestamp(), qint64(i) * 60000);
            for (int c = 0; c < 4; ++c)
                QCOMPARE(it.valueBits(c), std::bit_cast<std::uint64_t>(expected[i][c]));
        }
        QCOMPARE(i, 60);

        const GorillaChunk trimmed = chunk.withoutRowsBefore(30 * 60000);
        QCOMPARE(trimmed.count(), 30);
        QCOMPARE(trimmed.firstTimestamp(), 30 * 60000);
        i = 30;
        for (GorillaChunkReader it = trimmed.reader(); it.next(); ++i)
            for (int c = 0; c < 4; ++c)
                QCOMPARE(it.valueBits(c), std::bit_cast<std::uint64_t>(expected[i][c]));
        QCOMPARE(i, 60);
        QVERIFY(chunk.withoutRowsBefore(61 * 60000).isEmpty());
    }

    // The paper's best cases: a constant at a fixed interval costs 2 bits a row in the writer's stream; sealed, it
    // packs into a header and no bits per row at all. An integer-valued gauge costs about a byte a row.
    void compressesRegularData()
    {
        std::vector<Row> constant;
        std::vector<Row> gauge;
        std::mt19937 rng(1);
        double lag = 500;
        for (int i = 0; i < 1200; ++i) {
            constant.push_back({qint64(i) * 5000, 3.0});
            lag = std::max(0.0, lag + double(int(rng() % 41) - 20));
            gauge.push_back({qint64(i) * 5000, lag});
        }
        GorillaChunkWriter open;
        for (int i = 0; i < GorillaChunk::kDefaultMaxSamples; ++i)
            open.append(constant[std::size_t(i)].ts, constant[std::size_t(i)].value);
        // Writer: 64-bit first value, 36-bit first interval and a repeated value, then 2 bits per row.
        QCOMPARE(open.bitCount(), quint32(64 + 36 + 1 + 118 * 2));
        QCOMPARE(open.seal().encoding(), pw::ChunkEncoding::Packed);

        int chunks = 0;
        std::size_t payload = 0;
        roundTrip(constant, &chunks, &payload);
        QCOMPARE(chunks, 10);
        QVERIFY2(payload <= 10 * 9, qPrintable(QString::number(payload)));
        roundTrip(gauge, &chunks, &payload);
        // 41 possible steps need 6-7 bits; the regular timestamps cost nothing per row.
        QVERIFY2(double(payload) / gauge.size() < 1.0, qPrintable(QString::number(double(payload) / gauge.size())));
    }

    // Packed chunks restore exactly what was appended, whichever predictor, residual code and value form the
    // chunk chose; decimal data is packed and smaller than the writer's stream.
    void packedRoundTrip_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("expectPacked");
        QTest::addRow("milliseconds as seconds") << QStringLiteral("millis") << true;
        QTest::addRow("counter at a steady rate") << QStringLiteral("rate") << true;
        QTest::addRow("counter with a reset") << QStringLiteral("reset") << true;
        QTest::addRow("integers near 2^53") << QStringLiteral("huge") << true;
        QTest::addRow("negative decimals") << QStringLiteral("negative") << true;
        QTest::addRow("mostly zero, late polls") << QStringLiteral("sparse") << true;
        QTest::addRow("accelerating") << QStringLiteral("accelerating") << true;
        QTest::addRow("six decimals") << QStringLiteral("micro") << true;
        // The column stays XOR'd inside the packed chunk; its timestamps still pack.
        QTest::addRow("decimals with one -0.0") << QStringLiteral("negzero") << true;
        QTest::addRow("decimals with one NaN") << QStringLiteral("nan") << true;
        QTest::addRow("one row") << QStringLiteral("single") << false;
    }

    void packedRoundTrip()
    {
        QFETCH(QString, kind);
        QFETCH(bool, expectPacked);
        std::mt19937_64 rng(11);
        std::normal_distribution<double> noise(0.0, 1.0);
        const int rows = kind == u"single" ? 1 : GorillaChunk::kDefaultMaxSamples;
        std::vector<Row> data;
        qint64 ts = 1'790'000'000'000;
        double state = 12.5;
        qint64 counter = 4'000'000'000;
        for (int i = 0; i < rows; ++i) {
            qint64 step = 5000;
            double v = 0;
            if (kind == u"millis") {
                state = std::max(0.0, state + noise(rng) * 0.2);
                v = std::round(state * 1000) / 1000;
            } else if (kind == u"rate" || kind == u"reset") {
                counter += qint64(2500 + noise(rng) * 100);
                if (kind == u"reset" && i == 70)
                    counter = 17;
                v = double(counter);
            } else if (kind == u"huge") {
                v = double((qint64(1) << 53) - qint64(rng() % 1000));
            } else if (kind == u"negative") {
                v = -double(rng() % 100000) / 100;
            } else if (kind == u"sparse") {
                v = i % 40 == 7 ? 2.5 : 0.0;
                step = i % 17 == 3 ? 5123 : (i % 17 == 4 ? 4877 : 5000);
            } else if (kind == u"accelerating") {
                v = double(i) * double(i) * 3;
                step = 1000 + i;
            } else if (kind == u"micro") {
                v = double(rng() % 10'000'000) / 1e6;
            } else if (kind == u"negzero") {
                v = i == 60 ? -0.0 : double(rng() % 1000) / 10;
            } else if (kind == u"nan") {
                v = i == 60 ? std::numeric_limits<double>::quiet_NaN() : double(rng() % 1000) / 10;
            } else {
                v = 1.25;
            }
            data.push_back({ts, v});
            ts += step;
        }
        GorillaChunkWriter writer;
        for (const Row& r : data)
            QCOMPARE(writer.append(r.ts, r.value), GorillaChunkWriter::AppendResult::Appended);
        const quint32 streamBits = writer.bitCount();
        const GorillaChunk chunk = writer.seal();
        QCOMPARE(chunk.encoding() == pw::ChunkEncoding::Packed, expectPacked);
        if (expectPacked)
            QVERIFY(chunk.bitCount() < streamBits);
        std::size_t i = 0;
        for (GorillaChunkReader it = chunk.reader(); it.next(); ++i) {
            QVERIFY(i < data.size());
            QCOMPARE(it.timestamp(), data[i].ts);
            QCOMPARE(it.valueBits(), std::bit_cast<std::uint64_t>(data[i].value));
        }
        QCOMPARE(i, data.size());
        roundTrip(data);
    }

    // One packed chunk with a column of each form: integers, decimals, XOR'd doubles and a constant.
    void packedMixedColumns()
    {
        GorillaChunkWriter writer(4, 60, 3'600'000);
        std::mt19937_64 rng(3);
        std::vector<std::array<double, 4>> expected;
        for (int i = 0; i < 60; ++i) {
            std::array<double, 4> row {double(rng() % 5000), double(rng() % 100000) / 1000,
                std::bit_cast<double>((rng() >> 12) | 0x3ff0000000000000ull), 12.0};
            expected.push_back(row);
            writer.append(qint64(i) * 60000 + (i == 30 ? 17 : 0), std::span<const double>(row));
        }
        const GorillaChunk chunk = writer.seal();
        QCOMPARE(chunk.encoding(), pw::ChunkEncoding::Packed);
        int i = 0;
        for (GorillaChunkReader it = chunk.reader(); it.next(); ++i) {
            QCOMPARE(it.timestamp(), qint64(i) * 60000 + (i == 30 ? 17 : 0));
            for (int c = 0; c < 4; ++c)
                QCOMPARE(it.valueBits(c), std::bit_cast<std::uint64_t>(expected[std::size_t(i)][std::size_t(c)]));
        }
        QCOMPARE(i, 60);
        const GorillaChunk trimmed = chunk.withoutRowsBefore(45 * 60000);
        QCOMPARE(trimmed.count(), 15);
        i = 45;
        for (GorillaChunkReader it = trimmed.reader(); it.next(); ++i)
            for (int c = 0; c < 4; ++c)
                QCOMPARE(it.valueBits(c), std::bit_cast<std::uint64_t>(expected[std::size_t(i)][std::size_t(c)]));
        QCOMPARE(i, 60);
    }

    // Damaged packed bits decode to something or stop, but never read outside the buffer (run under the asan
    // preset to see it) and never loop.
    void damagedPackedStreamStopsCleanly()
    {
        std::mt19937_64 rng(5);
        GorillaChunkWriter writer(2, 120, 3'600'000);
        for (int i = 0; i < 120; ++i) {
            const double row[2] = {double(i * 7 % 13), double(rng() % 1000) / 100};
            writer.append(qint64(i) * 5000 + (i % 9 == 0 ? 40 : 0), std::span<const double>(row, 2));
        }
        const GorillaChunk chunk = writer.seal();
        QCOMPARE(chunk.encoding(), pw::ChunkEncoding::Packed);
        const std::size_t bytes = chunk.payloadBytes();
        int decodedSomewhere = 0;
        for (int trial = 0; trial < 2000; ++trial) {
            std::vector<std::uint8_t> damaged(chunk.data(), chunk.data() + bytes);
            if (trial % 2 == 0)
                damaged[rng() % bytes] ^= std::uint8_t(1u << (rng() % 8));
            else
                for (auto& b : damaged)
                    b = std::uint8_t(rng());
            const quint32 bits = trial % 3 == 0 ? quint32(rng() % (bytes * 8)) : chunk.bitCount();
            GorillaChunkReader it(
                damaged.data(), bits, chunk.count(), 2, chunk.firstTimestamp(), pw::ChunkEncoding::Packed);
            int rows = 0;
            while (it.next())
                ++rows;
            QVERIFY(rows <= chunk.count());
            decodedSomewhere += rows > 0;
        }
        QVERIFY(decodedSomewhere > 0);
    }

    void truncatedStreamStopsCleanly()
    {
        GorillaChunkWriter writer;
        for (int i = 0; i < 100; ++i)
            writer.append(i * 5000 + (i % 3), std::sin(i));
        const GorillaChunk chunk = writer.seal();
        // A reader given fewer bits than the rows need decodes what is there and stops without reading past it.
        GorillaChunkReader truncated(chunk.data(), chunk.bitCount() / 2, chunk.count(), 1, chunk.firstTimestamp());
        int rows = 0;
        while (truncated.next())
            ++rows;
        QVERIFY(rows > 0);
        QVERIFY(rows < 100);
        QVERIFY(!truncated.next());
        GorillaChunkReader empty(nullptr, 0, 100, 1, 0);
        QVERIFY(!empty.next());
    }
};

QTEST_GUILESS_MAIN(TestGorillaChunk)
#include "tst_gorillachunk.moc"
