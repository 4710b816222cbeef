// The console while a simulation runs (issue: the console's event-loop stall p99 stays < 50 ms
// while a 20,000 requests/s scenario runs).
//   bench_gui_simulation --mode window|baseline [--seconds 30] [--rate 20000]
// Starts a real engine with its listeners in this process (as the desktop app does), then a
// constant-arrival-rate scenario of GET by id at `rate`/s through the engine's simulation
// service -- the load generator's threads, the engine's network thread and the GUI thread all in
// one process on the same two cores -- and measures on the GUI thread how late a 10 ms timer
// fires. "window" shows the main window offscreen on the Simulation page (live charts polling the
// run once a second); "baseline" runs the same engine and scenario without a window. Prints one
// JSON line with the stall percentiles and the run's achieved rate.

#include "assembly/engine.h"
#include "localengineclient.h"
#include "mainwindow.h"
#include "server/listeners.h"
#include "server/simulationhost.h"
#include "simulation/simulationservice.h"
#include "testhttpclient.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>

using namespace Gatehouse;

namespace {

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCommandLineParser parser;
    parser.addOptions({{QStringLiteral("mode"), QStringLiteral("window or baseline"), QStringLiteral("MODE"), QStringLiteral("window")},
                       {QStringLiteral("seconds"), QStringLiteral("scenario duration"), QStringLiteral("S"), QStringLiteral("30")},
                       {QStringLiteral("rate"), QStringLiteral("requests per second"), QStringLiteral("N"), QStringLiteral("20000")}});
    parser.process(app);
    const bool window = parser.value(QStringLiteral("mode")) == QLatin1String("window");
    const int seconds = parser.value(QStringLiteral("seconds")).toInt();
    const int rate = parser.value(QStringLiteral("rate")).toInt();

    QTemporaryDir dir;
    Engine engine;
    EngineOptions options;
    options.dataDir = dir.path();
    options.adminKey = QStringLiteral("bench");
    if (!engine.start(options)) {
        std::fprintf(stderr, "engine: %s\n", qPrintable(engine.errorString()));
        return 1;
    }
    Server::Listeners listeners;
    QString error;
    const Server::Listeners::Endpoint loopback{QHostAddress::LocalHost, 0};
    if (!listeners.start(&engine, loopback, loopback, {}, &error)) {
        std::fprintf(stderr, "listeners: %s\n", qPrintable(error));
        return 1;
    }
    Server::SimulationHost host;
    host.attach(&engine, listeners, nullptr);
    {
        TestHttpClient http(QStringLiteral("127.0.0.1"), listeners.gatewayEndpoint().port);
        http.post("/api/products", R"({"id":"bench-1","name":"Widget","price":9.5,"sku":"ABC-123"})");
        http.get("/api/products/bench-1", {{"X-Min-Position", "1"}});
    }
    int exitCode = 0;
    {
        Ui::LocalEngineClient::Options clientOptions;
        clientOptions.gatewayAddress = listeners.gatewayEndpoint().toString();
        clientOptions.adminAddress = listeners.adminEndpoint().toString();
        Ui::LocalEngineClient client(&engine, clientOptions);
        std::unique_ptr<Ui::MainWindow> mainWindow;
        if (window) {
            mainWindow = std::make_unique<Ui::MainWindow>(&client);
            mainWindow->resize(1280, 800);
            mainWindow->showPage(Ui::MainWindow::Simulation);
            mainWindow->show();
        }
        QElapsedTimer warm;
        warm.start();
        while (warm.elapsed() < 1000)
            app.processEvents(QEventLoop::AllEvents, 50);

        const QJsonObject scenario{
            {QStringLiteral("seed"), 1},
            {QStringLiteral("duration"), QStringLiteral("%1s").arg(seconds)},
            {QStringLiteral("workloads"), QJsonArray{QJsonObject{
                 {QStringLiteral("name"), QStringLiteral("readers")},
                 {QStringLiteral("executor"), QStringLiteral("constant-arrival-rate")},
                 {QStringLiteral("rate"), rate},
                 {QStringLiteral("time_unit"), QStringLiteral("1s")},
                 {QStringLiteral("pre_allocated_vus"), 200},
                 {QStringLiteral("max_vus"), 1000},
                 {QStringLiteral("operations"), QJsonArray{QJsonObject{{QStringLiteral("op"), QStringLiteral("request")},
                                                                       {QStringLiteral("name"), QStringLiteral("get")},
                                                                       {QStringLiteral("method"), QStringLiteral("GET")},
                                                                       {QStringLiteral("path"), QStringLiteral("/api/products/bench-1")}}}},
             }}},
        };
        Simulation::SimulationService *service = engine.simulations();
        QJsonObject report;
        QObject::connect(service, &Simulation::SimulationService::runFinished, &app, [&](const QString &, const QJsonObject &r) {
            report = r;
            app.quit();
        }, Qt::QueuedConnection);

        std::vector<double> lateMs;
        QElapsedTimer since;
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(10);
        QObject::connect(&probe, &QTimer::timeout, &app, [&] {
            lateMs.push_back(std::max(0.0, double(since.nsecsElapsed()) / 1e6 - 10.0));
            since.restart();
        });
        const auto started = service->startDocument(scenario, QStringLiteral("bench"));
        if (started.status != 201) {
            std::fprintf(stderr, "scenario: %d %s %s\n", started.status, qPrintable(started.detail), qPrintable(started.errors.join(u' ')));
            return 1;
        }
        since.start();
        probe.start();
        QTimer::singleShot((seconds + 30) * 1000, &app, [&] { app.quit(); });   // a run that never ends
        app.exec();
        probe.stop();
        const QJsonObject op = report.value(QStringLiteral("operations")).toObject().value(QStringLiteral("readers/get")).toObject();
        std::printf("{\"mode\":\"%s\",\"rate_target\":%d,\"achieved_rate\":%.0f,\"dropped\":%lld,\"requests\":%lld,"
                    "\"stall_p50_ms\":%.2f,\"stall_p99_ms\":%.2f,\"stall_max_ms\":%.2f,\"ticks\":%zu,\"state\":\"%s\"}\n",
                    window ? "window" : "baseline", rate, op.value(QStringLiteral("achieved_rate")).toDouble(),
                    static_cast<long long>(op.value(QStringLiteral("dropped")).toInteger()),
                    static_cast<long long>(op.value(QStringLiteral("requests")).toInteger()),
                    percentile(lateMs, 0.5), percentile(lateMs, 0.99), percentile(lateMs, 1.0), lateMs.size(),
                    qPrintable(report.value(QStringLiteral("state")).toString()));
        std::fflush(stdout);
        if (report.isEmpty())
            exitCode = 1;
    }
    host.detach();
    listeners.stopAccepting();
    listeners.close();
    engine.stop();
    return exitCode;
}
