// The project file: the embedded product catalog, what its schema accepts and rejects,
// and the errors invalid project files produce.
#include "config/projectconfig.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

QStringList describe(const QList<SchemaViolation> &violations)
{
    QStringList lines;
    for (const SchemaViolation &v : violations)
        lines.append((v.path.isEmpty() ? u"(root)"_s : v.path) % u": "_s % v.message);
    return lines;
}

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class tst_ProjectConfig : public QObject
{
    Q_OBJECT

private slots:
    void embeddedDefault();
    void embeddedDefaultMatchesSourceFile();
    void productDocuments_data();
    void productDocuments();
    void productPatches_data();
    void productPatches();
    void invalidProjects_data();
    void invalidProjects();
    void missingFile();
    void roundTrip();
    void idPattern_data();
    void idPattern();
    void collectionNames_data();
    void collectionNames();
    void editCollections();
};

void tst_ProjectConfig::embeddedDefault()
{
    const ProjectConfig config = ProjectConfig::embeddedDefault();
    QCOMPARE(config.name(), u"product-catalog"_s);
    QCOMPARE(config.collections().size(), 1);
    const Collection *products = config.collection(u"products"_s);
    QVERIFY(products);
    QCOMPARE(products->name, u"products"_s);
    QCOMPARE(products->indexedFields, (QStringList{u"name"_s, u"price"_s, u"sku"_s}));
    QCOMPARE(products->idPattern, Collection::defaultIdPattern());
    QCOMPARE(products->schema.propertyNames(),
             (QStringList{u"description"_s, u"id"_s, u"name"_s, u"price"_s, u"sku"_s,
                          u"stock"_s, u"tags"_s}));
    QCOMPARE(products->schema.propertyType(u"price"_s), u"number"_s);
    QCOMPARE(products->schema.propertyType(u"stock"_s), u"integer"_s);
    QVERIFY(products->commands.isEmpty());
    QVERIFY(!config.collection(u"orders"_s));
    QVERIFY(config.routes().isEmpty());
    QVERIFY(config.functions().isEmpty());
}

void tst_ProjectConfig::embeddedDefaultMatchesSourceFile()
{
    QStringList errors;
    const ProjectConfig fromSource = ProjectConfig::fromFile(
        QStringLiteral(GATEHOUSE_SOURCE_DIR "/resources/default-project.json"), &errors);
    QCOMPARE(errors, QStringList());
    QCOMPARE(fromSource.toJson(), ProjectConfig::embeddedDefault().toJson());
}

void tst_ProjectConfig::productDocuments_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QStringList>("expected");

    const QStringList ok;
    QTest::newRow("minimal") << QByteArray(R"({"name":"Widget","price":9.5})") << ok;
    QTest::newRow("complete")
        << QByteArray(R"({"id":"w-1","name":"Widget","price":0,"sku":"ABC-123","stock":3,
                          "tags":["tools","metal"],"description":"A widget."})")
        << ok;
    QTest::newRow("stock 2.0 is an integer") << QByteArray(R"({"name":"W","price":1,"stock":2.0})")
                                             << ok;
    QTest::newRow("bad sku") << QByteArray(R"({"name":"Widget","price":9.5,"sku":"abc-12"})")
                             << QStringList{u"/sku: must match ^[A-Z]{3}-[0-9]{3}$"_s};
    QTest::newRow("negative price") << QByteArray(R"({"name":"Widget","price":-0.01})")
                                    << QStringList{u"/price: must be >= 0"_s};
    QTest::newRow("price as text") << QByteArray(R"({"name":"Widget","price":"9.5"})")
                                   << QStringList{u"/price: must be a number"_s};
    QTest::newRow("missing name") << QByteArray(R"({"price":9.5})")
                                  << QStringList{u"/name: is required"_s};
    QTest::newRow("empty name") << QByteArray(R"({"name":"","price":1})")
                                << QStringList{u"/name: must have at least 1 characters"_s};
    QTest::newRow("long name") << (R"({"price":1,"name":")" + QByteArray(201, 'x') + R"("})")
                               << QStringList{u"/name: must have at most 200 characters"_s};
    QTest::newRow("extra field") << QByteArray(R"({"name":"Widget","price":9.5,"colour":"red"})")
                                 << QStringList{u"/colour: is not allowed"_s};
    QTest::newRow("fractional stock") << QByteArray(R"({"name":"W","price":1,"stock":1.5})")
                                      << QStringList{u"/stock: must be an integer"_s};
    QTest::newRow("bad tag") << QByteArray(R"({"name":"W","price":1,"tags":["a",7]})")
                             << QStringList{u"/tags/1: must be a string"_s};
    QTest::newRow("not an object") << QByteArray(R"(["Widget"])")
                                   << QStringList{u"(root): must be an object"_s};
    QTest::newRow("everything wrong")
        << QByteArray(R"({"price":-1,"sku":"x","stock":-2,"id":5,"extra":null})")
        << QStringList{u"/name: is required"_s, u"/extra: is not allowed"_s,
                       u"/id: must be a string"_s, u"/price: must be >= 0"_s,
                       u"/sku: must match ^[A-Z]{3}-[0-9]{3}$"_s, u"/stock: must be >= 0"_s};
}

