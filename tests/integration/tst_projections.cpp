// The projection runner and the upsert read model (DESIGN.md "Data flow", "Storage"): a bad
// event stops that projection with the reason while commands carry on, pause() holds the
// position and resume() catches up, rebuild() drops and replays to the same documents,
// documentsChanged() announces every change in batches, the read model is exactly the fold
// of the log after the real binary is SIGKILLed under load and restarted, and the offline
// `gatehouse rebuild` command rebuilds the same read model (and refuses while an engine
// runs). Read models are compared with a fold of the log computed here, field for field,
// _meta included.
#include "testdatabase.h"
#include "api/apirequest.h"
#include "assembly/engine.h"
#include "config/collectioncatalog.h"
#include "engineprocess.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <csignal>
#include <limits>
#include <map>
#include <thread>
#include <vector>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

using Status = ProjectionRunner::Status;
// id -> the document with its _meta, as GET shows it.
using Documents = std::map<QString, QJsonObject>;

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray describe(const TestHttpResponse &r)
{
    return "HTTP " + QByteArray::number(r.status) + ' ' + r.body.left(400);
}

// RFC 7386, written here rather than borrowed from the engine.
QJsonValue mergePatch(const QJsonValue &target, const QJsonValue &patch)
{
    if (!patch.isObject())
        return patch;
    QJsonObject result = target.isObject() ? target.toObject() : QJsonObject();
    const QJsonObject p = patch.toObject();
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (it.value().isNull())
            result.remove(it.key());
        else
            result.insert(it.key(), mergePatch(result.value(it.key()), it.value()));
    }
    return result;
}

// One log event, whether read from the store or from GET /events.
struct LogEvent
{
    qint64 position = 0;
    QString type;
    QString subject;
    qint64 version = 0;
    QJsonValue data;
    QString time;   // ISO 8601 UTC with milliseconds
};

LogEvent fromRecorded(const RecordedEvent &e)
{
    LogEvent l;
    l.position = e.position;
    l.type = e.type;
    l.subject = e.stream.startsWith(u"products-"_s) ? e.stream.mid(9) : e.stream;
    l.version = e.version;
    l.data = QJsonDocument::fromJson("[" + e.data + "]").array().at(0);
    l.time = QDateTime::fromMSecsSinceEpoch(e.timeMs, Qt::UTC).toString(Qt::ISODateWithMs);
    return l;
}

LogEvent fromCloudEvent(const QJsonObject &e)
{
    LogEvent l;
    l.position = e.value(u"position"_s).toInteger();
    l.type = e.value(u"type"_s).toString();
    l.subject = e.value(u"subject"_s).toString();
    l.version = e.value(u"streamversion"_s).toInteger();
    l.data = e.value(u"data"_s);
    l.time = e.value(u"time"_s).toString();
    return l;
}

// The read model the upsert rule gives for `events` (created = the data, updated = merge
// patch, deleted = kept and marked), each document with the _meta GET shows.
Documents fold(const QList<LogEvent> &events, qint64 upTo = std::numeric_limits<qint64>::max())
{
    std::map<QString, QJsonObject> docs;
    std::map<QString, QJsonObject> metas;
    for (const LogEvent &e : events) {
        if (e.position > upTo || !e.type.startsWith(u"products."_s))
            continue;
        const QString verb = e.type.mid(9);
        if (verb == u"created"_s) {
            docs[e.subject] = e.data.toObject();
            metas[e.subject].insert(u"deleted"_s, false);
        } else if (verb == u"updated"_s) {
            docs[e.subject] = mergePatch(docs[e.subject], e.data).toObject();
            if (!metas[e.subject].contains(u"deleted"_s))
                metas[e.subject].insert(u"deleted"_s, false);
        } else if (verb == u"deleted"_s) {
            docs[e.subject];
            metas[e.subject].insert(u"deleted"_s, true);
        } else {
            continue;
        }
        QJsonObject &m = metas[e.subject];
        m.insert(u"version"_s, e.version);
        m.insert(u"position"_s, e.position);
        m.insert(u"updated_at"_s, e.time);
    }
    Documents result;
    for (const auto &[id, doc] : docs) {
        QJsonObject withMeta = doc;
        withMeta.insert(u"_meta"_s, metas[id]);
        result[id] = withMeta;
    }
    return result;
}

// The first difference between two read models, or an empty string.
QString difference(const Documents &actual, const Documents &expected)
{
    for (const auto &[id, doc] : expected) {
        const auto it = actual.find(id);
        if (it == actual.end())
            return u"missing "_s + id + u": expected "_s + QString::fromUtf8(json(doc));
        if (it->second != doc)
            return u"differs "_s + id + u":\n   actual   "_s + QString::fromUtf8(json(it->second)) + u"\n   expected "_s
                + QString::fromUtf8(json(doc));
    }
    for (const auto &[id, doc] : actual) {
        if (!expected.count(id))
            return u"unexpected "_s + id + u": "_s + QString::fromUtf8(json(doc));
    }
    return {};
}

// Every document of the products read model, deleted ones too, straight from readmodel.db.
Documents readModel(const ReadStore &store, const Collection &products, QString *error)
{
    Documents docs;
    QByteArray cursor;
    for (int page = 0; page < 10000; ++page) {
        ApiRequest request;
        request.query = "include_deleted=true&limit=1000" + (cursor.isEmpty() ? QByteArray() : "&cursor=" + cursor);
        ListQuery q;
        if (!ListQuery::parse(request.queryItems(), products, &q, error))
            return {};
        ReadStore::Page p;
        if (!store.list(products.name, q, &p, error))
            return {};
        for (const StoredDocument &d : std::as_const(p.items)) {
            if (d.collection != products.name || docs.count(d.id)) {
                *error = u"bad or repeated document "_s + d.id;
                return {};
            }
            docs[d.id] = QJsonDocument::fromJson(d.toJsonWithMeta()).object();
        }
        if (p.nextCursor.isEmpty())
            break;
        cursor = p.nextCursor;
    }
    return docs;
}

Documents readModelFile(const QString &dataDir, const Collection &products, QString *error)
{
    ReadStore store;
    if (!store.open(StorageTarget::sqlite(QDir(dataDir).filePath(u"readmodel.db"_s)), error))
        return {};
    return readModel(store, products, error);
}

Collection productsCollection()
{
    return *ProjectConfig::embeddedDefault().collection(u"products"_s);
}

