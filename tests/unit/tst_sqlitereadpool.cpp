// The bounds of the read side's SQL machinery, on real SQLite files: the read pool's time
// budget (SQLite's progress handler interrupts a statement that runs past it, and the lease
// says so), its per-connection cache of generated statements (bounded by count and by bytes,
// however many distinct statements hostile requests make), SqlErrorLog (one bounded line per
// distinct cause, however often it repeats), the QueryWorkerPool's bounded queue, and the
// pool's Qt SQL connections moving between threads.
#include "queries/queryworkerpool.h"
#include "sql/sqlerrorlog.h"
#include "sql/sqliteconnection.h"
#include "sql/sqlitereadpool.h"

#include <QScopeGuard>
#include <QSemaphore>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// A statement that takes seconds: counts to 50 million (a budget of 50 ms ends it long before).
const QByteArray kLong = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT count(*) FROM n";

// Messages of category gatehouse.sql while one is alive.
class SqlLogCapture
{
public:
    SqlLogCapture()
    {
        s_lines = &m_lines;
        m_previous = qInstallMessageHandler([](QtMsgType, const QMessageLogContext &context, const QString &message) {
            if (context.category && qstrcmp(context.category, "gatehouse.sql") == 0)
                s_lines->append(message);
        });
    }
    ~SqlLogCapture()
    {
        qInstallMessageHandler(m_previous);
        s_lines = nullptr;
    }
    const QStringList &lines() const { return m_lines; }

private:
    static inline QStringList *s_lines = nullptr;
    QStringList m_lines;
    QtMessageHandler m_previous;
};

} // namespace

