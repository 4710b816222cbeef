#pragma once

#include "simulation/faultcontrol.h"

#include <QJsonObject>
#include <QList>
#include <QMutex>

#include <optional>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Server {

// A scenario's "setup" applied to a running engine through its ResourceService and
// FunctionService -- the same validation and persistence as admin writes -- and taken back
// when the run ends: what it created is deleted, what it replaced is put back (a function by
// rolling back to the version it had). Thread-safe.
class ScenarioResources final : public Simulation::ScenarioSetup
{
public:
    explicit ScenarioResources(Engine *engine);
    ~ScenarioResources() override;

    QStringList apply(const QJsonObject &setup) override;
    void revert() override;

private:
    struct Change
    {
        QString kind;                         // a ResourceService kind, or "functions"
        QString id;
        std::optional<QJsonObject> previous;  // what was there before; nullopt: created
    };
    void undo(const QList<Change> &changes);

    Engine *m_engine;
    QMutex m_mutex;
    QList<Change> m_applied;
};

} // namespace Gatehouse::Server
