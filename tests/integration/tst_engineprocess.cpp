// The real `gatehouse` binary as a child process: crash safety under load, clean shutdown,
// and the command line's answers.

#include "engineprocess.h"
#include "testhttpclient.h"

#include "readmodel/readstore.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QFile>
#include <QMutex>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <csignal>

using namespace Gatehouse;

namespace {
struct Accepted
{
    QString id;
    qint64 position = 0;
    qint64 version = -1;
};

// Every event of the log by position: its subject and stream version.
QHash<qint64, Accepted> eventsInLog(const QString &dataDir, qint64 *count)
{
    EventStore store;
    EventStore::Options o;
    o.target = StorageTarget::sqlite(dataDir + QStringLiteral("/events.db"));
    QHash<qint64, Accepted> events;
    *count = 0;
    if (!store.open(o))
        return events;
    store.scan(1, [&](const RecordedEvent &e) {
        events.insert(e.position, {CloudEvent::subjectOf(e), e.position, e.version});
        ++*count;
        return true;
    });
    return events;
}

QSet<QString> subjectsInLog(const QString &dataDir, qint64 *count = nullptr)
{
    EventStore store;
    EventStore::Options o;
    o.target = StorageTarget::sqlite(dataDir + QStringLiteral("/events.db"));
    QSet<QString> subjects;
    if (!store.open(o))
        return subjects;
    qint64 n = 0;
    store.scan(1, [&](const RecordedEvent &e) {
        subjects.insert(CloudEvent::subjectOf(e));
        ++n;
        return true;
    });
    if (count)
        *count = n;
    return subjects;
}

QByteArray product(int n)
{
    return "{\"name\":\"Widget " + QByteArray::number(n) + "\",\"price\":" + QByteArray::number(n) + ".5}";
}
} // namespace

class tst_EngineProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptedCommandsSurviveRepeatedSigkill();
    void sigtermFlushesAndExitsZero();
    void noDisplayExitsWithHint();
    void badCommandLineExitsTwo_data();
    void badCommandLineExitsTwo();
    void busyPortFailsClearly();
    void adminKeyPrintedOnlyOnFirstStart();
    void adminKeyFromAFileOnlyItsOwnerReads();
    void mqttBrokerOptionsAreChecked();
    void runawayFunctionsDoNotAccumulateMemory();
};

