#include "configexport.h"

#include "config/strictjson.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Gatehouse::ConfigExport {

namespace {
const QStringList kKinds{QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                         QStringLiteral("global_rules")};
// Every upstream type but http is served by the engine itself.
bool isInternal(const QString &type)
{
    return type != QLatin1String("http");
}

// APISIX labels are strings: other JSON values travel as "json:<text>".
QString labelValue(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    return QStringLiteral("json:") + QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).chopped(1).mid(1));
}

QJsonValue fromLabelValue(const QJsonValue &v)
{
    const QString s = v.toString();
    if (!s.startsWith(QLatin1String("json:")))
        return v;
    const std::optional<QJsonValue> value = StrictJson::parse(s.mid(5).toUtf8());
    return value ? *value : v;   // not one of ours: the label stays text
}
const QString kLabelUpstream = QStringLiteral("gatehouse_upstream");

QJsonObject withoutTimes(QJsonObject o)
{
    o.remove(QStringLiteral("create_time"));
    o.remove(QStringLiteral("update_time"));
    return o;
}

// Our upstream -> APISIX upstream (nodes, roundrobin).
QJsonObject apisixUpstream(const QJsonObject &up, const QString &engineAddress)
{
    QJsonObject out;
    out.insert(QStringLiteral("type"), QStringLiteral("roundrobin"));
    if (up.value(QStringLiteral("type")).toString() == QLatin1String("http")) {
        for (const QString &key : up.keys()) {
            if (key != QLatin1String("type"))
                out.insert(key, up.value(key));
        }
        return out;
    }
    // Every engine on the database serves every route: each is a node of equal weight.
    QJsonObject nodes;
    for (const QString &node : engineAddress.split(QLatin1Char(','), Qt::SkipEmptyParts))
        nodes.insert(node.trimmed(), 1);
    out.insert(QStringLiteral("nodes"), nodes);
    return out;
}

QJsonObject fromApisixUpstream(const QJsonObject &up)
{
    QJsonObject out = up;
    out.insert(QStringLiteral("type"), QStringLiteral("http"));
    return out;
}

// A named upstream of an internal type keeps what it was in labels (APISIX upstreams have them).
QJsonObject upstreamToApisix(const QJsonObject &up, const QString &engineAddress)
{
    QJsonObject out = apisixUpstream(up, engineAddress);
    const QString type = up.value(QStringLiteral("type")).toString();
    if (isInternal(type)) {
        QJsonObject labels{{kLabelUpstream, type}};
        for (const QString &key : up.keys()) {
            if (key == QLatin1String("id") || key == QLatin1String("name"))
                out.insert(key, up.value(key));
            else if (key != QLatin1String("type"))
                labels.insert(QStringLiteral("gatehouse_") + key, labelValue(up.value(key)));
        }
        out.insert(QStringLiteral("labels"), labels);
    }
    return out;
}

QJsonObject upstreamFromApisix(const QJsonObject &up)
{
    const QJsonObject labels = up.value(QStringLiteral("labels")).toObject();
    if (!labels.contains(kLabelUpstream))
        return fromApisixUpstream(up);
    QJsonObject out{{QStringLiteral("type"), labels.value(kLabelUpstream)}};
    for (const QString &key : {QStringLiteral("id"), QStringLiteral("name")}) {
        if (up.contains(key))
            out.insert(key, up.value(key));
    }
    for (const QString &key : labels.keys()) {
        if (key.startsWith(QLatin1String("gatehouse_")) && key != kLabelUpstream)
            out.insert(key.mid(10), fromLabelValue(labels.value(key)));
    }
    return out;
}

