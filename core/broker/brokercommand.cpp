#include "broker/brokercommand.h"

#include <cstdio>

namespace pw::broker {

int runBrokerCommand(const QStringList&)
{
    std::fputs("pathwatch broker: not available in this build\n", stderr);
    return 4;
}

} // namespace pw::broker
