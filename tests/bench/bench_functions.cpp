// Function runtime throughput and cold starts, in one run on one machine:
//   1. the built-in C++ upsert projection catching up on a log of EVENTS (default 200,000)
//      products.created events, one per product (the baseline: one read-model write per event);
//   2. the same work done by a JavaScript event function, `ctx.upsert('copies', e.subject, e.data)`,
//      run by the function runtime (FunctionProjection on a ProjectionRunner, as the engine does)
//      with concurrency 1 and 2;
//   3. a no-op function (`function handle(e) {}`): the invocation cost alone;
//   4. cold start: loading the trivial function into a new instance (QJSEngine), COLD (default 50)
//      times.
// Each catch-up starts from position 0 on a fresh read store and runs RUNS times (default 3);
// medians, their ratio to the C++ projection and the cold-start median/p90 are printed as
// Markdown tables.
//
//   bench_functions [DIR] (env: EVENTS, RUNS, COLD)

#include "benchlog.h"
#include "config/collectioncatalog.h"
#include "config/embeddedresources.h"
#include "functions/functiondefinition.h"
#include "functions/functionprojection.h"
#include "functions/functionstats.h"
#include "functions/scripthost.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "readmodel/readstore.h"
#include "store/eventstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cstdio>

using namespace Gatehouse;

