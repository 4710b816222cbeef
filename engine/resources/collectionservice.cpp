#include "collectionservice.h"

#include "resourceservice.h"

#include "config/collectioncatalog.h"
#include "config/configstore.h"
#include "config/jsonmergepatch.h"
#include "config/jsonschema.h"
#include "config/schemaevolution.h"
#include "gateway/defaultroutes.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcCollections, "gatehouse.collections")

namespace Gatehouse {

namespace {
constexpr char kSeedSetting[] = "collections.seed.";

// What a client may send back from a GET but does not set.
const QStringList &readOnlyMembers()
{
    static const QStringList m{QStringLiteral("create_time"), QStringLiteral("update_time"), QStringLiteral("count"),
                               QStringLiteral("count_including_deleted"), QStringLiteral("indexed_fields"), QStringLiteral("index_builds"),
                               QStringLiteral("written_by"), QStringLiteral("default_routes")};
    return m;
}

QJsonObject definitionOf(const Collection &c)
{
    QJsonObject o = c.toJson();
    o.remove(QStringLiteral("name"));
    return o;
}

// A stored collection as the admin API shows it: with its name and its schema's version.
QJsonObject served(const QString &name, QJsonObject stored)
{
    stored.insert(QStringLiteral("name"), name);
    if (!stored.contains(QStringLiteral("schema_version")))
        stored.insert(QStringLiteral("schema_version"), 1);
    return stored;
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

CollectionService::Result problem(int status, const QString &detail, const QStringList &errors = {})
{
    CollectionService::Result r;
    r.status = status;
    r.detail = detail;
    r.errors = errors;
    return r;
}

// The schema's version in `body`, counted from what is stored (`current`, null when the
// collection is new: then the body's own version, 1 when it gives none, so an import keeps
// its versions): a changed schema is the next version (or the body's, when higher), and the
// step to it gets the schema's defaults of newly required members. Returns the breaking
// changes that the step does not cover, for the caller to refuse when events exist.
QList<SchemaEvolution::Break> evolve(const QJsonObject *current, QJsonObject &body)
{
    if (!current)
        return {};
    const auto schemaOf = [](const QJsonObject &o) {
        return o.value(QStringLiteral("schema")).isObject() ? o.value(QStringLiteral("schema")).toObject()
                                                            : QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}};
    };
    const QJsonObject before = schemaOf(*current);
    const QJsonObject after = schemaOf(body);
    const int version = current->value(QStringLiteral("schema_version")).toInt(1);
    // Upcasters are how old events stay readable: a body without the member keeps them (an
    // explicit {} removes them).
    if (!body.contains(QStringLiteral("upcasters")) && current->contains(QStringLiteral("upcasters")))
        body.insert(QStringLiteral("upcasters"), current->value(QStringLiteral("upcasters")));
    // A higher version given (an imported configuration of a newer engine) is taken as given.
    const int givenVersion = body.value(QStringLiteral("schema_version")).toInt(0);
    if (before == after) {
        body.insert(QStringLiteral("schema_version"), std::max(version, givenVersion));
        return {};
    }
    body.insert(QStringLiteral("schema_version"), std::max(version + 1, givenVersion));
    QJsonObject upcasters = body.value(QStringLiteral("upcasters")).toObject();
    const QString key = QString::number(version);
    UpcastStep step;
    if (upcasters.contains(key)) {
        QStringList ignored;   // parse() reports them
        std::optional<UpcastStep> given = UpcastStep::fromJson(upcasters.value(key), &ignored, QString());
        if (!given)
            return {};
        step = std::move(*given);
    }
    SchemaEvolution::addSchemaDefaults(before, after, step);
    if (!step.isEmpty()) {
        upcasters.insert(key, step.toJson());
        body.insert(QStringLiteral("upcasters"), upcasters);
    }
    return SchemaEvolution::breakingChanges(before, after, &step, version);
}

QStringList describe(const QList<SchemaEvolution::Break> &breaks)
{
    QStringList out;
    for (const SchemaEvolution::Break &b : breaks)
        out.append(b.toString());
    return out;
}

CollectionService::Result storeFailed(const ConfigStore &store)
{
    return store.lastChangeFailedFull() ? problem(507, QStringLiteral("the collection could not be stored: the disk is full"))
                                        : problem(503, QStringLiteral("the collection could not be stored"));
}
} // namespace

