#include "httpresponder.h"

#include "httpconnection.h"
#include "httpconnectionlink.h"
#include "httplogging.h"
#include "httpstreamstate.h"

namespace Gatehouse::Http {

HttpResponder::HttpResponder(std::shared_ptr<HttpConnectionLink> link, quint64 sequence)
    : d(std::make_shared<State>())
{
    d->link = std::move(link);
    d->sequence = sequence;
}

bool HttpResponder::claim() const
{
    return d && !d->claimed.exchange(true);
}

void HttpResponder::respond(HttpResponse response) const
{
    if (!claim())
        return;
    const quint64 sequence = d->sequence;
    d->link->post([sequence, response = std::move(response)](HttpConnection *connection) {
        connection->deliver(sequence, response);
    });
}

bool HttpResponder::isValid() const
{
    return d && !d->claimed.load() && d->link->isAttached();
}

HttpStream HttpResponder::beginStream(HttpResponse head) const
{
    if (!claim())
        return {};
    auto state = std::make_shared<HttpStreamState>(d->link, d->sequence);
    const bool posted = d->link->post([head = std::move(head), state](HttpConnection *connection) {
        connection->startStream(head, state);
    });
    if (!posted)
        state->finish();
    return HttpStream(state);
}

void HttpResponder::takeOver(TakeOverReceiver receiver) const
{
    if (!d || !receiver)
        return;
    HttpConnection *connection = d->link->connectionOnCurrentThread();
    if (!connection) {
        qCWarning(lcHttp) << "takeOver() ignored: not on the network thread or the client left";
        return;
    }
    if (!claim())
        return;
    connection->takeOver(d->sequence, std::move(receiver));
}

} // namespace Gatehouse::Http
