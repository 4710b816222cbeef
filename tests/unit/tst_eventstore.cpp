#include "store/eventstore.h"
#include "store/cloudevent.h"
#include "sql/pgconnection.h"
#include "sql/sqliteconnection.h"
#include "testdatabase.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cstdlib>
#include <unistd.h>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

NewEvent ev(const QString &type, const QByteArray &data = "{}", const QString &id = {})
{
    return NewEvent{id, type, data, "{}"};
}

AppendRequest req(const QString &stream, ExpectedVersion expected, QList<NewEvent> events)
{
    AppendRequest r;
    r.stream = stream;
    r.expected = expected;
    r.events = std::move(events);
    return r;
}

// The test's backend (Test::usesPostgres()): events.db in `dir`, or a fresh PostgreSQL
// database for `dir` (the same one each time: reopening finds the log again).
EventStore::Options optionsFor(const QTemporaryDir &dir)
{
    EventStore::Options o;
    o.target = Test::target(dir.path(), QStringLiteral("events.db"));
    return o;
}

// Child mode: append events one by one and die without closing anything. `where` is the
// events.db path or the PostgreSQL URL.
int runUncleanChild(const QString &where, int count)
{
    EventStore store;
    EventStore::Options o;
    if (where.startsWith(QLatin1String("postgresql://"))) {
        QString error;
        const auto url = PostgresUrl::parse(where, &error);
        if (!url)
            return 2;
        o.target = StorageTarget::postgresql(*url);
    } else {
        o.target = StorageTarget::sqlite(where);
    }
    if (!store.open(o))
        return 3;
    for (int i = 0; i < count; ++i) {
        const auto r = store.appendAndWait(req(QStringLiteral("items-%1").arg(i % 7), ExpectedVersion::any(),
                                              {ev(QStringLiteral("items.created"), "{\"n\":" + QByteArray::number(i) + '}')}));
        if (!r.ok())
            return 4;
    }
    ::_exit(0);   // no destructors, no close(): an unclean stop
}

} // namespace

class tst_EventStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void expectedVersion_data();
    void expectedVersion();
    void positionsAndVersions();
    void idempotentByEventId();
    void duplicateEventIdElsewhere();
    void idempotencyKeyDurable();
    void concurrentAppendersGetConsecutivePositions();
    void committedSignalCarriesEveryEvent();
    void reopenAfterUncleanStop();
    void closeDrainsQueuedAppends();
    void readsFilterAndPage();
    void typeGlobsMatchAsSqliteGlob();
    void logIsAppendOnly();
    void cloudEventShape();
    void invalidRequests();
    void preconditionSeesAuthoritativeHead();
    void commitDelayHoldsEveryAppend();
    void dataKeptByteForByte();
    void walIsCheckpointedWhileRunning();
};

void tst_EventStore::expectedVersion_data()
{
    QTest::addColumn<int>("existingEvents");   // events already in the stream
    QTest::addColumn<int>("kind");
    QTest::addColumn<qint64>("version");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("any on none") << 0 << int(ExpectedVersion::Any) << qint64(-1) << true;
    QTest::newRow("any on existing") << 2 << int(ExpectedVersion::Any) << qint64(-1) << true;
    QTest::newRow("no_stream on none") << 0 << int(ExpectedVersion::NoStream) << qint64(-1) << true;
    QTest::newRow("no_stream on existing") << 1 << int(ExpectedVersion::NoStream) << qint64(-1) << false;
    QTest::newRow("stream_exists on none") << 0 << int(ExpectedVersion::StreamExists) << qint64(-1) << false;
    QTest::newRow("stream_exists on existing") << 3 << int(ExpectedVersion::StreamExists) << qint64(-1) << true;
    QTest::newRow("exact match") << 2 << int(ExpectedVersion::Exact) << qint64(1) << true;
    QTest::newRow("exact behind") << 3 << int(ExpectedVersion::Exact) << qint64(1) << false;
    QTest::newRow("exact ahead") << 1 << int(ExpectedVersion::Exact) << qint64(4) << false;
    QTest::newRow("exact 0 on none") << 0 << int(ExpectedVersion::Exact) << qint64(0) << false;
}

