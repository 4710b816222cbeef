#include "consumerindex.h"

namespace Gatehouse {

ConsumerIndex::ConsumerIndex(const QJsonArray &consumers)
{
    for (const QJsonValue &v : consumers) {
        const QJsonObject c = v.toObject();
        const qsizetype i = m_consumers.size();
        m_consumers.append(c);
        m_names.insert(c.value(QStringLiteral("username")).toString(), i);
        const QJsonObject plugins = c.value(QStringLiteral("plugins")).toObject();
        if (const QString key = plugins.value(QStringLiteral("key-auth")).toObject().value(QStringLiteral("key")).toString(); !key.isEmpty())
            m_keyAuth.insert(key, i);
        if (const QString user = plugins.value(QStringLiteral("basic-auth")).toObject().value(QStringLiteral("username")).toString(); !user.isEmpty())
            m_basicAuth.insert(user, i);
        if (const QString key = plugins.value(QStringLiteral("jwt-auth")).toObject().value(QStringLiteral("key")).toString(); !key.isEmpty())
            m_jwt.insert(key, i);
    }
}

const QJsonObject *ConsumerIndex::byKeyAuth(const QString &key) const
{
    const auto it = m_keyAuth.constFind(key);
    return it == m_keyAuth.cend() ? nullptr : &m_consumers.at(*it);
}

const QJsonObject *ConsumerIndex::byBasicAuthUser(const QString &user) const
{
    const auto it = m_basicAuth.constFind(user);
    return it == m_basicAuth.cend() ? nullptr : &m_consumers.at(*it);
}

const QJsonObject *ConsumerIndex::byJwtKey(const QString &key) const
{
    const auto it = m_jwt.constFind(key);
    return it == m_jwt.cend() ? nullptr : &m_consumers.at(*it);
}

const QJsonObject *ConsumerIndex::byUsername(const QString &username) const
{
    const auto it = m_names.constFind(username);
    return it == m_names.cend() ? nullptr : &m_consumers.at(*it);
}

} // namespace Gatehouse
