#include "functiondefinition.h"

#include "store/cloudevent.h"

#include <QRegularExpression>

namespace Gatehouse {

bool FunctionMatch::matches(const QString &text) const
{
    switch (kind) {
    case Any: return true;
    case Exact: return text == value;
    case Prefix: return text.startsWith(value);
    case Suffix: return text.endsWith(value);
    }
    return false;
}

bool FunctionMatch::parse(const QJsonValue &json, FunctionMatch *out)
{
    *out = {};
    if (json.isUndefined() || json.isNull())
        return true;
    if (json.isString()) {
        *out = {Exact, json.toString()};
        return true;
    }
    const QJsonObject o = json.toObject();
    if (!json.isObject() || o.size() != 1)
        return false;
    if (o.contains(QLatin1String("prefix")) && o.value(QLatin1String("prefix")).isString())
        *out = {Prefix, o.value(QLatin1String("prefix")).toString()};
    else if (o.contains(QLatin1String("suffix")) && o.value(QLatin1String("suffix")).isString())
        *out = {Suffix, o.value(QLatin1String("suffix")).toString()};
    else
        return false;
    return true;
}

bool FunctionEventTrigger::matches(const RecordedEvent &event) const
{
    return type.matches(event.type) && subject.matches(CloudEvent::subjectOf(event))
        && source.matches(QStringLiteral("/gatehouse/") + CloudEvent::collectionOf(event.type));
}

bool FunctionDefinition::wants(const RecordedEvent &event) const
{
    for (const FunctionEventTrigger &t : eventTriggers) {
        if (t.matches(event))
            return true;
    }
    return false;
}

bool FunctionDefinition::isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    return re.match(name).hasMatch();
}

namespace {
int intMember(const QJsonObject &o, const char *key, int fallback, int min, int max, const QString &pointer, QStringList *errors)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined())
        return fallback;
    const double d = v.toDouble(-1e300);
    if (!v.isDouble() || d != double(qint64(d)) || d < min || d > max) {
        errors->append(pointer + QLatin1String(key) + QStringLiteral(": must be an integer from %1 to %2").arg(min).arg(max));
        return fallback;
    }
    return int(d);
}
} // namespace

