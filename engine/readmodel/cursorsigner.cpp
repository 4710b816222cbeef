#include "cursorsigner.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

namespace Gatehouse {

namespace {
constexpr auto kBase64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

// Length-dependent time only, so the MAC cannot be found byte by byte by timing answers.
bool sameBytes(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}
} // namespace

QByteArray CursorSigner::generateKey()
{
    QByteArray key(kKeyBytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(key.data()), kKeyBytes / 4);
    return key;
}

QByteArray CursorSigner::mac(const QString &collection, QByteArrayView encodedPayload) const
{
    // Domain-separated and length-prefixed, so no other message this key signs can pass for
    // a cursor and no (collection, payload) pair can be re-split into another.
    const QByteArray name = collection.toUtf8();
    QByteArray message = "gatehouse-cursor-v1\n" + QByteArray::number(name.size()) + '\n' + name + '\n';
    message += encodedPayload;
    return QMessageAuthenticationCode::hash(message, m_key, QCryptographicHash::Sha256);
}

QByteArray CursorSigner::sign(const QString &collection, const QByteArray &payload) const
{
    const QByteArray encoded = payload.toBase64(kBase64);
    return encoded + '.' + mac(collection, encoded).toBase64(kBase64);
}

std::optional<QByteArray> CursorSigner::open(const QString &collection, QByteArrayView token) const
{
    if (!isValid())
        return std::nullopt;
    const qsizetype dot = token.lastIndexOf('.');
    if (dot <= 0)
        return std::nullopt;
    const QByteArrayView encoded = token.first(dot);
    auto given = QByteArray::fromBase64Encoding(token.sliced(dot + 1).toByteArray(), kBase64 | QByteArray::AbortOnBase64DecodingErrors);
    if (!given || !sameBytes(*given, mac(collection, encoded)))
        return std::nullopt;
    auto payload = QByteArray::fromBase64Encoding(encoded.toByteArray(), kBase64 | QByteArray::AbortOnBase64DecodingErrors);
    if (!payload)
        return std::nullopt;
    return std::move(payload.decoded);
}

} // namespace Gatehouse
