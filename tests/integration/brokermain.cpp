// A stand-alone `pathwatch broker` for tests that must kill the broker process (tst_brokercrash) when the full
// pathwatch executable is not built.
#include "broker/brokercommand.h"

#include <QCoreApplication>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    return pw::broker::runBrokerCommand(QCoreApplication::arguments());
}
