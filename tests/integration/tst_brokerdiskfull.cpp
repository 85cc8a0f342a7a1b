// The embedded broker on a full disk: its data dir is a 2 MiB tmpfs the test mounts (needs root, as in CI's
// container). Producers (librdkafka, kcat) get KAFKA_STORAGE_ERROR, reads go on, no segment holds a torn batch,
// writes resume once space is freed, and every acknowledged record is still there after a restart.

#include "broker/broker.h"

#include <librdkafka/rdkafka.h>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <mutex>
#include <string>
#include <vector>

using namespace pw::broker;

namespace {

struct Delivery
{
    std::mutex mutex;
    std::vector<std::pair<int, int64_t>> acked; // (record number, offset)
    std::vector<rd_kafka_resp_err_t> errors;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque)
{
    auto* d = static_cast<Delivery*>(opaque);
    std::lock_guard lock(d->mutex);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        d->acked.emplace_back(int(reinterpret_cast<intptr_t>(m->_private)), m->offset);
    else
        d->errors.push_back(m->err);
}

} // namespace

class TestBrokerDiskFull : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_mount;
    bool m_mounted = false;
    QString m_kcat;

    static int run(const QString& program, const QStringList& args, QString* out = nullptr, QString* err = nullptr,
        const QByteArray& input = {})
    {
        QProcess p;
        p.start(program, args);
        if (!p.waitForStarted(5000))
            return -1;
        if (!input.isEmpty())
            p.write(input);
        p.closeWriteChannel();
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished(2000);
            return -1;
        }
        if (out)
            *out = QString::fromUtf8(p.readAllStandardOutput());
        if (err)
            *err = QString::fromUtf8(p.readAllStandardError());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    std::unique_ptr<Broker> startBroker()
    {
        BrokerOptions o;
        o.dataDir = QString(m_mount + QStringLiteral("/broker")).toStdString();
        o.listenPort = 0;
        o.segmentBytes = 256 << 10;
        auto broker = Broker::start(o);
        if (!broker)
            qWarning().noquote() << broker.error().toString();
        return broker ? std::move(*broker) : nullptr;
    }

    QStringList consumeAll(const Broker& broker, const char* topic)
    {
        QString out, err;
        const int code = run(m_kcat,
            {QStringLiteral("-b"), QString::fromStdString(broker.bootstrapServers()), QStringLiteral("-C"),
                QStringLiteral("-t"), QString::fromLatin1(topic), QStringLiteral("-o"), QStringLiteral("beginning"),
                QStringLiteral("-e"), QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("%o %s\\n")},
            &out, &err);
        if (code != 0)
            qWarning().noquote() << "kcat -C failed:" << err;
        return out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }

