#include "fieldreader.h"
#include "scenarioreader.h"

#include "config/jsonpointer.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation::ScenarioReader {

namespace {

using L = ScenarioLimits;

constexpr Fault::Kind kKinds[] = {Fault::Function, Fault::Projection, Fault::Broker, Fault::CommitDelay, Fault::Upstream};

const QStringList kCommonMembers{u"kind"_s, u"at"_s, u"for"_s};

QStringList membersOf(Fault::Kind kind)
{
    switch (kind) {
    case Fault::Function: return {u"function"_s, u"error_rate"_s, u"latency"_s};
    case Fault::Projection: return {u"projection"_s, u"pause"_s, u"ms_per_batch"_s};
    case Fault::Broker: return {};
    case Fault::CommitDelay: return {u"delay"_s};
    case Fault::Upstream: return {u"upstream"_s, u"node"_s, u"toxic"_s, u"attributes"_s};
    }
    return {};
}

// Toxiproxy's toxics and their attributes, with its names and units (milliseconds; KB/s
// for bandwidth). Absent attributes take Toxiproxy's default (0) unless required.
struct ToxicAttribute
{
    QString name;
    qint64 max;
    bool required;
};

struct Toxic
{
    QString name;
    QList<ToxicAttribute> attributes;
};

const QList<Toxic> &toxics()
{
    static const QList<Toxic> list{
        {u"latency"_s, {{u"latency"_s, L::kMaxToxicLatencyMs, true}, {u"jitter"_s, L::kMaxToxicLatencyMs, false}}},
        {u"bandwidth"_s, {{u"rate"_s, L::kMaxBandwidthKBps, true}}},
        {u"timeout"_s, {{u"timeout"_s, L::kMaxToxicTimeoutMs, false}}},
        {u"reset_peer"_s, {{u"timeout"_s, L::kMaxToxicTimeoutMs, false}}},
        {u"slow_close"_s, {{u"delay"_s, L::kMaxToxicTimeoutMs, true}}},
        {u"down"_s, {}},
    };
    return list;
}

void readFunction(const FieldReader &f, Fault &fault)
{
    fault.function = f.string(u"function"_s, true, 128).value_or(QString());
    if (f.has(u"function"_s) && fault.function.isEmpty())
        f.error(u"function"_s, u"must name a function"_s);
    fault.errorRate = f.number(u"error_rate"_s, 0, 1).value_or(0);
    fault.latencyMs = f.duration(u"latency"_s, 0, L::kMaxFunctionLatencyMs).value_or(0);
    if (!f.has(u"error_rate"_s) && !f.has(u"latency"_s))
        f.errorHere(u"sets neither error_rate nor latency"_s);
}

void readProjection(const FieldReader &f, Fault &fault)
{
    fault.projection = f.string(u"projection"_s, true, 128).value_or(QString());
    if (f.has(u"projection"_s) && fault.projection.isEmpty())
        f.error(u"projection"_s, u"must name a projection"_s);
    fault.paused = f.boolean(u"pause"_s).value_or(false);
    fault.msPerBatch = f.integer(u"ms_per_batch"_s, 1, L::kMaxMsPerBatch).value_or(0);
    if (fault.paused && f.has(u"ms_per_batch"_s))
        f.error(u"ms_per_batch"_s, u"cannot be combined with \"pause\": a paused projection handles no batch"_s);
    else if (!f.has(u"pause"_s) && !f.has(u"ms_per_batch"_s))
        f.errorHere(u"sets neither pause nor ms_per_batch"_s);
    else if (f.has(u"pause"_s) && !fault.paused && !f.has(u"ms_per_batch"_s))
        f.error(u"pause"_s, u"must be true (or give ms_per_batch)"_s);
}

void readUpstream(const FieldReader &f, Fault &fault)
{
    fault.upstream = f.string(u"upstream"_s, true, 128).value_or(QString());
    if (f.has(u"upstream"_s) && fault.upstream.isEmpty())
        f.error(u"upstream"_s, u"must name an upstream"_s);
    if (const auto node = f.string(u"node"_s, false, 262)) {
        // host:port, the form an http upstream lists its nodes in ("[::1]:8080" for IPv6).
        static const QRegularExpression shape(u"^(?:[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\]):([0-9]{1,5})$"_s);
        const auto match = shape.match(*node);
        if (!match.hasMatch() || match.captured(1).toInt() < 1 || match.captured(1).toInt() > 65535)
            f.error(u"node"_s, u"must be host:port"_s);
        fault.node = *node;
    }
    QStringList names;
    for (const Toxic &t : toxics())
        names.append(t.name);
    const auto toxicName = f.string(u"toxic"_s, true);
    const Toxic *toxic = nullptr;
    for (const Toxic &t : toxics()) {
        if (toxicName && t.name == *toxicName)
            toxic = &t;
    }
    if (toxicName && !toxic)
        f.error(u"toxic"_s, u"must be one of: "_s % names.join(u", "));
    const auto attributes = f.object(u"attributes"_s);
    if (!toxic)
        return;
    fault.toxic = toxic->name;
    FieldReader a(attributes.value_or(QJsonObject()), f.at(u"attributes"_s), f.errors());
    QStringList known;
    for (const ToxicAttribute &attribute : toxic->attributes)
        known.append(attribute.name);
    a.allowOnly(known, {u"latency"_s, u"jitter"_s, u"rate"_s, u"timeout"_s, u"delay"_s},
                u"is not an attribute of the "_s % toxic->name % u" toxic ("_s
                    % (known.isEmpty() ? u"it has none"_s : u"it takes "_s % known.join(u", ")) % u')');
    for (const ToxicAttribute &attribute : toxic->attributes) {
        if (attribute.required && !attributes) {
            f.error(u"attributes"_s, u"is required: the "_s % toxic->name % u" toxic needs \""_s % attribute.name % u'"');
            continue;
        }
        // Filled in with the default, so that whoever applies the toxic sees every attribute.
        const auto v = a.integer(attribute.name, 0, attribute.max, attribute.required);
        fault.toxicAttributes.insert(attribute.name, double(v.value_or(0)));
    }
}

} // namespace

