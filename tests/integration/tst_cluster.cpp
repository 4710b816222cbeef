// Several real `gatehouse` processes on one PostgreSQL database (the fixture's): writers on
// every engine, one log without gaps; the owner of the projections killed with SIGKILL under
// load and another engine taking over from the checkpoint; configuration changed on one engine
// answering on the other; reads that wait for a position on any engine; counters of a
// cluster-wide rate limit shared. On SQLite there is one engine per data directory, so every
// case here skips.

#include "engineprocess.h"
#include "mosquittofixture.h"
#include "mqtttestclient.h"
#include "testdatabase.h"
#include "testhttpclient.h"

#include "sql/storagetarget.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QMutex>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <csignal>
#include <memory>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {
constexpr char kAdminKey[] = "cluster-test-admin-key";
const QList<std::pair<QByteArray, QByteArray>> kAdmin = {{"X-API-KEY", kAdminKey}};

struct Accepted
{
    QString id;
    qint64 position = 0;
    qint64 version = -1;
};

// Two (or more) engines on one new database, each with its own data directory.
class Cluster
{
public:
    bool start(int engines, QString *why, const QStringList &extra = {})
    {
        m_extra = extra;
        const auto url = Test::newPostgresDatabase(why);
        if (!url)
            return false;
        m_url = *url;
        for (int i = 0; i < engines; ++i) {
            if (!startOne(why))
                return false;
        }
        return true;
    }
    bool startOne(QString *why)
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        m_engines.push_back(std::make_unique<EngineProcess>(m_dirs.back()->path()));
        EngineProcess &e = *m_engines.back();
        if (!e.start(QStringList{u"--database"_s, url(), u"--admin-key"_s, QString::fromLatin1(kAdminKey)} + m_extra)) {
            *why = e.stderrText();
            return false;
        }
        return true;
    }
    EngineProcess &engine(int i) { return *m_engines.at(size_t(i)); }
    QString url() const
    {
        return m_url.redacted();   // the fixture's server trusts its users: no password to leave out
    }
    StorageTarget target() const { return StorageTarget::postgresql(m_url); }

private:
    PostgresUrl m_url;
    QStringList m_extra;
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;
    std::vector<std::unique_ptr<EngineProcess>> m_engines;
};

TestHttpClient gateway(EngineProcess &e, int timeoutMs = 15000)
{
    return TestHttpClient(u"127.0.0.1"_s, e.gatewayPort, timeoutMs);
}

TestHttpClient admin(EngineProcess &e)
{
    return TestHttpClient(u"127.0.0.1"_s, e.adminPort);
}

QJsonObject projection(EngineProcess &e, const QByteArray &name)
{
    return admin(e).get("/admin/projections/" + name, kAdmin).json();
}
} // namespace

class tst_Cluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void writesOnEveryEngineLandOnceWithoutGaps();
    void readsWaitForAPositionOnAnyEngine();
    void routeChangedOnOneEngineAnswersOnTheOther();
    void clusterRateLimitIsShared();
    void mqttCommandsTakenByOneEngine();
    void ownerKilledAnotherTakesOver();
};

void tst_Cluster::init()
{
    if (!Test::usesPostgres())
        QSKIP("several engines share one database on PostgreSQL only (SQLite: one engine per data directory)");
}

