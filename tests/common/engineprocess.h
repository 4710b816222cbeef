#pragma once

// Runs the real `gatehouse --headless` binary as a child process on free loopback ports and
// tells where it listens (parsed from its start-up lines).

#include <QProcess>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>

class EngineProcess
{
public:
    explicit EngineProcess(QString dataDir) : m_dataDir(std::move(dataDir)) {}
    ~EngineProcess() { kill(); }

    bool start(const QStringList &extraArgs = {}, int timeoutMs = 20000)
    {
        m_stderr.clear();
        m_process.setProgram(QStringLiteral(GATEHOUSE_BINARY));
        // No MQTT unless the test names a broker (--mqtt-url).
        const QStringList mqtt = extraArgs.contains(QStringLiteral("--mqtt-url")) ? QStringList() : QStringList{QStringLiteral("--no-mqtt")};
        m_process.setArguments(QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"), m_dataDir,
                                           QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                                           QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0")}
                               + mqtt + extraArgs);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start();
        if (!m_process.waitForStarted(timeoutMs))
            return false;
        static const QRegularExpression gatewayRe(QStringLiteral("gateway listening on https?://[^:]+:(\\d+)"));
        static const QRegularExpression adminRe(QStringLiteral("admin API listening on https?://[^:]+:(\\d+)"));
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            m_process.waitForReadyRead(200);
            m_stderr += QString::fromLocal8Bit(m_process.readAllStandardError());
            const auto g = gatewayRe.match(m_stderr);
            const auto a = adminRe.match(m_stderr);
            if (g.hasMatch() && a.hasMatch()) {
                gatewayPort = quint16(g.captured(1).toUInt());
                adminPort = quint16(a.captured(1).toUInt());
                return true;
            }
            if (m_process.state() != QProcess::Running)
                return false;
        }
        return false;
    }

    void kill()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(10000);
        }
    }

    // SIGTERM and wait; returns the exit code (or -1 when it did not exit normally).
    int terminate(int timeoutMs = 20000)
    {
        m_process.terminate();
        if (!m_process.waitForFinished(timeoutMs))
            return -1;
        m_stderr += QString::fromLocal8Bit(m_process.readAllStandardError());
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

    QString stderrText()
    {
        m_stderr += QString::fromLocal8Bit(m_process.readAllStandardError());
        return m_stderr;
    }
    QProcess &process() { return m_process; }

    quint16 gatewayPort = 0;
    quint16 adminPort = 0;

private:
    QString m_dataDir;
    QProcess m_process;
    QString m_stderr;
};