// An engine on its own temporary directory behind real listeners on 127.0.0.1.
class TestEngine
{
public:
    bool start(int queryWaitMs = 5000)
    {
        EngineOptions options;
        options.dataDir = dir.path();
        options.database = Test::engineDatabase(dir.path());
        options.durability = EventStore::Durability::Normal;
        options.queryWaitMs = queryWaitMs;
        if (!engine.start(options)) {
            qWarning("engine: %s", qPrintable(engine.errorString()));
            return false;
        }
        QString error;
        if (!listeners.start(&engine, {}, {}, Http::HttpLimits{}, &error)) {
            qWarning("listeners: %s", qPrintable(error));
            return false;
        }
        client = std::make_unique<TestHttpClient>(u"127.0.0.1"_s, listeners.gatewayEndpoint().port);
        return runner() != nullptr;
    }
    ~TestEngine()
    {
        client.reset();
        listeners.close();
        engine.stop();
    }
    ProjectionRunner *runner() const { return engine.projection(u"upsert"_s); }
    qint64 head() const { return engine.eventStore()->headPosition(); }
    bool caughtUp() const { return runner()->position() == head() && runner()->stats().status == Status::Running; }
    // Answers the X-Event-Position of a 202, 0 otherwise.
    qint64 post(const QByteArray &path, const QJsonObject &body)
    {
        const TestHttpResponse r = client->post(path, json(body));
        if (r.status != 202) {
            qWarning("POST %s: %s", path.constData(), describe(r).constData());
            return 0;
        }
        return r.header("x-event-position").toLongLong();
    }
    QList<LogEvent> log() const
    {
        QList<LogEvent> events;
        engine.eventStore()->scan(1, [&](const RecordedEvent &e) {
            events.append(fromRecorded(e));
            return true;
        });
        return events;
    }
    Documents documents(QString *error) const { return readModel(*engine.readStore(), *engine.collections()->collection(u"products"_s), error); }

    QTemporaryDir dir;
    Engine engine;
    Server::Listeners listeners;
    std::unique_ptr<TestHttpClient> client;
};

// Creates, updates and deletes through the command API; answers the last position.
qint64 writeSome(TestEngine &e, const QString &prefix, int creates)
{
    qint64 last = 0;
    for (int i = 0; i < creates; ++i) {
        QJsonObject d{{u"id"_s, QString(prefix + QString::number(i))},
                      {u"name"_s, QString(prefix + u" product "_s + QString::number(i))},
                      {u"price"_s, i * 1.25}, {u"tags"_s, QJsonArray{prefix}}};
        if (i % 2)
            d.insert(u"stock"_s, i);
        last = e.post("/api/products", d);
        if (!last)
            return 0;
    }
    for (int i = 0; i < creates; i += 3) {
        last = e.post("/api/products/" + (prefix + QString::number(i)).toUtf8(),
                      {{u"price"_s, 99.5}, {u"stock"_s, QJsonValue::Null}, {u"description"_s, u"patched"_s}});
        if (!last)
            return 0;
    }
    for (int i = 1; i < creates; i += 7) {
        last = e.post("/api/products/" + (prefix + QString::number(i)) .toUtf8() + "/delete", {});
        if (!last)
            return 0;
    }
    return last;
}

// Runs `gatehouse <args>` to completion; answers the exit code (-1 when it did not exit).
int runTool(const QStringList &args, QString *output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(GATEHOUSE_BINARY), args);
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    *output = QString::fromLocal8Bit(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

QString lastLine(const QString &text)
{
    const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QString() : lines.last().trimmed();
}

bool copyDataDir(const QString &from, const QString &to)
{
    const QDir source(from);
    for (const QString &name : source.entryList(QDir::Files)) {
        if (name == u"gatehouse.lock"_s)
            continue;
        if (!QFile::copy(source.filePath(name), QDir(to).filePath(name)))
            return false;
    }
    return true;
}

// The statuses a runner went through, in order (repeats collapsed), recorded on its thread.
class StatusLog
{
public:
    explicit StatusLog(ProjectionRunner *runner)
    {
        QObject::connect(runner, &ProjectionRunner::statsChanged, &m_context, [this, runner] {
            const Status s = runner->stats().status;
            QMutexLocker lock(&m_mutex);
            if (m_statuses.isEmpty() || m_statuses.last() != s)
                m_statuses.append(s);
        }, Qt::DirectConnection);
    }
    QList<Status> statuses() const
    {
        QMutexLocker lock(&m_mutex);
        return m_statuses;
    }
    void clear()
    {
        QMutexLocker lock(&m_mutex);
        m_statuses.clear();
    }
    // A rebuild went through and the runner is now in `status`.
    bool settledAt(Status status) const
    {
        QMutexLocker lock(&m_mutex);
        return m_statuses.contains(Status::Rebuilding) && m_statuses.last() == status;
    }

private:
    mutable QMutex m_mutex;
    QList<Status> m_statuses;
    QObject m_context;   // last member: disconnects before the rest goes
};
} // namespace

class tst_Projections : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void faultStopsOnlyThatProjection();
    void skipParksTheEventAndRebuildGetsPastIt();
    void pauseHoldsThePositionResumeCatchesUp();
    void rebuildDropsAndReplays();
    void rebuildFoldsInMemoryWithinABudget_data();
    void rebuildFoldsInMemoryWithinABudget();
    void documentsChangedCarriesEveryChangeInBatches();

    void exactlyOnceAcrossACrash();
    void exactlyOnceWhenKilledWhileCatchingUp();

    void rebuildCommandRebuildsOffline();
    void rebuildCommandRefusesWhileAnEngineRuns();
    void rebuildCommandErrors_data();
    void rebuildCommandErrors();
};

void tst_Projections::initTestCase()
{
    // As under CTest: child engines must not fill a stderr pipe nobody reads while a test polls.
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        qputenv("QT_LOGGING_RULES", "*.debug=false");
}

// ---------------------------------------------------------------------------------------------
// the runner

