#include "demo/jobcheckpoint.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace pw::demo {

namespace {

namespace fs = std::filesystem;

constexpr QLatin1StringView kMagic("pathwatch-demo-checkpoint 1 ");

QString pathText(const fs::path& path)
{
    return QString::fromStdString(path.string());
}

QJsonArray windowsJson(const Aggregates& windows)
{
    QJsonArray rows;
    for (const auto& [id, agg] : windows)
        rows.append(QJsonObject {{QStringLiteral("minute_ts"), qint64(id.first)},
            {QStringLiteral("key"), QString::fromStdString(id.second)}, {QStringLiteral("events"), qint64(agg.events)},
            {QStringLiteral("total"), agg.total}});
    return rows;
}

// nullopt when a total is not a finite number (JSON cannot carry it back).
std::optional<Aggregates> windowsFrom(const QJsonArray& rows)
{
    Aggregates windows;
    for (const auto& value : rows) {
        const QJsonObject row = value.toObject();
        Aggregate& agg = windows[{row.value(QStringLiteral("minute_ts")).toInteger(),
            row.value(QStringLiteral("key")).toString().toStdString()}];
        agg.events = row.value(QStringLiteral("events")).toInteger();
        agg.total = row.value(QStringLiteral("total")).toDouble();
        if (!std::isfinite(agg.total))
            return std::nullopt;
    }
    return windows;
}

bool syncPath(const fs::path& path, int flags)
{
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

// The checkpoint id in `chk-<id>.json`, or -1.
std::int64_t checkpointIdOf(const fs::path& file)
{
    const std::string name = file.filename().string();
    if (!name.starts_with("chk-") || !name.ends_with(".json"))
        return -1;
    const std::string digits = name.substr(4, name.size() - 9);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return -1;
    return std::stoll(digits);
}

Result<QByteArray> readWhole(const fs::path& file)
{
    QFile in(pathText(file));
    if (!in.open(QIODevice::ReadOnly))
        return fail(Error::Code::Io, QStringLiteral("cannot read %1: %2").arg(pathText(file), in.errorString()));
    return in.readAll();
}

} // namespace

bool JobSnapshot::operator==(const JobSnapshot& other) const
{
    auto sameWindows = [](const Aggregates& a, const Aggregates& b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
            return x.first == y.first && x.second.events == y.second.events && x.second.total == y.second.total;
        });
    };
    return checkpointId == other.checkpointId && jobId == other.jobId && savepoint == other.savepoint
        && watermarkMs == other.watermarkMs && sameWindows(open, other.open) && sameWindows(emitted, other.emitted)
        && offsets == other.offsets && lateRecordsDropped == other.lateRecordsDropped;
}

QByteArray encodeSnapshot(const JobSnapshot& snapshot)
{
    QJsonArray offsets;
    for (const auto& o : snapshot.offsets)
        offsets.append(QJsonObject {{QStringLiteral("topic"), QString::fromStdString(o.topic)},
            {QStringLiteral("partition"), o.partition}, {QStringLiteral("offset"), qint64(o.offset)}});
    const QByteArray body
        = QJsonDocument(QJsonObject {
                            {QStringLiteral("checkpoint"), qint64(snapshot.checkpointId)},
                            {QStringLiteral("job_id"), snapshot.jobId},
                            {QStringLiteral("savepoint"), snapshot.savepoint},
                            {QStringLiteral("watermark"), qint64(snapshot.watermarkMs)},
                            {QStringLiteral("open"), windowsJson(snapshot.open)},
                            {QStringLiteral("emitted"), windowsJson(snapshot.emitted)},
                            {QStringLiteral("offsets"), offsets},
                            {QStringLiteral("late_records_dropped"), qint64(snapshot.lateRecordsDropped)},
                        })
              .toJson(QJsonDocument::Compact);
    const QByteArray digest = QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex();
    return QByteArray(kMagic.data(), kMagic.size()) + "sha256=" + digest + " bytes=" + QByteArray::number(body.size())
        + '\n' + body;
}

Result<JobSnapshot> decodeSnapshot(const QByteArray& bytes)
{
    const qsizetype newline = bytes.indexOf('\n');
    const QByteArray header = bytes.left(std::max<qsizetype>(newline, 0));
    if (newline < 0 || !header.startsWith(QByteArray(kMagic.data(), kMagic.size())))
        return fail(Error::Code::Parse, QStringLiteral("not a demo checkpoint (no header line)"));
    QByteArray digest;
    qsizetype length = -1;
    for (const QByteArray& field : header.mid(kMagic.size()).split(' ')) {
        if (field.startsWith("sha256="))
            digest = field.mid(7);
        else if (field.startsWith("bytes="))
            length = field.mid(6).toLongLong();
    }
    const QByteArray body = bytes.mid(newline + 1);
    if (length != body.size())
        return fail(Error::Code::Parse,
            QStringLiteral("the checkpoint holds %1 bytes of state where its header says %2")
                .arg(body.size())
                .arg(length));
    if (QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex() != digest)
        return fail(Error::Code::Parse, QStringLiteral("the checkpoint's state does not match its SHA-256"));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (!document.isObject())
        return fail(
            Error::Code::Parse, QStringLiteral("the checkpoint's state is not JSON: %1").arg(error.errorString()));
    const QJsonObject o = document.object();
    JobSnapshot snapshot;
    snapshot.checkpointId = o.value(QStringLiteral("checkpoint")).toInteger();
    snapshot.jobId = o.value(QStringLiteral("job_id")).toString();
    snapshot.savepoint = o.value(QStringLiteral("savepoint")).toBool();
    snapshot.watermarkMs = o.value(QStringLiteral("watermark")).toInteger();
    auto open = windowsFrom(o.value(QStringLiteral("open")).toArray());
    auto emitted = windowsFrom(o.value(QStringLiteral("emitted")).toArray());
    if (!open || !emitted)
        return fail(Error::Code::Parse, QStringLiteral("the checkpoint holds a window whose total is not a number"));
    snapshot.open = std::move(*open);
    snapshot.emitted = std::move(*emitted);
    snapshot.lateRecordsDropped = o.value(QStringLiteral("late_records_dropped")).toInteger();
    for (const auto& value : o.value(QStringLiteral("offsets")).toArray()) {
        const QJsonObject p = value.toObject();
        snapshot.offsets.push_back({p.value(QStringLiteral("topic")).toString().toStdString(),
            std::int32_t(p.value(QStringLiteral("partition")).toInt()), p.value(QStringLiteral("offset")).toInteger()});
    }
    return snapshot;
}

