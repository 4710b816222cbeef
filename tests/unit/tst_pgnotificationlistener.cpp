// PgNotificationListener against the fixture's PostgreSQL: NOTIFYs from another connection
// arrive with their channel and payload; a listener whose backend the server killed reconnects,
// says so, and receives again.

#include "sql/pgconnection.h"
#include "sql/pgnotificationlistener.h"
#include "testdatabase.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTest>
#include <QThread>

using namespace Gatehouse;

namespace {

// What a listener reported, in order, collected on the test's thread (the signals come from the
// listener's thread and are queued here).
struct Recorder
{
    QStringList log;   // "notify <channel> <payload>", "lost", "reconnected"

    void attach(PgNotificationListener &listener, QObject *context)
    {
        QObject::connect(&listener, &PgNotificationListener::notification, context,
                         [this](const QString &channel, const QString &payload) {
                             log << QStringLiteral("notify %1 %2").arg(channel, payload);
                         });
        QObject::connect(&listener, &PgNotificationListener::connectionLost, context,
                         [this](const QString &) { log << QStringLiteral("lost"); });
        QObject::connect(&listener, &PgNotificationListener::reconnected, context,
                         [this] { log << QStringLiteral("reconnected"); });
    }
};

} // namespace

class tst_PgNotificationListener : public QObject
{
    Q_OBJECT

private:
    PostgresUrl m_url;
    PgConnection m_sender;

    void notify(const QString &channel, const QString &payload)
    {
        QSqlQuery query(m_sender.database());
        QVERIFY(query.prepare(QStringLiteral("SELECT pg_notify(?, ?)")));
        query.addBindValue(channel);
        query.addBindValue(payload);
        QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
    }

    void terminate(qint64 pid)
    {
        QSqlQuery query(m_sender.database());
        QVERIFY(query.exec(QStringLiteral("SELECT pg_terminate_backend(%1)").arg(pid)));
        QVERIFY(query.next());
        QVERIFY(query.value(0).toBool());
    }

private slots:
    void initTestCase()
    {
        QString error;
        const auto url = Test::newPostgresDatabase(&error);
        QVERIFY2(url, qPrintable(error));
        m_url = *url;
        QVERIFY2(m_sender.open(m_url, QStringLiteral("sender"), &error), qPrintable(error));
    }

    void receivesNotifications()
    {
        PgNotificationListener listener(m_url, {QStringLiteral("gh_a"), QStringLiteral("gh_b")});
        Recorder recorder;
        recorder.attach(listener, this);
        QString error;
        QVERIFY2(listener.start(&error), qPrintable(error));
        QVERIFY(listener.isListening());
        QVERIFY(listener.backendPid() > 0);

        notify(QStringLiteral("gh_a"), QStringLiteral("hello"));
        notify(QStringLiteral("gh_other"), QStringLiteral("not for us"));
        notify(QStringLiteral("gh_b"), QStringLiteral("it's \u00fcnicode; \"quoted\""));
        notify(QStringLiteral("gh_a"), QString());
        const QStringList expected = {QStringLiteral("notify gh_a hello"),
                                      QStringLiteral("notify gh_b it's \u00fcnicode; \"quoted\""),
                                      QStringLiteral("notify gh_a ")};
        QTRY_COMPARE(recorder.log, expected);

        // A transaction's NOTIFYs arrive at its COMMIT, and not at all after a ROLLBACK.
        QVERIFY(m_sender.exec(QStringLiteral("BEGIN; NOTIFY gh_a, 'rolled back'; ROLLBACK")));
        QVERIFY(m_sender.exec(QStringLiteral("BEGIN; NOTIFY gh_a, 'committed'; COMMIT")));
        QTRY_COMPARE(recorder.log.size(), 4);
        QCOMPARE(recorder.log.last(), QStringLiteral("notify gh_a committed"));

        listener.stop();
        QVERIFY(!listener.isListening());
        QCOMPARE(listener.backendPid(), 0);
    }

