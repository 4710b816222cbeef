#include "commandservice.h"

#include "commanddecider.h"
#include "customcommandhandler.h"
#include "ifmatch.h"
#include "config/collectioncatalog.h"
#include "config/jsonschema.h"
#include "config/strictjson.h"
#include "store/cloudevent.h"
#include "store/eventid.h"
#include "store/eventstore.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QMutex>
#include <QRegularExpression>
#include <QUrl>
#include <QUuid>

Q_LOGGING_CATEGORY(lcCommands, "gatehouse.commands")

namespace Gatehouse {

namespace {

QString newId()
{
    return EventId::generate();
}

// A JSON string literal for `text` (RFC 8259 escaping).
QByteArray jsonString(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    out.reserve(utf8.size() + 2);
    out += '"';
    for (const char c : utf8) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
                out += "\\u00" + QByteArray::number(static_cast<unsigned char>(c), 16).rightJustified(2, '0');
            else
                out += c;
        }
    }
    out += '"';
    return out;
}

// application/json or application/*+json; JSON is UTF-8 (RFC 8259), so the only parameter
// taken is charset=utf-8.
bool isJsonContentType(QByteArrayView value)
{
    const QList<QByteArray> parts = value.toByteArray().split(';');
    const QByteArray type = parts.first().trimmed().toLower();
    if (type != "application/json" && !(type.startsWith("application/") && type.endsWith("+json")))
        return false;
    for (qsizetype i = 1; i < parts.size(); ++i) {
        QByteArray parameter = parts.at(i).trimmed().toLower();
        parameter.replace('"', "");
        if (!parameter.isEmpty() && parameter != "charset=utf-8")
            return false;
    }
    return true;
}

// Idempotency keys are stored with the events: 1..255 visible ASCII characters, as the
// common APIs take them.
constexpr qsizetype kMaxIdempotencyKeyLength = 255;
bool isValidIdempotencyKey(const QString &key)
{
    if (key.size() > kMaxIdempotencyKeyLength)
        return false;
    for (const QChar c : key) {
        if (c.unicode() < 0x21 || c.unicode() > 0x7e)
            return false;
    }
    return true;
}

QJsonArray violationsToJson(const QList<SchemaViolation> &violations)
{
    QJsonArray errors;
    for (const auto &v : violations)
        errors.append(QJsonObject{{QStringLiteral("path"), v.path}, {QStringLiteral("message"), v.message}});
    return errors;
}

ApiResponse validationProblem(const QList<SchemaViolation> &violations)
{
    QStringList parts;
    for (const auto &v : violations)
        parts.append((v.path.isEmpty() ? QStringLiteral("(document)") : v.path) + QLatin1Char(' ') + v.message);
    return ApiResponse::problem(400, parts.join(QStringLiteral("; ")), QStringLiteral("validation-failed"),
                                QJsonObject{{QStringLiteral("errors"), violationsToJson(violations)}});
}

} // namespace

struct CommandService::Private
{
    EventStore *store;
    const CollectionCatalog *catalog;
    CommandDecider *decider = nullptr;
    const ReadStore *snapshots = nullptr;
    QMutex patternMutex;
    QHash<QString, QRegularExpression> idPatterns;

    bool idMatches(const Collection &c, const QString &id)
    {
        // "." and ".." could never be read back: a path with such a segment is refused
        // (ApiRequest::checkPath), whatever the collection's pattern allows.
        if (id == QLatin1String(".") || id == QLatin1String(".."))
            return false;
        // Matched outside the lock (a copy shares the compiled pattern): the network threads
        // check ids at once.
        QRegularExpression pattern;
        {
            QMutexLocker lock(&patternMutex);
            auto it = idPatterns.find(c.idPattern);
            if (it == idPatterns.end())
                it = idPatterns.insert(c.idPattern, c.idRegularExpression());
            pattern = *it;
        }
        return pattern.match(id).hasMatch();
    }

    struct Prepared
    {
        CommandRequest command;
        Collection collection;
        QString eventType;
        QByteArray eventData;
        QByteArray metadata;
        QByteArray requestHash;
        std::optional<IfMatch> ifMatch;
    };

    static ApiResponse accepted(const Prepared &p, const AppendResult &r)
    {
        return CommandService::accepted(p.collection.name, r);
    }

