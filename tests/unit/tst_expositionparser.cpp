#include "sources/expositionparser.h"

#include <QTest>

#include <cmath>
#include <cstdlib>
#include <new>

// Counting allocator: proves the "no allocation per sample once warmed up" claim on this thread.
namespace {
thread_local bool g_counting = false;
thread_local long g_allocations = 0;
} // namespace

void* operator new(std::size_t size)
{
    if (g_counting)
        ++g_allocations;
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}

namespace {

QString number(double v)
{
    if (std::isnan(v))
        return QStringLiteral("NaN");
    if (std::isinf(v))
        return v > 0 ? QStringLiteral("+Inf") : QStringLiteral("-Inf");
    return QString::number(v, 'g', 15);
}

QString labelsText(std::span<const pw::ExpositionLabel> labels)
{
    QString out = QStringLiteral("{");
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i)
            out += QLatin1Char(',');
        QString value = QString::fromUtf8(labels[i].value.data(), qsizetype(labels[i].value.size()));
        value.replace(QLatin1Char('\n'), QStringLiteral("<LF>"));
        out += QString::fromUtf8(labels[i].name.data(), qsizetype(labels[i].name.size())) + QStringLiteral("=") + value;
    }
    return out + QLatin1Char('}');
}

QString sv(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

/// Dumps everything the parser reports, one line per event, so a test compares a QStringList.
class DumpHandler : public pw::ExpositionHandler
{
public:
    QStringList lines;

    void typeLine(std::string_view family, pw::MetricType type) override
    {
        lines << QStringLiteral("TYPE %1 %2").arg(sv(family), sv(pw::metricTypeName(type)));
    }
    void helpLine(std::string_view family, std::string_view text) override
    {
        lines << QStringLiteral("HELP %1 [%2]")
                     .arg(sv(family), sv(text).replace(QLatin1Char('\n'), QStringLiteral("<LF>")));
    }
    void unitLine(std::string_view family, std::string_view unit) override
    {
        lines << QStringLiteral("UNIT %1 %2").arg(sv(family), sv(unit));
    }
    void sample(const pw::ExpositionSample& s) override
    {
        QString line = QStringLiteral("%1 fam=%2 %3%4 %5 v=%6")
                           .arg(sv(s.name), sv(s.familyName), sv(pw::metricTypeName(s.type)),
                               sv(pw::sampleSuffixText(s.suffix)), labelsText(s.labels), number(s.value));
        if (!std::isnan(s.bound))
            line += QStringLiteral(" bound=") + number(s.bound);
        if (s.timestampMs)
            line += QStringLiteral(" ts=") + QString::number(*s.timestampMs);
        if (s.exemplar) {
            line += QStringLiteral(" ex=") + labelsText(s.exemplar->labels) + QLatin1Char(':')
                + number(s.exemplar->value);
            if (s.exemplar->timestampSeconds)
                line += QLatin1Char('@') + number(*s.exemplar->timestampSeconds);
        }
        lines << line;
    }
};

class CountHandler : public pw::ExpositionHandler
{
public:
    long samples = 0;
    double sum = 0;
    void sample(const pw::ExpositionSample& s) override
    {
        ++samples;
        sum += s.labels.size();
    }
};

constexpr auto Text = pw::ExpositionFormat::PrometheusText;
constexpr auto OM = pw::ExpositionFormat::OpenMetrics;

} // namespace

Q_DECLARE_METATYPE(pw::ExpositionFormat)

