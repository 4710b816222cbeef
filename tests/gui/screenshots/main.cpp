// Renders every page of the console to PNG with sample data, for the README.
//   gatehouse_screenshots OUTPUT_DIR
// Run under Xvfb by tests/gui/screenshots.sh. Starts a real engine in a temporary directory,
// feeds it commands through the console's own client, then shows each page and grabs it.

#include "assembly/engine.h"
#include "focusstyle.h"
#include "functions/functionworkerprocess.h"
#include "localengineclient.h"
#include "mainwindow.h"
#include "mqtt/mqttservice.h"
#include "pages/mqttpage.h"
#include "pages/simulationpage.h"
#include "pages/streamspage.h"
#include "server/engineviews.h"
#include "server/listeners.h"
#include "server/simulationhost.h"
#include "widgets/collectioneditordialog.h"
#include "widgets/scenarioeditor.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QKeyEvent>
#include <QPushButton>
#include <QTableView>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <cstring>

using namespace Gatehouse;

namespace {

void spin(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

// Waits for `pending` answers to reach zero (or 20 s).
void drain(const int &pending)
{
    QElapsedTimer t;
    t.start();
    while (pending > 0 && t.elapsed() < 20000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

void sampleData(Ui::EngineClient *client)
{
    int pending = 0;
    const auto done = [&pending](const Ui::ClientReply &r) {
        --pending;
        if (!r.isSuccess())
            std::fprintf(stderr, "screenshots: %s\n", qPrintable(r.errorText()));
    };
    static const char *const names[] = {"Espresso machine", "Burr grinder", "Milk jug", "Tamper", "Scale", "Kettle",
                                        "Pour-over dripper", "Paper filters", "Knock box", "Cleaning tablets"};
    for (int i = 0; i < 10; ++i) {
        ++pending;
        client->command(QStringLiteral("products"), {}, {},
                        QJsonObject{{QStringLiteral("id"), QStringLiteral("sku-%1").arg(100 + i)},
                                    {QStringLiteral("name"), QString::fromLatin1(names[i])},
                                    {QStringLiteral("price"), 12.5 * (i + 1)},
                                    {QStringLiteral("stock"), 40 - 3 * i}},
                        client, done);
    }
    drain(pending);
    for (int i = 0; i < 10; i += 2) {
        ++pending;
        client->command(QStringLiteral("products"), QStringLiteral("sku-%1").arg(100 + i), {},
                        QJsonObject{{QStringLiteral("stock"), 7 + i}}, client, done);
    }
    ++pending;
    client->command(QStringLiteral("products"), QStringLiteral("sku-109"), QStringLiteral("delete"), {}, client, done);
    const QByteArray function = R"({"runtime":"js","code":"function handle(e, ctx) {\n  // Keep a count of products per price band.\n  const band = e.data && e.data.price >= 50 ? 'premium' : 'standard';\n  const cur = ctx.get('price_bands', band) || {count: 0};\n  ctx.upsert('price_bands', band, {count: cur.count + 1});\n}\n","triggers":[{"type":"event","filter":{"type":"products.created"}}]})";
    ++pending;
    client->admin("PUT", "/admin/functions/price-bands", function, client, done);
    ++pending;
    client->admin("PUT", "/admin/routes/orders-legacy",
                  R"({"uri":"/legacy/orders/*","methods":["GET","POST"],"upstream":{"type":"http","nodes":{"127.0.0.1:9":1}},"plugins":{"limit-count":{"count":100,"time_window":60,"key":"remote_addr"}}})",
                  client, done);
    drain(pending);
}

// Selects `row` in the page's table named `table` (the first table when empty); with `enter`
// also presses Enter on it, as a user would to open its details.
void pick(QWidget *page, const QString &table, int row, bool enter = false)
{
    QTableView *view = table.isEmpty() ? page->findChild<QTableView *>() : page->findChild<QTableView *>(table);
    if (!view || !view->model() || view->model()->rowCount() == 0)
        return;
    row = row < 0 ? view->model()->rowCount() + row : row;
    row = qBound(0, row, view->model()->rowCount() - 1);
    view->setFocus();
    view->selectRow(row);
    view->scrollTo(view->model()->index(row, 0));
    if (!enter)
        return;
    QKeyEvent press(QEvent::KeyPress, Qt::Key_Return, Qt::NoModifier);
    QCoreApplication::sendEvent(view, &press);
    QKeyEvent release(QEvent::KeyRelease, Qt::Key_Return, Qt::NoModifier);
    QCoreApplication::sendEvent(view, &release);
}

// What each page shows in its picture: a selected row, a loaded entity.
void prepare(Ui::MainWindow &window, Ui::MainWindow::Page p)
{
    QWidget *page = window.page(p);
    switch (p) {
    case Ui::MainWindow::Events: pick(page, QStringLiteral("eventsTable"), -4, true); break;
    case Ui::MainWindow::ReadModels: pick(page, QStringLiteral("readModelTable"), 2); break;
    case Ui::MainWindow::Streams:
        if (auto *streams = qobject_cast<Ui::StreamsPage *>(page)) {
            streams->loadEntity(QStringLiteral("products"), QStringLiteral("sku-102"));
            spin(800);
            streams->setStep(qMin(2, streams->stepCount() - 1));
        }
        break;
    case Ui::MainWindow::Routes: pick(page, QStringLiteral("routeTable"), 0); break;
    case Ui::MainWindow::Functions: pick(page, {}, 0); break;
    case Ui::MainWindow::Projections: pick(page, QStringLiteral("projectionTable"), 0); break;
    case Ui::MainWindow::Simulation:
        // A short copy of the steady shop example (without subscribers), caught while it runs.
        if (auto *simulation = qobject_cast<Ui::SimulationPage *>(page)) {
            simulation->selectScenario(QStringLiteral("steady-shop"));
            spin(800);
            QJsonObject document = simulation->editor()->document();
            document.insert(QStringLiteral("name"), QStringLiteral("shop-preview"));
            document.insert(QStringLiteral("duration"), QStringLiteral("12s"));
            document.remove(QStringLiteral("subscribers"));
            simulation->newScenario();
            simulation->editor()->setDocument(document);
            simulation->editor()->setModified(true);
            simulation->start();
            spin(8000);
        }
        break;
    case Ui::MainWindow::Mqtt:
        if (auto *mqtt = qobject_cast<Ui::MqttPage *>(page)) {
            spin(1500);
            mqtt->selectTopic(QStringLiteral("gatehouse/readmodel/products/sku-102"));
        }
        break;
    default: break;
    }
}

} // namespace

int main(int argc, char **argv)
{
    // The engine starts its isolated functions as `<this executable> function-worker`.
    if (argc > 1 && std::strcmp(argv[1], Gatehouse::FunctionWorkerProcess::kCommand) == 0)
        return Gatehouse::FunctionWorkerProcess::run(argc, argv);
    QApplication app(argc, argv);
    QApplication::setStyle(new Gatehouse::Ui::FocusStyle);   // as the console has it
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse-screenshots"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    QStandardPaths::setTestModeEnabled(true);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const QDir out(QString::fromLocal8Bit(argv[1]));
    QDir().mkpath(out.path());

    QTemporaryDir dir;
    Engine engine;
    EngineOptions options;
    options.dataDir = dir.path();
    options.durability = EventStore::Durability::Normal;
    if (!engine.start(options)) {
        std::fprintf(stderr, "engine: %s\n", qPrintable(engine.errorString()));
        return 1;
    }
    Server::Listeners listeners;
    QString error;
    if (!listeners.start(&engine, {QHostAddress::LocalHost, 0}, {QHostAddress::LocalHost, 0}, Http::HttpLimits{}, &error)) {
        std::fprintf(stderr, "listeners: %s\n", qPrintable(error));
        return 1;
    }
    Server::SimulationHost simulations;
    simulations.attach(&engine, listeners, nullptr);
    // The engine's own broker (a mosquitto child on a free port), for the MQTT page.
    Mqtt::MqttService mqtt;
    Mqtt::MqttOptions mqttOptions;
    mqttOptions.listenPort = 0;
    if (!mqtt.start(Server::mqttEngineSide(engine), mqttOptions, &error))
        std::fprintf(stderr, "mqtt (the MQTT page stays empty): %s\n", qPrintable(error));
    int rc = 0;
    {
        Ui::LocalEngineClient::Options clientOptions;
        clientOptions.gatewayAddress = listeners.gatewayEndpoint().toString();
        clientOptions.adminAddress = listeners.adminEndpoint().toString();
        clientOptions.statusIntervalMs = 250;
        clientOptions.mqtt = &mqtt;
        Ui::LocalEngineClient client(&engine, clientOptions);
        Ui::MainWindow window(&client);
        window.resize(1280, 800);
        window.show();
        spin(500);
        sampleData(&client);
        // A little steady traffic so the overview has something to draw.
        for (int round = 0; round < 12; ++round) {
            int pending = 0;
            for (int i = 0; i < 20; ++i) {
                ++pending;
                client.get(QByteArrayLiteral("/api/products/sku-10") + QByteArray::number(i % 9), &client,
                           [&pending](const Ui::ClientReply &) { --pending; });
            }
            drain(pending);
            spin(250);
        }
        // Keep reads and writes flowing while the pages are grabbed.
        QTimer traffic;
        int tick = 0;
        QObject::connect(&traffic, &QTimer::timeout, &client, [&client, &tick] {
            ++tick;
            client.get(QByteArrayLiteral("/api/products/sku-10") + QByteArray::number(tick % 9), &client, [](const Ui::ClientReply &) {});
            if (tick % 10 == 0)
                client.command(QStringLiteral("products"), QStringLiteral("sku-10%1").arg(tick % 9), {},
                               QJsonObject{{QStringLiteral("stock"), tick % 50}}, &client, [](const Ui::ClientReply &) {});
        });
        traffic.start(20);
        // Let the overview's charts gather some history first.
        spin(1000 * qEnvironmentVariableIntValue("GATEHOUSE_SCREENSHOT_WARMUP_S"));
        for (int p = 0; p < Ui::MainWindow::PageCount; ++p) {
            window.showPage(Ui::MainWindow::Page(p));
            spin(600);
            prepare(window, Ui::MainWindow::Page(p));
            spin(900);
            const QString name = Ui::MainWindow::pageTitle(Ui::MainWindow::Page(p)).toLower().replace(QLatin1Char(' '), QLatin1Char('-'));
            const QString file = out.filePath(name + QStringLiteral(".png"));
            if (!window.grab().save(file)) {
                std::fprintf(stderr, "cannot write %s\n", qPrintable(file));
                rc = 1;
            } else {
                std::printf("%s\n", qPrintable(file));
            }
        }
        // The collection editor, on the collection the Read models page shows.
        window.showPage(Ui::MainWindow::ReadModels);
        spin(600);
        if (auto *edit = window.findChild<QPushButton *>(QStringLiteral("readModelEditCollection"))) {
            edit->click();
            spin(900);
            if (auto *editor = window.findChild<Ui::CollectionEditorDialog *>(QStringLiteral("collectionEditor"))) {
                const QString file = out.filePath(QStringLiteral("read-models-collection-editor.png"));
                if (!editor->grab().save(file)) {
                    std::fprintf(stderr, "cannot write %s\n", qPrintable(file));
                    rc = 1;
                } else {
                    std::printf("%s\n", qPrintable(file));
                }
                editor->reject();
            }
        }
    }
    mqtt.stop();
    simulations.detach();
    listeners.stopAccepting();
    listeners.close();
    engine.stop();
    return rc;
}
