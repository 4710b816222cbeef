#include "operationrunner.h"

#include "config/strictjson.h"
#include "httploadclient.h"
#include "mqttcommander.h"
#include "runcontext.h"
#include "runmetrics.h"

#include <QUrl>

namespace Gatehouse::Simulation {

struct OperationRunner::Job
{
    Iteration it;
    HttpLoadClient *client = nullptr;
    Done done;
    const Operation *op = nullptr;
    QByteArray base;        // "/api/<collection>"
    int sent = 0;           // requests sent so far
    qint64 position = 0;    // of the last 202
    qint64 version = -1;    // of the last 202
    qint64 acceptedNs = 0;  // when the last 202 arrived
    QString id;
};

namespace {
QByteArray segment(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

// The 202's {"id","stream","version","position",...}; the position also comes as X-Event-Position.
void readAccepted(const HttpResponseParser::Response &response, qint64 *position, qint64 *version, QString *id)
{
    const auto body = StrictJson::parseObject(response.body);
    if (body) {
        *position = body->value(QLatin1String("position")).toInteger(0);
        *version = body->value(QLatin1String("version")).toInteger(-1);
        if (id && body->value(QLatin1String("id")).isString())
            *id = body->value(QLatin1String("id")).toString();
    }
    if (*position <= 0)
        *position = response.header("x-event-position").toLongLong();
}
} // namespace

OperationRunner::OperationRunner(RunContext *context, MetricsShard *metrics, MqttCommander *mqtt)
    : m_context(context)
    , m_metrics(metrics)
    , m_mqtt(mqtt)
{
}

OperationRunner::~OperationRunner() = default;

void OperationRunner::abortMqtt(const void *owner)
{
    if (m_mqtt)
        m_mqtt->abort(owner);
}

QString OperationRunner::newId(Iteration &iteration) const
{
    // <prefix><workload>-<iteration, 12 digits>-<12 seeded hex digits>: ids of one run sort
    // roughly in the order they are created, so the engine's indexes grow at their end as with
    // its own time-ordered ids (random keys would touch a random page per insert and measure
    // that instead), and the seeded suffix keeps them apart where iteration numbers meet.
    return m_context->idPrefix + QString::number(m_context->workloadOf(iteration.op)) + QLatin1Char('-')
        + QStringLiteral("%1").arg(iteration.number, 12, 10, QLatin1Char('0')) + QLatin1Char('-')
        + iteration.random.hex(12);
}

void OperationRunner::run(Iteration iteration, HttpLoadClient *client, Done done)
{
    auto job = std::make_shared<Job>();
    job->op = &m_context->operation(iteration.op);
    job->it = std::move(iteration);
    job->client = client;
    job->done = std::move(done);
    job->base = "/api/" + segment(job->op->collection);
    switch (job->op->kind) {
    case Operation::Create: return runCreate(job);
    case Operation::Update: return runUpdate(job);
    case Operation::Delete: return runDelete(job);
    case Operation::Command: return runCommand(job);
    case Operation::Get: return runGet(job);
    case Operation::List: return runList(job, {}, 1);
    case Operation::ReadAfterWrite: return runReadAfterWrite(job);
    case Operation::Request: return runRequest(job);
    case Operation::MqttCommand: return runMqttCommand(job);
    }
}

void OperationRunner::finish(const std::shared_ptr<Job> &job, LoadError last)
{
    if (!job->done)
        return;
    if (last != LoadError::Interrupted)
        m_metrics->completed(job->it.op);
    Done done = std::exchange(job->done, nullptr);
    done(last);
}

void OperationRunner::send(const std::shared_ptr<Job> &job, const QByteArray &method, const QByteArray &target,
                           const QByteArray &body, QList<std::pair<QByteArray, QByteArray>> extraHeaders, Step next,
                           int notAnError)
{
    HttpLoadRequest request;
    request.method = method;
    request.target = target;
    request.headers = job->op->headers;
    request.headers += extraHeaders;
    request.body = body;
    const bool first = job->sent++ == 0;
    job->client->send(std::move(request), [this, job, first, notAnError, next = std::move(next)](HttpLoadResult &&result) {
        const int status = result.error == LoadError::None ? result.response.status : 0;
        const LoadError error = result.error != LoadError::None ? result.error
            : status == notAnError                          ? LoadError::None
                                                            : errorForStatus(status);
        const qint64 from = first ? job->it.startNs : result.sentNs;
        m_metrics->request(job->it.op, status, error, result.doneNs - from);
        if (result.error != LoadError::None)
            return finish(job, result.error);   // no answer: the iteration cannot go on
        next(job, result);
    });
}

QJsonObject OperationRunner::document(const std::shared_ptr<Job> &job)
{
    return m_context->documents.at(job->it.op).generate(job->it.random);
}

QJsonObject OperationRunner::patch(const std::shared_ptr<Job> &job)
{
    return m_context->documents.at(job->it.op).generateUpdate(job->it.random);
}

void OperationRunner::noteAccepted(const std::shared_ptr<Job> &job, const HttpLoadResult &result)
{
    QString id;
    readAccepted(result.response, &job->position, &job->version, &id);
    job->acceptedNs = result.doneNs;
    if (job->id.isEmpty())
        job->id = id;
    if (job->position > 0)
        m_context->lag.accepted(job->position, job->op->collection, result.doneNs);
}

void OperationRunner::create(const std::shared_ptr<Job> &job, Step then)
{
    job->id = newId(job->it);
    QJsonObject doc = document(job);
    doc.insert(QStringLiteral("id"), job->id);
    send(job, "POST", job->base, StrictJson::canonical(doc), {},
         [this, then = std::move(then)](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
             if (result.response.status == 202) {
                 noteAccepted(j, result);
                 m_context->ids.add(j->op->collection, j->id);
             }
             then(j, result);
         });
}

// get/update/delete/command need an id created earlier in the run; until there is one, the
// iteration creates one (tagged with its own op).
void OperationRunner::onId(const std::shared_ptr<Job> &job, const std::function<void(const QString &)> &with)
{
    if (const auto id = m_context->ids.pick(job->op->collection, job->it.random)) {
        with(*id);
        return;
    }
    create(job, [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
        finish(j, errorForStatus(result.response.status));
    });
}

void OperationRunner::runCreate(const std::shared_ptr<Job> &job)
{
    create(job, [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
        finish(j, errorForStatus(result.response.status));
    });
}

void OperationRunner::runUpdate(const std::shared_ptr<Job> &job)
{
    onId(job, [this, job](const QString &id) {
        job->id = id;
        send(job, "POST", job->base + '/' + segment(id), StrictJson::canonical(patch(job)), {},
             [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
                 if (result.response.status == 202)
                     noteAccepted(j, result);
                 finish(j, errorForStatus(result.response.status));
             });
    });
}

void OperationRunner::runDelete(const std::shared_ptr<Job> &job)
{
    onId(job, [this, job](const QString &id) {
        job->id = id;
        send(job, "POST", job->base + '/' + segment(id) + "/delete", {}, {},
             [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
                 if (result.response.status == 202) {
                     noteAccepted(j, result);
                     m_context->ids.remove(j->op->collection, j->id);
                 }
                 finish(j, errorForStatus(result.response.status));
             });
    });
}

void OperationRunner::runCommand(const std::shared_ptr<Job> &job)
{
    onId(job, [this, job](const QString &id) {
        job->id = id;
        QByteArray body;
        if (!job->op->data.isUndefined())
            body = StrictJson::canonical(job->op->data);
        else
            body = StrictJson::canonical(job->op->schema.isEmpty() ? QJsonObject() : document(job));
        send(job, "POST", job->base + '/' + segment(id) + '/' + segment(job->op->command), body, {},
             [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
                 if (result.response.status == 202)
                     noteAccepted(j, result);
                 finish(j, errorForStatus(result.response.status));
             });
    });
}

void OperationRunner::runGet(const std::shared_ptr<Job> &job)
{
    onId(job, [this, job](const QString &id) {
        send(job, "GET", job->base + '/' + segment(id), {}, {},
             [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
                 finish(j, errorForStatus(result.response.status));
             });
    });
}

void OperationRunner::runList(const std::shared_ptr<Job> &job, const QByteArray &cursor, int page)
{
    QByteArray query;
    for (auto it = job->op->query.cbegin(); it != job->op->query.cend(); ++it) {
        query += query.isEmpty() ? '?' : '&';
        query += QUrl::toPercentEncoding(it.key(), "[]") + '=' + QUrl::toPercentEncoding(it.value());
    }
    if (!cursor.isEmpty())
        query += (query.isEmpty() ? "?cursor=" : "&cursor=") + QUrl::toPercentEncoding(QString::fromUtf8(cursor));
    send(job, "GET", job->base + query, {}, {}, [this, page](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
        const LoadError error = errorForStatus(result.response.status);
        if (error != LoadError::None || !j->op->followCursor || page >= j->op->maxPages)
            return finish(j, error);
        const auto body = StrictJson::parseObject(result.response.body);
        const QJsonValue next = body ? body->value(QLatin1String("next_cursor")) : QJsonValue();
        if (!next.isString() || next.toString().isEmpty())
            return finish(j, error);
        runList(j, next.toString().toUtf8(), page + 1);
    });
}

// POST a document, GET it at once without X-Min-Position (stale when it is not there yet, or
// older), then with X-Min-Position: its lag is from the 202 to that GET's answer.
void OperationRunner::runReadAfterWrite(const std::shared_ptr<Job> &job)
{
    create(job, [this](const std::shared_ptr<Job> &j, const HttpLoadResult &created) {
        if (created.response.status != 202 || j->position <= 0)
            return finish(j, created.response.status == 202 ? LoadError::BadResponse : errorForStatus(created.response.status));
        const QByteArray target = j->base + '/' + segment(j->id);
        send(j, "GET", target, {}, {}, [this, target](const std::shared_ptr<Job> &j2, const HttpLoadResult &plain) {
            const auto doc = plain.response.status == 200 ? StrictJson::parseObject(plain.response.body) : std::nullopt;
            const qint64 version = doc ? doc->value(QLatin1String("_meta")).toObject().value(QLatin1String("version")).toInteger(-1) : -1;
            const bool stale = !doc || version < j2->version;
            m_context->lag.getLag(-1, stale);
            if (stale)
                m_metrics->stale(j2->it.op);
            send(j2, "GET", target, {}, {{"X-Min-Position", QByteArray::number(j2->position)}},
                 [this](const std::shared_ptr<Job> &j3, const HttpLoadResult &waited) {
                     if (waited.response.status == 200)
                         m_context->lag.getLag(waited.doneNs - j3->acceptedNs, false);
                     finish(j3, errorForStatus(waited.response.status));
                 });
        }, 404);   // not there yet: a stale read, which is what this GET measures, not an error
    });
}

void OperationRunner::runRequest(const std::shared_ptr<Job> &job)
{
    const Operation &op = *job->op;
    QString path = op.path;
    if (path.contains(QLatin1String("{id}"))) {
        const auto id = m_context->ids.pick(op.collection, job->it.random);
        if (!id) {
            m_metrics->request(job->it.op, 0, LoadError::NoId, 0);
            return finish(job, LoadError::NoId);
        }
        path.replace(QLatin1String("{id}"), QString::fromLatin1(segment(*id)));
    }
    path.replace(QLatin1String("{seq}"), QString::number(job->it.number));
    if (path.contains(QLatin1String("{random}")))
        path.replace(QLatin1String("{random}"), job->it.random.hex(16));
    const QByteArray body = op.body.isUndefined() ? QByteArray() : StrictJson::canonical(op.body);
    send(job, op.method, path.toUtf8(), body, {}, [this](const std::shared_ptr<Job> &j, const HttpLoadResult &result) {
        if (result.response.status == 202)
            noteAccepted(j, result);
        finish(j, errorForStatus(result.response.status));
    });
}

void OperationRunner::runMqttCommand(const std::shared_ptr<Job> &job)
{
    QJsonObject doc = document(job);
    job->id = newId(job->it);
    doc.insert(QStringLiteral("id"), job->id);
    const qint64 startNs = job->it.startNs;
    m_mqtt->send(job->op->collection, StrictJson::canonical(doc), job->it.owner, [this, job, startNs](const MqttCommander::Reply &reply) {
        const LoadError error = reply.error != LoadError::None ? reply.error : errorForStatus(reply.status);
        m_metrics->request(job->it.op, reply.status, error, reply.doneNs - startNs);
        if (reply.status == 202 && reply.position > 0) {
            m_context->lag.accepted(reply.position, job->op->collection, reply.doneNs);
            m_context->ids.add(job->op->collection, job->id);
        }
        finish(job, error);
    });
}

} // namespace Gatehouse::Simulation
