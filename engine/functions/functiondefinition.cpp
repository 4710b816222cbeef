#include "functiondefinition.h"

#include "store/cloudevent.h"

#include <QRegularExpression>

#include <cmath>
#include <limits>

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

QString FunctionDefinition::isolationName(Isolation isolation)
{
    return isolation == Isolation::Thread ? QStringLiteral("thread") : QStringLiteral("process");
}

namespace {

// Collects "/pointer: message" errors while the members of one JSON object are read.
class Reader
{
public:
    Reader(const QJsonObject &object, QString pointer, QStringList *errors)
        : m_object(object), m_pointer(std::move(pointer)), m_errors(errors) {}

    void error(const QString &key, const QString &message) { m_errors->append(m_pointer + key + QStringLiteral(": ") + message); }

    // Every member must be one of `known`.
    void only(std::initializer_list<const char *> known)
    {
        for (auto it = m_object.begin(); it != m_object.end(); ++it) {
            bool found = false;
            for (const char *k : known)
                found = found || it.key() == QLatin1String(k);
            if (!found) {
                QStringList names;
                for (const char *k : known)
                    names.append(QLatin1String(k));
                error(it.key(), QStringLiteral("unknown member (known: %1)").arg(names.join(QStringLiteral(", "))));
            }
        }
    }

    qint64 integer(const char *key, qint64 fallback, qint64 min, qint64 max)
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined())
            return fallback;
        const double d = v.toDouble(-1e300);
        if (!v.isDouble() || d != std::floor(d) || d < double(min) || d > double(max)) {
            error(QLatin1String(key), QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max));
            return fallback;
        }
        return qint64(d);
    }

    QString oneOf(const char *key, const QString &fallback, const QStringList &allowed)
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (v.isUndefined())
            return fallback;
        if (!v.isString() || !allowed.contains(v.toString())) {
            error(QLatin1String(key), QStringLiteral("must be one of \"%1\"").arg(allowed.join(QStringLiteral("\", \""))));
            return fallback;
        }
        return v.toString();
    }

    QJsonObject object(const char *key)
    {
        const QJsonValue v = m_object.value(QLatin1String(key));
        if (!v.isUndefined() && !v.isObject())
            error(QLatin1String(key), QStringLiteral("must be an object"));
        return v.toObject();
    }

    QString pointer(const char *key) const { return m_pointer + QLatin1String(key) + u'/'; }

private:
    QJsonObject m_object;
    QString m_pointer;
    QStringList *m_errors;
};

void parseTrigger(const QJsonValue &value, const QString &pointer, FunctionDefinition *f, QStringList *errors)
{
    if (!value.isObject()) {
        errors->append(pointer + QStringLiteral(": must be an object with a \"type\""));
        return;
    }
    const QJsonObject t = value.toObject();
    Reader r(t, pointer + u'/', errors);
    const QString type = r.oneOf("type", QString(), {QStringLiteral("event"), QStringLiteral("http"), QStringLiteral("interval")});
    if (type.isEmpty()) {
        if (!t.contains(QLatin1String("type")))
            r.error(QStringLiteral("type"), QStringLiteral("is required"));
        return;
    }
    if (type == QLatin1String("http")) {
        r.only({"type"});
        f->httpTrigger = true;
        return;
    }
    if (type == QLatin1String("interval")) {
        r.only({"type", "every_s"});
        if (!t.contains(QLatin1String("every_s")))
            r.error(QStringLiteral("every_s"), QStringLiteral("is required"));
        f->intervalsS.append(int(r.integer("every_s", 60, 1, 7 * 86400)));
        return;
    }
    r.only({"type", "filter", "from"});
    FunctionEventTrigger et;
    const QJsonObject filter = r.object("filter");
    Reader fr(filter, r.pointer("filter"), errors);
    fr.only({"type", "subject", "source"});
    const QString match = QStringLiteral("must be a string, {\"prefix\":…} or {\"suffix\":…}");
    if (!FunctionMatch::parse(filter.value(QLatin1String("type")), &et.type))
        fr.error(QStringLiteral("type"), match);
    if (!FunctionMatch::parse(filter.value(QLatin1String("subject")), &et.subject))
        fr.error(QStringLiteral("subject"), match);
    if (!FunctionMatch::parse(filter.value(QLatin1String("source")), &et.source))
        fr.error(QStringLiteral("source"), match);
    const QJsonValue from = t.value(QLatin1String("from"));
    if (from.isDouble())
        et.fromPosition = r.integer("from", -1, 1, std::numeric_limits<qint32>::max() * qint64(1024));
    else if (!from.isUndefined() && from != QJsonValue(QStringLiteral("now")))
        r.error(QStringLiteral("from"), QStringLiteral("must be \"now\" or a position >= 1"));
    f->eventTriggers.append(et);
}

} // namespace

