// gatehouse: the desktop console, or with --headless the engine alone.
// Parses the command line, starts the engine and its listeners, and hands them to the GUI or
// to a plain event loop. No business logic lives here.

#include "assembly/engine.h"
#include "functions/functionworkerprocess.h"
#include "mqtt/mqttservice.h"
#include "server/engineviews.h"
#include "http/httpserver.h"
#include "live/liveoptions.h"
#include "server/listeners.h"
#include "server/simulationhost.h"
#include "simulatecommand.h"
#include "sql/pgownership.h"
#include "commandline.h"
#include "processsignals.h"
#include "toolcommands.h"

#include <QCoreApplication>
#include <QScopeGuard>
#include <QPointer>
#include <QThread>

#ifdef GATEHOUSE_WITH_GUI
#include "focusstyle.h"
#include "connectdialog.h"
#include "localengineclient.h"
#include "mainwindow.h"
#include <QApplication>
#include <QEventLoop>
#include <QTimer>
#endif

#include <cstdio>
#include <cstring>
#include <memory>

using namespace Gatehouse;
using App::kExitDatabaseUnreachable;
using App::kExitUsage;
using App::Options;
using App::parseOptions;
using App::say;

namespace {

bool hasArgument(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], name) == 0)
            return true;
    }
    return false;
}

[[maybe_unused]] bool displayAvailable()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

QString describe(const Http::HttpTls &tls)
{
    const Http::HttpTls::Summary s = tls.summary();
    return QStringLiteral("%1 (%2), valid until %3, SHA-256 %4")
        .arg(s.subject.isEmpty() ? QStringLiteral("no subject") : s.subject,
             s.names.isEmpty() ? QStringLiteral("no alternative names") : s.names.join(QStringLiteral(", ")),
             s.notAfter.toString(Qt::ISODate), s.sha256);
}

// The listeners' TLS credentials: read and proven at start, read again on SIGHUP (a pair that
// does not pass leaves the one in use).
struct TlsCredentials
{
    std::shared_ptr<Http::HttpTls> gateway;
    std::shared_ptr<Http::HttpTls> admin;
    bool reloading = false;

    bool load(const Options &options, QString *error)
    {
        if (!options.tlsCertificate.isEmpty()) {
            gateway = Http::HttpTls::load(options.tlsCertificate, options.tlsKey, error);
            if (!gateway) {
                *error = QStringLiteral("--tls-cert/--tls-key: %1").arg(*error);
                return false;
            }
        }
        if (!options.adminTlsCertificate.isEmpty()) {
            admin = options.adminTlsCertificate == options.tlsCertificate && options.adminTlsKey == options.tlsKey
                ? gateway
                : Http::HttpTls::load(options.adminTlsCertificate, options.adminTlsKey, error);
            if (!admin) {
                *error = QStringLiteral("--admin-tls-cert/--admin-tls-key: %1").arg(*error);
                return false;
            }
        }
        return true;
    }

    static void reloadOne(Http::HttpTls &tls, const char *listener)
    {
        QString error;
        if (tls.reload(&error))
            say(QStringLiteral("SIGHUP: the %1 certificate was read again: %2").arg(QLatin1String(listener), describe(tls)));
        else
            say(QStringLiteral("SIGHUP: the %1 keeps its certificate: %2").arg(QLatin1String(listener), error));
    }

    void reload()
    {
        // The test handshake turns the event loop: a second SIGHUP meanwhile waits its turn.
        if (reloading) {
            say(QStringLiteral("SIGHUP: the certificates are being read already"));
            return;
        }
        reloading = true;
        const auto done = qScopeGuard([this] { reloading = false; });
        if (!gateway && !admin) {
            say(QStringLiteral("SIGHUP: no TLS certificate to read again"));
            return;
        }
        if (gateway)
            reloadOne(*gateway, "gateway");
        if (admin && admin != gateway)
            reloadOne(*admin, "admin API");
    }
};

