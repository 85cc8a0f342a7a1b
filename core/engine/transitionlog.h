#pragma once

#include "engine/engine.h"

#include <QByteArray>

#include <functional>
#include <map>
#include <mutex>

namespace pw {

/// Logs every severity transition of a signal, stage and source, with its reason, and every change of where data
/// stops moving: one line each, as text (journald priority prefix when stderr goes to the journal) or JSON lines
/// for log shippers. Rate-limited per series so a flapping series cannot flood the log; what was held back is
/// counted on the series' next line. Thread-safe.
class TransitionLog : public EngineObserver
{
public:
    enum class Format
    {
        Text,
        Json,
    };
    struct Options
    {
        Format format = Format::Text;
        int burst = 5; // lines per series per window
        qint64 windowMs = 60'000;
        bool journalPrefix = false; // "<4>" priority prefixes for journald (JOURNAL_STREAM is set)
        bool timestamps = true; // journald stamps lines itself
    };
    using Writer = std::function<void(const QByteArray& line)>;

    /// Writes to stderr when no writer is given.
    explicit TransitionLog(Options options, Writer writer = {});
    /// Options for stderr: journald prefixes and no timestamps when JOURNAL_STREAM is set.
    static Options optionsForStderr(Format format);

    void transitions(const std::vector<Transition>& changes, const SnapshotPtr& snapshot) override;
    /// A line that is not a transition (reload, start-up problems), same format.
    void message(const QString& level, const QString& text);

private:
    bool admit(const QString& key, qint64 nowMs, int& suppressed);
    void write(int priority, const QString& level, const QString& text, const QJsonObject* fields, qint64 atMs);

    Options m_options;
    Writer m_writer;
    std::mutex m_mutex;
    struct Budget
    {
        qint64 windowStartMs = 0;
        int used = 0;
        int suppressed = 0;
    };
    std::map<QString, Budget> m_budgets;
    QString m_lastDataStop;
};

} // namespace pw
