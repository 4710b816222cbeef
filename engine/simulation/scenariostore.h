#pragma once

#include "scenario.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QStringList>

#include <optional>

namespace Gatehouse {
class CollectionCatalog;
class ConfigStore;
}

namespace Gatehouse::Simulation {

// The stored scenarios: config.db resources of kind "scenarios", keyed by name, each the
// scenario's JSON with "name", "create_time" and "update_time" (s since the epoch) added, as
// routes carry theirs. Every write is checked with Scenario::fromJson against the engine's
// collections and refused whole (400, every error with its JSON Pointer) when it does not
// read; a change bumps the configuration version like any admin write. Thread-safe.
class ScenarioStore final
{
    Q_DISABLE_COPY_MOVE(ScenarioStore)

public:
    struct Result
    {
        int status = 200;          // 200, 201, 204, 400, 404, 503, 507
        QJsonObject scenario;
        QStringList errors;        // 400: "<pointer>: <message>"
        QString detail;
    };

    static constexpr qsizetype kMaxScenarios = 256;
    static constexpr qsizetype kMaxScenarioBytes = 256 * 1024;

    ScenarioStore(ConfigStore *store, const CollectionCatalog *collections);

    // Stores the examples shipped with Gatehouse (":/gatehouse/scenarios/*.json") the first
    // time only: one an operator deleted does not come back.
    bool seedExamples(QString *error);

    QJsonArray list() const;
    std::optional<QJsonObject> get(const QString &name) const;
    // The stored scenario read for a run (nullopt with the reasons when it no longer reads,
    // e.g. a collection it names was removed since).
    std::optional<Scenario> scenario(const QString &name, QStringList *errors) const;

    Result put(const QString &name, QJsonObject body);                 // 200 replaced, 201 created
    Result patch(const QString &name, const QJsonObject &mergePatch);  // RFC 7386
    Result remove(const QString &name);                                // 204
    // Replaces every stored scenario with `items` (each with its "name"), all or nothing: the
    // "scenarios" section of an imported configuration. Errors under /scenarios/<i>.
    Result replaceAll(const QJsonArray &items);
    QStringList check(const QJsonArray &items) const;   // replaceAll's validation alone

    static bool isValidName(const QString &name);   // [A-Za-z0-9_.-]{1,64}
    // The scenario's own members (without name and timestamps), as Scenario::fromJson reads them.
    static QJsonObject definition(QJsonObject stored);

private:
    Result write(const QString &name, QJsonObject body, bool mustExist);

    ConfigStore *m_store;
    const CollectionCatalog *m_collections;
    mutable QMutex m_mutex;   // a read-modify-write (patch) is one step
};

} // namespace Gatehouse::Simulation
