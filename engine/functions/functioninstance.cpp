#include "functioninstance.h"

#include "functiondefinition.h"
#include "processinstance.h"
#include "threadinstance.h"

namespace Gatehouse {

std::unique_ptr<FunctionInstance> FunctionInstance::create(const FunctionDefinition &definition, const Runtime &runtime)
{
    if (definition.isolation == FunctionDefinition::Isolation::Thread)
        return std::make_unique<ThreadInstance>();
    return std::make_unique<ProcessInstance>(runtime);
}

bool FunctionInstance::check(const FunctionDefinition &definition, const Runtime &runtime, QString *error, int *line)
{
    const std::unique_ptr<FunctionInstance> instance = create(definition, runtime);
    if (!instance->load(definition, error, line))
        return false;
    const bool triggered = definition.hasEventTriggers() || definition.httpTrigger || !definition.intervalsS.isEmpty();
    if (triggered && !instance->hasHandle()) {
        *error = QStringLiteral("a function with triggers must define function handle(input, ctx)");
        return false;
    }
    return true;
}

FunctionOutcome FunctionInstance::invoke(const QJsonValue &input, const DocumentAccess &access)
{
    FunctionOutcome result;
    result.error = QStringLiteral("the function was not called");
    invoke(QList<QJsonValue>{input}, access, [&result](qsizetype, FunctionOutcome &&out) {
        result = std::move(out);
        return true;
    });
    return result;
}

} // namespace Gatehouse
