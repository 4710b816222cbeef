// SchemaMigrations on the backend the test runs on (SQLite, or PostgreSQL as @postgres):
// steps in order and once, a failing step leaves the previous version, a newer schema is
// refused, and several engines migrating one database at once run each step exactly once.

#include "sql/pgconnection.h"
#include "sql/schemamigrations.h"
#include "testdatabase.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>

using namespace Gatehouse;

namespace {

// One connection to a test target through Qt SQL, on the thread that opens it.
class TestConnection
{
public:
    TestConnection() = default;
    TestConnection(const TestConnection &) = delete;
    TestConnection &operator=(const TestConnection &) = delete;
    ~TestConnection()
    {
        if (!m_sqliteName.isEmpty()) {
            m_db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_sqliteName);
        }
    }

    bool open(const StorageTarget &target, QString *error)
    {
        if (target.isPostgres()) {
            if (!m_pg.open(target.postgres, QStringLiteral("migrations test"), error))
                return false;
            m_db = m_pg.database();
            return true;
        }
        static std::atomic<int> counter{0};
        m_sqliteName = QStringLiteral("migrations-test-%1").arg(++counter);
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_sqliteName);
        m_db.setDatabaseName(target.sqlitePath);
        m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=20000"));
        if (!m_db.open()) {
            *error = m_db.lastError().text();
            return false;
        }
        return true;
    }

    QSqlDatabase db() const { return m_db; }

    qint64 scalar(const QString &sql) const
    {
        QSqlQuery query(m_db);
        if (!query.exec(sql) || !query.next())
            return -1;
        return query.value(0).toLongLong();
    }

private:
    PgConnection m_pg;
    QString m_sqliteName;
    QSqlDatabase m_db;
};

} // namespace

