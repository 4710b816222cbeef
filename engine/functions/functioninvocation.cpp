// FunctionService: HTTP invocations (gateway upstream "function"), interval triggers and dead letters.

#include "config/configstore.h"
#include "functionhttp.h"
#include "functioninstance.h"
#include "functionprojection.h"
#include "functionservice.h"
#include "functionservice_p.h"
#include "readmodel/readstore.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

#include <QLoggingCategory>

#include <future>

Q_LOGGING_CATEGORY(lcFunctionRuntime, "gatehouse.functions.runtime")

namespace Gatehouse {

namespace {
const QString kDeadLetters = QStringLiteral("dead_letters");
} // namespace

FunctionOutcome invokeOnWorker(FunctionService::Private *service, FunctionWorker &worker, const FunctionDefinition &def, const std::shared_ptr<FunctionStats> &stats,
                               EventStore *store, ReadStore *readStore, const QJsonValue &input, qint64 position,
                               const QString &causation, const QString &correlation, bool deterministicIds)
{
    FunctionOutcome out;
    if (!worker.ensureHost(def, stats, &out.error)) {
        stats->invoked(0, false, false);
        return out;
    }
    out = worker.host()->invoke(input, FunctionProjection::accessFor(readStore));
    worker.dropHostIfUnusable();
    stats->addLogs(out.effects.logs);
    if (out.ok && !FunctionProjection::appendEmits(store, def.name, out.effects, causation, correlation, deterministicIds, &out.error))
        out.ok = false;
    if (out.ok && !out.effects.writes.isEmpty()) {
        auto tx = readStore->begin();
        if (!tx || !FunctionProjection::applyWrites(out.effects, *tx, position, &out.error) || !tx->commit()) {
            out.ok = false;
            if (out.error.isEmpty())
                out.error = tx ? tx->errorString() : readStore->errorString();
        } else {
            tx.reset();   // lets go of the write lock before the listeners run
            QHash<QString, QSet<QString>> written;
            for (const FunctionEffects::Write &w : out.effects.writes)
                written[w.collection].insert(w.id);
            service->notifyWrites(def.name, written);
        }
    }
    stats->record(out);
    return out;
}

void FunctionService::Private::startIntervals(const FunctionEntry &entry)
{
    // The tick runs the version deployed at that moment; a removed function's timers are
    // replaced by none (remove()), a redeployed one's by the new version's.
    const QString name = entry.definition.name;
    entry.worker->post([this, name, intervals = entry.definition.intervalsS](FunctionWorker &worker) {
        worker.setIntervals(intervals, [this, name](FunctionWorker &w, int index) {
            const std::shared_ptr<FunctionEntry> current = this->entry(name);
            if (!current || index >= current->definition.intervalsS.size())
                return;
            if (!runsTriggersOf(name))
                return;   // another engine on the database runs this function's intervals
            const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            const QJsonObject input{{QStringLiteral("type"), QStringLiteral("interval")},
                                    {QStringLiteral("every_s"), current->definition.intervalsS.at(index)},
                                    {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                                    {QStringLiteral("id"), id}};
            const FunctionOutcome out = invokeOnWorker(this, w, current->definition, current->stats, store, readStore, input,
                                                           store->headPosition(), id, id, false);
            if (!out.ok)
                qCWarning(lcFunctionRuntime).noquote() << name << "interval failed:" << out.error;
        });
    });
}

void FunctionService::handleHttp(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond)
{
    const QString name = upstream.config.value(QLatin1String("function")).toString();
    const std::shared_ptr<FunctionEntry> entry = d->entry(name);
    if (!entry) {
        respond(ApiResponse::problem(502, QStringLiteral("no function '%1' is deployed").arg(name), QStringLiteral("function-missing")));
        return;
    }
    QString causation = QString::fromUtf8(request.header("x-request-id"));
    if (causation.isEmpty())
        causation = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString correlation = QString::fromUtf8(request.header("x-correlation-id"));
    if (correlation.isEmpty())
        correlation = causation;
    const QJsonObject input = FunctionHttp::input(request);
    entry->stats->queued(1);
    entry->worker->post([service = d.get(), def = entry->definition, stats = entry->stats, store = d->store, readStore = d->readStore,
                         input, causation, correlation, respond = std::move(respond)](FunctionWorker &worker) {
        const FunctionOutcome out = invokeOnWorker(service, worker, def, stats, store, readStore, input, store->headPosition(), causation,
                                                   correlation, false);
        stats->dequeued(1);
        if (out.timedOut)
            respond(ApiResponse::problem(504, QStringLiteral("function '%1' %2").arg(def.name, out.error), QStringLiteral("function-timeout")));
        else if (out.crashed)
            respond(ApiResponse::problem(502, QStringLiteral("function '%1' failed: %2").arg(def.name, out.error), QStringLiteral("function-crashed")));
        else if (!out.ok)
            respond(ApiResponse::problem(500, QStringLiteral("function '%1' failed: %2").arg(def.name, out.describe()), QStringLiteral("function-error")));
        else
            respond(FunctionHttp::output(def.name, out.result));
    });
}

void FunctionService::Private::storeDeadLetter(const FunctionDefinition &definition, const RecordedEvent &event, const QString &error, int attempts)
{
    static const QUuid ns = QUuid::fromString(QLatin1String("{0b7e4d2a-91c3-4f5e-8a6d-3e2f1c0b9a87}"));
    // One dead letter per (function, event): a re-run after a crash overwrites instead of adding.
    const QString id = QUuid::createUuidV5(ns, definition.name + u'/' + event.id).toString(QUuid::WithoutBraces);
    const QJsonObject body{
        {QStringLiteral("id"), id},
        {QStringLiteral("function"), definition.name},
        {QStringLiteral("function_version"), definition.version},
        {QStringLiteral("event"), CloudEvent::toJson(event)},
        {QStringLiteral("error"), error},
        {QStringLiteral("attempts"), attempts},
        {QStringLiteral("failed_at_ms"), QDateTime::currentMSecsSinceEpoch()},
    };
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    config->commitChange(kDeadLetters, {{id, QJsonDocument(body).toJson(QJsonDocument::Compact), now, now}}, {});
    if (const auto e = entry(definition.name))
        e->stats->deadLettered();
}

qint64 FunctionService::Private::deadLetterCount(const QString &function) const
{
    qint64 n = 0;
    for (const ConfigStore::Resource &r : config->resources(kDeadLetters))
        n += QJsonDocument::fromJson(r.body).object().value(QLatin1String("function")).toString() == function ? 1 : 0;
    return n;
}

qint64 FunctionService::deadLetterCount() const
{
    return qint64(d->config->resources(kDeadLetters).size());
}

QJsonArray FunctionService::deadLetters() const
{
    QJsonArray items;
    for (const ConfigStore::Resource &r : d->config->resources(kDeadLetters))
        items.append(QJsonDocument::fromJson(r.body).object());
    return items;
}

std::optional<QJsonObject> FunctionService::deadLetter(const QString &id) const
{
    for (const ConfigStore::Resource &r : d->config->resources(kDeadLetters)) {
        if (r.id == id)
            return QJsonDocument::fromJson(r.body).object();
    }
    return std::nullopt;
}

FunctionService::Result FunctionService::replayDeadLetter(const QString &id)
{
    const std::optional<QJsonObject> letter = deadLetter(id);
    if (!letter)
        return {404, {}, QStringLiteral("no dead letter '%1'").arg(id), {}};
    const QString name = letter->value(QLatin1String("function")).toString();
    const std::shared_ptr<FunctionEntry> entry = d->entry(name);
    if (!entry)
        return {409, {}, QStringLiteral("function '%1' is no longer deployed").arg(name), {}};
    const QJsonObject event = letter->value(QLatin1String("event")).toObject();
    const QString eventId = event.value(QLatin1String("id")).toString();
    const QString correlation = event.value(QLatin1String("correlationid")).toString(eventId);
    const qint64 position = qint64(event.value(QLatin1String("position")).toDouble());
    // The current version runs it on the function's worker thread (the caller waits).
    auto done = std::make_shared<std::promise<FunctionOutcome>>();
    std::future<FunctionOutcome> future = done->get_future();
    entry->worker->post([service = d.get(), def = entry->definition, stats = entry->stats, store = d->store, readStore = d->readStore,
                         event, eventId, correlation, position, done](FunctionWorker &worker) {
        done->set_value(invokeOnWorker(service, worker, def, stats, store, readStore, event, position, eventId, correlation, true));
    });
    const FunctionOutcome out = future.get();
    if (!out.ok) {
        QJsonObject updated = *letter;
        updated.insert(QStringLiteral("error"), out.error);
        updated.insert(QStringLiteral("attempts"), letter->value(QLatin1String("attempts")).toInt() + 1);
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        d->config->commitChange(kDeadLetters, {{id, QJsonDocument(updated).toJson(QJsonDocument::Compact), now, now}}, {});
        return {422, updated, QStringLiteral("the replay failed: %1").arg(out.error), {}};
    }
    d->config->commitChange(kDeadLetters, {}, {id});
    return {200, QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("status"), QStringLiteral("replayed")},
                             {QStringLiteral("function_version"), entry->definition.version}}, {}, {}};
}

