#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <functional>

namespace Gatehouse {

// Runs the JavaScript decide function of a custom command (DESIGN.md "Commands":
// POST /api/{collection}/{id}/{name}). The collection names it under "commands":
//   {"<name>": {"function": "<deployed function defining decide(state, command)>"}}
//   {"<name>": {"decide": "function (state, command) { return [...]; }"}}
// decide() gets the entity's current state (null when it does not exist) and the command
// {name, id, data, user}, and returns the events to append: [{type, data}] where `type` is a
// verb ("discounted" → "<collection>.discounted") or "<collection>.<verb>". Implemented by
// FunctionService; `done` may be called on any thread.
class CommandDecider
{
public:
    struct Decision
    {
        int status = 200;    // 200: `events` holds the decision; otherwise a problem status
        QString error;
        QJsonArray events;
    };
    using Callback = std::function<void(Decision)>;

    virtual ~CommandDecider() = default;
    virtual void decide(const QString &collection, const QString &command, const QJsonObject &spec, const QJsonValue &state,
                        const QJsonObject &input, Callback done) = 0;
};

} // namespace Gatehouse
