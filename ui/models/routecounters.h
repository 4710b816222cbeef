#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace Gatehouse::Ui {

// Requests and server errors (status >= 500) one route has answered since the engine started,
// read from the gateway's `gatehouse_http_requests_total{route,status}` counter in /metrics.
// A plain value; parse() runs on whichever thread holds the exposition text (the GUI thread).
struct RouteCounters
{
    double hits = 0;
    double errors = 0;

    friend bool operator==(const RouteCounters &, const RouteCounters &) = default;

    // Sums the counter by route id from Prometheus text exposition. Requests no route matched
    // (route="") are left out; label values may carry \" \\ and \n escapes.
    static QHash<QString, RouteCounters> parse(const QByteArray &exposition);
};

} // namespace Gatehouse::Ui
