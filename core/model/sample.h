#pragma once

#include <QMetaType>
#include <QString>

#include <utility>
#include <vector>

namespace pw {

/// Sorted by name, unique names. Labels identify one series of a signal (topic, partition, job, quantile...).
using Labels = std::vector<std::pair<QString, QString>>;

void normalizeLabels(Labels& labels); // sort by name; a later duplicate wins
QString labelsToString(const Labels& labels); // {a="1",b="2"} with Prometheus escaping; "" when empty

/// The identity of one series in the history (SeriesStore): interned from a SignalSeriesKey, carried by each snapshot
/// row (SignalState::seriesId) so a row can ask for its own history. 0 is never a valid id.
using SeriesId = quint64;

/// A series: a signal (`stage/name`) and its labels (normalised). key() is the one string form used by the engine,
/// the history and the tables.
struct SignalSeriesKey
{
    QString signalId;
    Labels labels;

    QString key() const { return signalId + labelsToString(labels); }
    bool operator==(const SignalSeriesKey&) const = default;
};

/// One observation from a source. `signalId` is the config id of the signal it answers (`stage/name`).
struct Sample
{
    QString signalId;
    Labels labels;
    qint64 timestampMs = 0; // wall clock, ms since epoch: when the value was true (source time if given)
    double value = 0.0;
};

/// Milliseconds since the Unix epoch, wall clock.
qint64 nowMs();

} // namespace pw

Q_DECLARE_METATYPE(pw::Sample)
