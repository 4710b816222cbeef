#pragma once

#include "httplimits.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace Gatehouse::Http {

// The deadlines of one HttpConnection (HttpLimits has the numbers): the request head's, the
// body's (a grace plus a minimum rate), the quiet time between requests, and how long answer
// bytes may wait for a client that takes none. The connection describes where it stands after
// every bit of work (update()); each deadline that passes is a signal. Lives with its
// connection on the network thread.
class HttpDeadlines final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpDeadlines)

public:
    struct State
    {
        bool inHead = false;           // a head has begun (its empty lines too) and is not complete
        bool inBody = false;           // the head is complete, the body is not
        bool bodyOnHold = false;       // the client waits for our 100 Continue
        quint64 headsBegun = 0;        // tells one request's head and body from the next one's
        qint64 bodyBytes = 0;          // body data received so far
        bool owesOutput = false;       // answers are owed or being written
        qint64 unsentBytes = 0;        // answer bytes the client has not taken yet
    };

    explicit HttpDeadlines(const HttpLimits &limits, QObject *parent = nullptr);

    void update(const State &state);
    void outputTaken(qint64 unsentBytes);   // the client read some of the answers
    void stop();                            // the connection closes: no deadline any more

    qint64 bodyAllowanceMs() const;         // what the body in progress may take, so far
    qint64 bodyElapsedMs() const;

Q_SIGNALS:
    void headTimedOut();
    void bodyTimedOut();
    void idle();
    void writeStalled();

private:
    void armBody();
    void startStallClock();

    const HttpLimits m_limits;
    State m_state;
    QTimer m_head;
    QTimer m_body;
    QTimer m_idle;
    QTimer m_writeStall;
    QElapsedTimer m_bodyClock;   // since the body could start to arrive; invalid otherwise
    QElapsedTimer m_quietClock;  // since the connection went quiet; invalid while busy
    QElapsedTimer m_stallClock;  // since the client last took answer bytes; invalid when none are owed
    quint64 m_timedHead = 0;     // headsBegun of the head m_head runs for
    quint64 m_timedBody = 0;     // ...and of the body m_bodyClock runs for
};

} // namespace Gatehouse::Http
