#include "scripthost.h"

#include "config/strictjson.h"
#include "scriptcontext.h"
#include "scriptjson.h"
#include "scriptwatchdog.h"
#include "store/cloudevent.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJSEngine>
#include <QJsonDocument>
#include <QJsonObject>

namespace Gatehouse {

namespace {

// Builds ctx and console around the native bridge; the wrapper catches whatever the function
// throws (strings included) so the outcome always says what went wrong and where.
const char kPrelude[] = R"JS(
(function (bridge, env) {
    // The bridge's methods looked up once: each look-up makes a new method object.
    var bUpsert = bridge.upsert, bRemove = bridge.remove, bGet = bridge.get, bQuery = bridge.query,
        bEmit = bridge.emitEvent, bLog = bridge.log;
    function fmt(x) { return typeof x === 'string' ? x : JSON.stringify(x); }
    function log() { bLog(Array.prototype.map.call(arguments, fmt).join(' ')); }
    var ctx = Object.freeze({
        upsert: function (c, i, d) { bUpsert(String(c), String(i), d); },
        remove: function (c, i) { bRemove(String(c), String(i)); },
        get: function (c, i) { return bGet(String(c), String(i)); },
        query: function (c, f) { return bQuery(String(c), f === undefined ? null : f); },
        emit: function (t, s, d) { bEmit(String(t), String(s), d === undefined ? null : d); },
        log: log,
        env: Object.freeze(env)
    });
    function failure(e) {
        return { ok: false, error: (e && e.name ? e.name + ': ' : '') + String(e && e.message !== undefined ? e.message : e),
                 line: (e && e.lineNumber) || 0 };
    }
    return {
        ctx: ctx,
        console: Object.freeze({ log: log, info: log, warn: log, error: log, debug: log }),
        invoke: function (fn, input) {
            try { return { ok: true, value: fn(input, ctx) }; } catch (e) { return failure(e); }
        },
        invoke2: function (fn, a, b) {
            try { return { ok: true, value: fn(a, b, ctx) }; } catch (e) { return failure(e); }
        }
    };
})
)JS";

constexpr qsizetype kMaxTypeStrings = 256;

// The members of a CloudEvent that an event may or may not have (CloudEvent::toJson).
enum EventMember : int {
    HasCausation = 1,
    HasCorrelation = 2,
    DataIsBase64 = 4,
    HasDataSchema = 8,
    AllEventMembers = 16,
};

// A function that makes an event's CloudEvent from its fields: one object literal for each
// combination of the optional members, members in the order a QJsonObject keeps (by name),
// so the object is the same, Object.keys() included, as the one converted from
// CloudEvent::toJson -- and compiled once, without a key string made per event.
QString eventFactorySource()
{
    QString source = QStringLiteral(
        "(function (mask, causationid, correlationid, data, dataschema, id, position, source, stream, "
        "streamversion, subject, time, type) {\n    switch (mask) {\n");
    for (int mask = 0; mask < AllEventMembers; ++mask) {
        QStringList members;
        if (mask & HasCausation)
            members << QStringLiteral("causationid: causationid");
        if (mask & HasCorrelation)
            members << QStringLiteral("correlationid: correlationid");
        if (mask & DataIsBase64)
            members << QStringLiteral("data_base64: data") << QStringLiteral("datacontenttype: 'application/octet-stream'");
        else
            members << QStringLiteral("data: data") << QStringLiteral("datacontenttype: 'application/json'");
        if (mask & HasDataSchema)
            members << QStringLiteral("dataschema: dataschema");
        members << QStringLiteral("id: id") << QStringLiteral("position: position") << QStringLiteral("source: source")
                << QStringLiteral("specversion: '1.0'") << QStringLiteral("stream: stream")
                << QStringLiteral("streamversion: streamversion") << QStringLiteral("subject: subject")
                << QStringLiteral("time: time") << QStringLiteral("type: type");
        source += QStringLiteral("    case %1: return { %2 };\n").arg(mask).arg(members.join(QStringLiteral(", ")));
    }
    source += QStringLiteral("    }\n})");
    return source;
}

} // namespace

struct ScriptHost::Private
{
    QJSEngine engine;
    ScriptJson json{&engine};
    ScriptWatchdog::Slot watchdog{&engine};
    ScriptContext *bridge = nullptr;   // owned by the engine's object ownership (parented below)
    QJSValue invoke;                   // prelude's invoke(fn, input)
    QJSValue invoke2;                  // prelude's invoke2(fn, a, b)
    QJSValue makeEvent;                // eventFactorySource()
    QJSValue identity;                 // function (x) { return x; }
    // An event type's "type" and "source" as strings of the script engine, made once: a
    // QJSValue made from a QString becomes a new string of the engine at every call.
    struct TypeStrings
    {
        QJSValue type;
        QJSValue source;
    };
    QHash<QString, TypeStrings> typeStrings;
    QJSValue handle;
    QJSValue decide;
    int timeoutMs = 3000;
    qint64 memoryLimitKb = 0;
};

