#include "checkpointfeed.h"
#include "commands.h"
#include "desktopnotifier.h"
#include "mainwindow.h"
#include "readinesscommands.h"
#include "rehearsecommand.h"
#include "replaycommands.h"
#include "unixsignals.h"

#include "broker/brokercommand.h"
#include "config/config.h"
#include "demo/embeddedmode.h"
#include "instance/datadir.h"
#include "instance/instance.h"
#include "pathwatch/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QThread>
#include <QThreadPool>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace {

const char* const kUsage
    = R"(Usage: pathwatch [--config FILE] [--data-dir DIR]   open the console (window); no config: embedded demo
       pathwatch watch [--config FILE] [--data-dir DIR] [--screen N]   full-screen watch screen for a wall
       pathwatch headless [--config FILE] [--listen HOST:PORT] [--data-dir DIR] [--log-format text|json]
       pathwatch status [--config FILE] [--data-dir DIR] [--standalone] [--wait DURATION] [--json]
       pathwatch check-config FILE
       pathwatch fault [NAME on|off] [--data-dir DIR]
       pathwatch replay [--config FILE | --bootstrap HOST:PORT] [--data-dir DIR] --group G TARGET
                        [--topic T[:P,...]] [--stop-job] [--start-job] [--execute --reason TEXT] | --undo ID
       pathwatch groups [--config FILE | --bootstrap HOST:PORT] [--json]
       pathwatch audit [--data-dir DIR] [--json]
       pathwatch rehearse [--data-dir DIR] [--fault NAME] [--report FILE.md]
       pathwatch readiness [--config FILE] [--data-dir DIR] [--json | --markdown]
       pathwatch reconcile [--config FILE] [--data-dir DIR] [--name NAME] [--from T --to T] [--json]
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

// A reload loads and starts sources (disk, network): off the GUI thread; the outcome comes back to the window.
void reloadInBackground(pw::MainWindow& window, const std::shared_ptr<pw::Instance>& instance)
{
    QPointer<pw::MainWindow> target(&window);
    QThreadPool::globalInstance()->start([instance, target] {
        auto reloaded = instance->reload();
        const QString message = reloaded
            ? QStringLiteral("Reloaded %1").arg(instance->configPath())
            : QStringLiteral("Reload failed, the running configuration stays: %1").arg(reloaded.error().toString());
        QMetaObject::invokeMethod(qApp, [target, message] {
            if (target)
                target->statusBar()->showMessage(message, 15000);
        });
    });
}

void addReloadAction(pw::MainWindow& window, const std::shared_ptr<pw::Instance>& instance)
{
    QMenu* file = nullptr;
    for (QAction* action : window.menuBar()->actions())
        if (action->menu() && action->text().remove(QLatin1Char('&')) == QLatin1String("File"))
            file = action->menu();
    if (!file)
        return;
    auto* reload = new QAction(QCoreApplication::translate("File", "&Reload Configuration"), file);
    reload->setObjectName(QStringLiteral("reloadAction"));
    reload->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    file->insertAction(file->actions().isEmpty() ? nullptr : file->actions().front(), reload);
    QObject::connect(
        reload, &QAction::triggered, &window, [&window, instance] { reloadInBackground(window, instance); });
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
        {pw::demo::Drill::PartialWrites, QT_TRANSLATE_NOOP("Drills", "P&artial Writes to Serving"), Qt::Key_5},
        {pw::demo::Drill::CorruptCheckpoint, QT_TRANSLATE_NOOP("Drills", "&Corrupt the Newest Checkpoint"), Qt::Key_6},
    };
    auto* menu = window.menuBar()->addMenu(QCoreApplication::translate("Drills", "&Drills"));
    menu->setObjectName(QStringLiteral("drillMenu"));
    menu->setToolTipsVisible(true);
    // A fault may be cleared elsewhere (the recovery wizard, `pathwatch fault`, the job taken over by a recovery).
    QObject::connect(menu, &QMenu::aboutToShow, menu, [menu, &mode] {
        for (QAction* action : menu->actions())
            if (auto drill = action->data(); drill.isValid()) {
                const QSignalBlocker blocker(action);
                action->setChecked(mode.pipeline().drill(pw::demo::Drill(drill.toInt())));
            }
    });
    for (const Entry& e : entries) {
        QAction* action = menu->addAction(QCoreApplication::translate("Drills", e.text));
        action->setCheckable(true);
        action->setData(int(e.drill));
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | e.key));
        pw::demo::DemoPipeline* pipeline = &mode.pipeline();
        QObject::connect(action, &QAction::toggled, &window, [pipeline, drill = e.drill](bool on) {
            QThreadPool::globalInstance()->start([pipeline, drill, on] { pipeline->setDrill(drill, on); });
        });
    }
}

