#pragma once

#include "sources/source.h"

#include <atomic>

namespace pw {

/// Dashboard freshness from a serving store: each signal's `sql` returns the newest timestamp a dashboard shows
/// (`select max(ts) from …`); the value is now − that, in seconds. Drivers: QPSQL and QSQLITE.
///
/// Each poll runs on the engine's blocking pool with its own connection (a QSqlDatabase belongs to the thread that
/// opened it), in a read-only transaction with a statement timeout, and closes it again.
class SqlFreshnessSource : public Source
{
public:
    static Result<std::unique_ptr<Source>> create(
        const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs);

    QString endpoint() const override;
    void poll(PollContext& context, std::function<void(PollResult)> done) override;

    /// The work of one poll, synchronously (used by poll() on a blocking thread, and by tests).
    PollResult pollBlocking();

private:
    SqlFreshnessSource(SourceConfig config, std::vector<SignalConfig> signalConfigs);
    QString m_driver;
    QString m_zone;
};

} // namespace pw
