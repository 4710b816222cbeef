// The event log on PostgreSQL with several engines: two EventStores on one database stand for
// two engines (each has its own writer, tailer, listener and readers, as two processes would).
// PostgreSQL only: registered once, with the `postgres` fixture.

#include "store/eventstore.h"
#include "sql/pgconnection.h"
#include "testdatabase.h"

#include <QCoreApplication>
#include <QMutex>
#include <QScopeGuard>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <atomic>
#include <memory>

using namespace Gatehouse;

namespace {

AppendRequest oneEvent(const QString &stream, const QString &id, const QString &type = QStringLiteral("t.happened"))
{
    AppendRequest r;
    r.stream = stream;
    r.events = {NewEvent{id, type, "{\"id\":\"" + id.toUtf8() + "\"}", "{}"}};
    return r;
}

// Everything one store announced through eventsCommitted, as it came.
struct Announced
{
    QMutex mutex;
    QList<qint64> positions;
    QStringList ids;

    void connectTo(EventStore *store)
    {
        // Direct: emitted on the store's thread, recorded without an event loop in between.
        QObject::connect(store, &EventStore::eventsCommitted, store, [this](const RecordedEvents &events) {
            QMutexLocker lock(&mutex);
            for (const RecordedEvent &e : events) {
                positions.append(e.position);
                ids.append(e.id);
            }
        }, Qt::DirectConnection);
    }
    qsizetype count()
    {
        QMutexLocker lock(&mutex);
        return positions.size();
    }
    // Every position 1..n exactly once, in order.
    bool isEachOnceInOrder(qint64 n)
    {
        QMutexLocker lock(&mutex);
        if (positions.size() != n)
            return false;
        for (qsizetype i = 0; i < positions.size(); ++i) {
            if (positions.at(i) != i + 1)
                return false;
        }
        return true;
    }
};

// Appends one event at a time from its own thread until told to stop (or `count` are done).
struct Appender
{
    EventStore *store = nullptr;
    QString prefix;
    int count = 0;                        // 0: until stop
    std::atomic<bool> *stop = nullptr;
    QMutex mutex;
    QHash<QString, qint64> acknowledged;  // id -> position
    int storageErrors = 0;
    QStringList unexpected;
    std::unique_ptr<QThread> thread;

    void start()
    {
        thread.reset(QThread::create([this] {
            for (int i = 0; count == 0 || i < count; ++i) {
                if (stop && stop->load())
                    break;
                const QString id = prefix + QUuid::createUuid().toString(QUuid::WithoutBraces);
                const AppendResult r = store->appendAndWait(oneEvent(QStringLiteral("shared-%1").arg(i % 7), id));
                QMutexLocker lock(&mutex);
                if (r.ok())
                    acknowledged.insert(id, r.firstPosition);
                else if (r.status == AppendResult::StorageError)
                    ++storageErrors;
                else
                    unexpected.append(QStringLiteral("%1: %2").arg(int(r.status)).arg(r.error));
            }
        }));
        thread->start();
    }
    qsizetype acknowledgedCount()
    {
        QMutexLocker lock(&mutex);
        return acknowledged.size();
    }
};

// Reads the log from the start over and over while it grows; a page that does not begin right
// after what it saw, or has a hole, is a reader seeing position N+1 without N.
struct GapWatcher
{
    EventStore *store = nullptr;
    std::atomic<bool> stop{false};
    std::atomic<int> gaps{0};
    std::atomic<qint64> seen{0};
    std::unique_ptr<QThread> thread;

    void start()
    {
        thread.reset(QThread::create([this] {
            qint64 next = 1;
            while (!stop.load()) {
                ReadStatus status;
                const RecordedEvents page = store->readAll(next, 500, {}, &status);
                if (!status.ok())
                    continue;
                for (const RecordedEvent &e : page) {
                    if (e.position != next)
                        ++gaps;
                    next = e.position + 1;
                }
                seen = next - 1;
            }
        }));
        thread->start();
    }
};

EventStore::Options optionsFor(const QTemporaryDir &dir)
{
    EventStore::Options o;
    o.target = Test::target(dir.path(), QStringLiteral("events.db"));
    return o;
}

bool terminateBackends(const PostgresUrl &url, const QString &applicationName, int *terminated, QString *error)
{
    PgConnection admin;
    if (!admin.open(url, QStringLiteral("tst_pgeventlog"), error))
        return false;
    QSqlQuery q(admin.database());
    if (!q.exec(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND application_name = 'gatehouse %1'")
                    .arg(applicationName))
        || !q.next()) {
        *error = q.lastError().text();
        return false;
    }
    *terminated = q.value(0).toInt();
    return true;
}

} // namespace

