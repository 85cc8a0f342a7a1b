#include "watchscreen.h"

#include "presentation/format.h"
#include "statusstyle.h"

#include <QDateTime>
#include <QKeyEvent>
#include <QPainter>

#include <algorithm>

namespace pw {

namespace {
const QColor kBackground(0x11, 0x13, 0x17);
const QColor kText(0xec, 0xee, 0xf1);
const QColor kDim(0x9a, 0xa0, 0xa8);
constexpr double kHeadlineFraction = 0.085; // of the screen height: readable across a room
} // namespace

WatchScreen::WatchScreen(QWidget* parent)
    : QWidget(parent)
    , m_clock(&pw::nowMs)
{
    setObjectName(QStringLiteral("watchScreen"));
    setWindowTitle(tr("Pathwatch — Watch Screen"));
    setAutoFillBackground(true);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, kBackground);
    pal.setColor(QPalette::WindowText, kText);
    setPalette(pal);
    setCursor(Qt::BlankCursor);
    setFocusPolicy(Qt::StrongFocus);
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        m_pulse = !m_pulse;
        update();
    });
    m_tick.start();
}

void WatchScreen::setClock(std::function<qint64()> clock)
{
    m_clock = clock ? std::move(clock) : std::function<qint64()>(&pw::nowMs);
    update();
}

void WatchScreen::setSnapshot(const SnapshotPtr& snapshot)
{
    if (!snapshot)
        return;
    m_snapshot = snapshot;
    update();
}

QStringList WatchScreen::orderedStageIds() const
{
    QStringList ids;
    if (!m_snapshot)
        return ids;
    std::vector<const StageState*> stages;
    for (const auto& s : m_snapshot->stages)
        stages.push_back(&s);
    std::stable_sort(stages.begin(), stages.end(),
        [](const StageState* a, const StageState* b) { return severityRank(a->severity) > severityRank(b->severity); });
    for (const auto* s : stages)
        ids << s->stageId;
    return ids;
}

int WatchScreen::headlinePixelSize() const
{
    return std::max(24, int(height() * kHeadlineFraction));
}

QString WatchScreen::staleBanner() const
{
    if (!m_snapshot)
        return {};
    QStringList stale;
    for (const auto& source : m_snapshot->sources)
        if (source.severity == Severity::Stale) {
            QString why = source.error;
            if (why.startsWith(source.sourceId + QStringLiteral(": ")))
                why = why.mid(source.sourceId.size() + 2);
            stale << (why.isEmpty() ? source.sourceId : QStringLiteral("%1: %2").arg(source.sourceId, why));
        }
    if (stale.isEmpty())
        return {};
    return tr("STALE — cannot read %1 — values shown are the last good ones").arg(stale.join(QStringLiteral(", ")));
}

QString WatchScreen::topSentence() const
{
    if (!m_snapshot)
        return tr("Waiting for the first snapshot…");
    const QString stop = dataStopSentence(*m_snapshot);
    if (!stop.isEmpty())
        return stop.left(1).toUpper() + stop.mid(1);
    return tr("%1: %2").arg(m_snapshot->pipelineName, severityName(m_snapshot->overall));
}

QString WatchScreen::degradedLine() const
{
    return m_snapshot ? degradedSentence(m_snapshot->degraded, m_clock()) : QString();
}

void WatchScreen::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Escape || event->key() == Qt::Key_F11) {
        Q_EMIT closeRequested();
        return;
    }
    QWidget::keyPressEvent(event);
}

