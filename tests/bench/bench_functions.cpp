// Function runtime throughput and cold starts in both isolation modes, in one run on one machine:
//   1. the built-in C++ upsert projection catching up on a log of EVENTS (default 200,000)
//      products.created events, one per product (the baseline: one read-model write per event);
//   2. the same work done by a JavaScript event function, `ctx.upsert('copies', e.subject, e.data)`,
//      run by the function runtime (FunctionProjection on a ProjectionRunner, as the engine does)
//      with concurrency 1 and 2, with "isolation": "thread" and "process" (a lane sends its
//      events to its worker process in round trips of up to 64);
//   3. a no-op function (`function handle(e) {}`): the invocation cost alone;
//   4. CALLS (default 20,000) calls of the no-op one at a time, as HTTP calls are made: one
//      round trip to the worker per call;
//   5. cold start: a new instance of the trivial function (thread: QJSEngine + prelude + code;
//      process: take the started spare worker and load; and without a spare: spawn the
//      worker, its start-up and handshake, then load), COLD (default 50) times each.
// Each catch-up starts from position 0 on a fresh read store and runs RUNS times (default 3);
// medians, their ratio to the C++ projection, process/thread ratios and the cold-start
// median/p90 are printed as Markdown tables.
//
//   bench_functions [DIR] (env: EVENTS, RUNS, COLD, CALLS, ONLY)