// Starts engine and listeners; prints where they are. Returns -1 on success, else an exit code.
int startAll(const Options &options, Engine &engine, Server::Listeners &listeners, Mqtt::MqttService &mqtt,
             Server::SimulationHost &simulations, TlsCredentials &tls)
{
    {
        QString error;
        if (!tls.load(options, &error)) {
            say(error);
            return kExitUsage;
        }
        listeners.setTls(tls.gateway, tls.admin);
        listeners.setApiDescriptions(options.apiDescriptions);
    }
    if (!engine.start(options.engine)) {
        say(engine.errorString());
        return engine.databaseUnreachable() ? kExitDatabaseUnreachable : 1;
    }
    QString error;
    listeners.setGatewayThreads(options.gatewayThreads);
    listeners.setLiveOptions(options.live);
    if (!listeners.start(&engine, options.gateway, options.admin, options.limits, &error)) {
        say(error);
        return 1;
    }
    const EngineOptions &used = engine.options();
    say(QStringLiteral("data in %1; %2 events in the log")
            .arg(used.database ? used.database->redacted() + QStringLiteral(" (PostgreSQL)") : used.dataDir)
            .arg(engine.eventStore()->headPosition()));
    say(QStringLiteral("gateway listening on %1").arg(listeners.gatewayUrl()));
    say(QStringLiteral("admin API listening on %1").arg(listeners.adminUrl()));
    if (tls.gateway)
        say(QStringLiteral("gateway certificate: %1").arg(describe(*tls.gateway)));
    if (tls.admin && tls.admin != tls.gateway)
        say(QStringLiteral("admin API certificate: %1").arg(describe(*tls.admin)));
    // MQTT is optional: when it cannot start, say why and keep serving HTTP.
    Mqtt::MqttOptions mqttOptions = options.mqtt;
    mqttOptions.maxCommandBytes = options.limits.maxBodyBytes;   // one limit whichever protocol carries a command
    if (options.engine.database) {
        mqttOptions.sharedSubscriptionGroup = mqttOptions.topicPrefix;   // each command to one engine
        if (mqttOptions.broker == Mqtt::MqttOptions::Broker::Managed)
            say(QStringLiteral("note: engines that share a database should share one MQTT broker (--mqtt-url); "
                               "with a broker of its own, this engine's clients see only the events it publishes"));
    }
    if (!mqtt.start(Server::mqttEngineSide(engine), mqttOptions, &error))
        say(error);
    else if (mqtt.isRunning())
        say(QStringLiteral("MQTT broker %1%2").arg(mqtt.brokerUrl(), mqtt.managedBroker() ? QStringLiteral(" (managed mosquitto)") : QString()));
    if (mqtt.isRunning())
        listeners.setMqttBroker(mqtt.brokerUrl(), mqttOptions.topicPrefix);   // for /asyncapi.json
    listeners.setMqttService(&mqtt);   // its state, for remote consoles
    if (PgOwnership *owners = engine.ownership(); owners && mqtt.isRunning() && options.mqtt.broker != Mqtt::MqttOptions::Broker::Off) {
        // Only engines that publish want the outbox; its owner publishes every event once.
        QObject::connect(owners, &PgOwnership::acquired, &mqtt, [&mqtt](const QString &name) {
            if (name == QLatin1String("mqtt-outbox"))
                mqtt.setOutboxActive(true);
        });
        QObject::connect(owners, &PgOwnership::lost, &mqtt, [&mqtt](const QString &name) {
            if (name == QLatin1String("mqtt-outbox"))
                mqtt.setOutboxActive(false);
        });
        owners->want(QStringLiteral("mqtt-outbox"));
    }
    simulations.attach(&engine, listeners, &mqtt);
    if (engine.adminKeyWasGenerated())
        say(QStringLiteral("admin key (shown once; also stored in config.db): %1").arg(engine.adminKey()));
    return -1;
}

void shutDown(Engine &engine, Server::Listeners &listeners, Mqtt::MqttService &mqtt, Server::SimulationHost &simulations)
{
    say(QStringLiteral("shutting down"));
    simulations.detach();   // a run in progress ends, its faults switched off, while all is up
    listeners.stopAccepting();
    engine.eventStore()->close();   // commits every queued append and answers its caller
    // Give the network threads a moment to write the answers of those last commits.
    QThread::msleep(100);
    mqtt.stop();   // replies of those last commits go out; then "offline", checkpoint, broker ends
    listeners.close();
    engine.stop();
}

int runHeadless(int argc, char **argv)
{
    // The engine's threads wait on sockets with Qt's own poll() loop rather than GLib's main
    // context: a request costs the network threads about 15% less CPU (bench_gateway.sh), and
    // there is no GLib-based code in the headless engine to integrate with. Read when each
    // thread's event loop is made, so it is set before any thread exists; a value the user set
    // is kept.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GATEHOUSE_VERSION));
    Options options;
    if (const int code = parseOptions(app, &options); code >= 0)
        return code;
    if (!options.headless) {
        say(QStringLiteral("this build has no GUI; run `gatehouse --headless`"));
        return kExitUsage;
    }
    // Before anything starts: a SIGTERM that comes while the engine starts (a supervisor that
    // gives up, a test that stops it at once) is kept until the event loop runs, which then
    // ends at once, and the engine stops as cleanly as later on (it used to die of the signal).
    TlsCredentials tls;
    ProcessSignals processSignals([&app] { app.quit(); }, [&tls] { tls.reload(); });
    Engine engine;
    Server::Listeners listeners;
    Mqtt::MqttService mqtt;
    Server::SimulationHost simulations;
    if (const int code = startAll(options, engine, listeners, mqtt, simulations, tls); code >= 0)
        return code;
    const int rc = app.exec();
    shutDown(engine, listeners, mqtt, simulations);
    return rc;
}

