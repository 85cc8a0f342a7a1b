#pragma once

#include "model/snapshot.h"

#include <QFrame>

class QLabel;

namespace pw {

/// One hop of the pipeline strip: status band with the status word, stage title, headline value with unit, age of
/// that value and, when not OK, the reason. Child labels carry object names (statusLabel, titleLabel, signalLabel,
/// valueLabel, ageLabel, reasonLabel, detailLabel) so tests and accessibility tools can find them. GUI thread only.
class StageTile : public QFrame
{
    Q_OBJECT
public:
    explicit StageTile(QWidget* parent = nullptr);

    QString stageId() const { return m_stageId; }
    Severity severity() const { return m_severity; }

    /// Shows `stage` of `snapshot` (the headline signal is looked up there).
    void setStage(const StageState& stage, const Snapshot& snapshot);
    /// Re-renders the age line against `nowMs`.
    void refreshAge(qint64 nowMs);

Q_SIGNALS:
    /// Clicked, or Enter while focused: open the stage's page.
    void activated(const QString& stageId);

protected:
    void paintEvent(QPaintEvent* event) override;
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void focusInEvent(QFocusEvent* event) override;
    void focusOutEvent(QFocusEvent* event) override;

private:
    void applyColors();
    void elideTexts();

    QString m_stageId;
    Severity m_severity = Severity::Unknown;
    bool m_hasValue = false;
    qint64 m_valueTimestampMs = 0;
    QString m_signalText; // unelided
    QString m_valueText; // in full
    QString m_shortValueText; // large counts shortened, for narrow tiles
    qreal m_valuePointSize = 0; // the value's full size; long values are drawn smaller to fit
    QLabel* m_status;
    QLabel* m_title;
    QLabel* m_signal;
    QLabel* m_value;
    QLabel* m_age;
    QLabel* m_reason;
    QLabel* m_detail;
};

} // namespace pw
