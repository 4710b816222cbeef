#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace Gatehouse {

// Signs and opens the read side's paging cursors, so a client can hand back only a cursor this
// data directory issued, for the collection it was issued for. A cursor is
// "<payload, base64url>.<HMAC-SHA256 over the collection and payload, base64url>"; the key is
// the read store's (generated on first start, kept in readmodel.db, so cursors survive
// restarts). Immutable once constructed; used from any thread.
class CursorSigner final
{
public:
    static constexpr qsizetype kKeyBytes = 32;

    CursorSigner() = default;   // no key: signs nothing usable, opens nothing
    explicit CursorSigner(QByteArray key) : m_key(std::move(key)) {}

    bool isValid() const { return m_key.size() >= kKeyBytes; }
    QByteArray sign(const QString &collection, const QByteArray &payload) const;
    // The payload, when `token` is one sign() made for `collection` with this key.
    std::optional<QByteArray> open(const QString &collection, QByteArrayView token) const;

    static QByteArray generateKey();

private:
    QByteArray mac(const QString &collection, QByteArrayView encodedPayload) const;

    QByteArray m_key;
};

} // namespace Gatehouse
