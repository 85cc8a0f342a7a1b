#include "severitydelegate.h"

#include "model/severity.h"
#include "statusstyle.h"

#include <QApplication>
#include <QPainter>

namespace pw {

SeverityDelegate::SeverityDelegate(int severityRole, QObject* parent)
    : QStyledItemDelegate(parent)
    , m_severityRole(severityRole)
{ }

void SeverityDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString word = opt.text;
    opt.text.clear();
    // Selection and focus background from the style, then our pill on top.
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const QVariant sevVariant = index.data(m_severityRole);
    if (!sevVariant.isValid() || word.isEmpty())
        return;
    const auto severity = Severity(sevVariant.toInt());

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QFont font = opt.font;
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 0.85);
    const QFontMetrics fm(font);
    const int w = fm.horizontalAdvance(word) + fm.height();
    const int h = fm.height() + 2;
    QRect pill(0, 0, w, h);
    pill.moveCenter(opt.rect.center());
    if (pill.left() < opt.rect.left() + 2)
        pill.moveLeft(opt.rect.left() + 2);
    if (severity == Severity::Stale) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(StatusStyle::color(severity));
        painter->drawRoundedRect(pill, h / 2.0, h / 2.0);
        painter->setBrush(QBrush(QColor(255, 255, 255, 60), Qt::BDiagPattern));
        painter->drawRoundedRect(pill, h / 2.0, h / 2.0);
    } else {
        painter->setPen(Qt::NoPen);
        painter->setBrush(StatusStyle::color(severity));
        painter->drawRoundedRect(pill, h / 2.0, h / 2.0);
    }
    painter->setFont(font);
    painter->setPen(StatusStyle::onColor(severity));
    painter->drawText(pill, Qt::AlignCenter, word);
    painter->restore();
}

QSize SeverityDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    const QFontMetrics fm(option.font);
    size.setWidth(std::max(size.width(), fm.horizontalAdvance(QStringLiteral("UNKNOWN")) + 2 * fm.height()));
    return size;
}

} // namespace pw
