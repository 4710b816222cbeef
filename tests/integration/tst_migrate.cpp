// `gatehouse migrate --from DATA_DIR --to postgresql://...` with the real binary: an engine's
// SQLite data directory copied into an empty database of the fixture's PostgreSQL; an engine
// started on that database serves the same documents, routes and log (positions, ids, times);
// a target that is not empty, a data directory in use and an unreachable server are refused
// with clear messages and exit codes.

#include "engineprocess.h"
#include "testdatabase.h"
#include "testhttpclient.h"

#include "sql/storagetarget.h"
#include "store/eventstore.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {
constexpr char kAdminKey[] = "migrate-test-admin-key";
const QList<std::pair<QByteArray, QByteArray>> kAdmin = {{"X-API-KEY", kAdminKey}};

struct ToolRun
{
    int exitCode = -1;
    QByteArray err;
};

ToolRun runTool(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(GATEHOUSE_BINARY), args);
    if (!p.waitForFinished(120000))
        return {};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardError()};
}

RecordedEvents wholeLog(const StorageTarget &target)
{
    EventStore store;
    EventStore::Options o;
    o.target = target;
    RecordedEvents all;
    if (!store.open(o))
        return all;
    store.scan(1, [&](const RecordedEvent &e) {
        all.append(e);
        return true;
    });
    return all;
}
} // namespace

class tst_Migrate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void copiesLogConfigurationAndReadModels();
    void refusals();
    void functionDocumentsFromBeforeOriginsSurviveARebuild();
};

