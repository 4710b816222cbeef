// PgConnection against the real PostgreSQL of the test fixture: open, exec, ping, the native
// handle, errors that keep their SQLSTATE, and a connection the server killed.

#include "sql/pgconnection.h"
#include "testdatabase.h"

#include <QSqlQuery>
#include <QTcpServer>
#include <QTest>

#include <libpq-fe.h>

using namespace Gatehouse;

class tst_PgConnection : public QObject
{
    Q_OBJECT

private:
    PostgresUrl m_url;

    static qint64 scalar(PgConnection &conn, const QString &sql)
    {
        QSqlQuery query(conn.database());
        if (!query.exec(sql) || !query.next())
            return -1;
        return query.value(0).toLongLong();
    }

private slots:
    void initTestCase()
    {
        QString error;
        const auto url = Test::newPostgresDatabase(&error);
        QVERIFY2(url, qPrintable(error));
        m_url = *url;
    }

    void openExecPing()
    {
        PgConnection conn;
        QString error;
        QVERIFY2(conn.open(m_url, QStringLiteral("test"), &error), qPrintable(error));
        QVERIFY(conn.isOpen());
        QVERIFY(conn.ping());
        QVERIFY2(conn.exec(QStringLiteral("CREATE TABLE t (id bigint PRIMARY KEY, name text); "
                                          "INSERT INTO t VALUES (1, 'one'), (2, 'two')")),
                 qPrintable(conn.errorString()));
        QSqlQuery query(conn.database());
        QVERIFY(query.prepare(QStringLiteral("SELECT name FROM t WHERE id = ?")));
        query.addBindValue(2);
        QVERIFY(query.exec());
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("two"));
        QCOMPARE(scalar(conn, QStringLiteral("SELECT count(*) FROM t")), 2);
        // The role names the connection in pg_stat_activity.
        QVERIFY(query.exec(QStringLiteral("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("gatehouse test"));
        QVERIFY(conn.exec(QStringLiteral("DROP TABLE t")));
        conn.close();
        QVERIFY(!conn.isOpen());
        QVERIFY(!conn.ping());
        QVERIFY(!conn.exec(QStringLiteral("SELECT 1")));
        QVERIFY(conn.nativeHandle() == nullptr);
    }

    // A role with quotes, spaces and ';' cannot break out of the connect options.
    void hostileRoleIsQuoted()
    {
        PgConnection conn;
        QString error;
        QVERIFY2(conn.open(m_url, QStringLiteral("it's a \\ role; dbname=postgres"), &error), qPrintable(error));
        QSqlQuery query(conn.database());
        QVERIFY(query.exec(QStringLiteral("SELECT current_database(), application_name FROM pg_stat_activity "
                                          "WHERE pid = pg_backend_pid()")));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), m_url.database);
        QCOMPARE(query.value(1).toString(), QStringLiteral("gatehouse it's a \\ role dbname=postgres"));
    }

    void severalConnectionsAtOnce()
    {
        PgConnection a;
        PgConnection b;
        QString error;
        QVERIFY2(a.open(m_url, QStringLiteral("same"), &error), qPrintable(error));
        QVERIFY2(b.open(m_url, QStringLiteral("same"), &error), qPrintable(error));
        QVERIFY(a.database().connectionName() != b.database().connectionName());
        const qint64 pidA = scalar(a, QStringLiteral("SELECT pg_backend_pid()"));
        const qint64 pidB = scalar(b, QStringLiteral("SELECT pg_backend_pid()"));
        QVERIFY(pidA > 0 && pidB > 0 && pidA != pidB);
    }

