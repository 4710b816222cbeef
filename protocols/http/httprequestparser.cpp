#include "httprequestparser.h"

#include "httpresponse.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace Gatehouse::Http {

namespace {
bool isValidHost(QByteArrayView host);   // below, with the other checks of the head
}

HttpRequestParser::HttpRequestParser(const HttpLimits &limits)
    : m_limits(limits)
{
    llhttp_settings_init(&m_settings);
    m_settings.on_message_begin = &HttpRequestParser::onMessageBegin;
    m_settings.on_url = &HttpRequestParser::onUrl;
    m_settings.on_header_field = &HttpRequestParser::onHeaderField;
    m_settings.on_header_field_complete = &HttpRequestParser::onHeaderFieldComplete;
    m_settings.on_header_value = &HttpRequestParser::onHeaderValue;
    m_settings.on_headers_complete = &HttpRequestParser::onHeadersComplete;
    m_settings.on_body = &HttpRequestParser::onBody;
    m_settings.on_chunk_extension_name = &HttpRequestParser::onChunkExtension;
    m_settings.on_chunk_extension_value = &HttpRequestParser::onChunkExtension;
    m_settings.on_chunk_header = &HttpRequestParser::onChunkHeader;
    m_settings.on_message_complete = &HttpRequestParser::onMessageComplete;
    llhttp_init(&m_parser, HTTP_REQUEST, &m_settings);
    m_parser.data = this;
}

void HttpRequestParser::append(const QByteArray &data)
{
    m_buffer.append(data);
}

HttpRequestParser::Status HttpRequestParser::parse()
{
    if (m_errorStatus != 0)
        return Status::Failed;
    while (hasUnparsed()) {
        if (!m_inMessage && !skipEmptyLines())
            return Status::Failed;
        if (!hasUnparsed())
            break;
        m_execOffset = m_fed;
        m_execBase = m_buffer.constData() + m_fed;
        const auto length = size_t(m_buffer.size() - m_fed);
        m_execEnd = m_execBase + length;
        if (m_chunkEndLeft > 0 && checkChunkEnd(m_execBase) != 0)
            return Status::Failed;   // the CRLF after a chunk that ended with the last bytes
        const llhttp_errno_t error = llhttp_execute(&m_parser, m_execBase, length);
        const auto stoppedAt = [this] {
            return m_execOffset + (llhttp_get_error_pos(&m_parser) - m_execBase);
        };

        if (error == HPE_OK) {
            m_fed = m_buffer.size();
            if (inHead() && m_buffer.size() > m_limits.maxHeaderBytes) {
                fail(431, QStringLiteral("The request head exceeds %1 bytes.")
                              .arg(m_limits.maxHeaderBytes));
                return Status::Failed;
            }
            // The raw bytes matter only for the head (size limit) and for upgrades (hand-over);
            // dropping them otherwise keeps a body from being held twice.
            if (!m_inMessage || (m_headersDone && !m_keepRaw)) {
                m_buffer.clear();
                m_fed = 0;
            }
            return Status::NeedMore;
        }
        if (error == HPE_PAUSED && m_complete) {
            // onMessageComplete paused right after the request's last byte.
            const qsizetype end = stoppedAt();
            if (m_keepRaw)
                m_rawMessage = m_buffer.left(end);   // empty lines before it were skipped already
            m_buffer.remove(0, end);
            m_fed = 0;
            m_complete = false;
            llhttp_resume(&m_parser);
            return Status::Complete;
        }
        if (error == HPE_PAUSED_UPGRADE) {
            // Only reached when the owner keeps parsing after an upgrade it declined.
            m_buffer.remove(0, stoppedAt());
            m_fed = 0;
            llhttp_resume_after_upgrade(&m_parser);
            continue;
        }
        if (m_errorStatus == 0) {
            fail(400, QStringLiteral("Malformed request: %1 (%2).")
                          .arg(QString::fromLatin1(llhttp_get_error_reason(&m_parser)),
                               QString::fromLatin1(llhttp_errno_name(error))));
        }
        return Status::Failed;
    }
    return Status::NeedMore;
}

