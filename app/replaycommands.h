#pragma once

#include <QStringList>

namespace pw {

/// `pathwatch replay`: preview (the default), execute with --execute --reason, or undo an audited replay.
int runReplay(const QStringList& arguments);
/// `pathwatch groups`: every consumer group of a cluster with its state, members and lag.
int runGroups(const QStringList& arguments);
/// `pathwatch audit`: the replay audit log, as a table or JSON lines.
int runAudit(const QStringList& arguments);

} // namespace pw
