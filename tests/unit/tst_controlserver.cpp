#include "instance/controlserver.h"
#include "instance/datadir.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace pw;

namespace {

// A raw client, to send what a well-behaved client never would.
QByteArray rawExchange(const QString& path, const QByteArray& bytes)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray encoded = QFile::encodeName(path);
    std::memcpy(address.sun_path, encoded.constData(), size_t(encoded.size()));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return "connect failed";
    }
    ::send(fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL);
    timeval timeout {5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    QByteArray answer;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        answer.append(buffer, n);
    ::close(fd);
    return answer;
}

} // namespace

class TestControlServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesRequests_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("error");
        QTest::newRow("status") << QByteArray(R"({"command":"status"})") << u"status"_qs << QString();
        QTest::newRow("fields kept") << QByteArray(R"({"command":"fault","name":"stop-job","on":true})") << u"fault"_qs
                                     << QString();
        QTest::newRow("not json") << QByteArray("status") << QString() << u"request is not JSON"_qs;
        QTest::newRow("array") << QByteArray("[1]") << QString() << u"request must be a JSON object"_qs;
        QTest::newRow("no command") << QByteArray(R"({"cmd":"status"})") << QString()
                                    << u"request has no string `command`"_qs;
        QTest::newRow("number") << QByteArray(R"({"command":7})") << QString() << u"request has no string `command`"_qs;
        QTest::newRow("upper case") << QByteArray(R"({"command":"STATUS"})") << QString() << u"`command` must be"_qs;
        QTest::newRow("too long") << QByteArray(R"({"command":")") + QByteArray(70000, 'a') + QByteArray(R"("})")
                                  << QString() << u"over the 65536-byte limit"_qs;
    }

    void parsesRequests()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, command);
        QFETCH(QString, error);
        auto request = parseControlRequest(line);
        if (error.isEmpty()) {
            QVERIFY2(request, qPrintable(request ? QString() : request.error().message));
            QCOMPARE(request->command, command);
        } else {
            QVERIFY(!request);
            QVERIFY2(request.error().message.contains(error), qPrintable(request.error().message));
        }
    }

    void answersCommandsOwnerOnly()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("control.sock"));
        ControlServer server;
        server.handle(QStringLiteral("status"), [](const ControlRequest& r) {
            return QJsonObject {
                {QStringLiteral("ok"), true}, {QStringLiteral("echo"), r.fields.value(QStringLiteral("x"))}};
        });
        QVERIFY(server.listen(path));
        struct stat info
        {
        };
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &info), 0);
        QVERIFY(S_ISSOCK(info.st_mode));
        QCOMPARE(int(info.st_mode & 0777), 0600);

        auto answer = controlRequest(
            path, QJsonObject {{QStringLiteral("command"), QStringLiteral("status")}, {QStringLiteral("x"), 5}});
        QVERIFY2(answer, qPrintable(answer ? QString() : answer.error().message));
        QCOMPARE(answer->value(QStringLiteral("echo")).toInt(), 5);

        auto ping = controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("ping")}});
        QVERIFY(ping);
        QCOMPARE(qint64(ping->value(QStringLiteral("pid")).toDouble()), qint64(::getpid()));

        auto unknown = controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("frobnicate")}});
        QVERIFY(unknown);
        QCOMPARE(unknown->value(QStringLiteral("ok")).toBool(true), false);
        QVERIFY(unknown->value(QStringLiteral("error")).toString().contains(QStringLiteral("unknown command")));

        server.close();
        QVERIFY(!QFileInfo::exists(path));
        auto gone = controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("ping")}});
        QVERIFY(!gone);
        QCOMPARE(gone.error().code, Error::Code::Refused);
    }

    // Garbage gets one error answer and the connection is closed; a well-behaved client is served all along.
    void garbageClosesOnlyThatConnection()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("control.sock"));
        ControlServer server;
        QVERIFY(server.listen(path));
        const QByteArray answer = rawExchange(path, QByteArray("\x00\xff{{{\n{\"command\":\"ping\"}\n", 24));
        const auto lines = answer.split('\n');
        QVERIFY2(answer.count('\n') == 1, answer.constData()); // the ping after the garbage is not served
        QVERIFY(QJsonDocument::fromJson(lines.front())
                    .object()
                    .value(QStringLiteral("error"))
                    .toString()
                    .contains(QStringLiteral("not JSON")));
        const QByteArray huge = rawExchange(path, QByteArray(200 * 1024, 'x'));
        QVERIFY2(huge.contains("over the"), huge.left(200).constData());
        auto ping = controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("ping")}});
        QVERIFY(ping && ping->value(QStringLiteral("ok")).toBool());
    }

    // A socket file left by a killed instance is replaced (the data dir's lock says no live instance owns it).
    void staleSocketIsReplaced()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("control.sock"));
        {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un address {};
            address.sun_family = AF_UNIX;
            std::memcpy(address.sun_path, QFile::encodeName(path).constData(), size_t(QFile::encodeName(path).size()));
            QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
            ::close(fd); // the file stays, nobody listens: what kill -9 leaves
        }
        QVERIFY(QFileInfo::exists(path));
        auto before = controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("ping")}});
        QVERIFY(!before);
        QCOMPARE(before.error().code, Error::Code::Refused);
        ControlServer server;
        QVERIFY(server.listen(path));
        QVERIFY(controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("ping")}}));
    }

    // A data dir whose control.sock path would pass the 107 bytes a socket address holds gets a short one.
    void longDataDirFallsBackToRuntimeDir()
    {
        QTemporaryDir runtime;
        qputenv("XDG_RUNTIME_DIR", runtime.path().toUtf8());
        const DataDir shortDir = DataDir::at(QStringLiteral("/tmp/pw"));
        QCOMPARE(shortDir.controlSocketPath(), QStringLiteral("/tmp/pw/control.sock"));
        const DataDir longDir = DataDir::at(QStringLiteral("/tmp/") + QString(120, u'd'));
        const QString path = longDir.controlSocketPath();
        QVERIFY2(path.startsWith(runtime.path()), qPrintable(path));
        QVERIFY(QFile::encodeName(path).size() < 108);
        QCOMPARE(DataDir::at(QStringLiteral("/tmp/") + QString(120, u'd')).controlSocketPath(), path); // stable
        QVERIFY(DataDir::at(QStringLiteral("/tmp/") + QString(121, u'd')).controlSocketPath() != path);
        ControlServer server;
        QVERIFY(server.listen(path));
        QVERIFY(controlRequest(path, QJsonObject {{QStringLiteral("command"), QStringLiteral("ping")}}));
    }
};

QTEST_GUILESS_MAIN(TestControlServer)
#include "tst_controlserver.moc"
