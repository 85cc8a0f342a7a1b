// Power-loss simulation for the broker's log: damage the active segment (and indexes, snapshots) at random byte
// positions, reopen, and check that every complete batch before the damage is there exactly once and in order,
// and that producing continues at the right offsets with working idempotence.
#include "broker/partitionlog.h"
#include "broker/recordbatch.h"

#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <random>

using namespace pw::broker;
namespace fs = std::filesystem;

namespace {

struct Written
{
    std::vector<uint8_t> bytes; // as stored (base offset assigned)
    int64_t baseOffset;
    int64_t lastOffset;
    int32_t sequence; // -1 when not idempotent
};

std::vector<uint8_t> readBytes(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& p, const std::vector<uint8_t>& b)
{
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

fs::path lastWithSuffix(const fs::path& dir, const std::string& suffix)
{
    fs::path best;
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto name = e.path().filename().string();
        if (name.ends_with(suffix) && (best.empty() || name > best.filename().string()))
            best = e.path();
    }
    return best;
}

// Random damage to a file's bytes: truncation, flips, overwritten ranges, zero tails, garbage tails.
void damage(std::vector<uint8_t>& b, std::mt19937& rng)
{
    const size_t size = b.size();
    auto pos = [&] { return size == 0 ? size_t(0) : size_t(rng() % (size + 1)); };
    switch (rng() % 6) {
    case 0: // torn write
        b.resize(pos());
        break;
    case 1: // one flipped byte
        if (size > 0)
            b[rng() % size] ^= uint8_t(1 + rng() % 255);
        break;
    case 2: { // a range overwritten with random bytes
        const size_t at = pos();
        const size_t len = 1 + rng() % 64;
        for (size_t i = at; i < std::min(size, at + len); ++i)
            b[i] = uint8_t(rng());
        break;
    }
    case 3: { // torn, then garbage appended
        b.resize(pos());
        const size_t len = rng() % 200;
        for (size_t i = 0; i < len; ++i)
            b.push_back(uint8_t(rng()));
        break;
    }
    case 4: { // the file grew but the data never reached the disk: zeros from a point on
        const size_t at = pos();
        std::fill(b.begin() + std::ptrdiff_t(at), b.end(), 0);
        b.resize(b.size() + rng() % 100, 0);
        break;
    }
    default: // a few flips spread out
        for (int i = 0; i < 3 && size > 0; ++i)
            b[rng() % size] ^= uint8_t(1 + rng() % 255);
        break;
    }
}

std::vector<uint8_t> makeBatch(std::mt19937& rng, int64_t ts, int64_t pid, int32_t seq, int& recordsOut)
{
    const int n = 1 + int(rng() % 4);
    std::vector<SimpleRecord> rs;
    for (int i = 0; i < n; ++i) {
        SimpleRecord r;
        const std::string key = "k" + std::to_string(rng() % 1000);
        r.key = std::vector<uint8_t>(key.begin(), key.end());
        r.value = std::vector<uint8_t>(size_t(rng() % 300), uint8_t('a' + rng() % 26));
        r.timestampMs = ts + i;
        rs.push_back(std::move(r));
    }
    recordsOut = n;
    return buildRecordBatch(rs, 0, pid, pid >= 0 ? 0 : -1, pid >= 0 ? seq : -1);
}

} // namespace

