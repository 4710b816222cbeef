#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>

namespace Gatehouse {

// How a collection's events keep folding after its schema changes. Every schema change is a
// new version (1, 2, ...); each event records the version it was written under (CloudEvents
// `dataschema`, "/schemas/<collection>/<version>"). An upcaster step turns the data of an
// event of version N into the shape of version N+1; folding an old event runs the steps from
// its version up to the current one.
//
// A step is declarative, applied in this order (top-level members of the event's data):
//   {"rename":  {"old": "new", ...},                 a member's name
//    "values":  {"status": {"gone": "archived"}},     string values of a member, mapped
//    "cast":    {"price": "integer"},                 a member's value converted: "string",
//                                                     "number", "integer" or "boolean"
//    "remove":  ["obsolete", ...],
//    "default": {"currency": "EUR", ...}}             set when absent -- in created events
//                                                     only: an update leaves what it omits alone
// A value a cast cannot convert ("abc" to a number) is left as it is.
struct UpcastStep
{
    QList<std::pair<QString, QString>> rename;
    QHash<QString, QJsonObject> values;
    QHash<QString, QString> cast;
    QStringList remove;
    QJsonObject defaults;

    bool isEmpty() const { return rename.isEmpty() && values.isEmpty() && cast.isEmpty() && remove.isEmpty() && defaults.isEmpty(); }
    // Reads a step; problems go to `errors` as "<pointer>: <message>".
    static std::optional<UpcastStep> fromJson(const QJsonValue &json, QStringList *errors, const QString &pointer);
    QJsonObject toJson() const;
    // wholeDocument: the data is a whole document (a created event), not a merge patch.
    void apply(QJsonObject &data, bool wholeDocument) const;

    // The fields the step touches: renamed into, mapped, cast, removed, defaulted.
    bool renamesInto(const QString &field) const;
    bool renamesAway(const QString &field) const;
};

namespace SchemaEvolution {

// A change that would leave events of the previous version unreadable under the new schema.
struct Break
{
    QString rule;      // "required-without-default", "narrowed-type", "removed-enum-value", "added-enum"
    QString field;     // top-level property
    QString message;   // what changed
    QString fix;       // what to add so that the change is accepted
    QString toString() const;
};

// The breaking changes from `before` to `after` (schemas, top-level properties) that `step`
// (the upcaster from the version of `before` to that of `after`; may be null) does not cover:
//   - a property newly required without a "default" in the schema (covered by a default or a
//     rename into it);
//   - a type narrowed: a type the property had is no longer allowed, "integer" where it was
//     "number" included (covered by a cast, a removal or a rename away);
//   - an enum value removed (covered by a mapping of each removed value, a removal or a rename
//     away), or an enum added where any value was allowed (covered by a mapping of the member).
// `fromVersion` is the version of `before` (it names the step in each fix).
QList<Break> breakingChanges(const QJsonObject &before, const QJsonObject &after, const UpcastStep *step, int fromVersion);

// The "default" of each property `after` newly requires (and that `step` does not rename into
// or default itself), added to the step: the schema's own default is what old events get.
void addSchemaDefaults(const QJsonObject &before, const QJsonObject &after, UpcastStep &step);

// "/schemas/products/3"
QString dataschema(const QString &collection, int version);

} // namespace SchemaEvolution

} // namespace Gatehouse
