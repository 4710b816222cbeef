// The engine on a full disk: a real, small tmpfs mounted in a private mount namespace (so the
// test needs no setup and leaves no mount behind), filled to the last byte by a filler file.
// Commands answer 507 (never 202 without a durable event), the engine keeps serving, admin
// writes answer 507, projections wait instead of faulting, and once the filler is deleted the
// next command succeeds and the read model catches up -- without a restart.
//
// The namespace must be entered before any thread exists (mount namespaces are per thread),
// hence the own main(). As root it is a plain unshare(CLONE_NEWNS); otherwise an unprivileged
// user namespace is tried. Where neither is allowed the tests skip and say why.
#include "assembly/engine.h"
#include "http/httplimits.h"
#include "projections/projectionrunner.h"
#include "readmodel/readstore.h"
#include "server/listeners.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QDir>
#include <QFile>
#include <QMutex>
#include <QSet>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;
constexpr const char *kAdminKey = "diskfull-admin-key";

// A tmpfs of a few MiB in a mount namespace of this process alone.
struct SmallFilesystem
{
    QByteArray root;        // where it is mounted; empty when unavailable
    QString unavailable;    // why not

    static bool writeFile(const char *path, const QByteArray &text)
    {
        const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        const bool ok = ::write(fd, text.constData(), size_t(text.size())) == text.size();
        ::close(fd);
        return ok;
    }

    void setUp()
    {
        const uid_t uid = ::geteuid();
        const gid_t gid = ::getegid();
        if (uid == 0) {
            if (::unshare(CLONE_NEWNS) != 0) {
                unavailable = u"unshare(CLONE_NEWNS) failed: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
                return;
            }
        } else if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            unavailable = u"not root, and no unprivileged user namespace: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            return;
        } else if (!writeFile("/proc/self/setgroups", "deny")
                   || !writeFile("/proc/self/uid_map", "0 " + QByteArray::number(uid) + " 1")
                   || !writeFile("/proc/self/gid_map", "0 " + QByteArray::number(gid) + " 1")) {
            unavailable = u"cannot map ids in the user namespace: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            return;
        }
        // Mounts made here must not propagate back to the rest of the system.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            unavailable = u"cannot make the mount namespace private: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            return;
        }
        QByteArray dir = QDir::tempPath().toLocal8Bit() + "/tst_diskfull-XXXXXX";
        if (!::mkdtemp(dir.data())) {
            unavailable = u"mkdtemp failed: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            return;
        }
        if (::mount("tmpfs", dir.constData(), "tmpfs", MS_NOSUID | MS_NODEV, "size=12m,mode=0700") != 0) {
            unavailable = u"cannot mount a tmpfs: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            ::rmdir(dir.constData());
            return;
        }
        root = dir;
    }

    void tearDown()
    {
        if (root.isEmpty())
            return;
        ::umount2(root.constData(), MNT_DETACH);
        ::rmdir(root.constData());
    }
};

SmallFilesystem g_filesystem;

// Fills the filesystem holding `dir` to its last byte; deleting the file gives the space back.
class Filler
{
public:
    explicit Filler(const QString &dir) : m_path(QDir(dir).filePath(u"filler"_s).toLocal8Bit()) {}
    ~Filler() { release(); }

    bool fill()
    {
        const int fd = ::open(m_path.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0)
            return false;
        const QByteArray block(64 * 1024, 'f');
        for (qsizetype size = block.size(); size > 0; size /= 2) {
            while (::write(fd, block.constData(), size_t(size)) == size) {
            }
        }
        const bool full = errno == ENOSPC;
        ::close(fd);
        return full;
    }
    void release() { ::unlink(m_path.constData()); }

private:
    QByteArray m_path;
};

QByteArray productJson(const QString &id, int descriptionBytes)
{
    return "{\"id\":\"" + id.toUtf8() + "\",\"name\":\"Widget\",\"price\":1,\"description\":\""
        + QByteArray(descriptionBytes, 'd') + "\"}";
}

// One engine with its HTTP listeners on a directory of the small filesystem.
struct RunningEngine
{
    Engine engine;
    Server::Listeners listeners;
    quint16 port = 0;
    quint16 adminPort = 0;

