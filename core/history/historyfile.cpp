#include "history/historyfile.h"

#include "model/seriesstore.h"

#include <QDataStream>
#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <QSaveFile>

#include <cmath>
#include <limits>

Q_LOGGING_CATEGORY(lcHistoryFile, "pathwatch.history", QtWarningMsg)

namespace pw {

namespace {
constexpr quint32 kMagic = 0x50574831; // "PWH1"
// 1: minutes before the raw hour as (start, mean); 2: as (start, min, max, mean, count). Both are read.
constexpr quint32 kVersion = 2;
} // namespace

HistoryFile::HistoryFile(QString path, std::shared_ptr<SeriesStore> store)
    : m_path(std::move(path))
    , m_store(std::move(store))
{ }

HistoryFile::~HistoryFile()
{
    stop();
}

Result<void> HistoryFile::save() const
{
    auto saved = write();
    noteSaved(saved);
    return saved;
}

void HistoryFile::noteSaved(const Result<void>& saved) const
{
    std::lock_guard lock(m_stateMutex);
    if (!saved) {
        if (m_degraded.isEmpty()) {
            qCWarning(lcHistoryFile).noquote()
                << QStringLiteral("the saved history is degraded (monitoring goes on): %1").arg(saved.error().message);
            m_degradedSinceMs = QDateTime::currentMSecsSinceEpoch();
        }
        m_degraded = saved.error().message;
    } else if (!m_degraded.isEmpty()) {
        qCWarning(lcHistoryFile).noquote() << QStringLiteral("the history is saved to %1 again (it was degraded for "
                                                             "%2 s: %3)")
                                                  .arg(m_path)
                                                  .arg((QDateTime::currentMSecsSinceEpoch() - m_degradedSinceMs) / 1000)
                                                  .arg(m_degraded);
        m_degraded.clear();
        m_degradedSinceMs = 0;
    }
}

QString HistoryFile::degradedReason() const
{
    std::lock_guard lock(m_stateMutex);
    return m_degraded;
}

qint64 HistoryFile::degradedSinceMs() const
{
    std::lock_guard lock(m_stateMutex);
    return m_degradedSinceMs;
}

Result<void> HistoryFile::write() const
{
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString()));
    QDataStream out(&file);
    out.setVersion(QDataStream::Qt_6_4);
    const auto ids = m_store->seriesIds();
    out << kMagic << kVersion << quint32(ids.size());
    const qint64 everything = std::numeric_limits<qint64>::max();
    for (SeriesId id : ids) {
        const auto info = m_store->info(id);
        if (!info) {
            out << QString() << quint32(0) << quint32(0);
            continue;
        }
        const SeriesRange range = m_store->range(id, std::numeric_limits<qint64>::min() / 2, everything);
        out << info->signalId << quint32(info->labels.size());
        for (const auto& [name, value] : info->labels)
            out << name << value;
        out << quint32(range.buckets.size());
        for (const SeriesBucket& b : range.buckets)
            out << b.startMs << b.min << b.max << b.mean << b.count;
        out << quint32(range.points.size());
        for (const SeriesPoint& p : range.points)
            out << p.timestampMs << p.value;
    }
    // Flushed and checked before commit: Qt 6.4's QSaveFile::commit() renames even when the flush inside it fails
    // (it only remembers errors of write()), so on a full disk a small history replaced the last good file with an
    // empty one.
    if (out.status() != QDataStream::Ok || !file.flush()) {
        const QString why = file.errorString();
        file.cancelWriting();
        file.commit(); // removes the temporary file
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(m_path, why));
    }
    if (!file.commit())
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString()));
    return {};
}

Result<int> HistoryFile::load()
{
    QFile file(m_path);
    if (!file.exists())
        return 0;
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::Code::Io, QStringLiteral("cannot read %1: %2").arg(m_path, file.errorString()));
    QDataStream in(&file);
    in.setVersion(QDataStream::Qt_6_4);
    quint32 magic = 0, version = 0, count = 0;
    in >> magic >> version >> count;
    if (magic != kMagic || version < 1 || version > kVersion)
        return fail(
            Error::Code::Parse, QStringLiteral("%1 is not a Pathwatch history file of this version").arg(m_path));
    int loaded = 0;
    for (quint32 s = 0; s < count && in.status() == QDataStream::Ok; ++s) {
        QString signalId;
        quint32 labelCount = 0;
        in >> signalId >> labelCount;
        Labels labels;
        for (quint32 l = 0; l < labelCount && in.status() == QDataStream::Ok; ++l) {
            QString name, value;
            in >> name >> value;
            labels.emplace_back(std::move(name), std::move(value));
        }
        const SeriesId id = signalId.isEmpty() ? 0 : m_store->intern(signalId, labels);
        if (version >= 2) {
            quint32 buckets = 0;
            in >> buckets;
            for (quint32 b = 0; b < buckets && in.status() == QDataStream::Ok; ++b) {
                qint64 start = 0;
                double min = 0.0, max = 0.0, mean = 0.0;
                quint32 samples = 0;
                in >> start >> min >> max >> mean >> samples;
                if (id != 0 && in.status() == QDataStream::Ok)
                    m_store->appendBucket(id, start, min, max, mean, samples);
            }
        }
        quint32 points = 0;
        in >> points;
        for (quint32 p = 0; p < points && in.status() == QDataStream::Ok; ++p) {
            qint64 ts = 0;
            double value = 0.0;
            in >> ts >> value;
            if (id != 0)
                m_store->append(id, ts, value);
        }
        if (id != 0)
            ++loaded;
    }
    if (in.status() != QDataStream::Ok) // a torn file (crash while the OS wrote it): keep what was read
        qCWarning(lcHistoryFile) << m_path << "ends early; loaded" << loaded << "series";
    return loaded;
}

void HistoryFile::start(qint64 intervalMs)
{
    if (m_thread.joinable())
        return;
    m_stopping = false;
    m_thread = std::thread([this, intervalMs] {
        std::unique_lock lock(m_mutex);
        while (!m_stopping) {
            if (m_wake.wait_for(lock, std::chrono::milliseconds(intervalMs), [this] { return m_stopping; }))
                break;
            lock.unlock();
            (void)save(); // a failure is logged once, on entering the degraded state
            lock.lock();
        }
    });
}

void HistoryFile::stop()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
    if (auto saved = save(); !saved)
        qCWarning(lcHistoryFile).noquote()
            << QStringLiteral("the history could not be saved at stop: %1").arg(saved.error().message);
}

} // namespace pw
