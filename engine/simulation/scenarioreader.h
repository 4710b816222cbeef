#pragma once

#include "scenario.h"

#include <QHash>
#include <QJsonValue>
#include <QStringList>

#include <memory>
#include <optional>

namespace Gatehouse {
class ProjectConfig;
}

namespace Gatehouse::Simulation {

// The parts of Scenario::fromJson, one per section of a scenario. Each reads a value at its
// JSON Pointer, appends every problem to the context's errors ("<pointer>: <message>") and
// returns what it could read. Internal to the simulation room; runs on the caller's thread.
namespace ScenarioReader {

struct Context
{
    QStringList *errors = nullptr;
    std::shared_ptr<const ProjectConfig> project;   // null: collections are not checked
    qint64 durationMs = 0;                          // the scenario's; 0 when it is wrong
    bool remoteTarget = false;                      // a `target` is set: engine faults cannot apply
    // DocumentGenerator::check() of each collection's schema, computed once per collection.
    QHash<QString, QStringList> collectionProblems;
};

std::optional<Workload> readWorkload(const QJsonValue &json, const QString &pointer, Context &context);
std::optional<Operation> readOperation(const QJsonValue &json, const QString &pointer, Context &context);
std::optional<Fault> readFault(const QJsonValue &json, const QString &pointer, Context &context);

} // namespace ScenarioReader
} // namespace Gatehouse::Simulation
