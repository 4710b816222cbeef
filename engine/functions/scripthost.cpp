#include "scripthost.h"

#include <QElapsedTimer>
#include <QJSEngine>
#include <QJsonDocument>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace Gatehouse {

namespace {

// Builds ctx and console around the native bridge; the wrapper catches whatever handle throws
// (strings included) so the outcome always says what went wrong and where.
const char kPrelude[] = R"JS(
(function (bridge, env) {
    function fmt(x) { return typeof x === 'string' ? x : JSON.stringify(x); }
    function log() { bridge.log(Array.prototype.map.call(arguments, fmt).join(' ')); }
    var ctx = Object.freeze({
        upsert: function (c, i, d) { bridge.upsert(String(c), String(i), d); },
        remove: function (c, i) { bridge.remove(String(c), String(i)); },
        get: function (c, i) { var v = bridge.get(String(c), String(i)); return v === undefined ? null : v; },
        emit: function (t, s, d) { bridge.emitEvent(String(t), String(s), d === undefined ? null : d); },
        log: log,
        env: Object.freeze(env)
    });
    return {
        ctx: ctx,
        console: Object.freeze({ log: log, info: log, warn: log, error: log, debug: log }),
        invoke: function (handle, input) {
            try {
                return { ok: true, value: handle(input, ctx) };
            } catch (e) {
                return { ok: false, error: (e && e.name ? e.name + ': ' : '') + String(e && e.message !== undefined ? e.message : e),
                         line: (e && e.lineNumber) || 0 };
            }
        }
    };
})
)JS";

// Interrupts `engine` when `work` takes longer than `timeoutMs`; returns whether it did.
template <typename Work>
bool runWatched(QJSEngine *engine, int timeoutMs, Work &&work)
{
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    bool fired = false;
    std::thread watchdog([&] {
        std::unique_lock lock(mutex);
        if (!cv.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return done; })) {
            fired = true;
            engine->setInterrupted(true);
        }
    });
    work();
    {
        std::lock_guard lock(mutex);
        done = true;
    }
    cv.notify_all();
    watchdog.join();
    if (fired)
        engine->setInterrupted(false);
    return fired;
}

QJSValue toScript(QJSEngine &engine, const QJsonValue &value)
{
    return engine.toScriptValue(value.toVariant());
}

} // namespace

struct ScriptHost::Private
{
    QJSEngine engine;
    ScriptContext *bridge = nullptr;   // owned by the engine's object ownership (parented below)
    QJSValue runtime;                  // {ctx, console, invoke}
    QJSValue handle;
    int timeoutMs = 3000;
};

ScriptHost::ScriptHost() = default;
ScriptHost::~ScriptHost() = default;

bool ScriptHost::load(const FunctionDefinition &definition, QString *error, int *line)
{
    QElapsedTimer timer;
    timer.start();
    m_version = -1;
    d = std::make_unique<Private>();
    d->timeoutMs = definition.timeoutMs;
    d->bridge = new ScriptContext(&d->engine);
    QJSValue global = d->engine.globalObject();
    const QJSValue factory = d->engine.evaluate(QString::fromUtf8(kPrelude), QStringLiteral("gatehouse:prelude"));
    d->runtime = factory.call({d->engine.newQObject(d->bridge), toScript(d->engine, definition.env)});
    global.setProperty(QStringLiteral("console"), d->runtime.property(QStringLiteral("console")));

    QJSValue result;
    const bool timedOut = runWatched(&d->engine, definition.timeoutMs, [&] {
        result = d->engine.evaluate(definition.code, definition.name + QStringLiteral(".js"));
    });
    *line = 0;
    if (timedOut) {
        *error = QStringLiteral("the code did not finish loading within %1 ms").arg(definition.timeoutMs);
        return false;
    }
    if (result.isError()) {
        *line = result.property(QStringLiteral("lineNumber")).toInt();
        *error = result.property(QStringLiteral("name")).toString() + QStringLiteral(": ")
            + result.property(QStringLiteral("message")).toString();
        return false;
    }
    d->handle = global.property(QStringLiteral("handle"));
    if (!d->handle.isCallable()) {
        *error = QStringLiteral("the code must define function handle(input, ctx)");
        return false;
    }
    m_version = definition.version;
    m_initUs = timer.nsecsElapsed() / 1000;
    return true;
}

bool ScriptHost::check(const FunctionDefinition &definition, QString *error, int *line)
{
    ScriptHost host;
    return host.load(definition, error, line);
}

ScriptHost::Outcome ScriptHost::invoke(const QJsonValue &input, const DocumentReader &reader)
{
    Outcome out;
    if (!d || m_version < 0) {
        out.error = QStringLiteral("the function is not loaded");
        return out;
    }
    QElapsedTimer timer;
    timer.start();
    d->bridge->begin(reader);
    QJSValue result;
    const QJSValue invoke = d->runtime.property(QStringLiteral("invoke"));
    const QJSValue in = toScript(d->engine, input);
    out.timedOut = runWatched(&d->engine, d->timeoutMs, [&] { result = invoke.call({d->handle, in}); });
    out.effects = d->bridge->take();
    out.durationUs = timer.nsecsElapsed() / 1000;
    if (out.timedOut) {
        out.error = QStringLiteral("timed out after %1 ms").arg(d->timeoutMs);
        out.effects = {};
        return out;
    }
    if (result.isError() || !result.property(QStringLiteral("ok")).toBool()) {
        out.error = result.isError() ? result.toString() : result.property(QStringLiteral("error")).toString();
        out.line = result.property(QStringLiteral("line")).toInt();
        out.effects.writes.clear();
        out.effects.emits.clear();
        return out;
    }
    out.ok = true;
    const QJSValue value = result.property(QStringLiteral("value"));
    out.result = value.isUndefined() ? QJsonValue() : QJsonValue::fromVariant(value.toVariant());
    return out;
}

} // namespace Gatehouse
