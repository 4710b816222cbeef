#pragma once

#include <QObject>

namespace Gatehouse::Simulation {

// What a generator thread asks of an executor's share: start at the run's second 0 (plus the
// executor's start_time), stop at once when the run is stopped, and say when it is done.
class LoadScheduler : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoadScheduler)

public:
    using QObject::QObject;
    ~LoadScheduler() override = default;

    virtual void start() = 0;
    // The run ends now: nothing more starts, requests in flight end as interrupted.
    virtual void stop() = 0;

Q_SIGNALS:
    void finished();
};

} // namespace Gatehouse::Simulation
