#pragma once

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QString>

namespace Gatehouse::Ui {

// Requests one route has answered since the engine started, with client errors (4xx) and
// server errors (5xx) apart, read from the gateway's `gatehouse_http_requests_total{route,status}`
// counter in /metrics; and the requests its plugins turned away, by status (401, 403, 429, ...),
// from `gatehouse_plugin_rejections_total{route,plugin,status}` (they are among the 4xx too).
// A plain value; parse() runs on whichever thread holds the exposition text (the GUI thread).
struct RouteCounters
{
    double hits = 0;
    double errors = 0;         // 5xx
    double clientErrors = 0;   // 4xx
    double rejected = 0;       // by plugins, all statuses
    QMap<int, double> rejectedByStatus;
    // gatehouse_http_request_duration_seconds_bucket: upper bound (s) -> requests at or under it
    // (cumulative, as exposed; +Inf as infinity).
    QMap<double, double> latencyBuckets;

    friend bool operator==(const RouteCounters &, const RouteCounters &) = default;

    // The q-quantile (0.99) of the requests between two samples, in ms: the upper bound of the
    // bucket it falls in; -1 without requests in between.
    static double quantileMs(const RouteCounters &newer, const RouteCounters &older, double q);

    // "401: 3 · 429: 12", or empty.
    QString rejectionsText() const;

    // Sums the counters by route id from Prometheus text exposition. Requests no route matched
    // (route="") are left out; label values may carry \" \\ and \n escapes.
    static QHash<QString, RouteCounters> parse(const QByteArray &exposition);
};

} // namespace Gatehouse::Ui
