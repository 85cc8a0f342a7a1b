#include "sources/freshness.h"

#include <QDateTime>
#include <QTimeZone>

#include <cmath>

namespace pw {

Result<TimeFormat> timeFormatFromName(QStringView name)
{
    if (name.isEmpty() || name == u"auto")
        return TimeFormat::Auto;
    if (name == u"epoch_s" || name == u"epoch_seconds")
        return TimeFormat::EpochSeconds;
    if (name == u"epoch_ms" || name == u"epoch_millis")
        return TimeFormat::EpochMillis;
    if (name == u"rfc3339" || name == u"iso8601")
        return TimeFormat::Rfc3339;
    return fail(Error::Code::Config,
        QStringLiteral("unknown time_format `%1`: use auto, epoch_s, epoch_ms or rfc3339").arg(name));
}

namespace {

Result<qint64> fromNumber(double number, TimeFormat format)
{
    if (!std::isfinite(number))
        return fail(Error::Code::Parse, QStringLiteral("timestamp is not a finite number"));
    bool millis = format == TimeFormat::EpochMillis || (format == TimeFormat::Auto && std::fabs(number) > 1e11);
    if (format == TimeFormat::Rfc3339)
        return fail(Error::Code::Parse,
            QStringLiteral("expected an RFC 3339 string, got the number %1").arg(QString::number(number, 'g', 15)));
    const double ms = millis ? number : number * 1000.0;
    if (std::fabs(ms) > 1e16)
        return fail(Error::Code::Parse, QStringLiteral("timestamp %1 is out of range").arg(number, 0, 'g', 15));
    return qint64(std::llround(ms));
}

Result<qint64> fromDateTime(QDateTime dt, const QString& assumedZone)
{
    if (!dt.isValid())
        return fail(Error::Code::Parse, QStringLiteral("invalid date-time"));
    if (dt.timeSpec() == Qt::LocalTime) {
        // No zone in the value: a SQL `timestamp without time zone` or a naive ISO string.
        if (assumedZone.isEmpty() || assumedZone.compare(QLatin1String("UTC"), Qt::CaseInsensitive) == 0) {
            dt.setTimeSpec(Qt::UTC);
        } else {
            QTimeZone zone(assumedZone.toUtf8());
            if (!zone.isValid())
                return fail(Error::Code::Config, QStringLiteral("unknown time zone `%1`").arg(assumedZone));
            dt.setTimeZone(zone);
        }
    }
    return dt.toMSecsSinceEpoch();
}

Result<qint64> fromString(const QString& text, TimeFormat format, const QString& assumedZone)
{
    const QString trimmed = text.trimmed();
    if (format != TimeFormat::Rfc3339) {
        bool ok = false;
        const double number = trimmed.toDouble(&ok);
        if (ok)
            return fromNumber(number, format);
        if (format != TimeFormat::Auto)
            return fail(Error::Code::Parse, QStringLiteral("expected an epoch number, got `%1`").arg(trimmed.left(64)));
    }
    QDateTime dt = QDateTime::fromString(trimmed, Qt::ISODateWithMs);
    if (!dt.isValid()) {
        QString spaced = trimmed;
        if (spaced.size() > 10 && spaced[10] == QLatin1Char(' '))
            spaced[10] = QLatin1Char('T'); // "2026-11-26 09:00:00" as SQL prints it
        dt = QDateTime::fromString(spaced, Qt::ISODateWithMs);
    }
    if (!dt.isValid())
        return fail(Error::Code::Parse,
            QStringLiteral("`%1` is not a timestamp (expected RFC 3339 like 2026-11-26T09:00:00Z or epoch "
                           "seconds)")
                .arg(trimmed.left(64)));
    return fromDateTime(dt, assumedZone);
}

} // namespace

Result<qint64> timestampToMs(const QVariant& value, TimeFormat format, const QString& assumedZone)
{
    if (!value.isValid() || value.isNull())
        return fail(
            Error::Code::NoDataYet, QStringLiteral("the first row (the newest timestamp is NULL: the table is empty)"));
    switch (value.metaType().id()) {
    case QMetaType::QDateTime:
        return fromDateTime(value.toDateTime(), assumedZone);
    case QMetaType::QDate:
        return fromDateTime(value.toDate().startOfDay(), assumedZone);
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Float:
        return fromNumber(value.toDouble(), format);
    case QMetaType::QString:
    case QMetaType::QByteArray:
        return fromString(value.toString(), format, assumedZone);
    default:
        return fail(Error::Code::Parse,
            QStringLiteral("expected a timestamp, got a value of type %1").arg(QString::fromLatin1(value.typeName())));
    }
}

Result<double> freshnessSeconds(qint64 newestMs, qint64 nowMsValue, qint64 skewToleranceMs)
{
    const qint64 age = nowMsValue - newestMs;
    if (age < -skewToleranceMs)
        return fail(Error::Code::Parse,
            QStringLiteral("newest timestamp is %1 s in the future: clock skew between Pathwatch and the "
                           "source (or the data is stamped in the wrong time zone)")
                .arg(double(-age) / 1000.0, 0, 'f', 1));
    return std::max<qint64>(0, age) / 1000.0;
}

} // namespace pw
