#pragma once

// A real Mosquitto broker for tests: a child process on a free loopback port, with persistence
// in a temporary directory (so durable sessions survive stop() + restart()), and a way to cut
// one client's TCP connection abruptly from inside this process (the broker then publishes
// that client's last will).

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>

#include <arpa/inet.h>
#include <grp.h>
#include <csignal>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

class MosquittoFixture
{
public:
    MosquittoFixture() = default;
    ~MosquittoFixture() { stop(false); }
    MosquittoFixture(const MosquittoFixture &) = delete;
    MosquittoFixture &operator=(const MosquittoFixture &) = delete;

    static QString program()
    {
        QString found = QStandardPaths::findExecutable(QStringLiteral("mosquitto"));
        if (found.isEmpty())
            found = QStandardPaths::findExecutable(QStringLiteral("mosquitto"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
        return found;
    }

    static quint16 freePort()
    {
        QTcpServer probe;
        return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
    }

    // Picks a port on the first start and keeps it, so clients reconnect after restart().
    bool start(QString *error)
    {
        if (m_program.isEmpty())
            m_program = program();
        if (m_program.isEmpty()) {
            *error = QStringLiteral("mosquitto is not installed");
            return false;
        }
        if (!m_dir.isValid()) {
            *error = QStringLiteral("no temporary directory");
            return false;
        }
        if (m_port == 0)
            m_port = freePort();
        const QString brokerDir = QDir(m_dir.path()).filePath(QStringLiteral("broker"));
        QDir().mkpath(brokerDir);
        // As root, run it as user "mosquitto" from the start (mosquitto would drop to it itself,
        // which clears the parent-death signal that ends it should the test crash).
        const passwd *user = ::geteuid() == 0 ? ::getpwnam("mosquitto") : nullptr;
        if (user) {
            ::chmod(QFile::encodeName(m_dir.path()).constData(), 0755);
            if (::chown(QFile::encodeName(brokerDir).constData(), user->pw_uid, user->pw_gid) != 0)
                qWarning("cannot hand %s to user mosquitto", qPrintable(brokerDir));
        }
        const uid_t uid = user ? user->pw_uid : 0;
        const gid_t gid = user ? user->pw_gid : 0;
        m_process.setChildProcessModifier([uid, gid] {
            if (uid != 0 && (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0))
                ::_exit(126);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        });
        const QString config = QDir(m_dir.path()).filePath(QStringLiteral("mosquitto.conf"));
        QFile file(config);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            *error = file.errorString();
            return false;
        }
        file.write("listener " + QByteArray::number(m_port) + " 127.0.0.1\n"
                   "allow_anonymous true\n"
                   "persistence true\n"
                   "persistence_location " + brokerDir.toUtf8() + "/\n"
                   "max_queued_messages 100000\n"
                   // Like the managed broker: no Nagle delay per hop, no window of 20.
                   "set_tcp_nodelay true\n"
                   "max_inflight_messages 1000\n"
                   "log_dest stderr\n"
                   "log_type all\n"
                   "log_timestamp false\n");
        file.close();
        m_log.clear();
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        QObject::disconnect(m_connection);
        m_connection = QObject::connect(&m_process, &QProcess::readyReadStandardOutput,
                                        [this] { m_log += m_process.readAllStandardOutput(); });
        m_process.start(m_program, {QStringLiteral("-c"), config});
        if (!m_process.waitForStarted(10000)) {
            *error = m_process.errorString();
            return false;
        }
        const QDeadlineTimer deadline(10000);
        while (!m_log.contains(" running") && m_process.state() == QProcess::Running && !deadline.hasExpired())
            m_process.waitForReadyRead(200);
        if (!m_log.contains(" running")) {
            *error = QString::fromLocal8Bit(m_log);
            return false;
        }
        return true;
    }

    bool restart()
    {
        QString error;
        return start(&error);
    }

    // graceful: SIGTERM, mosquitto saves its persistence; else SIGKILL.
    void stop(bool graceful = true)
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        if (graceful)
            m_process.terminate();
        else
            m_process.kill();
        if (!m_process.waitForFinished(10000)) {
            m_process.kill();
            m_process.waitForFinished(10000);
        }
    }

    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("mqtt://127.0.0.1:%1").arg(m_port); }
    QByteArray log() const { return m_log; }

    // Shuts down this process's TCP connection to the broker that the broker knows as
    // `clientId` (found from the broker's "New client connected from ... as <id>" line): an
    // abrupt end without DISCONNECT, as when the client's process dies.
    bool abortClientConnection(const QString &clientId, int timeoutMs = 10000)
    {
        const QRegularExpression re(QStringLiteral("New client connected from 127\\.0\\.0\\.1:(\\d+) as %1 ")
                                        .arg(QRegularExpression::escape(clientId)));
        const QDeadlineTimer deadline(timeoutMs);
        quint16 clientPort = 0;
        while (clientPort == 0 && !deadline.hasExpired()) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
            m_log += m_process.readAllStandardOutput();
            auto it = re.globalMatch(QString::fromLocal8Bit(m_log));
            while (it.hasNext())
                clientPort = quint16(it.next().captured(1).toUInt());
        }
        if (clientPort == 0)
            return false;
        const QDir fds(QStringLiteral("/proc/self/fd"));
        for (const QString &name : fds.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
            bool ok = false;
            const int fd = name.toInt(&ok);
            if (!ok)
                continue;
            sockaddr_in local{};
            sockaddr_in peer{};
            socklen_t localLength = sizeof(local);
            socklen_t peerLength = sizeof(peer);
            if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &localLength) != 0 || local.sin_family != AF_INET
                || ::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) != 0)
                continue;
            if (ntohs(local.sin_port) == clientPort && ntohs(peer.sin_port) == m_port) {
                ::shutdown(fd, SHUT_RDWR);
                return true;
            }
        }
        return false;
    }

private:
    QTemporaryDir m_dir;
    QString m_program;
    QProcess m_process;
    QMetaObject::Connection m_connection;
    quint16 m_port = 0;
    QByteArray m_log;
};
