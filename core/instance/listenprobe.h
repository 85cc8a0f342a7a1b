#pragma once

#include "model/error.h"

#include <QString>

namespace pw {

/// Binds `host:port` for a moment to learn whether a listener can have it. A taken address is
/// Error::Code::AddressInUse, "127.0.0.1:9464 is already in use"; port 0 is always free.
Result<void> checkListenAddressFree(const QString& host, quint16 port);

} // namespace pw
