// The console attached to an engine in another process (`gatehouse --headless`, TLS on both
// listeners with a certificate made at test time): RemoteEngineClient over the admin API and
// its live channel, the main window on it, a link that drops and comes back (events resume
// without a gap or a repeat, the window says what is stale meanwhile), a wrong key, and a
// certificate nobody said to trust. With GATEHOUSE_SERVICE_URL it attaches to an engine someone
// else runs instead (tests/package/check_service.sh: the Debian package's service) and runs only
// aServiceShowsItsEventsLive.

#include "positionrange.h"
#include "connectdialog.h"
#include "engineprocess.h"
#include "mainwindow.h"
#include "remoteengineclient.h"
#include "testcertificate.h"

#include <QDateTime>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {
constexpr int kWaitMs = 30000;
const QByteArray kKey = "remote-console-test-key";

bool serviceMode()
{
    return qEnvironmentVariableIsSet("GATEHOUSE_SERVICE_URL");
}

} // namespace

class tst_RemoteConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();
    void clientSeesTheEngineLive();
    void windowOnARemoteEngine();
    void linkDropsAndResumes();
    void anotherLogIsFollowedFromItsHead();
    void longerForeignLogIsNoticed();
    void wrongKeyIsRefused();
    void unreadableChannelIsABrokenLink();
    void stopsWhileWaitingForTheKey();
    void untrustedCertificateIsNotAccepted();
    void connectDialogChecksWhatItIsGiven();
    void screenshots();   // with GATEHOUSE_SCREENSHOT_DIR: the connect dialog, for README.md
    void aServiceShowsItsEventsLive();   // with GATEHOUSE_SERVICE_URL

private:
    bool startEngine(quint16 gatewayPort = 0, quint16 adminPort = 0, const QString &data = QStringLiteral("data"));
    Ui::RemoteEngineClient::Options options() const;
    Ui::ClientReply command(Ui::EngineClient &client, const QString &id);

    QTemporaryDir m_dir;
    QString m_cert, m_key;
    std::unique_ptr<EngineProcess> m_engine;
};

void tst_RemoteConsole::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    m_cert = m_dir.filePath(u"cert.pem"_s);
    m_key = m_dir.filePath(u"key.pem"_s);
    QString error;
    QVERIFY2(Test::makeSelfSignedCertificate(m_cert, m_key, u"remote-engine"_s, false, &error), qPrintable(error));
    if (!serviceMode())
        QVERIFY(startEngine());
}

void tst_RemoteConsole::init()
{
    if (serviceMode() && qstrcmp(QTest::currentTestFunction(), "aServiceShowsItsEventsLive") != 0)
        QSKIP("GATEHOUSE_SERVICE_URL is set: only the service's own check runs");
}

void tst_RemoteConsole::cleanupTestCase()
{
    m_engine.reset();
}

bool tst_RemoteConsole::startEngine(quint16 gatewayPort, quint16 adminPort, const QString &data)
{
    m_engine = std::make_unique<EngineProcess>(m_dir.filePath(data));
    QStringList args{u"--admin-key"_s, QString::fromLatin1(kKey), u"--durability"_s, u"normal"_s,
                     u"--tls-cert"_s, m_cert, u"--tls-key"_s, m_key, u"--admin-tls-cert"_s, m_cert, u"--admin-tls-key"_s, m_key};
    if (gatewayPort)
        args << u"--listen"_s << u"127.0.0.1:%1"_s.arg(gatewayPort) << u"--admin-listen"_s << u"127.0.0.1:%1"_s.arg(adminPort);
    if (!m_engine->start(args)) {
        qWarning("engine: %s", qPrintable(m_engine->stderrText()));
        return false;
    }
    return true;
}

Ui::RemoteEngineClient::Options tst_RemoteConsole::options() const
{
    Ui::RemoteEngineClient::Options o;
    o.adminUrl = QUrl(u"https://localhost:%1"_s.arg(m_engine->adminPort));
    o.adminKey = kKey;
    o.caFile = m_cert;
    o.maxBackoffMs = 1000;
    return o;
}

Ui::ClientReply tst_RemoteConsole::command(Ui::EngineClient &client, const QString &id)
{
    QObject context;
    Ui::ClientReply out;
    bool done = false;
    client.command(u"products"_s, QString(), QString(), QJsonObject{{u"id"_s, id}, {u"name"_s, u"Lamp"_s}, {u"price"_s, 4}},
                   &context, [&](const Ui::ClientReply &r) { out = r; done = true; });
    if (!QTest::qWaitFor([&] { return done; }, kWaitMs))
        qWarning("no answer to the command");
    return out;
}

