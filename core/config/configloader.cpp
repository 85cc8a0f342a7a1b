// Loads the YAML config into PipelineConfig. yaml-cpp only parses; every check (types, unknown and duplicate keys,
// references, ${ENV}) is ours, so each error can name file:line:column (1-based), what was expected and a fix.
// The walk is driven by the schema, never by the document's shape: YAML aliases can form cycles (`&a [*a]`) and
// yaml-cpp keeps duplicate map keys in iteration order, both of which a generic recursive walk would trip over.
#include "config/config.h"
#include "config/schema.h"
#include "sources/httpproxy.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTimeZone>
#include <QUrl>

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

namespace pw {

namespace {

constexpr qint64 kMaxConfigBytes = 8LL * 1024 * 1024;
constexpr qint64 kMaxBodyCap = 1LL << 30;

/// Thrown inside the loader only and turned into a Result at its boundary: the first error ends the load.
struct Failure
{
    Error error;
};

struct Pos
{
    int line = 0; // 1-based, 0 = unknown
    int column = 0;
};

Pos toPos(const YAML::Mark& mark)
{
    if (mark.is_null() || mark.line < 0 || mark.column < 0)
        return {};
    return {mark.line + 1, mark.column + 1};
}

QString q(const QString& s)
{
    return QLatin1Char('`') + s + QLatin1Char('`');
}

QString fromStd(const std::string& s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

/// What a node is, for "expected X, got Y". Never the content: it may be a secret.
QString shapeName(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map:
        return QStringLiteral("a map");
    case YAML::NodeType::Sequence:
        return QStringLiteral("a list");
    case YAML::NodeType::Scalar:
        return QStringLiteral("a single value");
    default:
        return QStringLiteral("nothing");
    }
}

QString defaultStageTitle(const QString& id)
{
    if (id == QLatin1String("source_log"))
        return QStringLiteral("Source log");
    QString title = id;
    title.replace(u'_', u' ');
    if (!title.isEmpty())
        title[0] = title[0].toUpper();
    return title;
}

const QRegularExpression& reStageId()
{
    thread_local const QRegularExpression re(QStringLiteral("^[a-z0-9_]+$"));
    return re;
}
const QRegularExpression& reName()
{
    thread_local const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]*$"));
    return re;
}
const QRegularExpression& reMetricName()
{
    thread_local const QRegularExpression re(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    return re;
}
const QRegularExpression& reLabelName()
{
    thread_local const QRegularExpression re(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*$"));
    return re;
}
const QRegularExpression& reHeaderName()
{
    // RFC 9110 token characters.
    thread_local const QRegularExpression re(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
    return re;
}
const QRegularExpression& reFlinkJobId()
{
    thread_local const QRegularExpression re(QStringLiteral("^[0-9a-fA-F]{32}$"));
    return re;
}

/// One key of a map, with where it and its value are.
struct Entry
{
    QString key;
    YAML::Node value;
    Pos keyPos;
    Pos valuePos; // the key's position when the value is empty
};

/// A scalar after ${ENV} resolution, with what may be said about it in an error.
struct Value
{
    QString text;
    Pos pos;
    QString key;
    QString envVar; // first ${NAME} used, when any: the text must then not be echoed
    bool secret = false;

    /// How an error may quote the value: secrets and values from the environment are never echoed.
    QString shown() const
    {
        if (secret)
            return QStringLiteral("the value of ") + q(key) + QStringLiteral(" (not shown)");
        if (!envVar.isEmpty())
            return QStringLiteral("the value from ${") + envVar + QLatin1Char('}');
        QString t = text.left(60);
        if (text.size() > 60)
            t += QStringLiteral("…");
        return q(t);
    }
};

/// Records where each document of a stream with content starts (documents that are only `null` do not count).
class DocumentCounter final : public YAML::EventHandler
{
public:
    explicit DocumentCounter(std::vector<YAML::Mark>& roots)
        : m_roots(roots)
    { }
    void OnDocumentStart(const YAML::Mark&) override { m_rootPending = true; }
    void OnDocumentEnd() override { m_rootPending = false; }
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { root(mark, false); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { root(mark, true); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override
    {
        root(mark, true);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        root(mark, true);
    }
    void OnSequenceEnd() override { }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        root(mark, true);
    }
    void OnMapEnd() override { }

private:
    void root(const YAML::Mark& mark, bool content)
    {
        if (!m_rootPending)
            return;
        m_rootPending = false;
        if (content)
            m_roots.push_back(mark);
    }
    std::vector<YAML::Mark>& m_roots;
    bool m_rootPending = false;
};

class Loader;

/// A YAML map checked for shape and duplicate keys, with typed accessors whose errors name `what` ("source `prom`").
class MapView
{
public:
    MapView(const Loader& loader, const YAML::Node& node, QString what, Pos ownerPos);

    const QString& what() const { return m_what; }
    Pos pos() const { return m_pos; }
    const std::vector<Entry>& entries() const { return m_entries; }
    const Entry* find(QStringView key) const
    {
        for (const Entry& e : m_entries)
            if (e.key == key)
                return &e;
        return nullptr;
    }
    /// A missing required key is reported at the map that should hold it.
    const Entry& require(const QString& key, const QString& example) const;
    /// Every key must be in `allowed`; `elsewhere` may explain where a misplaced key belongs.
    void allowOnly(const QStringList& allowed, const std::function<QString(const QString&)>& elsewhere = {}) const;

private:
    const Loader& m_loader;
    QString m_what;
    Pos m_pos;
    std::vector<Entry> m_entries;
};

class Loader
{
public:
    Loader(QString file, QString baseDir)
        : m_file(std::move(file))
        , m_baseDir(std::move(baseDir))
    { }

    [[noreturn]] void fail(Pos pos, QString message, QString hint = {}) const
    {
        Error e = Error::make(Error::Code::Config, std::move(message));
        e.file = m_file;
        e.line = pos.line;
        e.column = pos.column;
        e.hint = std::move(hint);
        throw Failure {std::move(e)};
    }

    PipelineConfig load(const QByteArray& yaml);

    // Typed accessors. `expected` reads as "expected <expected> for `key` in <what>".
    Value scalar(const MapView& map, const Entry& e, const QString& expected, bool secret = false) const;
    QString string(const MapView& map, const Entry& e, bool secret = false, bool allowEmpty = false) const;
    qint64 duration(const MapView& map, const Entry& e, qint64 minMs) const;
    double number(const MapView& map, const Entry& e, const QString& unit) const;
    qint64 integer(const MapView& map, const Entry& e, qint64 min, qint64 max) const;
    bool boolean(const MapView& map, const Entry& e) const;
    qint64 byteSize(const MapView& map, const Entry& e, qint64 minBytes = 1024, qint64 maxBytes = 0,
        const QString& rangeHint = {}) const;
    QString oneOf(const MapView& map, const Entry& e, const QStringList& options, const QString& noun) const;
    QString timeZone(const MapView& map, const Entry& e) const;

private:
    QString resolveEnv(const QString& raw, const MapView& map, const Entry& e, QString* firstVar) const;
    void parsePipeline(const MapView& top, PipelineConfig& config) const;
    void parseExport(const MapView& top, PipelineConfig& config) const;
    void parseLedger(const MapView& top, PipelineConfig& config) const;
    void parseNotifications(const MapView& top, PipelineConfig& config) const;
    void parseHeaders(const MapView& map, const Entry& e, std::vector<std::pair<QString, QString>>& out) const;
    void parseRecovery(const MapView& top, PipelineConfig& config) const;
    void parseReadiness(const MapView& top, PipelineConfig& config) const;
    void parseReconcile(const MapView& top, PipelineConfig& config) const;
    QStringList scalarList(const MapView& map, const Entry& e, const QString& example) const;
    void judgeHeadroomByRecoveryWindow(PipelineConfig& config) const;
    SourceConfig parseSource(const Entry& entry) const;
    QString httpUrl(const MapView& map, const Entry& e, const QString& example) const;
    void parseHttp(const MapView& map, SourceConfig& source) const;
    void parseSql(const MapView& map, SourceConfig& source) const;
    void parseKafka(const MapView& map, SourceConfig& source) const;
    void parseStages(const MapView& top, PipelineConfig& config) const;
    SignalConfig parseSignal(const YAML::Node& node, const StageConfig& stage, int index, Pos listPos,
        const PipelineConfig& config, const std::map<QString, std::pair<Pos, QString>>& namesSoFar) const;
    void parseThresholds(const MapView& signal, const Entry& e, SignalConfig& out) const;
    void parseParams(const MapView& map, const SourceConfig& source, SignalConfig& out) const;
    /// Where `${NAME}` sits on the value's line, when it can be found there (quoting and escapes may move it).
    Pos referencePos(Pos valuePos, const QString& reference) const
    {
        if (valuePos.line <= 0 || valuePos.line > m_lines.size())
            return valuePos;
        const QByteArray& lineText = m_lines[valuePos.line - 1];
        const qsizetype at = lineText.indexOf(reference.toUtf8(), valuePos.column - 1);
        return at < 0 ? valuePos : Pos {valuePos.line, int(at) + 1};
    }
    QString absolutePath(const QString& path) const
    {
        return QDir::isAbsolutePath(path) ? path : QDir(m_baseDir).absoluteFilePath(path);
    }

    QString m_file;
    QString m_baseDir;
    QList<QByteArray> m_lines; // the text, for pointing inside a scalar
};

// --- MapView ---------------------------------------------------------------------------------------------------

MapView::MapView(const Loader& loader, const YAML::Node& node, QString what, Pos ownerPos)
    : m_loader(loader)
    , m_what(std::move(what))
{
    m_pos = toPos(node.Mark());
    if (m_pos.line == 0)
        m_pos = ownerPos;
    if (!node.IsMap())
        loader.fail(node.IsNull() ? ownerPos : m_pos,
            QStringLiteral("expected a map of settings for %1, got %2").arg(m_what, shapeName(node)),
            QStringLiteral("write `key: value` lines indented under it"));
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first; // a copy: `it->` yields a temporary proxy
        const Pos keyPos = toPos(key.Mark());
        if (!key.IsScalar())
            loader.fail(keyPos.line ? keyPos : m_pos,
                QStringLiteral("expected a plain name as key in %1, got %2").arg(m_what, shapeName(key)),
                QStringLiteral("keys are words like `interval`"));
        Entry entry;
        entry.key = fromStd(key.Scalar());
        entry.value = it->second;
        entry.keyPos = keyPos;
        entry.valuePos = toPos(it->second.Mark());
        if (entry.value.IsNull() || entry.valuePos.line == 0)
            entry.valuePos = keyPos;
        if (const Entry* first = find(entry.key)) {
            // yaml-cpp keeps both pairs; a lookup would silently use one of them.
            loader.fail(keyPos,
                QStringLiteral("duplicate key %1 in %2: first at line %3, again at line %4")
                    .arg(q(entry.key.left(80)), m_what, QString::number(first->keyPos.line),
                        QString::number(keyPos.line)),
                QStringLiteral("YAML would silently keep only one of them; remove or merge one"));
        }
        m_entries.push_back(std::move(entry));
    }
}

const Entry& MapView::require(const QString& key, const QString& example) const
{
    if (const Entry* e = find(key))
        return *e;
    m_loader.fail(m_pos, QStringLiteral("%1 is missing the required key %2").arg(m_what, q(key)),
        QStringLiteral("add `%1: %2`").arg(key, example));
}

void MapView::allowOnly(const QStringList& allowed, const std::function<QString(const QString&)>& elsewhere) const
{
    for (const Entry& e : m_entries) {
        if (allowed.contains(e.key))
            continue;
        QString hint;
        if (e.key == QLatin1String("<<"))
            hint = QStringLiteral("YAML merge keys (`<<: *anchor`) are not supported; write the settings out; ");
        const QString close = schema::closestMatch(e.key, allowed);
        if (!close.isEmpty())
            hint = QStringLiteral("did you mean %1? ").arg(q(close));
        if (elsewhere) {
            const QString where = elsewhere(e.key);
            if (!where.isEmpty())
                hint += where + QStringLiteral("; ");
        }
        QStringList sorted = allowed;
        sorted.sort();
        hint += QStringLiteral("allowed keys here: ") + schema::joined(sorted);
        m_loader.fail(e.keyPos, QStringLiteral("unknown key %1 in %2").arg(q(e.key.left(80)), m_what), hint);
    }
}

// --- scalars ---------------------------------------------------------------------------------------------------

QString Loader::resolveEnv(const QString& raw, const MapView& map, const Entry& e, QString* firstVar) const
{
    if (!raw.contains(u'$'))
        return raw;
    thread_local const QRegularExpression nameRe(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    QString out;
    qsizetype i = 0;
    while (i < raw.size()) {
        const QChar c = raw[i];
        if (c == u'$' && QStringView(raw).mid(i, 3) == QLatin1String("$${")) {
            out += QStringLiteral("${"); // escaped: a literal ${
            i += 3;
            continue;
        }
        if (c == u'$' && i + 1 < raw.size() && raw[i + 1] == u'{') {
            const qsizetype close = raw.indexOf(u'}', i + 2);
            if (close < 0)
                fail(e.valuePos, QStringLiteral("unterminated ${ in %1 of %2").arg(q(e.key), map.what()),
                    QStringLiteral("write ${NAME}; write $${ for a literal ${"));
            const QString name = raw.mid(i + 2, close - i - 2);
            if (!nameRe.match(name).hasMatch())
                fail(e.valuePos,
                    QStringLiteral("invalid environment variable name in %1 of %2").arg(q(e.key), map.what()),
                    QStringLiteral("names are letters, digits and _, not starting with a digit, as in "
                                   "${PROM_TOKEN}; write $${ for a literal ${"));
            if (!qEnvironmentVariableIsSet(name.toLocal8Bit().constData()))
                fail(referencePos(e.valuePos, raw.mid(i, close - i + 1)),
                    QStringLiteral("environment variable %1 is not set (used by %2 of %3)")
                        .arg(name, q(e.key), map.what()),
                    QStringLiteral("export %1 before starting pathwatch").arg(name));
            if (firstVar && firstVar->isEmpty())
                *firstVar = name;
            out += qEnvironmentVariable(name.toLocal8Bit().constData());
            i = close + 1;
            continue;
        }
        out += c;
        ++i;
    }
    return out;
}

Value Loader::scalar(const MapView& map, const Entry& e, const QString& expected, bool secret) const
{
    if (e.value.IsNull())
        fail(e.keyPos, QStringLiteral("%1 in %2 has no value").arg(q(e.key), map.what()),
            QStringLiteral("expected %1 after `%2:`").arg(expected, e.key));
    if (!e.value.IsScalar())
        fail(e.valuePos,
            QStringLiteral("expected %1 for %2 in %3, got %4").arg(expected, q(e.key), map.what(), shapeName(e.value)),
            QStringLiteral("write it on one line: `%1: ...`").arg(e.key));
    Value v;
    v.key = e.key;
    v.pos = e.valuePos;
    v.secret = secret;
    v.text = resolveEnv(fromStd(e.value.Scalar()), map, e, &v.envVar);
    return v;
}

QString Loader::string(const MapView& map, const Entry& e, bool secret, bool allowEmpty) const
{
    const Value v = scalar(map, e, QStringLiteral("a string"), secret);
    if (!allowEmpty && v.text.trimmed().isEmpty())
        fail(v.pos, QStringLiteral("%1 in %2 is empty").arg(q(e.key), map.what()),
            QStringLiteral("give it a value or remove the key"));
    return v.text;
}

qint64 Loader::duration(const MapView& map, const Entry& e, qint64 minMs) const
{
    const Value v = scalar(map, e, QStringLiteral("a duration like 5s"));
    const auto ms = parseDurationMs(v.text);
    if (!ms)
        fail(v.pos,
            QStringLiteral("expected a duration like 5s for %1 in %2, got %3").arg(q(e.key), map.what(), v.shown()),
            ms.error().hint);
    if (*ms < minMs)
        fail(v.pos,
            QStringLiteral("%1 in %2 must be at least %3, got %4")
                .arg(q(e.key), map.what(), formatDurationMs(minMs), v.shown()),
            QStringLiteral("use a longer duration"));
    return *ms;
}

double Loader::number(const MapView& map, const Entry& e, const QString& unit) const
{
    const Value v = scalar(map, e, QStringLiteral("a number"));
    bool ok = false;
    double d = v.text.trimmed().toDouble(&ok);
    if (!ok && unit == QLatin1String("s")) {
        // Limits of signals measured in seconds may be written as durations (`warn: 30s`).
        if (const auto ms = parseDurationMs(v.text)) {
            d = double(*ms) / 1000.0;
            ok = true;
        }
    }
    if (!ok || !std::isfinite(d))
        fail(v.pos, QStringLiteral("expected a number for %1 in %2, got %3").arg(q(e.key), map.what(), v.shown()),
            unit == QLatin1String("s") ? QStringLiteral("write seconds as a number (2.5) or a duration (2500ms)")
                                       : QStringLiteral("write a plain number such as 2.5"));
    return d;
}

qint64 Loader::integer(const MapView& map, const Entry& e, qint64 min, qint64 max) const
{
    const Value v = scalar(map, e, QStringLiteral("a whole number"));
    bool ok = false;
    const qint64 n = v.text.trimmed().toLongLong(&ok);
    if (!ok)
        fail(v.pos, QStringLiteral("expected a whole number for %1 in %2, got %3").arg(q(e.key), map.what(), v.shown()),
            QStringLiteral("write digits only, between %1 and %2").arg(min).arg(max));
    if (n < min || n > max)
        fail(v.pos,
            QStringLiteral("%1 in %2 must be between %3 and %4, got %5")
                .arg(q(e.key), map.what(), QString::number(min), QString::number(max), v.shown()),
            QStringLiteral("pick a value in range"));
    return n;
}

bool Loader::boolean(const MapView& map, const Entry& e) const
{
    const Value v = scalar(map, e, QStringLiteral("true or false"));
    const QString t = v.text.trimmed().toLower();
    if (t == QLatin1String("true") || t == QLatin1String("yes") || t == QLatin1String("on"))
        return true;
    if (t == QLatin1String("false") || t == QLatin1String("no") || t == QLatin1String("off"))
        return false;
    fail(v.pos, QStringLiteral("expected true or false for %1 in %2, got %3").arg(q(e.key), map.what(), v.shown()),
        QStringLiteral("write `%1: true` or `%1: false`").arg(e.key));
}

qint64 Loader::byteSize(
    const MapView& map, const Entry& e, qint64 minBytes, qint64 maxBytes, const QString& rangeHint) const
{
    const Value v = scalar(map, e, QStringLiteral("a size in bytes"));
    thread_local const QRegularExpression re(
        QStringLiteral("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([KMG]i?B|B)?\\s*$"), QRegularExpression::CaseInsensitiveOption);
    const auto m = re.match(v.text);
    double bytes = -1;
    if (m.hasMatch()) {
        bytes = m.captured(1).toDouble();
        const QString unit = m.captured(2).toUpper();
        const bool binary = unit.contains(u'I');
        const double k = binary ? 1024.0 : 1000.0;
        if (unit.startsWith(u'K'))
            bytes *= k;
        else if (unit.startsWith(u'M'))
            bytes *= k * k;
        else if (unit.startsWith(u'G'))
            bytes *= k * k * k;
    }
    if (bytes < 0)
        fail(v.pos,
            QStringLiteral("expected a size in bytes for %1 in %2, got %3").arg(q(e.key), map.what(), v.shown()),
            QStringLiteral("write a number of bytes (16777216) or a size such as 16MiB or 64MB"));
    if (maxBytes == 0 && (bytes < 1024 || bytes > double(kMaxBodyCap)))
        fail(v.pos,
            QStringLiteral("%1 in %2 must be between 1KiB and 1GiB, got %3").arg(q(e.key), map.what(), v.shown()),
            QStringLiteral("the cap protects the console's memory; 16MiB suits JSON APIs, 64MiB large scrapes"));
    if (maxBytes > 0 && (bytes < double(minBytes) || bytes > double(maxBytes)))
        fail(v.pos, QStringLiteral("%1 in %2 is out of range, got %3").arg(q(e.key), map.what(), v.shown()), rangeHint);
    return qint64(bytes);
}

QString Loader::oneOf(const MapView& map, const Entry& e, const QStringList& options, const QString& noun) const
{
    const Value v = scalar(map, e, QStringLiteral("one of ") + schema::joined(options));
    if (options.contains(v.text))
        return v.text;
    QString hint;
    const QString close = schema::closestMatch(v.text, options);
    if (!close.isEmpty())
        hint = QStringLiteral("did you mean %1? ").arg(q(close));
    hint += QStringLiteral("valid %1s: %2").arg(noun, schema::joined(options));
    fail(v.pos, QStringLiteral("unknown %1 %2 for %3 in %4").arg(noun, v.shown(), q(e.key), map.what()), hint);
}

QString Loader::timeZone(const MapView& map, const Entry& e) const
{
    const Value v = scalar(map, e, QStringLiteral("a time zone"));
    const QString tz = v.text.trimmed();
    if (tz != QLatin1String("UTC") && tz != QLatin1String("local") && !QTimeZone(tz.toUtf8()).isValid())
        fail(v.pos, QStringLiteral("unknown time zone %1 for %2 in %3").arg(v.shown(), q(e.key), map.what()),
            QStringLiteral("use UTC, local, or an IANA name such as Europe/Berlin"));
    return tz;
}

// --- URLs and addresses ------------------------------------------------------------------------------------------

/// host:port with an optional [IPv6] host; returns false when malformed.
bool splitHostPort(QStringView text, qint64 minPort, QString* host, int* port)
{
    QStringView t = text.trimmed();
    qsizetype colon = -1;
    if (t.startsWith(u'[')) {
        const qsizetype close = t.indexOf(u']');
        if (close < 0 || close + 1 >= t.size() || t[close + 1] != u':')
            return false;
        colon = close + 1;
        *host = t.mid(1, close - 1).toString();
    } else {
        colon = t.lastIndexOf(u':');
        if (colon <= 0 || t.left(colon).contains(u':'))
            return false;
        *host = t.left(colon).toString();
    }
    if (host->isEmpty() || host->contains(u' ') || host->contains(u'/'))
        return false;
    bool ok = false;
    const int p = t.mid(colon + 1).toInt(&ok);
    if (!ok || p < minPort || p > 65535)
        return false;
    *port = p;
    return true;
}

// --- top level ---------------------------------------------------------------------------------------------------

PipelineConfig Loader::load(const QByteArray& yaml)
{
    m_lines = yaml.split('\n');
    YAML::Node root;
    std::vector<YAML::Mark> documents;
    try {
        const std::string text(yaml.constData(), size_t(yaml.size()));
        root = YAML::Load(text);
        // A second document is counted, not loaded: LoadAll can loop forever on a stray `,` (jbeder/yaml-cpp#1040),
        // so the parser is asked for at most a few documents.
        std::istringstream in(text);
        YAML::Parser parser(in);
        DocumentCounter counter(documents);
        for (int i = 0; i < 4 && documents.size() < 2 && parser.HandleNextDocument(counter); ++i) { }
    } catch (const YAML::Exception& ex) {
        fail(toPos(ex.mark), QStringLiteral("YAML syntax error: %1").arg(fromStd(ex.msg)),
            QStringLiteral("check indentation (spaces, not tabs), colons after keys and closing quotes or brackets "
                           "at or just before this point"));
    }

    if (root.IsNull() || documents.empty())
        fail({1, 1}, QStringLiteral("the config is empty"),
            QStringLiteral("a config needs at least `sources:` and `stages:`; see resources/examples/prometheus.yaml"));
    if (documents.size() > 1)
        fail(toPos(documents[1]), QStringLiteral("the config holds more than one YAML document"),
            QStringLiteral("remove the `---` line that starts the second document, or split it into two files"));

    if (!root.IsMap())
        fail(toPos(root.Mark()).line ? toPos(root.Mark()) : Pos {1, 1},
            QStringLiteral("expected a map at the top level, got %1").arg(shapeName(root)),
            QStringLiteral("the top level has the keys %1; see resources/examples/prometheus.yaml")
                .arg(schema::joined(schema::topLevelKeys())));

    MapView top(*this, root, QStringLiteral("the top level"), {1, 1});
    top.allowOnly(schema::topLevelKeys());
    top.require(QStringLiteral("sources"), QStringLiteral("{<id>: {kind: promql, url: ...}}"));
    top.require(QStringLiteral("stages"), QStringLiteral("[{id: sink, signals: [...]}]"));

    PipelineConfig config;
    config.filePath = m_file;
    parsePipeline(top, config);
    parseExport(top, config);
    parseLedger(top, config);
    parseNotifications(top, config);

    const Entry& sourcesEntry = *top.find(QStringLiteral("sources"));
    if (sourcesEntry.value.IsSequence())
        fail(sourcesEntry.valuePos, QStringLiteral("expected a map of source id to settings for `sources`, got a list"),
            QStringLiteral("write `prom:` (the id) on its own line under `sources:`, not `- ` items"));
    if (!sourcesEntry.value.IsNull()) {
        const MapView sources(*this, sourcesEntry.value, QStringLiteral("`sources`"), sourcesEntry.keyPos);
        for (const Entry& e : sources.entries()) {
            SourceConfig source = parseSource(e);
            config.sources.emplace(source.id, std::move(source));
        }
    }
    parseStages(top, config);
    parseRecovery(top, config);
    parseReadiness(top, config);
    parseReconcile(top, config);
    judgeHeadroomByRecoveryWindow(config);
    return config;
}

void Loader::parsePipeline(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("pipeline"));
    if (!e)
        return;
    const MapView map(*this, e->value, QStringLiteral("`pipeline`"), e->keyPos);
    map.allowOnly(schema::pipelineKeys());
    if (const Entry* name = map.find(QStringLiteral("name")))
        config.name = string(map, *name).trimmed();
    if (const Entry* window = map.find(QStringLiteral("recovery_window")))
        config.recoveryWindowMs = duration(map, *window, 1000);
}

void Loader::parseExport(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("export"));
    if (!e)
        return;
    const MapView map(*this, e->value, QStringLiteral("`export`"), e->keyPos);
    map.allowOnly(schema::exportKeys());
    if (const Entry* listen = map.find(QStringLiteral("listen"))) {
        const Value v = scalar(map, *listen, QStringLiteral("HOST:PORT"));
        QString host;
        int port = 0;
        // Port 0 asks the system for a free port (tests, several instances on one machine).
        if (!splitHostPort(v.text, 0, &host, &port))
            fail(v.pos, QStringLiteral("expected HOST:PORT for `listen` in `export`, got %1").arg(v.shown()),
                QStringLiteral("write it like 127.0.0.1:9464; [::1]:9464 for IPv6"));
        config.exporter.listen = v.text.trimmed();
    }
}

void Loader::parseNotifications(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("notifications"));
    if (!e)
        return;
    const MapView map(*this, e->value, QStringLiteral("`notifications`"), e->keyPos);
    map.allowOnly(schema::notificationKeys());
    const Entry* hook = map.find(QStringLiteral("webhook"));
    if (!hook)
        return;
    const MapView webhook(*this, hook->value, QStringLiteral("`notifications.webhook`"), hook->keyPos);
    webhook.allowOnly(schema::webhookKeys());
    const QString example = QStringLiteral("\"${PATHWATCH_WEBHOOK_URL}\"");
    const Entry& urlEntry = webhook.require(QStringLiteral("url"), example);
    // The URL is the secret (Slack and Mattermost put their token in the path): never echoed, never in the file.
    const Value url = scalar(webhook, urlEntry, QStringLiteral("a URL"), true);
    if (url.envVar.isEmpty())
        fail(url.pos, QStringLiteral("the `url` of %1 is written in the file").arg(webhook.what()),
            QStringLiteral("a webhook URL is a secret: take it from the environment, `url: %1`").arg(example));
    const QString text = url.text.trimmed();
    const QUrl parsed(text, QUrl::StrictMode);
    const QString scheme = parsed.scheme().toLower();
    if (!parsed.isValid() || parsed.host().isEmpty()
        || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        fail(url.pos,
            QStringLiteral("the `url` of %1 (from ${%2}) is not an http:// or https:// URL")
                .arg(webhook.what(), url.envVar),
            QStringLiteral("set %1 to the incoming-webhook URL your chat or alerting tool gives").arg(url.envVar));
    config.notifications.webhook.url = text;
    config.notifications.webhook.line = urlEntry.keyPos.line;
    if (const Entry* h = webhook.find(QStringLiteral("headers")))
        parseHeaders(webhook, *h, config.notifications.webhook.headers);
    if (const Entry* t = webhook.find(QStringLiteral("timeout")))
        config.notifications.webhook.timeoutMs = duration(webhook, *t, 100);
}

void Loader::parseLedger(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("ledger"));
    if (!e)
        return;
    const MapView map(*this, e->value, QStringLiteral("`ledger`"), e->keyPos);
    map.allowOnly(schema::ledgerKeys());
    if (const Entry* retention = map.find(QStringLiteral("retention"))) {
        config.ledger.retentionMs = duration(map, *retention, 1000);
        if (config.ledger.retentionMs < 3600 * 1000)
            fail(retention->valuePos,
                QStringLiteral("`retention` in `ledger` must be at least 1h, got %1")
                    .arg(formatDurationMs(config.ledger.retentionMs)),
                QStringLiteral("the ledger answers \"where were the offsets at T\" only as far back as it keeps rows; "
                               "the default is 14d"));
    }
    if (const Entry* max = map.find(QStringLiteral("max_bytes")))
        config.ledger.maxBytes = byteSize(map, *max, 1024 * 1024, 1024LL * 1024 * 1024 * 1024,
            QStringLiteral("give a size between 1MiB and 1TiB, e.g. 512MiB (the default)"));
}

void Loader::parseRecovery(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("recovery"));
    if (!e || e->value.IsNull())
        return;
    if (!e->value.IsSequence())
        fail(e->valuePos, QStringLiteral("expected a list for `recovery`, got %1").arg(shapeName(e->value)),
            QStringLiteral("write one `- group: ...` item per consumer group a replay may rewind"));
    int index = 0;
    for (auto it = e->value.begin(); it != e->value.end(); ++it, ++index) {
        const MapView map(*this, *it, QStringLiteral("recovery #%1").arg(index + 1), e->valuePos);
        map.allowOnly(schema::recoveryKeys());
        RecoveryConfig r;
        const Entry& group = map.require(QStringLiteral("group"), QStringLiteral("demo-aggregate"));
        r.group = string(map, group).trimmed();
        r.line = group.keyPos.line;
        if (config.findRecovery(r.group))
            fail(group.valuePos, QStringLiteral("group %1 has two `recovery` entries").arg(q(r.group)),
                QStringLiteral("keep one entry per consumer group"));
        const Entry& kafka = map.require(QStringLiteral("kafka_source"), QStringLiteral("kafka"));
        r.kafkaSourceId = string(map, kafka).trimmed();
        const SourceConfig* kafkaSource = config.findSource(r.kafkaSourceId);
        if (!kafkaSource || kafkaSource->kind != QLatin1String("kafka"))
            fail(kafka.valuePos,
                QStringLiteral("`kafka_source` %1 of the recovery of group %2 is not a kafka source")
                    .arg(q(r.kafkaSourceId), q(r.group)),
                QStringLiteral("name a source of kind kafka defined under `sources`"));
        if (const Entry* flink = map.find(QStringLiteral("flink_source"))) {
            r.flinkSourceId = string(map, *flink).trimmed();
            const SourceConfig* flinkSource = config.findSource(r.flinkSourceId);
            if (!flinkSource || flinkSource->kind != QLatin1String("flink"))
                fail(flink->valuePos,
                    QStringLiteral("`flink_source` %1 of the recovery of group %2 is not a flink source")
                        .arg(q(r.flinkSourceId), q(r.group)),
                    QStringLiteral("name a source of kind flink defined under `sources`"));
            const Entry* name = map.find(QStringLiteral("job_name"));
            const Entry* id = map.find(QStringLiteral("job_id"));
            if (!name && !id)
                fail(flink->keyPos,
                    QStringLiteral("the recovery of group %1 names a Flink job by neither `job_name` nor `job_id`")
                        .arg(q(r.group)),
                    QStringLiteral("add `job_name: <the job's name>`: a job gets a new id each time it is started"));
            if (name)
                r.jobName = string(map, *name).trimmed();
            if (id) {
                const Value v = scalar(map, *id, QStringLiteral("a Flink job id"));
                if (!reFlinkJobId().match(v.text.trimmed()).hasMatch())
                    fail(v.pos, QStringLiteral("expected 32 hex digits for `job_id`, got %1").arg(v.shown()));
                r.jobId = v.text.trimmed().toLower();
            }
            const Entry& jar = map.require(QStringLiteral("jar_id"), QStringLiteral("<id from GET /jars>"));
            r.jarId = string(map, jar).trimmed();
        } else {
            for (const char* key : {"job_name", "job_id", "jar_id", "program_args"})
                if (const Entry* stray = map.find(QString::fromLatin1(key)))
                    fail(stray->keyPos,
                        QStringLiteral("`%1` in the recovery of group %2 needs `flink_source`")
                            .arg(QString::fromLatin1(key), q(r.group)),
                        QStringLiteral("add `flink_source: <id>` for a Flink job, or remove `%1` for a plain consumer")
                            .arg(QString::fromLatin1(key)));
        }
        if (const Entry* args = map.find(QStringLiteral("program_args"))) {
            if (!args->value.IsSequence())
                fail(args->valuePos,
                    QStringLiteral("expected a list of strings for `program_args`, got %1").arg(shapeName(args->value)),
                    QStringLiteral("write it like [--topic, events]"));
            for (auto a = args->value.begin(); a != args->value.end(); ++a) {
                if (!a->IsScalar())
                    fail(toPos(a->Mark()),
                        QStringLiteral("expected a string in `program_args`, got %1").arg(shapeName(*a)));
                r.programArgs << QString::fromStdString(a->Scalar());
            }
        }
        if (const Entry* production = map.find(QStringLiteral("production")))
            r.production = boolean(map, *production);
        config.recovery.push_back(std::move(r));
    }
}

QStringList Loader::scalarList(const MapView& map, const Entry& e, const QString& example) const
{
    if (!e.value.IsSequence())
        fail(e.value.IsNull() ? e.keyPos : e.valuePos,
            QStringLiteral("expected a list for `%1` in %2, got %3").arg(e.key, map.what(), shapeName(e.value)),
            QStringLiteral("write it like `%1: %2`").arg(e.key, example));
    QStringList out;
    for (auto it = e.value.begin(); it != e.value.end(); ++it) {
        if (!it->IsScalar() || fromStd(it->Scalar()).trimmed().isEmpty())
            fail(toPos(it->Mark()),
                QStringLiteral("expected a name in `%1` of %2, got %3").arg(e.key, map.what(), shapeName(*it)),
                QStringLiteral("write it like `%1: %2`").arg(e.key, example));
        out << fromStd(it->Scalar()).trimmed();
    }
    return out;
}

void Loader::parseReadiness(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("readiness"));
    if (!e)
        return;
    const MapView map(*this, e->value, QStringLiteral("`readiness`"), e->keyPos);
    map.allowOnly(schema::readinessKeys());
    ReadinessConfig& r = config.readiness;
    r.line = e->keyPos.line;
    const std::pair<const char*, qint64*> ages[] = {
        {"rehearsal_max_age", &r.rehearsalMaxAgeMs},
        {"savepoint_max_age", &r.savepointMaxAgeMs},
        {"checkpoint_max_age", &r.checkpointMaxAgeMs},
        {"reconciliation_max_age", &r.reconciliationMaxAgeMs},
        {"audit_window", &r.auditWindowMs},
    };
    for (const auto& [key, target] : ages)
        if (const Entry* age = map.find(QString::fromLatin1(key)))
            *target = duration(map, *age, 1000);
    if (const Entry* refresh = map.find(QStringLiteral("refresh"))) {
        r.refreshMs = duration(map, *refresh, 1000);
        if (r.refreshMs < 10 * 1000)
            fail(refresh->valuePos,
                QStringLiteral("`refresh` in `readiness` must be at least 10s, got %1")
                    .arg(formatDurationMs(r.refreshMs)),
                QStringLiteral("the evidence (topic configs, the ledger) changes slowly; the default is 5m"));
    }
    if (const Entry* topics = map.find(QStringLiteral("topics")))
        r.topics = scalarList(map, *topics, QStringLiteral("[events, orders]"));
    if (const Entry* storage = map.find(QStringLiteral("storage")))
        r.sharedStorage = oneOf(map, *storage, {QStringLiteral("replicated"), QStringLiteral("shared")},
                              QStringLiteral("storage architecture"))
            == QLatin1String("shared");
    if (const Entry* factor = map.find(QStringLiteral("min_replication_factor")))
        r.minReplicationFactor = int(integer(map, *factor, 1, 32));
    if (const Entry* isr = map.find(QStringLiteral("min_insync_replicas")))
        r.minInsyncReplicas = int(integer(map, *isr, 1, 32));
    if (r.minInsyncReplicas > r.minReplicationFactor) {
        const Entry* isr = map.find(QStringLiteral("min_insync_replicas"));
        fail(isr ? isr->valuePos : map.find(QStringLiteral("min_replication_factor"))->valuePos,
            QStringLiteral("`min_insync_replicas` (%1) in `readiness` is larger than `min_replication_factor` (%2)")
                .arg(r.minInsyncReplicas)
                .arg(r.minReplicationFactor),
            QStringLiteral("no topic could pass: a partition cannot have more in-sync replicas than replicas"));
    }
    if (const Entry* listed = map.find(QStringLiteral("completeness_signals"))) {
        r.completenessSignals = scalarList(map, *listed, QStringLiteral("[serving/completeness]"));
        int index = 0;
        for (const QString& id : r.completenessSignals) {
            if (!config.findSignal(id))
                fail(toPos(listed->value[index].Mark()),
                    QStringLiteral("`completeness_signals` in `readiness` names %1, which is not a signal").arg(q(id)),
                    QStringLiteral("name a signal as stage/name, e.g. serving/completeness"));
            ++index;
        }
    }
}