// Four writers on each of two engines create products for a while. Every 202 is in the log
// once, at the position it was given, and the positions run 1..N without a gap.
void tst_Cluster::writesOnEveryEngineLandOnceWithoutGaps()
{
    Cluster cluster;
    QString why;
    QVERIFY2(cluster.start(2, &why), qPrintable(why));
    QMutex mutex;
    QList<Accepted> answered;
    std::atomic<bool> stop{false};
    QList<QThread *> writers;
    for (int t = 0; t < 8; ++t) {
        writers.append(QThread::create([&, t] {
            TestHttpClient client = gateway(cluster.engine(t % 2));
            for (int i = 0; !stop; ++i) {
                const QString id = u"w%1-%2"_s.arg(t).arg(i);
                const auto r = client.post("/api/products", "{\"id\":\"" + id.toUtf8() + "\",\"name\":\"W\",\"price\":1}");
                if (r.status != 202)
                    continue;
                QMutexLocker lock(&mutex);
                answered.append({id, r.json().value(u"position"_s).toInteger(), r.json().value(u"version"_s).toInteger()});
            }
        }));
        writers.last()->start();
    }
    QThread::msleep(3000);
    stop = true;
    for (QThread *w : std::as_const(writers)) {
        QVERIFY(w->wait(30000));
        delete w;
    }
    QVERIFY(answered.size() > 100);

    EventStore store;
    EventStore::Options o;
    o.target = cluster.target();
    QVERIFY2(store.open(o), qPrintable(store.errorString()));
    QHash<qint64, QString> logged;
    qint64 expected = 1;
    bool gapless = true;
    store.scan(1, [&](const RecordedEvent &e) {
        gapless = gapless && e.position == expected++;
        logged.insert(e.position, CloudEvent::subjectOf(e));
        return true;
    });
    QVERIFY(gapless);
    QCOMPARE(logged.size(), answered.size());   // nothing but the 202s, each once
    QSet<qint64> positions;
    for (const Accepted &a : std::as_const(answered)) {
        QVERIFY2(!positions.contains(a.position), qPrintable(u"position %1 given twice"_s.arg(a.position)));
        positions.insert(a.position);
        QCOMPARE(logged.value(a.position), a.id);
    }
}

// A write on one engine, then a read on the other that waits for its position: the other
// engine's projection is not the one that applies it, yet the wait ends when it is applied.
void tst_Cluster::readsWaitForAPositionOnAnyEngine()
{
    Cluster cluster;
    QString why;
    QVERIFY2(cluster.start(2, &why), qPrintable(why));
    for (int i = 0; i < 20; ++i) {
        EngineProcess &writer = cluster.engine(i % 2);
        EngineProcess &reader = cluster.engine((i + 1) % 2);
        const QByteArray id = "p" + QByteArray::number(i);
        const auto w = gateway(writer).post("/api/products", "{\"id\":\"" + id + "\",\"name\":\"P\",\"price\":" + QByteArray::number(i) + "}");
        QCOMPARE(w.status, 202);
        const QByteArray position = QByteArray::number(w.json().value(u"position"_s).toInteger());
        const auto r = gateway(reader).get("/api/products/" + id, {{"X-Min-Position", position}});
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.json().value(u"price"_s).toInt(), i);
    }
}

// The configuration is one for every engine: a route made on one answers on the other.
void tst_Cluster::routeChangedOnOneEngineAnswersOnTheOther()
{
    Cluster cluster;
    QString why;
    QVERIFY2(cluster.start(2, &why), qPrintable(why));
    QCOMPARE(gateway(cluster.engine(1)).get("/hello").status, 404);
    const QByteArray route = R"json({"uri": "/hello", "methods": ["GET"], "upstream": {"type": "query", "collection": "products"},
        "plugins": {"fault-injection": {"abort": {"http_status": 418, "body": "made on engine A"}}}})json";
    const auto put = admin(cluster.engine(0)).request("PUT", "/admin/routes/hello", route, kAdmin);
    QVERIFY2(put.status == 200 || put.status == 201, put.body.constData());
    QTRY_COMPARE_WITH_TIMEOUT(gateway(cluster.engine(1)).get("/hello").status, 418, 5000);
    QCOMPARE(gateway(cluster.engine(1)).get("/hello").body, QByteArray("made on engine A"));
    // And a removal too.
    QCOMPARE(admin(cluster.engine(1)).request("DELETE", "/admin/routes/hello", {}, kAdmin).status, 204);
    QTRY_COMPARE_WITH_TIMEOUT(gateway(cluster.engine(0)).get("/hello").status, 404, 5000);

    // A collection declared on engine A: engine B serves it (routes, commands, reads).
    const auto declared = admin(cluster.engine(0)).request(
        "PUT", "/admin/collections/notes", R"({"schema":{"properties":{"id":{"type":"string"},"text":{"type":"string"}}}})", kAdmin);
    QVERIFY2(declared.status == 201, declared.body.constData());
    TestHttpClient b = gateway(cluster.engine(1));
    // (Not QTRY_COMPARE: it sends the create again to print it, which then answers 409.)
    QByteArray statuses;
    QElapsedTimer spread;
    spread.start();
    for (;;) {
        const auto r = b.post("/api/notes", R"({"id":"n1","text":"from B"})");
        statuses += QByteArray::number(r.status) + ' ' + r.body.left(200) + '\n';
        if (r.status == 202 || spread.elapsed() > 5000)
            break;
        QThread::msleep(50);
    }
    QVERIFY2(statuses.startsWith("202") || statuses.contains("\n202"), statuses.constData());
    const QByteArray accepted = statuses.mid(statuses.lastIndexOf("202 ") + 4);
    const QByteArray position = QByteArray::number(QJsonDocument::fromJson(accepted.trimmed()).object().value(u"position"_s).toInteger());
    const auto note = b.get("/api/notes/n1", {{"X-Min-Position", position}});
    QVERIFY2(note.status == 200 && note.json().value(u"text"_s).toString() == u"from B"_s,
             QByteArray(note.body + " | A: " + QJsonDocument(projection(cluster.engine(0), "upsert")).toJson(QJsonDocument::Compact)
              + " B: " + QJsonDocument(projection(cluster.engine(1), "upsert")).toJson(QJsonDocument::Compact)
              + " A says: " + gateway(cluster.engine(0)).get("/api/notes/n1").body + " position " + position)
                 .constData());
    QCOMPARE(admin(cluster.engine(1)).request("GET", "/admin/collections/notes", {}, kAdmin).status, 200);
}

