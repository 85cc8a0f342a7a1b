#pragma once

// Runs `pathwatch rehearse ARGS` (the binary of this build tree) to its end and keeps what it printed.

#include <QProcess>
#include <QString>
#include <QStringList>

namespace pw::test {

struct RehearseRun
{
    int exitCode = -1;
    QString out;
    QString err;
    QString text() const { return out + QStringLiteral("\n--- stderr (tail) ---\n") + err.right(4000); }
};

inline RehearseRun rehearse(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(PATHWATCH_BINARY_DIR "/app/pathwatch"), QStringList {QStringLiteral("rehearse")} + args);
    if (!p.waitForFinished(420000))
        p.kill();
    return RehearseRun {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
        QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

} // namespace pw::test