class TestLogRecovery : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // Recovery warns about every truncation; hundreds of them would drown the test output.
        QLoggingCategory::setFilterRules(QStringLiteral("pathwatch.broker=false"));
    }

    void powerLoss_data()
    {
        QTest::addColumn<uint>("seed");
        for (uint seed = 1; seed <= 400; ++seed)
            QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(seed))) << seed;
    }

    void powerLoss()
    {
        QFETCH(uint, seed);
        std::mt19937 rng(seed);
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
        const fs::path crashed = fs::path(tmp.path().toStdString()) / "c-0";
        PartitionLogConfig cfg;
        cfg.segmentBytes = (rng() % 3 == 0) ? 2000 + int64_t(rng() % 3000) : 1 << 20;
        cfg.indexIntervalBytes = 64 + int(rng() % 1024);
        const bool idempotent = rng() % 2 == 0;
        const int64_t pid = idempotent ? 1000 + seed : -1;

        std::vector<Written> written;
        {
            auto opened = PartitionLog::open(dir, cfg);
            QVERIFY(opened.has_value());
            auto log = *opened;
            const int batches = 5 + int(rng() % 40);
            // flush() fsyncs; once in some runs is enough to cover snapshots taken mid-log.
            const int flushAt = rng() % 10 == 0 ? int(rng() % uint32_t(batches)) : -1;
            int64_t ts = 1'000'000;
            for (int i = 0; i < batches; ++i) {
                int n = 0;
                auto batch = makeBatch(rng, ts, pid, idempotent ? int32_t(log->logEndOffset()) : -1, n);
                ts += 10;
                const auto r = log->append(batch);
                QCOMPARE(r.error, KafkaError::None);
                written.push_back({batch, r.baseOffset, r.lastOffset, idempotent ? int32_t(r.baseOffset) : -1});
                if (i == flushAt)
                    log->flush();
            }
            if (rng() % 2 == 0) {
                log->close(); // clean shutdown: indexes and snapshot written
                fs::copy(dir, crashed);
            } else {
                fs::copy(dir, crashed); // what kill -9 leaves: data written, nothing done at close
            }
        }

        // Damage the active segment (the last one), often its indexes, sometimes the producer snapshots.
        const fs::path activeLog = lastWithSuffix(crashed, ".log");
        const int64_t activeBase = std::stoll(activeLog.stem().string());
        const auto original = readBytes(activeLog);
        auto damaged = original;
        const bool damageLog = rng() % 5 != 0;
        if (damageLog)
            damage(damaged, rng);
        writeBytes(activeLog, damaged);
        for (const char* suffix : {".index", ".timeindex"}) {
            fs::path index = activeLog;
            index.replace_extension(suffix);
            if (rng() % 2 == 0 && fs::exists(index)) {
                auto bytes = readBytes(index);
                if (rng() % 4 == 0)
                    fs::remove(index);
                else {
                    damage(bytes, rng);
                    writeBytes(index, bytes);
                }
            }
        }
        if (rng() % 4 == 0) {
            for (const auto& e : fs::directory_iterator(crashed)) {
                if (e.path().extension() == ".snapshot") {
                    auto bytes = readBytes(e.path());
                    damage(bytes, rng);
                    writeBytes(e.path(), bytes);
                }
            }
        }

        // Expected: batches of older segments, then the longest run of intact batches of the active segment.
        // Bytes 12..15 (partitionLeaderEpoch) are outside the CRC, like the base offset; a change there alone
        // keeps the batch (its records are unchanged).
        std::vector<const Written*> expected;
        size_t position = 0;
        bool intact = true;
        for (const auto& w : written) {
            if (w.baseOffset < activeBase) {
                expected.push_back(&w);
                continue;
            }
            const size_t end = position + w.bytes.size();
            bool ok = intact && damaged.size() >= end;
            for (size_t i = position; ok && i < end; ++i) {
                const size_t rel = i - position;
                if (damaged[i] != original[i] && !(rel >= 12 && rel < 16))
                    ok = false;
            }
            intact = ok;
            if (ok)
                expected.push_back(&w);
            position = end;
        }
        const int64_t expectedEnd = expected.empty() ? 0 : expected.back()->lastOffset + 1;

        auto reopened = PartitionLog::open(crashed, cfg);
        QVERIFY2(reopened.has_value(), reopened ? "" : qPrintable(reopened.error().message));
        auto log = *reopened;
        QCOMPARE(log->logStartOffset(), 0);
        QCOMPARE(log->logEndOffset(), std::max(expectedEnd, activeBase));

        // Every kept batch exactly once, in order, byte for byte in its records.
        std::vector<SimpleRecord> got;
        int64_t next = 0;
        for (int guard = 0; guard < 10000 && next < log->logEndOffset(); ++guard) {
            const auto r = log->read(next, 1 + int32_t(rng() % 3000));
            QCOMPARE(r.error, KafkaError::None);
            QVERIFY(!r.records.empty());
            auto records = decodeAllRecords(r.records, next);
            QVERIFY(records.has_value());
            QVERIFY(!records->empty());
            next = records->back().offset + 1;
            got.insert(got.end(), records->begin(), records->end());
        }
        size_t at = 0;
        for (const auto* w : expected) {
            auto want = decodeRecords(w->bytes);
            QVERIFY(want.has_value());
            for (const auto& r : *want) {
                QVERIFY2(at < got.size(), "a complete batch before the damage is missing");
                QCOMPARE(got[at].offset, r.offset);
                QCOMPARE(got[at].key, r.key);
                QCOMPARE(got[at].value, r.value);
                QCOMPARE(got[at].timestampMs, r.timestampMs);
                ++at;
            }
        }
        QCOMPARE(at, got.size());

        // Single-offset reads go through the rebuilt index.
        for (const auto* w : expected) {
            const int64_t o = w->baseOffset + int64_t(rng() % uint32_t(w->lastOffset - w->baseOffset + 1));
            const auto r = log->read(o, 1);
            const auto v = parseRecordBatch(r.records);
            QVERIFY(v.has_value());
            QCOMPARE(v->baseOffset, w->baseOffset);
        }
        if (!expected.empty()) {
            const auto* w = expected[rng() % expected.size()];
            const auto hit = log->offsetForTimestamp(decodeRecords(w->bytes)->front().timestampMs);
            QVERIFY(hit.has_value());
            QCOMPARE(hit->first, w->baseOffset);
        }

        // Producing continues at the right offset; an idempotent producer is neither refused nor duplicated.
        const int64_t end = log->logEndOffset();
        if (idempotent && !expected.empty() && expected.back()->baseOffset >= activeBase - 1) {
            auto again = expected.back()->bytes;
            const auto dup = log->append(again);
            QCOMPARE(dup.error, KafkaError::None);
            QCOMPARE(dup.baseOffset, expected.back()->baseOffset);
            QCOMPARE(log->logEndOffset(), end);
        }
        int n = 0;
        auto fresh = makeBatch(rng, 9'000'000, pid, int32_t(end), n);
        if (idempotent && expected.size() < written.size()) {
            // The retry of the first lost batch: accepted where it now belongs.
            fresh = written[expected.size()].bytes;
            n = int(written[expected.size()].lastOffset - written[expected.size()].baseOffset + 1);
        }
        const auto appended = log->append(fresh);
        QCOMPARE(appended.error, KafkaError::None);
        QCOMPARE(appended.baseOffset, end);
        QCOMPARE(log->logEndOffset(), end + n);

        // A second recovery finds a clean log.
        log->close();
        log.reset();
        auto again = PartitionLog::open(crashed, cfg);
        QVERIFY(again.has_value());
        QCOMPARE((*again)->logEndOffset(), end + n);
        const auto tail = (*again)->read(end, 1 << 20);
        QCOMPARE(parseRecordBatch(tail.records)->baseOffset, end);
    }

    void indexDamageAloneLosesNothing()
    {
        // Closed segments too: their indexes are checked and rebuilt, never trusted blindly.
        for (uint seed = 1; seed <= 60; ++seed) {
            std::mt19937 rng(seed);
            QTemporaryDir tmp;
            const fs::path dir = fs::path(tmp.path().toStdString()) / "t-0";
            PartitionLogConfig cfg;
            cfg.segmentBytes = 3000;
            cfg.indexIntervalBytes = 200;
            int64_t total = 0;
            {
                auto log = *PartitionLog::open(dir, cfg);
                for (int i = 0; i < 60; ++i) {
                    int n = 0;
                    auto b = makeBatch(rng, 1000 + i * 10, -1, -1, n);
                    log->append(b);
                }
                total = log->logEndOffset();
            }
            for (const auto& e : fs::directory_iterator(dir)) {
                const auto ext = e.path().extension();
                if ((ext == ".index" || ext == ".timeindex") && rng() % 2 == 0) {
                    auto bytes = readBytes(e.path());
                    damage(bytes, rng);
                    writeBytes(e.path(), bytes);
                }
            }
            auto log = *PartitionLog::open(dir, cfg);
            QCOMPARE(log->logEndOffset(), total);
            for (int64_t o = 0; o < total; ++o) {
                const auto r = log->read(o, 1);
                const auto v = parseRecordBatch(r.records);
                QVERIFY2(v.has_value(), qPrintable(QStringLiteral("seed %1 offset %2").arg(seed).arg(o)));
                QVERIFY(v->baseOffset <= o && o <= v->lastOffset());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestLogRecovery)
#include "tst_logrecovery.moc"
