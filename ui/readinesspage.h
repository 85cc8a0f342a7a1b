#pragma once

#include "readiness/readiness.h"

#include <QWidget>

#include <functional>
#include <memory>

class QLabel;
class QTreeWidget;

namespace pw {

/// The Readiness page: each layer of the mart with its verdict (PASS / WARN / FAIL / UNKNOWN), the evidence behind
/// it and its age, and what to do to pass. Fed with reports judged off the GUI thread (Instance::readinessReady);
/// "Judge Again" only asks for one. GUI thread only.
class ReadinessPage : public QWidget
{
    Q_OBJECT
public:
    explicit ReadinessPage(QWidget* parent = nullptr);

    /// Wall clock (ms since epoch) for the ages shown.
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }
    std::shared_ptr<const ReadinessReport> report() const { return m_report; }
    QTreeWidget* tree() const { return m_tree; }

public Q_SLOTS:
    void setReport(std::shared_ptr<const pw::ReadinessReport> report);

Q_SIGNALS:
    void backRequested();
    void refreshRequested();

private:
    void rebuild();

    std::function<qint64()> m_clock;
    std::shared_ptr<const ReadinessReport> m_report;
    QLabel* m_headline = nullptr;
    QLabel* m_judged = nullptr;
    QTreeWidget* m_tree = nullptr;
};

} // namespace pw