QJsonObject routeToApisix(QJsonObject route, const QString &engineAddress)
{
    route = withoutTimes(route);
    if (route.contains(QStringLiteral("upstream"))) {
        const QJsonObject up = route.value(QStringLiteral("upstream")).toObject();
        const QString type = up.value(QStringLiteral("type")).toString();
        if (isInternal(type)) {
            QJsonObject labels = route.value(QStringLiteral("labels")).toObject();
            labels.insert(kLabelUpstream, type);
            for (const QString &key : up.keys()) {
                if (key != QLatin1String("type"))
                    labels.insert(QStringLiteral("gatehouse_") + key, labelValue(up.value(key)));
            }
            route.insert(QStringLiteral("labels"), labels);
        }
        route.insert(QStringLiteral("upstream"), apisixUpstream(up, engineAddress));
    }
    // APISIX refuses an empty host list; leave it out and remember that it was there.
    if (route.contains(QStringLiteral("hosts")) && route.value(QStringLiteral("hosts")).toArray().isEmpty()) {
        route.remove(QStringLiteral("hosts"));
        QJsonObject labels = route.value(QStringLiteral("labels")).toObject();
        labels.insert(QStringLiteral("gatehouse_hosts"), QStringLiteral("json:[]"));
        route.insert(QStringLiteral("labels"), labels);
    }
    return route;
}

QJsonObject routeFromApisix(QJsonObject route)
{
    QJsonObject labels = route.value(QStringLiteral("labels")).toObject();
    if (labels.contains(QStringLiteral("gatehouse_hosts"))) {
        route.insert(QStringLiteral("hosts"), fromLabelValue(labels.take(QStringLiteral("gatehouse_hosts"))));
        if (labels.isEmpty())
            route.remove(QStringLiteral("labels"));
        else
            route.insert(QStringLiteral("labels"), labels);
    }
    if (labels.contains(kLabelUpstream)) {
        QJsonObject up{{QStringLiteral("type"), labels.value(kLabelUpstream)}};
        for (const QString &key : labels.keys()) {
            if (key.startsWith(QLatin1String("gatehouse_")) && key != kLabelUpstream) {
                up.insert(key.mid(10), fromLabelValue(labels.value(key)));
                labels.remove(key);
            }
        }
        labels.remove(kLabelUpstream);
        route.insert(QStringLiteral("upstream"), up);
        if (labels.isEmpty())
            route.remove(QStringLiteral("labels"));
        else
            route.insert(QStringLiteral("labels"), labels);
    } else if (route.contains(QStringLiteral("upstream"))) {
        route.insert(QStringLiteral("upstream"), fromApisixUpstream(route.value(QStringLiteral("upstream")).toObject()));
    }
    return route;
}
} // namespace

