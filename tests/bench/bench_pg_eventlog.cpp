// The event log on PostgreSQL, in one run on one machine, against a server of its own started
// with fsync=on, synchronous_commit=on and full_page_writes=on (tests/support/postgres-fixture.sh,
// then ALTER SYSTEM, since the fixture's own server runs without them):
//   1. baseline: CLIENTS connections, each inserting one row per transaction (autocommit), as
//      fast as the server commits them;
//   2. durable appends/s through EventStore with one engine (one store), CLIENTS threads each
//      waiting for its append before the next;
//   3. the same with two engines (two stores on one database), CLIENTS/2 threads each;
//   4. rebuild read: EventStore::scan over a log of SCAN_EVENTS events, events/s.
// Each runs RUNS times (default 3) for SECONDS each (default 5); medians and ratios are printed
// as a Markdown table. Target: appends >= 3x the baseline.
//
//   bench_pg_eventlog [STATE_DIR] (env: CLIENTS=32, SECONDS=5, RUNS=3, SCAN_EVENTS=200000)
//
// Run as root, the fixture puts the server's files under $TMPDIR (default /tmp): that must be a
// real disk, not a tmpfs, for fsync to mean anything.

#include "benchlog.h"
#include "sql/pgconnection.h"
#include "store/eventstore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

using namespace Gatehouse;

namespace {

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v > 0 ? v : fallback;
}

QByteArray eventData(qint64 n)
{
    return "{\"id\":\"p" + QByteArray::number(n) + "\",\"name\":\"Widget " + QByteArray::number(n)
        + "\",\"price\":" + QByteArray::number(n % 1000) + ".5,\"sku\":\"ABC-123\",\"stock\":" + QByteArray::number(n % 50)
        + ",\"tags\":[\"a\",\"b\"]}";
}