// 20 rounds: the real executable on one data directory, 16 writers creating and updating
// products over HTTP, SIGKILL at a random moment, then a restart. Every command answered 202
// is in the log at the position and version its answer gave, in every later round too, and
// the read model catches up with all of them.
void tst_EngineProcess::acceptedCommandsSurviveRepeatedSigkill()
{
    constexpr int kRounds = 20;
    constexpr int kWriters = 16;
    QTemporaryDir dir;
    QHash<qint64, Accepted> accepted;   // by position, over all rounds
    qint64 lastPosition = 0;
    for (int round = 0; round < kRounds; ++round) {
        EngineProcess engine(dir.path());
        QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
        if (round > 0) {
            // The restarted engine projects what the killed one acknowledged.
            TestHttpClient reader(QStringLiteral("127.0.0.1"), engine.gatewayPort);
            const Accepted &newest = accepted.value(lastPosition);
            const auto r = reader.get("/api/products/" + newest.id.toUtf8(), {{"X-Min-Position", QByteArray::number(lastPosition)}});
            QVERIFY2(r.status == 200, qPrintable(QStringLiteral("round %1: %2 -> %3 %4").arg(round).arg(newest.id).arg(r.status).arg(QString::fromUtf8(r.body))));
        }

        QMutex mutex;
        QList<Accepted> answered;
        std::atomic<bool> stop{false};
        std::atomic<int> answeredCount{0};
        QList<QThread *> writers;
        for (int t = 0; t < kWriters; ++t) {
            writers.append(QThread::create([&, t] {
                TestHttpClient client(QStringLiteral("127.0.0.1"), engine.gatewayPort, 5000);
                for (int i = 0; !stop; ++i) {
                    // A create, then an update of it: both kinds of command must survive.
                    const QString id = QStringLiteral("r%1-w%2-%3").arg(round).arg(t).arg(i / 2);
                    const auto r = i % 2 == 0 ? client.post("/api/products", "{\"id\":\"" + id.toUtf8() + "\",\"name\":\"W\",\"price\":1}")
                                              : client.post("/api/products/" + id.toUtf8(), "{\"price\":2}");
                    if (r.status == 0)
                        break;   // the engine is gone
                    if (r.status != 202)
                        continue;
                    QMutexLocker lock(&mutex);
                    answered.append({id, r.json().value(QStringLiteral("position")).toInteger(),
                                     r.json().value(QStringLiteral("version")).toInteger()});
                    ++answeredCount;
                }
            }));
            writers.last()->start();
        }
        // Kill it at a random moment once the load is on.
        QTRY_VERIFY_WITH_TIMEOUT(answeredCount.load() >= 50, 60000);
        const int delayMs = int(QRandomGenerator::global()->bounded(0, 800));
        QThread::msleep(ulong(delayMs));
        ::kill(engine.process().processId(), SIGKILL);
        QVERIFY(engine.process().waitForFinished(10000));
        stop = true;
        for (QThread *w : std::as_const(writers)) {
            QVERIFY(w->wait(30000));
            delete w;
        }

        for (const Accepted &a : std::as_const(answered)) {
            QVERIFY2(!accepted.contains(a.position), qPrintable(QStringLiteral("position %1 acknowledged twice").arg(a.position)));
            accepted.insert(a.position, a);
            lastPosition = std::max(lastPosition, a.position);
        }
        qint64 inLog = 0;
        const QHash<qint64, Accepted> logged = eventsInLog(dir.path(), &inLog);
        for (const Accepted &a : std::as_const(accepted)) {
            const Accepted found = logged.value(a.position);
            QVERIFY2(found.id == a.id && found.version == a.version,
                     qPrintable(QStringLiteral("round %1 (killed %2 ms in): %3 v%4 answered 202 at %5, the log has %6 v%7 there")
                                    .arg(round).arg(delayMs).arg(a.id).arg(a.version).arg(a.position).arg(found.id).arg(found.version)));
        }
        QVERIFY(inLog >= accepted.size());
    }

    // The engine carries on where the log ends, and its read model holds every acknowledged
    // command's result.
    qint64 inLog = 0;
    eventsInLog(dir.path(), &inLog);
    qInfo("%d rounds: %lld commands acknowledged, %lld events in the log", kRounds, qint64(accepted.size()), inLog);
    EngineProcess again(dir.path());
    QVERIFY2(again.start(), qPrintable(again.stderrText()));
    TestHttpClient client(QStringLiteral("127.0.0.1"), again.gatewayPort);
    const auto r = client.post("/api/products", product(1));
    QCOMPARE(r.status, 202);
    QCOMPARE(r.json().value(QStringLiteral("position")).toInteger(), inLog + 1);
    QCOMPARE(client.get("/api/products/" + accepted.value(lastPosition).id.toUtf8(), {{"X-Min-Position", QByteArray::number(inLog + 1)}}).status, 200);
    QCOMPARE(again.terminate(), 0);
    ReadStore readStore;
    QString error;
    QVERIFY2(readStore.open(StorageTarget::sqlite(dir.path() + QStringLiteral("/readmodel.db")), &error), qPrintable(error));
    for (const Accepted &a : std::as_const(accepted)) {
        const auto doc = readStore.document(QStringLiteral("products"), a.id);
        QVERIFY2(doc && doc->version >= a.version, qPrintable(a.id));
    }
}

void tst_EngineProcess::sigtermFlushesAndExitsZero()
{
    QTemporaryDir dir;
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start(), qPrintable(engine.stderrText()));
    TestHttpClient client(QStringLiteral("127.0.0.1"), engine.gatewayPort);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(client.post("/api/products", product(i)).status, 202);
    QCOMPARE(engine.terminate(), 0);
    QVERIFY(engine.stderrText().contains(QLatin1String("shutting down")));
    qint64 count = 0;
    subjectsInLog(dir.path(), &count);
    QCOMPARE(count, 50);
}

void tst_EngineProcess::noDisplayExitsWithHint()
{
    QTemporaryDir dir;
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(GATEHOUSE_BINARY), {QStringLiteral("--data-dir"), dir.path()});
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);   // not Qt's abort
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
    QVERIFY2(err.contains(QLatin1String("--headless")), qPrintable(err));
    QCOMPARE(err.count(QLatin1Char('\n')), 0);   // one line
}

