#pragma once

#include <QString>

namespace Gatehouse::TcpNoDelay {

// Turns Nagle's algorithm off (TCP_NODELAY) on this process's connected TCP sockets whose peer
// is on `peerPort`; returns how many it changed.
//
// For sockets a library opens and does not let us configure: Paho MQTT C 1.3.12 (Debian 12)
// connects without TCP_NODELAY and has no option for it. MQTT answers a PUBLISH with a small
// PUBACK and then sends the next small packet, which Nagle holds until the peer acknowledges
// the first -- and the peer delays that acknowledgement by up to 40 ms: a command over MQTT
// took 88 ms on loopback, one at a time. Called on every (re)connection, queued from the
// client's connected callback to the client's own thread (Paho's threads are left alone: work
// done inside its callbacks changes the timing of its own races). Another socket to the same
// port (another MQTT client of the process) gets it too, which is what it wants as well.
// Linux only (it lists /proc/self/fd); elsewhere it does nothing.
int disableOnSocketsTo(quint16 peerPort);

// The TCP port a broker URL connects to: its own, or the scheme's default (tcp/mqtt 1883,
// ssl/mqtts 8883, ws 80, wss 443; no scheme is tcp, as for Paho); 0 when there is none.
quint16 brokerPort(const QString &url);

} // namespace Gatehouse::TcpNoDelay
