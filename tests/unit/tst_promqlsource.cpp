#include "sources/promqlsource.h"

#include <QTest>
#include <QUrlQuery>

using namespace pw;

namespace {

// "{a="1"} 2.5 @1700000000123" per sample, or "error: <message>".
QString dump(const Result<std::vector<Sample>>& result)
{
    if (!result)
        return QStringLiteral("error: ") + result.error().message;
    QStringList lines;
    for (const Sample& s : *result)
        lines << QStringLiteral("%1 %2 @%3")
                     .arg(labelsToString(s.labels), QString::number(s.value))
                     .arg(s.timestampMs)
                     .trimmed();
    return lines.join(QLatin1Char('\n'));
}

SourceConfig promConfig(const QString& url = QStringLiteral("http://127.0.0.1:9090"))
{
    SourceConfig c;
    c.id = QStringLiteral("prom");
    c.kind = QStringLiteral("promql");
    c.http.url = url;
    return c;
}

SignalConfig signal(const QString& id, const QString& query)
{
    SignalConfig s;
    s.id = id;
    s.stageId = id.section(QLatin1Char('/'), 0, 0);
    s.name = id.section(QLatin1Char('/'), 1);
    s.sourceId = QStringLiteral("prom");
    if (!query.isNull())
        s.params.insert(QStringLiteral("query"), query);
    return s;
}

} // namespace

class TestPromqlSource : public QObject
{
    Q_OBJECT

private slots:
    void parseResponse_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("expected");

