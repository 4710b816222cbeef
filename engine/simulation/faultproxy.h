#pragma once

#include "toxic.h"

#include <QString>

#include <memory>

namespace Gatehouse::Simulation {

// A Toxiproxy-style TCP proxy for one upstream node: listens on 127.0.0.1 (a free port),
// forwards every connection to upstreamHost:upstreamPort, and applies one toxic at a time
// (Toxic), switchable while it runs; a new toxic applies to the open connections at once.
// A simulation puts one in front of a node of an `http` upstream (FaultControl's node
// override) for as long as its fault lasts.
//
// Owns one thread ("gatehouse-faultproxy") where its server and every connection live; every
// public function may be called from any thread. Limits: kMaxConnections open connections
// (or fewer, as constructed; more are closed at once) and FaultProxyLink::kMaxBufferedBytes held per direction of each.
class FaultProxy final
{
public:
    static constexpr int kMaxConnections = 1024;

    struct Stats
    {
        quint64 accepted = 0;      // connections taken
        quint64 rejected = 0;      // closed at once: over kMaxConnections
        int open = 0;              // connections now
        quint64 bytesUp = 0;       // client -> upstream, forwarded
        quint64 bytesDown = 0;     // upstream -> client, forwarded
        bool listening = false;    // false while `down` (or before start)
    };

    FaultProxy(QString upstreamHost, quint16 upstreamPort, int maxConnections = kMaxConnections);
    ~FaultProxy();   // stop()
    FaultProxy(const FaultProxy &) = delete;
    FaultProxy &operator=(const FaultProxy &) = delete;

    bool start(QString *error);   // listens; false with the reason
    void stop();                  // closes every connection and ends the thread

    quint16 port() const;          // 0 before start()
    QString address() const;       // "127.0.0.1:<port>"
    QString upstream() const;      // "host:port"

    void setToxic(const Toxic &toxic);   // Toxic{} (kind None) passes everything untouched
    Toxic toxic() const;
    Stats stats() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Simulation
