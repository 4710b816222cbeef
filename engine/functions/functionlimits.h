#pragma once

#include "config/strictjson.h"

#include <QtGlobal>

namespace Gatehouse {

// What one invocation of a function may hand back to the engine. Every JavaScript value that
// leaves a script (handle()'s and decide()'s result, ctx.upsert documents, ctx.emit data,
// ctx.query filters) is converted by ScriptJson under these bounds; past any of them the
// invocation fails with an error naming the limit (an HTTP call answers a problem, an event
// is retried and ends as a dead letter). README "Limits and hardening" lists them.
struct FunctionLimits
{
    // Nesting of one value: objects and arrays inside each other (StrictJson::kMaxDepth, the
    // limit of every JSON the engine takes in). A cyclic value fails here too.
    static constexpr int kMaxDepth = StrictJson::kMaxDepth;
    // One value as compact JSON (about): a result, a document, an event's data, a filter.
    static constexpr qint64 kMaxValueBytes = 4 * 1024 * 1024;
    // Everything one invocation produces together (result, documents, events, logs).
    static constexpr qint64 kMaxOutputBytes = 16 * 1024 * 1024;
    static constexpr int kMaxWrites = 10000;    // ctx.upsert + ctx.remove calls
    static constexpr int kMaxEmits = 1000;      // ctx.emit calls
    static constexpr int kMaxLogLines = 100;    // more lines are dropped (not an error)
    static constexpr int kMaxLogLineChars = 4096;   // longer lines are cut (not an error)

    // HTTP answers of functions (FunctionHttp).
    static constexpr int kMaxResponseHeaders = 64;
    static constexpr int kMaxResponseHeaderBytes = 16 * 1024;   // names and values together
};

} // namespace Gatehouse