// limit-count with policy "cluster": the engines count together.
void tst_Cluster::clusterRateLimitIsShared()
{
    Cluster cluster;
    QString why;
    QVERIFY2(cluster.start(2, &why), qPrintable(why));
    // On the default route that reads a product: no such product (404) until the limit (429).
    const QByteArray plugins = R"json({"plugins": {
        "limit-count": {"count": 4, "time_window": 600, "key_type": "constant", "key": "all", "policy": "cluster"}}})json";
    QCOMPARE(admin(cluster.engine(0)).request("PATCH", "/admin/routes/products-get", plugins, kAdmin).status, 200);
    // Waited for without counting: engine B's admin API shows the plugin once B applied it.
    QTRY_VERIFY_WITH_TIMEOUT(admin(cluster.engine(1)).get("/admin/routes/products-get", kAdmin).json()
                                 .value(u"plugins"_s).toObject().contains(u"limit-count"_s), 5000);
    QCOMPARE(gateway(cluster.engine(1)).get("/api/products/nothing").status, 404);   // 1
    QCOMPARE(gateway(cluster.engine(0)).get("/api/products/nothing").status, 404);   // 2
    QCOMPARE(gateway(cluster.engine(1)).get("/api/products/nothing").status, 404);   // 3
    const auto fourth = gateway(cluster.engine(0)).get("/api/products/nothing");
    QCOMPARE(fourth.status, 404);
    QCOMPARE(fourth.header("x-ratelimit-remaining"), QByteArray("0"));   // two counted on each engine
    QCOMPARE(gateway(cluster.engine(1)).get("/api/products/nothing").status, 429);
    QCOMPARE(gateway(cluster.engine(0)).get("/api/products/nothing").status, 429);
}

