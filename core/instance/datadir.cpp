#include "instance/datadir.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QStandardPaths>
#include <QTemporaryFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw {

namespace {

Error dataDirError(const QString& path, const QString& why, const QString& hint = {})
{
    Error e = Error::make(Error::Code::Io, QStringLiteral("the data dir %1 cannot be used: %2").arg(path, why));
    e.hint = hint.isEmpty() ? QStringLiteral("fix it, or choose another with --data-dir DIR") : hint;
    return e;
}

} // namespace

QString DataDir::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

DataDir DataDir::at(const QString& path)
{
    DataDir dir;
    dir.m_path = QDir::cleanPath(QDir(path.isEmpty() ? defaultPath() : path).absolutePath());
    return dir;
}

Result<DataDir> DataDir::prepare(const QString& path)
{
    DataDir dir = at(path);
    const QFileInfo info(dir.m_path);
    if (info.exists() && !info.isDir())
        return std::unexpected(dataDirError(dir.m_path, QStringLiteral("it is a file, not a directory")));
    if (!info.exists()) {
        if (!QDir().mkpath(dir.m_path))
            return std::unexpected(dataDirError(dir.m_path,
                QStringLiteral("it cannot be created (%1)").arg(QString::fromLocal8Bit(std::strerror(errno)))));
        ::chmod(QFile::encodeName(dir.m_path).constData(), S_IRWXU);
    }
    // Write a probe rather than trust access(2): it also catches a read-only mount and a full disk.
    const QByteArray probe = QFile::encodeName(dir.filePath(QStringLiteral(".write-probe")));
    const int fd = ::open(probe.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int error = errno;
        return std::unexpected(dataDirError(dir.m_path,
            error == EACCES || error == EPERM || error == EROFS
                ? QStringLiteral("it is not writable (%1)").arg(QString::fromLocal8Bit(std::strerror(error)))
                : QString::fromLocal8Bit(std::strerror(error))));
    }
    const char byte = 0;
    const bool written = ::write(fd, &byte, 1) == 1 && ::fsync(fd) == 0;
    const int writeError = errno;
    ::close(fd);
    ::unlink(probe.constData());
    if (!written)
        return std::unexpected(dataDirError(dir.m_path,
            writeError == ENOSPC ? QStringLiteral("the disk is full")
                                 : QString::fromLocal8Bit(std::strerror(writeError))));
    return dir;
}

QString DataDir::filePath(const QString& name) const
{
    return QDir(m_path).filePath(name);
}

QString DataDir::controlSocketPath() const
{
    const QString inDir = filePath(QStringLiteral("control.sock"));
    if (QFile::encodeName(inDir).size() < 108)
        return inDir;
    QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.isEmpty() || !QFileInfo(runtime).isWritable())
        runtime = QStringLiteral("/tmp");
    const QByteArray hash
        = QCryptographicHash::hash(QFile::encodeName(m_path), QCryptographicHash::Sha256).toHex().left(16);
    return QDir(runtime).filePath(
        QStringLiteral("pathwatch-%1-%2.sock").arg(::getuid()).arg(QString::fromLatin1(hash)));
}

Result<std::shared_ptr<QLockFile>> DataDir::lockForInstance(const QString& what) const
{
    auto lock = std::make_shared<QLockFile>(filePath(QStringLiteral("pathwatch.lock")));
    lock->setStaleLockTime(0); // a lock whose process is gone is stale whatever its age
    if (lock->tryLock(100))
        return lock;
    switch (lock->error()) {
    case QLockFile::LockFailedError: {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        return std::unexpected(
            dataDirError(m_path, QStringLiteral("it is locked by another Pathwatch (pid %1 on %2)").arg(pid).arg(host),
                QStringLiteral("stop that one, or start %1 with --data-dir DIR").arg(what)));
    }
    case QLockFile::PermissionError:
        return std::unexpected(
            dataDirError(m_path, QStringLiteral("its lock file cannot be written (permission denied)")));
    default:
        return std::unexpected(dataDirError(m_path, QStringLiteral("its lock file cannot be created")));
    }
}

} // namespace pw
