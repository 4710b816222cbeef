#pragma once

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

namespace Gatehouse {

// The consumers of a configuration version, indexed by the credentials the auth plugins
// look up: key-auth keys, basic-auth user names and jwt-auth keys. Immutable once built.
class ConsumerIndex final
{
public:
    ConsumerIndex() = default;
    explicit ConsumerIndex(const QJsonArray &consumers);

    // The consumer object (with "username" and "plugins") or null.
    const QJsonObject *byKeyAuth(const QString &key) const;
    const QJsonObject *byBasicAuthUser(const QString &user) const;
    const QJsonObject *byJwtKey(const QString &key) const;
    const QJsonObject *byUsername(const QString &username) const;
    qsizetype size() const { return m_consumers.size(); }

private:
    QList<QJsonObject> m_consumers;
    QHash<QString, qsizetype> m_keyAuth, m_basicAuth, m_jwt, m_names;
};

} // namespace Gatehouse