void Loader::parseReconcile(const MapView& top, PipelineConfig& config) const
{
    const Entry* e = top.find(QStringLiteral("reconcile"));
    if (!e || e->value.IsNull())
        return;
    if (!e->value.IsSequence())
        fail(e->valuePos, QStringLiteral("expected a list for `reconcile`, got %1").arg(shapeName(e->value)),
            QStringLiteral("write one `- name: ...` item per pair of stores to compare"));
    int index = 0;
    for (auto it = e->value.begin(); it != e->value.end(); ++it, ++index) {
        const MapView map(*this, *it, QStringLiteral("reconcile #%1").arg(index + 1), e->valuePos);
        map.allowOnly(schema::reconcileKeys());
        ReconcileConfig r;
        const Entry& name = map.require(QStringLiteral("name"), QStringLiteral("dual-run"));
        r.name = string(map, name).trimmed();
        r.line = name.keyPos.line;
        for (const ReconcileConfig& other : config.reconcile)
            if (other.name == r.name)
                fail(name.valuePos, QStringLiteral("two `reconcile` entries are named %1").arg(q(r.name)),
                    QStringLiteral("give each entry its own name"));
        auto sqlSource = [&](const char* key, QString* id) {
            const Entry& source = map.require(QString::fromLatin1(key), QStringLiteral("warehouse"));
            *id = string(map, source).trimmed();
            const SourceConfig* found = config.findSource(*id);
            if (!found || found->kind != QLatin1String("sql"))
                fail(source.valuePos,
                    QStringLiteral("`%1` %2 of reconcile %3 is not a sql source")
                        .arg(QString::fromLatin1(key), q(*id), q(r.name)),
                    QStringLiteral("name a source of kind sql defined under `sources`"));
        };
        auto query = [&](const char* key, QString* text) {
            const Entry& entry = map.require(QString::fromLatin1(key),
                QStringLiteral("\"select minute_ts, key, events, total from aggregates where minute_ts >= :from and "
                               "minute_ts < :to\""));
            *text = string(map, entry).trimmed();
            if (!text->startsWith(QLatin1String("select"), Qt::CaseInsensitive)
                && !text->startsWith(QLatin1String("with"), Qt::CaseInsensitive))
                fail(entry.valuePos,
                    QStringLiteral("`%1` of reconcile %2 is not a SELECT").arg(QString::fromLatin1(key), q(r.name)),
                    QStringLiteral("a reconciliation only reads: write a query that yields minute, key, events, "
                                   "total"));
        };
        sqlSource("truth_source", &r.truthSourceId);
        query("truth_query", &r.truthQuery);
        sqlSource("serving_source", &r.servingSourceId);
        query("serving_query", &r.servingQuery);
        if (const Entry* range = map.find(QStringLiteral("range"))) {
            r.rangeMs = duration(map, *range, 60 * 1000);
            if (r.rangeMs % (60 * 1000) != 0)
                fail(range->valuePos,
                    QStringLiteral("`range` of reconcile %1 must be whole minutes, got %2")
                        .arg(q(r.name), formatDurationMs(r.rangeMs)),
                    QStringLiteral("windows are minutes: write 1h, 90m, 1d"));
        }
        config.reconcile.push_back(std::move(r));
    }
}

