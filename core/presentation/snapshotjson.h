#pragma once

#include "model/error.h"
#include "model/snapshot.h"

#include <QByteArray>
#include <QJsonObject>

namespace pw {

/// The documented JSON form of a snapshot (`pathwatch status --json`, the control socket's `status` answer; schema
/// "pathwatch.status/1" in the README). `origin` says who judged it: "instance" (a running engine) or "standalone".
QJsonObject snapshotToJson(const Snapshot& snapshot, const QString& origin);
/// The inverse, for the client side of the control socket; a malformed document is an Error::Code::Parse.
Result<SnapshotPtr> snapshotFromJson(const QJsonObject& json);

/// Signals that have no judgement (UNKNOWN) with why: "sink/p99: no data in the window (NaN)".
QStringList unjudgedSignals(const Snapshot& snapshot);

} // namespace pw
