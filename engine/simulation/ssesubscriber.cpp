#include "ssesubscriber.h"

#include "base/steadyclock.h"
#include "httploadclient.h"
#include "lagtracker.h"
#include "simulationlogging.h"

#include <QTcpSocket>
#include <QUrl>

namespace Gatehouse::Simulation {

namespace {
// A line of an event stream longer than this is not one the engine sends.
constexpr qsizetype kMaxLineBytes = 4 * 1024 * 1024;
} // namespace

SseSubscriber::SseSubscriber(GatewayTarget gateway, QStringList collections, LagTracker *lag, int connection,
                             QObject *parent)
    : QObject(parent)
    , m_socket(gateway.newSocket(this))
    , m_target(std::move(gateway))
    , m_collections(std::move(collections))
    , m_lag(lag)
    , m_connection(connection)
{
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        QByteArray target = "/events/stream";
        if (m_collections.size() == 1)
            target += "?type=" + QUrl::toPercentEncoding(m_collections.constFirst() + QStringLiteral(".*"));
        m_socket->write("GET " + target + " HTTP/1.1\r\nHost: " + hostHeader(m_target.host, m_target.port) + "\r\nAccept: text/event-stream\r\n\r\n");
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &SseSubscriber::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        if (!m_ready)
            setReady(QStringLiteral("SSE subscriber: the stream closed before it began"));
        else if (!m_closing)
            qCWarning(lcSimulation) << "SSE subscriber" << m_connection << "lost its stream";
    });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this] {
        if (!m_ready)
            setReady(QStringLiteral("SSE subscriber: %1").arg(m_socket->errorString()));
    });
}

SseSubscriber::~SseSubscriber() = default;

void SseSubscriber::open()
{
    m_parser.reset(false);
    m_target.open(m_socket);
}

void SseSubscriber::close()
{
    m_closing = true;
    m_socket->abort();
}

void SseSubscriber::setReady(const QString &error)
{
    if (m_ready)
        return;
    m_ready = true;
    Q_EMIT ready(error);
}

void SseSubscriber::onReadyRead()
{
    const qint64 at = steadyNowNs();
    m_input += m_socket->readAll();
    const auto state = m_parser.feed(m_input);
    if (state == HttpResponseParser::State::Error) {
        setReady(QStringLiteral("SSE subscriber: %1").arg(QString::fromLatin1(m_parser.error())));
        m_socket->abort();
        return;
    }
    if (state == HttpResponseParser::State::Head)
        return;
    if (m_parser.response().status != 200) {
        setReady(QStringLiteral("SSE subscriber: GET /events/stream answered %1").arg(m_parser.response().status));
        m_socket->abort();
        return;
    }
    setReady(QString());
    consume(m_parser.takeBody(), at);
}

void SseSubscriber::consume(const QByteArray &text, qint64 atNs)
{
    m_text += text;
    qsizetype start = 0;
    for (qsizetype end; (end = m_text.indexOf('\n', start)) >= 0; start = end + 1) {
        QByteArrayView line(m_text.constData() + start, end - start);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty()) {   // the end of an event
            if (m_eventId > 0)
                m_lag->seen(m_connection, m_eventId, atNs);
            m_eventId = 0;
        } else if (line.startsWith("id:")) {
            m_eventId = line.sliced(3).trimmed().toLongLong();
        }
    }
    m_text.remove(0, start);
    if (m_text.size() > kMaxLineBytes) {
        qCWarning(lcSimulation) << "SSE subscriber" << m_connection << ": a line over" << kMaxLineBytes << "bytes; closing";
        m_socket->abort();
    }
}

} // namespace Gatehouse::Simulation
