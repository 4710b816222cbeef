// gatehouse: the desktop console, or with --headless the engine alone.
// Parses the command line, starts the engine and its listeners, and hands them to the GUI or
// to a plain event loop. No business logic lives here.

#include "assembly/engine.h"
#include "functions/functionworkerprocess.h"
#include "mqtt/mqttclient.h"
#include "mqtt/mqttservice.h"
#include "server/engineviews.h"
#include "http/httpserver.h"
#include "live/liveoptions.h"
#include "server/listeners.h"
#include "server/simulationhost.h"
#include "simulatecommand.h"
#include "sql/pgownership.h"
#include "processsignals.h"
#include "toolcommands.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSslCertificate>
#include <QFile>
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

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitDatabaseUnreachable = 3;   // --database names a server that cannot be reached

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

void say(const QString &line)
{
    std::fprintf(stderr, "gatehouse: %s\n", line.toLocal8Bit().constData());
    std::fflush(stderr);
}

struct Options
{
    bool headless = false;
    EngineOptions engine;
    Server::Listeners::Endpoint gateway{QHostAddress::LocalHost, 9080};
    Server::Listeners::Endpoint admin{QHostAddress::LocalHost, 9180};
    Http::HttpLimits limits;
    int gatewayThreads = Server::Listeners::defaultGatewayThreads();
    Live::LiveOptions live;
    Mqtt::MqttOptions mqtt;
    QString tlsCertificate, tlsKey;             // the gateway's; empty: plain HTTP
    QString adminTlsCertificate, adminTlsKey;   // the admin listener's
    bool adminTrustedNetwork = false;
    bool apiDescriptions = true;
    QString connectUrl;   // the console on a remote engine's admin API
    QString caFile;
};

// The admin key kept in a file (a service's key, not on its command line for every user's ps to
// see): its first line, trimmed. A file other users may read is refused, as ssh refuses keys.
bool readKeyFile(const QString &path, QString *key, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    if (file.permissions() & QFileDevice::ReadOther) {
        *error = QStringLiteral("%1 is readable by every user; make it readable by the engine's user only (chmod 640 or 600)").arg(path);
        return false;
    }
    *key = QString::fromUtf8(file.readLine(4096)).trimmed();
    if (key->isEmpty()) {
        *error = QStringLiteral("%1 holds no key on its first line").arg(path);
        return false;
    }
    return true;
}

