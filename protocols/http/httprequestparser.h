#pragma once

#include "httplimits.h"
#include "httprequest.h"

#include <QByteArray>
#include <QString>

#include <llhttp.h>

namespace Gatehouse::Http {

// Incremental HTTP/1.x request parser over llhttp for one connection. It stops after every
// complete request so the connection can apply pipelining limits, and enforces the header
// and body limits while parsing so an oversized request is never buffered beyond its limit.
// Not thread-safe; lives with its HttpConnection on the network thread.
class HttpRequestParser final
{
public:
    enum class Status { NeedMore, Complete, Failed };

    explicit HttpRequestParser(const HttpLimits &limits);
    Q_DISABLE_COPY_MOVE(HttpRequestParser)

    void append(const QByteArray &data);
    bool hasUnparsed() const { return m_fed < m_buffer.size(); }
    // Parses until one request is complete, the input runs out, or the request is refused.
    Status parse();

    HttpRequest takeRequest();        // after Complete
    QByteArray takeRawMessage();      // after Complete: the request's bytes; kept only for upgrades
    QByteArray takeUnparsed();        // bytes after the last complete request

    bool inMessage() const { return m_inMessage; }
    // A request head has begun (empty lines before a request line count) and is not complete.
    bool inHead() const { return m_inMessage ? !m_headersDone : m_emptyLineBytes > 0; }
    // The head is complete and the body (with a chunked body's framing and trailers) is not.
    bool inBody() const { return m_inMessage && m_headersDone; }
    qint64 bodyBytes() const { return m_request.body.size(); }
    // Counts request heads begun (at their first byte): tells one request's timers from the next's.
    quint64 headsBegun() const { return m_headsBegun; }
    // True once per request that carried "Expect: 100-continue" and still awaits its body.
    bool takeContinueRequest();

    int errorStatus() const { return m_errorStatus; }
    QString errorTitle() const;
    QString errorDetail() const { return m_errorDetail; }

private:
    static int onMessageBegin(llhttp_t *parser);
    static int onUrl(llhttp_t *parser, const char *at, size_t length);
    static int onHeaderField(llhttp_t *parser, const char *at, size_t length);
    static int onHeaderFieldComplete(llhttp_t *parser);
    static int onHeaderValue(llhttp_t *parser, const char *at, size_t length);
    static int onHeadersComplete(llhttp_t *parser);
    static int onBody(llhttp_t *parser, const char *at, size_t length);
    static int onChunkExtension(llhttp_t *parser, const char *at, size_t length);
    static int onChunkHeader(llhttp_t *parser);
    static int onMessageComplete(llhttp_t *parser);
    static HttpRequestParser *self(llhttp_t *parser);

    int fail(int status, const QString &detail);
    bool headTooLarge(const char *spanEnd);
    bool skipEmptyLines();
    bool framingTooLarge(size_t length);
    int trailerBytes(size_t length);
    int checkHead();
    int checkChunkEnd(const char *from);
    int headersComplete();

    const HttpLimits m_limits;
    llhttp_settings_t m_settings;
    llhttp_t m_parser;

    QByteArray m_buffer;        // from the current request's first byte (while needed) on
    qsizetype m_fed = 0;        // bytes of m_buffer already given to llhttp
    const char *m_execBase = nullptr;
    const char *m_execEnd = nullptr;
    int m_chunkEndLeft = 0;         // bytes of the CRLF after a chunk's data still to be checked
    qsizetype m_headFieldsEnd = 0;  // offset in m_buffer just past the head's last header name or value
    qsizetype m_execOffset = 0;

    HttpRequest m_request;
    QByteArray m_field;         // header name being read
    QByteArray m_rawMessage;
    bool m_inMessage = false;
    bool m_headersDone = false;
    bool m_complete = false;
    bool m_keepRaw = true;
    bool m_continueRequested = false;
    int m_emptyLineBytes = 0;       // CR/LF bytes seen before the current request line
    quint64 m_headsBegun = 0;
    qint64 m_framingBytes = 0;      // chunk extensions and trailers of the current body
    int m_errorStatus = 0;
    QString m_errorDetail;
};

} // namespace Gatehouse::Http
