#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>

namespace Gatehouse {
class CollectionCatalog;
}

namespace Gatehouse::Simulation {

// A simulation scenario: what load to send, for how long, what faults to inject on the way
// and which thresholds decide whether the run passed. Read from its JSON form (stored in
// config.db like routes, kind "scenarios"; README, "Simulation", documents every member).
// Durations in the JSON are k6's strings ("500ms", "30s", "1m30s") or numbers of seconds;
// here they are milliseconds.

// What a scenario may ask for, checked by Scenario::fromJson (README, "Simulation", lists them).
struct ScenarioLimits
{
    static constexpr qint64 kMaxDurationMs = 24LL * 3600 * 1000;   // scenario and every duration
    static constexpr qint64 kMaxSeed = (qint64(1) << 53) - 1;      // exact in a JSON number
    static constexpr int kMaxNameLength = 64;
    static constexpr int kMaxDescriptionLength = 4096;
    static constexpr int kMaxWorkloads = 16;
    static constexpr int kMaxOperations = 32;                      // per workload
    static constexpr int kMaxStages = 64;                          // per workload
    static constexpr int kMaxVus = 2000;                           // per workload
    static constexpr double kMaxRatePerSecond = 100000;            // per workload
    static constexpr qint64 kMaxGracefulStopMs = 5 * 60 * 1000;
    static constexpr int kMaxHeaders = 32;                         // per operation
    static constexpr int kMaxQueryParameters = 32;                 // per list operation
    static constexpr int kMaxPages = 100;                          // list with follow_cursor
    static constexpr int kMaxPathLength = 2048;                    // request
    static constexpr int kMaxSubscribers = 16;
    static constexpr int kMaxConnections = 1000;                   // all subscribers together
    static constexpr int kMaxThresholds = 64;                      // expressions, all keys together
    static constexpr int kMaxFaults = 32;
    static constexpr qint64 kMaxFunctionLatencyMs = 60 * 1000;
    static constexpr qint64 kMaxMsPerBatch = 60 * 1000;
    static constexpr qint64 kMaxCommitDelayMs = 10 * 1000;
    static constexpr qint64 kMaxToxicLatencyMs = 60 * 1000;        // toxic latency and jitter
    static constexpr qint64 kMaxToxicTimeoutMs = 3600 * 1000;      // toxic timeout and delay
    static constexpr qint64 kMaxBandwidthKBps = 1000 * 1000;
};

// One step of a ramping executor: move linearly to `target` (iterations per time unit, or
// VUs) over `durationMs`.
struct Stage
{
    double target = 0;
    qint64 durationMs = 0;
};

// How iterations are started, as k6 names its executors. The arrival-rate executors are an
// open model: an iteration is due at its intended time whether or not the previous ones have
// finished; one that finds no free VU is dropped (counted, not queued), and latency is measured
// from the intended start, so a slow target cannot hide its slowness (no coordinated omission).
struct Executor
{
    enum Kind { ConstantArrivalRate, RampingArrivalRate, ConstantVus, RampingVus };
    Kind kind = ConstantArrivalRate;
    double rate = 0;              // constant-arrival-rate: iterations per timeUnitMs
    double startRate = 0;         // ramping-arrival-rate: the rate before the first stage
    qint64 timeUnitMs = 1000;     // arrival-rate executors
    int vus = 1;                  // constant-vus (default 1); ramping-vus: start_vus (default 1)
    // Arrival-rate executors: VUs (connections) opened up front. Default: enough for the peak
    // rate at 100 ms per iteration (ceil(peak per second / 10), at least 1), within max_vus.
    int preAllocatedVus = 0;
    // The most VUs ever used (>= preAllocatedVus); default preAllocatedVus, as in k6. The VU
    // executors get their peak here too (vus, or the largest of start_vus and the stage targets).
    int maxVus = 0;
    QList<Stage> stages;          // ramping-*
    qint64 startTimeMs = 0;       // offset from the run's start
    qint64 durationMs = 0;        // constant-*: given, or until the scenario ends; ramping-*: sum of stages
    qint64 gracefulStopMs = 2000; // iterations in flight at the end may finish within this

    static QString kindName(Kind kind);   // "constant-arrival-rate", ...
};

// One kind of iteration in a workload's weighted mix.
struct Operation
{
    enum Kind {
        Create,          // POST /api/{collection} with a document generated from its schema
        Update,          // PUT  /api/{collection}/{id} of an id created earlier in the run
        Delete,          // DELETE /api/{collection}/{id} of an id created earlier in the run
        Command,         // POST /api/{collection}/{id}/{command}: a custom command, `data` as body
        Get,             // GET /api/{collection}/{id} of an id created earlier in the run
        List,            // GET /api/{collection}?{query}, following `next` cursors when asked
        ReadAfterWrite,  // POST a document, then GET it without and with X-Min-Position
        Request,         // any route: method, path template ({id}, {seq}, {random}), headers, body
        MqttCommand,     // publish a create command over MQTT 5 with a response topic; wait for the reply
    };
    Kind kind = Get;
    QString name;                 // the `op` tag of its metrics; default: the kind's name
    double weight = 1;
    QString collection;
    QString command;              // Command
    QJsonValue data;              // Command: the body (may be absent: generated from `schema`)
    QJsonObject schema;           // overrides the collection's schema for generated documents
    QMap<QString, QString> query; // List: filter/sort/limit parameters as given
    bool followCursor = false;    // List: also fetch the next page when there is one
    int maxPages = 1;             // List with followCursor
    QByteArray method;            // Request
    QString path;                 // Request
    QList<std::pair<QByteArray, QByteArray>> headers;  // Request (and added to every kind)
    QJsonValue body;              // Request

