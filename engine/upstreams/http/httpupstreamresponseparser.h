#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <llhttp.h>

#include <utility>

namespace Gatehouse {

// Reads one HTTP/1.x response from an upstream node with llhttp: skips interim 1xx answers,
// knows that a HEAD answer has no body, and handles close-delimited bodies at end of stream.
// Refuses heads over 64 KiB, bodies over 64 MiB and protocol upgrades.
class HttpUpstreamResponseParser final
{
public:
    enum class Status { NeedMore, Complete, Failed };

    HttpUpstreamResponseParser();
    HttpUpstreamResponseParser(const HttpUpstreamResponseParser &) = delete;
    HttpUpstreamResponseParser &operator=(const HttpUpstreamResponseParser &) = delete;

    void reset(bool headRequest);
    Status feed(const QByteArray &data);
    Status finish();   // the node closed the connection

    int status() const { return m_status; }
    QList<std::pair<QByteArray, QByteArray>> takeHeaders() { return std::exchange(m_headers, {}); }
    QByteArray takeBody() { return std::exchange(m_body, {}); }
    // After Complete: whether the connection can carry another request.
    bool keepAlive() const { return m_keepAlive; }
    QString errorString() const { return m_error; }

private:
    static HttpUpstreamResponseParser *self(llhttp_t *parser);
    static int onHeaderField(llhttp_t *parser, const char *at, size_t length);
    static int onHeaderFieldComplete(llhttp_t *parser);
    static int onHeaderValue(llhttp_t *parser, const char *at, size_t length);
    static int onHeadersComplete(llhttp_t *parser);
    static int onBody(llhttp_t *parser, const char *at, size_t length);
    static int onMessageComplete(llhttp_t *parser);
    Status failed(llhttp_errno_t error);

    llhttp_t m_parser;
    llhttp_settings_t m_settings;
    bool m_head = false;
    bool m_complete = false;
    bool m_keepAlive = false;
    int m_status = 0;
    qsizetype m_headBytes = 0;
    QByteArray m_field;
    QList<std::pair<QByteArray, QByteArray>> m_headers;
    QByteArray m_body;
    QString m_error;
};

} // namespace Gatehouse
