// Route matching cost with 10 routes and with 10,000 routes (the issue asks for "about the
// same": a segment trie, not a list of regular expressions). Each table is matched against the
// same mix of request paths; ns per match, median of RUNS (default 7) runs. Names are
// zero-padded ("c00042") so requests to either table have the same length: the comparison is
// about the number of routes, not about hashing and comparing longer path segments.

#include "api/apirequest.h"
#include "gateway/route.h"
#include "gateway/routetable.h"

#include <QElapsedTimer>
#include <QList>

#include <algorithm>
#include <cstdio>

using namespace Gatehouse;

namespace {
QList<Route> makeRoutes(int n)
{
    QList<Route> routes;
    for (int i = 0; i < n; ++i) {
        Route r;
        r.id = QStringLiteral("r%1").arg(i);
        switch (i % 4) {
        case 0: r.uri = QStringLiteral("/api/c%1").arg(i, 5, 10, QLatin1Char('0')); r.methods = {QStringLiteral("GET")}; break;
        case 1: r.uri = QStringLiteral("/api/c%1/:id").arg(i - 1, 5, 10, QLatin1Char('0')); r.methods = {QStringLiteral("GET")}; break;
        case 2: r.uri = QStringLiteral("/api/c%1/:id/:command").arg(i - 2, 5, 10, QLatin1Char('0')); r.methods = {QStringLiteral("POST")}; break;
        case 3: r.uri = QStringLiteral("/static/s%1/*").arg(i, 5, 10, QLatin1Char('0')); break;
        }
        r.upstream.type = QStringLiteral("events");
        routes.append(r);
    }
    return routes;
}

double nsPerMatch(const RouteTable &table, int n, int iterations)
{
    // The same request shapes whatever the table size: ids hit existing routes spread over it.
    QList<ApiRequest> requests;
    for (int k = 0; k < 64; ++k) {
        const int base = (k * 4 * 37) % qMax(4, n - 3);
        const int c = base - base % 4;
        ApiRequest r;
        r.method = k % 3 == 2 ? "POST" : "GET";
        r.path = "/api/c" + QByteArray::number(c).rightJustified(5, '0');
        if (k % 3 == 1)
            r.path += "/item-42";
        else if (k % 3 == 2)
            r.path += "/item-42/delete";
        requests.append(r);
    }
    volatile int found = 0;
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < iterations; ++i)
        found = found + (table.match(requests.at(i % requests.size())).outcome == RouteTable::Match::Found);
    return double(t.nsecsElapsed()) / iterations;
}
} // namespace

int main()
{
    const int runs = qEnvironmentVariableIntValue("RUNS") > 0 ? qEnvironmentVariableIntValue("RUNS") : 7;
    const RouteTable small(makeRoutes(10)), large(makeRoutes(10000));
    QList<double> a, b;
    for (int run = 0; run < runs; ++run) {   // interleaved, so machine noise hits both alike
        a.append(nsPerMatch(small, 10, 300000));
        b.append(nsPerMatch(large, 10000, 300000));
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    const double ma = a.at(a.size() / 2), mb = b.at(b.size() / 2);
    std::printf("| routes | ns per match (median of %d) |\n|---:|---:|\n| 10 | %.0f |\n| 10,000 | %.0f |\n", runs, ma, mb);
    std::printf("| 10,000 / 10 | %.2f (target <= 1.10) |\n", mb / ma);
    return 0;
}
