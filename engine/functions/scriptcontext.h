#pragma once

#include "functionoutcome.h"

#include <QJSValue>
#include <QObject>

#include <functional>

namespace Gatehouse {

class ScriptJson;

// The native half of a function's `ctx` (the JavaScript half wraps it, see ScriptHost). Lives on
// the thread of the QJSEngine it is exposed to. Every value handed to it is converted by
// ScriptJson within FunctionLimits; a value past them, or a write or event past their count,
// throws and also marks the invocation as failed (fault()), so code that catches the
// exception still cannot return normally with part of its effects.
class ScriptContext final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScriptContext)

public:
    ScriptContext(ScriptJson *json, QObject *parent) : QObject(parent), m_json(json) {}

    void begin(DocumentAccess access);
    FunctionEffects take();
    static bool isValidCollection(const QString &name);

    // The first limit the current invocation broke; empty while it broke none.
    QString fault() const { return m_fault; }
    // Converts a value leaving the script (the result) within what the invocation has left of
    // FunctionLimits::kMaxOutputBytes; false with the fault recorded.
    bool convertResult(const QJSValue &value, QJsonValue *out);

    Q_INVOKABLE void upsert(const QString &collection, const QString &id, const QJSValue &doc);
    Q_INVOKABLE void remove(const QString &collection, const QString &id);
    Q_INVOKABLE QJSValue get(const QString &collection, const QString &id);
    Q_INVOKABLE QJSValue query(const QString &collection, const QJSValue &filter);
    Q_INVOKABLE void emitEvent(const QString &type, const QString &subject, const QJSValue &data);
    Q_INVOKABLE void log(const QString &line);

private:
    bool check(const QString &collection, const QString &id);
    // `what` names the value in an error; made only when there is one (this runs for every write).
    bool convert(const QJSValue &value, const std::function<QString()> &what, bool output, QJsonValue *out);
    bool fail(const QString &message);   // records the fault and throws it into the script

    ScriptJson *m_json;
    DocumentAccess m_access;
    FunctionEffects m_effects;
    QString m_fault;
    qint64 m_outputBytes = 0;
    int m_logLines = 0;
};

} // namespace Gatehouse
