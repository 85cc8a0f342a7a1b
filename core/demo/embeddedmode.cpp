#include "demo/embeddedmode.h"

#include <QDir>
#include <QFile>
#include <QLockFile>
#include <QSaveFile>
#include <QStandardPaths>

namespace pw::demo {

QString EmbeddedMode::defaultDataDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("embedded"));
}

Result<std::unique_ptr<EmbeddedMode>> EmbeddedMode::start(
    const QString& dataDir, DemoOptions options, const QString& configPath)
{
    std::unique_ptr<EmbeddedMode> mode(new EmbeddedMode);
    mode->m_dataDir = QDir(dataDir).absolutePath();
    if (!QDir().mkpath(mode->m_dataDir))
        return fail(
            Error::Code::Io, QStringLiteral("cannot create the embedded-mode directory %1").arg(mode->m_dataDir));

    mode->m_lock = std::make_unique<QLockFile>(QDir(mode->m_dataDir).filePath(QStringLiteral("pathwatch.lock")));
    mode->m_lock->setStaleLockTime(0); // a lock whose process is gone is stale whatever its age
    if (!mode->m_lock->tryLock(100)) {
        qint64 pid = 0;
        QString host, app;
        mode->m_lock->getLockInfo(&pid, &host, &app);
        return fail(Error::Code::Io,
            QStringLiteral("another Pathwatch (pid %1) runs the embedded demo from %2; close it, or start this one "
                           "with --data-dir DIR")
                .arg(pid)
                .arg(mode->m_dataDir));
    }

    options.dataDir = mode->m_dataDir.toStdString();
    auto pipeline = DemoPipeline::start(options);
    if (!pipeline)
        return std::unexpected(pipeline.error());
    mode->m_pipeline = std::move(*pipeline);

    mode->m_configPath
        = configPath.isEmpty() ? QDir(mode->m_dataDir).filePath(QStringLiteral("embedded-demo.yaml")) : configPath;
    QSaveFile file(mode->m_configPath);
    const QByteArray yaml = demoConfigYaml(mode->m_pipeline->endpoints()).toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(yaml) != yaml.size() || !file.commit())
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(mode->m_configPath, file.errorString()));
    auto config = loadConfigFile(mode->m_configPath);
    if (!config)
        return std::unexpected(config.error());
    mode->m_config = std::move(*config);
    return mode;
}

EmbeddedMode::~EmbeddedMode()
{
    stop();
}

void EmbeddedMode::stop()
{
    if (m_pipeline)
        m_pipeline->stop();
}

QString EmbeddedMode::summary() const
{
    return QStringLiteral("Embedded demo · broker %1")
        .arg(QString::fromStdString(m_pipeline->endpoints().bootstrapServers));
}

QString EmbeddedMode::details() const
{
    const DemoEndpoints& e = m_pipeline->endpoints();
    return QStringLiteral("Kafka-protocol broker: %1\nFlink REST API: %2\nSink metrics: %3\nServing table: %4\n"
                          "Object store: %5\nConfig: %6")
        .arg(QString::fromStdString(e.bootstrapServers), QString::fromStdString(e.restUrl),
            QString::fromStdString(e.metricsUrl), QString::fromStdString(e.servingDatabase.string()),
            QString::fromStdString(e.objectStore.string()), m_configPath);
}

} // namespace pw::demo
