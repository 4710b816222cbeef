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

void ScriptContext::begin(DocumentReader reader)
{
    m_reader = std::move(reader);
    m_effects = {};
}

FunctionEffects ScriptContext::take()
{
    m_reader = {};
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
    const QJsonValue value = QJsonValue::fromVariant(doc.toVariant());
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

QVariant ScriptContext::get(const QString &collection, const QString &id)
{
    if (!check(collection, id))
        return {};
    // The invocation's own writes first: it reads what it wrote.
    for (auto it = m_effects.writes.crbegin(); it != m_effects.writes.crend(); ++it) {
        if (it->collection == collection && it->id == id)
            return it->remove ? QVariant() : QVariant(it->doc.toVariantMap());
    }
    if (!m_reader)
        return {};
    const std::optional<QJsonObject> doc = m_reader(collection, id);
    return doc ? QVariant(doc->toVariantMap()) : QVariant();
}

void ScriptContext::emitEvent(const QString &type, const QString &subject, const QJSValue &data)
{
    if (!type.contains(QLatin1Char('.')) || !isValidCollection(type.section(QLatin1Char('.'), 0, -2)) || subject.isEmpty()) {
        qjsEngine(this)->throwError(QJSValue::TypeError,
                                    QStringLiteral("ctx.emit needs a type '<collection>.<verb>' and a subject, got '%1', '%2'")
                                        .arg(type, subject));
        return;
    }
    m_effects.emits.append({type, subject, QJsonValue::fromVariant(data.toVariant())});
}

void ScriptContext::log(const QString &line)
{
    qCInfo(lcFunctionLog).noquote() << line;
    if (m_effects.logs.size() < kMaxLogLines)
        m_effects.logs.append(line);
}

} // namespace Gatehouse
