#pragma once

#include "model/snapshot.h"

#include <QList>
#include <QWidget>

class QHBoxLayout;

namespace pw {

class StageTile;

/// The path at a glance: one StageTile per stage in path order with arrows between them. Tiles are rebuilt only
/// when the list of stages changes; otherwise they are updated in place. GUI thread only.
class PipelineStrip : public QWidget
{
    Q_OBJECT
public:
    explicit PipelineStrip(QWidget* parent = nullptr);

    void setSnapshot(const Snapshot& snapshot);
    void refreshAges(qint64 nowMs);

    QList<StageTile*> tiles() const { return m_tiles; }
    StageTile* tile(const QString& stageId) const;

Q_SIGNALS:
    void stageActivated(const QString& stageId);

private:
    void rebuild(const std::vector<StageState>& stages);

    QHBoxLayout* m_layout;
    QList<StageTile*> m_tiles;
    QStringList m_stageIds;
};

} // namespace pw
