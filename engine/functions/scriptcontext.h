#pragma once

#include <QJSValue>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <optional>

namespace Gatehouse {

// What one invocation asked its ctx to do. Nothing takes effect while the code runs: the
// caller applies the writes and appends the events only when handle() returned normally, so
// a failed attempt (and its retry) leaves no trace.
struct FunctionEffects
{
    struct Write
    {
        QString collection;
        QString id;
        QJsonObject doc;
        bool remove = false;
    };
    struct Emit
    {
        QString type;
        QString subject;
        QJsonValue data;
    };
    QList<Write> writes;
    QList<Emit> emits;
    QStringList logs;
};

using DocumentReader = std::function<std::optional<QJsonObject>(const QString &collection, const QString &id)>;
// ctx.query: the documents of `collection` matching `filter` (the list API's parameters as an
// object: {"field": value, "field[gt]": n, "sort": "-field", "limit": 10}); false with a message.
using DocumentQuery = std::function<bool(const QString &collection, const QJsonObject &filter, QJsonArray *out, QString *error)>;

// What an invocation may read: ctx.get and ctx.query.
struct DocumentAccess
{
    DocumentReader get;
    DocumentQuery query;
};

// The native half of a function's `ctx` (the JavaScript half wraps it, see ScriptHost). Lives on
// the thread of the QJSEngine it is exposed to.
class ScriptContext final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScriptContext)

public:
    explicit ScriptContext(QObject *parent = nullptr) : QObject(parent) {}

    void begin(DocumentAccess access);
    FunctionEffects take();
    static bool isValidCollection(const QString &name);

    Q_INVOKABLE void upsert(const QString &collection, const QString &id, const QJSValue &doc);
    Q_INVOKABLE void remove(const QString &collection, const QString &id);
    Q_INVOKABLE QJSValue get(const QString &collection, const QString &id);
    Q_INVOKABLE QJSValue query(const QString &collection, const QJSValue &filter);
    Q_INVOKABLE void emitEvent(const QString &type, const QString &subject, const QJSValue &data);
    Q_INVOKABLE void log(const QString &line);

private:
    bool check(const QString &collection, const QString &id);
    DocumentAccess m_access;
    FunctionEffects m_effects;
};

} // namespace Gatehouse
