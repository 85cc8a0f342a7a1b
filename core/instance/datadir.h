#pragma once

#include "model/error.h"

#include <QString>

#include <memory>

class QLockFile;

namespace pw {

/// The data dir of one instance (DESIGN.md, "Where state lives"): the ledger, persisted history, the embedded
/// pipeline's data and the control socket. Value type; `prepare` does the disk work, so call it off the GUI thread.
class DataDir
{
public:
    /// The XDG data location, ~/.local/share/Pathwatch/pathwatch.
    static QString defaultPath();
    /// `path` (the default when empty) made absolute, created owner-only when missing, and checked writable.
    /// Fails with Error::Code::Io and a sentence saying which of missing, not a directory, not writable or full.
    static Result<DataDir> prepare(const QString& path);
    /// The same path without touching the disk (for commands that only look for a running instance).
    static DataDir at(const QString& path);

    QString path() const { return m_path; }
    QString filePath(const QString& name) const;
    QString ledgerPath() const { return filePath(QStringLiteral("ledger.sqlite")); }
    QString historyPath() const { return filePath(QStringLiteral("history")); }
    QString embeddedPath() const { return filePath(QStringLiteral("embedded")); }
    QString embeddedConfigPath() const { return filePath(QStringLiteral("embedded-demo.yaml")); }
    /// `control.sock` in the dir, or, when that path is over the 107 bytes a Unix socket address holds, a short
    /// one under $XDG_RUNTIME_DIR (else /tmp) named after a hash of the dir.
    QString controlSocketPath() const;

    /// Takes the dir for this process, so one engine writes it. Fails with Error::Code::Io naming the pid and
    /// command of the instance that holds it. The lock is released when the returned object is destroyed.
    Result<std::shared_ptr<QLockFile>> lockForInstance(const QString& what) const;

private:
    QString m_path;
};

} // namespace pw
