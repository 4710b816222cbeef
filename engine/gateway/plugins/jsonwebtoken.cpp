#include "jsonwebtoken.h"

#include "base/constanttime.h"
#include "config/strictjson.h"

#include <QCryptographicHash>
#include <QHash>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QMutex>

#include <algorithm>

#include <openssl/decoder.h>
#include <openssl/evp.h>

#include <memory>

namespace Gatehouse {

namespace {
constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
constexpr int kMinRsaBits = 2048;   // RFC 7518 section 3.3

using Key = std::shared_ptr<EVP_PKEY>;

std::optional<QCryptographicHash::Algorithm> hmacHash(QStringView alg)
{
    if (alg == u"HS256") return QCryptographicHash::Sha256;
    if (alg == u"HS384") return QCryptographicHash::Sha384;
    if (alg == u"HS512") return QCryptographicHash::Sha512;
    return std::nullopt;
}

const EVP_MD *rsaDigest(QStringView alg)
{
    if (alg == u"RS256") return EVP_sha256();
    if (alg == u"RS384") return EVP_sha384();
    if (alg == u"RS512") return EVP_sha512();
    return nullptr;
}

// Strict base64url (RFC 7515 2): no padding, and the unused bits of the last character zero,
// so one token has one spelling (a limit or deny list keyed on the token cannot be sidestepped
// by another spelling of it).
std::optional<QByteArray> decodeSegment(QByteArrayView segment)
{
    auto result = QByteArray::fromBase64Encoding(segment.toByteArray(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!result || result.decoded.toBase64(kBase64Url) != segment)
        return std::nullopt;
    return result.decoded;
}

// Parsed PEM keys by their text: parsing RSA keys costs far more than verifying with them.
Key readKey(const QByteArray &pem, bool privateKey, QString *error)
{
    static QMutex mutex;
    static QHash<QByteArray, Key> cache;
    const QByteArray cacheKey = (privateKey ? "private:" : "public:") + pem;
    {
        QMutexLocker lock(&mutex);
        if (const auto it = cache.constFind(cacheKey); it != cache.cend())
            return *it;
    }
    EVP_PKEY *raw = nullptr;
    OSSL_DECODER_CTX *decoder = OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, "RSA",
                                                              privateKey ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
    const unsigned char *data = reinterpret_cast<const unsigned char *>(pem.constData());
    size_t length = size_t(pem.size());
    const bool decoded = decoder && OSSL_DECODER_from_data(decoder, &data, &length) == 1 && raw;
    OSSL_DECODER_CTX_free(decoder);
    if (!decoded) {
        *error = privateKey ? QStringLiteral("the private key is not an RSA key in PEM form")
                            : QStringLiteral("the public key is not an RSA key in PEM form");
        return {};
    }
    Key key(raw, EVP_PKEY_free);
    if (EVP_PKEY_get_bits(raw) < kMinRsaBits) {
        *error = QStringLiteral("the RSA key has %1 bits; at least %2 are required").arg(EVP_PKEY_get_bits(raw)).arg(kMinRsaBits);
        return {};
    }
    QMutexLocker lock(&mutex);
    if (cache.size() >= 4096)   // more consumers' keys than that: parsed again now and then
        cache.clear();
    cache.insert(cacheKey, key);
    return key;
}
} // namespace

std::optional<QByteArray> JsonWebToken::decodeSecret(const QString &text, QString *error)
{
    const QByteArray latin = text.toLatin1();
    auto result = QByteArray::fromBase64Encoding(latin, QByteArray::AbortOnBase64DecodingErrors);
    // Canonical only, with or without its padding: "A" or "QQ=x" is no key.
    if (!result || QString::fromLatin1(latin) != text
        || (result.decoded.toBase64() != latin && result.decoded.toBase64(QByteArray::OmitTrailingEquals) != latin)) {
        *error = QStringLiteral("base64_secret is set but the secret is not canonical base64");
        return std::nullopt;
    }
    return result.decoded;
}

QString JsonWebToken::checkKey(const QString &algorithm, const QByteArray &key)
{
    if (hmacHash(algorithm)) {
        // HMAC pads a key with zero bytes: an empty key and one of only zero bytes are the same
        // key, which anyone can sign with.
        if (std::all_of(key.cbegin(), key.cend(), [](char c) { return c == 0; }))
            return QStringLiteral("the secret is empty or only zero bytes, which anyone could sign with");
        return {};
    }
    if (rsaDigest(algorithm)) {
        QString error;
        return readKey(key, false, &error) ? QString() : error;
    }
    return QStringLiteral("unsupported algorithm '%1'").arg(algorithm);
}

bool JsonWebToken::isSupported(const QString &algorithm)
{
    return hmacHash(algorithm) || rsaDigest(algorithm);
}

std::optional<JsonWebToken> JsonWebToken::parse(QByteArrayView compact, QString *error)
{
    const QList<QByteArray> parts = compact.toByteArray().split('.');
    if (parts.size() != 3) {
        *error = QStringLiteral("not a JWT: expected header.payload.signature");
        return std::nullopt;
    }
    const auto header = decodeSegment(parts.at(0));
    const auto claims = decodeSegment(parts.at(1));
    const auto signature = decodeSegment(parts.at(2));
    if (!header || !claims || !signature) {
        *error = QStringLiteral("not a JWT: a part is not base64url");
        return std::nullopt;
    }
    JsonWebToken t;
    // Strict: a token with two "exp" or "alg" members must not be read one way here and
    // another way by whoever issued it.
    std::optional<QJsonObject> headerObject = StrictJson::parseObject(*header);
    std::optional<QJsonObject> claimsObject = StrictJson::parseObject(*claims);
    if (!headerObject || !claimsObject) {
        *error = QStringLiteral("not a JWT: header and payload must be JSON objects (strict JSON, no duplicate names)");
        return std::nullopt;
    }
    t.m_header = std::move(*headerObject);
    t.m_claims = std::move(*claimsObject);
    t.m_algorithm = t.m_header.value(QStringLiteral("alg")).toString();
    if (t.m_algorithm.compare(QLatin1String("none"), Qt::CaseInsensitive) == 0) {
        *error = QStringLiteral("unsigned tokens (alg none) are not accepted");
        return std::nullopt;
    }
    if (!isSupported(t.m_algorithm)) {
        *error = QStringLiteral("unsupported algorithm '%1'").arg(t.m_algorithm);
        return std::nullopt;
    }
    if (t.m_header.contains(QStringLiteral("crit"))) {
        *error = QStringLiteral("critical header extensions are not supported");
        return std::nullopt;
    }
    t.m_signingInput = parts.at(0) + '.' + parts.at(1);
    t.m_signature = *signature;
    return t;
}

bool JsonWebToken::verify(const QByteArray &key, QString *error) const
{
    if (const auto hash = hmacHash(m_algorithm)) {
        const QByteArray expected = QMessageAuthenticationCode::hash(m_signingInput, key, *hash);
        if (constantTimeEquals(expected, m_signature))
            return true;
        *error = QStringLiteral("the signature does not match");
        return false;
    }
    const EVP_MD *digest = rsaDigest(m_algorithm);
    const Key publicKey = digest ? readKey(key, false, error) : Key();
    if (!publicKey)
        return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, digest, nullptr, publicKey.get()) == 1
        && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(m_signature.constData()), size_t(m_signature.size()),
                            reinterpret_cast<const unsigned char *>(m_signingInput.constData()), size_t(m_signingInput.size())) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        *error = QStringLiteral("the signature does not match");
    return ok;
}

