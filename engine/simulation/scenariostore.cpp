#include "scenariostore.h"

#include "config/configstore.h"
#include "config/embeddedresources.h"
#include "config/jsonmergepatch.h"
#include "config/strictjson.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

namespace Gatehouse::Simulation {

namespace {

const QString kKind = QStringLiteral("scenarios");

QJsonObject decode(const ConfigStore::Resource &r)
{
    // What is stored was checked when it was written; a body that no longer parses is shown
    // as it can be (an empty definition that fails to read, so a run of it is refused).
    const std::optional<QJsonObject> body = StrictJson::parseObject(r.body);
    QJsonObject o = body.value_or(QJsonObject{});
    o.insert(QStringLiteral("name"), r.id);
    o.insert(QStringLiteral("create_time"), r.createdAt);
    o.insert(QStringLiteral("update_time"), r.updatedAt);
    return o;
}

} // namespace

ScenarioStore::ScenarioStore(ConfigStore *store, const CollectionCatalog *collections)
    : m_store(store)
    , m_collections(collections)
{
}

bool ScenarioStore::isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    return re.match(name).hasMatch();
}

QJsonObject ScenarioStore::definition(QJsonObject stored)
{
    stored.remove(QStringLiteral("name"));
    stored.remove(QStringLiteral("create_time"));
    stored.remove(QStringLiteral("update_time"));
    return stored;
}

bool ScenarioStore::seedExamples(QString *error)
{
    initEmbeddedResources();
    const QDir dir(QStringLiteral(":/gatehouse/scenarios"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString &file : files) {
        const QString name = file.chopped(5);
        const QString seedKey = kKind + QLatin1Char(':') + name;
        if (m_store->wasSeeded(seedKey))
            continue;
        QFile f(dir.filePath(file));
        if (!f.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read the example scenario %1").arg(file);
            return false;
        }
        const std::optional<QJsonObject> body = StrictJson::parseObject(f.readAll());
        if (!body) {
            *error = QStringLiteral("the example scenario %1 is not a JSON object").arg(file);
            return false;
        }
        if (!get(name)) {
            const Result r = put(name, *body);
            if (r.status >= 400) {
                // An example that does not read against this engine's collections (a project
                // without "products") is left out, not an error: the operator's project rules.
                if (r.status != 400) {
                    *error = QStringLiteral("cannot store the example scenario %1: %2").arg(name, r.detail);
                    return false;
                }
                continue;
            }
        }
        m_store->markSeeded(seedKey);
    }
    return true;
}

QJsonArray ScenarioStore::list() const
{
    QJsonArray out;
    const QList<ConfigStore::Resource> stored = m_store->resources(kKind);
    for (const ConfigStore::Resource &r : stored)
        out.append(decode(r));
    return out;
}

std::optional<QJsonObject> ScenarioStore::get(const QString &name) const
{
    const QList<ConfigStore::Resource> stored = m_store->resources(kKind);
    for (const ConfigStore::Resource &r : stored) {
        if (r.id == name)
            return decode(r);
    }
    return std::nullopt;
}

std::optional<Scenario> ScenarioStore::scenario(const QString &name, QStringList *errors) const
{
    const std::optional<QJsonObject> stored = get(name);
    if (!stored) {
        errors->append(QStringLiteral("no scenario named %1").arg(name));
        return std::nullopt;
    }
    std::optional<Scenario> s = Scenario::fromJson(definition(*stored), errors, m_collections);
    if (s)
        s->name = name;
    return s;
}

ScenarioStore::Result ScenarioStore::put(const QString &name, QJsonObject body)
{
    return write(name, std::move(body), false);
}

ScenarioStore::Result ScenarioStore::patch(const QString &name, const QJsonObject &mergePatch)
{
    QMutexLocker lock(&m_mutex);
    const std::optional<QJsonObject> stored = get(name);
    if (!stored)
        return {404, {}, {}, QStringLiteral("no scenario named %1").arg(name)};
    QJsonObject next = definition(*stored);
    JsonMergePatch::applyTo(next, mergePatch);
    lock.unlock();
    return write(name, std::move(next), true);
}

ScenarioStore::Result ScenarioStore::remove(const QString &name)
{
    QMutexLocker lock(&m_mutex);
    if (!get(name))
        return {404, {}, {}, QStringLiteral("no scenario named %1").arg(name)};
    if (m_store->commitChange(kKind, {}, {name}) == 0)
        return {m_store->lastChangeFailedFull() ? 507 : 503, {}, {}, QStringLiteral("config.db cannot be written")};
    return {204, {}, {}, {}};
}

QStringList ScenarioStore::check(const QJsonArray &items) const
{
    QStringList errors;
    QSet<QString> names;
    if (items.size() > kMaxScenarios)
        errors.append(QStringLiteral("/scenarios: at most %1 scenarios").arg(kMaxScenarios));
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QString pointer = QStringLiteral("/scenarios/%1").arg(i);
        if (!items.at(i).isObject()) {
            errors.append(pointer + QStringLiteral(": must be an object"));
            continue;
        }
        const QJsonObject item = items.at(i).toObject();
        const QString name = item.value(QStringLiteral("name")).toString();
        if (!isValidName(name)) {
            errors.append(pointer + QStringLiteral("/name: must match [A-Za-z0-9_.-]{1,64}"));
            continue;
        }
        if (names.contains(name))
            errors.append(pointer + QStringLiteral("/name: %1 is given twice").arg(name));
        names.insert(name);
        QStringList own;
        Scenario::fromJson(definition(item), &own, m_collections);
        for (const QString &e : own)
            errors.append(pointer + e);
    }
    return errors;
}

