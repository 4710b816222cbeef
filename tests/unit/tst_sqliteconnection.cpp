// SqliteConnection's contract with Qt SQL, on real SQLite files: every connection is a QSQLITE
// connection under a name of its own, which close() removes (also while native statements
// are still prepared on it, without leaking the file); the native handle the hot paths use is
// the one Qt opened (multi-thread mode, extended result codes, the busy timeout); a read-only
// connection refuses writes on both paths; a file that cannot be opened, or a missing QSQLITE
// plugin, gives a clear error. And SqliteMigrations, which runs through QSqlQuery: how a step
// is cut into statements, and that a failed step leaves the previous version intact.
#include "sql/sqliteconnection.h"
#include "sql/sqlitemigrations.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// Open file descriptors of this process on `path`: a connection that failed to close keeps one.
int openDescriptors(const QString &path)
{
    const QString target = QFileInfo(path).canonicalFilePath();
    const QDir fds(u"/proc/self/fd"_s);
    int n = 0;
    for (const QString &fd : fds.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
        if (QFileInfo(fds.filePath(fd)).symLinkTarget() == target)
            ++n;
    }
    return n;
}

sqlite3 *qtHandle(const QSqlDatabase &db)
{
    const QVariant handle = db.driver()->handle();
    return qstrcmp(handle.typeName(), "sqlite3*") == 0 ? *static_cast<sqlite3 *const *>(handle.constData()) : nullptr;
}

// The child run of missingDriverSaysSo: no plugin directory at all, then open.
int openWithoutDrivers(const QString &path)
{
    QTemporaryDir empty;
    QCoreApplication::setLibraryPaths({empty.path()});
    SqliteConnection db;
    const bool opened = db.open(path);
    std::printf("opened=%d names=%lld error=%s\n", opened ? 1 : 0, static_cast<long long>(QSqlDatabase::connectionNames().size()),
                qPrintable(db.errorString()));
    return 0;
}

} // namespace

class tst_SqliteConnection : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString path(const QString &name) const { return m_dir.filePath(name); }

    // A database with one row in t(x).
    QString seeded(const QString &name)
    {
        const QString file = path(name);
        SqliteConnection db;
        if (!db.open(file) || !db.exec("CREATE TABLE t(x INTEGER UNIQUE); INSERT INTO t VALUES (1)"))
            qFatal("cannot seed %s: %s", qPrintable(file), qPrintable(db.errorString()));
        return file;
    }