/// A `replay_headroom` signal without thresholds is judged against `pipeline.recovery_window`: WARN once the oldest
/// retained record is younger than the window (a replay could no longer reach back that far), CRIT below half of
/// it. Thresholds given in the config win.
void Loader::judgeHeadroomByRecoveryWindow(PipelineConfig& config) const
{
    const double windowSeconds = double(config.recoveryWindowMs) / 1000.0;
    for (StageConfig& stage : config.stages)
        for (SignalConfig& signal : stage.signalConfigs)
            if (signal.kind == SignalKind::ReplayHeadroom && signal.thresholds.isEmpty()) {
                signal.thresholds.direction = Thresholds::Direction::LowerIsWorse;
                signal.thresholds.warn = windowSeconds;
                signal.thresholds.crit = windowSeconds / 2;
            }
}

// --- sources ---------------------------------------------------------------------------------------------------

SourceConfig Loader::parseSource(const Entry& entry) const
{
    SourceConfig source;
    source.id = entry.key;
    source.line = entry.keyPos.line;
    if (!reName().match(source.id).hasMatch())
        fail(entry.keyPos, QStringLiteral("invalid source id %1").arg(q(source.id.left(80))),
            QStringLiteral("ids are letters, digits, `_`, `.` and `-`, starting with a letter or digit"));

    const QString what = QStringLiteral("source ") + q(source.id);
    if (entry.value.IsNull())
        fail(entry.keyPos, QStringLiteral("%1 has no settings").arg(what),
            QStringLiteral("indent its settings under it, starting with `kind:`"));
    const MapView map(*this, entry.value, what, entry.keyPos);
    if (!map.find(QStringLiteral("kind"))) {
        // A misspelt `kind` should be reported as the typo it is, not as a missing key.
        QStringList anySourceKey;
        for (const QString& k : schema::sourceKinds())
            anySourceKey += schema::sourceKeys(k);
        anySourceKey.removeDuplicates();
        map.allowOnly(anySourceKey);
    }

    const Entry& kindEntry = map.require(QStringLiteral("kind"), schema::sourceKinds().join(QStringLiteral(" | ")));
    source.kind = oneOf(map, kindEntry, schema::sourceKinds(), QStringLiteral("source kind"));
    const QString kind = source.kind;

    map.allowOnly(schema::sourceKeys(kind), [&](const QString& key) -> QString {
        if (schema::commonSignalKeys().contains(key) && key != QLatin1String("kind"))
            return QStringLiteral("%1 belongs to a signal under `stages:`").arg(q(key));
        for (const QString& other : schema::sourceKinds()) {
            if (other != kind && schema::sourceKeys(other).contains(key))
                return QStringLiteral("%1 is a key of %2 sources, this one is %3").arg(q(key), other, kind);
            if (schema::signalParamKeys(other).contains(key))
                return QStringLiteral("%1 belongs to a signal under `stages:`, not to the source").arg(q(key));
        }
        return {};
    });

    source.intervalMs = schema::kDefaultIntervalMs;
    if (const Entry* e = map.find(QStringLiteral("interval")))
        source.intervalMs = duration(map, *e, schema::kMinIntervalMs);
    // Polls never overlap: a timeout longer than the interval could not be honoured, an equal one can.
    source.timeoutMs = std::min(schema::kDefaultTimeoutMs, source.intervalMs);
    if (const Entry* e = map.find(QStringLiteral("timeout"))) {
        source.timeoutMs = duration(map, *e, 1);
        if (source.timeoutMs > source.intervalMs)
            fail(e->valuePos,
                QStringLiteral("`timeout` %1 of %2 is longer than its `interval` %3")
                    .arg(formatDurationMs(source.timeoutMs), what, formatDurationMs(source.intervalMs)),
                QStringLiteral("a poll must end before the next one starts: lower `timeout` or raise `interval`"));
    }

    if (schema::isHttpKind(kind))
        parseHttp(map, source);
    else if (kind == QLatin1String("sql"))
        parseSql(map, source);
    else if (kind == QLatin1String("kafka"))
        parseKafka(map, source);
    return source;
}

