#include "broker/partitionlog.h"
#include "broker/recordbatch.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <filesystem>
#include <thread>

using namespace pw::broker;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> makeBatch(int records, int64_t ts, const std::string& tag = "v", size_t valueSize = 10,
    int64_t producerId = -1, int16_t epoch = -1, int32_t sequence = -1)
{
    std::vector<SimpleRecord> rs;
    for (int i = 0; i < records; ++i) {
        SimpleRecord r;
        r.key = std::vector<uint8_t>(tag.begin(), tag.end());
        std::string value = tag + "-" + std::to_string(i);
        value.resize(std::max(value.size(), valueSize), '.');
        r.value = std::vector<uint8_t>(value.begin(), value.end());
        r.timestampMs = ts + i;
        rs.push_back(std::move(r));
    }
    return buildRecordBatch(rs, 0, producerId, epoch, sequence);
}

std::shared_ptr<PartitionLog> openLog(const fs::path& dir, PartitionLogConfig config = {})
{
    auto log = PartitionLog::open(dir, config);
    if (!log)
        qFatal("open failed: %s", qPrintable(log.error().message));
    return *log;
}

AppendResult append(PartitionLog& log, std::vector<uint8_t> batch)
{
    return log.append(batch);
}

// Reads the whole log from `from` and decodes every record at or after it.
std::vector<SimpleRecord> readAll(const PartitionLog& log, int64_t from)
{
    std::vector<SimpleRecord> out;
    int64_t next = from;
    for (int guard = 0; guard < 100000 && next < log.logEndOffset(); ++guard) {
        const auto r = log.read(next, 4096);
        if (r.error != KafkaError::None || r.records.empty())
            qFatal("read at %lld failed: %d", static_cast<long long>(next), int(r.error));
        auto records = decodeAllRecords(r.records, next);
        if (!records || records->empty())
            qFatal("decode at %lld failed", static_cast<long long>(next));
        next = records->back().offset + 1;
        out.insert(out.end(), records->begin(), records->end());
    }
    return out;
}

std::string valueOf(const SimpleRecord& r)
{
    return std::string(r.value->begin(), r.value->end());
}

int countFiles(const fs::path& dir, const std::string& suffix)
{
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        n += e.path().filename().string().ends_with(suffix) ? 1 : 0;
    return n;
}

} // namespace

class TestPartitionLog : public QObject
{
    Q_OBJECT
private slots:
    void appendAssignsOffsetsAndReadReturnsWholeBatches()
    {
        QTemporaryDir tmp;
        auto log = openLog(fs::path(tmp.path().toStdString()) / "t-0");
        QCOMPARE(log->logStartOffset(), 0);
        QCOMPARE(log->logEndOffset(), 0);
        auto a = append(*log, makeBatch(3, 1000, "a"));
        QCOMPARE(a.error, KafkaError::None);
        QCOMPARE(a.baseOffset, 0);
        QCOMPARE(a.lastOffset, 2);
        QCOMPARE(a.logAppendTimeMs, -1);
        auto b = append(*log, makeBatch(2, 2000, "b"));
        QCOMPARE(b.baseOffset, 3);
        QCOMPARE(b.lastOffset, 4);
        // Two batches in one produce request.
        auto two = makeBatch(1, 3000, "c");
        const auto d = makeBatch(4, 4000, "d");
        two.insert(two.end(), d.begin(), d.end());
        auto c = log->append(two);
        QCOMPARE(c.baseOffset, 5);
        QCOMPARE(c.lastOffset, 9);
        QCOMPARE(log->logEndOffset(), 10);

        const auto all = log->read(0, 1 << 20);
        QCOMPARE(all.error, KafkaError::None);
        QCOMPARE(all.highWatermark, 10);
        QCOMPARE(all.logStartOffset, 0);
        auto records = decodeAllRecords(all.records);
        QVERIFY(records.has_value());
        QCOMPARE(records->size(), size_t(10));
        for (int64_t i = 0; i < 10; ++i)
            QCOMPARE(records->at(size_t(i)).offset, i);
        QCOMPARE(valueOf(records->at(6)), std::string("d-0......."));
        // The stored batch carries the assigned base offset and a still valid CRC.
        const auto first = parseRecordBatch(all.records);
        QVERIFY(first.has_value());
        QCOMPARE(first->baseOffset, 0);

        // Fetch in the middle of a batch starts with the batch containing the offset.
        const auto mid = log->read(7, 1 << 20);
        QCOMPARE(parseRecordBatch(mid.records)->baseOffset, 6);
        // maxBytes smaller than a batch still returns exactly one whole batch.
        const auto small = log->read(0, 1);
        QCOMPARE(small.records.size(), parseRecordBatch(small.records)->totalSize());
        QCOMPARE(log->read(0, 0).records.size(), size_t(0));
        // At the end: nothing; beyond: out of range.
        QCOMPARE(log->read(10, 1000).error, KafkaError::None);
        QVERIFY(log->read(10, 1000).records.empty());
        QCOMPARE(log->read(11, 1000).error, KafkaError::OffsetOutOfRange);
        QCOMPARE(log->read(-1, 1000).error, KafkaError::OffsetOutOfRange);
    }

