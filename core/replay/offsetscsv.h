#pragma once

#include "model/error.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <vector>

namespace pw {

/// One `topic,partition,offset` line of the CSV that `kafka-consumer-groups --reset-offsets --export` writes and
/// `--from-file` reads.
struct OffsetsCsvRow
{
    QString topic;
    int32_t partition = 0;
    int64_t offset = 0;
    bool operator==(const OffsetsCsvRow&) const = default;
};

/// Parses the CSV. Blank lines, surrounding spaces and CRLF line ends are accepted; anything else wrong (a missing
/// field, a bad topic name, a negative or non-numeric partition or offset, a partition listed twice) fails with
/// Error::Code::Parse naming the 1-based line and column. `fileName` only goes into the error.
Result<std::vector<OffsetsCsvRow>> parseOffsetsCsv(const QByteArray& text, const QString& fileName = {});
/// The CSV text, one line per row in the given order, each ended by "\n".
QByteArray formatOffsetsCsv(const std::vector<OffsetsCsvRow>& rows);

Result<std::vector<OffsetsCsvRow>> readOffsetsCsvFile(const QString& path);
/// Writes atomically (a temporary file renamed over `path`).
Result<void> writeOffsetsCsvFile(const QString& path, const std::vector<OffsetsCsvRow>& rows);

/// True for a name Kafka accepts for a topic: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..".
bool isValidTopicName(const QString& name);

} // namespace pw
