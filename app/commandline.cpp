#include "commandline.h"

#include "http/httpserver.h"
#include "mqtt/mqttclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSslCertificate>

#include <cstdio>

namespace Gatehouse::App {

void say(const QString &line)
{
    std::fprintf(stderr, "gatehouse: %s\n", line.toLocal8Bit().constData());
    std::fflush(stderr);
}

namespace {

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

} // namespace

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

} // namespace Gatehouse::App
