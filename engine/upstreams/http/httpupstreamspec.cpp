#include "httpupstreamspec.h"

#include <QJsonArray>

#include <cmath>

namespace Gatehouse {

namespace {

// Reads fields of one JSON object, collecting "<pointer>/<key>: <message>" errors.
class FieldReader
{
public:
    FieldReader(const QJsonObject &object, QString pointer, QStringList *errors)
        : m_object(object), m_pointer(std::move(pointer)), m_errors(errors) {}

    QJsonObject object(const QString &key) const
    {
        const QJsonValue v = m_object.value(key);
        if (!v.isUndefined() && !v.isObject())
            fail(key, QStringLiteral("must be an object"));
        return v.toObject();
    }
    bool has(const QString &key) const { return m_object.contains(key); }
    QString pointer(const QString &key) const { return m_pointer + QLatin1Char('/') + key; }

    // A duration in (fractional) seconds, returned in milliseconds.
    int seconds(const QString &key, int fallbackMs, bool zeroAllowed = false) const
    {
        const QJsonValue v = m_object.value(key);
        if (v.isUndefined())
            return fallbackMs;
        const double s = v.toDouble(-1);
        if (!v.isDouble() || s < 0 || (s == 0 && !zeroAllowed) || s > 86400) {
            fail(key, zeroAllowed ? QStringLiteral("must be a number of seconds, 0 to 86400")
                                  : QStringLiteral("must be a number of seconds above 0, up to 86400"));
            return fallbackMs;
        }
        return std::max(s > 0 ? 1 : 0, int(std::lround(s * 1000)));
    }
    int integer(const QString &key, int fallback, int minimum, int maximum = 1000000) const
    {
        const QJsonValue v = m_object.value(key);
        if (v.isUndefined())
            return fallback;
        const double d = v.toDouble(-1e18);
        if (!v.isDouble() || d != std::floor(d) || d < minimum || d > maximum) {
            fail(key, QStringLiteral("must be an integer from %1 to %2").arg(minimum).arg(maximum));
            return fallback;
        }
        return int(d);
    }
    QString string(const QString &key, const QString &fallback, const QStringList &allowed = {}) const
    {
        const QJsonValue v = m_object.value(key);
        if (v.isUndefined())
            return fallback;
        if (!v.isString() || (!allowed.isEmpty() && !allowed.contains(v.toString()))) {
            fail(key, allowed.isEmpty() ? QStringLiteral("must be a string")
                                        : QStringLiteral("must be one of ") + allowed.join(QStringLiteral(", ")));
            return fallback;
        }
        return v.toString();
    }
    QList<int> statuses(const QString &key, const QList<int> &fallback) const
    {
        const QJsonValue v = m_object.value(key);
        if (v.isUndefined())
            return fallback;
        QList<int> out;
        const QJsonArray a = v.toArray();
        for (const QJsonValue &s : a) {
            if (!s.isDouble() || s.toInt() < 200 || s.toInt() > 599) {
                fail(key, QStringLiteral("must be a list of status codes 200-599"));
                return fallback;
            }
            out.append(s.toInt());
        }
        if (!v.isArray() || out.isEmpty())
            fail(key, QStringLiteral("must be a non-empty list of status codes 200-599"));
        return out;
    }
    void fail(const QString &key, const QString &message) const
    {
        m_errors->append(pointer(key) + QStringLiteral(": ") + message);
    }

private:
    QJsonObject m_object;
    QString m_pointer;
    QStringList *m_errors;
};

bool parseHostPort(const QString &text, QString *host, int *port)
{
    *port = 0;
    if (text.startsWith(QLatin1Char('['))) {
        const auto close = text.indexOf(QLatin1Char(']'));
        if (close < 0)
            return false;
        *host = text.mid(1, close - 1);
        if (close + 1 < text.size()) {
            if (text.at(close + 1) != QLatin1Char(':'))
                return false;
            bool ok = false;
            *port = text.mid(close + 2).toInt(&ok);
            if (!ok)
                return false;
        }
    } else {
        const auto colon = text.lastIndexOf(QLatin1Char(':'));
        if (colon >= 0 && text.indexOf(QLatin1Char(':')) == colon) {
            bool ok = false;
            *port = text.mid(colon + 1).toInt(&ok);
            if (!ok)
                return false;
            *host = text.left(colon);
        } else {
            *host = text;   // a bare name, or an IPv6 address without brackets (no port)
        }
    }
    return !host->isEmpty() && *port >= 0 && *port <= 65535;
}

void parseNodes(const QJsonValue &nodes, int defaultPort, const QString &pointer, HttpUpstreamSpec *spec,
                QStringList *errors)
{
    const auto add = [&](const QString &where, const QString &host, int port, const QJsonValue &weight) {
        const double w = weight.toDouble(-1);
        if (!weight.isDouble() || w != std::floor(w) || w < 0 || w > 65535) {
            errors->append(where + QStringLiteral(": the weight must be an integer from 0 to 65535"));
            return;
        }
        spec->nodes.append({host, quint16(port == 0 ? defaultPort : port), int(w)});
    };
    if (nodes.isObject()) {
        const QJsonObject o = nodes.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            QString host;
            int port = 0;
            if (!parseHostPort(it.key(), &host, &port))
                errors->append(pointer + QLatin1Char('/') + it.key() + QStringLiteral(": not a host:port"));
            else
                add(pointer + QLatin1Char('/') + it.key(), host, port, it.value());
        }
    } else if (nodes.isArray()) {
        const QJsonArray a = nodes.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            const QJsonObject n = a.at(i).toObject();
            const QString where = pointer + QLatin1Char('/') + QString::number(i);
            QString host = n.value(QStringLiteral("host")).toString();
            if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
                host = host.mid(1, host.size() - 2);
            const QJsonValue port = n.value(QStringLiteral("port"));
            if (host.isEmpty() || (!port.isUndefined() && (!port.isDouble() || port.toInt() < 1 || port.toInt() > 65535)))
                errors->append(where + QStringLiteral(": needs \"host\" and an optional \"port\" 1-65535"));
            else
                add(where, host, port.toInt(), n.value(QStringLiteral("weight")).isUndefined() ? QJsonValue(1) : n.value(QStringLiteral("weight")));
        }
    }
    if (spec->nodes.isEmpty() && errors->isEmpty())
        errors->append(pointer + QStringLiteral(": must list at least one node: {\"host:port\": weight} or [{\"host\",\"port\",\"weight\"}]"));
}

} // namespace