QByteArray toJson(const Resources &resources, qint64 version, const QJsonArray &scenarios, const QJsonArray &collections)
{
    QJsonObject root{{QStringLiteral("gatehouse_config"), 1}, {QStringLiteral("config_version"), version}};
    for (const QString &kind : kKinds) {
        QJsonArray items;
        for (const QJsonValue &v : resources.value(kind))
            items.append(withoutTimes(v.toObject()));
        root.insert(kind, items);
    }
    QJsonArray scenarioItems;
    for (const QJsonValue &v : scenarios)
        scenarioItems.append(withoutTimes(v.toObject()));
    root.insert(QStringLiteral("scenarios"), scenarioItems);
    if (!collections.isEmpty()) {
        QJsonArray collectionItems;
        for (const QJsonValue &v : collections)
            collectionItems.append(withoutTimes(v.toObject()));
        root.insert(QStringLiteral("collections"), collectionItems);
    }
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray toApisixYaml(const Resources &resources, const QString &engineAddress)
{
    // Each item is a JSON object on one line: YAML 1.2 reads JSON flow style as it is, so the
    // file is valid apisix.yaml and stays exact for every value.
    QByteArray out = "# APISIX standalone configuration exported by gatehouse.\n"
                     "# Internal upstreams point at the Gatehouse engine on " + engineAddress.toUtf8() + ".\n";
    for (const QString &kind : kKinds) {
        const QJsonArray items = resources.value(kind);
        if (items.isEmpty()) {
            out += kind.toUtf8() + ": []\n";
            continue;
        }
        out += kind.toUtf8() + ":\n";
        for (const QJsonValue &v : items) {
            QJsonObject o = withoutTimes(v.toObject());
            if (kind == QLatin1String("routes"))
                o = routeToApisix(o, engineAddress);
            else if (kind == QLatin1String("upstreams"))
                o = upstreamToApisix(o, engineAddress);
            out += "  - " + QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
        }
    }
    out += "#END\n";
    return out;
}

std::optional<QJsonObject> readDocument(const QByteArray &content, QString *error)
{
    const QByteArray trimmed = content.trimmed();
    if (trimmed.startsWith('{')) {
        StrictJson::Error parseError;
        const std::optional<QJsonObject> doc = StrictJson::parseObject(content, &parseError);
        if (!doc) {
            *error = QStringLiteral("not valid JSON: ") + parseError.toString();
            return std::nullopt;
        }
        QJsonObject root = *doc;
        for (const QString &kind : kKinds) {
            const QJsonValue section = root.value(kind);
            if (!section.isArray())
                continue;   // the schema names what is wrong with it
            QJsonArray items;
            for (const QJsonValue &v : section.toArray())
                items.append(v.isObject() ? QJsonValue(withoutTimes(v.toObject())) : v);
            root.insert(kind, items);
        }
        return root;
    }
    // apisix.yaml in the form we write: "kind:" lines followed by "  - {json}" lines.
    // Strictly: a section given twice, a section header without items (YAML's null, which
    // APISIX would not read as "none") and anything but comments after #END are refused, not
    // guessed at.
    QJsonObject out;
    QString kind;
    int kindLine = 0;
    qsizetype kindItems = 0;   // items under `kind` so far; -1: written as "kind: []"
    int lineNo = 0;
    int endLine = 0;
    const auto sectionWithoutItems = [&]() -> bool {
        if (!kind.isEmpty() && kindItems == 0) {
            *error = QStringLiteral("line %1: section '%2' has no items (write '%2: []' for none)").arg(kindLine).arg(kind);
            return true;
        }
        return false;
    };
    for (const QByteArray &raw : content.split('\n')) {
        ++lineNo;
        const QByteArray line = raw.trimmed();
        if (endLine) {
            if (!line.isEmpty() && !line.startsWith('#')) {
                *error = QStringLiteral("line %1: text after #END (line %2)").arg(lineNo).arg(endLine);
                return std::nullopt;
            }
            continue;
        }
        if (line == "#END") {
            endLine = lineNo;
            continue;
        }
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const bool header = !raw.startsWith(' ') && (line.endsWith(':') || line.endsWith(": []"));
        if (header) {
            if (sectionWithoutItems())
                return std::nullopt;
            const bool empty = line.endsWith(": []");
            kind = QString::fromUtf8(empty ? line.chopped(4) : line.chopped(1));
            kindLine = lineNo;
            kindItems = empty ? -1 : 0;
            if (out.contains(kind)) {
                *error = QStringLiteral("line %1: section '%2' appears a second time").arg(lineNo).arg(kind);
                return std::nullopt;
            }
        } else if (line.startsWith("- {") && !kind.isEmpty() && kindItems >= 0) {
            ++kindItems;
            StrictJson::Error parseError;
            const std::optional<QJsonObject> doc = StrictJson::parseObject(QByteArrayView(line).sliced(2), &parseError);
            if (!doc) {
                *error = QStringLiteral("line %1: %2").arg(lineNo).arg(parseError.toString());
                return std::nullopt;
            }
            QJsonObject o = withoutTimes(*doc);
            if (kind == QLatin1String("routes"))
                o = routeFromApisix(o);
            else if (kind == QLatin1String("upstreams"))
                o = upstreamFromApisix(o);
            QJsonArray items = out.value(kind).toArray();
            items.append(o);
            out.insert(kind, items);
        } else {
            *error = QStringLiteral("line %1: only the one-object-per-line form that `gatehouse export --format apisix` writes"
                                    " is read; convert block-style YAML to it first").arg(lineNo);
            return std::nullopt;
        }
        if (!kind.isEmpty() && !kKinds.contains(kind)) {
            *error = QStringLiteral("line %1: unknown section '%2'").arg(lineNo).arg(kind);
            return std::nullopt;
        }
        if (!kind.isEmpty() && !out.contains(kind))
            out.insert(kind, QJsonArray());
    }
    if (!endLine) {
        *error = QStringLiteral("the file does not end with #END (APISIX's marker for a complete file)");
        return std::nullopt;
    }
    if (sectionWithoutItems())
        return std::nullopt;
    return out;
}

Resources sections(const QJsonObject &document)
{
    Resources out;
    for (const QString &kind : kKinds) {
        if (document.contains(kind))
            out.insert(kind, document.value(kind).toArray());
    }
    return out;
}

} // namespace Gatehouse::ConfigExport
