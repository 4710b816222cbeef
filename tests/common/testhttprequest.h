#pragma once

// One blocking HTTP/1.1 request on its own connection ("Connection: close"), for tests that
// want every request independent of the others; callable from any thread without an event
// loop (QTcpSocket's waitFor* functions). Deliberately independent of the server code it
// tests. TestHttpClient (testhttpclient.h) is the keep-alive counterpart.

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QTcpSocket>

#include <utility>

struct TestHttpReply
{
    int status = 0;                          // 0: no (complete) answer; `error` says why
    QHash<QByteArray, QByteArray> headers;   // names lower-cased
    QByteArray body;                         // a chunked body comes decoded
    QString error;

    QByteArray header(const QByteArray &lowerCaseName) const { return headers.value(lowerCaseName); }
    QJsonDocument document() const { return QJsonDocument::fromJson(body); }
    QJsonObject json() const { return document().object(); }
    QJsonArray array() const { return document().array(); }
    QByteArray describe() const
    {
        return "HTTP " + QByteArray::number(status) + ' ' + body.left(800) + ' ' + error.toUtf8();
    }
};

struct TestHttpRequestOptions
{
    int timeoutMs = 15000;        // for connecting, and again for the whole answer
    bool jsonTypeForBody = true;  // a body without a Content-Type header goes as application/json
};

// Parses `in` as one HTTP/1.1 response; false while it is incomplete. `eof`: the server has
// closed the connection, so an answer without framing ends here.
inline bool testHttpParseResponse(const QByteArray &in, bool eof, TestHttpReply *reply)
{
    const qsizetype headerEnd = in.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        return false;
    const QList<QByteArray> lines = in.left(headerEnd).split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    if (statusLine.size() < 2 || !statusLine.first().startsWith("HTTP/1."))
        return false;
    TestHttpReply r;
    r.status = statusLine.at(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
    }
    const QByteArray rest = in.mid(headerEnd + 4);
    if (r.header("transfer-encoding").toLower().contains("chunked")) {
        qsizetype at = 0;
        for (;;) {
            const qsizetype lineEnd = rest.indexOf("\r\n", at);
            if (lineEnd < 0)
                return false;
            bool ok = false;
            const qsizetype size = rest.mid(at, lineEnd - at).split(';').first().trimmed().toLongLong(&ok, 16);
            if (!ok)
                return false;
            if (size == 0)
                break;
            if (rest.size() < lineEnd + 2 + size + 2)
                return false;
            r.body += rest.mid(lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    } else if (r.headers.contains("content-length")) {
        const qsizetype length = r.header("content-length").toLongLong();
        if (rest.size() < length)
            return false;
        r.body = rest.left(length);
    } else if (r.status == 204 || r.status == 304) {
        r.body.clear();
    } else if (!eof) {
        return false;
    } else {
        r.body = rest;
    }
    *reply = std::move(r);
    return true;
}

// Sends `method target` to 127.0.0.1:`port` on a connection of its own and reads the answer.
// Adds `Host: 127.0.0.1:<port>` unless `headers` has a Host, and always a Content-Length.
inline TestHttpReply testHttpRequest(quint16 port, const QByteArray &method, const QByteArray &target,
                                     const QByteArray &body = {},
                                     const QList<std::pair<QByteArray, QByteArray>> &headers = {},
                                     const TestHttpRequestOptions &options = {})
{
    using namespace Qt::StringLiterals;
    TestHttpReply reply;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(options.timeoutMs)) {
        reply.error = u"connect: "_s + socket.errorString();
        return reply;
    }
    bool hasHost = false;
    bool hasType = false;
    for (const auto &h : headers) {
        hasHost = hasHost || h.first.toLower() == "host";
        hasType = hasType || h.first.toLower() == "content-type";
    }
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\n";
    if (!hasHost)
        out += "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    out += "Connection: close\r\n";
    if (options.jsonTypeForBody && !body.isEmpty() && !hasType)
        out += "Content-Type: application/json\r\n";
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    socket.write(out);

    const QDeadlineTimer deadline(options.timeoutMs);
    QByteArray in;
    for (;;) {
        in += socket.readAll();
        if (testHttpParseResponse(in, false, &reply))
            return reply;
        if (deadline.hasExpired()) {
            reply.error = u"no complete answer within the deadline; got: "_s + QString::fromUtf8(in.left(300));
            return reply;
        }
        if (!socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())))
            && socket.state() == QAbstractSocket::UnconnectedState) {
            in += socket.readAll();
            if (!testHttpParseResponse(in, true, &reply))
                reply.error = u"connection closed; got: "_s + QString::fromUtf8(in.left(300));
            return reply;
        }
    }
}