    static QString kindName(Kind kind);   // "create", "update", ..., "read_after_write", "mqtt_command"
};

struct Workload
{
    QString name;
    Executor executor;
    QList<Operation> operations;   // at least one; chosen per iteration by weight (seeded)
};

// Long-lived connections that watch the engine's output: every event they receive that a
// command of this run produced gives one consistency-lag sample (202 received -> event seen).
struct Subscriber
{
    enum Protocol { WebSocket, Sse, Mqtt };
    Protocol protocol = WebSocket;
    int connections = 1;
    QStringList collections;       // WebSocket/SSE: filter (empty: all); MQTT: topics under gatehouse/events/
    QString topic;                 // MQTT: the subscription filter (default gatehouse/events/#)

    static QString protocolName(Protocol protocol);   // "websocket", "sse", "mqtt"
};

// One threshold, as k6 writes them: `"http_req_duration{op:create}": ["p(99)<50"]` is one
// Threshold per expression. Metrics: http_req_duration (ms), http_reqs (count, rate),
// errors (rate: failed requests / requests), dropped_iterations (count, rate), iterations,
// consistency_lag (ms; tag `via`: get, websocket, sse, mqtt), mqtt_command_duration (ms).
// Tags: op, workload, status, via. Statistics: avg, min, med, max, p(N), count, rate.
struct Threshold
{
    enum Statistic { Avg, Min, Med, Max, Percentile, Count, Rate };
    enum Comparison { Less, LessOrEqual, Greater, GreaterOrEqual, Equal, NotEqual };
    QString key;                   // the whole key as written: "http_req_duration{op:create}"
    QString metric;                // "http_req_duration"
    QMap<QString, QString> tags;   // {"op": "create"}
    QString expression;            // as written: "p(99)<50"
    Statistic statistic = Avg;
    double percentile = 0;         // Percentile: 0..100
    Comparison comparison = Less;
    double bound = 0;
};

// A fault switched on at `atMs` after the run starts and off again `forMs` later (0: until the
// run ends). The run always switches every fault off when it ends, however it ends.
struct Fault
{
    enum Kind {
        Function,      // a function's error rate and added latency
        Projection,    // a projection paused, or slowed by msPerBatch
        Broker,        // the managed MQTT broker stopped, started again when the fault ends
        CommitDelay,   // an extra delay before each event-store commit
        Upstream,      // a fault proxy with one toxic in front of one node of an http upstream
    };
    Kind kind = Function;
    qint64 atMs = 0;
    qint64 forMs = 0;
    QString function;              // Function
    double errorRate = 0;          // Function: 0..1
    qint64 latencyMs = 0;          // Function: added before each invocation; CommitDelay: the delay
    QString projection;            // Projection: "products" (the upsert projection) or a function's name
    bool paused = false;           // Projection
    qint64 msPerBatch = 0;         // Projection
    QString upstream;              // Upstream: the upstream resource's id
    QString node;                  // Upstream: "host:port" of the node (empty: every node)
    QString toxic;                 // Upstream: latency, bandwidth, timeout, reset_peer, slow_close, down
    QJsonObject toxicAttributes;   // Upstream: Toxiproxy's attributes (latency, jitter, rate, timeout, delay)

    static QString kindName(Kind kind);   // "function", "projection", "broker", "commit_delay", "upstream"
};

struct Scenario
{
    QString name;
    QString description;
    quint64 seed = 1;
    qint64 durationMs = 0;
    // Ids the run creates are this prefix and 20 seeded hex digits. Empty: "sim-<run>-", where
    // <run> is the start of the run's id, so a scenario can run again against the same data
    // without finding its ids taken; give one to get the very same ids from the same seed.
    QString idPrefix;
    QString target;                // empty: this engine; else a gateway base URL "http://host:port"
    QList<Workload> workloads;
    QList<Subscriber> subscribers;
    QList<Threshold> thresholds;
    QList<Fault> faults;
    // Resources the run needs in the engine it targets, created (or replaced) when the run
    // starts and put back as they were when it ends: {"routes": [...], "upstreams": [...],
    // "consumers": [...], "global_rules": [...], "functions": [...]}, each item as the admin API
    // takes it, with its "id" (functions: "name"). Checked against the engine when the run
    // starts. Only for runs against this engine.
    QJsonObject setup;
    QJsonObject document;          // the JSON it was read from

    // Reads and checks a scenario. Every problem is appended to `errors` as
    // "<JSON Pointer>: <message>" (all of them, not only the first); nullopt when there is
    // any. `collections` (may be null) checks that named collections exist and have what the
    // operations need (a custom command by that name, ...).
    static std::optional<Scenario> fromJson(const QJsonObject &json, QStringList *errors,
                                            const CollectionCatalog *collections = nullptr);
};

// "${gateway}" in any string (and member name) of a scenario document is the host:port of the
// gateway a run targets, so a scenario can point an http upstream (or a fault) at the engine
// wherever it listens. Stored scenarios keep the placeholder; a run substitutes it.
QJsonObject withGateway(const QJsonObject &document, const QString &hostPort);

// k6 duration strings: "250ms", "30s", "1m30s", "2h"; numbers are seconds. nullopt when malformed.
std::optional<qint64> parseDurationMs(const QJsonValue &value);

} // namespace Gatehouse::Simulation