class tst_SchemaMigrations : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_targets = 0;

    // A new, empty database (a new file, or a new PostgreSQL database).
    StorageTarget freshTarget()
    {
        const QString dir = m_dir.filePath(QString::number(++m_targets));
        QDir().mkpath(dir);
        return Test::target(dir, QStringLiteral("schema.db"));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qInfo("backend: %s", qPrintable(Test::backendName()));
    }

    void appliesInOrderOnce()
    {
        TestConnection conn;
        QString error;
        QVERIFY2(conn.open(freshTarget(), &error), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("test")), 0);

        QList<QByteArray> steps = {
            "CREATE TABLE m_a(v INTEGER NOT NULL);",
            "INSERT INTO m_a VALUES (1); INSERT INTO m_a VALUES (2);",
        };
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("test")), 2);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_a")), 2);

        // Again: nothing to do.
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error), qPrintable(error));
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_a")), 2);

        // A step appended later runs alone.
        steps << "INSERT INTO m_a VALUES (3);";
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("test")), 3);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT sum(v) FROM m_a")), 6);
    }

    void failingStepLeavesThePreviousVersion()
    {
        TestConnection conn;
        QString error;
        QVERIFY2(conn.open(freshTarget(), &error), qPrintable(error));
        QList<QByteArray> steps = {
            "CREATE TABLE m_b(v INTEGER);",
            "CREATE TABLE m_b2(v INTEGER); INSERT INTO m_b VALUES (1); INSERT INTO no_such_table VALUES (1);",
        };
        QVERIFY(!SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error));
        QVERIFY2(error.contains(QStringLiteral("migration 2")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("no_such_table")), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("test")), 1);
        // Nothing of the failed step remains: its table and its row are gone with it.
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_b")), 0);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_b2")), -1);

        steps[1] = "CREATE TABLE m_b2(v INTEGER); INSERT INTO m_b VALUES (1);";
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("test")), 2);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_b")), 1);
    }

    void newerSchemaIsRefused()
    {
        TestConnection conn;
        QString error;
        QVERIFY2(conn.open(freshTarget(), &error), qPrintable(error));
        const QList<QByteArray> steps = {"CREATE TABLE m_n(v INTEGER);", "INSERT INTO m_n VALUES (1);",
                                         "INSERT INTO m_n VALUES (2);"};
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error), qPrintable(error));
        QVERIFY(!SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps.mid(0, 2), &error));
        QVERIFY2(error.contains(QStringLiteral("newer than this build knows (2)")), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("test")), 3);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_n")), 2);
    }

    // Statements are split where they end, not at every ';'.
    void semicolonsInsideStatements()
    {
        TestConnection conn;
        QString error;
        QVERIFY2(conn.open(freshTarget(), &error), qPrintable(error));
        QList<QByteArray> steps = {
            "CREATE TABLE m_c(v TEXT NOT NULL);\n"
            "INSERT INTO m_c VALUES ('a;b'); -- a comment; with a semicolon\n"
            "INSERT INTO m_c VALUES ('it''s;'); /* ; */ INSERT INTO m_c VALUES ('c')",
        };
        if (!Test::usesPostgres()) {
            steps << "CREATE TABLE m_c_log(v TEXT);"
                     "CREATE TRIGGER m_c_logged AFTER INSERT ON m_c BEGIN INSERT INTO m_c_log VALUES (new.v); END;"
                     "INSERT INTO m_c VALUES ('d');";
        }
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("test"), steps, &error), qPrintable(error));
        QSqlQuery query(conn.db());
        QVERIFY(query.exec(QStringLiteral("SELECT v FROM m_c ORDER BY v")));
        QStringList values;
        while (query.next())
            values << query.value(0).toString();
        QStringList expected = {QStringLiteral("a;b"), QStringLiteral("c"), QStringLiteral("it's;")};
        if (!Test::usesPostgres()) {
            expected.insert(2, QStringLiteral("d"));
            QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_c_log WHERE v = 'd'")), 1);
        }
        QCOMPARE(values, expected);
    }

    void componentsAreIndependent()
    {
        if (!Test::usesPostgres())
            QSKIP("on SQLite each component has a file of its own (PRAGMA user_version)");
        TestConnection conn;
        QString error;
        QVERIFY2(conn.open(freshTarget(), &error), qPrintable(error));
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("a"),
                                         {"CREATE TABLE a1(v int);", "CREATE TABLE a2(v int);"}, &error),
                 qPrintable(error));
        QVERIFY2(SchemaMigrations::apply(conn.db(), QStringLiteral("b"), {"CREATE TABLE b1(v int);"}, &error),
                 qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("a")), 2);
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("b")), 1);
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("c")), 0);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM gatehouse_schema")), 2);
    }

    void closedDatabase()
    {
        QSqlDatabase closed;
        QString error;
        QCOMPARE(SchemaMigrations::currentVersion(closed, QStringLiteral("test")), -1);
        QVERIFY(!SchemaMigrations::apply(closed, QStringLiteral("test"), {"CREATE TABLE x(v int);"}, &error));
        QVERIFY2(error.contains(QStringLiteral("not open")), qPrintable(error));
    }

    // Engines that start together on one database: each migrates on a connection of its own, at
    // the same moment; every step runs exactly once and every engine ends at the last version.
    void concurrentEnginesRunEachStepOnce()
    {
        const StorageTarget target = freshTarget();
        const QByteArray pause = Test::usesPostgres() ? "SELECT pg_sleep(0.05);" : "";
        const QList<QByteArray> steps = {
            "CREATE TABLE m_log(step INTEGER NOT NULL);",
            "INSERT INTO m_log VALUES (2);" + pause,
            "CREATE TABLE m_other(v INTEGER); INSERT INTO m_log VALUES (3);",
            "INSERT INTO m_log VALUES (4);" + pause,
        };
        constexpr int kEngines = 6;
        std::atomic<int> ready{0};
        QStringList errors(kEngines);
        std::vector<std::unique_ptr<QThread>> threads;
        for (int i = 0; i < kEngines; ++i) {
            threads.emplace_back(QThread::create([&, i] {
                TestConnection conn;
                QString error;
                if (!conn.open(target, &error)) {
                    errors[i] = error;
                    ++ready;
                    return;
                }
                // Start together, so the migrations overlap.
                ++ready;
                while (ready.load() < kEngines)
                    QThread::yieldCurrentThread();
                if (!SchemaMigrations::apply(conn.db(), QStringLiteral("events"), steps, &error))
                    errors[i] = error;
            }));
            threads.back()->start();
        }
        for (auto &thread : threads)
            QVERIFY(thread->wait(60000));
        for (int i = 0; i < kEngines; ++i)
            QVERIFY2(errors.at(i).isEmpty(), qPrintable(QStringLiteral("engine %1: %2").arg(i).arg(errors.at(i))));

        TestConnection conn;
        QString error;
        QVERIFY2(conn.open(target, &error), qPrintable(error));
        QCOMPARE(SchemaMigrations::currentVersion(conn.db(), QStringLiteral("events")), 4);
        QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_log")), 3);
        for (int step = 2; step <= 4; ++step)
            QCOMPARE(conn.scalar(QStringLiteral("SELECT count(*) FROM m_log WHERE step = %1").arg(step)), 1);
    }
};

QTEST_GUILESS_MAIN(tst_SchemaMigrations)
#include "tst_schemamigrations.moc"
