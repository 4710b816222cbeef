#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

#include <atomic>

namespace Gatehouse::Mqtt {

// The managed MQTT broker (DESIGN.md "External contract"): a `mosquitto -c` child process whose
// configuration and persistence live in the data directory (<data dir>/mqtt/broker/, see
// MosquittoConfig for running as root), listening on one address (127.0.0.1:1883 by default).
//
// start() checks the program and the port, writes the configuration and waits until mosquitto
// says it runs, so a missing binary or a busy port is reported at once. Afterwards the broker
// is restarted with a growing delay (0.5 s doubling to 30 s) whenever it dies, and stop() ends
// it with SIGTERM (it saves its persistence) before the engine exits; should the engine be
// killed, the kernel ends the broker too (parent-death signal), and a mosquitto left over by an
// earlier run on the same data directory all the same is ended first. Lives on the thread that
// created it (it needs that thread's event loop to notice a death and restart).
class ManagedBroker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ManagedBroker)

public:
    struct Options
    {
        QString dataDir;
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 1883;          // 0 picks a free port
        QString program;              // empty: "mosquitto" on PATH, then /usr/sbin, /usr/local/sbin
        int startTimeoutMs = 10000;
    };

    explicit ManagedBroker(const Options &options, QObject *parent = nullptr);
    ~ManagedBroker() override;

    bool start(QString *error);
    void stop();

    bool isRunning() const { return m_running; }   // any thread (a simulation's probe reads it)
    qint64 processId() const;
    int restartCount() const { return m_restarts; }
    quint16 port() const { return m_port; }
    QString url() const;                      // mqtt://127.0.0.1:1883
    QString brokerDir() const;                // <data dir>/mqtt/broker: config, persistence, working directory
    QString configPath() const;
    bool hasPersistence() const { return m_persistence; }
    QString persistenceNotice() const { return m_persistenceNotice; }   // why it runs without

    static QString findProgram(const QString &hint);

Q_SIGNALS:
    void runningChanged(bool running);
    void restarted();   // the broker died and runs again

private:
    void launch();
    void readOutput();
    void processFinished(int exitCode, QProcess::ExitStatus status);
    void endStaleBroker();
    QString recentOutput() const;

    Options m_options;
    QString m_program;
    quint16 m_port = 0;
    bool m_persistence = false;
    bool m_runAsUser = false;     // root: the child becomes the broker's user before exec
    quint32 m_uid = 0;
    quint32 m_gid = 0;
    QString m_persistenceNotice;
    QProcess m_process;
    QTimer m_restartTimer;
    QElapsedTimer m_upTime;
    int m_backoffMs;
    int m_restarts = 0;
    std::atomic<bool> m_running{false};
    bool m_stopping = false;
    bool m_restarting = false;
    QByteArray m_partialLine;
    QStringList m_recentLines;   // the last lines mosquitto wrote, for error messages
};

} // namespace Gatehouse::Mqtt
