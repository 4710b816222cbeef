#include "managedbroker.h"

#include "mosquittoconfig.h"
#include "mqttlogging.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTcpServer>
#include <QThread>

#ifdef Q_OS_UNIX
#include <csignal>
#endif
#ifdef Q_OS_LINUX
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>
#endif

namespace Gatehouse::Mqtt {

namespace {

constexpr int kFirstBackoffMs = 500;
constexpr int kMaxBackoffMs = 30000;
constexpr int kStableAfterMs = 30000;   // up this long: the next death restarts quickly again
constexpr int kStopWaitMs = 10000;
constexpr int kRecentLines = 20;

QString endpoint(const QHostAddress &address, quint16 port)
{
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
        : address.toString();
    return host + QLatin1Char(':') + QString::number(port);
}

bool processAlive(qint64 pid)
{
    return QFile::exists(QStringLiteral("/proc/%1").arg(pid));
}

} // namespace

ManagedBroker::ManagedBroker(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_port(options.port)
    , m_process(this)
    , m_restartTimer(this)
    , m_backoffMs(kFirstBackoffMs)
{
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, [this] {
        m_restarting = true;
        launch();
    });
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &ManagedBroker::readOutput);
    connect(&m_process, &QProcess::finished, this, &ManagedBroker::processFinished);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart && !m_stopping && m_restarting) {
            qCWarning(lcBroker) << "cannot start" << m_program << ":" << m_process.errorString();
            processFinished(-1, QProcess::CrashExit);
        }
    });
}

ManagedBroker::~ManagedBroker()
{
    stop();
}

QString ManagedBroker::findProgram(const QString &hint)
{
    if (!hint.isEmpty())
        return QFileInfo(hint).isExecutable() ? hint : QString();
    QString found = QStandardPaths::findExecutable(QStringLiteral("mosquitto"));
    if (found.isEmpty()) {
        // Debian installs it in /usr/sbin, which is not on a normal user's PATH.
        found = QStandardPaths::findExecutable(QStringLiteral("mosquitto"),
                                               {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin"), QStringLiteral("/sbin")});
    }
    return found;
}

QString ManagedBroker::url() const
{
    return QStringLiteral("mqtt://") + endpoint(m_options.address, m_port);
}

QString ManagedBroker::brokerDir() const
{
    return QDir(m_options.dataDir).filePath(QStringLiteral("mqtt/broker"));
}

QString ManagedBroker::configPath() const
{
    return QDir(brokerDir()).filePath(QStringLiteral("mosquitto.conf"));
}

qint64 ManagedBroker::processId() const
{
    return m_process.state() == QProcess::NotRunning ? 0 : m_process.processId();
}

bool ManagedBroker::start(QString *error)
{
    m_program = findProgram(m_options.program);
    if (m_program.isEmpty()) {
        *error = m_options.program.isEmpty()
            ? QStringLiteral("mosquitto is not installed (install the 'mosquitto' package, or use --mqtt-url URL or --no-mqtt)")
            : QStringLiteral("mosquitto not found at %1").arg(m_options.program);
        return false;
    }
    endStaleBroker();
    {
        // Tell "port taken" apart from every other failure, in words the user can act on.
        QTcpServer probe;
        if (!probe.listen(m_options.address, m_port)) {
            *error = QStringLiteral("cannot run the MQTT broker on %1: %2 (another broker? use --mqtt-url mqtt://%1 to use it, "
                                    "--mqtt-listen ADDR:PORT for another port, or --no-mqtt)")
                         .arg(endpoint(m_options.address, m_port), probe.errorString());
            return false;
        }
        m_port = probe.serverPort();   // the real one when 0 was asked
    }
    m_persistenceNotice.clear();
    m_persistence = MosquittoConfig::prepareBrokerDir(brokerDir(), &m_persistenceNotice);
    if (!m_persistence)
        qCWarning(lcBroker).noquote() << m_persistenceNotice;
    MosquittoConfig config;
    config.address = m_options.address;
    config.port = m_port;
    config.persistence = m_persistence;
    if (!config.write(configPath(), error))
        return false;
    // As root: become the broker's user ourselves, before exec, rather than let mosquitto do it
    // after start -- a privilege change clears the parent-death signal, and with it the broker
    // would outlive a killed engine. Ports below 1024 need mosquitto's own way (bind, then drop).
    const MosquittoConfig::BrokerUser user = MosquittoConfig::brokerUser();
    m_runAsUser = user.found && m_persistence && m_port >= 1024;
    m_uid = user.uid;
    m_gid = user.gid;

    m_stopping = false;
    m_restarting = false;
    m_recentLines.clear();
    launch();
    if (!m_process.waitForStarted(m_options.startTimeoutMs)) {
        *error = QStringLiteral("cannot start %1: %2").arg(m_program, m_process.errorString());
        return false;
    }
    const QDeadlineTimer deadline(m_options.startTimeoutMs);
    while (!m_running && m_process.state() == QProcess::Running && !deadline.hasExpired())
        m_process.waitForReadyRead(int(qMin<qint64>(deadline.remainingTime(), 200)));
    if (!m_running) {
        m_stopping = true;   // no restart loop for a broker that never came up
        m_restartTimer.stop();
        m_restarts = 0;
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(kStopWaitMs);
        }
        readOutput();
        *error = QStringLiteral("mosquitto did not start on %1: %2")
                     .arg(endpoint(m_options.address, m_port),
                          recentOutput().isEmpty() ? QStringLiteral("no output") : recentOutput());
        return false;
    }
    QFile pidFile(QDir(m_options.dataDir).filePath(QStringLiteral("mqtt/mosquitto.pid")));
    if (pidFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
        pidFile.write(QByteArray::number(m_process.processId()) + '\n');
    qCInfo(lcBroker) << "mosquitto" << m_process.processId() << "listening on" << url();
    return true;
}

void ManagedBroker::launch()
{
    m_running = false;
    m_partialLine.clear();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("NOTIFY_SOCKET"));   // systemd readiness is ours, not the broker's
    m_process.setProcessEnvironment(environment);
    m_process.setWorkingDirectory(brokerDir());   // the configuration names no path (MosquittoConfig)
#ifdef Q_OS_LINUX
    const bool runAsUser = m_runAsUser;
    const uid_t uid = m_uid;
    const gid_t gid = m_gid;
    m_process.setChildProcessModifier([runAsUser, uid, gid] {
        // Between fork and exec: async-signal-safe calls only.
        if (runAsUser && (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0))
            ::_exit(126);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);   // the broker ends when the engine dies
    });
#endif
    m_process.start(m_program, {QStringLiteral("-c"), QStringLiteral("mosquitto.conf")});
    m_upTime.start();
}

