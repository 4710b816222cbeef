// TLS on the listeners (--tls-cert/--tls-key, --admin-tls-cert/--admin-tls-key) of the real
// `gatehouse --headless` binary, with certificates made by the openssl command at test time and
// clients that verify them: curl for HTTPS and SSE, Qt's QWebSocket for WSS, QSslSocket to see
// which certificate a connection gets. Also: plain HTTP sent to the TLS port is closed and
// harms nothing; SIGHUP reads the files again (a pair that does not match is refused and the
// one in use stays); bad files stop the start with a clear message; the admin API leaves
// loopback only with TLS or --admin-trusted-network.

#include "engineprocess.h"
#include "testcertificate.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSslCertificate>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <csignal>

using namespace Qt::StringLiterals;

namespace {
constexpr int kWaitMs = 15000;

struct CommandResult
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

CommandResult runCommand(const QString &program, const QStringList &arguments, const QByteArray &input = {})
{
    QProcess p;
    p.start(program, arguments);
    CommandResult r;
    if (!p.waitForStarted(kWaitMs))
        return r;
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

bool makeCertificate(const QString &dir, const QString &name, bool rsa, const QString &commonName)
{
    QString error;
    if (!Gatehouse::Test::makeSelfSignedCertificate(dir + u'/' + name + u"-cert.pem"_s, dir + u'/' + name + u"-key.pem"_s,
                                                    commonName, rsa, &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return true;
}

bool copyFile(const QString &from, const QString &to)
{
    QFile::remove(to);
    return QFile::copy(from, to);
}

// The certificate a new TLS connection to 127.0.0.1:port is answered with (verified against ca).
QSslCertificate served(quint16 port, const QString &caFile, QString *error = nullptr)
{
    QSslSocket socket;
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates(QSslCertificate::fromPath(caFile));
    socket.setSslConfiguration(c);
    socket.connectToHostEncrypted(u"127.0.0.1"_s, port);
    if (!socket.waitForEncrypted(kWaitMs)) {
        if (error)
            *error = socket.errorString();
        return QSslCertificate();
    }
    return socket.peerCertificate();
}
} // namespace

class tst_Tls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void httpsWssAndSseWithVerifiedCertificates();
    void plainHttpOnTheTlsPortIsClosed();
    void sighupReadsTheFilesAgain();
    void badCredentialsStopTheStart_data();
    void badCredentialsStopTheStart();
    void theAdminApiLeavesLoopbackOnlyWithTlsOrTrust();

private:
    QStringList tlsArguments(const QString &name, bool admin = true) const;
    QTemporaryDir m_certs;
};

void tst_Tls::initTestCase()
{
    QVERIFY(m_certs.isValid());
    QVERIFY2(!QStandardPaths::findExecutable(u"openssl"_s).isEmpty(), "the openssl command is needed (quickstart.sh installs it)");
    QVERIFY2(!QStandardPaths::findExecutable(u"curl"_s).isEmpty(), "curl is needed (quickstart.sh installs it)");
    QVERIFY(makeCertificate(m_certs.path(), u"ec"_s, false, u"gatehouse-ec"_s));
    QVERIFY(makeCertificate(m_certs.path(), u"rsa"_s, true, u"gatehouse-rsa"_s));
}

QStringList tst_Tls::tlsArguments(const QString &name, bool admin) const
{
    const QString cert = m_certs.path() + u'/' + name + u"-cert.pem"_s, key = m_certs.path() + u'/' + name + u"-key.pem"_s;
    QStringList args{u"--tls-cert"_s, cert, u"--tls-key"_s, key};
    if (admin)
        args += QStringList{u"--admin-tls-cert"_s, cert, u"--admin-tls-key"_s, key};
    return args;
}

void tst_Tls::httpsWssAndSseWithVerifiedCertificates()
{
    QTemporaryDir data;
    EngineProcess engine(data.path());
    QVERIFY2(engine.start(tlsArguments(u"ec"_s) + QStringList{u"--admin-key"_s, u"tls-admin-key"_s}), qPrintable(engine.stderrText()));
    QVERIFY(engine.stderrText().contains(u"gateway listening on https://"_s));
    QVERIFY(engine.stderrText().contains(u"admin API listening on https://"_s));
    QVERIFY(engine.stderrText().contains(u"gateway certificate: gatehouse-ec (localhost, 127.0.0.1)"_s));
    const QString ca = m_certs.path() + u"/ec-cert.pem"_s;
    const QString gateway = u"https://127.0.0.1:%1"_s.arg(engine.gatewayPort);
    const QString admin = u"https://localhost:%1"_s.arg(engine.adminPort);

    // curl verifies the chain and the name (127.0.0.1 and localhost are in the certificate).
    CommandResult r = runCommand(u"curl"_s, {u"-sS"_s, u"--cacert"_s, ca, admin + u"/health"_s});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(QJsonDocument::fromJson(r.out).object().value(u"status"_s).toString(), u"ready"_s);
    r = runCommand(u"curl"_s, {u"-sS"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{http_code}"_s, u"-H"_s, u"X-API-KEY: tls-admin-key"_s,
                               u"--cacert"_s, ca, admin + u"/admin/routes"_s});
    QCOMPARE(r.out, QByteArray("200"));
    // Without the certificate trusted, curl refuses the connection (nothing is sent).
    r = runCommand(u"curl"_s, {u"-sS"_s, admin + u"/health"_s});
    QCOMPARE(r.exitCode, 60);   // CURLE_PEER_FAILED_VERIFICATION

    // A WSS subscriber sees the event of a command sent over HTTPS.
    QWebSocket socket;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(ca));
    socket.setSslConfiguration(tls);
    QList<QJsonObject> messages;
    connect(&socket, &QWebSocket::textMessageReceived, this,
            [&](const QString &text) { messages.append(QJsonDocument::fromJson(text.toUtf8()).object()); });
    socket.open(QUrl(u"wss://127.0.0.1:%1/ws"_s.arg(engine.gatewayPort)));
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::ConnectedState, kWaitMs);
    socket.sendTextMessage(uR"({"op":"subscribe","id":"all","from":"live"})"_s);
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(messages.cbegin(), messages.cend(),
                                         [](const QJsonObject &m) { return m.value(u"op"_s) == u"subscribed"_s; }),
                             kWaitMs);
    r = runCommand(u"curl"_s, {u"-sS"_s, u"--cacert"_s, ca, u"-H"_s, u"Content-Type: application/json"_s,
                               u"--data-binary"_s, uR"({"name":"Over TLS","price":3})"_s, gateway + u"/api/products"_s});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString id = QJsonDocument::fromJson(r.out).object().value(u"id"_s).toString();
    QVERIFY2(!id.isEmpty(), r.out.constData());
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(messages.cbegin(), messages.cend(),
                                         [&](const QJsonObject &m) {
                                             return m.value(u"op"_s) == u"event"_s
                                                 && m.value(u"event"_s).toObject().value(u"subject"_s) == id;
                                         }),
                             kWaitMs);
    socket.close();

    // An answer after which the connection closes (Connection: close, HTTP/1.0) arrives whole
    // before the close, and a client offering only another ALPN protocol is served HTTP/1.1.
    for (const QStringList &extra : {QStringList{u"-H"_s, u"Connection: close"_s}, QStringList{u"--http1.0"_s}}) {
        r = runCommand(u"curl"_s, QStringList{u"-sS"_s, u"--cacert"_s, ca, u"-w"_s, u"\n%{http_code}"_s} + extra
                                      + QStringList{gateway + u"/api/products?limit=1"_s});
        QVERIFY2(r.exitCode == 0 && r.out.endsWith("\n200") && r.out.contains("\"items\""), QByteArray(r.out + r.err).constData());
    }

    // The OpenAPI description names the server as clients reach it: over HTTPS.
    r = runCommand(u"curl"_s, {u"-sS"_s, u"--cacert"_s, ca, gateway + u"/openapi.json"_s});
    QCOMPARE(QJsonDocument::fromJson(r.out).object().value(u"servers"_s).toArray().first().toObject().value(u"url"_s).toString(), gateway);

    // The document, and the log as SSE, over HTTPS.
    QTRY_VERIFY_WITH_TIMEOUT(runCommand(u"curl"_s, {u"-sS"_s, u"-f"_s, u"--cacert"_s, ca, gateway + u"/api/products/"_s + id})
                                 .out.contains("Over TLS"),
                             kWaitMs);
    r = runCommand(u"curl"_s, {u"-sS"_s, u"-N"_s, u"--max-time"_s, u"3"_s, u"--cacert"_s, ca, u"-H"_s, u"Accept: text/event-stream"_s,
                               gateway + u"/events/stream?from=1"_s});
    QCOMPARE(r.exitCode, 28);   // the stream stays open until curl's --max-time
    QVERIFY2(r.out.contains("data: ") && r.out.contains(id.toUtf8()), r.out.constData());

    // A large answer goes out whole through TLS's own buffer (flow control counts it too).
    const QString bodyFile = data.path() + u"/large.json"_s;
    {
        QFile f(bodyFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"name\":\"Large\",\"price\":1,\"description\":\"" + QByteArray(600 * 1024, 'x') + "\"}");
    }
    r = runCommand(u"curl"_s, {u"-sS"_s, u"--cacert"_s, ca, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{http_code}"_s, u"-H"_s,
                               u"Content-Type: application/json"_s, u"--data-binary"_s, u"@"_s + bodyFile, gateway + u"/api/products"_s});
    QCOMPARE(r.out, QByteArray("202"));
    r = runCommand(u"curl"_s, {u"-sS"_s, u"-f"_s, u"--cacert"_s, ca, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{size_download}"_s,
                               gateway + u"/events?from=1&limit=10"_s});
    QVERIFY2(r.out.toLongLong() > 600 * 1024, r.out.constData());
    QCOMPARE(engine.terminate(), 0);
}

