#include "presentation/readinesstext.h"

#include "presentation/format.h"

#include <QDateTime>
#include <QJsonArray>

namespace pw {

namespace {

QString when(qint64 atMs)
{
    return QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
}

QString markdownCell(QString text)
{
    return text.replace(QLatin1Char('|'), QStringLiteral("\\|")).replace(QLatin1Char('\n'), QLatin1Char(' '));
}

} // namespace

QString readinessFindingLine(const ReadinessFinding& finding, qint64 nowMs)
{
    QString line
        = QStringLiteral("%1  %2").arg(readinessVerdictName(finding.verdict).leftJustified(7), finding.evidence);
    if (!finding.fix.isEmpty())
        line += QStringLiteral("\n         → %1").arg(finding.fix);
    (void)nowMs;
    return line;
}

QString readinessText(const ReadinessReport& report)
{
    QString out
        = QStringLiteral("Readiness at %1: %2\n").arg(when(report.atMs), readinessVerdictName(report.overall()));
    if (!report.configPath.isEmpty())
        out += QStringLiteral("Config: %1\n").arg(report.configPath);
    for (const LayerReadiness& layer : report.layers) {
        out += QStringLiteral("\n%1 %2 — %3\n")
                   .arg(readinessVerdictName(layer.verdict).leftJustified(7), readinessLayerTitle(layer.layer),
                       readinessLayerQuestion(layer.layer));
        for (const ReadinessFinding& f : layer.findings)
            out += QStringLiteral("  ") + readinessFindingLine(f, report.atMs) + QLatin1Char('\n');
    }
    return out;
}

QString readinessMarkdown(const ReadinessReport& report)
{
    QString md = QStringLiteral("# Readiness: %1\n\n").arg(readinessVerdictName(report.overall()));
    md += QStringLiteral("Judged at %1").arg(when(report.atMs));
    if (!report.configPath.isEmpty())
        md += QStringLiteral(" from `%1`").arg(report.configPath);
    md += QStringLiteral(".\n\n| Layer | Verdict | Question |\n|---|---|---|\n");
    for (const LayerReadiness& layer : report.layers)
        md += QStringLiteral("| %1 | **%2** | %3 |\n")
                  .arg(readinessLayerTitle(layer.layer), readinessVerdictName(layer.verdict),
                      readinessLayerQuestion(layer.layer));
    for (const LayerReadiness& layer : report.layers) {
        md += QStringLiteral("\n## %1: %2\n\n| | Evidence | Age | To pass |\n|---|---|---|---|\n")
                  .arg(readinessLayerTitle(layer.layer), readinessVerdictName(layer.verdict));
        for (const ReadinessFinding& f : layer.findings)
            md += QStringLiteral("| %1 | %2 | %3 | %4 |\n")
                      .arg(readinessVerdictName(f.verdict), markdownCell(f.evidence),
                          f.evidenceMs > 0 ? formatAgo(f.evidenceMs, report.atMs) : QString(), markdownCell(f.fix));
    }
    return md;
}

QJsonObject readinessJson(const ReadinessReport& report)
{
    QJsonArray layers;
    for (const LayerReadiness& layer : report.layers) {
        QJsonArray findings;
        for (const ReadinessFinding& f : layer.findings) {
            QJsonObject o {{QStringLiteral("verdict"), readinessVerdictName(f.verdict)},
                {QStringLiteral("evidence"), f.evidence}, {QStringLiteral("fix"), f.fix}};
            if (f.evidenceMs > 0) {
                o.insert(QStringLiteral("evidence_ms"), f.evidenceMs);
                o.insert(QStringLiteral("age_s"), double(report.atMs - f.evidenceMs) / 1000.0);
            }
            findings.append(o);
        }
        layers.append(QJsonObject {{QStringLiteral("layer"), readinessLayerId(layer.layer)},
            {QStringLiteral("title"), readinessLayerTitle(layer.layer)},
            {QStringLiteral("question"), readinessLayerQuestion(layer.layer)},
            {QStringLiteral("verdict"), readinessVerdictName(layer.verdict)},
            {QStringLiteral("status"), int(layer.verdict)}, {QStringLiteral("findings"), findings}});
    }
    return QJsonObject {{QStringLiteral("at_ms"), report.atMs}, {QStringLiteral("config"), report.configPath},
        {QStringLiteral("overall"), readinessVerdictName(report.overall())},
        {QStringLiteral("exit_code"), report.exitCode()}, {QStringLiteral("layers"), layers}};
}

} // namespace pw
