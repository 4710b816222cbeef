#pragma once

#include "httpupstreamspec.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <utility>

namespace Gatehouse {

struct ApiRequest;

// What a proxy changes on the way through (RFC 9110 7.6, APISIX's defaults): hop-by-hop
// headers (connection, keep-alive, proxy-*, te, trailer, transfer-encoding, upgrade and
// whatever Connection names) are dropped both ways; the request gets Host per pass_host,
// X-Forwarded-For/-Proto/-Host and X-Real-IP, and its own framing.
namespace HttpUpstreamForwarding {

using Headers = QList<std::pair<QByteArray, QByteArray>>;

// The Host header for `node`: the client's (pass), the node's (node) or upstream_host (rewrite).
QByteArray host(const ApiRequest &request, const HttpUpstreamSpec &spec, const HttpUpstreamSpec::Node &node);
// The complete HTTP/1.1 request message to send upstream.
QByteArray serialize(const ApiRequest &request, const QByteArray &host);
// The upstream's answer headers as the client gets them (framing is the server's job).
Headers responseHeaders(Headers headers);
// Methods a proxy may resend after the node may have seen them.
bool isIdempotent(QByteArrayView method);

} // namespace HttpUpstreamForwarding

} // namespace Gatehouse