    void readAsFileRegion()
    {
        // A region holds the same whole batches a read of bytes returns, within maxBytes (each batch here is
        // indexed, being larger than the index interval); segments loaded as closed at open are read as bytes.
        QTemporaryDir dir;
        PartitionLogConfig config;
        config.segmentBytes = 40000;
        {
            auto log = openLog(fs::path(dir.path().toStdString()), config);
            for (int i = 0; i < 12; ++i)
                QCOMPARE(append(*log, makeBatch(5, 1000 + i, "r" + std::to_string(i), 1000)).error, KafkaError::None);
            auto regionBytes = [](const ReadResult& r) {
                ResponseBody body;
                body.pieces.push_back(ResponsePiece {{}, r.region});
                return body.joined();
            };
            for (int64_t offset : {0, 7, 20}) {
                const auto bytes = log->read(offset, 12000);
                const auto region = log->read(offset, 12000, 1);
                QVERIFY(region.region.has_value());
                QVERIFY(region.records.empty());
                QCOMPARE(regionBytes(region), bytes.records);
                QVERIFY(region.region->length <= 12000);
            }
            // Below the threshold, or a single batch larger than maxBytes: still whole batches.
            QVERIFY(!log->read(0, 12000, 1 << 20).region.has_value());
            const auto one = log->read(0, 10, 1);
            QVERIFY(one.region.has_value());
            QCOMPARE(regionBytes(one), log->read(0, 10).records);
            QCOMPARE(one.region->length, parseRecordBatch(log->read(0, 10).records)->totalSize());
        }
        auto reopened = openLog(fs::path(dir.path().toStdString()), config);
        QVERIFY(!reopened->read(0, 12000, 1).region.has_value()); // closed segment: only its indexes were checked
        const int64_t lastBatch = reopened->logEndOffset() - 5;
        const auto active = reopened->read(lastBatch, 12000, 1); // active segment: checked by CRC at open
        QVERIFY(active.region.has_value());
        ResponseBody body;
        body.pieces.push_back(ResponsePiece {{}, active.region});
        QCOMPARE(body.joined(), reopened->read(lastBatch, 12000).records);
    }

    void rejectsBadBatchesWithoutWriting_data()
    {
        QTest::addColumn<int>("damage");
        QTest::addColumn<int>("expected");
        QTest::newRow("bad crc") << 0 << int(KafkaError::CorruptMessage);
        QTest::newRow("magic 1") << 1 << int(KafkaError::UnsupportedForMessageFormat);
        QTest::newRow("trailing bytes") << 2 << int(KafkaError::CorruptMessage);
        QTest::newRow("second batch bad") << 3 << int(KafkaError::CorruptMessage);
    }
    void rejectsBadBatchesWithoutWriting()
    {
        QFETCH(int, damage);
        QFETCH(int, expected);
        QTemporaryDir tmp;
        auto log = openLog(fs::path(tmp.path().toStdString()) / "t-0");
        QCOMPARE(append(*log, makeBatch(1, 1)).error, KafkaError::None);
        auto batch = makeBatch(2, 5);
        switch (damage) {
        case 0:
            batch[batch.size() - 3] ^= 0x40;
            break;
        case 1:
            batch[batchlayout::Magic] = 1;
            break;
        case 2:
            batch.push_back(0);
            break;
        default: {
            auto bad = makeBatch(1, 9);
            bad.back() ^= 1;
            batch.insert(batch.end(), bad.begin(), bad.end());
        }
        }
        const auto r = log->append(batch);
        QCOMPARE(int(r.error), expected);
        QVERIFY(!r.errorMessage.empty());
        QCOMPARE(log->logEndOffset(), 1);
        QCOMPARE(log->sizeInBytes(), int64_t(makeBatch(1, 1).size()));
    }

