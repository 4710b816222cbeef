#include "customcommandhandler.h"

#include "commanddecider.h"
#include "commandservice.h"
#include "ifmatch.h"
#include "config/collection.h"
#include "config/strictjson.h"
#include "readmodel/entityfold.h"
#include "store/cloudevent.h"
#include "store/eventid.h"
#include "store/eventstore.h"

#include <QCryptographicHash>
#include <QJsonDocument>

namespace Gatehouse {

namespace {

constexpr int kTries = 3;

struct Pending
{
    EventStore *store;
    CommandDecider *decider;
    const ReadStore *snapshots;
    Collection collection;
    QJsonObject spec;
    CommandRequest command;
    QJsonObject data;
    std::optional<IfMatch> ifMatch;
    QByteArray requestHash;
    QByteArray metadata;
    ApiResponder respond;
};

void attempt(std::shared_ptr<Pending> p, int tryNumber)
{
    const EntityFold::Result folded = EntityFold::fold(*p->store, p->snapshots, p->collection, p->command.id);
    if (!folded.status.ok()) {
        p->respond(ApiResponse::problem(503, QStringLiteral("the state of %1 '%2' could not be read: %3")
                                                 .arg(p->collection.name, p->command.id, folded.status.detail),
                                        QStringLiteral("storage-unavailable")));
        return;
    }
    const qint64 version = folded.streamVersion;
    const QJsonValue state = !folded.record || folded.record->deleted ? QJsonValue(QJsonValue::Null)
                                                                      : QJsonValue(QJsonDocument::fromJson(folded.record->doc).object());
    const bool exists = folded.record && !folded.record->deleted;
    if (p->ifMatch && !p->ifMatch->matches(version, exists)) {
        const QString where = version < 0 ? QStringLiteral("does not exist")
            : exists                      ? QStringLiteral("is at version %1").arg(version)
                                          : QStringLiteral("is deleted (at version %1)").arg(version);
        p->respond(ApiResponse::problem(412, QStringLiteral("If-Match expects %1 but %2 '%3' %4")
                                                 .arg(p->ifMatch->describe(), p->collection.name, p->command.id, where),
                                        QStringLiteral("version-mismatch"),
                                        version < 0 ? QJsonObject() : QJsonObject{{QStringLiteral("current_version"), version}}));
        return;
    }
    const QJsonObject input{{QStringLiteral("name"), p->command.command},
                            {QStringLiteral("id"), p->command.id},
                            {QStringLiteral("data"), p->data},
                            {QStringLiteral("user"), p->command.user}};
    p->decider->decide(p->collection.name, p->command.command, p->spec, state, input,
                       [p, version, tryNumber](CommandDecider::Decision decision) {
        if (decision.status != 200) {
            p->respond(ApiResponse::problem(decision.status, decision.error,
                                            decision.status == 422 ? QStringLiteral("command-rejected") : QStringLiteral("function-error")));
            return;
        }
        AppendRequest req;
        req.stream = CloudEvent::streamName(p->collection.name, p->command.id);
        req.expected = version < 0 ? ExpectedVersion::noStream() : ExpectedVersion::exact(version);
        req.idempotencyKey = p->command.idempotencyKey;
        req.requestHash = p->requestHash;
        for (const QJsonValue &v : decision.events) {
            const QJsonObject e = v.toObject();
            QString type = e.value(QLatin1String("type")).toString();
            if (!type.contains(u'.'))
                type = p->collection.name + u'.' + type;
            const QJsonValue data = e.value(QLatin1String("data"));
            if (!v.isObject() || CloudEvent::collectionOf(type) != p->collection.name || type.endsWith(u'.')
                || !(data.isObject() || data.isUndefined() || data.isNull())) {
                p->respond(ApiResponse::problem(500, QStringLiteral("decide() must return [{type, data}] with types of '%1' and object data, got %2")
                                                         .arg(p->collection.name, QString::fromUtf8(QJsonDocument(decision.events).toJson(QJsonDocument::Compact))),
                                                QStringLiteral("function-error")));
                return;
            }
            req.events.append(NewEvent{{}, type, QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact), p->metadata});
        }
        if (req.events.isEmpty()) {
            // Nothing to record: the command is accepted as a no-op at the current version.
            QJsonObject body{{QStringLiteral("id"), p->command.id}, {QStringLiteral("stream"), req.stream},
                             {QStringLiteral("version"), version}, {QStringLiteral("position"), p->store->headPosition()},
                             {QStringLiteral("events"), QJsonArray()}};
            ApiResponse resp = ApiResponse::json(202, body);
            resp.setHeader(QByteArrayLiteral("x-event-position"), QByteArray::number(p->store->headPosition()));
            p->respond(std::move(resp));
            return;
        }
        p->store->append(std::move(req), [p, tryNumber](const AppendResult &r) {
            // The next try reads the new state and checks If-Match against it again: a version
            // the list does not name ends there in a 412. Three tries that all lost a race are a
            // conflict (409), whatever If-Match said.
            if (r.ok()) {
                p->respond(CommandService::accepted(p->collection.name, r));
            } else if (r.status == AppendResult::WrongExpectedVersion && tryNumber < kTries) {
                attempt(p, tryNumber + 1);   // another command came first: decide again on the new state
            } else if (r.status == AppendResult::WrongExpectedVersion) {
                p->respond(ApiResponse::problem(409,
                                                QStringLiteral("%1 '%2' changed while the command was decided").arg(p->collection.name, p->command.id),
                                                QStringLiteral("conflict")));
            } else if (r.status == AppendResult::IdempotencyConflict) {
                p->respond(ApiResponse::problem(422, r.error, QStringLiteral("idempotency-key-reused")));
            } else {
                p->respond(CommandService::storageProblem(r));
            }
        });
    });
}

} // namespace