#include "benchlog.h"
#include "config/collectioncatalog.h"
#include "config/embeddedresources.h"
#include "functions/functiondefinition.h"
#include "functions/functionprojection.h"
#include "functions/functioninstance.h"
#include "functions/functionstats.h"
#include "functions/workerspares.h"
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
#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

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
    if (!readStore.open(StorageTarget::sqlite(path), &error)) {
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

FunctionDefinition function(const QString &name, const QString &code, int concurrency, const QString &isolation)
{
    const QJsonObject json{{QStringLiteral("code"), code},
                           {QStringLiteral("isolation"), isolation},
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
    so.target = StorageTarget::sqlite(QDir(dir).filePath(QStringLiteral("events.db")));
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
    const FunctionInstance::Runtime runtime{QStringLiteral(GATEHOUSE_BINARY)};
    const QString copy = QStringLiteral("function handle(e, ctx) { ctx.upsert('copies', e.subject, e.data); }");
    const QString noop = QStringLiteral("function handle(e, ctx) {}");
    struct Variant
    {
        QString label;
        ProjectionFactory make;
        QList<double> rates;
    };
    auto fn = [&store, runtime](const QString &name, const QString &code, int concurrency, const QString &isolation) {
        return [&store, runtime, name, code, concurrency, isolation](ReadStore *readStore) -> std::shared_ptr<Projection> {
            return std::make_shared<FunctionProjection>(function(name, code, concurrency, isolation), std::make_shared<FunctionStats>(),
                                                        &store, readStore, runtime,
                                                        [](const FunctionDefinition &, const RecordedEvent &e, const QString &error, int) {
                                                            std::fprintf(stderr, "dead letter at %lld: %s\n", static_cast<long long>(e.position), qPrintable(error));
                                                        });
        };
    };
    const QStringList isolations{QStringLiteral("thread"), QStringLiteral("process")};
    QList<Variant> variants{
        {QStringLiteral("built-in C++ upsert projection (baseline)"), [&catalog](ReadStore *) { return std::make_shared<UpsertProjection>(&catalog); }, {}}};
    for (const QString &isolation : isolations) {
        for (int concurrency : {1, 2}) {
            variants.append({QStringLiteral("%1: JS `ctx.upsert(...)`, concurrency %2").arg(isolation).arg(concurrency),
                             fn(QStringLiteral("copy"), copy, concurrency, isolation), {}});
            variants.append({QStringLiteral("%1: JS no-op, concurrency %2").arg(isolation).arg(concurrency),
                             fn(QStringLiteral("noop"), noop, concurrency, isolation), {}});
        }
    }
    // ONLY=text keeps the variants whose label contains it (and the baseline), e.g. to profile one.
    const QString only = qEnvironmentVariable("ONLY");
    if (!only.isEmpty())
        variants.removeIf([&only](const Variant &v) { return !v.label.contains(only) && !v.label.startsWith(QLatin1String("built-in")); });
    // Interleaved runs, so a slow phase of the shared machine hits every variant alike.
    for (int run = 0; run < runs; ++run) {
        for (Variant &v : variants) {
            v.rates.append(catchUp(v.make, store, dir, run));
            std::fprintf(stderr, "run %d %s: %.0f events/s\n", run + 1, qPrintable(v.label), v.rates.last());
        }
    }

    // One call per round trip (HTTP calls, intervals, custom commands): calls/s of the no-op.
    const int calls = qEnvironmentVariableIntValue("CALLS") > 0 ? qEnvironmentVariableIntValue("CALLS") : 20000;
    QHash<QString, QList<double>> callRates;
    const QJsonValue input = QJsonObject{{QStringLiteral("method"), QStringLiteral("GET")}, {QStringLiteral("path"), QStringLiteral("/fn")}};
    for (int run = 0; run < runs; ++run) {
        for (const QString &isolation : isolations) {
            const FunctionDefinition def = function(QStringLiteral("calls"), noop, 1, isolation);
            const std::unique_ptr<FunctionInstance> instance = FunctionInstance::create(def, runtime);
            QString error;
            int line = 0;
            if (!instance->load(def, &error, &line)) {
                std::fprintf(stderr, "load failed: %s\n", qPrintable(error));
                return 2;
            }
            QElapsedTimer t;
            t.start();
            for (int i = 0; i < calls; ++i) {
                if (!instance->invoke(input, {}).ok) {
                    std::fprintf(stderr, "call failed\n");
                    return 2;
                }
            }
            callRates[isolation].append(calls / (double(t.nsecsElapsed()) / 1e9));
            std::fprintf(stderr, "run %d %s: %.0f calls/s\n", run + 1, qPrintable(isolation), callRates[isolation].last());
        }
    }

    QHash<QString, QList<double>> initMs;
    const QString noSpare = QStringLiteral("process, no spare waiting");
    for (const QString &mode : {isolations.at(0), isolations.at(1), noSpare}) {
        const FunctionDefinition trivial = function(QStringLiteral("cold"), copy, 1, mode == noSpare ? isolations.at(1) : mode);
        for (int i = 0; i < cold; ++i) {
            QElapsedTimer wait;
            wait.start();
            while (mode == isolations.at(1) && !WorkerSpares::hasSpare(runtime.workerExecutable) && wait.elapsed() < 10000)
                QThread::msleep(5);
            QElapsedTimer t;
            t.start();
            QString error;
            int line = 0;
            if (mode == noSpare) {
                WorkerSpares::Worker w;
                if (!WorkerSpares::start(runtime.workerExecutable, &w, &error)) {
                    std::fprintf(stderr, "start failed: %s\n", qPrintable(error));
                    return 2;
                }
                ::kill(w.pid, SIGKILL);
                ::waitpid(w.pid, nullptr, 0);
                ::close(w.fd);
                initMs[mode].append(double(t.nsecsElapsed()) / 1e6);   // + the load, measured below
                continue;
            }
            const std::unique_ptr<FunctionInstance> instance = FunctionInstance::create(trivial, runtime);
            if (!instance->load(trivial, &error, &line)) {
                std::fprintf(stderr, "load failed: %s\n", qPrintable(error));
                return 2;
            }
            initMs[mode].append(double(t.nsecsElapsed()) / 1e6);
        }
    }
    // Without a spare: the start measured above plus the median load with one.
    const double loadMs = BenchLog::median(initMs.value(isolations.at(1)));
    for (double &ms : initMs[noSpare])
        ms += loadMs;

    const double baseline = BenchLog::median(variants.first().rates);
    std::printf("| %lld events, %d runs | events/s (median) | runs | ratio to C++ |\n|---|---:|---|---:|\n",
                static_cast<long long>(total), runs);
    for (const Variant &v : variants) {
        QStringList each;
        for (double r : v.rates)
            each.append(QString::number(qRound64(r)));
        std::printf("| %s | %.0f | %s | %.2fx |\n", qPrintable(v.label), BenchLog::median(v.rates), qPrintable(each.join(QStringLiteral(", "))),
                    baseline > 0 ? BenchLog::median(v.rates) / baseline : 0);
    }
    std::printf("\n| process / thread (medians) | ratio |\n|---|---:|\n");
    // Each thread variant with its process twin, when both ran (ONLY may leave one out).
    const QString threadPrefix = isolations.at(0) + QStringLiteral(": ");
    for (const Variant &t : std::as_const(variants)) {
        if (!t.label.startsWith(threadPrefix))
            continue;
        const QString what = t.label.mid(threadPrefix.size());
        for (const Variant &p : std::as_const(variants)) {
            const double thread = BenchLog::median(t.rates);
            if (p.label == isolations.at(1) + QStringLiteral(": ") + what)
                std::printf("| %s | %.2fx |\n", qPrintable(what), thread > 0 ? BenchLog::median(p.rates) / thread : 0);
        }
    }
    std::printf("\n| %d single calls of the no-op, %d runs | calls/s (median) | runs |\n|---|---:|---|\n", calls, runs);
    for (const QString &isolation : isolations) {
        QStringList each;
        for (double r : callRates.value(isolation))
            each.append(QString::number(qRound64(r)));
        std::printf("| %s | %.0f | %s |\n", qPrintable(isolation), BenchLog::median(callRates.value(isolation)), qPrintable(each.join(QStringLiteral(", "))));
    }
    std::printf("\n| cold start of the trivial function, %d instances | median | p90 | max |\n|---|---:|---:|---:|\n", cold);
    for (const QString &isolation : {isolations.at(0), isolations.at(1), noSpare}) {
        const QList<double> &ms = initMs[isolation];
        std::printf("| %s | %.2f ms | %.2f ms | %.2f ms |\n", qPrintable(isolation), BenchLog::median(ms), percentile(ms, 0.9),
                    *std::max_element(ms.cbegin(), ms.cend()));
    }
    return 0;
}
