// The gateway configuration as a file (ConfigExport) and the `gatehouse export` / `gatehouse
// import` commands: our JSON form and APISIX's standalone apisix.yaml both read back to what was
// written (minus timestamps), internal upstreams point APISIX at the engine, and the real binary
// moves a configuration from one data directory to another, refusing while an engine runs there
// and refusing invalid files with every error listed.
#include "engineprocess.h"
#include "gateway/defaultroutes.h"
#include "gateway/resourceschemas.h"
#include "gateway/route.h"
#include "resources/configexport.h"
#include "testhttpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

const QStringList kKinds{u"routes"_s, u"upstreams"_s, u"consumers"_s, u"global_rules"_s};
const QString kEngineAddress = u"10.1.2.3:9080"_s;
const QByteArray kAdminKey = "export-test-key-8d1f0a2c93b7e4";

// Every upstream type but "http" is served by the engine itself (command, query, events,
// function, websocket, sse, and whatever comes next).
bool isInternal(const QString &type)
{
    return type != u"http"_s;
}

using Headers = QList<std::pair<QByteArray, QByteArray>>;

QJsonObject obj(const char *text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(text), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in the test itself: %s at %d: %s", qPrintable(error.errorString()), error.offset, text);
    return doc.object();
}

QJsonObject withoutTimes(QJsonObject o)
{
    o.remove(u"create_time"_s);
    o.remove(u"update_time"_s);
    return o;
}

ConfigExport::Resources toResources(const QJsonObject &config)
{
    ConfigExport::Resources out;
    for (const QString &kind : kKinds)
        out.insert(kind, config.value(kind).toArray());
    return out;
}

// What reading back must give: every kind present, no timestamps.
ConfigExport::Resources expectedAfterRoundTrip(const ConfigExport::Resources &in)
{
    ConfigExport::Resources out;
    for (const QString &kind : kKinds) {
        QJsonArray items;
        for (const QJsonValue &v : in.value(kind))
            items.append(withoutTimes(v.toObject()));
        out.insert(kind, items);
    }
    return out;
}

// Names the first difference, for a readable failure.
QByteArray difference(const ConfigExport::Resources &actual, const ConfigExport::Resources &expected)
{
    for (const QString &kind : kKinds) {
        const QJsonArray a = actual.value(kind);
        const QJsonArray e = expected.value(kind);
        if (a.size() != e.size())
            return kind.toUtf8() + ": " + QByteArray::number(a.size()) + " items instead of " + QByteArray::number(e.size());
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (a.at(i) != e.at(i))
                return kind.toUtf8() + '/' + QByteArray::number(i) + ":\n  got      "
                    + QJsonDocument(a.at(i).toObject()).toJson(QJsonDocument::Compact) + "\n  expected "
                    + QJsonDocument(e.at(i).toObject()).toJson(QJsonDocument::Compact);
        }
    }
    if (actual.size() != expected.size())
        return "kinds: " + QStringList(actual.keys()).join(u',').toUtf8() + " instead of " + QStringList(expected.keys()).join(u',').toUtf8();
    return {};
}

struct ToolRun
{
    int exitCode = -1;   // -1: did not finish normally
    QByteArray out;
    QByteArray err;
};

ToolRun runTool(const QStringList &arguments)
{
    QProcess p;
    p.setProgram(QStringLiteral(GATEHOUSE_BINARY));
    p.setArguments(arguments);
    p.start();
    ToolRun run;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        run.err = "did not finish: " + p.errorString().toUtf8();
        return run;
    }
    run.out = p.readAllStandardOutput();
    run.err = p.readAllStandardError();
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return run;
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

} // namespace

class tst_ConfigExport : public QObject
{
    Q_OBJECT

private slots:
    void jsonRoundTrip_data() { addConfigurations(); }
    void jsonRoundTrip();
    void apisixRoundTrip_data() { addConfigurations(); }
    void apisixRoundTrip();
    void apisixFileShape_data() { addConfigurations(); }
    void apisixFileShape();
    void apisixFileIsYaml();
    void apisixListsEveryEngineAsANode();
    void parseRejects_data();
    void parseRejects();
    void parseSkipsComments();
    void readDocumentKeepsWhatItCannotRead_data();
    void readDocumentKeepsWhatItCannotRead();

    void cliExportImportRoundTrip();
    void cliImportedConfigurationIsServed();
    void cliRefusals();

private:
    static void addConfigurations();
    // Configures a data directory through a child engine's admin API, stops it, exports it
    // with `gatehouse export --format apisix` and imports that into an empty directory. Once.
    void prepareCli();

    QTemporaryDir m_source;
    QTemporaryDir m_target;
    QTemporaryDir m_files;
    QString m_yamlFile;
    bool m_prepared = false;
};

namespace {
const QStringList kEngineArgs{u"--admin-key"_s, QString::fromLatin1(kAdminKey), u"--durability"_s, u"normal"_s, u"--no-mqtt"_s};
const Headers kKeyHeader{{"X-API-KEY", kAdminKey}};
}