HttpRequest HttpRequestParser::takeRequest()
{
    return std::exchange(m_request, HttpRequest());
}

QByteArray HttpRequestParser::takeRawMessage()
{
    return std::exchange(m_rawMessage, QByteArray());
}

QByteArray HttpRequestParser::takeUnparsed()
{
    QByteArray rest = m_buffer.mid(m_fed);
    m_buffer.clear();
    m_fed = 0;
    return rest;
}

bool HttpRequestParser::takeContinueRequest()
{
    return std::exchange(m_continueRequested, false);
}

QString HttpRequestParser::errorTitle() const
{
    return QString::fromLatin1(HttpResponse::reasonPhrase(m_errorStatus));
}

HttpRequestParser *HttpRequestParser::self(llhttp_t *parser)
{
    return static_cast<HttpRequestParser *>(parser->data);
}

int HttpRequestParser::fail(int status, const QString &detail)
{
    if (m_errorStatus == 0) {
        m_errorStatus = status;
        m_errorDetail = detail;
    }
    return HPE_USER;
}

// RFC 9112 2.2 lets a server ignore empty lines before a request line; a few are tolerated
// (some clients send CRLF after a POST body), a stream of them is refused. llhttp would skip
// them silently, so they are taken out here, where they can be counted and can start the
// head timer.
bool HttpRequestParser::skipEmptyLines()
{
    qsizetype end = m_fed;
    while (end < m_buffer.size() && (m_buffer.at(end) == '\r' || m_buffer.at(end) == '\n'))
        ++end;
    if (end == m_fed)
        return true;
    if (m_emptyLineBytes == 0)
        ++m_headsBegun;
    m_emptyLineBytes += int(std::min<qsizetype>(end - m_fed, 1 << 20));
    m_buffer.remove(m_fed, end - m_fed);
    const int allowed = 2 * std::max(0, m_limits.maxEmptyLinesBeforeRequest);   // CRLF each
    if (m_emptyLineBytes <= allowed)
        return true;
    fail(400, QStringLiteral("More than %1 empty lines before the request line.")
                  .arg(std::max(0, m_limits.maxEmptyLinesBeforeRequest)));
    return false;
}

// Chunk extensions and trailer fields are not kept, but they are bounded like a head.
bool HttpRequestParser::framingTooLarge(size_t length)
{
    m_framingBytes += qint64(length);
    return m_framingBytes > m_limits.maxHeaderBytes;
}

bool HttpRequestParser::headTooLarge(const char *spanEnd)
{
    // While the head is being parsed m_buffer starts at the request's first byte.
    const qsizetype headBytes = m_execOffset + (spanEnd - m_execBase);
    if (headBytes <= m_limits.maxHeaderBytes)
        return false;
    fail(431, QStringLiteral("The request head exceeds %1 bytes.").arg(m_limits.maxHeaderBytes));
    return true;
}

int HttpRequestParser::onMessageBegin(llhttp_t *parser)
{
    HttpRequestParser *p = self(parser);
    p->m_request = HttpRequest();
    p->m_field.clear();
    p->m_inMessage = true;
    p->m_headersDone = false;
    p->m_complete = false;
    p->m_keepRaw = true;
    if (p->m_emptyLineBytes == 0)
        ++p->m_headsBegun;   // else it began with its empty lines
    p->m_emptyLineBytes = 0;
    p->m_framingBytes = 0;
    p->m_chunkEndLeft = 0;
    p->m_headFieldsEnd = 0;
    return 0;
}

int HttpRequestParser::onUrl(llhttp_t *parser, const char *at, size_t length)
{
    HttpRequestParser *p = self(parser);
    if (p->headTooLarge(at + length))
        return HPE_USER;
    p->m_request.target.append(at, qsizetype(length));
    return 0;
}

int HttpRequestParser::onHeaderField(llhttp_t *parser, const char *at, size_t length)
{
    HttpRequestParser *p = self(parser);
    if (p->m_headersDone)
        return p->trailerBytes(length);
    if (p->headTooLarge(at + length))
        return HPE_USER;
    p->m_field.append(at, qsizetype(length));
    p->m_headFieldsEnd = p->m_execOffset + (at + length - p->m_execBase);
    return 0;
}

