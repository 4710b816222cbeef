#include "commandrequest.h"

#include "ifmatch.h"
#include "api/apirequest.h"

namespace Gatehouse {

CommandRequest CommandRequest::fromApiRequest(const QString &collection, const ApiRequest &request)
{
    CommandRequest c;
    c.collection = collection;
    c.id = request.params.value(QStringLiteral("id"));
    const QString named = request.params.value(QStringLiteral("command"));
    c.command = !named.isEmpty() ? named : (c.id.isEmpty() ? QStringLiteral("create") : QStringLiteral("update"));
    c.body = request.body;
    c.contentType = request.header("content-type");
    if (c.contentType.isNull())
        c.contentType = QByteArrayLiteral("");   // present-but-empty marks "HTTP, no content type"
    if (const std::optional<QByteArray> ifMatch = IfMatch::joinLines(request.headers)) {
        c.ifMatch = *ifMatch;
        c.ifMatchGiven = true;
    }
    c.idempotencyKey = QString::fromUtf8(request.header("idempotency-key"));
    c.idempotencyKeyGiven = request.hasHeader("idempotency-key");
    c.correlationId = QString::fromUtf8(request.header("x-correlation-id"));
    if (c.correlationId.isEmpty())
        c.correlationId = QString::fromUtf8(request.header("x-request-id"));
    c.user = request.consumer;
    c.origin = request.protocol.isEmpty() ? QStringLiteral("http") : request.protocol;
    if (!request.remoteAddress.isEmpty())
        c.origin += QLatin1Char(' ') + request.remoteAddress;
    return c;
}

} // namespace Gatehouse
