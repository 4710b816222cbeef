#include "schemaevolution.h"

#include "jsonpointer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Gatehouse {

namespace {

constexpr int kMaxEntries = 256;   // members named by one step, all maps together

void addError(QStringList *errors, const QString &pointer, const QString &message)
{
    if (errors)
        errors->append(pointer % u": "_s % message);
}

bool isCastType(const QString &type)
{
    return type == u"string" || type == u"number" || type == u"integer" || type == u"boolean";
}

QJsonValue castValue(const QJsonValue &v, const QString &type)
{
    if (type == u"string") {
        if (v.isBool())
            return v.toBool() ? u"true"_s : u"false"_s;
        if (v.isDouble()) {
            const double d = v.toDouble();
            if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9007199254740992.0)
                return QString::number(qint64(d));
            return QString::number(d, 'g', 17);
        }
        return v;
    }
    if (type == u"boolean") {
        if (v.isString() && (v.toString() == u"true" || v.toString() == u"false"))
            return v.toString() == u"true";
        if (v.isDouble())
            return v.toDouble() != 0;
        return v;
    }
    // number, integer
    double d = 0;
    if (v.isDouble()) {
        d = v.toDouble();
    } else if (v.isString()) {
        bool ok = false;
        d = v.toString().trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(d))
            return v;
    } else if (v.isBool()) {
        d = v.toBool() ? 1 : 0;
    } else {
        return v;
    }
    if (type == u"integer")
        d = std::round(d);
    return d;
}

// A property's "type" as a set; empty: any type.
QSet<QString> typesOf(const QJsonObject &property)
{
    QSet<QString> types;
    const QJsonValue t = property.value(u"type");
    if (t.isString())
        types.insert(t.toString());
    for (const QJsonValue &v : t.toArray())
        types.insert(v.toString());
    return types;
}

QStringList requiredOf(const QJsonObject &schema)
{
    QStringList out;
    for (const QJsonValue &v : schema.value(u"required").toArray())
        out.append(v.toString());
    return out;
}

QString json(const QJsonValue &v)
{
    if (v.isString())
        return u'"' % v.toString() % u'"';
    const QJsonArray wrapped{v};
    const QByteArray text = QJsonDocument(wrapped).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(text.mid(1, text.size() - 2));
}

} // namespace

std::optional<UpcastStep> UpcastStep::fromJson(const QJsonValue &value, QStringList *errors, const QString &pointer)
{
    if (!value.isObject()) {
        addError(errors, pointer, u"must be an object with rename, values, cast, remove and default"_s);
        return std::nullopt;
    }
    const qsizetype before = errors ? errors->size() : 0;
    bool bad = false;
    const auto fail = [&](const QString &at, const QString &message) {
        addError(errors, at, message);
        bad = true;
    };
    // "id" is the entity's, not the schema's: no step may move or change it.
    const auto checkField = [&](const QString &at, const QString &field) {
        if (field.isEmpty())
            fail(at, u"must name a member"_s);
        else if (field == u"id")
            fail(at, u"\"id\" is the entity's id; an upcaster cannot change it"_s);
    };
    UpcastStep step;
    int entries = 0;
    const QJsonObject o = value.toObject();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        const QString at = JsonPointer::append(pointer, it.key());
        const QString key = it.key();
        if (key != u"remove" && key != u"rename" && key != u"values" && key != u"cast" && key != u"default") {
            fail(at, u"unknown upcaster member (rename, values, cast, remove or default)"_s);
            continue;
        }
        if (key == u"remove") {
            if (!it.value().isArray()) {
                fail(at, u"must be an array of member names"_s);
                continue;
            }
            const QJsonArray names = it.value().toArray();
            for (qsizetype i = 0; i < names.size(); ++i) {
                const QString itemAt = JsonPointer::append(at, i);
                if (!names.at(i).isString())
                    fail(itemAt, u"must be a member name"_s);
                else
                    checkField(itemAt, names.at(i).toString());
                if (!step.remove.contains(names.at(i).toString()))
                    step.remove.append(names.at(i).toString());
                ++entries;
            }
            continue;
        }
        if (!it.value().isObject()) {
            fail(at, u"must be an object"_s);
            continue;
        }
        const QJsonObject members = it.value().toObject();
        entries += int(members.size());
        if (key == u"rename") {
            QSet<QString> targets;
            for (auto m = members.constBegin(); m != members.constEnd(); ++m) {
                const QString memberAt = JsonPointer::append(at, m.key());
                checkField(memberAt, m.key());
                if (!m.value().isString()) {
                    fail(memberAt, u"must be the member's new name"_s);
                    continue;
                }
                const QString target = m.value().toString();
                checkField(memberAt, target);
                if (target == m.key())
                    fail(memberAt, u"renames the member to itself"_s);
                else if (targets.contains(target))
                    fail(memberAt, u"two members renamed to \""_s % target.left(64) % u'"');
                targets.insert(target);
                step.rename.append({m.key(), target});
            }
        } else if (key == u"values") {
            for (auto m = members.constBegin(); m != members.constEnd(); ++m) {
                const QString memberAt = JsonPointer::append(at, m.key());
                checkField(memberAt, m.key());
                if (!m.value().isObject())
                    fail(memberAt, u"must map old string values to new values: {\"old\": \"new\"}"_s);
                else
                    step.values.insert(m.key(), m.value().toObject());
            }
        } else if (key == u"cast") {
            for (auto m = members.constBegin(); m != members.constEnd(); ++m) {
                const QString memberAt = JsonPointer::append(at, m.key());
                checkField(memberAt, m.key());
                if (!isCastType(m.value().toString()))
                    fail(memberAt, u"must be \"string\", \"number\", \"integer\" or \"boolean\""_s);
                else
                    step.cast.insert(m.key(), m.value().toString());
            }
        } else if (key == u"default") {
            for (auto m = members.constBegin(); m != members.constEnd(); ++m)
                checkField(JsonPointer::append(at, m.key()), m.key());
            step.defaults = members;
        }
    }
    if (entries > kMaxEntries)
        fail(pointer, u"names at most %1 members"_s.arg(kMaxEntries));
    if (bad || (errors && errors->size() > before))
        return std::nullopt;
    return step;
}

