#pragma once

// A self-signed certificate for 127.0.0.1 and localhost, made by the openssl command (Debian's
// openssl, installed by quickstart.sh) for the tests that run TLS.

#include <QProcess>
#include <QString>
#include <QStringList>

namespace Gatehouse::Test {

// Writes `certificateFile` and `keyFile` (PEM): an RSA 2048 key when `rsa`, else EC P-256;
// valid for two days. False with the command's complaint in `error` when it fails.
inline bool makeSelfSignedCertificate(const QString &certificateFile, const QString &keyFile, const QString &commonName,
                                      bool rsa, QString *error)
{
    const QStringList key = rsa ? QStringList{QStringLiteral("-newkey"), QStringLiteral("rsa:2048")}
                                : QStringList{QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                                              QStringLiteral("ec_paramgen_curve:prime256v1")};
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + key
                      + QStringList{QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                                    QStringLiteral("/CN=") + commonName, QStringLiteral("-addext"),
                                    QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1"), QStringLiteral("-keyout"), keyFile,
                                    QStringLiteral("-out"), certificateFile});
    if (!openssl.waitForFinished(60000) || openssl.exitStatus() != QProcess::NormalExit || openssl.exitCode() != 0) {
        *error = QStringLiteral("openssl req failed: %1").arg(QString::fromLocal8Bit(openssl.readAllStandardError()));
        return false;
    }
    return true;
}

} // namespace Gatehouse::Test