    static ApiResponse notFound(const Prepared &p)
    {
        return ApiResponse::problem(404, QStringLiteral("no %1 with id '%2'").arg(p.collection.name, p.command.id),
                                    QStringLiteral("not-found"));
    }
    static ApiResponse versionMismatch(const Prepared &p, qint64 current)
    {
        // The version read first matched and the writer found another: when that one is in
        // the list too, the condition held but the command was checked against the earlier one.
        const QString detail = p.ifMatch && p.ifMatch->matches(current, true)
            ? QStringLiteral("%1 '%2' changed to version %3 while the command was applied; send it again")
                  .arg(p.collection.name, p.command.id).arg(current)
            : QStringLiteral("If-Match expects %1 but %2 '%3' is at version %4")
                  .arg(p.ifMatch ? p.ifMatch->describe() : QString(), p.collection.name, p.command.id)
                  .arg(current);
        return ApiResponse::problem(412, detail,
                                    QStringLiteral("version-mismatch"),
                                    QJsonObject{{QStringLiteral("current_version"), current}});
    }
    static ApiResponse failed(const AppendResult &r)
    {
        if (r.status == AppendResult::IdempotencyConflict)
            return ApiResponse::problem(422, r.error, QStringLiteral("idempotency-key-reused"));
        return CommandService::storageProblem(r);
    }

    void decideAndAppend(std::shared_ptr<Prepared> p, ApiResponder respond);
};

CommandService::CommandService(EventStore *store, const CollectionCatalog *catalog)
    : d(std::make_unique<Private>())
{
    d->store = store;
    d->catalog = catalog;
}

CommandService::~CommandService() = default;

void CommandService::setDecider(CommandDecider *decider)
{
    d->decider = decider;
}

void CommandService::setSnapshots(const ReadStore *readStore)
{
    d->snapshots = readStore;
}

ApiResponse CommandService::storageProblem(const AppendResult &r)
{
    // Nothing was appended: the client may send the same command again, later.
    ApiResponse problem = r.status == AppendResult::StorageFull
        ? ApiResponse::problem(507, r.error, QStringLiteral("storage-full"))
        : ApiResponse::problem(503, r.error, QStringLiteral("storage-unavailable"));
    problem.setHeader(QByteArrayLiteral("retry-after"), r.status == AppendResult::StorageFull ? QByteArrayLiteral("5") : QByteArrayLiteral("1"));
    return problem;
}

ApiResponse CommandService::accepted(const QString &collection, const AppendResult &r)
{
    // The id comes from the stream: an idempotent repeat of a create answers the first id.
    const QString id = r.stream.mid(collection.size() + 1);
    QJsonObject body{
        {QStringLiteral("id"), id},
        {QStringLiteral("stream"), r.stream},
        {QStringLiteral("version"), r.version},
        {QStringLiteral("position"), r.lastPosition},
        {QStringLiteral("events"), QJsonArray::fromStringList(r.eventTypes)},
    };
    ApiResponse resp = ApiResponse::json(202, body);
    resp.setHeader(QByteArrayLiteral("location"),
                   "/api/" + collection.toUtf8() + '/' + QUrl::toPercentEncoding(id));
    resp.setHeader(QByteArrayLiteral("x-event-position"), QByteArray::number(r.lastPosition));
    if (r.replayed)
        resp.setHeader(QByteArrayLiteral("idempotent-replayed"), QByteArrayLiteral("true"));
    return resp;
}