QJsonObject UpcastStep::toJson() const
{
    QJsonObject o;
    if (!rename.isEmpty()) {
        QJsonObject r;
        for (const auto &[from, to] : rename)
            r.insert(from, to);
        o.insert(u"rename"_s, r);
    }
    if (!values.isEmpty()) {
        QJsonObject v;
        for (auto it = values.cbegin(); it != values.cend(); ++it)
            v.insert(it.key(), it.value());
        o.insert(u"values"_s, v);
    }
    if (!cast.isEmpty()) {
        QJsonObject c;
        for (auto it = cast.cbegin(); it != cast.cend(); ++it)
            c.insert(it.key(), it.value());
        o.insert(u"cast"_s, c);
    }
    if (!remove.isEmpty())
        o.insert(u"remove"_s, QJsonArray::fromStringList(remove));
    if (!defaults.isEmpty())
        o.insert(u"default"_s, defaults);
    return o;
}

void UpcastStep::apply(QJsonObject &data, bool wholeDocument) const
{
    if (!rename.isEmpty()) {
        // All at once, so that {"a": "b", "b": "a"} swaps.
        QList<std::pair<QString, QJsonValue>> moved;
        for (const auto &[from, to] : rename) {
            const auto it = data.find(from);
            if (it != data.end()) {
                moved.append({to, it.value()});
                data.erase(it);
            }
        }
        for (const auto &[to, v] : std::as_const(moved))
            data.insert(to, v);
    }
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        const auto member = data.find(it.key());
        if (member != data.end() && member.value().isString()) {
            const auto mapped = it.value().constFind(member.value().toString());
            if (mapped != it.value().constEnd())
                member.value() = mapped.value();
        }
    }
    for (auto it = cast.cbegin(); it != cast.cend(); ++it) {
        const auto member = data.find(it.key());
        if (member != data.end())
            member.value() = castValue(member.value(), it.value());
    }
    for (const QString &name : remove)
        data.remove(name);
    if (wholeDocument) {
        for (auto it = defaults.constBegin(); it != defaults.constEnd(); ++it) {
            if (!data.contains(it.key()))
                data.insert(it.key(), it.value());
        }
    }
}

bool UpcastStep::renamesInto(const QString &field) const
{
    return std::any_of(rename.cbegin(), rename.cend(), [&](const auto &r) { return r.second == field; });
}

bool UpcastStep::renamesAway(const QString &field) const
{
    return std::any_of(rename.cbegin(), rename.cend(), [&](const auto &r) { return r.first == field; });
}

