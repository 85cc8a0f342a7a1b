#include "sources/flinksource.h"

#include "sources/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QUrl>

#include <cmath>
#include <set>

namespace pw {

namespace {

Result<QJsonObject> parseObject(const QByteArray& body, const char* what)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return fail(Error::Code::Parse,
            QStringLiteral("%1 is not JSON: %2 at byte %3")
                .arg(QLatin1String(what), error.errorString())
                .arg(error.offset));
    if (!doc.isObject())
        return fail(Error::Code::Parse, QStringLiteral("%1: expected a JSON object").arg(QLatin1String(what)));
    return doc.object();
}

QString param(const SignalConfig& s, const char* key)
{
    return s.params.value(QString::fromLatin1(key)).toString();
}

// Flink's numbers are JSON doubles; a garbled one (1.8e19, NaN) must not become undefined behaviour in a cast.
qint64 jsonInteger(const QJsonValue& value, qint64 fallback)
{
    const double d = value.toDouble(double(fallback));
    if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18)
        return fallback;
    return qint64(d);
}

/// One entry of a checkpoints body (`history[]`, `latest.completed`, `latest.savepoint`) as the ledger keeps it.
std::optional<CheckpointObservation> checkpointObservation(
    const FlinkSource::JobRef& job, const QJsonObject& o, qint64 now)
{
    if (o.isEmpty() || !o.contains(QStringLiteral("id")))
        return std::nullopt;
    CheckpointObservation c;
    c.jobId = job.id;
    c.jobName = job.name;
    c.checkpointId = jsonInteger(o.value(QStringLiteral("id")), 0);
    c.status = o.value(QStringLiteral("status")).toString();
    c.savepoint = o.value(QStringLiteral("is_savepoint")).toBool();
    c.triggerMs = jsonInteger(o.value(QStringLiteral("trigger_timestamp")), 0);
    const qint64 ack = jsonInteger(o.value(QStringLiteral("latest_ack_timestamp")), -1);
    if (c.status == QLatin1String("COMPLETED") && ack > 0)
        c.completionMs = ack;
    c.durationMs = jsonInteger(o.value(QStringLiteral("end_to_end_duration")), 0);
    // Flink 1.15 renamed state_size to checkpointed_size (the full size); older versions only have the former.
    c.sizeBytes = jsonInteger(o.value(o.contains(QStringLiteral("state_size")) ? QStringLiteral("state_size")
                                                                               : QStringLiteral("checkpointed_size")),
        0);
    const QString path = o.value(QStringLiteral("external_path")).toString();
    // Flink writes this placeholder where a checkpoint has no location of its own.
    if (!path.startsWith(QLatin1Char('<')))
        c.externalPath = path;
    c.observedMs = now;
    return c;
}

} // namespace

Result<std::unique_ptr<Source>> FlinkSource::create(
    const SourceConfig& config, const std::vector<SignalConfig>& signalConfigs)
{
    for (const auto& s : signalConfigs) {
        const bool supported = s.kind == SignalKind::CheckpointAge || s.kind == SignalKind::CheckpointDuration
            || s.kind == SignalKind::FailedCheckpoints || s.kind == SignalKind::JobState;
        Error e;
        e.code = Error::Code::Config;
        e.source = config.id;
        if (!supported) {
            e.message = QStringLiteral("signal %1: a flink source serves checkpoint_age, checkpoint_duration, "
                                       "failed_checkpoints and job_state, not %2")
                            .arg(s.id, signalKindName(s.kind));
            return std::unexpected(e);
        }
        if (param(s, "job_id").isEmpty() && param(s, "job_name").isEmpty()) {
            e.message = QStringLiteral("signal %1 needs `job_id` or `job_name`").arg(s.id);
            return std::unexpected(e);
        }
    }
    if (!config.http.url.startsWith(QLatin1String("http://")) && !config.http.url.startsWith(QLatin1String("https://")))
        return fail(Error::Code::Config, QStringLiteral("flink source %1 needs an http(s) url").arg(config.id));
    return std::unique_ptr<Source>(new FlinkSource(config, signalConfigs));
}

int FlinkSource::jobStateCode(const QString& state)
{
    const QString s = state.toUpper();
    if (s == QLatin1String("RUNNING"))
        return 0;
    if (s == QLatin1String("CREATED") || s == QLatin1String("INITIALIZING") || s == QLatin1String("RESTARTING")
        || s == QLatin1String("RECONCILING") || s == QLatin1String("SUSPENDED"))
        return 1;
    return 2;
}

