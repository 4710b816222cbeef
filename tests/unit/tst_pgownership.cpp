// PgOwnership against the real PostgreSQL of the test fixture: two "engines" want the same
// names; exactly one owns each at a time; a clean stop hands over, and an owner whose session
// the server ends (as when its process is killed) loses everything at once while the other
// takes over.

#include "sql/pgconnection.h"
#include "sql/pgownership.h"
#include "testdatabase.h"

#include <QSignalSpy>
#include <QSqlQuery>
#include <QTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

class tst_PgOwnership : public QObject
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

    void keysAreStable()
    {
        // The key is part of the contract between engines of different builds: pinned.
        QVERIFY(PgOwnership::keyOf(u"projection:upsert"_s) != PgOwnership::keyOf(u"mqtt-outbox"_s));
        QCOMPARE(PgOwnership::keyOf(QString()), qint32(quint32(2166136261u)));
        QCOMPARE(PgOwnership::keyOf(u"a"_s), qint32(quint32(0xe40c292cu)));
    }

    void oneOwnerAtATime()
    {
        PgOwnership a, b;
        QString error;
        QVERIFY2(a.start(m_url, &error), qPrintable(error));
        QVERIFY2(b.start(m_url, &error), qPrintable(error));
        QSignalSpy aAcquired(&a, &PgOwnership::acquired);
        QSignalSpy bAcquired(&b, &PgOwnership::acquired);
        QSignalSpy aLost(&a, &PgOwnership::lost);
        a.want(u"projection:upsert"_s);
        a.want(u"mqtt-outbox"_s);
        QTRY_COMPARE(aAcquired.count(), 2);
        QVERIFY(a.owns(u"projection:upsert"_s));
        b.want(u"projection:upsert"_s);
        b.want(u"function:audit"_s);
        QTRY_COMPARE(bAcquired.count(), 1);   // the free one only
        QCOMPARE(bAcquired.at(0).at(0).toString(), u"function:audit"_s);
        // B keeps trying; A keeps what it has.
        QTest::qWait(2 * PgOwnership::kRetryMs + 200);
        QCOMPARE(bAcquired.count(), 1);
        QVERIFY(!b.owns(u"projection:upsert"_s));
        QCOMPARE(a.owned(), (QStringList{u"mqtt-outbox"_s, u"projection:upsert"_s}));

        // A gives one up: B takes it within a retry.
        a.release(u"projection:upsert"_s);
        QTRY_COMPARE(aLost.count(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(b.owns(u"projection:upsert"_s), 5000);
        QVERIFY(!a.owns(u"projection:upsert"_s));
    }

    void ownerWhoseSessionEndsLosesEverything()
    {
        PgOwnership a, b;
        QString error;
        QVERIFY2(a.start(m_url, &error), qPrintable(error));
        QVERIFY2(b.start(m_url, &error), qPrintable(error));
        QSignalSpy aLost(&a, &PgOwnership::lost);
        a.want(u"projection:upsert"_s);
        QTRY_VERIFY(a.owns(u"projection:upsert"_s));
        b.want(u"projection:upsert"_s);
        QTest::qWait(PgOwnership::kRetryMs + 200);
        QVERIFY(!b.owns(u"projection:upsert"_s));

        // The server ends A's session (what happens when A's process dies): B owns it within
        // a retry, and A -- which lives on here -- learns that it lost it.
        PgConnection admin;
        QVERIFY2(admin.open(m_url, u"test"_s, &error), qPrintable(error));
        QSqlQuery q(admin.database());
        QVERIFY(q.exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                       " WHERE application_name = 'gatehouse ownership' AND datname = current_database()"
                       " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"_s));
        QTRY_VERIFY_WITH_TIMEOUT(b.owns(u"projection:upsert"_s), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(aLost.count(), 1, 5000);
        QVERIFY(!a.owns(u"projection:upsert"_s));
        // A wants it still, but B has it now: A waits.
        QTest::qWait(PgOwnership::kRetryMs + 200);
        QVERIFY(!a.owns(u"projection:upsert"_s));
        // A stopped B hands back.
        b.stop();
        QTRY_VERIFY_WITH_TIMEOUT(a.owns(u"projection:upsert"_s), 5000);
    }
};

QTEST_GUILESS_MAIN(tst_PgOwnership)
#include "tst_pgownership.moc"
