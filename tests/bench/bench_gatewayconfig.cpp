// What one admin write costs as the gateway grows: every write builds the whole configuration
// (plugins created, the route table built, each resource checked against its schema unless it
// is unchanged since the current configuration) before anything is stored. Times
// GatewayConfig::build for 100, 1,000 and 10,000 routes (each with key-auth and limit-count):
// from nothing (start, import), after one route changed (a write), and the schema checks
// alone; median of RUNS (default 5).

#include "gateway/gatewayconfig.h"
#include "gateway/pluginstate.h"
#include "gateway/resourceschemas.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>

using namespace Gatehouse;

namespace {
GatewayResources makeResources(int n)
{
    GatewayResources resources;
    for (int i = 0; i < n; ++i) {
        resources.routes.append(QJsonObject{
            {QStringLiteral("id"), QStringLiteral("r%1").arg(i)},
            {QStringLiteral("uri"), QStringLiteral("/api/c%1/:id").arg(i)},
            {QStringLiteral("methods"), QJsonArray{QStringLiteral("GET")}},
            {QStringLiteral("plugins"), QJsonObject{{QStringLiteral("key-auth"), QJsonObject()},
                                                    {QStringLiteral("limit-count"), QJsonObject{{QStringLiteral("count"), 10},
                                                                                                {QStringLiteral("time_window"), 60}}}}},
            {QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("query")},
                                                     {QStringLiteral("collection"), QStringLiteral("products")}}},
        });
    }
    return resources;
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.at(values.size() / 2);
}
} // namespace

int main()
{
    const int runs = qEnvironmentVariableIntValue("RUNS") > 0 ? qEnvironmentVariableIntValue("RUNS") : 5;
    const auto schemas = ResourceSchemas::defaults();
    auto state = std::make_shared<PluginState>();
    std::printf("| routes | build from nothing (ms) | build after one change (ms) | schema checks alone (ms) |\n|---:|---:|---:|---:|\n");
    for (const int n : {100, 1000, 10000}) {
        const GatewayResources resources = makeResources(n);
        GatewayResources changed = resources;
        QJsonObject first = changed.routes.at(0).toObject();
        first.insert(QStringLiteral("priority"), 1);
        changed.routes.replace(0, first);
        QList<double> build, rebuild, check;
        for (int run = 0; run < runs; ++run) {
            QElapsedTimer t;
            t.start();
            const auto config = GatewayConfig::build(resources, state, *schemas);
            build.append(t.nsecsElapsed() / 1e6);
            if (config->hasProblems())
                std::fprintf(stderr, "unexpected problems: %s\n", qPrintable(config->allProblems().constFirst()));
            t.restart();
            const auto next = GatewayConfig::build(changed, state, *schemas, config.get());
            rebuild.append(t.nsecsElapsed() / 1e6);
            if (next->hasProblems())
                std::fprintf(stderr, "unexpected problems\n");
            t.restart();
            qsizetype errors = 0;
            for (const QJsonValue &route : resources.routes)
                errors += schemas->validate(QStringLiteral("routes"), route).size();
            check.append(t.nsecsElapsed() / 1e6);
            if (errors)
                std::fprintf(stderr, "unexpected schema errors\n");
        }
        std::printf("| %d | %.1f | %.1f | %.1f |\n", n, median(build), median(rebuild), median(check));
    }
    return 0;
}
