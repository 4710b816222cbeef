#include "pgnotificationlistener.h"

#include "pgconnection.h"

#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>
#include <QTimer>
#include <QVariant>

#include <libpq-fe.h>

Q_DECLARE_LOGGING_CATEGORY(lcPostgres)

namespace Gatehouse {

// Lives on the listener's thread: the connection, its Qt SQL driver and the retry timer.
class PgNotificationListener::Worker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Worker)

public:
    Worker(const PostgresUrl &url, const QStringList &channels, const QString &role)
        : m_url(url), m_channels(channels), m_role(role)
    {
        m_retry.setParent(this);
        m_retry.setSingleShot(true);
        connect(&m_retry, &QTimer::timeout, this, &Worker::attemptReconnect);
        m_statusCheck.setParent(this);
        connect(&m_statusCheck, &QTimer::timeout, this, &Worker::checkStatus);
    }

    bool connectAndListen(QString *error);
    void shutdown();

    std::atomic<bool> listening{false};
    std::atomic<qint64> backendPid{0};

signals:
    void notification(const QString &channel, const QString &payload);
    void connectionLost(const QString &reason);
    void reconnected();

private:
    void checkStatus();
    void lose(const QString &reason);
    void attemptReconnect();

    PostgresUrl m_url;
    QStringList m_channels;
    QString m_role;
    PgConnection m_conn;
    QTimer m_retry;
    QTimer m_statusCheck;
    int m_backoffMs = PgNotificationListener::kFirstRetryMs;
    bool m_lossPending = false;
    bool m_stopping = false;
};

bool PgNotificationListener::Worker::connectAndListen(QString *error)
{
    m_lossPending = false;
    if (!m_conn.open(m_url, m_role, error))
        return false;
    QSqlDriver *driver = m_conn.database().driver();
    connect(driver, &QSqlDriver::notification, this,
            [this](const QString &channel, QSqlDriver::NotificationSource, const QVariant &payload) {
                emit notification(channel, payload.toString());
            });
    for (const QString &channel : std::as_const(m_channels)) {
        if (!driver->subscribeToNotification(channel)) {
            *error = QStringLiteral("cannot LISTEN on %1: %2").arg(channel, driver->lastError().text());
            m_conn.close();
            return false;
        }
    }
    // The driver reads the socket when it becomes readable; when that read finds the connection
    // gone, nothing in Qt says so. QPSQL's socket notifier is a child of the driver: checking
    // the status right after each of its reads notices a lost connection at once. Should a
    // Qt version not have it, a local status check (no round trip) stands in.
    const auto notifiers = driver->findChildren<QSocketNotifier *>();
    for (QSocketNotifier *notifier : notifiers)
        connect(notifier, &QSocketNotifier::activated, this, &Worker::checkStatus);
    if (notifiers.isEmpty())
        m_statusCheck.start(500);
    backendPid = PQbackendPID(m_conn.nativeHandle());
    listening = true;
    return true;
}

void PgNotificationListener::Worker::checkStatus()
{
    PGconn *conn = m_conn.nativeHandle();
    if (!m_lossPending && listening && (!conn || PQstatus(conn) != CONNECTION_OK)) {
        m_lossPending = true;
        // libpq closed the socket: watching it until the close below would only spin.
        if (QSqlDriver *driver = m_conn.database().driver()) {
            for (QSocketNotifier *notifier : driver->findChildren<QSocketNotifier *>())
                notifier->setEnabled(false);
        }
        const QString reason = conn ? QString::fromUtf8(PQerrorMessage(conn)).trimmed() : QStringLiteral("closed");
        // Not from inside the notifier's signal: closing the connection deletes the notifier.
        QMetaObject::invokeMethod(this, [this, reason] { lose(reason); }, Qt::QueuedConnection);
    }
}

void PgNotificationListener::Worker::lose(const QString &reason)
{
    if (m_stopping || !listening)
        return;
    listening = false;
    backendPid = 0;
    m_statusCheck.stop();
    qCWarning(lcPostgres, "notification listener (%ls) lost its connection: %ls; reconnecting", qUtf16Printable(m_role),
              qUtf16Printable(reason));
    m_conn.close();
    emit connectionLost(reason);
    m_backoffMs = PgNotificationListener::kFirstRetryMs;
    m_retry.start(m_backoffMs);
}

void PgNotificationListener::Worker::attemptReconnect()
{
    if (m_stopping)
        return;
    QString error;
    if (connectAndListen(&error)) {
        qCInfo(lcPostgres, "notification listener (%ls) reconnected", qUtf16Printable(m_role));
        m_backoffMs = PgNotificationListener::kFirstRetryMs;
        emit reconnected();
        return;
    }
    qCDebug(lcPostgres, "notification listener (%ls): %ls", qUtf16Printable(m_role), qUtf16Printable(error));
    m_conn.close();
    m_backoffMs = qMin(m_backoffMs * 2, PgNotificationListener::kMaxRetryMs);
    m_retry.start(m_backoffMs);
}

void PgNotificationListener::Worker::shutdown()
{
    m_stopping = true;
    m_retry.stop();
    m_statusCheck.stop();
    listening = false;
    backendPid = 0;
    m_conn.close();
}

PgNotificationListener::PgNotificationListener(const PostgresUrl &url, const QStringList &channels,
                                               const QString &role, QObject *parent)
    : QObject(parent), m_worker(new Worker(url, channels, role))
{
    // Direct: the listener's signals are emitted on its thread, and so reach every receiver
    // queued, whether or not the thread that created the listener runs an event loop.
    connect(m_worker, &Worker::notification, this, &PgNotificationListener::notification, Qt::DirectConnection);
    connect(m_worker, &Worker::connectionLost, this, &PgNotificationListener::connectionLost, Qt::DirectConnection);
    connect(m_worker, &Worker::reconnected, this, &PgNotificationListener::reconnected, Qt::DirectConnection);
}

PgNotificationListener::~PgNotificationListener()
{
    stop();
    delete m_worker;
}

bool PgNotificationListener::start(QString *error)
{
    if (m_thread)
        return true;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("pg-listener"));
    m_worker->moveToThread(m_thread);
    m_thread->start();
    bool ok = false;
    QString message;
    QMetaObject::invokeMethod(m_worker, [&] { ok = m_worker->connectAndListen(&message); },
                              Qt::BlockingQueuedConnection);
    if (!ok) {
        stop();
        if (error)
            *error = message;
        return false;
    }
    return true;
}

void PgNotificationListener::stop()
{
    if (!m_thread)
        return;
    // The worker goes back to this thread, so a later start() can move it again and the
    // destructor deletes it where it lives.
    QThread *home = thread();
    QMetaObject::invokeMethod(m_worker, [this, home] {
        m_worker->shutdown();
        m_worker->moveToThread(home);
    }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

bool PgNotificationListener::isListening() const
{
    return m_worker->listening;
}

qint64 PgNotificationListener::backendPid() const
{
    return m_worker->backendPid;
}

} // namespace Gatehouse

#include "pgnotificationlistener.moc"