void tst_Projections::faultStopsOnlyThatProjection()
{
    TestEngine e;
    QVERIFY(e.start(300));
    QVERIFY(writeSome(e, u"f"_s, 5) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);

    StatusLog log(e.runner());

    // One commit with a good event followed by one whose data is not JSON.
    AppendRequest bad;
    bad.stream = u"products-x"_s;
    bad.events = {NewEvent{{}, u"products.created"_s, R"({"id":"x","name":"fine","price":1})", {}},
                  NewEvent{{}, u"products.updated"_s, "{oops", {}}};
    const AppendResult appended = e.engine.eventStore()->appendAndWait(bad);
    QVERIFY2(appended.ok(), qPrintable(appended.error));
    const qint64 badPosition = appended.lastPosition;
    const QString badId = e.engine.eventStore()->readAll(badPosition, 1).value(0).id;
    QVERIFY(!badId.isEmpty());

    QTRY_COMPARE_WITH_TIMEOUT(e.runner()->stats().status, Status::Faulted, 10000);
    ProjectionRunner::Stats stats = e.runner()->stats();
    QCOMPARE(stats.faultPosition, badPosition);
    QCOMPARE(stats.faultEventId, badId);
    QVERIFY2(stats.error.contains(u"JSON"_s), qPrintable(stats.error));
    QVERIFY2(stats.error.contains(QString::number(badPosition)), qPrintable(stats.error));
    QCOMPARE(ProjectionRunner::statusName(stats.status), u"faulted"_s);
    // It stopped exactly at the bad event: the good one before it in the same commit is applied.
    QCOMPARE(stats.position, badPosition - 1);
    QCOMPARE(e.engine.readStore()->checkpoint(u"upsert"_s), badPosition - 1);
    TestHttpResponse r = e.client->get("/api/products/x");
    QVERIFY2(r.status == 200, describe(r).constData());
    QCOMPARE(r.json().value(u"name"_s).toString(), u"fine"_s);
    QCOMPARE(r.header("x-read-position").toLongLong(), badPosition - 1);

    // Commands still answer 202 and reach the log; the read model stays where it stopped.
    qint64 accepted = 0;
    for (int i = 0; i < 5; ++i) {
        accepted = e.post("/api/products", {{u"id"_s, QString(u"after-fault-"_s + QString::number(i))}, {u"name"_s, u"n"_s}, {u"price"_s, 1}});
        QVERIFY(accepted > badPosition);
    }
    QCOMPARE(e.head(), accepted);
    r = e.client->get("/api/products/after-fault-0", {{"X-Min-Position", QByteArray::number(accepted)}});
    QCOMPARE(r.status, 504);
    QCOMPARE(r.header("x-read-position").toLongLong(), badPosition - 1);
    stats = e.runner()->stats();
    QCOMPARE(stats.status, Status::Faulted);
    QCOMPARE(stats.position, badPosition - 1);
    QCOMPARE(stats.lagEvents, accepted - badPosition + 1);

    // resume() retries from the checkpoint and stops at the same event again.
    log.clear();
    e.runner()->resume();
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        const QList<Status> seen = log.statuses();
        return seen.size() >= 2 && seen.last() == Status::Faulted;
    }(), 10000);
    QCOMPARE(log.statuses().first(), Status::CatchingUp);
    stats = e.runner()->stats();
    QCOMPARE(stats.faultPosition, badPosition);
    QCOMPARE(stats.faultEventId, badId);
    QCOMPARE(stats.position, badPosition - 1);
    QCOMPARE(e.client->get("/api/products/after-fault-0").status, 404);
}

// A poison pill: an event that an older version stored as the client sent it ("price":1.,
// which Qt reads but SQLite's json_extract refuses). It stopped the projection forever: resume,
// restart and rebuild all stopped at it again. Now the operator skips it (it is parked, with
// the reason, in config.db), the projection goes on, rebuilds leave it out, and releasing it
// brings the old behaviour back.
void tst_Projections::skipParksTheEventAndRebuildGetsPastIt()
{
    TestEngine e;
    QVERIFY(e.start(3000));
    QVERIFY(writeSome(e, u"s"_s, 4) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);
    TestHttpClient admin(u"127.0.0.1"_s, e.listeners.adminEndpoint().port);
    const QList<std::pair<QByteArray, QByteArray>> key{{"X-API-KEY", e.engine.adminKey().toUtf8()}};

    // Skipping needs a fault to skip.
    TestHttpResponse r = admin.post("/admin/projections/upsert/skip", {}, key);
    QVERIFY2(r.status == 409, describe(r).constData());

    AppendRequest bad;
    bad.stream = u"products-poison"_s;
    bad.events = {NewEvent{{}, u"products.created"_s, R"({"id":"poison","name":"a","price":1.})", {}}};
    const AppendResult appended = e.engine.eventStore()->appendAndWait(bad);
    QVERIFY2(appended.ok(), qPrintable(appended.error));
    const qint64 badPosition = appended.lastPosition;
    QTRY_COMPARE_WITH_TIMEOUT(e.runner()->stats().status, Status::Faulted, 10000);
    QCOMPARE(e.runner()->stats().faultPosition, badPosition);

    // GET /events stays valid JSON around the bad event, which travels as data_base64.
    r = e.client->get("/events?from=" + QByteArray::number(badPosition) + "&limit=1");
    QCOMPARE(r.status, 200);
    QJsonParseError parseError;
    const QJsonArray batch = QJsonDocument::fromJson(r.body, &parseError).array();
    QVERIFY2(parseError.error == QJsonParseError::NoError && batch.size() == 1, r.body.constData());
    const QJsonObject ce = batch.first().toObject();
    QCOMPARE(QByteArray::fromBase64(ce.value(u"data_base64"_s).toString().toLatin1()), QByteArray(R"({"id":"poison","name":"a","price":1.})"));
    QVERIFY(!ce.contains(u"data"_s));

    r = admin.post("/admin/projections/upsert/skip", {}, key);
    QVERIFY2(r.status == 202, describe(r).constData());
    const QJsonObject parked = r.json().value(u"parked"_s).toObject();
    QCOMPARE(parked.value(u"position"_s).toInteger(), badPosition);
    QCOMPARE(parked.value(u"type"_s).toString(), u"products.created"_s);
    QVERIFY2(!parked.value(u"error"_s).toString().isEmpty(), r.body.constData());

    // The projection goes on; later commands are readable at their positions.
    const qint64 after = e.post("/api/products", {{u"id"_s, u"after-skip"_s}, {u"name"_s, u"n"_s}, {u"price"_s, 2}});
    QVERIFY(after > badPosition);
    r = e.client->get("/api/products/after-skip", {{"X-Min-Position", QByteArray::number(after)}});
    QVERIFY2(r.status == 200, describe(r).constData());
    // Running once a read of the log finds nothing more (which may come just after the batch).
    QTRY_COMPARE(e.runner()->stats().status, Status::Running);
    QCOMPARE(e.client->get("/api/products/poison").status, 404);

    r = admin.get("/admin/projections/upsert/parked", key);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"total"_s).toInt(), 1);
    QCOMPARE(r.json().value(u"items"_s).toArray().first().toObject().value(u"position"_s).toInteger(), badPosition);
    QCOMPARE(admin.get("/admin/projections/upsert", key).json().value(u"parked_events"_s).toInt(), 1);

    // A rebuild gets past it too, to the fold of the log without the parked event.
    StatusLog log(e.runner());
    r = admin.post("/admin/projections/upsert/rebuild", {}, key);
    QCOMPARE(r.status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(log.settledAt(Status::Running), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);
    QList<LogEvent> events = e.log();
    events.removeIf([&](const LogEvent &l) { return l.position == badPosition; });
    QString error;
    const Documents documents = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString different = difference(documents, fold(events));
    QVERIFY2(different.isEmpty(), qPrintable(different));

    // The offline rebuild leaves it out as well (on a copy: the engine holds the data dir). A
    // database engines share is rebuilt through the admin API instead (below).
    if (!Test::usesPostgres()) {
        QTemporaryDir copy;
        QVERIFY(copyDataDir(e.dir.path(), copy.path()));
        QString output;
        QCOMPARE(runTool({u"rebuild"_s, u"--data-dir"_s, copy.path()}, &output), 0);
        const QString offline = difference(readModelFile(copy.path(), productsCollection(), &error), fold(events));
        QVERIFY2(offline.isEmpty() && error.isEmpty(), qPrintable(offline + error));
    }

    // Released, the event is applied again by the next rebuild, which stops at it.
    r = admin.request("DELETE", "/admin/projections/upsert/parked/" + QByteArray::number(badPosition), {}, key);
    QVERIFY2(r.status == 204, describe(r).constData());
    QCOMPARE(admin.request("DELETE", "/admin/projections/upsert/parked/" + QByteArray::number(badPosition), {}, key).status, 404);
    log.clear();
    QCOMPARE(admin.post("/admin/projections/upsert/rebuild", {}, key).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(e.runner()->stats().status, Status::Faulted, 30000);
    QCOMPARE(e.runner()->stats().faultPosition, badPosition);
}

void tst_Projections::pauseHoldsThePositionResumeCatchesUp()
{
    TestEngine e;
    QVERIFY(e.start());
    QVERIFY(writeSome(e, u"p"_s, 5) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);

    e.runner()->pause();
    QTRY_COMPARE_WITH_TIMEOUT(e.runner()->stats().status, Status::Paused, 10000);
    const qint64 pausedAt = e.runner()->position();
    QCOMPARE(pausedAt, e.head());

    qint64 last = 0;
    for (int i = 0; i < 20; ++i) {
        last = e.post("/api/products", {{u"id"_s, QString(u"paused-"_s + QString::number(i))}, {u"name"_s, u"n"_s}, {u"price"_s, i}});
        QVERIFY(last > 0);
    }
    QCOMPARE(e.head(), pausedAt + 20);
    QTest::qWait(200);   // room for a projection that does not honour the pause to move
    ProjectionRunner::Stats stats = e.runner()->stats();
    QCOMPARE(stats.status, Status::Paused);
    QCOMPARE(stats.position, pausedAt);
    QCOMPARE(stats.lagEvents, qint64(20));
    QCOMPARE(e.engine.readStore()->checkpoint(u"upsert"_s), pausedAt);
    TestHttpResponse r = e.client->get("/api/products/paused-0");
    QCOMPARE(r.status, 404);
    QCOMPARE(r.header("x-read-position").toLongLong(), pausedAt);

    e.runner()->resume();
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);
    QCOMPARE(e.runner()->position(), last);
    for (int i = 0; i < 20; ++i) {
        r = e.client->get("/api/products/paused-" + QByteArray::number(i));
        QVERIFY2(r.status == 200, describe(r).constData());
        QCOMPARE(r.json().value(u"price"_s).toInt(), i);
    }
    QString error;
    const Documents docs = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString diff = difference(docs, fold(e.log()));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    // Live again: new commands are applied without another resume().
    last = e.post("/api/products", {{u"id"_s, u"after-resume"_s}, {u"name"_s, u"n"_s}, {u"price"_s, 1}});
    QVERIFY(last > 0);
    QTRY_COMPARE_WITH_TIMEOUT(e.runner()->position(), last, 10000);
}