ScriptHost::ScriptHost() = default;
ScriptHost::~ScriptHost() = default;

bool ScriptHost::hasDecide() const
{
    return d && d->decide.isCallable();
}

bool ScriptHost::hasHandle() const
{
    return d && d->handle.isCallable();
}

bool ScriptHost::load(const FunctionDefinition &definition, QString *error, int *line, const std::function<void()> &beforeCode)
{
    QElapsedTimer timer;
    timer.start();
    m_version = -1;
    d = std::make_unique<Private>();
    d->timeoutMs = definition.timeoutMs;
    d->memoryLimitKb = qint64(definition.memoryLimitMb) * 1024;
    d->bridge = new ScriptContext(&d->json, &d->engine);
    QJSValue global = d->engine.globalObject();
    const QJSValue factory = d->engine.evaluate(QString::fromUtf8(kPrelude), QStringLiteral("gatehouse:prelude"));
    const QJSValue runtime = factory.call({d->engine.newQObject(d->bridge), d->engine.toScriptValue(definition.env)});
    d->invoke = runtime.property(QStringLiteral("invoke"));
    d->invoke2 = runtime.property(QStringLiteral("invoke2"));
    d->makeEvent = d->engine.evaluate(eventFactorySource(), QStringLiteral("gatehouse:event"));
    d->identity = d->engine.evaluate(QStringLiteral("(function (x) { return x; })"));
    global.setProperty(QStringLiteral("console"), runtime.property(QStringLiteral("console")));
    if (beforeCode)
        beforeCode();

    d->watchdog.begin(definition.timeoutMs, d->memoryLimitKb);
    const QJSValue result = d->engine.evaluate(definition.code, definition.name + QStringLiteral(".js"));
    const ScriptWatchdog::Reason stopped = d->watchdog.end();
    *line = 0;
    if (stopped == ScriptWatchdog::Reason::Timeout) {
        *error = QStringLiteral("the code did not finish loading within %1 ms").arg(definition.timeoutMs);
        return false;
    }
    if (stopped == ScriptWatchdog::Reason::Memory) {
        *error = QStringLiteral("the code exceeded the memory ceiling of %1 MB while loading").arg(definition.memoryLimitMb);
        return false;
    }
    if (result.isError()) {
        *line = result.property(QStringLiteral("lineNumber")).toInt();
        *error = result.property(QStringLiteral("name")).toString() + QStringLiteral(": ")
            + result.property(QStringLiteral("message")).toString();
        return false;
    }
    d->handle = global.property(QStringLiteral("handle"));
    d->decide = global.property(QStringLiteral("decide"));
    if (!d->handle.isCallable() && !d->decide.isCallable()) {
        *error = QStringLiteral("the code must define function handle(input, ctx) (or decide(state, command) for a custom command)");
        return false;
    }
    m_version = definition.version;
    m_initUs = timer.nsecsElapsed() / 1000;
    return true;
}

ScriptHost::Outcome ScriptHost::invoke(const QJsonValue &input, const DocumentAccess &access)
{
    if (d && !d->handle.isCallable()) {
        Outcome out;
        out.error = QStringLiteral("the code defines no function handle(input, ctx)");
        return out;
    }
    return call([this, &input](QString *) {
        return QJSValueList{d->handle, ScriptJson::toScript(&d->engine, input)};
    }, access);
}

ScriptHost::Outcome ScriptHost::invokeEvents(const RecordedEvents &events, bool batched, const DocumentAccess &access)
{
    if (d && !d->handle.isCallable()) {
        Outcome out;
        out.error = QStringLiteral("the code defines no function handle(input, ctx)");
        return out;
    }
    return call([this, &events, batched](QString *error) {
        // An event that could not be made (the engine was interrupted meanwhile: the watchdog
        // then reports the timeout) fails the call instead of reaching handle().
        const auto made = [&](const RecordedEvent &event, QJSValue *out) {
            *out = eventValue(event);
            if (!out->isError() && !d->engine.isInterrupted())
                return true;
            *error = QStringLiteral("the event at position %1 could not be made: %2").arg(event.position).arg(out->toString());
            return false;
        };
        QJSValue input;
        if (!batched && events.size() == 1) {
            if (!made(events.first(), &input))
                return QJSValueList();
            return QJSValueList{d->handle, input};
        }
        QJSValue list = d->engine.newArray(quint32(events.size()));
        for (qsizetype i = 0; i < events.size(); ++i) {
            if (!made(events.at(i), &input))
                return QJSValueList();
            list.setProperty(quint32(i), input);
        }
        return QJSValueList{d->handle, list};
    }, access);
}

