#include "commands.h"
#include "mainwindow.h"
#include "unixsignals.h"

#include "broker/brokercommand.h"
#include "config/config.h"
#include "engine/engine.h"
#include "pathwatch/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QMessageBox>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {

const char* const kUsage = R"(Usage: pathwatch [--config FILE]            open the console (window)
       pathwatch headless [--config FILE] [--listen HOST:PORT]
       pathwatch status [--config FILE]
       pathwatch check-config FILE
       pathwatch broker [--data-dir DIR] [--listen HOST:PORT] ...
       pathwatch --version | --help
Each command has its own --help.
)";

QStringList argumentList(int argc, char** argv, int skip)
{
    QStringList list {QString::fromLocal8Bit(argv[0])};
    for (int i = 1 + skip; i < argc; ++i)
        list << QString::fromLocal8Bit(argv[i]);
    return list;
}

void setIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("pathwatch"));
    QCoreApplication::setOrganizationName(QStringLiteral("Pathwatch"));
    QCoreApplication::setApplicationVersion(QString::fromLatin1(pw::kVersion));
}

int runWindow(int argc, char** argv)
{
    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Pathwatch"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Pathwatch: the metrics path of real-time metrics marts, in one "
                                                    "live view."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(QCommandLineOption({QStringLiteral("c"), QStringLiteral("config")},
        QStringLiteral("Pipeline configuration (YAML)."), QStringLiteral("FILE")));
    parser.process(app);

    pw::MainWindow window;
    std::unique_ptr<pw::Engine> engine;
    if (parser.isSet(QStringLiteral("config"))) {
        auto config = pw::loadConfigFile(parser.value(QStringLiteral("config")));
        if (!config) {
            std::fprintf(stderr, "pathwatch: %s\n", qPrintable(config.error().toString()));
            window.setEmptyState(QStringLiteral("The configuration could not be loaded:\n\n%1\n\nFix it and restart, "
                                                "or check it with `pathwatch check-config FILE`.")
                                     .arg(config.error().toString()));
        } else {
            engine = std::make_unique<pw::Engine>(*config);
            QObject::connect(engine.get(), &pw::Engine::snapshotReady, &window, &pw::MainWindow::setSnapshot);
            window.setSnapshot(engine->latestSnapshot());
            if (auto started = engine->start(); !started) {
                window.setEmptyState(
                    QStringLiteral("The sources could not be started:\n\n%1").arg(started.error().toString()));
                engine.reset();
            }
        }
    } else {
        window.setEmptyState(QStringLiteral(
            "Nothing to watch yet.\n\nStart Pathwatch with a pipeline configuration:\n\n    pathwatch --config "
            "FILE\n\nExamples are in resources/examples/ (installed to /usr/share/pathwatch/examples/). "
            "Check a file with `pathwatch check-config FILE`."));
    }
    window.show();
    pw::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &pw::UnixSignalWatcher::terminationRequested, &app, &QApplication::quit);
    const int code = QApplication::exec();
    if (engine)
        engine->stop();
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    const QByteArray command = argc > 1 ? QByteArray(argv[1]) : QByteArray();
    using Runner = int (*)(const QStringList&);
    struct
    {
        const char* name;
        Runner run;
    } const commands[] = {
        {"headless", pw::runHeadless},
        {"status", pw::runStatus},
        {"check-config", pw::runCheckConfig},
        {"broker", pw::broker::runBrokerCommand},
    };
    for (const auto& c : commands) {
        if (command == c.name) {
            QCoreApplication app(argc, argv);
            setIdentity();
            return c.run(argumentList(argc, argv, 1));
        }
    }
    // --version and --help must work without a display, so answer them before a QApplication exists.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
            std::printf("pathwatch %s (revision %s)\n", pw::kVersion, pw::kRevision);
            return 0;
        }
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(kUsage, stdout);
            return 0;
        }
    }
    if (!command.isEmpty() && !command.startsWith('-')) {
        std::fprintf(stderr, "pathwatch: unknown command `%s`\n%s", command.constData(), kUsage);
        return pw::kExitConfigError;
    }
    return runWindow(argc, argv);
}
