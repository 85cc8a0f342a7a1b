#pragma once

#include <QObject>

class QSocketNotifier;

namespace pw {

/// Turns SIGINT/SIGTERM (and SIGHUP: reload) into a Qt signal on the main thread (self-pipe), so shutdown runs as
/// ordinary event-loop work instead of inside a signal handler.
class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject* parent = nullptr);
    ~UnixSignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);
    void reloadRequested();

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace pw