QByteArray JsonWebToken::sign(const QString &algorithm, const QJsonObject &claims, const QByteArray &key, QString *error)
{
    if (!isSupported(algorithm)) {
        *error = QStringLiteral("unsupported algorithm '%1'").arg(algorithm);
        return {};
    }
    const QJsonObject header{{QStringLiteral("alg"), algorithm}, {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QByteArray input = QJsonDocument(header).toJson(QJsonDocument::Compact).toBase64(kBase64Url) + '.'
        + QJsonDocument(claims).toJson(QJsonDocument::Compact).toBase64(kBase64Url);
    if (const auto hash = hmacHash(algorithm))
        return input + '.' + QMessageAuthenticationCode::hash(input, key, *hash).toBase64(kBase64Url);
    const Key privateKey = readKey(key, true, error);
    if (!privateKey)
        return {};
    QByteArray signature;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t length = 0;
    const auto data = reinterpret_cast<const unsigned char *>(input.constData());
    bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, rsaDigest(algorithm), nullptr, privateKey.get()) == 1
        && EVP_DigestSign(ctx, nullptr, &length, data, size_t(input.size())) == 1;
    if (ok) {
        signature.resize(qsizetype(length));
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length, data, size_t(input.size())) == 1;
        signature.resize(qsizetype(length));
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        *error = QStringLiteral("signing failed");
        return {};
    }
    return input + '.' + signature.toBase64(kBase64Url);
}

} // namespace Gatehouse
