#pragma once

#include <QString>

namespace Gatehouse {
struct RecordedEvent;
}

namespace Gatehouse::Mqtt::MqttTopics {

// The topic layout of DESIGN.md "MQTT", under a configurable prefix (default "gatehouse"):
//   {prefix}/commands/{collection}/{command}          create (command must be "create")
//   {prefix}/commands/{collection}/{id}/{command}     update | delete | a custom command
//   {prefix}/events/{collection}/{verb}/{id}          CloudEvent JSON, QoS 1
//   {prefix}/readmodel/{collection}/{id}              document with _meta, retained
//   {prefix}/status                                   "online" / "offline" (last will), retained
// Names go into one topic level each, percent-encoding '/', '+', '#', '%' and NUL, so an id
// can neither add levels nor form a wildcard (a broker drops a client publishing one).

QString segment(const QString &name);
QString decodeSegment(const QString &level);

QString eventTopic(const QString &prefix, const RecordedEvent &event);
QString readModelTopic(const QString &prefix, const QString &collection, const QString &id);
QString statusTopic(const QString &prefix);
QString commandFilter(const QString &prefix);   // {prefix}/commands/#

struct CommandTopic
{
    bool valid = false;
    QString collection;
    QString id;          // empty for create
    QString command;     // "create", "update", "delete" or a custom name
    QString error;       // why the topic is not a command topic (when !valid)
};

CommandTopic parseCommandTopic(const QString &prefix, const QString &topic);

} // namespace Gatehouse::Mqtt::MqttTopics
