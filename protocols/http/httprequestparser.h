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
    bool inHead() const { return m_inMessage && !m_headersDone; }
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
    static int onMessageComplete(llhttp_t *parser);
    static HttpRequestParser *self(llhttp_t *parser);

    int fail(int status, const QString &detail);
    bool headTooLarge(const char *spanEnd);
    int headersComplete();

    const HttpLimits m_limits;
    llhttp_settings_t m_settings;
    llhttp_t m_parser;

    QByteArray m_buffer;        // from the current request's first byte (while needed) on
    qsizetype m_fed = 0;        // bytes of m_buffer already given to llhttp
    const char *m_execBase = nullptr;
    qsizetype m_execOffset = 0;

    HttpRequest m_request;
    QByteArray m_field;         // header name being read
    QByteArray m_rawMessage;
    bool m_inMessage = false;
    bool m_headersDone = false;
    bool m_complete = false;
    bool m_keepRaw = true;
    bool m_continueRequested = false;
    int m_errorStatus = 0;
    QString m_errorDetail;
};

} // namespace Gatehouse::Http