void tst_Tls::plainHttpOnTheTlsPortIsClosed()
{
    QTemporaryDir data;
    EngineProcess engine(data.path());
    QVERIFY2(engine.start(tlsArguments(u"rsa"_s, false)), qPrintable(engine.stderrText()));
    // Plain HTTP, a handshake record that is not one, and a record announced longer than what
    // follows (closed by the handshake's deadline, the head timeout: 10 s).
    for (const QByteArray &bytes : {QByteArray("GET /api/products HTTP/1.1\r\nHost: x\r\n\r\n"),
                                    QByteArray("\x16\x03\x01\x00\x05hello"), QByteArray(4096, '\x16')}) {
        QTcpSocket plain;
        plain.connectToHost(u"127.0.0.1"_s, engine.gatewayPort);
        QVERIFY(plain.waitForConnected(kWaitMs));
        plain.write(bytes);
        QVERIFY(plain.waitForDisconnected(kWaitMs));
        QVERIFY(!plain.readAll().contains("HTTP/1.1 200"));
    }
    QString error;
    QCOMPARE(served(engine.gatewayPort, m_certs.path() + u"/rsa-cert.pem"_s, &error).subjectInfo(QSslCertificate::CommonName),
             QStringList{u"gatehouse-rsa"_s});
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // The admin listener stays plain HTTP on loopback.
    const CommandResult r = runCommand(u"curl"_s, {u"-sS"_s, u"http://127.0.0.1:%1/health"_s.arg(engine.adminPort)});
    QVERIFY2(r.out.contains("ready"), r.out.constData());
    QCOMPARE(engine.terminate(), 0);
}

