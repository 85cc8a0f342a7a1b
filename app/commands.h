#pragma once

#include "instance/exitcodes.h"

#include <QStringList>

namespace pw {

int runHeadless(const QStringList& arguments);
int runStatus(const QStringList& arguments);
int runCheckConfig(const QStringList& arguments);
int runFault(const QStringList& arguments);

} // namespace pw
