#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Gatehouse::Simulation {

// One of Toxiproxy's toxics, as a FaultProxy applies it (attribute names and units are
// Toxiproxy's; times in milliseconds):
//   latency {latency, jitter}   each chunk of data waits latency +/- jitter (order kept)
//   bandwidth {rate}            at most `rate` KB (1000 bytes) per second
//   timeout {timeout}           no data passes (it is dropped); the connection is closed after
//                               `timeout`, never when 0
//   reset_peer {timeout}        the connection is reset (TCP RST) after `timeout`, at once when 0
//   slow_close {delay}          a side that closes is closed on the other side `delay` later
//   down                        the proxy stops listening (connections are refused) and drops
//                               the connections it has -- Toxiproxy's disabled proxy
// latency and bandwidth act on one direction, `stream`: "downstream" (the default, data from
// the upstream to the client) or "upstream"; the others act on the whole connection.
// Toxiproxy's `toxicity` (a share of the connections) is not supported: a toxic applies to all.
struct Toxic
{
    enum Kind { None, Latency, Bandwidth, Timeout, ResetPeer, SlowClose, Down };
    enum Stream { Downstream, Upstream };

    static constexpr qint64 kMaxMs = 3'600'000;      // every time attribute: at most an hour
    static constexpr qint64 kMaxRateKBps = 10'000'000;

    Kind kind = None;
    Stream stream = Downstream;
    qint64 latencyMs = 0;
    qint64 jitterMs = 0;
    qint64 rateKBps = 0;
    qint64 timeoutMs = 0;
    qint64 delayMs = 0;

    // `kind`: "latency", "bandwidth", "timeout", "reset_peer", "slow_close", "down" (or "none").
    // Unknown attributes and out-of-range values are errors ("<attribute>: <message>", every one).
    static std::optional<Toxic> fromJson(const QString &kind, const QJsonObject &attributes, QStringList *errors);
    static QString kindName(Kind kind);
    QJsonObject toJson() const;
};

} // namespace Gatehouse::Simulation
