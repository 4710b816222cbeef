#include "documentgenerator.h"
#include "fieldreader.h"
#include "scenarioreader.h"

#include "config/jsonpointer.h"
#include "config/projectconfig.h"

#include <QLocale>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation::ScenarioReader {

namespace {

using L = ScenarioLimits;

constexpr Operation::Kind kKinds[] = {Operation::Create, Operation::Update, Operation::Delete, Operation::Command,
                                      Operation::Get, Operation::List, Operation::ReadAfterWrite,
                                      Operation::Request, Operation::MqttCommand};

const QStringList kCommonMembers{u"op"_s, u"name"_s, u"weight"_s, u"headers"_s};

QStringList membersOf(Operation::Kind kind)
{
    switch (kind) {
    case Operation::Create:
    case Operation::Update:
    case Operation::ReadAfterWrite:
    case Operation::MqttCommand: return {u"collection"_s, u"schema"_s};
    case Operation::Delete:
    case Operation::Get: return {u"collection"_s};
    case Operation::Command: return {u"collection"_s, u"command"_s, u"data"_s, u"schema"_s};
    case Operation::List: return {u"collection"_s, u"query"_s, u"follow_cursor"_s, u"max_pages"_s};
    case Operation::Request: return {u"method"_s, u"path"_s, u"body"_s, u"collection"_s};
    }
    return {};
}

// Kinds whose bodies are generated from a schema (a command only when it has no `data`).
bool generatesDocuments(const Operation &op)
{
    return op.kind == Operation::Create || op.kind == Operation::Update || op.kind == Operation::ReadAfterWrite
        || op.kind == Operation::MqttCommand || (op.kind == Operation::Command && op.data.isUndefined());
}

// Headers the load generator writes itself: a scenario setting them would break the framing.
bool isReservedHeader(const QByteArray &name)
{
    const QByteArray lower = name.toLower();
    return lower == "host" || lower == "content-length" || lower == "transfer-encoding" || lower == "connection"
        || lower == "upgrade" || lower == "te" || lower == "trailer";
}

void readHeaders(const FieldReader &f, Operation &op)
{
    const auto headers = f.object(u"headers"_s);
    if (!headers)
        return;
    if (headers->size() > L::kMaxHeaders)
        f.error(u"headers"_s, u"must have at most "_s % QString::number(L::kMaxHeaders) % u" headers"_s);
    static const QRegularExpression token(u"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$"_s);
    for (auto it = headers->constBegin(); it != headers->constEnd(); ++it) {
        const QString at = JsonPointer::append(f.at(u"headers"_s), it.key());
        if (!token.match(it.key()).hasMatch()) {
            f.errors()->append(at % u": is not a valid header name"_s);
        } else if (isReservedHeader(it.key().toLatin1())) {
            f.errors()->append(at % u": is set by the load generator"_s);
        } else if (!it.value().isString() || it.value().toString().size() > 8192
                   || it.value().toString().contains(QRegularExpression(u"[\\r\\n\\x00]"_s))) {
            f.errors()->append(at % u": must be a string of at most 8192 characters without line breaks"_s);
        } else {
            op.headers.append({it.key().toLatin1(), it.value().toString().toUtf8()});
        }
    }
}

void readCollection(const FieldReader &f, Operation &op, const Context &context, bool required)
{
    const auto collection = f.string(u"collection"_s, required, 63);
    if (!collection)
        return;
    op.collection = *collection;
    if (!context.project) {
        if (!Collection::isValidName(*collection))
            f.error(u"collection"_s, u"must be a collection name ([a-z][a-z0-9_-]{0,62})"_s);
        return;
    }
    if (!context.project->collection(*collection)) {
        QStringList known;
        for (const Collection &c : context.project->collections())
            known.append(c.name);
        f.error(u"collection"_s, u"no collection \""_s % *collection % u"\" (known: "_s
                                     % (known.isEmpty() ? u"none"_s : known.join(u", ")) % u')');
    }
}

void readCommand(const FieldReader &f, Operation &op, const Context &context)
{
    const auto command = f.string(u"command"_s, true, 63);
    if (!command)
        return;
    op.command = *command;
    static const QRegularExpression validName(u"^[a-z][A-Za-z0-9_-]{0,62}$"_s);
    if (!validName.match(*command).hasMatch() || *command == u"create" || *command == u"update"
        || *command == u"delete") {
        f.error(u"command"_s, u"must be the name of one of the collection's custom commands"_s);
        return;
    }
    const Collection *collection = context.project ? context.project->collection(op.collection) : nullptr;
    if (collection && !collection->commands.contains(*command)) {
        const QStringList known = collection->commands.keys();
        f.error(u"command"_s, u"collection \""_s % op.collection % u"\" has no command \""_s % *command % u"\" ("_s
                                  % (known.isEmpty() ? u"it has no custom commands"_s : u"known: "_s % known.join(u", "))
                                  % u')');
    }
    if (f.has(u"data"_s)) {
        if (!f.value(u"data"_s).isObject())
            f.error(u"data"_s, u"must be an object (the command's body)"_s);
        else if (f.has(u"schema"_s))
            f.error(u"schema"_s, u"cannot be combined with data: give either the body or a schema to generate it from"_s);
        op.data = f.value(u"data"_s);
    }
}

void readList(const FieldReader &f, Operation &op)
{
    if (const auto query = f.object(u"query"_s)) {
        if (query->size() > L::kMaxQueryParameters)
            f.error(u"query"_s, u"must have at most "_s % QString::number(L::kMaxQueryParameters) % u" parameters"_s);
        for (auto it = query->constBegin(); it != query->constEnd(); ++it) {
            const QJsonValue v = it.value();
            if (it.key().isEmpty() || !(v.isString() || v.isDouble() || v.isBool())) {
                f.errors()->append(JsonPointer::append(f.at(u"query"_s), it.key())
                                   % u": must be a parameter name with a string, number or boolean value"_s);
                continue;
            }
            op.query.insert(it.key(), v.isString() ? v.toString()
                                      : v.isBool() ? (v.toBool() ? u"true"_s : u"false"_s)
                                                   : QString::number(v.toDouble(), 'g', QLocale::FloatingPointShortest));
        }
    }
    op.followCursor = f.boolean(u"follow_cursor"_s).value_or(false);
    // Following cursors without a bound could read a whole collection per iteration.
    op.maxPages = op.followCursor ? 10 : 1;
    if (const auto pages = f.integer(u"max_pages"_s, 1, L::kMaxPages)) {
        if (!op.followCursor)
            f.error(u"max_pages"_s, u"needs \"follow_cursor\": true"_s);
        op.maxPages = int(*pages);
    }
}

void readRequest(const FieldReader &f, Operation &op)
{
    const auto method = f.string(u"method"_s, false, 16).value_or(u"GET"_s);
    static const QStringList methods{u"GET"_s, u"HEAD"_s, u"POST"_s, u"PUT"_s, u"PATCH"_s, u"DELETE"_s, u"OPTIONS"_s};
    if (!methods.contains(method))
        f.error(u"method"_s, u"must be one of: "_s % methods.join(u", "));
    op.method = method.toLatin1();
    if (const auto path = f.string(u"path"_s, true, L::kMaxPathLength)) {
        op.path = *path;
        static const QRegularExpression shape(u"^/[^\\s#]*$"_s);
        static const QRegularExpression placeholder(u"\\{([^{}]*)\\}"_s);
        if (!shape.match(*path).hasMatch())
            f.error(u"path"_s, u"must start with '/' and contain no spaces or '#'"_s);
        for (auto it = placeholder.globalMatch(*path); it.hasNext();) {
            const QString name = it.next().captured(1);
            if (name != u"id" && name != u"seq" && name != u"random")
                f.error(u"path"_s, u"unknown placeholder {"_s % name % u"} (known: {id}, {seq}, {random})"_s);
            else if (name == u"id" && !f.has(u"collection"_s))
                f.error(u"path"_s, u"{id} needs \"collection\": the collection whose created ids it takes"_s);
        }
    }
    if (f.has(u"body"_s)) {
        if (op.method == "GET" || op.method == "HEAD")
            f.error(u"body"_s, u"a "_s % method % u" request carries no body"_s);
        op.body = f.value(u"body"_s);
    }
}

// The schema documents are generated from: the operation's own, else its collection's.
void checkGeneration(const FieldReader &f, Operation &op, Context &context)
{
    if (const auto schema = f.object(u"schema"_s)) {
        QStringList compileErrors;
        JsonSchema::compile(*schema, &compileErrors, f.at(u"schema"_s));
        if (!compileErrors.isEmpty()) {
            f.errors()->append(compileErrors);
            return;
        }
        op.schema = *schema;
        for (const QString &problem : DocumentGenerator(*schema).check()) {
            // "/properties/sku/pattern: ..." is a pointer into the schema: continue ours with it.
            // "(root): ..." is the schema itself.
            const QString rest = problem.startsWith(u'/') ? problem
                : problem.startsWith(u"(root): ") ? problem.mid(6)
                                                  : u": "_s % problem;
            f.errors()->append(f.at(u"schema"_s) % rest);
        }
        return;
    }
    if (!context.project || !generatesDocuments(op) || op.kind == Operation::Command)
        return;
    const Collection *collection = context.project->collection(op.collection);
    if (!collection)
        return;
    if (!context.collectionProblems.contains(op.collection))
        context.collectionProblems.insert(op.collection, DocumentGenerator(collection->schema.toJson()).check());
    for (const QString &problem : context.collectionProblems.value(op.collection)) {
        f.error(u"collection"_s, u"cannot generate documents for collection \""_s % op.collection % u"\": "_s
                                     % problem);
    }
}

} // namespace

