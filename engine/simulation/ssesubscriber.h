#pragma once

#include "gatewaytarget.h"
#include "httpresponseparser.h"

#include <QObject>
#include <QStringList>

class QTcpSocket;

namespace Gatehouse::Simulation {

class LagTracker;

// One Server-Sent Events subscriber of a run: GET /events/stream (type "<collection>.*" when it
// watches one collection), read as it comes; every event's `id:` is its log position, reported
// with the time its block arrived. ready() once: empty when the stream answered 200, else why
// not. Lives on the run's subscriber thread.
class SseSubscriber final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SseSubscriber)

public:
    SseSubscriber(GatewayTarget gateway, QStringList collections, LagTracker *lag, int connection,
                  QObject *parent = nullptr);
    ~SseSubscriber() override;

    void open();
    void close();

Q_SIGNALS:
    void ready(const QString &error);

private:
    void onReadyRead();
    void consume(const QByteArray &text, qint64 atNs);
    void setReady(const QString &error);

    QTcpSocket *m_socket;
    GatewayTarget m_target;
    QStringList m_collections;
    LagTracker *m_lag;
    int m_connection;
    HttpResponseParser m_parser;
    QByteArray m_input;
    QByteArray m_text;        // event-stream text not yet split into lines
    qint64 m_eventId = 0;     // the `id:` of the event being read
    bool m_ready = false;
    bool m_closing = false;
};

} // namespace Gatehouse::Simulation