void CustomCommandHandler::execute(const Collection &collection, const QJsonObject &spec, CommandRequest command, ApiResponder respond) const
{
    if (!m_decider) {
        respond(ApiResponse::problem(501, QStringLiteral("custom commands need the function runtime"), QStringLiteral("unsupported")));
        return;
    }
    auto p = std::make_shared<Pending>();
    const QByteArray body = command.body.trimmed();
    if (!body.isEmpty()) {
        StrictJson::Error error;
        std::optional<QJsonObject> parsed = StrictJson::parseObject(body, &error);
        if (!parsed) {
            respond(ApiResponse::problem(400, QStringLiteral("malformed JSON: %1").arg(error.toString()),
                                         QStringLiteral("malformed-json")));
            return;
        }
        p->data = std::move(*parsed);
    }
    if (command.ifMatchGiven) {
        p->ifMatch = IfMatch::parse(command.ifMatch);
        if (!p->ifMatch) {
            respond(ApiResponse::problem(400, QStringLiteral("If-Match must be \"*\" or a list of stream versions such as \"3\""),
                                         QStringLiteral("bad-precondition")));
            return;
        }
    }
    if (!command.idempotencyKey.isEmpty()) {
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(QByteArray(collection.name.toUtf8() + '\n' + command.id.toUtf8() + '\n' + command.command.toUtf8() + '\n'));
        h.addData(command.body);
        p->requestHash = h.result();
        const auto record = m_store->idempotencyRecord(command.idempotencyKey);
        if (record.found) {
            if (record.requestHash != p->requestHash)
                respond(ApiResponse::problem(422, QStringLiteral("Idempotency-Key '%1' was already used with a different request")
                                                      .arg(command.idempotencyKey), QStringLiteral("idempotency-key-reused")));
            else
                respond(CommandService::accepted(collection.name, record.result));
            return;
        }
    }
    const QString commandId = EventId::generate();
    QJsonObject metadata{{QStringLiteral("commandid"), commandId},
                         {QStringLiteral("causationid"), commandId},
                         {QStringLiteral("correlationid"), command.correlationId.isEmpty() ? commandId : command.correlationId},
                         {QStringLiteral("command"), command.command},
                         {QStringLiteral("dataschema"), collection.dataschemaUri}};
    if (!command.user.isEmpty())
        metadata.insert(QStringLiteral("user"), command.user);
    if (!command.origin.isEmpty())
        metadata.insert(QStringLiteral("origin"), command.origin);
    p->metadata = QJsonDocument(metadata).toJson(QJsonDocument::Compact);
    p->store = m_store;
    p->decider = m_decider;
    p->snapshots = m_snapshots;
    p->collection = collection;
    p->spec = spec;
    p->command = std::move(command);
    p->respond = std::move(respond);
    attempt(std::move(p), 1);
}

} // namespace Gatehouse
