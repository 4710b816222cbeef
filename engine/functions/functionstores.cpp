#include "functionprojection.h"

#include "config/collection.h"
#include "readmodel/listquery.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

// How a function's effects reach the stores and what it reads from them, shared by event
// triggers (FunctionProjection), HTTP invocations, interval triggers and dead-letter replays:
// its documents (applyWrites), its emitted events (appendEmits) and the documents ctx.get and
// ctx.query read (accessFor).

namespace Gatehouse {

QString FunctionProjection::correlationOf(const RecordedEvent &event)
{
    const QString id = QJsonDocument::fromJson(event.metadata).object().value(QLatin1String("correlationid")).toString();
    return id.isEmpty() ? event.id : id;
}

DocumentAccess FunctionProjection::accessFor(ReadStore *readStore)
{
    DocumentAccess access;
    access.get = [readStore](const QString &collection, const QString &id) -> std::optional<QJsonObject> {
        const std::optional<StoredDocument> doc = readStore->document(collection, id);
        if (!doc || doc->deleted)
            return std::nullopt;
        return QJsonDocument::fromJson(doc->doc).object();
    };
    access.query = [readStore](const QString &collection, const QJsonObject &filter, QJsonArray *out, QString *error) {
        // A function's own collections have no schema: any safe field name may be filtered on,
        // values compare as JSON (numbers as numbers, strings as strings).
        QJsonObject properties;
        QList<std::pair<QString, QString>> items;
        for (auto it = filter.begin(); it != filter.end(); ++it) {
            const QString field = it.key().section(u'[', 0, 0);
            const QJsonValue v = it.value();
            if (field != QLatin1String("sort") && field != QLatin1String("limit") && field != QLatin1String("include_deleted")) {
                const char *type = v.isDouble() ? "number" : v.isBool() ? "boolean" : "string";
                if (!properties.contains(field))
                    properties.insert(field, QJsonObject{{QStringLiteral("type"), QLatin1String(type)}});
            }
            QString text = v.isString() ? v.toString() : v.isBool() ? QLatin1String(v.toBool() ? "true" : "false") : QString::number(v.toDouble(), 'g', 17);
            if (v.isArray()) {
                QStringList parts;
                for (const QJsonValue &x : v.toArray())
                    parts.append(x.isString() ? x.toString() : QString::number(x.toDouble(), 'g', 17));
                text = parts.join(u',');
            }
            items.append({it.key(), text});
        }
        // Sort fields need a declared type too; strings unless filtered otherwise.
        for (const QString &key : filter.value(QLatin1String("sort")).toString().split(u',', Qt::SkipEmptyParts)) {
            const QString field = key.startsWith(u'-') ? key.mid(1) : key;
            if (!properties.contains(field))
                properties.insert(field, QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}});
        }
        QStringList schemaErrors;
        const Collection c = Collection::fromJson(collection, QJsonObject{{QStringLiteral("schema"), QJsonObject{
            {QStringLiteral("type"), QStringLiteral("object")}, {QStringLiteral("properties"), properties}}}}, &schemaErrors);
        ListQuery query;
        if (!schemaErrors.isEmpty()) {
            *error = schemaErrors.join(QStringLiteral("; "));
            return false;
        }
        if (!ListQuery::parse(items, c, &query, error))
            return false;
        ReadStore::Page page;
        if (!readStore->collections().contains(collection))
            return true;   // nothing written yet
        if (!readStore->list(collection, query, &page, error))
            return false;
        for (const StoredDocument &doc : page.items)
            out->append(QJsonDocument::fromJson(doc.doc).object());
        return true;
    };
    return access;
}

