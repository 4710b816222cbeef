#pragma once

#include <QObject>
#include <QSslConfiguration>
#include <QStringList>
#include <QUrl>

class QWebSocket;

namespace Gatehouse::Simulation {

class LagTracker;

// One WebSocket subscriber of a run: opens ws://target/ws, subscribes from "live" (filtered by
// type "<collection>.*" when it watches one collection; all events otherwise, the lag tracker
// keeps the ones it watches) and reports the position of every event it receives with the time
// it arrived. ready() once: empty when every subscription is acknowledged, else why not.
// Lives on the run's subscriber thread.
class WsSubscriber final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WsSubscriber)

public:
    WsSubscriber(QUrl url, QStringList collections, LagTracker *lag, int connection, QObject *parent = nullptr);
    ~WsSubscriber() override;

    // Over wss://: verify against `tls` (the system's authorities and any trusted ones); a
    // certificate of `pinned` is also accepted when the URL's host is not a name it holds (the
    // engine's own, reached on loopback). Before open().
    void setTls(const QSslConfiguration &tls, const QList<QSslCertificate> &pinned);
    void open();
    void close();

Q_SIGNALS:
    void ready(const QString &error);

private:
    void onText(const QString &text);
    void setReady(const QString &error);

    QWebSocket *m_socket;
    QList<QSslCertificate> m_pinned;
    QUrl m_url;
    QStringList m_collections;
    LagTracker *m_lag;
    int m_connection;
    bool m_ready = false;
    bool m_closing = false;
};

} // namespace Gatehouse::Simulation