private slots:
    void opensAsAQtSqlConnection_data()
    {
        QTest::addColumn<bool>("readOnly");
        QTest::newRow("read-write") << false;
        QTest::newRow("read-only") << true;
    }

    void opensAsAQtSqlConnection()
    {
        QFETCH(bool, readOnly);
        const QString file = seeded(QString::fromLatin1(QTest::currentDataTag()) + u".db"_s);
        SqliteConnection db;
        QVERIFY2(db.open(file, readOnly ? SqliteConnection::Mode::ReadOnly : SqliteConnection::Mode::ReadWrite), qPrintable(db.errorString()));
        const QSqlDatabase qdb = db.database();
        QVERIFY(qdb.isOpen());
        QCOMPARE(qdb.driverName(), u"QSQLITE"_s);
        QCOMPARE(qdb.databaseName(), file);
        QVERIFY(!db.connectionName().isEmpty());
        QCOMPARE(qdb.connectionName(), db.connectionName());
        QVERIFY(QSqlDatabase::connectionNames().contains(db.connectionName()));
        // The hot paths' handle is the connection Qt opened, not a second one.
        QVERIFY(db.handle());
        QCOMPARE(qtHandle(qdb), db.handle());
        QCOMPARE(sqlite3_db_readonly(db.handle(), "main"), readOnly ? 1 : 0);
        // SQLite's multi-thread mode (SQLITE_OPEN_NOMUTEX): the connection has no mutex of
        // its own, so one thread at a time may use it, whichever thread that is.
        QCOMPARE(sqlite3_db_mutex(db.handle()), nullptr);
        QCOMPARE(db.queryInt("PRAGMA busy_timeout"), qint64(SqliteConnection::kBusyTimeoutMs));
        // Both paths read the same database.
        QSqlQuery query(qdb);
        QVERIFY(db.execQuery(query, u"SELECT count(*) FROM t"_s));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), 1);
        QCOMPARE(db.queryInt("SELECT count(*) FROM t"), 1);
    }

    void readOnlyRefusesWrites_data()
    {
        QTest::addColumn<bool>("throughQtSql");
        QTest::newRow("native statement") << false;
        QTest::newRow("QSqlQuery") << true;
    }

    void readOnlyRefusesWrites()
    {
        QFETCH(bool, throughQtSql);
        const QString file = seeded(u"readonly-%1.db"_s.arg(throughQtSql));
        SqliteConnection db;
        QVERIFY2(db.open(file, SqliteConnection::Mode::ReadOnly), qPrintable(db.errorString()));
        const quint64 failuresBefore = db.storageFailures();
        bool written;
        if (throughQtSql) {
            QSqlQuery query(db.database());
            written = db.execQuery(query, u"INSERT INTO t VALUES (2)"_s);
        } else {
            written = db.exec("INSERT INTO t VALUES (2)");
        }
        QVERIFY(!written);
        QCOMPARE(db.lastErrorCode() & 0xff, SQLITE_READONLY);
        QVERIFY2(db.errorString().contains(u"readonly"_s), qPrintable(db.errorString()));
        QCOMPARE(db.storageFailures(), failuresBefore + 1);
        db.close();
        SqliteConnection check;
        QVERIFY(check.open(file));
        QCOMPARE(check.queryInt("SELECT count(*) FROM t"), 1);
    }

    void errorsKeepExtendedCodes_data()
    {
        QTest::addColumn<int>("path");   // 0 exec, 1 SqliteStatement, 2 QSqlQuery
        QTest::newRow("exec") << 0;
        QTest::newRow("statement") << 1;
        QTest::newRow("QSqlQuery") << 2;
    }

    void errorsKeepExtendedCodes()
    {
        QFETCH(int, path);
        SqliteConnection db;
        QVERIFY(db.open(seeded(u"codes-%1.db"_s.arg(path))));
        const quint64 failuresBefore = db.storageFailures();
        switch (path) {
        case 0:
            QVERIFY(!db.exec("INSERT INTO t VALUES (1)"));
            break;
        case 1: {
            SqliteStatement st(db, "INSERT INTO t VALUES (?1)");
            st.bind(1, 1);
            QVERIFY(!st.exec());
            QCOMPARE(st.lastCode(), SQLITE_CONSTRAINT_UNIQUE);
            break;
        }
        default: {
            QSqlQuery query(db.database());
            query.prepare(u"INSERT INTO t VALUES (:x)"_s);
            query.bindValue(u":x"_s, 1);
            QVERIFY(!db.execQuery(query));
            break;
        }
        }
        QCOMPARE(db.lastErrorCode(), SQLITE_CONSTRAINT_UNIQUE);
        QVERIFY2(db.errorString().contains(u"UNIQUE constraint failed"_s), qPrintable(db.errorString()));
        QCOMPARE(db.storageFailures(), failuresBefore);   // the statement's fault, not the storage's
    }

    void closeRemovesTheConnection()
    {
        const QString file = seeded(u"close.db"_s);
        SqliteConnection db;
        QVERIFY(db.open(file));
        const QString first = db.connectionName();
        QVERIFY(openDescriptors(file) > 0);
        // Native statements still prepared, one of them in the middle of its rows: Qt closes
        // with sqlite3_close(), which would refuse and keep the file open.
        SqliteStatement idle(db, "SELECT x FROM t");
        SqliteStatement running(db, "SELECT x FROM t UNION ALL SELECT 2");
        QVERIFY(running.step());
        SqliteStatement moved = std::move(idle);
        QVERIFY(moved.isValid());
        db.close();
        QVERIFY(!db.isOpen());
        QVERIFY(!db.database().isValid());
        QVERIFY(db.connectionName().isEmpty());
        QVERIFY(!QSqlDatabase::connectionNames().contains(first));
        QCOMPARE(openDescriptors(file), 0);   // the connection really closed
        QVERIFY(!running.isValid());
        QVERIFY(!moved.isValid());
        QVERIFY(!running.step());   // refused, not a crash
        // Opened again: a new name; the old one is not reused.
        QVERIFY(db.open(file));
        QVERIFY(db.connectionName() != first);
        QCOMPARE(QSqlDatabase::connectionNames().count(db.connectionName()), 1);
        QCOMPARE(db.queryInt("SELECT count(*) FROM t"), 1);
    }

    void cannotOpenSaysWhy_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("readOnly");
        QTest::newRow("missing directory") << u"no-such-dir/x.db"_s << false;
        QTest::newRow("missing file, read-only") << u"absent.db"_s << true;
    }

    void cannotOpenSaysWhy()
    {
        QFETCH(QString, file);
        QFETCH(bool, readOnly);
        const qsizetype namesBefore = QSqlDatabase::connectionNames().size();
        SqliteConnection db;
        QVERIFY(!db.open(path(file), readOnly ? SqliteConnection::Mode::ReadOnly : SqliteConnection::Mode::ReadWrite));
        QVERIFY(!db.isOpen());
        QCOMPARE(db.lastErrorCode() & 0xff, SQLITE_CANTOPEN);
        QCOMPARE(db.errorString(), u"unable to open database file"_s);
        QVERIFY(!db.database().isValid());
        QCOMPARE(QSqlDatabase::connectionNames().size(), namesBefore);   // nothing left registered
        QVERIFY(!QFileInfo::exists(path(file)));
    }

    void missingDriverSaysSo()
    {
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"TST_SQLITECONNECTION_NO_DRIVERS"_s, path(u"nodriver.db"_s));
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(child.waitForFinished(60000));
        QCOMPARE(child.exitCode(), 0);
        const QString out = QString::fromLocal8Bit(child.readAllStandardOutput());
        QVERIFY2(out.startsWith(u"opened=0 names=0 error="_s), qPrintable(out));
        QVERIFY2(out.contains(u"the Qt SQL driver QSQLITE is not available (Debian package libqt6sql6-sqlite)"_s), qPrintable(out));
        QVERIFY(!QFileInfo::exists(path(u"nodriver.db"_s)));
    }

    void migrationStatements_data()
    {
        QTest::addColumn<QByteArray>("script");
        QTest::addColumn<QList<QByteArray>>("statements");
        QTest::newRow("two") << QByteArray("CREATE TABLE a(x); CREATE TABLE b(y);")
                             << QList<QByteArray>{"CREATE TABLE a(x)", "CREATE TABLE b(y)"};
        QTest::newRow("last without ;") << QByteArray("CREATE TABLE a(x);CREATE TABLE b(y)")
                                        << QList<QByteArray>{"CREATE TABLE a(x)", "CREATE TABLE b(y)"};
        QTest::newRow("; in a string") << QByteArray("INSERT INTO a VALUES ('x;y'); SELECT 1")
                                       << QList<QByteArray>{"INSERT INTO a VALUES ('x;y')", "SELECT 1"};
        QTest::newRow("; in a comment") << QByteArray("SELECT 1 -- one; two\n; SELECT 2 /* ; */;")
                                        << QList<QByteArray>{"SELECT 1 -- one; two", "SELECT 2 /* ; */"};
        QTest::newRow("trigger body") << QByteArray("CREATE TRIGGER g BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no'); SELECT 1; END; SELECT 3;")
                                      << QList<QByteArray>{"CREATE TRIGGER g BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no'); SELECT 1; END",
                                                           "SELECT 3"};
        QTest::newRow("empty and comments") << QByteArray(" ;; -- nothing\n /* at all */ ;") << QList<QByteArray>{};
    }

    void migrationStatements()
    {
        QFETCH(QByteArray, script);
        QFETCH(QList<QByteArray>, statements);
        QCOMPARE(SqliteMigrations::statements(script), statements);
    }

    void migrationStepIsAllOrNothing()
    {
        SqliteConnection db;
        QVERIFY(db.open(path(u"migrations.db"_s)));
        QList<const char *> steps{
            "CREATE TABLE log(x); CREATE TRIGGER log_no_delete BEFORE DELETE ON log"
            "  BEGIN SELECT RAISE(ABORT, 'append-only'); END; INSERT INTO log VALUES (1);",
        };
        QString error;
        QVERIFY2(SqliteMigrations::apply(db, steps, &error), qPrintable(error));
        QCOMPARE(SqliteMigrations::currentVersion(db), 1);
        QVERIFY(!db.exec("DELETE FROM log"));   // the trigger came through whole
        QVERIFY2(db.errorString().contains(u"append-only"_s), qPrintable(db.errorString()));
        // Step 2 fails in its second statement: its first is rolled back with it.
        steps.append("CREATE TABLE second(y); INSERT INTO missing VALUES (1);");
        QVERIFY(!SqliteMigrations::apply(db, steps, &error));
        QVERIFY2(error.startsWith(u"migration 2 of "_s) && error.contains(u"no such table: missing"_s), qPrintable(error));
        QCOMPARE(SqliteMigrations::currentVersion(db), 1);
        QVERIFY(!db.inTransaction());
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'second'"), 0);
        // A database newer than the steps known is refused, untouched.
        steps.removeLast();
        QVERIFY(db.exec("PRAGMA user_version = 5"));
        QVERIFY(!SqliteMigrations::apply(db, steps, &error));
        QVERIFY2(error.contains(u"schema version 5, newer than this build knows (1)"_s), qPrintable(error));
    }
};

int main(int argc, char **argv)
{
    if (const QString path = qEnvironmentVariable("TST_SQLITECONNECTION_NO_DRIVERS"); !path.isEmpty()) {
        QCoreApplication app(argc, argv);
        return openWithoutDrivers(path);
    }
    QCoreApplication app(argc, argv);
    tst_SqliteConnection tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_sqliteconnection.moc"