    void rollsSegmentsAndReadsAcrossThem()
    {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        PartitionLogConfig cfg;
        cfg.segmentBytes = 1000;
        cfg.indexIntervalBytes = 150;
        auto log = openLog(dir, cfg);
        for (int i = 0; i < 40; ++i)
            QCOMPARE(append(*log, makeBatch(2, 1000 + i * 10, "r" + std::to_string(i), 40)).baseOffset, i * 2);
        QVERIFY(log->segmentCount() > 5);
        QCOMPARE(countFiles(dir, ".log"), log->segmentCount());
        QVERIFY(fs::exists(dir / "00000000000000000000.log"));
        QVERIFY(fs::exists(dir / "00000000000000000000.index"));
        QVERIFY(fs::exists(dir / "00000000000000000000.timeindex"));
        // Every segment stays within segmentBytes (each batch is far smaller).
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path().extension() == ".log")
                QVERIFY(fs::file_size(e.path()) <= 1000);
        }
        auto check = [](const PartitionLog& l) {
            const auto records = readAll(l, 0);
            QCOMPARE(records.size(), size_t(80));
            for (size_t i = 0; i < records.size(); ++i) {
                QCOMPARE(records[i].offset, int64_t(i));
                QCOMPARE(valueOf(records[i]).substr(0, 3), "r" + std::to_string(i / 2) + (i / 2 < 10 ? "-" : ""));
            }
            // Each single offset is found through the index.
            for (int64_t o = 0; o < 80; ++o) {
                const auto r = l.read(o, 1);
                const auto v = parseRecordBatch(r.records);
                QVERIFY(v.has_value());
                QVERIFY(v->baseOffset <= o && o <= v->lastOffset());
            }
        };
        check(*log);
        log->close();
        log.reset();
        auto reopened = openLog(dir, cfg);
        QCOMPARE(reopened->logEndOffset(), 80);
        check(*reopened);
        QCOMPARE(append(*reopened, makeBatch(1, 9999)).baseOffset, 80);
    }

    void indexFilesAreSparseAndUsed()
    {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        PartitionLogConfig cfg;
        cfg.indexIntervalBytes = 4096;
        auto log = openLog(dir, cfg);
        const size_t batchSize = makeBatch(1, 0, "x", 1000).size();
        for (int i = 0; i < 100; ++i)
            append(*log, makeBatch(1, 100 + i, "x", 1000));
        log->flush();
        const auto indexSize = fs::file_size(dir / "00000000000000000000.index");
        // One 8-byte entry each time at least 4 KiB of log has passed since the previous one.
        QVERIFY2(indexSize / 8 >= (100 * batchSize) / (4096 + batchSize) && indexSize / 8 <= (100 * batchSize) / 4096,
            qPrintable(QString::number(indexSize)));
        QCOMPARE(indexSize % 8, 0u);
        QCOMPARE(fs::file_size(dir / "00000000000000000000.timeindex") % 12, 0u);
        QVERIFY(fs::file_size(dir / "00000000000000000000.timeindex") > 0);
    }

    void offsetForTimestamp()
    {
        QTemporaryDir tmp;
        PartitionLogConfig cfg;
        cfg.segmentBytes = 600;
        cfg.indexIntervalBytes = 100;
        auto log = openLog(fs::path(tmp.path().toStdString()) / "t-0", cfg);
        QVERIFY(!log->offsetForTimestamp(0).has_value());
        // 30 batches of 3 records, timestamps t = 10000 + 100*i + j (j record index).
        for (int i = 0; i < 30; ++i)
            append(*log, makeBatch(3, 10000 + 100 * i, "t", 20));
        QVERIFY(log->segmentCount() > 3);
        auto at = [&](int64_t ts) { return log->offsetForTimestamp(ts); };
        QCOMPARE(at(0), std::make_optional(std::make_pair<int64_t, int64_t>(0, 10000)));
        QCOMPARE(at(10000), std::make_optional(std::make_pair<int64_t, int64_t>(0, 10000)));
        QCOMPARE(at(10001), std::make_optional(std::make_pair<int64_t, int64_t>(1, 10001)));
        QCOMPARE(at(10003), std::make_optional(std::make_pair<int64_t, int64_t>(3, 10100)));
        QCOMPARE(at(12502), std::make_optional(std::make_pair<int64_t, int64_t>(77, 12502)));
        QCOMPARE(at(12900), std::make_optional(std::make_pair<int64_t, int64_t>(87, 12900)));
        QCOMPARE(at(12902), std::make_optional(std::make_pair<int64_t, int64_t>(89, 12902)));
        QVERIFY(!at(12903).has_value());
        // Never below the log start offset.
        QCOMPARE(log->deleteRecordsBefore(50), KafkaError::None);
        QCOMPARE(at(0), std::make_optional(std::make_pair<int64_t, int64_t>(50, 11602)));
        // Timestamps out of order: the first batch whose max reaches ts wins.
        append(*log, makeBatch(1, 5000, "old"));
        QCOMPARE(at(12903), std::nullopt);
        append(*log, makeBatch(1, 20000, "new"));
        QCOMPARE(at(12903), std::make_optional(std::make_pair<int64_t, int64_t>(91, 20000)));
    }

    void idempotentProducer()
    {
        QTemporaryDir tmp;
        auto log = openLog(fs::path(tmp.path().toStdString()) / "t-0");
        const int64_t pid = 42;
        auto first = append(*log, makeBatch(3, 1, "a", 10, pid, 0, 0));
        QCOMPARE(first.error, KafkaError::None);
        QCOMPARE(first.baseOffset, 0);
        QCOMPARE(append(*log, makeBatch(2, 2, "b", 10, pid, 0, 3)).baseOffset, 3);
        // Duplicate of the first batch: original offsets, nothing written.
        auto dup = append(*log, makeBatch(3, 1, "a", 10, pid, 0, 0));
        QCOMPARE(dup.error, KafkaError::None);
        QCOMPARE(dup.baseOffset, 0);
        QCOMPARE(dup.lastOffset, 2);
        QCOMPARE(log->logEndOffset(), 5);
        // A gap.
        auto gap = append(*log, makeBatch(1, 3, "c", 10, pid, 0, 7));
        QCOMPARE(gap.error, KafkaError::OutOfOrderSequenceNumber);
        QCOMPARE(log->logEndOffset(), 5);
        // In order again.
        QCOMPARE(append(*log, makeBatch(1, 3, "c", 10, pid, 0, 5)).baseOffset, 5);
        // Other producers and non-idempotent batches are independent.
        QCOMPARE(append(*log, makeBatch(1, 3, "o", 10, 43, 0, 0)).baseOffset, 6);
        QCOMPARE(append(*log, makeBatch(1, 3, "n")).baseOffset, 7);
        // New epoch must start at 0; then the old epoch is fenced.
        QCOMPARE(append(*log, makeBatch(1, 4, "e", 10, pid, 1, 6)).error, KafkaError::OutOfOrderSequenceNumber);
        QCOMPARE(append(*log, makeBatch(1, 4, "e", 10, pid, 1, 0)).baseOffset, 8);
        QCOMPARE(append(*log, makeBatch(1, 4, "f", 10, pid, 0, 6)).error, KafkaError::InvalidProducerEpoch);
        // Only the last five batches are remembered: an older retry is out of order.
        for (int i = 1; i <= 6; ++i)
            QCOMPARE(append(*log, makeBatch(1, 5, "g", 10, pid, 1, i)).error, KafkaError::None);
        QCOMPARE(append(*log, makeBatch(1, 5, "g", 10, pid, 1, 1)).error, KafkaError::OutOfOrderSequenceNumber);
        QCOMPARE(append(*log, makeBatch(1, 5, "g", 10, pid, 1, 2)).baseOffset, 10);
        // Two batches of one producer in a single request are checked against each other.
        auto pair = makeBatch(1, 6, "p", 10, 77, 0, 0);
        const auto second = makeBatch(1, 6, "q", 10, 77, 0, 2);
        pair.insert(pair.end(), second.begin(), second.end());
        QCOMPARE(log->append(pair).error, KafkaError::OutOfOrderSequenceNumber);
        QCOMPARE(log->logEndOffset(), 15);
    }

    void producerStateSurvivesReopen()
    {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        PartitionLogConfig cfg;
        cfg.segmentBytes = 500; // rolls write snapshots; the tail after the last one is replayed
        {
            auto log = openLog(dir, cfg);
            for (int i = 0; i < 20; ++i)
                QCOMPARE(append(*log, makeBatch(2, i, "s", 30, 9, 2, i * 2)).error, KafkaError::None);
        }
        QVERIFY(countFiles(dir, ".snapshot") >= 1);
        auto log = openLog(dir, cfg);
        QCOMPARE(log->logEndOffset(), 40);
        auto dup = append(*log, makeBatch(2, 19, "s", 30, 9, 2, 38));
        QCOMPARE(dup.error, KafkaError::None);
        QCOMPARE(dup.baseOffset, 38);
        QCOMPARE(log->logEndOffset(), 40);
        QCOMPARE(append(*log, makeBatch(2, 19, "s", 30, 9, 2, 36)).baseOffset, 36);
        QCOMPARE(append(*log, makeBatch(1, 20, "s", 30, 9, 2, 41)).error, KafkaError::OutOfOrderSequenceNumber);
        QCOMPARE(append(*log, makeBatch(1, 20, "s", 30, 9, 1, 40)).error, KafkaError::InvalidProducerEpoch);
        QCOMPARE(append(*log, makeBatch(1, 20, "s", 30, 9, 2, 40)).baseOffset, 40);
        QCOMPARE(log->largestProducerId(), 9);
    }

    void producerStateSurvivesCrashWithoutSnapshot()
    {
        // Files copied while the log is open are what a kill -9 leaves: written data, no close-time snapshot.
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        const fs::path crashed = fs::path(tmp.path().toStdString()) / "c-0";
        auto log = openLog(dir);
        for (int i = 0; i < 8; ++i)
            append(*log, makeBatch(1, i, "k", 10, 5, 0, i));
        log->flush(); // snapshot at 8
        for (int i = 8; i < 12; ++i)
            append(*log, makeBatch(1, i, "k", 10, 5, 0, i));
        fs::copy(dir, crashed);
        auto after = openLog(crashed);
        QCOMPARE(after->logEndOffset(), 12);
        for (int seq = 7; seq < 12; ++seq) {
            const auto dup = append(*after, makeBatch(1, seq, "k", 10, 5, 0, seq));
            QCOMPARE(dup.error, KafkaError::None);
            QCOMPARE(dup.baseOffset, seq);
        }
        QCOMPARE(append(*after, makeBatch(1, 12, "k", 10, 5, 0, 12)).baseOffset, 12);
        // And with no snapshot file at all: rebuilt from the whole log.
        const fs::path bare = fs::path(tmp.path().toStdString()) / "b-0";
        fs::copy(dir, bare);
        for (const auto& e : fs::directory_iterator(bare)) {
            if (e.path().extension() == ".snapshot")
                fs::remove(e.path());
        }
        auto rebuilt = openLog(bare);
        QCOMPARE(append(*rebuilt, makeBatch(1, 11, "k", 10, 5, 0, 11)).baseOffset, 11);
        QCOMPARE(append(*rebuilt, makeBatch(1, 12, "k", 10, 5, 0, 13)).error, KafkaError::OutOfOrderSequenceNumber);
    }

    void deleteRecordsPersists()
    {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        PartitionLogConfig cfg;
        cfg.segmentBytes = 400;
        {
            auto log = openLog(dir, cfg);
            for (int i = 0; i < 20; ++i)
                append(*log, makeBatch(1, i, "d", 50));
            const int segments = log->segmentCount();
            QCOMPARE(log->deleteRecordsBefore(25), KafkaError::OffsetOutOfRange);
            QCOMPARE(log->deleteRecordsBefore(-2), KafkaError::OffsetOutOfRange);
            QCOMPARE(log->deleteRecordsBefore(7), KafkaError::None);
            QCOMPARE(log->logStartOffset(), 7);
            QVERIFY(log->segmentCount() < segments); // whole segments below 7 are gone
            QCOMPARE(log->read(6, 100).error, KafkaError::OffsetOutOfRange);
            QCOMPARE(log->read(7, 100).error, KafkaError::None);
            QCOMPARE(log->read(7, 100).logStartOffset, 7);
            QCOMPARE(log->deleteRecordsBefore(3), KafkaError::None); // never moves back
            QCOMPARE(log->logStartOffset(), 7);
        }
        {
            auto log = openLog(dir, cfg);
            QCOMPARE(log->logStartOffset(), 7);
            QCOMPARE(readAll(*log, 7).front().offset, 7);
            QCOMPARE(log->deleteRecordsBefore(-1), KafkaError::None); // up to the high watermark
            QCOMPARE(log->logStartOffset(), 20);
            QCOMPARE(log->segmentCount(), 1);
        }
        auto log = openLog(dir, cfg);
        QCOMPARE(log->logStartOffset(), 20);
        QCOMPARE(log->logEndOffset(), 20);
        QCOMPARE(append(*log, makeBatch(1, 99)).baseOffset, 20);
    }

    void retentionByTime()
    {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        PartitionLogConfig cfg;
        cfg.segmentBytes = 300;
        cfg.retentionMs = 1000;
        const int64_t now = 1'700'000'000'000;
        auto log = openLog(dir, cfg);
        for (int i = 0; i < 10; ++i)
            append(*log, makeBatch(1, now - 5000, "old", 60));
        const int64_t firstNew = log->logEndOffset();
        for (int i = 0; i < 10; ++i)
            append(*log, makeBatch(1, now - 10, "new", 60));
        QVERIFY(log->enforceRetention(now) > 0);
        // Segments holding only old records are gone; the first remaining one may hold both.
        QVERIFY(log->logStartOffset() > 0);
        QVERIFY(log->logStartOffset() <= firstNew);
        const auto records = readAll(*log, log->logStartOffset());
        QCOMPARE(records.back().offset, 19);
        QCOMPARE(log->enforceRetention(now), 0);
        const int64_t start = log->logStartOffset();
        log.reset();
        auto reopened = openLog(dir, cfg);
        QCOMPARE(reopened->logStartOffset(), start);
        // Everything expired, the active segment included: the log is empty but keeps its offsets.
        QVERIFY(reopened->enforceRetention(now + 100000) > 0);
        QCOMPARE(reopened->logStartOffset(), 20);
        QCOMPARE(reopened->logEndOffset(), 20);
        QCOMPARE(append(*reopened, makeBatch(1, now)).baseOffset, 20);
    }

    void retentionBySize()
    {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        PartitionLogConfig cfg;
        cfg.segmentBytes = 500;
        cfg.retentionMs = -1;
        cfg.retentionBytes = 1200;
        auto log = openLog(dir, cfg);
        for (int i = 0; i < 40; ++i)
            append(*log, makeBatch(1, i, "z", 60));
        const int64_t before = log->sizeInBytes();
        QVERIFY(before > 2000);
        QVERIFY(log->enforceRetention(0) > 0);
        // As in Kafka: whole segments go while the rest still holds at least retentionBytes.
        QVERIFY(log->sizeInBytes() >= 1200);
        QVERIFY(log->sizeInBytes() < 1200 + 500);
        QVERIFY(log->logStartOffset() > 0);
        QCOMPARE(log->read(log->logStartOffset() - 1, 100).error, KafkaError::OffsetOutOfRange);
        QCOMPARE(readAll(*log, log->logStartOffset()).size(), size_t(40 - log->logStartOffset()));
    }

    void concurrentAppendsAndReads()
    {
        QTemporaryDir tmp;
        PartitionLogConfig cfg;
        cfg.segmentBytes = 4000;
        auto log = openLog(fs::path(tmp.path().toStdString()) / "t-0", cfg);
        std::atomic<bool> done {false};
        std::atomic<int> readErrors {0};
        std::thread reader([&] {
            while (!done.load()) {
                const int64_t end = log->logEndOffset();
                if (end == 0)
                    continue;
                const auto r = log->read(end - 1, 1000);
                if (r.error != KafkaError::None || !parseRecordBatch(r.records))
                    ++readErrors;
            }
        });
        std::vector<std::thread> writers;
        for (int w = 0; w < 3; ++w) {
            writers.emplace_back([&, w] {
                for (int i = 0; i < 200; ++i)
                    append(*log, makeBatch(2, i, "w" + std::to_string(w), 20, 100 + w, 0, i * 2));
            });
        }
        for (auto& t : writers)
            t.join();
        done = true;
        reader.join();
        QCOMPARE(readErrors.load(), 0);
        QCOMPARE(log->logEndOffset(), 1200);
        const auto records = readAll(*log, 0);
        QCOMPARE(records.size(), size_t(1200));
        for (size_t i = 0; i < records.size(); ++i)
            QCOMPARE(records[i].offset, int64_t(i));
    }
};

QTEST_GUILESS_MAIN(TestPartitionLog)
#include "tst_partitionlog.moc"