    ~RunningEngine() { stop(); }
    bool start(const QString &dataDir, QString *error)
    {
        EngineOptions options;
        options.dataDir = dataDir;
        options.adminKey = QString::fromLatin1(kAdminKey);
        if (!engine.start(options)) {
            *error = engine.errorString();
            return false;
        }
        const Server::Listeners::Endpoint any;   // 127.0.0.1, any port
        if (!listeners.start(&engine, any, any, Http::HttpLimits{}, error))
            return false;
        port = listeners.gatewayEndpoint().port;
        adminPort = listeners.adminEndpoint().port;
        return true;
    }
    void stop()
    {
        listeners.close();
        engine.stop();
    }
};

struct Accepted
{
    QString id;
    qint64 position = 0;
};

} // namespace

class tst_DiskFull : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void commandsOnAFullDisk();
    void groupCommitOnAFullDisk();
    void projectionsWaitForSpace();
    void adminWritesOnAFullDisk();

private:
    QString freshDir(const char *name)
    {
        m_dir = QString::fromLocal8Bit(g_filesystem.root) + u'/' + QLatin1String(name);
        return m_dir;
    }
    QString m_dir;
};

void tst_DiskFull::init()
{
    if (g_filesystem.root.isEmpty())
        QSKIP(qPrintable(u"no private small filesystem on this machine (%1)"_s.arg(g_filesystem.unavailable)));
}

void tst_DiskFull::cleanup()
{
    // Each test gets the whole filesystem.
    if (!m_dir.isEmpty())
        QDir(m_dir).removeRecursively();
    m_dir.clear();
}

// 16 clients keep sending commands while the disk is full: every answer is 202 or a 507
// problem, every 202 is in the log, and once space returns the next command is accepted.
void tst_DiskFull::commandsOnAFullDisk()
{
    const QString dir = freshDir("commands");
    RunningEngine running;
    QString error;
    QVERIFY2(running.start(dir, &error), qPrintable(error));
    TestHttpClient client(u"127.0.0.1"_s, running.port);
    QCOMPARE(client.post("/api/products", productJson(u"before"_s, 100)).status, 202);
    // Projected before the disk fills: it is read back below while the disk is full.
    QTRY_COMPARE_WITH_TIMEOUT(client.get("/api/products/before").status, 200, 30000);

    Filler filler(dir);
    QVERIFY(filler.fill());

    QMutex mutex;
    QList<Accepted> accepted;
    QList<TestHttpResponse> refused;
    QList<int> unexpected;
    std::atomic<int> fullAnswers{0};
    QList<QThread *> writers;
    for (int t = 0; t < 16; ++t) {
        writers.append(QThread::create([&, t] {
            TestHttpClient c(u"127.0.0.1"_s, running.port, kWaitMs);
            for (int i = 0; i < 400 && fullAnswers.load() < 64; ++i) {
                const QString id = u"w%1-%2"_s.arg(t).arg(i);
                const TestHttpResponse r = c.post("/api/products", productJson(id, 1500));
                QMutexLocker lock(&mutex);
                if (r.status == 202) {
                    accepted.append({id, r.json().value(u"position"_s).toInteger()});
                } else if (r.status == 507) {
                    ++fullAnswers;
                    if (refused.size() < 8)
                        refused.append(r);
                } else {
                    unexpected.append(r.status);
                }
            }
        }));
        writers.last()->start();
    }
    for (QThread *w : std::as_const(writers)) {
        QVERIFY(w->wait(120000));
        delete w;
    }
    QVERIFY2(unexpected.isEmpty(), qPrintable(u"answers other than 202 and 507: %1"_s.arg(unexpected.isEmpty() ? 0 : unexpected.constFirst())));
    QVERIFY2(fullAnswers.load() > 0, "the full disk was never reported");
    for (const TestHttpResponse &r : std::as_const(refused)) {
        QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
        QCOMPARE(r.json().value(u"status"_s).toInt(), 507);
        QCOMPARE(r.json().value(u"type"_s).toString(), u"urn:gatehouse:problem:storage-full"_s);
        QVERIFY(r.json().value(u"detail"_s).toString().contains(u"full"_s));
        QVERIFY(r.header("retry-after").toInt() > 0);
    }
    // Still serving while full.
    QCOMPARE(client.get("/api/products/before").status, 200);

    filler.release();
    const TestHttpResponse after = client.post("/api/products", productJson(u"after"_s, 100));
    QVERIFY2(after.status == 202, after.body.constData());
    accepted.append({u"after"_s, after.json().value(u"position"_s).toInteger()});

    // Every acknowledged command is in the log where its answer said, and gets projected.
    qint64 last = 0;
    ProjectionRunner *upsert = running.engine.projection(u"upsert"_s);
    for (const Accepted &a : std::as_const(accepted)) {
        const RecordedEvents at = running.engine.eventStore()->readAll(a.position, 1);
        QVERIFY2(at.size() == 1 && CloudEvent::subjectOf(at.first()) == a.id, qPrintable(a.id));
        last = std::max(last, a.position);
    }
    QCOMPARE(running.engine.eventStore()->eventCount(), running.engine.eventStore()->headPosition());
    QTRY_VERIFY_WITH_TIMEOUT(upsert->position() >= last, kWaitMs);
    const QByteArray minPosition = QByteArray::number(last);
    for (const Accepted &a : std::as_const(accepted)) {
        const TestHttpResponse r = client.get("/api/products/" + a.id.toUtf8(), {{"X-Min-Position", minPosition}});
        QVERIFY2(r.status == 200, qPrintable(a.id + u": "_s + QString::fromUtf8(r.body)));
    }
    running.stop();

    // And they are still there after a restart.
    EventStore store;
    EventStore::Options options;
    options.target = StorageTarget::sqlite(dir + u"/events.db"_s);
    QVERIFY(store.open(options));
    for (const Accepted &a : std::as_const(accepted))
        QCOMPARE(store.streamHead(u"products-"_s + a.id).lastPosition, a.position);
}