class tst_PgEventLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void anotherEnginesEventsAreAnnounced();
    void twoEnginesConcurrentWriters();
    void writerConnectionKilled();
    void listenerConnectionKilled();
    void readBudgetTimesOut();
    void unreachableDatabase();
};

void tst_PgEventLog::initTestCase()
{
    if (!Test::usesPostgres())
        QSKIP("PostgreSQL only: run through ctest, which starts the server (fixture `postgres`)");
}

void tst_PgEventLog::anotherEnginesEventsAreAnnounced()
{
    QTemporaryDir dir;
    EventStore a, b;
    QVERIFY2(a.open(optionsFor(dir)), qPrintable(a.errorString()));
    QVERIFY2(b.open(optionsFor(dir)), qPrintable(b.errorString()));
    Announced seenByB;
    seenByB.connectTo(&b);
    const AppendResult r = a.appendAndWait(oneEvent(QStringLiteral("x-1"), QStringLiteral("id-1")));
    QVERIFY(r.ok());
    // B appended nothing: it learns of A's commit through NOTIFY alone.
    QTRY_COMPARE_WITH_TIMEOUT(seenByB.count(), 1, 30000);
    QCOMPARE(seenByB.ids.first(), QStringLiteral("id-1"));
    QCOMPARE(b.headPosition(), 1);
    QCOMPARE(b.readStream(QStringLiteral("x-1")).size(), 1);
    // And B's appends take the next position, whoever appended last.
    const AppendResult next = b.appendAndWait(oneEvent(QStringLiteral("x-1"), QStringLiteral("id-2")));
    QCOMPARE(next.firstPosition, 2);
    QCOMPARE(next.version, 1);
}

