#pragma once

#include "config/jsonschema.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QStringList>

#include <memory>

namespace Gatehouse::Simulation {

class SeededRandom;
struct GenerationNode;

// Command bodies generated from a collection's JSON Schema, for a simulation's creates and
// updates: every keyword of the engine's schema subset (config/jsonschema.h) is honoured --
// type (and type lists), const, enum, minimum/maximum/exclusive*, multipleOf, minLength,
// maxLength, pattern, format (date-time, date, time, email, uuid, uri, hostname, ipv4, ipv6),
// items, prefixItems, minItems, maxItems, uniqueItems, properties, required,
// additionalProperties, propertyNames, min/maxProperties, allOf, if/then/else and not. Required
// members are always present, optional ones about half of the time. The same SeededRandom
// state gives the same document.
//
// Documents are valid by construction where the keywords allow it; where they do not
// (if/then/else, not, merged allOf) candidates are generated and checked with the engine's
// validator. What can never be generated is known when the generator is built: problems()
// lists it and check() adds what a sample of documents reveals -- the scenario reader reports
// both before a run starts.
//
// The top-level member "id" is never generated: the engine assigns ids on create and an
// update's id is in its URL. Immutable after construction: copies share the compiled tree and
// generate() may run on any number of threads at once, each with its own SeededRandom.
class DocumentGenerator
{
public:
    static constexpr int kAttempts = 32;   // candidates per value where a check decides

    DocumentGenerator();   // no schema: every document is {}
    explicit DocumentGenerator(const QJsonObject &schema);
    ~DocumentGenerator();
    DocumentGenerator(const DocumentGenerator &);
    DocumentGenerator &operator=(const DocumentGenerator &);

    // "<JSON Pointer into the schema>: <why>" for what cannot be generated; empty when all can.
    QStringList problems() const;

    // A create body (POST /api/{collection}): valid as the engine checks it, the id it adds included.
    QJsonObject generate(SeededRandom &random) const;
    // An update body (PUT /api/{collection}/{id}, a merge patch): a whole new document of the
    // same shape without "id" and without null members (null would remove a member).
    QJsonObject generateUpdate(SeededRandom &random) const;
    // Any value of the schema, "id" included (a schema need not describe an object).
    QJsonValue generateValue(SeededRandom &random) const;

    // What the engine would answer about a create body (it adds "id" before validating)...
    QList<SchemaViolation> validate(const QJsonObject &document) const;
    // ... and about an update body.
    QList<SchemaViolation> validateUpdate(const QJsonObject &document) const;
    // problems() when there are any; else "generated documents do not validate: <path>:
    // <message>" for the violations (at most five) of `samples` creates and as many updates
    // generated from `seed`. Empty: documents of this schema can be generated.
    QStringList check(int samples = 32, quint64 seed = 1) const;

    const JsonSchema &schema() const;

private:
    struct Private;
    std::shared_ptr<const Private> d;
};

} // namespace Gatehouse::Simulation
