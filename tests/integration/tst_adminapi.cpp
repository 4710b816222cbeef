// The admin API (DESIGN.md "Admin API", "Routes") over real sockets: an Engine on a temporary
// data directory behind the real gateway and admin listeners on 127.0.0.1. Every test asserts
// what an operator or a client sees: status codes, problem bodies, the stored resources, the
// configuration version, and the gateway's behaviour right after a change (no restart).
#include "admin/adminapi.h"
#include "assembly/engine.h"
#include "config/configstore.h"
#include "config/jsonschema.h"
#include "gateway/pluginregistry.h"
#include "projections/projectionrunner.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"
#include "testhttprequest.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 15000;
const QByteArray kAdminKey = "adm-test-key-4f9c2e71b3d8a605";

using Headers = QList<std::pair<QByteArray, QByteArray>>;

using Reply = TestHttpReply;

// One request on its own connection ("Connection: close"); `Host` may be overridden through
// `headers`, a body goes as JSON unless `headers` name a type. Blocking; callable from any thread.
Reply httpRequest(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                  const Headers &headers = {})
{
    return testHttpRequest(port, method, target, body, headers, {.timeoutMs = kWaitMs});
}

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject fromJson(const QByteArray &text)
{
    return QJsonDocument::fromJson(text).object();
}

QJsonObject withoutTimes(QJsonObject o)
{
    o.remove(u"create_time"_s);
    o.remove(u"update_time"_s);
    return o;
}

QStringList errorsOf(const Reply &r)
{
    QStringList out;
    for (const QJsonValue &v : r.json().value(u"errors"_s).toArray())
        out.append(v.toString());
    return out;
}

bool anyContains(const QStringList &list, const QString &needle)
{
    return std::any_of(list.cbegin(), list.cend(), [&](const QString &s) { return s.contains(needle); });
}

QSet<QString> idsOf(const QJsonArray &items, const QString &key)
{
    QSet<QString> ids;
    for (const QJsonValue &v : items)
        ids.insert(v.toObject().value(key).toString());
    return ids;
}

// The value of one sample ("name{labels}") in a Prometheus text exposition; -1 when absent.
double metricValue(const QByteArray &exposition, const QByteArray &sample)
{
    for (const QByteArray &line : exposition.split('\n')) {
        if (line.startsWith(QByteArray(sample + ' ')))
            return line.mid(sample.size() + 1).trimmed().toDouble();
    }
    return -1;
}

} // namespace

#define VERIFY_PROBLEM(reply, expectedStatus)                                                              \
    do {                                                                                                   \
        const Reply &r_ = (reply);                                                                         \
        QVERIFY2(r_.status == (expectedStatus), r_.describe().constData());                                \
        QCOMPARE(r_.header("content-type"), QByteArrayLiteral("application/problem+json"));               \
        const QJsonObject p_ = r_.json();                                                                  \
        QVERIFY2(!p_.value(u"type"_s).toString().isEmpty(), r_.body.constData());                         \
        QVERIFY2(!p_.value(u"title"_s).toString().isEmpty(), r_.body.constData());                        \
        QCOMPARE(p_.value(u"status"_s).toInt(), (expectedStatus));                                         \
        QVERIFY2(!p_.value(u"detail"_s).toString().isEmpty(), r_.body.constData());                       \
    } while (false)

#define VERIFY_STATUS(reply, expectedStatus)                                                               \
    do {                                                                                                   \
        const Reply &s_ = (reply);                                                                         \
        QVERIFY2(s_.status == (expectedStatus), s_.describe().constData());                                \
    } while (false)

class tst_AdminApi : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    void keysEqual_data();
    void keysEqual();
    void keyIsRequired_data();
    void keyIsRequired();
    void healthAndMetricsNeedNoKey();
    void indexAndUnknownPaths();

    void crud_data();
    void crud();
    void postGeneratesAnId_data();
    void postGeneratesAnId();
    void validation_data();
    void validation();
    void invalidPatchChangesNothing();
    void patchResultIsValidatedWhole_data();
    void patchResultIsValidatedWhole();
    void deletingAnUpstreamInUseIsRefused();
    void acceptedShapes_data();
    void acceptedShapes();
    void pluginsListIsNoAuthBypass();
    void schemasAreServed();

    void keyAuthTakesEffectAtOnce();
    void disabledRouteAnswers404();
    void newRouteToTheEventsUpstream();
    void varsAndHostsRoutes();
    void namedUpstreamAndGlobalRule();

    void pluginsAreDescribed();
    void collectionsShowSchemaAndCounts();
    void projectionsPauseResumeRebuild();
    void projectionErrors();
    void metricsExposition();

    void hotReloadUnderLoad();

    void configImportRefusals_data();
    void configImportRefusals();
    void explicitlyEmptyConfiguration();
    void storedConfigurationFailsClosed();
    void brokenGlobalRuleFailsEveryRequest();

    void resourcesSurviveARestart();
    void defaultRoutesAreSeededOnce();
    void apisixExportChecksTheEngineAddress();

private:
    void startEngine();
    void restartEngine();
    Reply admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {}) const
    {
        return httpRequest(m_adminPort, method, path, body, {{"X-API-KEY", kAdminKey}});
    }
    Reply admin(const QByteArray &method, const QByteArray &path, const QJsonObject &body) const
    {
        return admin(method, path, toJson(body));
    }
    Reply gateway(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                  const Headers &headers = {}) const
    {
        return httpRequest(m_port, method, target, body, headers);
    }
    qint64 configVersion() const { return admin("GET", "/admin/config").json().value(u"config_version"_s).toInteger(-1); }
    // POSTs a product and answers the event position (0 on failure, with a warning).
    qint64 createProduct(const QString &id);
    // Waits until the read model has applied `position` (X-Min-Position on a query).
    bool readModelReached(qint64 position) const;
    qint64 head() const { return m_engine.eventStore()->headPosition(); }
    QJsonObject projectionStats() const { return admin("GET", "/admin/projections/upsert").json(); }

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
    QJsonObject m_productsGet;   // the default route as first stored
};

void tst_AdminApi::startEngine()
{
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    options.adminKey = QString::fromLatin1(kAdminKey);
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Server::Listeners::Endpoint any;
    any.address = QHostAddress::LocalHost;
    any.port = 0;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;
    m_adminPort = m_listeners.adminEndpoint().port;
    QVERIFY(m_port != 0 && m_adminPort != 0);
}

void tst_AdminApi::restartEngine()
{
    m_listeners.close();
    m_engine.stop();
    QVERIFY(!m_engine.isRunning());
    startEngine();
}

void tst_AdminApi::initTestCase()
{
    QVERIFY(m_dir.isValid());
    startEngine();
    m_productsGet = withoutTimes(admin("GET", "/admin/routes/products-get").json());
    QCOMPARE(m_productsGet.value(u"uri"_s).toString(), u"/api/products/:id"_s);
}

void tst_AdminApi::cleanup()
{
    // Tests change products-get and undo it at their end; when one fails half-way, undo it
    // here so the failure does not spread to the tests after it.
    const QJsonObject now = withoutTimes(admin("GET", "/admin/routes/products-get").json());
    if (now.value(u"plugins"_s) != m_productsGet.value(u"plugins"_s) || now.value(u"status"_s) != m_productsGet.value(u"status"_s)
        || now.value(u"uri"_s) != m_productsGet.value(u"uri"_s))
        admin("PUT", "/admin/routes/products-get", m_productsGet);
    admin("DELETE", "/admin/consumers/ka-user");
    if (admin("GET", "/admin/routes/events").json().value(u"status"_s).toInt(1) != 1)
        admin("PATCH", "/admin/routes/events", R"({"status":1})");
}

void tst_AdminApi::cleanupTestCase()
{
    m_listeners.close();
    m_engine.stop();
}

qint64 tst_AdminApi::createProduct(const QString &id)
{
    const QJsonObject doc{{u"id"_s, id}, {u"name"_s, QString(u"Product "_s + id)}, {u"price"_s, 5}};
    const Reply r = gateway("POST", "/api/products", toJson(doc));
    if (r.status != 202) {
        qWarning("creating %s failed: %s", qPrintable(id), r.describe().constData());
        return 0;
    }
    return r.header("x-event-position").toLongLong();
}

bool tst_AdminApi::readModelReached(qint64 position) const
{
    // Any query route will do; products-get answers 404 for a missing id after the wait.
    const Reply r = gateway("GET", "/api/products/read-model-probe", {}, {{"X-Min-Position", QByteArray::number(position)}});
    if ((r.status != 200 && r.status != 404) || r.header("x-read-position").toLongLong() < position) {
        qWarning("read model did not reach %lld: %s", static_cast<long long>(position), r.describe().constData());
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// the key

void tst_AdminApi::keysEqual_data()
{
    QTest::addColumn<QByteArray>("given");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<bool>("equal");
    QTest::newRow("same") << QByteArray("s3cret-key") << QByteArray("s3cret-key") << true;
    QTest::newRow("last byte differs") << QByteArray("s3cret-kez") << QByteArray("s3cret-key") << false;
    QTest::newRow("first byte differs") << QByteArray("t3cret-key") << QByteArray("s3cret-key") << false;
    QTest::newRow("prefix") << QByteArray("s3cret-ke") << QByteArray("s3cret-key") << false;
    QTest::newRow("longer") << QByteArray("s3cret-key2") << QByteArray("s3cret-key") << false;
    QTest::newRow("empty given") << QByteArray() << QByteArray("s3cret-key") << false;
    QTest::newRow("both empty") << QByteArray() << QByteArray() << false;   // no key configured: nothing passes
    QTest::newRow("case differs") << QByteArray("S3CRET-KEY") << QByteArray("s3cret-key") << false;
    QTest::newRow("trailing NUL") << QByteArray("s3cret-key\0", 11) << QByteArray("s3cret-key") << false;
}

void tst_AdminApi::keysEqual()
{
    QFETCH(QByteArray, given);
    QFETCH(QByteArray, expected);
    QFETCH(bool, equal);
    QCOMPARE(Admin::AdminApi::keysEqual(given, expected), equal);
}

void tst_AdminApi::keyIsRequired_data()
{
    QTest::addColumn<Headers>("headers");
    QByteArray sameLength = kAdminKey;
    sameLength[sameLength.size() - 1] = sameLength.back() == 'a' ? 'b' : 'a';
    QTest::newRow("missing") << Headers{};
    QTest::newRow("empty") << Headers{{"X-API-KEY", ""}};
    QTest::newRow("wrong") << Headers{{"X-API-KEY", "not-the-key"}};
    QTest::newRow("one byte off") << Headers{{"X-API-KEY", sameLength}};
    QTest::newRow("prefix") << Headers{{"X-API-KEY", kAdminKey.left(kAdminKey.size() - 1)}};
    QTest::newRow("longer") << Headers{{"X-API-KEY", kAdminKey + "x"}};
    QTest::newRow("as bearer token") << Headers{{"Authorization", "Bearer " + kAdminKey}};
    QTest::newRow("other header name") << Headers{{"apikey", kAdminKey}};
}

void tst_AdminApi::keyIsRequired()
{
    QFETCH(Headers, headers);
    const qint64 before = configVersion();
    for (const QByteArray &path : {QByteArray("/admin/routes"), QByteArray("/admin/config"), QByteArray("/admin/plugins"),
                                   QByteArray("/admin/routes/products-get")}) {
        const Reply r = httpRequest(m_adminPort, "GET", path, {}, headers);
        VERIFY_PROBLEM(r, 401);
        QCOMPARE(r.header("www-authenticate"), QByteArrayLiteral("X-API-KEY"));
        QVERIFY2(!r.body.contains("/api/products") && !r.body.contains("\"items\""), r.body.constData());   // nothing leaks
    }
    // Writes are refused before anything is looked at.
    const Reply del = httpRequest(m_adminPort, "DELETE", "/admin/routes/products-get", {}, headers);
    VERIFY_PROBLEM(del, 401);
    const Reply put = httpRequest(m_adminPort, "PUT", "/admin/routes/intruder",
                                  R"({"uri":"/intruder","upstream":{"type":"events"}})", headers);
    VERIFY_PROBLEM(put, 401);
    QCOMPARE(configVersion(), before);
    VERIFY_STATUS(admin("GET", "/admin/routes/products-get"), 200);
    VERIFY_PROBLEM(admin("GET", "/admin/routes/intruder"), 404);

    // The right key, in any header-name case, passes.
    VERIFY_STATUS(httpRequest(m_adminPort, "GET", "/admin/routes", {}, {{"x-api-key", kAdminKey}}), 200);
}

void tst_AdminApi::healthAndMetricsNeedNoKey()
{
    const Reply health = httpRequest(m_adminPort, "GET", "/health");
    VERIFY_STATUS(health, 200);
    QCOMPARE(health.json().value(u"status"_s).toString(), u"ready"_s);
    QCOMPARE(health.json().value(u"position"_s).toInteger(), head());

    const Reply metrics = httpRequest(m_adminPort, "GET", "/metrics");
    VERIFY_STATUS(metrics, 200);
    QVERIFY2(metrics.header("content-type").startsWith("text/plain; version=0.0.4"), metrics.header("content-type").constData());
    QVERIFY(metrics.body.contains("# TYPE gatehouse_config_version gauge"));

    // A wrong key does not stand in the way either.
    VERIFY_STATUS(httpRequest(m_adminPort, "GET", "/health", {}, {{"X-API-KEY", "wrong"}}), 200);
    VERIFY_STATUS(httpRequest(m_adminPort, "GET", "/metrics", {}, {{"X-API-KEY", "wrong"}}), 200);
}

void tst_AdminApi::indexAndUnknownPaths()
{
    const Reply index = admin("GET", "/admin/config");
    VERIFY_STATUS(index, 200);
    QVERIFY(index.json().value(u"config_version"_s).toInteger() >= 1);   // the default routes were stored
    const QJsonArray resources = index.json().value(u"resources"_s).toArray();
    for (const QString &kind : {u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s, u"plugins"_s,
                                u"projections"_s, u"collections"_s})
        QVERIFY2(resources.contains(kind), qPrintable(kind));
    QCOMPARE(admin("GET", "/admin").json().value(u"config_version"_s), index.json().value(u"config_version"_s));

    const Reply postConfig = admin("POST", "/admin/config", "{}");
    VERIFY_PROBLEM(postConfig, 405);
    QCOMPARE(postConfig.header("allow"), QByteArrayLiteral("GET, PUT"));   // PUT imports a whole configuration
    const Reply postIndex = admin("POST", "/admin", "{}");
    VERIFY_PROBLEM(postIndex, 405);
    QCOMPARE(postIndex.header("allow"), QByteArrayLiteral("GET"));
    VERIFY_PROBLEM(admin("GET", "/admin/nothing-here"), 404);
    VERIFY_PROBLEM(admin("GET", "/admin/routes/products-get/deeper"), 404);
    VERIFY_PROBLEM(admin("GET", "/not-admin"), 404);

    const Reply putList = admin("PUT", "/admin/routes", "{}");
    VERIFY_PROBLEM(putList, 405);
    QCOMPARE(putList.header("allow"), QByteArrayLiteral("GET, POST"));
    const Reply postOne = admin("POST", "/admin/routes/products-get", "{}");
    VERIFY_PROBLEM(postOne, 405);
    QVERIFY(postOne.header("allow").contains("PUT"));
}

// ---------------------------------------------------------------------------------------------
// create, replace, patch, delete

void tst_AdminApi::crud_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("idKey");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QJsonObject>("created");
    QTest::addColumn<QJsonObject>("replacement");
    QTest::addColumn<QJsonObject>("patch");
    QTest::addColumn<QJsonObject>("afterPatch");      // fields that must hold after the patch
    QTest::addColumn<QStringList>("goneAfterPatch");  // fields the patch removed (null)

    const auto obj = [](const char *text) { return fromJson(QByteArray(text)); };

    QTest::newRow("routes") << u"routes"_s << u"id"_s << u"crud-route"_s
        << obj(R"({"uri":"/crud/one","methods":["GET"],"name":"first","upstream":{"type":"events"}})")
        << obj(R"({"uri":"/crud/two","methods":["GET","HEAD"],"desc":"second","upstream":{"type":"query","collection":"products"}})")
        << obj(R"({"desc":null,"priority":3,"plugins":{"request-id":{"header_name":"X-Crud"}}})")
        << obj(R"({"uri":"/crud/two","methods":["GET","HEAD"],"priority":3,"upstream":{"type":"query","collection":"products"},
                   "plugins":{"request-id":{"header_name":"X-Crud"}}})")
        << QStringList{u"desc"_s, u"name"_s};
    QTest::newRow("upstreams") << u"upstreams"_s << u"id"_s << u"crud-upstream"_s
        << obj(R"({"type":"events","name":"the log"})")
        << obj(R"({"type":"query","collection":"products","desc":"reads"})")
        << obj(R"({"desc":null,"name":"renamed"})")
        << obj(R"({"type":"query","collection":"products","name":"renamed"})")
        << QStringList{u"desc"_s};
    QTest::newRow("consumers") << u"consumers"_s << u"username"_s << u"crud-user"_s
        << obj(R"({"desc":"first","plugins":{"key-auth":{"key":"crud-key-1"}}})")
        << obj(R"({"plugins":{"key-auth":{"key":"crud-key-2"}}})")
        << obj(R"({"desc":"patched","plugins":{"key-auth":{"key":"crud-key-3"}}})")
        << obj(R"({"desc":"patched","plugins":{"key-auth":{"key":"crud-key-3"}}})")
        << QStringList{};
    QTest::newRow("global_rules") << u"global_rules"_s << u"id"_s << u"crud-rule"_s
        << obj(R"({"plugins":{"request-id":{"header_name":"X-Crud-One"}}})")
        << obj(R"({"desc":"second","plugins":{"request-id":{"header_name":"X-Crud-Two"}}})")
        << obj(R"({"desc":null,"plugins":{"request-id":{"header_name":"X-Crud-Three"}}})")
        << obj(R"({"plugins":{"request-id":{"header_name":"X-Crud-Three"}}})")
        << QStringList{u"desc"_s};
}