void CommandService::execute(CommandRequest command, ApiResponder respond)
{
    // An empty key is refused rather than taken for none: a client that sent one believes its
    // retries are covered.
    if ((command.idempotencyKeyGiven && command.idempotencyKey.isEmpty()) || !isValidIdempotencyKey(command.idempotencyKey)) {
        respond(ApiResponse::problem(400, QStringLiteral("Idempotency-Key must be 1 to %1 visible ASCII characters").arg(kMaxIdempotencyKeyLength),
                                     QStringLiteral("bad-idempotency-key")));
        return;
    }
    const std::optional<Collection> collection = d->catalog->collection(command.collection);
    if (!collection) {
        respond(ApiResponse::problem(404, QStringLiteral("unknown collection '%1'").arg(command.collection),
                                     QStringLiteral("unknown-collection")));
        return;
    }
    const bool isCreate = command.command == QLatin1String("create");
    const bool isUpdate = command.command == QLatin1String("update");
    const bool isDelete = command.command == QLatin1String("delete");
    if (!isCreate && !isUpdate && !isDelete && collection->commands.value(command.command).isObject()) {
        if (!d->idMatches(*collection, command.id)) {
            respond(ApiResponse::problem(404, QStringLiteral("no %1 with id '%2'").arg(collection->name, command.id),
                                         QStringLiteral("not-found")));
            return;
        }
        if (!command.contentType.isNull() && !command.body.trimmed().isEmpty() && !isJsonContentType(command.contentType)) {
            respond(ApiResponse::problem(415, QStringLiteral("commands take application/json, not '%1'")
                                                  .arg(QString::fromUtf8(command.contentType)),
                                         QStringLiteral("unsupported-media-type")));
            return;
        }
        const QJsonObject spec = collection->commands.value(command.command).toObject();
        CustomCommandHandler(d->store, d->decider, d->snapshots).execute(*collection, spec, std::move(command), std::move(respond));
        return;
    }
    if (!isCreate && !isUpdate && !isDelete) {
        respond(ApiResponse::problem(404, QStringLiteral("collection '%1' has no command '%2'").arg(collection->name, command.command),
                                     QStringLiteral("unknown-command")));
        return;
    }

    // Body: JSON object, announced as JSON when the protocol has content types.
    const bool bodyRequired = !isDelete;
    if (bodyRequired || !command.body.trimmed().isEmpty()) {
        if (!command.contentType.isNull() && !isJsonContentType(command.contentType)) {
            respond(ApiResponse::problem(415, QStringLiteral("commands take application/json, not '%1'")
                                                  .arg(QString::fromUtf8(command.contentType)),
                                         QStringLiteral("unsupported-media-type")));
            return;
        }
    }
    QJsonObject doc;
    if (!command.body.trimmed().isEmpty()) {
        StrictJson::Error error;
        std::optional<QJsonObject> parsed = StrictJson::parseObject(command.body, &error);
        if (!parsed) {
            respond(ApiResponse::problem(400, QStringLiteral("malformed JSON: %1").arg(error.toString()),
                                         QStringLiteral("malformed-json")));
            return;
        }
        doc = std::move(*parsed);
    } else if (bodyRequired) {
        respond(ApiResponse::problem(400, QStringLiteral("the body must be a JSON object"), QStringLiteral("malformed-json")));
        return;
    }

    auto p = std::make_shared<Private::Prepared>();
    p->collection = *collection;
    // An empty or malformed one is no condition a client meant: refused, never ignored.
    if (command.ifMatchGiven)
        p->ifMatch = IfMatch::parse(command.ifMatch);
    if (command.ifMatchGiven && !p->ifMatch) {
        respond(ApiResponse::problem(400, QStringLiteral("If-Match must be \"*\" or a list of stream versions such as \"3\""),
                                     QStringLiteral("bad-precondition")));
        return;
    }

    const QJsonValue bodyId = doc.value(QStringLiteral("id"));
    if (isCreate) {
        if (bodyId.isUndefined()) {
            command.id = newId();
            doc.insert(QStringLiteral("id"), command.id);
        } else if (!bodyId.isString() || !d->idMatches(p->collection, bodyId.toString())) {
            respond(validationProblem({{QStringLiteral("/id"), QStringLiteral("must be a string matching %1, and not \".\" or \"..\"")
                                                                   .arg(p->collection.idPattern.isEmpty() ? Collection::defaultIdPattern() : p->collection.idPattern)}}));
            return;
        } else {
            command.id = bodyId.toString();
        }
        if (const auto violations = p->collection.schema.validate(doc); !violations.isEmpty()) {
            respond(validationProblem(violations));
            return;
        }
        p->eventType = p->collection.name + QStringLiteral(".created");
    } else {
        if (!d->idMatches(p->collection, command.id)) {
            respond(ApiResponse::problem(404, QStringLiteral("no %1 with id '%2'").arg(p->collection.name, command.id),
                                         QStringLiteral("not-found")));
            return;
        }
        if (isUpdate) {
            if (!bodyId.isUndefined()) {
                if (bodyId.toString() != command.id) {
                    respond(validationProblem({{QStringLiteral("/id"), QStringLiteral("cannot be changed")}}));
                    return;
                }
                doc.remove(QStringLiteral("id"));
            }
            if (const auto violations = p->collection.schema.validatePatch(doc); !violations.isEmpty()) {
                respond(validationProblem(violations));
                return;
            }
            p->eventType = p->collection.name + QStringLiteral(".updated");
        } else {
            p->eventType = p->collection.name + QStringLiteral(".deleted");
        }
    }
    // The event holds the engine's serialisation of the document as validated, never the
    // client's bytes: what the schema saw is exactly what every reader of the log will see.
    p->eventData = StrictJson::canonical(doc);

    const QString commandId = newId();
    const QByteArray commandIdJson = jsonString(commandId);
    p->metadata = "{\"commandid\":" + commandIdJson + ",\"causationid\":" + commandIdJson + ",\"correlationid\":"
        + (command.correlationId.isEmpty() ? commandIdJson : jsonString(command.correlationId))
        + ",\"dataschema\":" + jsonString(p->collection.dataschemaUri);
    if (!command.user.isEmpty())
        p->metadata += ",\"user\":" + jsonString(command.user);
    if (!command.origin.isEmpty())
        p->metadata += ",\"origin\":" + jsonString(command.origin);
    p->metadata += '}';

    if (!command.idempotencyKey.isEmpty()) {
        // What makes two requests "the same": collection, target, command and body bytes.
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(QByteArray(command.collection.toUtf8() + '\n' + (isCreate ? QByteArray() : command.id.toUtf8()) + '\n'
                             + command.command.toUtf8() + '\n'));
        h.addData(command.body);
        p->requestHash = h.result();
        const auto record = d->store->idempotencyRecord(command.idempotencyKey);
        if (record.found) {
            if (record.requestHash != p->requestHash) {
                respond(ApiResponse::problem(422, QStringLiteral("Idempotency-Key '%1' was already used with a different request")
                                                      .arg(command.idempotencyKey),
                                             QStringLiteral("idempotency-key-reused")));
                return;
            }
            p->command = std::move(command);
            respond(Private::accepted(*p, record.result));
            return;
        }
    }
    p->command = std::move(command);
    d->decideAndAppend(std::move(p), std::move(respond));
}

