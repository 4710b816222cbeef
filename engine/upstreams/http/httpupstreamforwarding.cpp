#include "httpupstreamforwarding.h"

#include "api/apirequest.h"

#include <QHostAddress>

namespace Gatehouse::HttpUpstreamForwarding {

namespace {

// Header names listed in Connection are hop-by-hop too.
QList<QByteArray> connectionTokens(const Headers &headers)
{
    QList<QByteArray> tokens;
    for (const auto &[name, value] : headers) {
        if (name.compare("connection", Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray &token : value.split(','))
            tokens.append(token.trimmed().toLower());
    }
    return tokens;
}

bool isHopByHop(const QByteArray &lowerName, const QList<QByteArray> &listed)
{
    return lowerName == "connection" || lowerName == "keep-alive" || lowerName.startsWith("proxy-") || lowerName == "te"
        || lowerName == "trailer" || lowerName == "transfer-encoding" || lowerName == "upgrade" || listed.contains(lowerName);
}

QByteArray clientAddress(const QString &remote)
{
    const QHostAddress address(remote);
    bool mapped = false;
    const quint32 v4 = address.toIPv4Address(&mapped);
    return mapped ? QHostAddress(v4).toString().toLatin1() : remote.toLatin1();
}

} // namespace

QByteArray host(const ApiRequest &request, const HttpUpstreamSpec &spec, const HttpUpstreamSpec::Node &node)
{
    if (spec.passHost == HttpUpstreamSpec::PassHost::Rewrite)
        return spec.upstreamHost;
    if (spec.passHost == HttpUpstreamSpec::PassHost::Pass) {
        const QByteArray client = request.header("host");
        if (!client.isEmpty())
            return client;
    }
    const bool defaultPort = node.port == (spec.tls ? 443 : 80);
    const QByteArray name = node.host.contains(QLatin1Char(':')) ? QByteArray('[' + node.host.toLatin1() + ']') : node.host.toLatin1();
    return defaultPort ? name : QByteArray(name + ':' + QByteArray::number(node.port));
}

QByteArray serialize(const ApiRequest &request, const QByteArray &host)
{
    QByteArray out;
    out.reserve(512 + request.body.size());
    out += request.method + ' ' + (request.path.isEmpty() ? QByteArray("/") : request.path);
    if (!request.query.isEmpty())
        out += '?' + request.query;
    out += " HTTP/1.1\r\nhost: " + host + "\r\n";

    const QList<QByteArray> listed = connectionTokens(request.headers);
    QByteArray forwardedFor;
    for (const auto &[name, value] : request.headers) {
        const QByteArray lower = name.toLower();
        if (isHopByHop(lower, listed) || lower == "host" || lower == "content-length" || lower == "expect"
            || lower == "x-real-ip" || lower == "x-forwarded-proto" || lower == "x-forwarded-host")
            continue;
        if (lower == "x-forwarded-for") {
            forwardedFor += (forwardedFor.isEmpty() ? QByteArray() : QByteArray(", ")) + value;
            continue;
        }
        out += lower + ": " + value + "\r\n";
    }
    const QByteArray client = clientAddress(request.remoteAddress);
    if (!client.isEmpty()) {
        out += "x-forwarded-for: " + (forwardedFor.isEmpty() ? client : QByteArray(forwardedFor + ", " + client)) + "\r\n";
        out += "x-real-ip: " + client + "\r\n";
    } else if (!forwardedFor.isEmpty()) {
        out += "x-forwarded-for: " + forwardedFor + "\r\n";
    }
    out += "x-forwarded-proto: http\r\n";
    const QByteArray clientHost = request.header("host");
    if (!clientHost.isEmpty())
        out += "x-forwarded-host: " + clientHost + "\r\n";
    const bool bodyExpected = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
    if (!request.body.isEmpty() || bodyExpected)
        out += "content-length: " + QByteArray::number(request.body.size()) + "\r\n";
    out += "\r\n";
    out += request.body;
    return out;
}

Headers responseHeaders(Headers headers)
{
    const QList<QByteArray> listed = connectionTokens(headers);
    headers.removeIf([&listed](const std::pair<QByteArray, QByteArray> &h) {
        return isHopByHop(h.first, listed) || h.first == "content-length";
    });
    return headers;
}

bool isIdempotent(QByteArrayView method)
{
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

} // namespace Gatehouse::HttpUpstreamForwarding
