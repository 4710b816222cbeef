#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "httpupstreamconnection.h"

#include <QObject>
#include <QSet>

namespace Gatehouse {

class HttpUpstreamState;

// One request on its way through an `http` upstream: picks a node, sends, and on a failure
// tries the next node while the retry budget lasts -- always when the request cannot have
// reached the node (connect failed), otherwise only for idempotent methods. A probe of a
// resting node does not use up the budget. Ends in the node's answer, 504 when the last
// attempt timed out, or 502. Owned by its HttpUpstreamState, on the upstream thread.
class HttpUpstreamExchange final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpUpstreamExchange)

public:
    HttpUpstreamExchange(HttpUpstreamState *state, ApiRequest request, ApiResponder respond);

    void start();
    void abort(const QString &why);   // answers 503 unless already answered

private:
    void attempt();
    void send(int node, bool probe, bool fresh);
    void onResult(int node, bool probe, HttpUpstreamConnection *connection, HttpUpstreamConnection::Result result);
    void fail();
    void answer(ApiResponse response);

    HttpUpstreamState *m_state;
    ApiRequest m_request;
    ApiResponder m_respond;
    QSet<int> m_tried;
    int m_attempts = 0;           // failed attempts that count against `retries`
    bool m_resent = false;        // resent once on a fresh connection after a stale keep-alive one
    bool m_answered = false;
    bool m_lastTimedOut = false;
    bool m_lastMalformed = false;
    qint64 m_startedMs = 0;
};

} // namespace Gatehouse
