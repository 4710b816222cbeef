#include "scriptcontext.h"

#include "functionlimits.h"
#include "scriptjson.h"

#include <QJSEngine>
#include <QJsonValue>
#include <QLoggingCategory>

#include <algorithm>
#include <utility>

Q_LOGGING_CATEGORY(lcFunctionLog, "gatehouse.functions.log")

namespace Gatehouse {

void ScriptContext::begin(DocumentAccess access)
{
    m_access = std::move(access);
    m_effects = {};
    m_fault.clear();
    m_outputBytes = 0;
    m_logLines = 0;
}

FunctionEffects ScriptContext::take()
{
    m_access = {};
    return std::exchange(m_effects, {});
}

bool ScriptContext::isValidCollection(const QString &name)
{
    // ^[a-z][a-z0-9_]{0,62}$, without a regular expression: this runs for every ctx call.
    if (name.isEmpty() || name.size() > 63 || name.front() < u'a' || name.front() > u'z')
        return false;
    return std::all_of(name.cbegin(), name.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'_';
    });
}

bool ScriptContext::fail(const QString &message)
{
    if (m_fault.isEmpty())
        m_fault = message;
    qjsEngine(this)->throwError(QJSValue::RangeError, message);
    return false;
}

bool ScriptContext::convert(const QJSValue &value, const std::function<QString()> &what, bool output, QJsonValue *out)
{
    const qint64 left = FunctionLimits::kMaxOutputBytes - m_outputBytes;
    const qint64 budget = output ? qMin(FunctionLimits::kMaxValueBytes, left) : FunctionLimits::kMaxValueBytes;
    QString error;
    qint64 used = 0;
    if (m_json->convert(value, budget, out, &error, &used)) {
        if (output)
            m_outputBytes += used;
        return true;
    }
    if (output && budget < FunctionLimits::kMaxValueBytes && error.startsWith(QLatin1String("the value is larger")))
        error = QStringLiteral("the invocation's output is larger than %1 bytes").arg(FunctionLimits::kMaxOutputBytes);
    return fail(what() + QStringLiteral(": ") + error);
}

bool ScriptContext::convertResult(const QJSValue &value, QJsonValue *out)
{
    QString error;
    qint64 used = 0;
    if (m_json->convert(value, qMin(FunctionLimits::kMaxValueBytes, FunctionLimits::kMaxOutputBytes - m_outputBytes), out, &error, &used)) {
        m_outputBytes += used;
        return true;
    }
    if (m_fault.isEmpty())
        m_fault = QStringLiteral("the returned value: ") + error;
    return false;
}

bool ScriptContext::check(const QString &collection, const QString &id)
{
    if (!isValidCollection(collection)) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("invalid collection name '%1'").arg(collection));
        return false;
    }
    if (id.isEmpty()) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("the id must not be empty"));
        return false;
    }
    if (!QStringView(id).isValidUtf16()) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("the id holds an unpaired surrogate (half of a character)"));
        return false;
    }
    return true;
}

void ScriptContext::upsert(const QString &collection, const QString &id, const QJSValue &doc)
{
    if (!check(collection, id))
        return;
    if (m_effects.writes.size() >= FunctionLimits::kMaxWrites) {
        fail(QStringLiteral("ctx.upsert: more than %1 writes in one invocation").arg(FunctionLimits::kMaxWrites));
        return;
    }
    QJsonValue value;
    if (!convert(doc, [&] { return QStringLiteral("ctx.upsert('%1', '%2')").arg(collection, id.left(64)); }, true, &value))
        return;
    if (!value.isObject()) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("ctx.upsert needs an object as document"));
        return;
    }
    QJsonObject object = value.toObject();
    object.remove(QStringLiteral("_meta"));
    object.insert(QStringLiteral("id"), id);
    m_outputBytes += collection.size() + id.size();
    m_effects.writes.append({collection, id, object, false});
}

void ScriptContext::remove(const QString &collection, const QString &id)
{
    if (!check(collection, id))
        return;
    if (m_effects.writes.size() >= FunctionLimits::kMaxWrites) {
        fail(QStringLiteral("ctx.remove: more than %1 writes in one invocation").arg(FunctionLimits::kMaxWrites));
        return;
    }
    m_outputBytes += collection.size() + id.size();
    m_effects.writes.append({collection, id, {}, true});
}

QJSValue ScriptContext::get(const QString &collection, const QString &id)
{
    if (!check(collection, id))
        return QJSValue(QJSValue::NullValue);
    // The invocation's own writes first: it reads what it wrote.
    for (auto it = m_effects.writes.crbegin(); it != m_effects.writes.crend(); ++it) {
        if (it->collection == collection && it->id == id)
            return it->remove ? QJSValue(QJSValue::NullValue) : ScriptJson::toScript(qjsEngine(this), it->doc);
    }
    if (!m_access.get)
        return QJSValue(QJSValue::NullValue);
    const std::optional<QJsonObject> doc = m_access.get(collection, id);
    return doc ? ScriptJson::toScript(qjsEngine(this), *doc) : QJSValue(QJSValue::NullValue);
}

QJSValue ScriptContext::query(const QString &collection, const QJSValue &filter)
{
    if (!isValidCollection(collection)) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("invalid collection name '%1'").arg(collection));
        return {};
    }
    QJsonValue f = QJsonObject();
    if (!filter.isUndefined() && !filter.isNull() && !convert(filter, [&] { return QStringLiteral("ctx.query('%1')").arg(collection); }, false, &f))
        return {};
    if (!f.isObject()) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("ctx.query needs an object as filter"));
        return {};
    }
    QJsonArray items;
    QString error;
    if (!m_access.query) {
        error = QStringLiteral("ctx.query is not available here");
    } else if (m_access.query(collection, f.toObject(), &items, &error)) {
        return ScriptJson::toScript(qjsEngine(this), items);
    }
    qjsEngine(this)->throwError(QJSValue::RangeError, QStringLiteral("ctx.query('%1'): %2").arg(collection, error));
    return {};
}

void ScriptContext::emitEvent(const QString &type, const QString &subject, const QJSValue &data)
{
    if (!type.contains(QLatin1Char('.')) || !isValidCollection(type.section(QLatin1Char('.'), 0, -2)) || subject.isEmpty()
        || !QStringView(type).isValidUtf16() || !QStringView(subject).isValidUtf16()) {
        qjsEngine(this)->throwError(QJSValue::TypeError,
                                    QStringLiteral("ctx.emit needs a type '<collection>.<verb>' and a subject, got '%1', '%2'")
                                        .arg(type.left(200), subject.left(200)));
        return;
    }
    if (m_effects.emits.size() >= FunctionLimits::kMaxEmits) {
        fail(QStringLiteral("ctx.emit: more than %1 events in one invocation").arg(FunctionLimits::kMaxEmits));
        return;
    }
    QJsonValue value;
    if (!convert(data, [&] { return QStringLiteral("ctx.emit('%1')").arg(type.left(200)); }, true, &value))
        return;
    m_outputBytes += type.size() + subject.size();
    m_effects.emits.append({type, subject, value.isUndefined() ? QJsonValue(QJsonValue::Null) : value});
}

void ScriptContext::log(const QString &line)
{
    if (m_logLines++ >= FunctionLimits::kMaxLogLines)
        return;
    const QString cut = line.size() > FunctionLimits::kMaxLogLineChars
        ? line.left(FunctionLimits::kMaxLogLineChars) + QStringLiteral("… (%1 characters)").arg(line.size())
        : line;
    qCInfo(lcFunctionLog).noquote() << cut;
    m_effects.logs.append(cut);
}

} // namespace Gatehouse