void tst_AdminApi::crud()
{
    QFETCH(QString, kind);
    QFETCH(QString, idKey);
    QFETCH(QString, id);
    QFETCH(QJsonObject, created);
    QFETCH(QJsonObject, replacement);
    QFETCH(QJsonObject, patch);
    QFETCH(QJsonObject, afterPatch);
    QFETCH(QStringList, goneAfterPatch);
    const QByteArray collection = "/admin/" + kind.toUtf8();
    const QByteArray one = collection + '/' + id.toUtf8();

    // The list: {"total","items"}.
    const qint64 v0 = configVersion();
    QVERIFY(v0 >= 1);
    const Reply listBefore = admin("GET", collection);
    VERIFY_STATUS(listBefore, 200);
    QCOMPARE(listBefore.header("content-type"), QByteArrayLiteral("application/json"));
    const QJsonArray itemsBefore = listBefore.json().value(u"items"_s).toArray();
    QCOMPARE(listBefore.json().value(u"total"_s).toInteger(), qint64(itemsBefore.size()));
    QVERIFY(!idsOf(itemsBefore, idKey).contains(id));
    VERIFY_PROBLEM(admin("GET", one), 404);

    // PUT creates: 201 with the id and both times.
    const Reply put = admin("PUT", one, created);
    VERIFY_STATUS(put, 201);
    const QJsonObject stored = put.json();
    QCOMPARE(stored.value(idKey).toString(), id);
    for (auto it = created.begin(); it != created.end(); ++it)
        QCOMPARE(stored.value(it.key()), it.value());
    QVERIFY(stored.value(u"create_time"_s).isDouble());
    const qint64 createTime = stored.value(u"create_time"_s).toInteger();
    QVERIFY(createTime > 1'600'000'000);
    QVERIFY(stored.value(u"update_time"_s).toInteger() >= createTime);
    QCOMPARE(configVersion(), v0 + 1);

    const Reply listAfter = admin("GET", collection);
    QCOMPARE(listAfter.json().value(u"total"_s).toInteger(), qint64(itemsBefore.size() + 1));
    QVERIFY(idsOf(listAfter.json().value(u"items"_s).toArray(), idKey).contains(id));
    const Reply got = admin("GET", one);
    VERIFY_STATUS(got, 200);
    QCOMPARE(got.json(), stored);

    // PUT replaces: 200, fields of the old version are gone, create_time stays (even when the
    // client sends one), update_time is set.
    QJsonObject replacing = replacement;
    replacing.insert(u"create_time"_s, 12345);
    const Reply replaced = admin("PUT", one, replacing);
    VERIFY_STATUS(replaced, 200);
    const QJsonObject r = replaced.json();
    QCOMPARE(r.value(idKey).toString(), id);
    for (auto it = replacement.begin(); it != replacement.end(); ++it)
        QCOMPARE(r.value(it.key()), it.value());
    for (auto it = created.begin(); it != created.end(); ++it) {
        if (!replacement.contains(it.key()) && it.key() != u"plugins"_s)
            QVERIFY2(!r.contains(it.key()), qPrintable(it.key()));
    }
    QCOMPARE(r.value(u"create_time"_s).toInteger(), createTime);
    QVERIFY(r.value(u"update_time"_s).toInteger() >= stored.value(u"update_time"_s).toInteger());
    QCOMPARE(configVersion(), v0 + 2);
    QCOMPARE(admin("GET", one).json(), r);

    // POST with an id that exists: 409, nothing changes.
    QJsonObject again = created;
    again.insert(idKey, id);
    const Reply conflict = admin("POST", collection, again);
    VERIFY_PROBLEM(conflict, 409);
    QCOMPARE(configVersion(), v0 + 2);
    QCOMPARE(admin("GET", one).json(), r);

    // PATCH merges (RFC 7386): objects merge member by member, null removes.
    const Reply patched = admin("PATCH", one, patch);
    VERIFY_STATUS(patched, 200);
    const QJsonObject p = patched.json();
    for (auto it = afterPatch.begin(); it != afterPatch.end(); ++it)
        QCOMPARE(p.value(it.key()), it.value());
    for (const QString &gone : std::as_const(goneAfterPatch))
        QVERIFY2(!p.contains(gone), qPrintable(gone));
    QCOMPARE(p.value(idKey).toString(), id);
    QCOMPARE(p.value(u"create_time"_s).toInteger(), createTime);
    QCOMPARE(configVersion(), v0 + 3);
    QCOMPARE(admin("GET", one).json(), p);

    // DELETE: 204 without a body, then 404; deleting again and patching are 404 and change nothing.
    const Reply deleted = admin("DELETE", one);
    VERIFY_STATUS(deleted, 204);
    QVERIFY(deleted.body.isEmpty());
    QCOMPARE(configVersion(), v0 + 4);
    VERIFY_PROBLEM(admin("GET", one), 404);
    VERIFY_PROBLEM(admin("DELETE", one), 404);
    VERIFY_PROBLEM(admin("PATCH", one, patch), 404);
    QCOMPARE(configVersion(), v0 + 4);
    QCOMPARE(admin("GET", collection).json().value(u"total"_s).toInteger(), qint64(itemsBefore.size()));
}

void tst_AdminApi::postGeneratesAnId_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("routes") << u"routes"_s << QByteArray(R"({"uri":"/generated","upstream":{"type":"events"}})");
    QTest::newRow("upstreams") << u"upstreams"_s << QByteArray(R"({"type":"events"})");
    QTest::newRow("global_rules") << u"global_rules"_s << QByteArray(R"({"plugins":{}})");
}

void tst_AdminApi::postGeneratesAnId()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, body);
    const QByteArray collection = "/admin/" + kind.toUtf8();
    const qint64 v0 = configVersion();
    const Reply first = admin("POST", collection, body);
    VERIFY_STATUS(first, 201);
    const QString id = first.json().value(u"id"_s).toString();
    QVERIFY2(QRegularExpression(u"^[A-Za-z0-9._-]{1,64}$"_s).match(id).hasMatch(), qPrintable(id));
    QVERIFY(first.json().contains(u"create_time"_s));
    QCOMPARE(configVersion(), v0 + 1);
    const Reply got = admin("GET", collection + '/' + id.toUtf8());
    VERIFY_STATUS(got, 200);
    QCOMPARE(got.json(), first.json());

    // Each POST makes a new one.
    const Reply second = admin("POST", collection, body);
    VERIFY_STATUS(second, 201);
    QVERIFY(second.json().value(u"id"_s).toString() != id);
    QCOMPARE(configVersion(), v0 + 2);

    VERIFY_STATUS(admin("DELETE", collection + '/' + id.toUtf8()), 204);
    VERIFY_STATUS(admin("DELETE", collection + '/' + second.json().value(u"id"_s).toString().toUtf8()), 204);
    QCOMPARE(configVersion(), v0 + 4);
}

// ---------------------------------------------------------------------------------------------
// validation

