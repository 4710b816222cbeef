#pragma once

#include "jsonschema.h"
#include "schemaevolution.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <algorithm>

class QRegularExpression;

namespace Gatehouse {

// One entity type of the project (e.g. "products"): the schema command bodies must satisfy,
// the fields the read model indexes, the shape of entity ids and the custom commands. In the
// project file it is the value under "collections"/<name>:
//   {"schema": {...}, "id_pattern": "...", "commands": {...}, "indexes": ["field", ...],
//    "snapshot_every": 100, "schema_version": 3, "upcasters": {"1": {...}, "2": {...}}}
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
    // "schema_version": every change of the schema is a new version (the admin API counts
    // them); events record the version they were written under (dataschema()).
    int schemaVersion = 1;
    // "upcasters": {"<N>": step from version N to N+1} (SchemaEvolution), N < schemaVersion.
    QMap<int, UpcastStep> upcasters;
    QString upcastTag;          // a digest of the upcasters; empty without any
    QString dataschemaUri;      // "/schemas/<name>/<schemaVersion>"

    // Upcasts the data of an event written under `eventVersion` (0: none recorded, i.e. 1) to
    // the current version. wholeDocument: a created event's (not a merge patch).
    void upcast(int eventVersion, bool wholeDocument, QJsonObject &data) const;
    bool upcastsFrom(int eventVersion) const
    {
        return !upcasters.isEmpty() && std::max(eventVersion, 1) < schemaVersion && upcasters.lastKey() >= std::max(eventVersion, 1);
    }
    // Where its snapshots are kept: a snapshot folded through other upcasters is another
    // state, so the key changes with them ("<name>" without upcasters, "<name>@<digest>").
    QString snapshotKey() const { return upcastTag.isEmpty() ? name : name + QLatin1Char('@') + upcastTag; }

    // {"name", "schema", "commands", and "id_pattern" when it is not the default, "indexes"
    // when given, "snapshot_every" when it is not the default, "schema_version" when above 1,
    // "upcasters" when there are any}.
    QJsonObject toJson() const;
    QJsonObject upcastersJson() const;

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
    static constexpr int kMaxSchemaVersion = 1000000;

    static bool isValidName(const QString &name);
    static QString defaultIdPattern();  // ^[A-Za-z0-9._~-]{1,128}$
};

} // namespace Gatehouse