void tst_Migrate::copiesLogConfigurationAndReadModels()
{
    QTemporaryDir dir;
    QList<std::pair<QByteArray, QByteArray>> products;   // id, etag
    QByteArray tally;   // a document a function wrote
    {
        EngineProcess engine(dir.path());
        QVERIFY2(engine.start({u"--admin-key"_s, QString::fromLatin1(kAdminKey)}), qPrintable(engine.stderrText()));
        TestHttpClient gateway(u"127.0.0.1"_s, engine.gatewayPort);
        // A function writing a collection its first write declares: its documents are not
        // derived by the rebuild on the target, so they are copied.
        const auto deployed = TestHttpClient(u"127.0.0.1"_s, engine.adminPort).request("PUT", "/admin/functions/tally",
            R"json({"code": "function handle(e, ctx) { ctx.upsert('tallies', e.subject, {last: e.type}); }",
                    "triggers": [{"type": "event", "filter": {"type": {"prefix": "products."}}}]})json", kAdmin);
        QVERIFY2(deployed.status == 201, deployed.body.constData());
        for (int i = 0; i < 30; ++i) {
            const QByteArray id = "m" + QByteArray::number(i);
            QCOMPARE(gateway.post("/api/products", "{\"id\":\"" + id + "\",\"name\":\"M\",\"price\":" + QByteArray::number(i) + "}").status, 202);
            if (i % 3 == 0)
                QCOMPARE(gateway.post("/api/products/" + id, "{\"price\":" + QByteArray::number(i + 100) + "}").status, 202);
        }
        TestHttpClient admin(u"127.0.0.1"_s, engine.adminPort);
        const auto route = admin.request("PUT", "/admin/routes/teapot",
                                         R"json({"uri": "/teapot", "upstream": {"type": "query", "collection": "products"}, "plugins": {"fault-injection": {"abort": {"http_status": 418, "body": "short and stout"}}}})json",
                                         kAdmin);
        QVERIFY2(route.status < 300, route.body.constData());
        for (int i = 0; i < 30; ++i) {
            const QByteArray id = "m" + QByteArray::number(i);
            const auto r = gateway.get("/api/products/" + id, {{"X-Min-Position", "40"}});
            QCOMPARE(r.status, 200);
            products.append({id, r.header("etag")});
        }
        // The collection's routes come with the function's first write, just after it commits.
        QTRY_VERIFY_WITH_TIMEOUT(gateway.get("/api/tallies/m3", {{"X-Min-Position", "40"}}).status == 200, 10000);
        tally = gateway.get("/api/tallies/m3").body;
        QCOMPARE(engine.terminate(), 0);
    }

    QString error;
    const auto url = Test::newPostgresDatabase(&error);
    QVERIFY2(url, qPrintable(error));
    const ToolRun migrated = runTool({u"migrate"_s, u"--from"_s, dir.path(), u"--to"_s, url->redacted()});
    QVERIFY2(migrated.exitCode == 0, migrated.err.constData());
    QVERIFY2(migrated.err.contains("40 events"), migrated.err.constData());

    // The log as it was: every position, id, stream version and commit time.
    const RecordedEvents before = wholeLog(StorageTarget::sqlite(dir.filePath(u"events.db"_s)));
    const RecordedEvents after = wholeLog(StorageTarget::postgresql(*url));
    QCOMPARE(before.size(), 40);
    QCOMPARE(after.size(), before.size());
    for (qsizetype i = 0; i < before.size(); ++i) {
        QCOMPARE(after.at(i).position, before.at(i).position);
        QCOMPARE(after.at(i).id, before.at(i).id);
        QCOMPARE(after.at(i).stream, before.at(i).stream);
        QCOMPARE(after.at(i).version, before.at(i).version);
        QCOMPARE(after.at(i).timeMs, before.at(i).timeMs);
        QCOMPARE(after.at(i).data, before.at(i).data);
    }

    // A second migration into the same database is refused: it is not empty any more.
    const ToolRun again = runTool({u"migrate"_s, u"--from"_s, dir.path(), u"--to"_s, url->redacted()});
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("not empty"), again.err.constData());

    // An engine on the database serves what the data directory served.
    QTemporaryDir other;
    EngineProcess engine(other.path());
    QVERIFY2(engine.start({u"--database"_s, url->redacted(), u"--admin-key"_s, QString::fromLatin1(kAdminKey)}),
             qPrintable(engine.stderrText()));
    TestHttpClient gateway(u"127.0.0.1"_s, engine.gatewayPort);
    for (const auto &[id, etag] : std::as_const(products)) {
        const auto r = gateway.get("/api/products/" + id, {{"X-Min-Position", "40"}});
        QVERIFY2(r.status == 200, r.body.constData());
        QCOMPARE(r.header("etag"), etag);
    }
    QCOMPARE(gateway.get("/teapot").status, 418);
    const auto copied = gateway.get("/api/tallies/m3");
    QVERIFY2(copied.status == 200, copied.body.constData());
    QCOMPARE(copied.body, tally);
    QCOMPARE(gateway.get("/api/tallies").json().value(u"items"_s).toArray().size(), 30);
    // And goes on where the log ended.
    const auto next = gateway.post("/api/products", "{\"id\":\"after\",\"name\":\"A\",\"price\":1}");
    QCOMPARE(next.status, 202);
    QCOMPARE(next.json().value(u"position"_s).toInteger(), 41);
}

