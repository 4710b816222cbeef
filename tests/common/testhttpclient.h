#pragma once

// A small blocking HTTP/1.1 client for tests: one keep-alive connection, usable from any
// thread without an event loop (QTcpSocket's waitFor* functions). Deliberately independent of
// the server code it tests.

#include <QByteArray>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

#include <memory>

struct TestHttpResponse
{
    int status = 0;                       // 0: no answer (connection failed or closed)
    QHash<QByteArray, QByteArray> headers; // names lower case
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
};

class TestHttpClient
{
public:
    TestHttpClient(QString host, quint16 port, int timeoutMs = 15000)
        : m_host(std::move(host)), m_port(port), m_timeoutMs(timeoutMs) {}

    TestHttpResponse request(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                             const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        if (!ensureConnected())
            return {};
        QByteArray out = method + ' ' + path + " HTTP/1.1\r\nHost: " + m_host.toLatin1() + "\r\n";
        bool hasType = false;
        for (const auto &[name, value] : headers) {
            out += name + ": " + value + "\r\n";
            hasType = hasType || name.toLower() == "content-type";
        }
        if (!body.isEmpty() && !hasType)
            out += "Content-Type: application/json\r\n";
        if (!body.isEmpty() || method == "POST")
            out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        out += "\r\n" + body;
        m_socket->write(out);
        if (!m_socket->waitForBytesWritten(m_timeoutMs))
            return {};
        return readResponse(method == "HEAD");
    }
    TestHttpResponse post(const QByteArray &path, const QByteArray &body,
                          const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        return request("POST", path, body, headers);
    }
    TestHttpResponse get(const QByteArray &path, const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        return request("GET", path, {}, headers);
    }
    void close() { m_socket.reset(); }

private:
    bool ensureConnected()
    {
        if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
            return true;
        m_socket = std::make_unique<QTcpSocket>();
        m_buffer.clear();
        m_socket->connectToHost(m_host, m_port);
        return m_socket->waitForConnected(m_timeoutMs);
    }

    bool fill()
    {
        if (m_socket->bytesAvailable() == 0 && !m_socket->waitForReadyRead(m_timeoutMs))
            return false;
        m_buffer += m_socket->readAll();
        return true;
    }

    TestHttpResponse readResponse(bool head)
    {
        TestHttpResponse r;
        qsizetype end;
        while ((end = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (!fill())
                return {};
        }
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        m_buffer.remove(0, end + 4);
        const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
        r.status = statusLine.value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const auto colon = lines.at(i).indexOf(':');
            if (colon > 0)
                r.headers.insert(lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
        }
        const qsizetype length = head ? 0 : r.headers.value("content-length").toLongLong();
        while (m_buffer.size() < length) {
            if (!fill())
                return {};
        }
        r.body = m_buffer.left(length);
        m_buffer.remove(0, length);
        if (r.headers.value("connection").toLower() == "close")
            m_socket.reset();
        return r;
    }

    QString m_host;
    quint16 m_port;
    int m_timeoutMs;
    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_buffer;
};
