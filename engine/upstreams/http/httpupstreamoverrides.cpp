#include "httpupstreamoverrides.h"

namespace Gatehouse {

bool HttpUpstreamOverrides::parseAddress(const QString &text, QString *host, quint16 *port)
{
    const auto colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p == 0 || p > 65535)
        return false;
    QString h = text.left(colon);
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    if (h.isEmpty())
        return false;
    *host = h;
    *port = quint16(p);
    return true;
}

bool HttpUpstreamOverrides::set(const QString &upstreamId, const QString &node, const QString &via)
{
    const QString key = upstreamId + QLatin1Char('\n') + node;
    QWriteLocker lock(&m_lock);
    if (via.isEmpty()) {
        m_vias.remove(key);
    } else {
        std::pair<QString, quint16> address;
        if (!parseAddress(via, &address.first, &address.second))
            return false;
        m_vias.insert(key, address);
    }
    m_any = !m_vias.isEmpty();
    return true;
}

void HttpUpstreamOverrides::resolve(const QString &upstreamId, const QString &node, QString *host, quint16 *port) const
{
    if (!m_any.load(std::memory_order_acquire))
        return;
    QReadLocker lock(&m_lock);
    const auto it = m_vias.constFind(upstreamId + QLatin1Char('\n') + node);
    if (it == m_vias.cend())
        return;
    *host = it->first;
    *port = it->second;
}

} // namespace Gatehouse
