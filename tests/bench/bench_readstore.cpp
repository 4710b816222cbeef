// Read store latencies on SQLite and PostgreSQL, measured in the same run on the same data:
// GET by id (SQLite with its document cache, SQLite reading the file every time, PostgreSQL)
// and list queries (a filtered, sorted first page; the pages after it through cursors), single
// threaded and from 4 threads at once.
//
//   ninja -C build bench_readstore && build/tests/bench/bench_readstore [--postgres URL] [--docs N]
//
// Without --postgres it starts a server of its own with tests/support/postgres-fixture.sh (in a
// temporary directory, stopped at the end). Reads do not depend on fsync, which that server
// turns off.
#include "config/collection.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"
#include "sql/postgresurl.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using namespace Gatehouse;

namespace {

struct Stats
{
    double medianUs = 0;
    double p99Us = 0;
    double perSecond = 0;
};

Stats measure(int n, const std::function<bool(int)> &op)
{
    std::vector<double> us;
    us.reserve(size_t(n));
    QElapsedTimer all;
    all.start();
    for (int i = 0; i < n; ++i) {
        QElapsedTimer t;
        t.start();
        if (!op(i)) {
            std::fprintf(stderr, "operation %d failed\n", i);
            return {};
        }
        us.push_back(double(t.nsecsElapsed()) / 1000.0);
    }
    const double seconds = double(all.nsecsElapsed()) / 1e9;
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[size_t(double(us.size()) * 0.99)], n / seconds};
}

double threaded(int threads, int perThread, const std::function<bool(int)> &op)
{
    std::atomic<int> failures{0};
    QElapsedTimer all;
    all.start();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < perThread; ++i) {
                if (!op(t * perThread + i))
                    failures.fetch_add(1);
            }
        });
    }
    for (auto &th : pool)
        th.join();
    if (failures.load())
        std::fprintf(stderr, "%d operations failed\n", failures.load());
    return threads * perThread / (double(all.nsecsElapsed()) / 1e9);
}

QList<std::pair<QString, QString>> items(const QString &query)
{
    QList<std::pair<QString, QString>> out;
    for (const QString &part : query.split(QLatin1Char('&')))
        out.append({part.section(QLatin1Char('='), 0, 0), part.section(QLatin1Char('='), 1)});
    return out;
}

bool fill(ReadStore &store, const Collection &collection, int docs)
{
    auto tx = store.begin();
    if (!tx || !tx->ensureCollection(collection.name, collection.indexedFields))
        return false;
    static const char *const categories[] = {"tools", "toys", "food", "books", "garden"};
    QList<StoredDocument> batch;
    for (int i = 0; i < docs; ++i) {
        StoredDocument d;
        d.collection = collection.name;
        d.id = QStringLiteral("p-%1").arg(i, 7, 10, QLatin1Char('0'));
        QJsonObject o{{QStringLiteral("id"), d.id},
                      {QStringLiteral("name"), QStringLiteral("Product %1").arg(i)},
                      {QStringLiteral("price"), (i * 7919 % 100000) / 100.0},
                      {QStringLiteral("category"), QLatin1String(categories[i % 5])},
                      {QStringLiteral("stock"), i % 97},
                      {QStringLiteral("description"), QString(600, QLatin1Char('d'))}};
        d.doc = QJsonDocument(o).toJson(QJsonDocument::Compact);
        d.version = 0;
        d.position = i + 1;
        batch.append(d);
        if (batch.size() == 1000) {
            if (!tx->put(batch))
                return false;
            batch.clear();
        }
    }
    return tx->put(batch) && tx->commit();
}