void tst_EventStore::expectedVersion()
{
    QFETCH(int, existingEvents);
    QFETCH(int, kind);
    QFETCH(qint64, version);
    QFETCH(bool, accepted);

    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    const QString stream = QStringLiteral("orders-1");
    for (int i = 0; i < existingEvents; ++i)
        QVERIFY(store.appendAndWait(req(stream, ExpectedVersion::any(), {ev(QStringLiteral("orders.updated"))})).ok());

    const auto r = store.appendAndWait(req(stream, ExpectedVersion{ExpectedVersion::Kind(kind), version},
                                           {ev(QStringLiteral("orders.updated"))}));
    if (accepted) {
        QCOMPARE(r.status, AppendResult::Ok);
        QCOMPARE(r.version, qint64(existingEvents));
        QCOMPARE(store.readStream(stream).size(), existingEvents + 1);
    } else {
        QCOMPARE(r.status, AppendResult::WrongExpectedVersion);
        QCOMPARE(r.currentVersion, qint64(existingEvents - 1));
        QCOMPARE(store.readStream(stream).size(), existingEvents);   // nothing appended
        QCOMPARE(store.headPosition(), qint64(existingEvents));
    }
}

void tst_EventStore::positionsAndVersions()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    auto a = store.appendAndWait(req(QStringLiteral("a-1"), ExpectedVersion::noStream(),
                                     {ev(QStringLiteral("a.created")), ev(QStringLiteral("a.updated"))}));
    QVERIFY(a.ok());
    QCOMPARE(a.firstPosition, 1);
    QCOMPARE(a.lastPosition, 2);
    QCOMPARE(a.version, 1);
    QCOMPARE(a.eventTypes, (QStringList{QStringLiteral("a.created"), QStringLiteral("a.updated")}));
    auto b = store.appendAndWait(req(QStringLiteral("b-1"), ExpectedVersion::noStream(), {ev(QStringLiteral("b.created"))}));
    QCOMPARE(b.firstPosition, 3);
    QCOMPARE(b.version, 0);
    const auto stream = store.readStream(QStringLiteral("a-1"));
    QCOMPARE(stream.size(), 2);
    QCOMPARE(stream.at(0).version, 0);
    QCOMPARE(stream.at(1).version, 1);
    QCOMPARE(stream.at(1).position, 2);
    QVERIFY(!stream.at(0).id.isEmpty());
    QVERIFY(stream.at(0).id != stream.at(1).id);
    QCOMPARE(store.streamHead(QStringLiteral("a-1")).version, 1);
    QCOMPARE(store.streamHead(QStringLiteral("a-1")).lastType, QStringLiteral("a.updated"));
    QCOMPARE(store.streamHead(QStringLiteral("nope")).version, -1);
}

void tst_EventStore::idempotentByEventId()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    const QString id1 = QStringLiteral("6f1c1c44-0000-4000-8000-000000000001");
    const QString id2 = QStringLiteral("6f1c1c44-0000-4000-8000-000000000002");
    auto first = store.appendAndWait(req(QStringLiteral("s-1"), ExpectedVersion::noStream(),
                                         {ev(QStringLiteral("s.created"), "{}", id1), ev(QStringLiteral("s.updated"), "{}", id2)}));
    QVERIFY(first.ok());
    QVERIFY(!first.replayed);
    // The same append again -- even with an expected version that would now fail -- is a repeat.
    auto again = store.appendAndWait(req(QStringLiteral("s-1"), ExpectedVersion::noStream(),
                                         {ev(QStringLiteral("s.created"), "{}", id1), ev(QStringLiteral("s.updated"), "{}", id2)}));
    QCOMPARE(again.status, AppendResult::Ok);
    QVERIFY(again.replayed);
    QCOMPARE(again.firstPosition, first.firstPosition);
    QCOMPARE(again.lastPosition, first.lastPosition);
    QCOMPARE(store.headPosition(), 2);

    // Durable: still a repeat after reopening.
    store.close();
    QVERIFY(store.open(optionsFor(dir)));
    auto afterReopen = store.appendAndWait(req(QStringLiteral("s-1"), ExpectedVersion::any(),
                                               {ev(QStringLiteral("s.created"), "{}", id1), ev(QStringLiteral("s.updated"), "{}", id2)}));
    QVERIFY(afterReopen.replayed);
    QCOMPARE(store.headPosition(), 2);
    QCOMPARE(store.readAll(1, 100).size(), 2);
}

