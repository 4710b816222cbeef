#include "resourceservice.h"

#include "config/configstore.h"
#include "config/jsonmergepatch.h"
#include "gateway/gateway.h"
#include "gateway/gatewayconfig.h"
#include "gateway/resourceschemas.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUuid>

namespace Gatehouse {

namespace {
QString idKey(const QString &kind)
{
    return kind == QLatin1String("consumers") ? QStringLiteral("username") : QStringLiteral("id");
}

// Members the engine sets; a client may send back what it read, they are not its to set.
QJsonObject withoutReadOnly(QJsonObject o)
{
    o.remove(QStringLiteral("create_time"));
    o.remove(QStringLiteral("update_time"));
    o.remove(QStringLiteral("problems"));
    return o;
}

qsizetype indexOf(const QJsonArray &items, const QString &kind, const QString &id)
{
    const QString key = idKey(kind);
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (items.at(i).toObject().value(key).toString() == id)
            return i;
    }
    return -1;
}

ResourceService::Result badRequest(const QStringList &errors, const QString &detail = {})
{
    ResourceService::Result r;
    r.status = 400;
    r.errors = errors;
    r.detail = detail.isEmpty() ? errors.join(QStringLiteral("; ")) : detail + QStringLiteral(": ") + errors.join(QStringLiteral("; "));
    return r;
}

// Nothing was changed; 507 tells the operator that freeing disk space is what helps.
ResourceService::Result storeFailed(const ConfigStore &store)
{
    ResourceService::Result r;
    r.status = store.lastChangeFailedFull() ? 507 : 503;
    r.detail = store.lastChangeFailedFull() ? QStringLiteral("the configuration could not be stored: the disk is full")
                                            : QStringLiteral("the configuration could not be stored");
    return r;
}

GatewayResources toResources(const QHash<QString, QJsonArray> &all, qint64 version)
{
    GatewayResources resources;
    resources.routes = all.value(QStringLiteral("routes"));
    resources.upstreams = all.value(QStringLiteral("upstreams"));
    resources.consumers = all.value(QStringLiteral("consumers"));
    resources.globalRules = all.value(QStringLiteral("global_rules"));
    resources.version = version;
    return resources;
}
} // namespace

const QStringList &ResourceService::kinds()
{
    static const QStringList k{QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                               QStringLiteral("global_rules")};
    return k;
}

