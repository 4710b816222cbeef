#include "scriptjson.h"

#include "functionlimits.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJSEngine>
#include <QJsonArray>
#include <QJsonObject>
#include <QJSValueIterator>

#include <algorithm>
#include <cmath>

namespace Gatehouse {

namespace {
// What an object or array counts against the budget: more than its two brackets, because in
// memory (QJsonObject, QJsonArray) each costs far more than its text; a value of many tiny
// containers must not take hundreds of megabytes to convert.
constexpr qint64 kContainerBytes = 16;
} // namespace

struct ScriptJson::Walk
{
    qint64 budget = 0;   // bytes left
    qint64 used = 0;
    QString error;
};

ScriptJson::ScriptJson(QJSEngine *engine)
    : m_engine(engine)
{
}

bool ScriptJson::convert(const QJSValue &value, qint64 maxBytes, QJsonValue *out, QString *error, qint64 *bytes)
{
    Walk w;
    w.budget = maxBytes;
    QJsonValue result;
    if (!walk(w, value, 0, &result)) {
        *error = w.error;
        return false;
    }
    *out = result;
    if (bytes)
        *bytes += w.used;
    return true;
}

// A getter that threw, or the watchdog's interrupt: either ends the walk.
bool ScriptJson::failed(Walk &w)
{
    if (m_engine->isInterrupted()) {
        w.error = QStringLiteral("interrupted while converting the value");
        return true;
    }
    if (m_engine->hasError()) {
        const QJSValue e = m_engine->catchError();
        w.error = e.toString();
        return true;
    }
    return false;
}

namespace {
bool hasProtoKey(const QJsonValue &value)
{
    if (value.isArray()) {
        const QJsonArray array = value.toArray();
        return std::any_of(array.begin(), array.end(), [](const QJsonValueConstRef v) { return hasProtoKey(v); });
    }
    if (!value.isObject())
        return false;
    const QJsonObject object = value.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (it.key() == QLatin1String("__proto__") || hasProtoKey(it.value()))
            return true;
    }
    return false;
}
} // namespace

QJSValue ScriptJson::toScript(QJSEngine *engine, const QJsonValue &value)
{
    if (!hasProtoKey(value))
        return engine->toScriptValue(value);
    const QByteArray text = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                                            : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    return engine->globalObject().property(QStringLiteral("JSON")).property(QStringLiteral("parse")).call({QString::fromUtf8(text)});
}

// A JavaScript string may hold half of a character (s.slice() through an emoji, say); JSON
// text cannot carry it, and stored it would stop every reader of the log.
bool ScriptJson::unpaired(Walk &w)
{
    w.error = QStringLiteral("a string holds an unpaired surrogate (half of a character), which JSON cannot carry");
    return false;
}

bool ScriptJson::walk(Walk &w, const QJSValue &value, int depth, QJsonValue *out)
{
    auto spend = [&w](qint64 n) {
        w.used += n;
        if (w.used <= w.budget)
            return true;
        w.error = QStringLiteral("the value is larger than %1 bytes as JSON").arg(w.budget);
        return false;
    };
    if (value.isUndefined() || value.isCallable()) {
        *out = QJsonValue(QJsonValue::Undefined);
        return true;
    }
    if (value.isNull()) {
        *out = QJsonValue(QJsonValue::Null);
        return spend(4);
    }
    if (value.isBool()) {
        *out = value.toBool();
        return spend(5);
    }
    if (value.isNumber()) {
        const double d = value.toNumber();
        *out = std::isfinite(d) ? QJsonValue(d) : QJsonValue(QJsonValue::Null);
        return spend(8);
    }
    if (value.isString()) {
        const QString s = value.toString();
        if (!QStringView(s).isValidUtf16())
            return unpaired(w);
        *out = s;
        return spend(s.size() + 2);
    }
    if (value.isDate()) {
        const QDateTime t = value.toDateTime();
        *out = t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
        return spend(26);
    }
    if (!value.isObject()) {   // a symbol: left out like undefined
        *out = QJsonValue(QJsonValue::Undefined);
        return true;
    }
    if (depth >= FunctionLimits::kMaxDepth) {
        w.error = QStringLiteral("the value is nested deeper than %1 levels (or refers to itself)").arg(FunctionLimits::kMaxDepth);
        return false;
    }
    if (value.isArray()) {
        const quint32 length = value.property(QStringLiteral("length")).toUInt();
        QJsonArray array;
        for (quint32 i = 0; i < length; ++i) {
            const QJSValue element = value.property(i);
            if (failed(w))
                return false;
            QJsonValue converted;
            if (!walk(w, element, depth + 1, &converted) || !spend(1))
                return false;
            array.append(converted.isUndefined() ? QJsonValue(QJsonValue::Null) : converted);
        }
        *out = array;
        return spend(kContainerBytes);
    }
    QJSValueIterator it(value);
    QJsonObject object;
    while (it.hasNext()) {
        it.next();
        const QString key = it.name();
        if (!spend(key.size() + 4))
            return false;
        if (!QStringView(key).isValidUtf16())
            return unpaired(w);
        const QJSValue member = it.value();
        if (failed(w))
            return false;
        QJsonValue converted;
        if (!walk(w, member, depth + 1, &converted))
            return false;
        if (!converted.isUndefined())
            object.insert(key, converted);
    }
    *out = object;
    return spend(kContainerBytes);
}

} // namespace Gatehouse
