// The admin resources' schemas (ResourceSchemas) and the limits they are built from
// (ResourceLimits): every document compiles and is closed, every limit shows in what the
// schema answers, and the count limits hold in ResourceService against a real config.db.
#include "config/configstore.h"
#include "config/jsonschema.h"
#include "gateway/gateway.h"
#include "gateway/resourceschemas.h"
#include "resources/resourceservice.h"
#include "testdatabase.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

QJsonObject obj(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s", text.constData());
    return doc.object();
}

// Every member schema below `schema` that describes an object with properties must close it,
// and every property must say what it is.
void checkClosed(const QJsonObject &schema, const QString &where, QStringList *problems)
{
    const QJsonObject properties = schema.value(u"properties"_s).toObject();
    if (!properties.isEmpty() && !schema.contains(u"additionalProperties"_s))
        problems->append(where + u": open object"_s);
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        const QString at = where + u'/' + it.key();
        if (!p.contains(u"type"_s) && !p.contains(u"enum"_s) && !p.contains(u"const"_s) && !p.contains(u"not"_s))
            problems->append(at + u": untyped"_s);
        checkClosed(p, at, problems);
        if (p.value(u"items"_s).isObject())
            checkClosed(p.value(u"items"_s).toObject(), at + u"/items"_s, problems);
        if (p.value(u"additionalProperties"_s).isObject())
            checkClosed(p.value(u"additionalProperties"_s).toObject(), at + u"/*"_s, problems);
    }
}

} // namespace

class tst_ResourceSchemas : public QObject
{
    Q_OBJECT

private slots:
    void documentsCompileAndAreClosed();
    void limitsShapeTheSchemas_data();
    void limitsShapeTheSchemas();
    void limitsByName();
    void countLimits_data();
    void countLimits();
};

void tst_ResourceSchemas::documentsCompileAndAreClosed()
{
    const auto schemas = ResourceSchemas::defaults();
    QCOMPARE(ResourceSchemas::names(), (QStringList{u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s, u"config"_s}));
    for (const QString &name : ResourceSchemas::names()) {
        const QJsonObject document = schemas->document(name);
        QVERIFY2(!document.isEmpty(), qPrintable(name));
        QStringList errors;
        JsonSchema::compile(document, &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(name + u": "_s + errors.join(u'\n')));
        QStringList problems;
        checkClosed(document, name, &problems);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
    }
    QVERIFY(schemas->document(u"nope"_s).isEmpty());
    QCOMPARE(schemas->validate(u"nope"_s, QJsonObject()), QStringList{u": no schema for 'nope'"_s});
    // The configuration's items are the resources, with their ids required.
    const QJsonObject routeItem = schemas->document(u"config"_s).value(u"properties"_s).toObject().value(u"routes"_s).toObject()
                                      .value(u"items"_s).toObject();
    QCOMPARE(routeItem.value(u"properties"_s), schemas->document(u"routes"_s).value(u"properties"_s));
    QVERIFY(routeItem.value(u"required"_s).toArray().contains(u"id"_s));
    QVERIFY(!schemas->document(u"routes"_s).value(u"required"_s).toArray().contains(u"id"_s));   // from the URL
}

void tst_ResourceSchemas::limitsShapeTheSchemas_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QStringList>("errors");
    const QByteArray up = R"("upstream":{"type":"events"})";
    QTest::newRow("max_uri_length") << u"routes"_s << QByteArray(R"({"uri":"/0123456789",)" + up + "}")
                                    << QStringList{u"/uri: must have at most 10 characters"_s};
    QTest::newRow("max_uri_length ok") << u"routes"_s << QByteArray(R"({"uri":"/012345678",)" + up + "}") << QStringList();
    QTest::newRow("max_id_length") << u"routes"_s << QByteArray(R"({"id":"abcdefghi","uri":"/a",)" + up + "}")
                                   << QStringList{u"/id: must be 1-8 of A-Z a-z 0-9 . _ -, and not \".\" or \"..\""_s};
    QTest::newRow("max_hosts") << u"routes"_s << QByteArray(R"({"uri":"/a","hosts":["a.example","b.example"],)" + up + "}")
                               << QStringList{u"/hosts: must have at most 1 items"_s};
    QTest::newRow("max_nodes") << u"upstreams"_s << QByteArray(R"({"type":"http","nodes":[{"host":"a"},{"host":"b"}]})")
                               << QStringList{u"/nodes: must have at most 1 items"_s};
    QTest::newRow("max_routes in a configuration") << u"config"_s
        << QByteArray(R"({"routes":[{"id":"a","uri":"/a",)" + up + R"(},{"id":"b","uri":"/b",)" + up + R"(}],"upstreams":[],"consumers":[],"global_rules":[]})")
        << QStringList{u"/routes: must have at most 1 items"_s};
}

