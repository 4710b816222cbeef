#pragma once

#include "live/liveoptions.h"

#include <QObject>
#include <QString>

#include <memory>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Http {
struct HttpRequest;
class HttpResponder;
}

namespace Gatehouse::Mqtt {
class MqttService;
}

namespace Gatehouse::Server {

// The admin listener's live channel, GET /admin/live (a WebSocket, X-API-KEY like the rest of
// /admin): what a console attached to this engine from elsewhere needs to show it live, as JSON
// text messages from the server --
//   {"type":"hello","version":..,"head_position":N,"from":N,"gateway":{"url":..,"port":N,"tls":b,"host":..}}
//   {"type":"events","events":[CloudEvent,...],"metadata":[{...},...]}
//                                                      every event from `from` on, in log order, and
//                                                      each one's stored metadata (which has more than
//                                                      a CloudEvent's correlationid and causationid)
//   {"type":"documents","collection":c,"ids":[...]}    read-model documents written
//   {"type":"resources","kind":k,"id":i}               an admin resource changed (id may be "")
//   {"type":"status",...}                              EngineStatusSampler's sample, twice a second
// `?from=N` (default: the head + 1) resumes after the last event a console has: the events
// come from the log first, then live, each exactly once. Messages are batched (at most one of
// each kind per kBatchMs). The client sends nothing but pings; anything else it sends is ignored.
// Limits: kMaxClients connections (503 past it), and a console whose queue overflows
// LiveOptions::maxQueueBytes is closed with 1013 (it reconnects from its last position).
//
// Lives on the owner's thread; the sessions live on the admin listener's network thread.
// shutdown() must run while that thread is still up.
class AdminLive final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminLive)

public:
    static constexpr int kMaxClients = 32;
    static constexpr int kBatchMs = 50;
    static constexpr int kStatusMs = 500;

    AdminLive(Engine *engine, const Live::LiveOptions &options, QObject *parent = nullptr);
    ~AdminLive() override;

    void setMqtt(Mqtt::MqttService *mqtt);
    // Where the gateway listens, for the hello message.
    void setGateway(const QString &url, quint16 port, bool tls, const QString &host);

    // Network thread: a request for /admin/live whose key has been checked.
    void serve(const Http::HttpRequest &request, const Http::HttpResponder &responder);
    // Any thread: an admin resource changed (kind "routes", "functions", ...; id may be empty).
    void resourceChanged(const QString &kind, const QString &id);

    // Blocking, from the owner's thread: consoles get close 1001.
    void goingAway();
    // Blocking, from the owner's thread: drops every console and refuses new ones.
    void shutdown();

private:
    void sampleStatus();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Server
