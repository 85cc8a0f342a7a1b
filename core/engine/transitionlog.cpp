#include "engine/transitionlog.h"

#include "presentation/format.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace pw {

namespace {

// syslog priorities, as journald reads them from a "<N>" line prefix.
int priorityOf(Severity to)
{
    switch (to) {
    case Severity::Crit:
        return 3;
    case Severity::Warn:
    case Severity::Stale:
        return 4;
    case Severity::Unknown:
        return 5;
    case Severity::Ok:
        return 6;
    }
    return 6;
}

QString levelName(int priority)
{
    switch (priority) {
    case 3:
        return QStringLiteral("error");
    case 4:
        return QStringLiteral("warning");
    case 5:
        return QStringLiteral("notice");
    default:
        return QStringLiteral("info");
    }
}

} // namespace

TransitionLog::TransitionLog(Options options, Writer writer)
    : m_options(options)
    , m_writer(std::move(writer))
{
    if (!m_writer)
        m_writer = [](const QByteArray& line) {
            std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
            std::fflush(stderr);
        };
}

TransitionLog::Options TransitionLog::optionsForStderr(Format format)
{
    Options options;
    options.format = format;
    const bool journal = qEnvironmentVariableIsSet("JOURNAL_STREAM");
    options.journalPrefix = journal && format == Format::Text;
    options.timestamps = !journal;
    return options;
}

bool TransitionLog::admit(const QString& key, qint64 nowMs, int& suppressed)
{
    Budget& b = m_budgets[key];
    if (nowMs - b.windowStartMs >= m_options.windowMs) {
        b.windowStartMs = nowMs;
        b.used = 0;
    }
    if (b.used >= m_options.burst) {
        ++b.suppressed;
        return false;
    }
    ++b.used;
    suppressed = b.suppressed;
    b.suppressed = 0;
    return true;
}

void TransitionLog::write(
    int priority, const QString& level, const QString& text, const QJsonObject* fields, qint64 atMs)
{
    const QString time = QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC).toString(Qt::ISODateWithMs);
    QByteArray line;
    if (m_options.format == Format::Json) {
        QJsonObject o = fields ? *fields : QJsonObject {};
        o[QStringLiteral("time")] = time;
        o[QStringLiteral("level")] = level;
        o[QStringLiteral("message")] = text;
        line = QJsonDocument(o).toJson(QJsonDocument::Compact);
    } else {
        if (m_options.journalPrefix)
            line += '<' + QByteArray::number(priority) + '>';
        if (m_options.timestamps)
            line += time.toUtf8() + ' ';
        line += "pathwatch: " + text.toUtf8();
    }
    line += '\n';
    m_writer(line);
}

void TransitionLog::transitions(const std::vector<Transition>& changes, const SnapshotPtr& snapshot)
{
    std::lock_guard lock(m_mutex);
    for (const Transition& t : changes) {
        // A start-up's UNKNOWN → OK is not news; every other change is.
        if (t.from == Severity::Unknown && t.to == Severity::Ok)
            continue;
        int suppressed = 0;
        if (!admit(t.seriesKey(), t.atMs, suppressed))
            continue;
        QString text = transitionText(t);
        if (suppressed > 0)
            text += QStringLiteral(" [%1 earlier change%2 of this series not logged]")
                        .arg(suppressed)
                        .arg(suppressed == 1 ? QString() : QStringLiteral("s"));
        const int priority = priorityOf(t.to);
        QJsonObject fields {
            {QStringLiteral("event"), QStringLiteral("transition")},
            {QStringLiteral("subject"), transitionSubjectName(t.subject)},
            {QStringLiteral("id"), t.id},
            {QStringLiteral("stage"), t.stageId},
            {QStringLiteral("from"), severityName(t.from)},
            {QStringLiteral("to"), severityName(t.to)},
            {QStringLiteral("reason"), t.reason},
            {QStringLiteral("suppressed"), suppressed},
        };
        if (!t.labels.empty()) {
            QJsonObject labels;
            for (const auto& [k, v] : t.labels)
                labels[k] = v;
            fields[QStringLiteral("labels")] = labels;
        }
        if (t.value) {
            fields[QStringLiteral("value")] = *t.value;
            fields[QStringLiteral("value_text")] = formatValue(*t.value, t.unit);
        }
        write(priority, levelName(priority), text, &fields, t.atMs);
    }
    if (snapshot) {
        const QString sentence = dataStopSentence(*snapshot);
        const QString where = snapshot->dataStopStageId;
        if (where != m_lastDataStop) {
            m_lastDataStop = where;
            const QString text = where.isEmpty() ? QStringLiteral("data moves along the whole path again") : sentence;
            QJsonObject fields {
                {QStringLiteral("event"), QStringLiteral("data_stop")},
                {QStringLiteral("stage"), where},
                {QStringLiteral("after"), snapshot->dataStopAfterStageId},
            };
            write(where.isEmpty() ? 6 : 4, levelName(where.isEmpty() ? 6 : 4), text, &fields, snapshot->takenMs);
        }
    }
}

void TransitionLog::message(const QString& level, const QString& text)
{
    std::lock_guard lock(m_mutex);
    const int priority = level == QLatin1String("error") ? 3 : level == QLatin1String("warning") ? 4 : 6;
    QJsonObject fields {{QStringLiteral("event"), QStringLiteral("message")}};
    write(priority, levelName(priority), text, &fields, nowMs());
}

} // namespace pw
