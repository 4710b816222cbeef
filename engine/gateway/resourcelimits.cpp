#include "resourcelimits.h"

namespace Gatehouse {

namespace {
struct Named
{
    const char *name;
    int ResourceLimits::*member;
};

constexpr Named kLimits[] = {
    {"max_routes", &ResourceLimits::maxRoutes},
    {"max_upstreams", &ResourceLimits::maxUpstreams},
    {"max_consumers", &ResourceLimits::maxConsumers},
    {"max_global_rules", &ResourceLimits::maxGlobalRules},
    {"max_id_length", &ResourceLimits::maxIdLength},
    {"max_uri_length", &ResourceLimits::maxUriLength},
    {"max_name_length", &ResourceLimits::maxNameLength},
    {"max_desc_length", &ResourceLimits::maxDescLength},
    {"max_hosts", &ResourceLimits::maxHosts},
    {"max_host_length", &ResourceLimits::maxHostLength},
    {"max_vars", &ResourceLimits::maxVars},
    {"max_nodes", &ResourceLimits::maxNodes},
    {"max_labels", &ResourceLimits::maxLabels},
    {"max_label_length", &ResourceLimits::maxLabelLength},
    {"max_headers", &ResourceLimits::maxHeaders},
    {"max_status_codes", &ResourceLimits::maxStatusCodes},
};
} // namespace

QJsonObject ResourceLimits::toJson() const
{
    QJsonObject o;
    for (const Named &l : kLimits)
        o.insert(QLatin1String(l.name), this->*l.member);
    return o;
}

int ResourceLimits::value(const QString &name) const
{
    for (const Named &l : kLimits) {
        if (name == QLatin1String(l.name))
            return this->*l.member;
    }
    return -1;
}

} // namespace Gatehouse