class TestExpositionParser : public QObject
{
    Q_OBJECT

private slots:
    void testValid_data()
    {
        QTest::addColumn<pw::ExpositionFormat>("format");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QStringList>("expected");

        QTest::newRow("text counter with help, type, timestamp")
            << Text
            << QByteArray("# HELP http_requests_total The total number of HTTP requests.\n"
                          "# TYPE http_requests_total counter\n"
                          "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n")
            << QStringList {QStringLiteral("HELP http_requests_total [The total number of HTTP requests.]"),
                   QStringLiteral("TYPE http_requests_total counter"),
                   QStringLiteral("http_requests_total fam=http_requests_total counter {method=post,code=200} "
                                  "v=1027 ts=1395066363000")};
        QTest::newRow("text untyped without labels")
            << Text << QByteArray("metric_without_timestamp_and_labels 12.47\n")
            << QStringList {QStringLiteral("metric_without_timestamp_and_labels "
                                           "fam=metric_without_timestamp_and_labels unknown {} v=12.47")};
        QTest::newRow("text blanks, tabs, trailing comma, comments, empty lines")
            << Text << QByteArray("# a plain comment\n\n  \t\nfoo \t{ a = \"1\" ,\tb=\"2\" , }   3   \n#\n")
            << QStringList {QStringLiteral("foo fam=foo unknown {a=1,b=2} v=3")};
        QTest::newRow("text escapes in label values")
            << Text
            << QByteArray("msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
                          "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n")
            << QStringList {QStringLiteral("msdos_file_access_time_seconds fam=msdos_file_access_time_seconds unknown "
                                           "{path=C:\\DIR\\FILE.TXT,error=Cannot find file:<LF>\"FILE.TXT\"} "
                                           "v=1458255915")};
        QTest::newRow("text help escapes") << Text << QByteArray("# HELP foo a\\\\b\\nc \"quoted\"\nfoo 1\n")
                                           << QStringList {QStringLiteral("HELP foo [a\\b<LF>c \"quoted\"]"),
                                                  QStringLiteral("foo fam=foo unknown {} v=1")};
        QTest::newRow("text NaN and Inf spellings")
            << Text << QByteArray("a Nan\nb NaN\nc nan\nd +Inf\ne -inf\nf Inf\ng +Infinity\nh -INFINITY\ni iNf\n")
            << QStringList {QStringLiteral("a fam=a unknown {} v=NaN"), QStringLiteral("b fam=b unknown {} v=NaN"),
                   QStringLiteral("c fam=c unknown {} v=NaN"), QStringLiteral("d fam=d unknown {} v=+Inf"),
                   QStringLiteral("e fam=e unknown {} v=-Inf"), QStringLiteral("f fam=f unknown {} v=+Inf"),
                   QStringLiteral("g fam=g unknown {} v=+Inf"), QStringLiteral("h fam=h unknown {} v=-Inf"),
                   QStringLiteral("i fam=i unknown {} v=+Inf")};
        QTest::newRow("text number forms")
            << Text << QByteArray("a -0.5\nb .5\nc 5.\nd 1e3\ne +7\nf 1E-2\ng 1e-400\n")
            << QStringList {QStringLiteral("a fam=a unknown {} v=-0.5"), QStringLiteral("b fam=b unknown {} v=0.5"),
                   QStringLiteral("c fam=c unknown {} v=5"), QStringLiteral("d fam=d unknown {} v=1000"),
                   QStringLiteral("e fam=e unknown {} v=7"), QStringLiteral("f fam=f unknown {} v=0.01"),
                   QStringLiteral("g fam=g unknown {} v=0")};
        QTest::newRow("text timestamps") << Text << QByteArray("a 1 -5\nb{} 2 +17\nc{x=\"y\"}3 0\n")
                                         << QStringList {QStringLiteral("a fam=a unknown {} v=1 ts=-5"),
                                                QStringLiteral("b fam=b unknown {} v=2 ts=17"),
                                                QStringLiteral("c fam=c unknown {x=y} v=3 ts=0")};
        QTest::newRow("text histogram")
            << Text
            << QByteArray("# TYPE rpc_seconds histogram\n"
                          "rpc_seconds_bucket{le=\"0.05\",job=\"a\"} 24054\n"
                          "rpc_seconds_bucket{le=\"+Inf\",job=\"a\"} 144320\n"
                          "rpc_seconds_sum{job=\"a\"} 53423\n"
                          "rpc_seconds_count{job=\"a\"} 144320\n")
            << QStringList {QStringLiteral("TYPE rpc_seconds histogram"),
                   QStringLiteral("rpc_seconds_bucket fam=rpc_seconds histogram_bucket {le=0.05,job=a} "
                                  "v=24054 bound=0.05"),
                   QStringLiteral("rpc_seconds_bucket fam=rpc_seconds histogram_bucket {le=+Inf,job=a} "
                                  "v=144320 bound=+Inf"),
                   QStringLiteral("rpc_seconds_sum fam=rpc_seconds histogram_sum {job=a} v=53423"),
                   QStringLiteral("rpc_seconds_count fam=rpc_seconds histogram_count {job=a} v=144320")};
        QTest::newRow("text summary")
            << Text
            << QByteArray("# TYPE lat summary\nlat{quantile=\"0.5\"} 4773\nlat{quantile=\"0.99\"} 76656\n"
                          "lat_sum 1.7560473e+07\nlat_count 2693\n")
            << QStringList {QStringLiteral("TYPE lat summary"),
                   QStringLiteral("lat fam=lat summary {quantile=0.5} v=4773 bound=0.5"),
                   QStringLiteral("lat fam=lat summary {quantile=0.99} v=76656 bound=0.99"),
                   QStringLiteral("lat_sum fam=lat summary_sum {} v=17560473"),
                   QStringLiteral("lat_count fam=lat summary_count {} v=2693")};
        QTest::newRow("text type letter case, utf-8 value")
            << Text << QByteArray("# TYPE g GAUGE\ng{city=\"Z\xc3\xbcrich\"} 1\n")
            << QStringList {QStringLiteral("TYPE g gauge"), QStringLiteral("g fam=g gauge {city=Zürich} v=1")};
        QTest::newRow("text empty body") << Text << QByteArray() << QStringList {};
        QTest::newRow("text last line blank without line feed")
            << Text << QByteArray("a 1\n   ") << QStringList {QStringLiteral("a fam=a unknown {} v=1")};

        QTest::newRow("om counter with created, exemplar, float timestamps")
            << OM
            << QByteArray("# TYPE foo counter\n"
                          "# HELP foo Some \\\"text\\\" \\\\ \\n.\n"
                          "foo_total{a=\"1\"} 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67 1520879602.890\n"
                          "foo_created{a=\"1\"} 1520430000.123\n"
                          "# EOF\n")
            << QStringList {QStringLiteral("TYPE foo counter"), QStringLiteral("HELP foo [Some \"text\" \\ <LF>.]"),
                   QStringLiteral("foo_total fam=foo counter_total {a=1} v=17 ts=1520879607789 "
                                  "ex={trace_id=KOO5S4vxi0o}:0.67@1520879602.89"),
                   QStringLiteral("foo_created fam=foo counter_created {a=1} v=1520430000.123")};
        QTest::newRow("om histogram, unit, info, stateset, gaugehistogram, unknown")
            << OM
            << QByteArray("# TYPE req_seconds histogram\n"
                          "# UNIT req_seconds seconds\n"
                          "req_seconds_bucket{le=\"0.1\"} 1 # {trace_id=\"a\"} 0.05\n"
                          "req_seconds_bucket{le=\"+Inf\"} 3\n"
                          "req_seconds_count 3\n"
                          "req_seconds_sum 0.7\n"
                          "req_seconds_created 1.5e9\n"
                          "# TYPE build info\n"
                          "build_info{version=\"1.2\"} 1\n"
                          "# TYPE state stateset\n"
                          "state{state=\"a\"} 1\n"
                          "state{state=\"b\"} 0\n"
                          "# TYPE gh gaugehistogram\n"
                          "gh_bucket{le=\"1\"} 2\n"
                          "gh_bucket{le=\"+Inf\"} 3\n"
                          "gh_gcount 3\n"
                          "gh_gsum 4\n"
                          "untyped_thing{x=\"\"} -1.5e-3\n"
                          "# EOF")
            << QStringList {QStringLiteral("TYPE req_seconds histogram"), QStringLiteral("UNIT req_seconds seconds"),
                   QStringLiteral("req_seconds_bucket fam=req_seconds histogram_bucket {le=0.1} v=1 bound=0.1 "
                                  "ex={trace_id=a}:0.05"),
                   QStringLiteral("req_seconds_bucket fam=req_seconds histogram_bucket {le=+Inf} v=3 bound=+Inf"),
                   QStringLiteral("req_seconds_count fam=req_seconds histogram_count {} v=3"),
                   QStringLiteral("req_seconds_sum fam=req_seconds histogram_sum {} v=0.7"),
                   QStringLiteral("req_seconds_created fam=req_seconds histogram_created {} v=1500000000"),
                   QStringLiteral("TYPE build info"),
                   QStringLiteral("build_info fam=build info_info {version=1.2} v=1"),
                   QStringLiteral("TYPE state stateset"), QStringLiteral("state fam=state stateset {state=a} v=1"),
                   QStringLiteral("state fam=state stateset {state=b} v=0"), QStringLiteral("TYPE gh gaugehistogram"),
                   QStringLiteral("gh_bucket fam=gh gaugehistogram_bucket {le=1} v=2 bound=1"),
                   QStringLiteral("gh_bucket fam=gh gaugehistogram_bucket {le=+Inf} v=3 bound=+Inf"),
                   QStringLiteral("gh_gcount fam=gh gaugehistogram_gcount {} v=3"),
                   QStringLiteral("gh_gsum fam=gh gaugehistogram_gsum {} v=4"),
                   QStringLiteral("untyped_thing fam=untyped_thing unknown {x=} v=-0.0015")};
        QTest::newRow("om escapes and NaN spellings")
            << OM << QByteArray("a{p=\"C:\\\\x\\\"y\\\"\\n\"} NaN\nb -Inf\nc +inf\nd Nan 1.5\n# EOF\n")
            << QStringList {QStringLiteral("a fam=a unknown {p=C:\\x\"y\"<LF>} v=NaN"),
                   QStringLiteral("b fam=b unknown {} v=-Inf"), QStringLiteral("c fam=c unknown {} v=+Inf"),
                   QStringLiteral("d fam=d unknown {} v=NaN ts=1500")};
        QTest::newRow("om empty exposition") << OM << QByteArray("# EOF\n") << QStringList {};
    }