bool FunctionDefinition::parse(const QString &name, const QJsonObject &json, FunctionDefinition *out, QStringList *errors)
{
    FunctionDefinition f;
    const qsizetype before = errors->size();
    Reader r(json, QStringLiteral("/"), errors);
    r.only({"name", "runtime", "code", "isolation", "triggers", "timeout_ms", "retry", "max_event_age_s", "concurrency", "batch_size",
            "memory_limit_mb", "instance_idle_s", "env", "version", "deployed_at_ms", "rolled_back_from"});
    f.name = name;
    if (!isValidName(name))
        errors->append(QStringLiteral("/name: must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    else if (json.contains(QLatin1String("name")) && json.value(QLatin1String("name")) != QJsonValue(name))
        r.error(QStringLiteral("name"), QStringLiteral("must be the name in the path, \"%1\"").arg(name));
    f.runtime = r.oneOf("runtime", f.runtime, {QStringLiteral("js")});
    const QJsonValue code = json.value(QLatin1String("code"));
    if (!code.isString() || code.toString().trimmed().isEmpty())
        r.error(QStringLiteral("code"), QStringLiteral("is required: a string of JavaScript defining function handle(input, ctx)"));
    f.code = code.toString();
    f.isolation = r.oneOf("isolation", QStringLiteral("process"), {QStringLiteral("process"), QStringLiteral("thread")}) == QLatin1String("thread")
        ? Isolation::Thread : Isolation::Process;
    f.timeoutMs = int(r.integer("timeout_ms", f.timeoutMs, 1, 600000));
    f.maxEventAgeS = int(r.integer("max_event_age_s", f.maxEventAgeS, 1, 365 * 86400));
    f.concurrency = int(r.integer("concurrency", f.concurrency, 1, 64));
    f.batchSize = int(r.integer("batch_size", f.batchSize, 1, 1000));
    f.memoryLimitMb = int(r.integer("memory_limit_mb", f.memoryLimitMb, 0, 65536));
    f.instanceIdleS = int(r.integer("instance_idle_s", f.instanceIdleS, 1, 86400));
    const QJsonObject retry = r.object("retry");
    Reader rr(retry, QStringLiteral("/retry/"), errors);
    rr.only({"max_attempts", "backoff", "delay_ms", "max_delay_ms"});
    f.maxAttempts = int(rr.integer("max_attempts", f.maxAttempts, 1, 100));
    f.delayMs = int(rr.integer("delay_ms", f.delayMs, 0, 3600000));
    f.maxDelayMs = int(rr.integer("max_delay_ms", f.maxDelayMs, 0, 3600000));
    f.backoff = rr.oneOf("backoff", f.backoff, {QStringLiteral("exponential"), QStringLiteral("fixed")});
    f.env = r.object("env");
    const QJsonValue triggers = json.value(QLatin1String("triggers"));
    if (!triggers.isUndefined() && !triggers.isArray())
        r.error(QStringLiteral("triggers"), QStringLiteral("must be an array"));
    f.triggers = triggers.toArray();
    for (qsizetype i = 0; i < f.triggers.size(); ++i)
        parseTrigger(f.triggers.at(i), QStringLiteral("/triggers/%1").arg(i), &f, errors);
    f.version = r.integer("version", 0, 0, std::numeric_limits<qint64>::max() / 2);
    f.deployedAtMs = r.integer("deployed_at_ms", 0, 0, std::numeric_limits<qint64>::max() / 2);
    f.rolledBackFrom = r.integer("rolled_back_from", 0, 1, std::numeric_limits<qint64>::max() / 2);
    if (errors->size() != before)
        return false;
    *out = f;
    return true;
}

QJsonObject FunctionDefinition::toJson() const
{
    QJsonObject o{
        {QStringLiteral("name"), name},
        {QStringLiteral("runtime"), runtime},
        {QStringLiteral("code"), code},
        {QStringLiteral("isolation"), isolationName(isolation)},
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
    if (rolledBackFrom > 0)
        o.insert(QStringLiteral("rolled_back_from"), rolledBackFrom);
    return o;
}

int FunctionDefinition::retryDelayMs(int attempt) const
{
    qint64 delay = delayMs;
    if (backoff == QLatin1String("exponential"))
        delay = qint64(delayMs) << qBound(0, attempt - 2, 20);
    return int(qMin<qint64>(delay, maxDelayMs));
}

} // namespace Gatehouse
