#include "mqtttopics.h"

#include "store/cloudevent.h"
#include "store/recordedevent.h"

#include <QStringList>
#include <QUrl>

namespace Gatehouse::Mqtt::MqttTopics {

QString segment(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (const QChar c : name) {
        switch (c.unicode()) {
        case u'/': out += QLatin1String("%2F"); break;
        case u'+': out += QLatin1String("%2B"); break;
        case u'#': out += QLatin1String("%23"); break;
        case u'%': out += QLatin1String("%25"); break;
        case u'\0': out += QLatin1String("%00"); break;
        default: out += c;
        }
    }
    return out;
}

QString decodeSegment(const QString &level)
{
    if (!level.contains(QLatin1Char('%')))
        return level;
    return QUrl::fromPercentEncoding(level.toUtf8());
}

QString eventTopic(const QString &prefix, const RecordedEvent &event)
{
    return prefix + QLatin1String("/events/") + segment(CloudEvent::collectionOf(event.type)) + QLatin1Char('/')
        + segment(CloudEvent::verbOf(event.type)) + QLatin1Char('/') + segment(CloudEvent::subjectOf(event));
}

QString readModelTopic(const QString &prefix, const QString &collection, const QString &id)
{
    return prefix + QLatin1String("/readmodel/") + segment(collection) + QLatin1Char('/') + segment(id);
}

QString statusTopic(const QString &prefix)
{
    return prefix + QLatin1String("/status");
}

QString commandFilter(const QString &prefix)
{
    return prefix + QLatin1String("/commands/#");
}

CommandTopic parseCommandTopic(const QString &prefix, const QString &topic)
{
    CommandTopic t;
    const QString head = prefix + QLatin1String("/commands/");
    if (!topic.startsWith(head)) {
        t.error = QStringLiteral("not a command topic: %1").arg(topic);
        return t;
    }
    const QStringList levels = topic.mid(head.size()).split(QLatin1Char('/'));
    for (const QString &level : levels) {
        if (level.isEmpty()) {
            t.error = QStringLiteral("empty level in command topic %1").arg(topic);
            return t;
        }
    }
    if (levels.size() == 2) {
        t.collection = decodeSegment(levels.at(0));
        t.command = decodeSegment(levels.at(1));
        if (t.command != QLatin1String("create")) {
            t.error = QStringLiteral("'%1' needs an entity id: %2/commands/{collection}/{id}/%1").arg(t.command, prefix);
            return t;
        }
    } else if (levels.size() == 3) {
        t.collection = decodeSegment(levels.at(0));
        t.id = decodeSegment(levels.at(1));
        t.command = decodeSegment(levels.at(2));
        if (t.command == QLatin1String("create")) {
            t.error = QStringLiteral("create takes no id in the topic; publish to %1/commands/%2/create with \"id\" in the document")
                          .arg(prefix, levels.at(0));
            return t;
        }
    } else {
        t.error = QStringLiteral("command topics are %1/commands/{collection}/create or %1/commands/{collection}/{id}/{command}, got %2")
                      .arg(prefix, topic);
        return t;
    }
    t.valid = true;
    return t;
}

} // namespace Gatehouse::Mqtt::MqttTopics