void ManagedBroker::readOutput()
{
    m_partialLine += m_process.readAllStandardOutput();
    qsizetype end;
    while ((end = m_partialLine.indexOf('\n')) >= 0) {
        const QString line = QString::fromLocal8Bit(m_partialLine.left(end)).trimmed();
        m_partialLine.remove(0, end + 1);
        if (line.isEmpty())
            continue;
        m_recentLines.append(line);
        if (m_recentLines.size() > kRecentLines)
            m_recentLines.removeFirst();
        if (line.startsWith(QLatin1String("Error")) || line.startsWith(QLatin1String("Warning")))
            qCWarning(lcBroker).noquote() << line;
        else
            qCDebug(lcBroker).noquote() << line;
        if (!m_running && line.startsWith(QLatin1String("mosquitto version")) && line.endsWith(QLatin1String(" running"))) {
            m_running = true;
            Q_EMIT runningChanged(true);
            if (m_restarting) {
                m_restarting = false;
                qCInfo(lcBroker) << "mosquitto runs again, process" << m_process.processId();
                Q_EMIT restarted();
            }
        }
    }
}

void ManagedBroker::processFinished(int exitCode, QProcess::ExitStatus status)
{
    readOutput();
    const bool wasRunning = m_running;
    m_running = false;
    if (wasRunning)
        Q_EMIT runningChanged(false);
    if (m_stopping)
        return;
    if (m_upTime.isValid() && m_upTime.elapsed() > kStableAfterMs)
        m_backoffMs = kFirstBackoffMs;
    const QString how = status == QProcess::CrashExit ? QStringLiteral("mosquitto died")
                                                      : QStringLiteral("mosquitto exited with code %1").arg(exitCode);
    qCWarning(lcBroker).noquote() << QStringLiteral("%1; restarting it in %2 ms").arg(how).arg(m_backoffMs);
    ++m_restarts;
    m_restartTimer.start(m_backoffMs);
    m_backoffMs = qMin(m_backoffMs * 2, kMaxBackoffMs);
}

void ManagedBroker::stop()
{
    m_stopping = true;
    m_restartTimer.stop();
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();   // mosquitto saves its persistence on SIGTERM
        if (!m_process.waitForFinished(kStopWaitMs)) {
            qCWarning(lcBroker) << "mosquitto did not end within" << kStopWaitMs << "ms; killing it";
            m_process.kill();
            m_process.waitForFinished(kStopWaitMs);
        }
        qCInfo(lcBroker) << "mosquitto stopped";
    }
    m_running = false;
    if (!m_options.dataDir.isEmpty())
        QFile::remove(QDir(m_options.dataDir).filePath(QStringLiteral("mqtt/mosquitto.pid")));
}

// A mosquitto started by an earlier run on this data directory that did not end with it
// (killed with SIGKILL while the broker ran as user mosquitto) still holds the port.
void ManagedBroker::endStaleBroker()
{
#ifdef Q_OS_UNIX
    QFile pidFile(QDir(m_options.dataDir).filePath(QStringLiteral("mqtt/mosquitto.pid")));
    if (!pidFile.open(QIODevice::ReadOnly))
        return;
    const qint64 pid = pidFile.readAll().trimmed().toLongLong();
    pidFile.close();
    pidFile.remove();
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    const QString cwd = QFileInfo(QStringLiteral("/proc/%1/cwd").arg(pid)).symLinkTarget();
    if (pid <= 1 || !cmdline.open(QIODevice::ReadOnly) || !cmdline.readAll().contains("mosquitto")
        || cwd != QFileInfo(brokerDir()).canonicalFilePath())
        return;
    qCWarning(lcBroker) << "ending mosquitto" << pid << "left over from an earlier run";
    ::kill(pid_t(pid), SIGTERM);
    QDeadlineTimer deadline(kStopWaitMs);
    while (processAlive(pid) && !deadline.hasExpired())
        QThread::msleep(50);
    if (processAlive(pid))
        ::kill(pid_t(pid), SIGKILL);
#endif
}

QString ManagedBroker::recentOutput() const
{
    QStringList errors;
    for (const QString &line : m_recentLines) {
        if (line.startsWith(QLatin1String("Error")))
            errors.append(line);
    }
    return (errors.isEmpty() ? m_recentLines.mid(qMax(0, m_recentLines.size() - 3)) : errors).join(QStringLiteral("; "));
}

} // namespace Gatehouse::Mqtt