void tst_ResourceSchemas::limitsShapeTheSchemas()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, value);
    QFETCH(QStringList, errors);
    ResourceLimits limits;
    limits.maxUriLength = 10;
    limits.maxIdLength = 8;
    limits.maxHosts = 1;
    limits.maxNodes = 1;
    limits.maxRoutes = 1;
    const ResourceSchemas schemas(limits);
    QCOMPARE(schemas.validate(kind, obj(value)), errors);
}

void tst_ResourceSchemas::limitsByName()
{
    const ResourceLimits defaults;
    const QJsonObject named = defaults.toJson();
    QCOMPARE(named.size(), 16);
    for (auto it = named.begin(); it != named.end(); ++it) {
        QVERIFY2(it.key().startsWith(u"max_"_s), qPrintable(it.key()));
        QCOMPARE(defaults.value(it.key()), it.value().toInt());
        QVERIFY(it.value().toInt() > 0);
    }
    QCOMPARE(named.value(u"max_routes"_s).toInt(), 10000);
    QCOMPARE(defaults.value(u"max_nothing"_s), -1);
}

void tst_ResourceSchemas::countLimits_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("limit");
    QTest::addColumn<QByteArray>("body");   // %1 is replaced by a number, for unique keys
    QTest::newRow("routes") << u"routes"_s << u"max_routes"_s << QByteArray(R"({"uri":"/r%1","upstream":{"type":"events"}})");
    QTest::newRow("upstreams") << u"upstreams"_s << u"max_upstreams"_s << QByteArray(R"({"type":"events"})");
    QTest::newRow("consumers") << u"consumers"_s << u"max_consumers"_s << QByteArray(R"({"plugins":{"key-auth":{"key":"k%1"}}})");
    QTest::newRow("global_rules") << u"global_rules"_s << u"max_global_rules"_s << QByteArray(R"({"plugins":{}})");
}

void tst_ResourceSchemas::countLimits()
{
    QFETCH(QString, kind);
    QFETCH(QString, limit);
    QFETCH(QByteArray, body);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ConfigStore store;
    QString error;
    QVERIFY2(store.open(Test::target(dir.path(), u"config.db"_s), &error), qPrintable(error));
    Gateway gateway;
    ResourceLimits limits;
    limits.maxRoutes = limits.maxUpstreams = limits.maxConsumers = limits.maxGlobalRules = 2;
    ResourceService service(&store, &gateway, limits);
    QVERIFY2(service.load({}, &error), qPrintable(error));
    auto bodyFor = [&body](int n) { return obj(QString::fromUtf8(body).arg(n).toUtf8()); };

    QCOMPARE(service.put(kind, u"one"_s, bodyFor(1)).status, 201);
    QCOMPARE(service.put(kind, u"two"_s, bodyFor(2)).status, 201);
    const qint64 version = service.version();
    const ResourceService::Result full = service.put(kind, u"three"_s, bodyFor(3));
    QCOMPARE(full.status, 409);
    QVERIFY2(full.detail.contains(limit) && full.detail.contains(u"at most 2"_s), qPrintable(full.detail));
    QCOMPARE(service.create(kind, bodyFor(3)).status, kind == u"consumers"_s ? 400 : 409);   // a consumer needs a username first
    QCOMPARE(service.version(), version);
    QCOMPARE(service.list(kind).size(), 2);
    // Replacing one is not one more.
    QCOMPARE(service.put(kind, u"two"_s, bodyFor(4)).status, 200);
    QCOMPARE(service.remove(kind, u"one"_s).status, 204);
    QCOMPARE(service.put(kind, u"three"_s, bodyFor(3)).status, 201);
}

QTEST_GUILESS_MAIN(tst_ResourceSchemas)
#include "tst_resourceschemas.moc"
