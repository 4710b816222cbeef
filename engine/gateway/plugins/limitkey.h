#pragma once

#include "api/apiresponse.h"

#include <QJsonObject>
#include <QString>

namespace Gatehouse {

struct RequestContext;

// Which bucket a request counts against, from a limiter's `key_type` and `key` (APISIX):
// "var" names one variable (remote_addr, consumer_name, http_x_user, ...), "var_combination"
// is a template such as "$remote_addr $consumer_name", "constant" is used as is. An empty
// result falls back to remote_addr, as APISIX does. Immutable.
class LimitKey
{
public:
    static LimitKey fromConfig(const QJsonObject &config, QStringList *errors);
    QString resolve(const RequestContext &ctx) const;
    // The schema properties "key_type" and "key", for the limiters' descriptors.
    static QJsonObject schemaProperties();

private:
    enum class Type { Var, VarCombination, Constant };
    Type m_type = Type::Var;
    QString m_key = QStringLiteral("remote_addr");
};

// The quota a limiter reports: X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset
// (seconds until the quota is whole again; left out when negative).
struct RateLimitQuota
{
    qint64 limit = 0;
    qint64 remaining = 0;
    qint64 resetSeconds = -1;

    void addHeaders(RequestContext &ctx) const;
};

// What a limiter answers when it says no, from the shared fields rejected_code, rejected_msg
// and show_limit_quota_header.
struct LimitRejection
{
    int code = 429;
    QString message;
    bool quotaHeaders = true;

    static LimitRejection fromConfig(const QJsonObject &config);
    // A problem+json with `message` (or `detail` when none is configured) and Retry-After.
    ApiResponse response(const QString &detail, qint64 retryAfterSeconds) const;
    // rejected_code, rejected_msg, show_limit_quota_header, policy, allow_degradation.
    static QJsonObject schemaProperties();
};

// Adds the properties every limiter shares (LimitKey's and LimitRejection's) to a schema.
void addLimiterProperties(QJsonObject *schema);

} // namespace Gatehouse