// Update and delete need the entity to exist and not be deleted. The writer checks that
// against the stream's head inside its transaction (the precondition), so concurrent commands
// on one entity serialise there instead of racing on a version read here; If-Match adds an
// exact expected version. A quick read first answers the common 404/412 without the writer.
void CommandService::Private::decideAndAppend(std::shared_ptr<Prepared> p, ApiResponder respond)
{
    AppendRequest req;
    req.stream = CloudEvent::streamName(p->collection.name, p->command.id);
    req.events = {NewEvent{{}, p->eventType, p->eventData, p->metadata}};
    req.idempotencyKey = p->command.idempotencyKey;
    req.requestHash = p->requestHash;

    if (p->command.command == QLatin1String("create")) {
        if (p->ifMatch) {
            // A condition on the entity a create is to make: "*" and every tag are false for
            // one without a current state (RFC 9110 13.1.1), so the create never runs. When
            // the condition holds, the entity exists and the create is refused as always.
            const auto head = store->streamHead(req.stream);
            const bool exists = head.version >= 0 && !head.lastType.endsWith(QLatin1String(".deleted"));
            if (head.version >= 0 && p->ifMatch->matches(head.version, exists))
                respond(ApiResponse::problem(409, QStringLiteral("%1 '%2' already exists").arg(p->collection.name, p->command.id),
                                             QStringLiteral("already-exists")));
            else if (exists)
                respond(versionMismatch(*p, head.version));
            else
                respond(ApiResponse::problem(412, QStringLiteral("If-Match expects %1 but %2 '%3' %4")
                                                      .arg(p->ifMatch->describe(), p->collection.name, p->command.id,
                                                           head.version < 0 ? QStringLiteral("does not exist")
                                                                            : QStringLiteral("is deleted (at version %1)").arg(head.version)),
                                             QStringLiteral("version-mismatch")));
            return;
        }
        req.expected = ExpectedVersion::noStream();
        store->append(std::move(req), [p, respond = std::move(respond)](const AppendResult &r) {
            if (r.ok())
                respond(accepted(*p, r));
            else if (r.status == AppendResult::WrongExpectedVersion)
                respond(ApiResponse::problem(409, QStringLiteral("%1 '%2' already exists").arg(p->collection.name, p->command.id),
                                             QStringLiteral("already-exists")));
            else
                respond(failed(r));
        });
        return;
    }

    const auto head = store->streamHead(req.stream);
    if (head.version < 0 || head.lastType.endsWith(QLatin1String(".deleted"))) {
        respond(notFound(*p));
        return;
    }
    if (p->ifMatch && !p->ifMatch->matches(head.version, true)) {
        respond(versionMismatch(*p, head.version));
        return;
    }
    // The version that matched, held to by the writer: 412 if another command came first.
    req.expected = p->ifMatch && !p->ifMatch->isAny() ? ExpectedVersion::exact(head.version) : ExpectedVersion::any();
    req.precondition = [](qint64 version, const QString &lastType, QString *message) {
        if (version >= 0 && !lastType.endsWith(QLatin1String(".deleted")))
            return true;
        *message = QStringLiteral("not found");
        return false;
    };
    store->append(std::move(req), [p, respond = std::move(respond)](const AppendResult &r) {
        if (r.ok())
            respond(accepted(*p, r));
        else if (r.status == AppendResult::WrongExpectedVersion)
            respond(versionMismatch(*p, r.currentVersion));
        else if (r.status == AppendResult::PreconditionFailed)
            respond(notFound(*p));
        else
            respond(failed(r));
    });
}

} // namespace Gatehouse