QString HttpUpstreamSpec::Node::address() const
{
    return (host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host)
        + QLatin1Char(':') + QString::number(port);
}

HttpUpstreamSpec HttpUpstreamSpec::fromJson(const QJsonObject &upstream, QStringList *errors, const QString &pointer)
{
    HttpUpstreamSpec spec;
    const FieldReader top(upstream, pointer, errors);
    const QString scheme = top.string(QStringLiteral("scheme"), QStringLiteral("http"), {QStringLiteral("http"), QStringLiteral("https")});
    spec.tls = scheme == QLatin1String("https");
    spec.tlsVerify = top.object(QStringLiteral("tls")).value(QStringLiteral("verify")).toBool(false);

    QStringList nodeErrors;
    parseNodes(upstream.value(QStringLiteral("nodes")), spec.tls ? 443 : 80, top.pointer(QStringLiteral("nodes")), &spec, &nodeErrors);
    errors->append(nodeErrors);

    const FieldReader timeout(top.object(QStringLiteral("timeout")), top.pointer(QStringLiteral("timeout")), errors);
    spec.connectTimeoutMs = timeout.seconds(QStringLiteral("connect"), spec.connectTimeoutMs);
    spec.sendTimeoutMs = timeout.seconds(QStringLiteral("send"), spec.sendTimeoutMs);
    spec.readTimeoutMs = timeout.seconds(QStringLiteral("read"), spec.readTimeoutMs);
    spec.retries = top.integer(QStringLiteral("retries"), std::max<int>(0, int(spec.nodes.size()) - 1), 0, 100);
    spec.retryTimeoutMs = top.seconds(QStringLiteral("retry_timeout"), 0, true);

    const QString passHost = top.string(QStringLiteral("pass_host"), QStringLiteral("pass"),
                                        {QStringLiteral("pass"), QStringLiteral("node"), QStringLiteral("rewrite")});
    spec.passHost = passHost == QLatin1String("node") ? PassHost::Node
        : passHost == QLatin1String("rewrite")        ? PassHost::Rewrite
                                                      : PassHost::Pass;
    spec.upstreamHost = top.string(QStringLiteral("upstream_host"), {}).toLatin1();
    if (spec.passHost == PassHost::Rewrite && spec.upstreamHost.isEmpty())
        top.fail(QStringLiteral("upstream_host"), QStringLiteral("is required when pass_host is \"rewrite\""));

    const FieldReader pool(top.object(QStringLiteral("keepalive_pool")), top.pointer(QStringLiteral("keepalive_pool")), errors);
    spec.poolSize = pool.integer(QStringLiteral("size"), spec.poolSize, 0);
    spec.poolIdleMs = pool.seconds(QStringLiteral("idle_timeout"), spec.poolIdleMs, true);
    spec.poolRequests = pool.integer(QStringLiteral("requests"), spec.poolRequests, 1);

    const FieldReader checks(top.object(QStringLiteral("checks")), top.pointer(QStringLiteral("checks")), errors);
    spec.activeChecks = checks.has(QStringLiteral("active"));
    spec.passiveChecks = checks.has(QStringLiteral("passive"));

    // checks.active (APISIX defaults)
    const FieldReader active(checks.object(QStringLiteral("active")), checks.pointer(QStringLiteral("active")), errors);
    const QString type = active.string(QStringLiteral("type"), QStringLiteral("http"),
                                       {QStringLiteral("http"), QStringLiteral("https"), QStringLiteral("tcp")});
    spec.activeTcp = type == QLatin1String("tcp");
    spec.activeTls = type == QLatin1String("https");
    spec.activeTimeoutMs = active.seconds(QStringLiteral("timeout"), 1000);
    spec.activePath = active.string(QStringLiteral("http_path"), QStringLiteral("/")).toUtf8();
    if (!spec.activePath.startsWith('/'))
        active.fail(QStringLiteral("http_path"), QStringLiteral("must start with /"));
    spec.activeHost = active.string(QStringLiteral("host"), {}).toLatin1();
    const QJsonValue reqHeaders = checks.object(QStringLiteral("active")).value(QStringLiteral("req_headers"));
    for (const QJsonValue &h : reqHeaders.toArray()) {
        if (!h.toString().contains(QLatin1Char(':')))
            active.fail(QStringLiteral("req_headers"), QStringLiteral("must be a list of \"Name: value\" strings"));
        else
            spec.activeHeaders.append(h.toString().toLatin1());
    }
    const FieldReader aHealthy(active.object(QStringLiteral("healthy")), active.pointer(QStringLiteral("healthy")), errors);
    const FieldReader aUnhealthy(active.object(QStringLiteral("unhealthy")), active.pointer(QStringLiteral("unhealthy")), errors);
    spec.active.healthyIntervalMs = aHealthy.seconds(QStringLiteral("interval"), 1000, true);
    spec.active.healthyStatuses = aHealthy.statuses(QStringLiteral("http_statuses"), {200, 302});
    spec.active.successes = aHealthy.integer(QStringLiteral("successes"), 2, 0, 254);
    spec.active.unhealthyIntervalMs = aUnhealthy.seconds(QStringLiteral("interval"), 1000, true);
    spec.active.unhealthyStatuses = aUnhealthy.statuses(QStringLiteral("http_statuses"), {429, 404, 500, 501, 502, 503, 504, 505});
    spec.active.httpFailures = aUnhealthy.integer(QStringLiteral("http_failures"), 5, 0, 254);
    spec.active.tcpFailures = aUnhealthy.integer(QStringLiteral("tcp_failures"), 2, 0, 254);
    spec.active.timeouts = aUnhealthy.integer(QStringLiteral("timeouts"), 3, 0, 254);

    // checks.passive (APISIX defaults); unhealthy.interval is ours: the rest before a probe.
    const FieldReader passive(checks.object(QStringLiteral("passive")), checks.pointer(QStringLiteral("passive")), errors);
    const FieldReader pHealthy(passive.object(QStringLiteral("healthy")), passive.pointer(QStringLiteral("healthy")), errors);
    const FieldReader pUnhealthy(passive.object(QStringLiteral("unhealthy")), passive.pointer(QStringLiteral("unhealthy")), errors);
    spec.passive.healthyStatuses = pHealthy.statuses(QStringLiteral("http_statuses"),
        {200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308});
    spec.passive.successes = pHealthy.integer(QStringLiteral("successes"), 5, 0, 254);
    spec.passive.unhealthyStatuses = pUnhealthy.statuses(QStringLiteral("http_statuses"), {429, 500, 503});
    spec.passive.httpFailures = pUnhealthy.integer(QStringLiteral("http_failures"), 5, 0, 254);
    spec.passive.tcpFailures = pUnhealthy.integer(QStringLiteral("tcp_failures"), 2, 0, 254);
    spec.passive.timeouts = pUnhealthy.integer(QStringLiteral("timeouts"), 7, 0, 254);
    spec.passive.unhealthyIntervalMs = pUnhealthy.seconds(QStringLiteral("interval"), 5000);
    return spec;
}

} // namespace Gatehouse