void tst_EventStore::duplicateEventIdElsewhere()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    const QString id = QStringLiteral("6f1c1c44-0000-4000-8000-00000000000a");
    QVERIFY(store.appendAndWait(req(QStringLiteral("s-1"), ExpectedVersion::any(), {ev(QStringLiteral("s.created"), "{}", id)})).ok());
    auto other = store.appendAndWait(req(QStringLiteral("s-2"), ExpectedVersion::any(), {ev(QStringLiteral("s.created"), "{}", id)}));
    QCOMPARE(other.status, AppendResult::DuplicateEventId);
    QCOMPARE(store.headPosition(), 1);
    // A later append still works and takes the next position (no gap left by the failure).
    auto next = store.appendAndWait(req(QStringLiteral("s-2"), ExpectedVersion::any(), {ev(QStringLiteral("s.created"))}));
    QVERIFY(next.ok());
    QCOMPARE(next.firstPosition, 2);
}

void tst_EventStore::idempotencyKeyDurable()
{
    QTemporaryDir dir;
    {
        EventStore store;
        QVERIFY(store.open(optionsFor(dir)));
        AppendRequest r = req(QStringLiteral("p-1"), ExpectedVersion::noStream(), {ev(QStringLiteral("p.created"))});
        r.idempotencyKey = QStringLiteral("key-1");
        r.requestHash = "hash-A";
        auto first = store.appendAndWait(r);
        QVERIFY(first.ok());
        QVERIFY(!first.replayed);
        auto repeat = store.appendAndWait(r);
        QVERIFY(repeat.ok());
        QVERIFY(repeat.replayed);
        QCOMPARE(repeat.lastPosition, first.lastPosition);
        QCOMPARE(repeat.eventTypes, first.eventTypes);
        QCOMPARE(store.headPosition(), 1);
    }
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    AppendRequest r = req(QStringLiteral("p-1"), ExpectedVersion::noStream(), {ev(QStringLiteral("p.created"))});
    r.idempotencyKey = QStringLiteral("key-1");
    r.requestHash = "hash-A";
    QVERIFY(store.appendAndWait(r).replayed);
    r.requestHash = "hash-B";
    QCOMPARE(store.appendAndWait(r).status, AppendResult::IdempotencyConflict);
    const auto rec = store.idempotencyRecord(QStringLiteral("key-1"));
    QVERIFY(rec.found);
    QCOMPARE(rec.requestHash, QByteArray("hash-A"));
    QCOMPARE(store.headPosition(), 1);
}

void tst_EventStore::concurrentAppendersGetConsecutivePositions()
{
    QTemporaryDir dir;
    EventStore store;
    EventStore::Options o = optionsFor(dir);
    o.durability = EventStore::Durability::Normal;
    QVERIFY(store.open(o));
    constexpr int threads = 8, perThread = 150;
    std::atomic<int> failures{0};
    QList<QThread *> workers;
    for (int t = 0; t < threads; ++t) {
        workers.append(QThread::create([&, t] {
            for (int i = 0; i < perThread; ++i) {
                const auto r = store.appendAndWait(req(QStringLiteral("t%1-%2").arg(t).arg(i % 5), ExpectedVersion::any(),
                                                       {ev(QStringLiteral("t.happened"))}));
                if (!r.ok())
                    ++failures;
            }
        }));
        workers.last()->start();
    }
    for (QThread *w : workers) {
        QVERIFY(w->wait(60000));
        delete w;
    }
    QCOMPARE(failures.load(), 0);
    const auto all = store.readAll(1, threads * perThread + 10);
    QCOMPARE(all.size(), threads * perThread);
    QHash<QString, qint64> lastVersion;
    for (qsizetype i = 0; i < all.size(); ++i) {
        QCOMPARE(all.at(i).position, qint64(i + 1));
        const qint64 expected = lastVersion.value(all.at(i).stream, -1) + 1;
        QCOMPARE(all.at(i).version, expected);
        lastVersion[all.at(i).stream] = expected;
    }
    QCOMPARE(store.headPosition(), qint64(threads * perThread));
}

