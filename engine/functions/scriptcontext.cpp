#include "scriptcontext.h"

#include <QJSEngine>
#include <QJsonValue>
#include <QLoggingCategory>
#include <QRegularExpression>

#include <utility>

Q_LOGGING_CATEGORY(lcFunctionLog, "gatehouse.functions.log")

namespace Gatehouse {

namespace {
constexpr int kMaxLogLines = 100;
}

void ScriptContext::begin(DocumentAccess access)
{
    m_access = std::move(access);
    m_effects = {};
}

FunctionEffects ScriptContext::take()
{
    m_access = {};
    return std::exchange(m_effects, {});
}

bool ScriptContext::isValidCollection(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[a-z][a-z0-9_]{0,62}$"));
    return re.match(name).hasMatch();
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
    return true;
}

void ScriptContext::upsert(const QString &collection, const QString &id, const QJSValue &doc)
{
    if (!check(collection, id))
        return;
    const QJsonValue value = qjsEngine(this)->fromScriptValue<QJsonValue>(doc);
    if (!value.isObject()) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("ctx.upsert needs an object as document"));
        return;
    }
    QJsonObject object = value.toObject();
    object.remove(QStringLiteral("_meta"));
    object.insert(QStringLiteral("id"), id);
    m_effects.writes.append({collection, id, object, false});
}

void ScriptContext::remove(const QString &collection, const QString &id)
{
    if (check(collection, id))
        m_effects.writes.append({collection, id, {}, true});
}

QJSValue ScriptContext::get(const QString &collection, const QString &id)
{
    if (!check(collection, id))
        return QJSValue(QJSValue::NullValue);
    // The invocation's own writes first: it reads what it wrote.
    for (auto it = m_effects.writes.crbegin(); it != m_effects.writes.crend(); ++it) {
        if (it->collection == collection && it->id == id)
            return it->remove ? QJSValue(QJSValue::NullValue) : qjsEngine(this)->toScriptValue(it->doc);
    }
    if (!m_access.get)
        return QJSValue(QJSValue::NullValue);
    const std::optional<QJsonObject> doc = m_access.get(collection, id);
    return doc ? qjsEngine(this)->toScriptValue(*doc) : QJSValue(QJSValue::NullValue);
}

QJSValue ScriptContext::query(const QString &collection, const QJSValue &filter)
{
    if (!isValidCollection(collection)) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("invalid collection name '%1'").arg(collection));
        return {};
    }
    const QJsonValue f = filter.isUndefined() || filter.isNull() ? QJsonValue(QJsonObject()) : qjsEngine(this)->fromScriptValue<QJsonValue>(filter);
    if (!f.isObject()) {
        qjsEngine(this)->throwError(QJSValue::TypeError, QStringLiteral("ctx.query needs an object as filter"));
        return {};
    }
    QJsonArray items;
    QString error;
    if (!m_access.query) {
        error = QStringLiteral("ctx.query is not available here");
    } else if (m_access.query(collection, f.toObject(), &items, &error)) {
        return qjsEngine(this)->toScriptValue(items);
    }
    qjsEngine(this)->throwError(QJSValue::RangeError, QStringLiteral("ctx.query('%1'): %2").arg(collection, error));
    return {};
}

void ScriptContext::emitEvent(const QString &type, const QString &subject, const QJSValue &data)
{
    if (!type.contains(QLatin1Char('.')) || !isValidCollection(type.section(QLatin1Char('.'), 0, -2)) || subject.isEmpty()) {
        qjsEngine(this)->throwError(QJSValue::TypeError,
                                    QStringLiteral("ctx.emit needs a type '<collection>.<verb>' and a subject, got '%1', '%2'")
                                        .arg(type, subject));
        return;
    }
    m_effects.emits.append({type, subject, qjsEngine(this)->fromScriptValue<QJsonValue>(data)});
}

void ScriptContext::log(const QString &line)
{
    qCInfo(lcFunctionLog).noquote() << line;
    if (m_effects.logs.size() < kMaxLogLines)
        m_effects.logs.append(line);
}

} // namespace Gatehouse