void tst_Migrate::functionDocumentsFromBeforeOriginsSurviveARebuild()
{
    // A read model written before documents remembered their writer: a function's document in
    // a declared collection that no event derives is marked as the function's at the next
    // start, so an offline rebuild keeps it; the command's document is derived again.
    QTemporaryDir dir;
    {
        EngineProcess engine(dir.path());
        QVERIFY2(engine.start({u"--admin-key"_s, QString::fromLatin1(kAdminKey)}), qPrintable(engine.stderrText()));
        TestHttpClient admin(u"127.0.0.1"_s, engine.adminPort);
        TestHttpClient gateway(u"127.0.0.1"_s, engine.gatewayPort);
        QCOMPARE(admin.request("PUT", "/admin/collections/notes", R"({"schema":{"type":"object"}})", kAdmin).status, 201);
        auto r = admin.request("PUT", "/admin/functions/w",
                               R"json({"code": "function handle(req, ctx) { ctx.upsert('notes', req.body.id, {by: 'function'}); return {}; }"})json", kAdmin);
        QVERIFY2(r.status == 201, r.body.constData());
        r = admin.request("PUT", "/admin/routes/w", R"({"uri":"/fn/w","methods":["POST"],"upstream":{"type":"function","function":"w"}})", kAdmin);
        QVERIFY2(r.status < 300, r.body.constData());
        QCOMPARE(gateway.post("/api/notes", R"({"id":"cmd","by":"command"})").status, 202);
        QCOMPARE(gateway.post("/fn/w", R"({"id":"fonly"})").status, 200);
        QCOMPARE(gateway.get("/api/notes/cmd", {{"X-Min-Position", "1"}}).status, 200);
        QCOMPARE(engine.terminate(), 0);
    }
    {
        // Back to how that version left it: no origins, nothing marked.
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"old"_s);
        db.setDatabaseName(dir.filePath(u"readmodel.db"_s));
        QVERIFY(db.open());
        QVERIFY(QSqlQuery(db).exec(u"UPDATE rm_notes SET origin = 0"_s));
        db.close();
        db.setDatabaseName(dir.filePath(u"config.db"_s));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(u"DELETE FROM settings WHERE key = 'readmodel_origins_marked'"_s));
        QCOMPARE(q.numRowsAffected(), 1);
        q = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"old"_s);
    }
    const ToolRun rebuilt = runTool({u"rebuild"_s, u"--data-dir"_s, dir.path()});
    QVERIFY2(rebuilt.exitCode == 0, rebuilt.err.constData());
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start({u"--admin-key"_s, QString::fromLatin1(kAdminKey)}), qPrintable(engine.stderrText()));
    TestHttpClient gateway(u"127.0.0.1"_s, engine.gatewayPort);
    const auto fonly = gateway.get("/api/notes/fonly");
    QVERIFY2(fonly.status == 200, fonly.body.constData());
    QCOMPARE(fonly.json().value(u"by"_s).toString(), u"function"_s);
    QCOMPARE(gateway.get("/api/notes/cmd").json().value(u"by"_s).toString(), u"command"_s);
}

void tst_Migrate::refusals()
{
    QTemporaryDir dir;
    QString error;
    const auto url = Test::newPostgresDatabase(&error);
    QVERIFY2(url, qPrintable(error));
    // No log in the directory.
    ToolRun r = runTool({u"migrate"_s, u"--from"_s, dir.path(), u"--to"_s, url->redacted()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("no event log"), r.err.constData());
    // Not a PostgreSQL URL; no arguments.
    r = runTool({u"migrate"_s, u"--from"_s, dir.path(), u"--to"_s, u"mysql://x@y/z"_s});
    QCOMPARE(r.exitCode, 2);
    r = runTool({u"migrate"_s});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("usage"), r.err.constData());

    // A directory an engine is running on.
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
    r = runTool({u"migrate"_s, u"--from"_s, dir.path(), u"--to"_s, url->redacted()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("running engine"), r.err.constData());
    QCOMPARE(engine.terminate(), 0);

    // A server that is not there: a clear message and exit code 3, at once rather than a hang.
    PostgresUrl nowhere = *url;
    nowhere.port = 1;
    r = runTool({u"migrate"_s, u"--from"_s, dir.path(), u"--to"_s, nowhere.redacted()});
    QVERIFY2(r.exitCode == 3, r.err.constData());
    // The engine too.
    QTemporaryDir other;
    EngineProcess down(other.path());
    QVERIFY(!down.start({u"--database"_s, nowhere.redacted()}));
    if (down.process().state() != QProcess::NotRunning)
        QVERIFY(down.process().waitForFinished(30000));
    QCOMPARE(down.process().exitCode(), 3);
    QVERIFY2(down.stderrText().contains(nowhere.redacted()), qPrintable(down.stderrText()));
}

QTEST_GUILESS_MAIN(tst_Migrate)
#include "tst_migrate.moc"