QString Loader::httpUrl(const MapView& map, const Entry& e, const QString& example) const
{
    const Value url = scalar(map, e, QStringLiteral("a URL"));
    const QString text = url.text.trimmed();
    const qsizetype schemeEnd = text.indexOf(QLatin1String("://"));
    const qsizetype authorityEnd = schemeEnd < 0 ? -1 : text.indexOf(u'/', schemeEnd + 3);
    const QStringView authority = schemeEnd < 0
        ? QStringView()
        : QStringView(text).mid(schemeEnd + 3, authorityEnd < 0 ? -1 : authorityEnd - schemeEnd - 3);
    if (authority.contains(u'@'))
        fail(url.pos, QStringLiteral("the %1 of %2 carries credentials").arg(q(e.key), map.what()),
            QStringLiteral("URLs are shown and logged; move them to `auth: {basic: {username: ..., password: "
                           "\"${ENV}\"}}` or `auth: {bearer_token: \"${ENV}\"}`"));
    const QUrl parsed(text, QUrl::StrictMode);
    const QString scheme = parsed.scheme().toLower();
    if (!parsed.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        || parsed.host().isEmpty() || !text.startsWith(scheme + QStringLiteral("://"), Qt::CaseInsensitive)) {
        Value shown = url;
        if (shown.text.contains(u'@'))
            shown.secret = true; // may be user:password@ in a form we do not recognise
        else if (shown.envVar.isEmpty())
            shown.text = redactedUrl(shown.text);
        fail(url.pos,
            QStringLiteral("expected an http:// or https:// URL for %1 of %2, got %3")
                .arg(q(e.key), map.what(), shown.shown()),
            QStringLiteral("write it like %1").arg(example));
    }
    if (parsed.hasFragment())
        fail(url.pos,
            QStringLiteral("the %1 of %2 has a #fragment, which is never sent to a server").arg(q(e.key), map.what()),
            QStringLiteral("remove the part from `#` on"));
    return text;
}

