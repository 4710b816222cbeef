#pragma once

#include "collection.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace Gatehouse {

// The project file: what the engine serves.
//   {"name": "...", "collections": {"products": {"schema": {...}, "commands": {...}}},
//    "routes": [...], "functions": [...]}
// Collections are parsed and their schemas compiled on load; routes and functions are kept
// as raw JSON for the gateway and function runtime to read. Other top-level members are
// kept as they are and written back by toJson(). A plain value, loaded on any thread.
class ProjectConfig
{
public:
    ProjectConfig() = default;

    // On failure `errors` (may be null) gets "<JSON Pointer>: <message>" lines and the
    // result is an empty project. Existing entries in `errors` are kept.
    static ProjectConfig fromJson(const QByteArray &json, QStringList *errors);
    static ProjectConfig fromFile(const QString &path, QStringList *errors);
    // The product catalog example built into the binary (":/gatehouse/default-project.json").
    static ProjectConfig embeddedDefault();
    static QString embeddedDefaultPath();

    QString name() const;
    QList<Collection> collections() const;
    // Valid until this config is changed or destroyed; nullptr when unknown.
    const Collection *collection(const QString &name) const;
    // Replaces the collection of the same name, or adds it.
    void setCollection(const Collection &collection);
    bool removeCollection(const QString &name);

    QJsonArray routes() const;
    void setRoutes(const QJsonArray &routes);
    QJsonArray functions() const;
    void setFunctions(const QJsonArray &functions);

    QByteArray toJson() const;  // indented, loads again with fromJson()

private:
    QString m_name;
    QList<Collection> m_collections;
    QJsonArray m_routes;
    QJsonArray m_functions;
    QJsonObject m_otherMembers;
};

} // namespace Gatehouse