void tst_ConfigExport::addConfigurations()
{
    QTest::addColumn<QJsonObject>("config");

    QTest::newRow("internal query route with hosts, vars and plugins") << obj(R"({"routes":[
        {"id":"r-query","name":"things","desc":"read things","uri":"/api/things/:id","methods":["GET","HEAD"],"priority":2,
         "hosts":["api.example.com","*.example.org"],"status":1,
         "vars":[["http_x_beta","==","1"],["arg_v","!","~~","^0"],["cookie_tier","in",["gold","silver"]]],
         "plugins":{"key-auth":{"header":"X-Key"},"limit-count":{"count":10,"time_window":60,"key":"remote_addr","rejected_code":429}},
         "upstream":{"type":"query","collection":"products"},"create_time":1700000000,"update_time":1700000100}]})");
    QTest::newRow("command route with empty hosts, disabled") << obj(R"({"routes":[
        {"id":"r-cmd","uri":"/api/things","methods":["POST"],"priority":0,"hosts":[],"status":0,"plugins":{},
         "upstream":{"type":"command","collection":"products"},"create_time":1700000000,"update_time":1700000000}]})");
    QTest::newRow("events and function routes") << obj(R"({"routes":[
        {"id":"r-events","uri":"/feed","methods":["GET"],"hosts":[],"plugins":{"request-id":{}},"upstream":{"type":"events"}},
        {"id":"r-fn","uri":"/fn/*","hosts":["fn.example.com"],"plugins":{},"upstream":{"type":"function","function":"thumbnail"},
         "enable_websocket":true}]})");
    QTest::newRow("http upstream route") << obj(R"json({"routes":[
        {"id":"r-http","uri":"/ext/*","methods":["GET","POST"],"hosts":[],"plugins":{"proxy-rewrite":{"regex_uri":["^/ext/(.*)","/$1"]}},
         "upstream":{"type":"http","nodes":{"10.0.0.1:8080":2,"10.0.0.2:8080":1},"timeout":{"connect":1,"send":2,"read":3.5},
                     "scheme":"http","pass_host":"node","retries":1}}]})json");
    QTest::newRow("route with its own labels and an internal upstream") << obj(R"({"routes":[
        {"id":"r-labels","uri":"/labelled","hosts":[],"plugins":{},"labels":{"team":"core","tier":"1"},
         "upstream":{"type":"query","collection":"products"}}]})");
    QTest::newRow("route through upstream_id, named internal upstream") << obj(R"({
        "routes":[{"id":"r-named","uri":"/named","hosts":[],"plugins":{},"upstream_id":"u-query"}],
        "upstreams":[{"id":"u-query","type":"query","collection":"products","name":"Query side","desc":"the read side",
                      "create_time":1700000000,"update_time":1700000000}]})");
    QTest::newRow("named upstreams of every internal type") << obj(R"({"upstreams":[
        {"id":"u-cmd","type":"command","collection":"products"},
        {"id":"u-events","type":"events","name":"the log"},
        {"id":"u-fn","type":"function","function":"resize"},
        {"id":"u-query","type":"query","collection":"orders"}]})");
    QTest::newRow("named http upstreams") << obj(R"({"upstreams":[
        {"id":"u-http","type":"http","name":"backend","nodes":[{"host":"10.0.0.3","port":80,"weight":1}],
         "checks":{"active":{"http_path":"/health","healthy":{"interval":2,"successes":1}}}},
        {"id":"u-http2","type":"http","nodes":{"backend.internal:443":1},"scheme":"https"}]})");
    QTest::newRow("consumers and global rules") << obj(R"({
        "consumers":[{"username":"alice","desc":"Alice","plugins":{"key-auth":{"key":"alice-key"}},"create_time":1700000000},
                     {"username":"bob","plugins":{"basic-auth":{"username":"bob","password":"pw"}}},
                     {"username":"carol","plugins":{"jwt-auth":{"key":"carol-key","secret":"s3cret"}}}],
        "global_rules":[{"id":"g1","plugins":{"request-id":{"header_name":"X-Trace"}},"update_time":1700000000},
                        {"id":"g2","plugins":{"cors":{}}}]})");
    QTest::newRow("everything at once") << obj(R"({
        "routes":[{"id":"a","uri":"/a","hosts":[],"plugins":{},"upstream":{"type":"events"}},
                  {"id":"b","uri":"/b","hosts":["b.example"],"plugins":{},"upstream_id":"u"},
                  {"id":"c","uri":"/c","hosts":[],"plugins":{},"upstream":{"type":"http","nodes":{"127.0.0.1:1":1}}}],
        "upstreams":[{"id":"u","type":"command","collection":"products"}],
        "consumers":[{"username":"dave","plugins":{"key-auth":{"key":"d"}}}],
        "global_rules":[{"id":"g","plugins":{}}]})");
    QTest::newRow("text that YAML cares about") << obj(R"({"routes":[
        {"id":"r-text","uri":"/text","hosts":[],"plugins":{},"upstream":{"type":"events"},
         "name":"K\u00e4se: #1 - {neu} [x] & *y* 'q' \"dq\"","desc":"two\nlines\ttab # not a comment\n#END"}]})");
    QTest::newRow("empty configuration") << QJsonObject();

    // The default routes, as every engine stores them.
    QJsonArray defaults;
    for (const Route &r : DefaultRoutes::forCollection(u"products"_s))
        defaults.append(r.toJson());
    for (const Route &r : DefaultRoutes::system())
        defaults.append(r.toJson());
    QTest::newRow("the default routes") << QJsonObject{{u"routes"_s, defaults}};

    // Routes as the admin API stores them when the client leaves members out: "hosts" is not
    // there, and reading back must not invent it.
    QTest::newRow("route without a hosts member") << obj(R"({"routes":[
        {"id":"r-nohosts","uri":"/nohosts","plugins":{},"upstream":{"type":"events"}},
        {"id":"r-nohosts-http","uri":"/nohosts-http","plugins":{},"upstream":{"type":"http","nodes":{"127.0.0.1:1":1}}}]})");
    // An internal upstream's members travel as labels; the export keeps what they were,
    // objects included.
    QTest::newRow("internal upstream with non-string members") << obj(R"({
        "routes":[{"id":"r-extra","uri":"/extra","hosts":[],"plugins":{},
                   "upstream":{"type":"query","collection":"products","name":"reads","labels":{"tier":"1","zone":"eu"}}}],
        "upstreams":[{"id":"u-extra","type":"function","function":"f","desc":"resizes","labels":{"owner":"media"}}]})");
}