    void testValid()
    {
        QFETCH(pw::ExpositionFormat, format);
        QFETCH(QByteArray, input);
        QFETCH(QStringList, expected);
        pw::ExpositionParser parser;
        DumpHandler handler;
        const auto result = parser.parse(std::string_view(input.constData(), input.size()), format, handler);
        if (!result)
            QFAIL(qPrintable(result.error().toString()));
        QCOMPARE(handler.lines, expected);
    }

    void testMalformed_data()
    {
        QTest::addColumn<pw::ExpositionFormat>("format");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("message");

        QTest::newRow("text missing comma")
            << Text << QByteArray("foo{a=\"b\" c=\"d\"} 1\n") << 1 << 11 << QStringLiteral("expected ',' or '}'");
        QTest::newRow("text text after timestamp")
            << Text << QByteArray("ok 1\nfoo 1 2 3\n") << 2 << 9 << QStringLiteral("end of line after the timestamp");
        QTest::newRow("text value not a number")
            << Text << QByteArray("foo abc\n") << 1 << 5 << QStringLiteral("expected a float sample value");
        QTest::newRow("text signed NaN") << Text << QByteArray("foo -NaN\n") << 1 << 5
                                         << QStringLiteral("expected a float sample value");
        QTest::newRow("text hex float") << Text << QByteArray("foo 0x1p3\n") << 1 << 5
                                        << QStringLiteral("expected a float sample value");
        QTest::newRow("text invalid label escape")
            << Text << QByteArray("foo{a=\"b\\x\"} 1\n") << 1 << 9 << QStringLiteral("invalid escape sequence '\\x'");
        QTest::newRow("text unterminated label value")
            << Text << QByteArray("foo{a=\"open} 1\n") << 1 << 15 << QStringLiteral("expected '\"' to close");
        QTest::newRow("text missing final line feed (truncated)")
            << Text << QByteArray("a 1\nfoo 1") << 2 << 6 << QStringLiteral("line feed");
        QTest::newRow("text second TYPE") << Text << QByteArray("# TYPE foo gauge\n# TYPE foo counter\n") << 2 << 8
                                          << QStringLiteral("second TYPE line");
        QTest::newRow("text TYPE after samples")
            << Text << QByteArray("foo 1\n# TYPE foo gauge\n") << 2 << 8 << QStringLiteral("TYPE after its samples");
        QTest::newRow("text second HELP")
            << Text << QByteArray("# HELP foo a\n# HELP foo b\n") << 2 << 8 << QStringLiteral("second HELP line");
        QTest::newRow("text unknown type")
            << Text << QByteArray("# TYPE foo bogus\n") << 1 << 12 << QStringLiteral("expected a metric type");
        QTest::newRow("text duplicate label")
            << Text << QByteArray("foo{a=\"1\",a=\"2\"} 1\n") << 1 << 11 << QStringLiteral("duplicate label name 'a'");
        QTest::newRow("text invalid HELP escape") << Text << QByteArray("# HELP foo bad\\t\n") << 1 << 15
                                                  << QStringLiteral("invalid escape sequence in HELP");
        QTest::newRow("text float timestamp")
            << Text << QByteArray("foo 1 1.5\n") << 1 << 7 << QStringLiteral("integer timestamp");
        QTest::newRow("text le not a float") << Text << QByteArray("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n") << 2
                                             << 14 << QStringLiteral("expected a float in label 'le'");
        QTest::newRow("text label name starts with digit")
            << Text << QByteArray("foo{1a=\"x\"} 1\n") << 1 << 5 << QStringLiteral("expected a label name");
        QTest::newRow("text no metric name")
            << Text << QByteArray("{a=\"b\"} 1\n") << 1 << 1 << QStringLiteral("expected a metric name");
        QTest::newRow("text reserved label")
            << Text << QByteArray("foo{__name__=\"x\"} 1\n") << 1 << 5 << QStringLiteral("reserved");
        QTest::newRow("text value missing")
            << Text << QByteArray("foo{a=\"b\"}\n") << 1 << 11 << QStringLiteral("expected a sample value");
        QTest::newRow("text invalid utf-8")
            << Text << QByteArray("foo{a=\"\xff\"} 1\n") << 1 << 8 << QStringLiteral("invalid UTF-8");
        QTest::newRow("text garbage after name")
            << Text << QByteArray("foo-bar 1\n") << 1 << 4 << QStringLiteral("after the metric name");
        QTest::newRow("text CRLF line ending")
            << Text << QByteArray("foo 1\r\n") << 1 << 5 << QStringLiteral("expected a float sample value");

        QTest::newRow("om missing EOF (truncated)")
            << OM << QByteArray("foo 1\n") << 2 << 1 << QStringLiteral("expected '# EOF'");
        QTest::newRow("om content after EOF")
            << OM << QByteArray("# EOF\nfoo 1\n") << 2 << 1 << QStringLiteral("nothing after '# EOF'");
        QTest::newRow("om EOF with trailing space")
            << OM << QByteArray("# EOF \n") << 1 << 6 << QStringLiteral("end of line after '# EOF'");
        QTest::newRow("om counter without _total")
            << OM << QByteArray("# TYPE foo counter\nfoo 1\n# EOF\n") << 2 << 1 << QStringLiteral("_total or _created");
        QTest::newRow("om exemplar on a gauge") << OM << QByteArray("# TYPE g gauge\ng 1 # {a=\"b\"} 1\n# EOF\n") << 2
                                                << 5 << QStringLiteral("exemplars are only allowed");
        QTest::newRow("om two spaces") << OM << QByteArray("foo  1\n# EOF\n") << 1 << 5
                                       << QStringLiteral("expected a float sample value");
        QTest::newRow("om empty line") << OM << QByteArray("foo 1\n\n# EOF\n") << 2 << 1
                                       << QStringLiteral("unexpected empty line");
        QTest::newRow("om interleaved families")
            << OM << QByteArray("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n") << 5 << 1
            << QStringLiteral("interleaving");
        QTest::newRow("om bucket without le") << OM << QByteArray("# TYPE h histogram\nh_bucket 1\n# EOF\n") << 2 << 9
                                              << QStringLiteral("expected a 'le' label");
        QTest::newRow("om free comment") << OM << QByteArray("# hello\n# EOF\n") << 1 << 3
                                         << QStringLiteral("expected TYPE, HELP, UNIT or EOF");
        QTest::newRow("om unit not a suffix") << OM << QByteArray("# TYPE foo gauge\n# UNIT foo seconds\n# EOF\n") << 2
                                              << 12 << QStringLiteral("must be a suffix");
        QTest::newRow("om trailing comma")
            << OM << QByteArray("foo{a=\"1\",} 1\n# EOF\n") << 1 << 11 << QStringLiteral("no trailing comma");
        QTest::newRow("om metadata after samples") << OM << QByteArray("# TYPE a gauge\na 1\n# HELP a late\n# EOF\n")
                                                   << 3 << 8 << QStringLiteral("after its samples");
        QTest::newRow("om exemplar labels over 128 characters")
            << OM << QByteArray("# TYPE c counter\nc_total 1 # {trace_id=\"" + QByteArray(130, 'x') + "\"} 1\n# EOF\n")
            << 2 << 13 << QStringLiteral("at most 128");
        QTest::newRow("om leading blank")
            << OM << QByteArray(" foo 1\n# EOF\n") << 1 << 1 << QStringLiteral("expected a metric name or '#'");
        QTest::newRow("om integer-only text timestamp overflow")
            << OM << QByteArray("foo 1 1e300\n# EOF\n") << 1 << 7 << QStringLiteral("out of range");
        QTest::newRow("om body ends mid-line")
            << OM << QByteArray("foo 1\nbar 2") << 2 << 6 << QStringLiteral("line feed");
    }

