#include "httpupstreamresponseparser.h"

namespace Gatehouse {

namespace {
constexpr qsizetype kMaxHeadBytes = 64 * 1024;
constexpr qsizetype kMaxBodyBytes = 64 * 1024 * 1024;
} // namespace

HttpUpstreamResponseParser::HttpUpstreamResponseParser()
{
    llhttp_settings_init(&m_settings);
    m_settings.on_header_field = &HttpUpstreamResponseParser::onHeaderField;
    m_settings.on_header_field_complete = &HttpUpstreamResponseParser::onHeaderFieldComplete;
    m_settings.on_header_value = &HttpUpstreamResponseParser::onHeaderValue;
    m_settings.on_headers_complete = &HttpUpstreamResponseParser::onHeadersComplete;
    m_settings.on_body = &HttpUpstreamResponseParser::onBody;
    m_settings.on_message_complete = &HttpUpstreamResponseParser::onMessageComplete;
    reset(false);
}

void HttpUpstreamResponseParser::reset(bool headRequest)
{
    llhttp_init(&m_parser, HTTP_RESPONSE, &m_settings);
    m_parser.data = this;
    m_head = headRequest;
    m_complete = false;
    m_keepAlive = false;
    m_status = 0;
    m_headBytes = 0;
    m_field.clear();
    m_headers.clear();
    m_body.clear();
    m_error.clear();
}

HttpUpstreamResponseParser::Status HttpUpstreamResponseParser::feed(const QByteArray &data)
{
    if (m_complete)
        return Status::Complete;
    const llhttp_errno_t error = llhttp_execute(&m_parser, data.constData(), size_t(data.size()));
    if (error == HPE_OK)
        return Status::NeedMore;
    if (error == HPE_PAUSED && m_complete) {
        // Bytes after the answer: the node is not speaking HTTP/1.1 request-response.
        if (llhttp_get_error_pos(&m_parser) != data.constData() + data.size())
            m_keepAlive = false;
        return Status::Complete;
    }
    return failed(error);
}

HttpUpstreamResponseParser::Status HttpUpstreamResponseParser::finish()
{
    if (m_complete)
        return Status::Complete;
    const llhttp_errno_t error = llhttp_finish(&m_parser);
    if (m_complete) {
        m_keepAlive = false;
        return Status::Complete;
    }
    if (error == HPE_OK) {
        m_error = QStringLiteral("the connection closed before an answer");
        return Status::Failed;
    }
    return failed(error);
}

HttpUpstreamResponseParser::Status HttpUpstreamResponseParser::failed(llhttp_errno_t error)
{
    if (m_error.isEmpty()) {
        m_error = QStringLiteral("malformed answer: %1 (%2)")
                      .arg(QString::fromLatin1(llhttp_get_error_reason(&m_parser)), QString::fromLatin1(llhttp_errno_name(error)));
    }
    return Status::Failed;
}

HttpUpstreamResponseParser *HttpUpstreamResponseParser::self(llhttp_t *parser)
{
    return static_cast<HttpUpstreamResponseParser *>(parser->data);
}

int HttpUpstreamResponseParser::onHeaderField(llhttp_t *parser, const char *at, size_t length)
{
    HttpUpstreamResponseParser *p = self(parser);
    p->m_headBytes += qsizetype(length);
    if (p->m_headBytes > kMaxHeadBytes) {
        p->m_error = QStringLiteral("the answer's head exceeds %1 bytes").arg(kMaxHeadBytes);
        return HPE_USER;
    }
    p->m_field.append(at, qsizetype(length));
    return 0;
}

int HttpUpstreamResponseParser::onHeaderFieldComplete(llhttp_t *parser)
{
    HttpUpstreamResponseParser *p = self(parser);
    p->m_headers.append({p->m_field.toLower(), QByteArray()});
    p->m_field.clear();
    return 0;
}

int HttpUpstreamResponseParser::onHeaderValue(llhttp_t *parser, const char *at, size_t length)
{
    HttpUpstreamResponseParser *p = self(parser);
    p->m_headBytes += qsizetype(length);
    if (p->m_headBytes > kMaxHeadBytes) {
        p->m_error = QStringLiteral("the answer's head exceeds %1 bytes").arg(kMaxHeadBytes);
        return HPE_USER;
    }
    if (!p->m_headers.isEmpty())
        p->m_headers.last().second.append(at, qsizetype(length));
    return 0;
}

int HttpUpstreamResponseParser::onHeadersComplete(llhttp_t *parser)
{
    HttpUpstreamResponseParser *p = self(parser);
    p->m_status = parser->status_code;
    for (auto &header : p->m_headers)
        header.second = header.second.trimmed();
    if (p->m_status == 101) {
        p->m_error = QStringLiteral("the node switched protocols, which an http upstream does not support");
        return -1;
    }
    return p->m_head ? 1 : 0;   // 1: no body follows (llhttp knows 1xx, 204 and 304 itself)
}

int HttpUpstreamResponseParser::onBody(llhttp_t *parser, const char *at, size_t length)
{
    HttpUpstreamResponseParser *p = self(parser);
    if (p->m_body.size() + qsizetype(length) > kMaxBodyBytes) {
        p->m_error = QStringLiteral("the answer's body exceeds %1 bytes").arg(kMaxBodyBytes);
        return HPE_USER;
    }
    p->m_body.append(at, qsizetype(length));
    return 0;
}

int HttpUpstreamResponseParser::onMessageComplete(llhttp_t *parser)
{
    HttpUpstreamResponseParser *p = self(parser);
    if (p->m_status >= 100 && p->m_status < 200) {
        // An interim answer (100 Continue, 103 Early Hints): the real one follows.
        p->m_status = 0;
        p->m_headBytes = 0;
        p->m_headers.clear();
        p->m_body.clear();
        return 0;
    }
    p->m_complete = true;
    p->m_keepAlive = llhttp_should_keep_alive(parser);
    return HPE_PAUSED;
}

} // namespace Gatehouse
