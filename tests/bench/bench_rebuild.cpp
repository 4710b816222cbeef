// Projection rebuild throughput against its limit, in one run on one machine:
//   1. the limit: a raw sequential scan of the events table, parsing every event's JSON data;
//   2. the upsert projection rebuilt offline from the same log (ProjectionRunner::rebuildOffline).
// The log is generated first: EVENTS events (default 1,000,000) over EVENTS/4 products, about
// 70% created, 25% updated (merge patches), 5% deleted. Each measurement runs RUNS times
// (default 3); medians and their ratio are printed as a Markdown table.
//
//   bench_rebuild [DIR] (env: EVENTS, RUNS, LOG)
//
// LOG=FILE reuses an events.db written by an earlier run (it is created there when missing),
// so a profiler can watch the rebuild alone.

#include "benchlog.h"
#include "config/collectioncatalog.h"
#include "config/embeddedresources.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "readmodel/readstore.h"
#include "sql/sqliteconnection.h"
#include "store/eventstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cstdio>

using namespace Gatehouse;

namespace {
void generate(EventStore &store, qint64 total)
{
    const qint64 entities = qMax<qint64>(1, total / 4);
    qint64 created = 0, written = 0, skip = 0;
    QList<qint64> versions(entities, -1);
    QList<bool> deleted(entities, false);
    BenchLog::Appender appender(store);
    while (written < total) {
        // Mostly creates until every entity exists, then updates with a few deletes.
        qint64 e;
        QString type;
        QByteArray data;
        if (created < entities && (written % 10 < 7 || created * 4 < written)) {
            e = created++;
            type = QStringLiteral("products.created");
            data = "{\"id\":\"p" + QByteArray::number(e) + "\",\"name\":\"Widget " + QByteArray::number(e)
                + "\",\"price\":" + QByteArray::number(e % 1000) + ".5,\"sku\":\"ABC-123\",\"stock\":" + QByteArray::number(e % 50)
                + ",\"tags\":[\"a\",\"b\"]}";
        } else {
            e = (written * 7919 + skip) % qMax<qint64>(1, created);
            if (deleted[e]) {
                ++skip;   // pick another entity for this slot
                continue;
            }
            const bool del = written % 20 == 0;
            type = del ? QStringLiteral("products.deleted") : QStringLiteral("products.updated");
            data = del ? QByteArray("{}") : "{\"price\":" + QByteArray::number(written % 997) + ",\"stock\":" + QByteArray::number(written % 31) + '}';
            deleted[e] = del;
        }
        AppendRequest r;
        r.stream = QStringLiteral("products-p%1").arg(e);
        r.expected = ExpectedVersion::exact(versions[e]);
        r.events = {NewEvent{{}, type, data, "{\"correlationid\":\"bench\"}"}};
        versions[e]++;
        ++written;
        appender.append(std::move(r));
    }
}

double rawScan(const QString &path, qint64 *count)
{
    SqliteConnection db;
    db.open(path);
    QElapsedTimer t;
    t.start();
    SqliteStatement st(db, "SELECT position, stream, version, id, type, data, metadata, time FROM events ORDER BY position");
    qint64 n = 0, fields = 0;
    while (st.step()) {
        const QJsonDocument doc = QJsonDocument::fromJson(st.columnText(5));
        fields += doc.object().size();
        ++n;
    }
    *count = n + (fields < 0 ? 1 : 0);
    return double(n) / (double(t.nsecsElapsed()) / 1e9);
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    initEmbeddedResources();
    const qint64 total = qEnvironmentVariableIntValue("EVENTS") > 0 ? qEnvironmentVariableIntValue("EVENTS") : 1000000;
    const int runs = qEnvironmentVariableIntValue("RUNS") > 0 ? qEnvironmentVariableIntValue("RUNS") : 3;
    QTemporaryDir tmp(argc > 1 ? QString::fromLocal8Bit(argv[1]) + QStringLiteral("/rebuild-XXXXXX") : QString());
    const QString dir = tmp.path();

    const QString log = qEnvironmentVariable("LOG");
    const bool reuse = !log.isEmpty() && QFileInfo::exists(log);
    EventStore store;
    EventStore::Options so;
    so.target = StorageTarget::sqlite(log.isEmpty() ? QDir(dir).filePath(QStringLiteral("events.db")) : log);
    so.durability = EventStore::Durability::Normal;
    if (!store.open(so)) {
        std::fprintf(stderr, "cannot open the store: %s\n", qPrintable(store.errorString()));
        return 2;
    }
    if (!reuse) {
        QElapsedTimer gen;
        gen.start();
        generate(store, total);
        std::fprintf(stderr, "generated %lld events in %.1f s\n", static_cast<long long>(store.headPosition()), gen.elapsed() / 1000.0);
    }

    CollectionCatalog catalog;
    catalog.replace(ProjectConfig::embeddedDefault());
    ReadStore readStore;
    QString error;
    if (!readStore.open(StorageTarget::sqlite(QDir(dir).filePath(QStringLiteral("readmodel.db"))), &error)) {
        std::fprintf(stderr, "cannot open the read store: %s\n", qPrintable(error));
        return 2;
    }

    QList<double> scanRates, rebuildRates;
    qint64 scanned = 0;
    for (int run = 0; run < runs; ++run) {
        scanRates.append(rawScan(so.target.sqlitePath, &scanned));
        UpsertProjection projection(&catalog);
        QElapsedTimer t;
        t.start();
        if (!ProjectionRunner::rebuildOffline(projection, store, readStore, [](qint64, qint64) {}, &error)) {
            std::fprintf(stderr, "rebuild failed: %s\n", qPrintable(error));
            return 1;
        }
        rebuildRates.append(double(store.headPosition()) / (double(t.nsecsElapsed()) / 1e9));
        std::fprintf(stderr, "run %d: raw scan %.0f events/s, rebuild %.0f events/s\n", run + 1, scanRates.last(), rebuildRates.last());
    }
    const double scan = BenchLog::median(scanRates), rebuild = BenchLog::median(rebuildRates);
    std::printf("| measurement (%lld events, median of %d) | events/s |\n|---|---:|\n", static_cast<long long>(scanned), runs);
    std::printf("| raw scan of the events table + JSON parse (the limit) | %.0f |\n", scan);
    std::printf("| upsert projection rebuild (read store writes + checkpoints) | %.0f |\n", rebuild);
    std::printf("| rebuild / raw scan | %.2f |\n", scan > 0 ? rebuild / scan : 0);
    std::printf("| target | >= 250000 |\n");
    std::printf("documents: %lld live, %lld including deleted\n", static_cast<long long>(readStore.count(QStringLiteral("products"))),
                static_cast<long long>(readStore.count(QStringLiteral("products"), true)));
    return 0;
}