std::optional<Fault> readFault(const QJsonValue &json, const QString &pointer, Context &context)
{
    if (!json.isObject()) {
        context.errors->append(pointer % u": must be an object"_s);
        return std::nullopt;
    }
    FieldReader f(json.toObject(), pointer, context.errors);
    const int before = f.errorCount();
    Fault fault;
    QStringList allMembers;
    QStringList names;
    for (const auto kind : kKinds) {
        allMembers += membersOf(kind);
        names.append(Fault::kindName(kind));
    }
    std::optional<Fault::Kind> kind;
    if (const auto name = f.string(u"kind"_s, true)) {
        for (const auto candidate : kKinds) {
            if (Fault::kindName(candidate) == *name)
                kind = candidate;
        }
        if (!kind)
            f.error(u"kind"_s, u"must be one of: "_s % names.join(u", "));
        else if (context.remoteTarget)
            f.error(u"kind"_s, u"needs the scenario to run against this engine: remove \"target\" or this fault"_s);
    }
    fault.atMs = f.duration(u"at"_s, 0, L::kMaxDurationMs).value_or(0);
    // 0 (or absent): until the run ends. A fault is always switched off when the run ends.
    fault.forMs = f.duration(u"for"_s, 0, L::kMaxDurationMs).value_or(0);
    if (context.durationMs > 0 && fault.atMs >= context.durationMs)
        f.error(u"at"_s, u"must be before the end of the scenario ("_s % FieldReader::formatDuration(context.durationMs) % u')');
    if (!kind) {
        f.allowOnly(kCommonMembers + allMembers);
        return std::nullopt;
    }
    fault.kind = *kind;
    f.allowOnly(kCommonMembers + membersOf(fault.kind), allMembers,
                u"is not used by a \""_s % Fault::kindName(fault.kind) % u"\" fault"_s);
    switch (fault.kind) {
    case Fault::Function: readFunction(f, fault); break;
    case Fault::Projection: readProjection(f, fault); break;
    case Fault::Broker: break;
    case Fault::CommitDelay: fault.latencyMs = f.duration(u"delay"_s, 1, L::kMaxCommitDelayMs, true).value_or(0); break;
    case Fault::Upstream: readUpstream(f, fault); break;
    }
    if (f.errorCount() > before)
        return std::nullopt;
    return fault;
}

} // namespace Gatehouse::Simulation::ScenarioReader
