#include "broker/crc32c.h"
#include "broker/recordbatch.h"

#include <QTest>

#include <string>
#include <vector>

using namespace pw::broker;

namespace {

std::vector<uint8_t> bytes(std::string_view s)
{
    return {s.begin(), s.end()};
}

SimpleRecord record(std::optional<std::string> key, std::optional<std::string> value, int64_t ts,
    std::vector<std::pair<std::string, std::string>> headers = {})
{
    SimpleRecord r;
    if (key)
        r.key = bytes(*key);
    if (value)
        r.value = bytes(*value);
    r.timestampMs = ts;
    for (auto& [k, v] : headers)
        r.headers.emplace_back(k, bytes(v));
    return r;
}

uint32_t readU32(const std::vector<uint8_t>& b, size_t at)
{
    return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | b[at + 3];
}

void writeU32(std::vector<uint8_t>& b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b[at + size_t(i)] = uint8_t(v >> (24 - 8 * i));
}

// Recomputes the CRC after a deliberate edit, so the test reaches the check after the CRC.
void refreshCrc(std::vector<uint8_t>& b)
{
    writeU32(b, batchlayout::Crc, crc32c(std::span<const uint8_t>(b).subspan(batchlayout::Attributes)));
}

} // namespace

class TestRecordBatch : public QObject
{
    Q_OBJECT
private slots:
    void roundTrip()
    {
        const std::vector<SimpleRecord> in {
            record("k1", "v1", 1000, {{"h", "x"}, {"empty", ""}}),
            record(std::nullopt, "no key", 1005),
            record("tombstone", std::nullopt, 999),
            record("", "", 2000),
        };
        const auto batch = buildRecordBatch(in, 42, 7, 3, 100);
        const auto view = parseRecordBatch(batch);
        QVERIFY(view.has_value());
        QCOMPARE(view->baseOffset, 42);
        QCOMPARE(view->magic, 2);
        QCOMPARE(view->totalSize(), batch.size());
        QCOMPARE(view->recordCount, 4);
        QCOMPARE(view->lastOffsetDelta, 3);
        QCOMPARE(view->lastOffset(), 45);
        QCOMPARE(view->baseTimestamp, 1000);
        QCOMPARE(view->maxTimestamp, 2000);
        QCOMPARE(view->producerId, 7);
        QCOMPARE(view->producerEpoch, 3);
        QCOMPARE(view->baseSequence, 100);
        QCOMPARE(view->lastSequence(), 103);
        QCOMPARE(view->compression(), 0);

        const auto out = decodeRecords(batch);
        QVERIFY(out.has_value());
        QCOMPARE(out->size(), in.size());
        for (size_t i = 0; i < in.size(); ++i) {
            QCOMPARE((*out)[i].key, in[i].key);
            QCOMPARE((*out)[i].value, in[i].value);
            QCOMPARE((*out)[i].timestampMs, in[i].timestampMs);
            QCOMPARE((*out)[i].headers, in[i].headers);
            QCOMPARE((*out)[i].offset, int64_t(42 + i));
        }
    }

    void wireLayoutMatchesKafka()
    {
        const auto batch = buildRecordBatch({record("k", "v", 5)}, 0);
        QCOMPARE(batch[batchlayout::Magic], 2);
        QCOMPARE(readU32(batch, batchlayout::BatchLength), uint32_t(batch.size() - 12));
        QCOMPARE(readU32(batch, batchlayout::PartitionLeaderEpoch), 0xFFFFFFFFu);
        // Record: length 8 (zigzag 0x10), attributes 0, timestampDelta 0, offsetDelta 0, key len 1 (zigzag 2) 'k',
        // value len 1 'v', 0 headers.
        const std::vector<uint8_t> expected {0x10, 0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00};
        QCOMPARE(std::vector<uint8_t>(batch.begin() + batchlayout::HeaderSize, batch.end()), expected);
        QCOMPARE(
            readU32(batch, batchlayout::Crc), crc32c(std::span<const uint8_t>(batch).subspan(batchlayout::Attributes)));
    }

    void baseOffsetRewriteKeepsCrc()
    {
        auto batch = buildRecordBatch({record("a", "b", 1), record("c", "d", 2)}, 0);
        setBatchBaseOffset(batch, 123456789012LL);
        const auto view = parseRecordBatch(batch);
        QVERIFY(view.has_value());
        QCOMPARE(view->baseOffset, 123456789012LL);
        const auto records = decodeRecords(batch);
        QVERIFY(records.has_value());
        QCOMPARE(records->back().offset, 123456789013LL);
    }