void Loader::parseHttp(const MapView& map, SourceConfig& source) const
{
    const QString kind = source.kind;
    const bool baseUrl = kind == QLatin1String("promql") || kind == QLatin1String("flink");
    const QString example
        = baseUrl ? QStringLiteral("http://127.0.0.1:9090") : QStringLiteral("http://127.0.0.1:9464/metrics");
    const Entry& urlEntry = map.require(QStringLiteral("url"), example);
    source.http.url = httpUrl(map, urlEntry, example);

    source.http.maxBodyBytes = schema::defaultMaxBodyBytes(kind);
    if (const Entry* e = map.find(QStringLiteral("max_body_bytes")))
        source.http.maxBodyBytes = byteSize(map, *e);

    if (const Entry* e = map.find(QStringLiteral("tls"))) {
        const MapView tls(*this, e->value, QStringLiteral("`tls` of ") + map.what(), e->keyPos);
        tls.allowOnly(schema::tlsKeys());
        if (const Entry* ca = tls.find(QStringLiteral("ca_file"))) {
            const QString path = absolutePath(string(tls, *ca).trimmed());
            if (!QFileInfo(path).isFile())
                fail(ca->valuePos, QStringLiteral("CA file %1 of %2 does not exist").arg(q(path), map.what()),
                    QStringLiteral("give the path of a PEM file; a relative path is relative to the config file"));
            source.http.caFile = path;
        }
        if (const Entry* insecure = tls.find(QStringLiteral("insecure_skip_verify")))
            source.http.insecureSkipVerify = boolean(tls, *insecure);
        if (source.http.insecureSkipVerify && !source.http.caFile.isEmpty())
            fail(tls.pos(), QStringLiteral("%1 sets both `ca_file` and `insecure_skip_verify: true`").arg(tls.what()),
                QStringLiteral("keep `ca_file` and drop `insecure_skip_verify`; verification is what the CA is for"));
    }

    if (const Entry* e = map.find(QStringLiteral("auth"))) {
        const MapView auth(*this, e->value, QStringLiteral("`auth` of ") + map.what(), e->keyPos);
        auth.allowOnly(schema::authKeys());
        const Entry* bearer = auth.find(QStringLiteral("bearer_token"));
        const Entry* basic = auth.find(QStringLiteral("basic"));
        if (bearer && basic)
            fail(basic->keyPos, QStringLiteral("%1 sets both `bearer_token` and `basic`").arg(auth.what()),
                QStringLiteral("a request carries one Authorization header: keep one of them"));
        if (!bearer && !basic)
            fail(auth.pos(), QStringLiteral("%1 is empty").arg(auth.what()),
                QStringLiteral("add `bearer_token: \"${TOKEN}\"` or `basic: {username: ..., password: \"${PW}\"}`"));
        if (bearer)
            source.http.bearerToken = string(auth, *bearer, true);
        if (basic) {
            const MapView b(*this, basic->value, QStringLiteral("`auth.basic` of ") + map.what(), basic->keyPos);
            b.allowOnly(schema::basicAuthKeys());
            source.http.basicUser = string(b, b.require(QStringLiteral("username"), QStringLiteral("reader")));
            source.http.basicPassword
                = string(b, b.require(QStringLiteral("password"), QStringLiteral("\"${PASSWORD}\"")), true);
        }
    }

    if (kind == QLatin1String("scrape"))
        if (const Entry* e = map.find(QStringLiteral("fallback_format")))
            source.options.insert(QStringLiteral("fallback_format"),
                oneOf(map, *e, schema::fallbackFormats(), QStringLiteral("fallback format")));

    if (const Entry* e = map.find(QStringLiteral("proxy"))) {
        // Secret: a proxy URL may carry user:password@. Errors name the source and the key, never the value.
        const Value v = scalar(map, *e, QStringLiteral("a proxy URL like http://proxy.example:3128"), true);
        const QString text = v.text.trimmed();
        auto proxy = parseHttpProxy(text);
        if (text.isEmpty() || !proxy)
            fail(v.pos,
                QStringLiteral("invalid `proxy` of %1: %2")
                    .arg(map.what(), text.isEmpty() ? QStringLiteral("it is empty") : proxy.error().message),
                QStringLiteral("write it like http://proxy.example:3128, with credentials from the environment: "
                               "\"http://${PROXY_USER}:${PROXY_PASSWORD}@proxy.example:3128\""));
        if (proxy->hasCredentials() && v.envVar.isEmpty())
            fail(v.pos, QStringLiteral("the `proxy` of %1 carries credentials written in the file").arg(map.what()),
                QStringLiteral("take them from the environment: "
                               "\"http://${PROXY_USER}:${PROXY_PASSWORD}@proxy.example:3128\""));
        source.http.proxy = text;
    }

    if (const Entry* e = map.find(QStringLiteral("headers")))
        parseHeaders(map, *e, source.http.headers);
}