bool FunctionProjection::applyWrites(const FunctionEffects &effects, ReadStore::WriteTransaction &tx, qint64 position, QString *error,
                                     QSet<QString> *ensured)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const FunctionEffects::Write &w : effects.writes) {
        // CREATE TABLE IF NOT EXISTS is parsed on every call: once per collection and batch.
        bool ok = (ensured && ensured->contains(w.collection)) || tx.ensureCollection(w.collection, {});
        if (ok && ensured)
            ensured->insert(w.collection);
        if (ok && w.remove) {
            // Marked deleted, not taken out: the row remembers the function's removal and its
            // position, so neither a rebuild nor an upsert projection behind this function
            // derives the document again from the events before it (StoredDocument::byFunction).
            // What it held is gone, as a removal promises: only the id is kept.
            const std::optional<StoredDocument> old = tx.get(w.collection, w.id);
            if (!old || !old->deleted || !old->byFunction || old->position < position) {
                StoredDocument doc;
                doc.collection = w.collection;
                doc.id = w.id;
                doc.doc = QJsonDocument(QJsonObject{{QStringLiteral("id"), w.id}}).toJson(QJsonDocument::Compact);
                doc.version = old ? old->version + 1 : 0;
                doc.position = std::max(position, old ? old->position : 0);
                doc.updatedAtMs = now;
                doc.deleted = true;
                doc.byFunction = true;
                ok = tx.put(doc);
            }
        } else if (ok) {
            const std::optional<StoredDocument> old = tx.get(w.collection, w.id);
            StoredDocument doc;
            doc.collection = w.collection;
            doc.id = w.id;
            doc.doc = QJsonDocument(w.doc).toJson(QJsonDocument::Compact);
            doc.version = old ? old->version + 1 : 0;
            // Never behind the document it replaces: a function's runner may lag the upsert
            // projection, and the write replaces what the events up to then made of it (which
            // is where a rebuild takes it up again, StoredDocument::byFunction).
            doc.position = std::max(position, old ? old->position : 0);
            doc.updatedAtMs = now;
            doc.byFunction = true;
            ok = tx.put(doc);
        }
        if (!ok) {
            *error = tx.errorString();
            return false;
        }
    }
    return true;
}

QList<AppendRequest> FunctionProjection::emitRequests(const QString &function, const FunctionEffects &effects,
                                                     const QString &causationId, const QString &correlationId,
                                                     bool deterministicIds)
{
    static const QUuid ns = QUuid::fromString(QLatin1String("{6f1c7a52-3d0e-4b8e-9a51-0c2f7d9e4b13}"));
    QList<AppendRequest> requests;
    for (qsizetype i = 0; i < effects.emits.size(); ++i) {
        const FunctionEffects::Emit &e = effects.emits.at(i);
        NewEvent event;
        if (deterministicIds)
            event.id = QUuid::createUuidV5(ns, function + u'/' + causationId + u'/' + QString::number(i)).toString(QUuid::WithoutBraces);
        event.type = e.type;
        event.data = e.data.isObject() ? QJsonDocument(e.data.toObject()).toJson(QJsonDocument::Compact)
                   : e.data.isArray()  ? QJsonDocument(e.data.toArray()).toJson(QJsonDocument::Compact)
                                       : QJsonDocument(QJsonObject{{QStringLiteral("value"), e.data}}).toJson(QJsonDocument::Compact);
        event.metadata = QJsonDocument(QJsonObject{{QStringLiteral("causationid"), causationId},
                                                   {QStringLiteral("correlationid"), correlationId},
                                                   {QStringLiteral("function"), function}})
                             .toJson(QJsonDocument::Compact);
        AppendRequest request;
        request.stream = CloudEvent::streamName(CloudEvent::collectionOf(e.type), e.subject);
        request.events.append(event);
        requests.append(std::move(request));
    }
    return requests;
}

bool FunctionProjection::emitted(const AppendResult &result, const QString &type, QString *error)
{
    if (result.ok() || result.status == AppendResult::DuplicateEventId)   // a duplicate: emitted before a crash
        return true;
    *error = QStringLiteral("ctx.emit(%1): %2").arg(type, result.error);
    return false;
}

bool FunctionProjection::appendEmits(EventStore *store, const QString &function, const FunctionEffects &effects,
                                     const QString &causationId, const QString &correlationId, bool deterministicIds, QString *error)
{
    QList<AppendRequest> requests = emitRequests(function, effects, causationId, correlationId, deterministicIds);
    for (qsizetype i = 0; i < requests.size(); ++i) {
        if (!emitted(store->appendAndWait(std::move(requests[i])), effects.emits.at(i).type, error))
            return false;
    }
    return true;
}

} // namespace Gatehouse