FunctionService::Result FunctionService::testRun(const QString &name, const QJsonObject &body) const
{
    const std::shared_ptr<FunctionEntry> entry = d->entry(name);
    if (!entry)
        return {404, {}, QStringLiteral("no function '%1'").arg(name), {}};
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (it.key() != QLatin1String("position") && it.key() != QLatin1String("event") && it.key() != QLatin1String("code"))
            return {400, {}, QStringLiteral("unknown member '%1' (known: position, event, code)").arg(it.key().left(64)), {}};
    }
    QJsonObject event;
    if (body.contains(QLatin1String("position"))) {
        const QJsonValue p = body.value(QLatin1String("position"));
        const qint64 position = p.isDouble() ? qint64(p.toDouble()) : 0;
        if (!p.isDouble() || double(position) != p.toDouble() || position < 1 || body.contains(QLatin1String("event")))
            return {400, {}, QStringLiteral("give either \"position\": N (N >= 1) or \"event\": {...}"), {}};
        const RecordedEvents at = d->store->readAll(position, 1);
        if (at.isEmpty() || at.first().position != position)
            return {404, {}, QStringLiteral("no event at position %1 (the log ends at %2)").arg(position).arg(d->store->headPosition()), {}};
        event = CloudEvent::toJson(at.first());
    } else if (body.value(QLatin1String("event")).isObject()) {
        event = body.value(QLatin1String("event")).toObject();
        if (!event.value(QLatin1String("type")).isString() || event.value(QLatin1String("type")).toString().isEmpty())
            return {400, {}, QStringLiteral("the event needs a \"type\""), {}};
    } else {
        return {400, {}, QStringLiteral("give either \"position\": N (N >= 1) or \"event\": {...}"), {}};
    }
    FunctionDefinition def = entry->definition;
    if (body.contains(QLatin1String("code"))) {
        constexpr qsizetype kMaxCodeChars = 1024 * 1024;   // the admin listener's body limit bounds it as well
        if (!body.value(QLatin1String("code")).isString() || body.value(QLatin1String("code")).toString().size() > kMaxCodeChars)
            return {400, {}, QStringLiteral("code must be a string of at most %1 characters").arg(kMaxCodeChars), {}};
        def.code = body.value(QLatin1String("code")).toString();
    }
    // It runs on the admin listener's thread: at most 10 s, whatever the function's own timeout.
    constexpr int kMaxTestMs = 10000;
    def.timeoutMs = qMin(def.timeoutMs, kMaxTestMs);
    // An instance of its own (a process of its own with process isolation): the function's
    // worker and its state are not touched.
    const std::unique_ptr<FunctionInstance> instance = FunctionInstance::create(def, d->runtime);
    QString error;
    int line = 0;
    if (!instance->load(def, &error, &line)) {
        instance->stop();
        return {422, QJsonObject{{QStringLiteral("line"), line}, {QStringLiteral("message"), error}},
                line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(error) : error, {}};
    }
    if (!instance->hasHandle()) {
        instance->stop();
        return {422, {}, QStringLiteral("the code defines no function handle(input, ctx)"), {}};
    }
    const QJsonValue input = def.batchSize > 1 ? QJsonValue(QJsonArray{event}) : QJsonValue(event);
    const FunctionOutcome out = instance->invoke(input, FunctionProjection::accessFor(d->readStore));
    instance->stop();
    QJsonArray writes;
    for (const FunctionEffects::Write &w : out.effects.writes) {
        QJsonObject o{{QStringLiteral("collection"), w.collection}, {QStringLiteral("id"), w.id}};
        if (w.remove)
            o.insert(QStringLiteral("remove"), true);
        else
            o.insert(QStringLiteral("doc"), w.doc);
        writes.append(o);
    }
    QJsonArray emits;
    for (const FunctionEffects::Emit &e : out.effects.emits)
        emits.append(QJsonObject{{QStringLiteral("type"), e.type}, {QStringLiteral("subject"), e.subject}, {QStringLiteral("data"), e.data}});
    QJsonObject answer{
        {QStringLiteral("function"), name},
        {QStringLiteral("code"), body.contains(QLatin1String("code")) ? QStringLiteral("given") : QStringLiteral("deployed")},
        {QStringLiteral("function_version"), def.version},
        {QStringLiteral("ok"), out.ok},
        {QStringLiteral("duration_ms"), double(out.durationUs) / 1000.0},
        {QStringLiteral("event"), event},
        {QStringLiteral("writes"), writes},
        {QStringLiteral("emits"), emits},
        {QStringLiteral("logs"), QJsonArray::fromStringList(out.effects.logs)},
    };
    if (out.ok) {
        answer.insert(QStringLiteral("result"), out.result);
    } else {
        answer.insert(QStringLiteral("error"), out.error);
        if (out.line > 0)
            answer.insert(QStringLiteral("line"), out.line);
        answer.insert(QStringLiteral("timed_out"), out.timedOut);
    }
    return {200, answer, {}, {}};
}

FunctionService::Result FunctionService::removeDeadLetter(const QString &id)
{
    if (!deadLetter(id))
        return {404, {}, QStringLiteral("no dead letter '%1'").arg(id), {}};
    d->config->commitChange(kDeadLetters, {}, {id});
    return {204, {}, {}, {}};
}

} // namespace Gatehouse
