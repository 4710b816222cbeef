#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "commands/commanddecider.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace Gatehouse {

class ConfigStore;
class EventStore;
class MetricsRegistry;
class ProjectionRunner;
class ReadStore;
struct RouteUpstream;

// Serverless JavaScript functions: their definitions and versions (config.db, resource kinds
// "functions" and "function_versions"), their dead letters (kind "dead_letters"), one
// ProjectionRunner per function with event triggers, and one worker thread per function for
// HTTP calls (gateway upstream type "function"); each function instance runs in a worker
// process of its own unless its definition says "isolation": "thread". Collections a function writes live in the read
// store; the query API serves those that the project declares (GET /api/{collection}/{id}).
//
// Every public function may be called from any thread; the admin API calls them on the network
// thread. deploy(), rollback() and remove() wait for the function's current batch to finish.
//
// It also runs the collections' custom commands (CommandDecider) on the named function's worker,
// and reports per-function stats to the admin API and, through registerMetrics(), to /metrics.
class FunctionService final : public CommandDecider
{
public:
    struct Result
    {
        int status = 200;
        QJsonObject body;
        QString detail;       // for errors
        QStringList errors;
    };

    // `workerExecutable` runs the functions with process isolation (`<it> function-worker`);
    // empty: the running executable (QCoreApplication::applicationFilePath()).
    FunctionService(ConfigStore *config, EventStore *store, ReadStore *readStore, const QString &workerExecutable = {});
    ~FunctionService() override;
    FunctionService(const FunctionService &) = delete;
    FunctionService &operator=(const FunctionService &) = delete;

    // Told from the function runners' threads, after each commit, which documents event-
    // triggered functions wrote (the consoles' live read-model views). Thread-safe; `owner`
    // names the listener for removeWritesListener(), after which it is not called again.
    using WritesListener = std::function<void(const QString &collection, const QStringList &ids)>;
    void addWritesListener(const void *owner, WritesListener listener);
    void removeWritesListener(const void *owner);
    // Told once per collection (per run of the engine), from a runner's thread after the commit
    // that first wrote it, which collections functions write: the engine serves them.
    using CollectionListener = std::function<void(const QString &collection)>;
    void setCollectionListener(CollectionListener listener);

    // Told after a function was deployed (true) or removed (false), here or -- through
    // reloadFromStore() -- by another engine on the same database. Thread-safe to set.
    using DeployListener = std::function<void(const QString &name, bool deployed)>;
    void setDeployListener(DeployListener listener);

    // Several engines on one database: each function's event triggers and intervals run on one
    // engine only, the one that owns it (setOwned); the others keep their runners in standby.
    // HTTP calls and custom commands run on every engine. Call before start().
    void setClustered(bool clustered);
    void setOwned(const QString &name, bool owned);
    QStringList names() const;
    // Another engine deployed, rolled back or removed functions: applies what is stored
    // (config version moved). Returns how many functions changed here.
    int reloadFromStore();

    // The checkpoint (projection) name of a function's event triggers.
    static QString checkpointName(const QString &function);

    bool start(QString *error);   // loads the deployed functions and starts their runners
    void stop();                  // stops runners and workers (before the event store closes)

    QJsonArray list() const;
    std::optional<QJsonObject> get(const QString &name) const;
    Result deploy(const QString &name, const QJsonObject &body);
    Result versions(const QString &name) const;
    Result rollback(const QString &name, qint64 version);
    Result remove(const QString &name);
    // A dry run: the function (its deployed code, or `code` from the body to try an edit before
    // deploying it) in an instance of its own, on one event -- {"position": N} from the log or
    // {"event": {CloudEvent}} -- reading the read store as it is and writing nothing: what it
    // would write, emit and log, its result or its error with the line, and how long it took.
    // No stats, no dead letter, no retry.
    Result testRun(const QString &name, const QJsonObject &body) const;
    QList<ProjectionRunner *> runners() const;
    // Read-your-writes for what functions write (X-Min-Position): `done` once every function
    // whose event triggers have written `collection` (here or in an earlier run) and run on
    // this engine has applied `position` -- at once when none is behind -- or with false when
    // one has not within `timeoutMs`. Any thread; `done` may run on a runner's thread.
    void whenWritersReached(const QString &collection, qint64 position, int timeoutMs, std::function<void(bool reached)> done) const;

    // A simulation's fault (FunctionFault): each invocation of `name` waits `latencyMs`, then
    // fails with probability `errorRate` (0..1) as if it had thrown. In memory only; 0 and 0
    // switch it off. False when no function `name` is deployed.
    bool setFault(const QString &name, double errorRate, qint64 latencyMs);

    qint64 queueDepth() const;        // events and calls handed to the functions, not finished (sum)
    qint64 deadLetterCount() const;   // dead letters stored, of every function

    QJsonArray deadLetters() const;
    std::optional<QJsonObject> deadLetter(const QString &id) const;
    Result replayDeadLetter(const QString &id);
    Result removeDeadLetter(const QString &id);

    // The gateway's "function" upstream: {method, path, params, query, headers, body} in,
    // {status, headers, body} out (any other return value is a 200 JSON body).
    void handleHttp(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond);

    void decide(const QString &collection, const QString &command, const QJsonObject &spec, const QJsonValue &state,
                const QJsonObject &input, Callback done) override;
    // Loads a collection's inline decide code as decide() would run it: false with the reason
    // ("line N: SyntaxError: ...") when it cannot run.
    bool checkInlineDecide(const QString &collection, const QString &command, const QJsonObject &spec, QString *error) const;

    // Describes the gatehouse_function_* families and adds their collector (call once).
    void registerMetrics(MetricsRegistry *metrics);

    struct Private;

private:
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