    void badCrc()
    {
        auto batch = buildRecordBatch({record("k", "value", 1)});
        batch.back() ^= 0x01;
        QCOMPARE(parseRecordBatch(batch).error(), KafkaError::CorruptMessage);
        QCOMPARE(decodeRecords(batch).error(), KafkaError::CorruptMessage);
        // The header-only parse does not look at the CRC.
        QVERIFY(parseRecordBatchHeader(batch).has_value());
    }

    void truncatedAtEveryLength()
    {
        const auto batch = buildRecordBatch({record("k", "value", 1), record("k2", "value2", 2)});
        for (size_t len = 0; len < batch.size(); ++len) {
            const std::span<const uint8_t> part(batch.data(), len);
            QVERIFY2(!parseRecordBatch(part).has_value(), qPrintable(QString::number(len)));
            QVERIFY(!parseRecordBatchHeader(part).has_value());
            QVERIFY(!decodeRecords(part).has_value());
        }
    }

    void wrongMagic_data()
    {
        QTest::addColumn<int>("magic");
        QTest::newRow("v0") << 0;
        QTest::newRow("v1") << 1;
        QTest::newRow("v3") << 3;
    }
    void wrongMagic()
    {
        QFETCH(int, magic);
        auto batch = buildRecordBatch({record("k", "v", 1)});
        batch[batchlayout::Magic] = uint8_t(magic);
        QCOMPARE(parseRecordBatch(batch).error(), KafkaError::UnsupportedForMessageFormat);
        QCOMPARE(decodeBatchHeader(batch).error(), KafkaError::UnsupportedForMessageFormat);
    }

    void batchLengthTooSmall()
    {
        auto batch = buildRecordBatch({record("k", "v", 1)});
        writeU32(batch, batchlayout::BatchLength, 10);
        QCOMPARE(parseRecordBatch(batch).error(), KafkaError::CorruptMessage);
        writeU32(batch, batchlayout::BatchLength, 0x7FFFFFFF); // claims far more than present
        QCOMPARE(parseRecordBatch(batch).error(), KafkaError::CorruptMessage);
    }

    void compressedIsNotDecoded()
    {
        auto batch = buildRecordBatch({record("k", "v", 1)});
        batch[batchlayout::Attributes + 1] = 0x01; // gzip
        refreshCrc(batch);
        QVERIFY(parseRecordBatch(batch).has_value());
        QCOMPARE(parseRecordBatch(batch)->compression(), 1);
        QCOMPARE(decodeRecords(batch).error(), KafkaError::UnsupportedCompressionType);
    }

    void malformedRecordsWithValidCrc()
    {
        auto batch = buildRecordBatch({record("key", "value", 1)});
        // Record count larger than the records present.
        auto more = batch;
        writeU32(more, batchlayout::RecordCount, 2);
        refreshCrc(more);
        QCOMPARE(decodeRecords(more).error(), KafkaError::CorruptMessage);
        // Key length pointing past the record.
        auto longKey = batch;
        longKey[batchlayout::HeaderSize + 4] = 0x7E; // zigzag 63
        refreshCrc(longKey);
        QCOMPARE(decodeRecords(longKey).error(), KafkaError::CorruptMessage);
        // Absurd record count (no huge allocation, just an error).
        auto absurd = batch;
        writeU32(absurd, batchlayout::RecordCount, 0x7FFFFFFF);
        refreshCrc(absurd);
        QCOMPARE(decodeRecords(absurd).error(), KafkaError::CorruptMessage);
    }

    void decodeAllSkipsBelowOffsetAndIgnoresPartialTail()
    {
        auto all = buildRecordBatch({record("a", "1", 1), record("b", "2", 2)}, 10);
        const auto second = buildRecordBatch({record("c", "3", 3)}, 12);
        all.insert(all.end(), second.begin(), second.end());
        const auto third = buildRecordBatch({record("d", "4", 4)}, 13);
        all.insert(all.end(), third.begin(), third.begin() + 20); // a size-limited fetch cut it
        const auto records = decodeAllRecords(all, 11);
        QVERIFY(records.has_value());
        QCOMPARE(records->size(), size_t(2));
        QCOMPARE(records->at(0).offset, 11);
        QCOMPARE(records->at(1).offset, 12);
        QCOMPARE(records->at(1).value, bytes("3"));
    }

    void sequenceWraps()
    {
        const auto batch = buildRecordBatch({record("a", "1", 1), record("b", "2", 2)}, 0, 1, 0, 0x7FFFFFFF);
        QCOMPARE(parseRecordBatch(batch)->lastSequence(), 0);
    }
};

QTEST_GUILESS_MAIN(TestRecordBatch)
#include "tst_recordbatch.moc"
