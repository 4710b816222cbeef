#pragma once

#include "scenario.h"

#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QTimer>

#include <memory>

namespace Gatehouse::Simulation {

class FaultControl;
class FaultProxy;

// A run's faults on their schedule: each switched on `at` after second 0 and off `for` later
// (or at the end), through FaultControl; an upstream fault puts a FaultProxy with its toxic in
// front of the node (every node of the upstream when none is named) for as long as it lasts.
// switchAllOff() -- called whatever ends the run, and by the destructor -- switches off every
// fault still on and cancels those not yet due. Two faults on the same thing that overlap are
// applied in order: the first to end switches that thing off. Lives on the run's controller
// thread; FaultControl may block (stopping a broker) and so does this thread meanwhile.
class FaultSchedule final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FaultSchedule)

public:
    FaultSchedule(QList<Fault> faults, QJsonArray faultsJson, FaultControl *control, QObject *parent = nullptr);
    ~FaultSchedule() override;

    void start(qint64 startNs);
    void switchAllOff();
    // The report's "faults": the fault's own members, "kind", "at_ms", "for_ms", "applied",
    // "error", and when it was switched "on_ms"/"off_ms" (ms after second 0).
    QJsonArray toJson() const;
    // Faults on now (for a sample of the series).
    QStringList activeKinds() const;

private:
    struct Entry;
    void switchOn(int index);
    void switchOff(int index);
    QString apply(Entry &entry, bool on);
    QString applyUpstream(Entry &entry, bool on);
    qint64 elapsedMs() const;

    QList<std::shared_ptr<Entry>> m_entries;
    QJsonArray m_json;
    FaultControl *m_control;
    qint64 m_startNs = 0;
    QList<QTimer *> m_timers;
};

} // namespace Gatehouse::Simulation
