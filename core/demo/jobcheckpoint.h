#pragma once

#include "demo/demosink.h"
#include "model/error.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pw::demo {

struct PartitionOffset
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0; // the next record to read

    bool operator==(const PartitionOffset&) const = default;
};

/// Everything the demo job needs to carry on exactly where a checkpoint or savepoint was taken: its windows and the
/// offsets they were counted up to, as a Flink job's keyed state and its Kafka source's split offsets.
struct JobSnapshot
{
    std::int64_t checkpointId = 0;
    QString jobId;
    bool savepoint = false;
    std::int64_t watermarkMs = 0; // event time up to which every minute is complete (Long.MIN_VALUE-like: 0)
    Aggregates open; // windows not emitted yet
    Aggregates emitted; // windows already written, kept for late events until the allowed lateness passed
    std::vector<PartitionOffset> offsets;
    std::int64_t lateRecordsDropped = 0; // records older than the allowed lateness, since the job started

    bool operator==(const JobSnapshot&) const;
};

/// The bytes of a snapshot file: one header line `pathwatch-demo-checkpoint 1 sha256=<hex> bytes=<n>`, then the
/// JSON. The digest makes a damaged file (torn, truncated, a flipped byte) detectable instead of silently wrong.
QByteArray encodeSnapshot(const JobSnapshot& snapshot);
/// The snapshot, or an error saying what is wrong with the bytes (Code::Parse).
Result<JobSnapshot> decodeSnapshot(const QByteArray& bytes);

/// Writes under a temporary name, syncs, renames over `file` and syncs the directory: a reader sees the old file or
/// the new one, never half of one, even after a crash.
Result<void> writeFileAtomically(const std::filesystem::path& file, const QByteArray& bytes);

/// A directory of checkpoints of one job (`chk-<id>.json`), keeping the newest `retained`. Not thread-safe: the job
/// thread owns it.
class CheckpointStore
{
public:
    explicit CheckpointStore(std::filesystem::path directory, int retained = 2);

    const std::filesystem::path& directory() const { return m_directory; }
    /// Writes the checkpoint atomically, then removes all but the newest `retained`. Returns the file written.
    Result<std::filesystem::path> write(const JobSnapshot& snapshot);

    struct Restored
    {
        JobSnapshot snapshot;
        std::filesystem::path file;
        QStringList skipped; // newer checkpoints that could not be read, each with why
    };
    /// The newest checkpoint that reads back intact; a damaged newer one is skipped (and named in `skipped`).
    std::optional<Restored> latest() const;
    /// Checkpoint files, newest first.
    std::vector<std::filesystem::path> files() const;

private:
    std::filesystem::path m_directory;
    int m_retained;
};

/// A savepoint as Flink lays it out: `<targetDirectory>/savepoint-<first 6 of the job id>-<12 hex>/_metadata`.
/// Returns its location as Flink reports it, "file:/abs/dir/savepoint-…".
Result<QString> writeSavepoint(const std::filesystem::path& targetDirectory, const JobSnapshot& snapshot);
/// Reads a savepoint from its location: the directory or its `_metadata`, with or without a `file:` scheme.
Result<JobSnapshot> readSavepoint(const QString& location);

} // namespace pw::demo