ResourceService::ResourceService(ConfigStore *store, Gateway *gateway, const ResourceLimits &limits, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_gateway(gateway)
    , m_schemas(std::make_shared<const ResourceSchemas>(limits))
{
    // The gateway judges resources by the same schemas as the writes here.
    m_gateway->setSchemas(m_schemas);
}

ResourceService::~ResourceService() = default;

bool ResourceService::load(const QHash<QString, QJsonArray> &defaults, QString *error)
{
    QMutexLocker lock(&m_mutex);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    for (auto it = defaults.cbegin(); it != defaults.cend(); ++it) {
        // A configuration imported as a whole says what exists; no defaults are added to it.
        if (m_store->wasSeeded(it.key() + QStringLiteral(":*")))
            continue;
        QList<ConfigStore::Resource> puts;
        QStringList existing;
        for (const auto &r : m_store->resources(it.key()))
            existing.append(r.id);
        for (const QJsonValue &v : it.value()) {
            QJsonObject body = v.toObject();
            const QString id = body.value(idKey(it.key())).toString();
            const QString seedKey = it.key() + QLatin1Char(':') + id;
            if (m_store->wasSeeded(seedKey) || existing.contains(id))
                continue;
            body.insert(QStringLiteral("create_time"), now);
            body.insert(QStringLiteral("update_time"), now);
            puts.append({id, QJsonDocument(body).toJson(QJsonDocument::Compact), now, now});
            m_store->markSeeded(seedKey);
        }
        if (!puts.isEmpty() && !m_store->commitChange(it.key(), puts, {})) {
            *error = QStringLiteral("cannot store the default %1").arg(it.key());
            return false;
        }
    }
    applyStored();
    return true;
}

void ResourceService::applyStored()
{
    // The version first: a change another engine commits while the resources are read then
    // counts as not yet applied, and its notification applies it. Read after, the version could
    // name a change whose resources were not read, and that change would be skipped for good.
    const qint64 version = m_store->configVersion();
    QHash<QString, QJsonArray> all;
    for (const QString &kind : kinds()) {
        QJsonArray items;
        for (const auto &r : m_store->resources(kind)) {
            // The row's id is the truth; a body that no longer reads as an object still shows
            // up (with its problems) instead of vanishing.
            QJsonObject body = QJsonDocument::fromJson(r.body).object();
            body.insert(idKey(kind), r.id);
            items.append(body);
        }
        all.insert(kind, items);
    }
    // What no longer applies fails closed (and is logged) rather than stopping the engine.
    m_version = version;
    m_gateway->applyFailClosed(toResources(all, m_version));
    m_current = all;
}

bool ResourceService::reloadIfChanged()
{
    qint64 version = 0;
    {
        QMutexLocker lock(&m_mutex);
        if (!refreshLocked())
            return false;
        version = m_version;
    }
    for (const QString &kind : kinds())
        Q_EMIT changed(kind, QString(), version);
    return true;
}

bool ResourceService::refreshLocked()
{
    // A version the store has and this service has not: another engine on the same database
    // changed something (0: the store could not answer; keep what is applied).
    const qint64 stored = m_store->configVersion();
    if (stored <= m_version)
        return false;
    applyStored();
    return true;
}

QJsonObject ResourceService::withProblems(const GatewayConfig &config, const QString &kind, QJsonObject resource) const
{
    const QStringList problems = config.problems(kind, resource.value(idKey(kind)).toString());
    if (!problems.isEmpty())
        resource.insert(QStringLiteral("problems"), QJsonArray::fromStringList(problems));
    return resource;
}

QJsonArray ResourceService::list(const QString &kind) const
{
    QMutexLocker lock(&m_mutex);
    const std::shared_ptr<const GatewayConfig> config = m_gateway->config();
    QJsonArray out;
    for (const QJsonValue &v : m_current.value(kind))
        out.append(withProblems(*config, kind, v.toObject()));
    return out;
}

std::optional<QJsonObject> ResourceService::get(const QString &kind, const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    const QJsonArray items = m_current.value(kind);
    const qsizetype i = indexOf(items, kind, id);
    if (i < 0)
        return std::nullopt;
    return withProblems(*m_gateway->config(), kind, items.at(i).toObject());
}

qint64 ResourceService::version() const
{
    // The configuration version is config.db's: other writers (the stored simulation scenarios)
    // bump it too.
    return m_store->configVersion();
}

QHash<QString, QJsonArray> ResourceService::candidate(const QString &kind, const QString &id, const std::optional<QJsonObject> &body) const
{
    QHash<QString, QJsonArray> all = m_current;
    QJsonArray items = all.value(kind);
    const qsizetype i = indexOf(items, kind, id);
    if (!body) {
        if (i >= 0)
            items.removeAt(i);
    } else if (i >= 0) {
        items.replace(i, *body);
    } else {
        items.append(*body);
    }
    all.insert(kind, items);
    return all;
}

QStringList ResourceService::newProblems(const GatewayConfig &next, const QString &kind, const QString &id) const
{
    // The written resource must apply; any other must not lose what it had (a route whose
    // upstream is being deleted). Problems it already had do not block unrelated writes.
    QStringList errors = next.problems(kind, id);
    const std::shared_ptr<const GatewayConfig> now = m_gateway->config();
    const GatewayResources &resources = next.resources();
    for (const QString &other : kinds()) {
        const QJsonArray &items = other == QLatin1String("routes") ? resources.routes
            : other == QLatin1String("upstreams")                    ? resources.upstreams
            : other == QLatin1String("consumers")                    ? resources.consumers
                                                                     : resources.globalRules;
        for (const QJsonValue &v : items) {
            const QString otherId = v.toObject().value(idKey(other)).toString();
            if (other == kind && otherId == id)
                continue;
            const QStringList before = now->problems(other, otherId);
            for (const QString &e : next.problems(other, otherId)) {
                if (!before.contains(e))
                    errors.append(QLatin1Char('/') + other + QLatin1Char('/') + otherId + e);
            }
        }
    }
    return errors;
}

qsizetype ResourceService::countLimit(const QString &kind) const
{
    const ResourceLimits &l = m_schemas->limits();
    return kind == QLatin1String("routes") ? l.maxRoutes
        : kind == QLatin1String("upstreams") ? l.maxUpstreams
        : kind == QLatin1String("consumers") ? l.maxConsumers
                                             : l.maxGlobalRules;
}

ResourceService::Result ResourceService::write(const QString &kind, const QString &id, std::optional<QJsonObject> body, bool mustExist)
{
    if (!kinds().contains(kind))
        return {404, {}, {}, QStringLiteral("no resource kind '%1'").arg(kind)};
    // "." and ".." are no ids: a path that names them is not one an HTTP client sends.
    static const QRegularExpression validId(QStringLiteral("^(?!\\.{1,2}$)[A-Za-z0-9._-]+$"));
    if (id.size() > m_schemas->limits().maxIdLength || !validId.match(id).hasMatch())
        return badRequest({QStringLiteral("/%1: must be 1-%2 of A-Z a-z 0-9 . _ -, and not \".\" or \"..\"").arg(idKey(kind)).arg(m_schemas->limits().maxIdLength)});

    QMutexLocker lock(&m_mutex);
    // Checked against what every engine sees: a change another engine made is applied first.
    refreshLocked();
    const qsizetype existing = indexOf(m_current.value(kind), kind, id);
    if (mustExist && existing < 0)
        return {404, {}, {}, QStringLiteral("no %1 '%2'").arg(kind, id)};
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (body) {
        if (existing < 0 && m_current.value(kind).size() >= countLimit(kind))
            return {409, {}, {}, QStringLiteral("the gateway holds at most %1 %2 (limit max_%2); delete one first").arg(countLimit(kind)).arg(kind)};
        *body = withoutReadOnly(*body);
        body->insert(idKey(kind), id);
        if (body->value(QStringLiteral("plugins")).isUndefined() && kind != QLatin1String("upstreams"))
            body->insert(QStringLiteral("plugins"), QJsonObject());
        if (const QStringList errors = m_schemas->validate(kind, *body); !errors.isEmpty())
            return badRequest(errors);
        const qint64 created = existing >= 0
            ? m_current.value(kind).at(existing).toObject().value(QStringLiteral("create_time")).toInteger(now)
            : now;
        body->insert(QStringLiteral("create_time"), created);
        body->insert(QStringLiteral("update_time"), now);
    }
    const QHash<QString, QJsonArray> next = candidate(kind, id, body);
    // The whole configuration is built first: references (upstream_id), unique ids and
    // credentials, and the plugins themselves are only checked there; nothing is stored
    // unless it applies.
    const std::shared_ptr<const GatewayConfig> config = m_gateway->build(toResources(next, m_version + 1));
    if (const QStringList errors = newProblems(*config, kind, id); !errors.isEmpty())
        return badRequest(errors);
    QList<ConfigStore::Resource> puts;
    QStringList removes;
    if (body)
        puts.append({id, QJsonDocument(*body).toJson(QJsonDocument::Compact), body->value(QStringLiteral("create_time")).toInteger(now), now});
    else
        removes.append(id);
    const qint64 version = commitLocked(kind, next, config, puts, removes);
    if (!version)
        return storeFailed(*m_store);
    lock.unlock();
    Q_EMIT changed(kind, id, version);
    if (!body)
        return {204, {}, {}, {}};
    return {existing >= 0 ? 200 : 201, *body, {}, {}};
}

qint64 ResourceService::commitLocked(const QString &kind, const QHash<QString, QJsonArray> &next,
                                     const std::shared_ptr<const GatewayConfig> &config, const QList<ConfigStore::Resource> &puts,
                                     const QStringList &removes)
{
    const qint64 version = m_store->commitChange(kind, puts, removes);
    if (!version)
        return 0;
    // The version the store gave is the one built in (writes are serialised by m_mutex).
    m_gateway->install(version == m_version + 1 ? config : m_gateway->build(toResources(next, version)));
    m_current = next;
    m_version = version;
    return version;
}

ResourceService::Result ResourceService::changeMany(const QString &kind, const QList<QJsonObject> &added, const QStringList &removed)
{
    if (!kinds().contains(kind))
        return {404, {}, {}, QStringLiteral("no resource kind '%1'").arg(kind)};
    QMutexLocker lock(&m_mutex);
    refreshLocked();
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QHash<QString, QJsonArray> next = m_current;
    QJsonArray items = next.value(kind);
    QList<ConfigStore::Resource> puts;
    QStringList changedIds;
    for (QJsonObject body : added) {
        const QString id = body.value(idKey(kind)).toString();
        if (id.isEmpty() || indexOf(items, kind, id) >= 0)
            continue;
        body = withoutReadOnly(body);
        if (body.value(QStringLiteral("plugins")).isUndefined() && kind != QLatin1String("upstreams"))
            body.insert(QStringLiteral("plugins"), QJsonObject());
        if (const QStringList errors = m_schemas->validate(kind, body); !errors.isEmpty())
            return badRequest(errors);
        body.insert(QStringLiteral("create_time"), now);
        body.insert(QStringLiteral("update_time"), now);
        items.append(body);
        puts.append({id, QJsonDocument(body).toJson(QJsonDocument::Compact), now, now});
        changedIds.append(id);
    }
    QStringList removes;
    for (const QString &id : removed) {
        const qsizetype i = indexOf(items, kind, id);
        if (i < 0)
            continue;
        items.removeAt(i);
        removes.append(id);
        changedIds.append(id);
    }
    if (puts.isEmpty() && removes.isEmpty())
        return {200, {}, {}, {}};
    if (items.size() > countLimit(kind))
        return {409, {}, {}, QStringLiteral("the gateway holds at most %1 %2 (limit max_%2); delete one first").arg(countLimit(kind)).arg(kind)};
    next.insert(kind, items);
    const std::shared_ptr<const GatewayConfig> config = m_gateway->build(toResources(next, m_version + 1));
    for (const QString &id : std::as_const(changedIds)) {
        if (const QStringList errors = newProblems(*config, kind, id); !errors.isEmpty())
            return badRequest(errors);
    }
    const qint64 version = commitLocked(kind, next, config, puts, removes);
    if (!version)
        return storeFailed(*m_store);
    lock.unlock();
    Q_EMIT changed(kind, QString(), version);
    return {200, {}, {}, {}};
}

ResourceService::Result ResourceService::put(const QString &kind, const QString &id, QJsonObject body)
{
    const QJsonValue given = body.value(idKey(kind));
    if (!given.isUndefined() && given != QJsonValue(id))
        return badRequest({QStringLiteral("/%1: '%2' differs from the id in the path ('%3')")
                               .arg(idKey(kind), given.isString() ? given.toString() : QStringLiteral("(not a string)"), id)});
    return write(kind, id, std::move(body), false);
}

ResourceService::Result ResourceService::create(const QString &kind, QJsonObject body)
{
    const QJsonValue given = body.value(idKey(kind));
    if (!given.isUndefined() && !given.isString())
        return badRequest({QStringLiteral("/%1: must be a string").arg(idKey(kind))});
    QString id = given.toString();
    if (given.isUndefined()) {
        if (kind == QLatin1String("consumers"))
            return badRequest({QStringLiteral("/username: is required")});
        id = QUuid::createUuid().toString(QUuid::Id128).left(16);
    } else if (get(kind, id)) {
        return {409, {}, {}, QStringLiteral("%1 '%2' already exists; use PUT to replace it").arg(kind, id)};
    }
    return write(kind, id, std::move(body), false);
}

ResourceService::Result ResourceService::patch(const QString &kind, const QString &id, const QJsonObject &mergePatch)
{
    const QJsonValue given = mergePatch.value(idKey(kind));
    if (!given.isUndefined() && given != QJsonValue(id))
        return badRequest({QStringLiteral("/%1: a patch cannot change the id").arg(idKey(kind))});
    std::optional<QJsonObject> current = get(kind, id);
    if (!current)
        return {404, {}, {}, QStringLiteral("no %1 '%2'").arg(kind, id)};
    // The merged result is validated as a whole resource, like a PUT of it.
    QJsonObject merged = JsonMergePatch::apply(withoutReadOnly(*current), withoutReadOnly(mergePatch)).toObject();
    merged.insert(idKey(kind), id);
    return write(kind, id, merged, true);
}

ResourceService::Result ResourceService::remove(const QString &kind, const QString &id)
{
    return write(kind, id, std::nullopt, true);
}

QHash<QString, QJsonArray> ResourceService::itemsOf(const QJsonObject &document, qint64 now)
{
    QHash<QString, QJsonArray> next;
    for (const QString &kind : kinds()) {
        QJsonArray items;
        for (const QJsonValue &v : document.value(kind).toArray()) {
            QJsonObject body = withoutReadOnly(v.toObject());
            if (body.value(QStringLiteral("plugins")).isUndefined() && kind != QLatin1String("upstreams"))
                body.insert(QStringLiteral("plugins"), QJsonObject());
            body.insert(QStringLiteral("create_time"), now);
            body.insert(QStringLiteral("update_time"), now);
            items.append(body);
        }
        next.insert(kind, items);
    }
    return next;
}

QStringList ResourceService::check(const QJsonObject &document) const
{
    if (QStringList errors = m_schemas->validate(QStringLiteral("config"), document); !errors.isEmpty())
        return errors;
    QMutexLocker lock(&m_mutex);
    return m_gateway->build(toResources(itemsOf(document, QDateTime::currentSecsSinceEpoch()), m_version + kinds().size()))->allProblems();
}

ResourceService::Result ResourceService::replaceAll(const QJsonObject &document)
{
    if (const QStringList errors = m_schemas->validate(QStringLiteral("config"), document); !errors.isEmpty())
        return badRequest(errors, QStringLiteral("the configuration is invalid and nothing was changed (a configuration gives every section:"
                                                 " routes, upstreams, consumers, global_rules; [] empties one)"));
    QMutexLocker lock(&m_mutex);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QHash<QString, QJsonArray> next = itemsOf(document, now);
    // All or nothing: every resource of an imported configuration must apply. Built with the
    // version the store will reach (one bump per kind), so it is the one installed.
    const qint64 expected = m_version + kinds().size();
    const std::shared_ptr<const GatewayConfig> config = m_gateway->build(toResources(next, expected));
    if (config->hasProblems())
        return badRequest(config->allProblems(), QStringLiteral("the configuration cannot be applied and nothing was changed"));
    qint64 version = m_version;
    for (const QString &kind : kinds()) {
        QList<ConfigStore::Resource> puts;
        QStringList removes;
        for (const auto &old : m_store->resources(kind))
            removes.append(old.id);
        for (const QJsonValue &v : next.value(kind)) {
            const QString id = v.toObject().value(idKey(kind)).toString();
            removes.removeAll(id);
            puts.append({id, QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact), now, now});
        }
        version = m_store->commitChange(kind, puts, removes);
        m_store->markSeeded(kind + QStringLiteral(":*"));
        if (!version)
            return storeFailed(*m_store);
    }
    m_gateway->install(version == expected ? config : m_gateway->build(toResources(next, version)));
    m_current = next;
    m_version = version;
    lock.unlock();
    for (const QString &kind : kinds())
        Q_EMIT changed(kind, QString(), version);
    return {200, {}, {}, {}};
}

} // namespace Gatehouse
