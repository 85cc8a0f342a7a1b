#pragma once

#include "model/snapshot.h"

#include <QRegularExpression>
#include <QString>

namespace pw {

/// The text `pathwatch status` prints: a headline, the "data stops moving" sentence, a table of every signal, the
/// signals it could not judge and why, and a table of the sources. `origin` names who judged it.
/// `groupFilter`, when valid and not empty, keeps the consumer groups whose id it matches.
QString statusReport(const Snapshot& snapshot, const QString& origin, const QRegularExpression& groupFilter = {});

} // namespace pw
