#pragma once

#include <QString>

#include <memory>

namespace pw::test {

/// A throwaway PostgreSQL 15 cluster on 127.0.0.1 and a free port: initdb + pg_ctl from /usr/lib/postgresql/15/bin,
/// run as the `postgres` user via runuser (initdb refuses root) in a temporary directory, stopped and removed on
/// destruction. Trust authentication on loopback; the superuser is `postgres`.
class PostgresServer
{
public:
    PostgresServer();
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    /// Empty on success, else why it could not start (missing binaries, initdb output...).
    QString start();
    void stop();
    quint16 port() const { return m_port; }
    /// Runs SQL through psql against `database`; returns psql's output, or an empty string and sets *ok=false.
    QString psql(const QString& sql, const QString& database = QStringLiteral("postgres"), bool* ok = nullptr) const;

private:
    QString m_dir;
    quint16 m_port = 0;
    bool m_running = false;
};

} // namespace pw::test
