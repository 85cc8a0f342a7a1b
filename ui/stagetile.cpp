#include "stagetile.h"

#include "presentation/format.h"
#include "statusstyle.h"

#include <QEvent>
#include <QKeyEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QResizeEvent>
#include <QVBoxLayout>

namespace pw {

namespace {
constexpr int kBandHeight = 30;
constexpr int kRadius = 8;

QLabel* makeLabel(const QString& objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    return label;
}
} // namespace

StageTile::StageTile(QWidget* parent)
    : QFrame(parent)
    , m_status(makeLabel(QStringLiteral("statusLabel"), this))
    , m_title(makeLabel(QStringLiteral("titleLabel"), this))
    , m_signal(makeLabel(QStringLiteral("signalLabel"), this))
    , m_value(makeLabel(QStringLiteral("valueLabel"), this))
    , m_age(makeLabel(QStringLiteral("ageLabel"), this))
    , m_reason(makeLabel(QStringLiteral("reasonLabel"), this))
    , m_detail(makeLabel(QStringLiteral("detailLabel"), this))
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setMinimumWidth(190);
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Open this stage's page: history charts and its series (click or Enter)"));
    setAttribute(Qt::WA_OpaquePaintEvent, false);

    QFont statusFont = font();
    statusFont.setBold(true);
    statusFont.setLetterSpacing(QFont::PercentageSpacing, 108);
    m_status->setFont(statusFont);
    m_status->setFixedHeight(kBandHeight);
    m_status->setContentsMargins(12, 0, 12, 0);

    QFont titleFont = font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
    m_title->setFont(titleFont);

    QFont smallFont = font();
    smallFont.setPointSizeF(smallFont.pointSizeF() * 0.92);
    m_signal->setFont(smallFont);
    m_age->setFont(smallFont);
    m_detail->setFont(smallFont);
    m_reason->setFont(smallFont);

    QFont valueFont = font();
    valueFont.setBold(true);
    valueFont.setPointSizeF(valueFont.pointSizeF() * 2.3);
    m_value->setFont(valueFont);
    m_valuePointSize = valueFont.pointSizeF();
    // A long value ("12,345 messages") shrinks to fit the tile; the label keeps the full size's height so the
    // values of all tiles stay on one line.
    m_value->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_value->setFixedHeight(QFontMetrics(valueFont).height());
    m_value->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);

    m_reason->setWordWrap(true);
    m_reason->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_reason->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    // Two lines are always reserved so the values of all tiles line up, whether or not a tile has a reason.
    m_reason->setFixedHeight(2 * QFontMetrics(smallFont).lineSpacing() + 2);
    m_signal->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto* body = new QVBoxLayout;
    body->setContentsMargins(14, 8, 14, 12);
    body->setSpacing(2);
    body->addWidget(m_title);
    body->addWidget(m_signal);
    body->addSpacing(4);
    body->addWidget(m_value);
    body->addWidget(m_age);
    body->addSpacing(4);
    body->addWidget(m_reason);
    body->addWidget(m_detail);
    body->addStretch(1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_status);
    layout->addLayout(body, 1);

    applyColors();
}

void StageTile::setStage(const StageState& stage, const Snapshot& snapshot)
{
    m_stageId = stage.stageId;
    setObjectName(QStringLiteral("stageTile_") + stage.stageId);
    m_severity = stage.severity;

    m_status->setText(severityName(stage.severity));
    m_title->setText(stage.title.isEmpty() ? stage.stageId : stage.title);

    const SignalState* headline = nullptr;
    if (stage.headlineSignal >= 0 && size_t(stage.headlineSignal) < snapshot.signalStates.size())
        headline = &snapshot.signalStates[size_t(stage.headlineSignal)];

    QString valueText = QStringLiteral("—");
    QString signalText;
    m_hasValue = false;
    if (headline) {
        signalText = headline->kind == SignalKind::Custom ? headline->name : signalKindTitle(headline->kind);
        const QString labels = StatusStyle::formatLabels(headline->labels);
        if (!labels.isEmpty())
            signalText += QStringLiteral(" · ") + labels;
        if (headline->hasValue) {
            valueText = formatValue(headline->value, headline->unit);
            m_shortValueText = formatValueShort(headline->value, headline->unit);
            m_hasValue = true;
            m_valueTimestampMs = headline->valueTimestampMs;
        }
    } else if (stage.dataAgeSeconds) {
        signalText = signalKindTitle(SignalKind::DataAge);
        valueText = formatValue(*stage.dataAgeSeconds, QStringLiteral("s"));
        m_shortValueText = valueText;
        m_hasValue = true;
        m_valueTimestampMs = snapshot.takenMs;
    } else {
        signalText = tr("no signals");
    }
    m_signalText = signalText;
    m_signal->setToolTip(signalText);
    m_valueText = valueText;
    if (!m_hasValue)
        m_shortValueText = valueText;
    elideTexts();

    const bool notOk = stage.severity != Severity::Ok;
    QString reason = stage.reason;
    if (reason.isEmpty() && stage.severity == Severity::Unknown)
        reason = tr("No data yet");
    m_reason->setText(notOk ? reason : QString());
    m_reason->setToolTip(notOk ? reason : QString());

    int notOkCount = 0;
    for (int i : stage.signalIndexes)
        if (i >= 0 && size_t(i) < snapshot.signalStates.size()
            && snapshot.signalStates[size_t(i)].severity != Severity::Ok)
            ++notOkCount;
    const int total = int(stage.signalIndexes.size());
    QString detail = total == 1 ? tr("1 signal") : tr("%1 signals").arg(total);
    if (notOkCount > 0)
        detail += tr(" · %1 not OK").arg(notOkCount);
    m_detail->setText(detail);

    setAccessibleName(QStringLiteral("%1: %2, %3").arg(m_title->text(), m_status->text(), valueText));
    setToolTip(notOk && !reason.isEmpty() ? QStringLiteral("%1 — %2").arg(m_status->text(), reason) : QString());
    applyColors();
    update();
}

