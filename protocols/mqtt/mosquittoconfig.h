#pragma once

#include <QHostAddress>
#include <QString>

namespace Gatehouse::Mqtt {

// The configuration of the managed mosquitto and its folder, <data dir>/mqtt/broker/, which
// holds mosquitto.conf and the persistence (mosquitto.db) and is the broker's working
// directory: the configuration names no path, so the broker never needs the folders above.
//
// Started as root, mosquitto would drop its privileges to the user "mosquitto" (as Debian's
// service does; "nobody" when that user is missing). Like Debian's unit, which chowns the
// broker's folders to that user, the broker folder is handed to that user (0700), so the data
// directory stays private (0700) and the broker never runs as root.
struct MosquittoConfig
{
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 1883;
    bool persistence = true;         // mosquitto.db in the broker's working directory
    int autosaveIntervalSeconds = 10;
    int maxQueuedMessages = 100000;  // per offline durable subscriber (mosquitto's default is 1000)

    QByteArray text() const;
    bool write(const QString &path, QString *error) const;

    // The user the broker runs as when we are root; `found` is false when we are not root.
    struct BrokerUser
    {
        bool found = false;
        quint32 uid = 0;
        quint32 gid = 0;
        QString name;
    };
    static BrokerUser brokerUser();

    // Creates `dir` and, when we run as root, hands it to brokerUser(). False (with the reason
    // in *notice) when the broker must run without persistence.
    static bool prepareBrokerDir(const QString &dir, QString *notice);
};

} // namespace Gatehouse::Mqtt