QJSValue ScriptHost::eventValue(const RecordedEvent &event)
{
    int mask = 0;
    QJSValue causation;
    QJSValue correlation;
    QJSValue dataschema;
    if (!event.metadata.isEmpty()) {
        // As CloudEvent::toJson takes them: non-empty strings of the stored metadata.
        const QJsonObject meta = QJsonDocument::fromJson(event.metadata).object();
        const auto member = [&meta, &mask](QLatin1StringView key, int bit, QJSValue *out) {
            const QJsonValue v = meta.value(key);
            if (v.isString() && !v.toString().isEmpty()) {
                *out = QJSValue(v.toString());
                mask |= bit;
            }
        };
        member(QLatin1StringView("causationid"), HasCausation, &causation);
        member(QLatin1StringView("correlationid"), HasCorrelation, &correlation);
        member(QLatin1StringView("dataschema"), HasDataSchema, &dataschema);
    }
    QJSValue data;
    if (const std::optional<QJsonValue> parsed = StrictJson::parse(event.data)) {
        data = ScriptJson::toScript(&d->engine, *parsed);
    } else {
        data = QJSValue(QString::fromLatin1(event.data.toBase64()));
        mask |= DataIsBase64;
    }
    auto strings = d->typeStrings.constFind(event.type);
    if (strings == d->typeStrings.cend()) {
        const QString source = QStringLiteral("/gatehouse/") + CloudEvent::collectionOf(event.type);
        const Private::TypeStrings made{d->identity.call({event.type}), d->identity.call({source})};
        if (!made.type.isString() || !made.source.isString())   // interrupted: kept for no other event
            return made.type.isString() ? made.source : made.type;
        if (d->typeStrings.size() >= kMaxTypeStrings)
            d->typeStrings.clear();
        strings = d->typeStrings.insert(event.type, made);
    }
    QByteArray time;
    time.reserve(24);
    CloudEvent::appendTime(time, event.timeMs);
    return d->makeEvent.call({mask, causation, correlation, data, dataschema, event.id, double(event.position), strings->source,
                              event.stream, double(event.version), CloudEvent::subjectOf(event), QString::fromLatin1(time),
                              strings->type});
}

ScriptHost::Outcome ScriptHost::decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access)
{
    if (d && !d->decide.isCallable()) {
        Outcome out;
        out.error = QStringLiteral("the code defines no function decide(state, command)");
        return out;
    }
    return call([this, &state, &command](QString *) {
        return QJSValueList{d->decide, ScriptJson::toScript(&d->engine, state), ScriptJson::toScript(&d->engine, command)};
    }, access);
}

ScriptHost::Outcome ScriptHost::call(const std::function<QJSValueList(QString *error)> &arguments, const DocumentAccess &access)
{
    Outcome out;
    if (!d || m_version < 0) {
        out.error = QStringLiteral("the function is not loaded");
        return out;
    }
    QElapsedTimer timer;
    timer.start();
    d->bridge->begin(access);
    QJSValue result;
    d->watchdog.begin(d->timeoutMs, d->memoryLimitKb);
    QString inputError;
    const QJSValueList args = arguments(&inputError);   // the function, then its input (or state and command)
    if (inputError.isEmpty())
        result = (args.size() == 3 ? d->invoke2 : d->invoke).call(args);
    // The result is converted inside the watchdog's bracket: its getters are the function's code.
    const bool threw = !inputError.isEmpty() || result.isError() || !result.property(QStringLiteral("ok")).toBool();
    QJsonValue value;
    bool converted = true;
    if (!threw && !d->engine.isInterrupted())
        converted = d->bridge->convertResult(result.property(QStringLiteral("value")), &value);
    const ScriptWatchdog::Reason stopped = d->watchdog.end();
    out.effects = d->bridge->take();
    out.durationUs = timer.nsecsElapsed() / 1000;
    if (stopped != ScriptWatchdog::Reason::None) {
        out.timedOut = stopped == ScriptWatchdog::Reason::Timeout;
        out.outOfMemory = stopped == ScriptWatchdog::Reason::Memory;
        out.error = out.timedOut ? QStringLiteral("timed out after %1 ms").arg(d->timeoutMs)
                                 : QStringLiteral("exceeded the memory ceiling of %1 MB").arg(d->memoryLimitKb / 1024);
        out.effects.writes.clear();
        out.effects.emits.clear();
        return out;
    }
    // A broken limit fails the call even when the code caught the exception it threw.
    const QString fault = d->bridge->fault();
    if (threw || !converted || !fault.isEmpty()) {
        if (!inputError.isEmpty())
            out.error = inputError;
        else if (!fault.isEmpty())
            out.error = fault;
        else
            out.error = result.isError() ? result.toString() : result.property(QStringLiteral("error")).toString();
        out.line = threw ? result.property(QStringLiteral("line")).toInt() : 0;
        out.effects.writes.clear();
        out.effects.emits.clear();
        return out;
    }
    out.ok = true;
    out.result = value;
    return out;
}

} // namespace Gatehouse
