#pragma once

#include "jsonschema.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

class QRegularExpression;

namespace Gatehouse {

// One entity type of the project (e.g. "products"): the schema command bodies must satisfy,
// the fields the read model indexes, the shape of entity ids and the custom commands. In the
// project file it is the value under "collections"/<name>:
//   {"schema": {...}, "id_pattern": "...", "commands": {...}, "indexes": ["field", ...],
//    "snapshot_every": 100}
// Indexed fields are the schema's properties marked `"index": true` and those named in
// "indexes" (which must be properties of the schema, of a type that can be indexed).
// A plain value; copies share the compiled schema.
struct Collection
{
    QString name;               // [a-z][a-z0-9_-]{0,62}
    JsonSchema schema;
    QStringList indexedFields;  // top-level properties with "index": true, then declaredIndexes
    QStringList declaredIndexes;  // "indexes", as given
    QString idPattern;          // regex for ids; defaultIdPattern() unless the file says otherwise
    QJsonObject commands;       // custom commands: name -> {"function": name} or {"decide": "JS"} (CommandDecider)
    int snapshotEvery = kDefaultSnapshotEvery;   // "snapshot_every": a snapshot per this many events of a stream; 0: none

    // {"name", "schema", "commands", and "id_pattern" when it is not the default, "indexes"
    // when given, "snapshot_every" when it is not the default}.
    QJsonObject toJson() const;

    // Reads the project-file form. Problems are appended to `errors` (may be null) as
    // "<JSON Pointer>: <message>" under `basePointer` (e.g. "/collections/products").
    static Collection fromJson(const QString &name, const QJsonObject &json, QStringList *errors,
                               const QString &basePointer = QString());
    // idPattern compiled with ECMA semantics (`$` is the end of input, a trailing "\n" does
    // not pass). Compiling costs; keep the result rather than calling this per request.
    QRegularExpression idRegularExpression() const;

    static constexpr int kMaxIndexes = 32;
    static constexpr int kDefaultSnapshotEvery = 100;
    static constexpr int kMaxSnapshotEvery = 1000000;

    static bool isValidName(const QString &name);
    static QString defaultIdPattern();  // ^[A-Za-z0-9._~-]{1,128}$
};

} // namespace Gatehouse