void Loader::parseHeaders(const MapView& map, const Entry& e, std::vector<std::pair<QString, QString>>& out) const
{
    const MapView headers(*this, e.value, QStringLiteral("`headers` of ") + map.what(), e.keyPos);
    for (const Entry& h : headers.entries()) {
        if (!reHeaderName().match(h.key).hasMatch())
            fail(h.keyPos, QStringLiteral("invalid HTTP header name %1 in %2").arg(q(h.key.left(80)), headers.what()),
                QStringLiteral("header names are letters, digits and -, like X-Scope-OrgID"));
        if (h.key.compare(QLatin1String("Host"), Qt::CaseInsensitive) == 0
            || h.key.compare(QLatin1String("Content-Length"), Qt::CaseInsensitive) == 0)
            fail(h.keyPos, QStringLiteral("header %1 in %2 is set by the HTTP client").arg(q(h.key), headers.what()),
                QStringLiteral("remove it"));
        // Header values are secrets: they often carry API keys.
        const QString value = string(headers, h, true, true);
        if (value.contains(u'\r') || value.contains(u'\n'))
            fail(h.valuePos,
                QStringLiteral("the value of header %1 in %2 contains a line break").arg(q(h.key), headers.what()),
                QStringLiteral("header values are one line"));
        out.emplace_back(h.key, value);
    }
}

void Loader::parseSql(const MapView& map, SourceConfig& source) const
{
    QVariantMap& o = source.options;
    const QString driver = oneOf(map, map.require(QStringLiteral("driver"), QStringLiteral("QPSQL")),
        schema::sqlDrivers(), QStringLiteral("SQL driver"));
    o.insert(QStringLiteral("driver"), driver);
    const bool sqlite = driver == QLatin1String("QSQLITE");
    QString database = string(map,
        map.require(
            QStringLiteral("database"), sqlite ? QStringLiteral("/var/lib/marts/serving.db") : QStringLiteral("marts")))
                           .trimmed();
    if (sqlite && database != QLatin1String(":memory:") && !database.startsWith(QLatin1String("file:")))
        database = absolutePath(database);
    o.insert(QStringLiteral("database"), database);

    for (const char* key : {"host", "port", "user", "password"}) {
        const Entry* e = map.find(QString::fromLatin1(key));
        if (!e)
            continue;
        if (sqlite)
            fail(e->keyPos, QStringLiteral("%1 has no meaning for a QSQLITE database in %2").arg(q(e->key), map.what()),
                QStringLiteral("remove it; QSQLITE opens the file named by `database`"));
        if (e->key == QLatin1String("port"))
            o.insert(e->key, QString::number(integer(map, *e, 1, 65535)));
        else
            o.insert(e->key, string(map, *e, e->key == QLatin1String("password")));
    }

    QString tz = QStringLiteral("UTC");
    if (const Entry* e = map.find(QStringLiteral("timestamp_timezone")))
        tz = timeZone(map, *e);
    o.insert(QStringLiteral("timestamp_timezone"), tz);
}

void Loader::parseKafka(const MapView& map, SourceConfig& source) const
{
    QVariantMap& o = source.options;
    const Entry& servers = map.require(QStringLiteral("bootstrap_servers"), QStringLiteral("127.0.0.1:9092"));
    const Value v = scalar(map, servers, QStringLiteral("a list of HOST:PORT"));
    const QStringList parts = v.text.split(u',', Qt::SkipEmptyParts);
    if (parts.isEmpty())
        fail(v.pos, QStringLiteral("`bootstrap_servers` of %1 is empty").arg(map.what()),
            QStringLiteral("write it like 127.0.0.1:9092 or broker1:9092,broker2:9092"));
    for (QString part : parts) {
        part = part.trimmed();
        const qsizetype scheme = part.indexOf(QLatin1String("://"));
        if (scheme >= 0)
            part = part.mid(scheme + 3);
        QString host;
        int port = 0;
        if (!splitHostPort(part, 1, &host, &port))
            fail(v.pos,
                QStringLiteral("expected HOST:PORT[,HOST:PORT...] for `bootstrap_servers` of %1, got %2")
                    .arg(map.what(), v.shown()),
                QStringLiteral("write it like 127.0.0.1:9092 or broker1:9092,broker2:9092"));
    }
    o.insert(QStringLiteral("bootstrap_servers"), v.text.trimmed());

    QVariantMap properties;
    if (const Entry* e = map.find(QStringLiteral("properties"))) {
        const MapView props(*this, e->value, QStringLiteral("`properties` of ") + map.what(), e->keyPos);
        for (const Entry& p : props.entries()) {
            if (p.key == QLatin1String("bootstrap.servers"))
                fail(p.keyPos,
                    QStringLiteral("`bootstrap.servers` in %1 repeats `bootstrap_servers`").arg(props.what()),
                    QStringLiteral("set the brokers once, with `bootstrap_servers`"));
            if (p.key.trimmed().isEmpty())
                fail(p.keyPos, QStringLiteral("empty property name in %1").arg(props.what()),
                    QStringLiteral("use librdkafka property names such as security.protocol"));
            properties.insert(
                p.key, scalar(props, p, QStringLiteral("a single value"), isSecretPropertyName(p.key)).text);
        }
    }
    o.insert(QStringLiteral("properties"), properties);

    // Every consumer group whose id matches an `include` pattern and no `exclude` pattern; `groups: all` (or an
    // empty map) watches every group but the internal ones.
    if (const Entry* e = map.find(QStringLiteral("groups"))) {
        QStringList include;
        QStringList exclude;
        if (e->value.IsScalar()) {
            const Value all = scalar(map, *e, QStringLiteral("`all` or a map of `include`/`exclude` patterns"));
            if (all.text != QLatin1String("all"))
                fail(all.pos,
                    QStringLiteral("expected `all` or a map with `include` and `exclude` for `groups` of %1, got %2")
                        .arg(map.what(), all.shown()),
                    QStringLiteral(
                        "write `groups: all` or `groups: {include: [\"^orders-\"], exclude: [\"-test$\"]}`"));
        } else {
            const MapView groups(*this, e->value, QStringLiteral("`groups` of ") + map.what(), e->keyPos);
            groups.allowOnly({QStringLiteral("exclude"), QStringLiteral("include")});
            for (const Entry& list : groups.entries()) {
                QStringList& out = list.key == QLatin1String("include") ? include : exclude;
                if (!list.value.IsSequence())
                    fail(list.value.IsNull() ? list.keyPos : list.valuePos,
                        QStringLiteral("expected a list of regular expressions for `%1` in %2, got %3")
                            .arg(list.key, groups.what(), shapeName(list.value)),
                        QStringLiteral("write it like `%1: [\"^orders-\", \"^billing$\"]`").arg(list.key));
                for (auto it = list.value.begin(); it != list.value.end(); ++it) {
                    const Pos pos = toPos(it->Mark());
                    if (!it->IsScalar())
                        fail(pos,
                            QStringLiteral("expected a regular expression in `%1` of %2, got %3")
                                .arg(list.key, groups.what(), shapeName(*it)),
                            QStringLiteral("quote each pattern: \"^orders-\""));
                    const QString pattern = fromStd(it->Scalar());
                    const QRegularExpression re(pattern);
                    if (!re.isValid())
                        fail(pos,
                            QStringLiteral("invalid regular expression %1 in `%2` of %3: %4 at character %5")
                                .arg(q(pattern), list.key, groups.what(), re.errorString())
                                .arg(re.patternErrorOffset()),
                            QStringLiteral("patterns are Perl-compatible; escape a literal dot as \\."));
                    out << pattern;
                }
            }
        }
        QVariantMap groups;
        groups.insert(QStringLiteral("include"), include);
        groups.insert(QStringLiteral("exclude"), exclude);
        o.insert(QStringLiteral("groups"), groups);
    }
    if (const Entry* e = map.find(QStringLiteral("lag_window")))
        o.insert(QStringLiteral("lag_window"), integer(map, *e, 2, 1000));
    if (const Entry* e = map.find(QStringLiteral("read_consumer_offsets")))
        o.insert(QStringLiteral("read_consumer_offsets"), boolean(map, *e));
}

// --- stages and signals ------------------------------------------------------------------------------------------