void tst_Projections::rebuildDropsAndReplays()
{
    TestEngine e;
    QVERIFY(e.start());
    QVERIFY(writeSome(e, u"r"_s, 40) > 0);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);

    QString error;
    const Documents before = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(before.size(), size_t(40));
    // The live read model is the fold of the log, field for field.
    QString diff = difference(before, fold(e.log()));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    StatusLog log(e.runner());

    // Damage the read model behind the projection's back: a record the log never made and a
    // record that no longer matches it. A rebuild drops both.
    {
        auto tx = e.engine.readStore()->begin();
        QVERIFY(tx);
        StoredDocument stray;
        stray.collection = u"products"_s;
        stray.id = u"stray"_s;
        stray.doc = R"({"id":"stray","name":"not in the log","price":1})";
        stray.version = 0;
        stray.position = 1;
        QVERIFY(tx->put(stray));
        StoredDocument tampered = *tx->get(u"products"_s, u"r3"_s);
        tampered.doc = R"({"id":"r3","name":"tampered","price":0})";
        QVERIFY(tx->put(tampered));
        QVERIFY(tx->commit());
    }
    QCOMPARE(e.client->get("/api/products/stray").status, 200);
    QCOMPARE(e.client->get("/api/products/r3").json().value(u"name"_s).toString(), u"tampered"_s);

    const qint64 headAtRebuild = e.head();
    e.runner()->rebuild();
    QTRY_VERIFY_WITH_TIMEOUT(log.settledAt(Status::Running), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);
    QCOMPARE(log.statuses(), (QList<Status>{Status::Rebuilding, Status::Running}));
    QCOMPARE(e.runner()->stats().rebuildTarget, headAtRebuild);
    QCOMPARE(e.runner()->position(), headAtRebuild);

    const Documents after = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    diff = difference(after, before);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    // Reads through the API see the rebuilt model too (statements prepared before the drop).
    const TestHttpResponse r = e.client->get("/api/products/r3");
    QVERIFY2(r.status == 200, describe(r).constData());
    QCOMPARE(r.json(), before.at(u"r3"_s));
    QCOMPARE(e.client->get("/api/products/stray").status, 404);

    // A rebuild while commands keep arriving ends with every one of them applied.
    e.runner()->rebuild();
    qint64 last = 0;
    for (int i = 0; i < 10; ++i) {
        last = e.post("/api/products", {{u"id"_s, QString(u"during-"_s + QString::number(i))}, {u"name"_s, u"n"_s}, {u"price"_s, i}});
        QVERIFY(last > 0);
    }
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp() && e.runner()->position() == last, 20000);
    const Documents during = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    diff = difference(during, fold(e.log()));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(during.size(), size_t(50));
}

void tst_Projections::rebuildFoldsInMemoryWithinABudget_data()
{
    QTest::addColumn<qint64>("budget");
    QTest::newRow("default budget: written once at the end") << UpsertProjection::kDefaultBulkMemoryBudget;
    QTest::newRow("tiny budget: written and dropped after every batch") << qint64(1);
}