void tst_EventStore::committedSignalCarriesEveryEvent()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    qint64 seen = 0, lastPosition = 0;
    bool ordered = true;
    QObject receiver;
    connect(&store, &EventStore::eventsCommitted, &receiver, [&](const RecordedEvents &events) {
        for (const auto &e : events) {
            ordered = ordered && e.position == lastPosition + 1;
            lastPosition = e.position;
            ++seen;
        }
    }, Qt::QueuedConnection);
    std::atomic<int> answered{0};
    for (int i = 0; i < 300; ++i)
        store.append(req(QStringLiteral("c-%1").arg(i), ExpectedVersion::noStream(), {ev(QStringLiteral("c.created"))}),
                     [&](const AppendResult &r) { if (r.ok()) ++answered; });
    QTRY_COMPARE_WITH_TIMEOUT(seen, 300, 30000);
    QCOMPARE(answered.load(), 300);
    QVERIFY(ordered);
}

void tst_EventStore::reopenAfterUncleanStop()
{
    QTemporaryDir dir;
    const EventStore::Options o = optionsFor(dir);
    QProcess child;
    child.setProgram(QCoreApplication::applicationFilePath());
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TST_EVENTSTORE_CHILD"), o.target.isPostgres() ? o.target.postgres.toString() : o.target.sqlitePath);
    child.setProcessEnvironment(env);
    child.start();
    QVERIFY(child.waitForFinished(60000));
    QCOMPARE(child.exitCode(), 0);

    EventStore store;
    QVERIFY(store.open(o));
    QCOMPARE(store.headPosition(), 120);
    const auto all = store.readAll(1, 1000);
    QCOMPARE(all.size(), 120);
    QCOMPARE(all.last().data, QByteArray("{\"n\":119}"));
    // items-0 got events 0, 7, ..., 119: 18 of them, versions 0..17.
    QCOMPARE(store.streamHead(QStringLiteral("items-0")).version, 17);
    const auto next = store.appendAndWait(req(QStringLiteral("items-0"), ExpectedVersion::exact(17),
                                              {ev(QStringLiteral("items.updated"))}));
    QCOMPARE(next.status, AppendResult::Ok);
    QCOMPARE(next.firstPosition, 121);
}

void tst_EventStore::closeDrainsQueuedAppends()
{
    QTemporaryDir dir;
    std::atomic<int> ok{0}, other{0};
    {
        EventStore store;
        QVERIFY(store.open(optionsFor(dir)));
        for (int i = 0; i < 500; ++i)
            store.append(req(QStringLiteral("d-%1").arg(i), ExpectedVersion::noStream(), {ev(QStringLiteral("d.created"))}),
                         [&](const AppendResult &r) { r.ok() ? ++ok : ++other; });
        store.close();   // must commit everything queued and answer every caller
        QCOMPARE(ok.load() + other.load(), 500);
        const auto late = store.appendAndWait(req(QStringLiteral("x"), ExpectedVersion::any(), {ev(QStringLiteral("x.y"))}));
        QCOMPARE(late.status, AppendResult::Stopped);
    }
    QCOMPARE(ok.load(), 500);
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    QCOMPARE(store.headPosition(), 500);
}

