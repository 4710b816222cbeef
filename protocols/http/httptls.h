#pragma once

#include <QDateTime>
#include <QHostAddress>
#include <QSslConfiguration>
#include <QString>

#include <memory>
#include <mutex>

namespace Gatehouse::Http {

// The certificate and private key a listener answers TLS with (HTTPS, and WSS and SSE on the
// same port), read from PEM files: the certificate file holds the server's certificate first,
// then any intermediate ones; the key file its private key (RSA or EC, unencrypted).
//
// load() and reload() prove the pair before it is used: a TLS handshake with it on a loopback
// socket, so a key that does not match the certificate, an expired certificate or a missing TLS
// backend is an error at start (or a refused reload), not a failure of every client later.
// reload() keeps the credentials in use when the new files do not pass; connections accepted
// after a successful reload use the new ones, those already open keep theirs.
//
// configuration() may be called from any thread (each listener's network thread does).
class HttpTls final
{
public:
    struct Summary
    {
        QString subject;
        QStringList names;   // subject alternative names (DNS and IP)
        QDateTime notAfter;
        QString sha256;      // fingerprint of the certificate, hex with colons
    };

    static std::shared_ptr<HttpTls> load(const QString &certificateFile, const QString &keyFile, QString *error);

    bool reload(QString *error);
    QSslConfiguration configuration() const;
    Summary summary() const;
    // The name a client on this machine connecting to `address` verifies the certificate for:
    // empty when the certificate holds the address itself, else "localhost" when it holds that,
    // else its first DNS name.
    QString verifyNameFor(const QHostAddress &address) const;
    QString certificateFile() const { return m_certificateFile; }

private:
    HttpTls(const QString &certificateFile, const QString &keyFile);
    bool read(QSslConfiguration *out, Summary *summary, QString *error) const;

    const QString m_certificateFile;
    const QString m_keyFile;
    mutable std::mutex m_mutex;
    QSslConfiguration m_configuration;
    Summary m_summary;
};

} // namespace Gatehouse::Http
