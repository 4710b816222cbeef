#include "adminapi.h"

#include "engine.h"
#include "http/httprequest.h"
#include "http/httpresponder.h"
#include "http/httpresponse.h"
#include "store/eventstore.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Gatehouse::Admin {

AdminApi::AdminApi(Engine *engine)
    : m_engine(engine)
{
}

bool AdminApi::keysEqual(const QByteArray &given, const QByteArray &expected)
{
    // Compare every byte of the expected key whatever the input, so neither the position of
    // the first difference nor the given length's relation to it leaks through timing.
    unsigned char diff = given.size() == expected.size() ? 0 : 1;
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const char g = i < given.size() ? given.at(i) : 0;
        diff |= static_cast<unsigned char>(g ^ expected.at(i));
    }
    return diff == 0 && !expected.isEmpty();
}

Http::HttpHandler AdminApi::handler() const
{
    Engine *engine = m_engine;
    return [engine](const Http::HttpRequest &request, const Http::HttpResponder &responder) {
        if (request.path == "/health") {
            const bool ready = engine->isRunning();
            QJsonObject body{
                {QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("starting")},
                {QStringLiteral("position"), ready ? engine->eventStore()->headPosition() : 0},
            };
            responder.respond(Http::HttpResponse::json(ready ? 200 : 503, QJsonDocument(body).toJson(QJsonDocument::Compact)));
            return;
        }
        if (request.path.startsWith("/admin")) {
            if (!keysEqual(request.header("x-api-key"), engine->adminKey().toUtf8())) {
                responder.respond(Http::HttpResponse::problem(401, QStringLiteral("Unauthorized"),
                                                              QStringLiteral("a valid X-API-KEY header is required")));
                return;
            }
        }
        responder.respond(Http::HttpResponse::problem(404, QStringLiteral("Not Found"),
                                                      QStringLiteral("no admin resource at %1").arg(QString::fromUtf8(request.path))));
    };
}

} // namespace Gatehouse::Admin
