// A real `gatehouse` process on PostgreSQL losing its database while it runs: every connection
// of the engine is cut (pg_terminate_backend) and new ones are refused (ALLOW_CONNECTIONS
// false) while clients keep sending commands. Commands meanwhile answer 503 problem documents;
// once the database takes connections again the engine reconnects by itself and accepts
// commands again; every command it acknowledged, before, during and after, is in the log
// exactly once, and the projection catches up with all of them. PostgreSQL only.

#include "engineprocess.h"
#include "testdatabase.h"
#include "testhttpclient.h"

#include "sql/pgconnection.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// Runs SQL as the fixture's superuser on the server's maintenance database.
bool onServer(const QString &sql, QString *error, int *rows = nullptr)
{
    const auto server = Test::postgresServer(error);
    if (!server)
        return false;
    PgConnection admin;
    if (!admin.open(*server, u"tst_databaselost"_s, error))
        return false;
    QSqlQuery q(admin.database());
    if (!q.exec(sql)) {
        *error = q.lastError().text();
        return false;
    }
    if (rows && q.next())
        *rows = q.value(0).toInt();
    return true;
}

struct Answer
{
    int status = 0;
    QByteArray contentType;
    QString problemType;
    QString id;
    qint64 position = 0;
};

} // namespace

class tst_DatabaseLost : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (!Test::usesPostgres())
            QSKIP("PostgreSQL only: on SQLite the engine's database is a file it holds open");
    }
    void commandsAnswer503ThenResume();
};

void tst_DatabaseLost::commandsAnswer503ThenResume()
{
    QString why;
    const auto url = Test::newPostgresDatabase(&why);
    QVERIFY2(url, qPrintable(why));
    QTemporaryDir dir;
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start({u"--database"_s, url->redacted()}), qPrintable(engine.stderrText()));

    QMutex mutex;
    QList<Answer> answers;
    std::atomic<bool> stop{false};
    QList<QThread *> writers;
    for (int t = 0; t < 2; ++t) {
        writers.append(QThread::create([&, t] {
            TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort, 15000);
            for (int i = 0; !stop; ++i) {
                const QByteArray id = "lost-" + QByteArray::number(t) + '-' + QByteArray::number(i);
                const auto r = client.post("/api/products", "{\"id\":\"" + id + "\",\"name\":\"L\",\"price\":1}");
                Answer a{r.status, r.header("content-type"), r.json().value(u"type"_s).toString(), QString::fromLatin1(id),
                         r.json().value(u"position"_s).toInteger()};
                {
                    QMutexLocker lock(&mutex);
                    answers.append(a);
                }
                if (r.status != 202)
                    QThread::msleep(20);
            }
        }));
        writers.last()->start();
    }
    const auto count = [&](int status) {
        QMutexLocker lock(&mutex);
        return std::count_if(answers.cbegin(), answers.cend(), [status](const Answer &a) { return a.status == status; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(count(202) >= 50, 15000);

    // The database goes away: no new connections, every one of the engine's cut.
    const QString database = url->database;
    QVERIFY2(onServer(u"ALTER DATABASE \"%1\" ALLOW_CONNECTIONS false"_s.arg(database), &why), qPrintable(why));
    int terminated = 0;
    QVERIFY2(onServer(u"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '%1'"_s.arg(database),
                      &why, &terminated),
             qPrintable(why));
    QVERIFY(terminated > 0);
    QTRY_VERIFY_WITH_TIMEOUT(count(503) >= 20, 15000);
    QVERIFY(engine.process().state() == QProcess::Running);
    const qint64 acceptedBeforeReturn = count(202);

    // It comes back: the engine connects again by itself and accepts commands.
    QVERIFY2(onServer(u"ALTER DATABASE \"%1\" ALLOW_CONNECTIONS true"_s.arg(database), &why), qPrintable(why));
    QTRY_VERIFY_WITH_TIMEOUT(count(202) >= acceptedBeforeReturn + 50, 30000);
    stop = true;
    for (QThread *w : std::as_const(writers)) {
        QVERIFY(w->wait(30000));
        delete w;
    }

    // Only 202 and 503 were answered; every 503 a problem document naming the storage.
    qint64 head = 0;
    QHash<QString, qint64> accepted;
    for (const Answer &a : std::as_const(answers)) {
        QVERIFY2(a.status == 202 || a.status == 503, qPrintable(u"%1 answered %2"_s.arg(a.id).arg(a.status)));
        if (a.status == 503) {
            QCOMPARE(a.contentType, "application/problem+json");
            QVERIFY2(a.problemType.endsWith(u"storage-unavailable"_s), qPrintable(a.problemType));
        } else {
            accepted.insert(a.id, a.position);
            head = qMax(head, a.position);
        }
    }

    // Every acknowledged command is in the log exactly once, where it was told; no gaps.
    TestHttpClient reader(u"127.0.0.1"_s, engine.gatewayPort, 15000);
    QHash<QString, qint64> logged;
    for (qint64 from = 1;;) {
        const auto r = reader.get("/events?from=" + QByteArray::number(from) + "&limit=500");
        QCOMPARE(r.status, 200);
        const QJsonArray page = QJsonDocument::fromJson(r.body).array();
        for (const QJsonValue &v : page) {
            const QJsonObject e = v.toObject();
            QCOMPARE(e.value(u"position"_s).toInteger(), from);
            const QString id = e.value(u"data"_s).toObject().value(u"id"_s).toString();
            QVERIFY2(!logged.contains(id), qPrintable(u"%1 is in the log twice"_s.arg(id)));
            logged.insert(id, from);
            ++from;
        }
        if (page.size() < 500)
            break;
    }
    for (auto it = accepted.cbegin(); it != accepted.cend(); ++it)
        QCOMPARE(logged.value(it.key(), -1), it.value());
    qInfo("%lld commands accepted, %lld refused with 503 while the database was away; the log holds %lld",
          qint64(accepted.size()), qint64(count(503)), qint64(logged.size()));

    // The projection resumed from its checkpoint: the last accepted product can be read.
    const auto last = std::max_element(accepted.cbegin(), accepted.cend());
    const auto doc = reader.get("/api/products/" + last.key().toUtf8(), {{"X-Min-Position", QByteArray::number(head)}});
    QCOMPARE(doc.status, 200);
}

QTEST_GUILESS_MAIN(tst_DatabaseLost)
#include "tst_databaselost.moc"
