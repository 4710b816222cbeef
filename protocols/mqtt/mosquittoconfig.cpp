#include "mosquittoconfig.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace Gatehouse::Mqtt {

QByteArray MosquittoConfig::text() const
{
    QByteArray out = "# Written by Gatehouse on every start of its managed broker; edits are overwritten.\n"
                     "# Use --mqtt-url to run Gatehouse against a broker you configure yourself.\n";
    out += "listener " + QByteArray::number(port) + ' ' + address.toString().toUtf8() + '\n';
    out += "allow_anonymous true\n";
    if (persistence) {
        // No persistence_location: mosquitto.db goes to the working directory (mqtt/broker).
        out += "persistence true\n"
               "autosave_interval " + QByteArray::number(autosaveIntervalSeconds) + '\n';
    } else {
        out += "persistence false\n";
    }
    out += "max_queued_messages " + QByteArray::number(maxQueuedMessages) + '\n';
    // Small request/response messages must not wait for Nagle's algorithm and delayed ACKs
    // (about 40 ms per hop otherwise).
    out += "set_tcp_nodelay true\n";
    // Mosquitto's default of 20 QoS 1 messages in flight per client (also its MQTT 5 receive
    // maximum) throttles the outbox to one window per client wake-up.
    out += "max_inflight_messages 1000\n";
    // Our stderr pipe; "running" tells the managed broker it is up.
    out += "log_dest stderr\n"
           "log_type error\n"
           "log_type warning\n"
           "log_type notice\n"
           "log_type information\n"
           "connection_messages true\n"
           "log_timestamp false\n";
    return out;
}

bool MosquittoConfig::write(const QString &path, QString *error) const
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile file(path);
    // Readable by the broker's user whatever our umask (it holds no secret).
    if (!file.open(QIODevice::WriteOnly) || file.write(text()) < 0
        || !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther)
        || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

MosquittoConfig::BrokerUser MosquittoConfig::brokerUser()
{
    BrokerUser user;
#ifdef Q_OS_UNIX
    if (::geteuid() != 0)
        return user;   // mosquitto keeps our user
    const passwd *entry = ::getpwnam("mosquitto");
    if (!entry)
        entry = ::getpwnam("nobody");
    if (entry) {
        user.found = true;
        user.uid = entry->pw_uid;
        user.gid = entry->pw_gid;
        user.name = QString::fromLocal8Bit(entry->pw_name);
    }
#endif
    return user;
}

bool MosquittoConfig::prepareBrokerDir(const QString &dir, QString *notice)
{
    if (!QDir().mkpath(dir)) {
        *notice = QStringLiteral("cannot create %1").arg(dir);
        return false;
    }
#ifdef Q_OS_UNIX
    const BrokerUser user = brokerUser();
    if (!user.found)
        return true;
    // Like Debian's mosquitto.service does for /var/log/mosquitto and /run/mosquitto.
    const QDir folder(dir);
    bool owned = ::chown(QFile::encodeName(folder.absolutePath()).constData(), user.uid, user.gid) == 0
        && ::chmod(QFile::encodeName(folder.absolutePath()).constData(), 0700) == 0;
    for (const QString &name : folder.entryList(QDir::Files | QDir::Hidden)) {
        if (name != QLatin1String("mosquitto.conf"))   // ours; the broker only reads it
            owned = ::chown(QFile::encodeName(folder.absoluteFilePath(name)).constData(), user.uid, user.gid) == 0 && owned;
    }
    if (!owned) {
        *notice = QStringLiteral("cannot hand %1 to user '%2' (mosquitto runs as that user when started as root); "
                                 "the managed broker runs without persistence").arg(dir, user.name);
        return false;
    }
#endif
    return true;
}

} // namespace Gatehouse::Mqtt
