#include "replay/offsetscsv.h"

#include <QFile>
#include <QSaveFile>

#include <limits>
#include <set>
#include <utility>

namespace pw {

namespace {

constexpr qsizetype kMaxTopicLength = 249;

std::unexpected<Error> csvError(const QString& fileName, int line, int column, const QString& message)
{
    Error e = Error::make(Error::Code::Parse, message);
    e.file = fileName;
    e.line = line;
    e.column = column;
    e.hint = QStringLiteral("each line must be topic,partition,offset as kafka-consumer-groups --export writes it");
    return std::unexpected(e);
}

/// Parses a non-negative decimal integer no larger than `max`; nullopt for anything else.
std::optional<int64_t> parseCount(QByteArrayView text, int64_t max)
{
    if (text.isEmpty() || text.size() > 19)
        return std::nullopt;
    int64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const int digit = c - '0';
        if (value > (max - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

/// A field of one line with its 1-based column, spaces around it removed.
struct Field
{
    QByteArrayView text;
    int column = 1;
};

Field trimmed(QByteArrayView line, qsizetype begin, qsizetype end)
{
    while (begin < end && (line[begin] == ' ' || line[begin] == '\t'))
        ++begin;
    while (end > begin && (line[end - 1] == ' ' || line[end - 1] == '\t'))
        --end;
    return {line.sliced(begin, end - begin), int(begin) + 1};
}

} // namespace

bool isValidTopicName(const QString& name)
{
    if (name.isEmpty() || name.size() > kMaxTopicLength || name == QLatin1String(".") || name == QLatin1String(".."))
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.'
            || u == '_' || u == '-';
        if (!ok)
            return false;
    }
    return true;
}

Result<std::vector<OffsetsCsvRow>> parseOffsetsCsv(const QByteArray& text, const QString& fileName)
{
    std::vector<OffsetsCsvRow> rows;
    std::set<std::pair<QString, int32_t>> seen;
    const QByteArrayView all(text);
    int lineNumber = 0;
    qsizetype pos = 0;
    while (pos < all.size()) {
        qsizetype end = all.indexOf('\n', pos);
        if (end < 0)
            end = all.size();
        QByteArrayView line = all.sliced(pos, end - pos);
        pos = end + 1;
        ++lineNumber;
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        std::vector<Field> fields;
        qsizetype start = 0;
        for (qsizetype i = 0; i <= line.size(); ++i) {
            if (i == line.size() || line[i] == ',') {
                fields.push_back(trimmed(line, start, i));
                start = i + 1;
            }
        }
        if (fields.size() != 3) {
            const int column = fields.size() > 3 ? fields[3].column - 1 : int(line.size()) + 1;
            return csvError(fileName, lineNumber, column,
                QStringLiteral("expected 3 fields (topic,partition,offset), found %1").arg(fields.size()));
        }
        for (qsizetype i = 0; i < line.size(); ++i) {
            const auto c = static_cast<unsigned char>(line[i]);
            if (c < 0x20 && c != '\t')
                return csvError(fileName, lineNumber, int(i) + 1, QStringLiteral("control character in the line"));
        }
        OffsetsCsvRow row;
        row.topic = QString::fromUtf8(fields[0].text);
        if (!isValidTopicName(row.topic))
            return csvError(fileName, lineNumber, fields[0].column,
                fields[0].text.isEmpty() ? QStringLiteral("the topic is empty")
                                         : QStringLiteral("\"%1\" is not a valid topic name (1 to 249 characters of "
                                                          "a-z, A-Z, 0-9, '.', '_' and '-')")
                                               .arg(row.topic.left(60)));
        const auto partition = parseCount(fields[1].text, std::numeric_limits<int32_t>::max());
        if (!partition)
            return csvError(fileName, lineNumber, fields[1].column,
                QStringLiteral("the partition \"%1\" is not a non-negative 32-bit integer")
                    .arg(QString::fromUtf8(fields[1].text.first(std::min<qsizetype>(30, fields[1].text.size())))));
        const auto offset = parseCount(fields[2].text, std::numeric_limits<int64_t>::max());
        if (!offset)
            return csvError(fileName, lineNumber, fields[2].column,
                QStringLiteral("the offset \"%1\" is not a non-negative 64-bit integer")
                    .arg(QString::fromUtf8(fields[2].text.first(std::min<qsizetype>(30, fields[2].text.size())))));
        row.partition = static_cast<int32_t>(*partition);
        row.offset = *offset;
        if (!seen.emplace(row.topic, row.partition).second)
            return csvError(fileName, lineNumber, fields[1].column,
                QStringLiteral("%1 partition %2 is listed twice").arg(row.topic).arg(row.partition));
        rows.push_back(std::move(row));
    }
    return rows;
}

QByteArray formatOffsetsCsv(const std::vector<OffsetsCsvRow>& rows)
{
    QByteArray out;
    for (const auto& row : rows)
        out += row.topic.toUtf8() + ',' + QByteArray::number(row.partition) + ',' + QByteArray::number(row.offset)
            + '\n';
    return out;
}

Result<std::vector<OffsetsCsvRow>> readOffsetsCsvFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::Code::Io, QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    constexpr qint64 kMaxBytes = 256LL << 20;
    if (file.size() > kMaxBytes)
        return fail(Error::Code::TooLarge, QStringLiteral("%1 is larger than 256 MiB").arg(path));
    return parseOffsetsCsv(file.readAll(), path);
}

Result<void> writeOffsetsCsvFile(const QString& path, const std::vector<OffsetsCsvRow>& rows)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    file.write(formatOffsetsCsv(rows));
    if (!file.commit())
        return fail(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

} // namespace pw
