#pragma once

#include <QMetaType>
#include <QString>

#include <expected>

namespace pw {

/// A failure told to a person: what went wrong, where, and (when known) how to fix it. Copyable value type.
struct Error
{
    enum class Code
    {
        Generic,
        Config,
        Io,
        Network,
        Timeout,
        Http,
        Tls,
        Parse,
        TooLarge,
        Protocol,
        NotFound,
        Refused,
        Cancelled,
        /// The source was read fine and simply has nothing yet (an empty table, a group that has not committed):
        /// its signals are UNKNOWN with "waiting for …", not STALE.
        NoDataYet,
        /// A listen address is taken by another process.
        AddressInUse,
    };

    Code code = Code::Generic;
    QString message; // one sentence, no trailing period needed
    QString source; // source id, when the error belongs to a source
    QString file; // config or data file, when relevant
    int line = 0; // 1-based; 0 = unknown
    int column = 0; // 1-based; 0 = unknown
    QString hint; // how to fix it, when we know

    static Error make(Code code, QString message) { return Error {code, std::move(message), {}, {}, 0, 0, {}}; }

    /// "file:line:column: message (hint)" or "source: message" — the form used on stderr and in STALE reasons.
    QString toString() const;
};

template<class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Error::Code code, QString message)
{
    return std::unexpected<Error>(Error::make(code, std::move(message)));
}

QString errorCodeName(Error::Code code);

} // namespace pw

Q_DECLARE_METATYPE(pw::Error)
