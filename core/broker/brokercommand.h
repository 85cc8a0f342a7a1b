#pragma once

#include <QStringList>

namespace pw::broker {

/// `pathwatch broker [options]`: runs the broker standalone until SIGTERM/SIGINT. `arguments` starts with the
/// program name followed by the options after "broker". Needs a QCoreApplication. Returns the process exit code.
int runBrokerCommand(const QStringList& arguments);

} // namespace pw::broker
