#pragma once

#include "model/error.h"

#include <QString>
#include <QVariant>

namespace pw {

/// How a timestamp read from a serving store or a JSON API is to be understood.
enum class TimeFormat
{
    Auto, // numbers: epoch seconds, or milliseconds when larger than 1e11; strings: RFC 3339 / ISO 8601
    EpochSeconds,
    EpochMillis,
    Rfc3339,
};

Result<TimeFormat> timeFormatFromName(QStringView name);

/// Reads a timestamp as milliseconds since the epoch. A date-time without a zone is read in `assumedZone`
/// ("UTC" or an IANA name such as "Europe/Berlin").
Result<qint64> timestampToMs(
    const QVariant& value, TimeFormat format, const QString& assumedZone = QStringLiteral("UTC"));

/// now − newest, in seconds. A newest timestamp more than `skewToleranceMs` in the future is an error that names the
/// clock skew instead of a negative age; within the tolerance the age is clamped to 0.
Result<double> freshnessSeconds(qint64 newestMs, qint64 nowMs, qint64 skewToleranceMs = 2000);

} // namespace pw
