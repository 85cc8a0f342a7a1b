#pragma once

#include "readiness/readiness.h"

#include <QJsonObject>
#include <QString>

namespace pw {

// How a readiness report is shown by `pathwatch readiness`, the console's page and the logs. Pure; thread-safe.

/// "PASS", "WARN", "FAIL", "UNKNOWN" with what it means for the exit code.
QString readinessFindingLine(const ReadinessFinding& finding, qint64 nowMs);
/// A table per layer for a terminal.
QString readinessText(const ReadinessReport& report);
/// The same as Markdown (a summary table, then each layer's findings and fixes).
QString readinessMarkdown(const ReadinessReport& report);
/// {"at_ms", "overall", "exit_code", "layers": [{"layer", "title", "question", "verdict", "findings": [{"verdict",
/// "evidence", "evidence_ms", "age_s", "fix"}]}]}.
QJsonObject readinessJson(const ReadinessReport& report);

} // namespace pw