void tst_ConfigExport::jsonRoundTrip()
{
    QFETCH(QJsonObject, config);
    const ConfigExport::Resources in = toResources(config);
    const QByteArray file = ConfigExport::toJson(in, 42);
    QVERIFY(!file.contains("create_time"));
    QVERIFY(!file.contains("update_time"));
    const QJsonObject root = QJsonDocument::fromJson(file).object();
    QCOMPARE(root.value(u"gatehouse_config"_s).toInt(), 1);
    QCOMPARE(root.value(u"config_version"_s).toInteger(), 42);

    QString error;
    const std::optional<QJsonObject> document = ConfigExport::readDocument(file, &error);
    QVERIFY2(document, qPrintable(error));
    const ConfigExport::Resources out = ConfigExport::sections(*document);
    const QByteArray diff = difference(out, expectedAfterRoundTrip(in));
    QVERIFY2(diff.isEmpty(), diff.constData());
    // What the export writes is a configuration the import takes.
    const QStringList invalid = ResourceSchemas::defaults()->validate(u"config"_s, *document);
    QVERIFY2(invalid.isEmpty(), qPrintable(invalid.join(u'\n')));
}

void tst_ConfigExport::apisixRoundTrip()
{
    QFETCH(QJsonObject, config);
    const ConfigExport::Resources in = toResources(config);
    const QByteArray yaml = ConfigExport::toApisixYaml(in, kEngineAddress);
    QString error;
    const std::optional<QJsonObject> document = ConfigExport::readDocument(yaml, &error);
    QVERIFY2(document, qPrintable(error + u"\n"_s + QString::fromUtf8(yaml)));
    const ConfigExport::Resources out = ConfigExport::sections(*document);
    const QByteArray diff = difference(out, expectedAfterRoundTrip(in));
    QVERIFY2(diff.isEmpty(), QByteArray(diff + "\nfile:\n" + yaml).constData());
    const QStringList invalid = ResourceSchemas::defaults()->validate(u"config"_s, *document);
    QVERIFY2(invalid.isEmpty(), qPrintable(invalid.join(u'\n')));

    // Reading it a second time and writing again gives the same file.
    QCOMPARE(ConfigExport::toApisixYaml(out, kEngineAddress), yaml);
}