void tst_AdminApi::validation_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("errors");   // each must appear in some entry of "errors"
    QTest::addColumn<QString>("detail");       // must appear in "detail"

    const QByteArray events = R"("upstream":{"type":"events"})";
    QTest::newRow("unknown plugin") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v",)" + events + R"(,"plugins":{"no-such-plugin":{}}})")
        << QStringList{u"/plugins/no-such-plugin: unknown plugin (known: "_s} << QString();
    QTest::newRow("bad plugin field") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v",)" + events + R"(,"plugins":{"key-auth":{"header":5}}})")
        << QStringList{u"/plugins/key-auth/header: "_s} << QString();
    QTest::newRow("plugin field not in the schema") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v",)" + events + R"(,"plugins":{"request-id":{"header":"X"}}})")
        << QStringList{u"/plugins/request-id/header: "_s} << QString();
    QTest::newRow("plugin config not an object") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v",)" + events + R"(,"plugins":{"key-auth":true}})")
        << QStringList{u"/plugins/key-auth: must be an object"_s} << QString();
    QTest::newRow("uri without slash") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"v",)" + events + '}') << QStringList{u"/uri: must start with /"_s} << QString();
    QTest::newRow("uri missing") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray('{' + events + '}') << QStringList{u"/uri: "_s} << QString();
    QTest::newRow("wildcard in the middle") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/a/*/b",)" + events + '}') << QStringList{u"/uri: * is only allowed at the end"_s} << QString();
    QTest::newRow("unknown method") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","methods":["GET","FETCH"],)" + events + '}')
        << QStringList{u"/methods/1: must be one of: GET, POST"_s} << QString();
    QTest::newRow("methods not an array") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","methods":"GET",)" + events + '}') << QStringList{u"/methods: must be an array"_s} << QString();
    QTest::newRow("unknown upstream type") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","upstream":{"type":"ftp"}})") << QStringList{u"/upstream/type: must be one of"_s} << QString();
    QTest::newRow("query upstream without collection") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","upstream":{"type":"query"}})") << QStringList{u"/upstream/collection: is required"_s} << QString();
    QTest::newRow("http upstream without nodes") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","upstream":{"type":"http"}})") << QStringList{u"/upstream/nodes: "_s} << QString();
    QTest::newRow("upstream and upstream_id") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","upstream_id":"x",)" + events + '}') << QStringList{u"/upstream_id: give either upstream or upstream_id, not both"_s} << QString();
    QTest::newRow("upstream_id pointing nowhere") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","upstream_id":"nowhere"})") << QStringList{u"/upstream_id: no upstream 'nowhere'"_s} << QString();
    QTest::newRow("bad vars") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v","vars":[["arg_x","=!","1"]],)" + events + '}') << QStringList{u"/vars/0/1: must be one of: ==,"_s} << QString();
    QTest::newRow("several errors at once") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"v","methods":["FETCH"],"upstream":{"type":"ftp"},"plugins":{"nope":{}}})")
        << QStringList{u"/uri: "_s, u"/methods/0: "_s, u"/upstream/type: "_s, u"/plugins/nope: "_s} << QString();
    QTest::newRow("route id in the body differs") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"id":"other","uri":"/v",)" + events + '}') << QStringList{u"/id: 'other' differs"_s} << QString();
    QTest::newRow("unknown upstream type (named)") << QByteArray("PUT") << QByteArray("/admin/upstreams/v-upstream")
        << QByteArray(R"({"type":"ftp"})") << QStringList{u"/type: must be one of"_s} << QString();
    QTest::newRow("command upstream without collection (named)") << QByteArray("POST") << QByteArray("/admin/upstreams")
        << QByteArray(R"({"id":"v-upstream","type":"command"})") << QStringList{u"/collection: is required"_s} << QString();
    QTest::newRow("consumer with a non-credential plugin") << QByteArray("PUT") << QByteArray("/admin/consumers/v-user")
        << QByteArray(R"({"plugins":{"limit-count":{"count":1,"time_window":1}}})")
        << QStringList{u"/plugins/limit-count: not a credential plugin"_s} << QString();
    QTest::newRow("consumer with an unknown plugin") << QByteArray("PUT") << QByteArray("/admin/consumers/v-user")
        << QByteArray(R"({"plugins":{"magic-auth":{"key":"k"}}})") << QStringList{u"/plugins/magic-auth: not a credential plugin"_s}
        << QString();
    QTest::newRow("consumer key-auth without key") << QByteArray("PUT") << QByteArray("/admin/consumers/v-user")
        << QByteArray(R"({"plugins":{"key-auth":{}}})") << QStringList{u"/plugins/key-auth/key: "_s} << QString();
    QTest::newRow("consumer POST without username") << QByteArray("POST") << QByteArray("/admin/consumers")
        << QByteArray(R"({"plugins":{"key-auth":{"key":"v-key"}}})") << QStringList{u"/username: "_s} << QString();
    QTest::newRow("global rule with an unknown plugin") << QByteArray("PUT") << QByteArray("/admin/global_rules/v-rule")
        << QByteArray(R"({"plugins":{"nope":{}}})") << QStringList{u"/plugins/nope: unknown plugin"_s} << QString();
    QTest::newRow("malformed JSON") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"({"uri":"/v",)") << QStringList{} << u"malformed JSON"_s;
    QTest::newRow("empty body") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray() << QStringList{} << u"malformed JSON"_s;
    QTest::newRow("array body") << QByteArray("PUT") << QByteArray("/admin/routes/v-route")
        << QByteArray(R"([{"uri":"/v"}])") << QStringList{} << u"must be a JSON object"_s;
    QTest::newRow("empty array body (POST)") << QByteArray("POST") << QByteArray("/admin/routes")
        << QByteArray("[]") << QStringList{} << u"must be a JSON object"_s;
    QTest::newRow("malformed JSON (PATCH)") << QByteArray("PATCH") << QByteArray("/admin/routes/products-get")
        << QByteArray(R"({"status":)") << QStringList{} << u"malformed JSON"_s;
    QTest::newRow("bad id characters") << QByteArray("PUT") << QByteArray("/admin/routes/bad$id")
        << QByteArray(R"({"uri":"/v",)" + events + '}') << QStringList{u"/id: must be 1-64 of"_s} << QString();
    QTest::newRow("space in the id") << QByteArray("PUT") << QByteArray("/admin/routes/bad%20id")
        << QByteArray(R"({"uri":"/v",)" + events + '}') << QStringList{u"/id: must be 1-64 of"_s} << QString();
    QTest::newRow("id too long") << QByteArray("PUT") << QByteArray("/admin/routes/" + QByteArray(65, 'a'))
        << QByteArray(R"({"uri":"/v",)" + events + '}') << QStringList{u"/id: must be 1-64 of"_s} << QString();
    QTest::newRow("bad id in a POST body") << QByteArray("POST") << QByteArray("/admin/upstreams")
        << QByteArray(R"({"id":"a/b","type":"events"})") << QStringList{u"/id: must be 1-64 of"_s} << QString();
    QTest::newRow("dot-dot id in a POST body") << QByteArray("POST") << QByteArray("/admin/upstreams")
        << QByteArray(R"({"id":"..","type":"events"})") << QStringList{u"/id: must be 1-64 of"_s} << QString();
    QTest::newRow("dot id") << QByteArray("PUT") << QByteArray("/admin/routes/.")
        << QByteArray(R"({"uri":"/v",)" + events + '}') << QStringList{u"/id: must be 1-64 of"_s} << QString();
    QTest::newRow("bad username characters") << QByteArray("PUT") << QByteArray("/admin/consumers/bad%3Cname%3E")
        << QByteArray(R"({"plugins":{"key-auth":{"key":"k"}}})") << QStringList{u"/username: "_s} << QString();

    // One complete schema per resource: every member typed, nested objects closed, unknown
    // and unsupported APISIX members named (ResourceSchemas). Defect 4 first: plugins given
    // as a list or a string were stored as "no plugins" and served without authentication.
    const auto row = [](const char *name, const char *method, const char *path, const QByteArray &body, const QStringList &errors) {
        QTest::newRow(name) << QByteArray(method) << QByteArray(path) << body << errors << QString();
    };
    const QByteArray v = R"("uri":"/v",)";
    row("route plugins as a list (defect 4)", "PUT", "/admin/routes/v-route", R"({"uri":"/v","plugins":["key-auth"],)" + events + '}',
        {u"/plugins: must be an object"_s});
    row("route plugins as a string (defect 4)", "PUT", "/admin/routes/v-route", R"({"uri":"/v","plugins":"key-auth",)" + events + '}',
        {u"/plugins: must be an object"_s});
    row("route plugins as a list (POST)", "POST", "/admin/routes", R"({"id":"v-route","uri":"/v","plugins":["key-auth"],)" + events + '}',
        {u"/plugins: must be an object"_s});
    row("global rule plugins as a list", "PUT", "/admin/global_rules/v-rule", R"({"plugins":["key-auth"]})", {u"/plugins: must be an object"_s});
    row("consumer plugins as a list", "PUT", "/admin/consumers/v-user", R"({"plugins":["key-auth"]})", {u"/plugins: must be an object"_s});
    row("unknown route member", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"plugin":{"key-auth":{}}})",
        {u"/plugin: is not a field of a route"_s});
    row("APISIX uris", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"uris":["/a","/b"]})", {u"/uris: is not supported"_s});
    row("APISIX service_id", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"service_id":"s1"})", {u"/service_id: is not supported"_s});
    row("APISIX remote_addrs", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"remote_addrs":["10.0.0.0/8"]})",
        {u"/remote_addrs: is not supported"_s});
    row("APISIX route timeout", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"timeout":{"read":1}})",
        {u"/timeout: is not supported on a route"_s});
    row("priority not an integer", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"priority":1.5})", {u"/priority: must be an integer"_s});
    row("priority as a string", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"priority":"9"})", {u"/priority: must be an integer"_s});
    row("status true", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"status":true})", {u"/status: must be one of: 0, 1"_s});
    row("status 2", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"status":2})", {u"/status: must be one of: 0, 1"_s});
    row("hosts as a string", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"hosts":"a.example"})", {u"/hosts: must be an array"_s});
    row("host with a space", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"hosts":["a example"]})", {u"/hosts/0: must be a host name"_s});
    row("host with a line break", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"host":"a.example\r\nx"})", {u"/host: must be a host name"_s});
    row("enable_websocket as a string", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"enable_websocket":"yes"})",
        {u"/enable_websocket: must be a boolean"_s});
    row("a method twice", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"methods":["GET","GET"]})", {u"/methods/1: repeats item 0"_s});
    row("name not a string", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"name":{"en":"x"}})", {u"/name: must be a string"_s});
    row("label value not a string", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"labels":{"tier":1}})", {u"/labels/tier: must be a string"_s});
    row("label name reserved", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"labels":{"gatehouse_upstream":"query"}})",
        {u"/labels/gatehouse_upstream: a label name"_s});
    row("vars term too short", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"vars":[["arg_x","=="]]})", {u"/vars/0: must have at least 3 items"_s});
    row("vars unknown variable", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"vars":[["server_port","==","80"]]})",
        {u"/vars/0/0: must be a variable"_s});
    row("vars nested expression", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"vars":[["AND",["arg_x","==","1"],["arg_y","==","2"]]]})",
        {u"/vars/0/0: must be a variable"_s});
    row("vars term not a list", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"vars":["arg_x == 1"]})", {u"/vars/0: must be an array"_s});
    row("vars in without a list", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"vars":[["arg_x","in","a"]]})",
        {u"/vars/0: \"in\" takes an array"_s});
    row("vars bad regex", "PUT", "/admin/routes/v-route", '{' + v + events + R"(,"vars":[["arg_x","~~","(a"]]})",
        {u"/vars/0: invalid regular expression"_s});
    row("upstream not an object", "PUT", "/admin/routes/v-route", R"({"uri":"/v","upstream":"events"})", {u"/upstream: must be an object"_s});
    row("upstream missing", "PUT", "/admin/routes/v-route", R"({"uri":"/v"})", {u"/upstream: is required"_s});
    row("unknown upstream member", "PUT", "/admin/routes/v-route", R"({"uri":"/v","upstream":{"type":"events","colection":"x"}})",
        {u"/upstream/colection: is not a field of an upstream"_s});
    row("http member on an internal upstream", "PUT", "/admin/routes/v-route",
        R"({"uri":"/v","upstream":{"type":"query","collection":"products","timeout":{"read":5}}})", {u"/upstream/timeout: only http upstreams have it"_s});
    row("collection on an events upstream", "PUT", "/admin/routes/v-route", R"({"uri":"/v","upstream":{"type":"events","collection":"products"}})",
        {u"/upstream/collection: only command and query upstreams name a collection"_s});
    row("collection name not a name", "PUT", "/admin/routes/v-route", R"({"uri":"/v","upstream":{"type":"query","collection":"Pro ducts"}})",
        {u"/upstream/collection: must be a collection name"_s});
    row("function upstream without a function", "PUT", "/admin/upstreams/v-upstream", R"({"type":"function"})", {u"/function: is required"_s});
    row("APISIX balancer as the type", "PUT", "/admin/upstreams/v-upstream", R"({"type":"roundrobin","nodes":{"10.0.0.1:80":1}})",
        {u"/type: must be one of: command"_s});
    const QByteArray http = R"({"uri":"/v","upstream":{"type":"http",)";
    row("nodes empty", "PUT", "/admin/routes/v-route", http + R"("nodes":{}}})", {u"/upstream/nodes: must have at least 1 members"_s});
    row("nodes as a string", "PUT", "/admin/routes/v-route", http + R"("nodes":"10.0.0.1:80"}})", {u"/upstream/nodes: must be an object or an array"_s});
    row("node address not host:port", "PUT", "/admin/routes/v-route", http + R"("nodes":{"not a host":1}}})",
        {u"/upstream/nodes/not a host: must be host:port"_s});
    row("node weight as a string", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":"1"}}})",
        {u"/upstream/nodes/10.0.0.1:80: must be an integer"_s});
    row("node without a host", "PUT", "/admin/routes/v-route", http + R"("nodes":[{"port":80}]}})", {u"/upstream/nodes/0/host: is required"_s});
    row("node port out of range", "PUT", "/admin/routes/v-route", http + R"("nodes":[{"host":"a.example","port":70000}]}})",
        {u"/upstream/nodes/0/port: must be <= 65535"_s});
    row("node priority", "PUT", "/admin/routes/v-route", http + R"("nodes":[{"host":"a.example","port":80,"weight":1,"priority":1}]}})",
        {u"/upstream/nodes/0/priority: is not supported"_s});
    row("timeout zero", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":1},"timeout":{"connect":0}}})",
        {u"/upstream/timeout/connect: must be > 0"_s});
    row("timeout unknown member", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":1},"timeout":{"total":3}}})",
        {u"/upstream/timeout/total: is not a field of timeout"_s});
    row("retries negative", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":1},"retries":-1}})", {u"/upstream/retries: must be >= 0"_s});
    row("scheme grpc", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":1},"scheme":"grpc"}})",
        {u"/upstream/scheme: must be one of: http, https"_s});
    row("consistent hashing", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":1},"hash_on":"header","key":"x"}})",
        {u"/upstream/hash_on: is not supported"_s, u"/upstream/key: is not supported"_s});
    row("rewrite without upstream_host", "PUT", "/admin/routes/v-route", http + R"("nodes":{"10.0.0.1:80":1},"pass_host":"rewrite"}})",
        {u"/upstream/upstream_host: is required"_s});
    row("upstream_host with a line break", "PUT", "/admin/routes/v-route",
        http + R"("nodes":{"10.0.0.1:80":1},"pass_host":"rewrite","upstream_host":"a\r\nX-Evil: 1"}})", {u"/upstream/upstream_host: must be a host name"_s});
    row("health check header with a line break", "PUT", "/admin/routes/v-route",
        http + R"("nodes":{"10.0.0.1:80":1},"checks":{"active":{"req_headers":["X-A: 1\r\nX-Evil: 2"]}}}})",
        {u"/upstream/checks/active/req_headers/0: must be \"Name: value\" on one line"_s});
    row("health check counter out of range", "PUT", "/admin/routes/v-route",
        http + R"("nodes":{"10.0.0.1:80":1},"checks":{"active":{"healthy":{"successes":300}}}}})",
        {u"/upstream/checks/active/healthy/successes: must be <= 254"_s});
    row("health check member misplaced", "PUT", "/admin/routes/v-route",
        http + R"("nodes":{"10.0.0.1:80":1},"checks":{"passive":{"healthy":{"http_failures":3}}}}})",
        {u"/upstream/checks/passive/healthy/http_failures: is not a field of checks.passive.healthy"_s});
    row("health check status out of range", "PUT", "/admin/routes/v-route",
        http + R"("nodes":{"10.0.0.1:80":1},"checks":{"active":{"unhealthy":{"http_statuses":[500,99]}}}}})",
        {u"/upstream/checks/active/unhealthy/http_statuses/1: must be >= 200"_s});
    row("consumer group", "PUT", "/admin/consumers/v-user", R"({"group_id":"g","plugins":{"key-auth":{"key":"v-key"}}})",
        {u"/group_id: is not supported"_s});
    row("consumer key not a string", "PUT", "/admin/consumers/v-user", R"({"plugins":{"key-auth":{"key":5}}})",
        {u"/plugins/key-auth/key: must be a string"_s});
    row("global rule with a route member", "PUT", "/admin/global_rules/v-rule", R"({"uri":"/x","plugins":{}})",
        {u"/uri: is not a field of a global rule"_s});
    row("id in the body not a string", "PUT", "/admin/routes/v-route", R"({"id":5,)" + v + events + '}', {u"/id: '(not a string)' differs"_s});
    row("id in a POST body not a string", "POST", "/admin/routes", R"({"id":5,)" + v + events + '}', {u"/id: must be a string"_s});
    row("username in the body differs", "PUT", "/admin/consumers/v-user", R"({"username":"other","plugins":{}})", {u"/username: 'other' differs"_s});
    row("a patch changes the id", "PATCH", "/admin/routes/products-get", R"({"id":"other"})", {u"/id: a patch cannot change the id"_s});

    // Sizes (ResourceLimits): past each one a 400 names the member and the bound.
    row("uri past max_uri_length", "PUT", "/admin/routes/v-route", R"({"uri":"/)" + QByteArray(4096, 'u') + R"(",)" + events + '}',
        {u"/uri: must have at most 4096 characters"_s});
    row("name past max_name_length", "PUT", "/admin/routes/v-route", R"({"name":")" + QByteArray(101, 'n') + R"(",)" + v + events + '}',
        {u"/name: must have at most 100 characters"_s});
    row("desc past max_desc_length", "PUT", "/admin/consumers/v-user", R"({"desc":")" + QByteArray(257, 'd') + R"(","plugins":{}})",
        {u"/desc: must have at most 256 characters"_s});
    QByteArray hosts, vars, nodes, labels;
    for (int i = 0; i < 33; ++i) {
        hosts += (i ? "," : "") + QByteArray("\"h") + QByteArray::number(i) + ".example\"";
        vars += (i ? "," : "") + QByteArray(R"(["arg_a","==",")") + QByteArray::number(i) + "\"]";
        labels += (i ? "," : "") + QByteArray("\"l") + QByteArray::number(i) + "\":\"x\"";
    }
    for (int i = 0; i < 257; ++i)
        nodes += (i ? "," : "") + QByteArray("\"10.0.") + QByteArray::number(i / 250) + '.' + QByteArray::number(i % 250) + ":80\":1";
    row("hosts past max_hosts", "PUT", "/admin/routes/v-route", "{" + v + events + R"(,"hosts":[)" + hosts + "]}",
        {u"/hosts: must have at most 32 items"_s});
    row("vars past max_vars", "PUT", "/admin/routes/v-route", "{" + v + events + R"(,"vars":[)" + vars + "]}",
        {u"/vars: must have at most 32 items"_s});
    row("labels past max_labels", "PUT", "/admin/routes/v-route", "{" + v + events + R"(,"labels":{)" + labels + "}}",
        {u"/labels: must have at most 32 members"_s});
    row("label past max_label_length", "PUT", "/admin/routes/v-route", "{" + v + events + R"(,"labels":{"a":")" + QByteArray(257, 'x') + "\"}}",
        {u"/labels/a: must have at most 256 characters"_s});
    row("nodes past max_nodes", "PUT", "/admin/upstreams/v-upstream", R"({"type":"http","nodes":{)" + nodes + "}}",
        {u"/nodes: must have at most 256 members"_s});
}

void tst_AdminApi::validation()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QStringList, errors);
    QFETCH(QString, detail);
    const qint64 before = configVersion();
    const QJsonArray routesBefore = admin("GET", "/admin/routes").json().value(u"items"_s).toArray();

    const Reply r = admin(method, path, body);
    VERIFY_PROBLEM(r, 400);
    const QStringList listed = errorsOf(r);
    for (const QString &e : std::as_const(errors))
        QVERIFY2(anyContains(listed, e), qPrintable(u"expected an error containing \""_s + e + u"\"; got: "_s + listed.join(u" | ")));
    for (const QString &e : listed)
        QVERIFY2(e.startsWith(QLatin1Char('/')), qPrintable(u"not a JSON Pointer: "_s + e));   // "<pointer>: <message>"
    if (!detail.isEmpty())
        QVERIFY2(r.json().value(u"detail"_s).toString().contains(detail), r.body.constData());

    // Nothing was stored, nothing changed.
    QCOMPARE(configVersion(), before);
    QCOMPARE(admin("GET", "/admin/routes").json().value(u"items"_s).toArray(), routesBefore);
    for (const QByteArray &probe : {QByteArray("/admin/routes/v-route"), QByteArray("/admin/upstreams/v-upstream"),
                                    QByteArray("/admin/consumers/v-user"), QByteArray("/admin/global_rules/v-rule")})
        VERIFY_PROBLEM(admin("GET", probe), 404);
}

void tst_AdminApi::invalidPatchChangesNothing()
{
    const QByteArray productPath = "/api/products/patch-probe";
    const qint64 position = createProduct(u"patch-probe"_s);
    QVERIFY(position > 0);
    QVERIFY(readModelReached(position));
    const QJsonObject before = admin("GET", "/admin/routes/products-get").json();
    const qint64 version = configVersion();

    const Reply r = admin("PATCH", "/admin/routes/products-get", R"({"uri":"no-slash","plugins":{"key-auth":{"header":5}}})");
    VERIFY_PROBLEM(r, 400);
    QVERIFY2(anyContains(errorsOf(r), u"/uri: must start with /"_s), r.body.constData());
    QVERIFY2(anyContains(errorsOf(r), u"/plugins/key-auth/header: "_s), r.body.constData());
    QCOMPARE(configVersion(), version);
    QCOMPARE(admin("GET", "/admin/routes/products-get").json(), before);
    VERIFY_STATUS(gateway("GET", productPath), 200);   // still served, still without a key

    // The unknown-plugin message names every plugin the registry has.
    const Reply unknown = admin("PATCH", "/admin/routes/products-get", R"({"plugins":{"teleport":{}}})");
    VERIFY_PROBLEM(unknown, 400);
    const QString message = errorsOf(unknown).value(0);
    QVERIFY2(message.startsWith(u"/plugins/teleport: unknown plugin (known: "_s), qPrintable(message));
    QVERIFY(!PluginRegistry::all().isEmpty());
    for (const PluginDescriptor &d : PluginRegistry::all())
        QVERIFY2(message.contains(d.name), qPrintable(d.name + u" missing from: "_s + message));
    QCOMPARE(configVersion(), version);
}

void tst_AdminApi::deletingAnUpstreamInUseIsRefused()
{
    VERIFY_STATUS(admin("PUT", "/admin/upstreams/used-upstream", R"({"type":"events"})"), 201);
    VERIFY_STATUS(admin("PUT", "/admin/routes/uses-upstream", R"({"uri":"/uses-upstream","methods":["GET"],"upstream_id":"used-upstream"})"), 201);
    VERIFY_STATUS(gateway("GET", "/uses-upstream?limit=1"), 200);
    const qint64 version = configVersion();
    const QJsonObject upstream = admin("GET", "/admin/upstreams/used-upstream").json();

    const Reply refused = admin("DELETE", "/admin/upstreams/used-upstream");
    VERIFY_PROBLEM(refused, 400);
    QVERIFY2(anyContains(errorsOf(refused), u"upstream_id: no upstream 'used-upstream'"_s), refused.body.constData());
    QCOMPARE(configVersion(), version);
    QCOMPARE(admin("GET", "/admin/upstreams/used-upstream").json(), upstream);
    VERIFY_STATUS(gateway("GET", "/uses-upstream?limit=1"), 200);

    // Replacing it with something invalid is refused the same way; a valid change applies.
    VERIFY_PROBLEM(admin("PUT", "/admin/upstreams/used-upstream", R"({"type":"query"})"), 400);
    QCOMPARE(configVersion(), version);

    // Once the route is gone the upstream can go.
    VERIFY_STATUS(admin("DELETE", "/admin/routes/uses-upstream"), 204);
    VERIFY_STATUS(admin("DELETE", "/admin/upstreams/used-upstream"), 204);
    QCOMPARE(configVersion(), version + 2);
    VERIFY_PROBLEM(gateway("GET", "/uses-upstream"), 404);
}

void tst_AdminApi::patchResultIsValidatedWhole_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QString>("error");
    QTest::newRow("removes the upstream") << QByteArray(R"({"upstream":null})") << u"/upstream: is required"_s;
    QTest::newRow("removes the uri") << QByteArray(R"({"uri":null})") << u"/uri: is required"_s;
    QTest::newRow("removes the collection") << QByteArray(R"({"upstream":{"collection":null}})") << u"/upstream/collection: is required"_s;
    QTest::newRow("merges into a different upstream type") << QByteArray(R"({"upstream":{"type":"events"}})")
                                                           << u"/upstream/collection: only command and query upstreams name a collection"_s;
    QTest::newRow("plugins as a list") << QByteArray(R"({"plugins":["key-auth"]})") << u"/plugins: must be an object"_s;
    QTest::newRow("methods as a string") << QByteArray(R"({"methods":"GET"})") << u"/methods: must be an array"_s;
    QTest::newRow("an unknown member") << QByteArray(R"({"plugns":{}})") << u"/plugns: is not a field of a route"_s;
    QTest::newRow("a broken vars term") << QByteArray(R"({"vars":[["arg_x","??","1"]]})") << u"/vars/0/1: must be one of"_s;
}

void tst_AdminApi::patchResultIsValidatedWhole()
{
    QFETCH(QByteArray, patch);
    QFETCH(QString, error);
    const QJsonObject before = admin("GET", "/admin/routes/products-get").json();
    const qint64 version = configVersion();
    const Reply r = admin("PATCH", "/admin/routes/products-get", patch);
    VERIFY_PROBLEM(r, 400);
    QVERIFY2(anyContains(errorsOf(r), error), r.body.constData());
    QCOMPARE(configVersion(), version);
    QCOMPARE(admin("GET", "/admin/routes/products-get").json(), before);
}

void tst_AdminApi::acceptedShapes_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    auto row = [](const char *name, const char *path, const char *body) { QTest::newRow(name) << QByteArray(path) << QByteArray(body); };
    row("route with every APISIX member Gatehouse has", "/admin/routes/shape-route", R"({"name":"shape","desc":"every member",
        "labels":{"team":"core","tier":"1"},"uri":"/shape/*","methods":["GET","HEAD","POST"],"priority":-3,"status":0,
        "host":"api.example.com","hosts":["*.example.org"],"enable_websocket":false,
        "vars":[["arg_v","==","2"],["http_x_region","~~","^eu-"],["cookie_tier","!","in",["bronze"]],["remote_addr","~*","^10\\."]],
        "plugins":{"request-id":{},"key-auth":{"header":"X-Key"},"limit-count":{"count":5,"time_window":60}},
        "upstream":{"type":"query","collection":"products","name":"reads","desc":"the read side"}})");
    row("route to an http upstream with every member", "/admin/routes/shape-http", R"({"uri":"/shape-http/*",
        "upstream":{"type":"http","nodes":[{"host":"10.0.0.7","port":8443,"weight":3},{"host":"[::1]","port":8443}],
                    "scheme":"https","tls":{"verify":true},"timeout":{"connect":0.5,"send":2,"read":30},"retries":2,"retry_timeout":5,
                    "pass_host":"rewrite","upstream_host":"backend.internal","keepalive_pool":{"size":16,"idle_timeout":30,"requests":500},
                    "checks":{"active":{"type":"https","timeout":2,"http_path":"/health","host":"backend.internal",
                                        "req_headers":["X-Probe: yes"],"healthy":{"interval":2,"http_statuses":[200],"successes":2},
                                        "unhealthy":{"interval":1,"http_statuses":[500,503],"http_failures":3,"tcp_failures":2,"timeouts":2}},
                              "passive":{"type":"http","healthy":{"http_statuses":[200,201],"successes":3},
                                         "unhealthy":{"http_statuses":[502],"http_failures":3,"tcp_failures":2,"timeouts":3,"interval":5}}}}})");
    row("route with an IPv6 node", "/admin/routes/shape-v6", R"({"uri":"/shape-v6","upstream":{"type":"http","nodes":{"[::1]:8080":1}}})");
    row("named function upstream", "/admin/upstreams/shape-up", R"({"type":"function","function":"resize","name":"resizer",
        "desc":"images","labels":{"owner":"media"}})");
    row("consumer with every credential", "/admin/consumers/shape-user", R"({"desc":"all of them","labels":{"plan":"gold"},
        "plugins":{"key-auth":{"key":"shape-key"},"basic-auth":{"username":"shape","password":"pw"},
                   "jwt-auth":{"key":"shape-jwt","secret":"s3cret","algorithm":"HS512","exp":600}}})");
    row("global rule with a description", "/admin/global_rules/shape-rule", R"({"desc":"trace everything","plugins":{"request-id":{"header_name":"X-Shape"}}})");
}

void tst_AdminApi::acceptedShapes()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    const qint64 version = configVersion();
    const Reply created = admin("PUT", path, body);
    VERIFY_STATUS(created, 201);
    const QJsonObject sent = fromJson(body);
    for (auto it = sent.begin(); it != sent.end(); ++it)
        QCOMPARE(created.json().value(it.key()), it.value());
    const Reply got = admin("GET", path);
    QVERIFY(!got.json().contains(u"problems"_s));
    // What a GET gave (with the engine's own members) can be PUT back as it is.
    VERIFY_STATUS(admin("PUT", path, toJson(got.json())), 200);
    VERIFY_STATUS(admin("DELETE", path), 204);
    QCOMPARE(configVersion(), version + 3);
}

void tst_AdminApi::pluginsListIsNoAuthBypass()
{
    // Defect 4: "plugins":["key-auth"] was stored as no plugins at all and the route served
    // without authentication. Now it is refused, through either door, and nothing is served.
    const qint64 version = configVersion();
    for (const QByteArray &plugins : {QByteArray(R"(["key-auth"])"), QByteArray(R"("key-auth")"), QByteArray(R"([{"key-auth":{}}])")}) {
        const Reply r = admin("PUT", "/admin/routes/guarded",
                              R"({"uri":"/guarded/*","methods":["GET"],"plugins":)" + plugins + R"(,"upstream":{"type":"events"}})");
        VERIFY_PROBLEM(r, 400);
        QCOMPARE(errorsOf(r), QStringList{u"/plugins: must be an object"_s});
        VERIFY_PROBLEM(gateway("GET", "/guarded/x?limit=1"), 404);

        QJsonObject config = fromJson(admin("GET", "/admin/config/export").body);
        QJsonArray routes = config.value(u"routes"_s).toArray();
        routes.append(fromJson(R"({"id":"guarded","uri":"/guarded/*","methods":["GET"],"plugins":)" + plugins + R"(,"upstream":{"type":"events"}})"));
        config.insert(u"routes"_s, routes);
        const Reply imported = admin("PUT", "/admin/config", config);
        VERIFY_PROBLEM(imported, 400);
        QCOMPARE(errorsOf(imported), QStringList{u"/routes/%1/plugins: must be an object"_s.arg(routes.size() - 1)});
        VERIFY_PROBLEM(gateway("GET", "/guarded/x?limit=1"), 404);
    }
    QCOMPARE(configVersion(), version);

    // The object form is the one that means key-auth: a key is needed.
    VERIFY_STATUS(admin("PUT", "/admin/routes/guarded", R"({"uri":"/guarded/*","methods":["GET"],"plugins":{"key-auth":{}},"upstream":{"type":"events"}})"), 201);
    VERIFY_PROBLEM(gateway("GET", "/guarded/x?limit=1"), 401);
    VERIFY_STATUS(admin("DELETE", "/admin/routes/guarded"), 204);
}

void tst_AdminApi::schemasAreServed()
{
    const Reply all = admin("GET", "/admin/schemas");
    VERIFY_STATUS(all, 200);
    QStringList names;
    for (const QJsonValue &v : all.json().value(u"items"_s).toArray())
        names.append(v.toObject().value(u"name"_s).toString());
    QCOMPARE(names, (QStringList{u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s, u"config"_s}));
    const QJsonObject limits = all.json().value(u"limits"_s).toObject();
    QCOMPARE(limits.value(u"max_routes"_s).toInt(), 10000);
    QCOMPARE(limits.value(u"max_uri_length"_s).toInt(), 4096);

    for (const QString &kind : {u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s}) {
        const Reply one = admin("GET", "/admin/schemas/" + kind.toUtf8());
        VERIFY_STATUS(one, 200);
        // A document any JSON Schema tool can read, and the engine's own validator compiles.
        QStringList errors;
        const JsonSchema schema = JsonSchema::compile(one.json(), &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));
        QCOMPARE(one.json().value(u"type"_s).toString(), u"object"_s);
        QVERIFY(one.json().value(u"additionalProperties"_s).isObject());   // closed, with a message
        // Everything stored validates against what is served.
        for (const QJsonValue &v : admin("GET", "/admin/" + kind.toUtf8()).json().value(u"items"_s).toArray()) {
            const QList<SchemaViolation> violations = schema.validate(v);
            QVERIFY2(violations.isEmpty(), qPrintable(kind + u": "_s + violations.value(0).path + u" "_s + violations.value(0).message));
        }
    }
    // The plugins of a route are those of /admin/plugins, with the same schemas.
    const QJsonObject routePlugins = admin("GET", "/admin/schemas/routes").json().value(u"properties"_s).toObject()
                                         .value(u"plugins"_s).toObject().value(u"properties"_s).toObject();
    for (const PluginDescriptor &d : PluginRegistry::all())
        QCOMPARE(routePlugins.value(d.name).toObject(), admin("GET", "/admin/plugins/" + d.name.toUtf8()).json().value(u"schema"_s).toObject());
    QCOMPARE(routePlugins.size(), PluginRegistry::all().size());
    const QJsonObject config = admin("GET", "/admin/schemas/config").json();
    QCOMPARE(config.value(u"required"_s).toArray().size(), 4);

    VERIFY_PROBLEM(admin("GET", "/admin/schemas/nope"), 404);
    const Reply post = admin("POST", "/admin/schemas", "{}");
    VERIFY_PROBLEM(post, 405);
    QCOMPARE(post.header("allow"), QByteArrayLiteral("GET"));
}

// ---------------------------------------------------------------------------------------------
// changes take effect on the gateway without a restart

void tst_AdminApi::keyAuthTakesEffectAtOnce()
{
    const qint64 position = createProduct(u"guarded-1"_s);
    QVERIFY(position > 0);
    QVERIFY(readModelReached(position));
    VERIFY_STATUS(gateway("GET", "/api/products/guarded-1"), 200);

    VERIFY_STATUS(admin("PUT", "/admin/consumers/ka-user", R"({"plugins":{"key-auth":{"key":"ka-secret-1"}}})"), 201);
    VERIFY_STATUS(admin("PATCH", "/admin/routes/products-get", R"({"plugins":{"key-auth":{}}})"), 200);

    const Reply none = gateway("GET", "/api/products/guarded-1");
    VERIFY_PROBLEM(none, 401);
    QCOMPARE(none.header("www-authenticate"), QByteArrayLiteral("apikey"));
    VERIFY_PROBLEM(gateway("GET", "/api/products/guarded-1", {}, {{"apikey", "ka-secret-2"}}), 401);
    const Reply withKey = gateway("GET", "/api/products/guarded-1", {}, {{"apikey", "ka-secret-1"}});
    VERIFY_STATUS(withKey, 200);
    QCOMPARE(withKey.json().value(u"id"_s).toString(), u"guarded-1"_s);
    VERIFY_PROBLEM(gateway("GET", "/api/products/not-there", {}, {{"apikey", "ka-secret-1"}}), 404);
    // Other routes are not affected.
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);

    // A new key for the consumer: the old one stops working at once.
    VERIFY_STATUS(admin("PATCH", "/admin/consumers/ka-user", R"({"plugins":{"key-auth":{"key":"ka-secret-2"}}})"), 200);
    VERIFY_PROBLEM(gateway("GET", "/api/products/guarded-1", {}, {{"apikey", "ka-secret-1"}}), 401);
    VERIFY_STATUS(gateway("GET", "/api/products/guarded-1", {}, {{"apikey", "ka-secret-2"}}), 200);
    // The consumer deleted: its key is refused.
    VERIFY_STATUS(admin("DELETE", "/admin/consumers/ka-user"), 204);
    VERIFY_PROBLEM(gateway("GET", "/api/products/guarded-1", {}, {{"apikey", "ka-secret-2"}}), 401);

    // key-auth removed with a merge-patch null: open again.
    const Reply removed = admin("PATCH", "/admin/routes/products-get", R"({"plugins":{"key-auth":null}})");
    VERIFY_STATUS(removed, 200);
    QVERIFY(!removed.json().value(u"plugins"_s).toObject().contains(u"key-auth"_s));
    VERIFY_STATUS(gateway("GET", "/api/products/guarded-1"), 200);

    // The key may come as a query parameter; with hide_credentials it does not reach the
    // upstream (APISIX's key-auth removes it from the header and the query string), so the
    // query side does not see a parameter it does not know.
    VERIFY_STATUS(admin("PUT", "/admin/consumers/ka-user", R"({"plugins":{"key-auth":{"key":"ka-secret-3"}}})"), 201);
    VERIFY_STATUS(admin("PATCH", "/admin/routes/products-get", R"({"plugins":{"key-auth":{"hide_credentials":true}}})"), 200);
    VERIFY_PROBLEM(gateway("GET", "/api/products/guarded-1?apikey=wrong"), 401);
    const Reply hidden = gateway("GET", "/api/products/guarded-1", {}, {{"apikey", "ka-secret-3"}});
    VERIFY_STATUS(hidden, 200);
    const Reply byQuery = gateway("GET", "/api/products/guarded-1?apikey=ka-secret-3");
    VERIFY_STATUS(byQuery, 200);
    QCOMPARE(byQuery.json().value(u"id"_s).toString(), u"guarded-1"_s);
}

void tst_AdminApi::disabledRouteAnswers404()
{
    const qint64 position = createProduct(u"disabled-1"_s);
    QVERIFY(position > 0);
    QVERIFY(readModelReached(position));
    VERIFY_STATUS(gateway("GET", "/api/products/disabled-1"), 200);

    VERIFY_STATUS(admin("PATCH", "/admin/routes/products-get", R"({"status":0})"), 200);
    QCOMPARE(admin("GET", "/admin/routes/products-get").json().value(u"status"_s).toInt(), 0);
    // Disabled is as good as absent: only products-update (POST) is left on that path.
    const Reply off = gateway("GET", "/api/products/disabled-1");
    VERIFY_PROBLEM(off, 405);
    QCOMPARE(off.header("allow"), QByteArrayLiteral("POST"));
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);   // its neighbours still answer

    // A disabled route alone on its path: 404, as if there were no route.
    VERIFY_STATUS(gateway("GET", "/events?limit=1"), 200);
    VERIFY_STATUS(admin("PATCH", "/admin/routes/events", R"({"status":0})"), 200);
    const Reply noEvents = gateway("GET", "/events?limit=1");
    VERIFY_PROBLEM(noEvents, 404);
    QVERIFY2(noEvents.json().value(u"type"_s).toString().contains(u"no-route"_s), noEvents.body.constData());

    VERIFY_STATUS(admin("PATCH", "/admin/routes/events", R"({"status":1})"), 200);
    VERIFY_STATUS(gateway("GET", "/events?limit=1"), 200);
    VERIFY_STATUS(admin("PATCH", "/admin/routes/products-get", R"({"status":1})"), 200);
    VERIFY_STATUS(gateway("GET", "/api/products/disabled-1"), 200);
}

void tst_AdminApi::newRouteToTheEventsUpstream()
{
    VERIFY_PROBLEM(gateway("GET", "/feed"), 404);
    const Reply created = admin("PUT", "/admin/routes/feed", R"({"uri":"/feed","methods":["GET"],"upstream":{"type":"events"}})");
    VERIFY_STATUS(created, 201);

    const Reply feed = gateway("GET", "/feed?from=1&limit=2");
    VERIFY_STATUS(feed, 200);
    QVERIFY2(feed.header("content-type").startsWith("application/cloudevents-batch+json"), feed.header("content-type").constData());
    const QJsonArray events = QJsonDocument::fromJson(feed.body).array();
    QVERIFY(head() >= 1);
    QCOMPARE(qint64(events.size()), qMin<qint64>(2, head()));
    QCOMPARE(events.first().toObject().value(u"specversion"_s).toString(), u"1.0"_s);
    const Reply post = gateway("POST", "/feed", "{}");
    VERIFY_PROBLEM(post, 405);
    QCOMPARE(post.header("allow"), QByteArrayLiteral("GET, HEAD"));   // a GET route answers HEAD too

    // Moved to another path: the old one is gone at once.
    VERIFY_STATUS(admin("PATCH", "/admin/routes/feed", R"({"uri":"/feed/v2"})"), 200);
    VERIFY_PROBLEM(gateway("GET", "/feed"), 404);
    VERIFY_STATUS(gateway("GET", "/feed/v2?limit=1"), 200);

    VERIFY_STATUS(admin("DELETE", "/admin/routes/feed"), 204);
    VERIFY_PROBLEM(gateway("GET", "/feed/v2"), 404);
}

void tst_AdminApi::varsAndHostsRoutes()
{
    VERIFY_STATUS(admin("PUT", "/admin/routes/beta-feed",
                        R"({"uri":"/beta","methods":["GET"],"vars":[["http_x_beta","==","1"]],"upstream":{"type":"events"}})"), 201);
    VERIFY_STATUS(gateway("GET", "/beta?limit=1", {}, {{"X-Beta", "1"}}), 200);
    VERIFY_PROBLEM(gateway("GET", "/beta?limit=1", {}, {{"X-Beta", "2"}}), 404);
    VERIFY_PROBLEM(gateway("GET", "/beta?limit=1"), 404);

    VERIFY_STATUS(admin("PUT", "/admin/routes/hosted-feed",
                        R"({"uri":"/hosted","hosts":["api.example.com","*.example.org"],"upstream":{"type":"events"}})"), 201);
    VERIFY_STATUS(gateway("GET", "/hosted?limit=1", {}, {{"Host", "api.example.com"}}), 200);
    VERIFY_STATUS(gateway("GET", "/hosted?limit=1", {}, {{"Host", "API.Example.com:8080"}}), 200);
    VERIFY_STATUS(gateway("GET", "/hosted?limit=1", {}, {{"Host", "shop.example.org"}}), 200);
    VERIFY_PROBLEM(gateway("GET", "/hosted?limit=1", {}, {{"Host", "example.org"}}), 404);
    VERIFY_PROBLEM(gateway("GET", "/hosted?limit=1", {}, {{"Host", "other.example.com"}}), 404);
    VERIFY_PROBLEM(gateway("GET", "/hosted?limit=1"), 404);

    // One path, two routes told apart by host: the event log for one host, the products for the rest.
    VERIFY_STATUS(admin("PUT", "/admin/routes/split-events",
                        R"({"uri":"/split","hosts":["events.example.com"],"upstream":{"type":"events"}})"), 201);
    VERIFY_STATUS(admin("PUT", "/admin/routes/split-products",
                        R"({"uri":"/split","methods":["GET"],"upstream":{"type":"query","collection":"products"}})"), 201);
    const Reply ev = gateway("GET", "/split?limit=1", {}, {{"Host", "events.example.com"}});
    VERIFY_STATUS(ev, 200);
    QVERIFY2(ev.header("content-type").startsWith("application/cloudevents-batch+json"), ev.describe().constData());
    const Reply pr = gateway("GET", "/split?limit=1");
    VERIFY_STATUS(pr, 200);
    QVERIFY2(pr.json().contains(u"items"_s), pr.describe().constData());

    // Removing the vars opens the route to everyone.
    VERIFY_STATUS(admin("PATCH", "/admin/routes/beta-feed", R"({"vars":null})"), 200);
    VERIFY_STATUS(gateway("GET", "/beta?limit=1"), 200);

    for (const QByteArray id : {"beta-feed", "hosted-feed", "split-events", "split-products"})
        VERIFY_STATUS(admin("DELETE", "/admin/routes/" + id), 204);
}

void tst_AdminApi::namedUpstreamAndGlobalRule()
{
    // A route through a named upstream follows the upstream when it changes.
    VERIFY_STATUS(admin("PUT", "/admin/upstreams/switchable", R"({"type":"events"})"), 201);
    VERIFY_STATUS(admin("PUT", "/admin/routes/switched", R"({"uri":"/switched","methods":["GET"],"upstream_id":"switchable"})"), 201);
    const Reply asEvents = gateway("GET", "/switched?limit=1");
    VERIFY_STATUS(asEvents, 200);
    QVERIFY(asEvents.header("content-type").startsWith("application/cloudevents-batch+json"));
    VERIFY_STATUS(admin("PUT", "/admin/upstreams/switchable", R"({"type":"query","collection":"products"})"), 200);
    const Reply asQuery = gateway("GET", "/switched?limit=1");
    VERIFY_STATUS(asQuery, 200);
    QVERIFY2(asQuery.json().contains(u"items"_s), asQuery.describe().constData());

    // A global rule runs on every route.
    QVERIFY(gateway("GET", "/switched?limit=1").header("x-trace-id").isEmpty());
    VERIFY_STATUS(admin("PUT", "/admin/global_rules/tracing", R"({"plugins":{"request-id":{"header_name":"X-Trace-Id"}}})"), 201);
    QVERIFY(!gateway("GET", "/switched?limit=1").header("x-trace-id").isEmpty());
    QVERIFY(!gateway("GET", "/events?limit=1").header("x-trace-id").isEmpty());
    const Reply created = gateway("POST", "/api/products", R"({"name":"traced","price":1})", {{"X-Trace-Id", "trace-42"}});
    VERIFY_STATUS(created, 202);
    QCOMPARE(created.header("x-trace-id"), QByteArrayLiteral("trace-42"));
    VERIFY_STATUS(admin("DELETE", "/admin/global_rules/tracing"), 204);
    QVERIFY(gateway("GET", "/events?limit=1").header("x-trace-id").isEmpty());

    VERIFY_STATUS(admin("DELETE", "/admin/routes/switched"), 204);
    VERIFY_STATUS(admin("DELETE", "/admin/upstreams/switchable"), 204);
}

// ---------------------------------------------------------------------------------------------
// plugins, collections, projections, metrics

void tst_AdminApi::pluginsAreDescribed()
{
    const Reply list = admin("GET", "/admin/plugins");
    VERIFY_STATUS(list, 200);
    const QJsonArray items = list.json().value(u"items"_s).toArray();
    QCOMPARE(list.json().value(u"total"_s).toInteger(), qint64(items.size()));
    QSet<QString> registry;
    for (const PluginDescriptor &d : PluginRegistry::all())
        registry.insert(d.name);
    QCOMPARE(idsOf(items, u"name"_s), registry);
    QVERIFY(registry.contains(u"request-id"_s));
    QVERIFY(registry.contains(u"key-auth"_s));
    for (const QJsonValue &v : items) {
        const QJsonObject p = v.toObject();
        const QString name = p.value(u"name"_s).toString();
        QVERIFY2(p.value(u"schema"_s).isObject(), qPrintable(name));
        QCOMPARE(p.value(u"schema"_s).toObject().value(u"type"_s).toString(), u"object"_s);
        QVERIFY2(p.value(u"priority"_s).isDouble(), qPrintable(name));
        QVERIFY2(!p.value(u"phase"_s).toString().isEmpty(), qPrintable(name));
    }

    const Reply keyAuth = admin("GET", "/admin/plugins/key-auth");
    VERIFY_STATUS(keyAuth, 200);
    QCOMPARE(keyAuth.json().value(u"name"_s).toString(), u"key-auth"_s);
    const QJsonObject schema = keyAuth.json().value(u"schema"_s).toObject();
    QVERIFY(schema.value(u"properties"_s).toObject().contains(u"header"_s));
    const QJsonObject consumerSchema = keyAuth.json().value(u"consumer_schema"_s).toObject();
    QVERIFY2(consumerSchema.value(u"required"_s).toArray().contains(u"key"_s), keyAuth.body.constData());

    const Reply requestId = admin("GET", "/admin/plugins/request-id");
    VERIFY_STATUS(requestId, 200);
    QVERIFY(requestId.json().value(u"schema"_s).toObject().value(u"properties"_s).toObject().contains(u"header_name"_s));
    QVERIFY(!requestId.json().contains(u"consumer_schema"_s));

    VERIFY_PROBLEM(admin("GET", "/admin/plugins/teleport"), 404);
    const Reply post = admin("POST", "/admin/plugins", "{}");
    VERIFY_PROBLEM(post, 405);
    QCOMPARE(post.header("allow"), QByteArrayLiteral("GET"));
}

void tst_AdminApi::collectionsShowSchemaAndCounts()
{
    QVERIFY(readModelReached(head()));
    const Reply before = admin("GET", "/admin/collections/products");
    VERIFY_STATUS(before, 200);
    const qint64 count = before.json().value(u"count"_s).toInteger(-1);
    const qint64 countAll = before.json().value(u"count_including_deleted"_s).toInteger(-1);
    QVERIFY(count >= 0);

    qint64 position = 0;
    for (const QString &id : {u"coll-1"_s, u"coll-2"_s, u"coll-3"_s})
        QVERIFY((position = createProduct(id)) > 0);
    QVERIFY(readModelReached(position));

    const Reply list = admin("GET", "/admin/collections");
    VERIFY_STATUS(list, 200);
    QJsonObject products;
    for (const QJsonValue &v : list.json().value(u"items"_s).toArray()) {
        if (v.toObject().value(u"name"_s).toString() == u"products"_s)
            products = v.toObject();
    }
    QVERIFY2(!products.isEmpty(), list.body.constData());
    QCOMPARE(list.json().value(u"total"_s).toInteger(), qint64(list.json().value(u"items"_s).toArray().size()));
    const QJsonObject schema = products.value(u"schema"_s).toObject();
    QCOMPARE(schema.value(u"type"_s).toString(), u"object"_s);
    QVERIFY(schema.value(u"properties"_s).toObject().contains(u"price"_s));
    QCOMPARE(schema.value(u"required"_s).toArray(), (QJsonArray{u"name"_s, u"price"_s}));
    const QJsonArray indexed = products.value(u"indexed_fields"_s).toArray();
    QSet<QString> indexedSet;
    for (const QJsonValue &f : indexed)
        indexedSet.insert(f.toString());
    QCOMPARE(indexedSet, (QSet<QString>{u"name"_s, u"price"_s, u"sku"_s}));
    QCOMPARE(products.value(u"count"_s).toInteger(), count + 3);
    QCOMPARE(products.value(u"count_including_deleted"_s).toInteger(), countAll + 3);

    // A logical delete leaves it counted only with the deleted ones.
    const Reply del = gateway("POST", "/api/products/coll-2/delete", "{}");
    VERIFY_STATUS(del, 202);
    QVERIFY(readModelReached(del.header("x-event-position").toLongLong()));
    const Reply after = admin("GET", "/admin/collections/products");
    QCOMPARE(after.json().value(u"count"_s).toInteger(), count + 2);
    QCOMPARE(after.json().value(u"count_including_deleted"_s).toInteger(), countAll + 3);

    VERIFY_PROBLEM(admin("GET", "/admin/collections/widgets"), 404);
    // It has events: deleting it needs ?archive=true (tst_collectionsapi covers the rest).
    VERIFY_PROBLEM(admin("DELETE", "/admin/collections/products"), 409);
}

void tst_AdminApi::projectionsPauseResumeRebuild()
{
    QVERIFY(readModelReached(head()));
    const Reply list = admin("GET", "/admin/projections");
    VERIFY_STATUS(list, 200);
    QJsonObject upsert;
    for (const QJsonValue &v : list.json().value(u"items"_s).toArray()) {
        if (v.toObject().value(u"name"_s).toString() == u"upsert"_s)
            upsert = v.toObject();
    }
    QVERIFY2(!upsert.isEmpty(), list.body.constData());
    QCOMPARE(upsert.value(u"status"_s).toString(), u"running"_s);
    QCOMPARE(upsert.value(u"position"_s).toInteger(), head());
    QVERIFY(upsert.contains(u"lag_events"_s));
    QCOMPARE(projectionStats().value(u"name"_s).toString(), u"upsert"_s);

    // Pause: commands are still accepted, the read model stays where it was.
    const Reply pause = admin("POST", "/admin/projections/upsert/pause");
    VERIFY_STATUS(pause, 202);
    QCOMPARE(pause.json().value(u"accepted"_s).toString(), u"pause"_s);
    QTRY_COMPARE_WITH_TIMEOUT(projectionStats().value(u"status"_s).toString(), u"paused"_s, kWaitMs);
    const qint64 pausedAt = projectionStats().value(u"position"_s).toInteger();
    qint64 position = 0;
    for (const QString &id : {u"paused-1"_s, u"paused-2"_s, u"paused-3"_s})
        QVERIFY((position = createProduct(id)) > 0);
    QTest::qWait(300);   // give a paused projection every chance to move (it must not)
    const QJsonObject paused = projectionStats();
    QCOMPARE(paused.value(u"status"_s).toString(), u"paused"_s);
    QCOMPARE(paused.value(u"position"_s).toInteger(), pausedAt);
    QVERIFY(paused.value(u"lag_events"_s).toInteger() >= 3);
    const Reply notYet = gateway("GET", "/api/products/paused-3");
    VERIFY_PROBLEM(notYet, 404);
    QCOMPARE(notYet.header("x-read-position").toLongLong(), pausedAt);

    // Resume: it catches up.
    VERIFY_STATUS(admin("POST", "/admin/projections/upsert/resume"), 202);
    QTRY_COMPARE_WITH_TIMEOUT(projectionStats().value(u"position"_s).toInteger(), position, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(projectionStats().value(u"status"_s).toString(), u"running"_s, kWaitMs);
    VERIFY_STATUS(gateway("GET", "/api/products/paused-3"), 200);

    // Rebuild: back to running with the same documents. The runner announces the start of the
    // rebuild with statsChanged; watch for it so "running at the head" cannot be the state from
    // before the rebuild began.
    QHash<QString, QJsonObject> documents;
    for (const QString &id : {u"paused-1"_s, u"paused-2"_s, u"paused-3"_s, u"coll-1"_s, u"coll-2"_s}) {
        const Reply r = gateway("GET", "/api/products/" + id.toUtf8() + "?include_deleted=true");
        VERIFY_STATUS(r, 200);
        documents.insert(id, r.json());
    }
    const qint64 count = admin("GET", "/admin/collections/products").json().value(u"count"_s).toInteger();
    ProjectionRunner *runner = m_engine.projection(u"upsert"_s);
    QVERIFY(runner);
    std::atomic<bool> sawRebuilding{false};
    const QMetaObject::Connection watch = connect(runner, &ProjectionRunner::statsChanged, runner, [runner, &sawRebuilding] {
        if (runner->stats().status == ProjectionRunner::Status::Rebuilding)
            sawRebuilding = true;
    }, Qt::DirectConnection);
    const Reply rebuild = admin("POST", "/admin/projections/upsert/rebuild");
    VERIFY_STATUS(rebuild, 202);
    QCOMPARE(rebuild.json().value(u"accepted"_s).toString(), u"rebuild"_s);
    QTRY_VERIFY_WITH_TIMEOUT(sawRebuilding.load(), kWaitMs);
    disconnect(watch);
    QTRY_VERIFY_WITH_TIMEOUT(projectionStats().value(u"status"_s).toString() == u"running"_s
                                 && projectionStats().value(u"position"_s).toInteger() == head(), kWaitMs);
    QVERIFY(readModelReached(head()));
    QCOMPARE(admin("GET", "/admin/collections/products").json().value(u"count"_s).toInteger(), count);
    for (auto it = documents.cbegin(); it != documents.cend(); ++it) {
        const Reply r = gateway("GET", "/api/products/" + it.key().toUtf8() + "?include_deleted=true");
        VERIFY_STATUS(r, 200);
        QCOMPARE(r.json(), it.value());
    }
}

void tst_AdminApi::projectionErrors()
{
    VERIFY_PROBLEM(admin("GET", "/admin/projections/nope"), 404);
    VERIFY_PROBLEM(admin("POST", "/admin/projections/nope/pause"), 404);
    VERIFY_PROBLEM(admin("POST", "/admin/projections/upsert/explode"), 404);
    for (const QByteArray action : {"pause", "resume", "rebuild"}) {
        const Reply r = admin("GET", "/admin/projections/upsert/" + action);
        VERIFY_PROBLEM(r, 405);
        QCOMPARE(r.header("allow"), QByteArrayLiteral("POST"));
    }
    const Reply postList = admin("POST", "/admin/projections");
    VERIFY_PROBLEM(postList, 405);
    QCOMPARE(postList.header("allow"), QByteArrayLiteral("GET"));
    QCOMPARE(projectionStats().value(u"status"_s).toString(), u"running"_s);   // nothing was paused
}

void tst_AdminApi::metricsExposition()
{
    const QByteArray created = R"(gatehouse_http_requests_total{route="products-create",status="202"})";
    const QByteArray before = httpRequest(m_adminPort, "GET", "/metrics").body;
    const double createdBefore = qMax(0.0, metricValue(before, created));
    qint64 position = 0;
    for (const QString &id : {u"metric-1"_s, u"metric-2"_s, u"metric-3"_s, u"metric-4"_s})
        QVERIFY((position = createProduct(id)) > 0);
    VERIFY_PROBLEM(gateway("POST", "/api/products", R"({"price":-1})"), 400);
    QVERIFY(readModelReached(position));
    QTRY_COMPARE_WITH_TIMEOUT(projectionStats().value(u"lag_events"_s).toInteger(), qint64(0), kWaitMs);

    const QByteArray text = httpRequest(m_adminPort, "GET", "/metrics").body;
    QVERIFY(text.contains("# TYPE gatehouse_http_requests_total counter\n"));
    QCOMPARE(metricValue(text, created), createdBefore + 4);
    QVERIFY(metricValue(text, R"(gatehouse_http_requests_total{route="products-create",status="400"})") >= 1);

    // The latency histogram: cumulative buckets ending in +Inf, which equals _count.
    QVERIFY(text.contains("# TYPE gatehouse_http_request_duration_seconds histogram\n"));
    const QByteArray inf = R"(gatehouse_http_request_duration_seconds_bucket{route="products-create",le="+Inf"})";
    const double total = metricValue(text, inf);
    QVERIFY2(total >= createdBefore + 5, text.constData());
    QCOMPARE(metricValue(text, R"(gatehouse_http_request_duration_seconds_count{route="products-create"})"), total);
    QVERIFY(metricValue(text, R"(gatehouse_http_request_duration_seconds_sum{route="products-create"})") > 0);
    double previous = 0;
    int buckets = 0;
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith(R"(gatehouse_http_request_duration_seconds_bucket{route="products-create",le=")"))
            continue;
        const double value = line.mid(line.lastIndexOf(' ') + 1).toDouble();
        QVERIFY2(value >= previous, line.constData());
        previous = value;
        ++buckets;
    }
    QVERIFY(buckets >= 2);
    QCOMPARE(previous, total);   // the +Inf bucket comes last

    QVERIFY(text.contains("# TYPE gatehouse_events_appended_total counter\n"));
    QCOMPARE(metricValue(text, "gatehouse_events_appended_total"), double(head()));
    QCOMPARE(metricValue(text, R"(gatehouse_projection_lag_events{projection="upsert"})"), 0.0);
    QCOMPARE(metricValue(text, R"(gatehouse_projection_position{projection="upsert"})"), double(head()));
    QCOMPARE(metricValue(text, "gatehouse_config_version"), double(configVersion()));

    // Reads by id: the second read of a document comes from the cache.
    const double hits = metricValue(text, "gatehouse_read_cache_hits_total");
    const double misses = metricValue(text, "gatehouse_read_cache_misses_total");
    VERIFY_STATUS(gateway("GET", "/api/products/metric-1"), 200);
    VERIFY_STATUS(gateway("GET", "/api/products/metric-1"), 200);
    const QByteArray later = httpRequest(m_adminPort, "GET", "/metrics").body;
    QVERIFY(later.contains("# TYPE gatehouse_read_cache_hits_total counter\n"));
    QCOMPARE(metricValue(later, "gatehouse_read_cache_hits_total") + metricValue(later, "gatehouse_read_cache_misses_total"), hits + misses + 2);
    QVERIFY(metricValue(later, "gatehouse_read_cache_hits_total") >= hits + 1);
    QVERIFY(metricValue(later, "gatehouse_read_cache_bytes") > 0);

    // An admin change shows in the next scrape.
    VERIFY_STATUS(admin("PUT", "/admin/global_rules/metrics-probe", R"({"plugins":{}})"), 201);
    QCOMPARE(metricValue(httpRequest(m_adminPort, "GET", "/metrics").body, "gatehouse_config_version"), double(configVersion()));
    VERIFY_STATUS(admin("DELETE", "/admin/global_rules/metrics-probe"), 204);
}

// ---------------------------------------------------------------------------------------------
// hot reload

void tst_AdminApi::hotReloadUnderLoad()
{
    const qint64 position = createProduct(u"hot-existing"_s);
    QVERIFY(position > 0);
    QVERIFY(readModelReached(position));
    const qint64 versionBefore = configVersion();

    std::atomic<bool> stop{false};
    std::atomic<int> answered{0};
    QMutex mutex;
    QStringList failures;
    QHash<int, int> byStatus;
    std::vector<std::thread> clients;
    const quint16 port = m_port;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&, t] {
            // Two clients keep one connection alive across configuration swaps, two reconnect.
            TestHttpClient client(u"127.0.0.1"_s, port, kWaitMs);
            for (int i = 0; !stop.load(); ++i) {
                TestHttpResponse r;
                int expected = 0;
                QByteArray what;
                switch (i % 3) {
                case 0:
                    what = "GET /api/products/hot-existing";
                    r = client.get("/api/products/hot-existing");
                    expected = 200;
                    break;
                case 1:
                    what = "GET /api/products/hot-missing";
                    r = client.get("/api/products/hot-missing-" + QByteArray::number(t));
                    expected = 404;
                    break;
                default:
                    what = "POST /api/products";
                    r = client.post("/api/products", R"({"name":"hot )" + QByteArray::number(t) + ' '
                                                         + QByteArray::number(i) + R"(","price":1})");
                    expected = 202;
                    break;
                }
                if (t >= 2)
                    client.close();
                QMutexLocker lock(&mutex);
                ++byStatus[r.status];
                ++answered;
                if (r.status != expected && failures.size() < 20)
                    failures.append(QString::fromUtf8(QByteArray(what + " -> " + QByteArray::number(r.status) + ' ' + r.body.left(200))));
            }
        });
    }

    // Meanwhile: unrelated routes, consumers and global rules come and go.
    QElapsedTimer timer;
    timer.start();
    int writes = 0;
    QStringList adminFailures;
    auto write = [&](const QByteArray &method, const QByteArray &path, const QByteArray &body, int expected) {
        const Reply r = admin(method, path, body);
        ++writes;
        if (r.status != expected && adminFailures.size() < 20)
            adminFailures.append(QString::fromUtf8(QByteArray(method + ' ' + path + " -> " + r.describe())));
    };
    for (int i = 0; timer.elapsed() < 2000 || writes < 60; ++i) {
        const QByteArray n = QByteArray::number(i);
        const QByteArray route = "/admin/routes/hot-" + n;
        write("PUT", route, R"({"uri":"/hot/)" + n + R"(/:id","methods":["GET"],"upstream":{"type":"events"}})", 201);
        write("PATCH", route, R"({"priority":)" + n + R"(,"plugins":{"request-id":{}}})", 200);
        if (i % 2 == 0) {
            write("PUT", "/admin/global_rules/hot-rule", R"({"plugins":{"request-id":{"header_name":"X-Hot-)" + n + R"("}}})",
                  i == 0 ? 201 : 200);
            write("PUT", "/admin/consumers/hot-user", R"({"plugins":{"key-auth":{"key":"hot-)" + n + R"("}}})", i == 0 ? 201 : 200);
        }
        write("DELETE", route, {}, 204);
        if (timer.elapsed() > 20000)
            break;   // a very slow machine: enough is enough
    }
    write("DELETE", "/admin/global_rules/hot-rule", {}, 204);
    write("DELETE", "/admin/consumers/hot-user", {}, 204);
    // Let the clients see the final configuration too.
    const int seen = answered.load();
    const QDeadlineTimer settle(kWaitMs);
    while (answered.load() < seen + 8 && !settle.hasExpired())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
    for (auto &c : clients)
        c.join();   // before any check below can return early
    qInfo("%d gateway requests answered during %d admin writes in %lld ms", answered.load(), writes,
          static_cast<long long>(timer.elapsed()));

    QVERIFY2(adminFailures.isEmpty(), qPrintable(adminFailures.join(u'\n')));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(u'\n')));
    QVERIFY(writes >= 50);
    QCOMPARE(configVersion(), versionBefore + writes);
    QVERIFY2(byStatus.value(200) > 0 && byStatus.value(404) > 0 && byStatus.value(202) > 0, "every kind of request was made");
    QVERIFY(!byStatus.contains(0));
    const QJsonArray routes = admin("GET", "/admin/routes").json().value(u"items"_s).toArray();
    for (const QString &id : idsOf(routes, u"id"_s))
        QVERIFY2(!id.startsWith(u"hot-"_s), qPrintable(id));
}

// ---------------------------------------------------------------------------------------------
// a whole configuration (defect 5)

void tst_AdminApi::configImportRefusals_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("errors");   // each must be one of the answer's errors
    QTest::addColumn<QString>("detail");

    const QByteArray rest = R"("upstreams":[],"consumers":[],"global_rules":[])";
    const QStringList missing{u"/upstreams: is required"_s, u"/consumers: is required"_s, u"/global_rules: is required"_s};
    auto row = [](const char *name, const QByteArray &body, const QStringList &errors, const QString &detail = {}) {
        QTest::newRow(name) << body << errors << detail;
    };
    // Each of these answered 200 and deleted every route.
    row("routes as a string", R"({"routes":"x"})", QStringList{u"/routes: must be an array"_s} + missing);
    row("routes as an object", R"({"routes":{"a":1}})", QStringList{u"/routes: must be an array"_s} + missing);
    row("a misspelt section", R"({"rotues":[]})",
        QStringList{u"/rotues: is not a section of a configuration (routes, upstreams, consumers, global_rules, scenarios)"_s, u"/routes: is required"_s} + missing);
    row("sections left out", R"({"routes":[]})", missing);
    row("nothing at all", "{}", QStringList{u"/routes: is required"_s} + missing);
    row("a route that is not an object", R"({"routes":["r"],)" + rest + '}', {u"/routes/0: must be an object"_s});
    row("a route without an id", R"({"routes":[{"uri":"/a","upstream":{"type":"events"}}],)" + rest + '}', {u"/routes/0/id: is required"_s});
    row("an id used twice", R"({"routes":[{"id":"a","uri":"/a","upstream":{"type":"events"}},{"id":"a","uri":"/b","upstream":{"type":"events"}}],)"
        + rest + '}', {u"/routes/1/id: 'a' is used twice"_s});
    row("plugins as a list", R"({"routes":[{"id":"a","uri":"/a","plugins":["key-auth"],"upstream":{"type":"events"}}],)" + rest + '}',
        {u"/routes/0/plugins: must be an object"_s});
    row("an upstream_id to nowhere", R"({"routes":[{"id":"a","uri":"/a","upstream_id":"nope"}],)" + rest + '}',
        {u"/routes/0/upstream_id: no upstream 'nope'"_s});
    row("one key for two consumers", R"({"routes":[],"upstreams":[],"global_rules":[],"consumers":[
        {"username":"a","plugins":{"key-auth":{"key":"same"}}},{"username":"b","plugins":{"key-auth":{"key":"same"}}}]})",
        {u"/consumers/1/plugins/key-auth/key: is already the credential of consumer 'a'"_s});
    row("a format version from the future", R"({"gatehouse_config":2,"routes":[],)" + rest + '}', {u"/gatehouse_config: must be 1"_s});
    row("apisix.yaml without every section", "routes: []\n#END\n", missing);
    row("apisix.yaml with plugins as a list",
        "routes:\n  - {\"id\":\"a\",\"uri\":\"/a\",\"plugins\":[\"key-auth\"],\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"10.0.0.1:80\":1}}}\n"
        "upstreams: []\nconsumers: []\nglobal_rules: []\n#END\n",
        {u"/routes/0/plugins: must be an object"_s});
    row("apisix.yaml with a member Gatehouse does not have",
        "routes:\n  - {\"id\":\"a\",\"uris\":[\"/a\",\"/b\"],\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"10.0.0.1:80\":1}}}\n"
        "upstreams: []\nconsumers: []\nglobal_rules: []\n#END\n",
        {u"/routes/0/uris: is not supported: give one uri per route"_s, u"/routes/0/uri: is required"_s});
    row("a JSON array", "[]", {}, u"only the one-object-per-line form"_s);
    row("broken JSON", R"({"routes":[)", {}, u"not valid JSON"_s);
}

void tst_AdminApi::configImportRefusals()
{
    QFETCH(QByteArray, body);
    QFETCH(QStringList, errors);
    QFETCH(QString, detail);
    const qint64 version = configVersion();
    QHash<QString, QJsonArray> before;
    for (const QString &kind : {u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s})
        before.insert(kind, admin("GET", "/admin/" + kind.toUtf8()).json().value(u"items"_s).toArray());

    const Reply r = admin("PUT", "/admin/config", body);
    VERIFY_PROBLEM(r, 400);
    const QStringList listed = errorsOf(r);
    for (const QString &e : std::as_const(errors))
        QVERIFY2(listed.contains(e), qPrintable(u"expected \""_s + e + u"\"; got: "_s + listed.join(u" | ")));
    QCOMPARE(listed.size(), errors.size());
    if (!detail.isEmpty())
        QVERIFY2(r.json().value(u"detail"_s).toString().contains(detail), r.body.constData());

    // Nothing changed: the same resources, the same version, still served.
    QCOMPARE(configVersion(), version);
    for (auto it = before.cbegin(); it != before.cend(); ++it)
        QCOMPARE(admin("GET", "/admin/" + it.key().toUtf8()).json().value(u"items"_s).toArray(), it.value());
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);
}

void tst_AdminApi::explicitlyEmptyConfiguration()
{
    // Emptying the gateway takes saying so, section by section; then the export restores it.
    const QByteArray saved = admin("GET", "/admin/config/export").body;
    QVERIFY(!fromJson(saved).value(u"routes"_s).toArray().isEmpty());
    const qint64 version = configVersion();

    const Reply emptied = admin("PUT", "/admin/config", R"({"routes":[],"upstreams":[],"consumers":[],"global_rules":[]})");
    VERIFY_STATUS(emptied, 200);
    QCOMPARE(emptied.json().value(u"imported"_s).toObject(),
             (QJsonObject{{u"routes"_s, 0}, {u"upstreams"_s, 0}, {u"consumers"_s, 0}, {u"global_rules"_s, 0}}));
    QCOMPARE(configVersion(), version + 4);   // one per kind
    QCOMPARE(admin("GET", "/admin/routes").json().value(u"total"_s).toInt(), 0);
    VERIFY_PROBLEM(gateway("GET", "/api/products?limit=1"), 404);

    const Reply restored = admin("PUT", "/admin/config", saved);
    VERIFY_STATUS(restored, 200);
    QCOMPARE(admin("GET", "/admin/routes").json().value(u"total"_s).toInt(), fromJson(saved).value(u"routes"_s).toArray().size());
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);
    QCOMPARE(withoutTimes(admin("GET", "/admin/routes/products-get").json()), m_productsGet);
}

namespace {
// Warnings of the gatehouse.gateway category, collected while a test runs.
QMutex g_logMutex;
QStringList g_gatewayWarnings;
QtMessageHandler g_previousHandler = nullptr;

void collectGatewayWarnings(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && context.category && QByteArrayView(context.category) == "gatehouse.gateway") {
        QMutexLocker lock(&g_logMutex);
        g_gatewayWarnings.append(message);
    }
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

int warningsAbout(const QString &needle)
{
    QMutexLocker lock(&g_logMutex);
    return int(std::count_if(g_gatewayWarnings.cbegin(), g_gatewayWarnings.cend(), [&](const QString &m) { return m.contains(needle); }));
}

// Writes resources into config.db the way an older version (or another tool) left them.
bool storeRaw(const QString &dataDir, const QString &kind, const QList<QJsonObject> &bodies)
{
    ConfigStore store;
    QString error;
    if (!store.open(StorageTarget::sqlite(QDir(dataDir).filePath(u"config.db"_s)), &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    QList<ConfigStore::Resource> puts;
    for (const QJsonObject &b : bodies)
        puts.append({b.value(kind == u"consumers"_s ? u"username"_s : u"id"_s).toString(), toJson(b), 1700000000, 1700000000});
    return store.commitChange(kind, puts, {}) > 0;
}
} // namespace

void tst_AdminApi::storedConfigurationFailsClosed()
{
    const qint64 position = createProduct(u"closed-1"_s);
    QVERIFY(position > 0);
    QVERIFY(readModelReached(position));

    m_listeners.close();
    m_engine.stop();
    QJsonObject brokenGet = m_productsGet;
    brokenGet.insert(u"plugins"_s, QJsonArray{u"key-auth"_s});   // what defect 4 let through
    QVERIFY(storeRaw(m_dir.path(), u"routes"_s, {
        brokenGet,
        fromJson(R"({"id":"fc-below","uri":"/api/*","priority":-100,"plugins":{},"upstream":{"type":"events"}})"),
        fromJson(R"({"id":"fc-uses","uri":"/fc-uses","plugins":{},"upstream_id":"fc-up"})"),
        fromJson(R"({"id":"fc-teleport","uri":"/fc-teleport","plugins":{"key-auth":{},"teleport":{}},"upstream":{"type":"events"}})")}));
    QVERIFY(storeRaw(m_dir.path(), u"upstreams"_s, {fromJson(R"({"id":"fc-up","type":"http","nodes":{"10.0.0.1:80":1},"hash_on":"header"})")}));
    QVERIFY(storeRaw(m_dir.path(), u"consumers"_s, {fromJson(R"({"username":"fc-user","plugins":{"key-auth":{"key":"fc-key","scope":"all"}}})"),
                                                    fromJson(R"({"username":"fc-good","plugins":{"key-auth":{"key":"fc-good-key"}}})")}));
    {
        QMutexLocker lock(&g_logMutex);
        g_gatewayWarnings.clear();
    }
    g_previousHandler = qInstallMessageHandler(collectGatewayWarnings);
    const auto restoreHandler = qScopeGuard([] { qInstallMessageHandler(g_previousHandler); });
    startEngine();   // the engine starts; what cannot be applied fails closed
    if (QTest::currentTestFailed())
        return;

    // The route is not served: not without its plugins, not by the catch-all below it.
    for (const Headers &headers : {Headers{}, Headers{{"apikey", "fc-good-key"}}}) {
        const Reply r = gateway("GET", "/api/products/closed-1", {}, headers);
        VERIFY_PROBLEM(r, 503);
        QCOMPARE(r.json().value(u"type"_s).toString(), u"urn:gatehouse:problem:route-misconfigured"_s);
        QCOMPARE(r.json().value(u"route"_s).toString(), u"products-get"_s);
    }
    const QJsonObject stored = admin("GET", "/admin/routes/products-get").json();
    QCOMPARE(stored.value(u"plugins"_s), QJsonValue(QJsonArray{u"key-auth"_s}));   // as stored, for the operator to see
    QCOMPARE(stored.value(u"problems"_s).toArray(), QJsonArray{u"/plugins: must be an object"_s});
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);   // the rest is served

    // A plugin this build does not have; an upstream with a member it cannot apply.
    const Reply teleport = gateway("GET", "/fc-teleport?limit=1");
    VERIFY_PROBLEM(teleport, 503);
    QVERIFY2(admin("GET", "/admin/routes/fc-teleport").json().value(u"problems"_s).toArray().first().toString()
                 .startsWith(u"/plugins/teleport: unknown plugin"_s), "names the plugin");
    VERIFY_PROBLEM(gateway("GET", "/fc-uses"), 503);
    QVERIFY(admin("GET", "/admin/upstreams/fc-up").json().value(u"problems"_s).toArray().first().toString().startsWith(u"/hash_on: is not supported"_s));
    QVERIFY(admin("GET", "/admin/routes/fc-uses").json().value(u"problems"_s).toArray().first().toString()
                .startsWith(u"/upstream_id: upstream 'fc-up' cannot be applied"_s));
    const QJsonArray listed = admin("GET", "/admin/routes").json().value(u"items"_s).toArray();
    int withProblems = 0;
    for (const QJsonValue &v : listed)
        withProblems += v.toObject().contains(u"problems"_s) ? 1 : 0;
    QCOMPARE(withProblems, 3);

    // Unrelated changes go on; the broken consumer logs nobody in, the good one does.
    VERIFY_STATUS(admin("PUT", "/admin/routes/fc-guarded", R"({"uri":"/fc-guarded","plugins":{"key-auth":{}},"upstream":{"type":"events"}})"), 201);
    VERIFY_PROBLEM(gateway("GET", "/fc-guarded?limit=1", {}, {{"apikey", "fc-key"}}), 401);
    VERIFY_STATUS(gateway("GET", "/fc-guarded?limit=1", {}, {{"apikey", "fc-good-key"}}), 200);
    QCOMPARE(admin("GET", "/admin/consumers/fc-user").json().value(u"problems"_s).toArray(),
             QJsonArray{u"/plugins/key-auth/scope: is not allowed"_s});

    // Each cause was logged once, not per request nor per change.
    for (const QString &id : {u"products-get"_s, u"fc-teleport"_s, u"fc-uses"_s, u"fc-up"_s, u"fc-user"_s})
        QCOMPARE(warningsAbout(id + u" is not applied"_s), 1);

    // Repaired through the admin API, each is served (or usable) again.
    VERIFY_STATUS(admin("PUT", "/admin/routes/products-get", m_productsGet), 200);
    QVERIFY(!admin("GET", "/admin/routes/products-get").json().contains(u"problems"_s));
    VERIFY_STATUS(gateway("GET", "/api/products/closed-1"), 200);
    VERIFY_STATUS(admin("PUT", "/admin/upstreams/fc-up", R"({"type":"events"})"), 200);
    VERIFY_STATUS(gateway("GET", "/fc-uses?limit=1"), 200);
    VERIFY_STATUS(admin("PATCH", "/admin/consumers/fc-user", R"({"plugins":{"key-auth":{"scope":null}}})"), 200);
    VERIFY_STATUS(gateway("GET", "/fc-guarded?limit=1", {}, {{"apikey", "fc-key"}}), 200);
    for (const QByteArray path : {"/admin/routes/fc-teleport", "/admin/routes/fc-uses", "/admin/routes/fc-below", "/admin/routes/fc-guarded",
                                  "/admin/upstreams/fc-up", "/admin/consumers/fc-user", "/admin/consumers/fc-good"})
        VERIFY_STATUS(admin("DELETE", path), 204);
    VERIFY_PROBLEM(gateway("GET", "/api/other"), 404);
}

void tst_AdminApi::brokenGlobalRuleFailsEveryRequest()
{
    m_listeners.close();
    m_engine.stop();
    QVERIFY(storeRaw(m_dir.path(), u"global_rules"_s, {fromJson(R"({"id":"fc-rule","plugins":["key-auth"]})")}));
    startEngine();
    if (QTest::currentTestFailed())
        return;
    for (const QByteArray target : {"/events?limit=1", "/api/products?limit=1", "/no-route-here"}) {
        const Reply r = gateway("GET", target);
        VERIFY_PROBLEM(r, 503);
        QCOMPARE(r.json().value(u"global_rule"_s).toString(), u"fc-rule"_s);
    }
    QCOMPARE(admin("GET", "/admin/global_rules/fc-rule").json().value(u"problems"_s).toArray(), QJsonArray{u"/plugins: must be an object"_s});
    VERIFY_STATUS(admin("DELETE", "/admin/global_rules/fc-rule"), 204);
    VERIFY_STATUS(gateway("GET", "/events?limit=1"), 200);
}

// ---------------------------------------------------------------------------------------------
// persistence

void tst_AdminApi::resourcesSurviveARestart()
{
    VERIFY_STATUS(admin("PUT", "/admin/upstreams/persist-up", R"({"type":"events","name":"the log"})"), 201);
    VERIFY_STATUS(admin("PUT", "/admin/routes/persist-route",
                        R"({"uri":"/persist","methods":["GET"],"upstream_id":"persist-up","plugins":{"key-auth":{}}})"), 201);
    VERIFY_STATUS(admin("PUT", "/admin/consumers/persist-user", R"({"plugins":{"key-auth":{"key":"persist-key"}}})"), 201);
    VERIFY_STATUS(admin("PUT", "/admin/global_rules/persist-rule", R"({"plugins":{"request-id":{"header_name":"X-Persist-Id"}}})"), 201);
    VERIFY_STATUS(admin("PATCH", "/admin/routes/products-get", R"({"desc":"patched before the restart"})"), 200);
    QHash<QString, QJsonArray> before;
    for (const QString &kind : {u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s})
        before.insert(kind, admin("GET", "/admin/" + kind.toUtf8()).json().value(u"items"_s).toArray());
    const qint64 version = configVersion();
    const qint64 events = head();

    restartEngine();
    if (QTest::currentTestFailed())
        return;

    QCOMPARE(configVersion(), version);
    QCOMPARE(head(), events);
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        const QJsonArray now = admin("GET", "/admin/" + it.key().toUtf8()).json().value(u"items"_s).toArray();
        const QString key = it.key() == u"consumers"_s ? u"username"_s : u"id"_s;
        QHash<QString, QJsonObject> byId;
        for (const QJsonValue &v : now)
            byId.insert(v.toObject().value(key).toString(), v.toObject());
        QCOMPARE(byId.size(), it.value().size());
        for (const QJsonValue &v : it.value()) {
            const QString id = v.toObject().value(key).toString();
            QCOMPARE(byId.value(id), v.toObject());
        }
    }
    QCOMPARE(admin("GET", "/admin/routes/products-get").json().value(u"desc"_s).toString(), u"patched before the restart"_s);

    // And they are in force.
    VERIFY_PROBLEM(gateway("GET", "/persist?limit=1"), 401);
    const Reply ok = gateway("GET", "/persist?limit=1", {}, {{"apikey", "persist-key"}});
    VERIFY_STATUS(ok, 200);
    QVERIFY(ok.header("content-type").startsWith("application/cloudevents-batch+json"));
    QVERIFY(!ok.header("x-persist-id").isEmpty());

    for (const QByteArray path : {"/admin/routes/persist-route", "/admin/upstreams/persist-up", "/admin/consumers/persist-user",
                                  "/admin/global_rules/persist-rule"})
        VERIFY_STATUS(admin("DELETE", path), 204);
    QVERIFY(gateway("GET", "/events?limit=1").header("x-persist-id").isEmpty());
}

void tst_AdminApi::defaultRoutesAreSeededOnce()
{
    const QJsonObject listRoute = admin("GET", "/admin/routes/products-list").json();
    QCOMPARE(listRoute.value(u"uri"_s).toString(), u"/api/products"_s);
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);
    VERIFY_STATUS(admin("DELETE", "/admin/routes/products-list"), 204);
    const Reply gone = gateway("GET", "/api/products?limit=1");
    VERIFY_PROBLEM(gone, 405);   // products-create still owns the path, for POST
    QCOMPARE(gone.header("allow"), QByteArrayLiteral("POST"));
    const qint64 version = configVersion();

    restartEngine();
    if (QTest::currentTestFailed())
        return;

    VERIFY_PROBLEM(admin("GET", "/admin/routes/products-list"), 404);
    VERIFY_PROBLEM(gateway("GET", "/api/products?limit=1"), 405);
    QCOMPARE(configVersion(), version);   // the start stored nothing
    // Every other default route is still there, once.
    const QJsonArray routes = admin("GET", "/admin/routes").json().value(u"items"_s).toArray();
    QStringList ids;
    for (const QJsonValue &v : routes)
        ids.append(v.toObject().value(u"id"_s).toString());
    for (const QString &id : {u"products-create"_s, u"products-update"_s, u"products-command"_s, u"products-get"_s, u"events"_s})
        QCOMPARE(int(ids.count(id)), 1);

    // Put back by hand, it is an ordinary route again.
    VERIFY_STATUS(admin("PUT", "/admin/routes/products-list", withoutTimes(listRoute)), 201);
    VERIFY_STATUS(gateway("GET", "/api/products?limit=1"), 200);
}

// The engine's address is written into the exported YAML: host:port, nothing else.
void tst_AdminApi::apisixExportChecksTheEngineAddress()
{
    const Reply good = admin("GET", "/admin/config/export?format=apisix&engine_address=gw.example:9081");
    QCOMPARE(good.status, 200);
    QVERIFY(good.body.contains("gw.example:9081"));
    QCOMPARE(admin("GET", "/admin/config/export?format=apisix&engine_address=%5B::1%5D:9080").status, 200);
    QCOMPARE(admin("GET", "/admin/config/export?format=apisix&engine_address=a:9080,b:9080").status, 200);
    QCOMPARE(admin("GET", "/admin/config/export?format=apisix&engine_address=").status, 200);
    for (const QByteArray &bad : {QByteArray("evil%0Aroutes:%20%5B%5D"), QByteArray("a:99999"), QByteArray("a:0"), QByteArray("host"),
                                  QByteArray("a%20b:80"), QByteArray("gw:80%0A"), QByteArray("a:80,")}) {
        const Reply r = admin("GET", "/admin/config/export?format=apisix&engine_address=" + bad);
        VERIFY_PROBLEM(r, 400);
    }
}

QTEST_GUILESS_MAIN(tst_AdminApi)
#include "tst_adminapi.moc"
