#include "httpwire.h"

#include "httplogging.h"
#include "httpresponse.h"

#include <QDateTime>

#include <cstdio>

namespace Gatehouse::Http::HttpWire {

namespace {

bool hasBody(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

bool isServerOwned(const QByteArray &name)
{
    // Framing and connection management are decided by the server, never by a handler.
    for (const char *owned : {"content-length", "transfer-encoding", "connection", "keep-alive"}) {
        if (name.compare(owned, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool isSafeToken(QByteArrayView text)
{
    return !text.contains('\r') && !text.contains('\n');
}

QByteArray encodeHead(const HttpResponse &response, Framing framing, qsizetype contentLength,
                      bool closeConnection)
{
    QByteArray out;
    out.reserve(192 + response.headers.size() * 48);
    out += "HTTP/1.1 " % QByteArray::number(response.status) % ' '
        % HttpResponse::reasonPhrase(response.status) % "\r\n";
    bool hasDate = false;
    bool hasServer = false;
    for (const auto &[name, value] : response.headers) {
        if (name.isEmpty() || !isSafeToken(name) || !isSafeToken(value)) {
            // A CR or LF would let a header value smuggle in headers or a second response.
            qCWarning(lcHttp) << "dropping unsafe response header" << name;
            continue;
        }
        if (isServerOwned(name))
            continue;
        hasDate = hasDate || name.compare("date", Qt::CaseInsensitive) == 0;
        hasServer = hasServer || name.compare("server", Qt::CaseInsensitive) == 0;
        out += name % ": " % value % "\r\n";
    }
    if (!hasDate)
        out += "Date: " % currentDate() % "\r\n";
    if (!hasServer)
        out += "Server: gatehouse\r\n";
    switch (framing) {
    case Framing::ContentLength:
        if (hasBody(response.status))
            out += "Content-Length: " % QByteArray::number(contentLength) % "\r\n";
        break;
    case Framing::Chunked:
        out += "Transfer-Encoding: chunked\r\n";
        break;
    case Framing::UntilClose:
        break;
    }
    out += closeConnection ? QByteArrayView("Connection: close\r\n\r\n")
                           : QByteArrayView("Connection: keep-alive\r\n\r\n");
    return out;
}

} // namespace

QByteArray encodeResponse(const HttpResponse &response, bool headRequest, bool closeConnection)
{
    const bool body = hasBody(response.status);
    QByteArray out = encodeHead(response, Framing::ContentLength,
                                body ? response.body.size() : 0, closeConnection);
    if (body && !headRequest)
        out += response.body;
    return out;
}

QByteArray encodeStreamHead(const HttpResponse &head, Framing framing)
{
    // A stream is always the connection's last answer.
    return encodeHead(head, framing, 0, true);
}

QByteArray encodeChunk(QByteArrayView data)
{
    return QByteArray::number(data.size(), 16) % "\r\n" % data % "\r\n";
}

QByteArray lastChunk()
{
    return QByteArrayLiteral("0\r\n\r\n");
}

QByteArray continueResponse()
{
    return QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n");
}

bool asksToClose(const HttpResponse &response)
{
    return response.header("connection").toLower().contains("close");
}

QByteArray currentDate()
{
    static constexpr const char *days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // One text per second and network thread: every answer carries it, and formatting it
    // showed in profiles.
    thread_local qint64 cachedSecond = -1;
    thread_local QByteArray cached;
    const qint64 second = QDateTime::currentSecsSinceEpoch();
    if (second == cachedSecond)
        return cached;
    // Built by hand: QLocale/QDateTime formats are locale- or offset-flavoured, HTTP wants GMT.
    const QDateTime now = QDateTime::fromSecsSinceEpoch(second, Qt::UTC);
    const QDate date = now.date();
    const QTime time = now.time();
    char text[40];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  days[date.dayOfWeek() - 1], date.day(), months[date.month() - 1], date.year(),
                  time.hour(), time.minute(), time.second());
    cached = QByteArray(text);
    cachedSecond = second;
    return cached;
}

} // namespace Gatehouse::Http::HttpWire
