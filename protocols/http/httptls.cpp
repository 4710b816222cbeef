#include "httptls.h"

#include <QEventLoop>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTimer>

namespace Gatehouse::Http {

namespace {
constexpr qint64 kMaxPemBytes = 1024 * 1024;
constexpr int kSelfTestMs = 5000;

bool readPem(const QString &path, const char *what, QByteArray *out, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the %1 file %2: %3").arg(QLatin1String(what), path, file.errorString());
        return false;
    }
    if (file.size() > kMaxPemBytes) {
        *error = QStringLiteral("the %1 file %2 is larger than %3 bytes").arg(QLatin1String(what), path).arg(kMaxPemBytes);
        return false;
    }
    *out = file.read(kMaxPemBytes + 1);
    return true;
}

// A TLS handshake with `configuration` on a loopback socket: what OpenSSL refuses (a key that
// does not belong to the certificate, a key type it cannot use) it refuses here, once.
bool handshakeWith(const QSslConfiguration &configuration, QString *error)
{
    QSslServer server;
    server.setSslConfiguration(configuration);
    server.setHandshakeTimeout(kSelfTestMs);
    if (!server.listen(QHostAddress::LocalHost, 0)) {
        *error = QStringLiteral("cannot try the certificate on a loopback socket: %1").arg(server.errorString());
        return false;
    }
    QEventLoop loop;
    bool serverDone = false, clientDone = false;
    QString failure;
    auto settle = [&] {
        if ((serverDone && clientDone) || !failure.isEmpty())
            loop.quit();
    };
    QObject::connect(&server, &QSslServer::pendingConnectionAvailable, &loop, [&] {
        serverDone = true;
        settle();
    });
    QObject::connect(&server, &QSslServer::errorOccurred, &loop, [&](QSslSocket *socket, QAbstractSocket::SocketError) {
        if (failure.isEmpty())
            failure = socket->errorString();
        settle();
    });
    QObject::connect(&server, &QSslServer::peerVerifyError, &loop, [](QSslSocket *, const QSslError &) {});
    QSslSocket client;
    client.setPeerVerifyMode(QSslSocket::VerifyNone);
    QObject::connect(&client, &QSslSocket::encrypted, &loop, [&] {
        clientDone = true;
        settle();
    });
    QObject::connect(&client, &QAbstractSocket::errorOccurred, &loop, [&](QAbstractSocket::SocketError) {
        // The server's reason says more (OpenSSL's, about the key); wait a moment for it.
        QTimer::singleShot(200, &loop, [&, why = client.errorString()] {
            if (failure.isEmpty())
                failure = why;
            loop.quit();
        });
    });
    QTimer::singleShot(kSelfTestMs, &loop, [&] {
        if (failure.isEmpty())
            failure = QStringLiteral("the handshake did not finish within %1 ms").arg(kSelfTestMs);
        loop.quit();
    });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
    loop.exec();
    client.abort();
    if (failure.isEmpty() && !(serverDone && clientDone))
        failure = QStringLiteral("interrupted (the application is quitting)");
    if (serverDone && clientDone)
        return true;
    *error = QStringLiteral("a TLS handshake with this certificate and key fails: %1").arg(failure);
    return false;
}
} // namespace

HttpTls::HttpTls(const QString &certificateFile, const QString &keyFile)
    : m_certificateFile(certificateFile)
    , m_keyFile(keyFile)
{
}

std::shared_ptr<HttpTls> HttpTls::load(const QString &certificateFile, const QString &keyFile, QString *error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = QStringLiteral("TLS is not available: Qt found no TLS backend (%1)").arg(QSslSocket::activeBackend());
        return nullptr;
    }
    std::shared_ptr<HttpTls> tls(new HttpTls(certificateFile, keyFile));
    if (!tls->reload(error))
        return nullptr;
    return tls;
}

bool HttpTls::read(QSslConfiguration *out, Summary *summary, QString *error) const
{
    QByteArray certificatePem, keyPem;
    if (!readPem(m_certificateFile, "certificate", &certificatePem, error) || !readPem(m_keyFile, "key", &keyPem, error))
        return false;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certificatePem, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QStringLiteral("%1 holds no PEM certificate").arg(m_certificateFile);
        return false;
    }
    const QSslCertificate &leaf = chain.first();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (leaf.expiryDate() < now) {
        *error = QStringLiteral("the certificate in %1 expired on %2").arg(m_certificateFile, leaf.expiryDate().toString(Qt::ISODate));
        return false;
    }
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = QStringLiteral("%1 holds no unencrypted PEM private key (RSA or EC)").arg(m_keyFile);
        return false;
    }
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setLocalCertificateChain(chain);
    c.setPrivateKey(key);
    c.setPeerVerifyMode(QSslSocket::VerifyNone);   // clients are not asked for certificates
    c.setProtocol(QSsl::TlsV1_2OrLater);
    // No ALPN: clients then speak HTTP/1.1, what is served here. (Announcing "http/1.1" makes
    // Qt answer it even to a client that offered only another protocol, which the client takes
    // for a broken handshake.)
    if (!handshakeWith(c, error))
        return false;
    *out = c;
    summary->subject = leaf.subjectDisplayName();
    summary->names.clear();
    const auto names = leaf.subjectAlternativeNames();
    for (auto it = names.cbegin(); it != names.cend(); ++it) {
        if (it.key() == QSsl::DnsEntry || it.key() == QSsl::IpAddressEntry)
            summary->names.append(it.value());
    }
    summary->notAfter = leaf.expiryDate();
    summary->sha256 = QString::fromLatin1(leaf.digest(QCryptographicHash::Sha256).toHex(':'));
    return true;
}

bool HttpTls::reload(QString *error)
{
    QSslConfiguration configuration;
    Summary summary;
    if (!read(&configuration, &summary, error))
        return false;
    std::lock_guard lock(m_mutex);
    m_configuration = configuration;
    m_summary = summary;
    return true;
}

QSslConfiguration HttpTls::configuration() const
{
    std::lock_guard lock(m_mutex);
    return m_configuration;
}

QString HttpTls::verifyNameFor(const QHostAddress &address) const
{
    const QSslCertificate certificate = configuration().localCertificate();
    const auto names = certificate.subjectAlternativeNames();
    for (const QString &ip : names.values(QSsl::IpAddressEntry)) {
        if (QHostAddress(ip) == address)
            return {};
    }
    const QStringList dns = names.values(QSsl::DnsEntry);
    return dns.contains(QStringLiteral("localhost")) ? QStringLiteral("localhost") : dns.value(0);
}

HttpTls::Summary HttpTls::summary() const
{
    std::lock_guard lock(m_mutex);
    return m_summary;
}

} // namespace Gatehouse::Http