void tst_ProjectConfig::productDocuments()
{
    QFETCH(QByteArray, document);
    QFETCH(QStringList, expected);

    const ProjectConfig config = ProjectConfig::embeddedDefault();
    const Collection *products = config.collection(u"products"_s);
    QVERIFY(products);
    const QJsonDocument parsed = QJsonDocument::fromJson(document);
    const QJsonValue value = parsed.isObject() ? QJsonValue(parsed.object())
                                               : QJsonValue(parsed.array());
    QCOMPARE(describe(products->schema.validate(value)), expected);
}

void tst_ProjectConfig::productPatches_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("new price") << QByteArray(R"({"price":12})") << QStringList();
    QTest::newRow("drop sku") << QByteArray(R"({"sku":null})") << QStringList();
    QTest::newRow("drop name") << QByteArray(R"({"name":null})")
                               << QStringList{u"/name: required property cannot be removed"_s};
    QTest::newRow("bad sku") << QByteArray(R"({"sku":"nope"})")
                             << QStringList{u"/sku: must match ^[A-Z]{3}-[0-9]{3}$"_s};
    QTest::newRow("unknown field") << QByteArray(R"({"colour":"red"})")
                                   << QStringList{u"/colour: is not allowed"_s};
}

void tst_ProjectConfig::productPatches()
{
    QFETCH(QByteArray, patch);
    QFETCH(QStringList, expected);

    const ProjectConfig config = ProjectConfig::embeddedDefault();
    QCOMPARE(describe(config.collection(u"products"_s)->schema.validatePatch(object(patch))),
             expected);
}

