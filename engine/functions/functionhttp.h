#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"

#include <QJsonObject>
#include <QJsonValue>

namespace Gatehouse {

// The shape of a function behind a route ("function" upstream): the request as handle()'s
// input, and handle()'s result as the answer.
//
// A result {status, headers, body} is checked before it becomes a response, because the
// function must not be able to break HTTP for the client: a status outside 200..599 (1xx
// would leave a keep-alive client waiting for a final answer, 101 would claim a protocol
// switch), a header name that is not an RFC 9110 token, a value with CR, LF or NUL, or more
// than FunctionLimits' header budget answer 502 instead. Hop-by-hop and framing headers
// (connection, keep-alive, transfer-encoding, content-length, upgrade, te, trailer,
// proxy-connection) are the server's and are ignored. Any other result is a 200 JSON body,
// and no result 204; {status: <number>} is what makes a result an HTTP answer.
class FunctionHttp final
{
public:
    static QJsonObject input(const ApiRequest &request);
    static ApiResponse output(const QString &function, const QJsonValue &result);

    static bool isToken(QByteArrayView name);          // RFC 9110 section 5.6.2
    static bool isFieldValue(QByteArrayView value);    // no CR, LF or NUL
    static bool isHopByHop(QByteArrayView lowerCaseName);
};

} // namespace Gatehouse