void tst_EventStore::readsFilterAndPage()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    for (int i = 0; i < 10; ++i) {
        const QString type = i % 2 ? QStringLiteral("products.updated") : QStringLiteral("orders.created");
        QVERIFY(store.appendAndWait(req(QStringLiteral("s-%1").arg(i), ExpectedVersion::any(), {ev(type)})).ok());
    }
    QCOMPARE(store.readAll(1, 100).size(), 10);
    QCOMPARE(store.readAll(4, 100).first().position, 4);
    QCOMPARE(store.readAll(4, 3).size(), 3);
    const auto products = store.readAll(1, 100, QStringLiteral("products.*"));
    QCOMPARE(products.size(), 5);
    for (const auto &e : products)
        QCOMPARE(e.type, QStringLiteral("products.updated"));
    QCOMPARE(store.readAll(1, 100, QStringLiteral("*.created")).size(), 5);
    QCOMPARE(store.readAll(1, 100, QStringLiteral("nothing.*")).size(), 0);
    const auto back = store.readBackward(8, 3);
    QCOMPARE(back.size(), 3);
    QCOMPARE(back.first().position, 5);
    QCOMPARE(back.last().position, 7);
    qint64 scanned = 0;
    QVERIFY(store.scan(3, [&](const RecordedEvent &e) { scanned = e.position; return e.position < 6; }));
    QCOMPARE(scanned, 6);
}

// A type filter (`/events?type=`) reads as SQLite's GLOB reads it on every backend: `*`, `?`,
// sets with `^`, a leading `]` and ranges, and every other character (LIKE's `%` and `_`, a
// regular expression's `.`, `\`, `(`) only itself. The expected answer is SQLite's own GLOB on
// the same types and patterns, in memory.
void tst_EventStore::typeGlobsMatchAsSqliteGlob()
{
    const QStringList types = {
        u"products.created"_s, u"products.updated"_s, u"orders.created"_s, u"a]b"_s, u"a-b"_s, u"a^b"_s,
        u"x[y"_s, u"a_b"_s, u"a%b"_s, u"a.b"_s, u"a\\b"_s, u"a(b)"_s, u"caf\u00e9.x"_s,
        QStringLiteral("e.") + QString::fromUcs4(U"\U0001F600"), u"]"_s, u"-"_s, u"^"_s, u"ab"_s, u"b"_s,
        u"x\ufffd"_s, u"x\ufffe"_s, u"x\uffff"_s, u"A.B"_s, u"a\nb"_s, u"a!b"_s, u"a{1}"_s, u"a$|b+"_s,
    };
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    for (int i = 0; i < types.size(); ++i)
        QVERIFY(store.appendAndWait(req(QStringLiteral("s-%1").arg(i), ExpectedVersion::any(), {ev(types.at(i))})).ok());

    const auto dropConnection = qScopeGuard([] { QSqlDatabase::removeDatabase(QStringLiteral("tst_eventstore_glob")); });
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tst_eventstore_glob"));
        db.setDatabaseName(QStringLiteral(":memory:"));
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QString failure;   // a read or GLOB that went wrong (the lambdas cannot QFAIL)
        QSqlQuery glob(db);
        QVERIFY(glob.prepare(QStringLiteral("SELECT CAST(? AS TEXT) GLOB CAST(? AS TEXT)")));
        const auto expected = [&](const QString &pattern) {
            QList<qint64> positions;
            for (int i = 0; i < types.size(); ++i) {
                glob.bindValue(0, types.at(i).toUtf8());
                glob.bindValue(1, pattern.toUtf8());
                if (!glob.exec() || !glob.next()) {
                    failure = QStringLiteral("GLOB failed: ") + glob.lastError().text();
                    return positions;
                }
                if (glob.value(0).toInt() == 1)
                    positions.append(i + 1);
                glob.finish();
            }
            return positions;
        };
        const auto read = [&](const QString &pattern) {
            QList<qint64> positions;
            ReadStatus status;
            for (const RecordedEvent &e : store.readAll(1, 1000, pattern, &status))
                positions.append(e.position);
            if (!status.ok())
                failure = QStringLiteral("readAll(%1) failed: %2").arg(pattern, status.detail);
            QList<qint64> backward;
            for (const RecordedEvent &e : store.readBackward(1000, 1000, pattern))
                backward.append(e.position);
            if (backward != positions)
                failure = QStringLiteral("readBackward(%1) differs from readAll").arg(pattern);
            return positions;
        };

        QStringList patterns = {
            u"products.*"_s, u"products.[cu]*"_s, u"products.[^c]*"_s, u"*.created"_s, u"a?b"_s, u"a[]]b"_s,
            u"a[]-]b"_s, u"a[]-a]b"_s, u"a[-]b"_s, u"a[^]]b"_s, u"a[\\^]b"_s, u"a[^-]b"_s, u"a[z-a]b"_s,
            u"a[!-/]b"_s, u"a[[]b"_s, u"x[[]y"_s, u"x[y"_s, u"a[b"_s, u"[]"_s, u"[^]"_s, u"[^]]"_s, u"a_b"_s,
            u"a%b"_s, u"a.b"_s, u"a\\b"_s, u"a(b)"_s, u"a(*"_s, u"caf?.x"_s, u"caf[\u00e0-\u00ff].x"_s, u"e.?"_s,
            u"e.[^a]"_s, u"[[:alpha:]]*"_s, u"*]"_s, u"[]]"_s, u"-"_s, u"[-]"_s, u"^"_s, u"[\\^]"_s, u"[^^]"_s,
            u"a\u0000*"_s, QStringLiteral("a") + QChar(0xD800) + QStringLiteral("b"), u"x\ufffd"_s, u"x\ufffe"_s,
            u"x[\ufffd]"_s, u"x[^\ufffd]"_s, u"x[\ufffe]"_s, u"x[a-\ufffd]"_s, u"x[\ufffd-\U0001F600]"_s, u"A.?"_s,
            u"a?b"_s, u"a[!]b"_s, u"a{1}"_s, u"a$|b+"_s, u"*+"_s,
        };
        // And generated ones, over the characters GLOB, LIKE and regular expressions treat specially.
        const QString alphabet = u"*?[]^-abA.\\%_()!{}$|+\n\u00e9\ufffd\ufffe"_s;
        QRandomGenerator random(20261208);
        for (int n = 0; n < 400; ++n) {
            QString pattern;
            const int length = 1 + int(random.bounded(6));
            for (int i = 0; i < length; ++i)
                pattern += alphabet.at(int(random.bounded(alphabet.size())));
            patterns.append(pattern);
        }
        for (const QString &pattern : std::as_const(patterns)) {
            const QList<qint64> want = expected(pattern);
            const QList<qint64> got = read(pattern);
            if (!failure.isEmpty())
                QFAIL(qPrintable(failure));
            if (got != want) {
                QStringList detail;
                for (const qint64 p : want)
                    detail.append(types.at(int(p - 1)));
                QFAIL(qPrintable(QStringLiteral("pattern '%1': %2 events, SQLite's GLOB matches %3 (%4)")
                                     .arg(pattern).arg(got.size()).arg(want.size()).arg(detail.join(u", "_s))));
            }
        }
    }
}