void WatchScreen::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    p.fillRect(rect(), kBackground);
    const int h = height();
    const int w = width();
    const int margin = std::max(12, h / 60);
    const qint64 now = m_clock();

    auto fontPx = [this](int px, bool bold) {
        QFont f = font();
        f.setPixelSize(std::max(8, px));
        f.setBold(bold);
        return f;
    };

    int y = margin;
    // The STALE banner: loud, pulsing border, words not just colour.
    const QString banner = staleBanner();
    if (!banner.isEmpty()) {
        const int bh = int(h * 0.07);
        const QRect r(margin, y, w - 2 * margin, bh);
        p.fillRect(r, StatusStyle::color(Severity::Stale));
        if (m_pulse) {
            p.setPen(QPen(kText, std::max(3, bh / 12)));
            p.drawRect(r.adjusted(2, 2, -2, -2));
        }
        p.setPen(StatusStyle::onColor(Severity::Stale));
        p.setFont(fontPx(int(bh * 0.42), true));
        p.drawText(r.adjusted(margin, 0, -margin, 0), Qt::AlignVCenter | Qt::AlignLeft | Qt::TextSingleLine,
            p.fontMetrics().elidedText(banner, Qt::ElideRight, r.width() - 2 * margin));
        y += bh + margin;
    }

    // Monitoring goes on while the data dir cannot be written: a line, not a pulsing banner, but words a room reads.
    if (const QString degraded = degradedLine(); !degraded.isEmpty()) {
        const int lh = int(h * 0.045);
        const QRect r(margin, y, w - 2 * margin, lh);
        p.fillRect(r, StatusStyle::color(Severity::Warn));
        p.setPen(StatusStyle::onColor(Severity::Warn));
        QFont lf = fontPx(int(lh * 0.46), true);
        p.setFont(lf);
        const int room = r.width() - 2 * margin;
        while (p.fontMetrics().horizontalAdvance(degraded) > room && lf.pixelSize() > int(lh * 0.34)) {
            lf.setPixelSize(lf.pixelSize() * 9 / 10);
            p.setFont(lf);
        }
        // Cut in the middle, so "DEGRADED" and "monitoring goes on" both stay.
        p.drawText(r.adjusted(margin, 0, -margin, 0), Qt::AlignVCenter | Qt::AlignLeft | Qt::TextSingleLine,
            p.fontMetrics().elidedText(degraded, Qt::ElideMiddle, room));
        y += lh + margin;
    }

    // Header: the sentence on the left, clock and update age on the right.
    const int headerH = int(h * 0.09);
    const int clockW = int(w * 0.22);
    p.setFont(fontPx(int(headerH * 0.62), true));
    p.setPen(kText);
    p.drawText(QRect(w - margin - clockW, y, clockW, int(headerH * 0.7)), Qt::AlignRight | Qt::AlignVCenter,
        QDateTime::fromMSecsSinceEpoch(now).toString(QStringLiteral("HH:mm:ss")));
    p.setFont(fontPx(int(headerH * 0.26), false));
    p.setPen(kDim);
    const QString updated
        = m_snapshot ? tr("updated %1").arg(StatusStyle::formatAge(now - m_snapshot->takenMs)) : QString();
    p.drawText(QRect(w - margin - clockW, y + int(headerH * 0.7), clockW, int(headerH * 0.3)),
        Qt::AlignRight | Qt::AlignVCenter, updated);
    const bool stopping = m_snapshot && !m_snapshot->dataStopStageId.isEmpty();
    p.setFont(fontPx(int(headerH * 0.36), true));
    p.setPen(stopping ? StatusStyle::color(Severity::Crit).lighter(140) : kText);
    p.drawText(QRect(margin, y, w - 3 * margin - clockW, headerH), Qt::AlignVCenter | Qt::AlignLeft | Qt::TextWordWrap,
        topSentence());
    y += headerH + margin;

    if (!m_snapshot)
        return;
    const QStringList order = orderedStageIds();
    if (order.isEmpty())
        return;
    const int rowGap = std::max(6, margin / 2);
    const int rowH = std::max(40, (h - y - margin - rowGap * int(order.size() - 1)) / int(order.size()));
    const int headlinePx = std::min(headlinePixelSize() * 3 / 2, std::max(headlinePixelSize(), int(rowH * 0.62)));
    for (const QString& id : order) {
        const StageState* stage = nullptr;
        for (const auto& s : m_snapshot->stages)
            if (s.stageId == id)
                stage = &s;
        const QRect row(margin, y, w - 2 * margin, rowH);
        QColor body = StatusStyle::color(stage->severity);
        body.setAlpha(stage->severity == Severity::Ok ? 28 : 70);
        p.fillRect(row, body);
        // Status word on its colour, a third of a headline high.
        const int wordW = int(w * 0.16);
        const QRect wordRect(row.left(), row.top(), wordW, rowH);
        p.fillRect(wordRect, StatusStyle::color(stage->severity));
        p.setPen(StatusStyle::onColor(stage->severity));
        QFont wf = fontPx(std::min(int(rowH * 0.38), int(wordW / 4.2)), true);
        p.setFont(wf);
        const QString word = severityName(stage->severity);
        while (p.fontMetrics().horizontalAdvance(word) > wordW - 12 && wf.pixelSize() > 10) { // UNKNOWN is long
            wf.setPixelSize(wf.pixelSize() * 9 / 10);
            p.setFont(wf);
        }
        p.drawText(wordRect, Qt::AlignCenter, word);

        const int textLeft = wordRect.right() + margin;
        const int valueW = int(w * 0.40);
        p.setPen(kText);
        p.setFont(fontPx(int(rowH * 0.26), true));
        const QRect titleRect(
            textLeft, row.top() + rowH / 12, row.right() - textLeft - valueW - margin, int(rowH * 0.4));
        p.drawText(titleRect, Qt::AlignLeft | Qt::AlignVCenter,
            p.fontMetrics().elidedText(stage->title, Qt::ElideRight, titleRect.width()));
        p.setPen(kDim);
        p.setFont(fontPx(int(rowH * 0.16), false));
        QString detail = stage->reason;
        if (stage->headlineSignal >= 0) {
            const SignalState& s = m_snapshot->signalStates[std::size_t(stage->headlineSignal)];
            const QString what
                = s.labels.empty() ? s.name : QStringLiteral("%1 %2").arg(s.name, StatusStyle::formatLabels(s.labels));
            detail = detail.isEmpty() ? what : QStringLiteral("%1 — %2").arg(what, detail);
        }
        const QRect detailRect(
            textLeft, titleRect.bottom() + 2, titleRect.width(), row.bottom() - titleRect.bottom() - 4);
        p.drawText(detailRect, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, detail);

        QString value = QStringLiteral("—");
        if (stage->headlineSignal >= 0) {
            const SignalState& s = m_snapshot->signalStates[std::size_t(stage->headlineSignal)];
            if (s.hasValue)
                value = formatValueShort(s.value, s.unit);
        }
        QFont vf = fontPx(headlinePx, true);
        p.setFont(vf);
        const QRect valueRect(row.right() - valueW - margin, row.top(), valueW, rowH);
        while (p.fontMetrics().horizontalAdvance(value) > valueW && vf.pixelSize() > headlinePixelSize() / 2) {
            vf.setPixelSize(vf.pixelSize() * 9 / 10);
            p.setFont(vf);
        }
        p.setPen(kText);
        p.drawText(valueRect, Qt::AlignRight | Qt::AlignVCenter, value);
        y += rowH + rowGap;
    }
}

} // namespace pw