pw::RecoveryEnvironment recoveryEnvironment(
    pw::Instance& instance, const std::shared_ptr<const pw::PipelineConfig>& config)
{
    pw::RecoveryEnvironment environment;
    environment.config = config;
    environment.ledger = instance.ledger();
    if (auto* embedded = instance.embedded()) {
        pw::demo::DemoPipeline* pipeline = &embedded->pipeline();
        const auto& endpoints = pipeline->endpoints();
        environment.reconcileTopic = QString::fromStdString(endpoints.topic);
        environment.servingDatabase = QString::fromStdString(endpoints.servingDatabase.string());
        environment.faultsOn = [pipeline] {
            QStringList on;
            for (const auto& f : pw::demo::kFaultNames)
                if (pipeline->drill(f.drill))
                    on << QString::fromLatin1(f.name);
            return on;
        };
        environment.clearFault = [pipeline](const QString& name) {
            if (auto drill = pw::demo::drillFromFaultName(name))
                pipeline->setDrill(*drill, false);
        };
    }
    return environment;
}

// Qt aborts inside QGuiApplication when it cannot reach a display; find out first and say what to do instead.
bool displayReachable(int argc, char** argv)
{
    QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "-platform") == 0)
            platform = argv[i + 1];
    if (!platform.isEmpty() && !platform.startsWith("xcb") && !platform.startsWith("wayland"))
        return true; // offscreen, vnc, eglfs...: no display server needed
    if (!qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") && !platform.startsWith("xcb"))
        return true;
    const QByteArray display = qgetenv("DISPLAY");
    if (display.isEmpty())
        return false;
    if (!display.startsWith(':'))
        return true; // host:N goes over TCP; let Qt try
    const QByteArray number = display.mid(1).split('.').front();
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray path = "/tmp/.X11-unix/X" + number;
    // X servers listen on an abstract socket and on the file; either will do.
    for (bool abstract : {true, false}) {
        std::memset(address.sun_path, 0, sizeof address.sun_path);
        std::memcpy(address.sun_path + (abstract ? 1 : 0), path.constData(), size_t(path.size()));
        const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + (abstract ? 1 : 0) + path.size());
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return true;
        const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0;
        ::close(fd);
        if (connected)
            return true;
    }
    return false;
}