void tst_ProjectConfig::invalidProjects_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("expected");  // each error must start with its entry

    QTest::newRow("not JSON") << QByteArray("{\"name\": ") << QStringList{u"invalid JSON at offset"_s};
    QTest::newRow("array") << QByteArray("[]") << QStringList{u"a project must be a JSON object"_s};
    QTest::newRow("name not a string") << QByteArray(R"({"name":5})")
                                       << QStringList{u"/name: must be a string"_s};
    QTest::newRow("collections array") << QByteArray(R"({"collections":[]})")
                                       << QStringList{u"/collections: must be an object"_s};
    QTest::newRow("collection not an object") << QByteArray(R"({"collections":{"p":3}})")
                                              << QStringList{u"/collections/p: must be an object"_s};
    QTest::newRow("upper-case collection name")
        << QByteArray(R"({"collections":{"Products":{}}})")
        << QStringList{u"/collections/Products: invalid collection name"_s};
    QTest::newRow("collection name starts with digit")
        << QByteArray(R"({"collections":{"1st":{}}})")
        << QStringList{u"/collections/1st: invalid collection name"_s};
    QTest::newRow("collection name with slash")
        << QByteArray(R"({"collections":{"a/b":{}}})")
        << QStringList{u"/collections/a~1b: invalid collection name"_s};
    QTest::newRow("collection name too long")
        << (R"({"collections":{"a)" + QByteArray(63, 'b') + R"(":{}}})")
        << QStringList{u"/collections/a"_s + QString(63, u'b') + u": invalid collection name"_s};
    QTest::newRow("unknown collection member")
        << QByteArray(R"({"collections":{"p":{"schemaa":{}}}})")
        << QStringList{u"/collections/p/schemaa: unknown collection member"_s};
    QTest::newRow("name member disagrees")
        << QByteArray(R"({"collections":{"p":{"name":"q"}}})")
        << QStringList{u"/collections/p/name: must match the collection's key"_s};
    QTest::newRow("schema not an object") << QByteArray(R"({"collections":{"p":{"schema":5}}})")
                                          << QStringList{u"/collections/p/schema: must be an object"_s};
    QTest::newRow("schema for strings")
        << QByteArray(R"({"collections":{"p":{"schema":{"type":"string"}}}})")
        << QStringList{u"/collections/p/schema/type: a collection schema must describe objects"_s};
    QTest::newRow("bad schema type")
        << QByteArray(R"({"collections":{"p":{"schema":{"properties":{"x":{"type":"texte"}}}}}})")
        << QStringList{u"/collections/p/schema/properties/x/type: unknown type \"texte\""_s};
    QTest::newRow("bad schema pattern")
        << QByteArray(R"({"collections":{"p":{"schema":{"properties":{"x":{"pattern":"(["}}}}}})")
        << QStringList{u"/collections/p/schema/properties/x/pattern: invalid regular expression"_s};
    QTest::newRow("index on an array")
        << QByteArray(R"({"collections":{"p":{"schema":{"properties":{"t":{"type":"array","index":true}}}}}})")
        << QStringList{u"/collections/p/schema/properties/t/index: only string, number, integer or boolean"_s};
    QTest::newRow("bad id pattern")
        << QByteArray(R"({"collections":{"p":{"id_pattern":"[a-"}}})")
        << QStringList{u"/collections/p/id_pattern: invalid regular expression"_s};
    QTest::newRow("empty id pattern")
        << QByteArray(R"({"collections":{"p":{"id_pattern":""}}})")
        << QStringList{u"/collections/p/id_pattern: must be a non-empty string"_s};
    QTest::newRow("commands array") << QByteArray(R"({"collections":{"p":{"commands":[]}}})")
                                    << QStringList{u"/collections/p/commands: must be an object"_s};
    QTest::newRow("built-in command name")
        << QByteArray(R"({"collections":{"p":{"commands":{"delete":{}}}}})")
        << QStringList{u"/collections/p/commands/delete: is a built-in command"_s};
    QTest::newRow("bad command name")
        << QByteArray(R"({"collections":{"p":{"commands":{"re stock":{}}}}})")
        << QStringList{u"/collections/p/commands/re stock: invalid command name"_s};
    QTest::newRow("custom command without code or function")
        << QByteArray(R"({"collections":{"p":{"commands":{"pay":{"script":"x"}}}}})")
        << QStringList{u"/collections/p/commands/pay: must be {\"function\""_s};
    QTest::newRow("routes object") << QByteArray(R"({"routes":{}})")
                                   << QStringList{u"/routes: must be an array"_s};
    QTest::newRow("functions string") << QByteArray(R"({"functions":"f"})")
                                      << QStringList{u"/functions: must be an array"_s};
    QTest::newRow("several at once")
        << QByteArray(R"({"name":1,"collections":{"Bad":{},"ok":{"schema":{"minimum":"0"}}},
                          "routes":1})")
        << QStringList{u"/name: must be a string"_s,
                       u"/collections/Bad: invalid collection name"_s,
                       u"/collections/ok/schema/minimum: must be a number"_s,
                       u"/routes: must be an array"_s};
}

void tst_ProjectConfig::invalidProjects()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, expected);

    QStringList errors;
    const ProjectConfig config = ProjectConfig::fromJson(json, &errors);
    errors.sort();
    expected.sort();
    QCOMPARE(errors.size(), expected.size());
    for (qsizetype i = 0; i < errors.size(); ++i) {
        if (!errors.at(i).startsWith(expected.at(i)))
            QFAIL(qPrintable(u"error \""_s % errors.at(i) % u"\" does not start with \""_s
                             % expected.at(i) % u'"'));
    }
    // A project with errors is not half-loaded.
    QVERIFY(config.collections().isEmpty());
    QVERIFY(config.name().isEmpty());
}

void tst_ProjectConfig::missingFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QStringList errors;
    const ProjectConfig config = ProjectConfig::fromFile(dir.filePath(u"absent.json"_s), &errors);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.first().startsWith(u"cannot read "_s), qPrintable(errors.first()));
    QVERIFY(config.collections().isEmpty());
}

