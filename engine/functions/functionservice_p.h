#pragma once

// Internals shared by functionservice.cpp (definitions, versions, runners) and
// functioninvocation.cpp (HTTP calls, dead letters).

#include "functiondefinition.h"
#include "functionservice.h"
#include "functionstats.h"
#include "projections/projectionrunner.h"
#include "scripthost.h"

#include <QMutex>
#include <QThread>

#include <functional>
#include <map>

namespace Gatehouse {

class ConfigStore;
class EventStore;
class ReadStore;

// One thread per function for HTTP calls and dead-letter replays, holding its own ScriptHost
// (warm between calls, reloaded when the version changes).
class FunctionWorker final
{
public:
    FunctionWorker();
    ~FunctionWorker();   // finishes queued calls, then destroys the host on its own thread
    void post(std::function<void(FunctionWorker &)> work);
    std::unique_ptr<ScriptHost> host;   // touched on the worker thread only

private:
    QThread m_thread;
    QObject *m_context;
};

// One deployed version; immutable once in FunctionService::Private::functions.
struct FunctionEntry
{
    FunctionDefinition definition;
    std::shared_ptr<FunctionStats> stats = std::make_shared<FunctionStats>();
    std::unique_ptr<ProjectionRunner> runner;
    std::shared_ptr<FunctionWorker> worker = std::make_shared<FunctionWorker>();
};

struct FunctionService::Private
{
    ConfigStore *config = nullptr;
    EventStore *store = nullptr;
    ReadStore *readStore = nullptr;
    mutable QMutex mutex;   // guards `functions`
    std::map<QString, std::shared_ptr<FunctionEntry>> functions;

    void startRunner(FunctionEntry &entry);
    void storeDeadLetter(const FunctionDefinition &definition, const RecordedEvent &event, const QString &error, int attempts);
    qint64 deadLetterCount(const QString &function) const;
    std::shared_ptr<FunctionEntry> entry(const QString &name) const;
    QJsonObject describe(const FunctionEntry &entry, bool withCode) const;
    // Loads the worker's host for `definition` when needed; false with the error.
    static bool ensureHost(FunctionWorker &worker, const FunctionDefinition &definition, FunctionStats &stats, QString *error);
};

QString functionVersionId(const QString &name, qint64 version);

} // namespace Gatehouse