void tst_EventStore::logIsAppendOnly()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    QVERIFY(store.appendAndWait(req(QStringLiteral("s-1"), ExpectedVersion::any(), {ev(QStringLiteral("s.created"))})).ok());
    const StorageTarget target = optionsFor(dir).target;
    if (target.isPostgres()) {
        PgConnection raw;
        QString error;
        QVERIFY2(raw.open(target.postgres, QStringLiteral("tst_eventstore"), &error), qPrintable(error));
        QVERIFY(!raw.exec(QStringLiteral("UPDATE events SET type = 'x'")));
        QVERIFY(raw.errorString().contains(QLatin1String("append-only")));
        QVERIFY(!raw.exec(QStringLiteral("DELETE FROM events")));
        QVERIFY(!raw.exec(QStringLiteral("TRUNCATE events")));
    } else {
        SqliteConnection raw;
        QVERIFY(raw.open(target.sqlitePath));
        QVERIFY(!raw.exec("UPDATE events SET type = 'x'"));
        QVERIFY(!raw.exec("DELETE FROM events"));
    }
    QCOMPARE(store.readAll(1, 10).size(), 1);
    QCOMPARE(store.readAll(1, 10).first().type, QStringLiteral("s.created"));
}

void tst_EventStore::cloudEventShape()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    NewEvent e = ev(QStringLiteral("products.created"), "{\"name\":\"Widget\",\"price\":9.5}");
    e.metadata = "{\"correlationid\":\"corr-1\",\"causationid\":\"cmd-1\"}";
    QVERIFY(store.appendAndWait(req(CloudEvent::streamName(QStringLiteral("products"), QStringLiteral("42")),
                                    ExpectedVersion::noStream(), {e})).ok());
    const QJsonObject ce = CloudEvent::toJson(store.readAll(1, 1).first());
    QCOMPARE(ce.value(QStringLiteral("specversion")).toString(), QStringLiteral("1.0"));
    QCOMPARE(ce.value(QStringLiteral("source")).toString(), QStringLiteral("/gatehouse/products"));
    QCOMPARE(ce.value(QStringLiteral("type")).toString(), QStringLiteral("products.created"));
    QCOMPARE(ce.value(QStringLiteral("subject")).toString(), QStringLiteral("42"));
    QCOMPARE(ce.value(QStringLiteral("stream")).toString(), QStringLiteral("products-42"));
    QCOMPARE(ce.value(QStringLiteral("position")).toInteger(), 1);
    QCOMPARE(ce.value(QStringLiteral("streamversion")).toInteger(), 0);
    QCOMPARE(ce.value(QStringLiteral("correlationid")).toString(), QStringLiteral("corr-1"));
    QCOMPARE(ce.value(QStringLiteral("causationid")).toString(), QStringLiteral("cmd-1"));
    QCOMPARE(ce.value(QStringLiteral("data")).toObject().value(QStringLiteral("price")).toDouble(), 9.5);
    QVERIFY(ce.value(QStringLiteral("time")).toString().endsWith(QLatin1Char('Z')));
}