void tst_ConfigExport::apisixFileShape()
{
    QFETCH(QJsonObject, config);
    const ConfigExport::Resources in = toResources(config);
    const QByteArray yaml = ConfigExport::toApisixYaml(in, kEngineAddress);
    QVERIFY(yaml.endsWith("\n#END\n"));
    QVERIFY(!yaml.contains("create_time"));
    QVERIFY(!yaml.contains("update_time"));

    // Comment lines, "kind:" / "kind: []" lines, and "  - {one JSON object}" lines; nothing else.
    QHash<QString, QJsonArray> items;
    QStringList sections;
    QString kind;
    const QList<QByteArray> lines = yaml.chopped(1).split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        if (line.startsWith('#'))
            continue;
        if (line.endsWith(": []")) {
            kind = QString::fromUtf8(line.chopped(4));
            sections.append(kind);
            items.insert(kind, QJsonArray());
        } else if (line.endsWith(':') && !line.startsWith(' ')) {
            kind = QString::fromUtf8(line.chopped(1));
            sections.append(kind);
        } else {
            QVERIFY2(line.startsWith("  - {"), line.constData());
            QJsonParseError parseError;
            const QJsonDocument doc = QJsonDocument::fromJson(line.mid(4), &parseError);
            QVERIFY2(parseError.error == QJsonParseError::NoError && doc.isObject(), line.constData());
            QJsonArray list = items.value(kind);
            list.append(doc.object());
            items.insert(kind, list);
        }
    }
    QCOMPARE(sections, kKinds);
    QCOMPARE(lines.last(), QByteArrayLiteral("#END"));
    for (const QString &k : kKinds)
        QCOMPARE(items.value(k).size(), in.value(k).size());

    const QJsonObject engineNode{{u"type"_s, u"roundrobin"_s}, {u"nodes"_s, QJsonObject{{kEngineAddress, 1}}}};
    const QJsonArray routesIn = in.value(u"routes"_s);
    for (qsizetype i = 0; i < routesIn.size(); ++i) {
        const QJsonObject original = routesIn.at(i).toObject();
        const QJsonObject written = items.value(u"routes"_s).at(i).toObject();
        QCOMPARE(written.value(u"id"_s), original.value(u"id"_s));
        QCOMPARE(written.value(u"uri"_s), original.value(u"uri"_s));
        if (original.value(u"hosts"_s).toArray().isEmpty())
            QVERIFY(!written.contains(u"hosts"_s));   // APISIX leaves an empty host list out
        else
            QCOMPARE(written.value(u"hosts"_s), original.value(u"hosts"_s));
        if (original.contains(u"upstream_id"_s)) {
            QCOMPARE(written.value(u"upstream_id"_s), original.value(u"upstream_id"_s));
            QVERIFY(!written.contains(u"upstream"_s));
            continue;
        }
        const QJsonObject up = original.value(u"upstream"_s).toObject();
        const QString type = up.value(u"type"_s).toString();
        if (isInternal(type)) {
            QCOMPARE(written.value(u"upstream"_s).toObject(), engineNode);
            QCOMPARE(written.value(u"labels"_s).toObject().value(u"gatehouse_upstream"_s).toString(), type);
        } else {
            QCOMPARE(written.value(u"upstream"_s).toObject().value(u"type"_s).toString(), u"roundrobin"_s);
            QCOMPARE(written.value(u"upstream"_s).toObject().value(u"nodes"_s), up.value(u"nodes"_s));
        }
    }
    const QJsonArray upstreamsIn = in.value(u"upstreams"_s);
    for (qsizetype i = 0; i < upstreamsIn.size(); ++i) {
        const QJsonObject original = upstreamsIn.at(i).toObject();
        const QJsonObject written = items.value(u"upstreams"_s).at(i).toObject();
        QCOMPARE(written.value(u"id"_s), original.value(u"id"_s));
        QCOMPARE(written.value(u"type"_s).toString(), u"roundrobin"_s);   // APISIX's balancer, never ours
        if (isInternal(original.value(u"type"_s).toString())) {
            QCOMPARE(written.value(u"nodes"_s).toObject(), (QJsonObject{{kEngineAddress, 1}}));
            QCOMPARE(written.value(u"labels"_s).toObject().value(u"gatehouse_upstream"_s), original.value(u"type"_s));
        } else {
            QCOMPARE(written.value(u"nodes"_s), original.value(u"nodes"_s));
        }
    }
    // Consumers and global rules are APISIX-shaped already: written as they are.
    for (const QString &k : {u"consumers"_s, u"global_rules"_s}) {
        for (qsizetype i = 0; i < in.value(k).size(); ++i)
            QCOMPARE(items.value(k).at(i).toObject(), withoutTimes(in.value(k).at(i).toObject()));
    }
}