void tst_ProjectConfig::roundTrip()
{
    const QByteArray source = R"({
        "name": "shop",
        "resources": {"kept": true},
        "collections": {
            "orders": {"schema": {"type": "object", "required": ["total"],
                                  "properties": {"total": {"type": "number", "index": true},
                                                 "paid": {"type": "boolean", "index": true}}},
                       "id_pattern": "^ord-[0-9]+$",
                       "commands": {"pay": {"decide": "function (s, c) { return []; }"}}},
            "customers": {}
        },
        "routes": [{"id": "r1", "uri": "/api/orders/:id"}],
        "functions": [{"id": "f1"}]
    })";

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"project.json"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(source);
    file.close();

    QStringList errors;
    const ProjectConfig config = ProjectConfig::fromFile(file.fileName(), &errors);
    QCOMPARE(errors, QStringList());
    QCOMPARE(config.name(), u"shop"_s);
    QCOMPARE(config.collections().size(), 2);
    const Collection *orders = config.collection(u"orders"_s);
    QVERIFY(orders);
    QCOMPARE(orders->indexedFields, (QStringList{u"paid"_s, u"total"_s}));
    QCOMPARE(orders->idPattern, u"^ord-[0-9]+$"_s);
    QCOMPARE(orders->commands.keys(), QStringList{u"pay"_s});
    QCOMPARE(describe(orders->schema.validate(object(R"({"paid":1})"))),
             (QStringList{u"/total: is required"_s, u"/paid: must be a boolean"_s}));
    // No schema: any object.
    QVERIFY(config.collection(u"customers"_s)->schema.validate(object(R"({"x":1})")).isEmpty());
    QCOMPARE(config.routes().size(), 1);
    QCOMPARE(config.functions().size(), 1);

    const QByteArray written = config.toJson();
    const QJsonObject writtenObject = object(written);
    QCOMPARE(writtenObject.value(u"resources").toObject(), object(R"({"kept":true})"));
    QVERIFY(!writtenObject.value(u"collections").toObject().value(u"orders").toObject().contains(u"name"));

    const ProjectConfig again = ProjectConfig::fromJson(written, &errors);
    QCOMPARE(errors, QStringList());
    QCOMPARE(again.toJson(), written);
    QCOMPARE(again.collection(u"orders"_s)->toJson(), orders->toJson());
    QCOMPARE(again.routes(), config.routes());
}

void tst_ProjectConfig::idPattern_data()
{
    QTest::addColumn<QString>("pattern");  // empty: the default
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("default plain") << QString() << u"w-1"_s << true;
    QTest::newRow("default all classes") << QString() << u"Az09._~-"_s << true;
    QTest::newRow("default space") << QString() << u"a b"_s << false;
    QTest::newRow("default slash") << QString() << u"a/b"_s << false;
    QTest::newRow("default empty") << QString() << QString() << false;
    QTest::newRow("default 128") << QString() << QString(128, u'a') << true;
    QTest::newRow("default 129") << QString() << QString(129, u'a') << false;
    QTest::newRow("default trailing newline") << QString() << u"abc\n"_s << false;
    QTest::newRow("custom ok") << u"^ord-[0-9]+$"_s << u"ord-17"_s << true;
    QTest::newRow("custom miss") << u"^ord-[0-9]+$"_s << u"ord-x"_s << false;
}

void tst_ProjectConfig::idPattern()
{
    QFETCH(QString, pattern);
    QFETCH(QString, id);
    QFETCH(bool, accepted);

    Collection collection;
    collection.idPattern = pattern;
    const QRegularExpression regex = collection.idRegularExpression();
    QVERIFY(regex.isValid());
    QCOMPARE(regex.match(id).hasMatch(), accepted);
}

void tst_ProjectConfig::collectionNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");

    QTest::newRow("products") << u"products"_s << true;
    QTest::newRow("one letter") << u"p"_s << true;
    QTest::newRow("digits dash underscore") << u"order_items-2"_s << true;
    QTest::newRow("63 characters") << QString(63, u'a') << true;
    QTest::newRow("64 characters") << QString(64, u'a') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("upper case") << u"Products"_s << false;
    QTest::newRow("leading dash") << u"-p"_s << false;
    QTest::newRow("dot") << u"a.b"_s << false;
    QTest::newRow("trailing newline") << u"products\n"_s << false;
}

void tst_ProjectConfig::collectionNames()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    QCOMPARE(Collection::isValidName(name), valid);
}

void tst_ProjectConfig::editCollections()
{
    ProjectConfig config = ProjectConfig::embeddedDefault();
    QStringList errors;
    const Collection orders = Collection::fromJson(
        u"orders"_s, object(R"({"schema":{"properties":{"n":{"type":"integer","index":true}}}})"),
        &errors);
    QCOMPARE(errors, QStringList());
    config.setCollection(orders);
    QCOMPARE(config.collections().size(), 2);
    QCOMPARE(config.collection(u"orders"_s)->indexedFields, QStringList{u"n"_s});

    Collection replacement = orders;
    replacement.indexedFields.clear();
    config.setCollection(replacement);
    QCOMPARE(config.collections().size(), 2);
    QVERIFY(config.collection(u"orders"_s)->indexedFields.isEmpty());

    QVERIFY(config.removeCollection(u"products"_s));
    QVERIFY(!config.removeCollection(u"products"_s));
    QVERIFY(!config.collection(u"products"_s));
    QCOMPARE(config.collections().size(), 1);
}

QTEST_GUILESS_MAIN(tst_ProjectConfig)
#include "tst_projectconfig.moc"
