#include "scenarioresources.h"

#include "assembly/engine.h"
#include "functions/functionservice.h"
#include "resources/resourceservice.h"

#include <QJsonArray>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcScenarioSetup, "gatehouse.simulation.setup")

namespace Gatehouse::Server {

namespace {

// Dependencies first: a route may name an upstream, a consumer-bound plugin a consumer.
const QStringList &order()
{
    static const QStringList kinds{QStringLiteral("upstreams"), QStringLiteral("consumers"), QStringLiteral("global_rules"),
                                   QStringLiteral("routes"), QStringLiteral("functions")};
    return kinds;
}

QStringList prefixed(const QString &pointer, const QStringList &errors, const QString &detail)
{
    QStringList out;
    for (const QString &e : errors)
        out.append(pointer + (e.startsWith(QLatin1Char('/')) ? e : QStringLiteral(": ") + e));
    if (out.isEmpty())
        out.append(pointer + QStringLiteral(": ") + detail);
    return out;
}

} // namespace

ScenarioResources::ScenarioResources(Engine *engine)
    : m_engine(engine)
{
}

ScenarioResources::~ScenarioResources() = default;

QStringList ScenarioResources::apply(const QJsonObject &setup)
{
    QMutexLocker lock(&m_mutex);
    ResourceService *resources = m_engine->resources();
    FunctionService *functions = m_engine->functions();
    if (!resources || !functions)
        return {QStringLiteral("/setup: the engine is not running")};
    QStringList errors;
    for (auto it = setup.begin(); it != setup.end(); ++it) {
        if (!order().contains(it.key()))
            errors.append(QStringLiteral("/setup/%1: not a resource kind (%2)").arg(it.key(), order().join(QStringLiteral(", "))));
        else if (!it.value().isArray())
            errors.append(QStringLiteral("/setup/%1: must be an array").arg(it.key()));
    }
    if (!errors.isEmpty())
        return errors;

    QList<Change> changes;
    for (const QString &kind : order()) {
        const QJsonArray items = setup.value(kind).toArray();
        for (qsizetype i = 0; i < items.size(); ++i) {
            const QString pointer = QStringLiteral("/setup/%1/%2").arg(kind).arg(i);
            const QJsonObject item = items.at(i).toObject();
            const bool isFunction = kind == QLatin1String("functions");
            const QString id = item.value(isFunction ? QStringLiteral("name") : QStringLiteral("id")).toString();
            if (!items.at(i).isObject() || id.isEmpty()) {
                errors.append(pointer + (isFunction ? QStringLiteral(": must be an object with a \"name\"") : QStringLiteral(": must be an object with an \"id\"")));
                break;
            }
            Change change{kind, id, isFunction ? functions->get(id) : resources->get(kind, id)};
            if (isFunction) {
                const FunctionService::Result r = functions->deploy(id, item);
                if (r.status >= 400) {
                    errors = prefixed(pointer, r.errors, r.detail);
                    break;
                }
            } else {
                const ResourceService::Result r = resources->put(kind, id, item);
                if (r.status >= 400) {
                    errors = prefixed(pointer, r.errors, r.detail);
                    break;
                }
            }
            changes.append(change);
        }
        if (!errors.isEmpty())
            break;
    }
    if (!errors.isEmpty()) {
        undo(changes);
        return errors;
    }
    m_applied += changes;
    return {};
}

void ScenarioResources::revert()
{
    QMutexLocker lock(&m_mutex);
    undo(m_applied);
    m_applied.clear();
}

void ScenarioResources::undo(const QList<Change> &changes)
{
    ResourceService *resources = m_engine->resources();
    FunctionService *functions = m_engine->functions();
    if (!resources || !functions)
        return;
    for (auto it = changes.crbegin(); it != changes.crend(); ++it) {
        int status = 0;
        if (it->kind == QLatin1String("functions")) {
            const qint64 version = it->previous ? it->previous->value(QStringLiteral("version")).toInteger() : 0;
            status = it->previous ? functions->rollback(it->id, version).status : functions->remove(it->id).status;
        } else {
            status = it->previous ? resources->put(it->kind, it->id, *it->previous).status : resources->remove(it->kind, it->id).status;
        }
        if (status >= 400)
            qCWarning(lcScenarioSetup) << "cannot take back" << it->kind << it->id << "after a simulation run: status" << status;
    }
}

} // namespace Gatehouse::Server