void tst_Tls::sighupReadsTheFilesAgain()
{
    QTemporaryDir data;
    const QString cert = data.path() + u"/server-cert.pem"_s, key = data.path() + u"/server-key.pem"_s;
    const QString ec = m_certs.path() + u"/ec"_s, rsa = m_certs.path() + u"/rsa"_s;
    QVERIFY(copyFile(ec + u"-cert.pem"_s, cert) && copyFile(ec + u"-key.pem"_s, key));
    EngineProcess engine(data.path() + u"/data"_s);
    QVERIFY2(engine.start({u"--tls-cert"_s, cert, u"--tls-key"_s, key}), qPrintable(engine.stderrText()));
    const auto commonName = [&](const QString &ca) {
        QString error;
        const QStringList names = served(engine.gatewayPort, ca, &error).subjectInfo(QSslCertificate::CommonName);
        return names.isEmpty() ? error : names.first();
    };
    QCOMPARE(commonName(ec + u"-cert.pem"_s), u"gatehouse-ec"_s);

    // A connection opened before the change keeps its session.
    QSslSocket before;
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates(QSslCertificate::fromPath(ec + u"-cert.pem"_s));
    before.setSslConfiguration(c);
    before.connectToHostEncrypted(u"127.0.0.1"_s, engine.gatewayPort);
    QVERIFY(before.waitForEncrypted(kWaitMs));

    // Half of the change (the new certificate, the old key): refused, the old pair serves on.
    QVERIFY(copyFile(rsa + u"-cert.pem"_s, cert));
    ::kill(pid_t(engine.process().processId()), SIGHUP);
    QTRY_VERIFY_WITH_TIMEOUT(engine.stderrText().contains(u"SIGHUP: the gateway keeps its certificate"_s), kWaitMs);
    QVERIFY(engine.stderrText().contains(u"does not certify"_s) || engine.stderrText().contains(u"handshake"_s));
    QCOMPARE(commonName(ec + u"-cert.pem"_s), u"gatehouse-ec"_s);

    // The whole change: new connections get the new certificate.
    QVERIFY(copyFile(rsa + u"-key.pem"_s, key));
    ::kill(pid_t(engine.process().processId()), SIGHUP);
    QTRY_VERIFY_WITH_TIMEOUT(engine.stderrText().contains(u"SIGHUP: the gateway certificate was read again: gatehouse-rsa"_s), kWaitMs);
    QCOMPARE(commonName(rsa + u"-cert.pem"_s), u"gatehouse-rsa"_s);

    before.write("GET /api/products/none HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray answer;
    while (!answer.contains("\r\n\r\n") && before.waitForReadyRead(kWaitMs))
        answer += before.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 404"), answer.constData());
    QCOMPARE(engine.terminate(), 0);
}

void tst_Tls::badCredentialsStopTheStart_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    const QString ec = m_certs.path() + u"/ec"_s, rsa = m_certs.path() + u"/rsa"_s;
    QTest::newRow("key of another certificate") << QStringList{u"--tls-cert"_s, ec + u"-cert.pem"_s, u"--tls-key"_s, rsa + u"-key.pem"_s}
                                                << u"--tls-cert/--tls-key: a TLS handshake with this certificate and key fails"_s;
    QTest::newRow("missing file") << QStringList{u"--tls-cert"_s, ec + u"-none.pem"_s, u"--tls-key"_s, ec + u"-key.pem"_s}
                                  << u"cannot read the certificate file"_s;
    QTest::newRow("key as certificate") << QStringList{u"--tls-cert"_s, ec + u"-key.pem"_s, u"--tls-key"_s, ec + u"-key.pem"_s}
                                        << u"holds no PEM certificate"_s;
    QTest::newRow("certificate as key") << QStringList{u"--tls-cert"_s, ec + u"-cert.pem"_s, u"--tls-key"_s, ec + u"-cert.pem"_s}
                                        << u"holds no unencrypted PEM private key"_s;
    QTest::newRow("certificate without key") << QStringList{u"--tls-cert"_s, ec + u"-cert.pem"_s} << u"--tls-cert and --tls-key go together"_s;
    QTest::newRow("admin key without certificate") << QStringList{u"--admin-tls-key"_s, ec + u"-key.pem"_s}
                                                   << u"--admin-tls-cert and --admin-tls-key go together"_s;
    QTest::newRow("admin pair that does not match")
        << QStringList{u"--admin-tls-cert"_s, rsa + u"-cert.pem"_s, u"--admin-tls-key"_s, ec + u"-key.pem"_s}
        << u"--admin-tls-cert/--admin-tls-key: a TLS handshake"_s;
}