void tst_EngineProcess::badCommandLineExitsTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("durability") << QStringList{QStringLiteral("--durability"), QStringLiteral("sometimes")}
                                << QStringLiteral("--durability");
    QTest::newRow("listen") << QStringList{QStringLiteral("--listen"), QStringLiteral("nowhere")} << QStringLiteral("--listen");
    QTest::newRow("public admin without key")
        << QStringList{QStringLiteral("--admin-listen"), QStringLiteral("0.0.0.0:0")} << QStringLiteral("--admin-key");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << QStringLiteral("unknown command");
    QTest::newRow("body limit") << QStringList{QStringLiteral("--max-body-bytes"), QStringLiteral("lots")}
                                << QStringLiteral("--max-body-bytes");
    QTest::newRow("read cache") << QStringList{QStringLiteral("--read-cache-mb"), QStringLiteral("-1")}
                                << QStringLiteral("--read-cache-mb");
}

void tst_EngineProcess::badCommandLineExitsTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QProcess p;
    p.start(QStringLiteral(GATEHOUSE_BINARY), QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path()} + args);
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromLocal8Bit(p.readAllStandardError());
    QVERIFY2(err.contains(message), qPrintable(err));
}

void tst_EngineProcess::busyPortFailsClearly()
{
    QTemporaryDir a, b;
    EngineProcess first(a.path());
    QVERIFY2(first.start(), qPrintable(first.stderrText()));
    QProcess second;
    second.start(QStringLiteral(GATEHOUSE_BINARY),
                 {QStringLiteral("--headless"), QStringLiteral("--data-dir"), b.path(), QStringLiteral("--listen"),
                  QStringLiteral("127.0.0.1:%1").arg(first.gatewayPort), QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0")});
    QVERIFY(second.waitForFinished(20000));
    QCOMPARE(second.exitCode(), 1);
    const QString err = QString::fromLocal8Bit(second.readAllStandardError());
    QVERIFY2(err.contains(QStringLiteral("cannot listen on 127.0.0.1:%1").arg(first.gatewayPort)), qPrintable(err));
    QCOMPARE(first.terminate(), 0);
}

void tst_EngineProcess::adminKeyPrintedOnlyOnFirstStart()
{
    QTemporaryDir dir;
    EngineProcess engine(dir.path());
    QVERIFY(engine.start());
    QTRY_VERIFY_WITH_TIMEOUT(engine.stderrText().contains(QLatin1String("admin key")), 10000);
    QCOMPARE(engine.terminate(), 0);
    EngineProcess again(dir.path());
    QVERIFY(again.start());
    QCOMPARE(again.terminate(), 0);
    QVERIFY(!again.stderrText().contains(QLatin1String("admin key")));
}

// --mqtt-url and --mqtt-ca: refused at the start, with exit code 2 and the reason, when they
// cannot work.
void tst_EngineProcess::mqttBrokerOptionsAreChecked()
{
    QTemporaryDir dir;
    const QString notACertificate = dir.path() + QStringLiteral("/ca.pem");
    {
        QFile f(notACertificate);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a certificate\n");
    }
    const auto startFails = [&](const QStringList &mqtt, const char *message) {
        QProcess p;
        p.start(QStringLiteral(GATEHOUSE_BINARY), QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"),
                                                              dir.path() + QStringLiteral("/data"), QStringLiteral("--listen"),
                                                              QStringLiteral("127.0.0.1:0"), QStringLiteral("--admin-listen"),
                                                              QStringLiteral("127.0.0.1:0")}
                                                      + mqtt);
        QVERIFY(p.waitForFinished(20000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(err.contains(message), err.constData());
    };
    startFails({QStringLiteral("--mqtt-url"), QStringLiteral("mqtt://127.0.0.1:1"), QStringLiteral("--mqtt-ca"), notACertificate},
               "--mqtt-ca goes with an mqtts://");
    startFails({QStringLiteral("--mqtt-url"), QStringLiteral("mqtts://127.0.0.1:1"), QStringLiteral("--mqtt-ca"), notACertificate},
               "no PEM certificate could be read");
    startFails({QStringLiteral("--mqtt-url"), QStringLiteral("ws://127.0.0.1:1")}, "MQTT over WebSocket to the broker is not supported");
    startFails({QStringLiteral("--mqtt-url"), QStringLiteral("mqtt://user:secret@127.0.0.1:1")}, "is not an MQTT broker URL");
}

void tst_EngineProcess::adminKeyFromAFileOnlyItsOwnerReads()
{
    QTemporaryDir dir;
    const QString keyFile = dir.path() + QStringLiteral("/admin.key");
    auto writeKey = [&](const QByteArray &content, QFileDevice::Permissions permissions) {
        QFile f(keyFile);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(content);
        f.close();
        QVERIFY(f.setPermissions(permissions));
    };
    auto startFails = [&](const QStringList &extra, const char *message) {
        QProcess p;
        p.start(QStringLiteral(GATEHOUSE_BINARY), QStringList{QStringLiteral("--headless"), QStringLiteral("--no-mqtt"),
                                                              QStringLiteral("--data-dir"), dir.path() + QStringLiteral("/data"),
                                                              QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                                                              QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0")}
                                                      + extra);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 2);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains(message), err.constData());
    };
    const QFileDevice::Permissions ownerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    writeKey("from-a-file-0123456789abcdef\n", ownerOnly | QFileDevice::ReadGroup | QFileDevice::ReadOther);
    startFails({QStringLiteral("--admin-key-file"), keyFile}, "is readable by every user");
    writeKey("\n", ownerOnly);
    startFails({QStringLiteral("--admin-key-file"), keyFile}, "holds no key on its first line");
    startFails({QStringLiteral("--admin-key-file"), dir.path() + QStringLiteral("/none.key")}, "cannot read");
    writeKey("  from-a-file-0123456789abcdef  \nsecond line ignored\n", ownerOnly);
    startFails({QStringLiteral("--admin-key-file"), keyFile, QStringLiteral("--admin-key"), QStringLiteral("other")},
               "not both");

    EngineProcess engine(dir.path() + QStringLiteral("/data"));
    QVERIFY2(engine.start({QStringLiteral("--admin-key-file"), keyFile}), qPrintable(engine.stderrText()));
    TestHttpClient admin(QStringLiteral("127.0.0.1"), engine.adminPort);
    QCOMPARE(admin.get("/admin/routes", {{"X-API-KEY", "from-a-file-0123456789abcdef"}}).status, 200);
    QCOMPARE(admin.get("/admin/routes", {{"X-API-KEY", "second line ignored"}}).status, 401);
    QCOMPARE(engine.terminate(), 0);
    QVERIFY(!engine.stderrText().contains(QLatin1String("admin key (shown once")));
}


namespace {
qint64 residentKbOf(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}
} // namespace

void tst_EngineProcess::runawayFunctionsDoNotAccumulateMemory()
{
    // The real executable (with the allocator it ships with): a function that allocates without
    // end is stopped at its memory ceiling each time, and what its instance held goes back to
    // the system, so repeating it cannot grow the engine by a ceiling per call.
#if defined(__SANITIZE_ADDRESS__) || defined(__has_feature)
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
    QSKIP("under AddressSanitizer freed memory waits in its quarantine, so resident size says nothing about leaks here");
#endif
#endif
    QTemporaryDir dir;
    EngineProcess engine(dir.path());
    QVERIFY2(engine.start({QStringLiteral("--admin-key"), QStringLiteral("k")}), qPrintable(engine.stderrText()));
    TestHttpClient admin(QStringLiteral("127.0.0.1"), engine.adminPort);
    const QList<std::pair<QByteArray, QByteArray>> key{{"X-API-KEY", "k"}};
    QCOMPARE(admin.request("PUT", "/admin/functions/hog",
                           R"({"code":"function handle(input, ctx) { var a = []; while (true) a.push('x'.repeat(1000) + a.length); }",)"
                           R"("triggers":[{"type":"http"}],"timeout_ms":30000,"memory_limit_mb":32})", key).status, 201);
    QCOMPARE(admin.request("PUT", "/admin/routes/hog", R"({"uri":"/hog","methods":["POST"],"upstream":{"type":"function","function":"hog"}})",
                           key).status, 201);
    TestHttpClient client(QStringLiteral("127.0.0.1"), engine.gatewayPort, 60000);
    const qint64 pid = engine.process().processId();
    QCOMPARE(client.post("/hog", "{}").status, 500);
    const qint64 afterFirst = residentKbOf(pid);
    QVERIFY(afterFirst > 0);
    for (int i = 0; i < 6; ++i) {
        const TestHttpResponse r = client.post("/hog", "{}");
        QCOMPARE(r.status, 500);
        QVERIFY2(r.body.contains("memory ceiling"), r.body.constData());
    }
    const qint64 afterAll = residentKbOf(pid);
    QVERIFY2(afterAll - afterFirst < 48 * 1024,
             qPrintable(QStringLiteral("resident %1 kB after the first runaway call, %2 kB after six more").arg(afterFirst).arg(afterAll)));
    QCOMPARE(admin.request("GET", "/health").status, 200);
}

QTEST_GUILESS_MAIN(tst_EngineProcess)
#include "tst_engineprocess.moc"
