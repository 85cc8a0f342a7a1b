#pragma once

#include <QStyledItemDelegate>

namespace pw {

/// Paints a status cell as a coloured pill with the status word in it (the word, not only the colour, carries the
/// meaning). Reads int(pw::Severity) from `severityRole` and the word from Qt::DisplayRole. GUI thread only.
class SeverityDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit SeverityDelegate(int severityRole, QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int m_severityRole;
};

} // namespace pw
