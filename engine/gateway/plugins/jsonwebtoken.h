#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace Gatehouse {

// A JSON Web Token (RFC 7519) in compact JWS form, as jwt-auth reads it. Algorithms:
// HS256/384/512 (HMAC with a shared secret) and RS256/384/512 (RSA PKCS#1 v1.5 with a PEM
// key of at least 2048 bits). "none" and anything else are refused when parsing. Parsed RSA
// keys are cached; every function is safe from any thread.
class JsonWebToken
{
public:
    // Splits and decodes; refuses malformed tokens, "crit" headers and unsupported algorithms.
    static std::optional<JsonWebToken> parse(QByteArrayView compact, QString *error);

    QString algorithm() const { return m_algorithm; }
    const QJsonObject &header() const { return m_header; }
    const QJsonObject &claims() const { return m_claims; }

    // HS*: `key` is the shared secret; RS*: a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY").
    // Signatures are compared in constant time.
    bool verify(const QByteArray &key, QString *error) const;

    // Makes a token (for tools and tests). HS*: `key` is the secret; RS*: a PEM private key.
    static QByteArray sign(const QString &algorithm, const QJsonObject &claims, const QByteArray &key, QString *error);

    static bool isSupported(const QString &algorithm);
    // Empty when `key` can verify tokens of `algorithm`: an HMAC secret that is not empty or
    // only zero bytes, an RSA public key in PEM form of at least 2048 bits.
    static QString checkKey(const QString &algorithm, const QByteArray &key);
    // A base64_secret's bytes: canonical base64 only (padded or not).
    static std::optional<QByteArray> decodeSecret(const QString &text, QString *error);

private:
    QString m_algorithm;
    QJsonObject m_header;
    QJsonObject m_claims;
    QByteArray m_signingInput;
    QByteArray m_signature;
};

} // namespace Gatehouse
