#pragma once

#include <QMutex>
#include <QObject>

#include <atomic>
#include <functional>
#include <memory>

namespace Gatehouse::Http {

class HttpConnectionLink;

// Shared state behind every copy of one HttpStream handle, and the connection that serves
// it. Created on whichever thread called beginStream(); it only ever sends signals, so its
// thread affinity does not matter and the last handle may delete it on any thread.
class HttpStreamState final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpStreamState)

public:
    HttpStreamState(std::shared_ptr<HttpConnectionLink> connectionLink, quint64 streamSequence);
    ~HttpStreamState() override;

    const std::shared_ptr<HttpConnectionLink> link;
    const quint64 sequence;
    std::atomic<bool> open{true};
    std::atomic<bool> ended{false};        // finish() ran: nothing more will be sent
    std::atomic<qint64> queuedBytes{0};    // passed to write(), not yet handed to the socket
    std::atomic<qint64> socketBytes{0};    // in the socket's write buffer (set by the connection)

    // Runs callback (queued, in context's thread) once the stream has ended; at once if it has.
    void onFinished(QObject *context, std::function<void()> callback);
    // The stream has ended (client left, close() done, server gone). Idempotent, any thread.
    void finish();

Q_SIGNALS:
    void finished();

private:
    QMutex m_mutex;
    bool m_finished = false;
};

} // namespace Gatehouse::Http
