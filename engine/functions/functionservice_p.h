#pragma once

// Internals shared by functionservice.cpp (definitions, versions, runners),
// functioninvocation.cpp (HTTP calls, intervals, dead letters) and functiondecide.cpp (custom
// commands, metrics).

#include "functiondefinition.h"
#include "functionservice.h"
#include "functionstats.h"
#include "functionworker.h"
#include "projections/projectionrunner.h"

#include <QMutex>

#include <map>

namespace Gatehouse {

class ConfigStore;
class EventStore;
class ReadStore;

// One deployed version; immutable once in FunctionService::Private::functions. The stats and
// the worker (HTTP calls, intervals, custom commands, replays) carry over to the next version.
struct FunctionEntry
{
    FunctionDefinition definition;
    std::shared_ptr<FunctionStats> stats = std::make_shared<FunctionStats>();
    std::unique_ptr<ProjectionRunner> runner;
    std::shared_ptr<FunctionWorker> worker;
};

struct FunctionService::Private
{
    ConfigStore *config = nullptr;
    EventStore *store = nullptr;
    ReadStore *readStore = nullptr;
    FunctionInstance::Runtime runtime;   // where worker processes come from
    mutable QMutex mutex;   // guards `functions` and `inlineDeciders`
    std::map<QString, std::shared_ptr<FunctionEntry>> functions;
    // Inline decide code of collections' custom commands, by "<collection>/<command>".
    std::map<QString, std::shared_ptr<FunctionEntry>> inlineDeciders;
    QMutex listenerMutex;
    // Held while the writes listeners are called, so one removed is never called afterwards.
    QMutex writesMutex;
    std::vector<std::pair<const void *, WritesListener>> writesListeners;   // guarded by writesMutex
    CollectionListener collectionListener;   // guarded by listenerMutex
    QSet<QString> collectionsWritten;        // told to collectionListener once; guarded by listenerMutex
    // The functions whose event triggers wrote each collection, remembered in the settings
    // (kWritesSetting + "<collection>/<function>") across restarts; guarded by listenerMutex.
    QHash<QString, QSet<QString>> writers;
    DeployListener deployListener;           // guarded by listenerMutex

    // Several engines on one database (setClustered): the functions this engine runs the
    // event triggers and intervals of. Guarded by `mutex`.
    bool clustered = false;
    QSet<QString> owned;
    bool runsTriggersOf(const QString &name) const;
    void announce(const QString &name, bool deployed);
    // Puts `def` in place of the running version (or starts it); a new function's checkpoint
    // is set to where its triggers start when `newCheckpoint` (the engine that deployed it).
    // install() and uninstall() one at a time: a deploy here and a reload of another engine's
    // deploy must not both start a runner for the same function (one would run unlisted).
    QMutex installMutex;
    std::shared_ptr<FunctionEntry> install(const FunctionDefinition &def, bool newCheckpoint, bool *created);
    std::shared_ptr<FunctionEntry> uninstall(const QString &name);
    void notifyWrites(const QString &function, const QHash<QString, QSet<QString>> &idsByCollection);

    void startRunner(FunctionEntry &entry);
    void startIntervals(const FunctionEntry &entry);
    void storeDeadLetter(const FunctionDefinition &definition, const RecordedEvent &event, const QString &error, int attempts);
    qint64 deadLetterCount(const QString &function) const;
    std::shared_ptr<FunctionEntry> entry(const QString &name) const;
    QJsonObject describe(const FunctionEntry &entry, bool withCode) const;
};

QString functionVersionId(const QString &name, qint64 version);

// Runs on the worker thread: the code, then its effects (events first, then documents), which
// `service` hears of (notifyWrites) as it hears of an event trigger's.
FunctionOutcome invokeOnWorker(FunctionService::Private *service, FunctionWorker &worker, const FunctionDefinition &def, const std::shared_ptr<FunctionStats> &stats,
                               EventStore *store, ReadStore *readStore, const QJsonValue &input, qint64 position,
                               const QString &causation, const QString &correlation, bool deterministicIds);

} // namespace Gatehouse