bool FunctionDefinition::parse(const QString &name, const QJsonObject &json, FunctionDefinition *out, QStringList *errors)
{
    FunctionDefinition f;
    const qsizetype before = errors->size();
    f.name = name;
    if (!isValidName(name))
        errors->append(QStringLiteral("/name: must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    f.runtime = json.value(QLatin1String("runtime")).toString(QStringLiteral("js"));
    if (f.runtime != QLatin1String("js"))
        errors->append(QStringLiteral("/runtime: only \"js\" is supported"));
    if (!json.value(QLatin1String("code")).isString() || json.value(QLatin1String("code")).toString().trimmed().isEmpty())
        errors->append(QStringLiteral("/code: is required (JavaScript defining function handle(input, ctx))"));
    f.code = json.value(QLatin1String("code")).toString();
    f.timeoutMs = intMember(json, "timeout_ms", f.timeoutMs, 1, 600000, QStringLiteral("/"), errors);
    f.maxEventAgeS = intMember(json, "max_event_age_s", f.maxEventAgeS, 1, 365 * 86400, QStringLiteral("/"), errors);
    f.concurrency = intMember(json, "concurrency", f.concurrency, 1, 64, QStringLiteral("/"), errors);
    f.batchSize = intMember(json, "batch_size", f.batchSize, 1, 1000, QStringLiteral("/"), errors);
    f.memoryLimitMb = intMember(json, "memory_limit_mb", f.memoryLimitMb, 0, 65536, QStringLiteral("/"), errors);
    f.instanceIdleS = intMember(json, "instance_idle_s", f.instanceIdleS, 1, 86400, QStringLiteral("/"), errors);
    const QJsonValue retry = json.value(QLatin1String("retry"));
    if (!retry.isUndefined() && !retry.isObject())
        errors->append(QStringLiteral("/retry: must be an object"));
    const QJsonObject r = retry.toObject();
    f.maxAttempts = intMember(r, "max_attempts", f.maxAttempts, 1, 100, QStringLiteral("/retry/"), errors);
    f.delayMs = intMember(r, "delay_ms", f.delayMs, 0, 3600000, QStringLiteral("/retry/"), errors);
    f.maxDelayMs = intMember(r, "max_delay_ms", f.maxDelayMs, 0, 3600000, QStringLiteral("/retry/"), errors);
    f.backoff = r.value(QLatin1String("backoff")).toString(f.backoff);
    if (f.backoff != QLatin1String("exponential") && f.backoff != QLatin1String("fixed"))
        errors->append(QStringLiteral("/retry/backoff: must be \"exponential\" or \"fixed\""));
    const QJsonValue env = json.value(QLatin1String("env"));
    if (!env.isUndefined() && !env.isObject())
        errors->append(QStringLiteral("/env: must be an object"));
    f.env = env.toObject();
    const QJsonValue triggers = json.value(QLatin1String("triggers"));
    if (!triggers.isUndefined() && !triggers.isArray())
        errors->append(QStringLiteral("/triggers: must be an array"));
    f.triggers = triggers.toArray();
    for (qsizetype i = 0; i < f.triggers.size(); ++i) {
        const QString p = QStringLiteral("/triggers/%1").arg(i);
        const QJsonObject t = f.triggers.at(i).toObject();
        const QString type = t.value(QLatin1String("type")).toString();
        if (type == QLatin1String("http")) {
            f.httpTrigger = true;
            continue;
        }
        if (type == QLatin1String("interval")) {
            f.intervalsS.append(intMember(t, "every_s", 60, 1, 7 * 86400, p + u'/', errors));
            if (!t.contains(QLatin1String("every_s")))
                errors->append(p + QStringLiteral("/every_s: is required"));
            continue;
        }
        if (type != QLatin1String("event")) {
            errors->append(p + QStringLiteral("/type: must be \"event\", \"http\" or \"interval\""));
            continue;
        }
        FunctionEventTrigger et;
        const QJsonObject filter = t.value(QLatin1String("filter")).toObject();
        if (!FunctionMatch::parse(filter.value(QLatin1String("type")), &et.type))
            errors->append(p + QStringLiteral("/filter/type: must be a string, {\"prefix\":…} or {\"suffix\":…}"));
        if (!FunctionMatch::parse(filter.value(QLatin1String("subject")), &et.subject))
            errors->append(p + QStringLiteral("/filter/subject: must be a string, {\"prefix\":…} or {\"suffix\":…}"));
        if (!FunctionMatch::parse(filter.value(QLatin1String("source")), &et.source))
            errors->append(p + QStringLiteral("/filter/source: must be a string, {\"prefix\":…} or {\"suffix\":…}"));
        const QJsonValue from = t.value(QLatin1String("from"));
        if (from.isDouble() && from.toDouble() >= 1)
            et.fromPosition = qint64(from.toDouble());
        else if (!from.isUndefined() && from != QJsonValue(QStringLiteral("now")))
            errors->append(p + QStringLiteral("/from: must be \"now\" or a position >= 1"));
        f.eventTriggers.append(et);
    }
    f.version = qint64(json.value(QLatin1String("version")).toDouble(0));
    f.deployedAtMs = qint64(json.value(QLatin1String("deployed_at_ms")).toDouble(0));
    if (errors->size() != before)
        return false;
    *out = f;
    return true;
}

QJsonObject FunctionDefinition::toJson() const
{
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("runtime"), runtime},
        {QStringLiteral("code"), code},
        {QStringLiteral("triggers"), triggers},
        {QStringLiteral("timeout_ms"), timeoutMs},
        {QStringLiteral("retry"), QJsonObject{{QStringLiteral("max_attempts"), maxAttempts}, {QStringLiteral("backoff"), backoff},
                                             {QStringLiteral("delay_ms"), delayMs}, {QStringLiteral("max_delay_ms"), maxDelayMs}}},
        {QStringLiteral("max_event_age_s"), maxEventAgeS},
        {QStringLiteral("concurrency"), concurrency},
        {QStringLiteral("batch_size"), batchSize},
        {QStringLiteral("memory_limit_mb"), memoryLimitMb},
        {QStringLiteral("instance_idle_s"), instanceIdleS},
        {QStringLiteral("env"), env},
        {QStringLiteral("version"), version},
        {QStringLiteral("deployed_at_ms"), deployedAtMs},
    };
}

int FunctionDefinition::retryDelayMs(int attempt) const
{
    qint64 delay = delayMs;
    if (backoff == QLatin1String("exponential"))
        delay = qint64(delayMs) << qBound(0, attempt - 2, 20);
    return int(qMin<qint64>(delay, maxDelayMs));
}

} // namespace Gatehouse