void tst_Tls::badCredentialsStopTheStart()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QTemporaryDir data;
    const CommandResult r = runCommand(QStringLiteral(GATEHOUSE_BINARY),
                                       QStringList{u"--headless"_s, u"--no-mqtt"_s, u"--data-dir"_s, data.path(), u"--listen"_s,
                                                   u"127.0.0.1:0"_s, u"--admin-listen"_s, u"127.0.0.1:0"_s}
                                           + arguments);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromLocal8Bit(r.err).contains(message), r.err.constData());
    QVERIFY(!r.err.contains("listening on"));
}

void tst_Tls::theAdminApiLeavesLoopbackOnlyWithTlsOrTrust()
{
    QTemporaryDir data;
    const QStringList everywhere{u"--headless"_s, u"--no-mqtt"_s, u"--data-dir"_s, data.path(), u"--listen"_s, u"127.0.0.1:0"_s,
                                 u"--admin-listen"_s, u"0.0.0.0:0"_s, u"--admin-key"_s, u"tls-admin-key"_s};
    const CommandResult refused = runCommand(QStringLiteral(GATEHOUSE_BINARY), everywhere);
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("refusing to expose the admin API on 0.0.0.0:0 without TLS"), refused.err.constData());

    // With TLS, or on the operator's word that the network is trusted, it starts. EngineProcess
    // puts its own loopback --admin-listen first; the later one wins.
    for (const QStringList &extra : {QStringList{u"--admin-trusted-network"_s},
                                     QStringList{u"--admin-tls-cert"_s, m_certs.path() + u"/ec-cert.pem"_s, u"--admin-tls-key"_s,
                                                 m_certs.path() + u"/ec-key.pem"_s}}) {
        EngineProcess engine(data.path());
        QVERIFY2(engine.start(QStringList{u"--admin-listen"_s, u"0.0.0.0:0"_s, u"--admin-key"_s, u"tls-admin-key"_s} + extra),
                 qPrintable(engine.stderrText()));
        QVERIFY(engine.stderrText().contains(u"admin API listening on "_s + (extra.size() == 1 ? u"http://0.0.0.0:"_s : u"https://0.0.0.0:"_s)));
        QCOMPARE(engine.terminate(), 0);
    }
}

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