int HttpRequestParser::onHeaderFieldComplete(llhttp_t *parser)
{
    HttpRequestParser *p = self(parser);
    if (p->m_headersDone)
        return 0;   // a trailer field: not merged into the head (RFC 9110 6.5.1)
    p->m_request.headers.append({p->m_field.toLower(), QByteArray()});
    p->m_field.clear();
    return 0;
}

int HttpRequestParser::onHeaderValue(llhttp_t *parser, const char *at, size_t length)
{
    HttpRequestParser *p = self(parser);
    if (p->m_headersDone)
        return p->trailerBytes(length);
    if (p->headTooLarge(at + length))
        return HPE_USER;
    if (!p->m_request.headers.isEmpty())
        p->m_request.headers.last().second.append(at, qsizetype(length));
    p->m_headFieldsEnd = p->m_execOffset + (at + length - p->m_execBase);
    return 0;
}

int HttpRequestParser::onHeadersComplete(llhttp_t *parser)
{
    // Any non-zero other than 1/2/HPE_PAUSED must be -1 here; the reason is in m_errorStatus.
    return self(parser)->headersComplete() == 0 ? 0 : -1;
}

int HttpRequestParser::headersComplete()
{
    m_headersDone = true;
    HttpRequest &request = m_request;
    request.versionMajor = m_parser.http_major;
    request.versionMinor = m_parser.http_minor;
    if (const int refused = checkHead(); refused != 0)   // on the values as they came
        return refused;
    for (auto &entry : request.headers)
        entry.second = entry.second.trimmed();
    request.method = llhttp_method_name(llhttp_method_t(m_parser.method));
    request.versionMajor = m_parser.http_major;
    request.versionMinor = m_parser.http_minor;
    // Absolute form (RFC 9112 3.2.2, which a server must accept): the target's authority is the
    // host, whatever Host says, and the rest is the path as in origin form.
    if (const QByteArray lower = request.target.left(8).toLower(); lower.startsWith("http://") || lower.startsWith("https://")) {
        const qsizetype start = request.target.indexOf("//") + 2;
        qsizetype end = start;
        while (end < request.target.size() && request.target.at(end) != '/' && request.target.at(end) != '?')
            ++end;
        const QByteArray authority = request.target.mid(start, end - start);
        if (authority.isEmpty() || !isValidHost(authority))
            return fail(400, QStringLiteral("Malformed request: the absolute target's authority is not a host and port."));
        QByteArray rest = request.target.mid(end);
        if (!rest.startsWith('/'))
            rest.prepend('/');
        request.target = rest;
        request.headers.removeIf([](const auto &h) { return h.first == "host"; });
        request.headers.append({QByteArrayLiteral("host"), authority});
    } else if (!request.target.startsWith('/') && !(request.method == "OPTIONS" && request.target == "*")) {
        return fail(400, QStringLiteral("Malformed request: the target is neither a path nor an absolute URI."));
    }
    const qsizetype question = request.target.indexOf('?');
    request.path = question < 0 ? request.target : request.target.left(question);
    request.query = question < 0 ? QByteArray() : request.target.mid(question + 1);
    request.upgrade = m_parser.upgrade != 0;
    request.keepAlive = llhttp_should_keep_alive(&m_parser) != 0;
    m_keepRaw = request.upgrade;

    const bool chunked = (m_parser.flags & F_CHUNKED) != 0;
    const bool hasLength = (m_parser.flags & F_CONTENT_LENGTH) != 0;
    if (hasLength && !chunked && m_parser.content_length > quint64(m_limits.maxBodyBytes)) {
        return fail(413, QStringLiteral("The request body (%1 bytes) exceeds the limit of %2 bytes.")
                             .arg(m_parser.content_length)
                             .arg(m_limits.maxBodyBytes));
    }

    // RFC 9110 10.1.1: only 100-continue is defined, and HTTP/1.0 expectations are ignored.
    const bool http11 = request.versionMajor > 1
        || (request.versionMajor == 1 && request.versionMinor >= 1);
    if (http11 && request.hasHeader("expect")) {
        if (request.header("expect").compare("100-continue", Qt::CaseInsensitive) != 0) {
            return fail(417, QStringLiteral("Only \"Expect: 100-continue\" is supported, got \"%1\".")
                                 .arg(QString::fromLatin1(request.header("expect"))));
        }
        m_continueRequested = chunked || (hasLength && m_parser.content_length > 0);
    }
    return 0;
}