bool fixture(const QString &action, const QString &state)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral("sh"), {QStringLiteral(GATEHOUSE_PG_FIXTURE), action, state + QStringLiteral("/fixture")});
    return p.waitForFinished(300000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

bool exec(PgConnection &c, const QString &sql)
{
    if (c.exec(sql))
        return true;
    std::fprintf(stderr, "%s: %s\n", qPrintable(sql), qPrintable(c.errorString()));
    return false;
}

std::optional<PostgresUrl> newDatabase(const PostgresUrl &server, const QString &name)
{
    PgConnection admin;
    QString error;
    if (!admin.open(server, QStringLiteral("bench"), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return std::nullopt;
    }
    if (!exec(admin, QStringLiteral("CREATE DATABASE \"%1\" TEMPLATE template0").arg(name)))
        return std::nullopt;
    return server.withDatabase(name);
}

// Runs `clients` threads calling `one(client, i)` (true: a durable write done) for `seconds`;
// returns the writes done per second.
double measure(int clients, double seconds, const std::function<bool(int, qint64)> &one,
               const std::function<void(int)> &setup = {}, const std::function<void(int)> &teardown = {})
{
    std::atomic<bool> stop{false};
    std::atomic<qint64> done{0}, failed{0};
    std::atomic<int> ready{0};
    std::vector<std::unique_ptr<QThread>> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back(QThread::create([&, c] {
            if (setup)
                setup(c);
            ++ready;
            for (qint64 i = 0; !stop.load(); ++i)
                one(c, i) ? ++done : ++failed;
            if (teardown)
                teardown(c);
        }));
        threads.back()->start();
    }
    while (ready.load() < clients)
        QThread::msleep(5);
    QThread::msleep(300);   // warm-up
    const qint64 before = done.load();
    QElapsedTimer timer;
    timer.start();
    QThread::msleep(qint64(seconds * 1000));
    const qint64 during = done.load() - before;
    const double elapsed = timer.nsecsElapsed() / 1e9;
    stop = true;
    for (auto &t : threads)
        t->wait();
    if (failed.load())
        std::fprintf(stderr, "  %lld writes failed\n", static_cast<long long>(failed.load()));
    return during / elapsed;
}

double baseline(const PostgresUrl &url, int clients, double seconds)
{
    {
        PgConnection c;
        QString error;
        if (!c.open(url, QStringLiteral("bench"), &error)
            || !exec(c, QStringLiteral("CREATE TABLE IF NOT EXISTS baseline(id bigserial PRIMARY KEY, stream text NOT NULL,"
                                       " type text NOT NULL, data text NOT NULL, metadata text NOT NULL, time bigint NOT NULL)")))
            return 0;
    }
    std::vector<PGconn *> conns(size_t(clients), nullptr);
    const QByteArray info = QStringLiteral("host=%1 port=%2 dbname=%3 user=%4")
                                .arg(url.host).arg(url.port).arg(url.database, url.user).toUtf8();
    return measure(clients, seconds, [&](int c, qint64 i) {
        const QByteArray stream = "bench-" + QByteArray::number(c) + '-' + QByteArray::number(i % 100);
        const QByteArray data = eventData(i);
        const QByteArray time = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
        const char *values[] = {stream.constData(), "items.created", data.constData(), "{}", time.constData()};
        PGresult *r = PQexecParams(conns[size_t(c)], "INSERT INTO baseline(stream, type, data, metadata, time)"
                                                     " VALUES ($1, $2, $3, $4, $5)", 5, nullptr, values, nullptr, nullptr, 0);
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        return ok;
    }, [&](int c) { conns[size_t(c)] = PQconnectdb(info.constData()); },
       [&](int c) { PQfinish(conns[size_t(c)]); });
}

double appends(const QList<EventStore *> &stores, int clients, double seconds)
{
    return measure(clients, seconds, [&](int c, qint64 i) {
        AppendRequest r;
        r.stream = QStringLiteral("bench-%1-%2").arg(c).arg(i % 100);
        r.events = {NewEvent{QString(), QStringLiteral("items.created"), eventData(i), "{}"}};
        return stores.at(c % stores.size())->appendAndWait(std::move(r)).ok();
    });
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int clients = envInt("CLIENTS", 32);
    const int seconds = envInt("SECONDS", 5);
    const int runs = envInt("RUNS", 3);
    const int scanEvents = envInt("SCAN_EVENTS", 200000);
    QTemporaryDir tmp;
    const QString state = argc > 1 ? QDir(QString::fromLocal8Bit(argv[1])).absolutePath() : tmp.path();
    QDir().mkpath(state);
    if (!fixture(QStringLiteral("start"), state))
        return 1;
    QFile urlFile(state + QStringLiteral("/fixture/url"));
    QString error;
    std::optional<PostgresUrl> server;
    if (urlFile.open(QIODevice::ReadOnly))
        server = PostgresUrl::parse(QString::fromUtf8(urlFile.readAll()).trimmed(), &error);
    int status = 1;
    if (server) {
        // The fixture runs without durability; the bench measures with it.
        PgConnection admin;
        if (admin.open(*server, QStringLiteral("bench"), &error) && exec(admin, QStringLiteral("ALTER SYSTEM SET fsync = on"))
            && exec(admin, QStringLiteral("ALTER SYSTEM SET synchronous_commit = on"))
            && exec(admin, QStringLiteral("ALTER SYSTEM SET full_page_writes = on"))
            && exec(admin, QStringLiteral("SELECT pg_reload_conf()"))) {
            QThread::msleep(500);
            admin.close();
            admin.open(*server, QStringLiteral("bench"), &error);
            QSqlQuery show(admin.database());
            QStringList settings;
            for (const char *name : {"fsync", "synchronous_commit", "full_page_writes", "server_version"}) {
                if (show.exec(QStringLiteral("SHOW %1").arg(QLatin1String(name))) && show.next())
                    settings << QStringLiteral("%1=%2").arg(QLatin1String(name), show.value(0).toString());
            }
            std::printf("server: %s; %d clients, %d s per measurement, median of %d runs\n\n",
                        qPrintable(settings.join(u' ')), clients, seconds, runs);
            QList<double> base, one, two, scans;
            bool ok = true;
            for (int run = 0; run < runs && ok; ++run) {
                const auto baseDb = newDatabase(*server, QStringLiteral("baseline_%1").arg(run));
                const auto oneDb = newDatabase(*server, QStringLiteral("one_%1").arg(run));
                const auto twoDb = newDatabase(*server, QStringLiteral("two_%1").arg(run));
                ok = baseDb && oneDb && twoDb;
                if (!ok)
                    break;
                base.append(baseline(*baseDb, clients, seconds));
                {
                    EventStore store;
                    EventStore::Options o;
                    o.target = StorageTarget::postgresql(*oneDb);
                    ok = store.open(o);
                    if (ok)
                        one.append(appends({&store}, clients, seconds));
                }
                {
                    EventStore a, b;
                    EventStore::Options o;
                    o.target = StorageTarget::postgresql(*twoDb);
                    ok = ok && a.open(o) && b.open(o);
                    if (ok)
                        two.append(appends({&a, &b}, clients, seconds));
                }
                std::fprintf(stderr, "run %d: baseline %.0f/s, one engine %.0f/s, two engines %.0f/s\n", run + 1,
                             base.last(), one.value(run), two.value(run));
            }
            // Rebuild read: a log of scanEvents events, scanned from the start.
            const auto scanDb = ok ? newDatabase(*server, QStringLiteral("scan")) : std::nullopt;
            EventStore store;
            EventStore::Options o;
            if (scanDb) {
                o.target = StorageTarget::postgresql(*scanDb);
                o.durability = EventStore::Durability::Normal;   // generation only
            }
            if (scanDb && store.open(o)) {
                {
                    BenchLog::Appender appender(store);
                    for (qint64 i = 0; i < scanEvents; ++i) {
                        AppendRequest r;
                        r.stream = QStringLiteral("products-%1").arg(i % (scanEvents / 4 + 1));
                        r.events = {NewEvent{QString(), QStringLiteral("products.created"), eventData(i), "{}"}};
                        appender.append(std::move(r));
                    }
                }
                for (int run = 0; run < runs; ++run) {
                    qint64 n = 0, bytes = 0;
                    QElapsedTimer t;
                    t.start();
                    store.scan(1, [&](const RecordedEvent &e) { ++n; bytes += e.data.size(); return true; });
                    scans.append(n / (t.nsecsElapsed() / 1e9));
                    std::fprintf(stderr, "scan %d: %lld events, %.0f events/s\n", run + 1, static_cast<long long>(n), scans.last());
                }
            }
            if (ok) {
                const double b = BenchLog::median(base), e1 = BenchLog::median(one), e2 = BenchLog::median(two);
                std::printf("| measurement | per second | vs baseline |\n|---|---:|---:|\n");
                std::printf("| baseline: one INSERT per transaction, %d connections | %.0f | 1.00 |\n", clients, b);
                std::printf("| EventStore appends, one engine, %d clients | %.0f | %.2f |\n", clients, e1, b > 0 ? e1 / b : 0);
                std::printf("| EventStore appends, two engines, %d clients each | %.0f | %.2f |\n", clients / 2, e2, b > 0 ? e2 / b : 0);
                std::printf("| scan (rebuild read), %d events | %.0f | |\n", scanEvents, BenchLog::median(scans));
                std::printf("target: appends >= 3x the baseline\n");
                status = 0;
            }
        } else {
            std::fprintf(stderr, "%s\n", qPrintable(error));
        }
    }
    fixture(QStringLiteral("stop"), state);
    return status;
}
