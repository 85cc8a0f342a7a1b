#pragma once

#include <QHash>
#include <QString>

#include <functional>
#include <vector>

namespace pw {

/// What a keyed table model must do when its rows change; each hook wraps the model's protected begin/end calls.
struct RowDiffHooks
{
    std::function<void(int first, int last)> beginRemove;
    std::function<void()> endRemove;
    std::function<void(int first, int last)> beginInsert;
    std::function<void()> endInsert;
    std::function<void(int first, int last)> changed;
};

/// Turns `rows` into the rows of `incoming` with the fewest model signals, so views keep selection and scroll:
/// rows whose key is gone are removed (contiguous runs at once), rows still present are updated in place (one
/// dataChanged per contiguous run of changed rows), and new keys are appended at the end in incoming order.
/// Display order is left to a sorting proxy. Later duplicates of a key in `incoming` are dropped.
template<class Row, class KeyOf, class Same>
void applyRowDiff(std::vector<Row>& rows, std::vector<Row> incoming, KeyOf keyOf, Same same, const RowDiffHooks& hooks)
{
    QHash<QString, int> incomingIndex;
    incomingIndex.reserve(qsizetype(incoming.size()));
    std::vector<bool> duplicate(incoming.size(), false);
    for (int j = 0; j < int(incoming.size()); ++j) {
        const QString key = keyOf(incoming[j]);
        if (incomingIndex.contains(key))
            duplicate[j] = true;
        else
            incomingIndex.insert(key, j);
    }

    // Remove from the back so earlier indexes stay valid.
    for (int i = int(rows.size()) - 1; i >= 0;) {
        if (incomingIndex.contains(keyOf(rows[i]))) {
            --i;
            continue;
        }
        int first = i;
        while (first > 0 && !incomingIndex.contains(keyOf(rows[first - 1])))
            --first;
        hooks.beginRemove(first, i);
        rows.erase(rows.begin() + first, rows.begin() + i + 1);
        hooks.endRemove();
        i = first - 1;
    }

    std::vector<bool> used(incoming.size(), false);
    int runStart = -1;
    for (int i = 0; i < int(rows.size()); ++i) {
        const int j = incomingIndex.value(keyOf(rows[i]));
        used[j] = true;
        const bool differs = !same(rows[i], incoming[j]);
        if (differs) {
            rows[i] = std::move(incoming[j]);
            if (runStart < 0)
                runStart = i;
        } else if (runStart >= 0) {
            hooks.changed(runStart, i - 1);
            runStart = -1;
        }
    }
    if (runStart >= 0)
        hooks.changed(runStart, int(rows.size()) - 1);

    std::vector<Row> added;
    for (int j = 0; j < int(incoming.size()); ++j)
        if (!used[j] && !duplicate[j])
            added.push_back(std::move(incoming[j]));
    if (!added.empty()) {
        const int first = int(rows.size());
        hooks.beginInsert(first, first + int(added.size()) - 1);
        for (auto& r : added)
            rows.push_back(std::move(r));
        hooks.endInsert();
    }
}

} // namespace pw