    void nativeHandleIsLive()
    {
        PgConnection conn;
        QString error;
        QVERIFY2(conn.open(m_url, QStringLiteral("native"), &error), qPrintable(error));
        PGconn *handle = conn.nativeHandle();
        QVERIFY(handle != nullptr);
        QCOMPARE(PQstatus(handle), CONNECTION_OK);
        QVERIFY(PQserverVersion(handle) >= 150000);
        QCOMPARE(qint64(PQbackendPID(handle)), scalar(conn, QStringLiteral("SELECT pg_backend_pid()")));
        // A statement through libpq on the handle sees what Qt SQL wrote, and the other way round.
        QVERIFY(conn.exec(QStringLiteral("CREATE TABLE native_t (v int)")));
        PGresult *result = PQexec(handle, "INSERT INTO native_t VALUES (41), (1)");
        QCOMPARE(PQresultStatus(result), PGRES_COMMAND_OK);
        PQclear(result);
        QCOMPARE(scalar(conn, QStringLiteral("SELECT sum(v) FROM native_t")), 42);
    }

    void errorsKeepTheirSqlState()
    {
        PgConnection conn;
        QString error;
        QVERIFY2(conn.open(m_url, QStringLiteral("errors"), &error), qPrintable(error));
        QVERIFY(conn.exec(QStringLiteral("CREATE TABLE unique_t (id int PRIMARY KEY); INSERT INTO unique_t VALUES (1)")));
        QVERIFY(!conn.exec(QStringLiteral("INSERT INTO unique_t VALUES (1)")));
        QCOMPARE(conn.lastSqlState(), QStringLiteral("23505"));
        QVERIFY(conn.errorString().contains(QStringLiteral("unique_t_pkey")));
        QVERIFY(!PgConnection::isConnectionFailure(conn.lastSqlState()));
        QVERIFY(!conn.exec(QStringLiteral("SELECT * FROM no_such_table")));
        QCOMPARE(conn.lastSqlState(), QStringLiteral("42P01"));
        // A failed statement does not break the connection.
        QVERIFY(conn.ping());
        QVERIFY(conn.exec(QStringLiteral("SELECT 1")));
        QVERIFY(conn.lastSqlState().isEmpty());
    }

    // Qt reports only the first statement's outcome of a multi-statement query; exec() must
    // not call a batch whose later statement failed a success.
    void laterStatementOfBatchFails()
    {
        PgConnection conn;
        QString error;
        QVERIFY2(conn.open(m_url, QStringLiteral("batch"), &error), qPrintable(error));
        QVERIFY(!conn.exec(QStringLiteral("CREATE TABLE batch_t (v int); INSERT INTO batch_t VALUES (1); "
                                          "INSERT INTO batch_no_such_table VALUES (1)")));
        QCOMPARE(conn.lastSqlState(), QStringLiteral("42P01"));
        QVERIFY2(conn.errorString().contains(QStringLiteral("batch_no_such_table")), qPrintable(conn.errorString()));
        // A simple query is one implicit transaction: nothing of it stays.
        QVERIFY(!conn.exec(QStringLiteral("SELECT * FROM batch_t")));
        QCOMPARE(conn.lastSqlState(), QStringLiteral("42P01"));
    }

    void isConnectionFailure_data()
    {
        QTest::addColumn<QString>("sqlState");
        QTest::addColumn<bool>("failure");
        QTest::newRow("no state: socket gone") << QString() << true;
        QTest::newRow("08000 connection_exception") << QStringLiteral("08000") << true;
        QTest::newRow("08006 connection_failure") << QStringLiteral("08006") << true;
        QTest::newRow("08001 cannot establish") << QStringLiteral("08001") << true;
        QTest::newRow("57P01 admin_shutdown") << QStringLiteral("57P01") << true;
        QTest::newRow("57P02 crash_shutdown") << QStringLiteral("57P02") << true;
        QTest::newRow("57P03 cannot_connect_now") << QStringLiteral("57P03") << true;
        QTest::newRow("57014 query_canceled") << QStringLiteral("57014") << false;
        QTest::newRow("23505 unique_violation") << QStringLiteral("23505") << false;
        QTest::newRow("40001 serialization_failure") << QStringLiteral("40001") << false;
        QTest::newRow("40P01 deadlock") << QStringLiteral("40P01") << false;
        QTest::newRow("42601 syntax_error") << QStringLiteral("42601") << false;
        QTest::newRow("53100 disk_full") << QStringLiteral("53100") << false;
    }

