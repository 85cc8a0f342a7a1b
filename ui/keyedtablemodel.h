#pragma once

#include "model/sample.h"

#include <QAbstractTableModel>
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

/// Collects the first and last column a row difference shows in, for one dataChanged over just those columns.
class ChangedColumns
{
public:
    void mark(bool differs, int from, int to)
    {
        if (!differs)
            return;
        m_first = m_last < 0 ? from : std::min(m_first, from);
        m_last = std::max(m_last, to);
    }
    void mark(bool differs, int column) { mark(differs, column, column); }
    /// {-1, -1} when nothing differs.
    std::pair<int, int> span() const { return m_last < 0 ? std::pair {-1, -1} : std::pair {m_first, m_last}; }

private:
    int m_first = -1;
    int m_last = -1;
};

/// The base of Pathwatch's live tables: rows of type Row, each with a stable key, replaced by setRows() with the
/// fewest model signals (applyRowDiff: remove, dataChanged of the changed columns, append; never a reset), so a view
/// keeps its selection and scroll. An optional age column is re-evaluated against a clock without new rows.
/// A derived class says how to key and compare rows and what a cell shows. GUI thread only.
template<class Row>
class KeyedTableModel : public QAbstractTableModel
{
public:
    explicit KeyedTableModel(int columns, int ageColumn = -1, QObject* parent = nullptr)
        : QAbstractTableModel(parent)
        , m_columns(columns)
        , m_ageColumn(ageColumn)
        , m_clock(&pw::nowMs)
    { }

    /// Wall clock (ms since epoch) for the age column; tests and screenshots pin it.
    void setClock(std::function<qint64()> clock)
    {
        m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
        refreshAges();
    }
    /// Re-evaluates the age column against the clock (called every second without new rows).
    void refreshAges()
    {
        if (!m_rows.empty() && m_ageColumn >= 0)
            Q_EMIT this->dataChanged(this->index(0, m_ageColumn), this->index(rowCount() - 1, m_ageColumn),
                {Qt::DisplayRole, Qt::UserRole + 1, Qt::ToolTipRole});
    }

    int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : int(m_rows.size()); }
    int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : m_columns; }
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override
    {
        if (!this->checkIndex(index,
                QAbstractItemModel::CheckIndexOption::IndexIsValid
                    | QAbstractItemModel::CheckIndexOption::ParentIsInvalid))
            return {};
        return rowData(m_rows[size_t(index.row())], index.column(), role);
    }

protected:
    virtual QString keyOf(const Row& row) const = 0;
    /// The first and last column whose display differs between two rows of one key; {-1, -1} when none.
    virtual std::pair<int, int> changedColumns(const Row& before, const Row& after) const = 0;
    virtual QVariant rowData(const Row& row, int column, int role) const = 0;

    void setRows(std::vector<Row> incoming)
    {
        const RowDiffHooks hooks {
            [this](int f, int l) { this->beginRemoveRows({}, f, l); },
            [this] { this->endRemoveRows(); },
            [this](int f, int l) { this->beginInsertRows({}, f, l); },
            [this] { this->endInsertRows(); },
            [this](int f, int l, int fc, int lc) { Q_EMIT this->dataChanged(this->index(f, fc), this->index(l, lc)); },
        };
        applyRowDiff(
            m_rows, std::move(incoming), [this](const Row& r) { return keyOf(r); },
            [this](const Row& a, const Row& b) { return changedColumns(a, b); }, hooks);
    }
    const std::vector<Row>& rows() const { return m_rows; }
    qint64 now() const { return m_clock(); }

private:
    std::vector<Row> m_rows;
    const int m_columns;
    const int m_ageColumn;
    std::function<qint64()> m_clock;
};

} // namespace pw
