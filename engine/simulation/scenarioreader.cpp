#include "scenarioreader.h"

#include "fieldreader.h"
#include "thresholds.h"

#include "config/collectioncatalog.h"
#include "config/jsonpointer.h"

#include <QRegularExpression>
#include <QSet>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation {

namespace {

using L = ScenarioLimits;
using ScenarioReader::Context;

// An http:// or https:// gateway base URL: scheme, host and port only (the engine's API paths follow).
std::optional<QString> readTarget(const FieldReader &f)
{
    const auto text = f.string(u"target"_s, false, 2048);
    if (!text)
        return std::nullopt;
    const QUrl url(*text, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty() || !url.userInfo().isEmpty()
        || url.hasQuery() || url.hasFragment() || (!url.path().isEmpty() && url.path() != u"/")) {
        f.error(u"target"_s, u"must be a gateway's base URL such as \"http://127.0.0.1:9080\" (http or https, no path)"_s);
        return std::nullopt;
    }
    QUrl base = url;
    base.setPath(QString());
    return base.toString();
}

std::optional<Subscriber> readSubscriber(const QJsonValue &json, const QString &pointer, const Context &context)
{
    if (!json.isObject()) {
        context.errors->append(pointer % u": must be an object"_s);
        return std::nullopt;
    }
    FieldReader f(json.toObject(), pointer, context.errors);
    const int before = f.errorCount();
    Subscriber s;
    const auto protocol = f.string(u"protocol"_s, true);
    if (protocol == u"websocket")
        s.protocol = Subscriber::WebSocket;
    else if (protocol == u"sse")
        s.protocol = Subscriber::Sse;
    else if (protocol == u"mqtt")
        s.protocol = Subscriber::Mqtt;
    else if (protocol)
        f.error(u"protocol"_s, u"must be one of: websocket, sse, mqtt"_s);
    if (s.protocol == Subscriber::Mqtt || !protocol)
        f.allowOnly({u"protocol"_s, u"connections"_s, u"collections"_s, u"topic"_s});
    else
        f.allowOnly({u"protocol"_s, u"connections"_s, u"collections"_s}, {u"topic"_s}, u"is for mqtt subscribers only"_s);
    s.connections = int(f.integer(u"connections"_s, 1, L::kMaxConnections).value_or(1));
    if (const auto collections = f.array(u"collections"_s, 1, 64)) {
        for (qsizetype i = 0; i < collections->size(); ++i) {
            const QString name = collections->at(i).toString();
            const QString at = JsonPointer::append(f.at(u"collections"_s), i);
            if (!Collection::isValidName(name))
                context.errors->append(at % u": must be a collection name"_s);
            else if (context.project && !context.project->collection(name))
                context.errors->append(at % u": no collection \""_s % name % u'"');
            s.collections.append(name);
        }
    }
    if (s.protocol == Subscriber::Mqtt) {
        s.topic = u"gatehouse/events/#"_s;
        if (const auto topic = f.string(u"topic"_s, false, 1024)) {
            // An MQTT filter: '#' only as the whole last level, '+' only as a whole level.
            static const QRegularExpression filter(u"^(?:(?:[^/#+\\x00]*|\\+)/)*(?:[^/#+\\x00]*|\\+|#)$"_s);
            if (topic->isEmpty() || !filter.match(*topic).hasMatch())
                f.error(u"topic"_s, u"must be an MQTT topic filter such as \"gatehouse/events/#\""_s);
            else if (f.has(u"collections"_s))
                f.error(u"topic"_s, u"cannot be combined with collections: give one or the other"_s);
            s.topic = *topic;
        }
    }
    if (f.errorCount() > before)
        return std::nullopt;
    return s;
}

// The tags of a threshold must name something this scenario does, or it could never hold.
void checkThresholdTags(const Threshold &t, const Scenario &scenario, const QString &at, QStringList *errors)
{
    const auto fail = [&](const QString &message) { errors->append(at % u": "_s % message); };
    const Workload *workload = nullptr;
    if (t.tags.contains(u"workload"_s)) {
        for (const Workload &w : scenario.workloads) {
            if (w.name == t.tags.value(u"workload"_s))
                workload = &w;
        }
        if (!workload)
            return fail(u"no workload named \""_s % t.tags.value(u"workload"_s) % u'"');
    }
    bool hasOp = false;
    bool hasMqttCommand = false;
    bool hasReadAfterWrite = false;
    for (const Workload &w : scenario.workloads) {
        for (const Operation &op : w.operations) {
            hasOp = hasOp || ((!workload || workload == &w) && op.name == t.tags.value(u"op"_s));
            hasMqttCommand = hasMqttCommand || op.kind == Operation::MqttCommand;
            hasReadAfterWrite = hasReadAfterWrite || op.kind == Operation::ReadAfterWrite;
        }
    }
    if (t.tags.contains(u"op"_s) && !hasOp)
        return fail(u"no operation named \""_s % t.tags.value(u"op"_s) % u'"' % (workload ? u" in workload \""_s % workload->name % u'"' : QString()));
    if (t.tags.contains(u"status"_s)) {
        bool ok = false;
        const int status = t.tags.value(u"status"_s).toInt(&ok);
        if (!ok || status < 100 || status > 599)
            return fail(u"status must be an HTTP status code (100-599)"_s);
    }
    if (t.metric == u"mqtt_command_duration" && !hasMqttCommand)
        return fail(u"no mqtt_command operation in the scenario measures mqtt_command_duration"_s);
    if (t.metric != u"consistency_lag")
        return;
    QSet<QString> sources;
    if (hasReadAfterWrite)
        sources.insert(u"get"_s);
    for (const Subscriber &s : scenario.subscribers)
        sources.insert(Subscriber::protocolName(s.protocol));
    const QString via = t.tags.value(u"via"_s);
    if (t.tags.contains(u"via"_s) && !QStringList{u"get"_s, u"websocket"_s, u"sse"_s, u"mqtt"_s}.contains(via))
        return fail(u"via must be one of: get, websocket, sse, mqtt"_s);
    if (t.tags.contains(u"via"_s) && !sources.contains(via)) {
        return fail(via == u"get" ? u"no read_after_write operation measures consistency_lag via get"_s
                                  : u"no "_s % via % u" subscriber measures consistency_lag via "_s % via);
    }
    if (sources.isEmpty())
        fail(u"nothing in the scenario measures consistency_lag (a read_after_write operation or a subscriber)"_s);
}

void readThresholds(const FieldReader &f, Scenario &scenario, bool checkTags)
{
    const auto thresholds = f.object(u"thresholds"_s);
    if (!thresholds)
        return;
    qsizetype total = 0;
    for (auto it = thresholds->constBegin(); it != thresholds->constEnd(); ++it) {
        const QString at = JsonPointer::append(f.at(u"thresholds"_s), it.key());
        Threshold key;
        QString error;
        if (!Thresholds::parseKey(it.key(), &key, &error)) {
            f.errors()->append(at % u": "_s % error);
            continue;
        }
        const QJsonArray expressions = it.value().toArray();
        if (!it.value().isArray() || expressions.isEmpty()) {
            f.errors()->append(at % u": must be a non-empty array of expressions such as \"p(99)<50\""_s);
            continue;
        }
        total += expressions.size();
        const qsizetype errorsBefore = f.errors()->size();
        if (checkTags)
            checkThresholdTags(key, scenario, at, f.errors());
        for (qsizetype i = 0; i < expressions.size(); ++i) {
            const QString itemAt = JsonPointer::append(at, i);
            Threshold threshold = key;
            if (!expressions.at(i).isString())
                f.errors()->append(itemAt % u": must be a string such as \"p(99)<50\" (k6's object form is not supported)"_s);
            else if (!Thresholds::parseExpression(expressions.at(i).toString(), &threshold, &error))
                f.errors()->append(itemAt % u": "_s % error);
            else if (f.errors()->size() == errorsBefore)
                scenario.thresholds.append(threshold);
        }
    }
    if (total > L::kMaxThresholds)
        f.error(u"thresholds"_s, QString::number(total) % u" threshold expressions; at most "_s % QString::number(L::kMaxThresholds));
}

} // namespace