        QTest::newRow("vector, labels kept, __name__ dropped")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[
                 {"metric":{"__name__":"object_store_requests_total","op":"put","result":"error"},"value":[1700000000.123,"4.5"]},
                 {"metric":{"op":"get"},"value":[1700000000.123,"0"]}]}})")
            << QStringLiteral("{op=\"put\",result=\"error\"} 4.5 @1700000000123\n{op=\"get\"} 0 @1700000000123");
        QTest::newRow("vector without labels")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"vector",
                 "result":[{"metric":{},"value":[1700000001,"0.25"]}]}})")
            << QStringLiteral("0.25 @1700000001000");
        QTest::newRow("special values")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[
                 {"metric":{"q":"a"},"value":[1,"NaN"]},{"metric":{"q":"b"},"value":[1,"+Inf"]},
                 {"metric":{"q":"c"},"value":[1,"-Inf"]},{"metric":{"q":"d"},"value":[1,"1e-3"]}]}})")
            << QStringLiteral("{q=\"a\"} nan @1000\n{q=\"b\"} inf @1000\n{q=\"c\"} -inf @1000\n{q=\"d\"} 0.001 @1000");
        QTest::newRow("scalar")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"42"]}})")
            << QStringLiteral("42 @1700000000500");
        QTest::newRow("warnings are ignored")
            << 200
            << QByteArray(R"({"status":"success","warnings":["x"],"data":{"resultType":"scalar","result":[2,"1"]}})")
            << QStringLiteral("1 @2000");

        QTest::newRow("empty vector") << 200
                                      << QByteArray(
                                             R"({"status":"success","data":{"resultType":"vector","result":[]}})")
                                      << QStringLiteral("error: query returned no series");
        QTest::newRow("prometheus error with HTTP 400")
            << 400
            << QByteArray("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error: unexpected "
                          "\\\")\\\"\"}")
            << QStringLiteral("error: query failed (bad_data) with HTTP 400: 1:5: parse error: unexpected \")\"");
        QTest::newRow("prometheus error with HTTP 200")
            << 200 << QByteArray(R"({"status":"error","errorType":"execution","error":"many-to-many matching"})")
            << QStringLiteral("error: query failed (execution): many-to-many matching");
        QTest::newRow("HTTP 500 with text")
            << 500 << QByteArray("upstream broke\n") << QStringLiteral("error: HTTP 500: upstream broke");
        QTest::newRow("not JSON") << 200 << QByteArray("<html><body>login</body></html>")
                                  << QStringLiteral("error: response is not JSON (illegal value at offset 1); it "
                                                    "starts with '<html><body>login</body></html>'");
        QTest::newRow("truncated JSON") << 200 << QByteArray("{\"status\":\"success\",\"data\":{\"resultType\":\"vec")
                                        << QStringLiteral("error: response is not JSON (unterminated string at offset "
                                                          "46); it starts with "
                                                          "'{\"status\":\"success\",\"data\":{\"resultType\":\"vec'");
        QTest::newRow("top-level array") << 200 << QByteArray("[1,2]")
                                         << QStringLiteral("error: expected a JSON object at the top level");
        QTest::newRow("no status") << 200 << QByteArray(R"({"data":{}})")
                                   << QStringLiteral("error: expected \"status\" to be \"success\" or \"error\"");
        QTest::newRow("data not an object") << 200 << QByteArray(R"({"status":"success","data":[]})")
                                            << QStringLiteral("error: expected data to be an object");
        QTest::newRow("result not an array")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":{}}})")
            << QStringLiteral("error: expected data.result to be an array");
        QTest::newRow("element not an object")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[3]}})")
            << QStringLiteral("error: expected data.result[0] to be an object");
        QTest::newRow("metric not an object")
            << 200
            << QByteArray(
                   R"({"status":"success","data":{"resultType":"vector","result":[{"metric":3,"value":[1,"1"]}]}})")
            << QStringLiteral("error: expected data.result[0].metric to be an object");
        QTest::newRow("label value not a string")
            << 200
            << QByteArray(
                   R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}})")
            << QStringLiteral("error: expected label a of data.result[0] to be a string");
        QTest::newRow("value with a number instead of a string")
            << 200
            << QByteArray(
                   R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,1]}]}})")
            << QStringLiteral("error: expected data.result[0].value to be [timestamp, \"value\"]");
        QTest::newRow("value missing")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})")
            << QStringLiteral("error: expected data.result[0].value to be [timestamp, \"value\"]");
        QTest::newRow("value not a number")
            << 200
            << QByteArray(
                   R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}})")
            << QStringLiteral("error: data.result[0].value holds 'abc', which is not a number");
        QTest::newRow("negative timestamp")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"scalar","result":[-1,"1"]}})")
            << QStringLiteral("error: data.result has an invalid timestamp");
        QTest::newRow("scalar of the wrong shape")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"scalar","result":[1]}})")
            << QStringLiteral("error: expected data.result to be [timestamp, \"value\"]");
        QTest::newRow("matrix")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"matrix","result":[]}})")
            << QStringLiteral("error: query returned a range vector (matrix); use an instant vector, e.g. rate(x[1m]) "
                              "instead of x[1m]");
        QTest::newRow("string") << 200
                                << QByteArray(R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})")
                                << QStringLiteral("error: query returned a string, not a number");
        QTest::newRow("unknown resultType")
            << 200 << QByteArray(R"({"status":"success","data":{"resultType":"table","result":[]}})")
            << QStringLiteral("error: expected data.resultType to be vector or scalar, got 'table'");
        QTest::newRow("native histogram")
            << 200
            << QByteArray(
                   R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}})")
            << QStringLiteral("error: query returned a native histogram; wrap it in histogram_quantile() or "
                              "histogram_count()");
        QTest::newRow("empty body") << 200 << QByteArray()
                                    << QStringLiteral("error: response is not JSON (illegal value at offset 0); it "
                                                      "starts with ''");
    }

    void parseResponse()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(QString, expected);
        const auto result = PromqlSource::parseResponse(status, body, QStringLiteral("sink/p99"));
        QCOMPARE(dump(result), expected);
        if (result) {
            for (const Sample& s : *result)
                QCOMPARE(s.signalId, QStringLiteral("sink/p99"));
        }
    }

    void queryUrl()
    {
        const QString query = QStringLiteral("sum(rate(x{a=\"b&c\"}[1m])) + 1 / 2");
        const QString url = PromqlSource::queryUrl(QStringLiteral("http://prom:9090/prefix/"), query, 1700000000123);
        QVERIFY2(url.startsWith(QStringLiteral("http://prom:9090/prefix/api/v1/query?query=")), qPrintable(url));
        QVERIFY2(!url.contains(QLatin1Char('+')), qPrintable(url)); // a bare '+' would arrive as a space
        QVERIFY(url.endsWith(QStringLiteral("&time=1700000000.123")));
        const QUrlQuery parsed(QUrl(url).query(QUrl::FullyEncoded));
        QCOMPARE(parsed.queryItemValue(QStringLiteral("query"), QUrl::FullyDecoded), query);
    }

    void createValidates_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("expected"); // empty = created

        QTest::newRow("ok") << "promql"
                            << "http://127.0.0.1:9090"
                            << "up" << QString();
        QTest::newRow("no url") << "promql"
                                << ""
                                << "up"
                                << "prom: promql source needs url: the server's base URL, e.g. http://127.0.0.1:9090 "
                                   "(got '')";
        QTest::newRow("wrong scheme") << "promql"
                                      << "ftp://x"
                                      << "up"
                                      << "prom: promql source needs url: the server's base URL, e.g. "
                                         "http://127.0.0.1:9090 (got 'ftp://x')";
        QTest::newRow("no query") << "promql"
                                  << "http://127.0.0.1:9090" << QString()
                                  << "prom: signal 'sink/p99' needs a query: a PromQL expression";
        QTest::newRow("blank query") << "promql"
                                     << "http://127.0.0.1:9090"
                                     << "  "
                                     << "prom: signal 'sink/p99' needs a query: a PromQL expression";
    }

    void createValidates()
    {
        QFETCH(QString, kind);
        QFETCH(QString, url);
        QFETCH(QString, query);
        QFETCH(QString, expected);
        SourceConfig config = promConfig(url);
        config.kind = kind;
        auto source = createSource(config, {signal(QStringLiteral("sink/p99"), query)});
        if (expected.isEmpty()) {
            QVERIFY2(source.has_value(), qPrintable(source ? QString() : source.error().toString()));
            QCOMPARE((*source)->id(), QStringLiteral("prom"));
            QCOMPARE((*source)->signalConfigs().size(), size_t(1));
        } else {
            QVERIFY(!source.has_value());
            QCOMPARE(source.error().toString(), expected);
            QCOMPARE(source.error().code, Error::Code::Config);
        }
    }

    void unknownKindNamesTheValidKinds()
    {
        SourceConfig config = promConfig();
        config.kind = QStringLiteral("prometheus");
        config.line = 7;
        auto source = createSource(config, {signal(QStringLiteral("sink/p99"), QStringLiteral("up"))});
        QVERIFY(!source.has_value());
        QCOMPARE(source.error().code, Error::Code::Config);
        QCOMPARE(source.error().message, QStringLiteral("unknown source kind 'prometheus'"));
        QCOMPARE(source.error().source, QStringLiteral("prom"));
        QCOMPARE(source.error().line, 7);
        QVERIFY2(
            source.error().hint.startsWith(QStringLiteral("valid kinds: promql")), qPrintable(source.error().hint));
    }

    void endpointHidesCredentials()
    {
        auto source = createSource(promConfig(QStringLiteral("https://user:secret@prom.example:9090/p")),
            {signal(QStringLiteral("sink/p99"), QStringLiteral("up"))});
        QVERIFY(source.has_value());
        QCOMPARE((*source)->endpoint(), QStringLiteral("https://prom.example:9090/p"));
    }

    void pollWithoutHttpClientFails()
    {
        auto source = createSource(promConfig(), {signal(QStringLiteral("sink/p99"), QStringLiteral("up"))});
        QVERIFY(source.has_value());
        PollContext context;
        std::optional<PollResult> got;
        (*source)->poll(context, [&](PollResult r) { got = std::move(r); });
        QVERIFY(got.has_value());
        QVERIFY(got->error.has_value());
        QCOMPARE(got->error->toString(), QStringLiteral("prom: no HTTP client available"));
    }

    void pollWithoutSignalsIsEmpty()
    {
        auto source = createSource(promConfig(), {});
        QVERIFY(source.has_value());
        PollContext context;
        std::optional<PollResult> got;
        // No signals: nothing to ask, so done is called at once.
        (*source)->poll(context, [&](PollResult r) { got = std::move(r); });
        QVERIFY(got.has_value());
        QVERIFY(!got->error.has_value());
        QVERIFY(got->samples.empty());
        QVERIFY(got->signalErrors.empty());
    }
};

QTEST_GUILESS_MAIN(TestPromqlSource)
#include "tst_promqlsource.moc"