void Loader::parseStages(const MapView& top, PipelineConfig& config) const
{
    const Entry& e = *top.find(QStringLiteral("stages"));
    if (!e.value.IsSequence())
        fail(e.value.IsNull() ? e.keyPos : e.valuePos,
            QStringLiteral("expected a list of stages for `stages`, got %1").arg(shapeName(e.value)),
            QStringLiteral("write each stage as a `- id: ...` item under `stages:`"));
    if (e.value.size() == 0)
        fail(e.valuePos, QStringLiteral("`stages` is empty"),
            QStringLiteral("add at least one stage, e.g. `- id: sink` with its `signals:`"));

    std::map<QString, int> stageLines;
    int index = 0;
    for (auto it = e.value.begin(); it != e.value.end(); ++it, ++index) {
        const YAML::Node& node = *it;
        const QString where = QStringLiteral("stage #%1").arg(index + 1);
        const MapView map(*this, node, where, e.valuePos);
        map.allowOnly(schema::stageKeys());

        StageConfig stage;
        const Entry& idEntry = map.require(QStringLiteral("id"), QStringLiteral("sink"));
        const Value id = scalar(map, idEntry, QStringLiteral("a stage id"));
        stage.id = id.text.trimmed();
        if (!reStageId().match(stage.id).hasMatch())
            fail(id.pos, QStringLiteral("invalid stage id %1 in %2").arg(id.shown(), where),
                QStringLiteral("stage ids are lower-case letters, digits and _, like source_log, compute, sink, "
                               "storage, serving"));
        if (const auto seen = stageLines.find(stage.id); seen != stageLines.end())
            fail(id.pos,
                QStringLiteral("duplicate stage id %1: first at line %2, again at line %3")
                    .arg(q(stage.id), QString::number(seen->second), QString::number(id.pos.line)),
                QStringLiteral("stage ids are unique; merge the two stages' signals or rename one"));
        stageLines.emplace(stage.id, id.pos.line);

        const QString stageWhat = QStringLiteral("stage ") + q(stage.id);
        const MapView named(*this, node, stageWhat, e.valuePos);
        stage.title = defaultStageTitle(stage.id);
        if (const Entry* title = named.find(QStringLiteral("title")))
            stage.title = string(named, *title).trimmed();

        const Entry& signalList
            = named.require(QStringLiteral("signals"), QStringLiteral("[{kind: ..., source: ...}]"));
        if (!signalList.value.IsSequence())
            fail(signalList.valuePos,
                QStringLiteral("expected a list of signals for `signals` in %1, got %2")
                    .arg(stageWhat, shapeName(signalList.value)),
                QStringLiteral("write each signal as a `- kind: ...` item under `signals:`"));
        if (signalList.value.size() == 0)
            fail(signalList.valuePos, QStringLiteral("%1 has no signals").arg(stageWhat),
                QStringLiteral("add at least one `- kind: ..., source: ...` item"));

        std::map<QString, std::pair<Pos, QString>> names;
        int signalIndex = 0;
        for (auto s = signalList.value.begin(); s != signalList.value.end(); ++s, ++signalIndex) {
            SignalConfig signal = parseSignal(*s, stage, signalIndex, signalList.valuePos, config, names);
            names.emplace(signal.name, std::make_pair(Pos {signal.line, 0}, signal.id));
            stage.signalConfigs.push_back(std::move(signal));
        }
        config.stages.push_back(std::move(stage));
    }
}

SignalConfig Loader::parseSignal(const YAML::Node& node, const StageConfig& stage, int index, Pos listPos,
    const PipelineConfig& config, const std::map<QString, std::pair<Pos, QString>>& namesSoFar) const
{
    const QString where = QStringLiteral("signal #%1 of stage %2").arg(index + 1).arg(q(stage.id));
    const MapView first(*this, node, where, listPos);
    if (!first.find(QStringLiteral("kind")) || !first.find(QStringLiteral("source"))) {
        // A misspelt `kind` or `source` should be reported as the typo it is, not as a missing key.
        QStringList anySignalKey = schema::commonSignalKeys();
        for (const QString& k : schema::sourceKinds())
            anySignalKey += schema::signalParamKeys(k);
        anySignalKey.removeDuplicates();
        first.allowOnly(anySignalKey);
    }

    SignalConfig signal;
    signal.stageId = stage.id;
    signal.line = first.pos().line;

    const Entry& kindEntry = first.require(QStringLiteral("kind"), QStringLiteral("sink_commit_latency"));
    const QString kindName = oneOf(first, kindEntry, allSignalKindNames(), QStringLiteral("signal kind"));
    signal.kind = *signalKindFromName(kindName);

    signal.name = kindName;
    Pos namePos = kindEntry.valuePos;
    if (const Entry* name = first.find(QStringLiteral("name"))) {
        const Value v = scalar(first, *name, QStringLiteral("a name"));
        signal.name = v.text.trimmed();
        namePos = v.pos;
        if (!reName().match(signal.name).hasMatch())
            fail(v.pos, QStringLiteral("invalid signal name %1 in %2").arg(v.shown(), where),
                QStringLiteral("names are letters, digits, `_`, `.` and `-` (no `/`), like p99"));
    }
    if (const auto seen = namesSoFar.find(signal.name); seen != namesSoFar.end())
        fail(namePos,
            QStringLiteral("duplicate signal %1 in stage %2: first at line %3, again at line %4")
                .arg(q(signal.name), q(stage.id), QString::number(seen->second.first.line),
                    QString::number(signal.line)),
            QStringLiteral("give each signal of a stage its own `name:` (it defaults to the kind)"));
    signal.id = stage.id + QLatin1Char('/') + signal.name;

    const MapView map(*this, node, QStringLiteral("signal ") + q(signal.id), listPos);
    const Entry& sourceEntry = map.require(QStringLiteral("source"), QStringLiteral("<a source id from `sources:`>"));
    const Value sourceRef = scalar(map, sourceEntry, QStringLiteral("a source id"));
    signal.sourceId = sourceRef.text.trimmed();
    const auto found = config.sources.find(signal.sourceId);
    if (found == config.sources.end()) {
        QStringList defined;
        for (const auto& [id, s] : config.sources)
            defined << id;
        QString hint;
        if (defined.isEmpty()) {
            hint = QStringLiteral("no sources are defined; add one under `sources:`");
        } else {
            const QString close = schema::closestMatch(signal.sourceId, defined);
            if (!close.isEmpty())
                hint = QStringLiteral("did you mean %1? ").arg(q(close));
            hint += QStringLiteral("defined sources: ") + schema::joined(defined);
        }
        fail(sourceRef.pos,
            QStringLiteral("signal %1 refers to source %2, which is not defined").arg(q(signal.id), sourceRef.shown()),
            hint);
    }
    const SourceConfig& source = found->second;

    QStringList allowed = schema::commonSignalKeys() + schema::signalParamKeys(source.kind);
    map.allowOnly(allowed, [&](const QString& key) -> QString {
        for (const QString& other : schema::sourceKinds())
            if (other != source.kind && schema::signalParamKeys(other).contains(key))
                return QStringLiteral("%1 is for signals of %2 sources, but source %3 is %4 (its signals take %5)")
                    .arg(
                        q(key), other, q(source.id), source.kind, schema::joined(schema::signalParamKeys(source.kind)));
        if (schema::sourceKeys(source.kind).contains(key))
            return QStringLiteral("%1 belongs to source %2 under `sources:`").arg(q(key), q(source.id));
        return {};
    });

    if (const auto kinds = schema::signalKindsFor(source.kind); kinds && !kinds->contains(kindName))
        fail(kindEntry.valuePos,
            QStringLiteral("signal %1 of kind %2 cannot come from %3 source %4")
                .arg(q(signal.id), q(kindName), source.kind, q(source.id)),
            QStringLiteral("%1 sources give %2").arg(source.kind, schema::joined(*kinds)));

    signal.unit = signalKindDefaultUnit(signal.kind);
    if (const Entry* unit = map.find(QStringLiteral("unit")))
        signal.unit = string(map, *unit, false, true).trimmed();

    if (signal.kind == SignalKind::ReplayHeadroom)
        signal.thresholds.direction = Thresholds::Direction::LowerIsWorse;
    if (const Entry* t = map.find(QStringLiteral("thresholds")))
        parseThresholds(map, *t, signal);

    parseParams(map, source, signal);
    return signal;
}

void Loader::parseThresholds(const MapView& signal, const Entry& e, SignalConfig& out) const
{
    const MapView map(*this, e.value, QStringLiteral("`thresholds` of ") + signal.what(), e.keyPos);
    map.allowOnly(schema::thresholdKeys());
    Thresholds& t = out.thresholds;
    const Entry* warn = map.find(QStringLiteral("warn"));
    const Entry* crit = map.find(QStringLiteral("crit"));
    if (!warn && !crit)
        fail(map.pos(), QStringLiteral("%1 sets neither `warn` nor `crit`").arg(map.what()),
            QStringLiteral("add `warn: <number>` and/or `crit: <number>`, or remove `thresholds`"));
    if (const Entry* d = map.find(QStringLiteral("direction")))
        t.direction
            = oneOf(map, *d, schema::directions(), QStringLiteral("direction")) == QLatin1String("lower_is_worse")
            ? Thresholds::Direction::LowerIsWorse
            : Thresholds::Direction::HigherIsWorse;
    if (warn)
        t.warn = number(map, *warn, out.unit);
    if (crit)
        t.crit = number(map, *crit, out.unit);
    if (t.warn && t.crit) {
        const bool higher = t.direction == Thresholds::Direction::HigherIsWorse;
        if (higher ? *t.warn > *t.crit : *t.warn < *t.crit)
            fail(warn->valuePos,
                QStringLiteral("`warn` %1 is %2 `crit` %3 in %4, but with %5 the warning must come first")
                    .arg(QString::number(*t.warn), higher ? QStringLiteral("above") : QStringLiteral("below"),
                        QString::number(*t.crit), map.what(),
                        higher ? QStringLiteral("higher_is_worse") : QStringLiteral("lower_is_worse")),
                higher ? QStringLiteral("swap the two values, or set `direction: lower_is_worse` if a low value is bad")
                       : QStringLiteral("swap the two values, or set `direction: higher_is_worse` if a high value is "
                                        "bad"));
    }
    if (const Entry* h = map.find(QStringLiteral("hysteresis"))) {
        t.hysteresis = number(map, *h, out.unit);
        if (t.hysteresis < 0)
            fail(h->valuePos, QStringLiteral("`hysteresis` in %1 is negative").arg(map.what()),
                QStringLiteral("it is a distance back past the limit: 0 or more"));
    }
    if (const Entry* f = map.find(QStringLiteral("for")))
        t.minDurationMs = duration(map, *f, 0);
}