std::optional<Operation> readOperation(const QJsonValue &json, const QString &pointer, Context &context)
{
    if (!json.isObject()) {
        context.errors->append(pointer % u": must be an object"_s);
        return std::nullopt;
    }
    FieldReader f(json.toObject(), pointer, context.errors);
    const int before = f.errorCount();
    Operation op;

    QStringList allMembers;
    for (const auto kind : kKinds)
        allMembers += membersOf(kind);
    std::optional<Operation::Kind> kind;
    if (const auto name = f.string(u"op"_s, true)) {
        QStringList names;
        for (const auto candidate : kKinds) {
            names.append(Operation::kindName(candidate));
            if (Operation::kindName(candidate) == *name)
                kind = candidate;
        }
        if (!kind)
            f.error(u"op"_s, u"must be one of: "_s % names.join(u", "));
    }
    if (!kind) {
        f.allowOnly(kCommonMembers + allMembers);
        return std::nullopt;
    }
    op.kind = *kind;
    f.allowOnly(kCommonMembers + membersOf(op.kind), allMembers,
                u"is not used by a \""_s % Operation::kindName(op.kind) % u"\" operation"_s);

    static const QRegularExpression validName(u"^[A-Za-z0-9_.-]{1,64}$"_s);
    op.name = Operation::kindName(op.kind);
    if (const auto name = f.string(u"name"_s)) {
        if (!validName.match(*name).hasMatch())
            f.error(u"name"_s, u"must be 1 to 64 letters, digits, '_', '.' or '-'"_s);
        op.name = *name;
    }
    op.weight = f.number(u"weight"_s, 0, 1e6, false, true).value_or(1);
    readHeaders(f, op);
    readCollection(f, op, context, op.kind != Operation::Request);
    if (op.kind == Operation::Command)
        readCommand(f, op, context);
    else if (op.kind == Operation::List)
        readList(f, op);
    else if (op.kind == Operation::Request)
        readRequest(f, op);
    if ((f.has(u"schema"_s) && membersOf(op.kind).contains(u"schema"_s)) || generatesDocuments(op))
        checkGeneration(f, op, context);
    if (f.errorCount() > before)
        return std::nullopt;
    return op;
}

} // namespace Gatehouse::Simulation::ScenarioReader
