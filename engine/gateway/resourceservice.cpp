#include "resourceservice.h"

#include "config/configstore.h"
#include "config/jsonmergepatch.h"
#include "gateway.h"
#include "gatewayconfig.h"

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

bool validId(const QString &id)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return re.match(id).hasMatch();
}

void validate(const QString &kind, const QJsonObject &body, QStringList *errors)
{
    if (kind == QLatin1String("routes"))
        GatewayConfig::validateRoute(body, errors);
    else if (kind == QLatin1String("upstreams"))
        GatewayConfig::validateUpstream(body, QString(), errors);
    else if (kind == QLatin1String("consumers"))
        GatewayConfig::validateConsumer(body, errors);
    else
        GatewayConfig::validateGlobalRule(body, errors);
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

ResourceService::Result badRequest(const QStringList &errors)
{
    ResourceService::Result r;
    r.status = 400;
    r.errors = errors;
    r.detail = errors.join(QStringLiteral("; "));
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
} // namespace

const QStringList &ResourceService::kinds()
{
    static const QStringList k{QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                               QStringLiteral("global_rules")};
    return k;
}

ResourceService::ResourceService(ConfigStore *store, Gateway *gateway, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_gateway(gateway)
{
}

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
    QHash<QString, QJsonArray> all;
    for (const QString &kind : kinds()) {
        QJsonArray items;
        for (const auto &r : m_store->resources(kind))
            items.append(QJsonDocument::fromJson(r.body).object());
        all.insert(kind, items);
    }
    QStringList errors;
    if (!applyToGateway(all, m_store->configVersion(), &errors)) {
        *error = QStringLiteral("the stored gateway configuration is invalid: ") + errors.join(QStringLiteral("; "));
        return false;
    }
    return true;
}

bool ResourceService::applyToGateway(const QHash<QString, QJsonArray> &all, qint64 version, QStringList *errors)
{
    GatewayResources resources;
    resources.routes = all.value(QStringLiteral("routes"));
    resources.upstreams = all.value(QStringLiteral("upstreams"));
    resources.consumers = all.value(QStringLiteral("consumers"));
    resources.globalRules = all.value(QStringLiteral("global_rules"));
    resources.version = version;
    if (!m_gateway->apply(resources, errors))
        return false;
    m_current = all;
    m_version = version;
    return true;
}

QJsonArray ResourceService::list(const QString &kind) const
{
    QMutexLocker lock(&m_mutex);
    return m_current.value(kind);
}

std::optional<QJsonObject> ResourceService::get(const QString &kind, const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    const QJsonArray items = m_current.value(kind);
    const qsizetype i = indexOf(items, kind, id);
    if (i < 0)
        return std::nullopt;
    return items.at(i).toObject();
}

qint64 ResourceService::version() const
{
    QMutexLocker lock(&m_mutex);
    return m_version;
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

ResourceService::Result ResourceService::write(const QString &kind, const QString &id, std::optional<QJsonObject> body, bool mustExist)
{
    if (!kinds().contains(kind))
        return {404, {}, {}, QStringLiteral("no resource kind '%1'").arg(kind)};
    if (!validId(id))
        return badRequest({QStringLiteral("/%1: must be 1-64 of A-Z a-z 0-9 . _ -").arg(idKey(kind))});

    QMutexLocker lock(&m_mutex);
    const qsizetype existing = indexOf(m_current.value(kind), kind, id);
    if (mustExist && existing < 0)
        return {404, {}, {}, QStringLiteral("no %1 '%2'").arg(kind, id)};
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (body) {
        body->insert(idKey(kind), id);
        if (body->value(QStringLiteral("plugins")).isUndefined() && kind != QLatin1String("upstreams"))
            body->insert(QStringLiteral("plugins"), QJsonObject());
        QStringList errors;
        QJsonObject checked = *body;
        checked.remove(QStringLiteral("create_time"));
        checked.remove(QStringLiteral("update_time"));
        validate(kind, checked, &errors);
        if (!errors.isEmpty())
            return badRequest(errors);
        const qint64 created = existing >= 0
            ? m_current.value(kind).at(existing).toObject().value(QStringLiteral("create_time")).toInteger(now)
            : now;
        body->insert(QStringLiteral("create_time"), created);
        body->insert(QStringLiteral("update_time"), now);
    }
    const QHash<QString, QJsonArray> next = candidate(kind, id, body);
    // Build the whole configuration first: cross-references (upstream_id, unique ids, plugin
    // instances) are only checked there, and nothing is stored unless it builds.
    {
        GatewayResources probe;
        probe.routes = next.value(QStringLiteral("routes"));
        probe.upstreams = next.value(QStringLiteral("upstreams"));
        probe.consumers = next.value(QStringLiteral("consumers"));
        probe.globalRules = next.value(QStringLiteral("global_rules"));
        QStringList errors;
        if (!GatewayConfig::build(probe, m_gateway->pluginState(), &errors))
            return badRequest(errors);
    }
    QList<ConfigStore::Resource> puts;
    QStringList removes;
    if (body)
        puts.append({id, QJsonDocument(*body).toJson(QJsonDocument::Compact), body->value(QStringLiteral("create_time")).toInteger(now), now});
    else
        removes.append(id);
    const qint64 version = m_store->commitChange(kind, puts, removes);
    if (!version)
        return storeFailed(*m_store);
    QStringList errors;
    if (!applyToGateway(next, version, &errors))
        return badRequest(errors);
    lock.unlock();
    Q_EMIT changed(kind, id, version);
    if (!body)
        return {204, {}, {}, {}};
    return {existing >= 0 ? 200 : 201, *body, {}, {}};
}

ResourceService::Result ResourceService::put(const QString &kind, const QString &id, QJsonObject body)
{
    const QString given = body.value(idKey(kind)).toString();
    if (!given.isEmpty() && given != id)
        return badRequest({QStringLiteral("/%1: '%2' differs from the id in the path ('%3')").arg(idKey(kind), given, id)});
    return write(kind, id, std::move(body), false);
}

ResourceService::Result ResourceService::create(const QString &kind, QJsonObject body)
{
    QString id = body.value(idKey(kind)).toString();
    if (id.isEmpty()) {
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
    const std::optional<QJsonObject> current = get(kind, id);
    if (!current)
        return {404, {}, {}, QStringLiteral("no %1 '%2'").arg(kind, id)};
    QJsonObject merged = JsonMergePatch::apply(*current, mergePatch).toObject();
    merged.insert(idKey(kind), id);
    return write(kind, id, merged, true);
}

ResourceService::Result ResourceService::remove(const QString &kind, const QString &id)
{
    return write(kind, id, std::nullopt, true);
}

ResourceService::Result ResourceService::replaceAll(const QHash<QString, QJsonArray> &resources)
{
    QMutexLocker lock(&m_mutex);
    QHash<QString, QJsonArray> next = m_current;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QStringList errors;
    for (auto it = resources.cbegin(); it != resources.cend(); ++it) {
        if (!kinds().contains(it.key())) {
            errors.append(QStringLiteral("/%1: unknown resource kind").arg(it.key()));
            continue;
        }
        QJsonArray items;
        for (qsizetype i = 0; i < it.value().size(); ++i) {
            QJsonObject body = it.value().at(i).toObject();
            QStringList itemErrors;
            body.remove(QStringLiteral("create_time"));
            body.remove(QStringLiteral("update_time"));
            validate(it.key(), body, &itemErrors);
            if (!validId(body.value(idKey(it.key())).toString()))
                itemErrors.append(QStringLiteral("/%1: must be 1-64 of A-Z a-z 0-9 . _ -").arg(idKey(it.key())));
            for (const QString &e : itemErrors)
                errors.append(QStringLiteral("/%1/%2").arg(it.key()).arg(i) + e);
            body.insert(QStringLiteral("create_time"), now);
            body.insert(QStringLiteral("update_time"), now);
            items.append(body);
        }
        next.insert(it.key(), items);
    }
    GatewayResources probe;
    probe.routes = next.value(QStringLiteral("routes"));
    probe.upstreams = next.value(QStringLiteral("upstreams"));
    probe.consumers = next.value(QStringLiteral("consumers"));
    probe.globalRules = next.value(QStringLiteral("global_rules"));
    if (errors.isEmpty())
        GatewayConfig::build(probe, m_gateway->pluginState(), &errors);
    if (!errors.isEmpty())
        return badRequest(errors);
    qint64 version = m_version;
    for (auto it = resources.cbegin(); it != resources.cend(); ++it) {
        QList<ConfigStore::Resource> puts;
        QStringList removes;
        for (const auto &old : m_store->resources(it.key()))
            removes.append(old.id);
        for (const QJsonValue &v : next.value(it.key())) {
            const QString id = v.toObject().value(idKey(it.key())).toString();
            removes.removeAll(id);
            puts.append({id, QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact), now, now});
        }
        version = m_store->commitChange(it.key(), puts, removes);
        m_store->markSeeded(it.key() + QStringLiteral(":*"));
        if (!version)
            return storeFailed(*m_store);
    }
    if (!applyToGateway(next, version, &errors))
        return badRequest(errors);
    lock.unlock();
    for (auto it = resources.cbegin(); it != resources.cend(); ++it)
        Q_EMIT changed(it.key(), QString(), version);
    return {200, {}, {}, {}};
}

} // namespace Gatehouse