void Loader::parseParams(const MapView& map, const SourceConfig& source, SignalConfig& out) const
{
    QVariantMap& p = out.params;
    const QString& kind = source.kind;
    auto storeDuration = [&](const Entry& e) {
        const qint64 ms = duration(map, e, 1);
        p.insert(e.key, scalar(map, e, QString()).text.trimmed());
        p.insert(e.key + QStringLiteral("_ms"), ms);
    };

    if (kind == QLatin1String("promql")) {
        p.insert(QStringLiteral("query"),
            string(map, map.require(QStringLiteral("query"), QStringLiteral("'histogram_quantile(0.99, ...)'")))
                .trimmed());
    } else if (kind == QLatin1String("scrape")) {
        const Value metric = scalar(map, map.require(QStringLiteral("metric"), QStringLiteral("sink_commit_seconds")),
            QStringLiteral("a metric name"));
        if (!reMetricName().match(metric.text.trimmed()).hasMatch())
            fail(metric.pos, QStringLiteral("invalid metric name %1 in %2").arg(metric.shown(), map.what()),
                QStringLiteral("Prometheus metric names are letters, digits, _ and :, like sink_commit_seconds"));
        p.insert(QStringLiteral("metric"), metric.text.trimmed());
        if (const Entry* e = map.find(QStringLiteral("matchers"))) {
            const MapView m(*this, e->value, QStringLiteral("`matchers` of ") + map.what(), e->keyPos);
            QVariantMap matchers;
            for (const Entry& label : m.entries()) {
                if (!reLabelName().match(label.key).hasMatch())
                    fail(label.keyPos,
                        QStringLiteral("invalid label name %1 in %2").arg(q(label.key.left(80)), m.what()),
                        QStringLiteral("label names are letters, digits and _, like bucket"));
                matchers.insert(label.key, string(m, label, false, true));
            }
            p.insert(QStringLiteral("matchers"), matchers);
        }
        if (const Entry* e = map.find(QStringLiteral("quantile"))) {
            const double qv = number(map, *e, QString());
            if (qv < 0 || qv > 1)
                fail(e->valuePos, QStringLiteral("`quantile` in %1 must be between 0 and 1").arg(map.what()),
                    QStringLiteral("write 0.99 for p99"));
            p.insert(QStringLiteral("quantile"), scalar(map, *e, QString()).text.trimmed());
        }
        if (const Entry* e = map.find(QStringLiteral("window")))
            storeDuration(*e);
        QString aggregate = QStringLiteral("sum");
        if (const Entry* e = map.find(QStringLiteral("aggregate")))
            aggregate = oneOf(map, *e, schema::aggregations(), QStringLiteral("aggregation"));
        p.insert(QStringLiteral("aggregate"), aggregate);
    } else if (kind == QLatin1String("flink")) {
        const Entry* id = map.find(QStringLiteral("job_id"));
        const Entry* name = map.find(QStringLiteral("job_name"));
        if (id && name)
            fail(name->keyPos, QStringLiteral("%1 sets both `job_id` and `job_name`").arg(map.what()),
                QStringLiteral("keep one: the id names one run of a job, the name follows restarts"));
        if (!id && !name)
            fail(map.pos(), QStringLiteral("%1 is missing the required key `job_id` or `job_name`").arg(map.what()),
                QStringLiteral("add `job_name: <the job's name>` or `job_id: <32 hex digits>`"));
        if (id) {
            const Value v = scalar(map, *id, QStringLiteral("a Flink job id"));
            if (!reFlinkJobId().match(v.text.trimmed()).hasMatch())
                fail(v.pos,
                    QStringLiteral("expected a Flink job id (32 hex digits) for `job_id` in %1, got %2")
                        .arg(map.what(), v.shown()),
                    QStringLiteral("copy it from GET /jobs/overview, or use `job_name`"));
            p.insert(QStringLiteral("job_id"), v.text.trimmed().toLower());
        } else {
            p.insert(QStringLiteral("job_name"), string(map, *name).trimmed());
        }
        if (const Entry* e = map.find(QStringLiteral("window")))
            storeDuration(*e);
    } else if (kind == QLatin1String("sql")) {
        p.insert(QStringLiteral("sql"),
            string(map, map.require(QStringLiteral("sql"), QStringLiteral("\"select max(ts) from serving.hourly\"")))
                .trimmed());
        QString format = QStringLiteral("auto");
        if (const Entry* e = map.find(QStringLiteral("time_format")))
            format = oneOf(map, *e, schema::timeFormats(), QStringLiteral("time format"));
        p.insert(QStringLiteral("time_format"), format);
    } else if (kind == QLatin1String("http_json")) {
        const Value ptr = scalar(map, map.require(QStringLiteral("pointer"), QStringLiteral("/data/0/ts")),
            QStringLiteral("a JSON pointer"));
        const QString text = ptr.text.trimmed();
        thread_local const QRegularExpression badTilde(QStringLiteral("~(?![01])"));
        if ((!text.isEmpty() && !text.startsWith(u'/')) || badTilde.match(text).hasMatch())
            fail(ptr.pos,
                QStringLiteral("expected a JSON pointer like /data/0/ts for `pointer` in %1, got %2")
                    .arg(map.what(), ptr.shown()),
                QStringLiteral("start with / and separate keys and array indexes with /; write ~1 for / and ~0 for ~ "
                               "inside a key"));
        p.insert(QStringLiteral("pointer"), text);
        QString format = QStringLiteral("auto");
        if (const Entry* e = map.find(QStringLiteral("time_format")))
            format = oneOf(map, *e, schema::timeFormats(), QStringLiteral("time format"));
        p.insert(QStringLiteral("time_format"), format);
        QString tz = QStringLiteral("UTC");
        if (const Entry* e = map.find(QStringLiteral("timezone")))
            tz = timeZone(map, *e);
        p.insert(QStringLiteral("timezone"), tz);
        // A signal may read another URL of the same API (auth, TLS and headers come from the source).
        if (const Entry* e = map.find(QStringLiteral("url")))
            p.insert(QStringLiteral("url"), httpUrl(map, *e, QStringLiteral("http://127.0.0.1:3000/api/data")));
    } else if (kind == QLatin1String("kafka")) {
        for (const char* key : {"group", "topic"})
            if (const Entry* e = map.find(QString::fromLatin1(key)))
                p.insert(e->key, string(map, *e).trimmed());
        const bool needsGroup = out.kind == SignalKind::ConsumerLag || out.kind == SignalKind::TimeLag;
        // A source that watches `groups` measures every group it watches when the signal names none.
        const bool watchesGroups = source.options.contains(QStringLiteral("groups"));
        if (needsGroup && !watchesGroups && !p.contains(QStringLiteral("group")))
            fail(map.pos(), QStringLiteral("%1 is missing the required key `group`").arg(map.what()),
                QStringLiteral("add `group: <consumer group id>`; lag is measured per consumer group"));
        if (!needsGroup && !p.contains(QStringLiteral("topic")))
            fail(map.pos(), QStringLiteral("%1 is missing the required key `topic`").arg(map.what()),
                QStringLiteral("add `topic: <topic name>`"));
    }
}

Result<PipelineConfig> loadWithBase(const QByteArray& yaml, const QString& displayName, const QString& baseDir)
{
    Loader loader(displayName, baseDir);
    try {
        return loader.load(yaml);
    } catch (const Failure& f) {
        return std::unexpected(f.error);
    } catch (const YAML::Exception& ex) {
        // Should not happen (we never use yaml-cpp's throwing conversions), but a config must never crash the app.
        Error e = Error::make(Error::Code::Config, QStringLiteral("YAML error: %1").arg(fromStd(ex.msg)));
        e.file = displayName;
        e.line = toPos(ex.mark).line;
        e.column = toPos(ex.mark).column;
        return std::unexpected(std::move(e));
    } catch (const std::exception& ex) {
        Error e = Error::make(
            Error::Code::Config, QStringLiteral("cannot load the config: %1").arg(QString::fromLocal8Bit(ex.what())));
        e.file = displayName;
        return std::unexpected(std::move(e));
    }
}

} // namespace

const SourceConfig* PipelineConfig::findSource(const QString& id) const
{
    const auto it = sources.find(id);
    return it == sources.end() ? nullptr : &it->second;
}

const RecoveryConfig* PipelineConfig::findRecovery(const QString& group) const
{
    for (const auto& r : recovery)
        if (r.group == group)
            return &r;
    return nullptr;
}

const SignalConfig* PipelineConfig::findSignal(const QString& id) const
{
    for (const StageConfig& stage : stages)
        for (const SignalConfig& signal : stage.signalConfigs)
            if (signal.id == id)
                return &signal;
    return nullptr;
}

Result<PipelineConfig> loadConfigText(const QByteArray& yaml, const QString& displayName)
{
    return loadWithBase(yaml, displayName, QDir::currentPath());
}

Result<PipelineConfig> loadConfigFile(const QString& path)
{
    QFile file(path);
    auto ioError = [&](QString message, QString hint) {
        Error e = Error::make(Error::Code::Io, std::move(message));
        e.file = path;
        e.hint = std::move(hint);
        return std::unexpected(std::move(e));
    };
    const QFileInfo info(path);
    if (!info.exists())
        return ioError(
            QStringLiteral("config file not found"), QStringLiteral("check the path; see resources/examples/"));
    if (info.isDir())
        return ioError(QStringLiteral("is a directory, not a config file"), QStringLiteral("name the YAML file"));
    if (info.size() > kMaxConfigBytes)
        return ioError(QStringLiteral("config file is %1 bytes; the limit is %2").arg(info.size()).arg(kMaxConfigBytes),
            QStringLiteral("a pipeline config is a few kilobytes; is this the right file?"));
    if (!file.open(QIODevice::ReadOnly))
        return ioError(QStringLiteral("cannot read config file: %1").arg(file.errorString()),
            QStringLiteral("check its permissions"));
    const QByteArray bytes = file.read(kMaxConfigBytes + 1);
    auto result = loadWithBase(bytes, path, info.absolutePath());
    if (result)
        result->filePath = info.absoluteFilePath();
    return result;
}

} // namespace pw
