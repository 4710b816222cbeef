// PgSharedCounters against the real PostgreSQL of the test fixture: two stores stand for two
// engines counting under one name; together they never let more through than the limit, also
// when sixteen threads count at once; windows roll as WindowCounter's do; a database that cannot
// be reached is answered at once (nullopt), not waited for.

#include "gateway/plugins/windowcounter.h"
#include "sql/pgconnection.h"
#include "sql/pgsharedcounters.h"
#include "testdatabase.h"

#include <QElapsedTimer>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

class tst_SharedCounters : public QObject
{
    Q_OBJECT

private:
    PostgresUrl m_url;

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        const auto url = Test::newPostgresDatabase(&error);
        QVERIFY2(url, qPrintable(error));
        m_url = *url;
    }

    void twoEnginesCountTogether()
    {
        PgSharedCounters a, b;
        QString error;
        QVERIFY2(a.open(m_url, &error), qPrintable(error));
        QVERIFY2(b.open(m_url, &error), qPrintable(error));   // the schema is there already: no second migration
        QList<bool> allowed;
        for (int i = 0; i < 6; ++i) {
            const auto w = (i % 2 ? b : a).take(u"route/r/limit-count/x/10.0.0.1"_s, 4, 600000, false);
            QVERIFY(w);
            allowed.append(w->allowed);
            QCOMPARE(w->current, qMin(i + 1, 4));
            QVERIFY(w->now >= w->start && w->now < w->start + 600000);
        }
        QCOMPARE(allowed, (QList<bool>{true, true, true, true, false, false}));
        // Another key counts apart.
        QVERIFY(a.take(u"route/r/limit-count/x/10.0.0.2"_s, 4, 600000, false)->allowed);
        // What the plugin answers from a shared window is what a local counter would.
        const auto w = b.take(u"route/r/limit-count/x/10.0.0.1"_s, 4, 600000, false);
        const WindowCounter::Result r = WindowCounter::answer(w->start, w->current, w->previous, w->now, w->allowed, 4,
                                                              600000, WindowCounter::Mode::Fixed);
        QVERIFY(!r.allowed);
        QCOMPARE(r.remaining, 0);
        QVERIFY(r.retryAfterMs > 0 && r.retryAfterMs <= 600000);
    }

    void concurrentTakesNeverPassTheLimit()
    {
        PgSharedCounters a, b;
        QString error;
        QVERIFY2(a.open(m_url, &error), qPrintable(error));
        QVERIFY2(b.open(m_url, &error), qPrintable(error));
        std::atomic<int> allowed{0}, answered{0};
        QList<QThread *> threads;
        for (int t = 0; t < 16; ++t) {
            threads.append(QThread::create([&, t] {
                for (int i = 0; i < 25; ++i) {
                    const auto w = (t % 2 ? b : a).take(u"contended"_s, 100, 600000, t % 4 < 2);
                    if (!w)
                        continue;
                    ++answered;
                    if (w->allowed)
                        ++allowed;
                }
            }));
            threads.last()->start();
        }
        for (QThread *t : std::as_const(threads)) {
            QVERIFY(t->wait(60000));
            delete t;
        }
        // Each store has at most kMaxConnections: some takes may find none free, never more.
        QVERIFY(answered.load() >= 100);
        QCOMPARE(allowed.load(), 100);
    }

    void windowsRollAsLocalOnes()
    {
        PgSharedCounters a;
        QString error;
        QVERIFY2(a.open(m_url, &error), qPrintable(error));
        // A 300 ms window: fill it, then the next one starts afresh (fixed) or carries the
        // previous one's weight (sliding). Only the order of events matters, not their timing:
        // whatever the machine's speed, a take after the window ended is in a later window.
        for (const bool sliding : {false, true}) {
            const QString key = sliding ? u"roll-sliding"_s : u"roll-fixed"_s;
            std::optional<SharedCounters::Window> w;
            for (int i = 0; i < 3; ++i) {
                w = a.take(key, 3, 300, sliding);
                QVERIFY(w);
            }
            const qint64 firstStart = w->start;
            do {
                QThread::msleep(50);
                w = a.take(key, 3, 300, sliding);
                QVERIFY(w);
            } while (w->start == firstStart);
            QVERIFY(w->start >= firstStart + 300);
            QVERIFY(w->previous == 0 || w->previous == 3);
            if (!sliding)
                QVERIFY(w->allowed);
        }
    }

    void unreachableDatabaseAnswersAtOnce()
    {
        // A database of its own, so closing it does not disturb the other cases.
        QString error;
        const auto own = Test::newPostgresDatabase(&error);
        QVERIFY2(own, qPrintable(error));
        PgSharedCounters a;
        QVERIFY2(a.open(*own, &error), qPrintable(error));
        QVERIFY(a.take(u"k"_s, 10, 600000, false));
        PgConnection admin;
        QVERIFY2(admin.open(m_url, u"test"_s, &error), qPrintable(error));
        QSqlQuery q(admin.database());
        QVERIFY(q.exec(u"ALTER DATABASE \"%1\" ALLOW_CONNECTIONS false"_s.arg(own->database)));
        QVERIFY(q.exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%1'"_s.arg(own->database)));
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!a.take(u"k"_s, 10, 600000, false));   // the lost connection
        QVERIFY(!a.take(u"k"_s, 10, 600000, false));   // resting before it tries again
        qInfo("two takes against a lost database answered in %lld ms", timer.elapsed());
        QVERIFY(q.exec(u"ALTER DATABASE \"%1\" ALLOW_CONNECTIONS true"_s.arg(own->database)));
        QTRY_VERIFY_WITH_TIMEOUT(a.take(u"k"_s, 10, 600000, false).has_value(), 10000);
    }
};

QTEST_GUILESS_MAIN(tst_SharedCounters)
#include "tst_sharedcounters.moc"