void tst_RemoteConsole::clientSeesTheEngineLive()
{
    Ui::RemoteEngineClient client(options());
    QList<qint64> positions;
    QHash<qint64, QByteArray> metadata;
    QStringList documents;
    connect(&client, &Ui::EngineClient::eventsArrived, this, [&](const RecordedEvents &events, qint64) {
        for (const RecordedEvent &e : events) {
            positions.append(e.position);
            metadata.insert(e.position, e.metadata);
        }
    });
    connect(&client, &Ui::EngineClient::documentsChanged, this, [&](const QString &collection, const QStringList &ids) {
        for (const QString &id : ids)
            documents.append(collection + u'/' + id);
    });
    QCOMPARE(client.connection(), Ui::EngineClient::Connection::Connecting);
    // A request before the engine said where its gateway is waits for it.
    const Ui::ClientReply first = command(client, u"live-1"_s);
    QCOMPARE(first.status, 202);
    QCOMPARE(client.connection(), Ui::EngineClient::Connection::Connected);
    QCOMPARE(client.gatewayUrl(), u"https://localhost:%1"_s.arg(m_engine->gatewayPort));
    QCOMPARE(client.adminUrl(), u"https://localhost:%1"_s.arg(m_engine->adminPort));
    QVERIFY(client.dataDirectory().isEmpty());

    const qint64 position = first.object().value(u"position"_s).toInteger();
    QTRY_VERIFY_WITH_TIMEOUT(positions.contains(position), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(documents.contains(u"products/live-1"_s), kWaitMs);
    // The stored metadata as stored: the command's id first, as the engine writes it (sorted
    // keys would put causationid first).
    const QByteArray stored = metadata.value(position);
    QVERIFY2(stored.startsWith("{\"commandid\":"), stored.constData());
    QVERIFY(QJsonDocument::fromJson(stored).object().contains(u"correlationid"_s));

    // The admin API, with the key.
    QObject context;
    Ui::ClientReply routes;
    client.adminGet("/admin/routes", &context, [&](const Ui::ClientReply &r) { routes = r; });
    QTRY_COMPARE_WITH_TIMEOUT(routes.status, 200, kWaitMs);
    // A change by anyone reaches every console.
    QSignalSpy changed(&client, &Ui::EngineClient::resourcesChanged);
    Ui::ClientReply put;
    client.admin("PUT", "/admin/routes/remote-test", R"({"uri":"/remote-test/:id","methods":["GET"],"upstream":{"type":"events"}})",
                 &context, [&](const Ui::ClientReply &r) { put = r; });
    QTRY_VERIFY_WITH_TIMEOUT(put.status == 201 || put.status == 200, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(changed.cbegin(), changed.cend(), [](const QList<QVariant> &args) {
        return args.at(0).toString() == u"routes"_s && args.at(1).toString() == u"remote-test"_s;
    }), kWaitMs);

    // Status samples with the log's head.
    QTRY_VERIFY_WITH_TIMEOUT(client.status().headPosition >= position, kWaitMs);
    QVERIFY(client.status().httpRequests >= 1);
}

void tst_RemoteConsole::windowOnARemoteEngine()
{
    auto *client = new Ui::RemoteEngineClient(options());
    Ui::MainWindow window(client);
    client->setParent(&window);
    window.show();
    auto *connection = window.findChild<QLabel *>(u"statusConnection"_s);
    auto *stale = window.findChild<QLabel *>(u"staleBanner"_s);
    QVERIFY(connection && stale);
    QTRY_VERIFY_WITH_TIMEOUT(connection->text().contains(u"connected"_s) && !connection->text().contains(u"dis"_s), kWaitMs);
    QVERIFY(stale->isHidden());
    QVERIFY(window.windowTitle().contains(u"localhost:%1"_s.arg(m_engine->adminPort)));
    QVERIFY(window.findChild<QLabel *>(u"statusAddresses"_s)->text().contains(u"https://localhost:%1"_s.arg(m_engine->gatewayPort)));
    QVERIFY(command(*client, u"window-1"_s).status == 202);
    QTRY_VERIFY_WITH_TIMEOUT(window.displayedEventCount() >= 2, kWaitMs);
}

void tst_RemoteConsole::linkDropsAndResumes()
{
    auto *client = new Ui::RemoteEngineClient(options());
    Ui::MainWindow window(client);
    client->setParent(&window);
    window.show();
    QList<qint64> positions;
    connect(client, &Ui::EngineClient::eventsArrived, this, [&](const RecordedEvents &events, qint64 dropped) {
        QCOMPARE(dropped, 0);
        for (const RecordedEvent &e : events)
            positions.append(e.position);
    });
    QTRY_COMPARE_WITH_TIMEOUT(client->connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
    const qint64 from = client->lastPosition() + 1;
    for (int i = 0; i < 3; ++i)
        QCOMPARE(command(*client, u"drop-a%1"_s.arg(i)).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(positions, Test::positionRange(from, from + 2), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(window.displayedEventCount(), from + 2, kWaitMs);

    // The engine goes away: the window keeps what it shows and says it may be stale.
    const quint16 gatewayPort = m_engine->gatewayPort, adminPort = m_engine->adminPort;
    QCOMPARE(m_engine->terminate(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(client->connection(), Ui::EngineClient::Connection::Reconnecting, kWaitMs);
    auto *stale = window.findChild<QLabel *>(u"staleBanner"_s);
    QTRY_VERIFY_WITH_TIMEOUT(stale->isVisible(), kWaitMs);
    QVERIFY2(stale->text().contains(u"stale"_s), qPrintable(stale->text()));
    QCOMPARE(window.displayedEventCount(), from + 2);

    // It comes back on the same ports, and gets commands before the console is back.
    QVERIFY(startEngine(gatewayPort, adminPort));
    QSignalSpy resources(client, &Ui::EngineClient::resourcesChanged);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(command(*client, u"drop-b%1"_s.arg(i)).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(client->connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
    QVERIFY(client->reconnects() >= 1);
    QTRY_VERIFY_WITH_TIMEOUT(stale->isHidden(), kWaitMs);
    for (int i = 0; i < 2; ++i)
        QCOMPARE(command(*client, u"drop-c%1"_s.arg(i)).status, 202);
    // Every event once, in order: those made while the console was away came from the log.
    QTRY_COMPARE_WITH_TIMEOUT(positions, Test::positionRange(from, from + 9), kWaitMs);
    // And the pages were told to read the resources again.
    QTRY_VERIFY_WITH_TIMEOUT(resources.count() >= 5, kWaitMs);
}

// The engine at the address comes back with another log, shorter than what the console has
// seen (restored from a backup, say): the console follows that one from its head rather than
// wait for positions it will never reach.
void tst_RemoteConsole::anotherLogIsFollowedFromItsHead()
{
    Ui::RemoteEngineClient client(options());
    QList<qint64> positions;
    connect(&client, &Ui::EngineClient::eventsArrived, this, [&](const RecordedEvents &events, qint64) {
        for (const RecordedEvent &e : events)
            positions.append(e.position);
    });
    QTRY_COMPARE_WITH_TIMEOUT(client.connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(command(client, u"this-log-%1"_s.arg(i)).status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(client.lastPosition() >= 3, kWaitMs);
    QSignalSpy replaced(&client, &Ui::EngineClient::logReplaced);
    const quint16 gatewayPort = m_engine->gatewayPort, adminPort = m_engine->adminPort;
    QCOMPARE(m_engine->terminate(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(client.connection(), Ui::EngineClient::Connection::Reconnecting, kWaitMs);
    QVERIFY(startEngine(gatewayPort, adminPort, u"other-data"_s));
    QTRY_COMPARE_WITH_TIMEOUT(client.connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
    QCOMPARE(client.lastPosition(), 0);
    QCOMPARE(replaced.count(), 1);   // the pages are told to read the log again
    const Ui::ClientReply first = command(client, u"other-1"_s);
    QCOMPARE(first.status, 202);
    QCOMPARE(first.object().value(u"position"_s).toInteger(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(positions.contains(1), kWaitMs);
}

// Another log at the address that is longer than what the console saw: its head alone does not
// tell, its first event does (the hello's log_id).
void tst_RemoteConsole::longerForeignLogIsNoticed()
{
    Ui::RemoteEngineClient client(options());
    QTRY_COMPARE_WITH_TIMEOUT(client.connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
    QCOMPARE(command(client, u"mine-1"_s).status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(client.lastPosition() >= 1, kWaitMs);
    const qint64 seen = client.lastPosition();
    QSignalSpy replaced(&client, &Ui::EngineClient::logReplaced);
    const quint16 gatewayPort = m_engine->gatewayPort, adminPort = m_engine->adminPort;
    QCOMPARE(m_engine->terminate(), 0);
    // The other log is written elsewhere first, so it is longer when the console meets it.
    QVERIFY(startEngine(0, 0, u"longer-data"_s));
    {
        Ui::RemoteEngineClient writer(options());
        QTRY_COMPARE_WITH_TIMEOUT(writer.connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
        for (qint64 i = 0; i < seen + 3; ++i)
            QCOMPARE(command(writer, u"theirs-%1"_s.arg(i)).status, 202);
    }
    QCOMPARE(m_engine->terminate(), 0);
    QVERIFY(startEngine(gatewayPort, adminPort, u"longer-data"_s));
    QTRY_COMPARE_WITH_TIMEOUT(replaced.count(), 1, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(client.connection(), Ui::EngineClient::Connection::Connected, kWaitMs);
    QCOMPARE(client.lastPosition(), seen + 3);
    // And it follows the new log from there.
    QCOMPARE(command(client, u"theirs-next"_s).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(client.lastPosition(), seen + 4, kWaitMs);
    QCOMPARE(replaced.count(), 1);
}

void tst_RemoteConsole::wrongKeyIsRefused()
{
    Ui::RemoteEngineClient::Options o = options();
    o.adminKey = "not-the-key";
    Ui::RemoteEngineClient client(o);
    QTRY_VERIFY2_WITH_TIMEOUT(client.connection() == Ui::EngineClient::Connection::Refused, qPrintable(client.connectionText()), kWaitMs);
    QVERIFY2(client.connectionText().contains(u"key"_s), qPrintable(client.connectionText()));
    // And it stops trying.
    QSignalSpy changes(&client, &Ui::EngineClient::connectionChanged);
    QTest::qWait(1500);
    QCOMPARE(changes.count(), 0);
}

// Something at the address that speaks WebSocket but not the channel: its message is not taken
// for nothing; the link counts as broken and the console keeps trying.
void tst_RemoteConsole::unreadableChannelIsABrokenLink()
{
    QWebSocketServer server(u"not-an-engine"_s, QWebSocketServer::NonSecureMode);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int accepted = 0;
    connect(&server, &QWebSocketServer::newConnection, this, [&] {
        while (QWebSocket *socket = server.nextPendingConnection()) {
            ++accepted;
            connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            socket->sendTextMessage(u"{\"type\":\"hello\", broken"_s);
        }
    });
    Ui::RemoteEngineClient::Options o;
    o.adminUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(server.serverPort()));
    o.adminKey = "any";
    o.maxBackoffMs = 200;
    Ui::RemoteEngineClient client(o);
    QTRY_VERIFY2_WITH_TIMEOUT(client.connectionText().contains(u"not a JSON object"_s), qPrintable(client.connectionText()), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(accepted >= 2, kWaitMs);   // and it tries again
    QVERIFY(client.connection() != Ui::EngineClient::Connection::Connected);
    QVERIFY(client.connection() != Ui::EngineClient::Connection::Refused);
}

// `gatehouse --connect` without a key waits for the keychain, then asks for it; a SIGTERM (or
// Ctrl-C) meanwhile ends it, as it would end the console window.
void tst_RemoteConsole::stopsWhileWaitingForTheKey()
{
    QProcess console;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    environment.insert(u"XDG_CONFIG_HOME"_s, m_dir.filePath(u"config"_s));   // no saved connections
    console.setProcessEnvironment(environment);
    console.start(QStringLiteral(GATEHOUSE_BINARY), {u"--connect"_s, u"https://127.0.0.1:1"_s});
    QVERIFY(console.waitForStarted());
    QTest::qWait(1500);   // waiting for the keychain, or asking
    QCOMPARE(console.state(), QProcess::Running);
    console.terminate();
    QVERIFY2(console.waitForFinished(10000), "still waiting after SIGTERM");
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 0);
}

void tst_RemoteConsole::untrustedCertificateIsNotAccepted()
{
    Ui::RemoteEngineClient::Options o = options();
    o.caFile.clear();
    Ui::RemoteEngineClient client(o);
    QSignalSpy events(&client, &Ui::EngineClient::eventsArrived);
    QTRY_VERIFY_WITH_TIMEOUT(!client.connectionText().isEmpty() && client.connectionText().contains(u"cannot reach"_s), kWaitMs);
    QCOMPARE(client.connection(), Ui::EngineClient::Connection::Connecting);
    QObject context;
    Ui::ClientReply routes;
    bool answered = false;
    client.adminGet("/admin/routes", &context, [&](const Ui::ClientReply &r) { routes = r; answered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(answered, kWaitMs);
    QCOMPARE(routes.status, 0);   // no answer over a connection that was not verified
    QVERIFY(!routes.error.isEmpty());
    QCOMPARE(events.count(), 0);
}

void tst_RemoteConsole::connectDialogChecksWhatItIsGiven()
{
    Ui::ConnectDialog dialog;
    auto *url = dialog.findChild<QLineEdit *>(u"engineUrl"_s);
    auto *key = dialog.findChild<QLineEdit *>(u"adminKey"_s);
    auto *message = dialog.findChild<QLabel *>(u"connectMessage"_s);
    QVERIFY(url && key && message);
    dialog.show();
    url->setText(u"ftp://host:9180"_s);
    key->setText(u"k"_s);
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QVERIFY(message->text().contains(u"http"_s));
    url->setText(u"https://localhost:%1/"_s.arg(m_engine->adminPort));
    key->clear();
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QVERIFY(message->text().contains(u"key"_s));
    key->setText(QString::fromLatin1(kKey));
    dialog.accept();
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.options().adminUrl, QUrl(u"https://localhost:%1"_s.arg(m_engine->adminPort)));
    QCOMPARE(dialog.options().adminKey, kKey);
}

void tst_RemoteConsole::screenshots()
{
    const QString dir = qEnvironmentVariable("GATEHOUSE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set GATEHOUSE_SCREENSHOT_DIR to write the connect dialog's screenshot");
    Ui::ConnectDialog dialog;
    dialog.findChild<QLineEdit *>(u"engineUrl"_s)->setText(u"https://engine.example:9180"_s);
    dialog.findChild<QLineEdit *>(u"adminKey"_s)->setText(u"an-admin-key"_s);
    dialog.findChild<QLineEdit *>(u"caFile"_s)->setText(u"/home/operator/engine-cert.pem"_s);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.grab().save(dir + u"/connect-dialog.png"_s));
}

// The console's window on an engine that runs elsewhere as a service, reached over TLS with the
// certificate and key file the environment names (GATEHOUSE_SERVICE_CA,
// GATEHOUSE_SERVICE_KEY_FILE): it connects, and a command sent through it shows up live in the
// window's event view.
void tst_RemoteConsole::aServiceShowsItsEventsLive()
{
    if (!serviceMode())
        QSKIP("set GATEHOUSE_SERVICE_URL (tests/package/check_service.sh does) to attach to a running service");
    QFile keyFile(qEnvironmentVariable("GATEHOUSE_SERVICE_KEY_FILE"));
    QVERIFY2(keyFile.open(QIODevice::ReadOnly), qPrintable(keyFile.fileName() + u": "_s + keyFile.errorString()));
    Ui::RemoteEngineClient::Options o;
    o.adminUrl = QUrl(qEnvironmentVariable("GATEHOUSE_SERVICE_URL"));
    o.adminKey = keyFile.readAll().trimmed();
    o.caFile = qEnvironmentVariable("GATEHOUSE_SERVICE_CA");
    o.maxBackoffMs = 1000;
    auto *client = new Ui::RemoteEngineClient(o);
    Ui::MainWindow window(client);
    client->setParent(&window);
    window.show();
    QList<qint64> positions;
    connect(client, &Ui::EngineClient::eventsArrived, this, [&](const RecordedEvents &events, qint64) {
        for (const RecordedEvent &e : events)
            positions.append(e.position);
    });
    auto *connection = window.findChild<QLabel *>(u"statusConnection"_s);
    QVERIFY(connection);
    QTRY_VERIFY2_WITH_TIMEOUT(client->connection() == Ui::EngineClient::Connection::Connected,
                              qPrintable(client->connectionText()), kWaitMs);
    const qint64 shownBefore = window.displayedEventCount();
    const QString id = u"service-check-"_s + QString::number(QDateTime::currentMSecsSinceEpoch());
    const Ui::ClientReply reply = command(*client, id);
    QCOMPARE(reply.status, 202);
    const qint64 position = reply.object().value(u"position"_s).toInteger();
    QTRY_VERIFY_WITH_TIMEOUT(positions.contains(position), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.displayedEventCount() > shownBefore, kWaitMs);
    qInfo("%s: %s; the event of %s at position %lld is shown live (%lld events in the view)",
          qPrintable(window.windowTitle()), qPrintable(connection->text()), qPrintable(id), static_cast<long long>(position),
          static_cast<long long>(window.displayedEventCount()));
}

QTEST_MAIN(tst_RemoteConsole)
#include "tst_remoteconsole.moc"