// Appends racing into the writer's batches on a full disk, some of them repeating another
// append of the same batch (same idempotency key, same event id): no result says Ok unless
// its events are in the log, and the writer appends without a gap once space returns.
void tst_DiskFull::groupCommitOnAFullDisk()
{
    const QString dir = freshDir("groupcommit");
    QVERIFY(QDir().mkpath(dir));
    EventStore store;
    EventStore::Options options;
    options.target = StorageTarget::sqlite(dir + u"/events.db"_s);
    QVERIFY(store.open(options));
    const auto event = [](const QString &id, int bytes) {
        return NewEvent{id, u"items.created"_s, "{\"pad\":\"" + QByteArray(bytes, 'p') + "\"}", {}};
    };
    QVERIFY(store.appendAndWait({u"items-0"_s, ExpectedVersion::noStream(), {event({}, 10)}, {}, {}, {}}).ok());

    Filler filler(dir);
    QVERIFY(filler.fill());

    struct Outcome
    {
        AppendRequest request;
        AppendResult result;
    };
    QMutex mutex;
    QList<Outcome> outcomes;
    std::atomic<int> answered{0};
    int sent = 0;
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 24; ++i) {
            AppendRequest request;
            const int n = round * 24 + i;
            request.stream = u"items-%1"_s.arg(n / 2 + 1);          // pairs share a stream...
            request.expected = ExpectedVersion::any();
            request.events = {event(u"ev-%1"_s.arg(n / 2), 3000)};    // ...and an event id
            request.idempotencyKey = u"key-%1"_s.arg(n / 2);          // ...and an idempotency key
            request.requestHash = "same";
            ++sent;
            store.append(request, [&, request](const AppendResult &r) {
                QMutexLocker lock(&mutex);
                outcomes.append({request, r});
                ++answered;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered.load(), sent, kWaitMs);
    }

    int full = 0;
    for (const Outcome &o : std::as_const(outcomes)) {
        QVERIFY2(o.result.ok() || o.result.status == AppendResult::StorageFull,
                 qPrintable(u"%1: %2 %3"_s.arg(o.request.stream).arg(int(o.result.status)).arg(o.result.error)));
        if (!o.result.ok()) {
            ++full;
            continue;
        }
        const RecordedEvents at = store.readAll(o.result.lastPosition, 1);
        QVERIFY2(at.size() == 1 && at.first().id == o.request.events.first().id && at.first().stream == o.request.stream,
                 qPrintable(u"acknowledged but not in the log: %1"_s.arg(o.request.events.first().id)));
    }
    QVERIFY2(full > 0, "the full disk was never reported");

    filler.release();
    const qint64 head = store.headPosition();
    QCOMPARE(store.eventCount(), head);
    const AppendResult next = store.appendAndWait({u"items-after"_s, ExpectedVersion::noStream(), {event({}, 10)}, {}, {}, {}});
    QVERIFY2(next.ok(), qPrintable(next.error));
    QCOMPARE(next.firstPosition, head + 1);
}

