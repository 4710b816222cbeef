#include "pgownership.h"

#include "pgadvisorylocks.h"
#include "pgconnection.h"

#include <QLoggingCategory>
#include <QMetaObject>
#include <QMutex>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>
#include <QVariant>

Q_LOGGING_CATEGORY(lcOwnership, "gatehouse.ownership")

namespace Gatehouse {

struct PgOwnership::Private
{
    PostgresUrl url;
    QThread *thread = nullptr;
    QTimer *timer = nullptr;                 // lives on the thread
    std::unique_ptr<PgConnection> db;        // used on the thread only (after start)
    mutable QMutex mutex;
    QSet<QString> wanted;
    QSet<QString> owned;
    QSet<QString> releasing;
};

PgOwnership::PgOwnership(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
}

PgOwnership::~PgOwnership()
{
    stop();
}

qint32 PgOwnership::keyOf(const QString &name)
{
    quint32 h = 2166136261u;
    for (const char c : name.toUtf8()) {
        h ^= quint8(c);
        h *= 16777619u;
    }
    return qint32(h);
}

bool PgOwnership::start(const PostgresUrl &url, QString *error)
{
    d->url = url;
    d->db = std::make_unique<PgConnection>();
    if (!d->db->open(url, QStringLiteral("ownership"), error))
        return false;
    d->thread = new QThread;
    d->thread->setObjectName(QStringLiteral("gatehouse-ownership"));
    moveToThread(d->thread);
    d->db->moveToThread(d->thread);
    d->thread->start();
    QMetaObject::invokeMethod(this, [this] {
        d->timer = new QTimer;
        d->timer->setInterval(kRetryMs);
        connect(d->timer, &QTimer::timeout, this, &PgOwnership::tick);
        d->timer->start();
        tick();
    }, Qt::BlockingQueuedConnection);
    return true;
}

void PgOwnership::stop()
{
    if (!d->thread)
        return;
    QMetaObject::invokeMethod(this, [this] {
        delete d->timer;
        d->timer = nullptr;
        // Closing the session releases every lock it holds: a clean hand-over.
        if (d->db)
            d->db->close();
        QStringList gone;
        {
            QMutexLocker lock(&d->mutex);
            gone = d->owned.values();
            d->owned.clear();
        }
        for (const QString &name : std::as_const(gone))
            Q_EMIT lost(name);
        moveToThread(d->thread->thread());
    }, Qt::BlockingQueuedConnection);
    d->thread->quit();
    d->thread->wait();
    delete d->thread;
    d->thread = nullptr;
    d->db.reset();
}

void PgOwnership::want(const QString &name)
{
    {
        QMutexLocker lock(&d->mutex);
        d->wanted.insert(name);
        d->releasing.remove(name);
    }
    if (d->thread)
        QMetaObject::invokeMethod(this, &PgOwnership::tick, Qt::QueuedConnection);
}

void PgOwnership::release(const QString &name)
{
    {
        QMutexLocker lock(&d->mutex);
        d->wanted.remove(name);
        if (d->owned.contains(name))
            d->releasing.insert(name);
    }
    if (d->thread)
        QMetaObject::invokeMethod(this, &PgOwnership::tick, Qt::QueuedConnection);
}

bool PgOwnership::owns(const QString &name) const
{
    QMutexLocker lock(&d->mutex);
    return d->owned.contains(name);
}

QStringList PgOwnership::owned() const
{
    QMutexLocker lock(&d->mutex);
    QStringList out = d->owned.values();
    out.sort();
    return out;
}

void PgOwnership::dropAll(const QString &reason)
{
    QStringList gone;
    {
        QMutexLocker lock(&d->mutex);
        gone = d->owned.values();
        d->owned.clear();
        d->releasing.clear();
    }
    if (!gone.isEmpty())
        qCWarning(lcOwnership) << "lost ownership of" << gone << "-" << reason;
    for (const QString &name : std::as_const(gone))
        Q_EMIT lost(name);
}

void PgOwnership::tick()
{
    if (!d->db)
        return;
    if (!d->db->isOpen()) {
        QString error;
        if (!d->db->reopen(&error))
            return;   // tried again next tick
    }
    QStringList toTake;
    QStringList toRelease;
    bool anyOwned = false;
    {
        QMutexLocker lock(&d->mutex);
        for (const QString &name : std::as_const(d->wanted)) {
            if (!d->owned.contains(name))
                toTake.append(name);
        }
        toRelease = d->releasing.values();
        anyOwned = !d->owned.isEmpty();
    }
    QSqlDatabase db = d->db->database();
    for (const QString &name : std::as_const(toRelease)) {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT pg_advisory_unlock(?, ?)"));
        q.addBindValue(PgAdvisoryLocks::kOwnershipClass);
        q.addBindValue(keyOf(name));
        if (!q.exec()) {
            d->db->noteError(q.lastError());
            d->db->close();
            dropAll(d->db->errorString());
            return;
        }
        {
            QMutexLocker lock(&d->mutex);
            d->owned.remove(name);
            d->releasing.remove(name);
        }
        Q_EMIT lost(name);
    }
    if (toTake.isEmpty()) {
        // Everything wanted is ours: make sure the session holding it is still there.
        if (anyOwned && !d->db->ping()) {
            d->db->close();
            dropAll(QStringLiteral("the connection holding the locks was lost"));
        }
        return;
    }
    // One round trip for every name still wanted.
    QStringList keys;
    for (const QString &name : std::as_const(toTake))
        keys.append(QString::number(keyOf(name)));
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT k, pg_try_advisory_lock(?, k) FROM unnest(?::INT[]) AS k"));
    q.addBindValue(PgAdvisoryLocks::kOwnershipClass);
    q.addBindValue(QString(QStringLiteral("{") + keys.join(QLatin1Char(',')) + QStringLiteral("}")));
    if (!q.exec()) {
        d->db->noteError(q.lastError());
        d->db->close();
        dropAll(d->db->errorString());
        return;
    }
    QSet<qint32> taken;
    while (q.next()) {
        if (q.value(1).toBool())
            taken.insert(q.value(0).toInt());
    }
    for (const QString &name : std::as_const(toTake)) {
        if (!taken.contains(keyOf(name)))
            continue;
        bool stillWanted = false;
        {
            QMutexLocker lock(&d->mutex);
            stillWanted = d->wanted.contains(name);
            if (stillWanted)
                d->owned.insert(name);
            else
                d->releasing.insert(name);   // given up meanwhile: released next tick
        }
        if (stillWanted) {
            qCInfo(lcOwnership) << "this engine now runs" << name;
            Q_EMIT acquired(name);
        }
    }
}

} // namespace Gatehouse