int HttpRequestParser::onBody(llhttp_t *parser, const char *at, size_t length)
{
    HttpRequestParser *p = self(parser);
    if (p->m_request.body.size() + qint64(length) > p->m_limits.maxBodyBytes) {
        return p->fail(413, QStringLiteral("The request body exceeds the limit of %1 bytes.")
                                .arg(p->m_limits.maxBodyBytes));
    }
    p->m_request.body.append(at, qsizetype(length));
    // The end of a chunk's data (llhttp counts it down to 0): llhttp 8 skips the two bytes after
    // it unseen, where RFC 9112 7.1 has a CRLF; anything else there could hide a request.
    if ((parser->flags & F_CHUNKED) && parser->content_length == 0) {
        p->m_chunkEndLeft = 2;
        return p->checkChunkEnd(at + length);
    }
    return 0;
}

int HttpRequestParser::checkChunkEnd(const char *from)
{
    for (; m_chunkEndLeft > 0 && from < m_execEnd; ++from, --m_chunkEndLeft) {
        if (*from != (m_chunkEndLeft == 2 ? '\r' : '\n'))
            return fail(400, QStringLiteral("Malformed request: a chunk's data is not followed by CRLF."));
    }
    return 0;
}

namespace {
bool isTokenChar(char c)
{
    // RFC 9110 5.6.2 tchar
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// RFC 9112 3.2 / RFC 3986 3.2.2: Host is uri-host [":" port], or empty.
bool isValidHost(QByteArrayView host)
{
    if (host.isEmpty())
        return true;
    const auto isHex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    const auto isPort = [](QByteArrayView v) {
        return v.size() <= 5 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) && v.toInt() <= 65535;
    };
    qsizetype end = 0;
    if (host.front() == '[') {   // IP-literal: an IPv6 address (IPvFuture is not served)
        end = host.indexOf(']');
        if (end < 2 || !std::all_of(host.begin() + 1, host.begin() + end, [&](char c) { return isHex(c) || c == ':' || c == '.'; }))
            return false;
        ++end;
    } else {   // IPv4address or reg-name: unreserved, pct-encoded, sub-delims
        while (end < host.size() && host.at(end) != ':') {
            const char c = host.at(end);
            if (c == '%') {
                if (end + 2 >= host.size() || !isHex(host.at(end + 1)) || !isHex(host.at(end + 2)))
                    return false;
                end += 3;
                continue;
            }
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::strchr("-._~!$&'()*+,;=", c)))
                return false;
            ++end;
        }
        if (end == 0)
            return false;
    }
    if (end == host.size())
        return true;
    return host.at(end) == ':' && isPort(host.sliced(end + 1));
}

// Fields a request carries once: a second one (another credential, another content type) is
// a way for a proxy in front and this server to read one request differently.
bool isSingleton(QByteArrayView name)
{
    static const QByteArrayView names[] = {"authorization", "proxy-authorization", "content-type", "origin", "upgrade",
                                           "sec-websocket-key", "sec-websocket-version", "last-event-id", "idempotency-key",
                                           "x-min-position", "x-api-key"};
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}
} // namespace

