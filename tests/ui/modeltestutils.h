#pragma once

// Helpers for the table-model tests: snapshots from short text and a log of the model's change signals.

#include "model/snapshot.h"

#include <QAbstractItemModel>
#include <QStringList>

#include <memory>

namespace pw::test {

/// "stage/name{a=1,b=2}=7.5:WARN" → one SignalState (labels and ":SEV" optional; value absent → no value yet).
inline SignalState parseSignal(const QString& spec)
{
    SignalState s;
    QString rest = spec;
    const qsizetype colon = rest.lastIndexOf(QLatin1Char(':'));
    s.severity = Severity::Ok;
    if (colon > 0 && !rest.mid(colon + 1).contains(QLatin1Char('}'))) {
        s.severity = severityFromName(rest.mid(colon + 1)).value_or(Severity::Unknown);
        rest = rest.left(colon);
    }
    const qsizetype eq = rest.lastIndexOf(QLatin1Char('='));
    const qsizetype close = rest.lastIndexOf(QLatin1Char('}'));
    if (eq > close) {
        s.hasValue = true;
        s.value = rest.mid(eq + 1).toDouble();
        rest = rest.left(eq);
    }
    const qsizetype open = rest.indexOf(QLatin1Char('{'));
    if (open >= 0) {
        const QString inner = rest.mid(open + 1, rest.size() - open - 2);
        for (const QString& kv : inner.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const auto parts = kv.split(QLatin1Char('='));
            s.labels.emplace_back(parts.value(0), parts.value(1));
        }
        normalizeLabels(s.labels);
        rest = rest.left(open);
    }
    s.signalId = rest;
    s.stageId = rest.section(QLatin1Char('/'), 0, 0);
    s.name = rest.section(QLatin1Char('/'), 1);
    s.unit = QStringLiteral("s");
    return s;
}

inline SnapshotPtr snapshotOf(const QStringList& specs, qint64 takenMs = 0)
{
    auto snap = std::make_shared<Snapshot>();
    snap->takenMs = takenMs;
    for (const QString& spec : specs) {
        SignalState s = parseSignal(spec);
        s.valueTimestampMs = takenMs;
        bool known = false;
        for (const auto& st : snap->stages)
            known = known || st.stageId == s.stageId;
        if (!known) {
            StageState st;
            st.stageId = s.stageId;
            st.title = s.stageId.toUpper();
            snap->stages.push_back(st);
        }
        snap->signalStates.push_back(s);
    }
    return snap;
}

/// Records "insert f-l", "remove f-l", "change f-l", "reset" in the order the model emits them.
class ModelChangeLog : public QObject
{
public:
    explicit ModelChangeLog(QAbstractItemModel* model)
    {
        connect(model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex&, int f, int l) { entries << QStringLiteral("insert %1-%2").arg(f).arg(l); });
        connect(model, &QAbstractItemModel::rowsRemoved, this,
            [this](const QModelIndex&, int f, int l) { entries << QStringLiteral("remove %1-%2").arg(f).arg(l); });
        connect(model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex& a, const QModelIndex& b) {
            entries << QStringLiteral("change %1-%2").arg(a.row()).arg(b.row());
        });
        connect(model, &QAbstractItemModel::modelReset, this, [this] { entries << QStringLiteral("reset"); });
        connect(model, &QAbstractItemModel::layoutChanged, this, [this] { entries << QStringLiteral("layout"); });
    }
    QStringList entries;
};

/// One column of every row, in model order.
inline QStringList columnDump(const QAbstractItemModel& model, int column, int role = Qt::DisplayRole)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r)
        out << model.index(r, column).data(role).toString();
    return out;
}

} // namespace pw::test
