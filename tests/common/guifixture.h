#pragma once

// A real engine in a temporary data directory, its gateway and admin listeners on 127.0.0.1
// (port 0), its simulations able to run against that gateway (as `gatehouse` attaches them),
// and the console's client on top: what every GUI test starts from. The client is the
// in-process LocalEngineClient, or -- with GATEHOUSE_TEST_CONSOLE=remote, as the suite runs
// each GUI test a second time (gui/<test>@remote) -- the RemoteEngineClient a console attached
// from elsewhere uses, over the admin listener's sockets and its live channel.

#include "assembly/engine.h"
#include "localengineclient.h"
#include "remoteengineclient.h"
#include "server/listeners.h"
#include "server/simulationhost.h"

#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

namespace Gatehouse::Test {

class GuiFixture
{
public:
    GuiFixture()
    {
        QStandardPaths::setTestModeEnabled(true);   // QSettings under the test location
    }

    ~GuiFixture()
    {
        client.reset();
        simulations.detach();   // a run in progress ends while the listeners still serve it
        if (listeners) {
            listeners->stopAccepting();
            listeners->close();
        }
        engine.stop();
    }

    bool start(const QString &projectFile = {})
    {
        EngineOptions options;
        options.dataDir = dir.path();
        options.durability = EventStore::Durability::Normal;
        options.projectFile = projectFile;
        options.functionWorker = QStringLiteral(GATEHOUSE_BINARY);   // functions' worker processes
        if (!engine.start(options)) {
            qWarning("engine: %s", qPrintable(engine.errorString()));
            return false;
        }
        listeners = std::make_unique<Server::Listeners>();
        listeners->setTls(gatewayTls, nullptr);
        QString error;
        if (!listeners->start(&engine, {QHostAddress::LocalHost, 0}, {QHostAddress::LocalHost, 0}, Http::HttpLimits{}, &error)) {
            qWarning("listeners: %s", qPrintable(error));
            return false;
        }
        simulations.attach(&engine, *listeners, nullptr);
        Ui::LocalEngineClient::Options clientOptions;
        clientOptions.gatewayAddress = listeners->gatewayEndpoint().toString();
        clientOptions.adminAddress = listeners->adminEndpoint().toString();
        clientOptions.gatewayUrl = listeners->gatewayClientUrl();
        clientOptions.adminUrl = listeners->adminUrl();
        clientOptions.certificateFile = gatewayTls ? gatewayTls->certificateFile() : QString();
        clientOptions.statusIntervalMs = 100;
        if (!isRemote()) {
            client = std::make_unique<Ui::LocalEngineClient>(&engine, clientOptions);
            return true;
        }
        Ui::RemoteEngineClient::Options remote;
        remote.adminUrl = QUrl(listeners->adminUrl());
        remote.adminKey = engine.adminKey().toUtf8();
        remote.caFile = clientOptions.certificateFile;
        auto *r = new Ui::RemoteEngineClient(remote);
        client.reset(r);
        // Connected before the test acts: events from here on reach it, as they reach a local client.
        if (!QTest::qWaitFor([r] { return r->connection() == Ui::EngineClient::Connection::Connected; }, 10000)) {
            qWarning("remote client: %s", qPrintable(r->connectionText()));
            return false;
        }
        return true;
    }

    static bool isRemote() { return qEnvironmentVariable("GATEHOUSE_TEST_CONSOLE") == QLatin1String("remote"); }

    // Appends one created event per id (stream products-<id>) straight to the store.
    void appendProducts(int count, const QString &prefix = QStringLiteral("p"))
    {
        for (int i = 0; i < count; ++i) {
            AppendRequest r;
            r.stream = QStringLiteral("products-%1%2").arg(prefix).arg(i);
            r.expected = ExpectedVersion::any();
            r.events = {NewEvent{{}, QStringLiteral("products.created"),
                                 QByteArrayLiteral("{\"name\":\"n") + QByteArray::number(i) + "\",\"price\":" + QByteArray::number(i) + '}', "{}"}};
            engine.eventStore()->append(std::move(r), [](const AppendResult &) {});
        }
    }

    QTemporaryDir dir;
    std::shared_ptr<const Http::HttpTls> gatewayTls;   // set before start(): the gateway speaks TLS
    Engine engine;
    std::unique_ptr<Server::Listeners> listeners;
    Server::SimulationHost simulations;
    std::unique_ptr<Ui::EngineClient> client;
};

// Makes one client call and waits (spinning the event loop, at most 10 s) for its answer:
//   waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/events", ctx, cb); })
inline Ui::ClientReply waitFor(const std::function<void(QObject *, Ui::ReplyCallback)> &call)
{
    QObject context;
    Ui::ClientReply out;
    bool done = false;
    call(&context, [&](const Ui::ClientReply &r) { out = r; done = true; });
    if (!QTest::qWaitFor([&] { return done; }, 10000))
        qWarning("no reply within 10 s");
    return out;
}

} // namespace Gatehouse::Test
