#include "httpresponseparser.h"

namespace Gatehouse::Simulation {

namespace {
bool isToken(const QByteArray &name)
{
    if (name.isEmpty())
        return false;
    for (const char c : name) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !QByteArrayView("!#$%&'*+-.^_`|~").contains(c))
            return false;
    }
    return true;
}

bool hasToken(const QByteArray &list, const QByteArray &token)
{
    for (const QByteArray &item : list.split(','))
        if (item.trimmed().toLower() == token)
            return true;
    return false;
}
} // namespace

QByteArray HttpResponseParser::Response::header(const QByteArray &lowerName) const
{
    for (const auto &[name, value] : headers)
        if (name == lowerName)
            return value;
    return {};
}

void HttpResponseParser::reset(bool toHead)
{
    m_state = State::Head;
    m_mode = BodyMode::None;
    m_chunkStep = ChunkStep::Size;
    m_remaining = 0;
    m_toHead = toHead;
    m_started = false;
    m_error = "";
    m_response = {};
}

HttpResponseParser::State HttpResponseParser::fail(const char *why)
{
    m_error = why;
    m_state = State::Error;
    return m_state;
}

HttpResponseParser::State HttpResponseParser::feed(QByteArray &buffer)
{
    if (!buffer.isEmpty())
        m_started = true;
    while (m_state == State::Head) {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (buffer.size() > kMaxHeadBytes)
                return fail("response head too large");
            return m_state;
        }
        if (end > kMaxHeadBytes)
            return fail("response head too large");
        const QByteArray head = buffer.left(end);
        buffer.remove(0, end + 4);
        if (!parseHead(head))
            return m_state;
        // 1xx (100 Continue, 103 Early Hints) come before the real answer.
        if (m_response.status >= 100 && m_response.status < 200) {
            m_response = {};
            continue;
        }
        if (m_state == State::Head)
            m_state = State::Body;
    }
    if (m_state == State::Body)
        feedBody(buffer);
    return m_state;
}

bool HttpResponseParser::parseHead(const QByteArray &head)
{
    const QList<QByteArray> lines = head.split('\n');
    QByteArray statusLine = lines.constFirst();
    if (statusLine.endsWith('\r'))
        statusLine.chop(1);
    // HTTP-version SP 3DIGIT SP [reason]
    if (statusLine.size() < 12 || !statusLine.startsWith("HTTP/1.") || statusLine.at(8) != ' '
        || (statusLine.size() > 12 && statusLine.at(12) != ' ')) {
        fail("malformed status line");
        return false;
    }
    bool ok = false;
    const int status = statusLine.mid(9, 3).toInt(&ok);
    if (!ok || status < 100 || status > 999) {
        fail("malformed status code");
        return false;
    }
    m_response.status = status;
    const bool http10 = statusLine.at(7) == '0';
    QByteArray contentLength;
    bool chunked = false;
    bool close = http10;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        const QByteArray name = colon > 0 ? line.left(colon).toLower() : QByteArray();
        if (!isToken(name)) {
            fail("malformed header line");
            return false;
        }
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            if (!contentLength.isEmpty() && contentLength != value) {
                fail("conflicting Content-Length headers");
                return false;
            }
            contentLength = value;
        } else if (name == "transfer-encoding") {
            if (!value.toLower().trimmed().endsWith("chunked")) {
                fail("unsupported Transfer-Encoding");
                return false;
            }
            chunked = true;
        } else if (name == "connection") {
            if (hasToken(value, "close"))
                close = true;
            else if (http10 && hasToken(value, "keep-alive"))
                close = false;
        }
        m_response.headers.append({name, value});
    }
    m_response.keepAlive = !close;
    if (status < 200)
        return true;
    if (m_toHead || status == 204 || status == 304) {
        m_mode = BodyMode::None;
        m_state = State::Done;
        return true;
    }
    if (chunked && !contentLength.isEmpty()) {
        fail("both Content-Length and chunked");
        return false;
    }
    if (chunked) {
        m_mode = BodyMode::Chunked;
    } else if (!contentLength.isEmpty()) {
        for (const char c : contentLength) {
            if (c < '0' || c > '9') {
                fail("malformed Content-Length");
                return false;
            }
        }
        const qint64 length = contentLength.size() > 18 ? -1 : contentLength.toLongLong(&ok);
        if (length < 0 || length > kMaxBodyBytes) {
            fail(length < 0 ? "malformed Content-Length" : "response body too large");
            return false;
        }
        m_mode = BodyMode::Length;
        m_remaining = length;
        if (length == 0)
            m_state = State::Done;
    } else {
        m_mode = BodyMode::UntilClose;
        m_response.keepAlive = false;
    }
    return true;
}