    void isConnectionFailure()
    {
        QFETCH(QString, sqlState);
        QFETCH(bool, failure);
        QCOMPARE(PgConnection::isConnectionFailure(sqlState), failure);
    }

    // The server ends the session (as it does on shutdown or to an administrator's
    // pg_terminate_backend): the next statement fails as a connection failure, and reopen()
    // gives a working connection again.
    void terminatedBackendIsConnectionFailure()
    {
        PgConnection victim;
        PgConnection admin;
        QString error;
        QVERIFY2(victim.open(m_url, QStringLiteral("victim"), &error), qPrintable(error));
        QVERIFY2(admin.open(m_url, QStringLiteral("admin"), &error), qPrintable(error));
        const qint64 pid = scalar(victim, QStringLiteral("SELECT pg_backend_pid()"));
        QVERIFY(pid > 0);
        QCOMPARE(scalar(admin, QStringLiteral("SELECT pg_terminate_backend(%1)::int").arg(pid)), 1);
        // pg_terminate_backend returns before the backend has gone; wait until it has.
        QTRY_COMPARE(scalar(admin, QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1").arg(pid)), 0);

        QVERIFY(!victim.exec(QStringLiteral("SELECT 1")));
        QVERIFY2(PgConnection::isConnectionFailure(victim.lastSqlState()),
                 qPrintable(victim.lastSqlState() + u' ' + victim.errorString()));
        QVERIFY(!victim.ping());
        QVERIFY(!victim.isOpen());

        QVERIFY2(victim.reopen(&error), qPrintable(error));
        QVERIFY(victim.ping());
        const qint64 newPid = scalar(victim, QStringLiteral("SELECT pg_backend_pid()"));
        QVERIFY(newPid > 0 && newPid != pid);
        QCOMPARE(PQstatus(victim.nativeHandle()), CONNECTION_OK);
    }

    void unreachableServerFailsClearly()
    {
        // A port nobody listens on: bound and released again.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        PostgresUrl url = m_url;
        url.port = probe.serverPort();
        url.connectTimeoutS = 2;
        probe.close();
        PgConnection conn;
        QString error;
        QVERIFY(!conn.open(url, QStringLiteral("unreachable"), &error));
        QVERIFY2(error.contains(url.redacted()), qPrintable(error));
        QVERIFY(PgConnection::isConnectionFailure(conn.lastSqlState()));
        QVERIFY(!conn.isOpen());
        QVERIFY(conn.nativeHandle() == nullptr);
    }

    void missingDatabaseFailsClearly()
    {
        PgConnection conn;
        QString error;
        QVERIFY(!conn.open(m_url.withDatabase(QStringLiteral("gh_no_such_database")), QStringLiteral("x"), &error));
        QVERIFY2(error.contains(QStringLiteral("gh_no_such_database")), qPrintable(error));
        // Nothing is left registered under the failed connection's name.
        QVERIFY(!conn.database().isValid());
    }

    void databaseNotInUtf8IsRefused()
    {
        // Documents are Unicode and parsed as jsonb: a LATIN1 database is refused when opened.
        PgConnection admin;
        QString error;
        QVERIFY2(admin.open(m_url, QStringLiteral("admin"), &error), qPrintable(error));
        QVERIFY(admin.exec(QStringLiteral("DROP DATABASE IF EXISTS gh_latin1")));
        QVERIFY2(admin.exec(QStringLiteral("CREATE DATABASE gh_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")),
                 qPrintable(admin.errorString()));
        PgConnection conn;
        QVERIFY(!conn.open(m_url.withDatabase(QStringLiteral("gh_latin1")), QStringLiteral("x"), &error));
        QVERIFY2(error.contains(QStringLiteral("LATIN1")) && error.contains(QStringLiteral("UTF8")), qPrintable(error));
        QVERIFY(!conn.database().isValid());
        QVERIFY(admin.exec(QStringLiteral("DROP DATABASE gh_latin1")));
    }
};

QTEST_GUILESS_MAIN(tst_PgConnection)
#include "tst_pgconnection.moc"
