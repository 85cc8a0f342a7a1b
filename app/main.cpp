#include "commands.h"
#include "replaycommands.h"
#include "mainwindow.h"
#include "unixsignals.h"

#include "broker/brokercommand.h"
#include "config/config.h"
#include "demo/embeddedmode.h"
#include "engine/engine.h"
#include "pathwatch/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QThread>
#include <QThreadPool>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {

const char* const kUsage
    = R"(Usage: pathwatch [--config FILE] [--data-dir DIR]   open the console (window); no config: embedded demo
       pathwatch headless [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
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

// Drills run off the GUI thread: toggling one may wait for a consumer to leave its group.
void addDrillMenu(pw::MainWindow& window, pw::demo::EmbeddedMode& mode)
{
    struct Entry
    {
        pw::demo::Drill drill;
        const char* text;
        Qt::Key key;
    };
    const Entry entries[] = {
        {pw::demo::Drill::StopJob, QT_TRANSLATE_NOOP("Drills", "&Stop the Stream Job"), Qt::Key_1},
        {pw::demo::Drill::SlowSink, QT_TRANSLATE_NOOP("Drills", "S&low Sink Commits"), Qt::Key_2},
        {pw::demo::Drill::ObjectStoreErrors, QT_TRANSLATE_NOOP("Drills", "&Object-Storage Errors"), Qt::Key_3},
        {pw::demo::Drill::PauseProducer, QT_TRANSLATE_NOOP("Drills", "&Pause the Producer"), Qt::Key_4},
    };
    auto* menu = window.menuBar()->addMenu(QCoreApplication::translate("Drills", "&Drills"));
    menu->setObjectName(QStringLiteral("drillMenu"));
    menu->setToolTipsVisible(true);
    for (const Entry& e : entries) {
        QAction* action = menu->addAction(QCoreApplication::translate("Drills", e.text));
        action->setCheckable(true);
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | e.key));
        pw::demo::DemoPipeline* pipeline = &mode.pipeline();
        QObject::connect(action, &QAction::toggled, &window, [pipeline, drill = e.drill](bool on) {
            QThreadPool::globalInstance()->start([pipeline, drill, on] { pipeline->setDrill(drill, on); });
        });
    }
}

int runWindow(int argc, char** argv)
{
    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Pathwatch"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Pathwatch: the metrics path of real-time metrics marts, in one "
                                                    "live view. Without --config it runs the embedded demo: a "
                                                    "Kafka-protocol broker and a demo pipeline, watched like a real "
                                                    "one."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(QCommandLineOption({QStringLiteral("c"), QStringLiteral("config")},
        QStringLiteral("Pipeline configuration (YAML)."), QStringLiteral("FILE")));
    parser.addOption(QCommandLineOption(QStringLiteral("data-dir"),
        QStringLiteral("Embedded mode: where the broker log and the demo's data live (default: %1).")
            .arg(pw::demo::EmbeddedMode::defaultDataDir()),
        QStringLiteral("DIR")));
    parser.process(app);

    pw::MainWindow window;
    std::unique_ptr<pw::Engine> engine;
    std::unique_ptr<pw::demo::EmbeddedMode> embedded;
    QPointer<QThread> starter;
    auto startEngine = [&](const pw::PipelineConfig& config) {
        engine = std::make_unique<pw::Engine>(config);
        QObject::connect(engine.get(), &pw::Engine::snapshotReady, &window, &pw::MainWindow::setSnapshot);
        window.setSnapshot(engine->latestSnapshot());
        if (auto started = engine->start(); !started) {
            window.setEmptyState(
                QStringLiteral("The sources could not be started:\n\n%1").arg(started.error().toString()));
            engine.reset();
        }
    };
    if (parser.isSet(QStringLiteral("config"))) {
        auto config = pw::loadConfigFile(parser.value(QStringLiteral("config")));
        if (!config) {
            std::fprintf(stderr, "pathwatch: %s\n", qPrintable(config.error().toString()));
            window.setEmptyState(QStringLiteral("The configuration could not be loaded:\n\n%1\n\nFix it and restart, "
                                                "or check it with `pathwatch check-config FILE`.")
                                     .arg(config.error().toString()));
        } else {
            startEngine(*config);
        }
    } else {
        // Embedded mode: the broker and the demo start on a worker thread (ports, disk) while the window is up.
        const QString dataDir = parser.isSet(QStringLiteral("data-dir")) ? parser.value(QStringLiteral("data-dir"))
                                                                         : pw::demo::EmbeddedMode::defaultDataDir();
        window.setEmptyState(QStringLiteral("Starting the embedded demo: a Kafka-protocol broker and a demo metrics "
                                            "pipeline in %1…\n\nTo watch your own pipeline, start Pathwatch with "
                                            "`--config FILE`.")
                                 .arg(dataDir));
        auto result = std::make_shared<pw::Result<std::unique_ptr<pw::demo::EmbeddedMode>>>(
            std::unexpected(pw::Error::make(pw::Error::Code::Generic, QStringLiteral("not started"))));
        starter = QThread::create([result, dataDir] { *result = pw::demo::EmbeddedMode::start(dataDir); });
        QObject::connect(starter, &QThread::finished, &window, [&, result] {
            starter->deleteLater();
            if (!*result) {
                std::fprintf(stderr, "pathwatch: embedded mode: %s\n", qPrintable(result->error().toString()));
                window.setEmptyState(QStringLiteral("The embedded demo could not start:\n\n%1\n\nTo watch your own "
                                                    "pipeline, start Pathwatch with `--config FILE`.")
                                         .arg(result->error().toString()));
                return;
            }
            embedded = std::move(**result);
            window.setModeNote(
                embedded->summary(), embedded->details() + QStringLiteral("\nInject faults from the Drills menu."));
            addDrillMenu(window, *embedded);
            startEngine(embedded->config());
        });
        starter->start();
    }
    window.show();
    pw::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &pw::UnixSignalWatcher::terminationRequested, &app, &QApplication::quit);
    const int code = QApplication::exec();
    if (engine)
        engine->stop();
    QThreadPool::globalInstance()->waitForDone();
    if (embedded)
        embedded->stop();
    if (starter) { // closed while the demo was still starting: let it finish; deleting it drops the last reference
        starter->wait();
        delete starter.data();
    }
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
        {"replay", pw::runReplay},
        {"groups", pw::runGroups},
        {"audit", pw::runAudit},
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
