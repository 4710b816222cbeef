#pragma once

// The command line of `gatehouse` (the engine, headless or with the console): its options, read
// and checked before anything starts.

#include "assembly/engineoptions.h"
#include "http/httplimits.h"
#include "live/liveoptions.h"
#include "mqtt/mqttoptions.h"
#include "server/listeners.h"

#include <QString>

class QCoreApplication;

namespace Gatehouse::App {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitDatabaseUnreachable = 3;   // --database names a server that cannot be reached

// One line on stderr, "gatehouse: <line>".
void say(const QString &line);

struct Options
{
    bool headless = false;
    EngineOptions engine;
    Server::Listeners::Endpoint gateway{QHostAddress::LocalHost, 9080};
    Server::Listeners::Endpoint admin{QHostAddress::LocalHost, 9180};
    Http::HttpLimits limits;
    int gatewayThreads = Server::Listeners::defaultGatewayThreads();
    Live::LiveOptions live;
    Mqtt::MqttOptions mqtt;
    QString tlsCertificate, tlsKey;             // the gateway's; empty: plain HTTP
    QString adminTlsCertificate, adminTlsKey;   // the admin listener's
    bool adminTrustedNetwork = false;
    bool apiDescriptions = true;
    QString connectUrl;   // the console on a remote engine's admin API
    QString caFile;
};

// Reads the command line into `out`, saying what is wrong on stderr. Returns -1 when the
// options are fine, else the exit code.
int parseOptions(const QCoreApplication &app, Options *out);

} // namespace Gatehouse::App
