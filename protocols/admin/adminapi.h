#pragma once

#include "adminbackend.h"
#include "http/httphandler.h"
#include "http/httpresponse.h"

#include <QJsonObject>
#include <QString>

namespace Gatehouse::Http {
struct HttpRequest;
}

namespace Gatehouse::Admin {

// The admin listener (default 127.0.0.1:9180): /health and /metrics without a key, everything
// under /admin/ with X-API-KEY (compared in constant time). APISIX-style resources (routes,
// upstreams, consumers, global_rules) go through the engine's ResourceService, so every write
// is validated, persisted and applied without a restart. Safe on any one thread at a time: the
// listener answers /health, /metrics and keyless requests on its network thread and runs the
// rest, one at a time, on a thread of its own (Server::Listeners).
class AdminApi final
{
public:
    explicit AdminApi(const AdminBackend *engine);   // not owned; outlives the AdminApi
    Http::HttpHandler handler() const;
    // One request answered synchronously, as the listener would: for in-process clients (the
    // GUI). Safe on any thread but the GUI's (some operations wait for the engine's threads).
    Http::HttpResponse handle(const Http::HttpRequest &request) const { return dispatch(request); }

    // Whether the request carries the admin key (X-API-KEY), and the 401 when it does not.
    bool authorised(const Http::HttpRequest &request) const;
    static Http::HttpResponse unauthorised();

    // Constant-time comparison: the time taken does not depend on where the strings differ.
    static bool keysEqual(const QByteArray &given, const QByteArray &expected);

private:
    Http::HttpResponse dispatch(const Http::HttpRequest &request) const;
    Http::HttpResponse resources(const Http::HttpRequest &request, const QString &kind, const QString &id) const;
    Http::HttpResponse plugins(const Http::HttpRequest &request, const QString &name) const;
    Http::HttpResponse schemas(const Http::HttpRequest &request, const QString &name) const;   // adminresources.cpp
    Http::HttpResponse projections(const Http::HttpRequest &request, const QStringList &segments) const;   // adminprojections.cpp
    Http::HttpResponse collections(const Http::HttpRequest &request, const QString &name) const;
    Http::HttpResponse functions(const Http::HttpRequest &request, const QStringList &segments) const;   // adminfunctions.cpp
    Http::HttpResponse exportConfig(const Http::HttpRequest &request) const;   // GET /admin/config/export?format=json|apisix
    Http::HttpResponse importConfig(const Http::HttpRequest &request) const;   // PUT /admin/config: replace every resource
    Http::HttpResponse deadLetters(const Http::HttpRequest &request, const QStringList &segments) const;
    Http::HttpResponse scenarios(const Http::HttpRequest &request, const QStringList &segments) const;   // adminsimulation.cpp
    Http::HttpResponse runs(const Http::HttpRequest &request, const QStringList &segments) const;        // adminsimulation.cpp

    const AdminBackend *m_engine;
};

// Small helpers shared by the admin handlers.
namespace Reply {
Http::HttpResponse json(int status, const QJsonObject &body);
Http::HttpResponse list(const QJsonArray &items);
Http::HttpResponse problem(int status, const QString &detail, const QStringList &errors = {});
Http::HttpResponse methodNotAllowed(const QByteArray &allowed);
bool parseObject(const Http::HttpRequest &request, QJsonObject *out, Http::HttpResponse *error);
}

} // namespace Gatehouse::Admin