namespace {
double percentile(QList<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v.at(qMin(v.size() - 1, qsizetype(p * double(v.size() - 1) + 0.5)));
}

void generate(EventStore &store, qint64 total)
{
    BenchLog::Appender appender(store);
    for (qint64 e = 0; e < total; ++e) {
        AppendRequest r;
        r.stream = QStringLiteral("products-p%1").arg(e);
        r.expected = ExpectedVersion::noStream();
        r.events = {NewEvent{{}, QStringLiteral("products.created"),
                             "{\"id\":\"p" + QByteArray::number(e) + "\",\"name\":\"Widget " + QByteArray::number(e) + "\",\"price\":"
                                 + QByteArray::number(e % 1000) + ".5,\"sku\":\"ABC-123\",\"stock\":" + QByteArray::number(e % 50) + '}',
                             "{\"correlationid\":\"bench\"}"}};
        appender.append(std::move(r));
    }
}

// Runs `projection` from position 0 to the head on a fresh read store; events/s.
using ProjectionFactory = std::function<std::shared_ptr<Projection>(ReadStore *)>;

double catchUp(const ProjectionFactory &make, EventStore &store, const QString &dir, int run)
{
    ReadStore readStore;
    QString error;
    const QString path = QDir(dir).filePath(QStringLiteral("read-%1.db").arg(run));
    if (!readStore.open(path, &error)) {
        std::fprintf(stderr, "cannot open the read store: %s\n", qPrintable(error));
        return 0;
    }
    const qint64 head = store.headPosition();
    QElapsedTimer t;
    t.start();
    ProjectionRunner runner(make(&readStore), &store, &readStore);
    runner.start();
    while (runner.position() < head) {
        if (runner.stats().status == ProjectionRunner::Status::Faulted) {
            std::fprintf(stderr, "%s faulted: %s\n", qPrintable(runner.name()), qPrintable(runner.stats().error));
            return 0;
        }
        QThread::msleep(2);
    }
    const double seconds = double(t.nsecsElapsed()) / 1e9;
    runner.stop();
    readStore.close();
    QFile::remove(path);
    return double(head) / seconds;
}

FunctionDefinition function(const QString &name, const QString &code, int concurrency)
{
    const QJsonObject json{{QStringLiteral("code"), code},
                           {QStringLiteral("concurrency"), concurrency},
                           {QStringLiteral("triggers"), QJsonArray{QJsonObject{
                                {QStringLiteral("type"), QStringLiteral("event")},
                                {QStringLiteral("filter"), QJsonObject{{QStringLiteral("type"), QStringLiteral("products.created")}}},
                                {QStringLiteral("from"), 1}}}}};
    FunctionDefinition def;
    QStringList errors;
    if (!FunctionDefinition::parse(name, json, &def, &errors))
        std::fprintf(stderr, "bad definition: %s\n", qPrintable(errors.join(QStringLiteral("; "))));
    def.version = 1;
    return def;
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    initEmbeddedResources();
    const qint64 total = qEnvironmentVariableIntValue("EVENTS") > 0 ? qEnvironmentVariableIntValue("EVENTS") : 200000;
    const int runs = qEnvironmentVariableIntValue("RUNS") > 0 ? qEnvironmentVariableIntValue("RUNS") : 3;
    const int cold = qEnvironmentVariableIntValue("COLD") > 0 ? qEnvironmentVariableIntValue("COLD") : 50;
    QTemporaryDir tmp(argc > 1 ? QString::fromLocal8Bit(argv[1]) + QStringLiteral("/functions-XXXXXX") : QString());
    const QString dir = tmp.path();

    EventStore store;
    EventStore::Options so;
    so.path = QDir(dir).filePath(QStringLiteral("events.db"));
    so.durability = EventStore::Durability::Normal;
    if (!store.open(so)) {
        std::fprintf(stderr, "cannot open the store: %s\n", qPrintable(store.errorString()));
        return 2;
    }
    QElapsedTimer gen;
    gen.start();
    generate(store, total);
    std::fprintf(stderr, "generated %lld events in %.1f s\n", static_cast<long long>(store.headPosition()), gen.elapsed() / 1000.0);

    CollectionCatalog catalog;
    catalog.replace(ProjectConfig::embeddedDefault());
    const QString copy = QStringLiteral("function handle(e, ctx) { ctx.upsert('copies', e.subject, e.data); }");
    const QString noop = QStringLiteral("function handle(e, ctx) {}");
    struct Variant
    {
        const char *label;
        ProjectionFactory make;
        QList<double> rates;
    };
    auto fn = [&store](const QString &name, const QString &code, int concurrency) {
        return [&store, name, code, concurrency](ReadStore *readStore) -> std::shared_ptr<Projection> {
            return std::make_shared<FunctionProjection>(function(name, code, concurrency), std::make_shared<FunctionStats>(), &store,
                                                        readStore, [](const FunctionDefinition &, const RecordedEvent &e, const QString &error, int) {
                                                            std::fprintf(stderr, "dead letter at %lld: %s\n", static_cast<long long>(e.position), qPrintable(error));
                                                        });
        };
    };
    QList<Variant> variants{
        {"built-in C++ upsert projection (baseline)", [&catalog](ReadStore *) { return std::make_shared<UpsertProjection>(&catalog); }, {}},
        {"JS function `ctx.upsert(...)`, concurrency 1", fn(QStringLiteral("copy1"), copy, 1), {}},
        {"JS function `ctx.upsert(...)`, concurrency 2", fn(QStringLiteral("copy2"), copy, 2), {}},
        {"JS no-op function, concurrency 1", fn(QStringLiteral("noop1"), noop, 1), {}},
        {"JS no-op function, concurrency 2", fn(QStringLiteral("noop2"), noop, 2), {}},
    };
    // Interleaved runs, so a slow phase of the shared machine hits every variant alike.
    for (int run = 0; run < runs; ++run) {
        for (Variant &v : variants) {
            v.rates.append(catchUp(v.make, store, dir, run));
            std::fprintf(stderr, "run %d %s: %.0f events/s\n", run + 1, v.label, v.rates.last());
        }
    }

    QList<double> initMs;
    const FunctionDefinition trivial = function(QStringLiteral("cold"), copy, 1);
    for (int i = 0; i < cold; ++i) {
        QElapsedTimer t;
        t.start();
        ScriptHost host;
        QString error;
        int line = 0;
        if (!host.load(trivial, &error, &line)) {
            std::fprintf(stderr, "load failed: %s\n", qPrintable(error));
            return 2;
        }
        initMs.append(double(t.nsecsElapsed()) / 1e6);
    }

    const double baseline = BenchLog::median(variants.first().rates);
    std::printf("| %lld events, %d runs | events/s (median) | runs | ratio to C++ |\n|---|---:|---|---:|\n",
                static_cast<long long>(total), runs);
    for (const Variant &v : variants) {
        QStringList each;
        for (double r : v.rates)
            each.append(QString::number(qRound64(r)));
        std::printf("| %s | %.0f | %s | %.2fx |\n", v.label, BenchLog::median(v.rates), qPrintable(each.join(QStringLiteral(", "))),
                    baseline > 0 ? BenchLog::median(v.rates) / baseline : 0);
    }
    std::printf("\n| cold start (new QJSEngine + prelude + code), %d instances | median | p90 | max |\n|---|---:|---:|---:|\n", cold);
    std::printf("| the trivial function | %.2f ms | %.2f ms | %.2f ms |\n", BenchLog::median(initMs), percentile(initMs, 0.9),
                *std::max_element(initMs.cbegin(), initMs.cend()));
    return 0;
}