ScenarioStore::Result ScenarioStore::replaceAll(const QJsonArray &items)
{
    const QStringList errors = check(items);
    if (!errors.isEmpty())
        return {400, {}, errors, QStringLiteral("invalid scenarios")};
    QMutexLocker lock(&m_mutex);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QHash<QString, qint64> created;
    for (const ConfigStore::Resource &r : m_store->resources(kKind))
        created.insert(r.id, r.createdAt);
    QList<ConfigStore::Resource> puts;
    for (const QJsonValue &v : items) {
        const QString name = v.toObject().value(QStringLiteral("name")).toString();
        puts.append({name, QJsonDocument(definition(v.toObject())).toJson(QJsonDocument::Compact), created.value(name, now), now});
        created.remove(name);
    }
    if (m_store->commitChange(kKind, puts, created.keys()) == 0)
        return {m_store->lastChangeFailedFull() ? 507 : 503, {}, {}, QStringLiteral("config.db cannot be written")};
    return {200, {}, {}, {}};
}

ScenarioStore::Result ScenarioStore::write(const QString &name, QJsonObject body, bool mustExist)
{
    if (!isValidName(name))
        return {400, {}, {QStringLiteral("/name: must match [A-Za-z0-9_.-]{1,64}")}, QStringLiteral("invalid scenario name")};
    const QJsonValue given = body.value(QStringLiteral("name"));
    if (!given.isUndefined() && given != QJsonValue(name))
        return {400, {}, {QStringLiteral("/name: must be the name in the path (%1)").arg(name)}, QStringLiteral("invalid scenario")};
    body = definition(body);
    const QByteArray text = QJsonDocument(body).toJson(QJsonDocument::Compact);
    if (text.size() > kMaxScenarioBytes)
        return {400, {}, {QStringLiteral(": a scenario is at most %1 bytes").arg(kMaxScenarioBytes)}, QStringLiteral("scenario too large")};
    QStringList errors;
    if (!Scenario::fromJson(body, &errors, m_collections))
        return {400, {}, errors, QStringLiteral("invalid scenario")};

    QMutexLocker lock(&m_mutex);
    const QList<ConfigStore::Resource> stored = m_store->resources(kKind);
    qint64 createdAt = 0;
    for (const ConfigStore::Resource &r : stored) {
        if (r.id == name)
            createdAt = r.createdAt;
    }
    const bool exists = createdAt != 0;
    if (mustExist && !exists)
        return {404, {}, {}, QStringLiteral("no scenario named %1").arg(name)};
    if (!exists && stored.size() >= kMaxScenarios)
        return {409, {}, {}, QStringLiteral("at most %1 scenarios can be stored").arg(kMaxScenarios)};
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const ConfigStore::Resource resource{name, text, exists ? createdAt : now, now};
    if (m_store->commitChange(kKind, {resource}, {}) == 0)
        return {m_store->lastChangeFailedFull() ? 507 : 503, {}, {}, QStringLiteral("config.db cannot be written")};
    return {exists ? 200 : 201, decode(resource), {}, {}};
}

} // namespace Gatehouse::Simulation
