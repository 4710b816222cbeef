#pragma once

#include "http/httplimits.h"
#include "http/httptls.h"

#include <QHostAddress>
#include <QString>

#include <memory>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Live {
struct LiveOptions;
}

namespace Gatehouse::Mqtt {
class MqttService;
}

namespace Gatehouse::Server {

// The engine's network face: the gateway listener (HTTP, with WebSocket and SSE on the same
// port) and the admin listener (with its live channel for remote consoles, AdminLive). Used
// the same way by the headless app and the GUI.
class Listeners final
{
public:
    struct Endpoint
    {
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 0;
        static bool parse(const QString &text, Endpoint *out);   // "127.0.0.1:9080", "[::1]:9080", ":9080"
        QString toString() const;
        bool isLoopback() const;
    };
    // A wildcard address (0.0.0.0, ::) as the loopback address a local client connects to.
    static Endpoint reachable(Endpoint endpoint);

    Listeners();
    ~Listeners();

    void setLiveOptions(const Live::LiveOptions &options);   // WebSocket and SSE limits; before start()
    // How many network threads share the gateway's connections (default: one per core, at most
    // kDefaultMaxGatewayThreads); before start(). The admin listener has one.
    static constexpr int kDefaultMaxGatewayThreads = 4;
    // Admin requests (with the key, besides /admin/live) queued for or running on the admin
    // API's thread at most; past it 503 with Retry-After. /health, /metrics and answers without
    // the key do not wait there.
    static constexpr int kMaxWaitingAdminRequests = 64;
    static int defaultGatewayThreads();
    void setGatewayThreads(int threads);
    // TLS credentials of each listener (null: plain HTTP); before start(). The gateway's cover
    // WebSocket and SSE on its port too.
    void setTls(std::shared_ptr<const Http::HttpTls> gateway, std::shared_ptr<const Http::HttpTls> admin);
    bool start(Engine *engine, const Endpoint &gateway, const Endpoint &admin, const Http::HttpLimits &limits, QString *error);
    // Where the engine's MQTT broker is, for /asyncapi.json (empty: MQTT is off); any time.
    void setMqttBroker(const QString &url, const QString &topicPrefix);
    // The MQTT service whose state the admin live channel reports (null: none); any time.
    void setMqttService(Mqtt::MqttService *mqtt);
    // Whether the gateway answers GET /openapi.json and /asyncapi.json (default: yes); any time.
    void setApiDescriptions(bool served);
    void stopAccepting();
    void close();

    Endpoint gatewayEndpoint() const;   // the bound address (the real port when 0 was asked)
    Endpoint adminEndpoint() const;
    QString gatewayUrl() const;         // "http://127.0.0.1:9080", or https:// with TLS
    // How a client on this machine reaches the gateway: a wildcard bind as loopback, and over
    // TLS a name the certificate holds ("localhost") when it does not hold the address.
    QString gatewayClientUrl() const;
    std::shared_ptr<const Http::HttpTls> gatewayTls() const;   // null: plain HTTP
    QString adminUrl() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Server
