#pragma once

#include <QStringList>

namespace pw {

int runReadiness(const QStringList& arguments);
int runReconcile(const QStringList& arguments);

} // namespace pw
