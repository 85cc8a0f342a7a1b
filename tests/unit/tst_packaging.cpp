// Builds the TGZ package with CPack from this build tree and checks what an installation would contain: the binary,
// the desktop entry and AppStream metainfo (validated with desktop-file-validate and appstreamcli), the icons, the
// hardened systemd unit and every example config.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {
struct Run
{
    bool started = false;
    int exitCode = -1;
    QString output;
};

Run run(const QString& program, const QStringList& args, const QString& workDir = {})
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (!workDir.isEmpty())
        p.setWorkingDirectory(workDir);
    p.start(program, args);
    Run r;
    r.started = p.waitForStarted(10'000);
    if (!r.started)
        return r;
    p.waitForFinished(120'000);
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.output = QString::fromLocal8Bit(p.readAll());
    return r;
}

QString tool(const char* name, const char* package)
{
    const QString path = QStandardPaths::findExecutable(QString::fromLatin1(name));
    if (path.isEmpty())
        qWarning("%s is missing: install the Debian package %s (installers/deps.sh test)", name, package);
    return path;
}

// Width and height from a PNG's IHDR chunk.
QSize pngSize(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray head = f.read(24);
    if (head.size() < 24 || !head.startsWith("\x89PNG\r\n\x1a\n") || head.mid(12, 4) != "IHDR")
        return {};
    auto be32 = [&](int at) {
        return (uchar(head[at]) << 24) | (uchar(head[at + 1]) << 16) | (uchar(head[at + 2]) << 8) | uchar(head[at + 3]);
    };
    return QSize(int(be32(16)), int(be32(20)));
}
} // namespace

