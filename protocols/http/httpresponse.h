#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <utility>

namespace Gatehouse::Http {

// One HTTP response as produced by a handler. A plain value, built on any thread. The server
// adds Content-Length, Connection, Date and Server itself (a handler's own Date or Server wins);
// a handler's Content-Length or Transfer-Encoding is ignored because framing is the server's job.
struct HttpResponse {
    int status = 200;
    QList<std::pair<QByteArray, QByteArray>> headers;  // as given
    QByteArray body;

    void setHeader(const QByteArray &name, const QByteArray &value); // replaces existing (case-insensitive)
    QByteArray header(QByteArrayView name) const;                    // first value (case-insensitive) or empty

    static HttpResponse json(int status, const QByteArray &body);    // content-type application/json
    // RFC 9457 body {"type":"about:blank","title","status","detail"}, application/problem+json.
    static HttpResponse problem(int status, const QString &title, const QString &detail);
    static QByteArray reasonPhrase(int status);
};

} // namespace Gatehouse::Http
