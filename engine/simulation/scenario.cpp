#include "scenario.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>
#include <limits>

namespace Gatehouse::Simulation {

QString Executor::kindName(Kind kind)
{
    switch (kind) {
    case ConstantArrivalRate: return QStringLiteral("constant-arrival-rate");
    case RampingArrivalRate: return QStringLiteral("ramping-arrival-rate");
    case ConstantVus: return QStringLiteral("constant-vus");
    case RampingVus: return QStringLiteral("ramping-vus");
    }
    return {};
}

QString Operation::kindName(Kind kind)
{
    switch (kind) {
    case Create: return QStringLiteral("create");
    case Update: return QStringLiteral("update");
    case Delete: return QStringLiteral("delete");
    case Command: return QStringLiteral("command");
    case Get: return QStringLiteral("get");
    case List: return QStringLiteral("list");
    case ReadAfterWrite: return QStringLiteral("read_after_write");
    case Request: return QStringLiteral("request");
    case MqttCommand: return QStringLiteral("mqtt_command");
    }
    return {};
}

QString Subscriber::protocolName(Protocol protocol)
{
    switch (protocol) {
    case WebSocket: return QStringLiteral("websocket");
    case Sse: return QStringLiteral("sse");
    case Mqtt: return QStringLiteral("mqtt");
    }
    return {};
}

QString Fault::kindName(Kind kind)
{
    switch (kind) {
    case Function: return QStringLiteral("function");
    case Projection: return QStringLiteral("projection");
    case Broker: return QStringLiteral("broker");
    case CommitDelay: return QStringLiteral("commit_delay");
    case Upstream: return QStringLiteral("upstream");
    }
    return {};
}

// "${gateway}" in any string of a scenario is the host:port of the gateway the run targets, so
// a scenario can point an http upstream (or a fault) at the engine itself wherever it listens.
static QJsonValue substitute(const QJsonValue &value, const QString &gateway)
{
    static const QString placeholder = QStringLiteral("${gateway}");
    if (value.isString())
        return QString(value.toString()).replace(placeholder, gateway);
    if (value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &v : value.toArray())
            out.append(substitute(v, gateway));
        return out;
    }
    if (value.isObject()) {
        QJsonObject out;
        const QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            out.insert(QString(it.key()).replace(placeholder, gateway), substitute(it.value(), gateway));
        return out;
    }
    return value;
}

QJsonObject withGateway(const QJsonObject &document, const QString &hostPort)
{
    return substitute(document, hostPort).toObject();
}

std::optional<qint64> parseDurationMs(const QJsonValue &value)
{
    // A day is more than any run; the bound keeps every sum of durations far from overflow.
    constexpr qint64 kMaxMs = 24LL * 3600 * 1000;
    if (value.isDouble()) {
        const double ms = value.toDouble() * 1000.0;
        if (!std::isfinite(ms) || ms < 0 || ms > double(kMaxMs))
            return std::nullopt;
        return qint64(std::llround(ms));
    }
    if (!value.isString())
        return std::nullopt;
    // k6's form: one or more <number><unit>, units h, m, s, ms, us/µs (rounded to ms).
    static const QRegularExpression whole(QStringLiteral("^(?:\\d+(?:\\.\\d+)?(?:h|ms|m|s|us|µs))+$"));
    static const QRegularExpression part(QStringLiteral("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|µs)"));
    const QString text = value.toString();
    if (text.size() > 64 || !whole.match(text).hasMatch())
        return std::nullopt;
    double total = 0;
    for (auto it = part.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        const double n = m.captured(1).toDouble();
        const QString unit = m.captured(2);
        const double factor = unit == QLatin1String("h") ? 3600000.0
            : unit == QLatin1String("m") ? 60000.0
            : unit == QLatin1String("s") ? 1000.0
            : unit == QLatin1String("ms") ? 1.0
            : 0.001;
        total += n * factor;
        if (total > double(kMaxMs))
            return std::nullopt;
    }
    return qint64(std::llround(total));
}

} // namespace Gatehouse::Simulation
