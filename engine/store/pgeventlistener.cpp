#include "pgeventlistener.h"

#include "pgeventschema.h"
#include "sql/pgconnection.h"

#include <QLoggingCategory>
#include <QThread>

#include <libpq-fe.h>

#include <cerrno>
#include <future>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace {
constexpr int kFirstBackoffMs = 100;
constexpr int kMaxBackoffMs = 2000;
}

PgEventListener::PgEventListener(const PostgresUrl &url, std::function<void(qint64)> notified, std::function<void()> resync)
    : m_url(url)
    , m_notified(std::move(notified))
    , m_resync(std::move(resync))
{
}

PgEventListener::~PgEventListener()
{
    stop();
}

bool PgEventListener::start(QString *error)
{
    m_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_wakeFd < 0) {
        *error = QStringLiteral("cannot create an eventfd");
        return false;
    }
    std::promise<QString> listening;
    auto started = listening.get_future();
    m_thread = QThread::create([this, &listening] {
        QString why;
        if (!listen(&why)) {
            listening.set_value(why.isEmpty() ? QStringLiteral("LISTEN failed") : why);
            return;
        }
        listening.set_value({});
        run();
    });
    m_thread->setObjectName(QStringLiteral("gatehouse-store-listener"));
    m_thread->start();
    *error = started.get();
    if (error->isEmpty())
        return true;
    stop();
    return false;
}

void PgEventListener::stop()
{
    if (m_thread) {
        const quint64 one = 1;
        if (::write(m_wakeFd, &one, sizeof one) < 0)
            qCWarning(lcStore) << "cannot wake the event listener";
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    m_wakeFd = -1;
}

bool PgEventListener::listen(QString *error)
{
    auto db = std::make_unique<PgConnection>();
    if (!db->open(m_url, QStringLiteral("events listener"), error))
        return false;
    if (!db->exec(QStringLiteral("LISTEN ") + QString::fromLatin1(PgEventSchema::kChannel)) || !db->nativeHandle()) {
        *error = db->errorString();
        return false;
    }
    m_db = std::move(db);
    return true;
}

void PgEventListener::run()
{
    int backoffMs = 0;
    for (;;) {
        PGconn *conn = m_db ? m_db->nativeHandle() : nullptr;
        pollfd fds[2] = {{m_wakeFd, POLLIN, 0}, {conn ? PQsocket(conn) : -1, POLLIN, 0}};
        const int ready = ::poll(fds, conn ? 2 : 1, conn ? -1 : backoffMs);
        if (ready < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;   // stop()
        if (!conn) {
            QString why;
            if (listen(&why)) {
                qCInfo(lcStore) << "listening for new events again";
                backoffMs = 0;
                m_resync();
            } else {
                backoffMs = qBound(kFirstBackoffMs, backoffMs * 2, kMaxBackoffMs);
            }
            continue;
        }
        if (!fds[1].revents)
            continue;
        if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
            qCWarning(lcStore).noquote() << "the event listener lost its connection:"
                                         << QString::fromUtf8(PQerrorMessage(conn)).trimmed();
            m_db.reset();
            backoffMs = kFirstBackoffMs;
            continue;
        }
        while (PGnotify *n = PQnotifies(conn)) {
            const qint64 position = QByteArray(n->extra).toLongLong();
            PQfreemem(n);
            m_notified(position);
        }
    }
    m_db.reset();
}

} // namespace Gatehouse