Result<void> writeFileAtomically(const fs::path& file, const QByteArray& bytes)
{
    const fs::path temp = file.parent_path() / ("." + file.filename().string() + ".tmp");
    auto failed = [&](const QString& why) {
        std::error_code ec;
        fs::remove(temp, ec);
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(pathText(file), why));
    };
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec)
        return failed(QString::fromStdString(ec.message()));
    {
        QFile out(pathText(temp));
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(bytes) != bytes.size() || !out.flush())
            return failed(out.errorString());
        if (::fsync(out.handle()) != 0)
            return failed(QStringLiteral("fsync failed"));
    }
    fs::rename(temp, file, ec);
    if (ec)
        return failed(QString::fromStdString(ec.message()));
    syncPath(file.parent_path(), O_RDONLY | O_DIRECTORY); // best effort: the rename is what matters for readers
    return {};
}

CheckpointStore::CheckpointStore(fs::path directory, int retained)
    : m_directory(std::move(directory))
    , m_retained(std::max(retained, 1))
{ }

std::vector<fs::path> CheckpointStore::files() const
{
    std::vector<std::pair<std::int64_t, fs::path>> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(m_directory, ec))
        if (const std::int64_t id = checkpointIdOf(entry.path()); id >= 0)
            found.emplace_back(id, entry.path());
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<fs::path> result;
    for (auto& [id, path] : found)
        result.push_back(std::move(path));
    return result;
}

Result<fs::path> CheckpointStore::write(const JobSnapshot& snapshot)
{
    const fs::path file = m_directory / ("chk-" + std::to_string(snapshot.checkpointId) + ".json");
    if (auto written = writeFileAtomically(file, encodeSnapshot(snapshot)); !written)
        return std::unexpected(written.error());
    const auto all = files();
    std::error_code ec;
    for (std::size_t i = std::size_t(m_retained); i < all.size(); ++i)
        fs::remove(all[i], ec);
    return file;
}

std::optional<CheckpointStore::Restored> CheckpointStore::latest() const
{
    Restored restored;
    for (const fs::path& file : files()) {
        auto bytes = readWhole(file);
        auto snapshot = bytes ? decodeSnapshot(*bytes) : Result<JobSnapshot>(std::unexpected(bytes.error()));
        if (snapshot) {
            restored.snapshot = std::move(*snapshot);
            restored.file = file;
            return restored;
        }
        restored.skipped << QStringLiteral("%1: %2").arg(pathText(file), snapshot.error().message);
    }
    return std::nullopt;
}

Result<QString> writeSavepoint(const fs::path& targetDirectory, const JobSnapshot& snapshot)
{
    std::random_device device;
    std::mt19937_64 random((std::uint64_t(device()) << 32) ^ device());
    const std::string suffix
        = QByteArray::number(qulonglong(random() & 0xffffffffffffULL), 16).rightJustified(12, '0').toStdString();
    const fs::path directory
        = fs::absolute(targetDirectory) / ("savepoint-" + snapshot.jobId.left(6).toStdString() + "-" + suffix);
    if (auto written = writeFileAtomically(directory / "_metadata", encodeSnapshot(snapshot)); !written)
        return std::unexpected(written.error());
    return QStringLiteral("file:") + pathText(directory.lexically_normal());
}

Result<JobSnapshot> readSavepoint(const QString& location)
{
    QString path = location;
    if (path.startsWith(QLatin1String("file://")))
        path = path.mid(7);
    else if (path.startsWith(QLatin1String("file:")))
        path = path.mid(5);
    fs::path file = path.toStdString();
    std::error_code ec;
    if (fs::is_directory(file, ec))
        file /= "_metadata";
    auto bytes = readWhole(file);
    if (!bytes)
        return fail(Error::Code::NotFound,
            QStringLiteral("cannot read the savepoint %1: %2").arg(location, bytes.error().message));
    auto snapshot = decodeSnapshot(*bytes);
    if (!snapshot)
        return fail(Error::Code::Parse,
            QStringLiteral("the savepoint %1 is damaged: %2").arg(location, snapshot.error().message));
    return snapshot;
}

} // namespace pw::demo