// Returns -1 when the options are fine, else the exit code.
int parseOptions(const QCoreApplication &app, Options *out)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Gatehouse: event-driven API services (CQRS, event sourcing, API gateway, functions)."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("headless"), QStringLiteral("Run the engine without a window; logs go to stderr.")},
        {QStringLiteral("data-dir"), QStringLiteral("Directory for events.db, readmodel.db and config.db."), QStringLiteral("DIR")},
        {QStringLiteral("database"), QStringLiteral("Keep the log, read models and configuration in this PostgreSQL database, shared with every engine started on it (postgresql://user[:password]@host[:port]/dbname). Default: SQLite files in the data directory."), QStringLiteral("URL")},
        {QStringLiteral("listen"), QStringLiteral("Gateway address (HTTP, WebSocket, SSE). Default 127.0.0.1:9080."), QStringLiteral("ADDR:PORT")},
        {QStringLiteral("admin-listen"), QStringLiteral("Admin API address. Default 127.0.0.1:9180."), QStringLiteral("ADDR:PORT")},
        {QStringLiteral("admin-key"), QStringLiteral("Admin API key (X-API-KEY). Default: generated once into config.db."), QStringLiteral("KEY")},
        {QStringLiteral("admin-key-file"), QStringLiteral("Read the admin API key from this file (its first line), which other users must not be able to read."), QStringLiteral("FILE")},
        {QStringLiteral("tls-cert"), QStringLiteral("Serve the gateway (HTTP, WebSocket, SSE) over TLS with this PEM certificate (chain); needs --tls-key. SIGHUP reads the files again."), QStringLiteral("FILE")},
        {QStringLiteral("tls-key"), QStringLiteral("The PEM private key of --tls-cert (RSA or EC, unencrypted)."), QStringLiteral("FILE")},
        {QStringLiteral("admin-tls-cert"), QStringLiteral("Serve the admin API over TLS with this PEM certificate (chain); needs --admin-tls-key."), QStringLiteral("FILE")},
        {QStringLiteral("admin-tls-key"), QStringLiteral("The PEM private key of --admin-tls-cert."), QStringLiteral("FILE")},
        {QStringLiteral("admin-trusted-network"), QStringLiteral("Allow the admin API on a non-loopback address without TLS: the network to it is trusted (a private link, a TLS-terminating proxy).")},
        {QStringLiteral("connect"), QStringLiteral("Open the console on the engine whose admin API is at URL (one started elsewhere with --headless) instead of starting an engine; the admin key comes from --admin-key-file, --admin-key or the keychain, else it is asked for."), QStringLiteral("URL")},
        {QStringLiteral("ca-file"), QStringLiteral("With --connect: also trust this PEM certificate (a self-signed engine's)."), QStringLiteral("FILE")},
        {QStringLiteral("no-api-descriptions"), QStringLiteral("Do not answer GET /openapi.json and /asyncapi.json on the gateway.")},
        {QStringLiteral("durability"), QStringLiteral("full (fsync every commit, default) or normal (survives a crash of the process, not of the machine)."), QStringLiteral("MODE")},
        {QStringLiteral("project"), QStringLiteral("Project file (collections and schemas). Default: the embedded product catalog."), QStringLiteral("FILE.json")},
        {QStringLiteral("mqtt-url"), QStringLiteral("Use this MQTT broker instead of a managed one (mqtt://HOST:PORT, or mqtts:// for TLS)."), QStringLiteral("URL")},
        {QStringLiteral("mqtt-ca"), QStringLiteral("With an mqtts:// --mqtt-url: also trust these PEM CA certificates for the broker."), QStringLiteral("FILE")},
        {QStringLiteral("mqtt-listen"), QStringLiteral("Address of the managed MQTT broker (mosquitto). Default 127.0.0.1:1883; port 0 picks a free one."), QStringLiteral("ADDR:PORT")},
        {QStringLiteral("no-mqtt"), QStringLiteral("Do not use MQTT.")},
        {QStringLiteral("max-body-bytes"), QStringLiteral("Largest request body accepted (default 1048576)."), QStringLiteral("N")},
        {QStringLiteral("max-connections"), QStringLiteral("Most concurrent connections per listener (default 1024)."), QStringLiteral("N")},
        {QStringLiteral("network-threads"), QStringLiteral("Threads that share the gateway's connections (default: one per core, at most 4)."), QStringLiteral("N")},
        {QStringLiteral("live-batch-ms"), QStringLiteral("WebSocket and SSE clients get what was committed within this long in one write (default 10; 0: every commit at once)."), QStringLiteral("MS")},
        {QStringLiteral("read-cache-mb"), QStringLiteral("Memory for documents read by id (default 64; 0 turns the cache off)."), QStringLiteral("MB")},
        {QStringLiteral("query-timeout-ms"), QStringLiteral("Longest a read statement of a query may run before it is stopped with a 504 (default 2000; 0: no limit)."), QStringLiteral("MS")},
    });
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("Nothing (run), or a tool command."));
    parser.process(app);

    if (!parser.positionalArguments().isEmpty()) {
        say(QStringLiteral("unknown command '%1' (try --help)").arg(parser.positionalArguments().first()));
        return kExitUsage;
    }
    out->headless = parser.isSet(QStringLiteral("headless"));
    out->engine.dataDir = parser.value(QStringLiteral("data-dir"));
    if (parser.isSet(QStringLiteral("database"))) {
        QString error;
        out->engine.database = PostgresUrl::parse(parser.value(QStringLiteral("database")), &error);
        if (!out->engine.database) {
            say(QStringLiteral("--database: %1").arg(error));
            return kExitUsage;
        }
    }
    out->engine.adminKey = parser.value(QStringLiteral("admin-key"));
    if (parser.isSet(QStringLiteral("admin-key-file"))) {
        if (parser.isSet(QStringLiteral("admin-key"))) {
            say(QStringLiteral("give --admin-key or --admin-key-file, not both"));
            return kExitUsage;
        }
        QString error;
        if (!readKeyFile(parser.value(QStringLiteral("admin-key-file")), &out->engine.adminKey, &error)) {
            say(QStringLiteral("--admin-key-file: %1").arg(error));
            return kExitUsage;
        }
    }
    out->engine.projectFile = parser.value(QStringLiteral("project"));
    if (parser.isSet(QStringLiteral("listen")) && !Server::Listeners::Endpoint::parse(parser.value(QStringLiteral("listen")), &out->gateway)) {
        say(QStringLiteral("--listen expects ADDR:PORT, got '%1'").arg(parser.value(QStringLiteral("listen"))));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("admin-listen")) && !Server::Listeners::Endpoint::parse(parser.value(QStringLiteral("admin-listen")), &out->admin)) {
        say(QStringLiteral("--admin-listen expects ADDR:PORT, got '%1'").arg(parser.value(QStringLiteral("admin-listen"))));
        return kExitUsage;
    }
    out->tlsCertificate = parser.value(QStringLiteral("tls-cert"));
    out->tlsKey = parser.value(QStringLiteral("tls-key"));
    out->adminTlsCertificate = parser.value(QStringLiteral("admin-tls-cert"));
    out->adminTlsKey = parser.value(QStringLiteral("admin-tls-key"));
    out->adminTrustedNetwork = parser.isSet(QStringLiteral("admin-trusted-network"));
    out->apiDescriptions = !parser.isSet(QStringLiteral("no-api-descriptions"));
    out->connectUrl = parser.value(QStringLiteral("connect"));
    out->caFile = parser.value(QStringLiteral("ca-file"));
    if (!out->connectUrl.isEmpty() && out->headless) {
        say(QStringLiteral("--connect opens the console on another engine; it does not go with --headless"));
        return kExitUsage;
    }
    if (!out->caFile.isEmpty() && out->connectUrl.isEmpty()) {
        say(QStringLiteral("--ca-file goes with --connect"));
        return kExitUsage;
    }
    if (out->tlsCertificate.isEmpty() != out->tlsKey.isEmpty()) {
        say(QStringLiteral("--tls-cert and --tls-key go together"));
        return kExitUsage;
    }
    if (out->adminTlsCertificate.isEmpty() != out->adminTlsKey.isEmpty()) {
        say(QStringLiteral("--admin-tls-cert and --admin-tls-key go together"));
        return kExitUsage;
    }
    if (!out->admin.isLoopback() && out->engine.adminKey.isEmpty()) {
        say(QStringLiteral("refusing to expose the admin API on %1 without an explicit --admin-key").arg(out->admin.toString()));
        return kExitUsage;
    }
    if (!out->admin.isLoopback() && out->adminTlsCertificate.isEmpty() && !out->adminTrustedNetwork) {
        // The admin key would cross the network in clear text.
        say(QStringLiteral("refusing to expose the admin API on %1 without TLS: give --admin-tls-cert and --admin-tls-key, "
                           "or --admin-trusted-network when the network to it is trusted")
                .arg(out->admin.toString()));
        return kExitUsage;
    }
    const QString durability = parser.value(QStringLiteral("durability"));
    if (durability.isEmpty() || durability == QLatin1String("full")) {
        out->engine.durability = EventStore::Durability::Full;
    } else if (durability == QLatin1String("normal")) {
        out->engine.durability = EventStore::Durability::Normal;
    } else {
        say(QStringLiteral("--durability is full or normal, got '%1'").arg(durability));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("max-body-bytes"))) {
        bool ok = false;
        out->limits.maxBodyBytes = parser.value(QStringLiteral("max-body-bytes")).toLongLong(&ok);
        if (!ok || out->limits.maxBodyBytes < 0) {
            say(QStringLiteral("--max-body-bytes expects a number of bytes"));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("max-connections"))) {
        bool ok = false;
        out->limits.maxConnections = parser.value(QStringLiteral("max-connections")).toInt(&ok);
        if (!ok || out->limits.maxConnections < 1) {
            say(QStringLiteral("--max-connections expects a positive number"));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("network-threads"))) {
        bool ok = false;
        out->gatewayThreads = parser.value(QStringLiteral("network-threads")).toInt(&ok);
        if (!ok || out->gatewayThreads < 1 || out->gatewayThreads > Http::HttpServer::kMaxThreads) {
            say(QStringLiteral("--network-threads expects a number from 1 to %1").arg(Http::HttpServer::kMaxThreads));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("live-batch-ms"))) {
        bool ok = false;
        out->live.batchMs = parser.value(QStringLiteral("live-batch-ms")).toInt(&ok);
        if (!ok || out->live.batchMs < 0 || out->live.batchMs > 1000) {
            say(QStringLiteral("--live-batch-ms expects a number of milliseconds from 0 to 1000"));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("read-cache-mb"))) {
        bool ok = false;
        const qint64 mb = parser.value(QStringLiteral("read-cache-mb")).toLongLong(&ok);
        if (!ok || mb < 0 || mb > 1024 * 1024) {
            say(QStringLiteral("--read-cache-mb expects a number of megabytes (0 turns the cache off)"));
            return kExitUsage;
        }
        out->engine.readCacheBytes = mb * 1024 * 1024;
    }
    if (parser.isSet(QStringLiteral("query-timeout-ms"))) {
        bool ok = false;
        out->engine.queryTimeoutMs = parser.value(QStringLiteral("query-timeout-ms")).toInt(&ok);
        if (!ok || out->engine.queryTimeoutMs < 0) {
            say(QStringLiteral("--query-timeout-ms expects a number of milliseconds (0: no limit)"));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("no-mqtt"))) {
        out->mqtt.broker = Mqtt::MqttOptions::Broker::Off;
    } else if (parser.isSet(QStringLiteral("mqtt-url"))) {
        out->mqtt.broker = Mqtt::MqttOptions::Broker::External;
        out->mqtt.brokerUrl = parser.value(QStringLiteral("mqtt-url"));
        Mqtt::MqttClient::Options broker;
        QString error;
        if (!Mqtt::MqttClient::parseUrl(out->mqtt.brokerUrl, &broker, &error)) {
            say(QStringLiteral("--mqtt-url: %1").arg(error));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("mqtt-ca"))) {
        const QString url = out->mqtt.brokerUrl.toLower();
        if (out->mqtt.broker != Mqtt::MqttOptions::Broker::External
            || !(url.startsWith(QLatin1String("mqtts://")) || url.startsWith(QLatin1String("ssl://")))) {
            say(QStringLiteral("--mqtt-ca goes with an mqtts:// (or ssl://) --mqtt-url"));
            return kExitUsage;
        }
        out->mqtt.brokerCaFile = parser.value(QStringLiteral("mqtt-ca"));
        if (QSslCertificate::fromPath(out->mqtt.brokerCaFile, QSsl::Pem).isEmpty()) {
            say(QStringLiteral("--mqtt-ca: no PEM certificate could be read from '%1'").arg(out->mqtt.brokerCaFile));
            return kExitUsage;
        }
    }
    if (parser.isSet(QStringLiteral("mqtt-listen"))) {
        Server::Listeners::Endpoint mqttListen;
        if (!Server::Listeners::Endpoint::parse(parser.value(QStringLiteral("mqtt-listen")), &mqttListen)) {
            say(QStringLiteral("--mqtt-listen expects ADDR:PORT, got '%1'").arg(parser.value(QStringLiteral("mqtt-listen"))));
            return kExitUsage;
        }
        out->mqtt.listenAddress = mqttListen.address;
        out->mqtt.listenPort = mqttListen.port;
    }
    return -1;
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