private slots:
    void initTestCase()
    {
        m_kcat = QStandardPaths::findExecutable(QStringLiteral("kcat"));
        QVERIFY2(!m_kcat.isEmpty(), "kcat is not installed (Debian package kcat); this test needs it");
        QVERIFY(m_dir.isValid());
        m_mount = m_dir.filePath(QStringLiteral("small"));
        QVERIFY(QDir().mkpath(m_mount));
        QString err;
        const int code = run(QStringLiteral("mount"),
            {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"), QStringLiteral("size=2m"),
                QStringLiteral("tmpfs"), m_mount},
            nullptr, &err);
        QVERIFY2(code == 0, qPrintable(QStringLiteral("this test mounts a 2 MiB tmpfs and needs root: ") + err));
        m_mounted = true;
    }

    void cleanupTestCase()
    {
        if (m_mounted)
            run(QStringLiteral("umount"), {m_mount});
    }

    void producersGetStorageErrorsAndNothingAckedIsLost()
    {
        auto broker = startBroker();
        QVERIFY(broker);
        const char* topic = "full";
        // Room to give back later.
        QFile filler(m_mount + QStringLiteral("/filler"));
        QVERIFY(filler.open(QIODevice::WriteOnly));
        QCOMPARE(filler.write(QByteArray(512 << 10, 'x')), qint64(512 << 10));
        filler.close();

        Delivery delivery;
        char errText[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        auto set = [&](const char* k, const char* v) {
            QVERIFY2(rd_kafka_conf_set(conf, k, v, errText, sizeof errText) == RD_KAFKA_CONF_OK, errText);
        };
        set("bootstrap.servers", broker->bootstrapServers().c_str());
        set("acks", "all");
        set("linger.ms", "5");
        set("retries", "0"); // the broker's answer reaches the delivery report as it is
        set("log_level", "2");
        rd_kafka_conf_set_opaque(conf, &delivery);
        rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
        rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errText, sizeof errText);
        QVERIFY2(producer, errText);
        auto destroy = qScopeGuard([&] { rd_kafka_destroy(producer); });

        const QByteArray value(1000, 'v');
        int next = 0;
        auto produce = [&](int count) {
            for (int i = 0; i < count; ++i, ++next) {
                const QByteArray v = QByteArray::number(next) + ':' + value;
                while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                           RD_KAFKA_V_VALUE(const_cast<char*>(v.constData()), size_t(v.size())),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(intptr_t(next))), RD_KAFKA_V_END)
                    == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(producer, 10);
            }
            rd_kafka_flush(producer, 30000);
        };
        // 3 MiB into a 2 MiB file system, a quarter of it already taken.
        for (int round = 0; round < 30; ++round) {
            produce(100);
            std::lock_guard lock(delivery.mutex);
            if (!delivery.errors.empty())
                break;
        }
        std::vector<std::pair<int, int64_t>> acked;
        {
            std::lock_guard lock(delivery.mutex);
            QVERIFY2(!delivery.errors.empty(), "the disk never filled up");
            for (auto e : delivery.errors)
                QCOMPARE(rd_kafka_err2name(e), "KAFKA_STORAGE_ERROR");
            acked = delivery.acked;
            delivery.errors.clear();
        }
        QVERIFY(acked.size() > 100);

        // Whatever room the truncated batches left is taken too, so the disk stays full for kcat.
        QFile topUp(m_mount + QStringLiteral("/top-up"));
        QVERIFY(topUp.open(QIODevice::WriteOnly));
        while (topUp.write(QByteArray(4096, 't')) == 4096 && topUp.flush()) { }
        topUp.close();
        // kcat names the error too (it used to say "Unknown broker error").
        QString kcatErr;
        run(m_kcat,
            {QStringLiteral("-b"), QString::fromStdString(broker->bootstrapServers()), QStringLiteral("-P"),
                QStringLiteral("-t"), QString::fromLatin1(topic), QStringLiteral("-X"), QStringLiteral("retries=0")},
            nullptr, &kcatErr, value + '\n');
        QVERIFY2(kcatErr.contains(QStringLiteral("Disk error")), qPrintable(kcatErr));

        // Reads go on: every acknowledged record, at the offset its acknowledgement gave, and nothing else.
        auto checkAcked = [&](const QStringList& lines) {
            QCOMPARE(lines.size(), qsizetype(acked.size()));
            for (size_t i = 0; i < acked.size(); ++i) {
                const QString& line = lines[qsizetype(i)];
                QCOMPARE(line.section(QLatin1Char(' '), 0, 0).toLongLong(), acked[i].second);
                QCOMPARE(line.section(QLatin1Char(' '), 1).section(QLatin1Char(':'), 0, 0).toInt(), acked[i].first);
            }
        };
        checkAcked(consumeAll(*broker, topic));

        // Space freed: writes resume after the acknowledged ones.
        QVERIFY(QFile::remove(m_mount + QStringLiteral("/filler")));
        QVERIFY(QFile::remove(m_mount + QStringLiteral("/top-up")));
        const size_t before = acked.size();
        produce(50);
        {
            std::lock_guard lock(delivery.mutex);
            QVERIFY(delivery.errors.empty());
            acked = delivery.acked;
        }
        QCOMPARE(acked.size(), before + 50);
        checkAcked(consumeAll(*broker, topic));

        // A restart finds no torn batch to cut off, and still every acknowledged record.
        broker->stop();
        broker.reset();
        destroy.dismiss();
        rd_kafka_destroy(producer);
        broker = startBroker();
        QVERIFY(broker);
        QVERIFY2(QString::fromStdString(broker->recoverySummary())
                     .contains(QStringLiteral(" 0 bytes of torn tail truncated")),
            broker->recoverySummary().c_str());
        checkAcked(consumeAll(*broker, topic));
        broker->stop();
    }
};

QTEST_GUILESS_MAIN(TestBrokerDiskFull)
#include "tst_brokerdiskfull.moc"