int runWindow(int argc, char** argv, bool watchMode = false)
{
    QElapsedTimer launch;
    launch.start();
    if (!displayReachable(argc, argv)) {
        std::fprintf(stderr,
            "pathwatch: the window cannot open: no display (DISPLAY=%s). Run `pathwatch headless` for the engine "
            "and /metrics without a window, or `pathwatch status` for a one-off table.\n",
            qEnvironmentVariableIsEmpty("DISPLAY") ? "unset" : qgetenv("DISPLAY").constData());
        return pw::kExitNoDisplay;
    }
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
        QStringLiteral("The instance's data dir: ledger, history, embedded demo data, control socket (default: %1).")
            .arg(pw::DataDir::defaultPath()),
        QStringLiteral("DIR")));
    if (watchMode)
        parser.addOption(QCommandLineOption(QStringLiteral("screen"),
            QStringLiteral("The screen (0, 1, …) to fill with the watch screen (default: the primary one)."),
            QStringLiteral("N")));
    if (!parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "pathwatch: %s (see --help)\n", qPrintable(parser.errorText()));
        return pw::kExitConfigError;
    }

    const bool watchScreen = watchMode;
    bool screenOk = true;
    const int watchScreenIndex = watchMode && parser.isSet(QStringLiteral("screen"))
        ? parser.value(QStringLiteral("screen")).toInt(&screenOk)
        : -1;
    if (!screenOk || watchScreenIndex >= QGuiApplication::screens().size()) {
        std::fprintf(stderr, "pathwatch: --screen takes a screen number from 0 to %lld\n",
            static_cast<long long>(QGuiApplication::screens().size() - 1));
        return pw::kExitConfigError;
    }
    pw::MainWindow window;
    pw::Instance::Options options;
    options.configPath = parser.value(QStringLiteral("config"));
    options.dataDir = parser.value(QStringLiteral("data-dir"));
    auto instance = std::make_shared<pw::Instance>(options);
    auto checkpoints = std::make_shared<pw::CheckpointFeed>();
    instance->addObserver(checkpoints);
    pw::DesktopNotifier notifier;
    instance->addObserver(notifier.observer());
    window.setNotifier(&notifier);
    window.setHistory(instance->history());
    window.setCheckpointFeed(checkpoints);
    QSettings settings;
    window.restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    window.setLaunchTimer(launch);
    window.restoreHabits();
    QObject::connect(&app, &QCoreApplication::aboutToQuit, &window,
        [&window] { QSettings().setValue(QStringLiteral("window/geometry"), window.saveGeometry()); });
    QObject::connect(instance.get(), &pw::Instance::snapshotReady, &window, &pw::MainWindow::setSnapshot);
    QObject::connect(instance.get(), &pw::Instance::readinessReady, &window, &pw::MainWindow::setReadiness);
    QObject::connect(&window, &pw::MainWindow::readinessRefreshRequested, instance.get(),
        [instance] { instance->refreshReadiness(); });
    const QString dataDir = pw::DataDir::at(options.dataDir).path();
    window.setEmptyState(options.configPath.isEmpty()
            ? QStringLiteral("Starting the embedded demo: a Kafka-protocol broker and a demo metrics pipeline in "
                             "%1…\n\nTo watch your own pipeline, start Pathwatch with `--config FILE`.")
                  .arg(dataDir)
            : QStringLiteral("Loading %1…").arg(options.configPath));

    // The data dir, the demo's ports and the sources start on a worker thread while the window is up.
    auto result = std::make_shared<pw::Result<void>>();
    auto recoveryConfig = std::make_shared<std::shared_ptr<const pw::PipelineConfig>>();
    QPointer<QThread> starter = QThread::create([instance, result, recoveryConfig] {
        *result = instance->start();
        if (!*result)
            return;
        // What the recovery wizard works with: the running config (read here, off the GUI thread).
        if (auto* embedded = instance->embedded())
            *recoveryConfig = std::make_shared<const pw::PipelineConfig>(embedded->config());
        else if (auto loaded = pw::loadConfigFile(instance->configPath()))
            *recoveryConfig = std::make_shared<const pw::PipelineConfig>(std::move(*loaded));
    });
    QObject::connect(starter, &QThread::finished, &window, [&, result] {
        starter->deleteLater();
        if (!*result) {
            std::fprintf(stderr, "pathwatch: %s\n", qPrintable(result->error().toString()));
            window.setEmptyState(QStringLiteral("Pathwatch could not start:\n\n%1\n\n%2")
                                     .arg(result->error().toString(),
                                         options.configPath.isEmpty()
                                             ? QStringLiteral("To watch your own pipeline, start Pathwatch with "
                                                              "`--config FILE`.")
                                             : QStringLiteral("Fix it and reload (File → Reload Configuration), or "
                                                              "check it with `pathwatch check-config FILE`.")));
            return;
        }
        window.setLedger(instance->ledger());
        window.setSnapshot(instance->latestSnapshot());
        window.setRecoveryEnvironment(recoveryEnvironment(*instance, *recoveryConfig));
        if (watchScreen)
            window.showWatchScreen(watchScreenIndex);
        if (auto* embedded = instance->embedded()) {
            window.setModeNote(
                embedded->summary(), embedded->details() + QStringLiteral("\nInject faults from the Drills menu."));
            addDrillMenu(window, *embedded);
        }
        addReloadAction(window, instance);
    });
    starter->start();
    window.show();
    if (watchScreen)
        window.showWatchScreen(watchScreenIndex); // the waiting text until the first snapshot
    pw::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &pw::UnixSignalWatcher::terminationRequested, &app, &QApplication::quit);
    QObject::connect(&signalWatcher, &pw::UnixSignalWatcher::reloadRequested, &window,
        [&window, instance] { reloadInBackground(window, instance); });
    const int code = QApplication::exec();
    if (starter) { // closed while still starting: let it finish before stopping what it started
        starter->wait();
        delete starter.data();
    }
    QThreadPool::globalInstance()->waitForDone();
    instance->stop();
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    const QByteArray command = argc > 1 ? QByteArray(argv[1]) : QByteArray();
    if (command == "watch") { // a window, so not in the table of QCoreApplication commands below
        std::vector<char*> rest {argv[0]};
        rest.insert(rest.end(), argv + 2, argv + argc);
        int restCount = int(rest.size());
        rest.push_back(nullptr);
        return runWindow(restCount, rest.data(), true);
    }
    using Runner = int (*)(const QStringList&);
    struct
    {
        const char* name;
        Runner run;
    } const commands[] = {
        {"headless", pw::runHeadless},
        {"status", pw::runStatus},
        {"check-config", pw::runCheckConfig},
        {"fault", pw::runFault},
        {"broker", pw::broker::runBrokerCommand},
        {"replay", pw::runReplay},
        {"groups", pw::runGroups},
        {"audit", pw::runAudit},
        {"rehearse", pw::runRehearse},
        {"readiness", pw::runReadiness},
        {"reconcile", pw::runReconcile},
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