// What llhttp 8 lets through and RFC 9112 does not: another HTTP version, field names that are
// not tokens, line folding or bare CR/LF inside a value, a transfer coding other than chunked,
// and a missing or repeated Host. Each is a way for two parsers to read one request differently.
int HttpRequestParser::checkHead()
{
    const HttpRequest &request = m_request;
    if (request.versionMajor != 1 || request.versionMinor > 1)
        return fail(505, QStringLiteral("Only HTTP/1.1 and HTTP/1.0 are served, not HTTP/%1.%2.")
                             .arg(request.versionMajor)
                             .arg(request.versionMinor));
    int hosts = 0, codings = 0;
    QList<QByteArrayView> singletons;
    for (const auto &[name, value] : request.headers) {
        if (name.isEmpty() || !std::all_of(name.cbegin(), name.cend(), isTokenChar))
            return fail(400, QStringLiteral("Malformed request: a header name is not a token."));
        if (value.contains('\r') || value.contains('\n') || value.contains('\0'))
            return fail(400, QStringLiteral("Malformed request: the header '%1' is folded over lines or holds CR, LF or NUL.")
                                 .arg(QString::fromLatin1(name.left(64))));
        hosts += name == "host";
        if (name == "host" && !isValidHost(value.trimmed()))
            return fail(400, QStringLiteral("Malformed request: the Host header is not a host and port."));
        if (isSingleton(name)) {
            if (singletons.contains(QByteArrayView(name)))
                return fail(400, QStringLiteral("Malformed request: the header '%1' is given more than once.").arg(QString::fromLatin1(name)));
            singletons.append(name);
        }
        if (name == "upgrade" && request.versionMinor == 0)
            return fail(400, QStringLiteral("Malformed request: an upgrade needs HTTP/1.1."));
        if (name == "transfer-encoding") {
            ++codings;
            if (value.trimmed().compare("chunked", Qt::CaseInsensitive) != 0 || codings > 1)
                return fail(501, QStringLiteral("Only \"Transfer-Encoding: chunked\" is supported."));
        }
    }
    // Line folding (RFC 9112 5.2: obsolete, to be refused): llhttp 8 joins the lines before the
    // value reaches us, so it shows only in the head as sent -- still whole in m_buffer here,
    // from the request line to the end of the last header (a fold ends inside a value).
    const QByteArrayView head = QByteArrayView(m_buffer).first(std::clamp<qsizetype>(m_headFieldsEnd, 0, m_buffer.size()));
    if (head.contains("\n ") || head.contains("\n\t"))
        return fail(400, QStringLiteral("Malformed request: a header is folded over lines (obsolete line folding)."));
    if (hosts > 1 || (hosts == 0 && request.versionMinor == 1))
        return fail(400, QStringLiteral("Malformed request: an HTTP/1.1 request has exactly one Host header (this one has %1).").arg(hosts));
    return 0;
}

int HttpRequestParser::onChunkExtension(llhttp_t *parser, const char *, size_t length)
{
    HttpRequestParser *p = self(parser);
    if (!p->framingTooLarge(length))
        return 0;
    return p->fail(400, QStringLiteral("The chunk extensions and trailers of the request body exceed %1 bytes.")
                            .arg(p->m_limits.maxHeaderBytes));
}

int HttpRequestParser::onChunkHeader(llhttp_t *parser)
{
    // llhttp has the chunk's size in content_length: one larger than the body's limit is
    // refused before its data is read, as a Content-Length is.
    HttpRequestParser *p = self(parser);
    if (p->m_request.body.size() + qint64(std::min<quint64>(parser->content_length, quint64(std::numeric_limits<qint64>::max() / 2)))
        <= p->m_limits.maxBodyBytes)
        return 0;
    return p->fail(413, QStringLiteral("The request body exceeds the limit of %1 bytes.").arg(p->m_limits.maxBodyBytes));
}

int HttpRequestParser::trailerBytes(size_t length)
{
    if (!framingTooLarge(length))
        return 0;
    return fail(431, QStringLiteral("The chunk extensions and trailers of the request body exceed %1 bytes.")
                         .arg(m_limits.maxHeaderBytes));
}

int HttpRequestParser::onMessageComplete(llhttp_t *parser)
{
    HttpRequestParser *p = self(parser);
    p->m_request.keepAlive = llhttp_should_keep_alive(parser) != 0;
    p->m_inMessage = false;
    p->m_complete = true;
    p->m_continueRequested = false;  // the body is already here
    // Pause so that exactly one request is handed out per parse().
    return HPE_PAUSED;
}

} // namespace Gatehouse::Http
