#include "toxic.h"

#include <QStringList>

#include <cmath>

namespace Gatehouse::Simulation {

namespace {

struct KindName
{
    Toxic::Kind kind;
    const char *name;
};

constexpr KindName kKinds[] = {{Toxic::None, "none"},           {Toxic::Latency, "latency"},     {Toxic::Bandwidth, "bandwidth"},
                               {Toxic::Timeout, "timeout"},     {Toxic::ResetPeer, "reset_peer"}, {Toxic::SlowClose, "slow_close"},
                               {Toxic::Down, "down"}};

// A non-negative whole number up to `max`; `minimum` 1 for a rate.
qint64 readNumber(const QJsonObject &attributes, const QString &name, qint64 minimum, qint64 max, QStringList *errors)
{
    const QJsonValue v = attributes.value(name);
    if (v.isUndefined())
        return 0;
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d != std::floor(d) || d < double(minimum) || d > double(max)) {
        errors->append(QStringLiteral("%1: must be a whole number from %2 to %3").arg(name).arg(minimum).arg(max));
        return 0;
    }
    return qint64(d);
}

} // namespace

QString Toxic::kindName(Kind kind)
{
    for (const KindName &k : kKinds) {
        if (k.kind == kind)
            return QLatin1String(k.name);
    }
    return {};
}

std::optional<Toxic> Toxic::fromJson(const QString &kind, const QJsonObject &attributes, QStringList *errors)
{
    const auto before = errors->size();
    Toxic t;
    bool known = false;
    for (const KindName &k : kKinds) {
        if (kind == QLatin1String(k.name)) {
            t.kind = k.kind;
            known = true;
        }
    }
    if (!known) {
        QStringList names;
        for (const KindName &k : kKinds)
            names.append(QLatin1String(k.name));
        errors->append(QStringLiteral("toxic: must be one of %1").arg(names.join(QStringLiteral(", "))));
        return std::nullopt;
    }
    QStringList allowed;
    switch (t.kind) {
    case Latency: allowed = {QStringLiteral("latency"), QStringLiteral("jitter"), QStringLiteral("stream")}; break;
    case Bandwidth: allowed = {QStringLiteral("rate"), QStringLiteral("stream")}; break;
    case Timeout:
    case ResetPeer: allowed = {QStringLiteral("timeout")}; break;
    case SlowClose: allowed = {QStringLiteral("delay")}; break;
    case None:
    case Down: break;
    }
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        if (!allowed.contains(it.key())) {
            errors->append(QStringLiteral("%1: is not an attribute of %2 (%3)")
                               .arg(it.key(), kind, allowed.isEmpty() ? QStringLiteral("it has none") : allowed.join(QStringLiteral(", "))));
        }
    }
    t.latencyMs = readNumber(attributes, QStringLiteral("latency"), 0, kMaxMs, errors);
    t.jitterMs = readNumber(attributes, QStringLiteral("jitter"), 0, kMaxMs, errors);
    t.timeoutMs = readNumber(attributes, QStringLiteral("timeout"), 0, kMaxMs, errors);
    t.delayMs = readNumber(attributes, QStringLiteral("delay"), 0, kMaxMs, errors);
    if (t.kind == Bandwidth) {
        if (!attributes.contains(QStringLiteral("rate")))
            errors->append(QStringLiteral("rate: is required (KB per second)"));
        t.rateKBps = readNumber(attributes, QStringLiteral("rate"), 1, kMaxRateKBps, errors);
    }
    if (attributes.contains(QStringLiteral("stream"))) {
        const QString stream = attributes.value(QStringLiteral("stream")).toString();
        if (stream == QLatin1String("upstream"))
            t.stream = Upstream;
        else if (stream != QLatin1String("downstream"))
            errors->append(QStringLiteral("stream: must be \"downstream\" or \"upstream\""));
    }
    if (errors->size() != before)
        return std::nullopt;
    return t;
}

QJsonObject Toxic::toJson() const
{
    QJsonObject attributes;
    switch (kind) {
    case Latency:
        attributes = {{QStringLiteral("latency"), latencyMs}, {QStringLiteral("jitter"), jitterMs}};
        break;
    case Bandwidth: attributes = {{QStringLiteral("rate"), rateKBps}}; break;
    case Timeout:
    case ResetPeer: attributes = {{QStringLiteral("timeout"), timeoutMs}}; break;
    case SlowClose: attributes = {{QStringLiteral("delay"), delayMs}}; break;
    case None:
    case Down: break;
    }
    if (kind == Latency || kind == Bandwidth)
        attributes.insert(QStringLiteral("stream"), stream == Upstream ? QStringLiteral("upstream") : QStringLiteral("downstream"));
    return QJsonObject{{QStringLiteral("type"), kindName(kind)}, {QStringLiteral("attributes"), attributes}};
}

} // namespace Gatehouse::Simulation