Result<FlinkSource::JobRef> FlinkSource::selectJob(
    const QByteArray& overviewBody, const QString& jobId, const QString& jobName)
{
    auto root = parseObject(overviewBody, "/jobs/overview");
    if (!root)
        return std::unexpected(root.error());
    const QJsonValue jobsValue = root->value(QStringLiteral("jobs"));
    if (!jobsValue.isArray())
        return fail(Error::Code::Parse, QStringLiteral("/jobs/overview: expected `jobs` to be an array"));
    std::optional<JobRef> best;
    QStringList names;
    for (const QJsonValue& v : jobsValue.toArray()) {
        const QJsonObject job = v.toObject();
        JobRef ref {job.value(QStringLiteral("jid")).toString(), job.value(QStringLiteral("name")).toString(),
            job.value(QStringLiteral("state")).toString(), jsonInteger(job.value(QStringLiteral("start-time")), -1)};
        names << ref.name;
        if (!jobId.isEmpty()) {
            if (ref.id == jobId)
                return ref;
            continue;
        }
        if (ref.name != jobName)
            continue;
        const bool running = ref.state == QLatin1String("RUNNING");
        if (!best || (running && best->state != QLatin1String("RUNNING"))
            || (running == (best->state == QLatin1String("RUNNING")) && ref.startTimeMs > best->startTimeMs))
            best = ref;
    }
    if (best)
        return *best;
    names.removeDuplicates();
    return fail(Error::Code::NotFound,
        jobId.isEmpty() ? QStringLiteral("no job named `%1` (jobs: %2)")
                              .arg(jobName, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", ")))
                        : QStringLiteral("no job with id %1 (it may have been removed from the cluster)").arg(jobId));
}

PollResult FlinkSource::interpret(
    const JobRef& job, const QByteArray& checkpointsBody, const std::vector<SignalConfig>& signalConfigs, qint64 now)
{
    PollResult result;
    const Labels labels {{QStringLiteral("job"), job.name}, {QStringLiteral("job_id"), job.id}};
    auto root = parseObject(checkpointsBody, "checkpoints");
    if (root) {
        std::set<qint64> seen;
        auto observe = [&](const QJsonObject& o) {
            if (auto c = checkpointObservation(job, o, now); c && seen.insert(c->checkpointId).second)
                result.checkpoints.push_back(std::move(*c));
        };
        const QJsonObject latest = root->value(QStringLiteral("latest")).toObject();
        for (const QJsonValue& v : root->value(QStringLiteral("history")).toArray())
            observe(v.toObject());
        // The history holds the last few only (web.checkpoints.history): the latest completed one and savepoint
        // may have left it.
        observe(latest.value(QStringLiteral("completed")).toObject());
        observe(latest.value(QStringLiteral("savepoint")).toObject());
    }
    for (const auto& s : signalConfigs) {
        if (s.kind == SignalKind::JobState) {
            result.samples.push_back(Sample {s.id, labels, now, double(jobStateCode(job.state))});
            continue;
        }
        if (!root) {
            result.signalErrors.emplace_back(s.id, root.error());
            continue;
        }
        const QJsonObject latest = root->value(QStringLiteral("latest")).toObject();
        const QJsonObject completed = latest.value(QStringLiteral("completed")).toObject();
        const bool hasCompleted = !completed.isEmpty() && completed.contains(QStringLiteral("latest_ack_timestamp"));
        switch (s.kind) {
        case SignalKind::CheckpointAge: {
            qint64 ackMs = hasCompleted ? jsonInteger(completed.value(QStringLiteral("latest_ack_timestamp")), 0) : -1;
            if (ackMs <= 0) {
                if (job.startTimeMs > 0) {
                    // Nothing checkpointed since the job started: everything since then would be replayed.
                    result.samples.push_back(
                        Sample {s.id, labels, now, std::max<qint64>(0, now - job.startTimeMs) / 1000.0});
                } else {
                    result.signalErrors.emplace_back(s.id,
                        Error::make(Error::Code::NotFound,
                            QStringLiteral("job %1 has no completed checkpoint yet").arg(job.name)));
                }
                break;
            }
            result.samples.push_back(Sample {s.id, labels, now, std::max<qint64>(0, now - ackMs) / 1000.0});
            break;
        }
        case SignalKind::CheckpointDuration:
            if (!hasCompleted) {
                result.signalErrors.emplace_back(s.id,
                    Error::make(
                        Error::Code::NotFound, QStringLiteral("job %1 has no completed checkpoint yet").arg(job.name)));
                break;
            }
            result.samples.push_back(
                Sample {s.id, labels, now, completed.value(QStringLiteral("end_to_end_duration")).toDouble() / 1000.0});
            break;
        case SignalKind::FailedCheckpoints: {
            qint64 windowMs = 10 * 60 * 1000;
            if (auto w = parseDurationMs(param(s, "window")); w && *w > 0)
                windowMs = *w;
            int failed = 0;
            for (const QJsonValue& v : root->value(QStringLiteral("history")).toArray()) {
                const QJsonObject h = v.toObject();
                if (h.value(QStringLiteral("status")).toString() != QLatin1String("FAILED"))
                    continue;
                const qint64 when = jsonInteger(h.value(QStringLiteral("trigger_timestamp")), 0);
                if (now - when <= windowMs)
                    ++failed;
            }
            result.samples.push_back(Sample {s.id, labels, now, double(failed)});
            break;
        }
        default:
            break;
        }
    }
    return result;
}