void tst_EventStore::invalidRequests()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    QCOMPARE(store.appendAndWait(req(QString(), ExpectedVersion::any(), {ev(QStringLiteral("a.b"))})).status,
             AppendResult::InvalidRequest);
    QCOMPARE(store.appendAndWait(req(QStringLiteral("s"), ExpectedVersion::any(), {})).status, AppendResult::InvalidRequest);
    QCOMPARE(store.headPosition(), 0);
}

void tst_EventStore::preconditionSeesAuthoritativeHead()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    auto notDeleted = [](qint64 version, const QString &lastType, QString *message) {
        *message = QStringLiteral("gone");
        return version >= 0 && !lastType.endsWith(QLatin1String(".deleted"));
    };
    AppendRequest missing = req(QStringLiteral("p-1"), ExpectedVersion::any(), {ev(QStringLiteral("p.updated"))});
    missing.precondition = notDeleted;
    auto r = store.appendAndWait(missing);
    QCOMPARE(r.status, AppendResult::PreconditionFailed);
    QCOMPARE(r.error, QStringLiteral("gone"));
    QVERIFY(store.appendAndWait(req(QStringLiteral("p-1"), ExpectedVersion::noStream(), {ev(QStringLiteral("p.created"))})).ok());
    // Many conditional appends queued at once all see the head as it is at their turn.
    std::atomic<int> ok{0};
    for (int i = 0; i < 50; ++i) {
        AppendRequest u = req(QStringLiteral("p-1"), ExpectedVersion::any(), {ev(i == 25 ? QStringLiteral("p.deleted") : QStringLiteral("p.updated"))});
        u.precondition = notDeleted;
        store.append(std::move(u), [&](const AppendResult &res) { if (res.ok()) ++ok; });
    }
    QTRY_COMPARE(ok.load(), 26);               // 25 updates + the delete; the rest refused
    QCOMPARE(store.headPosition(), 27);
    QCOMPARE(store.streamHead(QStringLiteral("p-1")).lastType, QStringLiteral("p.deleted"));
}

