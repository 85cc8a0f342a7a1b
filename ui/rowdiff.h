#pragma once

#include <QHash>
#include <QString>

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace pw {

/// What a keyed table model must do when its rows change; each hook wraps the model's protected begin/end calls.
struct RowDiffHooks
{
    std::function<void(int first, int last)> beginRemove;
    std::function<void()> endRemove;
    std::function<void(int first, int last)> beginInsert;
    std::function<void()> endInsert;
    std::function<void(int first, int last, int firstColumn, int lastColumn)> changed;
};

/// Turns `rows` into the rows of `incoming` with the fewest model signals, so views keep selection and scroll:
/// rows whose key is gone are removed (contiguous runs at once), rows still present are updated in place (one
/// dataChanged per contiguous run of changed rows, spanning only the columns that changed, so a proxy sorted on an
/// unchanged column does not re-sort), and new keys are appended at the end in incoming order.
/// `changedColumns(old, new)` returns the first and last changed column, or {-1, -1} when the rows are equal.
/// Display order is left to a sorting proxy. Later duplicates of a key in `incoming` are dropped.
template<class Row, class KeyOf, class ChangedColumns>
void applyRowDiff(std::vector<Row>& rows, std::vector<Row> incoming, KeyOf keyOf, ChangedColumns changedColumns,
    const RowDiffHooks& hooks)
{
    // Keys are computed once per row; building them (labels to text) is the expensive part for large tables.
    std::vector<QString> rowKeys;
    rowKeys.reserve(rows.size());
    for (const Row& r : rows)
        rowKeys.push_back(keyOf(r));
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
        if (incomingIndex.contains(rowKeys[i])) {
            --i;
            continue;
        }
        int first = i;
        while (first > 0 && !incomingIndex.contains(rowKeys[first - 1]))
            --first;
        hooks.beginRemove(first, i);
        rows.erase(rows.begin() + first, rows.begin() + i + 1);
        rowKeys.erase(rowKeys.begin() + first, rowKeys.begin() + i + 1);
        hooks.endRemove();
        i = first - 1;
    }

    std::vector<bool> used(incoming.size(), false);
    int runStart = -1;
    int runFirstColumn = 0;
    int runLastColumn = 0;
    for (int i = 0; i < int(rows.size()); ++i) {
        const int j = incomingIndex.value(rowKeys[i]);
        used[j] = true;
        const auto [firstColumn, lastColumn] = changedColumns(rows[i], incoming[j]);
        if (firstColumn >= 0) {
            rows[i] = std::move(incoming[j]);
            if (runStart < 0) {
                runStart = i;
                runFirstColumn = firstColumn;
                runLastColumn = lastColumn;
            } else {
                runFirstColumn = std::min(runFirstColumn, firstColumn);
                runLastColumn = std::max(runLastColumn, lastColumn);
            }
        } else if (runStart >= 0) {
            hooks.changed(runStart, i - 1, runFirstColumn, runLastColumn);
            runStart = -1;
        }
    }
    if (runStart >= 0)
        hooks.changed(runStart, int(rows.size()) - 1, runFirstColumn, runLastColumn);

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