void tst_PgEventLog::twoEnginesConcurrentWriters()
{
    QTemporaryDir dir;
    EventStore a, b;
    QVERIFY2(a.open(optionsFor(dir)), qPrintable(a.errorString()));
    QVERIFY2(b.open(optionsFor(dir)), qPrintable(b.errorString()));
    Announced seenByA, seenByB;
    seenByA.connectTo(&a);
    seenByB.connectTo(&b);
    GapWatcher watcher;
    watcher.store = &b;
    watcher.start();

    constexpr int threadsPerEngine = 4, perThread = 150;
    std::vector<std::unique_ptr<Appender>> appenders;
    for (int t = 0; t < 2 * threadsPerEngine; ++t) {
        auto ap = std::make_unique<Appender>();
        ap->store = t % 2 ? &b : &a;
        ap->prefix = QStringLiteral("%1%2-").arg(t % 2 ? u'b' : u'a').arg(t);
        ap->count = perThread;
        ap->start();
        appenders.push_back(std::move(ap));
    }
    QHash<QString, qint64> acknowledged;
    for (auto &ap : appenders) {
        QVERIFY(ap->thread->wait(120000));
        QVERIFY2(ap->unexpected.isEmpty(), qPrintable(ap->unexpected.join(u'\n')));
        QCOMPARE(ap->storageErrors, 0);
        acknowledged.insert(ap->acknowledged);
    }
    const qint64 total = 2 * threadsPerEngine * perThread;
    QCOMPARE(acknowledged.size(), total);
    QTRY_VERIFY_WITH_TIMEOUT(watcher.seen.load() >= total, 30000);
    watcher.stop = true;
    QVERIFY(watcher.thread->wait(30000));
    QCOMPARE(watcher.gaps.load(), 0);

    // Every acknowledged append is in the log exactly once, where it was told; no gaps.
    const RecordedEvents all = a.readAll(1, int(total) + 100);
    QCOMPARE(all.size(), total);
    QHash<QString, qint64> streamVersions;
    for (qsizetype i = 0; i < all.size(); ++i) {
        const RecordedEvent &e = all.at(i);
        QCOMPARE(e.position, qint64(i + 1));
        QCOMPARE(acknowledged.value(e.id, -1), e.position);
        const qint64 version = streamVersions.value(e.stream, -1) + 1;
        QCOMPARE(e.version, version);
        streamVersions[e.stream] = version;
    }
    // Both engines announced every event once, in position order, whichever appended it.
    QTRY_COMPARE_WITH_TIMEOUT(seenByA.count(), total, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(seenByB.count(), total, 30000);
    QVERIFY(seenByA.isEachOnceInOrder(total));
    QVERIFY(seenByB.isEachOnceInOrder(total));
    QCOMPARE(a.headPosition(), total);
    QCOMPARE(b.headPosition(), total);
    // Seven streams shared by eight writers on two engines: batches decided on a read that the
    // other engine overtook were refused by the unique indexes and decided again (the checks
    // above show nothing was lost or doubled by that).
    qInfo() << "batches decided again after another engine's append:" << a.appendConflicts() << b.appendConflicts();
    QVERIFY(a.appendConflicts() + b.appendConflicts() > 0);
}

void tst_PgEventLog::writerConnectionKilled()
{
    QTemporaryDir dir;
    const EventStore::Options options = optionsFor(dir);
    EventStore store, other;
    QVERIFY2(store.open(options), qPrintable(store.errorString()));
    QVERIFY2(other.open(options), qPrintable(other.errorString()));
    Announced seen, seenByOther;
    seen.connectTo(&store);
    seenByOther.connectTo(&other);

    std::atomic<bool> stop{false};
    std::vector<std::unique_ptr<Appender>> appenders;
    const auto stopAppenders = qScopeGuard([&] {
        stop = true;
        for (auto &ap : appenders)
            ap->thread->wait();
    });
    for (int t = 0; t < 3; ++t) {
        auto ap = std::make_unique<Appender>();
        ap->store = &store;
        ap->prefix = QStringLiteral("k%1-").arg(t);
        ap->stop = &stop;
        ap->start();
        appenders.push_back(std::move(ap));
    }
    auto acknowledgedSoFar = [&] {
        qsizetype n = 0;
        for (auto &ap : appenders)
            n += ap->acknowledgedCount();
        return n;
    };
    for (int round = 0; round < 3; ++round) {
        const qsizetype before = acknowledgedSoFar();
        // Appends go on, then the writer's session is ended under them; they go on again
        // once the writer has connected anew.
        QTRY_VERIFY_WITH_TIMEOUT(acknowledgedSoFar() >= before + 30, 30000);
        int terminated = 0;
        QString error;
        QVERIFY2(terminateBackends(options.target.postgres, QStringLiteral("events writer"), &terminated, &error), qPrintable(error));
        QVERIFY(terminated >= 1);   // both engines' writers, unless one is connecting again
    }
    const qsizetype afterLastKill = acknowledgedSoFar();
    QTRY_VERIFY_WITH_TIMEOUT(acknowledgedSoFar() >= afterLastKill + 30, 30000);
    stop = true;
    QHash<QString, qint64> acknowledged;
    int storageErrors = 0;
    for (auto &ap : appenders) {
        QVERIFY(ap->thread->wait(60000));
        QVERIFY2(ap->unexpected.isEmpty(), qPrintable(ap->unexpected.join(u'\n')));
        acknowledged.insert(ap->acknowledged);
        storageErrors += ap->storageErrors;
    }
    qInfo("%lld appends acknowledged, %d answered StorageError", qint64(acknowledged.size()), storageErrors);

    const AppendResult later = store.appendAndWait(oneEvent(QStringLiteral("after"), QStringLiteral("after-1")));
    QVERIFY2(later.ok(), qPrintable(later.error));
    // Nothing acknowledged is lost; a failure whose COMMIT did land is in the log, once.
    const qint64 head = later.lastPosition;
    const RecordedEvents all = store.readAll(1, int(head) + 10);
    QCOMPARE(all.size(), head);
    QSet<QString> ids;
    for (qsizetype i = 0; i < all.size(); ++i) {
        QCOMPARE(all.at(i).position, qint64(i + 1));
        QVERIFY(!ids.contains(all.at(i).id));
        ids.insert(all.at(i).id);
    }
    for (auto it = acknowledged.cbegin(); it != acknowledged.cend(); ++it)
        QCOMPARE(all.at(it.value() - 1).id, it.key());
    QVERIFY(qint64(acknowledged.size()) + 1 <= head);
    QTRY_COMPARE_WITH_TIMEOUT(seen.count(), head, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(seenByOther.count(), head, 30000);
    QVERIFY(seen.isEachOnceInOrder(head));
    QVERIFY(seenByOther.isEachOnceInOrder(head));
}

void tst_PgEventLog::listenerConnectionKilled()
{
    QTemporaryDir dir;
    const EventStore::Options options = optionsFor(dir);
    EventStore a, b;
    QVERIFY2(a.open(options), qPrintable(a.errorString()));
    QVERIFY2(b.open(options), qPrintable(b.errorString()));
    Announced seenByB;
    seenByB.connectTo(&b);
    QVERIFY(a.appendAndWait(oneEvent(QStringLiteral("l-1"), QStringLiteral("l-1"))).ok());
    QTRY_COMPARE_WITH_TIMEOUT(seenByB.count(), 1, 30000);

    int terminated = 0;
    QString error;
    QVERIFY2(terminateBackends(options.target.postgres, QStringLiteral("events listener"), &terminated, &error), qPrintable(error));
    QCOMPARE(terminated, 2);
    // Appended while B's listener is away: B reads them once it listens again.
    for (int i = 2; i <= 5; ++i)
        QVERIFY(a.appendAndWait(oneEvent(QStringLiteral("l-1"), QStringLiteral("l-%1").arg(i))).ok());
    QTRY_COMPARE_WITH_TIMEOUT(seenByB.count(), 5, 30000);
    QVERIFY(seenByB.isEachOnceInOrder(5));
    QVERIFY(a.appendAndWait(oneEvent(QStringLiteral("l-1"), QStringLiteral("l-6"))).ok());
    QTRY_COMPARE_WITH_TIMEOUT(seenByB.count(), 6, 30000);
    QVERIFY(seenByB.isEachOnceInOrder(6));
}

void tst_PgEventLog::readBudgetTimesOut()
{
    QTemporaryDir dir;
    const EventStore::Options options = optionsFor(dir);
    EventStore store;
    QVERIFY2(store.open(options), qPrintable(store.errorString()));
    QVERIFY(store.appendAndWait(oneEvent(QStringLiteral("r-1"), QStringLiteral("r-1"))).ok());

    // Another session holds the table: a read with a budget gives up after it, and says so.
    PgConnection locker;
    QString error;
    QVERIFY2(locker.open(options.target.postgres, QStringLiteral("tst_pgeventlog"), &error), qPrintable(error));
    QVERIFY(locker.exec(QStringLiteral("BEGIN")));
    QVERIFY(locker.exec(QStringLiteral("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")));
    ReadStatus status;
    const RecordedEvents none = store.readAll(1, 10, {}, &status, 200);
    QCOMPARE(int(status.kind), int(ReadStatus::Kind::TimedOut));
    QCOMPARE(status.budgetMs, 200);
    QVERIFY(none.isEmpty());
    QVERIFY(locker.exec(QStringLiteral("ROLLBACK")));

    const RecordedEvents one = store.readAll(1, 10, {}, &status, 5000);
    QVERIFY(status.ok());
    QCOMPARE(one.size(), 1);
    const RecordedEvents unbounded = store.readStream(QStringLiteral("r-1"), 0, 10, &status);
    QVERIFY(status.ok());
    QCOMPARE(unbounded.size(), 1);
}

void tst_PgEventLog::unreachableDatabase()
{
    QString error;
    auto url = Test::postgresServer(&error);
    QVERIFY2(url, qPrintable(error));
    url->port = 1;   // nothing listens there
    EventStore::Options o;
    o.target = StorageTarget::postgresql(*url);
    EventStore store;
    QVERIFY(!store.open(o));
    QVERIFY2(store.errorString().contains(QLatin1String("127.0.0.1:1")), qPrintable(store.errorString()));
    QVERIFY(!store.isOpen());
    QCOMPARE(store.appendAndWait(oneEvent(QStringLiteral("u"), QStringLiteral("u"))).status, AppendResult::Stopped);
    ReadStatus status;
    QVERIFY(store.readAll(1, 10, {}, &status).isEmpty());
    QVERIFY(!status.ok());
}

QTEST_GUILESS_MAIN(tst_PgEventLog)

#include "tst_pgeventlog.moc"
