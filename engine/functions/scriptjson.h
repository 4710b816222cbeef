#pragma once

#include <QJSValue>
#include <QJsonValue>
#include <QString>

class QJSEngine;

namespace Gatehouse {

// Converts the JavaScript values that leave a script into JSON, bounded. Replaces
// QJSEngine::fromScriptValue<QJsonValue>, which recurses once per nesting level without a
// limit: a value 20,000 levels deep (or one that refers to itself) overflowed the stack of
// the thread converting it. Here the walk stops past FunctionLimits::kMaxDepth levels and past
// a byte budget (a value can be exponentially large within the depth limit when it shares
// sub-objects: `a = [a, a]` sixty times).
//
// The result is close to what JSON.stringify produces: own string-keyed members
// (QJSValueIterator, which also lists non-enumerable ones, e.g. an Error's message), members
// that are undefined or functions left out, such array elements as null, non-finite numbers as
// null, dates as ISO 8601 strings. Getters run during the walk, so it must run inside the
// watchdog's bracket; a getter that throws fails the conversion with its error.
//
// Lives on, and is used on, the thread of the QJSEngine it was made for.
class ScriptJson final
{
public:
    explicit ScriptJson(QJSEngine *engine);

    // Returns false with `error` when the value is too deep or too large, or when the walk
    // was interrupted or a getter threw. `*bytes` (about the size of the compact JSON) is
    // added to on success.
    bool convert(const QJSValue &value, qint64 maxBytes, QJsonValue *out, QString *error, qint64 *bytes = nullptr);
    // JSON into the engine. An object with a member named "__proto__" (a client's header, query
    // parameter or body may have one) goes through JSON.parse, which makes it a member as JSON
    // means it; a plain conversion would set the object's prototype instead.
    static QJSValue toScript(QJSEngine *engine, const QJsonValue &value);

private:
    struct Walk;
    bool walk(Walk &w, const QJSValue &value, int depth, QJsonValue *out);
    bool failed(Walk &w);
    static bool unpaired(Walk &w);

    QJSEngine *m_engine;
};

} // namespace Gatehouse
