#include "model/sample.h"

#include <QDateTime>

#include <algorithm>

namespace pw {

void normalizeLabels(Labels& labels)
{
    std::stable_sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Labels unique;
    unique.reserve(labels.size());
    for (auto& kv : labels) {
        if (!unique.empty() && unique.back().first == kv.first)
            unique.back().second = std::move(kv.second);
        else
            unique.push_back(std::move(kv));
    }
    labels = std::move(unique);
}

QString labelsToString(const Labels& labels)
{
    if (labels.empty())
        return {};
    QString out = QStringLiteral("{");
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first)
            out += QLatin1Char(',');
        first = false;
        QString escaped = value;
        escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
            .replace(QLatin1Char('"'), QStringLiteral("\\\""))
            .replace(QLatin1Char('\n'), QStringLiteral("\\n"));
        out += name + QStringLiteral("=\"") + escaped + QLatin1Char('"');
    }
    out += QLatin1Char('}');
    return out;
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace pw
