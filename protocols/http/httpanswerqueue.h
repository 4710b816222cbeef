#pragma once

#include "httpresponder.h"
#include "httpresponse.h"

#include <QByteArray>
#include <QList>

#include <deque>
#include <memory>

class QTcpSocket;

namespace Gatehouse::Http {

class HttpStreamState;

// The answers one connection owes, in request order, and the writing of them: whole
// responses, the one stream a connection may end with, and the hand-over slot of an upgrade.
// An answer that arrives early waits until every earlier one is written. Owned by an
// HttpConnection, on the network thread; it writes to the socket but never closes it.
class HttpAnswerQueue final
{
public:
    struct Entry {
        enum class Kind { Waiting, Answer, Stream, TakeOver };
        quint64 sequence = 0;
        Kind kind = Kind::Waiting;
        bool headRequest = false;
        bool http10 = false;
        bool closeAfter = false;                  // the last answer on this connection
        HttpResponse response;                    // the answer, or a stream's head
        std::shared_ptr<HttpStreamState> stream;
        QList<QByteArray> streamData;             // written before the head could go out
        bool streamClosed = false;
        HttpResponder::TakeOverReceiver receiver;
        QByteArray rawMessage;
    };
    enum class Next { Continue, Close, HandOver };
    struct FlushResult {
        bool progressed = false;
        Next next = Next::Continue;
        Entry handOver;                           // when next == HandOver
    };

    explicit HttpAnswerQueue(QTcpSocket *socket);
    ~HttpAnswerQueue();
    Q_DISABLE_COPY_MOVE(HttpAnswerQueue)

    quint64 push(Entry entry);   // assigns and returns the sequence number
    bool deliver(quint64 sequence, const HttpResponse &response);
    bool startStream(const HttpResponse &head, const std::shared_ptr<HttpStreamState> &stream);
    void writeStream(const std::shared_ptr<HttpStreamState> &stream, const QByteArray &data);
    // True if this ended the stream on the wire (the connection must close now).
    bool closeStream(const std::shared_ptr<HttpStreamState> &stream);
    bool takeOver(quint64 sequence, HttpResponder::TakeOverReceiver receiver);
    // Every stream, on the wire or still queued, ends as soon as possible. True as closeStream.
    bool closeAllStreams();

    // Writes every answer that is next in line. With lastCall, the answer that empties the
    // queue carries "Connection: close".
    FlushResult flush(bool lastCall);

    bool isEmpty() const { return m_entries.empty(); }
    qsizetype size() const { return qsizetype(m_entries.size()); }
    bool isStreaming() const { return m_stream != nullptr; }
    bool isHandingOver() const;
    void socketWritten();        // refreshes the stream's pending-bytes figure
    void clear();                // forgets everything owed; streams are told they ended

private:
    Entry *find(quint64 sequence);
    Next openStream(Entry &entry);
    void sendStreamData(const QByteArray &data);
    Next endStream();

    QTcpSocket *const m_socket;
    const bool m_tls;
    std::deque<Entry> m_entries;
    quint64 m_nextSequence = 0;
    std::shared_ptr<HttpStreamState> m_stream;   // the stream on the wire, if any
    bool m_streamChunked = false;
};

} // namespace Gatehouse::Http
