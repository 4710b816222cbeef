#include "httpanswerqueue.h"

#include "httpstreamstate.h"
#include "httpwire.h"
#include "socketoutput.h"

#include <QTcpSocket>

#include <algorithm>

namespace Gatehouse::Http {

HttpAnswerQueue::HttpAnswerQueue(QTcpSocket *socket)
    : m_socket(socket)
    , m_tls(qobject_cast<QSslSocket *>(socket) != nullptr)
{
}

HttpAnswerQueue::~HttpAnswerQueue()
{
    clear();
}

quint64 HttpAnswerQueue::push(Entry entry)
{
    entry.sequence = m_nextSequence++;
    m_entries.push_back(std::move(entry));
    return m_entries.back().sequence;
}

HttpAnswerQueue::Entry *HttpAnswerQueue::find(quint64 sequence)
{
    const auto it = std::find_if(m_entries.begin(), m_entries.end(),
                                 [sequence](const Entry &entry) { return entry.sequence == sequence; });
    return it == m_entries.end() ? nullptr : &*it;
}

bool HttpAnswerQueue::deliver(quint64 sequence, const HttpResponse &response)
{
    Entry *entry = find(sequence);
    if (!entry || entry->kind != Entry::Kind::Waiting)
        return false;
    entry->kind = Entry::Kind::Answer;
    entry->response = response;
    return true;
}

bool HttpAnswerQueue::startStream(const HttpResponse &head,
                                  const std::shared_ptr<HttpStreamState> &stream)
{
    Entry *entry = find(stream->sequence);
    if (!entry || entry->kind != Entry::Kind::Waiting) {
        stream->finish();
        return false;
    }
    entry->kind = Entry::Kind::Stream;
    entry->response = head;
    entry->stream = stream;
    return true;
}

void HttpAnswerQueue::writeStream(const std::shared_ptr<HttpStreamState> &stream,
                                  const QByteArray &data)
{
    if (m_stream == stream)
        sendStreamData(data);
    else if (Entry *entry = find(stream->sequence); entry && entry->stream == stream)
        entry->streamData.append(data);
    else
        stream->queuedBytes -= data.size();  // dropped: nobody will read it
}

bool HttpAnswerQueue::closeStream(const std::shared_ptr<HttpStreamState> &stream)
{
    if (m_stream == stream)
        return endStream() == Next::Close;
    if (Entry *entry = find(stream->sequence); entry && entry->stream == stream)
        entry->streamClosed = true;
    else
        stream->finish();
    return false;
}

bool HttpAnswerQueue::takeOver(quint64 sequence, HttpResponder::TakeOverReceiver receiver)
{
    Entry *entry = find(sequence);
    if (!entry || entry->kind != Entry::Kind::Waiting)
        return false;
    entry->kind = Entry::Kind::TakeOver;
    entry->receiver = std::move(receiver);
    return true;
}

bool HttpAnswerQueue::closeAllStreams()
{
    for (Entry &entry : m_entries)
        entry.streamClosed = true;  // also marks entries whose stream has not begun yet
    return m_stream && endStream() == Next::Close;
}

HttpAnswerQueue::FlushResult HttpAnswerQueue::flush(bool lastCall)
{
    FlushResult result;
    while (!m_stream && !m_entries.empty()) {
        if (m_entries.front().kind == Entry::Kind::Waiting)
            break;  // strict request order: later answers wait for this one
        result.progressed = true;
        Entry entry = std::move(m_entries.front());
        m_entries.pop_front();
        if (entry.kind == Entry::Kind::TakeOver) {
            result.next = Next::HandOver;
            result.handOver = std::move(entry);
            return result;
        }
        if (entry.kind == Entry::Kind::Stream) {
            result.next = openStream(entry);
            if (result.next == Next::Close)
                return result;
            continue;
        }
        const bool close = entry.closeAfter || HttpWire::asksToClose(entry.response)
            || (lastCall && m_entries.empty());
        m_socket->write(HttpWire::encodeResponse(entry.response, entry.headRequest, close));
        if (close) {
            result.next = Next::Close;
            return result;
        }
    }
    return result;
}

bool HttpAnswerQueue::isHandingOver() const
{
    return std::any_of(m_entries.begin(), m_entries.end(),
                       [](const Entry &entry) { return entry.kind == Entry::Kind::TakeOver; });
}

void HttpAnswerQueue::socketWritten()
{
    if (m_stream)
        m_stream->socketBytes = unsentBytes(m_socket);
}

void HttpAnswerQueue::clear()
{
    if (m_stream)
        std::exchange(m_stream, nullptr)->finish();
    for (const Entry &entry : m_entries) {
        if (entry.stream)
            entry.stream->finish();
    }
    m_entries.clear();
}

HttpAnswerQueue::Next HttpAnswerQueue::openStream(Entry &entry)
{
    m_stream = entry.stream;
    m_streamChunked = !entry.http10 && !entry.headRequest;
    // HTTP/1.0 has no chunked coding: the body simply ends when the connection does.
    const auto framing = entry.http10 ? HttpWire::Framing::UntilClose : HttpWire::Framing::Chunked;
    m_socket->write(HttpWire::encodeStreamHead(entry.response, framing));
    for (const QByteArray &data : std::as_const(entry.streamData)) {
        if (entry.headRequest)
            m_stream->queuedBytes -= data.size();
        else
            sendStreamData(data);
    }
    if (entry.streamClosed || entry.headRequest)
        return endStream();
    return Next::Continue;
}

void HttpAnswerQueue::sendStreamData(const QByteArray &data)
{
    m_stream->queuedBytes -= data.size();
    if (data.isEmpty())
        return;   // as a chunk, it would end the stream
    // A live batch goes to the kernel at once when nothing is waiting before it, without being
    // copied into a chunk and then into the socket's buffer.
    if (m_streamChunked) {
        const QByteArray size = QByteArray::number(data.size(), 16) + "\r\n";
        writeThrough(m_socket, m_tls, {size, data, "\r\n"});
    } else {
        writeThrough(m_socket, m_tls, {data});
    }
    m_stream->socketBytes = unsentBytes(m_socket);
}

HttpAnswerQueue::Next HttpAnswerQueue::endStream()
{
    if (m_streamChunked)
        m_socket->write(HttpWire::lastChunk());
    std::exchange(m_stream, nullptr)->finish();
    // Whatever was pipelined behind the stream goes unanswered: the stream was the last word.
    clear();
    return Next::Close;
}

} // namespace Gatehouse::Http
