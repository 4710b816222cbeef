// ConfigStore on the backend the test runs on (SQLite; PostgreSQL as @postgres): settings,
// resources and the configuration version, several stores (engines) writing one database, and
// on PostgreSQL the notification of every change and a connection the server dropped.

#include "config/configstore.h"
#include "sql/pgconnection.h"
#include "sql/pgnotificationlistener.h"
#include "testdatabase.h"

#include <QDir>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace Gatehouse;

class tst_ConfigStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_root;
    int m_dirs = 0;

    QString freshDir()
    {
        const QString dir = m_root.filePath(QString::number(++m_dirs));
        QDir().mkpath(dir);
        return dir;
    }

    static ConfigStore::Resource resource(const QString &id, const QByteArray &body, qint64 created, qint64 updated)
    {
        return {id, body, created, updated};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_root.isValid());
        qInfo("backend: %s", qPrintable(Test::backendName()));
    }

    void settings()
    {
        ConfigStore store;
        QString error;
        QVERIFY2(store.open(Test::target(freshDir(), QStringLiteral("config.db")), &error), qPrintable(error));
        QCOMPARE(store.setting(QStringLiteral("admin_key"), QStringLiteral("none")), QStringLiteral("none"));
        QVERIFY(store.setSetting(QStringLiteral("admin_key"), QStringLiteral("k1")));
        QVERIFY(store.setSetting(QStringLiteral("admin_key"), QStringLiteral("k2 \u00e9\u6f22 'quoted'; --")));
        QCOMPARE(store.setting(QStringLiteral("admin_key")), QStringLiteral("k2 \u00e9\u6f22 'quoted'; --"));
        QCOMPARE(store.setting(QStringLiteral("other")), QString());
        QCOMPARE(store.configVersion(), 0);
    }

    void resourcesAndVersions()
    {
        ConfigStore store;
        QString error;
        QVERIFY2(store.open(Test::target(freshDir(), QStringLiteral("config.db")), &error), qPrintable(error));
        const QByteArray body = QStringLiteral(R"({"uri":"/caf\u00e9","name":"\u6f22"})").toUtf8();
        // Same creation time: ordered by id, byte-wise on both backends.
        QCOMPARE(store.commitChange(QStringLiteral("routes"),
                                    {resource(QStringLiteral("b"), body, 100, 100), resource(QStringLiteral("B"), "{}", 100, 100),
                                     resource(QStringLiteral("_x"), "{}", 100, 100), resource(QStringLiteral("first"), "{}", 50, 50)},
                                    {}),
                 1);
        QCOMPARE(store.configVersion(), 1);
        auto routes = store.resources(QStringLiteral("routes"));
        QStringList ids;
        for (const auto &r : routes)
            ids << r.id;
        QCOMPARE(ids, QStringList({QStringLiteral("first"), QStringLiteral("B"), QStringLiteral("_x"), QStringLiteral("b")}));
        QCOMPARE(routes.at(3).body, body);
        QCOMPARE(routes.at(3).createdAt, 100);
        QVERIFY(store.resources(QStringLiteral("upstreams")).isEmpty());

        // An update keeps the creation time; a removal and an update in one change: one version.
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {resource(QStringLiteral("b"), "{\"v\":2}", 999, 200)},
                                    {QStringLiteral("B"), QStringLiteral("no-such-id")}),
                 2);
        routes = store.resources(QStringLiteral("routes"));
        QCOMPARE(routes.size(), 3);
        QCOMPARE(routes.at(2).id, QStringLiteral("b"));
        QCOMPARE(routes.at(2).body, QByteArray("{\"v\":2}"));
        QCOMPARE(routes.at(2).createdAt, 100);
        QCOMPARE(routes.at(2).updatedAt, 200);
        // Another kind shares the version.
        QCOMPARE(store.commitChange(QStringLiteral("upstreams"), {resource(QStringLiteral("u"), "{}", 1, 1)}, {}), 3);
        QCOMPARE(store.commitChange(QStringLiteral("upstreams"), {}, {QStringLiteral("u")}), 4);
        QVERIFY(store.resources(QStringLiteral("upstreams")).isEmpty());
        QCOMPARE(store.configVersion(), 4);
        QVERIFY(!store.lastChangeFailedFull());
    }

    void seeded()
    {
        ConfigStore store;
        QString error;
        QVERIFY2(store.open(Test::target(freshDir(), QStringLiteral("config.db")), &error), qPrintable(error));
        QVERIFY(!store.wasSeeded(QStringLiteral("routes/default")));
        QVERIFY(store.markSeeded(QStringLiteral("routes/default")));
        QVERIFY(store.markSeeded(QStringLiteral("routes/default")));
        QVERIFY(store.wasSeeded(QStringLiteral("routes/default")));
        QVERIFY(!store.wasSeeded(QStringLiteral("routes/other")));
    }

    void reopenKeepsEverything()
    {
        const QString dir = freshDir();
        QString error;
        {
            ConfigStore store;
            QVERIFY2(store.open(Test::target(dir, QStringLiteral("config.db")), &error), qPrintable(error));
            QVERIFY(store.setSetting(QStringLiteral("k"), QStringLiteral("v")));
            QCOMPARE(store.commitChange(QStringLiteral("routes"), {resource(QStringLiteral("r"), "{}", 1, 1)}, {}), 1);
            QVERIFY(store.markSeeded(QStringLiteral("s")));
        }
        ConfigStore store;
        QVERIFY2(store.open(Test::target(dir, QStringLiteral("config.db")), &error), qPrintable(error));
        QCOMPARE(store.setting(QStringLiteral("k")), QStringLiteral("v"));
        QCOMPARE(store.configVersion(), 1);
        QCOMPARE(store.resources(QStringLiteral("routes")).size(), 1);
        QVERIFY(store.wasSeeded(QStringLiteral("s")));
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {}, {QStringLiteral("r")}), 2);
    }

    // config.db files written before the move to Qt SQL open as they are.
    void existingSqliteFileOpensUnchanged()
    {
        if (Test::usesPostgres())
            QSKIP("about config.db files");
        const QString path = QDir(freshDir()).filePath(QStringLiteral("config.db"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("old-config"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            // The schema and the version mark exactly as the previous release wrote them.
            for (const char *sql : {
                     "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
                     "CREATE TABLE resources(kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
                     " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(kind, id)) WITHOUT ROWID",
                     "CREATE TABLE seeded(key TEXT PRIMARY KEY) WITHOUT ROWID",
                     "PRAGMA user_version = 2",
                     "INSERT INTO settings VALUES ('admin_key', 'old-key'), ('config_version', '41')",
                     "INSERT INTO resources VALUES ('routes', 'r1', '{\"uri\":\"/old\"}', 10, 20)",
                     "INSERT INTO seeded VALUES ('routes/r1')"}) {
                QVERIFY2(q.exec(QString::fromLatin1(sql)), qPrintable(q.lastError().text()));
            }
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("old-config"));

        ConfigStore store;
        QString error;
        QVERIFY2(store.open(StorageTarget::sqlite(path), &error), qPrintable(error));
        QCOMPARE(store.setting(QStringLiteral("admin_key")), QStringLiteral("old-key"));
        QCOMPARE(store.configVersion(), 41);
        const auto routes = store.resources(QStringLiteral("routes"));
        QCOMPARE(routes.size(), 1);
        QCOMPARE(routes.at(0).body, QByteArray("{\"uri\":\"/old\"}"));
        QCOMPARE(routes.at(0).updatedAt, 20);
        QVERIFY(store.wasSeeded(QStringLiteral("routes/r1")));
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {resource(QStringLiteral("r2"), "{}", 30, 30)}, {}), 42);
        store.close();

        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("old-config-check"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version")) && q.next());
            QCOMPARE(q.value(0).toInt(), 2);
            // Bodies stay text, as the previous release stored and compares them.
            QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM resources WHERE typeof(body) = 'text'")) && q.next());
            QCOMPARE(q.value(0).toInt(), 2);
        }
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("old-config-check"));
    }

    // Several engines on one database (PostgreSQL), or several stores on one file (SQLite):
    // every change gets a version of its own, and none is lost.
    void concurrentWritersGetDistinctVersions()
    {
        const QString dir = freshDir();
        constexpr int kWriters = 4;
        constexpr int kChanges = 25;
        std::vector<std::unique_ptr<ConfigStore>> stores;
        QString error;
        for (int i = 0; i < kWriters; ++i) {
            stores.push_back(std::make_unique<ConfigStore>());
            QVERIFY2(stores.back()->open(Test::target(dir, QStringLiteral("config.db")), &error), qPrintable(error));
        }
        QList<qint64> versions[kWriters];
        std::vector<std::unique_ptr<QThread>> threads;
        for (int i = 0; i < kWriters; ++i) {
            threads.emplace_back(QThread::create([&, i] {
                for (int n = 0; n < kChanges; ++n) {
                    const QString id = QStringLiteral("w%1-%2").arg(i).arg(n);
                    versions[i] << stores[i]->commitChange(QStringLiteral("routes"), {resource(id, "{}", n, n)}, {});
                }
            }));
            threads.back()->start();
        }
        for (auto &thread : threads)
            QVERIFY(thread->wait(120000));
        QSet<qint64> all;
        for (int i = 0; i < kWriters; ++i) {
            QCOMPARE(versions[i].size(), kChanges);
            for (int n = 0; n < kChanges; ++n) {
                QVERIFY2(versions[i].at(n) > 0, "a change failed");
                if (n > 0)
                    QVERIFY(versions[i].at(n) > versions[i].at(n - 1));
                all.insert(versions[i].at(n));
            }
        }
        QCOMPARE(all.size(), kWriters * kChanges);
        QCOMPARE(*std::max_element(all.cbegin(), all.cend()), qint64(kWriters * kChanges));
        QCOMPARE(stores[0]->configVersion(), qint64(kWriters * kChanges));
        QCOMPARE(stores[1]->resources(QStringLiteral("routes")).size(), kWriters * kChanges);
    }

    void openFailsClearly()
    {
        ConfigStore store;
        QString error;
        if (Test::usesPostgres()) {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            QString serverError;
            auto url = Test::postgresServer(&serverError);
            QVERIFY2(url, qPrintable(serverError));
            url->port = probe.serverPort();
            url->connectTimeoutS = 2;
            probe.close();
            QVERIFY(!store.open(StorageTarget::postgresql(*url), &error));
            QVERIFY2(error.contains(url->redacted()), qPrintable(error));
        } else {
            const QString path = m_root.filePath(QStringLiteral("no/such/dir/config.db"));
            QVERIFY(!store.open(StorageTarget::sqlite(path), &error));
            QVERIFY2(error.contains(path), qPrintable(error));
        }
        // A store that did not open answers nothing and changes nothing.
        QCOMPARE(store.setting(QStringLiteral("k"), QStringLiteral("fallback")), QStringLiteral("fallback"));
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {resource(QStringLiteral("r"), "{}", 1, 1)}, {}), 0);
        QCOMPARE(store.configVersion(), 0);
    }

    // Every change NOTIFYs gatehouse_config with its version, so other engines reload.
    void changesAreNotified()
    {
        if (!Test::usesPostgres())
            QSKIP("notifications are PostgreSQL's");
        const StorageTarget target = Test::target(freshDir(), QStringLiteral("config.db"));
        ConfigStore store;
        QString error;
        QVERIFY2(store.open(target, &error), qPrintable(error));
        PgNotificationListener listener(target.postgres, {QString::fromLatin1(ConfigStore::kNotifyChannel)});
        QStringList payloads;
        connect(&listener, &PgNotificationListener::notification, this,
                [&](const QString &, const QString &payload) { payloads << payload; });
        QVERIFY2(listener.start(&error), qPrintable(error));
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {resource(QStringLiteral("r"), "{}", 1, 1)}, {}), 1);
        QCOMPARE(store.commitChange(QStringLiteral("consumers"), {resource(QStringLiteral("c"), "{}", 1, 1)}, {}), 2);
        QTRY_COMPARE(payloads, QStringList({QStringLiteral("1"), QStringLiteral("2")}));
        // Settings are not configuration changes.
        QVERIFY(store.setSetting(QStringLiteral("k"), QStringLiteral("v")));
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {}, {QStringLiteral("r")}), 3);
        QTRY_COMPARE(payloads, QStringList({QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("3")}));
    }

    // The server drops the store's connection: the next calls reconnect and work.
    void droppedConnectionIsReopened()
    {
        if (!Test::usesPostgres())
            QSKIP("about a PostgreSQL connection");
        const StorageTarget target = Test::target(freshDir(), QStringLiteral("config.db"));
        ConfigStore store;
        QString error;
        QVERIFY2(store.open(target, &error), qPrintable(error));
        QVERIFY(store.setSetting(QStringLiteral("k"), QStringLiteral("v")));
        PgConnection admin;
        QVERIFY2(admin.open(target.postgres, QStringLiteral("admin"), &error), qPrintable(error));
        auto dropStoreConnection = [&] {
            QSqlQuery q(admin.database());
            QVERIFY(q.exec(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                          "WHERE application_name = 'gatehouse config' AND datname = current_database()")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 1);
            QTRY_VERIFY(q.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gatehouse config' "
                                              "AND datname = current_database()"))
                        && q.next() && q.value(0).toInt() == 0);
        };
        dropStoreConnection();
        QCOMPARE(store.setting(QStringLiteral("k")), QStringLiteral("v"));   // read: retried on a new connection
        dropStoreConnection();
        QCOMPARE(store.commitChange(QStringLiteral("routes"), {resource(QStringLiteral("r"), "{}", 1, 1)}, {}), 1);
        QCOMPARE(store.configVersion(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_ConfigStore)
#include "tst_configstore.moc"
