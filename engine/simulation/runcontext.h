#pragma once

#include "documentgenerator.h"
#include "gatewaytarget.h"
#include "idregistry.h"
#include "lagtracker.h"
#include "scenario.h"

#include <QJsonObject>
#include <QList>
#include <QString>


namespace Gatehouse::Simulation {

// What every thread of a run shares: the scenario (read-only), where the load goes, the ids
// created so far and the consistency-lag bookkeeping (both thread-safe). Built before the
// threads start and destroyed after they ended.
struct RunContext
{
    Scenario scenario;
    GatewayTarget gateway;       // where the load goes
    QString idPrefix;            // of the ids creates choose (Scenario::idPrefix, or one of this run)
    QString mqttHost;            // for mqtt_command and MQTT subscribers
    int mqttPort = 0;
    qint64 startNs = 0;          // steady clock: second 0 of the run (set before the load starts)

    // The operations of every workload in one flat list: workload w's operation j is
    // opOffset[w] + j; per flat operation, the generator of its documents (from the operation's
    // schema, else its collection's; a generator without a schema gives {}).
    QList<int> opOffset;
    QList<DocumentGenerator> documents;
    QList<double> weightsOf(int workload) const;
    int flatOp(int workload, int op) const { return opOffset.at(workload) + op; }
    int operationCount() const { return int(documents.size()); }
    const Operation &operation(int flat) const;
    int workloadOf(int flat) const;

    IdRegistry ids;
    LagTracker lag;
};

} // namespace Gatehouse::Simulation