    // The server ends the listener's session (as on a restart, a failover or an administrator's
    // pg_terminate_backend): the listener reports the loss, reconnects, says so, and receives
    // again -- twice in a row.
    void reconnectsAfterItsBackendWasTerminated()
    {
        PgNotificationListener listener(m_url, {QStringLiteral("gh_events")});
        Recorder recorder;
        recorder.attach(listener, this);
        QString error;
        QVERIFY2(listener.start(&error), qPrintable(error));

        for (int round = 1; round <= 2; ++round) {
            const qint64 pid = listener.backendPid();
            QVERIFY(pid > 0);
            terminate(pid);
            QTRY_VERIFY_WITH_TIMEOUT(recorder.log.contains(QStringLiteral("reconnected")), 15000);
            QCOMPARE(recorder.log, QStringList({QStringLiteral("lost"), QStringLiteral("reconnected")}));
            QVERIFY(listener.isListening());
            QVERIFY(listener.backendPid() > 0);
            QVERIFY(listener.backendPid() != pid);
            recorder.log.clear();

            notify(QStringLiteral("gh_events"), QStringLiteral("round %1").arg(round));
            QTRY_COMPARE(recorder.log, QStringList({QStringLiteral("notify gh_events round %1").arg(round)}));
            recorder.log.clear();
        }
    }

    // While the database cannot be reached the listener keeps trying; stop() ends it promptly.
    void stopWhileReconnecting()
    {
        QString error;
        const auto url = Test::newPostgresDatabase(&error);
        QVERIFY2(url, qPrintable(error));
        PgNotificationListener listener(*url, {QStringLiteral("gh_x")});
        Recorder recorder;
        recorder.attach(listener, this);
        QVERIFY2(listener.start(&error), qPrintable(error));
        QVERIFY(m_sender.exec(QStringLiteral("DROP DATABASE \"%1\" WITH (FORCE)").arg(url->database)));
        QTRY_VERIFY_WITH_TIMEOUT(recorder.log.contains(QStringLiteral("lost")), 15000);
        QVERIFY(!listener.isListening());
        // Attempts fail (the database is gone) and back off; none succeeds.
        QTest::qWait(PgNotificationListener::kFirstRetryMs * 4);
        QVERIFY(!recorder.log.contains(QStringLiteral("reconnected")));
        listener.stop();
        QVERIFY(!listener.isListening());
    }

    void startFailsClearly()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        PostgresUrl url = m_url;
        url.port = probe.serverPort();
        url.connectTimeoutS = 2;
        probe.close();
        PgNotificationListener listener(url, {QStringLiteral("gh_a")});
        QString error;
        QVERIFY(!listener.start(&error));
        QVERIFY2(error.contains(url.redacted()), qPrintable(error));
        QVERIFY(!listener.isListening());
        // It may be started again once the server is there.
        PgNotificationListener good(m_url, {QStringLiteral("gh_a")});
        QVERIFY2(good.start(&error), qPrintable(error));
        good.stop();
        QVERIFY2(good.start(&error), qPrintable(error));
        QVERIFY(good.isListening());
    }

    void badChannelNameIsQuoted()
    {
        // Channel names are identifiers; one with odd characters is quoted, not spliced.
        const QString channel = QStringLiteral("gh \"odd\"; DROP TABLE x");
        PgNotificationListener listener(m_url, {channel});
        Recorder recorder;
        recorder.attach(listener, this);
        QString error;
        QVERIFY2(listener.start(&error), qPrintable(error));
        notify(channel, QStringLiteral("ok"));
        QTRY_COMPARE(recorder.log, QStringList({QStringLiteral("notify %1 ok").arg(channel)}));
    }
};

QTEST_GUILESS_MAIN(tst_PgNotificationListener)
#include "tst_pgnotificationlistener.moc"