#ifdef GATEHOUSE_WITH_GUI
// --connect: no engine here, a console window on the one at the URL.
int runRemoteConsole(QApplication &app, const Options &options)
{
    // A stop (Ctrl-C, SIGTERM) while it waits for the keychain or for the operator ends those
    // waits too: QApplication::quit() alone only ends an event loop that is already running.
    bool stopping = false;
    QPointer<QEventLoop> waiting;
    QPointer<QDialog> asking;
    ProcessSignals processSignals([&] {
        stopping = true;
        if (waiting)
            waiting->quit();
        if (asking)
            asking->reject();
        app.quit();
    }, [] {});
    Ui::RemoteEngineClient::Options remote;
    remote.adminUrl = QUrl(Ui::RemoteEngineClient::normalizedUrl(options.connectUrl), QUrl::StrictMode);
    remote.adminKey = options.engine.adminKey.toUtf8();
    remote.caFile = options.caFile;
    QString error;
    if (remote.adminKey.isEmpty()) {
        // A connection remembered with its key: straight to it.
        QEventLoop wait;
        waiting = &wait;
        Ui::ConnectDialog::readKey(remote.adminUrl.toString(), &wait, [&](const QByteArray &key, const QString &) {
            remote.adminKey = key;
            wait.quit();
        });
        QTimer::singleShot(5000, &wait, &QEventLoop::quit);   // a keychain that does not answer: ask
        wait.exec();
        if (stopping)
            return 0;
        if (remote.caFile.isEmpty())
            remote.caFile = Ui::ConnectDialog::savedCaFile(remote.adminUrl.toString());
    }
    if (remote.adminKey.isEmpty()) {
        // Else the operator types it.
        Ui::ConnectDialog dialog;
        asking = &dialog;
        dialog.setUrl(options.connectUrl);
        if (dialog.exec() != QDialog::Accepted || stopping)
            return 0;
        remote = dialog.options();
        if (remote.caFile.isEmpty())
            remote.caFile = options.caFile;
        if (dialog.remember())
            Ui::ConnectDialog::saveConnection(remote, &app, [](const QString &why) {
                if (!why.isEmpty())
                    say(QStringLiteral("the admin key was not kept (no keychain: %1)").arg(why));
            });
    }
    if (!Ui::RemoteEngineClient::validate(remote, &error)) {
        say(QStringLiteral("--connect: %1").arg(error));
        return kExitUsage;
    }
    Ui::ConnectDialog::openConsole(remote);
    return app.exec();
}

int runGui(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setStyle(new Ui::FocusStyle);   // keyboard focus plain to see on lists and tables
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse"));
    QCoreApplication::setOrganizationName(QStringLiteral("Gatehouse"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GATEHOUSE_VERSION));
    Options options;
    if (const int code = parseOptions(app, &options); code >= 0)
        return code;
    if (!options.connectUrl.isEmpty())
        return runRemoteConsole(app, options);
    TlsCredentials tls;
    ProcessSignals processSignals([&app] { app.quit(); }, [&tls] { tls.reload(); });   // from the start, as in runHeadless()
    Engine engine;
    Server::Listeners listeners;
    Mqtt::MqttService mqtt;
    Server::SimulationHost simulations;
    if (const int code = startAll(options, engine, listeners, mqtt, simulations, tls); code >= 0)
        return code;
    int rc = 0;
    {
        Ui::LocalEngineClient::Options clientOptions;
        clientOptions.gatewayAddress = listeners.gatewayEndpoint().toString();
        clientOptions.adminAddress = listeners.adminEndpoint().toString();
        clientOptions.gatewayUrl = listeners.gatewayClientUrl();
        clientOptions.adminUrl = listeners.adminUrl();
        clientOptions.certificateFile = options.tlsCertificate;
        clientOptions.mqtt = &mqtt;
        Ui::LocalEngineClient client(&engine, clientOptions);
        Ui::MainWindow window(&client);
        window.show();
        rc = app.exec();
    }   // the window and its client go before the engine stops
    shutDown(engine, listeners, mqtt, simulations);
    return rc;
}
#endif

} // namespace

int main(int argc, char **argv)
{
    // Not a command for people (not in --help): the engine starts it for process isolation.
    if (argc > 1 && std::strcmp(argv[1], FunctionWorkerProcess::kCommand) == 0)
        return FunctionWorkerProcess::run(argc, argv);
    if (argc > 1 && std::strcmp(argv[1], "simulate") == 0)
        return SimulateCommand::run(argc, argv);
    if (argc > 1 && ToolCommands::isToolCommand(argv[1]))
        return ToolCommands::run(argc, argv);
    const bool toolOnly = hasArgument(argc, argv, "--help") || hasArgument(argc, argv, "-h")
        || hasArgument(argc, argv, "--version") || hasArgument(argc, argv, "-v");
    if (hasArgument(argc, argv, "--headless") || toolOnly)
        return runHeadless(argc, argv);
#ifdef GATEHOUSE_WITH_GUI
    if (!displayAvailable()) {
        std::fputs("gatehouse: no display available; run `gatehouse --headless` to start the engine without a window\n", stderr);
        return kExitUsage;
    }
    return runGui(argc, argv);
#else
    return runHeadless(argc, argv);
#endif
}