void tst_ConfigExport::apisixFileIsYaml()
{
    // A real YAML parser reads the file as the same data (when one is at hand).
    const QString python = QStandardPaths::findExecutable(u"python3"_s);
    if (python.isEmpty())
        QSKIP("python3 is not installed");
    QProcess probe;
    probe.start(python, {u"-c"_s, u"import yaml"_s});
    if (!probe.waitForFinished(30000) || probe.exitCode() != 0)
        QSKIP("python3-yaml is not installed");

    ConfigExport::Resources in;
    in.insert(u"routes"_s, QJsonArray{obj(R"({"id":"r","uri":"/r/*","hosts":["a.example"],"plugins":{"key-auth":{}},
                                             "vars":[["arg_x","==","1"]],"upstream":{"type":"query","collection":"products"},
                                             "desc":"colon: hash # dash - brace {"})"),
                                      obj(R"({"id":"h","uri":"/h","hosts":[],"plugins":{},"upstream":{"type":"http","nodes":{"10.0.0.1:80":1}}})")});
    in.insert(u"upstreams"_s, QJsonArray{obj(R"({"id":"u","type":"events"})")});
    in.insert(u"consumers"_s, QJsonArray{obj(R"({"username":"alice","plugins":{"key-auth":{"key":"k"}}})")});
    const QByteArray yaml = ConfigExport::toApisixYaml(in, kEngineAddress);

    QProcess p;
    p.start(python, {u"-c"_s, u"import sys, yaml, json; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"_s});
    QVERIFY(p.waitForStarted());
    p.write(yaml);
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(30000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QJsonObject loaded = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QVERIFY(!loaded.isEmpty());
    const QJsonObject route = loaded.value(u"routes"_s).toArray().at(0).toObject();
    QCOMPARE(route.value(u"uri"_s).toString(), u"/r/*"_s);
    QCOMPARE(route.value(u"desc"_s).toString(), u"colon: hash # dash - brace {"_s);
    QCOMPARE(route.value(u"upstream"_s).toObject(),
             (QJsonObject{{u"type"_s, u"roundrobin"_s}, {u"nodes"_s, QJsonObject{{kEngineAddress, 1}}}}));
    QCOMPARE(loaded.value(u"routes"_s).toArray().size(), 2);
    QCOMPARE(loaded.value(u"upstreams"_s).toArray().size(), 1);
    QCOMPARE(loaded.value(u"consumers"_s).toArray().at(0).toObject(), in.value(u"consumers"_s).at(0).toObject());
    QCOMPARE(loaded.value(u"global_rules"_s).toArray().size(), 0);
}

void tst_ConfigExport::parseRejects_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("error");

    ConfigExport::Resources one;
    one.insert(u"routes"_s, QJsonArray{obj(R"({"id":"r","uri":"/r","hosts":[],"plugins":{},"upstream":{"type":"events"}})")});
    const QByteArray yaml = ConfigExport::toApisixYaml(one, kEngineAddress);
    QTest::newRow("no #END") << QByteArray(yaml.left(yaml.indexOf("#END"))) << u"#END"_s;
    QTest::newRow("cut in the middle of a line") << QByteArray(yaml.left(yaml.indexOf("\"uri\""))) << u"line "_s;
    QTest::newRow("empty file") << QByteArray() << u"#END"_s;
    QTest::newRow("block-style YAML") << QByteArray("routes:\n  - id: r1\n    uri: /x\n#END\n") << u"one-object-per-line"_s;
    QTest::newRow("unknown section") << QByteArray("services:\n  - {\"id\":\"s\"}\n#END\n") << u"unknown section 'services'"_s;
    QTest::newRow("broken JSON on an item line") << QByteArray("routes:\n  - {\"id\": }\n#END\n") << u"line 2"_s;
    QTest::newRow("item before any section") << QByteArray("  - {\"id\":\"x\"}\n#END\n") << u"line 1"_s;
    QTest::newRow("broken JSON form") << QByteArray("{\"routes\": [") << u"not valid JSON"_s;
    QTest::newRow("a JSON array") << QByteArray("[]") << u"line 1"_s;
    // Read strictly, like every JSON the engine takes in: one meaning or none.
    QTest::newRow("a section twice") << QByteArray(R"({"routes":[],"routes":[{"id":"x"}],"upstreams":[],"consumers":[],"global_rules":[]})")
                                     << u"not valid JSON"_s;
    QTest::newRow("a YAML section twice")
        << QByteArray("routes:\n  - {\"id\":\"a\"}\nupstreams: []\nroutes:\n  - {\"id\":\"b\"}\n#END\n")
        << u"line 4: section 'routes' appears a second time"_s;
    QTest::newRow("a YAML section twice, once empty") << QByteArray("routes: []\nroutes: []\n#END\n")
                                                      << u"line 2: section 'routes' appears a second time"_s;
    QTest::newRow("a YAML section without items") << QByteArray("routes:\nupstreams: []\n#END\n")
                                                  << u"line 1: section 'routes' has no items"_s;
    QTest::newRow("the last section without items") << QByteArray("upstreams: []\nroutes:\n#END\n")
                                                    << u"line 2: section 'routes' has no items"_s;
    QTest::newRow("an item under an empty section") << QByteArray("routes: []\n  - {\"id\":\"a\"}\n#END\n") << u"line 2"_s;
    QTest::newRow("text after #END") << QByteArray("routes: []\n#END\nupstreams:\n  - {\"id\":\"u\"}\n")
                                     << u"line 3: text after #END (line 2)"_s;
    QTest::newRow("a lenient number") << QByteArray(R"({"routes":[{"id":"r","uri":"/r","priority":1.,"upstream":{"type":"events"}}]})")
                                      << u"not valid JSON"_s;
    QTest::newRow("a member twice on an item line")
        << QByteArray("routes:\n  - {\"id\":\"a\",\"plugins\":{},\"plugins\":{\"key-auth\":{}}}\n#END\n") << u"line 2"_s;
}

void tst_ConfigExport::parseRejects()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, error);
    QString message;
    QVERIFY(!ConfigExport::readDocument(content, &message));
    QVERIFY2(message.contains(error), qPrintable(message));
}

// Defect 5 began here: a section of the wrong shape read as an empty one (and a misspelt
// section as none), so the import replaced everything with nothing. The reader now hands on
// what it was given, and the configuration schema names what is wrong.
void tst_ConfigExport::readDocumentKeepsWhatItCannotRead_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QJsonObject>("document");
    QTest::newRow("routes as a string") << QByteArray(R"({"routes":"x"})") << obj(R"({"routes":"x"})");
    QTest::newRow("routes as an object") << QByteArray(R"({"routes":{"a":1}})") << obj(R"({"routes":{"a":1}})");
    QTest::newRow("a misspelt section") << QByteArray(R"({"rotues":[]})") << obj(R"({"rotues":[]})");
    QTest::newRow("items that are not objects") << QByteArray(R"({"routes":[1,"a",{"id":"r","create_time":5}]})")
                                                << obj(R"({"routes":[1,"a",{"id":"r"}]})");
    QTest::newRow("yaml sections given") << QByteArray("routes: []\nconsumers: []\n#END\n") << obj(R"({"routes":[],"consumers":[]})");
}

void tst_ConfigExport::readDocumentKeepsWhatItCannotRead()
{
    QFETCH(QByteArray, content);
    QFETCH(QJsonObject, document);
    QString error;
    const std::optional<QJsonObject> read = ConfigExport::readDocument(content, &error);
    QVERIFY2(read, qPrintable(error));
    QCOMPARE(*read, document);
    QVERIFY(!ResourceSchemas::defaults()->validate(u"config"_s, *read).isEmpty());
}

void tst_ConfigExport::parseSkipsComments()
{
    const QByteArray content = "# hand edited\n\nroutes:\n"
                               "  # the feed\n"
                               "  - {\"id\":\"r\",\"uri\":\"/r\",\"plugins\":{},\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"10.0.0.9:80\":1}}}\n"
                               "\n"
                               "consumers: []\n"
                               "#END\n"
                               "# comments after the end are allowed\n\n";
    QString error;
    const std::optional<QJsonObject> document = ConfigExport::readDocument(content, &error);
    QVERIFY2(document, qPrintable(error));
    const ConfigExport::Resources out = ConfigExport::sections(*document);
    QCOMPARE(out.value(u"routes"_s).size(), 1);
    // A plain APISIX route (no gatehouse labels) becomes an http upstream to the same nodes.
    const QJsonObject route = out.value(u"routes"_s).at(0).toObject();
    QCOMPARE(route.value(u"upstream"_s).toObject(),
             (QJsonObject{{u"type"_s, u"http"_s}, {u"nodes"_s, QJsonObject{{u"10.0.0.9:80"_s, 1}}}}));
    QVERIFY(out.contains(u"consumers"_s));
    QVERIFY(out.value(u"consumers"_s).isEmpty());
    QVERIFY(!out.contains(u"anything"_s));
}

// ---------------------------------------------------------------------------------------------
// the command line

void tst_ConfigExport::prepareCli()
{
    if (m_prepared)
        return;
    QVERIFY(m_source.isValid() && m_target.isValid() && m_files.isValid());
    const Headers &key = kKeyHeader;
    const QStringList &engineArgs = kEngineArgs;
    const QString source = m_source.path();
    const QString target = m_target.path();

    // 1. Configure the source directory through a running engine's admin API.
    {
        EngineProcess engine(source);
        QVERIFY2(engine.start(engineArgs), qPrintable(engine.stderrText()));
        TestHttpClient admin(u"127.0.0.1"_s, engine.adminPort);
        const QList<std::tuple<QByteArray, QByteArray, QByteArray, int>> writes{
            {"PUT", "/admin/upstreams/cli-events", R"({"type":"events","name":"the log"})", 201},
            {"PUT", "/admin/upstreams/cli-backend", R"({"type":"http","name":"backend","nodes":{"127.0.0.1:1":1}})", 201},
            {"PUT", "/admin/routes/cli-feed", R"({"uri":"/cli-feed","methods":["GET"],"hosts":["feed.example.com"],"upstream_id":"cli-events"})", 201},
            {"PUT", "/admin/routes/cli-ext", R"({"uri":"/ext/*","hosts":[],"upstream_id":"cli-backend","plugins":{"request-id":{}}})", 201},
            {"PUT", "/admin/routes/cli-beta", R"({"uri":"/beta","hosts":[],"vars":[["http_x_beta","==","1"]],"upstream":{"type":"events"}})", 201},
            {"PUT", "/admin/consumers/cli-user", R"({"plugins":{"key-auth":{"key":"cli-key"}}})", 201},
            {"PUT", "/admin/global_rules/cli-rule", R"({"plugins":{"request-id":{"header_name":"X-Cli-Id"}}})", 201},
            {"PATCH", "/admin/routes/products-get", R"({"plugins":{"key-auth":{}}})", 200},
            {"DELETE", "/admin/routes/products-list", QByteArray(), 204},
        };
        for (const auto &[method, path, body, status] : writes) {
            const TestHttpResponse r = admin.request(method, path, body, key);
            QVERIFY2(r.status == status, QByteArray(method + ' ' + path + " -> " + QByteArray::number(r.status) + ' ' + r.body).constData());
        }
        QCOMPARE(engine.terminate(), 0);
    }

    // 2. Export it as apisix.yaml (no engine running), import that into an empty directory.
    const ToolRun yaml = runTool({u"export"_s, u"--format"_s, u"apisix"_s, u"--data-dir"_s, source,
                                  u"--engine-address"_s, kEngineAddress});
    QVERIFY2(yaml.exitCode == 0, yaml.err.constData());
    QVERIFY(yaml.out.endsWith("#END\n"));
    QVERIFY(yaml.out.contains("feed.example.com"));
    QVERIFY(yaml.out.contains(kEngineAddress.toUtf8()));
    m_yamlFile = m_files.filePath(u"apisix.yaml"_s);
    QVERIFY(writeFile(m_yamlFile, yaml.out));

    const ToolRun imported = runTool({u"import"_s, m_yamlFile, u"--data-dir"_s, target});
    QVERIFY2(imported.exitCode == 0, imported.err.constData());
    QVERIFY2(imported.err.contains("imported"), imported.err.constData());
    m_prepared = true;
}

// Several engines on one database: APISIX balances over all of them.
void tst_ConfigExport::apisixListsEveryEngineAsANode()
{
    ConfigExport::Resources in;
    in.insert(u"routes"_s, QJsonArray{QJsonObject{{u"id"_s, u"r"_s}, {u"uri"_s, u"/api/products"_s},
                                                  {u"upstream"_s, QJsonObject{{u"type"_s, u"query"_s}, {u"collection"_s, u"products"_s}}}}});
    const QByteArray yaml = ConfigExport::toApisixYaml(in, u"10.0.0.1:9080, 10.0.0.2:9080"_s);
    const qsizetype at = yaml.indexOf("  - {");
    QVERIFY(at > 0);
    const QJsonObject route = QJsonDocument::fromJson(yaml.mid(at + 4, yaml.indexOf('\n', at) - at - 4)).object();
    QCOMPARE(route.value(u"upstream"_s).toObject().value(u"nodes"_s).toObject(),
             (QJsonObject{{u"10.0.0.1:9080"_s, 1}, {u"10.0.0.2:9080"_s, 1}}));
}

void tst_ConfigExport::cliExportImportRoundTrip()
{
    prepareCli();
    QVERIFY(m_prepared);

    // 3. Both directories export the same JSON, apart from the version counter.
    auto exportJson = [](const QString &dir) {
        const ToolRun run = runTool({u"export"_s, u"--format"_s, u"json"_s, u"--data-dir"_s, dir});
        if (run.exitCode != 0)
            qWarning("export of %s failed: %s", qPrintable(dir), run.err.constData());
        QJsonObject root = QJsonDocument::fromJson(run.out).object();
        root.remove(u"config_version"_s);
        return root;
    };
    const QJsonObject fromSource = exportJson(m_source.path());
    const QJsonObject fromTarget = exportJson(m_target.path());
    QVERIFY(!fromSource.isEmpty());
    QCOMPARE(fromTarget.value(u"gatehouse_config"_s), fromSource.value(u"gatehouse_config"_s));
    QVERIFY(fromSource.value(u"routes"_s).toArray().size() >= 6);
    // Compared by id: import stores every item at one instant, and the stores list by creation
    // time, so the order within a kind may differ from the source's.
    QStringList differences;
    for (const QString &kind : kKinds) {
        const QString idKey = kind == u"consumers"_s ? u"username"_s : u"id"_s;
        auto byId = [&idKey](const QJsonArray &items) {
            QMap<QString, QJsonObject> map;
            for (const QJsonValue &v : items)
                map.insert(v.toObject().value(idKey).toString(), v.toObject());
            return map;
        };
        const QMap<QString, QJsonObject> imported = byId(fromTarget.value(kind).toArray());
        const QMap<QString, QJsonObject> original = byId(fromSource.value(kind).toArray());
        QCOMPARE(imported.keys(), original.keys());
        for (auto it = original.cbegin(); it != original.cend(); ++it) {
            const QJsonObject got = imported.value(it.key());
            if (got != it.value())
                differences.append(kind + u"/"_s + it.key() + u":\n  imported "_s
                                   + QString::fromUtf8(QJsonDocument(got).toJson(QJsonDocument::Compact)) + u"\n  source   "_s
                                   + QString::fromUtf8(QJsonDocument(it.value()).toJson(QJsonDocument::Compact)));
        }
    }
    QVERIFY2(differences.isEmpty(), qPrintable(differences.join(u'\n')));
}

void tst_ConfigExport::cliImportedConfigurationIsServed()
{
    prepareCli();
    QVERIFY(m_prepared);
    const Headers &key = kKeyHeader;

    // An engine on the imported directory serves that configuration.
    EngineProcess engine(m_target.path());
    QVERIFY2(engine.start(kEngineArgs), qPrintable(engine.stderrText()));
    TestHttpClient client(u"127.0.0.1"_s, engine.gatewayPort);
    TestHttpClient admin(u"127.0.0.1"_s, engine.adminPort);
    QCOMPARE(admin.get("/admin/routes/cli-feed", key).status, 200);
    QCOMPARE(client.get("/beta?limit=1", {{"X-Beta", "1"}}).status, 200);        // vars came along
    QCOMPARE(client.get("/beta?limit=1").status, 404);
    QCOMPARE(client.get("/api/products/x").status, 401);                          // key-auth came along
    QCOMPARE(client.get("/api/products/x", {{"apikey", "cli-key"}}).status, 404);  // and the consumer
    const TestHttpResponse events = client.get("/events?limit=1");
    QCOMPARE(events.status, 200);
    QVERIFY(!events.header("x-cli-id").isEmpty());                               // and the global rule

    // Importing while that engine runs is refused, with a hint.
    const ToolRun busy = runTool({u"import"_s, m_yamlFile, u"--data-dir"_s, m_target.path()});
    QCOMPARE(busy.exitCode, 1);
    QVERIFY2(busy.err.contains("in use by a running engine"), busy.err.constData());
    QVERIFY2(busy.err.contains("admin API"), busy.err.constData());

    // A default route deleted in the source is not brought back by the first start on the
    // imported directory: what was imported is the configuration.
    QCOMPARE(admin.get("/admin/routes/products-list", key).status, 404);
    QCOMPARE(client.get("/api/products?limit=1").status, 405);
    QCOMPARE(engine.terminate(), 0);
}

void tst_ConfigExport::cliRefusals()
{
    QTemporaryDir dir;
    QTemporaryDir files;
    QVERIFY(dir.isValid() && files.isValid());

    // A configuration to keep: a first import of a valid file.
    const QString good = files.filePath(u"good.json"_s);
    QVERIFY(writeFile(good, R"({"gatehouse_config":1,"config_version":3,
        "routes":[{"id":"keep","uri":"/keep","hosts":[],"plugins":{},"upstream":{"type":"events"}}],
        "upstreams":[],"consumers":[],"global_rules":[]})"));
    const ToolRun first = runTool({u"import"_s, good, u"--data-dir"_s, dir.path()});
    QVERIFY2(first.exitCode == 0, first.err.constData());
    const ToolRun before = runTool({u"export"_s, u"--data-dir"_s, dir.path()});
    QCOMPARE(before.exitCode, 0);
    QVERIFY(before.out.contains("\"keep\""));

    // An invalid file: every error is listed, nothing changes.
    const QString bad = files.filePath(u"bad.json"_s);
    QVERIFY(writeFile(bad, R"({"routes":[
        {"id":"ok","uri":"/ok","plugins":{},"upstream":{"type":"events"}},
        {"id":"broken","uri":"no-slash","plugins":{"teleport":{}},"upstream":{"type":"ftp"}}],
        "consumers":[{"username":"x","plugins":{"limit-count":{"count":1,"time_window":1}}}]})"));
    const ToolRun refused = runTool({u"import"_s, bad, u"--data-dir"_s, dir.path()});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("was not imported"), refused.err.constData());
    QVERIFY2(refused.err.contains("/routes/1/uri: must start with /"), refused.err.constData());
    QVERIFY2(refused.err.contains("/routes/1/plugins/teleport: unknown plugin"), refused.err.constData());
    QVERIFY2(refused.err.contains("/routes/1/upstream/type: "), refused.err.constData());
    QVERIFY2(refused.err.contains("/consumers/0/plugins/limit-count: not a credential plugin"), refused.err.constData());
    QCOMPARE(runTool({u"export"_s, u"--data-dir"_s, dir.path()}).out, before.out);

    // A truncated apisix.yaml: refused for the missing end marker.
    const QString truncated = files.filePath(u"truncated.yaml"_s);
    QVERIFY(writeFile(truncated, "routes:\n  - {\"id\":\"t\",\"uri\":\"/t\",\"plugins\":{},\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"10.0.0.1:80\":1}}}\n"));
    const ToolRun noEnd = runTool({u"import"_s, truncated, u"--data-dir"_s, dir.path()});
    QCOMPARE(noEnd.exitCode, 1);
    QVERIFY2(noEnd.err.contains("#END"), noEnd.err.constData());
    QCOMPARE(runTool({u"export"_s, u"--data-dir"_s, dir.path()}).out, before.out);

    // A file that is not there, a missing file argument, an unknown format, an empty directory.
    const ToolRun missing = runTool({u"import"_s, files.filePath(u"nope.json"_s), u"--data-dir"_s, dir.path()});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("cannot read"), missing.err.constData());
    QCOMPARE(runTool({u"import"_s, u"--data-dir"_s, dir.path()}).exitCode, 2);
    const ToolRun xml = runTool({u"export"_s, u"--format"_s, u"xml"_s, u"--data-dir"_s, dir.path()});
    QCOMPARE(xml.exitCode, 2);
    QVERIFY2(xml.err.contains("json or apisix"), xml.err.constData());
    QTemporaryDir empty;
    const ToolRun nothing = runTool({u"export"_s, u"--data-dir"_s, empty.path()});
    QCOMPARE(nothing.exitCode, 1);
    QVERIFY2(nothing.err.contains("no configuration"), nothing.err.constData());
}

QTEST_GUILESS_MAIN(tst_ConfigExport)
#include "tst_configexport.moc"