void report(const char *what, const char *backend, const Stats &s)
{
    std::printf("| %-38s | %-22s | %9.1f | %9.1f | %10.0f |\n", what, backend, s.medianUs, s.p99Us, s.perSecond);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString url;
    int docs = 20000;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--postgres"))
            url = args.at(i + 1);
        else if (args.at(i) == QLatin1String("--docs"))
            docs = args.at(i + 1).toInt();
    }
    QTemporaryDir dir;
    const QString fixture = QStringLiteral(GATEHOUSE_SOURCE_DIR "/tests/support/postgres-fixture.sh");
    const QString state = dir.filePath(QStringLiteral("pg"));
    if (url.isEmpty()) {
        if (QProcess::execute(QStringLiteral("sh"), {fixture, QStringLiteral("start"), state}) != 0)
            return 1;
        QFile f(state + QStringLiteral("/url"));
        if (!f.open(QIODevice::ReadOnly))
            return 1;
        url = QString::fromUtf8(f.readAll()).trimmed();
    }
    QString error;
    const auto pg = PostgresUrl::parse(url, &error);
    if (!pg) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }

    QStringList errors;
    const Collection products = Collection::fromJson(QStringLiteral("products"), QJsonDocument::fromJson(R"({"schema":{"type":"object",
        "properties":{"name":{"type":"string"},"price":{"type":"number","index":true},"category":{"type":"string","index":true},
        "stock":{"type":"integer"},"description":{"type":"string"}}}})").object(), &errors);
    ReadStore sqlite, postgres;
    if (!sqlite.open(StorageTarget::sqlite(dir.filePath(QStringLiteral("readmodel.db"))), &error)
        || !postgres.open(StorageTarget::postgresql(*pg), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    if (!fill(sqlite, products, docs) || !fill(postgres, products, docs)) {
        std::fprintf(stderr, "could not write the documents\n");
        return 1;
    }
    std::printf("%d documents of ~750 bytes, collection with 2 indexed fields\n\n", docs);
    std::printf("| %-38s | %-22s | %9s | %9s | %10s |\n", "operation", "backend", "median us", "p99 us", "ops/s");
    std::printf("|%s|%s|%s|%s|%s|\n", "----------------------------------------", "------------------------", "-----------",
                "-----------", "------------");

    auto randomId = [docs](int) { return QStringLiteral("p-%1").arg(QRandomGenerator::global()->bounded(docs), 7, 10, QLatin1Char('0')); };
    auto get = [&](ReadStore &store) {
        return [&store, &randomId](int i) {
            ReadStatus status;
            return store.document(QStringLiteral("products"), randomId(i), &status).has_value() && status.ok();
        };
    };
    const int gets = 20000;
    // Warm the cache with every document first, as a running engine's hot set would be.
    for (int i = 0; i < docs; ++i)
        sqlite.document(QStringLiteral("products"), QStringLiteral("p-%1").arg(i, 7, 10, QLatin1Char('0')));
    report("GET by id", "SQLite, cached", measure(gets, get(sqlite)));
    sqlite.setCacheBudget(0);
    report("GET by id", "SQLite, no cache", measure(gets, get(sqlite)));
    report("GET by id", "PostgreSQL", measure(gets, get(postgres)));

    auto list = [&](ReadStore &store, const QString &query, bool follow) {
        return [&store, &products, query, follow](int) {
            ListQuery q;
            QString e;
            if (!ListQuery::parse(items(query), products, &q, &e))
                return false;
            ReadStore::Page page;
            if (!store.list(QStringLiteral("products"), q, &page).ok() || page.items.isEmpty())
                return false;
            for (int p = 0; follow && p < 4 && !page.nextCursor.isEmpty(); ++p) {
                q.cursor = page.nextCursor;
                if (!store.list(QStringLiteral("products"), q, &page).ok())
                    return false;
            }
            return true;
        };
    };
    const QString firstPage = QStringLiteral("category=toys&sort=-price&limit=50");
    report("list: filter, sort, first page of 50", "SQLite", measure(2000, list(sqlite, firstPage, false)));
    report("list: filter, sort, first page of 50", "PostgreSQL", measure(2000, list(postgres, firstPage, false)));
    report("list: 5 pages of 50 through cursors", "SQLite", measure(500, list(sqlite, firstPage, true)));
    report("list: 5 pages of 50 through cursors", "PostgreSQL", measure(500, list(postgres, firstPage, true)));
    const QString unindexed = QStringLiteral("stock[lt]=5&sort=name&limit=20");
    report("list: unindexed filter and sort", "SQLite", measure(100, list(sqlite, unindexed, false)));
    report("list: unindexed filter and sort", "PostgreSQL", measure(100, list(postgres, unindexed, false)));

    std::printf("\n4 threads at once (ops/s): GET SQLite no cache %.0f, GET PostgreSQL %.0f, list SQLite %.0f, list PostgreSQL %.0f\n",
                threaded(4, 5000, get(sqlite)), threaded(4, 5000, get(postgres)), threaded(4, 500, list(sqlite, firstPage, false)),
                threaded(4, 500, list(postgres, firstPage, false)));
    sqlite.close();
    postgres.close();
    if (args.indexOf(QStringLiteral("--postgres")) < 0)
        QProcess::execute(QStringLiteral("sh"), {fixture, QStringLiteral("stop"), state});
    return 0;
}