// Two engines on one broker: each command is taken by one engine (a shared subscription), is
// answered once and lands in the log once; each event is published once (by the outbox's owner).
void tst_Cluster::mqttCommandsTakenByOneEngine()
{
    MosquittoFixture broker;
    QString why;
    QVERIFY2(broker.start(&why), qPrintable(why));
    Cluster cluster;
    QVERIFY2(cluster.start(2, &why, {u"--mqtt-url"_s, broker.url()}), qPrintable(why));
    for (int i = 0; i < 2; ++i)
        QTRY_VERIFY_WITH_TIMEOUT(cluster.engine(i).stderrText().contains(u"connected to"_s), 20000);
    MqttTestClient client(broker.url(), u"cluster-test"_s);
    QVERIFY(client.connect());
    QVERIFY(client.subscribe(u"replies/#"_s));
    QVERIFY(client.subscribe(u"gatehouse/events/#"_s));
    constexpr int kCommands = 20;
    for (int i = 0; i < kCommands; ++i) {
        const QByteArray body = "{\"id\":\"q" + QByteArray::number(i) + "\",\"name\":\"Q\",\"price\":1}";
        QVERIFY(client.publish(u"gatehouse/commands/products/create"_s, body, u"replies/cluster"_s, "c" + QByteArray::number(i)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(client.messagesOn(u"replies/cluster"_s).size(), kCommands, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(client.messages().size() - kCommands, kCommands, 20000);
    QTest::qWait(1000);   // nothing more arrives: no command taken twice, no event published twice
    QCOMPARE(client.messagesOn(u"replies/cluster"_s).size(), kCommands);
    QCOMPARE(client.messages().size(), 2 * kCommands);
    for (const MqttTestMessage &reply : client.messagesOn(u"replies/cluster"_s))
        QCOMPARE(reply.userProperties.value(u"status"_s), u"202"_s);

    EventStore store;
    EventStore::Options o;
    o.target = cluster.target();
    QVERIFY2(store.open(o), qPrintable(store.errorString()));
    QSet<QString> subjects;
    qint64 count = 0;
    store.scan(1, [&](const RecordedEvent &e) {
        subjects.insert(CloudEvent::subjectOf(e));
        ++count;
        return true;
    });
    QCOMPARE(count, qint64(kCommands));
    QCOMPARE(subjects.size(), kCommands);
}

// The first engine owns the projection. Under load on the second, the first is killed with
// SIGKILL: the second takes the projection over (within 5 s), from the checkpoint, and in the
// end its read model has every acknowledged product exactly as the log says.
void tst_Cluster::ownerKilledAnotherTakesOver()
{
    Cluster cluster;
    QString why;
    QVERIFY2(cluster.start(1, &why), qPrintable(why));
    QTRY_COMPARE_WITH_TIMEOUT(projection(cluster.engine(0), "upsert").value(u"status"_s).toString(), u"running"_s, 10000);
    QVERIFY2(cluster.startOne(&why), qPrintable(why));
    QCOMPARE(projection(cluster.engine(1), "upsert").value(u"status"_s).toString(), u"standby"_s);

    QMutex mutex;
    QList<Accepted> answered;
    std::atomic<bool> stop{false};
    QList<QThread *> writers;
    for (int t = 0; t < 4; ++t) {
        writers.append(QThread::create([&, t] {
            TestHttpClient client = gateway(cluster.engine(1));
            for (int i = 0; !stop; ++i) {
                const QString id = u"k%1-%2"_s.arg(t).arg(i / 2);
                const auto r = i % 2 == 0 ? client.post("/api/products", "{\"id\":\"" + id.toUtf8() + "\",\"name\":\"K\",\"price\":1}")
                                          : client.post("/api/products/" + id.toUtf8(), "{\"price\":" + QByteArray::number(i) + "}");
                if (r.status != 202)
                    continue;
                QMutexLocker lock(&mutex);
                answered.append({id, r.json().value(u"position"_s).toInteger(), r.json().value(u"version"_s).toInteger()});
            }
        }));
        writers.last()->start();
    }
    QThread::msleep(1000);
    ::kill(cluster.engine(0).process().processId(), SIGKILL);
    QVERIFY(cluster.engine(0).process().waitForFinished(10000));
    QElapsedTimer sinceKill;
    sinceKill.start();
    QTRY_COMPARE_WITH_TIMEOUT(projection(cluster.engine(1), "upsert").value(u"status"_s).toString(), u"running"_s, 15000);
    const qint64 takeOverMs = sinceKill.elapsed();
    qInfo("the projection was taken over %lld ms after the owner was killed", takeOverMs);
    QThread::msleep(1000);
    stop = true;
    for (QThread *w : std::as_const(writers)) {
        QVERIFY(w->wait(30000));
        delete w;
    }
    QVERIFY(!answered.isEmpty());

    // Every product as its last acknowledged command left it: none missing, none applied twice
    // (each document's version is its stream's last).
    QHash<QString, Accepted> last;
    qint64 head = 0;
    for (const Accepted &a : std::as_const(answered)) {
        if (a.version > last.value(a.id).version)
            last.insert(a.id, a);
        head = std::max(head, a.position);
    }
    TestHttpClient reader = gateway(cluster.engine(1));
    for (const Accepted &a : std::as_const(last)) {
        const auto r = reader.get("/api/products/" + a.id.toUtf8(), {{"X-Min-Position", QByteArray::number(head)}});
        QVERIFY2(r.status == 200, qPrintable(a.id + u" -> "_s + QString::number(r.status)));
        QCOMPARE(r.header("etag"), "\"" + QByteArray::number(a.version) + "\"");
    }
}

QTEST_GUILESS_MAIN(tst_Cluster)
#include "tst_cluster.moc"
