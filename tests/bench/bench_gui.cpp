// GUI responsiveness under an event flood (issue: the window stays responsive at 10,000 events/s).
//   bench_gui --mode window|baseline [--seconds 30] [--rate 10000]
// Starts a real engine (normal durability, so the store is not the limit), appends `rate`
// events/s from a loader thread for `seconds`, and measures on the GUI thread how late a 10 ms
// timer fires (the event-loop stall) plus the process's resident memory. "window" shows the
// main window offscreen on the Events page (the page that takes every event); "baseline" runs
// the same engine, load and client without a window. Prints one JSON line.

#include "assembly/engine.h"
#include "localengineclient.h"
#include "mainwindow.h"
#include "store/eventstore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

using namespace Gatehouse;

namespace {

double rssMiB()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toDouble() * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0) : 0;
}

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
                       {QStringLiteral("seconds"), QStringLiteral("load duration"), QStringLiteral("S"), QStringLiteral("30")},
                       {QStringLiteral("rate"), QStringLiteral("events per second"), QStringLiteral("N"), QStringLiteral("10000")}});
    parser.process(app);
    const bool window = parser.value(QStringLiteral("mode")) == QLatin1String("window");
    const int seconds = parser.value(QStringLiteral("seconds")).toInt();
    const int rate = parser.value(QStringLiteral("rate")).toInt();

    QTemporaryDir dir;
    Engine engine;
    EngineOptions options;
    options.dataDir = dir.path();
    options.durability = EventStore::Durability::Normal;
    if (!engine.start(options)) {
        std::fprintf(stderr, "engine: %s\n", qPrintable(engine.errorString()));
        return 1;
    }
    const double rssEngine = rssMiB();
    int exitCode = 0;
    {
        Ui::LocalEngineClient::Options clientOptions;
        clientOptions.gatewayAddress = QStringLiteral("127.0.0.1:9080");
        clientOptions.adminAddress = QStringLiteral("127.0.0.1:9180");
        Ui::LocalEngineClient client(&engine, clientOptions);
        qint64 received = 0;
        QObject::connect(&client, &Ui::EngineClient::eventsArrived, &client,
                         [&received](const RecordedEvents &events, qint64 dropped) { received += events.size() + dropped; });
        std::unique_ptr<Ui::MainWindow> mainWindow;
        if (window) {
            mainWindow = std::make_unique<Ui::MainWindow>(&client);
            mainWindow->resize(1280, 800);
            mainWindow->showPage(Ui::MainWindow::Events);
            mainWindow->show();
        }
        // Warm up the window before measuring.
        QElapsedTimer warm;
        warm.start();
        while (warm.elapsed() < 1000)
            app.processEvents(QEventLoop::AllEvents, 50);
        const double rssStart = rssMiB();

        std::atomic<bool> stop{false};
        std::atomic<qint64> appended{0};
        std::thread loader([&] {
            using clock = std::chrono::steady_clock;
            const auto start = clock::now();
            qint64 sent = 0;
            while (!stop.load()) {
                const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
                const qint64 due = qint64(elapsed * rate);
                for (; sent < due; ++sent) {
                    AppendRequest r;
                    r.stream = QStringLiteral("products-b%1").arg(sent % 5000);
                    r.expected = ExpectedVersion::any();
                    r.events = {NewEvent{{}, QStringLiteral("products.updated"),
                                         "{\"name\":\"bench item " + QByteArray::number(sent) + "\",\"price\":" + QByteArray::number(sent % 1000) + ",\"stock\":12}",
                                         "{}"}};
                    engine.eventStore()->append(std::move(r), [&appended](const AppendResult &) { appended.fetch_add(1); });
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        });

        // The probe: a 10 ms timer on the GUI thread; how late each tick comes is the stall.
        std::vector<double> lateMs;
        QElapsedTimer since;
        since.start();
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(10);
        QObject::connect(&probe, &QTimer::timeout, &app, [&] {
            lateMs.push_back(std::max(0.0, double(since.nsecsElapsed()) / 1e6 - 10.0));
            since.restart();
        });
        double rssPeak = rssStart;
        QTimer sampler;
        QObject::connect(&sampler, &QTimer::timeout, &app, [&] { rssPeak = std::max(rssPeak, rssMiB()); });
        sampler.start(500);
        since.restart();
        probe.start();
        QElapsedTimer run;
        run.start();
        QTimer::singleShot(seconds * 1000, &app, [&] { app.quit(); });
        app.exec();
        probe.stop();
        stop = true;
        loader.join();
        const double rssEnd = rssMiB();
        const double secondsRun = double(run.elapsed()) / 1000.0;
        std::printf("{\"mode\":\"%s\",\"seconds\":%.1f,\"rate_target\":%d,\"events\":%lld,\"events_per_s\":%.0f,"
                    "\"gui_received\":%lld,\"stall_p50_ms\":%.2f,\"stall_p99_ms\":%.2f,\"stall_max_ms\":%.2f,"
                    "\"ticks\":%zu,\"rss_engine_mib\":%.1f,\"rss_start_mib\":%.1f,\"rss_peak_mib\":%.1f,\"rss_end_mib\":%.1f}\n",
                    window ? "window" : "baseline", secondsRun, rate, static_cast<long long>(appended.load()),
                    double(appended.load()) / secondsRun, static_cast<long long>(received),
                    percentile(lateMs, 0.5), percentile(lateMs, 0.99), percentile(lateMs, 1.0), lateMs.size(),
                    rssEngine, rssStart, rssPeak, rssEnd);
        std::fflush(stdout);
    }
    engine.stop();
    return exitCode;
}