class tst_SqliteReadPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_path = m_dir->filePath(u"test.db"_s);
        SqliteConnection db;
        QVERIFY(db.open(m_path));
        QVERIFY(db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
    }

    void budgetInterruptsALongStatement_data()
    {
        QTest::addColumn<bool>("viaDefault");
        QTest::newRow("budget given to acquire") << false;
        QTest::newRow("the pool's default budget") << true;
    }
    void budgetInterruptsALongStatement()
    {
        QFETCH(bool, viaDefault);
        SqliteReadPool pool(m_path);
        if (viaDefault)
            pool.setDefaultBudgetMs(50);
        {
            auto lease = viaDefault ? pool.acquire() : pool.acquire(50);
            QVERIFY(lease);
            QCOMPARE(lease.budgetMs(), 50);
            SqliteStatement &st = lease->statement(kLong);
            QVERIFY(st.isValid());
            QVERIFY(!st.step());              // stopped, no row
            QVERIFY(lease.timedOut());
            QVERIFY2(st.errorString().contains(u"interrupt"_s), qPrintable(st.errorString()));
            st.reset();
        }
        // The same connection, leased again, runs the next statement normally.
        auto again = viaDefault ? pool.acquire() : pool.acquire(50);
        QVERIFY(!again.timedOut());
        SqliteStatement &count = again->statement(QByteArrayLiteral("SELECT count(*) FROM t"));
        QVERIFY(count.step());
        QCOMPARE(count.columnInt(0), 3);
    }

    void noBudgetRunsToTheEnd()
    {
        // A long, finite statement under a lease without a budget (what the projections use).
        SqliteReadPool pool(m_path);
        pool.setDefaultBudgetMs(1);
        auto lease = pool.acquire(0);
        SqliteStatement &st = lease->statement(QByteArrayLiteral(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) SELECT count(*) FROM n"));
        QVERIFY(st.step());
        QCOMPARE(st.columnInt(0), 2000000);
        QVERIFY(!lease.timedOut());
    }

    void connectionsMoveBetweenThreads()
    {
        // Pool connections are Qt SQL connections opened by whichever thread first asks and
        // leased later to any other; each is a QSQLITE connection name of its own, and the
        // pool's clear() (on yet another thread) removes every one of them.
        const QStringList namesBefore = QSqlDatabase::connectionNames();
        SqliteReadPool pool(m_path);
        QStringList opened;
        auto countOn = [&](QStringList *names) {
            auto first = pool.acquire(0);
            auto second = pool.acquire(0);   // two at once: two connections
            if (!first || !second)
                return;
            for (auto *lease : {&first, &second}) {
                SqliteStatement &st = (*lease)->statement("SELECT count(*) FROM t");
                if (st.step() && st.columnInt(0) == 3)
                    names->append((*lease)->db.connectionName());
                st.reset();
            }
        };
        std::unique_ptr<QThread> opener(QThread::create(countOn, &opened));
        opener->start();
        QVERIFY(opener->wait(30000));
        QCOMPARE(opened.size(), 2);
        QVERIFY(QSqlDatabase::connectionNames().contains(opened.at(0)));
        QVERIFY(QSqlDatabase::connectionNames().contains(opened.at(1)));
        QStringList reused;
        countOn(&reused);   // this thread now: the same two connections
        std::sort(opened.begin(), opened.end());
        std::sort(reused.begin(), reused.end());
        QCOMPARE(reused, opened);
        std::unique_ptr<QThread> closer(QThread::create([&pool] { pool.clear(); }));
        closer->start();
        QVERIFY(closer->wait(30000));
        QCOMPARE(QSqlDatabase::connectionNames().size(), namesBefore.size());
        QVERIFY(!QSqlDatabase::connectionNames().contains(opened.at(0)));
        QVERIFY(!QSqlDatabase::connectionNames().contains(opened.at(1)));
    }

    void statementCacheIsBoundedByCountAndBytes_data()
    {
        QTest::addColumn<int>("placeholders");   // per statement: its size
        QTest::addColumn<int>("statements");
        QTest::addColumn<bool>("kept");
        QTest::newRow("many small statements: the count bounds") << 1 << 500 << true;
        QTest::newRow("large statements: the bytes bound") << 2000 << 200 << true;
        QTest::newRow("one statement over a quarter of the budget is not kept") << 30000 << 3 << false;
    }
    void statementCacheIsBoundedByCountAndBytes()
    {
        QFETCH(int, placeholders);
        QFETCH(int, statements);
        QFETCH(bool, kept);
        SqliteReadPool pool(m_path);
        auto lease = pool.acquire();
        qint64 largest = 0;
        for (int i = 0; i < statements; ++i) {
            // Distinct text each time, as distinct hostile queries would make.
            QByteArray sql = "SELECT x FROM t WHERE x IN (" + QByteArray::number(i);
            for (int k = 0; k < placeholders; ++k)
                sql += ",?";
            sql += ") ORDER BY x";
            SqliteStatement &st = lease->statement(sql);
            QVERIFY(st.isValid());
            QVERIFY(!st.step() || st.columnInt(0) >= 1);
            st.reset();
            largest = qMax(largest, sql.size() + st.memoryUsed());
            QVERIFY(int(lease->dynamicStatements.size()) <= SqliteReadPool::kMaxCachedStatements);
            QVERIFY2(lease->dynamicBytes <= SqliteReadPool::kMaxCachedStatementBytes, QByteArray::number(lease->dynamicBytes).constData());
        }
        qint64 sum = 0;
        for (const auto &cached : lease->dynamicStatements)
            sum += cached.bytes;
        QCOMPARE(lease->dynamicBytes, sum);
        QCOMPARE(largest > SqliteReadPool::kMaxCachedStatementBytes / 4, !kept);
        QCOMPARE(!lease->dynamicStatements.empty(), kept);
        if (placeholders == 2000)   // the bytes, not the count, stopped it
            QVERIFY(int(lease->dynamicStatements.size()) < SqliteReadPool::kMaxCachedStatements);
    }

    void cachedStatementsAreReusedMostRecentFirst()
    {
        SqliteReadPool pool(m_path);
        auto lease = pool.acquire();
        const QByteArray a = "SELECT 1 FROM t";
        SqliteStatement *first = &lease->statement(a);
        for (int i = 0; i < SqliteReadPool::kMaxCachedStatements - 1; ++i) {
            lease->statement("SELECT " + QByteArray::number(i) + " FROM t");
            QCOMPARE(&lease->statement(a), first);   // used again: stays
        }
        lease->statement(QByteArrayLiteral("SELECT 'new' FROM t"));
        QCOMPARE(&lease->statement(a), first);
        QCOMPARE(int(lease->dynamicStatements.size()), SqliteReadPool::kMaxCachedStatements);
    }

    void errorLogSaysEachCauseOnceAndBriefly()
    {
        SqlLogCapture capture;
        SqlErrorLog log;
        const QByteArray hugeSql = "SELECT " + QByteArray(120 * 1024, 'x');
        const QString hugeMessage = u"no such column: "_s + QString(5000, u'y');
        for (int i = 0; i < 100; ++i) {
            const QString detail = log.report("list", 1, hugeMessage, hugeSql, 1000 + i);
            QVERIFY(detail.size() < 400);
            QVERIFY(!detail.contains(u"SELECT"_s));   // the client's detail never has SQL
        }
        QCOMPARE(capture.lines().size(), 1);
        log.report("list", 1, u"another cause"_s, "SELECT 1", 2000);
        QCOMPARE(capture.lines().size(), 2);
        for (const QString &line : capture.lines())
            QVERIFY2(line.size() < 1000, qPrintable(QString::number(line.size())));
        QVERIFY(capture.lines().first().contains(u"122887 bytes"_s));   // says how long the statement was

        // A minute later the repeats are summed up in one line.
        log.report("list", 1, hugeMessage, hugeSql, 1000 + SqlErrorLog::kRepeatIntervalMs + 1);
        QCOMPARE(capture.lines().size(), 3);
        QVERIFY2(capture.lines().last().contains(u"100 times"_s), qPrintable(capture.lines().last()));

        // Endless distinct causes: the log remembers a bounded number and counts the rest.
        for (int i = 0; i < SqlErrorLog::kMaxCauses * 4; ++i)
            log.report("list", 1, u"cause %1"_s.arg(i), "SELECT 1", 3000);
        QVERIFY(capture.lines().size() <= 3 + SqlErrorLog::kMaxCauses + 1);
    }

    void workerPoolRefusesPastItsQueue()
    {
        QueryWorkerPool pool(2, 3);
        QSemaphore release;
        QSemaphore started;
        std::atomic<int> ran{0};
        auto unblock = qScopeGuard([&] { release.release(100); });   // also when a check fails
        auto job = [&] {
            started.release();
            release.acquire();
            ++ran;
        };
        for (int i = 0; i < 5; ++i)
            QVERIFY(pool.tryStart(job));   // 2 running, 3 waiting
        QVERIFY(started.tryAcquire(2, 10000));
        QCOMPARE(pool.pending(), 5);
        QVERIFY(!pool.tryStart(job));      // full
        QCOMPARE(pool.pending(), 5);
        unblock.dismiss();
        release.release(5);
        pool.close();
        QCOMPARE(ran.load(), 5);
        QCOMPARE(pool.pending(), 0);
        QVERIFY(!pool.tryStart(job));      // closed
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

QTEST_GUILESS_MAIN(tst_SqliteReadPool)

#include "tst_sqlitereadpool.moc"