void tst_EventStore::commitDelayHoldsEveryAppend()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    store.setCommitDelay(300);
    QCOMPARE(store.commitDelay(), 300);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(store.appendAndWait(req(QStringLiteral("d-1"), ExpectedVersion::any(), {ev(QStringLiteral("d.created"))})).ok());
    QVERIFY(timer.elapsed() >= 300);   // a lower bound: the writer waited before its commit
    store.setCommitDelay(0);
    QVERIFY(store.appendAndWait(req(QStringLiteral("d-1"), ExpectedVersion::exact(0), {ev(QStringLiteral("d.updated"))})).ok());
    store.setCommitDelay(EventStore::kMaxCommitDelayMs + 1);
    QCOMPARE(store.commitDelay(), EventStore::kMaxCommitDelayMs);
}

void tst_EventStore::dataKeptByteForByte()
{
    QTemporaryDir dir;
    EventStore store;
    QVERIFY(store.open(optionsFor(dir)));
    // Key order, spacing, escapes and non-ASCII text come back exactly as appended.
    const QByteArray data = "{\"b\":1,  \"a\":\"\\u00e9 caf\xc3\xa9 \\\"q\\\" \xf0\x9f\x98\x80\",\"n\":1.50}";
    const QByteArray metadata = "{\"correlationid\":\"c-1\" }";
    NewEvent e{QString(), QStringLiteral("bytes.created"), data, metadata};
    QVERIFY(store.appendAndWait(req(QStringLiteral("bytes-1"), ExpectedVersion::noStream(), {e})).ok());
    QVERIFY(store.appendAndWait(req(QStringLiteral("bytes-1"), ExpectedVersion::any(), {ev(QStringLiteral("bytes.empty"), QByteArray())})).ok());
    const auto all = store.readAll(1, 10);
    QCOMPARE(all.size(), 2);
    QCOMPARE(all.at(0).data, data);
    QCOMPARE(all.at(0).metadata, metadata);
    QCOMPARE(all.at(1).data, QByteArray("null"));   // no data is stored as JSON null
    qint64 scanned = 0;
    QVERIFY(store.scan(1, [&](const RecordedEvent &r) { scanned += r.data == all.at(r.position - 1).data; return true; }));
    QCOMPARE(scanned, 2);
}

// The WAL is copied back into events.db while the engine runs, and starts again from its
// beginning, instead of growing for as long as the store is open.
void tst_EventStore::walIsCheckpointedWhileRunning()
{
    if (Test::usesPostgres())
        QSKIP("SQLite's write-ahead log");
    QTemporaryDir dir;
    EventStore::Options o = optionsFor(dir);
    o.durability = EventStore::Durability::Normal;
    EventStore store;
    QVERIFY(store.open(o));
    const QString db = dir.filePath(QStringLiteral("events.db"));
    const QByteArray data = '{' + QByteArray(2000, ' ') + '}';   // about half a page per event
    const qint64 before = QFileInfo(db).size();
    // Commits one after the other, each a few pages: past 64 MiB of WAL without a pause.
    constexpr int kEvents = 14000;
    for (int i = 0; i < kEvents; ++i) {
        const auto r = store.appendAndWait(req(QStringLiteral("w-%1").arg(i % 50), ExpectedVersion::any(),
                                              {ev(QStringLiteral("w.created"), data)}));
        QVERIFY2(r.ok(), qPrintable(r.error));
    }
    // Backfilled: the database file holds the events (14,000 x 2 kB), not only the WAL.
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(db).size() > before + 24 * 1024 * 1024, 10000);
    // And the WAL was started again from its beginning: it never held all of them. However
    // slowly the checkpointer runs (under a sanitizer, say), the writer restarts it itself at
    // 18,432 pages (76 MB of file with the frame headers): with one batch more, under 80 MiB.
    const qint64 wal = QFileInfo(db + QStringLiteral("-wal")).size();
    QVERIFY2(wal <= 80 * 1024 * 1024, qPrintable(QString::number(wal)));
    QCOMPARE(store.headPosition(), kEvents);
}

int main(int argc, char **argv)
{
    if (const QByteArray child = qgetenv("TST_EVENTSTORE_CHILD"); !child.isEmpty()) {
        QCoreApplication app(argc, argv);
        return runUncleanChild(QString::fromLocal8Bit(child), 120);
    }
    QCoreApplication app(argc, argv);
    tst_EventStore tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_eventstore.moc"
