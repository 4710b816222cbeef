#pragma once

#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

namespace Gatehouse::Simulation {

struct RunContext;

// Every subscriber connection of a run (WebSocket, SSE, MQTT), opened before the load starts
// so no event of the run can pass unseen. ready(error) once: empty when every connection has
// subscribed, else the first reason one could not (or that kReadyTimeoutMs passed). Lives on
// the run's subscriber thread; open/close are called there (queued).
class SubscriberSet final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SubscriberSet)

public:
    static constexpr int kReadyTimeoutMs = 5000;

    SubscriberSet(RunContext *context, QString clientIdPrefix, QObject *parent = nullptr);
    ~SubscriberSet() override;

    void open();
    void close();

Q_SIGNALS:
    void ready(const QString &error);

private:
    void onReady(const QString &error);

    RunContext *m_context;
    QString m_clientIdPrefix;
    QList<QObject *> m_connections;
    int m_waiting = 0;
    bool m_answered = false;
    QTimer m_timeout;
};

} // namespace Gatehouse::Simulation