void HttpResponseParser::feedBody(QByteArray &buffer)
{
    switch (m_mode) {
    case BodyMode::None:
        m_state = State::Done;
        return;
    case BodyMode::Length: {
        const qint64 take = qMin<qint64>(m_remaining, buffer.size());
        m_response.body += buffer.left(take);
        buffer.remove(0, take);
        m_remaining -= take;
        if (m_remaining == 0)
            m_state = State::Done;
        return;
    }
    case BodyMode::UntilClose:
        if (m_response.body.size() + buffer.size() > kMaxBodyBytes) {
            fail("response body too large");
            return;
        }
        m_response.body += buffer;
        buffer.clear();
        return;
    case BodyMode::Chunked:
        feedChunked(buffer);
        return;
    }
}

void HttpResponseParser::feedChunked(QByteArray &buffer)
{
    while (m_state == State::Body) {
        if (m_chunkStep == ChunkStep::Data) {
            const qint64 take = qMin<qint64>(m_remaining, buffer.size());
            m_response.body += buffer.left(take);
            buffer.remove(0, take);
            m_remaining -= take;
            if (m_remaining > 0)
                return;
            m_chunkStep = ChunkStep::DataEnd;
            continue;
        }
        if (m_chunkStep == ChunkStep::DataEnd) {
            if (buffer.size() < 2)
                return;
            if (!buffer.startsWith("\r\n")) {
                fail("chunk not followed by CRLF");
                return;
            }
            buffer.remove(0, 2);
            m_chunkStep = ChunkStep::Size;
            continue;
        }
        const qsizetype end = buffer.indexOf("\r\n");
        if (end < 0) {
            if (buffer.size() > kMaxHeadBytes)
                fail(m_chunkStep == ChunkStep::Size ? "chunk size line too long" : "trailers too large");
            return;
        }
        const QByteArray line = buffer.left(end);
        buffer.remove(0, end + 2);
        if (m_chunkStep == ChunkStep::Trailer) {
            if (line.isEmpty())
                m_state = State::Done;
            continue;
        }
        // chunk-size [; extensions]
        const QByteArray size = line.split(';').constFirst().trimmed();
        bool ok = size.size() <= 15 && !size.isEmpty();
        for (const char c : size)
            ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
        const qint64 n = ok ? size.toLongLong(&ok, 16) : -1;
        if (!ok || n < 0) {
            fail("malformed chunk size");
            return;
        }
        if (m_response.body.size() + n > kMaxBodyBytes) {
            fail("response body too large");
            return;
        }
        if (n == 0) {
            m_chunkStep = ChunkStep::Trailer;
        } else {
            m_remaining = n;
            m_chunkStep = ChunkStep::Data;
        }
    }
}

HttpResponseParser::State HttpResponseParser::finishAtEof()
{
    if (m_state == State::Body && m_mode == BodyMode::UntilClose)
        m_state = State::Done;
    else if (m_state == State::Head || m_state == State::Body)
        return fail(m_started ? "connection closed in the middle of a response" : "connection closed before a response");
    return m_state;
}

} // namespace Gatehouse::Simulation