void FlinkSource::poll(PollContext& context, std::function<void(PollResult)> done)
{
    QString base = m_config.http.url;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    HttpRequest overview;
    overview.url = base + QStringLiteral("/jobs/overview");
    overview.options = m_config.http;
    overview.accept = "application/json";
    overview.timeoutMs = m_config.timeoutMs;
    HttpClient* http = context.http;
    auto signals_ = m_signals;
    auto finish = std::make_shared<std::function<void(PollResult)>>(std::move(done));
    http->get(overview, [this, http, base, signals_, finish](Result<HttpResponse> response) {
        PollResult failed;
        if (!response) {
            failed.error = response.error();
            (*finish)(std::move(failed));
            return;
        }
        if (response->status != 200) {
            failed.error
                = Error::make(Error::Code::Http, QStringLiteral("GET /jobs/overview: HTTP %1").arg(response->status));
            (*finish)(std::move(failed));
            return;
        }
        // All signals of one source name one job in practice; group by job to make one checkpoints call each.
        std::map<QString, std::vector<SignalConfig>> byJob;
        std::map<QString, JobRef> jobs;
        for (const auto& s : signals_) {
            auto job = selectJob(response->body, param(s, "job_id"), param(s, "job_name"));
            if (!job) {
                failed.signalErrors.emplace_back(s.id, job.error());
                continue;
            }
            byJob[job->id].push_back(s);
            jobs[job->id] = *job;
        }
        if (byJob.empty()) {
            (*finish)(std::move(failed));
            return;
        }
        struct Gather
        {
            std::mutex mutex;
            PollResult result;
            size_t pending = 0;
        };
        auto gather = std::make_shared<Gather>();
        gather->result = std::move(failed);
        gather->pending = byJob.size();
        for (auto& [jobId, jobSignals] : byJob) {
            HttpRequest request;
            request.url = base + QStringLiteral("/jobs/") + QString::fromLatin1(QUrl::toPercentEncoding(jobId))
                + QStringLiteral("/checkpoints");
            request.options = m_config.http;
            request.accept = "application/json";
            request.timeoutMs = m_config.timeoutMs;
            request.allowErrorStatus = true; // a 404 here means the job went away, which deserves its own words
            JobRef job = jobs[jobId];
            http->get(request, [gather, finish, job, jobSignals](Result<HttpResponse> r) {
                PollResult part;
                if (!r) {
                    for (const auto& s : jobSignals)
                        part.signalErrors.emplace_back(s.id, r.error());
                } else if (r->status == 404) {
                    for (const auto& s : jobSignals)
                        part.signalErrors.emplace_back(s.id,
                            Error::make(Error::Code::NotFound,
                                QStringLiteral("job %1 disappeared (checkpoints: HTTP 404)").arg(job.name)));
                } else if (r->status != 200) {
                    for (const auto& s : jobSignals)
                        part.signalErrors.emplace_back(s.id,
                            Error::make(Error::Code::Http,
                                QStringLiteral("GET checkpoints of %1: HTTP %2").arg(job.name).arg(r->status)));
                } else {
                    part = interpret(job, r->body, jobSignals, nowMs());
                }
                std::lock_guard lock(gather->mutex);
                for (auto& s : part.samples)
                    gather->result.samples.push_back(std::move(s));
                for (auto& e : part.signalErrors)
                    gather->result.signalErrors.push_back(std::move(e));
                for (auto& c : part.checkpoints)
                    gather->result.checkpoints.push_back(std::move(c));
                if (--gather->pending == 0)
                    (*finish)(std::move(gather->result));
            });
        }
    });
}

} // namespace pw