void tst_Projections::rebuildFoldsInMemoryWithinABudget()
{
    // A rebuild keeps records in memory across batches and writes them when its budget is
    // used up: with either budget the result is the fold of the log, and a bad event stops
    // it exactly there, the events before it committed with the checkpoint.
    QFETCH(qint64, budget);
    TestEngine e;
    QVERIFY(e.start());
    constexpr int kEntities = 300;
    constexpr int kRounds = 40;   // 12,000 events: several catch-up batches
    std::atomic<int> pending{0};
    std::atomic<int> failed{0};
    for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kEntities; ++i) {
            AppendRequest request;
            request.stream = u"products-m"_s + QString::number(i);
            QString type = u"products.updated"_s;
            QByteArray data;
            if (round == 0) {
                type = u"products.created"_s;
                data = "{\"id\":\"m" + QByteArray::number(i) + "\",\"name\":\"m\",\"price\":" + QByteArray::number(i)
                    + ".5,\"dims\":{\"w\":1,\"h\":2}}";
            } else if (round == kRounds - 1 && i % 9 == 0) {
                type = u"products.deleted"_s;
            } else if (round % 4 == 0) {
                data = "{\"dims\":{\"h\":null,\"d\":" + QByteArray::number(round) + "},\"tags\":[\"r" + QByteArray::number(round) + "\"]}";
            } else {
                data = "{\"stock\":" + QByteArray::number(round * i) + ",\"price\":" + (round % 3 ? "null" : QByteArray::number(round)) + '}';
            }
            request.events = {NewEvent{{}, type, data, {}}};
            ++pending;
            e.engine.eventStore()->append(std::move(request), [&](const AppendResult &r) {
                if (!r.ok())
                    ++failed;
                --pending;
            });
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(pending.load(), 0, 60000);
    QCOMPARE(failed.load(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 30000);
    QString error;
    const Documents live = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(live.size(), size_t(kEntities));
    QString diff = difference(live, fold(e.log()));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    StatusLog log(e.runner());

    e.engine.upsertProjection()->setBulkMemoryBudget(budget);   // before the queued rebuild() runs
    e.runner()->rebuild();
    QTRY_VERIFY_WITH_TIMEOUT(log.settledAt(Status::Running), 30000);
    QCOMPARE(e.runner()->position(), e.head());
    QCOMPARE(e.engine.readStore()->checkpoint(u"upsert"_s), e.head());
    diff = difference(e.documents(&error), live);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(e.client->get("/api/products?price[gt]=100&limit=1").status, 200);

    // A bad event at the end: the rebuild stops right before it, with what came before it.
    AppendRequest bad;
    bad.stream = u"products-m1"_s;
    bad.events = {NewEvent{{}, u"products.updated"_s, R"({"name":"last good"})", {}},
                  NewEvent{{}, u"products.updated"_s, "{oops", {}}};
    const AppendResult appended = e.engine.eventStore()->appendAndWait(bad);
    QVERIFY2(appended.ok(), qPrintable(appended.error));
    const qint64 badPosition = appended.lastPosition;
    QTRY_COMPARE_WITH_TIMEOUT(e.runner()->stats().status, Status::Faulted, 10000);
    log.clear();
    e.runner()->rebuild();
    QTRY_VERIFY_WITH_TIMEOUT(log.settledAt(Status::Faulted), 30000);
    const ProjectionRunner::Stats stats = e.runner()->stats();
    QCOMPARE(stats.faultPosition, badPosition);
    QCOMPARE(stats.position, badPosition - 1);
    QCOMPARE(e.engine.readStore()->checkpoint(u"upsert"_s), badPosition - 1);
    const Documents stopped = e.documents(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(stopped.at(u"m1"_s).value(u"name"_s).toString(), u"last good"_s);
    diff = difference(stopped, fold(e.log(), badPosition - 1));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void tst_Projections::documentsChangedCarriesEveryChangeInBatches()
{
    TestEngine e;
    QVERIFY(e.start());
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);
    const qint64 start = e.head();

    QMutex mutex;
    QList<QList<StoredDocument>> batches;
    QObject context;
    QObject::connect(e.engine.upsertProjection(), &UpsertProjection::documentsChanged, &context,
                     [&](const QList<StoredDocument> &documents) {
                         QMutexLocker lock(&mutex);
                         batches.append(documents);
                     }, Qt::DirectConnection);

    QVERIFY(writeSome(e, u"d"_s, 20) > 0);
    // Three events of one entity in one commit arrive as one batch.
    AppendRequest multi;
    multi.stream = u"products-multi"_s;
    multi.events = {NewEvent{{}, u"products.created"_s, R"({"id":"multi","name":"m","price":1})", {}},
                    NewEvent{{}, u"products.updated"_s, R"({"price":2})", {}},
                    NewEvent{{}, u"products.updated"_s, R"({"price":3,"stock":7})", {}}};
    const AppendResult appended = e.engine.eventStore()->appendAndWait(multi);
    QVERIFY2(appended.ok(), qPrintable(appended.error));
    // Concurrent writers make group commits of several entities.
    const quint16 port = e.listeners.gatewayEndpoint().port;
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([port, w] {
            TestHttpClient client(u"127.0.0.1"_s, port);
            for (int i = 0; i < 10; ++i)
                client.post("/api/products", "{\"id\":\"w" + QByteArray::number(w) + '-' + QByteArray::number(i)
                                                 + "\",\"name\":\"n\",\"price\":1}");
        });
    }
    for (auto &t : writers)
        t.join();
    QTRY_VERIFY_WITH_TIMEOUT(e.caughtUp(), 10000);

    const QList<LogEvent> log = e.log();
    QList<qint64> positions;
    for (const LogEvent &l : log) {
        if (l.position > start)
            positions.append(l.position);
    }
    QCOMPARE(positions.size(), qsizetype(20 + 7 + 3 + 3 + 40));

    // The last event of every entity changed since `start`.
    std::map<QString, qint64> lastEvent;
    for (const LogEvent &l : log) {
        if (l.position > start)
            lastEvent[l.subject] = l.position;
    }

    QMutexLocker lock(&mutex);
    std::map<QString, qint64> lastAnnounced;
    qint64 previousBatchEnd = start;
    int batchesWithMulti = 0;
    bool multiFinalAnnounced = false;
    for (const QList<StoredDocument> &batch : std::as_const(batches)) {
        QVERIFY(!batch.isEmpty());
        qint64 batchEnd = 0;
        bool hasMulti = false;
        for (const StoredDocument &d : batch) {
            // Batches follow the log: nothing from an earlier batch comes again, and one
            // entity's announcements move forward.
            QVERIFY2(d.position > previousBatchEnd, qPrintable(d.id));
            QVERIFY2(d.position > lastAnnounced[d.id], qPrintable(d.id));
            lastAnnounced[d.id] = d.position;
            batchEnd = qMax(batchEnd, d.position);
            // Each announced document is the record as it was right after its event.
            QCOMPARE(d.collection, u"products"_s);
            const Documents expected = fold(log, d.position);
            const auto it = expected.find(d.id);
            QVERIFY2(it != expected.end(), qPrintable(d.id));
            QCOMPARE(QJsonDocument::fromJson(d.toJsonWithMeta()).object(), it->second);
            if (d.id == u"multi"_s) {
                hasMulti = true;
                multiFinalAnnounced = multiFinalAnnounced || d.position == appended.lastPosition;
            }
        }
        previousBatchEnd = batchEnd;
        batchesWithMulti += hasMulti;
    }
    // Every changed document was announced, last with the state after its last event.
    QString missing;
    for (const auto &[id, position] : lastEvent) {
        const auto it = lastAnnounced.find(id);
        if (it == lastAnnounced.end() || it->second != position)
            missing += id + u" (last event "_s + QString::number(position) + u") "_s;
    }
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    QCOMPARE(lastAnnounced.size(), lastEvent.size());
    // One commit, one batch: the three events of `multi` were announced together.
    QCOMPARE(batchesWithMulti, 1);
    QVERIFY(multiFinalAnnounced);
    QVERIFY2(batches.size() < positions.size(), qPrintable(QString::number(batches.size())));
}

// ---------------------------------------------------------------------------------------------
// the real binary, killed under load

void tst_Projections::exactlyOnceAcrossACrash()
{
    QTemporaryDir dir;
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start(), qPrintable(engine.stderrText()));

    // 8 clients; each creates its own products and keeps setting the stock of three "hot"
    // ones of its own to absolute values it tracks; now and then it deletes one.
    constexpr int kClients = 8;
    QMutex mutex;
    std::map<QString, int> acknowledgedStock;   // hot id -> last stock answered 202
    std::atomic<bool> stop{false};
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    const quint16 port = engine.gatewayPort;
    for (int t = 0; t < kClients; ++t) {
        clients.emplace_back([&, t] {
            TestHttpClient client(u"127.0.0.1"_s, port, 5000);
            for (int h = 0; h < 3; ++h) {
                const QByteArray id = "hot-" + QByteArray::number(t) + '-' + QByteArray::number(h);
                if (client.post("/api/products", "{\"id\":\"" + id + "\",\"name\":\"hot\",\"price\":1,\"stock\":0}").status != 202)
                    return;
                QMutexLocker lock(&mutex);
                acknowledgedStock[QString::fromLatin1(id)] = 0;
            }
            int lastCreated = -1;
            for (int i = 0; !stop; ++i) {
                TestHttpResponse r;
                if (i % 3 == 2) {
                    const QByteArray id = "hot-" + QByteArray::number(t) + '-' + QByteArray::number(i % 9 / 3);
                    r = client.post("/api/products/" + id, "{\"stock\":" + QByteArray::number(i) + '}');
                    if (r.status == 202) {
                        QMutexLocker lock(&mutex);
                        acknowledgedStock[QString::fromLatin1(id)] = i;
                    }
                } else if (i % 10 == 9 && lastCreated >= 0) {
                    r = client.post("/api/products/c-" + QByteArray::number(t) + '-' + QByteArray::number(lastCreated) + "/delete", {});
                } else {
                    lastCreated = i;
                    r = client.post("/api/products", "{\"id\":\"c-" + QByteArray::number(t) + '-' + QByteArray::number(i)
                                                         + "\",\"name\":\"crash " + QByteArray::number(i) + "\",\"price\":"
                                                         + QByteArray::number(i % 50) + ".5,\"tags\":[\"t" + QByteArray::number(t) + "\"]}");
                }
                if (r.status == 0)
                    return;   // the engine is gone
                if (r.status == 202)
                    ++answered;
            }
        });
    }
    auto joinClients = qScopeGuard([&] {
        // Also when the test fails early: no client thread may outlive this function.
        stop = true;
        engine.kill();
        for (auto &c : clients) {
            if (c.joinable())
                c.join();
        }
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered.load() >= 600, 60000);
    ::kill(engine.process().processId(), SIGKILL);
    QVERIFY(engine.process().waitForFinished(10000));
    joinClients.dismiss();
    stop = true;
    for (auto &c : clients)
        c.join();

    // As the crash left them: the read model is the fold of the log up to its checkpoint, no
    // more and no less -- documents and checkpoint committed together.
    {
        QList<LogEvent> logAtCrash;
        EventStore store;
        EventStore::Options options;
        options.target = StorageTarget::sqlite(dir.filePath(u"events.db"_s));
        QVERIFY2(store.open(options), qPrintable(store.errorString()));
        store.scan(1, [&](const RecordedEvent &ev) {
            logAtCrash.append(fromRecorded(ev));
            return true;
        });
        store.close();
        ReadStore readStore;
        QString error;
        QVERIFY2(readStore.open(StorageTarget::sqlite(dir.filePath(u"readmodel.db"_s)), &error), qPrintable(error));
        const qint64 checkpoint = readStore.checkpoint(u"upsert"_s);
        qInfo("killed with %d answers, %lld events in the log, the read model at %lld", answered.load(),
              qint64(logAtCrash.size()), checkpoint);
        QVERIFY(checkpoint > 0);
        QVERIFY(checkpoint <= logAtCrash.size());
        const Documents atCrash = readModel(readStore, productsCollection(), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString diff = difference(atCrash, fold(logAtCrash, checkpoint));
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    // Restart on the same files; the read model catches up from its checkpoint.
    EngineProcess again(dir.path());
    QVERIFY2(again.start(), qPrintable(again.stderrText()));
    TestHttpClient admin(u"127.0.0.1"_s, again.adminPort);
    const TestHttpResponse health = admin.get("/health");
    QCOMPARE(health.status, 200);
    const qint64 head = health.json().value(u"position"_s).toInteger();
    QVERIFY(head >= answered.load());

    TestHttpClient client(u"127.0.0.1"_s, again.gatewayPort, 30000);
    QList<LogEvent> log;
    for (qint64 from = 1; from <= head;) {
        const TestHttpResponse r = client.get("/events?limit=1000&from=" + QByteArray::number(from));
        QVERIFY2(r.status == 200, describe(r).constData());
        const QJsonArray batch = QJsonDocument::fromJson(r.body).array();
        QVERIFY(!batch.isEmpty());
        for (const QJsonValue &v : batch)
            log.append(fromCloudEvent(v.toObject()));
        from = r.header("x-next-from").toLongLong();
    }
    QCOMPARE(log.size(), qsizetype(head));
    for (qsizetype i = 0; i < log.size(); ++i)
        QCOMPARE(log.at(i).position, qint64(i + 1));

    // Every document of the read model at the head, through the query API.
    Documents docs;
    QByteArray cursor;
    for (int page = 0; page < 1000; ++page) {
        QByteArray target = "/api/products?include_deleted=true&limit=500&min_position=" + QByteArray::number(head);
        if (!cursor.isEmpty())
            target += "&cursor=" + cursor;
        const TestHttpResponse r = client.get(target);
        QVERIFY2(r.status == 200, describe(r).constData());
        QVERIFY(r.header("x-read-position").toLongLong() >= head);
        for (const QJsonValue &v : r.json().value(u"items"_s).toArray()) {
            const QString id = v.toObject().value(u"id"_s).toString();
            QVERIFY2(!docs.count(id), qPrintable(id));
            docs[id] = v.toObject();
        }
        if (r.json().value(u"next_cursor"_s).isNull())
            break;
        cursor = r.json().value(u"next_cursor"_s).toString().toUtf8();
    }
    const Documents expected = fold(log);
    QString diff = difference(docs, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    // Each 202 is in the read model: a hot entity's stock is the last acknowledged value or a
    // later one the client never heard about.
    for (const auto &[id, stock] : acknowledgedStock) {
        QVERIFY2(docs.count(id), qPrintable(id));
        QVERIFY2(docs.at(id).value(u"stock"_s).toInt() >= stock, qPrintable(id));
    }
    QCOMPARE(again.terminate(), 0);

    // And an offline rebuild of a copy gives the same read model, field for field.
    QTemporaryDir copy;
    QVERIFY(copyDataDir(dir.path(), copy.path()));
    QString output;
    QCOMPARE(runTool({u"rebuild"_s, u"--data-dir"_s, copy.path()}, &output), 0);
    QString error;
    const Documents live = readModelFile(dir.path(), productsCollection(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const Documents rebuilt = readModelFile(copy.path(), productsCollection(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    diff = difference(rebuilt, live);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    diff = difference(live, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void tst_Projections::exactlyOnceWhenKilledWhileCatchingUp()
{
    // A long log and no read model: the engine catches up in batches. It is killed once the
    // read model is part of the way there, so the crash falls between (or inside) batches.
    QTemporaryDir dir;
    constexpr int kStreams = 1000;   // at most 1000: the check below reads them in one page
    constexpr int kAppends = 3;    // per stream, 50 events each: 150000 events, each batch touching many records
    {
        EventStore store;
        EventStore::Options options;
        options.target = StorageTarget::sqlite(dir.filePath(u"events.db"_s));
        options.durability = EventStore::Durability::Normal;
        QVERIFY2(store.open(options), qPrintable(store.errorString()));
        std::atomic<int> pending{0};
        std::atomic<int> failed{0};
        for (int a = 0; a < kAppends; ++a) {
            for (int s = 0; s < kStreams; ++s) {
                AppendRequest request;
                request.stream = u"products-bulk-"_s + QString::number(s);
                for (int k = 0; k < 50; ++k) {
                    const int n = a * 50 + k;
                    QByteArray data;
                    QString type = u"products.updated"_s;
                    if (n == 0) {
                        type = u"products.created"_s;
                        data = "{\"id\":\"bulk-" + QByteArray::number(s) + "\",\"name\":\"bulk\",\"price\":" + QByteArray::number(s) + '}';
                    } else if (n % 7 == 0) {
                        data = "{\"tags\":[\"t" + QByteArray::number(n % 5) + "\"],\"description\":null}";
                    } else {
                        data = "{\"stock\":" + QByteArray::number(n) + ",\"description\":\"d" + QByteArray::number(n % 3) + "\"}";
                    }
                    request.events.append(NewEvent{{}, type, data, {}});
                }
                if (s % 10 == 9 && a == kAppends - 1)
                    request.events.append(NewEvent{{}, u"products.deleted"_s, {}, {}});
                ++pending;
                store.append(std::move(request), [&](const AppendResult &r) {
                    if (!r.ok())
                        ++failed;
                    --pending;
                });
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(pending.load(), 0, 60000);
        QCOMPARE(failed.load(), 0);
        store.close();
    }
    const qint64 head = qint64(kStreams) * kAppends * 50 + kStreams / 10;

    qint64 seenBehind = 0;
    for (int attempt = 0; attempt < 3 && seenBehind == 0; ++attempt) {
        QFile::remove(dir.filePath(u"readmodel.db"_s));
        QFile::remove(dir.filePath(u"readmodel.db-wal"_s));
        QFile::remove(dir.filePath(u"readmodel.db-shm"_s));
        EngineProcess engine(dir.path());
        QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
        TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort);
        for (int polls = 0; polls < 100000; ++polls) {
            engine.process().waitForReadyRead(0);
            engine.stderrText();   // keep the child's stderr pipe drained
            const TestHttpResponse r = client.get("/api/products?limit=1");
            QVERIFY2(r.status == 200, describe(r).constData());
            const qint64 at = r.header("x-read-position").toLongLong();
            if (at >= head)
                break;   // too late: caught up already; try again
            if (at > 0) {
                seenBehind = at;
                break;
            }
        }
        ::kill(engine.process().processId(), SIGKILL);
        QVERIFY(engine.process().waitForFinished(10000));
    }
    QVERIFY2(seenBehind > 0, "the engine caught up before it could be killed three times");

    QList<LogEvent> log;
    {
        EventStore store;
        EventStore::Options options;
        options.target = StorageTarget::sqlite(dir.filePath(u"events.db"_s));
        QVERIFY(store.open(options));
        store.scan(1, [&](const RecordedEvent &ev) {
            log.append(fromRecorded(ev));
            return true;
        });
    }
    QCOMPARE(log.size(), qsizetype(head));
    {
        ReadStore readStore;
        QString error;
        QVERIFY2(readStore.open(StorageTarget::sqlite(dir.filePath(u"readmodel.db"_s)), &error), qPrintable(error));
        const qint64 checkpoint = readStore.checkpoint(u"upsert"_s);
        qInfo("killed while catching up: seen at %lld, checkpoint %lld of %lld", seenBehind, checkpoint, head);
        QVERIFY(checkpoint >= seenBehind);
        QVERIFY(checkpoint <= head);
        const Documents atCrash = readModel(readStore, productsCollection(), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString diff = difference(atCrash, fold(log, checkpoint));
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    EngineProcess engine(dir.path());
    QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
    TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort, 60000);
    // Catching up on 150,000 events may take longer than one read-your-writes wait (5 s) in a
    // slow build (sanitizers): ask again while the answer is "not there yet".
    TestHttpResponse r;
    for (int attempt = 0; attempt < 60; ++attempt) {
        r = client.get("/api/products?include_deleted=true&limit=1000&min_position=" + QByteArray::number(head));
        if (r.status != 504)
            break;
    }
    QVERIFY2(r.status == 200, describe(r).constData());
    QCOMPARE(r.header("x-read-position").toLongLong(), head);
    Documents docs;
    for (const QJsonValue &v : r.json().value(u"items"_s).toArray())
        docs[v.toObject().value(u"id"_s).toString()] = v.toObject();
    QCOMPARE(docs.size(), size_t(kStreams));
    const QString diff = difference(docs, fold(log));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(engine.terminate(), 0);
}

// ---------------------------------------------------------------------------------------------
// gatehouse rebuild

void tst_Projections::rebuildCommandRebuildsOffline()
{
    QTemporaryDir dir;
    qint64 head = 0;
    {
        EngineProcess engine(dir.path());
        QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
        TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort);
        for (int i = 0; i < 30; ++i) {
            const TestHttpResponse r = client.post("/api/products", "{\"id\":\"cli-" + QByteArray::number(i)
                                                                        + "\",\"name\":\"cli\",\"price\":" + QByteArray::number(i) + '}');
            QCOMPARE(r.status, 202);
        }
        for (int i = 0; i < 30; i += 3)
            QCOMPARE(client.post("/api/products/cli-" + QByteArray::number(i), R"({"stock":5,"tags":["x"]})").status, 202);
        for (int i = 1; i < 30; i += 6)
            QCOMPARE(client.post("/api/products/cli-" + QByteArray::number(i) + "/delete", {}).status, 202);
        head = 30 + 10 + 5;
        const TestHttpResponse r = client.get("/api/products/cli-0", {{"X-Min-Position", QByteArray::number(head)}});
        QVERIFY2(r.status == 200, describe(r).constData());
        QCOMPARE(r.header("x-read-position").toLongLong(), head);
        QCOMPARE(engine.terminate(), 0);
    }
    QString error;
    const Documents live = readModelFile(dir.path(), productsCollection(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(live.size(), size_t(30));

    // Thrown away and rebuilt from the log.
    for (const QString &name : {u"readmodel.db"_s, u"readmodel.db-wal"_s, u"readmodel.db-shm"_s})
        QFile::remove(QDir(dir.path()).filePath(name));
    QVERIFY(!QFile::exists(QDir(dir.path()).filePath(u"readmodel.db"_s)));
    QString output;
    QCOMPARE(runTool({u"rebuild"_s, u"--data-dir"_s, dir.path()}, &output), 0);
    const QString expectedLine = u"rebuilt upsert from "_s + QString::number(head) + u" events"_s;
    QVERIFY2(lastLine(output).contains(expectedLine), qPrintable(output));
    Documents rebuilt = readModelFile(dir.path(), productsCollection(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QString diff = difference(rebuilt, live);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    // Over an existing (damaged) read model, naming the projection.
    {
        ReadStore store;
        QVERIFY(store.open(StorageTarget::sqlite(QDir(dir.path()).filePath(u"readmodel.db"_s)), &error));
        auto tx = store.begin();
        QVERIFY(tx);
        StoredDocument stray;
        stray.collection = u"products"_s;
        stray.id = u"stray"_s;
        stray.doc = R"({"id":"stray","name":"not in the log","price":1})";
        QVERIFY(tx->put(stray));
        QVERIFY(tx->remove(u"products"_s, u"cli-3"_s));
        QVERIFY(tx->commit());
    }
    QCOMPARE(runTool({u"rebuild"_s, u"upsert"_s, u"--data-dir"_s, dir.path()}, &output), 0);
    QVERIFY2(lastLine(output).contains(expectedLine), qPrintable(output));
    rebuilt = readModelFile(dir.path(), productsCollection(), &error);
    diff = difference(rebuilt, live);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    {
        ReadStore store;
        QVERIFY(store.open(StorageTarget::sqlite(QDir(dir.path()).filePath(u"readmodel.db"_s)), &error));
        QCOMPARE(store.checkpoint(u"upsert"_s), head);
    }

    // An engine started on the rebuilt directory serves it and carries on from the head.
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
    TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort);
    const TestHttpResponse created = client.post("/api/products", R"({"id":"cli-new","name":"n","price":1})");
    QCOMPARE(created.status, 202);
    QCOMPARE(created.header("x-event-position").toLongLong(), head + 1);
    TestHttpResponse r = client.get("/api/products/cli-new", {{"X-Min-Position", QByteArray::number(head + 1)}});
    QVERIFY2(r.status == 200, describe(r).constData());
    r = client.get("/api/products/cli-0");
    QCOMPARE(r.json(), live.at(u"cli-0"_s));
    QCOMPARE(engine.terminate(), 0);
}

void tst_Projections::rebuildCommandRefusesWhileAnEngineRuns()
{
    QTemporaryDir dir;
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
    TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort);
    QCOMPARE(client.post("/api/products", R"({"id":"busy-1","name":"n","price":1})").status, 202);
    const TestHttpResponse before = client.get("/api/products/busy-1", {{"X-Min-Position", "1"}});
    QCOMPARE(before.status, 200);

    QString output;
    QCOMPARE(runTool({u"rebuild"_s, u"--data-dir"_s, dir.path()}, &output), 1);
    QVERIFY2(output.contains(u"admin API"_s), qPrintable(output));
    QVERIFY2(!output.contains(u"rebuilt"_s), qPrintable(output));

    // The running engine is untouched and still serves.
    const TestHttpResponse after = client.get("/api/products/busy-1");
    QCOMPARE(after.status, 200);
    QCOMPARE(after.json(), before.json());
    QCOMPARE(client.post("/api/products", R"({"id":"busy-2","name":"n","price":1})").status, 202);
    QCOMPARE(client.get("/api/products/busy-2", {{"X-Min-Position", "2"}}).status, 200);
    QCOMPARE(engine.terminate(), 0);
}

void tst_Projections::rebuildCommandErrors_data()
{
    QTest::addColumn<QStringList>("args");   // "DIR" is replaced by an empty temporary directory
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown projection") << QStringList{u"rebuild"_s, u"frobnicate"_s, u"--data-dir"_s, u"DIR"_s} << 2
                                        << u"unknown projection 'frobnicate'"_s;
    QTest::newRow("no event log") << QStringList{u"rebuild"_s, u"--data-dir"_s, u"DIR"_s} << 1 << u"no event log"_s;
}

void tst_Projections::rebuildCommandErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    QTemporaryDir dir;
    args.replaceInStrings(u"DIR"_s, dir.path());
    QString output;
    QCOMPARE(runTool(args, &output), exitCode);
    QVERIFY2(output.contains(message), qPrintable(output));
    QVERIFY(!QFile::exists(QDir(dir.path()).filePath(u"readmodel.db"_s)));
}

QTEST_GUILESS_MAIN(tst_Projections)

#include "tst_projections.moc"
