#pragma once

#include <QByteArray>
#include <QList>

#include <utility>

namespace Gatehouse::Simulation {

// Reads one HTTP/1.1 response at a time from the bytes of a client connection (RFC 9112):
// the status line, the header block, then a body delimited by Content-Length, by chunked
// transfer coding (trailers read and dropped) or by the end of the connection. Interim 1xx
// answers are skipped. What it does not understand is an error, never a guess: a malformed
// status line or header, a Content-Length that is not one number, both Content-Length and
// chunked, a bad chunk size, a head over kMaxHeadBytes or a body over kMaxBodyBytes.
// A plain value used by one thread.
class HttpResponseParser
{
public:
    static constexpr qsizetype kMaxHeadBytes = 64 * 1024;
    static constexpr qint64 kMaxBodyBytes = 32LL * 1024 * 1024;

    enum class State { Head, Body, Done, Error };

    struct Response
    {
        int status = 0;
        bool keepAlive = true;   // false: the server closes after this response
        QList<std::pair<QByteArray, QByteArray>> headers;   // names in lower case
        QByteArray body;
        QByteArray header(const QByteArray &lowerName) const;
    };

    // Expects a new response; `toHead`: the request was HEAD (no body whatever the headers say).
    void reset(bool toHead);
    // Takes what it can from the front of `buffer` (bytes after a complete response stay there).
    State feed(QByteArray &buffer);
    // The connection ended: completes a body that runs to the end of the connection; anything
    // else not yet complete becomes an error.
    State finishAtEof();

    State state() const { return m_state; }
    bool started() const { return m_started; }   // a byte of this response has arrived
    const Response &response() const { return m_response; }
    Response takeResponse() { return std::exchange(m_response, {}); }
    // The body bytes so far, taken away (a stream read as it comes: Server-Sent Events).
    QByteArray takeBody() { return std::exchange(m_response.body, {}); }
    const char *error() const { return m_error; }

private:
    enum class BodyMode { None, Length, Chunked, UntilClose };
    enum class ChunkStep { Size, Data, DataEnd, Trailer };

    bool parseHead(const QByteArray &head);
    void feedBody(QByteArray &buffer);
    void feedChunked(QByteArray &buffer);
    State fail(const char *why);

    State m_state = State::Head;
    BodyMode m_mode = BodyMode::None;
    ChunkStep m_chunkStep = ChunkStep::Size;
    qint64 m_remaining = 0;
    bool m_toHead = false;
    bool m_started = false;
    const char *m_error = "";
    Response m_response;
};

} // namespace Gatehouse::Simulation