    void testMalformed()
    {
        QFETCH(pw::ExpositionFormat, format);
        QFETCH(QByteArray, input);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, message);
        pw::ExpositionParser parser;
        DumpHandler handler;
        const auto result = parser.parse(std::string_view(input.constData(), input.size()), format, handler);
        QVERIFY2(!result, "a malformed exposition was accepted");
        const pw::Error& e = result.error();
        QCOMPARE(e.code, pw::Error::Code::Parse);
        QVERIFY2(e.message.contains(message), qPrintable(e.message));
        QCOMPARE(e.line, line);
        QCOMPARE(e.column, column);
    }

    void testContentType_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<int>("format"); // -1 = rejected
        QTest::newRow("text 0.0.4") << QByteArray("text/plain; version=0.0.4; charset=utf-8") << int(Text);
        QTest::newRow("text without version") << QByteArray("text/plain") << int(Text);
        QTest::newRow("text upper case") << QByteArray("Text/Plain;Version=0.0.4") << int(Text);
        QTest::newRow("openmetrics 1.0.0")
            << QByteArray("application/openmetrics-text; version=1.0.0; charset=utf-8") << int(OM);
        QTest::newRow("openmetrics 0.0.1") << QByteArray("application/openmetrics-text; version=0.0.1") << int(OM);
        QTest::newRow("html") << QByteArray("text/html; charset=utf-8") << -1;
        QTest::newRow("json") << QByteArray("application/json") << -1;
        QTest::newRow("protobuf") << QByteArray(
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily")
                                  << -1;
        QTest::newRow("empty") << QByteArray() << -1;
        QTest::newRow("text 1.0.0 (utf-8 names)") << QByteArray("text/plain; version=1.0.0") << -1;
    }

    void testContentType()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(int, format);
        const auto f
            = pw::expositionFormatFromContentType(std::string_view(contentType.constData(), contentType.size()));
        QCOMPARE(f ? int(*f) : -1, format);
    }

    void testNoAllocationsWhenWarm()
    {
        QByteArray input;
        input += "# HELP sink_seconds Commit latency.\n# TYPE sink_seconds histogram\n";
        for (int s = 0; s < 50; ++s) {
            for (const char* le : {"0.005", "0.01", "0.1", "1", "+Inf"})
                input += "sink_seconds_bucket{instance=\"10.0.0." + QByteArray::number(s) + ":9100\",job=\"sink\",le=\""
                    + le + "\"} " + QByteArray::number(s * 7) + "\n";
            input += "sink_seconds_count{instance=\"10.0.0." + QByteArray::number(s) + ":9100\",job=\"sink\"} 1\n";
        }
        input += "errors_total{path=\"a\\\\b\",msg=\"x\\\"y\\ny\"} Nan 1700000000000\n";
        pw::ExpositionParser parser;
        CountHandler handler;
        const std::string_view data(input.constData(), input.size());
        QVERIFY(parser.parse(data, Text, handler)); // warm-up: interning, families, buffers
        g_allocations = 0;
        g_counting = true;
        const auto second = parser.parse(data, Text, handler);
        g_counting = false;
        QVERIFY(second);
        QCOMPARE(second->samples, 301);
        QCOMPARE(g_allocations, 0L);
    }

    void testInternedIdsStable()
    {
        pw::ExpositionParser parser;
        CountHandler handler;
        QVERIFY(parser.parse("a{job=\"x\",pod=\"y\"} 1\n", Text, handler));
        const auto job = parser.labelNameId("job");
        QVERIFY(job.has_value());
        QVERIFY(parser.parse("b{pod=\"y\",job=\"x\"} 1\n", Text, handler));
        QCOMPARE(parser.labelNameId("job"), job);
        QCOMPARE(parser.labelName(*job), std::string_view("job"));
        QCOMPARE(parser.labelNameId("le"), std::optional<quint32>(pw::ExpositionParser::leNameId));
        QVERIFY(!parser.labelNameId("never_seen"));
    }

    void testTypesDoNotLeakBetweenParses()
    {
        // A family's TYPE belongs to one exposition: the next parse with the same parser starts afresh.
        pw::ExpositionParser parser;
        DumpHandler first;
        QVERIFY(parser.parse("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n", Text, first));
        DumpHandler second;
        QVERIFY(parser.parse("h_bucket{le=\"1\"} 1\n", Text, second));
        QCOMPARE(second.lines, QStringList {QStringLiteral("h_bucket fam=h_bucket unknown {le=1} v=1")});
    }

    void testFamilies()
    {
        const QByteArray input("# TYPE lat histogram\n"
                               "# HELP lat Latency.\n"
                               "lat_bucket{pod=\"b\",le=\"1\"} 2\n"
                               "lat_bucket{le=\"1\",pod=\"a\"} 1\n"
                               "lat_bucket{pod=\"b\",le=\"+Inf\"} 4\n"
                               "lat_bucket{le=\"+Inf\",pod=\"a\"} 3\n"
                               "lat_count{pod=\"a\"} 3\n"
                               "other 5\n");
        auto families = pw::parseExpositionFamilies(
            std::string_view(input.constData(), input.size()), Text, [](std::string_view f) { return f == "lat"; });
        QVERIFY(families);
        QCOMPARE(families->families.size(), std::size_t(1));
        const pw::ExpositionFamily* lat = families->find("lat");
        QVERIFY(lat);
        QCOMPARE(lat->type, pw::MetricType::Histogram);
        QCOMPARE(lat->help, std::string("Latency."));
        QCOMPARE(lat->metrics.size(), std::size_t(2));
        QCOMPARE(lat->metrics[0].label("pod"), std::string_view("b"));
        QCOMPARE(lat->metrics[0].points.size(), std::size_t(2));
        QCOMPARE(lat->metrics[1].label("pod"), std::string_view("a"));
        QCOMPARE(lat->metrics[1].points.size(), std::size_t(3)); // labels in another order are the same series
        QCOMPARE(lat->metrics[1].points[1].bound, std::numeric_limits<double>::infinity());
        QCOMPARE(lat->metrics[1].points[2].suffix, pw::SampleSuffix::Count);
        QVERIFY(!families->find("other"));
    }
};

QTEST_GUILESS_MAIN(TestExpositionParser)
#include "tst_expositionparser.moc"
