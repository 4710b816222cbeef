#include "httpupstreamexchange.h"

#include "base/steadyclock.h"
#include "httpupstreamforwarding.h"
#include "httpupstreamlogging.h"
#include "httpupstreamstate.h"

namespace Gatehouse {

HttpUpstreamExchange::HttpUpstreamExchange(HttpUpstreamState *state, ApiRequest request, ApiResponder respond)
    : QObject(state)
    , m_state(state)
    , m_request(std::move(request))
    , m_respond(std::move(respond))
{
}

void HttpUpstreamExchange::start()
{
    m_startedMs = steadyNowMs();
    attempt();
}

void HttpUpstreamExchange::abort(const QString &why)
{
    if (m_answered)
        return;
    answer(ApiResponse::problem(503, why, QStringLiteral("upstream-unavailable")));
}

void HttpUpstreamExchange::attempt()
{
    const HttpUpstreamSpec &spec = m_state->spec();
    if (m_attempts > spec.retries || (spec.retryTimeoutMs > 0 && m_attempts > 0 && steadyNowMs() - m_startedMs > spec.retryTimeoutMs)) {
        fail();
        return;
    }
    bool probe = false;
    const int node = m_state->pick(m_tried, &probe);
    if (node < 0) {
        fail();
        return;
    }
    m_tried.insert(node);
    send(node, probe, false);
}

void HttpUpstreamExchange::send(int node, bool probe, bool fresh)
{
    const HttpUpstreamSpec &spec = m_state->spec();
    HttpUpstreamConnection *connection = m_state->acquire(node, fresh);
    const QByteArray message = HttpUpstreamForwarding::serialize(
        m_request, HttpUpstreamForwarding::host(m_request, spec, spec.nodes.at(node)));
    const HttpUpstreamConnection::Timeouts timeouts{spec.connectTimeoutMs, spec.sendTimeoutMs, spec.readTimeoutMs};
    connection->send(message, m_request.method == "HEAD", timeouts,
                     [this, node, probe, connection](HttpUpstreamConnection::Result result) {
                         onResult(node, probe, connection, std::move(result));
                     });
}

void HttpUpstreamExchange::onResult(int node, bool probe, HttpUpstreamConnection *connection, HttpUpstreamConnection::Result result)
{
    using Outcome = HttpUpstreamConnection::Outcome;
    m_state->release(node, connection, result.keepAlive);
    if (m_answered)
        return;
    // A kept-alive connection the node closed meanwhile says nothing about the node: resend
    // once on a new connection.
    if (result.outcome == Outcome::Closed && result.reused && !result.received && !m_resent) {
        m_resent = true;
        send(node, probe, true);
        return;
    }
    m_state->report(node, result, probe);
    if (result.outcome == Outcome::Response) {
        ApiResponse response;
        response.status = result.status;
        response.headers = HttpUpstreamForwarding::responseHeaders(std::move(result.headers));
        response.body = std::move(result.body);
        answer(std::move(response));
        return;
    }
    qCDebug(lcUpstream).noquote() << "upstream" << m_state->name() << "node" << m_state->spec().nodes.at(node).address()
                                  << "failed:" << result.error;
    m_lastTimedOut = result.outcome == Outcome::ConnectTimeout || result.outcome == Outcome::SendTimeout
        || result.outcome == Outcome::ReadTimeout;
    m_lastMalformed = result.outcome == Outcome::Malformed;
    if (!probe)
        ++m_attempts;
    const bool mayHaveArrived = result.outcome != Outcome::ConnectFailed && result.outcome != Outcome::ConnectTimeout;
    if (mayHaveArrived && !HttpUpstreamForwarding::isIdempotent(m_request.method)) {
        fail();
        return;
    }
    attempt();
}

void HttpUpstreamExchange::fail()
{
    if (m_lastTimedOut) {
        answer(ApiResponse::problem(504, QStringLiteral("the upstream did not answer in time"), QStringLiteral("upstream-timeout")));
    } else if (m_tried.isEmpty()) {
        answer(ApiResponse::problem(502, QStringLiteral("the upstream has no node to send the request to"),
                                    QStringLiteral("upstream-unavailable")));
    } else {
        answer(ApiResponse::problem(502, m_lastMalformed ? QStringLiteral("the upstream's answer was not valid HTTP")
                                                         : QStringLiteral("no upstream node could be reached"),
                                    QStringLiteral("upstream-unavailable")));
    }
}

void HttpUpstreamExchange::answer(ApiResponse response)
{
    m_answered = true;
    ApiResponder respond = std::move(m_respond);
    m_state->finished(this);
    respond(std::move(response));
}

} // namespace Gatehouse