void StageTile::refreshAge(qint64 nowMs)
{
    if (!m_hasValue) {
        m_age->setText(m_severity == Severity::Unknown ? tr("waiting for the first value") : QString());
        return;
    }
    const QString age = StatusStyle::formatAge(nowMs - m_valueTimestampMs);
    // A STALE tile shows the last good value; say so, so it is never read as current.
    m_age->setText(m_severity == Severity::Stale ? tr("last value %1").arg(age) : age);
}

void StageTile::resizeEvent(QResizeEvent* event)
{
    QFrame::resizeEvent(event);
    elideTexts();
}

void StageTile::elideTexts()
{
    const int width = std::max(20, contentsRect().width() - 28);
    m_signal->setText(m_signal->fontMetrics().elidedText(m_signalText, Qt::ElideRight, width));

    // The full value when it fits at up to half size, else the short form ("123 M messages"), shrunk as needed.
    QFont valueFont = m_value->font();
    QString text;
    for (const QString& candidate : {m_valueText, m_shortValueText}) {
        text = candidate;
        qreal size = m_valuePointSize;
        valueFont.setPointSizeF(size);
        while (size > m_valuePointSize * 0.5 && QFontMetrics(valueFont).horizontalAdvance(text) > width) {
            size *= 0.92;
            valueFont.setPointSizeF(size);
        }
        if (QFontMetrics(valueFont).horizontalAdvance(text) <= width)
            break;
    }
    if (valueFont != m_value->font())
        m_value->setFont(valueFont);
    m_value->setText(text);
    m_value->setToolTip(text == m_valueText ? QString() : m_valueText);
}

void StageTile::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        applyColors();
    QFrame::changeEvent(event);
}

void StageTile::applyColors()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    QColor dim = text;
    dim.setAlphaF(0.62);

    auto setColor = [](QLabel* label, const QColor& c) {
        QPalette p = label->palette();
        p.setColor(QPalette::WindowText, c);
        label->setPalette(p);
    };
    setColor(m_status, StatusStyle::onColor(m_severity));
    setColor(m_title, text);
    setColor(m_signal, dim);
    setColor(m_age, dim);
    setColor(m_detail, dim);
    const bool dimmed = m_severity == Severity::Stale || m_severity == Severity::Unknown;
    setColor(m_value, dimmed ? dim : text);
    QFont vf = m_value->font();
    vf.setItalic(m_severity == Severity::Stale);
    m_value->setFont(vf);
    // Reasons read in the status colour on light themes; on dark ones a lightened one keeps the contrast.
    QColor reason = StatusStyle::color(m_severity);
    if (StatusStyle::isDark(pal))
        reason = reason.lighter(135);
    else
        reason = reason.darker(m_severity == Severity::Warn ? 160 : 115);
    setColor(m_reason, m_severity == Severity::Stale || m_severity == Severity::Unknown ? text : reason);
}

void StageTile::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton && rect().contains(event->position().toPoint()) && !m_stageId.isEmpty()) {
        Q_EMIT activated(m_stageId);
        return;
    }
    QFrame::mouseReleaseEvent(event);
}

void StageTile::keyPressEvent(QKeyEvent* event)
{
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter || event->key() == Qt::Key_Space)
        && !m_stageId.isEmpty()) {
        Q_EMIT activated(m_stageId);
        return;
    }
    QFrame::keyPressEvent(event);
}

void StageTile::focusInEvent(QFocusEvent* event)
{
    QFrame::focusInEvent(event);
    update();
}

void StageTile::focusOutEvent(QFocusEvent* event)
{
    QFrame::focusOutEvent(event);
    update();
}

void StageTile::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF r = QRectF(rect()).adjusted(1, 1, -1, -1);
    const QColor status = StatusStyle::color(m_severity);

    QPainterPath outline;
    outline.addRoundedRect(r, kRadius, kRadius);
    p.fillPath(outline, StatusStyle::tint(m_severity, palette()));

    // The band: clip to the rounded outline so only its top corners are round.
    p.save();
    p.setClipPath(outline);
    const QRectF band(r.left(), r.top(), r.width(), kBandHeight);
    p.fillRect(band, status);
    if (m_severity == Severity::Stale)
        p.fillRect(band, QBrush(QColor(255, 255, 255, 70), Qt::BDiagPattern));
    p.restore();

    QPen pen(m_severity == Severity::Crit ? status : status.darker(110));
    pen.setWidthF(m_severity == Severity::Crit ? 2.5 : 1.2);
    if (m_severity == Severity::Stale)
        pen.setStyle(Qt::DashLine);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    p.drawRoundedRect(r, kRadius, kRadius);
    if (hasFocus()) {
        QPen focus(palette().color(QPalette::Highlight));
        focus.setWidthF(2.5);
        p.setPen(focus);
        p.drawRoundedRect(r.adjusted(1.5, 1.5, -1.5, -1.5), kRadius, kRadius);
    }
}

} // namespace pw