class TestPackaging : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_work;
    QString m_root; // the unpacked package's usr/

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_work.isValid());
        const QString binaryDir = QString::fromUtf8(PATHWATCH_BINARY_DIR);
        QVERIFY2(
            QFile::exists(binaryDir + u"/CPackConfig.cmake"_s), "CPackConfig.cmake missing: configure with the UI");
        const Run cpack = run(QString::fromUtf8(CPACK_COMMAND),
            {u"--config"_s, binaryDir + u"/CPackConfig.cmake"_s, u"-G"_s, u"TGZ"_s, u"-B"_s, m_work.filePath(u"out"_s)},
            binaryDir);
        QVERIFY2(cpack.started && cpack.exitCode == 0, qPrintable(u"cpack -G TGZ failed:\n"_s + cpack.output));

        const QStringList archives = QDir(m_work.filePath(u"out"_s)).entryList({u"pathwatch-*.tar.gz"_s}, QDir::Files);
        QCOMPARE(archives.size(), 1);
        QVERIFY(QDir().mkpath(m_work.filePath(u"root"_s)));
        const Run tar = run(u"tar"_s,
            {u"-xzf"_s, m_work.filePath(u"out/"_s + archives.first()), u"-C"_s, m_work.filePath(u"root"_s),
                u"--strip-components=1"_s});
        QVERIFY2(tar.started && tar.exitCode == 0, qPrintable(tar.output));
        m_root = m_work.filePath(u"root/usr"_s);
    }

    void containsFiles_data()
    {
        QTest::addColumn<QString>("path");
        for (const char* p : {"bin/pathwatch", "share/applications/io.pathwatch.Pathwatch.desktop",
                 "share/metainfo/io.pathwatch.Pathwatch.metainfo.xml",
                 "share/icons/hicolor/scalable/apps/io.pathwatch.Pathwatch.svg",
                 "share/icons/hicolor/256x256/apps/io.pathwatch.Pathwatch.png",
                 "lib/systemd/system/pathwatch-headless.service", "share/doc/pathwatch/copyright",
                 "share/doc/pathwatch/changelog.gz", "share/man/man1/pathwatch.1.gz"})
            QTest::newRow(p) << QString::fromLatin1(p);
        // Every example config of the source tree ships.
        QDirIterator it(QString::fromUtf8(PATHWATCH_SOURCE_DIR) + u"/resources/examples"_s, {u"*.yaml"_s}, QDir::Files);
        while (it.hasNext()) {
            it.next();
            const QString p = u"share/pathwatch/examples/"_s + it.fileName();
            QTest::newRow(qPrintable(p)) << p;
        }
    }

    void containsFiles()
    {
        QFETCH(QString, path);
        const QFileInfo info(m_root + QLatin1Char('/') + path);
        QVERIFY2(info.isFile(), qPrintable(path));
        QVERIFY(info.size() > 0);
        if (path.startsWith(u"bin/"_s))
            QVERIFY(info.isExecutable());
    }

    void desktopEntryIsValid()
    {
        const QString validator = tool("desktop-file-validate", "desktop-file-utils");
        QVERIFY2(!validator.isEmpty(), "desktop-file-validate not found (package desktop-file-utils)");
        const Run r = run(validator, {m_root + u"/share/applications/io.pathwatch.Pathwatch.desktop"_s});
        QVERIFY2(r.exitCode == 0 && r.output.trimmed().isEmpty(), qPrintable(r.output));
    }

    void metainfoIsValid()
    {
        const QString validator = tool("appstreamcli", "appstream");
        QVERIFY2(!validator.isEmpty(), "appstreamcli not found (package appstream)");
        const Run r = run(validator,
            {u"validate"_s, u"--no-net"_s, m_root + u"/share/metainfo/io.pathwatch.Pathwatch.metainfo.xml"_s});
        QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    }

    void iconIs256Pixels()
    {
        QCOMPARE(pngSize(m_root + u"/share/icons/hicolor/256x256/apps/io.pathwatch.Pathwatch.png"_s), QSize(256, 256));
    }

    void systemdUnitIsHardened()
    {
        QFile f(m_root + u"/lib/systemd/system/pathwatch-headless.service"_s);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
        // The package installs under /usr, so the unit names the installed binary.
        QVERIFY(lines.contains(
            u"ExecStart=/usr/bin/pathwatch headless --config /etc/pathwatch/pathwatch.yaml --data-dir ${STATE_DIRECTORY}"_s));
        QVERIFY(lines.contains(u"ExecReload=/bin/kill -HUP $MAINPID"_s));
        for (const char* line : {"DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
                 "PrivateTmp=yes", "CapabilityBoundingSet=", "WantedBy=multi-user.target"})
            QVERIFY2(lines.contains(QString::fromLatin1(line)), line);
    }

    void debianPackageIsConfigured()
    {
        QFile f(QString::fromUtf8(PATHWATCH_BINARY_DIR) + u"/CPackConfig.cmake"_s);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString config = QString::fromUtf8(f.readAll());
        QVERIFY(config.contains(u"set(CPACK_GENERATOR \"DEB;TGZ\")"_s));
        QVERIFY(config.contains(u"set(CPACK_PACKAGE_NAME \"pathwatch\")"_s));
        QVERIFY(config.contains(u"set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS \"ON\")"_s));
        QVERIFY(config.contains(u"CPACK_DEBIAN_PACKAGE_MAINTAINER"_s));
    }

    // The .deb as CPack builds it passes lintian with no error and no warning (copyright, changelog, man page,
    // wrapped description).
    void debianPackageLintsClean()
    {
        const QString lintian = tool("lintian", "lintian");
        QVERIFY2(!lintian.isEmpty(), "lintian not found (package lintian)");
        const QString binaryDir = QString::fromUtf8(PATHWATCH_BINARY_DIR);
        const Run cpack = run(QString::fromUtf8(CPACK_COMMAND),
            {u"--config"_s, binaryDir + u"/CPackConfig.cmake"_s, u"-G"_s, u"DEB"_s, u"-B"_s, m_work.filePath(u"deb"_s)},
            binaryDir);
        QVERIFY2(cpack.started && cpack.exitCode == 0, qPrintable(u"cpack -G DEB failed:\n"_s + cpack.output));
        const QStringList debs = QDir(m_work.filePath(u"deb"_s)).entryList({u"pathwatch_*.deb"_s}, QDir::Files);
        QCOMPARE(debs.size(), 1);
        const Run lint = run(lintian,
            {u"--tag-display-limit"_s, u"0"_s, u"--fail-on"_s, u"error,warning"_s,
                m_work.filePath(u"deb/"_s + debs.first())});
        QVERIFY2(lint.started, "lintian did not start");
        QVERIFY2(lint.exitCode == 0, qPrintable(u"lintian:\n"_s + lint.output));
        const QStringList tags = lint.output.split(u'\n', Qt::SkipEmptyParts).filter(QRegularExpression(u"^[EW]: "_s));
        QVERIFY2(tags.isEmpty(), qPrintable(tags.join(u'\n')));
    }

    void manPageNamesEveryCommand()
    {
        QFile f(QString::fromUtf8(PATHWATCH_SOURCE_DIR) + u"/installers/debian/pathwatch.1"_s);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString page = QString::fromUtf8(f.readAll());
        const Run help = run(m_root + u"/bin/pathwatch"_s, {u"--help"_s});
        QVERIFY2(help.started && help.exitCode == 0, qPrintable(help.output));
        // Every command the binary's usage lists has its own entry in COMMANDS.
        const QRegularExpression usage(u"^\\s+pathwatch ([a-z][a-z-]+)"_s, QRegularExpression::MultilineOption);
        int commands = 0;
        for (auto it = usage.globalMatch(help.output); it.hasNext(); ++commands) {
            const QString command = it.next().captured(1);
            QString escaped = command;
            escaped.replace(u'-', u"\\-"_s);
            QVERIFY2(page.contains(u".B "_s + escaped) || page.contains(u".BI "_s + escaped),
                qPrintable(u"the man page has no entry for `"_s + command + u'`'));
        }
        QVERIFY(commands >= 8);
    }
};

QTEST_GUILESS_MAIN(TestPackaging)
#include "tst_packaging.moc"