std::optional<Scenario> Scenario::fromJson(const QJsonObject &json, QStringList *errors, const CollectionCatalog *collections)
{
    QStringList local;
    QStringList *sink = errors ? errors : &local;
    const qsizetype before = sink->size();
    FieldReader f(json, QString(), sink);
    f.allowOnly({u"name"_s, u"description"_s, u"seed"_s, u"duration"_s, u"target"_s, u"workloads"_s,
                 u"subscribers"_s, u"thresholds"_s, u"faults"_s, u"setup"_s, u"id_prefix"_s});

    Scenario scenario;
    scenario.document = json;
    static const QRegularExpression validName(u"^[A-Za-z0-9_.-]{1,64}$"_s);
    if (const auto name = f.string(u"name"_s)) {
        if (!validName.match(*name).hasMatch())
            f.error(u"name"_s, u"must be 1 to 64 letters, digits, '_', '.' or '-'"_s);
        scenario.name = *name;
    }
    scenario.description = f.string(u"description"_s, false, L::kMaxDescriptionLength).value_or(QString());
    scenario.seed = quint64(f.integer(u"seed"_s, 0, L::kMaxSeed).value_or(1));
    scenario.durationMs = f.duration(u"duration"_s, 1, L::kMaxDurationMs, true).value_or(0);
    scenario.target = readTarget(f).value_or(QString());
    static const QRegularExpression validPrefix(u"^[A-Za-z0-9._~-]{1,32}$"_s);
    if (const auto prefix = f.string(u"id_prefix"_s)) {
        if (!validPrefix.match(*prefix).hasMatch())
            f.error(u"id_prefix"_s, u"must be 1 to 32 letters, digits, '.', '_', '~' or '-'"_s);
        scenario.idPrefix = *prefix;
    }

    Context context;
    context.errors = sink;
    context.project = collections ? collections->snapshot() : nullptr;
    context.durationMs = scenario.durationMs;
    context.remoteTarget = f.has(u"target"_s);

    if (const auto workloads = f.array(u"workloads"_s, 1, L::kMaxWorkloads, true)) {
        QSet<QString> names;
        for (qsizetype i = 0; i < workloads->size(); ++i) {
            const QString at = JsonPointer::append(f.at(u"workloads"_s), i);
            if (const auto workload = ScenarioReader::readWorkload(workloads->at(i), at, context)) {
                if (names.contains(workload->name))
                    sink->append(at % u"/name: another workload is named \""_s % workload->name % u'"');
                names.insert(workload->name);
                scenario.workloads.append(*workload);
            }
        }
    }
    if (const auto subscribers = f.array(u"subscribers"_s, 0, L::kMaxSubscribers)) {
        int connections = 0;
        for (qsizetype i = 0; i < subscribers->size(); ++i) {
            const auto s = readSubscriber(subscribers->at(i), JsonPointer::append(f.at(u"subscribers"_s), i), context);
            if (s) {
                connections += s->connections;
                scenario.subscribers.append(*s);
            }
        }
        if (connections > L::kMaxConnections)
            f.error(u"subscribers"_s, QString::number(connections) % u" connections in all; at most "_s % QString::number(L::kMaxConnections));
    }
    // After workloads and subscribers, whose names a threshold's tags must match -- unless
    // they had errors of their own, which already say what to fix.
    readThresholds(f, scenario, sink->size() == before);
    if (const auto faults = f.array(u"faults"_s, 0, L::kMaxFaults)) {
        for (qsizetype i = 0; i < faults->size(); ++i) {
            if (const auto fault = ScenarioReader::readFault(faults->at(i), JsonPointer::append(f.at(u"faults"_s), i), context))
                scenario.faults.append(*fault);
        }
    }
    // The setup's resources are the admin API's to check, when a run starts; here only its shape.
    if (const auto setup = f.object(u"setup"_s)) {
        static const QStringList kinds{u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s, u"functions"_s};
        for (auto it = setup->begin(); it != setup->end(); ++it) {
            const QString at = JsonPointer::append(f.at(u"setup"_s), it.key());
            if (!kinds.contains(it.key()))
                sink->append(at % u": not a kind of resource a setup may create ("_s % kinds.join(u", "_s) % u')');
            else if (!it.value().isArray() || it.value().toArray().size() > 64)
                sink->append(at % u": must be an array of at most 64 resources"_s);
        }
        if (context.remoteTarget && !setup->isEmpty())
            sink->append(f.at(u"setup"_s) % u": resources can only be set up in this engine; leave out the target"_s);
        scenario.setup = *setup;
    }
    if (sink->size() > before)
        return std::nullopt;
    return scenario;
}

} // namespace Gatehouse::Simulation