CollectionService::CollectionService(ConfigStore *store, CollectionCatalog *catalog, ResourceService *resources, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_catalog(catalog)
    , m_resources(resources)
{
}

CollectionService::~CollectionService() = default;

std::optional<Collection> CollectionService::parse(const QString &name, const QJsonObject &body, QStringList *errors)
{
    QJsonObject definition = body;
    for (const QString &member : readOnlyMembers())
        definition.remove(member);
    const qsizetype before = errors->size();
    Collection c = Collection::fromJson(name, definition, errors, QString());
    if (errors->size() > before)
        return std::nullopt;
    return c;
}

bool CollectionService::load(const ProjectConfig &project, QString *error)
{
    QMutexLocker lock(&m_mutex);
    m_project = project;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QList<ConfigStore::Resource> puts;
    QList<std::pair<QString, QString>> seeds;
    const auto stored = m_store->resources(QString::fromLatin1(kKind));
    for (const Collection &c : project.collections()) {
        const QByteArray body = compact(definitionOf(c));
        const QString hash = QString::fromLatin1(QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex());
        const QString key = QString::fromLatin1(kSeedSetting) + c.name;
        if (m_store->setting(key) == hash)
            continue;   // seeded from this very definition before: what is stored now stays
        qint64 created = now;
        QJsonObject withTimes = definitionOf(c);
        for (const ConfigStore::Resource &r : stored) {
            if (r.id != c.name)
                continue;
            created = r.createdAt;
            // A changed schema in the project file is a new version, as through the admin API.
            const QJsonObject current = QJsonDocument::fromJson(r.body).object();
            if (!withTimes.contains(QStringLiteral("schema_version")) || current.value(QStringLiteral("schema_version")).toInt(1) >= c.schemaVersion) {
                const QList<SchemaEvolution::Break> breaks = evolve(&current, withTimes);
                if (!breaks.isEmpty() && (!m_usage || m_usage(c.name) != 0)) {
                    *error = QStringLiteral("the project file's schema of collection %1 would leave its events unreadable: %2")
                                 .arg(c.name, describe(breaks).join(QStringLiteral("; ")));
                    return false;
                }
                QStringList errors;
                if (!parse(c.name, withTimes, &errors)) {
                    *error = QStringLiteral("collection %1: %2").arg(c.name, errors.join(QStringLiteral("; ")));
                    return false;
                }
            }
        }
        withTimes.insert(QStringLiteral("create_time"), created);
        withTimes.insert(QStringLiteral("update_time"), now);
        puts.append({c.name, compact(withTimes), created, now});
        seeds.append({key, hash});
    }
    if (!puts.isEmpty()) {
        if (!m_store->commitChange(QString::fromLatin1(kKind), puts, {})) {
            *error = QStringLiteral("cannot store the project's collections");
            return false;
        }
        for (const auto &[key, hash] : seeds)
            m_store->setSetting(key, hash);
    }
    return applyStoredLocked(error);
}

bool CollectionService::applyStoredLocked(QString *error)
{
    const qint64 version = m_store->configVersion();
    QHash<QString, QJsonObject> stored;
    ProjectConfig next = m_project;
    for (const Collection &c : m_project.collections())
        next.removeCollection(c.name);
    for (const ConfigStore::Resource &r : m_store->resources(QString::fromLatin1(kKind))) {
        const QJsonObject body = QJsonDocument::fromJson(r.body).object();
        QStringList errors;
        std::optional<Collection> c = parse(r.id, body, &errors);
        if (!c && body.value(QStringLiteral("schema")).isObject()) {
            // Stored while the keywords enforced since were ignored, in a form that does not
            // compile: served without them (as it was), said loudly, rather than not at all.
            QStringList removed;
            QJsonObject lenient = body;
            lenient.insert(QStringLiteral("schema"), JsonSchema::withoutKeywords(body.value(QStringLiteral("schema")).toObject(),
                                                                                 JsonSchema::keywordsAddedLater(), &removed));
            QStringList ignored;
            if (!removed.isEmpty() && (c = parse(r.id, lenient, &ignored))) {
                qCWarning(lcCollections).noquote() << "the stored collection" << r.id << "is served without the schema keywords"
                                                   << removed.join(u", ") << "which do not compile:" << errors.join(u"; ");
            }
        }
        if (!c) {
            // Stored by another version of the engine, or damaged: served by no one, said loudly.
            qCWarning(lcCollections).noquote() << "the stored collection" << r.id << "is invalid and not served:" << errors.join(u"; ");
            continue;
        }
        // Tables and indexes of what is new or changed only: the version is the whole
        // configuration's, and most changes are not to collections.
        if (m_tables && m_stored.value(r.id) != body) {
            QString why;
            if (!m_tables(*c, &why)) {
                if (error)
                    *error = QStringLiteral("cannot create the read model of collection %1: %2").arg(r.id, why);
                return false;
            }
        }
        next.setCollection(*c);
        stored.insert(r.id, body);
    }
    m_stored = std::move(stored);
    m_catalog->replace(std::move(next));
    m_version = version;
    return true;
}

bool CollectionService::reloadIfChanged()
{
    {
        QMutexLocker lock(&m_mutex);
        const qint64 stored = m_store->configVersion();
        if (stored <= m_version)
            return false;
        QString error;
        if (!applyStoredLocked(&error)) {
            qCWarning(lcCollections).noquote() << error;
            return false;
        }
    }
    Q_EMIT changed(QString());
    return true;
}

QJsonArray CollectionService::list() const
{
    QMutexLocker lock(&m_mutex);
    QStringList names = m_stored.keys();
    names.sort();
    QJsonArray out;
    for (const QString &name : std::as_const(names)) {
        out.append(served(name, m_stored.value(name)));
    }
    return out;
}

std::optional<QJsonObject> CollectionService::get(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_stored.constFind(name);
    if (it == m_stored.cend())
        return std::nullopt;
    return served(name, *it);
}

CollectionService::Result CollectionService::put(const QString &name, QJsonObject body)
{
    const QJsonValue routes = body.take(QStringLiteral("routes"));
    if (!routes.isUndefined() && !routes.isBool())
        return problem(400, QStringLiteral("invalid collection"), {QStringLiteral("/routes: must be true or false")});
    if (const QStringList errors = checkCode(name, body); !errors.isEmpty())
        return problem(400, QStringLiteral("invalid collection"), errors);
    return write(name, body, routes.toBool(true) ? Routes::All : Routes::None);
}

// Inline decide code, loaded as it would run: a syntax error is a 400 now, not a 500 at the
// first command. (Outside the lock: loading takes a moment.)
QStringList CollectionService::checkCode(const QString &name, const QJsonObject &body) const
{
    QStringList errors;
    const QJsonObject commands = body.value(QStringLiteral("commands")).toObject();
    QStringList invalid;
    if (!m_code || !parse(name, body, &invalid))
        return errors;   // write() lists what else is wrong
    QJsonObject stored;
    {
        QMutexLocker lock(&m_mutex);
        stored = m_stored.value(name).value(QStringLiteral("commands")).toObject();
    }
    for (auto it = commands.constBegin(); it != commands.constEnd(); ++it) {
        const QJsonObject spec = it.value().toObject();
        if (!spec.value(QStringLiteral("decide")).isString())
            continue;   // by name, or malformed: parse() says so
        if (stored.value(it.key()).toObject().value(QStringLiteral("decide")) == spec.value(QStringLiteral("decide")))
            continue;   // unchanged: it was checked when it was written
        if (QString error; !m_code(name, it.key(), spec, &error))
            errors.append(QStringLiteral("/commands/%1/decide: %2").arg(it.key(), error));
    }
    return errors;
}

CollectionService::Result CollectionService::patch(const QString &name, const QJsonObject &mergePatch)
{
    std::optional<QJsonObject> current = get(name);
    if (!current)
        return problem(404, QStringLiteral("no collection '%1'").arg(name));
    current->remove(QStringLiteral("name"));
    QJsonObject next = *current;
    JsonMergePatch::applyTo(next, mergePatch);
    if (next.contains(QStringLiteral("routes")))
        return problem(400, QStringLiteral("invalid collection"),
                       {QStringLiteral("/routes: only chosen when the collection is created (its routes are edited under /admin/routes)")});
    if (const QStringList errors = checkCode(name, next); !errors.isEmpty())
        return problem(400, QStringLiteral("invalid collection"), errors);
    return write(name, next, Routes::None);
}

CollectionService::Result CollectionService::remove(const QString &name, bool archive)
{
    if (!get(name))
        return problem(404, QStringLiteral("no collection '%1'").arg(name));
    const qint64 documents = m_usage ? m_usage(name) : 0;
    if (documents < 0)
        return problem(503, QStringLiteral("the read model cannot say whether collection '%1' holds documents").arg(name));
    if (documents > 0 && !archive)
        return problem(409, QStringLiteral("collection '%1' has events (%2 entities in its read model); delete it with"
                                           " ?archive=true to stop serving it while its events and documents stay")
                                .arg(name)
                                .arg(documents));
    return write(name, std::nullopt, Routes::None, documents == 0);
}

void CollectionService::declareWritten(const QString &name)
{
    if (!Collection::isValidName(name))
        return;   // served only under a name a collection may have
    {
        QMutexLocker lock(&m_mutex);
        if (m_stored.contains(name))
            return;
    }
    const QString seedKey = QStringLiteral("collection-written:") + name;
    if (m_store->wasSeeded(seedKey))
        return;
    const Result r = write(name, QJsonObject{}, Routes::ReadOnly);
    if (r.status >= 400) {
        qCWarning(lcCollections).noquote() << "collection" << name << "written by a function is not served:" << r.detail;
        return;
    }
    m_store->markSeeded(seedKey);
    qCInfo(lcCollections).noquote() << "collection" << name << "written by a function is served:" << QStringLiteral("GET /api/%1").arg(name);
}

CollectionService::Result CollectionService::write(const QString &name, const std::optional<QJsonObject> &body, Routes routes,
                                                   bool dropTable)
{
    if (!Collection::isValidName(name))
        return problem(400, QStringLiteral("invalid collection name '%1' (expected [a-z][a-z0-9_-]{0,62})").arg(name.left(64)));
    std::optional<Collection> collection;
    if (body) {
        const QJsonValue given = body->value(QStringLiteral("name"));
        if (!given.isUndefined() && given != QJsonValue(name))
            return problem(400, QStringLiteral("invalid collection"), {QStringLiteral("/name: differs from the name in the path")});
    }

    Result result;
    bool created = false;
    ResourceService *resources = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        resources = m_resources;
        // Another engine may have changed the collections: decide on what is stored now.
        if (m_store->configVersion() > m_version) {
            QString error;
            if (!applyStoredLocked(&error))
                return problem(503, error);
        }
        const bool exists = m_stored.contains(name);
        if (!body && !exists)
            return problem(404, QStringLiteral("no collection '%1'").arg(name));
        if (body && !exists && m_stored.size() >= kMaxCollections)
            return problem(409, QStringLiteral("at most %1 collections").arg(kMaxCollections));
        if (body) {
            // The schema's version is counted here, against what is stored now.
            QJsonObject next = *body;
            const QJsonObject current = m_stored.value(name);
            const QList<SchemaEvolution::Break> breaks = evolve(exists ? &current : nullptr, next);
            QStringList errors;
            collection = parse(name, next, &errors);
            // A schema written now may not lean on keywords that would go unenforced; one
            // stored before (unchanged by this write) keeps loading as it did.
            const QJsonValue schema = next.value(QStringLiteral("schema"));
            if (schema != current.value(QStringLiteral("schema")))
                errors += JsonSchema::unsupportedKeywords(schema.toObject(), QStringLiteral("/schema"));
            if (!collection || !errors.isEmpty())
                return problem(400, QStringLiteral("invalid collection"), errors);
            if (!breaks.isEmpty() && (!m_usage || m_usage(name) != 0)) {
                return problem(409, QStringLiteral("the schema change would leave events of collection '%1' written under version %2"
                                                   " unreadable; add what each error says, or keep the change compatible")
                                        .arg(name, QString::number(current.value(QStringLiteral("schema_version")).toInt(1))),
                               describe(breaks));
            }
        }
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        QJsonObject stored;
        if (collection) {
            // The table and its indexes first: a table without a declaration is harmless, a
            // declaration without its table is not.
            QString why;
            if (m_tables && !m_tables(*collection, &why))
                return problem(503, QStringLiteral("the read model of collection '%1' cannot be created: %2").arg(name, why));
            stored = definitionOf(*collection);
            const qint64 createdAt = exists ? m_stored.value(name).value(QStringLiteral("create_time")).toInteger(now) : now;
            stored.insert(QStringLiteral("create_time"), createdAt);
            stored.insert(QStringLiteral("update_time"), now);
        }
        const qint64 version = collection
            ? m_store->commitChange(QString::fromLatin1(kKind), {{name, compact(stored), stored.value(QStringLiteral("create_time")).toInteger(now), now}}, {})
            : m_store->commitChange(QString::fromLatin1(kKind), {}, {name});
        if (version == 0)
            return storeFailed(*m_store);
        ProjectConfig next = *m_catalog->snapshot();
        if (collection) {
            next.setCollection(*collection);
            m_stored.insert(name, stored);
        } else {
            next.removeCollection(name);
            m_stored.remove(name);
            if (dropTable && m_drop && !m_drop(name))
                qCWarning(lcCollections).noquote() << "the empty table of collection" << name << "was not dropped";
        }
        m_catalog->replace(std::move(next));
        m_version = version;
        created = collection && !exists;
        result.status = !collection ? 204 : created ? 201 : 200;
        if (collection) {
            result.resource = served(name, stored);
        }
    }

    // The routes, after the collection is served (a route to an unknown collection answers 404).
    // In one change each, so that every engine sees them appear (or go) together; a route of
    // the same id that exists (an operator's) is left alone.
    if (resources && created && routes != Routes::None) {
        QList<QJsonObject> added;
        for (const Route &r : DefaultRoutes::forCollection(name)) {
            if (routes == Routes::All || r.upstream.type == QLatin1String("query"))
                added.append(r.toJson());
        }
        const ResourceService::Result done = resources->changeMany(QStringLiteral("routes"), added, {});
        if (done.status >= 400)
            qCWarning(lcCollections).noquote() << "the default routes of collection" << name << "were not created:" << done.detail;
    } else if (resources && !collection) {
        // Its routes go with it; the events (and documents) stay.
        QStringList removed;
        for (const QJsonValue &v : resources->list(QStringLiteral("routes"))) {
            const QJsonObject route = v.toObject();
            if (route.value(QStringLiteral("upstream")).toObject().value(QStringLiteral("collection")).toString() == name)
                removed.append(route.value(QStringLiteral("id")).toString());
        }
        const ResourceService::Result done = resources->changeMany(QStringLiteral("routes"), {}, removed);
        if (done.status >= 400)
            qCWarning(lcCollections).noquote() << "the routes of collection" << name << "were not removed:" << done.detail;
    }
    Q_EMIT changed(name);
    return result;
}

} // namespace Gatehouse
