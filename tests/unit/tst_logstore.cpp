#include "broker/logstore.h"
#include "broker/recordbatch.h"

#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <set>

#include <sys/resource.h>
#include <unistd.h>

using namespace pw::broker;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> batch(const std::string& value, int64_t ts = 1000, int64_t pid = -1, int32_t seq = -1)
{
    SimpleRecord r;
    r.value = std::vector<uint8_t>(value.begin(), value.end());
    r.timestampMs = ts;
    return buildRecordBatch({r}, 0, pid, pid >= 0 ? 0 : -1, seq);
}

std::unique_ptr<LogStore> openStore(const QTemporaryDir& tmp, LogOptions options = {})
{
    options.dataDir = fs::path(tmp.path().toStdString());
    options.retentionCheckIntervalMs = -1;
    auto store = LogStore::open(options);
    if (!store)
        qFatal("open failed: %s", qPrintable(store.error().message));
    return std::move(*store);
}

int64_t appendTo(LogStore& store, const std::string& topic, int32_t partition, const std::string& value)
{
    auto b = batch(value);
    return store.partition(topic, partition)->append(b).baseOffset;
}

} // namespace

class TestLogStore : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("pathwatch.broker.debug=false")); }

    void topicsAndConfigsSurviveReopen()
    {
        QTemporaryDir tmp;
        {
            auto store = openStore(tmp);
            QVERIFY(store->topics().empty());
            QCOMPARE(store->createTopic("orders", {3, {}, {}, {}}), KafkaError::None);
            QCOMPARE(store->createTopic("__consumer_offsets", {1, -1, {}, 100 << 20}), KafkaError::None);
            QCOMPARE(appendTo(*store, "orders", 1, "a"), 0);
            QCOMPARE(appendTo(*store, "orders", 1, "b"), 1);
            QVERIFY(store->partition("orders", 2) != nullptr);
            QVERIFY(store->partition("orders", 3) == nullptr);
            QVERIFY(store->partition("orders", -1) == nullptr);
            QVERIFY(store->partition("missing", 0) == nullptr);
        }
        QVERIFY(fs::exists(fs::path(tmp.path().toStdString()) / "orders-2"));
        auto store = openStore(tmp);
        const auto topics = store->topics();
        QCOMPARE(topics.size(), size_t(2));
        QCOMPARE(topics[0].name, std::string("__consumer_offsets"));
        QVERIFY(topics[0].internal);
        QCOMPARE(topics[0].partitions, 1);
        QCOMPARE(topics[1].name, std::string("orders"));
        QVERIFY(!topics[1].internal);
        QCOMPARE(topics[1].partitions, 3);
        const auto cfg = store->topicConfig("__consumer_offsets");
        QVERIFY(cfg.has_value());
        QCOMPARE(cfg->retentionMs, std::optional<int64_t>(-1));
        QCOMPARE(cfg->segmentBytes, std::optional<int64_t>(100 << 20));
        QCOMPARE(store->partition("__consumer_offsets", 0)->config().retentionMs, -1);
        QCOMPARE(store->partition("orders", 0)->config().retentionMs, LogOptions {}.retentionMs);
        QCOMPARE(store->partition("orders", 1)->logEndOffset(), 2);
        QCOMPARE(appendTo(*store, "orders", 1, "c"), 2);
    }

    void capsRefuseWithPolicyViolation()
    {
        QTemporaryDir tmp;
        LogOptions options;
        options.maxTopics = 3;
        options.maxPartitions = 10;
        auto store = openStore(tmp, options);
        std::string why;
        QCOMPARE(store->createTopic("a", {4, {}, {}, {}}), KafkaError::None);
        QCOMPARE(store->createTopic("b", {11, {}, {}, {}}, &why), KafkaError::InvalidPartitions);
        QCOMPARE(store->createTopic("b", {7, {}, {}, {}}, &why), KafkaError::PolicyViolation);
        QVERIFY2(why.find("at most 10 partitions; 4 exist and 7 more") != std::string::npos, why.c_str());
        QVERIFY(!fs::exists(fs::path(tmp.path().toStdString()) / "b-0"));
        QCOMPARE(store->createTopic("b", {6, {}, {}, {}}), KafkaError::None);
        QCOMPARE(store->partitionCount(), 10);
        QCOMPARE(store->createTopic("c", {1, {}, {}, {}}, &why), KafkaError::PolicyViolation);
        QCOMPARE(store->deleteTopic("b"), KafkaError::None);
        QCOMPARE(store->createTopic("c", {1, {}, {}, {}}), KafkaError::None);
        QCOMPARE(store->createTopic("d", {1, {}, {}, {}}), KafkaError::None);
        QCOMPARE(store->createTopic("e", {1, {}, {}, {}}, &why), KafkaError::PolicyViolation);
        QVERIFY2(why.find("at most 3 topics") != std::string::npos, why.c_str());
        QCOMPARE(appendTo(*store, "a", 3, "still served"), 0);
    }

    void createTopicValidation_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("partitions");
        QTest::addColumn<int>("expected");
        QTest::newRow("ok") << "a.b_c-D9" << 1 << int(KafkaError::None);
        QTest::newRow("empty") << "" << 1 << int(KafkaError::InvalidTopicException);
        QTest::newRow("space") << "a b" << 1 << int(KafkaError::InvalidTopicException);
        QTest::newRow("slash") << "a/b" << 1 << int(KafkaError::InvalidTopicException);
        QTest::newRow("dot") << "." << 1 << int(KafkaError::InvalidTopicException);
        QTest::newRow("dotdot") << ".." << 1 << int(KafkaError::InvalidTopicException);
        QTest::newRow("too long") << QString(250, u'x') << 1 << int(KafkaError::InvalidTopicException);
        QTest::newRow("zero partitions") << "z" << 0 << int(KafkaError::InvalidPartitions);
        QTest::newRow("negative partitions") << "z" << -5 << int(KafkaError::InvalidPartitions);
    }
    void createTopicValidation()
    {
        QFETCH(QString, name);
        QFETCH(int, partitions);
        QFETCH(int, expected);
        QTemporaryDir tmp;
        auto store = openStore(tmp);
        QCOMPARE(int(store->createTopic(name.toStdString(), {partitions, {}, {}, {}})), expected);
        QCOMPARE(store->hasTopic(name.toStdString()), expected == int(KafkaError::None));
    }

    void defaultPartitionsAndDuplicates()
    {
        QTemporaryDir tmp;
        LogOptions o;
        o.defaultPartitions = 4;
        auto store = openStore(tmp, o);
        QCOMPARE(store->createTopic("t", {-1, {}, {}, {}}), KafkaError::None);
        QCOMPARE(store->topics().front().partitions, 4);
        QCOMPARE(store->createTopic("t", {1, {}, {}, {}}), KafkaError::TopicAlreadyExists);
        QCOMPARE(store->createTopic("bad", {1, -7, {}, {}}), KafkaError::InvalidConfig);
    }

    void deleteTopicRemovesFiles()
    {
        QTemporaryDir tmp;
        const fs::path root = fs::path(tmp.path().toStdString());
        {
            auto store = openStore(tmp);
            QCOMPARE(store->deleteTopic("nope"), KafkaError::UnknownTopicOrPartition);
            QCOMPARE(store->createTopic("gone", {2, {}, {}, {}}), KafkaError::None);
            appendTo(*store, "gone", 0, "x");
            appendTo(*store, "gone", 0, "y");
            auto held = store->partition("gone", 0); // a reader still holding it must not crash
            QCOMPARE(store->deleteTopic("gone"), KafkaError::None);
            QVERIFY(!fs::exists(root / "gone-0"));
            QVERIFY(!fs::exists(root / "gone-1"));
            QVERIFY(!store->hasTopic("gone"));
            QCOMPARE(held->read(0, 100).error, KafkaError::UnknownTopicOrPartition);
            auto b = batch("late");
            QCOMPARE(held->append(b).error, KafkaError::UnknownTopicOrPartition);
            // Recreated topics start empty.
            QCOMPARE(store->createTopic("gone", {1, {}, {}, {}}), KafkaError::None);
            QCOMPARE(store->partition("gone", 0)->logEndOffset(), 0);
            QCOMPARE(store->deleteTopic("gone"), KafkaError::None);
        }
        auto store = openStore(tmp);
        QVERIFY(store->topics().empty());
    }

    void orphanDirectoriesAreAdoptedAndDeletionsFinished()
    {
        QTemporaryDir tmp;
        const fs::path root = fs::path(tmp.path().toStdString());
        {
            auto store = openStore(tmp);
            QCOMPARE(store->createTopic("kept", {1, {}, {}, {}}), KafkaError::None);
            appendTo(*store, "kept", 0, "v");
        }
        // A partition directory the metadata does not list (crash before topics.json was written) ...
        {
            auto log = PartitionLog::open(root / "orphan-1", {});
            QVERIFY(log.has_value());
            auto b = batch("o");
            (*log)->append(b);
        }
        // ... and a deletion that was interrupted after the rename.
        fs::create_directories(root / "old-0-delete");
        auto store = openStore(tmp);
        QVERIFY(store->hasTopic("orphan"));
        QCOMPARE(store->topicConfig("orphan")->partitions, 2);
        QCOMPARE(store->partition("orphan", 1)->logEndOffset(), 1);
        QCOMPARE(store->partition("kept", 0)->logEndOffset(), 1);
        QVERIFY(!fs::exists(root / "old-0-delete"));
        // A damaged topics.json loses nothing either.
        store.reset();
        {
            std::ofstream(root / "topics.json") << "{not json";
        }
        store = openStore(tmp);
        QVERIFY(store->hasTopic("kept"));
        QVERIFY(store->hasTopic("orphan"));
    }

    void producerIdsAreNeverReused()
    {
        QTemporaryDir tmp;
        const fs::path root = fs::path(tmp.path().toStdString());
        std::set<int64_t> seen;
        {
            auto store = openStore(tmp);
            for (int i = 0; i < 3; ++i)
                QVERIFY(seen.insert(store->allocateProducerId()).second);
            QCOMPARE(*seen.begin(), 0);
        }
        int64_t last = 0;
        {
            auto store = openStore(tmp);
            const int64_t id = store->allocateProducerId();
            QVERIFY(id > *seen.rbegin());
            QVERIFY(seen.insert(id).second);
            QCOMPARE(store->createTopic("t", {1, {}, {}, {}}), KafkaError::None);
            last = store->allocateProducerId();
            auto b = batch("p", 1, last, 0);
            QCOMPARE(store->partition("t", 0)->append(b).error, KafkaError::None);
        }
        // Even with the counter file lost, ids seen in the logs are not handed out again.
        fs::remove(root / "producer-ids");
        auto store = openStore(tmp);
        QVERIFY(store->allocateProducerId() > last);
    }

    void retentionUsesTopicOverrides()
    {
        QTemporaryDir tmp;
        LogOptions o;
        o.segmentBytes = 300;
        o.retentionMs = -1;
        auto store = openStore(tmp, o);
        QCOMPARE(store->createTopic("small", {1, {}, 400, {}}), KafkaError::None);
        QCOMPARE(store->createTopic("big", {1, {}, {}, {}}), KafkaError::None);
        for (int i = 0; i < 30; ++i) {
            appendTo(*store, "small", 0, std::string(60, 's'));
            appendTo(*store, "big", 0, std::string(60, 'b'));
        }
        store->enforceRetention();
        QVERIFY(store->partition("small", 0)->logStartOffset() > 0);
        QVERIFY(store->partition("small", 0)->sizeInBytes() < 400 + 300);
        QCOMPARE(store->partition("big", 0)->logStartOffset(), 0);
        store->flushAll();
        QCOMPARE(store->options().segmentBytes, 300);
    }

    // Last: it lowers this process's descriptor limit for good.
    void morePartitionsThanDescriptors()
    {
        constexpr int Partitions = 600;
        struct rlimit limit
        {
            256, 256
        };
        QCOMPARE(::setrlimit(RLIMIT_NOFILE, &limit), 0);
        QTemporaryDir tmp;
        {
            auto store = openStore(tmp); // the default budget: half the limit
            QCOMPARE(store->createTopic("wide", {Partitions, {}, {}, {}}), KafkaError::None);
            for (int round = 0; round < 2; ++round)
                for (int p = 0; p < Partitions; ++p)
                    QCOMPARE(appendTo(*store, "wide", p, "r" + std::to_string(round)), int64_t(round));
            QVERIFY(store->openSegmentFiles() <= 128);
            for (int p = 0; p < Partitions; ++p) {
                const auto read = store->partition("wide", p)->read(0, 1 << 20);
                QCOMPARE(int(read.error), 0);
                QVERIFY(!read.records.empty());
                const auto region = store->partition("wide", p)->read(0, 1 << 20, 1);
                QVERIFY(region.region.has_value());
            }
        }
        auto store = openStore(tmp);
        for (int p = 0; p < Partitions; ++p) {
            QCOMPARE(store->partition("wide", p)->logEndOffset(), 2);
            QCOMPARE(appendTo(*store, "wide", p, "after reopen"), 2);
        }
        QVERIFY(store->openSegmentFiles() <= 128);
    }
};

QTEST_GUILESS_MAIN(TestLogStore)
#include "tst_logstore.moc"
