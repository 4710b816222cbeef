#include "projectconfig.h"

#include "embeddedresources.h"
#include "jsonpointer.h"
#include "strictjson.h"

#include <QFile>
#include <QJsonDocument>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

namespace Gatehouse {

namespace {

Q_LOGGING_CATEGORY(lcConfig, "gatehouse.config")

void addError(QStringList *errors, const QString &pointer, const QString &message)
{
    errors->append(pointer.isEmpty() ? message : pointer % u": "_s % message);
}

} // namespace

ProjectConfig ProjectConfig::fromJson(const QByteArray &json, QStringList *errors)
{
    QStringList localErrors;
    QStringList *out = errors ? errors : &localErrors;
    const qsizetype errorsBefore = out->size();

    StrictJson::Error parseError;
    const std::optional<QJsonValue> document = StrictJson::parse(json, &parseError);
    if (!document) {
        addError(out, QString(), u"invalid JSON at offset "_s % QString::number(parseError.offset) % u": "_s % parseError.message);
        return {};
    }
    if (!document->isObject()) {
        addError(out, QString(), u"a project must be a JSON object"_s);
        return {};
    }

    ProjectConfig config;
    config.m_otherMembers = document->toObject();
    const QJsonObject root = document->toObject();
    for (auto it = root.constBegin(); it != root.constEnd(); ++it) {
        const QString key = it.key();
        const QString pointer = JsonPointer::append(QString(), key);
        if (key == u"name") {
            if (!it.value().isString())
                addError(out, pointer, u"must be a string"_s);
            config.m_name = it.value().toString();
        } else if (key == u"collections") {
            if (!it.value().isObject()) {
                addError(out, pointer, u"must be an object"_s);
                continue;
            }
            const QJsonObject collections = it.value().toObject();
            for (auto c = collections.constBegin(); c != collections.constEnd(); ++c) {
                const QString collectionPointer = JsonPointer::append(pointer, c.key());
                if (!c.value().isObject()) {
                    addError(out, collectionPointer, u"must be an object"_s);
                    continue;
                }
                config.m_collections.append(
                    Collection::fromJson(c.key(), c.value().toObject(), out, collectionPointer));
            }
        } else if (key == u"routes" || key == u"functions") {
            if (!it.value().isArray())
                addError(out, pointer, u"must be an array"_s);
            (key == u"routes" ? config.m_routes : config.m_functions) = it.value().toArray();
        } else {
            continue;  // not ours: kept in m_otherMembers
        }
        config.m_otherMembers.remove(key);
    }

    if (out->size() > errorsBefore)
        return {};
    return config;
}

ProjectConfig ProjectConfig::fromFile(const QString &path, QStringList *errors)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (errors)
            errors->append(u"cannot read "_s % path % u": "_s % file.errorString());
        return {};
    }
    return fromJson(file.readAll(), errors);
}

ProjectConfig ProjectConfig::embeddedDefault()
{
    initEmbeddedResources();
    QStringList errors;
    ProjectConfig config = fromFile(embeddedDefaultPath(), &errors);
    // The file is part of the build and covered by tests; failing here is a packaging bug.
    for (const QString &error : std::as_const(errors))
        qCCritical(lcConfig) << "embedded default project:" << error;
    return config;
}

QString ProjectConfig::embeddedDefaultPath()
{
    return u":/gatehouse/default-project.json"_s;
}

QString ProjectConfig::name() const
{
    return m_name;
}

QList<Collection> ProjectConfig::collections() const
{
    return m_collections;
}

const Collection *ProjectConfig::collection(const QString &name) const
{
    for (const Collection &c : m_collections) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

void ProjectConfig::setCollection(const Collection &collection)
{
    for (Collection &c : m_collections) {
        if (c.name == collection.name) {
            c = collection;
            return;
        }
    }
    m_collections.append(collection);
}

bool ProjectConfig::removeCollection(const QString &name)
{
    return m_collections.removeIf([&](const Collection &c) { return c.name == name; }) > 0;
}

QJsonArray ProjectConfig::routes() const
{
    return m_routes;
}

void ProjectConfig::setRoutes(const QJsonArray &routes)
{
    m_routes = routes;
}

QJsonArray ProjectConfig::functions() const
{
    return m_functions;
}

void ProjectConfig::setFunctions(const QJsonArray &functions)
{
    m_functions = functions;
}

QByteArray ProjectConfig::toJson() const
{
    QJsonObject collections;
    for (const Collection &c : m_collections) {
        QJsonObject json = c.toJson();
        json.remove(u"name");  // the key already says it
        collections.insert(c.name, json);
    }
    QJsonObject root = m_otherMembers;
    root.insert(u"name"_s, m_name);
    root.insert(u"collections"_s, collections);
    root.insert(u"routes"_s, m_routes);
    root.insert(u"functions"_s, m_functions);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace Gatehouse
