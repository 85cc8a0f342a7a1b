#pragma once

#include "model/snapshot.h"

#include <QString>

namespace pw {

/// The text `pathwatch status` prints: a headline, the "data stops moving" sentence, a table of every signal, the
/// signals it could not judge and why, and a table of the sources. `origin` names who judged it.
QString statusReport(const Snapshot& snapshot, const QString& origin);

} // namespace pw
