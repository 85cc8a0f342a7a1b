#include "replay/offsetscsv.h"

#include <QTemporaryDir>
#include <QTest>

using pw::OffsetsCsvRow;

class TestOffsetsCsv : public QObject
{
    Q_OBJECT

private slots:
    void parsesExportedLines()
    {
        // As kafka-consumer-groups --reset-offsets --export prints it, with a CRLF line, spaces and a blank line.
        const QByteArray text = "orders,0,42\norders,1,0\r\n\n  payments.v2 , 12 , 9223372036854775807 \n";
        auto rows = pw::parseOffsetsCsv(text);
        QVERIFY2(rows, qPrintable(rows ? QString() : rows.error().toString()));
        const std::vector<OffsetsCsvRow> expected {
            {QStringLiteral("orders"), 0, 42},
            {QStringLiteral("orders"), 1, 0},
            {QStringLiteral("payments.v2"), 12, 9223372036854775807LL},
        };
        QVERIFY(*rows == expected);
    }

    void emptyInputIsNoRows()
    {
        auto rows = pw::parseOffsetsCsv("\n\n");
        QVERIFY(rows);
        QVERIFY(rows->empty());
    }

    void errorsNameLineAndColumn_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("words");
        QTest::addRow("two fields") << QByteArray("orders,0,1\norders,1\n") << 2 << 9
                                    << QStringLiteral("expected 3 fields");
        QTest::addRow("four fields") << QByteArray("orders,0,1,x\n") << 1 << 11 << QStringLiteral("found 4");
        QTest::addRow("bad partition") << QByteArray("orders,x,1\n") << 1 << 8 << QStringLiteral("partition \"x\"");
        QTest::addRow("negative partition")
            << QByteArray("orders,-1,1\n") << 1 << 8 << QStringLiteral("partition \"-1\"");
        QTest::addRow("bad offset") << QByteArray("a,0,1\na,1, 12z\n") << 2 << 6 << QStringLiteral("offset \"12z\"");
        QTest::addRow("offset overflow") << QByteArray("a,0,9223372036854775808\n") << 1 << 5
                                         << QStringLiteral("64-bit");
        QTest::addRow("partition overflow") << QByteArray("a,2147483648,0\n") << 1 << 3 << QStringLiteral("32-bit");
        QTest::addRow("empty topic") << QByteArray(" ,0,1\n") << 1 << 2 << QStringLiteral("topic is empty");
        QTest::addRow("bad topic") << QByteArray("or/ders,0,1\n") << 1 << 1 << QStringLiteral("not a valid topic");
        QTest::addRow("duplicate") << QByteArray("a,0,1\nb,0,1\na,0,2\n") << 3 << 3 << QStringLiteral("listed twice");
        QTest::addRow("control") << QByteArray("a,0,1\x01\n") << 1 << 6 << QStringLiteral("control character");
    }

    void errorsNameLineAndColumn()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, words);
        auto rows = pw::parseOffsetsCsv(text, QStringLiteral("reset.csv"));
        QVERIFY(!rows);
        QCOMPARE(rows.error().code, pw::Error::Code::Parse);
        QCOMPARE(rows.error().file, QStringLiteral("reset.csv"));
        QCOMPARE(rows.error().line, line);
        QCOMPARE(rows.error().column, column);
        QVERIFY2(rows.error().message.contains(words), qPrintable(rows.error().message));
        QVERIFY(rows.error().toString().startsWith(QStringLiteral("reset.csv:%1:%2:").arg(line).arg(column)));
    }

    void roundTripsThroughAFile()
    {
        QTemporaryDir dir;
        const std::vector<OffsetsCsvRow> rows {{QStringLiteral("t-1"), 3, 7}, {QStringLiteral("t_2"), 0, 0}};
        QCOMPARE(pw::formatOffsetsCsv(rows), QByteArray("t-1,3,7\nt_2,0,0\n"));
        const QString path = dir.filePath(QStringLiteral("plan.csv"));
        QVERIFY(pw::writeOffsetsCsvFile(path, rows));
        auto back = pw::readOffsetsCsvFile(path);
        QVERIFY(back);
        QVERIFY(*back == rows);
        auto missing = pw::readOffsetsCsvFile(dir.filePath(QStringLiteral("none.csv")));
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, pw::Error::Code::Io);
    }

    void topicNames()
    {
        QVERIFY(pw::isValidTopicName(QStringLiteral("a.b_c-D9")));
        QVERIFY(!pw::isValidTopicName(QStringLiteral("..")));
        QVERIFY(!pw::isValidTopicName(QString(250, u'a')));
        QVERIFY(pw::isValidTopicName(QString(249, u'a')));
        QVERIFY(!pw::isValidTopicName(QStringLiteral("é")));
    }
};

QTEST_GUILESS_MAIN(TestOffsetsCsv)
#include "tst_offsetscsv.moc"