namespace SchemaEvolution {

QString Break::toString() const
{
    return u"/schema/properties/"_s % JsonPointer::escapeToken(field) % u": "_s % rule % u": "_s % message % u"; "_s % fix;
}

QList<Break> breakingChanges(const QJsonObject &before, const QJsonObject &after, const UpcastStep *step, int fromVersion)
{
    static const UpcastStep none;
    const UpcastStep &s = step ? *step : none;
    const QString stepAt = u"\"upcasters\": {\""_s % QString::number(fromVersion) % u"\": "_s;
    const QJsonObject oldProperties = before.value(u"properties").toObject();
    const QJsonObject newProperties = after.value(u"properties").toObject();
    const QStringList oldRequired = requiredOf(before);
    QList<Break> out;

    for (const QString &field : requiredOf(after)) {
        if (oldRequired.contains(field) || newProperties.value(field).toObject().contains(u"default"))
            continue;
        if (s.defaults.contains(field) || s.renamesInto(field))
            continue;
        out.append({u"required-without-default"_s, field,
                    u"\""_s % field % u"\" is newly required and events of version %1 may not have it"_s.arg(fromVersion),
                    u"add a \"default\" to the property in the schema, or "_s % stepAt % u"{\"default\": {\""_s % field
                        % u"\": ...}}} (or a \"rename\" into it)"_s});
    }

    for (auto it = newProperties.constBegin(); it != newProperties.constEnd(); ++it) {
        const QString &field = it.key();
        if (!oldProperties.contains(field) || s.remove.contains(field) || s.renamesAway(field))
            continue;
        const QJsonObject was = oldProperties.value(field).toObject();
        const QJsonObject is = it.value().toObject();

        const QSet<QString> oldTypes = typesOf(was);
        const QSet<QString> newTypes = typesOf(is);
        if (!newTypes.isEmpty() && !s.cast.contains(field)) {
            QStringList lost;
            if (oldTypes.isEmpty()) {
                lost.append(u"any"_s);
            } else {
                for (const QString &t : oldTypes) {
                    if (!newTypes.contains(t) && !(t == u"integer" && newTypes.contains(u"number"_s)))
                        lost.append(t);
                }
            }
            if (!lost.isEmpty()) {
                lost.sort();
                QStringList target = newTypes.values();
                target.sort();
                target.removeAll(u"null"_s);
                out.append({u"narrowed-type"_s, field,
                            u"\""_s % field % u"\" no longer takes %1 values, which events of version %2 may hold"_s.arg(lost.join(u", "), QString::number(fromVersion)),
                            u"add "_s % stepAt % u"{\"cast\": {\""_s % field % u"\": \""_s % target.value(0, u"string"_s) % u"\"}}} (or \"remove\" it)"_s});
            }
        }

        if (!is.contains(u"enum"))
            continue;
        const QJsonArray newEnum = is.value(u"enum").toArray();
        const QJsonObject mapping = s.values.value(field);
        if (!was.contains(u"enum")) {
            if (!s.values.contains(field) && !s.cast.contains(field)) {
                out.append({u"added-enum"_s, field,
                            u"\""_s % field % u"\" now takes only the values of its enum; events of version %1 may hold others"_s.arg(fromVersion),
                            u"add "_s % stepAt % u"{\"values\": {\""_s % field % u"\": {\"<old value>\": "_s
                                % json(newEnum.first()) % u"}}}} mapping the values old events hold"_s});
            }
            continue;
        }
        QStringList removed;
        for (const QJsonValue &v : was.value(u"enum").toArray()) {
            if (newEnum.contains(v))
                continue;
            if (v.isString() && mapping.contains(v.toString()) && newEnum.contains(mapping.value(v.toString())))
                continue;
            removed.append(json(v));
        }
        if (!removed.isEmpty()) {
            out.append({u"removed-enum-value"_s, field,
                        u"\""_s % field % u"\" no longer takes %1, which events of version %2 may hold"_s.arg(removed.join(u", "), QString::number(fromVersion)),
                        u"add "_s % stepAt % u"{\"values\": {\""_s % field % u"\": {"_s % removed.first() % u": "_s
                            % json(newEnum.isEmpty() ? QJsonValue() : newEnum.first()) % u"}}}} mapping each removed value to one that remains"_s});
        }
    }
    return out;
}

void addSchemaDefaults(const QJsonObject &before, const QJsonObject &after, UpcastStep &step)
{
    const QStringList oldRequired = requiredOf(before);
    const QJsonObject properties = after.value(u"properties").toObject();
    for (const QString &field : requiredOf(after)) {
        if (oldRequired.contains(field) || step.defaults.contains(field) || step.renamesInto(field) || field == u"id")
            continue;
        const QJsonObject property = properties.value(field).toObject();
        if (property.contains(u"default"))
            step.defaults.insert(field, property.value(u"default"));
    }
}

QString dataschema(const QString &collection, int version)
{
    return u"/schemas/"_s % collection % u'/' % QString::number(version);
}

} // namespace SchemaEvolution

} // namespace Gatehouse