// The read store fills up while a projection has events to apply: it waits (neither faulted
// nor skipping anything) and catches up by itself when space returns.
void tst_DiskFull::projectionsWaitForSpace()
{
    const QString dir = freshDir("projections");
    RunningEngine running;
    QString error;
    QVERIFY2(running.start(dir, &error), qPrintable(error));
    ProjectionRunner *upsert = running.engine.projection(u"upsert"_s);
    QVERIFY(upsert);
    upsert->pause();
    QTRY_COMPARE_WITH_TIMEOUT(upsert->stats().status, ProjectionRunner::Status::Paused, kWaitMs);

    TestHttpClient client(u"127.0.0.1"_s, running.port);
    QStringList ids;
    for (int i = 0; i < 300; ++i) {
        ids.append(u"p%1"_s.arg(i));
        QCOMPARE(client.post("/api/products", productJson(ids.last(), 4000)).status, 202);
    }
    const qint64 head = running.engine.eventStore()->headPosition();

    Filler filler(dir);
    QVERIFY(filler.fill());
    upsert->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!upsert->stats().error.isEmpty(), kWaitMs);
    QTest::qWait(1000);   // several retries
    ProjectionRunner::Stats stats = upsert->stats();
    QVERIFY2(stats.status != ProjectionRunner::Status::Faulted, qPrintable(stats.error));
    QVERIFY(stats.position < head);
    QVERIFY2(stats.error.contains(u"full"_s), qPrintable(stats.error));

    filler.release();
    QTRY_COMPARE_WITH_TIMEOUT(upsert->position(), head, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(upsert->stats().status, ProjectionRunner::Status::Running, kWaitMs);
    QVERIFY(upsert->stats().error.isEmpty());
    for (const QString &id : std::as_const(ids))
        QCOMPARE(client.get("/api/products/" + id.toUtf8()).status, 200);
    running.stop();
}

void tst_DiskFull::adminWritesOnAFullDisk()
{
    const QString dir = freshDir("admin");
    RunningEngine running;
    QString error;
    QVERIFY2(running.start(dir, &error), qPrintable(error));
    TestHttpClient admin(u"127.0.0.1"_s, running.adminPort);
    const QList<std::pair<QByteArray, QByteArray>> key{{"X-API-KEY", kAdminKey}};
    const auto route = [](int n) -> QByteArray {
        return "{\"uri\":\"/r" + QByteArray::number(n) + "\",\"methods\":[\"GET\"],\"upstream\":{\"type\":\"query\",\"collection\":\"products\"}}";
    };
    QCOMPARE(admin.request("PUT", "/admin/routes/r0", route(0), key).status, 201);

    Filler filler(dir);
    QVERIFY(filler.fill());
    TestHttpResponse r;
    for (int n = 1; n < 2000; ++n) {   // config.db's write-ahead log may have room for some
        r = admin.request("PUT", "/admin/routes/r" + QByteArray::number(n), route(n), key);
        if (r.status != 201)
            break;
    }
    QCOMPARE(r.status, 507);
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    QCOMPARE(admin.request("GET", "/admin/routes/r0", {}, key).status, 200);

    filler.release();
    QCOMPARE(admin.request("PUT", "/admin/routes/again", route(1000), key).status, 201);
    running.stop();
}

int main(int argc, char **argv)
{
    g_filesystem.setUp();   // before QCoreApplication starts any thread
    int status = 0;
    {
        QCoreApplication app(argc, argv);
        tst_DiskFull test;
        QTEST_SET_MAIN_SOURCE_PATH
        status = QTest::qExec(&test, argc, argv);
    }
    g_filesystem.tearDown();
    return status;
}

#include "tst_diskfull.moc"
